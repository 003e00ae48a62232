//! `tilicheck vero serve-pki` as a process, with `vero new` run against it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::{json_run, status};
use crate::support::tilicheck;

/// Kills the server when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_pki_issues_to_vero_new() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_tilicheck"))
            .args([
                "vero",
                "serve-pki",
                "--listen",
                "127.0.0.1:0",
                "--ca-out",
                "ca.pem",
            ])
            .args(["--service-ca-out", "service-ca.pem", "--pending-polls", "0"])
            .args(["--transfer-id", "T-42", "--transfer-password-env", "PW"])
            .args(["--customer-id", "7654321-2"])
            .env("PW", "secret-42")
            .current_dir(d)
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve-pki starts"),
    );
    let stderr = child.0.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("serve-pki announces its URL");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("https://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in '{line}'"))
        .trim_end_matches([';', ','])
        .to_owned();
    assert!(line.contains("DEMO"), "{line}");

    let (r, code) = json_run(
        tilicheck()
            .current_dir(d)
            .env("TID", "T-42")
            .env("TPW", "secret-42")
            .args([
                "vero",
                "new",
                "--customer-id",
                "7654321-2",
                "--environment",
                "test",
            ])
            .args(["--transfer-id-env", "TID", "--transfer-password-env", "TPW"])
            .args([
                "--service-url",
                &url,
                "--ca",
                "ca.pem",
                "--service-ca",
                "service-ca.pem",
            ])
            .args(["--out-dir", "out", "--poll-interval", "0"]),
    );
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "VERO-ISSUER"), "pass");
    assert_eq!(status(&r, "VERO-RESPONSE-SIGNATURE"), "pass");
    assert!(d.join("out/vero.pem").is_file());
}

#[test]
fn serve_pki_refuses_a_non_loopback_address() {
    tilicheck()
        .args([
            "vero",
            "serve-pki",
            "--listen",
            "0.0.0.0:0",
            "--ca-out",
            "x.pem",
        ])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("loopback only"));
}
