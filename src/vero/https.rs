//! A small HTTP/1.1 POST over rustls (aws-lc-rs), just enough for SOAP: connect and read
//! timeouts, an overall deadline, a cap on the answer's size, `Connection: close`.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::RootCertStore;

use crate::tls::client::{self, Recording};
use rustls_pki_types::{CertificateDer, ServerName};

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

/// POST `body` to `url` with a SOAPAction header and return the answer.
pub fn post_soap(
    url: &Url,
    action: &str,
    body: &[u8],
    roots: RootCertStore,
    limits: Limits,
) -> Result<HttpResponse, HttpError> {
    let host = url.host.clone();
    let start = Instant::now();
    let tcp = reconnect(&url.host, url.port, limits)?;
    let io = |e: std::io::Error| io_error(&host, limits, e);
    let name =
        ServerName::try_from(url.host.clone()).map_err(|_| HttpError::BadUrl(url.host.clone()))?;
    // The shared TLS client: DHE too, and a server's own DH prime on a second attempt. The
    // second attempt needs a second connection, so the first one is used only once.
    let mut tcp = Some(tcp);
    let open = |provider: Arc<rustls::crypto::CryptoProvider>| -> Result<_, HttpError> {
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| HttpError::Tls {
                host: host.clone(),
                reason: e.to_string(),
            })?
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        let conn = rustls::ClientConnection::new(Arc::new(config), name.clone()).map_err(|e| {
            HttpError::Tls {
                host: host.clone(),
                reason: e.to_string(),
            }
        })?;
        let stream = match tcp.take() {
            Some(s) => s,
            None => reconnect(&url.host, url.port, limits)?,
        };
        Ok(rustls::StreamOwned::new(conn, Recording::new(stream)))
    };
    let mut tls = match client::drive(open)? {
        Ok(tls) => tls,
        Err(failure) => {
            return Err(HttpError::Tls {
                host: host.clone(),
                reason: match failure.not_usable {
                    Some(why) => why.to_string(),
                    None => failure.error.to_string(),
                },
            });
        }
    };

    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"{}\"\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: tilicheck/{}\r\n\r\n",
        url.path,
        host_header(url),
        action,
        body.len(),
        env!("CARGO_PKG_VERSION")
    );
    let mut request = Vec::with_capacity(head.len() + body.len());
    request.extend_from_slice(head.as_bytes());
    request.extend_from_slice(body);
    tls.write_all(&request).map_err(io)?;
    tls.flush().map_err(io)?;
    // The request may hold a one-time password: wipe our copy now it is sent.
    zeroize::Zeroize::zeroize(&mut request);

    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if start.elapsed() > limits.total {
            return Err(HttpError::Timeout {
                host,
                seconds: limits.total.as_secs(),
            });
        }
        if let Some(done) = complete(&buf) {
            buf.truncate(done);
            break;
        }
        match tls.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > limits.max_bytes {
                    return Err(HttpError::TooLarge {
                        host,
                        max: limits.max_bytes,
                    });
                }
            }
            // A peer that closes without close_notify after a complete answer is common.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(io(e)),
        }
    }
    parse_response(&buf).map_err(|reason| HttpError::Malformed { host, reason })
}

/// A TCP connection to the first address that answers, with the read timeout set.
fn reconnect(host: &str, port: u16, limits: Limits) -> Result<TcpStream, HttpError> {
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| HttpError::Resolve {
            host: host.to_owned(),
            reason: e.to_string(),
        })?
        .collect();
    let mut last = String::from("no address");
    let mut tcp = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, limits.connect) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let tcp = tcp.ok_or_else(|| HttpError::Connect {
        host: host.to_owned(),
        reason: last,
    })?;
    let io = |e: std::io::Error| io_error(host, limits, e);
    tcp.set_read_timeout(Some(limits.read)).map_err(io)?;
    tcp.set_write_timeout(Some(limits.read)).map_err(io)?;
    Ok(tcp)
}

fn host_header(url: &Url) -> String {
    let host = if url.host.contains(':') {
        format!("[{}]", url.host)
    } else {
        url.host.clone()
    };
    if url.port == 443 {
        host
    } else {
        format!("{host}:{}", url.port)
    }
}

fn io_error(host: &str, limits: Limits, e: std::io::Error) -> HttpError {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => HttpError::Timeout {
            host: host.to_owned(),
            seconds: limits.read.as_secs(),
        },
        std::io::ErrorKind::InvalidData => HttpError::Tls {
            host: host.to_owned(),
            reason: e.to_string(),
        },
        _ => HttpError::Transport {
            host: host.to_owned(),
            reason: e.to_string(),
        },
    }
}

/// Where the head ends, and the head's lines.
fn split_head(buf: &[u8]) -> Option<(usize, Vec<String>)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..end]);
    Some((end + 4, head.split("\r\n").map(str::to_owned).collect()))
}

fn header<'a>(lines: &'a [String], name: &str) -> Option<&'a str> {
    lines.iter().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The length of a complete message with a Content-Length, once it is all here.
fn complete(buf: &[u8]) -> Option<usize> {
    let (body_start, lines) = split_head(buf)?;
    let len: usize = header(&lines, "content-length")?.parse().ok()?;
    (buf.len() >= body_start + len).then_some(body_start + len)
}

/// Parse a whole HTTP/1.x answer (Content-Length, chunked, or to end of stream).
pub fn parse_response(buf: &[u8]) -> Result<HttpResponse, String> {
    let (body_start, lines) = split_head(buf).ok_or("the headers never ended")?;
    let status_line = lines.first().ok_or("no status line")?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(format!(
            "status line '{}'",
            status_line.chars().take(60).collect::<String>()
        ));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("status line '{status_line}'"))?;
    let raw = &buf[body_start..];
    let body =
        if header(&lines, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            dechunk(raw)?
        } else if let Some(len) = header(&lines, "content-length") {
            let len: usize = len.parse().map_err(|_| format!("Content-Length '{len}'"))?;
            if raw.len() < len {
                return Err(format!("the body ended after {} of {len} bytes", raw.len()));
            }
            raw[..len].to_vec()
        } else {
            raw.to_vec()
        };
    Ok(HttpResponse {
        status,
        content_type: header(&lines, "content-type").map(str::to_owned),
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk size line never ended")?;
        let size_text = String::from_utf8_lossy(&raw[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("chunk size '{size_text}'"))?;
        raw = &raw[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if raw.len() < size + 2 {
            return Err("the body ended inside a chunk".into());
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
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

    #[test]
    fn responses() {
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 3\r\n\r\nabcdef",
        )
        .expect("parse");
        assert_eq!((r.status, r.body.as_slice()), (200, &b"abc"[..]));
        let r = parse_response(
            b"HTTP/1.1 500 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .expect("chunked");
        assert_eq!((r.status, r.body.as_slice()), (500, &b"abcde"[..]));
        assert!(parse_response(b"SSH-2.0\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").is_err());
    }
}
