//! NIST PKITS, sections 4.1 to 4.16, at the default settings: every test run through
//! `tilicheck cert`, the table printed, the agreement pinned.
//!
//! A test's path is accepted when CERT-ISSUER and CERT-REVOCATION both pass: revocation is
//! part of RFC 5280 path validation, and an unknown revocation status is never a pass. Each
//! test's CRLs are handed in with `--crl` and `--offline`, so they are the only revocation
//! source.

use std::path::{Path, PathBuf};

use crate::revocation::finding;
use crate::support::tilicheck;

/// Inside every PKITS certificate's and CRL's validity (2010 to 2030).
const AT: &str = "2021-06-01";

/// The figures this build reaches; a change in either direction must be looked at.
const AGREED: usize = 222;
/// CERT-ISSUER alone against the expectation (revocation ignored): a diagnostic figure.
const PATH_ALONE_AGREED: usize = 176;
/// CERT-ISSUER alone on the tests whose verdict does not hang on a CRL (see `needs_crl`):
/// every one agrees but the out-of-scope DSA paths.
const NON_CRL_TESTS: usize = 148;
const NON_CRL_PATH_AGREED: usize = 146;

/// The sections whose verdicts are revocation verdicts: 4.4 (basic CRL processing), 4.5
/// (self-issued CRL signers), 4.7.4-4.7.5 (cRLSign), 4.14 (distribution points), 4.15 (delta
/// CRLs).
fn needs_crl(id: &str) -> bool {
    ["4.4.", "4.5.", "4.14.", "4.15."]
        .iter()
        .any(|s| id.starts_with(s))
        || id == "4.7.4"
        || id == "4.7.5"
}
const OUT_OF_SCOPE: usize = 3;
/// Agreement (path and revocation) on the 76 tests of the CRL sections (see `needs_crl`).
const CRL_SECTIONS_AGREED: usize = 76;

#[derive(Debug)]
struct Case {
    id: String,
    valid: bool,
    /// None when in scope, else why not.
    out_of_scope: Option<String>,
    title: String,
    certs: Vec<String>,
    crls: Vec<String>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pkits")
}

fn cases() -> Vec<Case> {
    let table = std::fs::read_to_string(dir().join("tests.tsv")).expect("tests.tsv");
    table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 6, "bad row {l:?}");
            Case {
                id: cols[0].to_owned(),
                valid: match cols[1] {
                    "valid" => true,
                    "invalid" => false,
                    other => panic!("bad expectation {other:?} in {l:?}"),
                },
                out_of_scope: (cols[2] != "in").then(|| cols[2].to_owned()),
                title: cols[3].to_owned(),
                certs: cols[4].split(' ').map(str::to_owned).collect(),
                crls: cols[5].split(' ').map(str::to_owned).collect(),
            }
        })
        .collect()
}

struct Outcome {
    issuer: String,
    revocation: String,
    /// The first words of why, for the table.
    why: String,
}

impl Outcome {
    fn accepted(&self) -> bool {
        self.issuer == "pass" && self.revocation == "pass"
    }
}

fn run(case: &Case, work: &Path) -> Outcome {
    let (target, pool) = case.certs.split_last().expect("a target");
    // The other certificates of the test as one PEM file: the path builder picks from it.
    let mut chain = String::new();
    for name in pool {
        let der = std::fs::read(dir().join("certs").join(format!("{name}.crt"))).expect("cert");
        chain.push_str(&pem("CERTIFICATE", &der));
    }
    let chain_file = work.join(format!("{}-chain.pem", case.id));
    std::fs::write(&chain_file, chain).expect("write chain");
    let mut cmd = tilicheck();
    cmd.current_dir(work)
        .env_remove("TILICHECK_TRUST")
        .arg("cert")
        .arg(dir().join("certs").join(format!("{target}.crt")))
        .arg("--trust-only")
        .arg(dir().join("certs/TrustAnchorRootCertificate.crt"))
        .args(["--at", AT, "--offline", "--format", "json"]);
    if !pool.is_empty() {
        cmd.arg("--chain").arg(&chain_file);
    }
    for crl in &case.crls {
        cmd.arg("--crl")
            .arg(dir().join("crls").join(format!("{crl}.crl")));
    }
    let out = cmd.output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON report ({e}); stderr: {}",
            case.id,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let issuer = finding(&json, "CERT-ISSUER");
    let revocation = finding(&json, "CERT-REVOCATION");
    let why = if issuer.status != "pass" {
        issuer.detail.clone()
    } else {
        revocation.detail.clone()
    };
    Outcome {
        issuer: issuer.status,
        revocation: revocation.status,
        why: why.chars().take(110).collect(),
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    tilicheck::pki::load::pem::encode(label, der)
}

#[test]
fn pkits_agreement_is_pinned() {
    let cases = cases();
    assert_eq!(cases.len(), 224, "every test of 4.1 to 4.16");
    for case in &cases {
        for name in &case.certs {
            assert!(
                dir().join("certs").join(format!("{name}.crt")).is_file(),
                "{name}"
            );
        }
        for name in &case.crls {
            assert!(
                dir().join("crls").join(format!("{name}.crl")).is_file(),
                "{name}"
            );
        }
    }
    let work = tempfile::tempdir().expect("tempdir");
    // Two workers: each case is one process.
    let (left, right) = cases.split_at(cases.len() / 2);
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let a = s.spawn(|| left.iter().map(|c| run(c, work.path())).collect::<Vec<_>>());
        let b = s.spawn(|| {
            right
                .iter()
                .map(|c| run(c, work.path()))
                .collect::<Vec<_>>()
        });
        let mut all = a.join().expect("worker");
        all.extend(b.join().expect("worker"));
        all
    });

    let mut table = String::from(
        "test     expected  tilicheck  agree  CERT-ISSUER CERT-REVOCATION  title / why\n",
    );
    let (mut agreed, mut out_of_scope, mut invalid, mut invalid_rejected) = (0, 0, 0, 0);
    let (mut path_alone, mut non_crl, mut non_crl_agreed) = (0, 0, 0);
    let (mut crl_tests, mut crl_agreed) = (0, 0);
    let mut in_scope_invalid_accepted = Vec::new();
    for (case, o) in cases.iter().zip(&outcomes) {
        let agree = o.accepted() == case.valid;
        agreed += usize::from(agree);
        let path_agrees = (o.issuer == "pass") == case.valid;
        path_alone += usize::from(path_agrees);
        if needs_crl(&case.id) {
            crl_tests += 1;
            crl_agreed += usize::from(agree);
        } else {
            non_crl += 1;
            non_crl_agreed += usize::from(path_agrees);
        }
        if !case.valid {
            invalid += 1;
            invalid_rejected += usize::from(!o.accepted());
            if o.accepted() && case.out_of_scope.is_none() {
                in_scope_invalid_accepted.push(case.id.clone());
            }
        }
        let note = match &case.out_of_scope {
            Some(why) => {
                out_of_scope += 1;
                format!("OUT OF SCOPE: {why}")
            }
            None if agree => case.title.clone(),
            None => format!("{} -- {}", case.title, o.why),
        };
        table.push_str(&format!(
            "{:<8} {:<9} {:<10} {:<6} {:<11} {:<16} {note}\n",
            case.id,
            if case.valid { "valid" } else { "invalid" },
            if o.accepted() { "valid" } else { "invalid" },
            if agree { "yes" } else { "NO" },
            o.issuer,
            o.revocation,
        ));
    }
    let total = cases.len();
    table.push_str(&format!(
        "agreement: {agreed} of {total} ({:.1} %); invalid paths rejected: {invalid_rejected} of {invalid}; out of scope: {out_of_scope}\n\
         CERT-ISSUER alone: {path_alone} of {total}; on the {non_crl} tests that need no CRL: {non_crl_agreed} ({:.1} %); on the {crl_tests} that do: {crl_agreed} agree\n",
        100.0 * agreed as f64 / total as f64,
        100.0 * non_crl_agreed as f64 / non_crl as f64
    ));
    println!("{table}");
    assert_eq!(out_of_scope, OUT_OF_SCOPE, "{table}");
    assert_eq!(agreed, AGREED, "the PKITS agreement moved:\n{table}");
    assert_eq!(path_alone, PATH_ALONE_AGREED, "{table}");
    assert_eq!(non_crl, NON_CRL_TESTS, "{table}");
    assert_eq!(non_crl_agreed, NON_CRL_PATH_AGREED, "{table}");
    assert_eq!(crl_tests, 76, "{table}");
    assert_eq!(crl_agreed, CRL_SECTIONS_AGREED, "{table}");
}
