//! `tilicheck serve`: a local Account Register. It speaks the register's TLS and HTTP, accepts
//! what the register accepts and answers the rest as the register does, keeps what it accepted
//! in SQLite, shows what clients sent (including their TLS offer) on a read-only inspection
//! page, and injects faults on request.
//!
//! Modules, one job each: [`tls`] (server configuration), [`client_chain`] (a client that sent
//! only its leaf), [`clienthello`] (the client's offer),
//! [`first_request`] (a connection's first request head, answered here if it is HTTP/1.0),
//! [`http`] (one request), [`answers`] (§4.7 bodies), [`judge`] (the seam to message
//! validation) and [`message_judge`] (the message module's token and report checks),
//! [`content`] (warnings the register does not act on),
//! [`supplier_registry`], [`records`] (the §4.3 state
//! machine), [`store`] (SQLite), [`inspect`] (the read-only view), [`faults`], [`setup`]
//! (the DEMO PKI and files the command line names).

pub mod admission;
pub mod answers;
pub mod client_chain;
pub mod clienthello;
pub mod committer;
mod connection;
pub mod content;
pub mod faults;
pub mod first_request;
pub mod http;
pub mod inspect;
mod inspect_records;
pub mod judge;
pub mod message_judge;
pub mod records;
pub mod setup;
pub mod store;
pub mod supplier_registry;
pub mod tls;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::findings::Finding;
use crate::profile::Interface;
use clienthello::ClientHelloFacts;
pub use content::ContentPolicy;
use faults::{FaultPlan, Faults};
use judge::SubmissionJudge;
use store::{Store, StoreError};
use supplier_registry::SupplierRegistry;

/// What to do with a request sent while the sender's previous one is unanswered (§3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SequentialPolicy {
    /// Accept it, and flag it in the log and the inspection view.
    Warn,
    /// Answer 400 and flag it.
    Reject,
}

/// Bounds that keep slow, idle or hostile clients from starving everyone else.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections served at once. A newcomer beyond them takes the slot of a connection
    /// still in its handshake, else of an idle keep-alive one ([`admission`]); it is closed
    /// on arrival only when every connection is busy with a request.
    pub max_connections: usize,
    /// Time for the ClientHello to arrive and the handshake to finish.
    pub handshake_timeout: Duration,
    /// Time for a request's headers to arrive.
    pub header_timeout: Duration,
    /// Time for a request's body to arrive.
    pub body_timeout: Duration,
    /// A keep-alive connection with no request for this long is closed.
    pub idle_timeout: Duration,
    /// Largest request head (request line and headers), in bytes; at least 8192.
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_header_bytes: 16 * 1024,
        }
    }
}

/// Everything the simulator runs with.
pub struct Config {
    pub listen: SocketAddr,
    /// Let `listen` be a non-loopback address (the simulator has no access control beyond
    /// the client certificate, and keeps what it receives).
    pub allow_remote: bool,
    /// The inspection page's address; must be a loopback address.
    pub inspect: Option<SocketAddr>,
    pub data_dir: PathBuf,
    pub interface: Interface,
    /// The server certificate chain (leaf first) and its key.
    pub server_chain: Vec<CertificateDer<'static>>,
    pub server_key: PrivateKeyDer<'static>,
    /// CA certificates client certificates must chain to.
    pub trust: Vec<CertificateDer<'static>>,
    /// ECDHE, finite-field DHE, or both.
    pub key_exchange: tls::KeyExchange,
    pub registry: SupplierRegistry,
    pub judge: Arc<dyn SubmissionJudge>,
    pub faults: Faults,
    pub sequential: SequentialPolicy,
    /// What to do with a message whose only faults are content warnings.
    pub content: ContentPolicy,
    pub limits: Limits,
    /// Print a line per connection and request to standard error.
    pub verbose: bool,
    /// Prune the tokens of messages older than this many days (`None`: keep everything).
    pub retain_days: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the inspection page must listen on a loopback address (127.0.0.1 or ::1), not {0}")]
    InspectNotLoopback(SocketAddr),
    #[error(
        "{0} is not a loopback address: the simulator would be reachable from other machines; listen on 127.0.0.1 or ::1, or give --allow-remote if that is what you want"
    )]
    ListenNotLoopback(SocketAddr),
    #[error(transparent)]
    Tls(#[from] tls::TlsSetupError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}: cannot create the data directory: {source}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

/// One connection's ClientHello, handshake outcome and findings, for the log and inspection.
#[derive(Clone, Debug, Serialize)]
pub struct HelloRecord {
    pub connection: u64,
    pub at: String,
    pub peer: String,
    /// None when the first bytes were not a readable ClientHello.
    pub offer: Option<ClientHelloFacts>,
    /// Why the connection ended before HTTP, if it did.
    pub error: Option<String>,
    pub certificate_sent: bool,
    pub tls_identity: Option<String>,
    pub negotiated: Option<String>,
    pub findings: Vec<FindingView>,
}

/// A finding as shown by the inspection view.
#[derive(Clone, Debug, Serialize)]
pub struct FindingView {
    pub rule: &'static str,
    pub status: &'static str,
    pub detail: String,
}

impl From<&Finding> for FindingView {
    fn from(f: &Finding) -> Self {
        FindingView {
            rule: f.rule.as_str(),
            status: f.status.as_str(),
            detail: f.detail.clone(),
        }
    }
}

/// How many client-hello records the inspection view keeps.
const HELLO_HISTORY: usize = 500;

/// State shared by all connections.
pub struct Shared {
    pub interface: Interface,
    pub registry: SupplierRegistry,
    pub judge: Arc<dyn SubmissionJudge>,
    /// The database writer (group commit).
    pub store: committer::Committer,
    pub faults: FaultPlan,
    pub sequential: SequentialPolicy,
    pub content: ContentPolicy,
    pub limits: Limits,
    pub verbose: bool,
    /// Requests being handled, per sender.
    pub in_flight: Mutex<HashMap<String, usize>>,
    pub hellos: Mutex<VecDeque<HelloRecord>>,
    next_connection: AtomicU64,
}

impl Shared {
    /// One log line. Parts of it come from clients (SNI, certificate names, errors), so it
    /// is neutralised: a client cannot forge a log line of its own.
    fn say(&self, line: String) {
        if self.verbose {
            eprintln!("tilicheck serve: {}", crate::render::neutral::text(&line));
        }
    }

    fn remember(&self, record: HelloRecord) {
        if self.verbose {
            let summary: Vec<String> = record
                .findings
                .iter()
                .map(|f| format!("{} {}", f.rule, f.status))
                .collect();
            self.say(format!(
                "connection {} from {}: {}{}",
                record.connection,
                record.peer,
                record.error.as_deref().unwrap_or("handshake done"),
                if summary.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", summary.join(", "))
                }
            ));
        }
        if let Ok(mut h) = self.hellos.lock() {
            if h.len() == HELLO_HISTORY {
                h.pop_front();
            }
            h.push_back(record);
        }
    }
}

/// One TLS connection's identity, for the request handler.
#[derive(Debug)]
pub struct ConnInfo {
    pub id: u64,
    pub peer: SocketAddr,
    pub tls_identity: Option<String>,
    pub requests_in_flight: AtomicUsize,
}

/// A running simulator. Dropping it without [`Running::shutdown`] also stops it.
pub struct Running {
    pub addr: SocketAddr,
    pub inspect_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Stop accepting, let answers in progress finish (up to a few seconds), and return.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Block until SIGINT (Ctrl-C) or SIGTERM, then shut down.
    pub fn wait_for_signal(self) -> Result<(), SimError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(SimError::Runtime)?;
        rt.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => {
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = term.recv() => {}
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        });
        self.shutdown();
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Create the data directory (and missing parents) owner-only (0700). An existing directory
/// is left as it is (it may be the user's own); the database in it is owner-only anyway.
fn owner_only_dir(dir: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

pub struct Simulator;

impl Simulator {
    /// Bind the listeners, open the store and serve on a background runtime.
    pub fn start(config: Config) -> Result<Running, SimError> {
        if let Some(inspect) = config.inspect
            && !inspect.ip().is_loopback()
        {
            return Err(SimError::InspectNotLoopback(inspect));
        }
        if !config.listen.ip().is_loopback() && !config.allow_remote {
            return Err(SimError::ListenNotLoopback(config.listen));
        }
        owner_only_dir(&config.data_dir).map_err(|source| SimError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let tls_config = tls::server_config(
            config.server_chain,
            config.server_key,
            &config.trust,
            config.key_exchange,
        )?;
        let store = Store::open(&config.data_dir)?;
        let reader = Store::open_reader(&config.data_dir)?;
        let bind = |addr: SocketAddr| -> Result<std::net::TcpListener, SimError> {
            let l = std::net::TcpListener::bind(addr)
                .map_err(|source| SimError::Bind { addr, source })?;
            l.set_nonblocking(true)
                .map_err(|source| SimError::Bind { addr, source })?;
            Ok(l)
        };
        let listener = bind(config.listen)?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        let inspect_listener = config.inspect.map(bind).transpose()?;
        let inspect_addr = match &inspect_listener {
            Some(l) => Some(
                l.local_addr()
                    .map_err(|source| SimError::Bind { addr, source })?,
            ),
            None => None,
        };
        let shared = Arc::new(Shared {
            interface: config.interface,
            registry: config.registry,
            judge: config.judge,
            store: committer::Committer::start(store, config.retain_days)
                .map_err(SimError::Runtime)?,
            faults: FaultPlan::new(config.faults),
            sequential: config.sequential,
            content: config.content,
            limits: config.limits,
            verbose: config.verbose,
            in_flight: Mutex::new(HashMap::new()),
            hellos: Mutex::new(VecDeque::new()),
            next_connection: AtomicU64::new(1),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("tilicheck-serve")
            .build()
            .map_err(SimError::Runtime)?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("tilicheck-serve".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("tilicheck serve: cannot use the listener: {e}");
                            return;
                        }
                    };
                    if let Some(l) = inspect_listener {
                        match TcpListener::from_std(l) {
                            Ok(l) => {
                                tokio::spawn(inspect::serve(
                                    l,
                                    shared.clone(),
                                    Arc::new(Mutex::new(reader)),
                                    shutdown_rx.clone(),
                                ));
                            }
                            Err(e) => eprintln!(
                                "tilicheck serve: cannot use the inspection listener: {e}"
                            ),
                        }
                    }
                    connection::accept_loop(listener, tls_config, shared, shutdown_rx).await;
                });
                runtime.shutdown_timeout(Duration::from_secs(5));
            })
            .map_err(SimError::Runtime)?;
        Ok(Running {
            addr,
            inspect_addr,
            shutdown: shutdown_tx,
            thread: Some(thread),
        })
    }
}
