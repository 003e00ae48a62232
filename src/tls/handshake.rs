//! A real handshake with rustls (aws-lc-rs): with the user's client certificate, what the
//! server negotiates, whether it asks for a certificate, its chain, and one HTTP/1.1 request.
//! The server's chain is recorded and the handshake allowed to continue whatever it holds:
//! judging the chain is the certificate checks' job, and a report needs the rest either way.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::tls::client::{self, Recording, tls_error};
use crate::tls::facts::{
    Alert, HandshakeFacts, HandshakeOutcome, HttpCertRefusal, HttpFacts, Offered, TrustVerdict,
};
use crate::tls::probe::{ProbeError, Target, dn_text};

pub use crate::tls::client_identity::ClientIdentity;

/// Longest HTTP header block read before giving up.
const MAX_STATUS_LINE: usize = 8192;

/// Why the handshake could not even start. A handshake that starts and fails is a fact
/// ([`HandshakeOutcome::FailedInHandshake`]), not an error.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("the client key cannot be used: {0}")]
    Key(String),
    #[error("the trust anchors cannot be used: {0}")]
    Trust(String),
    #[error("TLS configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Connect(#[from] ProbeError),
}

pub(crate) use crate::tls::client::provider;

/// Which certificate a handshake offers when the server asks for one.
#[derive(Clone, Copy)]
pub enum Presenting<'a> {
    /// None: an anonymous client.
    Nothing,
    /// The user's.
    Supplier(&'a ClientIdentity),
    /// One from a foreign CA ([`crate::tls::foreign`]).
    Foreign(&'a ClientIdentity),
}

impl Presenting<'_> {
    fn identity(&self) -> Option<&ClientIdentity> {
        match self {
            Presenting::Nothing => None,
            Presenting::Supplier(id) | Presenting::Foreign(id) => Some(id),
        }
    }

    fn offered(&self) -> Offered {
        match self {
            Presenting::Nothing => Offered::Nothing,
            Presenting::Supplier(id) => Offered::Supplier {
                subject: id.subject.clone(),
                chain_len: id.chain.len(),
            },
            Presenting::Foreign(id) => Offered::Foreign {
                subject: id.subject.clone(),
            },
        }
    }
}

/// Run the handshake and one `GET /`.
pub fn handshake(
    target: &Target,
    presenting: Presenting<'_>,
    trust: &[CertificateDer<'static>],
) -> Result<HandshakeFacts, HandshakeError> {
    // Keys and verifiers are built with the plain provider; each attempt's own provider
    // differs only in the DH groups offered.
    let provider = Arc::new(provider());
    let key = match presenting.identity() {
        Some(id) => Some(Arc::new(
            CertifiedKey::from_der(id.chain.clone(), id.key.clone_key(), &provider)
                .map_err(|e| HandshakeError::Key(e.to_string()))?,
        )),
        None => None,
    };
    let webpki = if trust.is_empty() {
        None
    } else {
        let mut roots = rustls::RootCertStore::empty();
        for c in trust {
            roots
                .add(c.clone())
                .map_err(|e| HandshakeError::Trust(e.to_string()))?;
        }
        Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| HandshakeError::Trust(e.to_string()))?,
        )
    };
    let verifier = Arc::new(Recorder {
        provider: provider.clone(),
        webpki,
        seen: Mutex::new(None),
    });
    let resolver = Arc::new(ClientCert {
        key,
        asked: Mutex::new(None),
    });
    let name = target.sni.clone().unwrap_or_else(|| target.host.clone());
    let name = ServerName::try_from(
        name.trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
    )
    .map_err(|e| HandshakeError::Config(format!("{name}: {e}")))?;
    let mut connections = 0;
    let open = |provider: Arc<CryptoProvider>| -> Result<_, HandshakeError> {
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(|e| HandshakeError::Config(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_client_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let conn = rustls::ClientConnection::new(Arc::new(config), name.clone())
            .map_err(|e| HandshakeError::Config(e.to_string()))?;
        connections += 1;
        Ok(rustls::StreamOwned::new(
            conn,
            Recording::new(target.connect()?),
        ))
    };
    let driven = client::drive(open)?;
    let mut facts = HandshakeFacts {
        offered: presenting.offered(),
        version: None,
        suite: None,
        group: None,
        cert_requested: false,
        ca_hints: Vec::new(),
        outcome: HandshakeOutcome::Completed,
        http: None,
        chain: Vec::new(),
        trust: None,
        ocsp_stapled: false,
        connections,
    };
    let mut handshake_error = None;
    match driven {
        Ok(tls) => {
            facts.version = tls.conn.protocol_version().and_then(client::version);
            facts.suite = tls
                .conn
                .negotiated_cipher_suite()
                .map(|s| client::suite_name(s.suite()));
            facts.group = client::group_label(&tls.conn);
            facts.outcome = http_exchange(tls, target, &mut facts.http);
        }
        Err(failure) => {
            handshake_error = Some(match failure.not_usable {
                Some(why) => HandshakeOutcome::NotUsable {
                    own_limit: why.is_own_limit(),
                    reason: why.to_string(),
                },
                None => HandshakeOutcome::FailedInHandshake {
                    error: describe(&failure.error),
                    alert: alert_of(&failure.error),
                    by_server: ended_by_server(&failure.error),
                },
            });
        }
    }
    let mut schemes = Vec::new();
    if let Ok(mut asked) = resolver.asked.lock()
        && let Some((hints, offered_schemes)) = asked.take()
    {
        facts.cert_requested = true;
        facts.ca_hints = hints.iter().map(|h| dn_text(h)).collect();
        schemes = offered_schemes;
    }
    if let Ok(mut seen) = verifier.seen.lock()
        && let Some(seen) = seen.take()
    {
        facts.chain = seen.chain;
        facts.trust = seen.trust;
        facts.ocsp_stapled = seen.ocsp_stapled;
    }
    if let Some(outcome) = handshake_error {
        facts.outcome = outcome;
    }
    // rustls sends no certificate when its key cannot make any signature the server accepts:
    // the trial then was an anonymous one and proves nothing about foreign certificates.
    if matches!(presenting, Presenting::Foreign(_))
        && facts.cert_requested
        && !schemes.contains(&crate::tls::foreign::SCHEME)
    {
        facts.outcome = HandshakeOutcome::NotUsable {
            reason: format!(
                "the server accepts no {:?} client signature, so the foreign certificate could not be offered",
                crate::tls::foreign::SCHEME
            ),
            own_limit: true,
        };
    }
    Ok(facts)
}

/// The statuses a certificate refusal can come as (nginx's 400 and 495/496, 403).
const REFUSALS: [u16; 4] = [400, 403, 495, 496];

/// Longest part of a refusing answer read to recognise it.
const MAX_REFUSAL: usize = 4096;

/// One `GET /` (the shared HTTP client) and its status line, with the start of the body when
/// the status can be a certificate refusal. A TLS 1.3 server rejects a client certificate
/// only after the client has finished, so the rejection shows here, as an alert on the first
/// read.
fn http_exchange(
    tls: client::Stream<std::net::TcpStream>,
    target: &Target,
    http: &mut Option<HttpFacts>,
) -> HandshakeOutcome {
    use crate::net::http::{self as h, ExchangeError};
    // The Host header names what the certificate should: the SNI name when there is one.
    let host = match &target.sni {
        Some(name) if target.port == 443 => name.clone(),
        Some(name) => format!("{name}:{}", target.port),
        None => target.endpoint(),
    };
    let request = h::Request {
        method: h::Method::Get,
        target: "/".to_owned(),
        host,
        headers: vec![("User-Agent", "tilicheck".to_owned())],
        body: Vec::new(),
    };
    let bounds = h::Bounds {
        // Each read waits the read timeout; the whole answer a little more.
        deadline: std::time::Instant::now() + target.read_timeout * 2,
        read_timeout: target.read_timeout,
        max_head: MAX_STATUS_LINE,
        body: h::BodyPolicy::Prefix {
            max: MAX_REFUSAL,
            statuses: &REFUSALS,
        },
    };
    let rustls::StreamOwned { conn, sock } = tls;
    let answer = match h::exchange(sock.inner, Some(conn), &request, None, &[], &bounds) {
        Ok(a) => a,
        Err(ExchangeError::Io(e)) => return rejected_or_failed(&e),
        Err(ExchangeError::Timeout | ExchangeError::ReadTimeout) => {
            return HandshakeOutcome::HttpFailed("no answer within the read timeout".to_owned());
        }
        Err(ExchangeError::Closed) => {
            return HandshakeOutcome::HttpFailed(
                "the server closed the connection without an HTTP answer".to_owned(),
            );
        }
        Err(ExchangeError::HeadTooLarge(n)) => {
            return HandshakeOutcome::HttpFailed(format!(
                "no end of the HTTP headers in the first {n} bytes"
            ));
        }
        Err(ExchangeError::Malformed(why)) => {
            return HandshakeOutcome::HttpFailed(format!("not an HTTP answer: {}", clip(&why)));
        }
        Err(other) => return HandshakeOutcome::HttpFailed(format!("{other:?}")),
    };
    let refusal = if REFUSALS.contains(&answer.status) {
        HttpCertRefusal::recognise(answer.status, &String::from_utf8_lossy(&answer.body))
    } else {
        None
    };
    *http = Some(HttpFacts {
        status_line: clip(&answer.status_line()),
        version: answer.version.clone(),
        status: answer.status,
        refusal,
    });
    HandshakeOutcome::Completed
}

fn clip(s: &str) -> String {
    s.chars().take(120).collect()
}

fn rejected_or_failed(e: &std::io::Error) -> HandshakeOutcome {
    match (tls_error(e), alert_of(e)) {
        (Some(rustls::Error::AlertReceived(_)), Some(alert)) => {
            HandshakeOutcome::RejectedAfterHandshake { alert }
        }
        _ => HandshakeOutcome::HttpFailed(describe(e)),
    }
}

/// The server ended the handshake: an alert, or the connection closed under it.
fn ended_by_server(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    alert_of(e).is_some()
        || (tls_error(e).is_none()
            && matches!(
                e.kind(),
                UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe
            ))
}

/// The alert inside an I/O error, if the server sent one.
fn alert_of(e: &std::io::Error) -> Option<Alert> {
    match tls_error(e) {
        Some(rustls::Error::AlertReceived(alert)) => Some(Alert(u8::from(*alert))),
        _ => None,
    }
}

fn describe(e: &std::io::Error) -> String {
    match tls_error(e) {
        Some(rustls::Error::AlertReceived(alert)) => {
            format!("the server sent {}", Alert(u8::from(*alert)))
        }
        Some(other) => other.to_string(),
        None if e.kind() == std::io::ErrorKind::WouldBlock
            || e.kind() == std::io::ErrorKind::TimedOut =>
        {
            "no answer within the read timeout".to_owned()
        }
        None => e.to_string(),
    }
}

/// Records the chain (and the WebPKI verdict when trust anchors were given), then lets the
/// handshake go on: the caller judges the chain (REG-CERT, CERT-ISSUER) itself. Handshake
/// signatures are still verified.
#[derive(Debug)]
pub(crate) struct Recorder {
    provider: Arc<CryptoProvider>,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    seen: Mutex<Option<Seen>>,
}

/// What the verifier was shown.
#[derive(Debug)]
struct Seen {
    chain: Vec<Vec<u8>>,
    trust: Option<TrustVerdict>,
    ocsp_stapled: bool,
}

impl Recorder {
    /// A recorder that accepts any chain and keeps it, without a WebPKI verdict.
    pub(crate) fn accepting(provider: Arc<CryptoProvider>) -> Self {
        Recorder {
            provider,
            webpki: None,
            seen: Mutex::new(None),
        }
    }

    /// The chain the server presented (leaf first); empty before the handshake saw one.
    pub(crate) fn chain(&self) -> Vec<Vec<u8>> {
        self.seen
            .lock()
            .ok()
            .and_then(|s| s.as_ref().map(|seen| seen.chain.clone()))
            .unwrap_or_default()
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // rustls verifies the chain before the name: a name error means the chain is good.
        let verdict = self.webpki.as_ref().map(|v| {
            match v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
                Ok(_) => TrustVerdict::Verified,
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. },
                )) => TrustVerdict::NameMismatch,
                Err(e) => TrustVerdict::Failed(e.to_string()),
            }
        });
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.as_ref().to_vec())
            .collect();
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(Seen {
                chain,
                trust: verdict,
                ocsp_stapled: !ocsp_response.is_empty(),
            });
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Offers the user's certificate (if any) and records that the server asked, with its hints.
#[derive(Debug)]
struct ClientCert {
    key: Option<Arc<CertifiedKey>>,
    /// The request's acceptable-CA hints and signature schemes, once the server asked.
    #[allow(clippy::type_complexity)]
    asked: Mutex<Option<(Vec<Vec<u8>>, Vec<SignatureScheme>)>>,
}

impl ResolvesClientCert for ClientCert {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        if let Ok(mut asked) = self.asked.lock() {
            *asked = Some((
                root_hint_subjects.iter().map(|h| h.to_vec()).collect(),
                sigschemes.to_vec(),
            ));
        }
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}
