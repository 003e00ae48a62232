//! A small, careful HTTP/1.1 client for CRL, OCSP, caIssuers and trusted-list downloads.
//!
//! Why not a full client: revocation and AIA fetches are plain `http://` requests to hosts the
//! certificate names, so the peer may be hostile. Trusted lists are also fetched over
//! `https://` ([`get_with`] and a [`Tls`] setting; `HTTPS_PROXY` honoured). This client bounds everything it does: the
//! connect time, every read, the whole exchange, the size of the headers and of the body, and
//! the number of redirects. It never asks for a compressed body and refuses one it did not ask
//! for, so a gzip bomb cannot expand. A declared body larger than the cap is refused before a
//! byte of it is read.
//!
//! Name resolution uses the system resolver, which has no timeout of its own.

mod transport;

use std::time::{Duration, Instant};

pub use transport::Tls;
use transport::Transport;

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
    #[error("{url}: through the proxy: {why}")]
    Proxy { url: String, why: String },
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
        match exchange(&current, body, limits, deadline, tls)? {
            Answer::Done(r) => return Ok(r),
            // A redirect of a POST is followed with the same method and body (307/308
            // semantics); OCSP responders behind redirects are rare either way.
            Answer::Redirect(next) => {
                if HttpUrl::parse(&current).is_ok_and(|c| c.https)
                    && !next.to_ascii_lowercase().starts_with("https://")
                {
                    return Err(HttpError::Downgrade {
                        url: current,
                        to: next,
                    });
                }
                current = next
            }
        }
    }
    Err(HttpError::TooManyRedirects {
        url: url.to_owned(),
        limit: limits.max_redirects,
    })
}

/// The parts of an `http://` or `https://` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpUrl {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub target: String,
}

impl HttpUrl {
    pub fn parse(url: &str) -> Result<Self, HttpError> {
        let bad = |why| HttpError::BadUrl {
            url: url.to_owned(),
            why,
        };
        let (https, rest) = match (url.get(..7), url.get(..8)) {
            (Some(s), _) if s.eq_ignore_ascii_case("http://") => (false, &url[7..]),
            (_, Some(s)) if s.eq_ignore_ascii_case("https://") => (true, &url[8..]),
            _ => return Err(bad("only http:// and https:// are supported")),
        };
        let default_port = if https { 443 } else { 80 };
        let (authority, target) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_owned()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_owned()),
        };
        let target = match target.find('#') {
            Some(i) => target[..i].to_owned(),
            None => target,
        };
        if authority.contains('@') {
            return Err(bad("credentials in the URL"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or_else(|| bad("unclosed IPv6 bracket"))?;
            let port = match &v6[end + 1..] {
                "" => default_port,
                p => p
                    .strip_prefix(':')
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| bad("bad port"))?,
            };
            (v6[..end].to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse().map_err(|_| bad("bad port"))?),
                None => (authority.to_owned(), default_port),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if target.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(bad("spaces or control characters in the path"));
        }
        Ok(HttpUrl {
            https,
            host,
            port,
            target,
        })
    }

    /// The host as a CONNECT target or URL authority writes it (IPv6 in brackets).
    fn host_for_connect(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    fn host_header(&self) -> String {
        let host = self.host_for_connect();
        if self.port == if self.https { 443 } else { 80 } {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }
}

enum Answer {
    Done(Response),
    Redirect(String),
}

fn exchange(
    url: &str,
    body: Option<(&str, &[u8])>,
    limits: &Limits,
    deadline: Instant,
    tls: Option<&Tls>,
) -> Result<Answer, HttpError> {
    let parsed = HttpUrl::parse(url)?;
    let mut stream = transport::connect(url, &parsed, limits, deadline, tls)?;

    let mut request = match body {
        Some((ct, b)) => format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tilicheck\r\nAccept-Encoding: identity\r\nConnection: close\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
            parsed.target,
            parsed.host_header(),
            b.len()
        )
        .into_bytes(),
        None => format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tilicheck\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n",
            parsed.target,
            parsed.host_header()
        )
        .into_bytes(),
    };
    if let Some((_, b)) = body {
        request.extend_from_slice(b);
    }
    let mut conn = Conn {
        stream: stream.as_mut(),
        deadline,
        url,
        limits,
        buf: Vec::new(),
        pos: 0,
    };
    conn.set_timeouts()?;
    conn.stream.write_all(&request).map_err(|e| conn.io(e))?;

    let head = conn.read_head()?;
    let status = head.status;
    if (300..400).contains(&status) && matches!(status, 301 | 302 | 303 | 307 | 308) {
        let location = head
            .header("location")
            .ok_or_else(|| HttpError::Malformed {
                url: url.to_owned(),
                why: format!("redirect {status} without a Location"),
            })?;
        return Ok(Answer::Redirect(resolve_location(&parsed, location)));
    }
    if !(200..300).contains(&status) {
        return Err(HttpError::Status {
            url: url.to_owned(),
            code: status,
        });
    }
    if let Some(enc) = head.header("content-encoding")
        && !enc.eq_ignore_ascii_case("identity")
    {
        return Err(HttpError::Encoded {
            url: url.to_owned(),
            encoding: enc.to_owned(),
        });
    }
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        conn.read_chunked()?
    } else if let Some(len) = head.header("content-length") {
        let len: u64 = len.trim().parse().map_err(|_| HttpError::Malformed {
            url: url.to_owned(),
            why: format!("Content-Length {len:?} is not a number"),
        })?;
        if len > limits.max_body {
            return Err(HttpError::TooLarge {
                url: url.to_owned(),
                limit: limits.max_body,
                declared: Some(len),
            });
        }
        conn.read_exact_body(len)?
    } else {
        conn.read_to_close()?
    };
    Ok(Answer::Done(Response {
        url: url.to_owned(),
        content_type: head.header("content-type").map(str::to_owned),
        body,
    }))
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

struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A connection with a deadline: every read is bounded by the time left.
struct Conn<'a> {
    stream: &'a mut dyn Transport,
    deadline: Instant,
    url: &'a str,
    limits: &'a Limits,
    buf: Vec<u8>,
    pos: usize,
}

impl Conn<'_> {
    fn timeout(&self) -> HttpError {
        HttpError::Timeout {
            url: self.url.to_owned(),
            after: self.limits.total_timeout,
        }
    }

    fn io(&self, e: std::io::Error) -> HttpError {
        if let Some(tls) = crate::tls::client::tls_error(&e) {
            return HttpError::Tls {
                url: self.url.to_owned(),
                why: tls.to_string(),
            };
        }
        match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => self.timeout(),
            _ => HttpError::Io {
                url: self.url.to_owned(),
                source: e,
            },
        }
    }

    fn malformed(&self, why: impl Into<String>) -> HttpError {
        HttpError::Malformed {
            url: self.url.to_owned(),
            why: why.into(),
        }
    }

    fn set_timeouts(&mut self) -> Result<(), HttpError> {
        let left = self
            .deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| self.timeout())?;
        let socket = self.stream.socket();
        socket
            .set_read_timeout(Some(left))
            .and_then(|()| socket.set_write_timeout(Some(left)))
            .map_err(|e| self.io(e))
    }

    /// Read more bytes into the buffer; Ok(0) at end of stream.
    fn fill(&mut self) -> Result<usize, HttpError> {
        self.set_timeouts()?;
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).map_err(|e| self.io(e))?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    fn read_head(&mut self) -> Result<Head, HttpError> {
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > MAX_HEADER_BYTES {
                return Err(self.malformed(format!("headers longer than {MAX_HEADER_BYTES} bytes")));
            }
            if self.fill()? == 0 {
                return Err(if self.buf.is_empty() {
                    self.malformed("the server closed the connection without answering")
                } else {
                    self.malformed("the connection closed inside the headers")
                });
            }
        };
        let text = std::str::from_utf8(&self.buf[..end])
            .map_err(|_| self.malformed("headers are not text"))?
            .to_owned();
        self.pos = end + 4;
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        if !version.starts_with("HTTP/1.") {
            return Err(self.malformed(format!("status line {status_line:?}")));
        }
        let status: u16 = parts
            .next()
            .and_then(|c| c.parse().ok())
            .filter(|c| (100..600).contains(c))
            .ok_or_else(|| self.malformed(format!("status line {status_line:?}")))?;
        let mut headers = Vec::new();
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| self.malformed(format!("header line {line:?}")))?;
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(Head { status, headers })
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        out
    }

    fn available(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Drop consumed bytes so the buffer holds only what is still to be read.
    fn compact(&mut self) {
        self.buf.drain(..self.pos);
        self.pos = 0;
    }

    fn read_exact_body(&mut self, len: u64) -> Result<Vec<u8>, HttpError> {
        // `len` is within the cap, which fits in memory by the user's choice.
        let want = usize::try_from(len).map_err(|_| self.malformed("body too large"))?;
        self.compact();
        while self.available() < want {
            if self.fill()? == 0 {
                return Err(HttpError::Truncated {
                    url: self.url.to_owned(),
                    got: self.available() as u64,
                    expected: len,
                });
            }
        }
        Ok(self.take(want))
    }

    fn read_to_close(&mut self) -> Result<Vec<u8>, HttpError> {
        self.compact();
        loop {
            if self.available() as u64 > self.limits.max_body {
                return Err(self.too_large());
            }
            if self.fill()? == 0 {
                return Ok(self.take(self.available()));
            }
        }
    }

    fn too_large(&self) -> HttpError {
        HttpError::TooLarge {
            url: self.url.to_owned(),
            limit: self.limits.max_body,
            declared: None,
        }
    }

    fn read_line(&mut self) -> Result<String, HttpError> {
        loop {
            if let Some(i) = find(&self.buf[self.pos..], b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[self.pos..self.pos + i]).into_owned();
                self.pos += i + 2;
                return Ok(line);
            }
            if self.available() > 1024 {
                return Err(self.malformed("chunk header line too long"));
            }
            if self.fill()? == 0 {
                return Err(self.malformed("the connection closed inside a chunk header"));
            }
        }
    }

    fn read_chunked(&mut self) -> Result<Vec<u8>, HttpError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line()?;
            let size_hex = line.split(';').next().unwrap_or_default().trim();
            let size = u64::from_str_radix(size_hex, 16)
                .map_err(|_| self.malformed(format!("chunk size {size_hex:?}")))?;
            if size == 0 {
                return Ok(body);
            }
            if (body.len() as u64).saturating_add(size) > self.limits.max_body {
                return Err(self.too_large());
            }
            let size = size as usize;
            self.compact();
            while self.available() < size + 2 {
                if self.fill()? == 0 {
                    return Err(HttpError::Truncated {
                        url: self.url.to_owned(),
                        got: (body.len() + self.available().min(size)) as u64,
                        expected: (body.len() + size) as u64,
                    });
                }
            }
            body.extend_from_slice(&self.take(size));
            if self.take(2) != b"\r\n" {
                return Err(self.malformed("chunk not followed by CRLF"));
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests;
