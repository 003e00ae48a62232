//! The certificate chain and key a client presents in a handshake.

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The user's client certificate chain and key, loaded.
pub struct ClientIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The certificate's subject, for reports.
    pub subject: String,
}
