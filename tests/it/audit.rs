//! `tilicheck audit`: the table, its formats, thresholds, a few thousand certificates, and
//! files that cannot be read.

use std::path::Path;

use predicates::prelude::*;
use tilicheck::pki::demo::bulk::{BulkOptions, write_bulk};
use tilicheck::time_arg::parse_check_time;

use crate::support::{AT, fixture, openssl, tilicheck};

fn bulk(dir: &Path, count: usize, first_expiry: &str, spread_days: i64) {
    write_bulk(
        dir,
        BulkOptions {
            count,
            first_expiry: parse_check_time(first_expiry).expect("date"),
            spread_days,
        },
    )
    .expect("bulk certificates written");
}

fn json(args: &[&str], dir: &Path) -> (Option<i32>, serde_json::Value) {
    let out = tilicheck()
        .current_dir(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), doc)
}

#[test]
fn the_fixture_set_in_every_format() {
    let (code, doc) = json(&["audit", ".", "--at", AT], &fixture(""));
    assert_eq!(code, Some(1), "bad variants fail");
    let rows = doc["rows"].as_array().expect("rows");
    // Chain files repeat certificates: each is listed once, with every file it is in.
    assert_eq!(rows.len(), 39);
    let service_ca = rows
        .iter()
        .find(|r| r["common_name"] == "DEMO DVV Service Certificates - G5R")
        .expect("service CA row");
    assert_eq!(service_ca["paths"].as_array().map(Vec::len), Some(4));
    assert_eq!(service_ca["is_ca"], true);
    let expired = &rows[0];
    assert_eq!(expired["paths"][0], "./bad-expired.pem");
    assert_eq!(expired["status"], "fail");
    assert!(
        expired["failing_rules"]
            .as_array()
            .expect("rules")
            .contains(&"CERT-VALIDITY".into())
    );
    let supplier = rows
        .iter()
        .find(|r| {
            r["paths"]
                .as_array()
                .is_some_and(|p| p.contains(&"./supplier.pem".into()))
        })
        .expect("supplier row");
    assert_eq!(supplier["order_by"], "2099-11-24", "expiry - 7 - 30 days");
    assert_eq!(doc["lead_times"].as_array().map(Vec::len), Some(2));

    let csv = tilicheck()
        .args(["audit", ".", "--at", AT, "--format", "csv"])
        .output()
        .expect("runs");
    let csv = String::from_utf8(csv.stdout).expect("UTF-8");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(tilicheck::render::audit::CSV_HEADER));
    assert_eq!(lines.count(), 39);
    assert!(
        csv.contains("\"C=FI, O=DEMO Digi- ja vaestotietovirasto CA"),
        "quoted commas"
    );

    let html = tilicheck()
        .args(["audit", ".", "--at", AT, "--format", "html"])
        .output()
        .expect("runs");
    let html = String::from_utf8(html.stdout).expect("UTF-8");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(html.contains("<svg id=\"timeline\"") && html.contains("<table id=\"audit\">"));
    assert!(!html.contains("<script"));
}

#[test]
fn exit_codes_at_each_threshold() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Expiring 30 days after the check time.
    bulk(dir.path(), 1, "2030-01-31", 1);
    let audit = |extra: &[&str]| {
        let mut cmd = tilicheck();
        cmd.current_dir(dir.path())
            .args([
                "audit",
                ".",
                "--at",
                AT,
                "--purpose",
                "signing",
                "--trust",
                "bulk-ca.pem",
            ])
            .args(extra);
        cmd.output().expect("runs").status.code()
    };
    assert_eq!(
        audit(&[]),
        Some(0),
        "30 days: warn (under 60), not fail (14)"
    );
    assert_eq!(audit(&["--strict"]), Some(1));
    assert_eq!(audit(&["--warn-days", "20"]), Some(0));
    assert_eq!(
        audit(&["--warn-days", "20", "--strict"]),
        Some(0),
        "ok: nothing to warn"
    );
    assert_eq!(audit(&["--fail-days", "31"]), Some(1));
    assert_eq!(
        audit(&["--fail-days", "90"]),
        Some(2),
        "fail-days above warn-days"
    );
}

#[test]
fn a_few_thousand_certificates_sorted_by_urgency() {
    let dir = tempfile::tempdir().expect("tempdir");
    bulk(dir.path(), 3000, "2030-01-10", 400);
    let (code, doc) = json(
        &[
            "audit",
            ".",
            "--at",
            AT,
            "--purpose",
            "signing",
            "--trust",
            "bulk-ca.pem",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(1), "some expire within 14 days");
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3001, "3000 leaves and the CA");
    let days: Vec<i64> = rows
        .iter()
        .filter_map(|r| r["days_left"].as_i64())
        .collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]), "sorted by days left");
    assert_eq!(days[0], 9);
    assert_eq!(doc["counts"]["files_read"], 3001);
    let fails = rows.iter().filter(|r| r["status"] == "fail").count();
    // Offsets 0..=4 of every 400-day cycle expire within 14 days of the check time.
    assert_eq!(fails, 5 * 8);
}

#[test]
fn unreadable_files_are_rows_and_the_audit_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    bulk(&dir.path().join("good"), 3, "2031-01-01", 10);
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).expect("mkdir");
    // A PKCS#12 with a password we do not give the audit.
    openssl(
        &[
            "pkcs12",
            "-export",
            "-in",
            fixture("supplier.pem").to_str().expect("path"),
            "-inkey",
            fixture("supplier.key").to_str().expect("path"),
            "-passout",
            "pass:elsewhere",
            "-out",
            "locked.p12",
        ],
        &bad,
        &[],
    );
    // 100 MB that is not a certificate.
    let big = std::fs::File::create(bad.join("huge.pem")).expect("create");
    big.set_len(100 * 1024 * 1024).expect("sparse file");
    std::fs::write(
        bad.join("truncated.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIB\n",
    )
    .expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path(), bad.join("loop")).expect("symlink");
    let (code, doc) = json(
        &[
            "audit",
            "good",
            "bad",
            "missing.pem",
            "--at",
            AT,
            "--purpose",
            "signing",
            "--trust",
            "good/bulk-ca.pem",
        ],
        dir.path(),
    );
    assert_eq!(
        code,
        Some(3),
        "nothing failed, but files could not be read: {doc}"
    );
    let errors: Vec<String> = doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["status"] == "error")
        .map(|r| format!("{} {}", r["paths"][0], r["error"]))
        .collect();
    assert_eq!(errors.len(), 4, "{errors:?}");
    for needle in ["locked.p12", "huge.pem", "truncated.pem", "missing.pem"] {
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "{needle}: {errors:?}"
        );
    }
    assert_eq!(doc["counts"]["ok"], 4, "3 certificates and their CA");
    #[cfg(unix)]
    assert!(
        doc["passed_over"]
            .as_array()
            .expect("passed over")
            .iter()
            .any(|p| p["reason"]
                .as_str()
                .is_some_and(|r| r.contains("symlink loop")))
    );
}

#[test]
fn the_text_table_names_the_lead_times() {
    tilicheck()
        .args(["audit", "supplier.pem", "bad-expired.pem", "--at", AT])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Order by = expiry − 7 days"))
        .stdout(predicate::str::contains("CERT-VALIDITY"));
}

#[test]
fn an_untrusted_issuer_fails_cert_issuer_in_the_audit() {
    let dir = tempfile::tempdir().expect("tempdir");
    bulk(dir.path(), 2, "2031-01-01", 10);
    // Only the DEMO anchors of the test environment: the bulk CA is not among them.
    let (code, doc) = json(
        &["audit", ".", "--at", AT, "--purpose", "signing"],
        dir.path(),
    );
    assert_eq!(code, Some(1));
    let leaves: Vec<&serde_json::Value> = doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["is_ca"] == false)
        .collect();
    assert_eq!(leaves.len(), 2);
    for row in leaves {
        assert_eq!(
            row["failing_rules"],
            serde_json::json!(["CERT-ISSUER"]),
            "{row}"
        );
    }
}

#[test]
fn endpoints_are_audited_by_the_certificate_they_present() {
    let live = crate::tls_servers::rustls_server();
    let closed = crate::tls_servers::free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("endpoints.txt"),
        format!("# the register and a dead one\n{live}\n\n127.0.0.1:{closed}  # nothing listens\n"),
    )
    .expect("write");
    let (code, doc) = json(
        &[
            "audit",
            "--endpoints",
            "endpoints.txt",
            "--at",
            AT,
            "--purpose",
            "tls",
            "--connect-timeout",
            "1",
        ],
        dir.path(),
    );
    assert_eq!(
        code,
        Some(3),
        "nothing failed, one endpoint could not be reached: {doc}"
    );
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{doc}");
    let register = rows
        .iter()
        .find(|r| r["paths"][0] == live.to_string())
        .expect("the live endpoint's row");
    assert_eq!(register["identifier"], "FI02454428");
    assert!(
        !register["failing_rules"]
            .as_array()
            .expect("rules")
            .contains(&"CERT-ISSUER".into())
    );
    let dead = rows
        .iter()
        .find(|r| r["paths"][0] == format!("127.0.0.1:{closed}"))
        .expect("the dead endpoint's row");
    assert_eq!(dead["status"], "error");
    assert!(dead["error"].as_str().is_some_and(|e| !e.is_empty()));
}
