//! Name comparison as RFC 5280 §7.1 asks for it: two distinguished names match when they have
//! the same RDNs in the same order, each RDN the same set of attribute types and values, and
//! string values compared after the LDAP StringPrep steps that matter in practice (RFC 4518):
//! whatever the string type (PrintableString, UTF8String, BMPString …), insignificant
//! whitespace removed and case folded. Byte equality is not enough: a CA that re-encodes its
//! name as UTF8String, or a CRL written with other spacing, still names the same issuer.

use der::asn1::ObjectIdentifier;
use der::{Decode, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::{Name, RelativeDistinguishedName};

/// A name in comparable form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalName(Repr);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    Rdns(Vec<Vec<(ObjectIdentifier, Value)>>),
    /// A name that does not decode attribute by attribute (an unknown string type, an unsorted
    /// multi-valued RDN): compared as encoded.
    Encoded(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    /// A string type, decoded and prepared.
    Text(String),
    /// Anything else, compared as encoded.
    Raw(u8, Vec<u8>),
}

impl CanonicalName {
    pub fn of(name: &Name) -> CanonicalName {
        CanonicalName(Repr::Rdns(name.0.iter().map(canonical_rdn).collect()))
    }

    /// From a name's DER (as in a certificate's subject or issuer field).
    pub fn from_der(der: &[u8]) -> CanonicalName {
        match Name::from_der(der) {
            Ok(n) => CanonicalName::of(&n),
            Err(_) => CanonicalName(Repr::Encoded(der.to_vec())),
        }
    }
}

fn canonical_rdn(rdn: &RelativeDistinguishedName) -> Vec<(ObjectIdentifier, Value)> {
    let mut set: Vec<(ObjectIdentifier, Value)> = rdn
        .0
        .iter()
        .map(|atv| (atv.oid, value(atv.value.tag(), atv.value.value())))
        .collect();
    // A multi-valued RDN is a set: order does not matter.
    set.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(&b.1)));
    set
}

fn value(tag: Tag, bytes: &[u8]) -> Value {
    let text = match tag {
        Tag::PrintableString
        | Tag::Utf8String
        | Tag::Ia5String
        | Tag::VisibleString
        | Tag::NumericString => std::str::from_utf8(bytes).ok().map(str::to_owned),
        // T.61 in practice carries Latin-1.
        Tag::TeletexString => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            bytes
                .len()
                .is_multiple_of(2)
                .then(|| String::from_utf16(&units).ok())
                .flatten()
        }
        _ => None,
    };
    match text {
        Some(t) => Value::Text(prepare(&t)),
        None => Value::Raw(u8::from(tag), bytes.to_vec()),
    }
}

/// RFC 4518 in the parts that decide real matches: leading and trailing whitespace dropped,
/// inner runs of whitespace one space, case folded.
fn prepare(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .flat_map(char::to_lowercase)
        .collect()
}

/// Do two general names name the same thing? Directory names by §7.1, URIs exactly (RFC 5280
/// §7.4 allows a case-insensitive scheme and host; distribution points are written by one CA
/// and compared with its own list), the rest as encoded.
pub fn same_general_name(a: &GeneralName, b: &GeneralName) -> bool {
    match (a, b) {
        (GeneralName::DirectoryName(x), GeneralName::DirectoryName(y)) => {
            CanonicalName::of(x) == CanonicalName::of(y)
        }
        (GeneralName::UniformResourceIdentifier(x), GeneralName::UniformResourceIdentifier(y)) => {
            x.as_str() == y.as_str()
        }
        _ => a == b,
    }
}

/// Is `name` one of the directory names among `names`?
pub fn among(name: &CanonicalName, names: &[GeneralName]) -> bool {
    names.iter().any(|g| match g {
        GeneralName::DirectoryName(n) => &CanonicalName::of(n) == name,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    fn name(s: &str) -> Name {
        s.parse().expect("name")
    }

    #[test]
    fn case_spacing_and_string_type_do_not_matter() {
        let a = name("CN=Good  CA,O=Test Certificates 2011,C=US");
        let b = name("CN= good ca ,O=TEST certificates 2011,C=us");
        assert_eq!(CanonicalName::of(&a), CanonicalName::of(&b));
        // The same value as PrintableString instead of UTF8String.
        let der = a.to_der().expect("der");
        let pos = der
            .windows(8)
            .position(|w| w == b"Good  CA")
            .expect("value");
        let mut printable = der.clone();
        // The tag byte sits before the length byte.
        assert_eq!(printable[pos - 2], 0x0c, "UTF8String");
        printable[pos - 2] = 0x13;
        assert_eq!(
            CanonicalName::from_der(&printable),
            CanonicalName::of(&a),
            "UTF8String and PrintableString values compare as text"
        );
    }

    #[test]
    fn order_and_content_do_matter() {
        let a = CanonicalName::of(&name("CN=Good CA,O=Test,C=US"));
        assert_ne!(a, CanonicalName::of(&name("O=Test,CN=Good CA,C=US")));
        assert_ne!(a, CanonicalName::of(&name("CN=Good CA2,O=Test,C=US")));
        assert_ne!(a, CanonicalName::of(&name("O=Test,C=US")));
    }
}
