//! The register's TLS side: TLS 1.2 and 1.3 only, forward-secret AEAD suites only, a client
//! certificate required and validated against the configured trust anchors.

use std::sync::Arc;

use rustls::crypto::aws_lc_rs as provider;
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
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

/// Which key exchange the simulator speaks: §3.2 says "ephemeral Diffie-Hellman", which a
/// register may read as finite-field DHE only; suppliers test against either reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyExchange {
    /// ECDHE only (x25519, P-256, P-384).
    Ecdhe,
    /// Finite-field DHE only: TLS 1.2 DHE_RSA suites and TLS 1.3 with RFC 7919 groups.
    Dhe,
    /// Both, ECDHE preferred.
    #[default]
    Both,
}

impl KeyExchange {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyExchange::Ecdhe => "ecdhe",
            KeyExchange::Dhe => "dhe",
            KeyExchange::Both => "both",
        }
    }
}

/// The suites the simulator offers: ephemeral key exchange and AEAD only (§3.2). DHE groups
/// are the RFC 7919 ones at or above the profile's DH minimum.
pub fn provider(kx: KeyExchange) -> Arc<CryptoProvider> {
    use provider::cipher_suite::*;
    let tls13 = [
        TLS13_AES_256_GCM_SHA384,
        TLS13_AES_128_GCM_SHA256,
        TLS13_CHACHA20_POLY1305_SHA256,
    ];
    let ecdhe = [
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    let min = crate::tls::client::min_dh_bits();
    let ffdhe = crate::tls::dh::kx::NAMED
        .iter()
        .filter(|k| {
            k.ffdhe_group()
                .is_some_and(|g| crate::tls::dh::bit_len(g.p) >= min)
        })
        .map(|k| *k as &'static dyn SupportedKxGroup);
    let curves = provider::default_provider().kx_groups;
    let mut cipher_suites = tls13.to_vec();
    let mut kx_groups = Vec::new();
    if kx != KeyExchange::Dhe {
        cipher_suites.extend(ecdhe);
        kx_groups.extend(curves);
    }
    if kx != KeyExchange::Ecdhe {
        cipher_suites.extend(crate::tls::client::dhe_suites());
        kx_groups.extend(ffdhe);
    }
    Arc::new(CryptoProvider {
        cipher_suites,
        kx_groups,
        ..provider::default_provider()
    })
}

/// The server configuration: mandatory client certificates chaining to `trust`; HTTP/1.1 only.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    trust: &[CertificateDer<'static>],
    kx: KeyExchange,
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
    let provider = provider(kx);
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TlsSetupError::Trust {
            index: 0,
            problem: e.to_string(),
        })?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsSetupError::ServerCert(e.to_string()))?
        .with_client_cert_verifier(Arc::new(super::client_chain::NoticeLeafOnly {
            inner: verifier,
        }))
        .with_single_cert(chain, key)
        .map_err(|e| TlsSetupError::ServerCert(e.to_string()))?;
    // §3.3: HTTP/1.1. A client that offers only other protocols (h2) is refused in the
    // handshake. http/1.0 is let through (after http/1.1, so never chosen over it) because a
    // handshake alert would tell an HTTP/1.0 client nothing: it reaches HTTP instead and gets
    // the 400 that names HTTP-VERSION.
    config.alpn_protocols = vec![b"http/1.1".to_vec(), b"http/1.0".to_vec()];
    Ok(Arc::new(config))
}
