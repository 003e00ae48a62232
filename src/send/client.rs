//! One signed request over mutual TLS, HTTP/1.1 (the shared client, [`crate::net::http`]),
//! with every limit a hostile or silent peer needs: connect and read timeouts, an overall
//! deadline and a cap on the answer's size.
//!
//! The register's chain is recorded during the handshake and judged (REG-CERT, CERT-ISSUER)
//! by the caller *before* the request is written: a message is never sent to a server that
//! is not the register.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

use crate::net::http::{self, Request};
use crate::tls::client::{self, Recording};
use crate::tls::handshake::{ClientIdentity, Recorder, provider};
use crate::tls::probe::{ProbeError, Target};

/// Largest answer (head and body) read; the register's answers are a few hundred bytes.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Why no HTTP answer came back. Each is its own failure class with its own advice.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Connect(String),
    /// The server sent a TLS alert during the handshake or on the first read.
    #[error("the server sent TLS alert {alert}")]
    Alert { alert: String },
    #[error("the TLS handshake failed: {0}")]
    Handshake(String),
    /// tilicheck could not go along with what the server chose: not the server refusing
    /// the certificate.
    #[error("the TLS handshake could not be completed: {0}")]
    NotUsable(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the connection failed: {0}")]
    Transport(String),
    #[error("the answer is larger than {MAX_ANSWER_BYTES} bytes; refused")]
    TooLarge,
    #[error("the answer is not HTTP/1.1: {0}")]
    Malformed(String),
    #[error("the client key cannot be used: {0}")]
    Key(String),
    /// The environment's proxy could not be used or refused the tunnel.
    #[error("{0}")]
    Proxy(String),
}

impl SendError {
    /// Worth retrying later with the same message.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SendError::Timeout(_) | SendError::Transport(_) | SendError::Connect(_)
        )
    }
}

/// An HTTP answer.
#[derive(Clone, Debug)]
pub struct HttpAnswer {
    pub version: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A TLS session after the handshake, before anything is sent.
pub struct Session {
    tls: client::Stream<std::net::TcpStream>,
    /// The server's chain, leaf first, DER.
    pub chain: Vec<Vec<u8>>,
    pub version: Option<String>,
    started: Instant,
}

/// Connect and complete the handshake with the user's identity.
pub fn connect(target: &Target, identity: &ClientIdentity) -> Result<Session, SendError> {
    let started = Instant::now();
    let provider = Arc::new(provider());
    let verifier = Arc::new(Recorder::accepting(provider.clone()));
    let name = target.sni.clone().unwrap_or_else(|| target.host.clone());
    let name = ServerName::try_from(name.trim_matches(['[', ']']).to_owned())
        .map_err(|e| SendError::Handshake(format!("{name}: {e}")))?;
    let open = |provider: Arc<rustls::crypto::CryptoProvider>| -> Result<_, SendError> {
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| SendError::Handshake(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
            .map_err(|e| SendError::Key(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let conn = rustls::ClientConnection::new(Arc::new(config), name.clone())
            .map_err(|e| SendError::Handshake(e.to_string()))?;
        // Through the environment's proxy when it names one (a CONNECT tunnel).
        let tcp = target.connect().map_err(|e| match e {
            ProbeError::Proxy { .. } => SendError::Proxy(e.to_string()),
            _ => SendError::Connect(e.to_string()),
        })?;
        Ok(rustls::StreamOwned::new(conn, Recording::new(tcp)))
    };
    let tls = match client::drive(open)? {
        Ok(tls) => tls,
        Err(failure) => {
            return Err(match failure.not_usable {
                Some(why) => SendError::NotUsable(why.to_string()),
                None => classify(&failure.error, target.read_timeout),
            });
        }
    };
    let chain = verifier.chain();
    let version = tls
        .conn
        .protocol_version()
        .and_then(client::version)
        .map(|v| v.to_string());
    Ok(Session {
        tls,
        chain,
        version,
        started,
    })
}

impl Session {
    /// Send `request` and read the whole answer, within `total` from the connect.
    pub fn exchange(
        self,
        request: &Request,
        read_timeout: Duration,
        total: Duration,
    ) -> Result<HttpAnswer, SendError> {
        let bounds = http::Bounds {
            deadline: self.started + total,
            read_timeout,
            max_head: MAX_ANSWER_BYTES,
            body: http::BodyPolicy::Whole {
                max: MAX_ANSWER_BYTES as u64,
                only_2xx: false,
                identity_only: false,
            },
        };
        let rustls::StreamOwned { conn, sock } = self.tls;
        let answer = http::exchange(sock.inner, Some(conn), request, None, &[], &bounds).map_err(
            |e| match e {
                http::ExchangeError::Timeout => SendError::Timeout(total),
                http::ExchangeError::ReadTimeout => SendError::Timeout(read_timeout),
                http::ExchangeError::Io(e) => classify(&e, read_timeout),
                http::ExchangeError::TooLarge { .. } | http::ExchangeError::HeadTooLarge(_) => {
                    SendError::TooLarge
                }
                http::ExchangeError::Closed => SendError::Transport(
                    "the server closed the connection without an answer".into(),
                ),
                http::ExchangeError::Truncated { got, expected } => {
                    SendError::Malformed(format!("the body ended after {got} of {expected} bytes"))
                }
                http::ExchangeError::Request(why) => {
                    SendError::Transport(format!("the request cannot be sent: {why}"))
                }
                http::ExchangeError::Malformed(why) | http::ExchangeError::Encoded(why) => {
                    SendError::Malformed(why)
                }
            },
        )?;
        Ok(HttpAnswer {
            version: answer.version,
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
        })
    }
}

fn classify(e: &std::io::Error, read_timeout: Duration) -> SendError {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(rustls::Error::AlertReceived(alert)) => SendError::Alert {
            alert: format!("{alert:?}"),
        },
        Some(other) => SendError::Handshake(other.to_string()),
        None if matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) =>
        {
            SendError::Timeout(read_timeout)
        }
        None if e.kind() == std::io::ErrorKind::InvalidData => SendError::Handshake(e.to_string()),
        None => SendError::Transport(e.to_string()),
    }
}
