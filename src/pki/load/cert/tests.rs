use rcgen::KeyPair;

use crate::pki::load::pem::ToPem;
use crate::pki::load::test_support::{Kit, certs, chain, self_signed};
use crate::pki::load::{FileFormat, KeyOrigin, LoadProblem, PrivateKey, parse_certificates};
use crate::secret::PasswordSource;

#[test]
fn pem_certificate_loads() {
    let kit = Kit::new();
    let key = KeyPair::generate().unwrap();
    let cert = self_signed(&key, "x.test");
    let path = kit.write("cert.pem", cert.to_pem());
    let file = certs(&path, &PasswordSource::None).unwrap();
    assert_eq!(file.format, FileFormat::Pem);
    assert_eq!(file.certificates, vec![cert.der().clone()]);
    assert!(file.key.is_none());
    assert_eq!(file.path, path);
}

#[test]
fn pem_chain_of_two_loads_in_file_order() {
    let kit = Kit::new();
    let chain = chain();
    let text = format!("{}{}", chain.leaf.to_pem(), chain.ca.to_pem());
    let file = certs(&kit.write("chain.pem", &text), &PasswordSource::None).unwrap();
    assert_eq!(
        file.certificates,
        vec![chain.leaf.der().clone(), chain.ca.der().clone()]
    );
    // Reversed stays reversed: ordering is the checks' business, not the loader's.
    let text = format!("{}{}", chain.ca.to_pem(), chain.leaf.to_pem());
    let file = certs(&kit.write("rev.pem", &text), &PasswordSource::None).unwrap();
    assert_eq!(file.certificates[0], *chain.ca.der());
}

#[test]
fn pem_with_text_between_blocks_and_crlf_loads() {
    let kit = Kit::new();
    let chain = chain();
    let text = format!(
        "Bag Attributes\r\n    friendlyName: leaf\r\nsubject=CN=x.test\r\n\r\n{}\r\nsome note\r\n{}",
        chain.leaf.to_pem().replace('\n', "\r\n"),
        chain.ca.to_pem().replace('\n', "\r\n")
    );
    let file = certs(&kit.write("notes.pem", text), &PasswordSource::None).unwrap();
    assert_eq!(file.certificates.len(), 2);
    assert_eq!(file.certificates[0], *chain.leaf.der());
}

#[test]
fn der_certificate_loads() {
    let kit = Kit::new();
    let chain = chain();
    kit.write("leaf.pem", chain.leaf.to_pem());
    kit.openssl(&[
        "x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.der",
    ]);
    let file = certs(&kit.path("leaf.der"), &PasswordSource::None).unwrap();
    assert_eq!(file.format, FileFormat::Der);
    assert_eq!(file.certificates, vec![chain.leaf.der().clone()]);
}

#[test]
fn pem_bundle_with_one_key_sets_key_and_with_two_keys_does_not() {
    let kit = Kit::new();
    let chain = chain();
    let one = format!("{}{}", chain.leaf.to_pem(), chain.leaf_key.to_pem());
    let file = certs(&kit.write("one.pem", one), &PasswordSource::None).unwrap();
    assert!(matches!(
        file.key,
        Some(PrivateKey {
            origin: KeyOrigin::Pkcs8,
            ..
        })
    ));
    let other = KeyPair::generate().unwrap();
    let two = format!(
        "{}{}{}",
        chain.leaf.to_pem(),
        chain.leaf_key.to_pem(),
        other.to_pem()
    );
    let file = certs(&kit.write("two.pem", two), &PasswordSource::None).unwrap();
    assert_eq!(file.certificates.len(), 1);
    assert!(file.key.is_none());
}

#[test]
fn pem_bundle_with_encrypted_key_uses_a_given_password_but_never_prompts() {
    let kit = Kit::new();
    let chain = chain();
    kit.write("k.pem", chain.leaf_key.to_pem());
    kit.openssl(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        "k.pem",
        "-out",
        "enc.pem",
        "-passout",
        "env:TILI_PW",
    ]);
    let mut bundle = chain.leaf.to_pem().into_bytes();
    bundle.extend_from_slice(&kit.read("enc.pem"));
    let path = kit.write("bundle.pem", bundle);
    let file = certs(&path, &kit.password()).unwrap();
    assert_eq!(file.key.map(|k| k.origin), Some(KeyOrigin::EncryptedPkcs8));
    for source in [
        PasswordSource::None,
        PasswordSource::Prompt,
        kit.wrong_password(),
    ] {
        let file = certs(&path, &source).unwrap();
        assert_eq!(file.certificates.len(), 1);
        assert!(file.key.is_none());
    }
}

#[test]
fn negative_serial_still_loads() {
    let key = KeyPair::generate().unwrap();
    let mut der = self_signed(&key, "x.test").der().to_vec();
    // version [0] INTEGER 2, then the serial INTEGER: set the sign bit of its first byte.
    let at = der
        .windows(6)
        .position(|w| w == [0xa0, 0x03, 0x02, 0x01, 0x02, 0x02])
        .expect("version and serial");
    der[at + 7] |= 0x80;
    let file = parse_certificates("neg.der", &der, &PasswordSource::None).unwrap();
    assert_eq!(file.certificates[0].as_ref(), der.as_slice());
}

#[test]
fn corrupt_der_inside_pem_is_a_bad_certificate() {
    let pem = "-----BEGIN CERTIFICATE-----\nMIIBAAAAAAAA\n-----END CERTIFICATE-----\n";
    let err = parse_certificates("c.pem", pem.as_bytes(), &PasswordSource::None).unwrap_err();
    assert!(
        matches!(err.problem, LoadProblem::BadCertificate { index: 1, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("certificate #1 is not valid DER X.509")
    );
    assert!(err.to_string().contains("(PEM block at line 1)"));
}

#[test]
fn truncated_der_certificate_says_it_is_cut_short() {
    let key = KeyPair::generate().unwrap();
    let der = self_signed(&key, "x.test").der().to_vec();
    let err =
        parse_certificates("t.der", &der[..der.len() - 30], &PasswordSource::None).unwrap_err();
    assert!(
        matches!(
            err.problem,
            LoadProblem::TruncatedDer { announced, present }
                if announced == der.len() && present == der.len() - 30
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("t.der: is cut short"), "{err}");
}

#[test]
fn key_given_as_certificate() {
    let kit = Kit::new();
    let pair = KeyPair::generate().unwrap();
    for (name, bytes) in [
        ("k.pem", pair.to_pem().into_bytes()),
        ("k.der", pair.serialize_der()),
    ] {
        let err = certs(&kit.write(name, bytes), &PasswordSource::None).unwrap_err();
        assert!(
            matches!(err.problem, LoadProblem::NotACertificate { .. }),
            "{name}: {err:?}"
        );
        assert!(
            err.to_string()
                .contains("holds a private key, not a certificate")
        );
    }
}

#[test]
fn csr_given_as_certificate() {
    let kit = Kit::new();
    kit.write("k.pem", KeyPair::generate().unwrap().to_pem());
    kit.openssl(&[
        "req",
        "-new",
        "-key",
        "k.pem",
        "-subj",
        "/CN=x.test",
        "-out",
        "r.csr",
    ]);
    let err = certs(&kit.path("r.csr"), &PasswordSource::None).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::NotACertificate { .. }));
    assert!(
        err.to_string()
            .contains("holds a certificate signing request (CSR), not a certificate")
    );
}
