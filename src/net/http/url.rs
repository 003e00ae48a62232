//! http:// and https:// URLs as the client takes them.

use super::HttpError;

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
    pub(crate) fn host_for_connect(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    pub(crate) fn host_header(&self) -> String {
        let host = self.host_for_connect();
        if self.port == if self.https { 443 } else { 80 } {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    pub(crate) fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }
}
