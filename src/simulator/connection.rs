//! Connections: the accept loop with its connection slots (see [`super::admission`] for who
//! makes room when they are all taken), and one connection from the first TLS record
//! (captured for the client-hello diagnostics) through the handshake and the first request
//! head (an HTTP/1.0 one is answered here) to hyper's HTTP/1.1, closed when idle, when its slot
//! is given to a newcomer, or on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::admission::{Admission, Overdue, Shed, Slot, Stage, Tracked, until_overdue};
use super::client_chain;
use super::clienthello::{self, Replay};
use super::first_request::{self, FirstRequest};
use super::supplier_registry::certificate_identity;
use super::{ConnInfo, FindingView, HelloRecord, Shared, http, store};
use crate::findings::Finding;
use crate::pki::facts::CertificateFacts;
use crate::profile::RuleId;

pub(super) async fn accept_loop(
    listener: TcpListener,
    tls_config: Arc<rustls::ServerConfig>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls_config);
    let slots = Admission::new(shared.limits.max_connections);
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
        let Some((slot, shed)) = slots.admit(peer.ip()) else {
            shared.say(format!(
                "{peer}: refused, all {} connections are busy with requests (the limit)",
                shared.limits.max_connections
            ));
            drop(tcp);
            continue;
        };
        if let Some(shed) = shed {
            shared.say(format!(
                "{peer}: all {} slots taken; closed {} to make room",
                shared.limits.max_connections,
                match shed {
                    Shed::Silent => "a connection that had sent nothing",
                    Shed::Handshaking => "a connection still in its handshake",
                    Shed::Idle => "an idle keep-alive connection",
                }
            ));
        }
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let acceptor = acceptor.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            tokio::select! {
                () = serve_connection(shared, acceptor, tcp, peer, &slot, shutdown) => {}
                // Given to a newcomer: dropping the connection's future closes it.
                () = slot.evicted() => {}
            }
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
    slot: &Slot,
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
    slot.reached(Stage::Handshaking);
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
    let (handshake, leaf_only) = client_chain::watch(tokio::time::timeout(
        shared.limits.handshake_timeout,
        acceptor.accept(Replay::new(first, tcp)),
    ))
    .await;
    let tls = match handshake {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            record.error = Some(if leaf_only {
                format!(
                    "TLS handshake failed: the client sent only its leaf certificate; send the chain, the leaf followed by its intermediate CA (with the DEMO PKI: supplier-chain.pem) ({e})"
                )
            } else {
                format!("TLS handshake failed: {e}")
            });
            let no_certificate = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|r| matches!(r, rustls::Error::NoCertificatesPresented));
            if no_certificate {
                record.findings.push(FindingView::from(&Finding::fail(
                    RuleId::TlsMutual,
                    "the client sent no certificate; the register requires one",
                )));
            }
            if leaf_only {
                record.findings.push(FindingView::from(&Finding::fail(
                    RuleId::TlsMutual,
                    "the client sent only its leaf certificate, whose issuer is not a trust anchor: send the intermediate CA certificate with it",
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
    // The names every report uses: "TLS 1.3", the IANA suite name.
    let version = session
        .protocol_version()
        .and_then(crate::tls::client::version)
        .map_or("?".to_owned(), |v| v.to_string());
    let suite = session
        .negotiated_cipher_suite()
        .map_or("?".to_owned(), |s| {
            crate::tls::client::suite_name(s.suite())
        });
    record.negotiated = Some(format!("{version} {suite}"));
    record.findings.push(FindingView::from(&Finding::pass(
        RuleId::TlsMutual,
        format!(
            "the client presented a certificate that chains to the trusted CA ({})",
            tls_identity.as_deref().unwrap_or("no identifier")
        ),
    )));
    shared.remember(record);
    slot.reached(Stage::Established);

    let handle = slot.handle();
    handle.touch();
    let info = Arc::new(ConnInfo {
        id,
        peer,
        tls_identity,
        requests_in_flight: AtomicUsize::new(0),
    });
    let mut tls = tls;
    let head_limit = shared.limits.max_header_bytes.max(8192);
    let first = match first_request::read(&mut tls, head_limit, shared.limits.header_timeout).await
    {
        FirstRequest::Hyper(bytes) => bytes,
        FirstRequest::Http10(head) => {
            let answer = http::answer_http10(&shared, &info, &head).await;
            // The body is not needed; read a bounded amount of it so the client gets the answer.
            let limit = shared.interface.profile().max_message_bytes.value as u64;
            let unread = head
                .content_length
                .unwrap_or(0)
                .saturating_sub(head.body_bytes as u64);
            if unread <= limit.saturating_add(http::DRAIN_LIMIT) {
                first_request::discard(&mut tls, unread, shared.limits.body_timeout).await;
            }
            let _ = tokio::time::timeout(shared.limits.body_timeout, async {
                tls.write_all(&answer.to_http11_bytes()).await?;
                tls.shutdown().await
            })
            .await;
            return;
        }
        FirstRequest::Gone { bytes, timed_out } => {
            if timed_out {
                shared.say(format!(
                    "connection {id} from {peer}: no complete request within {:?} ({bytes} bytes); closed",
                    shared.limits.header_timeout
                ));
            } else if bytes > 0 {
                shared.say(format!(
                    "connection {id} from {peer}: closed by the client in the middle of a request head ({bytes} bytes)"
                ));
            }
            return;
        }
    };
    let io = Tracked {
        inner: Replay::new(first, tls),
        slot: handle.clone(),
    };
    let svc_shared = shared.clone();
    let svc_info = info.clone();
    let service = service_fn(move |req| {
        let (shared, info, handle) = (svc_shared.clone(), svc_info.clone(), handle.clone());
        async move {
            // Busy until answered: a connection with a request in flight never gives way.
            let _busy = handle.busy();
            http::handle(shared, info, req).await
        }
    });
    // No hyper header timeout: ours (`until_overdue`) runs only while a head is arriving.
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .max_buf_size(shared.limits.max_header_bytes.max(8192))
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let limits = shared.limits;
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                shared.say(format!("connection {id} from {peer}: {e}"));
            }
        }
        why = until_overdue(slot, limits.header_timeout, limits.idle_timeout) => {
            shared.say(match why {
                Overdue::Idle => format!(
                    "connection {id} from {peer}: closed after {:?} idle",
                    limits.idle_timeout
                ),
                Overdue::Head => format!(
                    "connection {id} from {peer}: no complete request head within {:?}; closed",
                    limits.header_timeout
                ),
            });
        }
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.as_mut()).await;
        }
    }
}
