//! Hostile and broken lists, in the spawned binary: each gets a clear error or a failed
//! TL-SIGNATURE (exit 1 or 3), never a crash, and the other lists of the run are still
//! checked.

use tilicheck::profile::limits::{MAX_TRUSTED_LIST_BYTES, MAX_XML_DEPTH};

use super::*;

/// A list-shaped document nested `depth` elements deep inside SchemeInformation.
fn nested(depth: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?><TrustServiceStatusList xmlns=\"http://uri.etsi.org/02231/v2#\"><SchemeInformation>",
    );
    s.push_str(&"<a>".repeat(depth));
    s.push_str(&"</a>".repeat(depth));
    s.push_str("</SchemeInformation></TrustServiceStatusList>");
    s
}

/// Run `trusted-list` on the hostile file and on the real FI list beside it.
fn check_beside_fi(path: &Path) -> (i32, serde_json::Value) {
    check_lists(
        REAL_AT,
        &[
            path.to_str().expect("utf-8"),
            list("eu-lotl.xml").to_str().expect("utf-8"),
            list("TSL_FI.xml").to_str().expect("utf-8"),
        ],
    )
}

fn assert_refused(name: &str, path: &Path, expected: &str, code_wanted: i32) {
    let (code, report) = check_beside_fi(path);
    assert_eq!(code, code_wanted, "{name}: {report:#}");
    let (status, detail) = finding(&report, path.to_str().expect("utf-8"), "TL-SIGNATURE");
    assert!(status == "error" || status == "fail", "{name}: {status}");
    assert!(detail.contains(expected), "{name}: {detail}");
    assert!(
        detail.contains(path.to_str().expect("utf-8")) || status == "fail",
        "{name}: the error names the file: {detail}"
    );
    // The good list beside it is still checked.
    assert_eq!(
        finding(&report, "TSL_FI.xml", "TL-SIGNATURE").0,
        "pass",
        "{name}"
    );
}

#[test]
fn nesting_past_the_one_xml_depth_limit_is_an_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    for depth in [MAX_XML_DEPTH + 1, 20_000, 200_000] {
        let path = write(dir.path(), &format!("deep-{depth}.xml"), &nested(depth));
        assert_refused(
            &format!("depth {depth}"),
            &path,
            &format!("nested deeper than {MAX_XML_DEPTH} levels"),
            3,
        );
    }
    // Just inside the limit it is read (and fails for what it is: unsigned).
    let path = write(
        dir.path(),
        "deep-ok.xml",
        &nested(MAX_XML_DEPTH - 3).replace(
            "<SchemeInformation>",
            "<SchemeInformation><ListIssueDateTime>2026-01-01T00:00:00Z</ListIssueDateTime>",
        ),
    );
    assert_refused("within the limit", &path, "no XML signature", 1);
}

#[test]
fn entities_and_dtds_are_refused_before_any_expansion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE TrustServiceStatusList [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\"><!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">]><TrustServiceStatusList xmlns=\"http://uri.etsi.org/02231/v2#\"><SchemeInformation><SchemeTerritory>&h;</SchemeTerritory></SchemeInformation></TrustServiceStatusList>";
    let external = "<?xml version=\"1.0\"?><!DOCTYPE TrustServiceStatusList SYSTEM \"file:///etc/passwd\"><TrustServiceStatusList xmlns=\"http://uri.etsi.org/02231/v2#\"/>";
    for (name, xml) in [("laughs.xml", laughs), ("external.xml", external)] {
        let path = write(dir.path(), name, xml);
        assert_refused(name, &path, "DTD", 3);
    }
}

#[test]
fn a_100_mb_list_is_refused_by_its_size_before_it_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.xml");
    // Sparse: 100 MB on paper, nothing on disk. Refusing it from its size is the point.
    let f = std::fs::File::create(&path).expect("create");
    f.set_len(100 * 1024 * 1024).expect("size");
    const { assert!(100 * 1024 * 1024 > MAX_TRUSTED_LIST_BYTES) };
    assert_refused(
        "100 MB",
        &path,
        &format!("larger than {MAX_TRUSTED_LIST_BYTES} bytes"),
        3,
    );
}

#[test]
fn garbage_empty_and_foreign_files_get_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage.xml", garbage, "not UTF-8"),
        ("empty.xml", Vec::new(), "is empty"),
        ("blank.xml", b"  \n\t\n".to_vec(), "is empty"),
        (
            "truncated.xml",
            {
                let fi = std::fs::read(list("TSL_FI.xml")).expect("FI");
                fi[..fi.len() / 2].to_vec()
            },
            "not well-formed XML",
        ),
        (
            "html.xml",
            b"<html><body>Trusted list moved</body></html>".to_vec(),
            "not an ETSI TS 119 612 trusted list",
        ),
        (
            "pdf.xml",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
            "not UTF-8",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).expect("write");
        assert_refused(name, &path, expected, 3);
    }
    // A directory and a missing file too.
    assert_refused("directory", dir.path(), "is a directory", 3);
    assert_refused("missing", &dir.path().join("missing.xml"), "cannot read", 3);
}

#[test]
fn a_list_signed_by_an_expired_signer_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expired = tilicheck::pki::demo::trusted_lists::Signer::generate(
        "DEMO expired LOTL signer",
        KeyKind::EcP256,
        datetime!(2020-01-01 0:00 UTC),
        datetime!(2021-01-01 0:00 UTC),
    )
    .expect("signer");
    let pem = write(dir.path(), "expired.pem", &expired.cert_pem);
    let how = SignSpec {
        signature: tilicheck::pki::xmldsig::SignatureAlgorithm {
            scheme: tilicheck::pki::xmldsig::Scheme::Ecdsa,
            hash: tilicheck::pki::xmldsig::DigestAlgorithm::Sha256,
        },
        digest: tilicheck::pki::xmldsig::DigestAlgorithm::Sha256,
        ..SignSpec::default()
    };
    let xml = signed(
        &demo_lotl_spec(&expired.cert_der, "https://demo.invalid/x"),
        &expired,
        &how,
    );
    let path = write(dir.path(), "expired-signer.xml", &xml);
    let (code, report) = check_lists(
        "2030-01-01",
        &[
            "--lotl-signers",
            pem.to_str().expect("utf-8"),
            path.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 1);
    let (status, detail) = finding(&report, "expired-signer.xml", "TL-SIGNATURE");
    assert_eq!(status, "fail");
    assert!(
        detail.contains("valid 2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z")
            && detail.contains("issued 2029-12-01T00:00:00Z"),
        "{detail}"
    );
    // xmlsec1, given the expired certificate as trusted, refuses it too.
    let (ok, log) = xmlsec1_verifies(&path, Some(&pem));
    assert!(!ok, "{log}");
}

#[test]
fn a_lotl_flag_that_names_a_broken_file_stops_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "deep.xml", &nested(20_000));
    let out = crate::support::tilicheck()
        .args(["trusted-list", "--lotl"])
        .arg(&path)
        .arg(list("TSL_FI.xml"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("deep.xml") && err.contains("nested deeper than"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_named_pipe_is_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("tl.xml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    assert_refused(
        "fifo",
        &fifo,
        "is a named pipe (FIFO), not a regular file",
        3,
    );
}
