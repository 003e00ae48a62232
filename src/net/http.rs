//! The one HTTP client every outbound request uses: CRL, OCSP and caIssuers downloads,
//! trusted lists, `send`, the Vero certificate service and the HTTP step of `tls`.
//!
//! hyper's HTTP/1.1 client speaks the protocol ([`exchange`]); tilicheck opens the connection
//! itself ([`crate::net::connect`]: directly or through the environment's proxy) and runs the
//! TLS handshake itself ([`crate::tls::client::drive`]: DHE, the server's own DH prime, the
//! recording verifier, the facts reports show), then hands hyper the finished stream.
//!
//! Revocation and AIA fetches go to hosts a certificate names, so the peer may be hostile:
//! everything is bounded (the connect time, every read, the whole exchange, the size of the
//! headers and of the body, the number of redirects). No compressed body is asked for and one
//! that comes anyway is refused, so a gzip bomb cannot expand. A declared body larger than the
//! cap is refused before a byte of it is read.
//!
//! Name resolution uses the system resolver, which has no timeout of its own.

mod exchange;
pub(crate) mod io;
mod request;
mod tls;
mod url;

use std::time::{Duration, Instant};

pub use exchange::{Answer, BodyPolicy, Bounds, ExchangeError, exchange};
pub use request::{Method, Request};
pub use tls::Tls;
pub use url::HttpUrl;

use crate::net::connect::{self, ConnectError};
use crate::net::proxy::{Proxies, Scheme};

/// Bounds on one request (including its redirects).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub connect_timeout: Duration,
    /// The whole exchange, redirects included.
    pub total_timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_body: u64,
    pub max_redirects: u8,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(20),
            max_body: 50 * 1024 * 1024,
            max_redirects: 3,
        }
    }
}

/// Largest header block accepted.
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// A successful (2xx) response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The URL that answered, after redirects.
    pub url: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Why a download failed. Every variant names the URL.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{url}: not an http:// URL this client can fetch ({why})")]
    BadUrl { url: String, why: &'static str },
    #[error("{url}: cannot resolve host: {source}")]
    Resolve { url: String, source: std::io::Error },
    #[error("{url}: cannot connect: {source}")]
    Connect { url: String, source: std::io::Error },
    #[error("{url}: no complete answer within {}s", after.as_secs_f32())]
    Timeout { url: String, after: Duration },
    #[error("{url}: connection failed: {source}")]
    Io { url: String, source: std::io::Error },
    #[error("{url}: the server answered HTTP {code}")]
    Status { url: String, code: u16 },
    #[error("{url}: the body is larger than the {limit}-byte cap{}", declared.map(|d| format!(" (declared {d} bytes)")).unwrap_or_default())]
    TooLarge {
        url: String,
        limit: u64,
        declared: Option<u64>,
    },
    #[error("{url}: malformed HTTP response: {why}")]
    Malformed { url: String, why: String },
    #[error(
        "{url}: the connection closed before the whole body arrived ({got} of {expected} bytes)"
    )]
    Truncated {
        url: String,
        got: u64,
        expected: u64,
    },
    #[error("{url}: the body is {encoding}-encoded although no encoding was asked for")]
    Encoded { url: String, encoding: String },
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: String, limit: u8 },
    #[error("{url}: TLS failed: {why}")]
    Tls { url: String, why: String },
    #[error("{url}: {why}")]
    Proxy { url: String, why: String },
    #[error("{url}: the request cannot be sent: {why}")]
    Unsendable { url: String, why: String },
    #[error("{url}: a redirect from https to http ({to}) is not followed")]
    Downgrade { url: String, to: String },
}

impl HttpError {
    /// True when the peer could not be reached or did not answer in time: the answer is
    /// unknown, not wrong.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            HttpError::Resolve { .. } | HttpError::Connect { .. } | HttpError::Timeout { .. }
        )
    }
}

/// `GET url` (http:// only).
pub fn get(url: &str, limits: &Limits) -> Result<Response, HttpError> {
    fetch(url, None, limits, None)
}

/// `GET url`, http:// or https:// (servers verified as `tls` says).
pub fn get_with(url: &str, limits: &Limits, tls: &Tls) -> Result<Response, HttpError> {
    fetch(url, None, limits, Some(tls))
}

/// `POST url` with a body of the given content type.
pub fn post(
    url: &str,
    content_type: &str,
    body: &[u8],
    limits: &Limits,
) -> Result<Response, HttpError> {
    fetch(url, Some((content_type, body)), limits, None)
}

fn fetch(
    url: &str,
    body: Option<(&str, &[u8])>,
    limits: &Limits,
    tls: Option<&Tls>,
) -> Result<Response, HttpError> {
    let deadline = Instant::now() + limits.total_timeout;
    let mut current = url.to_owned();
    for _ in 0..=limits.max_redirects {
        let parsed = HttpUrl::parse(&current)?;
        let (method, headers, payload) = match body {
            Some((ct, b)) => (
                Method::Post,
                vec![("Content-Type", ct.to_owned())],
                b.to_vec(),
            ),
            None => (Method::Get, Vec::new(), Vec::new()),
        };
        let mut headers = headers;
        headers.insert(0, ("User-Agent", "tilicheck".to_owned()));
        headers.insert(1, ("Accept-Encoding", "identity".to_owned()));
        let timing = Timing {
            connect: limits.connect_timeout,
            read: limits.total_timeout,
            deadline,
        };
        let bounds = |deadline| Bounds {
            deadline,
            read_timeout: limits.total_timeout,
            max_head: MAX_HEADER_BYTES,
            body: BodyPolicy::Whole {
                max: limits.max_body,
                only_2xx: true,
                identity_only: true,
            },
        };
        let answer = send(
            &parsed,
            method,
            headers,
            payload,
            &timing,
            bounds(deadline),
            tls,
        )
        .map_err(|f| f.named(&current, limits.total_timeout))?;
        let status = answer.status;
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            // A redirect of a POST is followed with the same method and body (307/308
            // semantics); OCSP responders behind redirects are rare either way.
            let location = answer
                .header("location")
                .ok_or_else(|| HttpError::Malformed {
                    url: current.clone(),
                    why: format!("redirect {status} without a Location"),
                })?;
            let next = resolve_location(&parsed, location);
            if parsed.https && !next.to_ascii_lowercase().starts_with("https://") {
                return Err(HttpError::Downgrade {
                    url: current,
                    to: next,
                });
            }
            current = next;
            continue;
        }
        if !(200..300).contains(&status) {
            return Err(HttpError::Status {
                url: current,
                code: status,
            });
        }
        return Ok(Response {
            content_type: answer.header("content-type").map(str::to_owned),
            url: current,
            body: answer.body,
        });
    }
    Err(HttpError::TooManyRedirects {
        url: url.to_owned(),
        limit: limits.max_redirects,
    })
}

/// How long one exchange may take.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub connect: Duration,
    pub read: Duration,
    pub deadline: Instant,
}

/// Why one exchange with a URL failed, before it is worded for a caller.
#[derive(Debug)]
pub enum Failure {
    BadUrl(&'static str),
    Connect(ConnectError),
    Tls(String),
    Exchange(ExchangeError),
}

impl Failure {
    /// The download client's error, naming `url`; `total` is the time the whole fetch had.
    pub fn named(self, url: &str, total: Duration) -> HttpError {
        let url = url.to_owned();
        match self {
            Failure::BadUrl(why) => HttpError::BadUrl { url, why },
            Failure::Connect(ConnectError::Resolve { source, .. }) => {
                HttpError::Resolve { url, source }
            }
            Failure::Connect(ConnectError::Connect { source, .. }) => {
                HttpError::Connect { url, source }
            }
            Failure::Connect(ConnectError::Timeout) => HttpError::Timeout { url, after: total },
            Failure::Connect(e) => HttpError::Proxy {
                url,
                why: e.to_string(),
            },
            Failure::Tls(why) => HttpError::Tls { url, why },
            Failure::Exchange(e) => match e {
                ExchangeError::Timeout | ExchangeError::ReadTimeout => {
                    HttpError::Timeout { url, after: total }
                }
                ExchangeError::Io(source) => match crate::tls::client::tls_error(&source) {
                    Some(tls) => HttpError::Tls {
                        url,
                        why: tls.to_string(),
                    },
                    None => HttpError::Io { url, source },
                },
                ExchangeError::Request(why) => HttpError::Unsendable { url, why },
                ExchangeError::HeadTooLarge(n) => HttpError::Malformed {
                    url,
                    why: format!("headers longer than {n} bytes"),
                },
                ExchangeError::Malformed(why) => HttpError::Malformed { url, why },
                ExchangeError::Closed => HttpError::Malformed {
                    url,
                    why: "the server closed the connection without answering".to_owned(),
                },
                ExchangeError::Truncated { got, expected } => {
                    HttpError::Truncated { url, got, expected }
                }
                ExchangeError::TooLarge { limit, declared } => HttpError::TooLarge {
                    url,
                    limit,
                    declared,
                },
                ExchangeError::Encoded(encoding) => HttpError::Encoded { url, encoding },
            },
        }
    }
}

/// One request to `url` and its answer, whatever its status (no redirect is followed):
/// through the environment's proxy, over TLS verified by `tls` for https://.
pub fn send(
    url: &HttpUrl,
    method: Method,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    timing: &Timing,
    bounds: Bounds,
    tls: Option<&Tls>,
) -> Result<Answer, Failure> {
    if url.https && tls.is_none() {
        return Err(Failure::BadUrl("https:// is not fetched here"));
    }
    let scheme = if url.https { Scheme::Tls } else { Scheme::Http };
    let timeouts = connect::Timeouts {
        connect: timing.connect,
        read: timing.read,
        deadline: Some(timing.deadline),
    };
    let open = || connect::open(&url.host, url.port, scheme, Proxies::from_env(), &timeouts);
    let opened = open().map_err(Failure::Connect)?;
    let request = Request {
        method,
        target: url.target.clone(),
        host: url.host_header(),
        headers,
        body,
    };
    // Plain HTTP through a proxy names the whole URL and carries the proxy's credentials.
    let absolute = opened
        .forward
        .as_ref()
        .map(|_| format!("http://{}{}", url.host_header(), url.target));
    let extra: Vec<(&'static str, String)> = opened
        .forward
        .as_ref()
        .and_then(|p| p.authorization())
        .map(|a| vec![("Proxy-Authorization", a)])
        .unwrap_or_default();
    let (tcp, conn) = match tls {
        Some(tls) if url.https => {
            let (tcp, conn) = tls.handshake(&url.host, opened.tcp, || {
                open().map(|o| o.tcp).map_err(Failure::Connect)
            })?;
            (tcp, Some(conn))
        }
        _ => (opened.tcp, None),
    };
    exchange(tcp, conn, &request, absolute.as_deref(), &extra, &bounds).map_err(Failure::Exchange)
}

/// A Location header, absolute or relative to the current URL. The next hop is parsed (and an
/// https:// target refused) like any URL.
fn resolve_location(current: &HttpUrl, location: &str) -> String {
    let location = location.trim();
    let scheme = current.scheme();
    if location.contains("://") {
        location.to_owned()
    } else if location.starts_with('/') {
        format!("{scheme}://{}{location}", current.host_header())
    } else {
        let base = match current.target.rfind('/') {
            Some(i) => &current.target[..=i],
            None => "/",
        };
        format!("{scheme}://{}{base}{location}", current.host_header())
    }
}

#[cfg(test)]
mod tests;
