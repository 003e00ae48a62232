//! Hostile and broken inputs: a clear one-line error (exit 3) or a failed finding; never a
//! panic, never key material.

use std::io::Write;

use predicates::prelude::*;

use crate::support::{AT, fixture, openssl, tilicheck};

fn assert_one_line_error(args: &[&str], dir: &std::path::Path, needle: &str) {
    let out = tilicheck()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: expected '{needle}' in: {stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty(), "no partial report on stdout");
}

/// A self-signed RSA 3072 end-entity certificate made by openssl, with extra `req` arguments.
fn openssl_cert(dir: &std::path::Path, name: &str, extra: &[&str]) {
    let subj = format!("/C=FI/serialNumber=1234567-1/CN={name}.example");
    let out = format!("{name}.pem");
    let mut args = vec![
        "req",
        "-x509",
        "-newkey",
        "rsa:3072",
        "-nodes",
        "-keyout",
        "k.pem",
        "-out",
        &out,
        "-days",
        "3650",
        "-subj",
        &subj,
        "-addext",
        "basicConstraints=critical,CA:FALSE",
    ];
    args.extend_from_slice(extra);
    openssl(&args, dir, &[]);
}

#[test]
fn a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("certs")).expect("mkdir");
    assert_one_line_error(&["cert", "certs"], dir.path(), "certs: is a directory");
}

#[test]
fn an_empty_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("empty.pem"), "").expect("write");
    assert_one_line_error(&["cert", "empty.pem"], dir.path(), "empty.pem: is empty");
}

#[test]
fn a_100_mb_random_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("random.bin");
    let mut f = std::fs::File::create(&path).expect("create");
    // Cheap pseudo-random bytes (xorshift): the content only has to be noise.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..100 {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        f.write_all(&block).expect("write");
    }
    drop(f);
    assert_one_line_error(
        &["cert", "random.bin"],
        dir.path(),
        "larger than any certificate",
    );
}

#[test]
fn small_garbage() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("junk.pem"), b"\x00\x01garbage\xff\xfe").expect("write");
    assert_one_line_error(&["cert", "junk.pem"], dir.path(), "junk.pem:");
}

#[test]
fn a_pem_with_a_broken_base64_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pem = std::fs::read_to_string(fixture("supplier.pem")).expect("fixture");
    let mut lines: Vec<String> = pem.lines().map(str::to_owned).collect();
    lines[3].replace_range(10..11, "*");
    std::fs::write(dir.path().join("broken.pem"), lines.join("\n")).expect("write");
    assert_one_line_error(&["cert", "broken.pem"], dir.path(), "line 4");
}

#[test]
fn a_truncated_pem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pem = std::fs::read_to_string(fixture("supplier.pem")).expect("fixture");
    std::fs::write(dir.path().join("cut.pem"), &pem[..pem.len() / 2]).expect("write");
    assert_one_line_error(&["cert", "cut.pem"], dir.path(), "cut.pem:");
}

#[test]
fn a_certificate_with_a_negative_serial_fails_x509v3() {
    let dir = tempfile::tempdir().expect("tempdir");
    openssl_cert(dir.path(), "neg", &["-set_serial", "-4242"]);
    tilicheck()
        .current_dir(dir.path())
        .args(["cert", "neg.pem", "--key", "k.pem"])
        .assert()
        .stdout(predicate::str::contains("serial number").and(predicate::str::contains("negative")))
        .stdout(predicate::str::is_match(r"FAIL +CERT-X509V3").expect("regex"));
}

#[test]
fn an_unknown_critical_extension_fails_x509v3() {
    let dir = tempfile::tempdir().expect("tempdir");
    openssl_cert(
        dir.path(),
        "crit",
        &["-addext", "1.3.6.1.4.1.99999.1=critical,DER:05:00"],
    );
    tilicheck()
        .current_dir(dir.path())
        .args(["cert", "crit.pem", "--at", AT])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "unrecognised critical extension 1.3.6.1.4.1.99999.1",
        ));
}

#[test]
fn a_private_key_given_as_the_certificate() {
    assert_one_line_error(
        &["cert", "supplier.key"],
        &fixture(""),
        "holds a private key",
    );
}

#[test]
fn a_sha1_signed_certificate_fails_sig_alg() {
    let dir = tempfile::tempdir().expect("tempdir");
    openssl_cert(dir.path(), "sha1", &["-sha1"]);
    tilicheck()
        .current_dir(dir.path())
        .args(["cert", "sha1.pem"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_match(r"FAIL +CERT-SIG-ALG").expect("regex"))
        .stdout(predicate::str::contains(
            "sha1WithRSAEncryption: weaker than",
        ));
}
