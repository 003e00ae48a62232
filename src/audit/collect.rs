//! Turning the user's paths (files, directories, globs) into the files to audit.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// File name endings looked at when walking a directory. A file named on the command line
/// is always read, whatever its name.
const CERTIFICATE_ENDINGS: &[&str] = &["pem", "crt", "cer", "cert", "der", "p12", "pfx"];

/// Directory depth beyond which the walk stops (a guard against pathological trees).
const MAX_DEPTH: usize = 64;

/// What the walk found.
#[derive(Debug, Default)]
pub struct Collected {
    /// Files to read, in a stable order.
    pub files: Vec<PathBuf>,
    /// Paths passed over, with the reason (symlink loops, unreadable directories, no matches).
    pub passed_over: Vec<(PathBuf, String)>,
}

/// Expand files, directories (recursively, following symlinks once) and glob patterns.
pub fn collect(inputs: &[PathBuf]) -> Collected {
    let mut out = Collected::default();
    let mut seen_dirs = HashSet::new();
    let mut seen_files = HashSet::new();
    for input in inputs {
        if input.exists() {
            visit(input, true, 0, &mut seen_dirs, &mut seen_files, &mut out);
            continue;
        }
        let pattern = input.to_string_lossy();
        if !pattern.contains(['*', '?', '[']) {
            // Named but missing: its read error becomes a row of the table.
            out.files.push(input.clone());
            continue;
        }
        match glob::glob(&pattern) {
            Ok(paths) => {
                let mut any = false;
                for entry in paths {
                    match entry {
                        Ok(path) => {
                            any = true;
                            visit(&path, true, 0, &mut seen_dirs, &mut seen_files, &mut out);
                        }
                        Err(e) => out
                            .passed_over
                            .push((e.path().to_path_buf(), e.error().to_string())),
                    }
                }
                if !any {
                    out.passed_over
                        .push((input.clone(), "the pattern matches nothing".into()));
                }
            }
            Err(e) => out
                .passed_over
                .push((input.clone(), format!("not a valid pattern: {e}"))),
        }
    }
    out.files.sort();
    out
}

fn visit(
    path: &Path,
    named: bool,
    depth: usize,
    seen_dirs: &mut HashSet<PathBuf>,
    seen_files: &mut HashSet<PathBuf>,
    out: &mut Collected,
) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            // A file named on the command line is reported when it is read; a dangling
            // link inside a directory is only passed over.
            if named {
                out.files.push(path.to_path_buf());
            } else {
                out.passed_over
                    .push((path.to_path_buf(), format!("cannot read: {e}")));
            }
            return;
        }
    };
    if !meta.is_dir() {
        // A pipe, socket or device inside a directory is never opened: reading one could
        // block for ever. Named on the command line, its row says what it is.
        if let Some(kind) = crate::input_file::special_kind(&meta)
            && !named
        {
            out.passed_over
                .push((path.to_path_buf(), format!("is {kind}, not a regular file")));
            return;
        }
        let wanted = named
            || path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| CERTIFICATE_ENDINGS.contains(&e.to_ascii_lowercase().as_str()));
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if wanted && seen_files.insert(key) {
            out.files.push(path.to_path_buf());
        }
        return;
    }
    let canonical = match std::fs::canonicalize(path) {
        Ok(c) => c,
        Err(e) => {
            out.passed_over
                .push((path.to_path_buf(), format!("cannot resolve: {e}")));
            return;
        }
    };
    if !seen_dirs.insert(canonical.clone()) {
        out.passed_over.push((
            path.to_path_buf(),
            format!(
                "already visited as {} (a symlink loop or a second link)",
                canonical.display()
            ),
        ));
        return;
    }
    if depth >= MAX_DEPTH {
        out.passed_over.push((
            path.to_path_buf(),
            format!("deeper than {MAX_DEPTH} levels"),
        ));
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            out.passed_over
                .push((path.to_path_buf(), format!("cannot list directory: {e}")));
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    children.sort();
    for child in children {
        visit(&child, false, depth + 1, seen_dirs, seen_files, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_directories_by_ending_and_survives_symlink_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/one.pem"), "x").unwrap();
        std::fs::write(root.join("a/b/two.CRT"), "x").unwrap();
        std::fs::write(root.join("a/notes.txt"), "x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("a"), root.join("a/b/loop")).unwrap();
        let c = collect(&[root.join("a")]);
        let names: Vec<_> = c
            .files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["two.CRT", "one.pem"]);
        #[cfg(unix)]
        assert!(
            c.passed_over
                .iter()
                .any(|(_, why)| why.contains("symlink loop"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn special_files_in_a_directory_are_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("one.pem"), "x").unwrap();
        let fifo = dir.path().join("pipe.pem");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let c = collect(&[dir.path().to_path_buf()]);
        assert_eq!(c.files, [dir.path().join("one.pem")]);
        assert!(
            c.passed_over
                .iter()
                .any(|(p, why)| *p == fifo && why.contains("named pipe")),
            "{:?}",
            c.passed_over
        );
    }

    #[test]
    fn globs_and_missing_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.pem"), "x").unwrap();
        std::fs::write(dir.path().join("y.key"), "x").unwrap();
        let pattern = dir.path().join("*.pem");
        let c = collect(&[
            pattern,
            dir.path().join("missing.pem"),
            dir.path().join("*.none"),
        ]);
        assert_eq!(c.files.len(), 2, "{:?}", c.files);
        assert_eq!(c.passed_over.len(), 1, "{:?}", c.passed_over);
    }
}
