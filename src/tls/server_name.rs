//! Whether the endpoint's certificate is for the name the client connected to: the `--sni`
//! name, else the host as written. Only subjectAltName counts (RFC 6125 §6.4.4, as every
//! current TLS client does); an IP address is matched against the iPAddress names.

use rustls::pki_types::{CertificateDer, ServerName};

/// Why the name could not be checked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameCheckError {
    #[error("'{0}' is neither a DNS name nor an IP address")]
    NotAName(String),
    #[error("the certificate cannot be read: {0}")]
    Certificate(String),
}

/// Does the certificate (DER) cover `name`?
pub fn covers(leaf: &[u8], name: &str) -> Result<bool, NameCheckError> {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(bare.to_owned())
        .map_err(|_| NameCheckError::NotAName(name.to_owned()))?;
    let der = CertificateDer::from(leaf);
    let cert = webpki::EndEntityCert::try_from(&der)
        .map_err(|e| NameCheckError::Certificate(e.to_string()))?;
    match cert.verify_is_valid_for_subject_name(&server_name) {
        Ok(()) => Ok(true),
        Err(webpki::Error::CertNotValidForName(_)) => Ok(false),
        Err(e) => Err(NameCheckError::Certificate(e.to_string())),
    }
}
