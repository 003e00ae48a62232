//! Bounded work on every input: special files are refused before any read could block, key
//! derivation settings are capped before any work, and deep XML is refused before parsing.

use std::path::Path;
use std::time::Duration;

use crate::support::{AT, fixture, openssl, tilicheck};

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// `cert` on a FIFO with no writer used to block in open() for ever.
#[test]
fn a_fifo_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("supplier.pem");
    mkfifo(&fifo);
    let out = tilicheck()
        .args(["cert", "--at", AT])
        .arg(&fifo)
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("supplier.pem: is a named pipe (FIFO), not a regular file"),
        "{stderr}"
    );
    // The key option goes through the same door.
    let out = tilicheck()
        .args(["cert", "supplier.pem", "--at", AT, "--key"])
        .arg(&fifo)
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("named pipe (FIFO)"), "{stderr}");
}

/// `audit` of a directory holding a FIFO used to hang on it; now the FIFO is passed over and
/// the certificate beside it is audited.
#[test]
fn audit_walks_past_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("supplier.pem"), dir.path().join("supplier.pem")).unwrap();
    mkfifo(&dir.path().join("stuck.pem"));
    let out = tilicheck()
        .args(["audit", "--at", AT, "--format", "json"])
        .arg(dir.path())
        .timeout(Duration::from_secs(30))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report");
    let text = report.to_string();
    assert!(text.contains("supplier.pem"), "{text}");
    assert!(
        text.contains("stuck.pem") && text.contains("named pipe (FIFO)"),
        "the FIFO is named as passed over: {text}"
    );
    assert!(!text.contains("\"error\":\"cannot"), "{text}");
}

/// A PKCS#8 key encrypted by openssl with the given extra `pkcs8` arguments.
fn encrypted_key(dir: &Path, name: &str, extra: &[&str]) {
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "plain.pem",
        ],
        dir,
        &[],
    );
    let mut args = vec![
        "pkcs8",
        "-topk8",
        "-in",
        "plain.pem",
        "-out",
        name,
        "-passout",
        "env:KDF_TEST_PASSWORD",
    ];
    args.extend_from_slice(extra);
    openssl(&args, dir, &[("KDF_TEST_PASSWORD", "correct horse")]);
}

fn key_error(dir: &Path, name: &str) -> String {
    let start = std::time::Instant::now();
    let out = tilicheck()
        .current_dir(dir)
        .args(["cert"])
        .arg(fixture("supplier.pem"))
        .args([
            "--at",
            AT,
            "--key",
            name,
            "--password-env",
            "KDF_TEST_PASSWORD",
        ])
        .env("KDF_TEST_PASSWORD", "correct horse")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains("correct horse"), "no password in errors");
    eprintln!("{name}: refused after {:?}", start.elapsed());
    stderr
}

/// scrypt N = 2^20, r = 8 asks for 1 GiB: it used to take 13 s and a gigabyte before it
/// answered. Refused with the numbers, before any derivation. (OpenSSL's `pkcs8` refuses to
/// write such a key, so `scrypt_key.py` encrypts openssl's plain key with these settings.)
#[test]
fn scrypt_memory_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-outform",
            "DER",
            "-out",
            "plain.der",
        ],
        dir.path(),
        &[],
    );
    openssl(
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-inform",
            "DER",
            "-in",
            "plain.der",
            "-outform",
            "DER",
            "-out",
            "plain8.der",
        ],
        dir.path(),
        &[],
    );
    let d = |n: &str| dir.path().join(n).display().to_string();
    crate::support::python(
        "scrypt key writer",
        include_str!("kdf/scrypt_key.py"),
        [
            d("plain8.der"),
            d("scrypt.der"),
            "correct horse".to_owned(),
            "1048576".to_owned(),
            "8".to_owned(),
            "1".to_owned(),
        ],
    );
    let stderr = key_error(dir.path(), "scrypt.der");
    assert!(
        stderr.contains("scrypt.der:")
            && stderr.contains("N = 1048576, r = 8")
            && stderr.contains("1024 MiB")
            && stderr.contains("256 MiB"),
        "{stderr}"
    );
}

/// PBKDF2 with 20 million iterations: refused with the numbers, before any derivation.
#[test]
fn pbkdf2_iterations_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    encrypted_key(
        dir.path(),
        "pbkdf2.pem",
        &["-v2", "aes-256-cbc", "-iter", "20000000"],
    );
    let stderr = key_error(dir.path(), "pbkdf2.pem");
    assert!(
        stderr.contains("pbkdf2.pem:")
            && stderr.contains("20000000 iterations")
            && stderr.contains("10000000"),
        "{stderr}"
    );
}

/// Keys within the caps still open: scrypt at OpenSSL's defaults and PBKDF2 at 600,000.
#[test]
fn keys_within_the_caps_open() {
    let dir = tempfile::tempdir().unwrap();
    encrypted_key(dir.path(), "scrypt-ok.pem", &["-scrypt"]);
    encrypted_key(
        dir.path(),
        "pbkdf2-ok.pem",
        &["-v2", "aes-256-cbc", "-iter", "600000"],
    );
    for name in ["scrypt-ok.pem", "pbkdf2-ok.pem"] {
        let out = tilicheck()
            .current_dir(dir.path())
            .args(["cert"])
            .arg(fixture("supplier.pem"))
            .args([
                "--at",
                AT,
                "--key",
                name,
                "--password-env",
                "KDF_TEST_PASSWORD",
            ])
            .env("KDF_TEST_PASSWORD", "correct horse")
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        // The key is another key than the certificate's: CERT-KEYPAIR fails, so it was read.
        assert!(stdout.contains("CERT-KEYPAIR"), "{name}: {stdout}");
        assert_eq!(out.status.code(), Some(1), "{name}: {stdout}");
    }
}

/// A trusted list nested 20,000 deep used to overflow the stack (the process died on a
/// signal); now it is a one-line input error naming the file and the limit.
#[test]
fn a_deeply_nested_trusted_list_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut xml = String::from("<TrustServiceStatusList>");
    xml.push_str(&"<TrustServiceProviderList>".repeat(20_000));
    xml.push_str(&"</TrustServiceProviderList>".repeat(20_000));
    xml.push_str("</TrustServiceStatusList>");
    let list = dir.path().join("deep-tl.xml");
    std::fs::write(&list, xml).unwrap();
    let out = tilicheck()
        .args(["cert", "supplier.pem", "--at", AT, "--trusted-list"])
        .arg(&list)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let limit = tilicheck::profile::limits::MAX_XML_DEPTH;
    assert!(
        stderr.contains("deep-tl.xml")
            && stderr.contains(&format!("nested deeper than {limit} levels")),
        "{stderr}"
    );
}

/// The SOAP reader and the XML signature check share the limit (they parse through the same
/// door), run here in-process on a thread with the default stack.
#[test]
fn deep_soap_answers_and_signed_documents_are_refused() {
    let deep = format!(
        "<Envelope>{}{}</Envelope>",
        "<Body>".repeat(20_000),
        "</Body>".repeat(20_000)
    );
    let answer = std::thread::spawn({
        let deep = deep.clone();
        move || {
            tilicheck::vero::soap::parse_document(&deep)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        }
    })
    .join()
    .expect("no stack overflow");
    assert!(answer.contains("nested deeper than"), "{answer}");
    let signed = std::thread::spawn(move || {
        tilicheck::vero::dsig::verify_enveloped(&deep)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    })
    .join()
    .expect("no stack overflow");
    assert!(signed.contains("nested deeper than"), "{signed}");
}
