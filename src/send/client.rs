//! One signed request over mutual TLS, HTTP/1.1, with every limit a hostile or silent peer
//! needs: connect and read timeouts, an overall deadline and a cap on the answer's size.
//!
//! The register's chain is recorded during the handshake and judged (REG-CERT, CERT-ISSUER)
//! by the caller *before* the request is written: a message is never sent to a server that
//! is not the register.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

use crate::tls::client::{self, Recording};
use crate::tls::handshake::{ClientIdentity, Recorder, provider};
use crate::tls::probe::Target;

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
    /// The HTTPS_PROXY proxy could not be used or refused the tunnel.
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
        let tcp = match super::proxy::from_env(&target.host) {
            Some(proxy) => super::proxy::tunnel(
                &proxy,
                &target.endpoint(),
                target.connect_timeout,
                target.read_timeout,
            )
            .map_err(|e| SendError::Proxy(e.to_string()))?,
            None => target
                .connect()
                .map_err(|e| SendError::Connect(e.to_string()))?,
        };
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
    /// Write `request` and read the whole answer, within `total` from the connect.
    pub fn exchange(
        mut self,
        request: &[u8],
        read_timeout: Duration,
        total: Duration,
    ) -> Result<HttpAnswer, SendError> {
        let io = |e: std::io::Error| classify(&e, read_timeout);
        self.tls.write_all(request).map_err(io)?;
        self.tls.flush().map_err(io)?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if self.started.elapsed() > total {
                return Err(SendError::Timeout(total));
            }
            if let Some(done) = complete(&buf) {
                buf.truncate(done);
                break;
            }
            match self.tls.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.len() > MAX_ANSWER_BYTES {
                        return Err(SendError::TooLarge);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io(e)),
            }
        }
        if buf.is_empty() {
            return Err(SendError::Transport(
                "the server closed the connection without an answer".into(),
            ));
        }
        parse(&buf).map_err(SendError::Malformed)
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

/// Where the head ends, and its lines.
fn split_head(buf: &[u8]) -> Option<(usize, Vec<String>)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]);
    Some((end + 4, head.split("\r\n").map(str::to_owned).collect()))
}

fn content_length(lines: &[String]) -> Option<usize> {
    lines.iter().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    })
}

/// The length of a complete answer, once it is all here.
fn complete(buf: &[u8]) -> Option<usize> {
    let (start, lines) = split_head(buf)?;
    let len = content_length(&lines)?;
    (buf.len() >= start + len).then_some(start + len)
}

/// Parse an HTTP/1.x answer with a Content-Length or read to the end of the stream.
pub fn parse(buf: &[u8]) -> Result<HttpAnswer, String> {
    let (start, lines) = split_head(buf).ok_or("the headers never ended")?;
    let status_line = lines.first().ok_or("no status line")?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default().to_owned();
    let status = parts.next().and_then(|s| s.parse::<u16>().ok());
    let Some(status) = status.filter(|_| version.starts_with("HTTP/")) else {
        return Err(format!(
            "status line '{}'",
            status_line.chars().take(60).collect::<String>()
        ));
    };
    let headers = lines
        .iter()
        .skip(1)
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect::<Vec<_>>();
    let raw = &buf[start..];
    let body = match content_length(&lines) {
        Some(len) if raw.len() < len => {
            return Err(format!("the body ended after {} of {len} bytes", raw.len()));
        }
        Some(len) => raw[..len].to_vec(),
        None => raw.to_vec(),
    };
    Ok(HttpAnswer {
        version,
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_and_truncation_is_an_error() {
        let a = parse(
            b"HTTP/1.1 400 Bad Request\r\nX-Correlation-ID: abc\r\nContent-Length: 2\r\n\r\n{}",
        )
        .unwrap();
        assert_eq!(a.status, 400);
        assert_eq!(a.header("x-correlation-id"), Some("abc"));
        assert_eq!(a.body, b"{}");
        assert!(parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab").is_err());
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse(b"HTTP/1.1 200").is_err());
    }
}
