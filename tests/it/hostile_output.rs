//! Output that cannot lie: values from a hostile certificate are shown, never acted on, in
//! every format; a command that cannot run still prints a JSON report.

use std::path::Path;

use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair};

use crate::support::{AT, python, tilicheck};

use tilicheck::pki::load::pem::ToPem;

/// A common name that tries to forge a report line, move the cursor and colour the terminal.
const FORGED_CN: &str = "ACME Oy\r\n  PASS   CERT-QWAC  forged line\x1b[2K\x1b[32m";
/// An organisation a spreadsheet would run as a formula.
const FORMULA_O: &str = "=HYPERLINK(\"http://127.0.0.1/x\",\"click\")";

pub(crate) fn write_hostile_cert(dir: &Path, cn: &str) -> std::path::PathBuf {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, DnValue::Utf8String(cn.into()));
    dn.push(
        DnType::OrganizationName,
        DnValue::Utf8String(FORMULA_O.into()),
    );
    params.distinguished_name = dn;
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let cert = params.self_signed(&key).expect("self-signed");
    let path = dir.join("hostile.pem");
    std::fs::write(&path, cert.to_pem()).expect("write cert");
    path
}

#[test]
fn a_forged_subject_cannot_print_a_report_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = write_hostile_cert(dir.path(), FORGED_CN);
    let out = tilicheck()
        .args(["cert", "--at", AT, "--color", "always"])
        .arg(&cert)
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!text.contains('\r'), "a raw CR reached the report:\n{text}");
    assert!(
        !text.contains("\x1b[2K") && !text.contains("\x1b[32m  PASS"),
        "the certificate's escape sequences reached the terminal:\n{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("PASS   CERT-QWAC  forged")),
        "a forged PASS line appears:\n{text}"
    );
    assert!(
        text.contains("ACME Oy\\r\\n  PASS   CERT-QWAC  forged line\\x1b[2K"),
        "the name is shown with visible escapes:\n{text}"
    );
    // Colour still works for what tilicheck itself prints.
    assert!(text.contains("\x1b[1m"));
}

#[test]
fn the_audit_table_and_csv_defuse_hostile_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_hostile_cert(dir.path(), FORMULA_O);
    let out = tilicheck()
        .args(["audit", "--at", AT, "--format", "csv"])
        .arg(dir.path())
        .output()
        .expect("run");
    let csv = String::from_utf8(out.stdout).expect("utf-8");
    let row = csv.lines().nth(1).expect("one row");
    // The common name is the fifth column; OWASP: quote it and prefix a single quote.
    assert!(
        row.contains(",\"'=HYPERLINK(\"\"http://127.0.0.1/x\"\",\"\"click\"\")\","),
        "formula not defused: {row}"
    );
    assert!(!row.contains(",=HYPERLINK"), "raw formula cell: {row}");

    write_hostile_cert(dir.path(), FORGED_CN);
    let out = tilicheck()
        .args(["audit", "--at", AT])
        .arg(dir.path())
        .output()
        .expect("run");
    let table = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!table.contains(['\r', '\x1b']), "{table}");
}

#[test]
fn html_and_junit_escape_hostile_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = write_hostile_cert(dir.path(), "<script>alert(1)</script>\x07");
    for format in ["html", "junit"] {
        let out = tilicheck()
            .args(["cert", "--at", AT, "--format", format])
            .arg(&cert)
            .output()
            .expect("run");
        let doc = String::from_utf8(out.stdout).expect("utf-8");
        assert!(
            !doc.contains("<script>alert"),
            "{format}: markup passed through"
        );
        assert!(
            doc.contains("&lt;script&gt;alert(1)&lt;/script&gt;\\x07"),
            "{format}"
        );
        assert!(
            !doc.contains('\x07'),
            "{format}: a control character XML cannot carry"
        );
    }
}

/// Python's jsonschema checks the report against the published schema.
pub fn validate_with_jsonschema(doc: &str) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    std::fs::write(&report, doc).expect("write report");
    python(
        "jsonschema against docs/report.schema.json",
        "import json,sys,jsonschema\n\
         s=json.load(open(sys.argv[1]))\n\
         jsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[2])))",
        [&schema, &report],
    );
}

#[test]
fn json_output_is_a_report_even_when_the_input_cannot_be_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.pem");
    for args in [
        vec!["cert".to_owned(), missing.display().to_string()],
        vec![
            "message".to_owned(),
            "validate".to_owned(),
            missing.display().to_string(),
        ],
    ] {
        let out = tilicheck()
            .args(&args)
            .args(["--at", AT, "--format", "json"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let doc = String::from_utf8(out.stdout).expect("utf-8");
        let v: serde_json::Value = serde_json::from_str(&doc).expect("a JSON report on stdout");
        assert_eq!(v["outcome"], "error");
        assert_eq!(v["exit_code"], 3);
        assert_eq!(v["error"]["kind"], "input");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("missing.pem")),
            "the message names the input: {doc}"
        );
        validate_with_jsonschema(&doc);
        // And the same message on standard error, for people.
        assert!(String::from_utf8_lossy(&out.stderr).contains("missing.pem"));
    }
}
