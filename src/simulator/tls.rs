//! The register's TLS side: TLS 1.2 and 1.3 only, forward-secret AEAD suites only, a client
//! certificate required and validated against the configured trust anchors.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::crypto::aws_lc_rs as provider;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("trust anchor {index} cannot be used: {problem}")]
    Trust { index: usize, problem: String },
    #[error(
        "no trust anchors: give --trust with the CA certificates that issue client certificates"
    )]
    NoTrust,
    #[error("the server certificate and key cannot be used: {0}")]
    ServerCert(String),
}

/// The suites the simulator offers: ephemeral key exchange and AEAD only (§3.2).
pub fn provider() -> Arc<CryptoProvider> {
    use provider::cipher_suite::*;
    Arc::new(CryptoProvider {
        cipher_suites: vec![
            TLS13_AES_256_GCM_SHA384,
            TLS13_AES_128_GCM_SHA256,
            TLS13_CHACHA20_POLY1305_SHA256,
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        ..provider::default_provider()
    })
}

/// The server configuration: mandatory client certificates chaining to `trust`; HTTP/1.1 only.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    trust: &[CertificateDer<'static>],
) -> Result<Arc<ServerConfig>, TlsSetupError> {
    if trust.is_empty() {
        return Err(TlsSetupError::NoTrust);
    }
    let mut roots = RootCertStore::empty();
    for (index, anchor) in trust.iter().enumerate() {
        roots
            .add(anchor.clone())
            .map_err(|e| TlsSetupError::Trust {
                index,
                problem: e.to_string(),
            })?;
    }
    let provider = provider();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TlsSetupError::Trust {
            index: 0,
            problem: e.to_string(),
        })?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsSetupError::ServerCert(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsSetupError::ServerCert(e.to_string()))?;
    // §3.3: HTTP/1.1. A client that offers ALPN without it is refused in the handshake.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
