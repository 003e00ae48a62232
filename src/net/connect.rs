//! Opening the TCP connection under every outbound exchange: directly, or through the proxy
//! [`super::proxy`] names. A TLS connection (https://, the register, each of the TLS probe's
//! connections) goes through a `CONNECT` tunnel, asked with hyper; plain HTTP is sent to the
//! proxy whole ([`Opened::forward`]).

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Empty;

use super::proxy::{Proxies, Proxy, ProxyConfigError, Scheme};

/// How long opening may take.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    /// Each read of the proxy's answer; also set on the socket returned.
    pub read: Duration,
    /// Nothing may go on past this.
    pub deadline: Option<Instant>,
}

impl Timeouts {
    fn left(&self) -> Option<Duration> {
        match self.deadline {
            None => Some(Duration::MAX),
            Some(d) => d
                .checked_duration_since(Instant::now())
                .filter(|l| !l.is_zero()),
        }
    }
}

/// Why no connection was opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        host: String,
        source: std::io::Error,
    },
    #[error("cannot connect to {host}: {source}")]
    Connect {
        host: String,
        source: std::io::Error,
    },
    #[error("no connection within the time allowed")]
    Timeout,
    #[error("{0}")]
    ProxyConfig(#[from] ProxyConfigError),
    /// The proxy could not be reached or would not open the tunnel.
    #[error("through the proxy {proxy} ({variable}): {why}")]
    Proxy {
        proxy: String,
        variable: &'static str,
        why: String,
    },
}

/// A connection, and how requests over it are written.
pub struct Opened {
    pub tcp: TcpStream,
    /// Plain HTTP through this proxy: the request names the whole URL and carries the
    /// proxy's credentials.
    pub forward: Option<Proxy>,
}

/// A connection to `host:port` for `scheme`, through the proxy `proxies` names for it.
pub fn open(
    host: &str,
    port: u16,
    scheme: Scheme,
    proxies: &Proxies,
    t: &Timeouts,
) -> Result<Opened, ConnectError> {
    match proxies.for_host(scheme, host)? {
        None => Ok(Opened {
            tcp: direct(host, port, t)?,
            forward: None,
        }),
        Some(proxy) => match scheme {
            Scheme::Tls => Ok(Opened {
                tcp: tunnel(&proxy, host, port, t)?,
                forward: None,
            }),
            Scheme::Http => Ok(Opened {
                tcp: direct(&proxy.host, proxy.port, t).map_err(|e| via(&proxy, e))?,
                forward: Some(proxy),
            }),
        },
    }
}

fn via(proxy: &Proxy, e: ConnectError) -> ConnectError {
    ConnectError::Proxy {
        proxy: proxy.to_string(),
        variable: proxy.variable,
        why: e.to_string(),
    }
}

/// Resolve `host` and connect to the first address that answers, timeouts set.
pub fn direct(host: &str, port: u16, t: &Timeouts) -> Result<TcpStream, ConnectError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = (bare, port)
        .to_socket_addrs()
        .map_err(|source| ConnectError::Resolve {
            host: host.to_owned(),
            source,
        })?
        .collect();
    connect_any(&authority(host, port), &addrs, t)
}

/// Connect to the first of `addrs` that answers.
pub fn connect_any(
    host: &str,
    addrs: &[SocketAddr],
    t: &Timeouts,
) -> Result<TcpStream, ConnectError> {
    let mut last = None;
    for addr in addrs {
        let left = t.left().ok_or(ConnectError::Timeout)?;
        match TcpStream::connect_timeout(addr, t.connect.min(left)) {
            Ok(s) => return with_timeouts(s, t),
            Err(e) => last = Some(e),
        }
    }
    Err(ConnectError::Connect {
        host: host.to_owned(),
        source: last.unwrap_or_else(|| std::io::Error::other("no address")),
    })
}

fn with_timeouts(s: TcpStream, t: &Timeouts) -> Result<TcpStream, ConnectError> {
    let read = t.read.min(t.left().ok_or(ConnectError::Timeout)?);
    let _ = s.set_nodelay(true);
    s.set_read_timeout(Some(read))
        .and_then(|()| s.set_write_timeout(Some(read)))
        .map_err(|source| ConnectError::Connect {
            host: s.peer_addr().map(|a| a.to_string()).unwrap_or_default(),
            source,
        })?;
    Ok(s)
}

/// `host:port` as a CONNECT target writes it (IPv6 in brackets).
fn authority(host: &str, port: u16) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.contains(':') {
        format!("[{bare}]:{port}")
    } else {
        format!("{bare}:{port}")
    }
}

/// Largest answer head a proxy may send to CONNECT.
const MAX_PROXY_HEAD: usize = 16 * 1024;

/// A tunnel to `host:port` through `proxy`: the proxy's socket once it answered 2xx to
/// `CONNECT`, ready for TLS.
pub fn tunnel(
    proxy: &Proxy,
    host: &str,
    port: u16,
    t: &Timeouts,
) -> Result<TcpStream, ConnectError> {
    let tcp = direct(&proxy.host, proxy.port, t).map_err(|e| via(proxy, e))?;
    let target = authority(host, port);
    let fail = |why: String| ConnectError::Proxy {
        proxy: proxy.to_string(),
        variable: proxy.variable,
        why,
    };
    let left = t.left().ok_or(ConnectError::Timeout)?;
    let wait = t.read.min(left);
    let auth = proxy.authorization();
    let asked = target.clone();
    let outcome = super::runtime::block_on(async move {
        tokio::time::timeout(wait, connect_request(tcp, &asked, auth, wait)).await
    })
    .map_err(|e| fail(e.to_string()))?;
    let tcp = match outcome {
        Err(_) => {
            return Err(fail(format!(
                "no answer to CONNECT {target} within {}s",
                wait.as_secs_f32()
            )));
        }
        Ok(Err(Refusal::Status(code, reason))) => {
            let hint = match (code, proxy.has_credentials()) {
                (407, false) => {
                    ": the proxy wants credentials; put them in the proxy URL (http://USER:PASSWORD@HOST:PORT)"
                }
                (407, true) => ": the proxy refused the credentials in the proxy URL",
                _ => "",
            };
            return Err(fail(format!(
                "the proxy refused CONNECT {target}: {code} {reason}{hint}"
            )));
        }
        Ok(Err(Refusal::Broken(why))) => {
            return Err(fail(format!(
                "the proxy did not answer CONNECT {target} properly: {why}"
            )));
        }
        Ok(Ok(tcp)) => tcp,
    };
    with_timeouts(tcp, t)
}

enum Refusal {
    Status(u16, String),
    Broken(String),
}

async fn connect_request(
    tcp: TcpStream,
    target: &str,
    auth: Option<String>,
    read_timeout: Duration,
) -> Result<TcpStream, Refusal> {
    let broken = |e: &dyn std::fmt::Display| Refusal::Broken(e.to_string());
    let io = super::http::io::Io::new(tcp, None, read_timeout, Default::default())
        .map_err(|e| broken(&e))?;
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_header_size(MAX_PROXY_HEAD)
        .handshake::<_, Empty<Bytes>>(io)
        .await
        .map_err(|e| broken(&e))?;
    let conn = tokio::spawn(conn.with_upgrades());
    let mut req = hyper::Request::new(Empty::<Bytes>::new());
    *req.method_mut() = hyper::Method::CONNECT;
    *req.uri_mut() = target.parse().map_err(|e| broken(&e))?;
    req.headers_mut()
        .insert(hyper::header::HOST, target.parse().map_err(|e| broken(&e))?);
    if let Some(auth) = auth {
        let mut v = hyper::header::HeaderValue::from_str(&auth).map_err(|e| broken(&e))?;
        v.set_sensitive(true);
        req.headers_mut()
            .insert(hyper::header::PROXY_AUTHORIZATION, v);
    }
    let response = sender.send_request(req).await.map_err(|e| broken(&e))?;
    let status = response.status();
    if !status.is_success() {
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
            .or_else(|| status.canonical_reason().map(str::to_owned))
            .unwrap_or_default();
        return Err(Refusal::Status(status.as_u16(), reason));
    }
    let upgraded = hyper::upgrade::on(response).await.map_err(|e| broken(&e))?;
    let _ = conn.await;
    let parts = upgraded
        .downcast::<super::http::io::Io>()
        .map_err(|_| Refusal::Broken("the tunnel is not the proxy's connection".into()))?;
    if !parts.read_buf.is_empty() {
        return Err(Refusal::Broken(
            "it sent bytes of its own into the tunnel before the server spoke".into(),
        ));
    }
    parts.io.into_std().map_err(|e| broken(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A fake proxy that reads the CONNECT head and answers `answer`; returns its proxy
    /// and, through the channel, the head it read.
    fn proxy_answering(answer: &'static [u8]) -> (Proxy, std::sync::mpsc::Receiver<String>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
                let _ = s.write_all(answer);
                std::thread::sleep(Duration::from_millis(300));
            }
        });
        let proxies = Proxies::from_vars(|n| {
            (n == "https_proxy").then(|| format!("http://u%3A1:p%40ss@127.0.0.1:{port}"))
        });
        let proxy = proxies.for_host(Scheme::Tls, "r.test").unwrap().unwrap();
        (proxy, rx)
    }

    fn quick() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(2),
            read: Duration::from_secs(2),
            deadline: None,
        }
    }

    #[test]
    fn connect_carries_the_target_and_basic_credentials() {
        let (proxy, head) = proxy_answering(b"HTTP/1.1 200 Connection established\r\n\r\n");
        assert!(tunnel(&proxy, "r.test", 443, &quick()).is_ok());
        let head = head.recv().unwrap().to_ascii_lowercase();
        assert!(
            head.starts_with("connect r.test:443 http/1.1\r\n"),
            "{head}"
        );
        assert!(head.contains("host: r.test:443\r\n"), "{head}");
        // base64("u:1:p@ss")
        assert!(
            head.contains("proxy-authorization: basic dtoxonbac3m="),
            "{head}"
        );
        let (proxy, head) = proxy_answering(b"HTTP/1.1 200 OK\r\n\r\n");
        assert!(tunnel(&proxy, "::1", 8443, &quick()).is_ok());
        assert!(head.recv().unwrap().starts_with("CONNECT [::1]:8443 "));
    }

    #[test]
    fn refusals_and_garbage_are_named_without_the_credentials() {
        for (answer, needle) in [
            (
                &b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"[..],
                "refused CONNECT r.test:443: 403 Forbidden",
            ),
            (
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
                "refused the credentials",
            ),
            (
                b"SSH-2.0-x\r\n\r\n",
                "did not answer CONNECT r.test:443 properly",
            ),
            (b"HTTP/1.1 200 OK\r\n\r\nEXTRA", "sent bytes of its own"),
        ] {
            let (proxy, _) = proxy_answering(answer);
            let e = tunnel(&proxy, "r.test", 443, &quick()).expect_err(needle);
            let text = e.to_string();
            assert!(text.contains(needle), "{text}");
            assert!(
                text.contains("https_proxy") && !text.contains("p%40ss") && !text.contains("p@ss"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_silent_proxy_times_out() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let _held = l.accept();
            std::thread::sleep(Duration::from_secs(3));
        });
        let proxies =
            Proxies::from_vars(|n| (n == "all_proxy").then(|| format!("127.0.0.1:{port}")));
        let proxy = proxies.for_host(Scheme::Tls, "r.test").unwrap().unwrap();
        let t = Timeouts {
            read: Duration::from_millis(300),
            ..quick()
        };
        let e = tunnel(&proxy, "r.test", 443, &t).expect_err("silent");
        assert!(e.to_string().contains("no answer to CONNECT"), "{e}");
    }
}
