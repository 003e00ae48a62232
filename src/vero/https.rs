//! The SOAP POST of the certificate service client, on the shared HTTP client: connect and
//! read timeouts, an overall deadline, a cap on the answer's size, the server verified against
//! the given roots; errors name the host.

use std::time::{Duration, Instant};

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;

use crate::net::http;

/// Limits of one exchange.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub connect: Duration,
    pub read: Duration,
    /// The whole exchange, from connect to the last byte.
    pub total: Duration,
    /// Largest answer (headers and body) accepted.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            total: Duration::from_secs(60),
            max_bytes: 1024 * 1024,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("'{0}' is not an https:// URL with a host")]
    BadUrl(String),
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("cannot connect to {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("the connection to {host} failed: {reason}")]
    Transport { host: String, reason: String },
    #[error("TLS with {host} failed: {reason}")]
    Tls { host: String, reason: String },
    #[error("no answer from {host} within {seconds} s")]
    Timeout { host: String, seconds: u64 },
    #[error("the answer from {host} is larger than {max} bytes; refused")]
    TooLarge { host: String, max: usize },
    #[error("the answer from {host} is not HTTP/1.x: {reason}")]
    Malformed { host: String, reason: String },
    #[error("cannot read trust anchors: {0}")]
    Roots(String),
}

/// An HTTP answer.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// A parsed `https://host[:port]/path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Url {
    pub fn parse(url: &str) -> Result<Self, HttpError> {
        let bad = || HttpError::BadUrl(url.to_owned());
        let rest = url.strip_prefix("https://").ok_or_else(bad)?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad())?,
                None if after.is_empty() => 443,
                None => return Err(bad()),
            };
            (h.to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse().map_err(|_| bad())?),
                None => (authority.to_owned(), 443),
            }
        };
        if host.is_empty() || path.contains(char::is_whitespace) {
            return Err(bad());
        }
        Ok(Url {
            host,
            port,
            path: path.to_owned(),
        })
    }
}

/// Trust anchors: the given CA certificates, or the system's bundle.
pub fn roots(extra: &[CertificateDer<'static>]) -> Result<RootCertStore, HttpError> {
    crate::net::roots::roots(extra).map_err(|why| {
        HttpError::Roots(if extra.is_empty() {
            format!("{why}; give the service's CA with --ca FILE")
        } else {
            why
        })
    })
}

/// POST `body` to `url` with a SOAPAction header and return the answer: through the shared
/// client (the environment's proxy honoured), any status, no redirect followed.
pub fn post_soap(
    url: &Url,
    action: &str,
    body: &[u8],
    roots: RootCertStore,
    limits: Limits,
) -> Result<HttpResponse, HttpError> {
    let host = url.host.clone();
    let target = http::HttpUrl {
        https: true,
        host: url.host.clone(),
        port: url.port,
        target: url.path.clone(),
    };
    let timing = http::Timing {
        connect: limits.connect,
        read: limits.read,
        deadline: Instant::now() + limits.total,
    };
    let bounds = http::Bounds {
        deadline: timing.deadline,
        read_timeout: limits.read,
        max_head: limits.max_bytes.min(MAX_HEAD),
        body: http::BodyPolicy::Whole {
            max: limits.max_bytes as u64,
            only_2xx: false,
            identity_only: false,
        },
    };
    let headers = vec![
        ("Content-Type", "text/xml; charset=utf-8".to_owned()),
        ("SOAPAction", format!("\"{action}\"")),
        (
            "User-Agent",
            format!("tilicheck/{}", env!("CARGO_PKG_VERSION")),
        ),
    ];
    // The body may hold a one-time password: the client wipes its copy once sent.
    let tls = http::Tls::with_store(roots);
    let answer = http::send(
        &target,
        http::Method::Post,
        headers,
        body.to_vec(),
        &timing,
        bounds,
        Some(&tls),
    )
    .map_err(|f| worded(&host, limits, f))?;
    Ok(HttpResponse {
        status: answer.status,
        content_type: answer.header("content-type").map(str::to_owned),
        body: answer.body,
    })
}

/// Largest header block of an answer.
const MAX_HEAD: usize = 32 * 1024;

/// The shared client's failure in this client's words (naming the host).
fn worded(host: &str, limits: Limits, f: http::Failure) -> HttpError {
    use crate::net::connect::ConnectError;
    use http::{ExchangeError, Failure};
    let host = host.to_owned();
    match f {
        Failure::BadUrl(_) => HttpError::BadUrl(host),
        Failure::Connect(ConnectError::Resolve { source, .. }) => HttpError::Resolve {
            host,
            reason: source.to_string(),
        },
        Failure::Connect(ConnectError::Connect { source, .. }) => HttpError::Connect {
            host,
            reason: source.to_string(),
        },
        Failure::Connect(ConnectError::Timeout) => HttpError::Timeout {
            host,
            seconds: limits.total.as_secs(),
        },
        Failure::Connect(e) => HttpError::Connect {
            host,
            reason: e.to_string(),
        },
        Failure::Tls(reason) => HttpError::Tls { host, reason },
        Failure::Exchange(e) => match e {
            ExchangeError::Timeout => HttpError::Timeout {
                host,
                seconds: limits.total.as_secs(),
            },
            ExchangeError::ReadTimeout => HttpError::Timeout {
                host,
                seconds: limits.read.as_secs(),
            },
            ExchangeError::Io(e) => match crate::tls::client::tls_error(&e) {
                Some(tls) => HttpError::Tls {
                    host,
                    reason: tls.to_string(),
                },
                None => HttpError::Transport {
                    host,
                    reason: e.to_string(),
                },
            },
            ExchangeError::TooLarge { .. } | ExchangeError::HeadTooLarge(_) => {
                HttpError::TooLarge {
                    host,
                    max: limits.max_bytes,
                }
            }
            ExchangeError::Closed => HttpError::Transport {
                host,
                reason: "the server closed the connection without an answer".to_owned(),
            },
            ExchangeError::Truncated { got, expected } => HttpError::Malformed {
                host,
                reason: format!("the body ended after {got} of {expected} bytes"),
            },
            ExchangeError::Request(reason)
            | ExchangeError::Malformed(reason)
            | ExchangeError::Encoded(reason) => HttpError::Malformed { host, reason },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = Url::parse("https://pkiws.vero.fi/2017/10/CertificateServices").expect("url");
        assert_eq!((u.host.as_str(), u.port), ("pkiws.vero.fi", 443));
        assert_eq!(u.path, "/2017/10/CertificateServices");
        let u = Url::parse("https://127.0.0.1:8443/x").expect("url");
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 8443));
        let u = Url::parse("https://[::1]:9/").expect("url");
        assert_eq!(u.host, "::1");
        assert!(Url::parse("http://pkiws.vero.fi/").is_err());
        assert!(Url::parse("https://:443/").is_err());
    }
}
