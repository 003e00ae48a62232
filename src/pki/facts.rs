//! What a certificate says, read once into plain values. Facts know nothing about rules.

use std::fmt;

use time::OffsetDateTime;
use x509_parser::der_parser::oid;
use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::signature_algorithm::SignatureAlgorithm;

use crate::pki::conformance::{self, Conformance};
use crate::pki::names;
use crate::pki::qc::{self, QcError, QcFacts};
use crate::profile::HashStrength;

/// The public key, as far as the rules care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyFacts {
    Rsa {
        bits: u32,
    },
    Ec {
        curve: &'static str,
        bits: u32,
    },
    Ed25519,
    Ed448,
    /// Any other algorithm, by OID.
    Other {
        algorithm: String,
    },
}

impl fmt::Display for KeyFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFacts::Rsa { bits } => write!(f, "RSA {bits} bits"),
            KeyFacts::Ec { curve, bits } => write!(f, "EC {curve} ({bits} bits)"),
            KeyFacts::Ed25519 => f.write_str("Ed25519"),
            KeyFacts::Ed448 => f.write_str("Ed448"),
            KeyFacts::Other { algorithm } => write!(f, "unrecognised key algorithm {algorithm}"),
        }
    }
}

/// The algorithm the issuer signed the certificate with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureFacts {
    pub name: String,
    /// The hash it uses, when known.
    pub hash: Option<HashStrength>,
}

/// Key usage bits that are set, by their RFC 5280 names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyUsageFacts {
    pub critical: bool,
    pub digital_signature: bool,
    pub names: Vec<&'static str>,
}

/// Extended key usage purposes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtKeyUsageFacts {
    pub critical: bool,
    pub ocsp_signing: bool,
    pub client_auth: bool,
    pub server_auth: bool,
    pub any: bool,
    pub names: Vec<String>,
}

/// Everything the certificate checks read.
#[derive(Clone, Debug)]
pub struct CertificateFacts {
    /// The raw version field: 0 = v1, 1 = v2, 2 = v3.
    pub version: u32,
    pub serial_hex: String,
    pub subject: String,
    pub issuer: String,
    /// Issuer `commonName` values, as written.
    pub issuer_common_names: Vec<String>,
    pub common_names: Vec<String>,
    /// Subject `serialNumber` (2.5.4.5) values, as written.
    pub subject_serial_numbers: Vec<String>,
    /// The subject's attribute types (dotted OIDs), in order.
    pub subject_attribute_types: Vec<String>,
    /// Subject `organizationIdentifier` (2.5.4.97) values, as written.
    pub organization_identifiers: Vec<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub key: KeyFacts,
    /// The subjectPublicKey bits, to compare with a private key.
    pub public_key_raw: Vec<u8>,
    pub signature: SignatureFacts,
    pub key_usage: Option<KeyUsageFacts>,
    pub ext_key_usage: Option<ExtKeyUsageFacts>,
    pub is_ca: bool,
    pub policies: Vec<String>,
    /// None when absent; Some(Err) when present but unreadable.
    pub qc_statements: Option<Result<QcFacts, QcError>>,
    /// The serial number's size and sign, and every departure from the RFC 5280 profile.
    pub conformance: Conformance,
    pub dns_names: Vec<String>,
    /// subjectAltName IP addresses, as text.
    pub ip_addresses: Vec<String>,
    /// CRL distribution point URIs.
    pub crl_urls: Vec<String>,
    /// OCSP responder URIs from the authority information access.
    pub ocsp_urls: Vec<String>,
    pub sha256_fingerprint: String,
    pub self_issued: bool,
}

/// Why certificate bytes could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FactsError {
    #[error("not a valid DER X.509 certificate: {0}")]
    Malformed(String),
    #[error("{0} bytes follow the certificate")]
    TrailingData(usize),
}

pub const OID_COMMON_NAME: Oid<'static> = oid!(2.5.4.3);
pub const OID_SERIAL_NUMBER: Oid<'static> = oid!(2.5.4.5);
/// Not in the OID registry x509-parser uses (EN 319 412-1 §5.1.4).
pub const OID_ORGANIZATION_IDENTIFIER: Oid<'static> = oid!(2.5.4.97);
const OID_QC_STATEMENTS: Oid<'static> = oid!(1.3.6.1.5.5.7.1.3);
const OID_AD_OCSP: Oid<'static> = oid!(1.3.6.1.5.5.7.48.1);

/// An IP address from a subjectAltName (4 or 16 bytes); hex for anything else.
fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => bytes.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

impl CertificateFacts {
    /// The identifier the subject carries: its serialNumber as written, or (an eIDAS
    /// certificate without one) its organizationIdentifier. What a token's `sub` holds and what
    /// the register knows a supplier by.
    pub fn identifier(&self) -> Option<&str> {
        self.subject_serial_numbers
            .first()
            .or(self.organization_identifiers.first())
            .map(String::as_str)
    }

    pub fn from_der(der: &[u8]) -> Result<Self, FactsError> {
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|e| FactsError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(FactsError::TrailingData(rest.len()));
        }
        Ok(Self::from_parsed(der, &cert))
    }

    fn from_parsed(der: &[u8], cert: &X509Certificate<'_>) -> Self {
        let tbs = &cert.tbs_certificate;
        let raw_serial = cert.raw_serial();
        let mut key_usage = None;
        let mut ext_key_usage = None;
        let mut policies = Vec::new();
        let mut qc_statements = None;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        let mut crl_urls = Vec::new();
        let mut ocsp_urls = Vec::new();

        for ext in cert.extensions() {
            if ext.oid == OID_QC_STATEMENTS {
                qc_statements = Some(qc::decode(ext.value));
                continue;
            }
            match ext.parsed_extension() {
                ParsedExtension::KeyUsage(ku) => {
                    key_usage = Some(key_usage_facts(ku, ext.critical));
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    ext_key_usage = Some(ext_key_usage_facts(eku, ext.critical));
                }
                ParsedExtension::CertificatePolicies(ps) => {
                    policies.extend(ps.iter().map(|p| p.policy_id.to_id_string()));
                }
                ParsedExtension::SubjectAlternativeName(san) => {
                    for name in &san.general_names {
                        match name {
                            GeneralName::DNSName(d) => dns_names.push((*d).to_owned()),
                            GeneralName::IPAddress(ip) => ip_addresses.push(ip_text(ip)),
                            _ => {}
                        }
                    }
                }
                ParsedExtension::CRLDistributionPoints(points) => {
                    for point in points.iter() {
                        if let Some(DistributionPointName::FullName(names)) =
                            &point.distribution_point
                        {
                            crl_urls.extend(names.iter().filter_map(|n| match n {
                                GeneralName::URI(u) => Some((*u).to_owned()),
                                _ => None,
                            }));
                        }
                    }
                }
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    ocsp_urls.extend(aia.iter().filter_map(|ad| match &ad.access_location {
                        GeneralName::URI(u) if ad.access_method == OID_AD_OCSP => {
                            Some((*u).to_owned())
                        }
                        _ => None,
                    }));
                }
                _ => {}
            }
        }

        let self_issued = tbs.subject.as_raw() == tbs.issuer.as_raw();
        // Self-signed (RFC 5280's exemption from authorityKeyIdentifier): signed by its own key.
        let self_signed = self_issued && cert.verify_signature(None).is_ok();
        let fingerprint = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
        CertificateFacts {
            version: cert.version().0,
            serial_hex: hex_colon(raw_serial),
            subject: names::display(cert.subject()),
            issuer: names::display(cert.issuer()),
            issuer_common_names: attribute_values(cert.issuer(), &OID_COMMON_NAME),
            common_names: attribute_values(cert.subject(), &OID_COMMON_NAME),
            subject_serial_numbers: attribute_values(cert.subject(), &OID_SERIAL_NUMBER),
            subject_attribute_types: cert
                .subject()
                .iter_attributes()
                .map(|a| a.attr_type().to_id_string())
                .collect(),
            organization_identifiers: attribute_values(
                cert.subject(),
                &OID_ORGANIZATION_IDENTIFIER,
            ),
            not_before: tbs.validity.not_before.to_datetime(),
            not_after: tbs.validity.not_after.to_datetime(),
            key: key_facts(&tbs.subject_pki),
            public_key_raw: tbs.subject_pki.subject_public_key.data.to_vec(),
            signature: signature_facts(cert),
            key_usage,
            ext_key_usage,
            is_ca: cert.is_ca(),
            policies,
            qc_statements,
            conformance: conformance::inspect(der, cert, self_signed),
            dns_names,
            ip_addresses,
            crl_urls,
            ocsp_urls,
            sha256_fingerprint: hex_colon(fingerprint.as_ref()),
            self_issued,
        }
    }
}

pub fn attribute_values(name: &x509_parser::x509::X509Name<'_>, oid: &Oid<'_>) -> Vec<String> {
    name.iter_by_oid(oid)
        .map(|atv| match atv.as_str() {
            Ok(s) => s.to_owned(),
            Err(_) => format!("<undecodable {} bytes>", atv.attr_value().data.len()),
        })
        .collect()
}

fn key_usage_facts(ku: &x509_parser::extensions::KeyUsage, critical: bool) -> KeyUsageFacts {
    let bits: [(bool, &'static str); 9] = [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "nonRepudiation"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ];
    KeyUsageFacts {
        critical,
        digital_signature: ku.digital_signature(),
        names: bits
            .iter()
            .filter(|(set, _)| *set)
            .map(|(_, n)| *n)
            .collect(),
    }
}

fn ext_key_usage_facts(
    eku: &x509_parser::extensions::ExtendedKeyUsage<'_>,
    critical: bool,
) -> ExtKeyUsageFacts {
    let mut names = Vec::new();
    let flags = [
        (eku.any, "anyExtendedKeyUsage"),
        (eku.server_auth, "serverAuth"),
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
    ];
    names.extend(
        flags
            .iter()
            .filter(|(s, _)| *s)
            .map(|(_, n)| (*n).to_owned()),
    );
    names.extend(eku.other.iter().map(|o| o.to_id_string()));
    ExtKeyUsageFacts {
        critical,
        ocsp_signing: eku.ocsp_signing,
        client_auth: eku.client_auth,
        server_auth: eku.server_auth,
        any: eku.any,
        names,
    }
}

/// The key facts of a SubjectPublicKeyInfo (a certificate's or a CSR's).
pub fn key_facts(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> KeyFacts {
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        "1.3.101.112" => return KeyFacts::Ed25519,
        "1.3.101.113" => return KeyFacts::Ed448,
        _ => {}
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => KeyFacts::Rsa {
            bits: u32::try_from(rsa.key_size()).unwrap_or(u32::MAX),
        },
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            match curve.as_deref().and_then(named_curve) {
                Some((curve, bits)) => KeyFacts::Ec { curve, bits },
                None => KeyFacts::Other {
                    algorithm: format!(
                        "EC on curve {}",
                        curve.as_deref().unwrap_or("(explicit parameters)")
                    ),
                },
            }
        }
        _ => KeyFacts::Other { algorithm: alg },
    }
}

fn named_curve(oid: &str) -> Option<(&'static str, u32)> {
    Some(match oid {
        "1.2.840.10045.3.1.7" => ("P-256", 256),
        "1.3.132.0.34" => ("P-384", 384),
        "1.3.132.0.35" => ("P-521", 521),
        "1.3.132.0.10" => ("secp256k1", 256),
        "1.2.840.10045.3.1.1" => ("P-192", 192),
        "1.3.132.0.33" => ("P-224", 224),
        "1.3.36.3.3.2.8.1.1.7" => ("brainpoolP256r1", 256),
        "1.3.36.3.3.2.8.1.1.11" => ("brainpoolP384r1", 384),
        "1.3.36.3.3.2.8.1.1.13" => ("brainpoolP512r1", 512),
        _ => return None,
    })
}

fn hash_by_oid(oid: &str) -> Option<(&'static str, HashStrength)> {
    Some(match oid {
        "1.2.840.113549.2.5" => ("MD5", HashStrength::Md5),
        "1.3.14.3.2.26" => ("SHA-1", HashStrength::Sha1),
        "2.16.840.1.101.3.4.2.4" => ("SHA-224", HashStrength::Sha224),
        "2.16.840.1.101.3.4.2.1" => ("SHA-256", HashStrength::Sha256),
        "2.16.840.1.101.3.4.2.2" => ("SHA-384", HashStrength::Sha384),
        "2.16.840.1.101.3.4.2.3" => ("SHA-512", HashStrength::Sha512),
        _ => return None,
    })
}

fn signature_facts(cert: &X509Certificate<'_>) -> SignatureFacts {
    use HashStrength::*;
    let alg = &cert.signature_algorithm;
    let oid = alg.algorithm.to_id_string();
    let known: Option<(&str, Option<HashStrength>)> = match oid.as_str() {
        "1.2.840.113549.1.1.4" => Some(("md5WithRSAEncryption", Some(Md5))),
        "1.2.840.113549.1.1.5" => Some(("sha1WithRSAEncryption", Some(Sha1))),
        "1.2.840.113549.1.1.14" => Some(("sha224WithRSAEncryption", Some(Sha224))),
        "1.2.840.113549.1.1.11" => Some(("sha256WithRSAEncryption", Some(Sha256))),
        "1.2.840.113549.1.1.12" => Some(("sha384WithRSAEncryption", Some(Sha384))),
        "1.2.840.113549.1.1.13" => Some(("sha512WithRSAEncryption", Some(Sha512))),
        "1.2.840.10045.4.1" => Some(("ecdsa-with-SHA1", Some(Sha1))),
        "1.2.840.10045.4.3.1" => Some(("ecdsa-with-SHA224", Some(Sha224))),
        "1.2.840.10045.4.3.2" => Some(("ecdsa-with-SHA256", Some(Sha256))),
        "1.2.840.10045.4.3.3" => Some(("ecdsa-with-SHA384", Some(Sha384))),
        "1.2.840.10045.4.3.4" => Some(("ecdsa-with-SHA512", Some(Sha512))),
        "1.2.840.10040.4.3" => Some(("dsa-with-SHA1", Some(Sha1))),
        "2.16.840.1.101.3.4.3.2" => Some(("dsa-with-SHA256", Some(Sha256))),
        // Ed25519 hashes internally with SHA-512.
        "1.3.101.112" => Some(("Ed25519", Some(Sha512))),
        "1.3.101.113" => Some(("Ed448", Some(Sha512))),
        _ => None,
    };
    if let Some((name, hash)) = known {
        return SignatureFacts {
            name: name.to_owned(),
            hash,
        };
    }
    if oid == "1.2.840.113549.1.1.10" {
        // RSASSA-PSS: the hash is in the parameters, and defaults to SHA-1 when absent.
        return match SignatureAlgorithm::try_from(alg) {
            Ok(SignatureAlgorithm::RSASSA_PSS(params)) => {
                let hash_oid = params.hash_algorithm_oid().to_id_string();
                match hash_by_oid(&hash_oid) {
                    Some((name, strength)) => SignatureFacts {
                        name: format!("RSASSA-PSS with {name}"),
                        hash: Some(strength),
                    },
                    None => SignatureFacts {
                        name: format!("RSASSA-PSS with hash {hash_oid}"),
                        hash: None,
                    },
                }
            }
            _ => SignatureFacts {
                name: "RSASSA-PSS (unreadable parameters)".to_owned(),
                hash: None,
            },
        };
    }
    SignatureFacts {
        name: format!("unrecognised algorithm {oid}"),
        hash: None,
    }
}

pub fn hex_colon(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// The public key bits of a private key, in the form a certificate's subjectPublicKey holds
/// them, so that the two can be compared.
pub fn public_key_of(key: &rustls_pki_types::PrivateKeyDer<'_>) -> Result<Vec<u8>, String> {
    rcgen::KeyPair::try_from(key)
        .map(|k| k.public_key_raw().to_vec())
        .map_err(|e| format!("not a usable RSA, EC or Ed25519 key ({e})"))
}
