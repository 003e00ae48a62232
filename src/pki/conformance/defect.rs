//! What the conformance inspection reports: each departure from the RFC 5280 profile as a
//! distinct variant, for the certificate check to weigh and to word.

use crate::pki::names::BadAttribute;

/// Which name of the certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameField {
    Subject,
    Issuer,
}

impl NameField {
    pub fn as_str(self) -> &'static str {
        match self {
            NameField::Subject => "subject",
            NameField::Issuer => "issuer",
        }
    }
}

/// The sign of the serial number's INTEGER.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    Positive,
    Zero,
    Negative,
}

/// Which validity time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeField {
    NotBefore,
    NotAfter,
}

impl TimeField {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeField::NotBefore => "notBefore",
            TimeField::NotAfter => "notAfter",
        }
    }
}

/// One departure from the profile, as observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Defect {
    /// The certificate is not strict DER (or not decodable by a strict decoder).
    NotDer {
        reason: String,
    },
    /// An extension's value is not strict DER, or does not decode as its type.
    ExtensionNotDer {
        extension: String,
        reason: String,
    },
    /// A name attribute value that is not valid for its string type.
    BadName {
        field: NameField,
        attribute: BadAttribute,
    },
    EmptyIssuer,
    /// tbsCertificate.signature differs from Certificate.signatureAlgorithm.
    SignatureAlgorithmMismatch {
        inner: String,
        outer: String,
    },
    /// A validity time in the wrong one of UTCTime / GeneralizedTime for its year.
    TimeEncoding {
        field: TimeField,
        year: i32,
        generalized: bool,
    },
    UniqueIdentifiers,
    /// An extensions field with no extensions in it.
    EmptyExtensions,
    DuplicateExtension {
        extension: String,
        count: usize,
    },
    /// A critical extension this tool does not process.
    UnknownCritical {
        extension: String,
    },
    /// An extension that must not be critical, marked critical.
    MustNotBeCritical {
        extension: String,
    },
    /// A critical subjectAltName although the subject is not empty.
    SanCriticalWithSubject,
    /// An empty subject without a critical subjectAltName.
    EmptySubjectWithoutCriticalSan {
        san_present: bool,
    },
    /// A critical issuerAltName.
    IanCritical,
    /// A critical extendedKeyUsage that lists anyExtendedKeyUsage.
    AnyEkuCritical,
    /// A name in subjectAltName/issuerAltName that breaks its syntax, or an empty list.
    BadGeneralName {
        extension: String,
        problem: String,
    },
    /// keyUsage keyCertSign without basicConstraints cA.
    KeyCertSignWithoutCa,
    /// keyUsage with no bit set.
    KeyUsageEmpty,
    /// keyUsage not marked critical.
    KeyUsageNotCritical,
    /// A key usage bit the key's algorithm cannot serve (RFC 3279, RFC 5480).
    KeyUsageWrongForKey {
        usage: &'static str,
        key: &'static str,
    },
    /// encipherOnly / decipherOnly without keyAgreement.
    EncipherDecipherWithoutKeyAgreement,
    /// pathLenConstraint on a certificate that is not a CA.
    PathLenWithoutCa,
    /// No authorityKeyIdentifier on a certificate that is not self-signed.
    AkiMissing,
    /// An authorityKeyIdentifier without its keyIdentifier.
    AkiWithoutKeyId,
    /// No subjectKeyIdentifier.
    SkiMissing {
        ca: bool,
    },
}
