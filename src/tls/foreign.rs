//! A client certificate from a CA that exists only inside this process: what a server that
//! really authenticates clients must refuse. Offering it tells "asks for a certificate and
//! checks it" apart from "asks for one and takes anything".
//!
//! The keys are ECDSA P-256: made in well under a millisecond, and a signature scheme every
//! TLS 1.2/1.3 server that verifies client certificates accepts.

use std::sync::LazyLock;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::SignatureScheme;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use crate::tls::client_identity::ClientIdentity;

/// The subject the foreign certificate carries, as reports show it.
pub const SUBJECT: &str = "CN=tilicheck foreign-CA test client, O=not a real organisation";

/// The signature scheme the foreign key signs with: a server that offers none of it in its
/// CertificateRequest cannot be shown the certificate.
pub const SCHEME: SignatureScheme = SignatureScheme::ECDSA_NISTP256_SHA256;

static FOREIGN: LazyLock<Result<Made, String>> = LazyLock::new(make);

struct Made {
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

/// The foreign client identity (leaf and its made-up CA), made once per process.
pub fn identity() -> Result<ClientIdentity, String> {
    let made = FOREIGN.as_ref().map_err(Clone::clone)?;
    Ok(ClientIdentity {
        chain: made.chain.clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key.clone())),
        subject: SUBJECT.to_owned(),
    })
}

fn make() -> Result<Made, String> {
    fn fail(what: &'static str) -> impl Fn(rcgen::Error) -> String {
        move |e| format!("the foreign test {what}: {e}")
    }
    // Valid around now: a server checks validity before it checks the issuer, and the test is
    // about the issuer.
    let now = OffsetDateTime::now_utc();
    let mut ca = CertificateParams::default();
    ca.distinguished_name = name("tilicheck foreign test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = now - Duration::days(1);
    ca.not_after = now + Duration::days(30);
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(fail("CA key"))?;
    let ca_cert = ca.self_signed(&ca_key).map_err(fail("CA"))?;

    let mut leaf = CertificateParams::default();
    leaf.distinguished_name = name("tilicheck foreign-CA test client");
    leaf.distinguished_name
        .push(DnType::OrganizationName, "not a real organisation");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    leaf.not_before = ca.not_before;
    leaf.not_after = ca.not_after;
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(fail("key"))?;
    let issuer = Issuer::from_params(&ca, &ca_key);
    let cert = leaf.signed_by(&key, &issuer).map_err(fail("certificate"))?;
    Ok(Made {
        chain: vec![cert.der().clone(), ca_cert.der().clone()],
        key: key.serialize_der(),
    })
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::facts::CertificateFacts;

    #[test]
    fn the_foreign_identity_is_a_client_certificate_under_a_made_up_ca() {
        let id = identity().expect("made");
        assert_eq!(id.chain.len(), 2);
        let leaf = CertificateFacts::from_der(&id.chain[0]).expect("parses");
        assert_eq!(leaf.subject, SUBJECT);
        assert!(leaf.issuer.contains("tilicheck foreign test CA"));
        assert!(leaf.ext_key_usage.expect("EKU").client_auth);
        // Made once: a second call hands out the same certificate.
        assert_eq!(identity().expect("made").chain[0], id.chain[0]);
    }
}
