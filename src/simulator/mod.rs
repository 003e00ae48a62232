//! `tilicheck serve`: a local Account Register. It speaks the register's TLS and HTTP, accepts
//! what the register accepts and answers the rest as the register does, keeps what it accepted
//! in SQLite, shows what clients sent (including their TLS offer) on a read-only inspection
//! page, and injects faults on request.
//!
//! Modules, one job each: [`tls`] (server configuration), [`clienthello`] (the client's offer),
//! [`http`] (one request), [`answers`] (§4.7 bodies), [`judge`] (the seam to message
//! validation) and [`minimal_judge`], [`supplier_registry`], [`records`] (the §4.3 state
//! machine), [`store`] (SQLite), [`inspect`] (the read-only view), [`faults`], [`setup`]
//! (the DEMO PKI and files the command line names).

pub mod answers;
pub mod clienthello;
pub mod faults;
pub mod http;
pub mod inspect;
pub mod judge;
pub mod minimal_judge;
pub mod records;
pub mod setup;
pub mod store;
pub mod supplier_registry;
pub mod tls;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use crate::findings::Finding;
use crate::pki::facts::CertificateFacts;
use crate::profile::{Interface, RuleId};
use clienthello::{ClientHelloFacts, Replay};
use faults::{FaultPlan, Faults};
use judge::SubmissionJudge;
use store::{Store, StoreError};
use supplier_registry::{SupplierRegistry, certificate_identity};

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
    /// Connections served at once; more are closed on arrival.
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
    /// The inspection page's address; must be a loopback address.
    pub inspect: Option<SocketAddr>,
    pub data_dir: PathBuf,
    pub interface: Interface,
    /// The server certificate chain (leaf first) and its key.
    pub server_chain: Vec<CertificateDer<'static>>,
    pub server_key: PrivateKeyDer<'static>,
    /// CA certificates client certificates must chain to.
    pub trust: Vec<CertificateDer<'static>>,
    pub registry: SupplierRegistry,
    pub judge: Arc<dyn SubmissionJudge>,
    pub faults: Faults,
    pub sequential: SequentialPolicy,
    pub limits: Limits,
    /// Print a line per connection and request to standard error.
    pub verbose: bool,
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
    pub store: Mutex<Store>,
    pub faults: FaultPlan,
    pub sequential: SequentialPolicy,
    pub limits: Limits,
    pub verbose: bool,
    /// Requests being handled, per sender.
    pub in_flight: Mutex<HashMap<String, usize>>,
    pub hellos: Mutex<VecDeque<HelloRecord>>,
    next_connection: AtomicU64,
}

impl Shared {
    fn say(&self, line: String) {
        if self.verbose {
            eprintln!("tilicheck serve: {line}");
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

pub struct Simulator;

impl Simulator {
    /// Bind the listeners, open the store and serve on a background runtime.
    pub fn start(config: Config) -> Result<Running, SimError> {
        if let Some(inspect) = config.inspect
            && !inspect.ip().is_loopback()
        {
            return Err(SimError::InspectNotLoopback(inspect));
        }
        std::fs::create_dir_all(&config.data_dir).map_err(|source| SimError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let tls_config = tls::server_config(config.server_chain, config.server_key, &config.trust)?;
        let store = Store::open(&config.data_dir)?;
        let reader = Store::open(&config.data_dir)?;
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
            store: Mutex::new(store),
            faults: FaultPlan::new(config.faults),
            sequential: config.sequential,
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
                    accept_loop(listener, tls_config, shared, shutdown_rx).await;
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

async fn accept_loop(
    listener: TcpListener,
    tls_config: Arc<rustls::ServerConfig>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls_config);
    let slots = Arc::new(Semaphore::new(shared.limits.max_connections));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    shared.say(format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        while tasks.try_join_next().is_some() {}
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            shared.say(format!(
                "{peer}: refused, {} connections already open (the limit)",
                shared.limits.max_connections
            ));
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let acceptor = acceptor.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            serve_connection(shared, acceptor, tcp, peer, shutdown).await;
            drop(permit);
        });
    }
    // Let answers in progress finish; the runtime's shutdown timeout bounds the rest.
    let deadline = tokio::time::sleep(Duration::from_secs(5));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = tasks.join_next() => if next.is_none() { break },
            _ = &mut deadline => break,
        }
    }
}

async fn serve_connection(
    shared: Arc<Shared>,
    acceptor: tokio_rustls::TlsAcceptor,
    mut tcp: TcpStream,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    let id = shared.next_connection.fetch_add(1, Ordering::Relaxed);
    let mut record = HelloRecord {
        connection: id,
        at: store::now_text(),
        peer: peer.to_string(),
        offer: None,
        error: None,
        certificate_sent: false,
        tls_identity: None,
        negotiated: None,
        findings: Vec::new(),
    };
    let first =
        match clienthello::read_first_record(&mut tcp, shared.limits.handshake_timeout).await {
            Ok(r) => r,
            Err(e) => {
                record.error = Some(e.to_string());
                shared.remember(record);
                return;
            }
        };
    match clienthello::parse(&first) {
        Ok(offer) => {
            record.findings = clienthello::judge(&offer)
                .iter()
                .map(FindingView::from)
                .collect();
            record.offer = Some(offer);
        }
        Err(e) => record.error = Some(e.to_string()),
    }
    let handshake = tokio::time::timeout(
        shared.limits.handshake_timeout,
        acceptor.accept(Replay::new(first, tcp)),
    )
    .await;
    let tls = match handshake {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            record.error = Some(format!("TLS handshake failed: {e}"));
            if e.to_string().contains("no certificates")
                || e.to_string().contains("CertificateRequired")
            {
                record.findings.push(FindingView::from(&Finding::fail(
                    RuleId::TlsMutual,
                    "the client sent no certificate; the register requires one",
                )));
            }
            shared.remember(record);
            return;
        }
        Err(_) => {
            record.error = Some(format!(
                "TLS handshake not finished within {:?}",
                shared.limits.handshake_timeout
            ));
            shared.remember(record);
            return;
        }
    };
    let (_, session) = tls.get_ref();
    let leaf = session
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.as_ref().to_vec());
    record.certificate_sent = leaf.is_some();
    let tls_identity = leaf
        .as_deref()
        .and_then(|der| CertificateFacts::from_der(der).ok())
        .and_then(|f| certificate_identity(&f));
    record.tls_identity = tls_identity.clone();
    record.negotiated = Some(
        format!(
            "{:?} {:?}",
            session
                .protocol_version()
                .map(|v| v.as_str().unwrap_or("?")),
            session
                .negotiated_cipher_suite()
                .map(|s| s.suite().as_str().unwrap_or("?"))
        )
        .replace("Some(\"", "")
        .replace("\")", ""),
    );
    record.findings.push(FindingView::from(&Finding::pass(
        RuleId::TlsMutual,
        format!(
            "the client presented a certificate that chains to the trusted CA ({})",
            tls_identity.as_deref().unwrap_or("no identifier")
        ),
    )));
    shared.remember(record);

    let activity = Arc::new(Activity::new());
    let info = Arc::new(ConnInfo {
        id,
        peer,
        tls_identity,
        requests_in_flight: AtomicUsize::new(0),
    });
    let io = Tracked {
        inner: tls,
        activity: activity.clone(),
    };
    let svc_shared = shared.clone();
    let svc_info = info.clone();
    let service = service_fn(move |req| http::handle(svc_shared.clone(), svc_info.clone(), req));
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.limits.header_timeout)
        .max_buf_size(shared.limits.max_header_bytes.max(8192))
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    shared.say(format!("connection {id} from {peer}: {e}"));
                }
                break;
            }
            _ = tick.tick() => {
                if info.requests_in_flight.load(Ordering::SeqCst) == 0
                    && activity.idle_for() > shared.limits.idle_timeout
                {
                    shared.say(format!("connection {id} from {peer}: closed after {:?} idle", shared.limits.idle_timeout));
                    break;
                }
            }
            _ = shutdown.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.as_mut()).await;
                break;
            }
        }
    }
}

/// When a connection last received bytes.
struct Activity {
    start: Instant,
    last_read_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_read_ms: AtomicU64::new(0),
        }
    }
    fn touch(&self) {
        self.last_read_ms
            .store(self.start.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_read_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// A stream that records when it last read something.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
