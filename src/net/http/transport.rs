//! The connection under an HTTP exchange: TCP, through an `HTTPS_PROXY` tunnel for an https
//! URL when the environment names one, and TLS (rustls, aws-lc-rs) for https.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Instant;

use rustls_pki_types::{CertificateDer, ServerName};

use super::{HttpError, HttpUrl, Limits};

/// A byte stream with the socket under it (for its timeouts).
pub(super) trait Transport: Read + Write {
    fn socket(&self) -> &TcpStream;
}

impl Transport for TcpStream {
    fn socket(&self) -> &TcpStream {
        self
    }
}

impl Transport for rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    fn socket(&self) -> &TcpStream {
        &self.sock
    }
}

/// How https:// servers are verified. Without one, only http:// URLs can be fetched.
#[derive(Clone, Debug)]
pub struct Tls {
    config: Arc<rustls::ClientConfig>,
}

impl Tls {
    /// Verify servers against `roots` (see [`crate::net::roots::roots`]: the given
    /// certificates, else the system's bundle).
    pub fn with_roots(roots: &[CertificateDer<'static>]) -> Result<Tls, String> {
        let store = crate::net::roots::roots(roots)?;
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(store)
        .with_no_client_auth();
        Ok(Tls {
            config: Arc::new(config),
        })
    }
}

fn tcp(
    url: &str,
    host: &str,
    port: u16,
    limits: &Limits,
    deadline: Instant,
) -> Result<TcpStream, HttpError> {
    let timeout = || HttpError::Timeout {
        url: url.to_owned(),
        after: limits.total_timeout,
    };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|source| HttpError::Resolve {
            url: url.to_owned(),
            source,
        })?
        .collect();
    let mut last_err = None;
    for addr in addrs {
        let left = deadline
            .checked_duration_since(Instant::now())
            .ok_or_else(timeout)?;
        match TcpStream::connect_timeout(&addr, limits.connect_timeout.min(left)) {
            Ok(s) => return Ok(s),
            Err(e) => last_err = Some(e),
        }
    }
    Err(HttpError::Connect {
        url: url.to_owned(),
        source: last_err.unwrap_or_else(|| std::io::Error::other("no address")),
    })
}

/// Open the connection for `parsed` (named `url` in errors).
pub(super) fn connect(
    url: &str,
    parsed: &HttpUrl,
    limits: &Limits,
    deadline: Instant,
    tls: Option<&Tls>,
) -> Result<Box<dyn Transport>, HttpError> {
    if !parsed.https {
        return Ok(Box::new(tcp(
            url,
            &parsed.host,
            parsed.port,
            limits,
            deadline,
        )?));
    }
    let tls = tls.ok_or_else(|| HttpError::BadUrl {
        url: url.to_owned(),
        why: "https:// is not fetched here",
    })?;
    let socket = match crate::send::proxy::from_env(&parsed.host) {
        Some(proxy) => {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_default();
            crate::send::proxy::tunnel(
                &proxy,
                &format!("{}:{}", parsed.host_for_connect(), parsed.port),
                limits.connect_timeout.min(left),
                left,
            )
            .map_err(|e| HttpError::Proxy {
                url: url.to_owned(),
                why: e.to_string(),
            })?
        }
        None => tcp(url, &parsed.host, parsed.port, limits, deadline)?,
    };
    let name = ServerName::try_from(parsed.host.clone()).map_err(|_| HttpError::BadUrl {
        url: url.to_owned(),
        why: "the host is not a DNS name or IP address",
    })?;
    let conn =
        rustls::ClientConnection::new(tls.config.clone(), name).map_err(|e| HttpError::Tls {
            url: url.to_owned(),
            why: e.to_string(),
        })?;
    Ok(Box::new(rustls::StreamOwned::new(conn, socket)))
}
