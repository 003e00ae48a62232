use rcgen::KeyPair;
use rustls_pki_types::PrivateKeyDer;

use crate::pki::load::pem::ToPem;
use crate::pki::load::test_support::{Kit, chain, key, no_password, rsa_key};
use crate::pki::load::{KeyOrigin, LoadProblem, PasswordCheck, parse_private_key};
use crate::secret::PasswordSource;

#[test]
fn pkcs8_pem_and_der_load() {
    let kit = Kit::new();
    let pair = KeyPair::generate().unwrap();
    let key_pem = key(&kit.write("k.pem", pair.to_pem()), &no_password()).unwrap();
    assert_eq!(key_pem.origin, KeyOrigin::Pkcs8);
    assert!(matches!(key_pem.der, PrivateKeyDer::Pkcs8(_)));
    let key_der = key(&kit.write("k.der", pair.serialize_der()), &no_password()).unwrap();
    assert_eq!(key_der.origin, KeyOrigin::Pkcs8);
    assert_eq!(key_der.der.secret_der(), pair.serialized_der());
}

#[test]
fn ed25519_and_p384_keys_load() {
    let kit = Kit::new();
    for alg in [&rcgen::PKCS_ED25519, &rcgen::PKCS_ECDSA_P384_SHA384] {
        let pair = KeyPair::generate_for(alg).unwrap();
        let loaded = key(&kit.write("k.pem", pair.to_pem()), &no_password()).unwrap();
        assert_eq!(loaded.origin, KeyOrigin::Pkcs8);
    }
}

#[test]
fn encrypted_pkcs8_pem_and_der_load() {
    let kit = Kit::new();
    let pair = KeyPair::generate().unwrap();
    kit.write("k.pem", pair.to_pem());
    for (out, form) in [("enc.pem", "PEM"), ("enc.der", "DER")] {
        kit.openssl(&[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "k.pem",
            "-outform",
            form,
            "-out",
            out,
            "-passout",
            "env:TILI_PW",
        ]);
        let loaded = key(&kit.path(out), &kit.password()).unwrap();
        assert_eq!(loaded.origin, KeyOrigin::EncryptedPkcs8);
        assert_eq!(loaded.der.secret_der(), pair.serialized_der());
    }
}

#[test]
fn encrypted_pkcs8_wrong_password_and_no_password() {
    let kit = Kit::new();
    kit.write("k.pem", KeyPair::generate().unwrap().to_pem());
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
    let err = key(&kit.path("enc.pem"), &kit.wrong_password()).unwrap_err();
    assert!(
        matches!(
            err.problem,
            LoadProblem::WrongPassword {
                check: PasswordCheck::EncryptedPkcs8
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("wrong password or corrupt encrypted key")
    );
    let err = key(&kit.path("enc.pem"), &no_password()).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::Password(_)));
    assert!(err.to_string().contains("is not set"));
}

#[test]
fn encrypted_pkcs8_with_unsupported_scheme_says_how_to_convert() {
    let kit = Kit::new();
    kit.write("k.pem", KeyPair::generate().unwrap().to_pem());
    // (PBES2 with the hmacWithSHA1 PRF is read now: see tests/it/odd_inputs.rs.)
    let cases: [&[&str]; 1] = [&["-v1", "PBE-SHA1-3DES"]];
    for scheme in cases {
        let mut args = vec!["pkcs8", "-topk8", "-in", "k.pem", "-out", "old.pem"];
        args.extend_from_slice(scheme);
        args.extend_from_slice(&["-passout", "env:TILI_PW"]);
        kit.openssl(&args);
        let err = key(&kit.path("old.pem"), &kit.password()).unwrap_err();
        assert!(
            matches!(err.problem, LoadProblem::UnsupportedKey { .. }),
            "{scheme:?}: {err:?}"
        );
        assert!(
            err.to_string()
                .contains("openssl pkcs8 -topk8 -v2 aes-256-cbc")
        );
    }
}

#[test]
fn pkcs1_rsa_pem_and_der_load() {
    let kit = Kit::new();
    let pair = rsa_key();
    kit.write("rsa.pem", pair.to_pem());
    kit.openssl(&["rsa", "-in", "rsa.pem", "-traditional", "-out", "rsa1.pem"]);
    kit.openssl(&[
        "rsa",
        "-in",
        "rsa.pem",
        "-traditional",
        "-outform",
        "DER",
        "-out",
        "rsa1.der",
    ]);
    assert!(
        String::from_utf8(kit.read("rsa1.pem"))
            .unwrap()
            .contains("BEGIN RSA PRIVATE KEY")
    );
    for name in ["rsa1.pem", "rsa1.der"] {
        let loaded = key(&kit.path(name), &no_password()).unwrap();
        assert_eq!(loaded.origin, KeyOrigin::Pkcs1Rsa, "{name}");
        assert!(matches!(loaded.der, PrivateKeyDer::Pkcs1(_)));
    }
}

#[test]
fn sec1_ec_pem_with_parameters_and_der_load() {
    let kit = Kit::new();
    kit.write("ec.pem", KeyPair::generate().unwrap().to_pem());
    kit.openssl(&["ec", "-in", "ec.pem", "-out", "sec1.pem"]);
    kit.openssl(&["ec", "-in", "ec.pem", "-outform", "DER", "-out", "sec1.der"]);
    kit.openssl(&["ecparam", "-name", "prime256v1", "-out", "params.pem"]);
    let mut with_params = kit.read("params.pem");
    with_params.extend_from_slice(&kit.read("sec1.pem"));
    kit.write("with-params.pem", with_params);
    for name in ["sec1.pem", "sec1.der", "with-params.pem"] {
        let loaded = key(&kit.path(name), &no_password()).unwrap();
        assert_eq!(loaded.origin, KeyOrigin::Sec1Ec, "{name}");
        assert!(matches!(loaded.der, PrivateKeyDer::Sec1(_)));
    }
}

#[test]
fn legacy_encrypted_pem_is_refused_with_a_conversion_hint() {
    let kit = Kit::new();
    kit.write("ec.pem", KeyPair::generate().unwrap().to_pem());
    kit.openssl(&[
        "ec",
        "-in",
        "ec.pem",
        "-aes256",
        "-passout",
        "env:TILI_PW",
        "-out",
        "legacy.pem",
    ]);
    assert!(
        String::from_utf8(kit.read("legacy.pem"))
            .unwrap()
            .contains("Proc-Type: 4,ENCRYPTED")
    );
    let err = key(&kit.path("legacy.pem"), &kit.password()).unwrap_err();
    assert!(
        matches!(err.problem, LoadProblem::LegacyEncryptedPem),
        "{err:?}"
    );
    assert!(err.to_string().contains("openssl pkcs8 -topk8"));
}

#[test]
fn unsupported_key_types_are_named() {
    let kit = Kit::new();
    kit.openssl(&["genpkey", "-algorithm", "ed448", "-out", "ed448.pem"]);
    kit.openssl(&[
        "ecparam",
        "-name",
        "secp256k1",
        "-genkey",
        "-noout",
        "-out",
        "k1.pem",
    ]);
    kit.openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:1024",
        "-out",
        "rsa1024.pem",
    ]);
    for (name, expected) in [
        ("ed448.pem", "Ed448 keys are not supported"),
        ("k1.pem", "secp256k1"),
        ("rsa1024.pem", "the RSA key is 1024 bits"),
    ] {
        let err = key(&kit.path(name), &no_password()).unwrap_err();
        assert!(
            matches!(err.problem, LoadProblem::UnsupportedKey { .. }),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    let dsa = "-----BEGIN DSA PRIVATE KEY-----\nMAA=\n-----END DSA PRIVATE KEY-----\n";
    let err = key(&kit.write("dsa.pem", dsa), &no_password()).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::UnsupportedKey { .. }));
    assert!(err.to_string().contains("DSA keys are not supported"));
}

#[test]
fn corrupt_key_is_bad_key() {
    let pair = KeyPair::generate().unwrap();
    let mut der = pair.serialize_der();
    // Flip bits in the private scalar: still DER, no longer a key that matches its public half.
    let last = der.len() - 40;
    der[last] ^= 0xff;
    let err = parse_private_key("k.der", &der, &no_password()).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::BadKey { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("k.der: holds a corrupt private key")
    );
}

#[test]
fn certificate_given_as_key() {
    let kit = Kit::new();
    let chain = chain();
    let cases = [
        (
            "one.pem",
            chain.leaf.to_pem().into_bytes(),
            "holds a certificate but no private key",
        ),
        (
            "two.pem",
            format!("{}{}", chain.leaf.to_pem(), chain.ca.to_pem()).into_bytes(),
            "holds certificates but no private key",
        ),
        (
            "one.der",
            chain.leaf.der().to_vec(),
            "holds a certificate but no private key",
        ),
    ];
    for (name, bytes, expected) in cases {
        let err = key(&kit.write(name, bytes), &PasswordSource::None).unwrap_err();
        assert!(
            matches!(err.problem, LoadProblem::NoKey { .. }),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
}

#[test]
fn two_keys_are_refused() {
    let kit = Kit::new();
    let text = format!(
        "{}{}",
        KeyPair::generate().unwrap().to_pem(),
        KeyPair::generate().unwrap().to_pem()
    );
    let err = key(&kit.write("two.pem", text), &PasswordSource::None).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::TwoKeys { count: 2 }));
    assert!(
        err.to_string()
            .contains("holds 2 private keys; give a file with exactly one")
    );
}
