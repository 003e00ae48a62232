//! Where a certificate departs from the RFC 5280 profile: its encoding (DER only), its names,
//! its serial number and the shape of its extensions. Observations only; how much each one
//! matters is the certificate check's business.
//!
//! x509-parser reads leniently (BER lengths, duplicate extensions, a DEFAULT value written
//! out), so strictness is judged here: the certificate and each extension it knows are
//! decoded again with the `der` crate's DER-only decoder and must re-encode to the same bytes.

use der::{Decode, Encode};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::X509Certificate;

use crate::pki::names;

mod defect;
mod raw;

pub use defect::{Defect, NameField, Sign, TimeField};
use raw::{RawParts, algorithm_names, time_year};

/// The serial number and every departure from the profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conformance {
    /// Content octets of the serial number INTEGER (a leading zero octet counts).
    pub serial_octets: usize,
    pub serial_sign: Option<Sign>,
    pub defects: Vec<Defect>,
}

const OID_SAN: &str = "2.5.29.17";
const OID_IAN: &str = "2.5.29.18";

/// Extensions whose criticality this tool honours: those RFC 5280 §4.2 says every relying
/// party must recognise, the two whose criticality RFC 5280 forbids (checked separately), and
/// the CRL distribution points revocation checking reads.
const PROCESSED: &[&str] = &[
    "2.5.29.15", // keyUsage
    "2.5.29.32", // certificatePolicies
    OID_SAN,
    OID_IAN,
    "2.5.29.19", // basicConstraints
    "2.5.29.30", // nameConstraints
    "2.5.29.36", // policyConstraints
    "2.5.29.33", // policyMappings
    "2.5.29.37", // extKeyUsage
    "2.5.29.54", // inhibitAnyPolicy
    "2.5.29.31", // cRLDistributionPoints
];

/// Extensions RFC 5280 requires to be non-critical.
const NEVER_CRITICAL: &[&str] = &[
    "2.5.29.35",          // authorityKeyIdentifier
    "2.5.29.14",          // subjectKeyIdentifier
    "1.3.6.1.5.5.7.1.1",  // authorityInfoAccess
    "1.3.6.1.5.5.7.1.11", // subjectInfoAccess
    "2.5.29.46",          // freshestCRL
];

/// An extension's OID with its name, when known: `2.5.29.17 (subjectAltName)`.
pub fn extension_name(oid: &str) -> String {
    let name = match oid {
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.15" => "keyUsage",
        OID_SAN => "subjectAltName",
        OID_IAN => "issuerAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.30" => "nameConstraints",
        "2.5.29.31" => "cRLDistributionPoints",
        "2.5.29.32" => "certificatePolicies",
        "2.5.29.33" => "policyMappings",
        "2.5.29.35" => "authorityKeyIdentifier",
        "2.5.29.36" => "policyConstraints",
        "2.5.29.37" => "extKeyUsage",
        "2.5.29.46" => "freshestCRL",
        "2.5.29.54" => "inhibitAnyPolicy",
        "2.5.29.9" => "subjectDirectoryAttributes",
        "1.3.6.1.5.5.7.1.1" => "authorityInfoAccess",
        "1.3.6.1.5.5.7.1.11" => "subjectInfoAccess",
        "1.3.6.1.5.5.7.1.3" => "QCStatements",
        "1.3.6.1.5.5.7.1.24" => "TLS Feature",
        "1.3.6.1.4.1.11129.2.4.2" => "CT SCT list",
        "1.3.6.1.4.1.11129.2.4.3" => {
            "CT precertificate poison: a precertificate, not a certificate"
        }
        "1.3.6.1.5.5.7.48.1.5" => "OCSP no check",
        _ => return oid.to_owned(),
    };
    format!("{oid} ({name})")
}

/// Inspect a certificate that x509-parser has read from `der`.
pub fn inspect(der: &[u8], cert: &X509Certificate<'_>, self_signed: bool) -> Conformance {
    let mut defects = Vec::new();
    strict_der(der, &mut defects);
    for (field, name) in [
        (NameField::Subject, cert.subject()),
        (NameField::Issuer, cert.issuer()),
    ] {
        for attribute in names::read(name).bad {
            defects.push(Defect::BadName { field, attribute });
        }
    }
    let subject_empty = names::read(cert.subject()).empty;
    if names::read(cert.issuer()).empty {
        defects.push(Defect::EmptyIssuer);
    }
    let raw = RawParts::of(der);
    if let Some(raw) = &raw {
        if raw.inner_algorithm != raw.outer_algorithm {
            let (inner, outer) = algorithm_names(raw.inner_algorithm, raw.outer_algorithm);
            defects.push(Defect::SignatureAlgorithmMismatch { inner, outer });
        }
        for (field, time) in [
            (TimeField::NotBefore, raw.not_before),
            (TimeField::NotAfter, raw.not_after),
        ] {
            if let Some((year, generalized)) = time_year(time)
                && (year >= 2050) != generalized
            {
                defects.push(Defect::TimeEncoding {
                    field,
                    year,
                    generalized,
                });
            }
        }
        if raw.extensions_present && cert.extensions().is_empty() {
            defects.push(Defect::EmptyExtensions);
        }
    }
    let tbs = &cert.tbs_certificate;
    if tbs.issuer_uid.is_some() || tbs.subject_uid.is_some() {
        defects.push(Defect::UniqueIdentifiers);
    }
    extensions(cert, self_signed, subject_empty, &mut defects);

    let serial = cert.raw_serial();
    let serial_sign = match serial.first() {
        None => None,
        Some(b) if b & 0x80 != 0 => Some(Sign::Negative),
        Some(_) if serial.iter().all(|&b| b == 0) => Some(Sign::Zero),
        Some(_) => Some(Sign::Positive),
    };
    Conformance {
        serial_octets: serial.len(),
        serial_sign,
        defects,
    }
}

/// A decoding profile that leaves the serial number's length to the check (which names it).
#[derive(Clone, Debug, PartialEq, Eq)]
struct AnySerial;

impl x509_cert::certificate::Profile for AnySerial {
    fn check_serial_number(_: &x509_cert::serial_number::SerialNumber<Self>) -> der::Result<()> {
        Ok(())
    }
}

/// The whole certificate decoded by a DER-only decoder, and encoded back to the same bytes.
fn strict_der(der: &[u8], defects: &mut Vec<Defect>) {
    use x509_cert::certificate::CertificateInner;
    match CertificateInner::<AnySerial>::from_der(der) {
        Err(e) => defects.push(Defect::NotDer {
            reason: e.to_string(),
        }),
        Ok(c) => match c.to_der() {
            Ok(again) if again == der => {}
            Ok(_) => defects.push(Defect::NotDer {
                reason: "it decodes, but its DER encoding differs (a DEFAULT value written out, a SET OF out of order, or a non-minimal encoding)".into(),
            }),
            Err(e) => defects.push(Defect::NotDer {
                reason: e.to_string(),
            }),
        },
    }
}

/// `Ok` when `value` decodes as `T` under DER and encodes back to itself.
fn round_trip<T>(value: &[u8]) -> Result<(), String>
where
    T: for<'a> Decode<'a> + Encode,
{
    let decoded = T::from_der(value).map_err(|e| e.to_string())?;
    match decoded.to_der() {
        Ok(again) if again == value => Ok(()),
        Ok(_) => Err(
            "not DER: it decodes, but re-encodes differently (a DEFAULT value written out, or trailing zero bits)"
                .into(),
        ),
        Err(e) => Err(e.to_string()),
    }
}

fn extension_der(oid: &str, value: &[u8]) -> Result<(), String> {
    use x509_cert::ext::pkix::{self, crl, name::GeneralNames};
    match oid {
        "2.5.29.14" => round_trip::<pkix::SubjectKeyIdentifier>(value),
        "2.5.29.15" => round_trip::<pkix::KeyUsage>(value),
        OID_SAN | OID_IAN => round_trip::<GeneralNames>(value),
        "2.5.29.19" => round_trip::<pkix::BasicConstraints>(value),
        "2.5.29.30" => round_trip::<pkix::NameConstraints>(value),
        "2.5.29.31" => round_trip::<crl::CrlDistributionPoints>(value),
        "2.5.29.32" => round_trip::<pkix::CertificatePolicies>(value),
        "2.5.29.35" => round_trip::<pkix::AuthorityKeyIdentifier>(value),
        "2.5.29.36" => round_trip::<pkix::PolicyConstraints>(value),
        "2.5.29.37" => round_trip::<pkix::ExtendedKeyUsage>(value),
        "1.3.6.1.5.5.7.1.1" => round_trip::<pkix::AuthorityInfoAccessSyntax>(value),
        _ => Ok(()),
    }
}

fn extensions(
    cert: &X509Certificate<'_>,
    self_signed: bool,
    subject_empty: bool,
    defects: &mut Vec<Defect>,
) {
    let exts = cert.extensions();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for ext in exts {
        let oid = ext.oid.to_id_string();
        match seen.iter_mut().find(|(o, _)| *o == oid) {
            Some((_, n)) => *n += 1,
            None => seen.push((oid.clone(), 1)),
        }
    }
    for (oid, count) in seen.iter().filter(|(_, n)| *n > 1) {
        defects.push(Defect::DuplicateExtension {
            extension: extension_name(oid),
            count: *count,
        });
    }

    let mut basic = None;
    let mut san = None;
    let mut aki = None;
    let mut ski = false;
    let mut key_usage = None;
    for ext in exts {
        let oid = ext.oid.to_id_string();
        if let Err(reason) = extension_der(&oid, ext.value) {
            defects.push(Defect::ExtensionNotDer {
                extension: extension_name(&oid),
                reason,
            });
        }
        if ext.critical {
            if NEVER_CRITICAL.contains(&oid.as_str()) {
                defects.push(Defect::MustNotBeCritical {
                    extension: extension_name(&oid),
                });
            } else if !PROCESSED.contains(&oid.as_str()) {
                defects.push(Defect::UnknownCritical {
                    extension: extension_name(&oid),
                });
            }
        }
        match ext.parsed_extension() {
            ParsedExtension::BasicConstraints(bc) => basic = Some(bc.clone()),
            ParsedExtension::SubjectAlternativeName(s) => {
                san = Some(ext.critical);
                general_names(&oid, &s.general_names, defects);
            }
            ParsedExtension::IssuerAlternativeName(s) => {
                if ext.critical {
                    defects.push(Defect::IanCritical);
                }
                general_names(&oid, &s.general_names, defects);
            }
            ParsedExtension::ExtendedKeyUsage(eku) if ext.critical && eku.any => {
                defects.push(Defect::AnyEkuCritical);
            }
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = Some(a.key_identifier.is_some());
            }
            ParsedExtension::SubjectKeyIdentifier(_) => ski = true,
            ParsedExtension::KeyUsage(ku) => key_usage = Some((ku.flags, ext.critical)),
            ParsedExtension::ParseError { error } if is_name_list(&oid) => {
                defects.push(Defect::BadGeneralName {
                    extension: extension_name(&oid),
                    problem: format!("the extension does not decode: {error}"),
                });
            }
            _ => {}
        }
    }

    match san {
        Some(true) if !subject_empty => defects.push(Defect::SanCriticalWithSubject),
        Some(critical) if subject_empty && !critical => {
            defects.push(Defect::EmptySubjectWithoutCriticalSan { san_present: true })
        }
        None if subject_empty => {
            defects.push(Defect::EmptySubjectWithoutCriticalSan { san_present: false })
        }
        _ => {}
    }

    let ca = basic.as_ref().is_some_and(|b| b.ca);
    if basic
        .as_ref()
        .is_some_and(|b| !b.ca && b.path_len_constraint.is_some())
    {
        defects.push(Defect::PathLenWithoutCa);
    }
    if let Some((flags, critical)) = key_usage {
        key_usage_defects(cert, flags, critical, ca, defects);
    }
    match aki {
        None if !self_signed => defects.push(Defect::AkiMissing),
        Some(false) => defects.push(Defect::AkiWithoutKeyId),
        _ => {}
    }
    if !ski {
        defects.push(Defect::SkiMissing { ca });
    }
}

fn is_name_list(oid: &str) -> bool {
    oid == OID_SAN || oid == OID_IAN
}

// keyUsage bits as x509-parser numbers them (bit 0 = digitalSignature).
const KU_KEY_ENCIPHERMENT: u16 = 1 << 2;
const KU_DATA_ENCIPHERMENT: u16 = 1 << 3;
const KU_KEY_AGREEMENT: u16 = 1 << 4;
const KU_KEY_CERT_SIGN: u16 = 1 << 5;
const KU_ENCIPHER_ONLY: u16 = 1 << 7;
const KU_DECIPHER_ONLY: u16 = 1 << 8;

fn key_usage_defects(
    cert: &X509Certificate<'_>,
    flags: u16,
    critical: bool,
    ca: bool,
    defects: &mut Vec<Defect>,
) {
    if flags == 0 {
        defects.push(Defect::KeyUsageEmpty);
    }
    if !critical {
        defects.push(Defect::KeyUsageNotCritical);
    }
    if flags & KU_KEY_CERT_SIGN != 0 && !ca {
        defects.push(Defect::KeyCertSignWithoutCa);
    }
    if flags & (KU_ENCIPHER_ONLY | KU_DECIPHER_ONLY) != 0 && flags & KU_KEY_AGREEMENT == 0 {
        defects.push(Defect::EncipherDecipherWithoutKeyAgreement);
    }
    let alg = cert
        .tbs_certificate
        .subject_pki
        .algorithm
        .algorithm
        .to_id_string();
    let wrong: &[(u16, &'static str)] = match alg.as_str() {
        // RFC 3279 §2.3.1: an RSA key does not agree keys.
        "1.2.840.113549.1.1.1" => &[
            (KU_KEY_AGREEMENT, "keyAgreement"),
            (KU_ENCIPHER_ONLY, "encipherOnly"),
            (KU_DECIPHER_ONLY, "decipherOnly"),
        ],
        // RFC 5480 §3: an EC key does not encipher.
        "1.2.840.10045.2.1" => &[
            (KU_KEY_ENCIPHERMENT, "keyEncipherment"),
            (KU_DATA_ENCIPHERMENT, "dataEncipherment"),
        ],
        _ => &[],
    };
    let key = if alg == "1.2.840.10045.2.1" {
        "EC"
    } else {
        "RSA"
    };
    for (bit, usage) in wrong {
        if flags & bit != 0 {
            defects.push(Defect::KeyUsageWrongForKey { usage, key });
        }
    }
}

/// The syntax rules RFC 5280 §4.2.1.6 sets for names in subjectAltName and issuerAltName.
fn general_names(oid: &str, list: &[GeneralName<'_>], defects: &mut Vec<Defect>) {
    let mut bad = |problem: String| {
        defects.push(Defect::BadGeneralName {
            extension: extension_name(oid),
            problem,
        })
    };
    if list.is_empty() {
        bad("it lists no names (at least one is required)".into());
    }
    for name in list {
        match name {
            GeneralName::DNSName(d) => {
                if let Err(why) = dns_name_syntax(d) {
                    bad(format!("dNSName \"{}\" {why}", d.escape_debug()));
                }
            }
            GeneralName::RFC822Name(m) => {
                let ok = m.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty() && dns_name_syntax(domain).is_ok()
                });
                if !ok {
                    bad(format!(
                        "rfc822Name \"{}\" is not a mailbox (local-part@domain)",
                        m.escape_debug()
                    ));
                }
            }
            GeneralName::IPAddress(ip) if ip.len() != 4 && ip.len() != 16 => bad(format!(
                "iPAddress is {} octets (an address is 4 or 16)",
                ip.len()
            )),
            GeneralName::URI(u) => {
                let scheme_ok = u.split_once(':').is_some_and(|(s, _)| {
                    !s.is_empty()
                        && s.starts_with(|c: char| c.is_ascii_alphabetic())
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                });
                if !scheme_ok {
                    bad(format!(
                        "uniformResourceIdentifier \"{}\" has no scheme",
                        u.escape_debug()
                    ));
                }
            }
            _ => {}
        }
    }
}

/// RFC 1034 §3.5 preferred name syntax (as RFC 5280 §4.2.1.6 requires), with a wildcard
/// allowed as the whole leftmost label.
pub fn dns_name_syntax(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name == " " {
        return Err("is empty");
    }
    if name.len() > 253 {
        return Err("is longer than 253 characters");
    }
    for (i, label) in name.split('.').enumerate() {
        if i == 0 && label == "*" {
            continue;
        }
        if label.is_empty() {
            return Err("has an empty label");
        }
        if label.len() > 63 {
            return Err("has a label longer than 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("has characters other than letters, digits, hyphens and dots");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("has a label that starts or ends with a hyphen");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(dns_name_syntax("tilicheck-demo.example").is_ok());
        assert!(dns_name_syntax("*.example.fi").is_ok());
        assert!(dns_name_syntax("a b.example").is_err());
        assert!(dns_name_syntax("a..example").is_err());
        assert!(dns_name_syntax("-a.example").is_err());
        assert!(dns_name_syntax("a.*.example").is_err());
        assert!(dns_name_syntax("").is_err());
    }
}
