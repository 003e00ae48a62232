//! EU trusted lists: the real LOTL, FI, SE and EE lists (unchanged copies in
//! testdata/trusted-lists), tampered and wrapped copies made here, and DEMO lists signed by the
//! committed generator with every supported algorithm. xmlsec1 is the oracle for every
//! signature; where tilicheck refuses what xmlsec1 accepts, the test says why.

mod auto;
mod hostile;
mod qualify;
mod real;
mod signatures;

use std::path::{Path, PathBuf};
use std::process::Command;

use tilicheck::pki::demo::trusted_lists::{
    KeyKind, ListSpec, PointerSpec, ServiceSpec, SignSpec, Signer, sign_list, write_list,
};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::support::output_text;

/// The check time for the real lists: every one of them is current then.
pub const REAL_AT: &str = "2026-09-01";

pub fn lists() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/trusted-lists")
}

pub fn list(name: &str) -> PathBuf {
    lists().join(name)
}

/// xmlsec1's verdict on a signed list: with the signer certificate as the trusted anchor, or
/// (`None`) with `--insecure`, which checks the signature and skips the signer's chain (as
/// testdata/trusted-lists/SOURCE.md describes for the real lists).
pub fn xmlsec1_verifies(file: &Path, trusted_pem: Option<&Path>) -> (bool, String) {
    let mut cmd = Command::new("xmlsec1");
    cmd.args([
        "--verify",
        "--enabled-reference-uris",
        "empty,same-doc",
        "--id-attr:Id",
        "TrustServiceStatusList",
        "--id-attr:Id",
        "SchemeInformation",
    ]);
    match trusted_pem {
        Some(p) => cmd.arg("--trusted-pem").arg(p),
        None => cmd.arg("--insecure"),
    };
    let out = cmd
        .arg(file)
        .output()
        .expect("xmlsec1 is installed (Debian package xmlsec1; .ci/run installs it)");
    (out.status.success(), output_text(&out))
}

/// `tilicheck --format json trusted-list ARGS…` at `at`: exit code and report.
pub fn check_lists(at: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let out = crate::support::tilicheck()
        .args(["trusted-list", "--format", "json", "--at", at])
        .args(args)
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), report)
}

/// The status and detail of `rule` for the subject whose input ends with `input`.
pub fn finding(report: &serde_json::Value, input: &str, rule: &str) -> (String, String) {
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == rule && f["input"].as_str().is_some_and(|i| i.ends_with(input)))
        .unwrap_or_else(|| panic!("no {rule} for {input} in {report:#}"));
    (
        f["status"].as_str().expect("status").to_owned(),
        f["detail"].as_str().expect("detail").to_owned(),
    )
}

/// Validity of the DEMO signers: the DEMO PKI's window.
pub const SIGNER_FROM: OffsetDateTime = datetime!(2025-01-01 0:00 UTC);
pub const SIGNER_TO: OffsetDateTime = datetime!(2099-12-31 23:59:59 UTC);
/// When the DEMO lists are issued, and until when they are current.
pub const ISSUED: OffsetDateTime = datetime!(2029-12-01 0:00 UTC);
pub const NEXT_UPDATE: OffsetDateTime = datetime!(2030-06-01 0:00 UTC);

pub fn signer(name: &str, kind: KeyKind) -> Signer {
    Signer::generate(name, kind, SIGNER_FROM, SIGNER_TO).expect("DEMO signer")
}

/// A DEMO LOTL with one pointer (for FI, signed by `tl_signer`).
pub fn demo_lotl_spec(tl_signer: &[u8], location: &str) -> ListSpec {
    ListSpec {
        territory: "EU".into(),
        operator: "DEMO European Commission".into(),
        sequence: 7,
        issued: ISSUED,
        next_update: Some(NEXT_UPDATE),
        lotl: true,
        pointers: vec![PointerSpec {
            territory: "FI".into(),
            location: location.into(),
            signers: vec![tl_signer.to_vec()],
        }],
        services: Vec::new(),
    }
}

/// A DEMO national list for FI with the given services, current at the tests' check time.
pub fn demo_fi(services: Vec<ServiceSpec>) -> ListSpec {
    ListSpec {
        territory: "FI".into(),
        operator: "DEMO Liikenne- ja viestintävirasto".into(),
        sequence: 3,
        issued: ISSUED,
        next_update: Some(NEXT_UPDATE),
        lotl: false,
        pointers: Vec::new(),
        services,
    }
}

/// Write `xml` to `dir/name` and return the path.
pub fn write(dir: &Path, name: &str, xml: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, xml).expect("write list");
    p
}

/// Sign `spec` with `signer` as `how` says.
pub fn signed(spec: &ListSpec, signer: &Signer, how: &SignSpec) -> String {
    sign_list(&write_list(spec), signer, how, ISSUED).expect("signs")
}
