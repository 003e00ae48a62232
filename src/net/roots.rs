//! The CA certificates HTTPS servers are verified against: the given ones, or the system's
//! bundle (`SSL_CERT_FILE` first, as OpenSSL and curl read it).

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Trust anchors: `extra` when given, else the system's bundle.
pub fn roots(extra: &[CertificateDer<'static>]) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    if !extra.is_empty() {
        for c in extra {
            store.add(c.clone()).map_err(|e| e.to_string())?;
        }
        return Ok(store);
    }
    let candidates = [
        std::env::var("SSL_CERT_FILE").ok(),
        Some("/etc/ssl/certs/ca-certificates.crt".to_owned()),
        Some("/etc/pki/tls/certs/ca-bundle.crt".to_owned()),
        Some("/etc/ssl/cert.pem".to_owned()),
    ];
    for path in candidates.into_iter().flatten() {
        if let Ok(pem) = std::fs::read(&path) {
            for c in CertificateDer::pem_slice_iter(&pem).flatten() {
                let _ = store.add(c);
            }
            if !store.is_empty() {
                return Ok(store);
            }
        }
    }
    Err("no system CA bundle found (set SSL_CERT_FILE to a PEM file of CA certificates)".into())
}
