//! XML-DSig as the certificate service uses it: an enveloped signature over the whole
//! message (Reference URI=""), exclusive canonicalisation, RSA-SHA256, SHA-256 digest, the
//! signer's certificate in KeyInfo. Signing (RenewCertificate) and verifying (the
//! simulator's check of a renewal, and the client's check of the service's answers).
//!
//! The canonicalisation and signature code is the shared [`crate::pki::xmldsig`]; this module
//! fixes the service's profile.

use rustls_pki_types::PrivateKeyDer;

use crate::pki::facts::CertificateFacts;
use crate::pki::xmldsig::c14n::Algorithm;
use crate::pki::xmldsig::{self, DigestAlgorithm, Placement, Profile, Scheme, SignOptions};

pub use crate::pki::xmldsig::DsigError;

/// What the certificate service signs with, and so all a verifier here accepts.
const PROFILE: Profile = Profile {
    c14n: &[Algorithm::Exclusive],
    schemes: &[Scheme::RsaPkcs1],
    hashes: &[DigestAlgorithm::Sha256],
    placement: Placement::Anywhere,
    xades: false,
    strict_content: false,
};

/// An RSA key for signing (the service signs with RSA-SHA256 only).
pub struct SigningKey(xmldsig::SigningKey);

impl SigningKey {
    pub fn from_der(key: &PrivateKeyDer<'_>) -> Result<Self, DsigError> {
        let k = xmldsig::SigningKey::from_der(key)?;
        if !k.is_rsa() {
            return Err(DsigError::Key("not an RSA key".into()));
        }
        Ok(SigningKey(k))
    }
}

/// Sign `xml` with an enveloped signature placed just before `before` (e.g. the closing
/// tag of the operation element), carrying `cert_der` in KeyInfo.
pub fn sign_enveloped(
    xml: &str,
    before: &str,
    key: &SigningKey,
    cert_der: &[u8],
) -> Result<String, DsigError> {
    xmldsig::sign::sign_enveloped(xml, before, &key.0, cert_der, &SignOptions::vero())
}

/// The certificate a verified signature was made with.
#[derive(Clone, Debug)]
pub struct Signer {
    pub facts: CertificateFacts,
    pub der: Vec<u8>,
}

impl Signer {
    /// Whether `ca_der` issued this certificate (names match and its signature verifies).
    pub fn issued_by(&self, ca_der: &[u8]) -> bool {
        issued_by(&self.der, ca_der)
    }
}

/// Whether `ca_der` issued `cert_der`: the issuer name is the CA's subject and the
/// certificate's signature verifies with the CA's key.
pub fn issued_by(cert_der: &[u8], ca_der: &[u8]) -> bool {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (Ok((_, cert)), Ok((_, ca))) = (
        X509Certificate::from_der(cert_der),
        X509Certificate::from_der(ca_der),
    ) else {
        return false;
    };
    cert.issuer().as_raw() == ca.subject().as_raw()
        && cert.verify_signature(Some(ca.public_key())).is_ok()
}

/// Verify the one enveloped signature of `xml`; on success, the signer's certificate.
/// Whether that certificate is trusted is the caller's decision.
pub fn verify_enveloped(xml: &str) -> Result<Signer, DsigError> {
    let doc = crate::xml::parse(xml).map_err(|e| DsigError::NotXml(e.to_string()))?;
    let verified = xmldsig::verify(&doc, &PROFILE)?;
    Ok(Signer {
        facts: verified.signer,
        der: verified.signer_der,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_and_cert() -> (SigningKey, Vec<u8>) {
        let kp =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("key");
        let cert = rcgen::CertificateParams::new(vec!["signer.example".into()])
            .expect("params")
            .self_signed(&kp)
            .expect("cert");
        let der = PrivateKeyDer::Pkcs8(kp.serialize_der().into());
        (
            SigningKey::from_der(&der).expect("rsa"),
            cert.der().to_vec(),
        )
    }

    const DOC: &str = "<s:E xmlns:s=\"urn:s\"><s:B><c:Op xmlns:c=\"urn:c\"><A>x &amp; \"y\"</A></c:Op></s:B></s:E>";

    #[test]
    fn signs_and_verifies_and_notices_changes() {
        let (key, cert) = key_and_cert();
        let signed = sign_enveloped(DOC, "</c:Op>", &key, &cert).expect("sign");
        let signer = verify_enveloped(&signed).expect("verifies");
        assert_eq!(signer.facts.common_names, ["rcgen self signed cert"]);
        assert!(signer.issued_by(&cert), "self-signed");
        let tampered = signed.replace("<A>x", "<A>z");
        assert_eq!(
            verify_enveloped(&tampered).err(),
            Some(DsigError::DigestMismatch)
        );
        assert_eq!(verify_enveloped(DOC).err(), Some(DsigError::Unsigned));
        // Reformatting the signature element itself does not matter; its SignedInfo does.
        let info_changed = signed.replace("<ds:SignedInfo>", "<ds:SignedInfo >");
        assert!(verify_enveloped(&info_changed).is_ok());
        let (other, _) = key_and_cert();
        let wrong_key = sign_enveloped(DOC, "</c:Op>", &other, &cert).expect("sign");
        assert_eq!(
            verify_enveloped(&wrong_key).err(),
            Some(DsigError::BadSignature)
        );
    }

    #[test]
    fn the_service_profile_refuses_other_algorithms() {
        let (key, cert) = key_and_cert();
        let signed = sign_enveloped(DOC, "</c:Op>", &key, &cert).expect("sign");
        let other_c14n = signed.replace(
            "Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"></ds:CanonicalizationMethod>",
            "Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"></ds:CanonicalizationMethod>",
        );
        assert!(matches!(
            verify_enveloped(&other_c14n),
            Err(DsigError::Unsupported {
                what: "canonicalisation",
                ..
            })
        ));
    }
}
