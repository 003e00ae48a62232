//! `tilicheck readiness --config FILE` against the simulator, and its configuration errors.

use std::path::Path;

use tilicheck::profile::Interface;

use crate::simulator::start;
use crate::support::{fixture, tilicheck};

fn config(dir: &Path, port: u16, extra: &str) -> std::path::PathBuf {
    let f = |n: &str| fixture(n).display().to_string();
    let text = format!(
        "endpoint = \"https://127.0.0.1:{port}\"\nbusiness_id = \"1234567-1\"\ngo_live = \"2027-03-01\"\n{extra}\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n[trust]\ntrust_only = [\"{}\"]\noffline = true\n",
        f("supplier-chain.pem"),
        f("supplier.key"),
        f("root-ca.pem"),
    );
    let path = dir.join("tilicheck.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn readiness_runs_cert_tls_and_send_in_one_report() {
    let sim = start(Interface::V3);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), sim.addr().port(), "");
    let out = tilicheck()
        .args(["readiness", "--color", "never", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("checked at 2027-03-01"), "{text}");
    assert!(text.contains("PASS   CERT-VALIDITY"), "{text}");
    assert!(text.contains("PASS   REG-CERT"), "{text}");
    assert!(text.contains("accepted: 200 OK"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
}

#[test]
fn configuration_errors_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let run = |cfg: &Path| {
        let out = tilicheck()
            .args(["readiness", "--config"])
            .arg(cfg)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let cfg = config(dir.path(), 9, "certificat = \"x\"");
    let (code, err) = run(&cfg);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("certificat"), "{err}");
    let cfg = config(dir.path(), 9, "go_live = \"soon\"");
    assert!(run(&cfg).1.contains("go_live") || run(&cfg).1.contains("duplicate"));
    let cfg = config(dir.path(), 9, "business_id = \"1234567-2\"");
    assert!(run(&cfg).1.contains("business_id"));

    // The template parses; its placeholder files are named by setting.
    let tpl = dir.path().join("t.toml");
    let out = tilicheck()
        .args(["readiness", "init"])
        .arg(&tpl)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let (code, err) = run(&tpl);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("setting `tls.cert`"), "{err}");
    // init refuses to overwrite.
    let again = tilicheck()
        .args(["readiness", "init"])
        .arg(&tpl)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}
