//! The full `tilicheck tls` run against a compliant register on loopback.
//!
//! `cargo bench --bench tls_probe` starts `openssl s_server` configured as a compliant
//! register (TLS 1.2 + 1.3, ECDHE/DHE AES-GCM only, 3072-bit DH, client certificate
//! required, the DEMO register certificate) and prints:
//! - the in-process wall time of probe + the three real handshakes (the supplier's, none, a
//!   foreign CA's) + checks (median and best of 20), with the number of TCP connections one
//!   run opens;
//! - the wall time of one `tilicheck tls` process doing the same (median and best of 10).
//!
//! Targets: under 300 ms and under 40 connections.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tilicheck::checks::tls::endpoint_subject;
use tilicheck::pki::load;
use tilicheck::profile::Interface;
use tilicheck::secret::PasswordSource;
use tilicheck::tls::endpoint::endpoint_facts;
use tilicheck::tls::handshake::ClientIdentity;
use tilicheck::tls::probe::Target;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(pki: &Path, dh: &Path) -> (Server, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-www",
            "-quiet",
        ])
        .args(["-no_tls1", "-no_tls1_1"])
        .args(["-cipher", "ECDHE+AESGCM:DHE+AESGCM"])
        .args([
            "-ciphersuites",
            "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
        ])
        .args(["-groups", "X25519:P-256:P-384:ffdhe3072"])
        .arg("-dhparam")
        .arg(dh)
        .args([
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            "root-ca.pem",
        ])
        .args([
            "-cert",
            "register.pem",
            "-key",
            "register.key",
            "-cert_chain",
            "service-ca.pem",
        ])
        .current_dir(pki)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl is installed");
    let server = Server(child);
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (server, port);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("openssl s_server did not start");
}

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[0])
}

fn main() {
    let pki = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/pki");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dh = tmp.path().join("ffdhe3072.pem");
    let ok = Command::new("openssl")
        .args([
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:ffdhe3072",
            "-out",
        ])
        .arg(&dh)
        .status()
        .expect("openssl");
    assert!(ok.success(), "DH parameters");
    let (_server, port) = start_server(&pki, &dh);

    let file = load::read_certificates(&pki.join("supplier-chain.pem"), &PasswordSource::None)
        .expect("client chain");
    let key = load::read_private_key(&pki.join("supplier.key"), &PasswordSource::None)
        .expect("client key");
    let identity = ClientIdentity {
        chain: file.certificates,
        key: key.der,
        subject: "DEMO supplier".into(),
    };
    let target = Target::resolve(
        "127.0.0.1",
        port,
        None,
        Duration::from_secs(3),
        Duration::from_secs(3),
    )
    .expect("target");
    let profile = Interface::V3.profile();

    let mut times = Vec::new();
    let mut connections = 0;
    for _ in 0..20 {
        let start = Instant::now();
        let facts = endpoint_facts(&target, Some(&identity), &[]).expect("probe");
        let subject = endpoint_subject(&facts, profile);
        times.push(start.elapsed());
        assert!(!subject.findings.is_empty());
        connections = facts.connections();
    }
    let (med, best) = median(times);
    println!(
        "tls probe in-process (versions, suites, groups, client-auth classification, mTLS handshake): median {:.1} ms, best {:.1} ms, {connections} TCP connections per run",
        med.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3
    );

    let exe = env!("CARGO_BIN_EXE_tilicheck");
    let endpoint = format!("127.0.0.1:{port}");
    let mut times = Vec::new();
    for _ in 0..10 {
        let start = Instant::now();
        let out = Command::new(exe)
            .args([
                "tls",
                &endpoint,
                "--cert",
                "supplier-chain.pem",
                "--key",
                "supplier.key",
            ])
            .current_dir(&pki)
            .output()
            .expect("tilicheck runs");
        times.push(start.elapsed());
        assert!(
            !out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (med, best) = median(times);
    println!(
        "tilicheck tls process: median {:.1} ms, best {:.1} ms",
        med.as_secs_f64() * 1e3,
        best.as_secs_f64() * 1e3
    );
}
