//! Names as CRL processing compares them: by RFC 5280 §7.1, with the path validator's rules
//! ([`crate::pki::path::name`]), so a CRL issuer, a distribution point or an indirect CRL's
//! certificateIssuer matches exactly when a path's issuer and subject would. A name that does
//! not parse is compared as encoded.

use der::Encode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use crate::pki::path::name::Dn;

/// A name in comparable form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalName(Repr);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    Dn(Dn),
    Encoded(Vec<u8>),
}

impl CanonicalName {
    /// From a name's DER (as in a certificate's subject or issuer field).
    pub fn from_der(der: &[u8]) -> CanonicalName {
        CanonicalName(match Dn::from_der(der) {
            Some(dn) => Repr::Dn(dn),
            None => Repr::Encoded(der.to_vec()),
        })
    }

    pub fn of(name: &Name) -> CanonicalName {
        CanonicalName::from_der(&name.to_der().unwrap_or_default())
    }
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

    fn name(s: &str) -> Name {
        s.parse().expect("name")
    }

    #[test]
    fn directory_names_compare_by_section_7_1_uris_exactly() {
        let a = GeneralName::DirectoryName(name("CN=Good  CA,O=Test Certificates 2011,C=US"));
        let b = GeneralName::DirectoryName(name("CN= good ca ,O=TEST certificates 2011,C=us"));
        let c = GeneralName::DirectoryName(name("O=Test Certificates 2011,CN=Good CA,C=US"));
        assert!(same_general_name(&a, &b));
        assert!(!same_general_name(&a, &c));
        let uri = |u: &str| {
            GeneralName::UniformResourceIdentifier(der::asn1::Ia5String::new(u).expect("ascii"))
        };
        assert!(same_general_name(
            &uri("http://crl.test/a.crl"),
            &uri("http://crl.test/a.crl")
        ));
        assert!(!same_general_name(
            &uri("http://crl.test/a.crl"),
            &uri("http://crl.test/A.crl")
        ));
        let key = CanonicalName::of(&name("CN=good ca,O=test certificates 2011,C=US"));
        assert!(among(&key, &[c.clone(), a.clone()]));
        assert!(!among(&key, &[c]));
        // Undecodable names still compare, as encoded.
        assert_eq!(
            CanonicalName::from_der(b"\x30\x01"),
            CanonicalName::from_der(b"\x30\x01")
        );
        assert_ne!(
            CanonicalName::from_der(b"\x30\x01"),
            CanonicalName::from_der(b"\x30\x02")
        );
    }
}
