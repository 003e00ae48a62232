//! XML signatures checked by an independent implementation, xmlsec1: ours verify in
//! xmlsec1, and xmlsec1's (indented, default-namespace ds) verify in ours.

use std::path::Path;
use std::process::Command;

use tilicheck::vero::dsig::{DsigError, verify_enveloped};

use crate::support::{openssl, output_text};

fn xmlsec1(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new("xmlsec1")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("xmlsec1 is installed (Debian package xmlsec1; .ci/run installs it)");
    (out.status.success(), output_text(&out))
}

/// Verify `xml` with xmlsec1 against the signer certificate `cert_pem`.
pub fn xmlsec1_verifies(xml: &str, cert_pem: &Path) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("signed.xml"), xml).expect("write");
    xmlsec1(
        &[
            "--verify",
            "--pubkey-cert-pem",
            cert_pem.to_str().expect("utf-8"),
            "signed.xml",
        ],
        dir.path(),
    )
}

#[test]
fn a_signature_made_by_xmlsec1_verifies_here_and_tampering_is_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
            "-subj",
            "/CN=DEMO IR Services",
            "-days",
            "30",
        ],
        d,
        &[],
    );
    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/vero/response-template.xml");
    let (ok, log) = xmlsec1(
        &[
            "--sign",
            "--privkey-pem",
            "k.pem,c.pem",
            "--output",
            "signed.xml",
            template.to_str().expect("utf-8"),
        ],
        d,
    );
    assert!(ok, "{log}");
    let signed = std::fs::read_to_string(d.join("signed.xml")).expect("signed");
    let signer = verify_enveloped(&signed).expect("xmlsec1's signature verifies here");
    assert_eq!(signer.facts.common_names, ["DEMO IR Services"]);

    let tampered = signed.replace("<RetrievalId>abc<", "<RetrievalId>abd<");
    assert_eq!(
        verify_enveloped(&tampered).err(),
        Some(DsigError::DigestMismatch)
    );
    // And xmlsec1 agrees that it is broken.
    let (ok, _) = xmlsec1_verifies(&tampered, &d.join("c.pem"));
    assert!(!ok);
}
