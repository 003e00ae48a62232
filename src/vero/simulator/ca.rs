//! The simulator's DEMO certificate authorities: a "Data Providers" issuing CA with the Vero
//! profile (subject CN = customer ID, two years, RSA 2048), and a TLS server certificate for
//! the loopback endpoint. Every name says DEMO in its organisation, so nothing made here can
//! be mistaken for a real certificate.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use crate::pki::load::pem::ToPem;
use crate::profile::VeroProfile;
use crate::profile::vero::Environment;
use crate::vero::finnish_time::add_years;

/// Organisation of every DEMO certificate the simulator makes.
pub const DEMO_ORGANISATION: &str = "DEMO Tax Administration certificate service simulator";

#[derive(Debug, thiserror::Error)]
#[error("cannot make the simulator's DEMO certificate {what}: {reason}")]
pub struct CaError {
    pub what: &'static str,
    pub reason: String,
}

fn ca_error(what: &'static str) -> impl Fn(rcgen::Error) -> CaError {
    move |e| CaError {
        what,
        reason: e.to_string(),
    }
}

/// A DEMO issuing CA.
pub struct DemoCa {
    issuer: Issuer<'static, KeyPair>,
    pub cert_der: CertificateDer<'static>,
    pub cert_pem: String,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FI");
    dn.push(DnType::OrganizationName, DEMO_ORGANISATION);
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = OffsetDateTime::UNIX_EPOCH + Duration::days(365 * 30);
    p.not_after = OffsetDateTime::UNIX_EPOCH + Duration::days(365 * 129);
    p
}

impl DemoCa {
    /// A self-signed CA named `cn` (ECDSA P-256: quick to make, and the name is what the
    /// Vero checks read).
    pub fn new(cn: &str) -> Result<Self, CaError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(ca_error("key"))?;
        let params = ca_params(cn);
        let cert = params.self_signed(&key).map_err(ca_error("CA"))?;
        Ok(DemoCa {
            cert_pem: cert.to_pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The issuing CA of `environment`, named as the profile's first issuer name.
    pub fn data_providers(
        profile: &VeroProfile,
        environment: Environment,
    ) -> Result<Self, CaError> {
        let name = profile
            .issuers(environment)
            .value
            .first()
            .copied()
            .unwrap_or("Data Providers Test Issuing CA v1");
        Self::new(name)
    }

    /// A customer certificate as the service issues it: subject CN = customer ID, C = FI,
    /// valid from `not_before` for the profile's years.
    pub fn issue_customer(
        &self,
        customer_id: &str,
        public_key: &impl PublicKeyData,
        not_before: OffsetDateTime,
        serial: u64,
        profile: &VeroProfile,
    ) -> Result<CertificateDer<'static>, CaError> {
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "FI");
        dn.push(DnType::OrganizationName, DEMO_ORGANISATION);
        dn.push(DnType::CommonName, customer_id);
        p.distinguished_name = dn;
        p.serial_number = Some(SerialNumber::from(serial.to_be_bytes().to_vec()));
        p.not_before = not_before;
        p.not_after = add_years(not_before, profile.validity_years.value);
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        p.use_authority_key_identifier_extension = true;
        let cert = p
            .signed_by(public_key, &self.issuer)
            .map_err(ca_error("customer certificate"))?;
        Ok(cert.der().clone())
    }

    /// An RSA 2048 document-signing certificate named `cn`, with its key (the service's
    /// answers are signed with one).
    pub fn issue_signer(&self, cn: &str) -> Result<(CertificateDer<'static>, KeyPair), CaError> {
        let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .map_err(ca_error("signing key"))?;
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, DEMO_ORGANISATION);
        dn.push(DnType::CommonName, cn);
        p.distinguished_name = dn;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.not_before = OffsetDateTime::UNIX_EPOCH + Duration::days(365 * 30);
        p.not_after = OffsetDateTime::UNIX_EPOCH + Duration::days(365 * 129);
        let cert = p
            .signed_by(&key, &self.issuer)
            .map_err(ca_error("signing certificate"))?;
        Ok((cert.der().clone(), key))
    }

    /// A TLS server certificate for the loopback names, with its key.
    pub fn issue_server(&self) -> Result<(CertificateDer<'static>, KeyPair), CaError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(ca_error("key"))?;
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, DEMO_ORGANISATION);
        dn.push(DnType::CommonName, "localhost");
        p.distinguished_name = dn;
        p.subject_alt_names = vec![
            SanType::DnsName("localhost".try_into().map_err(ca_error("server name"))?),
            SanType::IpAddress(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
            SanType::IpAddress(std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
        ];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.not_before = OffsetDateTime::UNIX_EPOCH + Duration::days(365 * 30);
        p.not_after = OffsetDateTime::UNIX_EPOCH + Duration::days(365 * 129);
        let cert = p
            .signed_by(&key, &self.issuer)
            .map_err(ca_error("server certificate"))?;
        Ok((cert.der().clone(), key))
    }
}
