//! One request and its answer over a connection that is already open (and, for TLS, already
//! through its handshake): hyper's HTTP/1.1 client does the protocol; this module sets its
//! bounds and turns what went wrong into [`ExchangeError`].
//!
//! The bounds: the whole exchange ends at a deadline; every read waits at most the read
//! timeout; the header block is capped (hyper refuses a longer one); a declared body larger
//! than the cap is refused before a byte of it is read, and any other body stops at the cap.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue};

use super::io::Io;
use super::request::Request;

/// How far one exchange may go.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub deadline: Instant,
    pub read_timeout: Duration,
    /// Largest header block (status line included).
    pub max_head: usize,
    pub body: BodyPolicy,
}

/// How much of the answer's body is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyPolicy {
    /// The whole body, up to `max` bytes: larger is an error. `only_2xx`: other answers'
    /// bodies are not read at all. `identity_only`: a `Content-Encoding` is refused (none was
    /// asked for).
    Whole {
        max: u64,
        only_2xx: bool,
        identity_only: bool,
    },
    /// At most the first `max` bytes of the answers whose status is in `statuses` (none of the
    /// others'), and no error when it is cut there or fails: a refusal page to recognise.
    Prefix {
        max: usize,
        statuses: &'static [u16],
    },
}

/// The answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// "HTTP/1.1", "HTTP/1.0".
    pub version: String,
    pub status: u16,
    /// The reason phrase as sent, or the standard one when the server sent the standard one.
    pub reason: String,
    /// Header names lower case, values as text (bytes that are not UTF-8 replaced).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The status line as the server would have written it.
    pub fn status_line(&self) -> String {
        format!("{} {} {}", self.version, self.status, self.reason)
            .trim_end()
            .to_owned()
    }
}

/// Why an exchange failed.
#[derive(Debug)]
pub enum ExchangeError {
    /// The deadline passed.
    Timeout,
    /// A read waited longer than the read timeout.
    ReadTimeout,
    /// The connection failed; a TLS error (an alert) is inside as rustls's error.
    Io(io::Error),
    /// The request could not be written as HTTP (a header value, the target).
    Request(String),
    HeadTooLarge(usize),
    /// Not HTTP/1.x, or broken HTTP.
    Malformed(String),
    /// The server closed the connection without answering.
    Closed,
    Truncated {
        got: u64,
        expected: u64,
    },
    TooLarge {
        limit: u64,
        declared: Option<u64>,
    },
    /// A body encoded although no encoding was asked for.
    Encoded(String),
}

/// Send `request` over `tcp` (with `tls` when the handshake ran) and read the answer.
pub fn exchange(
    tcp: std::net::TcpStream,
    tls: Option<rustls::ClientConnection>,
    request: &Request,
    absolute_target: Option<&str>,
    extra: &[(&'static str, String)],
    bounds: &Bounds,
) -> Result<Answer, ExchangeError> {
    let first = Arc::new(Mutex::new(Vec::new()));
    let built = build(request, absolute_target, extra)?;
    let seen = first.clone();
    let b = *bounds;
    let outcome = crate::net::runtime::block_on(async move {
        let io = Io::new(tcp, tls, b.read_timeout, seen).map_err(ExchangeError::Io)?;
        match tokio::time::timeout_at(b.deadline.into(), run(io, built, &b)).await {
            Ok(r) => r,
            Err(_) => Err(ExchangeError::Timeout),
        }
    })
    .map_err(ExchangeError::Io)?;
    let first = first.lock().map(|f| f.clone()).unwrap_or_default();
    outcome.map_err(|e| match e {
        ExchangeError::Malformed(why) => ExchangeError::Malformed(quote_first_line(&why, &first)),
        ExchangeError::Closed if !first.is_empty() => {
            ExchangeError::Malformed("the connection closed inside the headers".to_owned())
        }
        ExchangeError::HeadTooLarge(_) => ExchangeError::HeadTooLarge(bounds.max_head),
        other => other,
    })
}

/// hyper's word for a parse error, with the start of what the server sent.
fn quote_first_line(why: &str, first: &[u8]) -> String {
    let text = String::from_utf8_lossy(first);
    let line: String = text
        .split(['\r', '\n'])
        .next()
        .unwrap_or_default()
        .chars()
        .take(60)
        .collect();
    if line.is_empty() {
        why.to_owned()
    } else {
        format!("{why}: the answer began {line:?}")
    }
}

fn build(
    r: &Request,
    absolute_target: Option<&str>,
    extra: &[(&'static str, String)],
) -> Result<hyper::Request<Full<Bytes>>, ExchangeError> {
    let bad =
        |what: &str, e: &dyn std::fmt::Display| ExchangeError::Request(format!("{what}: {e}"));
    let uri: hyper::Uri = absolute_target
        .unwrap_or(&r.target)
        .parse()
        .map_err(|e| bad("the request target", &e))?;
    let method = match r.method {
        super::request::Method::Get => hyper::Method::GET,
        super::request::Method::Post => hyper::Method::POST,
    };
    // Our copy of the body is wiped when hyper drops it (a Vero request holds a one-time
    // password).
    let body = Bytes::from_owner(Wiped(zeroize::Zeroizing::new(r.body.clone())));
    let mut req = hyper::Request::new(Full::new(body));
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    let headers = req.headers_mut();
    let mut put = |name: &str, value: &str, sensitive: bool| -> Result<(), ExchangeError> {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| bad(name, &e))?;
        let mut v = HeaderValue::from_str(value).map_err(|e| bad(name, &e))?;
        v.set_sensitive(sensitive);
        headers.append(n, v);
        Ok(())
    };
    put("host", &r.host, false)?;
    for (name, value) in &r.headers {
        put(name, value, name.eq_ignore_ascii_case("authorization"))?;
    }
    for (name, value) in extra {
        put(name, value, true)?;
    }
    if r.has_length() {
        put("content-length", &r.body.len().to_string(), false)?;
    }
    put("connection", "close", false)?;
    Ok(req)
}

/// A body buffer that is zeroed when dropped.
struct Wiped(zeroize::Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for Wiped {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

async fn run(
    io: Io,
    request: hyper::Request<Full<Bytes>>,
    b: &Bounds,
) -> Result<Answer, ExchangeError> {
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_header_size(b.max_head)
        .max_buf_size(b.max_head.max(8192) + 16 * 1024)
        .writev(true)
        .handshake::<_, Full<Bytes>>(io)
        .await
        .map_err(from_hyper)?;
    // The connection's errors also reach the request's future; its own result is not needed.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let response = sender.send_request(request).await.map_err(from_hyper)?;
    let (head, mut body) = response.into_parts();
    let status = head.status.as_u16();
    let version = match head.version {
        hyper::Version::HTTP_10 => "HTTP/1.0",
        hyper::Version::HTTP_09 => "HTTP/0.9",
        _ => "HTTP/1.1",
    }
    .to_owned();
    let reason = match head.extensions.get::<hyper::ext::ReasonPhrase>() {
        Some(r) => String::from_utf8_lossy(r.as_bytes()).into_owned(),
        None => head
            .status
            .canonical_reason()
            .unwrap_or_default()
            .to_owned(),
    };
    let headers: Vec<(String, String)> = head
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).trim().to_owned(),
            )
        })
        .collect();
    let declared = head
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut out = Vec::new();
    match b.body {
        BodyPolicy::Whole { only_2xx: true, .. } if !(200..300).contains(&status) => {}
        BodyPolicy::Whole {
            max, identity_only, ..
        } => {
            if let Some(enc) = head
                .headers
                .get(hyper::header::CONTENT_ENCODING)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
                .filter(|e| identity_only && !e.eq_ignore_ascii_case("identity"))
            {
                return Err(ExchangeError::Encoded(enc));
            }
            if let Some(len) = declared.filter(|len| *len > max) {
                return Err(ExchangeError::TooLarge {
                    limit: max,
                    declared: Some(len),
                });
            }
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| match declared {
                    Some(expected) if is_cut_short(&e) => ExchangeError::Truncated {
                        got: out.len() as u64,
                        expected,
                    },
                    None if is_cut_short(&e) => ExchangeError::Malformed(format!(
                        "the connection closed inside the chunked body (after {} bytes)",
                        out.len()
                    )),
                    _ => from_hyper(e),
                })?;
                if let Ok(data) = frame.into_data() {
                    if (out.len() as u64).saturating_add(data.len() as u64) > max {
                        return Err(ExchangeError::TooLarge {
                            limit: max,
                            declared: None,
                        });
                    }
                    out.extend_from_slice(&data);
                }
            }
        }
        BodyPolicy::Prefix { statuses, .. } if !statuses.contains(&status) => {}
        BodyPolicy::Prefix { max, .. } => {
            while out.len() < max {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            out.extend_from_slice(&data[..data.len().min(max - out.len())]);
                        }
                    }
                    _ => break,
                }
            }
        }
    }
    Ok(Answer {
        version,
        status,
        reason,
        headers,
        body: out,
    })
}

/// The body ended before its declared length.
fn is_cut_short(e: &hyper::Error) -> bool {
    e.is_incomplete_message()
        || io_in(e).is_some_and(|io| io.kind() == io::ErrorKind::UnexpectedEof)
}

/// The I/O error under a hyper error, if any.
fn io_in(e: &hyper::Error) -> Option<&io::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return Some(io);
        }
        source = s.source();
    }
    None
}

fn from_hyper(e: hyper::Error) -> ExchangeError {
    if e.is_parse_too_large() {
        return ExchangeError::HeadTooLarge(0);
    }
    if let Some(io) = io_in(&e) {
        if io.kind() == io::ErrorKind::TimedOut {
            return ExchangeError::ReadTimeout;
        }
        // Rebuilt, keeping rustls's error inside, which callers inspect.
        let inner = match crate::tls::client::tls_error(io) {
            Some(tls) => io::Error::new(io.kind(), tls.clone()),
            None => io::Error::new(io.kind(), io.to_string()),
        };
        return ExchangeError::Io(inner);
    }
    if e.is_incomplete_message() {
        return ExchangeError::Closed;
    }
    if e.is_parse() || e.is_parse_status() {
        return ExchangeError::Malformed(e.to_string());
    }
    ExchangeError::Malformed(e.to_string())
}
