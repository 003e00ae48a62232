//! Certificate signing requests: making one with exactly the subject and key the register's
//! rules need, and reading one back for `csr --check`.

use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair, RsaKeySize};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509CertificationRequest};

use crate::pki::facts::{
    self, KeyFacts, OID_COMMON_NAME, OID_ORGANIZATION_IDENTIFIER, OID_SERIAL_NUMBER,
};
use crate::pki::load::pem::ToPem;

/// The key a new request is made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrKey {
    Rsa(RsaBits),
    P384,
}

/// The RSA sizes the key generator offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsaBits {
    /// Only for the Vero certificate service, which accepts nothing else; the register's
    /// `csr` refuses it (its minimum is 3072).
    B2048,
    B3072,
    B4096,
}

impl RsaBits {
    pub fn from_bits(bits: u32) -> Option<Self> {
        match bits {
            2048 => Some(RsaBits::B2048),
            3072 => Some(RsaBits::B3072),
            4096 => Some(RsaBits::B4096),
            _ => None,
        }
    }
}

/// What goes into the request's subject.
#[derive(Clone, Debug)]
pub struct CsrSubject {
    /// The business ID exactly as it is to appear in `serialNumber` (`1234567-8` or `FI12345678`).
    pub serial_number: String,
    /// The DNS name: CN and the subjectAltName.
    pub dns_name: String,
    pub organization: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CsrError {
    #[error("cannot generate the key: {0}")]
    KeyGeneration(String),
    #[error("'{0}' cannot be used in the subject: {1}")]
    Subject(String, String),
    #[error("cannot make the request: {0}")]
    Request(String),
    #[error("not a PKCS#10 certificate request: {0}")]
    NotARequest(String),
}

/// A new key pair and its request, both PEM.
pub struct NewRequest {
    pub key: KeyPair,
    pub csr_pem: String,
}

/// Generate a new key pair of the given kind.
pub fn generate_key(key: CsrKey) -> Result<KeyPair, CsrError> {
    match key {
        CsrKey::Rsa(bits) => {
            let size = match bits {
                RsaBits::B2048 => RsaKeySize::_2048,
                RsaBits::B3072 => RsaKeySize::_3072,
                RsaBits::B4096 => RsaKeySize::_4096,
            };
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size)
        }
        CsrKey::P384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
    }
    .map_err(|e| CsrError::KeyGeneration(e.to_string()))
}

/// Generate a key and a PKCS#10 request signed with it.
pub fn make_request(subject: &CsrSubject, key: CsrKey) -> Result<NewRequest, CsrError> {
    let key_pair = generate_key(key)?;

    let mut params = CertificateParams::new(vec![subject.dns_name.clone()])
        .map_err(|e| CsrError::Subject(subject.dns_name.clone(), e.to_string()))?;
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString(printable("FI")?),
    );
    if let Some(org) = &subject.organization {
        dn.push(DnType::OrganizationName, DnValue::Utf8String(org.clone()));
    }
    // FINEID S2: serialNumber is a PrintableString.
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 5]),
        DnValue::PrintableString(printable(&subject.serial_number)?),
    );
    dn.push(
        DnType::CommonName,
        DnValue::Utf8String(subject.dns_name.clone()),
    );
    params.distinguished_name = dn;
    let csr = params
        .serialize_request(&key_pair)
        .map_err(|e| CsrError::Request(e.to_string()))?;
    let csr_pem = csr.to_pem();
    Ok(NewRequest {
        key: key_pair,
        csr_pem,
    })
}

fn printable(s: &str) -> Result<rcgen::string::PrintableString, CsrError> {
    s.try_into()
        .map_err(|_| CsrError::Subject(s.to_owned(), "not a PrintableString".into()))
}

/// What a request says, for `csr --check`.
#[derive(Clone, Debug)]
pub struct CsrFacts {
    pub subject: String,
    pub common_names: Vec<String>,
    pub countries: Vec<String>,
    pub organizations: Vec<String>,
    pub subject_serial_numbers: Vec<String>,
    pub organization_identifiers: Vec<String>,
    pub dns_names: Vec<String>,
    pub key: KeyFacts,
    /// Whether the request's signature verifies with its own public key.
    pub signature_valid: Result<(), String>,
}

impl CsrFacts {
    /// Read a request from PEM (`CERTIFICATE REQUEST`) or DER.
    pub fn parse(bytes: &[u8]) -> Result<Self, CsrError> {
        let der = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            let (_, pem) = x509_parser::pem::parse_x509_pem(bytes)
                .map_err(|e| CsrError::NotARequest(format!("unreadable PEM: {e}")))?;
            if !pem.label.contains("CERTIFICATE REQUEST") {
                return Err(CsrError::NotARequest(format!(
                    "the PEM block is '{}', not 'CERTIFICATE REQUEST'",
                    pem.label
                )));
            }
            pem.contents
        } else {
            bytes.to_vec()
        };
        let (rest, req) = X509CertificationRequest::from_der(&der)
            .map_err(|e| CsrError::NotARequest(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CsrError::NotARequest(format!(
                "{} bytes follow the request",
                rest.len()
            )));
        }
        let info = &req.certification_request_info;
        let values = |oid| facts::attribute_values(&info.subject, oid);
        let mut dns_names = Vec::new();
        if let Some(exts) = req.requested_extensions() {
            for ext in exts {
                if let ParsedExtension::SubjectAlternativeName(san) = ext {
                    for name in &san.general_names {
                        if let GeneralName::DNSName(d) = name {
                            dns_names.push((*d).to_owned());
                        }
                    }
                }
            }
        }
        Ok(CsrFacts {
            subject: info.subject.to_string(),
            common_names: values(&OID_COMMON_NAME),
            countries: values(&x509_parser::der_parser::oid!(2.5.4.6)),
            organizations: values(&x509_parser::der_parser::oid!(2.5.4.10)),
            subject_serial_numbers: values(&OID_SERIAL_NUMBER),
            organization_identifiers: values(&OID_ORGANIZATION_IDENTIFIER),
            dns_names,
            key: facts::key_facts(&info.subject_pki),
            signature_valid: req.verify_signature().map_err(|e| e.to_string()),
        })
    }
}
