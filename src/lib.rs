//! tilicheck: readiness checks for Finnish Customs' Bank and Payment Account Register
//! (Tilirekisteri) and the Tax Administration's Vero API.
//!
//! Data flows one way: *inputs* (files, network) → *facts* (what was observed) → *checks*
//! (facts compared with a [`profile`]) → [`findings`] → [`render`]ers. `main` only maps a
//! report to an exit code.

pub mod atomic_file;
pub mod audit;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod error;
pub mod findings;
pub mod identity;
pub mod input_file;
pub mod ledger;
pub mod message;
pub mod net;
pub mod pki;
pub mod profile;
pub mod render;
pub mod secret;
pub mod send;
pub mod simulator;
pub mod time_arg;
pub mod tls;
pub mod user_dirs;
pub mod vero;
pub mod xml;

#[cfg(test)]
mod layering {
    /// The library never reaches up into the command line (docs/architecture.md).
    #[test]
    fn only_commands_cli_and_main_import_them() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut pending = vec![src.clone()];
        let mut offenders = Vec::new();
        let mut files = 0;
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path
                    .strip_prefix(&src)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if path.is_dir() {
                    if rel != "commands" && rel != "cli" {
                        pending.push(path);
                    }
                    continue;
                }
                if rel == "main.rs" || rel == "cli.rs" || !rel.ends_with(".rs") {
                    continue;
                }
                files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let code = line.trim_start();
                    if code.starts_with("//") {
                        continue;
                    }
                    // Spelt in two pieces so that this line does not match itself.
                    let upward = [concat!("crate::", "commands"), concat!("crate::", "cli")];
                    if upward.iter().any(|u| code.contains(u)) {
                        offenders.push(format!("src/{rel}:{}: {code}", n + 1));
                    }
                }
            }
        }
        assert!(files > 100, "walked {files} files");
        assert!(offenders.is_empty(), "{offenders:#?}");
    }
}
