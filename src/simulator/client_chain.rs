//! Telling a client that sent only its leaf certificate apart from one whose certificate the
//! trust does not cover. Both fail the handshake with "unknown issuer", but the fix differs:
//! the first has the right certificate and must send its intermediate CA with it.
//!
//! rustls reports neither the certificates nor their number after a failed handshake, so the
//! client-certificate verifier notes what it saw in a task-local slot that the connection's
//! task reads after the handshake.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};
use rustls_pki_types::{CertificateDer, UnixTime};

tokio::task_local! {
    static LEAF_ONLY: Arc<AtomicBool>;
}

/// Run a handshake, and say whether it was refused because the client sent a lone leaf
/// certificate whose issuer is not a trust anchor.
pub async fn watch<F: Future>(handshake: F) -> (F::Output, bool) {
    let flag = Arc::new(AtomicBool::new(false));
    let out = LEAF_ONLY.scope(flag.clone(), handshake).await;
    (out, flag.load(Ordering::Relaxed))
}

/// A client-certificate verifier that decides as `inner` does and notes a lone leaf.
#[derive(Debug)]
pub struct NoticeLeafOnly {
    pub inner: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for NoticeLeafOnly {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let result = self
            .inner
            .verify_client_cert(end_entity, intermediates, now);
        if intermediates.is_empty()
            && matches!(
                result,
                Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
            )
        {
            // Outside a watched handshake there is no one to tell.
            let _ = LEAF_ONLY.try_with(|flag| flag.store(true, Ordering::Relaxed));
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
