//! Distinguished names compared as RFC 5280 §7.1 says: attribute by attribute, with string
//! values compared case-insensitively and with insignificant whitespace removed (the
//! essentials of RFC 4518's caseIgnoreMatch), whatever string type each side is encoded in.
//!
//! Byte-for-byte comparison, what a browser validator does, breaks a chain whose issuer field
//! was re-encoded (PrintableString → UTF8String), re-cased or re-spaced by another tool.

use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::prelude::FromDer;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// The emailAddress attribute (PKCS #9), which name constraints treat as an rfc822Name.
pub const EMAIL_ADDRESS: &str = "1.2.840.113549.1.9.1";

/// One attribute value in comparable form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    /// A string value, case-folded and with whitespace runs collapsed to one space.
    Text(String),
    /// Anything else (or a string that does not decode): its tag and bytes, compared exactly.
    Raw(u32, Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Attribute {
    /// The type's OID in dotted form.
    kind: String,
    value: Value,
}

/// A relative distinguished name: a set, so kept sorted.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rdn(Vec<Attribute>);

/// A distinguished name in the form §7.1 compares (equality looks at the RDNs alone).
#[derive(Clone, Debug)]
pub struct Dn {
    rdns: Vec<Rdn>,
    /// Values of emailAddress attributes, as written.
    emails: Vec<String>,
    /// The name as a person reads it.
    shown: String,
}

impl PartialEq for Dn {
    fn eq(&self, other: &Dn) -> bool {
        self.rdns == other.rdns
    }
}

impl Eq for Dn {}

impl std::fmt::Display for Dn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Dn {
    pub fn from_name(name: &X509Name<'_>) -> Dn {
        let mut emails = Vec::new();
        let rdns = name
            .iter()
            .map(|rdn| {
                let mut attrs: Vec<Attribute> = rdn
                    .iter()
                    .map(|atv| {
                        let kind = atv.attr_type().to_id_string();
                        if kind == EMAIL_ADDRESS
                            && let Some(text) = decode(atv)
                        {
                            emails.push(text);
                        }
                        Attribute {
                            value: comparable(atv),
                            kind,
                        }
                    })
                    .collect();
                attrs.sort();
                Rdn(attrs)
            })
            .collect();
        Dn {
            rdns,
            emails,
            shown: crate::pki::names::read(name).display,
        }
    }

    /// A name from its DER (a `Name` SEQUENCE); None when it does not parse.
    pub fn from_der(der: &[u8]) -> Option<Dn> {
        let (rest, name) = X509Name::from_der(der).ok()?;
        rest.is_empty().then(|| Dn::from_name(&name))
    }

    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }

    /// Is `self` within the subtree `base` (base's RDNs are a prefix of ours)?
    pub fn within(&self, base: &Dn) -> bool {
        base.rdns.len() <= self.rdns.len() && self.rdns.iter().zip(&base.rdns).all(|(a, b)| a == b)
    }

    /// The emailAddress attribute values, which name constraints check as rfc822Names.
    pub fn emails(&self) -> &[String] {
        &self.emails
    }
}

/// Do two DER-encoded names match by §7.1? False when either does not parse.
pub fn same_name(a: &[u8], b: &[u8]) -> bool {
    a == b || matches!((Dn::from_der(a), Dn::from_der(b)), (Some(x), Some(y)) if x == y)
}

fn comparable(atv: &AttributeTypeAndValue<'_>) -> Value {
    match decode(atv) {
        Some(text) => Value::Text(fold(&text)),
        None => {
            let any = atv.attr_value();
            Value::Raw(any.tag().0, any.data.to_vec())
        }
    }
}

/// The value of a string-typed attribute as text.
fn decode(atv: &AttributeTypeAndValue<'_>) -> Option<String> {
    let any = atv.attr_value();
    let data = any.data;
    match any.tag() {
        Tag::PrintableString | Tag::Ia5String | Tag::NumericString | Tag::VisibleString => data
            .is_ascii()
            .then(|| String::from_utf8_lossy(data).into_owned()),
        Tag::Utf8String => std::str::from_utf8(data).ok().map(str::to_owned),
        // T.61 in theory; Latin-1 in every certificate that uses it.
        Tag::TeletexString => Some(data.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if data.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = data
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Tag::UniversalString => {
            if data.len() % 4 != 0 {
                return None;
            }
            data.chunks(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

/// Case-fold, drop leading and trailing whitespace, and collapse inner runs to one space.
fn fold(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.chars().flat_map(char::to_lowercase).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{DistinguishedName, DnType, DnValue};

    fn der(parts: &[(DnType, DnValue)]) -> Vec<u8> {
        let mut dn = DistinguishedName::new();
        for (t, v) in parts {
            dn.push(t.clone(), v.clone());
        }
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = dn;
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("cert");
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.der()).expect("parse");
        parsed.subject().as_raw().to_vec()
    }

    #[test]
    fn case_whitespace_and_string_type_do_not_matter() {
        let a = der(&[
            (
                DnType::CountryName,
                DnValue::PrintableString("US".try_into().expect("p")),
            ),
            (
                DnType::CommonName,
                DnValue::PrintableString("Good CA".try_into().expect("p")),
            ),
        ]);
        let b = der(&[
            (DnType::CountryName, DnValue::Utf8String("us".into())),
            (
                DnType::CommonName,
                DnValue::Utf8String("  good    CA ".into()),
            ),
        ]);
        assert_ne!(a, b);
        assert!(same_name(&a, &b));
        let c = der(&[
            (DnType::CountryName, DnValue::Utf8String("US".into())),
            (DnType::CommonName, DnValue::Utf8String("Good CA2".into())),
        ]);
        assert!(!same_name(&a, &c));
    }

    #[test]
    fn order_matters_and_prefixes_are_subtrees() {
        let full = der(&[
            (DnType::CountryName, DnValue::Utf8String("US".into())),
            (DnType::OrganizationName, DnValue::Utf8String("Test".into())),
            (DnType::CommonName, DnValue::Utf8String("EE".into())),
        ]);
        let swapped = der(&[
            (DnType::OrganizationName, DnValue::Utf8String("Test".into())),
            (DnType::CountryName, DnValue::Utf8String("US".into())),
            (DnType::CommonName, DnValue::Utf8String("EE".into())),
        ]);
        assert!(!same_name(&full, &swapped));
        let base = der(&[
            (DnType::CountryName, DnValue::Utf8String("us".into())),
            (DnType::OrganizationName, DnValue::Utf8String("TEST".into())),
        ]);
        let full = Dn::from_der(&full).expect("dn");
        let base = Dn::from_der(&base).expect("dn");
        assert!(full.within(&base));
        assert!(!base.within(&full));
        assert!(!Dn::from_der(&swapped).expect("dn").within(&base));
    }
}
