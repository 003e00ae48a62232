//! Real and hostile TLS servers on loopback for the `tls` tests and the benchmark's twin:
//! `openssl s_server` in a child process (killed on drop), a rustls server and misbehaving
//! peers in threads.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::support::fixture;

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.local_addr().expect("local addr").port()
}

/// FFDHE parameters (RFC 7919) of `bits`, written into `dir`; instant, no prime search.
pub fn dh_params(dir: &Path, bits: u32) -> String {
    let name = format!("ffdhe{bits}.pem");
    crate::support::openssl(
        &[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            &format!("group:ffdhe{bits}"),
            "-out",
            &name,
        ],
        dir,
        &[],
    );
    dir.join(name).display().to_string()
}

/// `openssl s_server -www` with the DEMO register certificate and the given options.
pub struct OpensslServer {
    child: Child,
    pub port: u16,
}

impl OpensslServer {
    pub fn start(options: &[&str]) -> OpensslServer {
        // Another process may take the free port between our check and s_server's bind:
        // try a few ports.
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new("openssl")
                .arg("s_server")
                .args(["-accept", &format!("127.0.0.1:{port}"), "-www", "-quiet"])
                .args(["-cert", "register.pem", "-key", "register.key"])
                .args(["-cert_chain", "service-ca.pem"])
                .args(options)
                .current_dir(crate::support::fixtures())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("openssl is installed");
            if crate::support::await_listening(&mut child, port) {
                return OpensslServer { child, port };
            }
        }
        panic!("openssl s_server {options:?} did not start");
    }

    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The options of a compliant register: TLS 1.2 and 1.3, (EC)DHE AES-GCM only, 3072-bit DH,
/// client certificate required.
pub fn compliant_options(dh: &str) -> Vec<String> {
    [
        "-no_tls1",
        "-no_tls1_1",
        "-cipher",
        "ECDHE+AESGCM:DHE+AESGCM",
        "-ciphersuites",
        "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
        "-groups",
        "X25519:P-256:P-384:ffdhe3072",
        "-dhparam",
        dh,
        "-Verify",
        "1",
        "-verify_return_error",
        "-CAfile",
        "root-ca.pem",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A server in a thread: each of at most `max_connections` connections is handed to `serve`
/// in its own thread.
pub fn spawn_server<F>(max_connections: usize, serve: F) -> SocketAddr
where
    F: Fn(TcpStream, usize) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let serve = Arc::new(serve);
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().take(max_connections).enumerate() {
            let Ok(stream) = stream else { continue };
            let serve = serve.clone();
            std::thread::spawn(move || serve(stream, i));
        }
    });
    addr
}

/// Read what the client sends first (its hello), up to a bound and a short wait.
pub fn read_hello(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 4096];
    let _ = stream.read(&mut buf);
}

/// A TLS 1.2 ServerHello choosing `suite`, and ServerHelloDone, in one record.
pub fn server_hello_record(suite: u16) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x42; 32]);
    body.push(0);
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0);
    let mut hs = vec![2, 0, 0, body.len() as u8];
    hs.extend_from_slice(&body);
    hs.extend_from_slice(&[14, 0, 0, 0]);
    let mut rec = vec![22, 3, 3];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// A rustls server with the DEMO register certificate that requires a client certificate
/// under the DEMO root and answers every request with `HTTP/1.1 200`.
pub fn rustls_server() -> SocketAddr {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(fixture("register-chain.pem"))
            .expect("chain")
            .map(|c| c.expect("cert"))
            .collect();
    let key = PrivateKeyDer::from_pem_file(fixture("register.key")).expect("key");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(fixture("root-ca.pem")).expect("root"))
        .expect("root");
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .expect("client verifier");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .expect("server config");
    let config = Arc::new(config);
    spawn_server(200, move |tcp, _| {
        let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
        let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") && got.len() < 16384 {
            match tls.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let _ =
            tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        tls.conn.send_close_notify();
        let _ = tls.flush();
    })
}

/// The version and suites of a ClientHello record, read by hand (the test's own parser, so a
/// bug in the prober's writer cannot hide itself).
pub fn parse_client_hello(bytes: &[u8]) -> Option<(u16, Vec<u16>, bool)> {
    let hs = bytes.get(5..)?;
    if *hs.first()? != 1 {
        return None;
    }
    let body = hs.get(4..)?;
    let version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let sid_len = usize::from(*body.get(34)?);
    let at = 35 + sid_len;
    let n = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    let suites = body
        .get(at + 2..at + 2 + n)?
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    // A TLS 1.3 hello carries supported_versions (0x002b); good enough to look for it.
    let tls13 = body.windows(3).any(|w| w == [0x00, 0x2b, 0x00]);
    Some((version, suites, tls13))
}

/// Read one whole ClientHello record (bounded).
pub fn read_client_hello(stream: &mut TcpStream) -> Vec<u8> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < 65536 {
        if got.len() >= 5 && got.len() >= 5 + usize::from(u16::from_be_bytes([got[3], got[4]])) {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got
}

/// nginx (Debian's package) in the foreground, one process, with the DEMO register
/// certificate, asking for client certificates under the DEMO root with `verify_client`
/// ("on" or "optional") and answering `200 ok` to everything it lets through.
pub struct Nginx {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

pub const NGINX: &str = "/usr/sbin/nginx";

impl Nginx {
    pub fn start(verify_client: &str) -> Nginx {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: install Debian's nginx package (.ci/run does)"
        );
        let pki = crate::support::fixtures();
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let d = dir.path().display();
            let conf = format!(
                "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
                 error_log {d}/error.log;\nevents {{ worker_connections 64; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
                 fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
                 server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {pki}/register-chain.pem;\n\
                 ssl_certificate_key {pki}/register.key;\n    ssl_client_certificate {pki}/root-ca.pem;\n\
                 ssl_verify_client {verify_client};\n    ssl_verify_depth 3;\n\
                 location / {{ return 200 \"ok\\n\"; }}\n  }}\n}}\n",
                pki = pki.display()
            );
            let path = dir.path().join("nginx.conf");
            std::fs::write(&path, conf).expect("write nginx.conf");
            let mut child = Command::new(NGINX)
                .arg("-c")
                .arg(&path)
                .arg("-p")
                .arg(dir.path())
                .arg("-e")
                .arg(dir.path().join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("nginx runs");
            if crate::support::await_listening(&mut child, port) {
                return Nginx {
                    child,
                    port,
                    _dir: dir,
                };
            }
        }
        panic!("nginx (ssl_verify_client {verify_client}) did not start");
    }

    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
