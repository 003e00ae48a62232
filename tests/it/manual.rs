//! `tilicheck man` and `tilicheck completions`: pages that groff renders without a warning, and
//! completion scripts that the shells themselves accept and complete with.

use std::process::Command;

use crate::support::tilicheck;

/// The commands `--help` lists, as the page names they must have.
fn commands_in_help() -> Vec<String> {
    let out = tilicheck().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // Wrapped descriptions are indented further than the command names.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(|name| format!("tilicheck-{name}.1"))
        .collect()
}

#[test]
fn man_writes_a_page_per_command_that_groff_renders_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = tilicheck().arg("man").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"tilicheck.1".to_owned()), "{names:?}");
    let expected = commands_in_help();
    assert!(expected.len() >= 14, "{expected:?}");
    for page in &expected {
        assert!(names.contains(page), "{page} missing from {names:?}");
    }
    // Nested commands get their own pages too.
    assert!(names.contains(&"tilicheck-message-sign.1".to_owned()));
    assert!(
        names.iter().all(|n| !n.starts_with(".tilicheck-")),
        "temporary files left: {names:?}"
    );

    for name in &names {
        let path = dir.path().join(name);
        // groff is the oracle: -ww turns on every warning, -z only checks. -K utf8 reads the
        // page as man(1) does (through preconv).
        let groff = Command::new("groff")
            .args(["-K", "utf8", "-man", "-Tutf8", "-ww", "-z"])
            .arg(&path)
            .output()
            .expect("groff is installed");
        assert!(groff.status.success(), "{name}: {groff:?}");
        assert_eq!(String::from_utf8_lossy(&groff.stderr), "", "{name} warns");
    }
    let cert_page = Command::new("groff")
        .args([
            "-K", "utf8", "-man", "-Tascii", "-P", "-c", "-P", "-b", "-P", "-u",
        ])
        .arg(dir.path().join("tilicheck-cert.1"))
        .output()
        .unwrap();
    let cert_page = String::from_utf8_lossy(&cert_page.stdout);
    assert!(cert_page.contains("--business-id"), "{cert_page}");
    assert!(
        cert_page.contains("against the register's rules"),
        "{cert_page}"
    );
}

#[test]
fn man_without_a_directory_prints_the_main_page() {
    let out = tilicheck().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.starts_with(".ie"), "{}", &page[..page.len().min(200)]);
    assert!(page.contains(".TH tilicheck 1"), "{page}");
}

#[test]
fn man_into_an_unwritable_place_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = tilicheck().arg("man").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a-file") && err.contains("cannot create the directory"),
        "{err}"
    );
}

#[test]
fn completion_scripts_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = tilicheck().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("register-cert"), "{shell}: {script}");
    }
    let out = tilicheck().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn bash_completes_commands_and_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("tilicheck.bash");
    let out = tilicheck().args(["completions", "bash"]).output().unwrap();
    std::fs::write(&script, &out.stdout).unwrap();
    // bash itself is the oracle: the script parses, and its completion function answers.
    let complete = |words: &str, cword: usize| {
        let prog = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; \
             _tilicheck tilicheck \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; \
             echo \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = Command::new("bash").args(["-c", &prog]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(complete("tilicheck mes", 1).trim(), "message");
    let sub = complete("tilicheck message s", 2);
    assert_eq!(
        sub.split_whitespace().collect::<Vec<_>>(),
        ["sign", "split"],
        "{sub}"
    );
    let opts = complete("tilicheck cert --bus", 2);
    assert_eq!(opts.trim(), "--business-id");
}
