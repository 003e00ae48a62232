//! `tilicheck send` end to end against the simulator on loopback: the happy path, a
//! certificate Customs was never given, an oversize message, an injected 500, a dry run.

use std::path::Path;

use tilicheck::profile::Interface;
use tilicheck::simulator::supplier_registry::SupplierRegistry;

use crate::simulator::{Sim, start, start_with};
use crate::support::{fixture, output_text, tilicheck};

const CID: &str = "0b7c2f5e-3d1a-4c8e-9f6b-2a4d8e1c7b90";

/// A one-record update report from the DEMO supplier, written into `dir`.
pub(crate) fn minimal_report(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("report.json");
    let out = tilicheck()
        .args([
            "message",
            "generate",
            "--records",
            "1",
            "--business-id",
            "1234567-1",
            "-o",
        ])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    path
}

fn send(sim: &Sim, file: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = tilicheck()
        .arg("send")
        .arg(file)
        .args([
            "--endpoint",
            &format!("https://127.0.0.1:{}", sim.addr().port()),
        ])
        .arg("--cert")
        .arg(fixture("supplier-chain.pem"))
        .arg("--key")
        .arg(fixture("supplier.key"))
        .arg("--trust-only")
        .arg(fixture("root-ca.pem"))
        .args(["--offline", "--color", "never", "--correlation-id", CID])
        .args(extra)
        .output()
        .expect("runs");
    let text = output_text(&out);
    (out.status.code(), text)
}

#[test]
fn happy_path_is_stored_and_reported_200() {
    let sim = start(Interface::V3);
    let dir = tempfile::tempdir().unwrap();
    let report = minimal_report(dir.path());
    let (code, text) = send(&sim, &report, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("accepted: 200 OK"), "{text}");
    assert!(
        text.contains(&format!("X-Correlation-ID {CID} echoed")),
        "{text}"
    );
    assert!(text.contains("PASS   REG-CERT"), "{text}");
    let logged = sim.message(CID);
    assert_eq!(logged["accepted"], true, "{logged}");
}

#[test]
fn a_certificate_customs_was_never_given_is_explained() {
    // The register knows only the QWAC: the supplier's own certificate was never delivered.
    let sim = start_with(Interface::V3, |c| {
        c.registry = SupplierRegistry::load(&[fixture("qwac.pem")], vec![]).unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let report = minimal_report(dir.path());
    let (code, text) = send(&sim, &report, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL   SEND-ANSWER"), "{text}");
    assert!(
        text.contains("delivered to Customs") || text.contains("Forbidden"),
        "{text}"
    );
    // The rule's title is neutral: a refusal must not read as an acceptance.
    let line = text
        .lines()
        .find(|l| l.contains("FAIL   SEND-ANSWER"))
        .unwrap();
    assert!(!line.contains("accepted"), "{line}");
}

#[test]
fn an_injected_500_is_an_error_with_retry_advice() {
    let sim = start_with(Interface::V3, |c| c.faults.fail_every = Some(1));
    let dir = tempfile::tempdir().unwrap();
    let report = minimal_report(dir.path());
    let (code, text) = send(&sim, &report, &[]);
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("ERROR  SEND-ANSWER"), "{text}");
    assert!(text.contains("send the same message again later"), "{text}");
}

#[test]
fn an_oversize_message_is_not_sent() {
    let sim = start(Interface::V3);
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    let out = tilicheck()
        .args([
            "message",
            "generate",
            "--records",
            "200",
            "--business-id",
            "1234567-1",
            "-o",
        ])
        .arg(&big)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let (code, text) = send(&sim, &big, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL   MSG-SIZE"), "{text}");
    assert!(text.contains("not sent"), "{text}");
    assert!(!text.contains("SEND-ANSWER"), "{text}");
}

#[test]
fn dry_run_writes_the_request_and_sends_nothing() {
    let sim = start(Interface::V3);
    let dir = tempfile::tempdir().unwrap();
    let report = minimal_report(dir.path());
    let request = dir.path().join("request.http");
    let (code, text) = send(&sim, &report, &["--dry-run", request.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    let written = std::fs::read_to_string(&request).unwrap();
    assert!(
        written.starts_with("POST /v3/report-update/cat-2/ HTTP/1.1\r\n"),
        "{written}"
    );
    assert!(written.contains(&format!("X-Correlation-ID: {CID}")));
    let all = sim.api("/api/messages");
    assert_eq!(all.as_array().map(Vec::len), Some(0), "{all}");
}

#[test]
fn a_plain_http_endpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let report = minimal_report(dir.path());
    let out = tilicheck()
        .arg("send")
        .arg(&report)
        .args(["--endpoint", "http://127.0.0.1:9"])
        .arg("--cert")
        .arg(fixture("supplier-chain.pem"))
        .arg("--key")
        .arg(fixture("supplier.key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTPS only"));
}

/// A report split into several parts in `dir/parts`.
pub(crate) fn split_parts(dir: &Path, records: &str) -> std::path::PathBuf {
    let big = dir.join("big.json");
    let out = tilicheck()
        .args([
            "message",
            "generate",
            "--records",
            records,
            "--business-id",
            "1234567-1",
            "-o",
        ])
        .arg(&big)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let parts = dir.join("parts");
    let out = tilicheck()
        .args(["message", "split"])
        .arg(&big)
        .arg("--out")
        .arg(&parts)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    parts
}

pub(crate) fn part_count(parts: &Path) -> usize {
    std::fs::read_dir(parts)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("part-"))
        .count()
}

pub(crate) fn send_dir_command(sim: &Sim, parts: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("tilicheck"));
    for var in tilicheck::net::proxy::VARIABLES {
        c.env_remove(var);
    }
    c.arg("send")
        .arg(parts)
        .args([
            "--endpoint",
            &format!("https://127.0.0.1:{}", sim.addr().port()),
        ])
        .arg("--cert")
        .arg(fixture("supplier-chain.pem"))
        .arg("--key")
        .arg(fixture("supplier.key"))
        .arg("--trust-only")
        .arg(fixture("root-ca.pem"))
        .args(["--offline", "--color", "never", "--retry-delay", "0.05"]);
    c
}

pub(crate) fn journal(parts: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(parts.join(".tilicheck-send-journal.json"))
        .unwrap_or_else(|_| "{\"parts\":[]}".into());
    serde_json::from_str(&text).expect("the journal is always whole JSON")
}

pub(crate) fn acknowledged(j: &serde_json::Value) -> Vec<String> {
    j["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["state"] == "acknowledged")
        .map(|p| p["correlation_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_split_load_survives_injected_500s_by_retrying() {
    // Every second request fails: each part needs a retry now and then.
    let sim = start_with(Interface::V3, |c| c.faults.fail_every = Some(2));
    let dir = tempfile::tempdir().unwrap();
    let parts = split_parts(dir.path(), "600");
    let n = part_count(&parts);
    assert!(n >= 2, "{n} parts");
    let out = send_dir_command(&sim, &parts).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("retrying in"), "{text}");
    assert!(
        text.contains(&format!("all {n} parts sent one at a time")),
        "{text}"
    );
    assert_eq!(acknowledged(&journal(&parts)).len(), n);
    // Running again sends nothing: every part is acknowledged.
    let before = sim.api("/api/messages").as_array().unwrap().len();
    let again = send_dir_command(&sim, &parts).output().unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains("acknowledged earlier"));
    assert_eq!(sim.api("/api/messages").as_array().unwrap().len(), before);
}

#[test]
fn an_interrupted_split_send_resumes_without_resending_or_skipping() {
    // Slow answers give time to kill the sender mid-run.
    let sim = start_with(Interface::V3, |c| {
        c.faults.latency = Some(std::time::Duration::from_millis(250));
    });
    let dir = tempfile::tempdir().unwrap();
    let parts = split_parts(dir.path(), "900");
    let n = part_count(&parts);
    assert!(n >= 3, "{n} parts");
    let mut child = send_dir_command(&sim, &parts)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acknowledged(&journal(&parts)).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let early = acknowledged(&journal(&parts));
    assert!(!early.is_empty() && early.len() < n, "{early:?} of {n}");

    let out = send_dir_command(&sim, &parts).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let all = acknowledged(&journal(&parts));
    assert_eq!(all.len(), n);
    let messages = sim.api("/api/messages");
    let messages = messages.as_array().unwrap();
    for cid in &all {
        let accepted = messages
            .iter()
            .filter(|m| m["correlation_id"] == cid.as_str() && m["accepted"] == true)
            .count();
        // An acknowledged part is never sent again; the one in flight at the kill may have
        // been stored before its answer was lost, and its resend is answered as a replay.
        assert_eq!(accepted, 1, "{cid} stored {accepted} times");
    }
}

#[test]
fn an_expired_signing_certificate_is_not_used() {
    let sim = start(Interface::V3);
    let dir = tempfile::tempdir().unwrap();
    let report = minimal_report(dir.path());
    let expired = fixture("bad-expired.pem");
    let key = fixture("supplier.key");
    let (code, text) = send(
        &sim,
        &report,
        &[
            "--signing-cert",
            expired.to_str().unwrap(),
            "--signing-key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL   CERT-VALIDITY"), "{text}");
    assert!(text.contains("not sent"), "{text}");
    assert_eq!(sim.api("/api/messages").as_array().map(Vec::len), Some(0));
}

#[test]
fn a_wrong_sub_is_refused_by_the_register_and_explained() {
    // Signed with a certificate for another business ID (and a report in its name, which send
    // checks): the register, which holds that key under the supplier's certificate, answers 403.
    let sim = start(Interface::V3);
    let dir = tempfile::tempdir().unwrap();
    let report = report_from(dir.path(), Some("7654321-2"));
    let other = fixture("bad-wrong-id.pem");
    let key = fixture("supplier.key");
    let (code, text) = send(
        &sim,
        &report,
        &[
            "--signing-cert",
            other.to_str().unwrap(),
            "--signing-key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("FAIL   SEND-ANSWER"), "{text}");
    assert!(text.contains("403 Forbidden"), "{text}");
    assert!(
        text.contains("sub must be the signing certificate"),
        "{text}"
    );
}

#[test]
fn a_silent_server_and_a_server_that_is_not_tls_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let report = minimal_report(dir.path());
    for answer in [None, Some(&b"HTTP/1.1 400 Bad Request\r\n\r\n"[..])] {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                use std::io::{Read, Write};
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf);
                if let Some(a) = answer {
                    let _ = s.write_all(a);
                }
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
        });
        let start = std::time::Instant::now();
        let out = tilicheck()
            .arg("send")
            .arg(&report)
            .args(["--endpoint", &format!("https://127.0.0.1:{port}")])
            .arg("--cert")
            .arg(fixture("supplier-chain.pem"))
            .arg("--key")
            .arg(fixture("supplier.key"))
            .args(["--offline", "--color", "never", "--read-timeout", "1"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        assert_ne!(out.status.code(), Some(0), "{text}");
        assert!(text.contains("SEND-ANSWER"), "{text}");
        if answer.is_none() {
            assert!(
                text.contains("ERROR  SEND-ANSWER") && text.contains("no answer"),
                "{text}"
            );
        } else {
            assert!(
                text.contains("FAIL   SEND-ANSWER") && text.contains("handshake"),
                "{text}"
            );
        }
        server.join().unwrap();
    }
}

/// A one-record report whose sender is `sender` (or, with `None`, generated at random).
fn report_from(dir: &Path, sender: Option<&str>) -> std::path::PathBuf {
    let path = dir.join("other.json");
    let mut cmd = tilicheck();
    cmd.args(["message", "generate", "--records", "1", "-o"])
        .arg(&path);
    if let Some(s) = sender {
        cmd.args(["--business-id", s]);
    }
    let out = cmd.output().expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    path
}

#[test]
fn a_sender_that_is_not_the_signer_is_not_sent() {
    let sim = start(Interface::V3);
    let dir = tempfile::tempdir().unwrap();
    // Customs' own business ID: valid, but not the DEMO signer's.
    let report = report_from(dir.path(), Some("0245442-8"));
    let (code, text) = send(&sim, &report, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("not sent: the message would be rejected"),
        "{text}"
    );
    assert!(
        text.contains("/senderBusinessId: is 0245442-8, but the tokens are signed with 1234567-1's certificate"),
        "{text}"
    );
    assert_eq!(
        sim.api("/api/messages"),
        serde_json::json!([]),
        "nothing sent"
    );
}

#[test]
fn the_registers_field_errors_point_into_the_file() {
    // Under --strict-content the register's 400 lists content warnings as field errors, each
    // after its rule ID; send lets them go (the real register accepts them).
    let sim = start_with(Interface::V3, |c| {
        c.content = tilicheck::simulator::ContentPolicy::Reject
    });
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-data/tilirekisteri/v3/examples/report-update-v3-other.json");
    let mut report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(example).unwrap()).unwrap();
    report["senderBusinessId"] = serde_json::json!(crate::support::SUPPLIER_ID);
    let file = dir.path().join("example.json");
    std::fs::write(&file, report.to_string()).unwrap();
    let (code, text) = send(&sim, &file, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("400 Bad Request"), "{text}");
    assert!(
        text.contains("/privatePerson/birthDate, present in your file)"),
        "{text}"
    );
    assert!(!text.contains("(at /MSG-"), "a rule ID is no place: {text}");
}

#[test]
fn generate_takes_its_sender_from_the_certificate_or_says_it_will_be_refused() {
    let dir = tempfile::tempdir().unwrap();
    let generate = |args: &[&str]| {
        tilicheck()
            .args(["message", "generate", "--records", "1"])
            .args(args)
            .output()
            .expect("runs")
    };
    let out = generate(&[]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("generated at random")
            && err.contains("refuses a report that is not in its signer's name"),
        "{err}"
    );
    // Each written form of the DEMO supplier's identifier gives its business ID.
    for cert in ["supplier.pem", "supplier-vat.pem", "qwac.pem"] {
        let out = generate(&["--cert", cert]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        assert!(out.stderr.is_empty(), "{out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["senderBusinessId"], crate::support::SUPPLIER_ID, "{cert}");
    }
    assert_eq!(
        generate(&["--cert", "supplier.pem", "--business-id", "1234567-1"])
            .status
            .code(),
        Some(2)
    );
    let out = generate(&["--cert", "bad-no-id.pem"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    // What it generates in the certificate's name is accepted.
    let sim = start(Interface::V3);
    let report = dir.path().join("mine.json");
    let out = generate(&["--cert", "supplier.pem", "-o", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let (code, text) = send(&sim, &report, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(sim.message(CID)["accepted"], true);
}

#[test]
fn a_path_in_the_endpoint_is_honoured_when_it_is_an_endpoint_and_refused_otherwise() {
    let sim = start(Interface::V3);
    let dir = tempfile::tempdir().unwrap();
    let report = minimal_report(dir.path());
    let at = |path: &str| {
        let out = tilicheck()
            .arg("send")
            .arg(&report)
            .args([
                "--endpoint",
                &format!("https://127.0.0.1:{}{path}", sim.addr().port()),
            ])
            .arg("--cert")
            .arg(fixture("supplier-chain.pem"))
            .arg("--key")
            .arg(fixture("supplier.key"))
            .arg("--trust-only")
            .arg(fixture("root-ca.pem"))
            .args(["--offline", "--color", "never"])
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Not an endpoint: refused, naming the path and the endpoints there are.
    let (code, err) = at("/report/update/cat-1/");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("the path /report/update/cat-1/ is not an endpoint of interface v3")
            && err.contains("/v3/report-update/cat-2/"),
        "{err}"
    );
    // Another interface's endpoint: says which.
    let (code, err) = at("/report-update");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("add --interface v1.0.4"), "{err}");
    assert_eq!(
        sim.api("/api/messages"),
        serde_json::json!([]),
        "nothing sent"
    );

    // The category-1 endpoint: the report is judged and sent as category 1.
    let (code, err) = at("/v3/report-update/cat-1/");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("sent as update (category 1)"), "{err}");
    let logged = sim.api("/api/messages");
    assert_eq!(
        logged[0]["endpoint"], "POST /v3/report-update/cat-1/",
        "{logged}"
    );
    // ... and it must agree with --category.
    let out = tilicheck()
        .arg("send")
        .arg(&report)
        .args([
            "--endpoint",
            &format!(
                "https://127.0.0.1:{}/v3/report-update/cat-1/",
                sim.addr().port()
            ),
            "--category",
            "2",
        ])
        .arg("--cert")
        .arg(fixture("supplier-chain.pem"))
        .arg("--key")
        .arg(fixture("supplier.key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("but --category is 2"));
}
