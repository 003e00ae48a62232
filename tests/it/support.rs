//! Shared helpers: fixture paths, the binary under test, openssl.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The check time every test uses, inside the fixtures' validity.
pub const AT: &str = "2030-01-01";
/// The DEMO supplier's business ID (see testdata/pki/README.txt).
pub const SUPPLIER_ID: &str = tilicheck::pki::demo::DEMO_SUPPLIER_ID;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pki")
}

pub fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// `tilicheck` run from the fixture directory, so reports name files relatively.
pub fn tilicheck() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("tilicheck").expect("binary built");
    cmd.current_dir(fixtures())
        .env_remove("NO_COLOR")
        .env_remove("TILICHECK_TEST_PASSWORD")
        // The DEMO CAs stand in for DVV's, and no test reaches a real revocation server.
        .env("TILICHECK_TRUST", demo_anchors())
        .env("TILICHECK_OFFLINE", "true")
        // `demo` caches its DEMO keys in the user's cache directory: never the real one.
        .env("XDG_CACHE_HOME", test_cache_home())
        .timeout(std::time::Duration::from_secs(60));
    without_proxies(&mut cmd);
    cmd
}

/// No proxy from the environment the tests run in: tilicheck honours proxies for loopback
/// too (as curl does), so an inherited `HTTPS_PROXY` would carry the tests' traffic. Tests
/// that mean a proxy set one after this.
pub fn without_proxies(cmd: &mut assert_cmd::Command) {
    for var in tilicheck::net::proxy::VARIABLES {
        cmd.env_remove(var);
    }
}

/// One cache directory for the whole test run (removed with the temporary directory).
pub fn test_cache_home() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("cache tempdir"))
        .path()
}

/// The DEMO root and CAs as a `TILICHECK_TRUST` list (absolute: tests run in other directories).
pub fn demo_anchors() -> String {
    ["root-ca.pem", "service-ca.pem", "qwac-ca.pem"]
        .map(|f| fixture(f).display().to_string())
        .join(",")
}

/// Run the real openssl CLI; panics with its stderr on failure.
pub fn openssl(args: &[&str], dir: &Path, envs: &[(&str, &str)]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .envs(envs.iter().copied())
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run an independent Python oracle, `python3 -c SCRIPT ARGS…`; panics with its stderr (and
/// `what`, naming the oracle) if it fails.
pub fn python<S: AsRef<std::ffi::OsStr>>(
    what: &str,
    script: &str,
    args: impl IntoIterator<Item = S>,
) -> std::process::Output {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("python3 runs ({what}): {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// [`python`] for an oracle that prints one JSON document.
pub fn python_json<S: AsRef<std::ffi::OsStr>>(
    what: &str,
    script: &str,
    args: impl IntoIterator<Item = S>,
) -> serde_json::Value {
    let out = python(what, script, args);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what} printed no JSON document: {e}"))
}

/// Wait until a server the test spawned accepts on loopback `port` (at most 100 tries, 20 ms
/// apart). False when it exits first or never listens; it is then killed and reaped.
pub fn await_listening(child: &mut std::process::Child, port: u16) -> bool {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// What a command printed, standard output then standard error, for assertion messages and
/// for checks that do not care which stream a line went to.
pub fn output_text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}
