use std::io::IsTerminal;
use std::path::Path;

use rcgen::KeyPair;

use crate::pki::load::test_support::{
    Chain, Kit, PASSWORD, certs, chain, export_p12, key, no_password,
};
use crate::pki::load::{FileFormat, KeyOrigin, LoadProblem, PasswordCheck, parse_certificates};
use crate::secret::{PasswordSource, SecretError};

fn assert_p12_loads(chain: &Chain, path: &Path, password: &PasswordSource) {
    let file = certs(path, password).unwrap();
    assert_eq!(file.format, FileFormat::Pkcs12);
    assert_eq!(
        file.certificates,
        vec![chain.leaf.der().clone(), chain.ca.der().clone()]
    );
    let bundled = file.key.expect("key from the PKCS#12 file");
    assert_eq!(bundled.origin, KeyOrigin::Pkcs12);
    let key = key(path, password).unwrap();
    assert_eq!(key.origin, KeyOrigin::Pkcs12);
    assert_eq!(
        KeyPair::try_from(&key.der).unwrap().public_key_raw(),
        chain.leaf_key.public_key_raw()
    );
}

#[test]
fn pkcs12_openssl3_default_loads_leaf_first() {
    let kit = Kit::new();
    let chain = chain();
    let path = export_p12(&kit, &chain, "default.p12", &["-passout", "env:TILI_PW"]);
    assert_p12_loads(&chain, &path, &kit.password());
}

#[test]
fn pkcs12_legacy_loads() {
    let kit = Kit::new();
    let chain = chain();
    let path = export_p12(
        &kit,
        &chain,
        "legacy.p12",
        &["-legacy", "-passout", "env:TILI_PW"],
    );
    assert_p12_loads(&chain, &path, &kit.password());
}

#[test]
fn pkcs12_with_ca_bag_first_still_puts_leaf_first() {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKeyChain};
    let chain = chain();
    // p12-keystore writes standalone (trusted) certificates before key chains, so the CA
    // bag comes first in the file.
    let mut store = KeyStore::new();
    let ca = Certificate::from_der(chain.ca.der()).unwrap();
    store.add_entry("ca", KeyStoreEntry::Certificate(ca));
    let leaf = Certificate::from_der(chain.leaf.der()).unwrap();
    let key = p12_keystore::PrivateKey::from_der(chain.leaf_key.serialized_der()).unwrap();
    let key_chain = PrivateKeyChain::new(b"leaf-id".as_slice(), key, [leaf]);
    store.add_entry("leaf", KeyStoreEntry::PrivateKeyChain(key_chain));
    let bytes = store.writer(PASSWORD).write().unwrap();
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(&bytes, PASSWORD).unwrap();
    assert_eq!(archive.certs[0].cert.as_der(), chain.ca.der().as_ref());

    let kit = Kit::new();
    let file = parse_certificates("s.p12", &bytes, &kit.password()).unwrap();
    assert_eq!(
        file.certificates,
        vec![chain.leaf.der().clone(), chain.ca.der().clone()]
    );
    assert_eq!(file.key.map(|k| k.origin), Some(KeyOrigin::Pkcs12));
}

#[test]
fn pkcs12_with_empty_password_needs_no_password() {
    let kit = Kit::new();
    let chain = chain();
    let path = export_p12(&kit, &chain, "open.p12", &["-passout", "pass:"]);
    assert_p12_loads(&chain, &path, &no_password());
}

#[test]
fn pkcs12_wrong_password() {
    let kit = Kit::new();
    let chain = chain();
    for args in [
        &["-passout", "env:TILI_PW"][..],
        &["-legacy", "-passout", "env:TILI_PW"],
    ] {
        let path = export_p12(&kit, &chain, "s.p12", args);
        let err = certs(&path, &kit.wrong_password()).unwrap_err();
        assert!(
            matches!(
                err.problem,
                LoadProblem::WrongPassword {
                    check: PasswordCheck::Pkcs12Mac
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("wrong password (the file's integrity check failed)")
        );
        let err = key(&path, &kit.wrong_password()).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::WrongPassword { .. }));
    }
}

#[test]
fn pkcs12_without_mac_wrong_password() {
    let kit = Kit::new();
    let chain = chain();
    let path = export_p12(
        &kit,
        &chain,
        "n.p12",
        &["-nomac", "-passout", "env:TILI_PW"],
    );
    assert_p12_loads(&chain, &path, &kit.password());
    let err = certs(&path, &kit.wrong_password()).unwrap_err();
    assert!(
        matches!(
            err.problem,
            LoadProblem::WrongPassword {
                check: PasswordCheck::Pkcs12Decryption
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("wrong password or corrupt file"));
}

#[test]
fn pkcs12_without_password_source() {
    let kit = Kit::new();
    let chain = chain();
    let path = export_p12(&kit, &chain, "s.p12", &["-passout", "env:TILI_PW"]);
    let err = certs(&path, &no_password()).unwrap_err();
    assert!(
        matches!(
            err.problem,
            LoadProblem::Password(SecretError::EnvMissing(_))
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("TILICHECK_TEST_VARIABLE_THAT_IS_NEVER_SET")
    );
    // No source at all: without a terminal to prompt on, the message says how to give one.
    if !std::io::stdin().is_terminal() {
        let err = certs(&path, &PasswordSource::None).unwrap_err();
        assert!(matches!(
            err.problem,
            LoadProblem::Password(SecretError::NotConfigured)
        ));
        assert!(err.to_string().contains("--password-file"));
    }
}

#[test]
fn pkcs12_is_found_by_content_not_name() {
    let kit = Kit::new();
    let chain = chain();
    export_p12(&kit, &chain, "s.p12", &["-passout", "env:TILI_PW"]);
    let path = kit.write("looks-like.pem", kit.read("s.p12"));
    let file = certs(&path, &kit.password()).unwrap();
    assert_eq!(file.format, FileFormat::Pkcs12);
}
