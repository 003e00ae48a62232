//! HTTPS through a proxy: `HTTPS_PROXY` (or `https_proxy`) names an `http://HOST:PORT` proxy
//! that is asked to `CONNECT` to the register; TLS then runs end to end through the tunnel.
//! `NO_PROXY` lists hosts (or `.domain` suffixes) reached directly.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Longest proxy answer head read before giving up.
const MAX_HEAD: usize = 8 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("HTTPS_PROXY={0:?} is not http://HOST:PORT")]
    BadUrl(String),
    #[error("cannot connect to the proxy {proxy}: {problem}")]
    Connect { proxy: String, problem: String },
    #[error("the proxy {proxy} refused CONNECT {target}: {status_line}")]
    Refused {
        proxy: String,
        target: String,
        status_line: String,
    },
    #[error("the proxy {proxy} did not answer CONNECT properly: {problem}")]
    Broken { proxy: String, problem: String },
}

/// The proxy to use for `host`, from the environment; None for a direct connection.
pub fn from_env(host: &str) -> Option<String> {
    let proxy = std::env::var("HTTPS_PROXY")
        .or_else(|_| std::env::var("https_proxy"))
        .ok()
        .filter(|p| !p.trim().is_empty())?;
    let no_proxy = std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default();
    let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
    // Loopback (a local simulator) is always reached directly.
    if host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
    {
        return None;
    }
    let bypass = no_proxy.split(',').map(str::trim).any(|n| {
        let n = n.to_ascii_lowercase();
        n == "*"
            || (!n.is_empty()
                && (host == n.trim_start_matches('.')
                    || host.ends_with(&format!(".{}", n.trim_start_matches('.')))))
    });
    (!bypass).then_some(proxy)
}

/// Open a tunnel to `target` (`host:port`) through `proxy`, with the given timeouts.
pub fn tunnel(
    proxy: &str,
    target: &str,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<TcpStream, ProxyError> {
    let authority = proxy
        .trim()
        .strip_prefix("http://")
        .unwrap_or(proxy.trim())
        .trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') || authority.contains('@') {
        return Err(ProxyError::BadUrl(proxy.to_owned()));
    }
    let connect_err = |problem: String| ProxyError::Connect {
        proxy: authority.to_owned(),
        problem,
    };
    let addrs: Vec<_> = authority
        .to_socket_addrs()
        .map_err(|e| connect_err(e.to_string()))?
        .collect();
    let mut last = "no address".to_owned();
    let mut stream = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, connect_timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let mut s = stream.ok_or_else(|| connect_err(last))?;
    let broken = |problem: String| ProxyError::Broken {
        proxy: authority.to_owned(),
        problem,
    };
    s.set_read_timeout(Some(read_timeout))
        .and_then(|()| s.set_write_timeout(Some(read_timeout)))
        .map_err(|e| broken(e.to_string()))?;
    write!(s, "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")
        .map_err(|e| broken(e.to_string()))?;
    // Byte by byte: nothing after the head may be consumed, it belongs to TLS.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Err(broken(format!("no end of headers in {MAX_HEAD} bytes")));
        }
        match s.read(&mut byte) {
            Ok(0) => return Err(broken("closed the connection".into())),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(broken(e.to_string())),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let status_line = text.lines().next().unwrap_or_default().to_owned();
    let code = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok());
    match code {
        Some(200..=299) => Ok(s),
        Some(_) => Err(ProxyError::Refused {
            proxy: authority.to_owned(),
            target: target.to_owned(),
            status_line,
        }),
        None => Err(broken(format!("status line {status_line:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn proxy_answering(answer: &'static [u8]) -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(answer);
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        format!("http://{addr}")
    }

    #[test]
    fn a_refusing_proxy_is_named_with_its_answer() {
        let p = proxy_answering(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        let e = tunnel(
            &p,
            "register.test:443",
            Duration::from_secs(2),
            Duration::from_secs(2),
        )
        .unwrap_err();
        assert!(matches!(e, ProxyError::Refused { .. }), "{e}");
        assert!(e.to_string().contains("403 Forbidden"), "{e}");
    }

    #[test]
    fn an_accepting_proxy_gives_the_stream_and_garbage_is_broken() {
        let p = proxy_answering(b"HTTP/1.1 200 Connection established\r\n\r\n");
        assert!(
            tunnel(
                &p,
                "r.test:443",
                Duration::from_secs(2),
                Duration::from_secs(2)
            )
            .is_ok()
        );
        let p = proxy_answering(b"SSH-2.0-x\r\n\r\n");
        assert!(matches!(
            tunnel(
                &p,
                "r.test:443",
                Duration::from_secs(2),
                Duration::from_secs(2)
            ),
            Err(ProxyError::Broken { .. })
        ));
        assert!(matches!(
            tunnel(
                "http://u:p@proxy:1",
                "r:1",
                Duration::from_secs(1),
                Duration::from_secs(1)
            ),
            Err(ProxyError::BadUrl(_))
        ));
    }
}
