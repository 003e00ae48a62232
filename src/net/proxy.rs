//! Which proxy an outbound connection goes through, from the environment, as curl decides:
//! `https_proxy`/`HTTPS_PROXY` for TLS connections (https:// URLs, the register, the TLS
//! probe), `http_proxy` for http:// URLs (lower case only: CGI servers set `HTTP_PROXY` from a
//! request's `Proxy` header), `all_proxy`/`ALL_PROXY` for either when its own is unset, and
//! `no_proxy`/`NO_PROXY` for the hosts reached directly. Loopback is not special: only
//! `NO_PROXY` decides, so a proxy on loopback can carry a test's traffic.
//!
//! A proxy is `[http://][USER:PASSWORD@]HOST[:PORT]` (port 1080 when none, as curl). The
//! credentials become a `Proxy-Authorization: Basic` header and are never shown: a proxy is
//! displayed as `http://HOST:PORT`.

use std::fmt;
use std::net::IpAddr;
use std::sync::LazyLock;

use base64::Engine;

/// The proxy settings of this process, read once.
static FROM_ENV: LazyLock<Proxies> =
    LazyLock::new(|| Proxies::from_vars(|name| std::env::var(name).ok()));

/// The variables that name proxies, in the order curl reads them. Tests clear them all.
pub const VARIABLES: [&str; 8] = [
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// What a connection carries, which decides the variable that names its proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP: sent to the proxy whole (absolute-form request).
    Http,
    /// TLS (https://, the register, the probe): tunnelled with CONNECT.
    Tls,
}

/// A proxy to use, or why the one named cannot be.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The variable that named it (for errors).
    pub variable: &'static str,
    pub host: String,
    pub port: u16,
    /// `user:password`, percent-decoded; never displayed.
    credentials: Option<String>,
}

impl Proxy {
    /// `host:port` as a socket address string (IPv6 in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `Proxy-Authorization` value, when the URL carried credentials.
    pub fn authorization(&self) -> Option<String> {
        self.credentials.as_ref().map(|c| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(c.as_bytes())
            )
        })
    }

    pub fn has_credentials(&self) -> bool {
        self.credentials.is_some()
    }
}

// Display and Debug leave the credentials out, so no error, log or report can carry them.
impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}", self.authority())
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("variable", &self.variable)
            .field("url", &self.to_string())
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "(hidden)"),
            )
            .finish()
    }
}

/// Why a proxy variable cannot be used. The value is not repeated: it may hold a password.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyConfigError {
    #[error("{variable}: {why}; write it as http://[USER:PASSWORD@]HOST[:PORT]")]
    Bad { variable: &'static str, why: String },
}

/// The proxy settings: one entry per scheme, and the hosts reached directly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proxies {
    tls: Option<Result<Proxy, ProxyConfigError>>,
    http: Option<Result<Proxy, ProxyConfigError>>,
    no_proxy: String,
}

impl Proxies {
    /// This process's settings (read from the environment once).
    pub fn from_env() -> &'static Proxies {
        &FROM_ENV
    }

    /// No proxy at all.
    pub fn none() -> Proxies {
        Proxies::default()
    }

    /// Settings from variables looked up with `var` (the environment, or a test's map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Proxies {
        let first = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|n| var(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
        };
        let all = first(&["all_proxy", "ALL_PROXY"]);
        let tls = first(&["https_proxy", "HTTPS_PROXY"]).or_else(|| all.clone());
        let http = first(&["http_proxy"]).or(all);
        Proxies {
            tls: tls.map(|(n, v)| parse(n, &v)),
            http: http.map(|(n, v)| parse(n, &v)),
            no_proxy: first(&["no_proxy", "NO_PROXY"])
                .map(|(_, v)| v)
                .unwrap_or_default(),
        }
    }

    /// The proxy for a connection of `scheme` to `host`; `Ok(None)` to connect directly.
    pub fn for_host(&self, scheme: Scheme, host: &str) -> Result<Option<Proxy>, ProxyConfigError> {
        let entry = match scheme {
            Scheme::Tls => &self.tls,
            Scheme::Http => &self.http,
        };
        match entry {
            None => Ok(None),
            Some(_) if bypassed(&self.no_proxy, host) => Ok(None),
            Some(Ok(p)) => Ok(Some(p.clone())),
            Some(Err(e)) => Err(e.clone()),
        }
    }
}

fn parse(variable: &'static str, value: &str) -> Result<Proxy, ProxyConfigError> {
    let bad = |why: &str| ProxyConfigError::Bad {
        variable,
        why: why.to_owned(),
    };
    let value = value.trim();
    let rest = match value.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
        Some((scheme, _)) => {
            return Err(bad(&format!(
                "{scheme}:// proxies are not supported, only http:// (CONNECT for TLS)"
            )));
        }
        None => value,
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '#']) {
        return Err(bad("a proxy URL has no path"));
    }
    let (credentials, authority) = match rest.rsplit_once('@') {
        Some((userinfo, authority)) => (
            Some(decode_userinfo(userinfo).ok_or_else(|| {
                bad("its user name or password is not valid percent-encoded UTF-8")
            })?),
            authority,
        ),
        None => (None, rest),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("unclosed IPv6 bracket"))?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(|| bad("bad port"))?),
        };
        (h, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => 1080,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| bad("bad port"))?,
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    Ok(Proxy {
        variable,
        host: host.to_owned(),
        port,
        credentials,
    })
}

/// `user[:password]` with its percent-escapes decoded.
fn decode_userinfo(userinfo: &str) -> Option<String> {
    let bytes = userinfo.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = userinfo.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether `NO_PROXY` sends `host` directly (curl's rules): `*` alone matches everything;
/// entries are separated by commas or blanks; a name matches itself and its subdomains (a
/// leading dot is ignored); an IP address matches an IP entry or a CIDR range. Names and
/// addresses never match each other: `localhost` does not cover `127.0.0.1`.
pub fn bypassed(no_proxy: &str, host: &str) -> bool {
    let no_proxy = no_proxy.trim();
    if no_proxy == "*" {
        return true;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host_ip = host.parse::<IpAddr>().ok();
    let host = host.strip_suffix('.').unwrap_or(host);
    no_proxy
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .any(|token| match host_ip {
            Some(ip) => ip_matches(token, ip),
            None => {
                let t = token.trim_start_matches('.');
                let t = t.strip_suffix('.').unwrap_or(t);
                !t.is_empty()
                    && (host.eq_ignore_ascii_case(t)
                        || (host.len() > t.len()
                            && host.as_bytes()[host.len() - t.len() - 1] == b'.'
                            && host[host.len() - t.len()..].eq_ignore_ascii_case(t)))
            }
        })
}

fn ip_matches(token: &str, ip: IpAddr) -> bool {
    let token = token.trim_start_matches('[').trim_end_matches(']');
    let (addr, bits) = match token.split_once('/') {
        Some((a, b)) => match b.parse::<u32>() {
            Ok(b) => (a, Some(b)),
            Err(_) => return false,
        },
        None => (token, None),
    };
    let Ok(net) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            prefix_equal(&ip.octets(), &net.octets(), bits.unwrap_or(32))
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            prefix_equal(&ip.octets(), &net.octets(), bits.unwrap_or(128))
        }
        _ => false,
    }
}

/// The first `bits` bits of `a` and `b` agree (a prefix longer than the address never does).
fn prefix_equal(a: &[u8], b: &[u8], bits: u32) -> bool {
    if bits as usize > a.len() * 8 {
        return false;
    }
    let whole = (bits / 8) as usize;
    let rest = bits % 8;
    a[..whole] == b[..whole]
        && (rest == 0 || {
            let mask = 0xffu8 << (8 - rest);
            a[whole] & mask == b[whole] & mask
        })
}

#[cfg(test)]
mod tests;
