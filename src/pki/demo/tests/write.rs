//! Writing the DEMO PKI to disk, and checking its chains with openssl.

use std::collections::BTreeSet;
use std::fs;

use super::pki;
use crate::pki::demo::{DEMO_SERVICE_CENTRE_ID, DEMO_SUPPLIER_ID, DemoError, README_NAME};

#[test]
fn write_to_writes_every_file_atomically_with_private_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new").join("demo");
    pki().write_to(&dir).unwrap();
    // Writing again over existing files works too.
    pki().write_to(&dir).unwrap();
    let mut on_disk: BTreeSet<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(on_disk.remove(README_NAME));
    let expected: BTreeSet<String> = pki().files.iter().map(|f| f.name.to_owned()).collect();
    assert_eq!(on_disk, expected, "no temporary or extra files");
    for f in &pki().files {
        let path = dir.join(f.name);
        assert_eq!(fs::read_to_string(&path).unwrap(), f.contents);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            if f.secret {
                assert_eq!(mode, 0o600, "{}", f.name);
            } else {
                assert_eq!(mode & 0o022, 0, "{}", f.name);
            }
        }
    }
    let readme = fs::read_to_string(dir.join(README_NAME)).unwrap();
    assert!(readme.contains("DEMO"));
    assert!(readme.contains("NEVER TRUST"));
    assert!(readme.contains("2099-12-31T23:59:59Z"));
    for f in &pki().files {
        assert!(readme.contains(f.name), "{}", f.name);
    }
    assert!(readme.contains(DEMO_SUPPLIER_ID) && readme.contains(DEMO_SERVICE_CENTRE_ID));
    assert!(readme.contains("bad-sha1.pem"));
}

#[test]
fn write_to_reports_the_path_it_could_not_write() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("file");
    fs::write(&blocker, "x").unwrap();
    let err = pki().write_to(&blocker.join("sub")).unwrap_err();
    assert!(matches!(err, DemoError::Io { .. }));
    assert!(err.to_string().contains("sub"), "{err}");
}

#[test]
fn openssl_verifies_the_chains() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("openssl not installed; skipping");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    pki().write_to(tmp.path()).unwrap();
    let verify = |untrusted: &str, leaf: &str, purpose: Option<&str>| {
        let mut cmd = std::process::Command::new("openssl");
        cmd.current_dir(tmp.path()).args([
            "verify",
            "-CAfile",
            "root-ca.pem",
            "-untrusted",
            untrusted,
        ]);
        if let Some(p) = purpose {
            cmd.args(["-purpose", p]);
        }
        let out = cmd.arg(leaf).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    for (leaf, untrusted) in [
        ("supplier.pem", "service-ca.pem"),
        ("supplier-vat.pem", "service-ca.pem"),
        ("service-centre.pem", "service-ca.pem"),
        ("register.pem", "service-ca.pem"),
        ("qwac.pem", "qwac-ca.pem"),
    ] {
        for purpose in [None, Some("sslclient"), Some("sslserver")] {
            let (ok, output) = verify(untrusted, leaf, purpose);
            assert!(ok, "{leaf} {purpose:?}: {output}");
        }
    }
    let (ok, output) = verify("service-ca.pem", "bad-expired.pem", None);
    assert!(!ok && output.contains("expired"), "{output}");
    let (ok, output) = verify("service-ca.pem", "bad-no-clientauth.pem", Some("sslclient"));
    assert!(!ok, "{output}");
}
