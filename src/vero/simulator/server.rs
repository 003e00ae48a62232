//! The simulator's HTTPS endpoint: a blocking listener on loopback, a thread per connection,
//! one request per connection, bounded in size and time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::profile::VERO;
use crate::profile::vero::Environment;
use crate::vero::dsig::SigningKey;
use crate::vero::simulator::ca::{CaError, DemoCa};
use crate::vero::simulator::service::{
    Misbehaviour, Reply, ResponseSigner, ServiceState, TransferGrant,
};

/// Largest request the simulator reads.
const MAX_REQUEST_BYTES: usize = 256 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole request must arrive within this, however slowly it drips.
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);
/// Connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("{0}")]
    Ca(#[from] CaError),
    #[error("the simulator listens on loopback only; {0} is not a loopback address")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// How to start the simulator.
#[derive(Clone, Debug)]
pub struct SimulatorConfig {
    pub listen: SocketAddr,
    pub environment: Environment,
    pub grants: Vec<TransferGrant>,
    /// GetCertificate answers "not issued yet" this many times per retrieval ID.
    pub pending_polls: u32,
}

struct Shared {
    state: Mutex<ServiceState>,
    issuing_ca: DemoCa,
    signer: ResponseSigner,
}

/// A running simulator. Dropping it stops the listener.
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// PEM of the CA that signed the TLS server certificate: give it to clients with `--ca`.
    pub tls_ca_pem: String,
    /// PEM of the DEMO Data Providers issuing CA.
    pub issuing_ca_pem: String,
    /// PEM of the DEMO CA of the certificate that signs the answers (for `--service-ca`).
    pub service_ca_pem: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    pub fn start(config: SimulatorConfig) -> Result<Self, SimulatorError> {
        if !config.listen.ip().is_loopback() {
            return Err(SimulatorError::NotLoopback(config.listen));
        }
        let tls_ca = DemoCa::new("DEMO IR Services TLS CA")?;
        let (server_cert, server_key) = tls_ca.issue_server()?;
        let issuing_ca = DemoCa::data_providers(&VERO, config.environment)?;
        let services_ca = DemoCa::new("DEMO IR Services Issuing CA v1")?;
        let (signer_cert, signer_key) = services_ca.issue_signer("DEMO IR Services")?;
        let signer = ResponseSigner {
            key: SigningKey::from_der(&PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                signer_key.serialize_der(),
            )))
            .map_err(|e| SimulatorError::Tls(e.to_string()))?,
            cert_der: signer_cert.to_vec(),
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| SimulatorError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![server_cert], key)
            .map_err(|e| SimulatorError::Tls(e.to_string()))?;
        let tls = Arc::new(tls);
        let listener = TcpListener::bind(config.listen).map_err(|e| SimulatorError::Listen {
            addr: config.listen,
            reason: e.to_string(),
        })?;
        let addr = listener.local_addr().map_err(|e| SimulatorError::Listen {
            addr: config.listen,
            reason: e.to_string(),
        })?;
        let shared = Arc::new(Shared {
            state: Mutex::new(ServiceState::new(
                config.environment,
                config.grants,
                config.pending_polls,
            )),
            issuing_ca,
            signer,
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let active = Arc::new(AtomicUsize::new(0));
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(tcp) = conn else { continue };
                    if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                        active.fetch_sub(1, Ordering::SeqCst);
                        drop(tcp);
                        continue;
                    }
                    let shared = Arc::clone(&shared);
                    let tls = Arc::clone(&tls);
                    let active = Arc::clone(&active);
                    std::thread::spawn(move || {
                        serve_one(tcp, tls, &shared);
                        active.fetch_sub(1, Ordering::SeqCst);
                    });
                }
            })
        };
        Ok(Simulator {
            addr,
            tls_ca_pem: tls_ca.cert_pem.clone(),
            issuing_ca_pem: shared.issuing_ca.cert_pem.clone(),
            service_ca_pem: services_ca.cert_pem.clone(),
            shared,
            stop,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The service URL, with the real service's path.
    pub fn url(&self) -> String {
        format!("https://{}/2017/10/CertificateServices", self.addr)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ServiceState> {
        // A panicked handler thread must not take the simulator down with it.
        self.shared
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn set_misbehaviour(&self, m: Misbehaviour) {
        self.state().misbehaviour = m;
    }

    /// Fix the simulator's clock (issuing time, renewal window); `None` = the real time.
    pub fn set_clock(&self, t: Option<time::OffsetDateTime>) {
        self.state().clock = t;
    }

    pub fn set_pending_polls(&self, n: u32) {
        self.state().set_pending_polls(n);
    }

    pub fn add_grant(&self, g: TransferGrant) {
        self.state().add_grant(g);
    }

    /// How many calls of an operation (`sign_new`, `get`, `renew`) were answered.
    pub fn calls(&self, op: &str) -> usize {
        self.state().calls.get(op).copied().unwrap_or(0)
    }

    /// The last RenewCertificate message received.
    pub fn last_renewal(&self) -> Option<String> {
        self.state().last_renewal.clone()
    }

    /// Block the calling thread until the process ends (for `vero serve-pki`).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_one(tcp: TcpStream, tls: Arc<rustls::ServerConfig>, shared: &Shared) {
    let _ = tcp.set_read_timeout(Some(READ_TIMEOUT));
    let _ = tcp.set_write_timeout(Some(READ_TIMEOUT));
    let Ok(conn) = rustls::ServerConnection::new(tls) else {
        return;
    };
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let reply = match read_request(&mut stream) {
        Ok(body) => {
            let mut state = shared
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.handle(&body, &shared.issuing_ca, &shared.signer, &VERO)
        }
        Err(status) => Reply {
            status,
            content_type: "text/plain",
            body: "bad request\n".into(),
        },
    };
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.status,
        if reply.status == 200 { "OK" } else { "Error" },
        reply.content_type,
        reply.body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(reply.body.as_bytes());
    let _ = stream.flush();
    stream.conn.send_close_notify();
    let _ = stream.flush();
}

/// Read one POST with a Content-Length; an HTTP status on failure.
fn read_request(stream: &mut impl Read) -> Result<String, u16> {
    let started = std::time::Instant::now();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            if !head.starts_with("POST ") {
                return Err(405);
            }
            let len: usize = head
                .split("\r\n")
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .ok_or(411u16)?;
            if len > MAX_REQUEST_BYTES {
                return Err(413);
            }
            while buf.len() < end + 4 + len {
                if started.elapsed() > REQUEST_DEADLINE {
                    return Err(408);
                }
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => return Err(400),
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            return String::from_utf8(buf[end + 4..end + 4 + len].to_vec()).map_err(|_| 400);
        }
        if buf.len() > MAX_REQUEST_BYTES {
            return Err(413);
        }
        if started.elapsed() > REQUEST_DEADLINE {
            return Err(408);
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(400),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Convenience for tests and `serve-pki`: a grant from its parts.
pub fn grant(transfer_id: &str, password: &str, customer_id: &str) -> TransferGrant {
    TransferGrant {
        transfer_id: transfer_id.to_owned(),
        password: password.to_owned(),
        customer_id: customer_id.to_owned(),
    }
}
