//! TLS for https:// URLs whose server must be trusted (trusted lists, the Vero certificate
//! service): the shared handshake ([`crate::tls::client::drive`], so DHE and a server's own
//! prime work as everywhere else) with a WebPKI verifier over the given roots.

use std::net::TcpStream;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::{CertificateDer, ServerName};

use super::Failure;
use crate::tls::client::{self, Recording};

/// How https:// servers are verified. Without one, only http:// URLs can be fetched.
#[derive(Clone, Debug)]
pub struct Tls {
    roots: Arc<RootCertStore>,
}

impl Tls {
    /// Verify servers against `roots` (see [`crate::net::roots::roots`]: the given
    /// certificates, else the system's bundle).
    pub fn with_roots(roots: &[CertificateDer<'static>]) -> Result<Tls, String> {
        Ok(Tls::with_store(crate::net::roots::roots(roots)?))
    }

    pub fn with_store(roots: RootCertStore) -> Tls {
        Tls {
            roots: Arc::new(roots),
        }
    }

    /// The handshake with `host` over `tcp`; `reopen` gives a second connection when the
    /// server's own DH prime needs a second attempt.
    pub(super) fn handshake(
        &self,
        host: &str,
        tcp: TcpStream,
        mut reopen: impl FnMut() -> Result<TcpStream, Failure>,
    ) -> Result<(TcpStream, rustls::ClientConnection), Failure> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(bare.to_owned())
            .map_err(|_| Failure::BadUrl("the host is not a DNS name or IP address"))?;
        let mut first = Some(tcp);
        let open = |provider: Arc<rustls::crypto::CryptoProvider>| -> Result<_, Failure> {
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| Failure::Tls(e.to_string()))?
                .with_root_certificates(self.roots.clone())
                .with_no_client_auth();
            let conn = rustls::ClientConnection::new(Arc::new(config), name.clone())
                .map_err(|e| Failure::Tls(e.to_string()))?;
            let tcp = match first.take() {
                Some(t) => t,
                None => reopen()?,
            };
            Ok(rustls::StreamOwned::new(conn, Recording::new(tcp)))
        };
        match client::drive(open)? {
            Ok(stream) => Ok((stream.sock.inner, stream.conn)),
            Err(failure) => Err(Failure::Tls(match failure.not_usable {
                Some(why) => why.to_string(),
                None => match client::tls_error(&failure.error) {
                    Some(tls) => tls.to_string(),
                    None => failure.error.to_string(),
                },
            })),
        }
    }
}
