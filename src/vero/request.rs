//! The key and certificate request sent to the certificate service. The service uses only
//! the request's public key (it sets the subject itself), but the recommended subject is
//! written anyway: CN = customer ID, O = organisation, C = FI.

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};

use crate::pki::csr::{CsrError, CsrKey, RsaBits, generate_key};
use crate::profile::VeroProfile;

/// A new key and its request (DER).
pub struct VeroRequest {
    pub key: KeyPair,
    pub csr_der: Vec<u8>,
}

/// Make an RSA key of the profile's size and a request for it.
pub fn make(
    customer_id: &str,
    customer_name: Option<&str>,
    profile: &VeroProfile,
) -> Result<VeroRequest, CsrError> {
    let bits = RsaBits::from_bits(profile.rsa_bits.value).ok_or_else(|| {
        CsrError::KeyGeneration(format!("no generator for RSA {}", profile.rsa_bits.value))
    })?;
    let key = generate_key(CsrKey::Rsa(bits))?;
    let csr_der = request_for(&key, customer_id, customer_name)?;
    Ok(VeroRequest { key, csr_der })
}

/// A request for an existing key (used again on `--resume`).
pub fn request_for(
    key: &KeyPair,
    customer_id: &str,
    customer_name: Option<&str>,
) -> Result<Vec<u8>, CsrError> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "FI");
    if let Some(name) = customer_name {
        dn.push(DnType::OrganizationName, name);
    }
    dn.push(DnType::CommonName, customer_id);
    params.distinguished_name = dn;
    let csr = params
        .serialize_request(key)
        .map_err(|e| CsrError::Request(e.to_string()))?;
    Ok(csr.der().to_vec())
}
