//! Odd but legitimate inputs: PKCS#12 files with no password or an empty one, encryption
//! other tools use, and every file mix-up told in words (what was expected, what was found).

use std::path::Path;

use crate::support::{AT, openssl, python, tilicheck};

/// A self-signed P-256 certificate and its key (`c.pem`, `k.pem`) in `dir`.
fn cert_and_key(dir: &Path) {
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
            "-subj",
            "/CN=odd.example",
            "-days",
            "3650",
        ],
        dir,
        &[],
    );
}

/// `tilicheck cert FILE ARGS…` in `dir`: (exit code, stdout, stderr).
fn cert(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = tilicheck()
        .current_dir(dir)
        .arg("cert")
        .args(args)
        .args(["--at", AT])
        .env("ODD_PASSWORD", "x")
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A report was printed: the file was read (its verdicts are not the point here).
fn assert_read(dir: &Path, args: &[&str]) {
    let (code, stdout, stderr) = cert(dir, args);
    assert!(matches!(code, Some(0 | 1)), "{args:?}: {stderr}");
    assert!(stdout.contains("CERT-VALIDITY"), "{args:?}: {stdout}");
}

/// PKCS#12 made with no password at all (Python cryptography's `NoEncryption`, as the
/// `*-no-pwd.p12` files of cryptography-vectors) used to need "a password"; OpenSSL opens
/// it, and so does tilicheck now, with no password option, and with an empty password file.
#[test]
fn pkcs12_without_any_password_opens() {
    let dir = tempfile::tempdir().unwrap();
    cert_and_key(dir.path());
    python(
        "cryptography writes a PKCS#12 file with no password",
        r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
open(sys.argv[3], "wb").write(pkcs12.serialize_key_and_certificates(
    b"odd", key, cert, None, serialization.NoEncryption()))
"#,
        ["k.pem", "c.pem", "none.p12"].map(|f| dir.path().join(f)),
    );
    std::fs::write(dir.path().join("empty-password"), "").unwrap();
    assert_read(dir.path(), &["none.p12"]);
    assert_read(
        dir.path(),
        &["none.p12", "--password-file", "empty-password"],
    );
    // Exported by openssl with an empty password: opens without asking too.
    openssl(
        &[
            "pkcs12",
            "-export",
            "-in",
            "c.pem",
            "-inkey",
            "k.pem",
            "-passout",
            "pass:",
            "-out",
            "empty.p12",
        ],
        dir.path(),
        &[],
    );
    assert_read(dir.path(), &["empty.p12"]);
}

/// An empty `--password-file` used to be refused ("is empty"); it is the empty password.
#[test]
fn an_empty_password_file_is_the_empty_password() {
    let dir = tempfile::tempdir().unwrap();
    cert_and_key(dir.path());
    openssl(
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "k.pem",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:",
            "-out",
            "k-empty.pem",
        ],
        dir.path(),
        &[],
    );
    std::fs::write(dir.path().join("empty-password"), "").unwrap();
    let (code, stdout, stderr) = cert(
        dir.path(),
        &[
            "c.pem",
            "--key",
            "k-empty.pem",
            "--password-file",
            "empty-password",
        ],
    );
    assert!(matches!(code, Some(0 | 1)), "{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("PASS") && l.contains("CERT-KEYPAIR")),
        "{stdout}"
    );
}

/// PBES2 with the hmacWithSHA1 PRF (OpenSSL 1.x's default; `cert-key-aes256cbc.p12` of
/// cryptography-vectors uses it) and PKCS#12 with DES-EDE3-CBC are read.
#[test]
fn pbes2_with_sha1_prf_and_triple_des_open() {
    let dir = tempfile::tempdir().unwrap();
    cert_and_key(dir.path());
    openssl(
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "k.pem",
            "-v2",
            "aes-256-cbc",
            "-v2prf",
            "hmacWithSHA1",
            "-passout",
            "pass:x",
            "-out",
            "k-sha1.pem",
        ],
        dir.path(),
        &[],
    );
    let (code, stdout, stderr) = cert(
        dir.path(),
        &[
            "c.pem",
            "--key",
            "k-sha1.pem",
            "--password-env",
            "ODD_PASSWORD",
        ],
    );
    assert!(matches!(code, Some(0 | 1)), "{stderr}");
    assert!(stdout.contains("CERT-KEYPAIR"), "{stdout}");
    openssl(
        &[
            "pkcs12",
            "-export",
            "-in",
            "c.pem",
            "-inkey",
            "k.pem",
            "-passout",
            "pass:x",
            "-keypbe",
            "DES-EDE3-CBC",
            "-certpbe",
            "DES-EDE3-CBC",
            "-out",
            "des3.p12",
        ],
        dir.path(),
        &[],
    );
    assert_read(dir.path(), &["des3.p12", "--password-env", "ODD_PASSWORD"]);
}

/// A PKCS#12 file with an algorithm tilicheck cannot decrypt used to be called "corrupt";
/// now the algorithm is named as unsupported, before any password is asked for.
#[test]
fn an_unsupported_pkcs12_algorithm_is_named() {
    let dir = tempfile::tempdir().unwrap();
    cert_and_key(dir.path());
    openssl(
        &[
            "pkcs12",
            "-export",
            "-legacy",
            "-in",
            "c.pem",
            "-inkey",
            "k.pem",
            "-passout",
            "pass:x",
            "-certpbe",
            "PBE-SHA1-RC2-128",
            "-keypbe",
            "PBE-SHA1-RC2-128",
            "-out",
            "rc2.p12",
        ],
        dir.path(),
        &[],
    );
    let (code, _, stderr) = cert(dir.path(), &["rc2.p12"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("rc2.p12:")
            && stderr.contains("pbeWithSHAAnd128BitRC2-CBC")
            && stderr.contains("does not support")
            && !stderr.contains("corrupt")
            && !stderr.contains("password is needed"),
        "{stderr}"
    );
}

/// Every file mix-up is told in words: the file, what it holds, what was wanted. These used
/// to say "neither PEM nor DER", "BER error: Unexpected Tag …" or "nom error: Eof".
#[test]
fn loader_errors_name_what_was_found() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=odd CA",
            "-days",
            "3650",
        ],
        d,
        &[],
    );
    std::fs::write(d.join("index.txt"), "").unwrap();
    std::fs::write(d.join("crlnumber"), "01\n").unwrap();
    std::fs::write(
        d.join("ca.cnf"),
        "[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n",
    )
    .unwrap();
    let run = |args: &[&str]| openssl(args, d, &[]);
    run(&[
        "ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.pem", "-out",
        "crl.pem",
    ]);
    run(&[
        "crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der",
    ]);
    run(&["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"]);
    run(&[
        "pkey", "-in", "ca.key", "-pubout", "-outform", "DER", "-out", "pub.der",
    ]);
    run(&[
        "ocsp",
        "-issuer",
        "ca.pem",
        "-cert",
        "ca.pem",
        "-no_nonce",
        "-reqout",
        "req.der",
    ]);
    run(&[
        "ocsp",
        "-index",
        "index.txt",
        "-rsigner",
        "ca.pem",
        "-rkey",
        "ca.key",
        "-CA",
        "ca.pem",
        "-reqin",
        "req.der",
        "-respout",
        "resp.der",
    ]);
    run(&[
        "pkey",
        "-in",
        "ca.key",
        "-outform",
        "DER",
        "-out",
        "pkcs8.der",
    ]);
    run(&[
        "rsa",
        "-in",
        "ca.key",
        "-traditional",
        "-outform",
        "DER",
        "-out",
        "pkcs1.der",
    ]);
    run(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-outform",
        "DER",
        "-out",
        "sec1.der",
    ]);
    let der = std::fs::read(d.join("ca.der")).unwrap();
    std::fs::write(d.join("cut.der"), &der[..300]).unwrap();
    let p12 = {
        run(&[
            "pkcs12", "-export", "-in", "ca.pem", "-inkey", "ca.key", "-passout", "pass:x", "-out",
            "ca.p12",
        ]);
        std::fs::read(d.join("ca.p12")).unwrap()
    };
    std::fs::write(d.join("cut.p12"), &p12[..p12.len() / 2]).unwrap();

    let cases: &[(&[&str], &str)] = &[
        (
            &["crl.der"],
            "crl.der: holds a certificate revocation list (CRL), not a certificate",
        ),
        (
            &["crl.pem"],
            "crl.pem: holds a certificate revocation list (CRL), not a certificate",
        ),
        (
            &["resp.der"],
            "resp.der: holds an OCSP response, not a certificate",
        ),
        (
            &["req.der"],
            "req.der: holds an OCSP request, not a certificate",
        ),
        (
            &["pub.der"],
            "pub.der: holds a public key, not a certificate",
        ),
        (
            &["pkcs8.der"],
            "pkcs8.der: holds a private key, not a certificate",
        ),
        (
            &["pkcs1.der"],
            "pkcs1.der: holds a private key, not a certificate",
        ),
        (
            &["sec1.der"],
            "sec1.der: holds a private key, not a certificate",
        ),
        (
            &["cut.der"],
            "cut.der: is cut short: its DER data announces",
        ),
        (
            &["cut.p12"],
            "cut.p12: is cut short: its DER data announces",
        ),
        (
            &["ca.pem", "--key", "crl.der"],
            "crl.der: holds a certificate revocation list (CRL) but no private key",
        ),
        (
            &["ca.pem", "--key", "resp.der"],
            "resp.der: holds an OCSP response but no private key",
        ),
        (
            &["ca.pem", "--key", "pub.der"],
            "pub.der: holds a public key but no private key",
        ),
        (
            &["ca.pem", "--key", "ca.der"],
            "ca.der: holds a certificate but no private key",
        ),
        (&["ca.pem", "--key", "cut.der"], "cut.der: is cut short"),
    ];
    for (args, expected) in cases {
        let (code, stdout, stderr) = cert(d, args);
        assert_eq!(code, Some(3), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected {expected:?} in {stderr}"
        );
        for jargon in [
            "nom error",
            "BER error",
            "Unexpected Tag",
            "neither PEM nor DER",
            "DER error",
        ] {
            assert!(!stderr.contains(jargon), "{args:?}: {stderr}");
        }
    }
}
