//! Bounded work on every input: special files are refused before any read could block, key
//! derivation settings are capped before any work, and deep XML is refused before parsing.

use std::path::Path;
use std::time::Duration;

use crate::support::{AT, fixture, openssl, tilicheck};

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// `cert` on a FIFO with no writer used to block in open() for ever.
#[test]
fn a_fifo_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("supplier.pem");
    mkfifo(&fifo);
    let out = tilicheck()
        .args(["cert", "--at", AT])
        .arg(&fifo)
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("supplier.pem: is a named pipe (FIFO), not a regular file"),
        "{stderr}"
    );
    // The key option goes through the same door.
    let out = tilicheck()
        .args(["cert", "supplier.pem", "--at", AT, "--key"])
        .arg(&fifo)
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("named pipe (FIFO)"), "{stderr}");
}

/// `audit` of a directory holding a FIFO used to hang on it; now the FIFO is passed over and
/// the certificate beside it is audited.
#[test]
fn audit_walks_past_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("supplier.pem"), dir.path().join("supplier.pem")).unwrap();
    mkfifo(&dir.path().join("stuck.pem"));
    let out = tilicheck()
        .args(["audit", "--at", AT, "--format", "json"])
        .arg(dir.path())
        .timeout(Duration::from_secs(30))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report");
    let text = report.to_string();
    assert!(text.contains("supplier.pem"), "{text}");
    assert!(
        text.contains("stuck.pem") && text.contains("named pipe (FIFO)"),
        "the FIFO is named as passed over: {text}"
    );
    assert!(!text.contains("\"error\":\"cannot"), "{text}");
}
