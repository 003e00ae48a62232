//! The rules as data. Every number or name a check compares against lives here, with the
//! document it comes from and whether it is confirmed. Checks read a [`RegisterProfile`];
//! nothing version-specific is decided elsewhere.

pub mod catalogue;
pub mod limits;
pub mod message;
pub mod serve;
pub mod vero;

use serde::Serialize;

pub use catalogue::{Rule, RuleId};
pub use vero::{VERO, VeroProfile};

/// How sure we are of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "confidence", rename_all = "snake_case")]
pub enum Confidence {
    /// Read from the cited source.
    Confirmed,
    /// Not confirmed from a primary source; reports say so next to any finding that uses it.
    Assumed { why: &'static str },
}

/// A value a rule rests on, with where it comes from.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Sourced<T: 'static> {
    pub value: T,
    pub source: &'static str,
    #[serde(flatten)]
    pub confidence: Confidence,
}

impl<T> Sourced<T> {
    const fn confirmed(value: T, source: &'static str) -> Self {
        Sourced {
            value,
            source,
            confidence: Confidence::Confirmed,
        }
    }

    const fn assumed(value: T, source: &'static str, why: &'static str) -> Self {
        Sourced {
            value,
            source,
            confidence: Confidence::Assumed { why },
        }
    }

    /// The note a finding carries when it relied on this value and the value is unconfirmed.
    pub fn assumption(&self) -> Option<String> {
        match self.confidence {
            Confidence::Confirmed => None,
            Confidence::Assumed { why } => Some(format!("{why} (source: {})", self.source)),
        }
    }
}

/// Which version of the Account Register update interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum Interface {
    /// v3.0.5, the live interface (default).
    #[serde(rename = "v3")]
    #[value(name = "v3")]
    V3,
    /// v1.0.4, the 2020 interface (withdrawn by Customs in 2022).
    #[serde(rename = "v1.0.4")]
    #[value(name = "v1.0.4")]
    V1_0_4,
}

impl Interface {
    pub fn as_str(self) -> &'static str {
        match self {
            Interface::V3 => "v3",
            Interface::V1_0_4 => "v1.0.4",
        }
    }

    pub fn profile(self) -> &'static RegisterProfile {
        match self {
            Interface::V3 => &V3,
            Interface::V1_0_4 => &V1_0_4,
        }
    }
}

/// A hash strength class, ordered weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum HashStrength {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl std::fmt::Display for HashStrength {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HashStrength::Md5 => "MD5",
            HashStrength::Sha1 => "SHA-1",
            HashStrength::Sha224 => "SHA-224",
            HashStrength::Sha256 => "SHA-256",
            HashStrength::Sha384 => "SHA-384",
            HashStrength::Sha512 => "SHA-512",
        })
    }
}

/// The rules of one interface version of the Account Register, as data.
#[derive(Debug, Serialize)]
pub struct RegisterProfile {
    pub interface: Interface,
    /// Document the interface rules come from.
    pub document: &'static str,
    /// Smallest RSA modulus for TLS and signing certificates.
    pub min_rsa_bits: Sourced<u32>,
    /// Smallest elliptic-curve key size.
    pub min_ec_bits: Sourced<u32>,
    /// Weakest hash a certificate signature may use.
    pub min_signature_hash: Sourced<HashStrength>,
    /// Days before expiry from which a certificate is reported as due for renewal.
    pub renewal_window_days: Sourced<i64>,
    /// The Account Register's own identifier, in the forms its certificate may carry.
    pub register_ids: Sourced<&'static [&'static str]>,
    /// Certificate-type policies (ETSI and CA/Browser Forum) and what each implies.
    pub type_policies: Sourced<&'static [TypePolicy]>,
    /// Longest certificate serial number, in content octets of its INTEGER.
    pub max_serial_octets: Sourced<usize>,
    /// Certificate policies that make a certificate a QWAC (EN 319 411-2, TS 119 495).
    pub qwac_policies: Sourced<&'static [(&'static str, &'static str)]>,
    /// Largest message, in bytes of its signed JWT form.
    pub max_message_bytes: Sourced<usize>,
    /// Schemas, endpoints, token claims and content limits of the update messages.
    pub message: &'static message::MessageRules,
    /// Days the CA takes to deliver an ordered certificate.
    pub ca_delivery_days: Sourced<i64>,
    /// RSA key size to request in a new CSR.
    pub csr_rsa_bits: Sourced<u32>,
    /// Policies of the DVV CAs that issue server certificates (a path to a DVV root must pass
    /// through one of them).
    pub dvv_service_ca_policies: Sourced<&'static [&'static str]>,
    /// Revocation: how long past a CRL's nextUpdate (or an OCSP response's nextUpdate) it is
    /// still used, in seconds.
    pub revocation_grace_secs: Sourced<i64>,
    /// What the register's TLS endpoint and its clients must negotiate.
    pub tls: TlsPolicy,
}

/// TLS rules: the oldest version allowed and the ST IV strength values.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TlsPolicy {
    /// Oldest protocol version allowed, as its wire number (TLS 1.2 = 0x0303).
    pub min_version: Sourced<u16>,
    /// Smallest symmetric key.
    pub min_cipher_bits: Sourced<u16>,
    /// Only AEAD suites (no CBC with HMAC).
    pub aead_required: Sourced<bool>,
    /// Weakest MAC/PRF hash, in bits (SHA-256 = 256).
    pub min_hash_bits: Sourced<u16>,
    /// Smallest finite-field DH prime.
    pub min_dh_bits: Sourced<u32>,
    /// Smallest elliptic curve for ECDHE.
    pub min_ecdhe_bits: Sourced<u32>,
}

const TRAFICOM_UNREAD: &str = "Traficom's ST IV tables (Dnro 190/651/2015 ch. 4) could not be read; value from the usual reading of ST IV";

const TLS_POLICY: TlsPolicy = TlsPolicy {
    min_version: Sourced::confirmed(0x0303, "Customs update interface §3.2: TLS 1.2 or later"),
    min_cipher_bits: Sourced::assumed(
        128,
        "Traficom Dnro 190/651/2015 ST IV (symmetric ≥ 128 bits)",
        TRAFICOM_UNREAD,
    ),
    aead_required: Sourced::assumed(
        true,
        "Traficom Dnro 190/651/2015 ST IV; Customs update interface §3.2",
        "AEAD-only is inferred from the ST IV suite list, not quoted from it",
    ),
    min_hash_bits: Sourced::assumed(
        256,
        "Traficom Dnro 190/651/2015 ST IV (hash ≥ SHA-256)",
        TRAFICOM_UNREAD,
    ),
    min_dh_bits: Sourced::assumed(
        3072,
        "Traficom Dnro 190/651/2015 ST IV (finite-field DH ≥ 3072 bits), matching Customs' RSA ≥ 3072",
        TRAFICOM_UNREAD,
    ),
    min_ecdhe_bits: Sourced::assumed(
        256,
        "Traficom Dnro 190/651/2015 ST IV (elliptic curves ≥ 256 bits)",
        TRAFICOM_UNREAD,
    ),
};

const MIN_RSA_BITS: Sourced<u32> = Sourced::confirmed(
    3072,
    "Customs update interface §3.1 note: \"the RSA public key … must have at least 3072 bits\"",
);

const MIN_EC_BITS: Sourced<u32> = Sourced::assumed(
    256,
    "Traficom Dnro 190/651/2015 ch. 4 (ST IV)",
    "ST IV minimum for elliptic curves taken as 256 bits; the table could not be read from the source",
);

const MIN_SIGNATURE_HASH: Sourced<HashStrength> = Sourced::assumed(
    HashStrength::Sha256,
    "Traficom Dnro 190/651/2015 ch. 4 (ST IV)",
    "ST IV minimum hash taken as SHA-256; the table could not be read from the source",
);

const RENEWAL_WINDOW_DAYS: Sourced<i64> = Sourced::confirmed(
    30,
    "Deployment and maintenance instructions §7.2: a new certificate must reach Customs at least one month before use",
);

const REGISTER_IDS: Sourced<&[&str]> = Sourced::confirmed(
    &["FI02454428", "0245442-8"],
    "Customs update interface §3.1 (server certificate of the Account Register)",
);

const QWAC_POLICIES: Sourced<&[(&str, &str)]> = Sourced::confirmed(
    &[
        ("0.4.0.194112.1.4", "QEVCP-w"),
        ("0.4.0.194112.1.5", "QNCP-w"),
        ("0.4.0.194112.1.6", "QNCP-w-gen"),
        ("0.4.0.19495.3.1", "QCP-w-psd2"),
    ],
    "ETSI EN 319 411-2 §5.3; ETSI TS 119 495 §6.1",
);

/// Who a certificate-type policy says the subject is (EN 319 412-4 §4.2, EN 319 411-1 §5.3,
/// CA/Browser Forum TLS Baseline Requirements §7.1.6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PolicySubject {
    /// An organisation validated to the EV Guidelines: businessCategory,
    /// jurisdictionCountryName and serialNumber (EVG §7.1.4.2).
    ExtendedValidation,
    /// An organisation (organizationName present).
    LegalPerson,
    /// A natural person (givenName/surname or pseudonym, no organizationName).
    NaturalPerson,
    /// Either.
    Any,
}

/// What a certificate-type policy is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PolicyUse {
    /// A qualified website certificate (QWAC).
    QualifiedWebsite,
    /// A website certificate (CA/Browser Forum).
    Website,
    /// A qualified certificate for electronic seals.
    QualifiedSeal,
    /// A qualified certificate for electronic signatures.
    QualifiedSignature,
}

/// A certificate-type policy OID: its name, its use and the subject it implies.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TypePolicy {
    pub oid: &'static str,
    pub name: &'static str,
    pub used_for: PolicyUse,
    pub subject: PolicySubject,
}

const fn tp(
    oid: &'static str,
    name: &'static str,
    used_for: PolicyUse,
    subject: PolicySubject,
) -> TypePolicy {
    TypePolicy {
        oid,
        name,
        used_for,
        subject,
    }
}

const TYPE_POLICIES: Sourced<&[TypePolicy]> = Sourced::confirmed(
    &[
        tp(
            "0.4.0.194112.1.4",
            "QEVCP-w",
            PolicyUse::QualifiedWebsite,
            PolicySubject::ExtendedValidation,
        ),
        tp(
            "0.4.0.194112.1.5",
            "QNCP-w",
            PolicyUse::QualifiedWebsite,
            PolicySubject::Any,
        ),
        tp(
            "0.4.0.194112.1.6",
            "QNCP-w-gen",
            PolicyUse::QualifiedWebsite,
            PolicySubject::Any,
        ),
        tp(
            "0.4.0.19495.3.1",
            "QCP-w-psd2",
            PolicyUse::QualifiedWebsite,
            PolicySubject::Any,
        ),
        tp(
            "2.23.140.1.1",
            "EVCP",
            PolicyUse::Website,
            PolicySubject::ExtendedValidation,
        ),
        tp(
            "2.23.140.1.2.2",
            "OVCP",
            PolicyUse::Website,
            PolicySubject::LegalPerson,
        ),
        tp(
            "2.23.140.1.2.3",
            "IVCP",
            PolicyUse::Website,
            PolicySubject::NaturalPerson,
        ),
        tp(
            "2.23.140.1.2.1",
            "DVCP",
            PolicyUse::Website,
            PolicySubject::Any,
        ),
        tp(
            "0.4.0.194112.1.1",
            "QCP-l",
            PolicyUse::QualifiedSeal,
            PolicySubject::LegalPerson,
        ),
        tp(
            "0.4.0.194112.1.3",
            "QCP-l-qscd",
            PolicyUse::QualifiedSeal,
            PolicySubject::LegalPerson,
        ),
        tp(
            "0.4.0.194112.1.0",
            "QCP-n",
            PolicyUse::QualifiedSignature,
            PolicySubject::NaturalPerson,
        ),
        tp(
            "0.4.0.194112.1.2",
            "QCP-n-qscd",
            PolicyUse::QualifiedSignature,
            PolicySubject::NaturalPerson,
        ),
    ],
    "ETSI EN 319 411-2 §5.3 (QCP-n, QCP-l, -qscd, QEVCP-w, QNCP-w, QNCP-w-gen); ETSI TS 119 495 §6.1 (QCP-w-psd2); CA/Browser Forum TLS Baseline Requirements §7.1.6.1 (EVCP, OVCP, IVCP, DVCP); EN 319 412-4 §4.2 and EV Guidelines §7.1.4.2 (subjects)",
);

const CA_DELIVERY_DAYS: Sourced<i64> = Sourced::confirmed(
    7,
    "DVV service certificate ordering (suomi.fi service description): delivery by e-mail, target about one week",
);

const CSR_RSA_BITS: Sourced<u32> = Sourced::assumed(
    4096,
    "DVV server certificates: the customer makes a 2048- or 4096-bit key (dvv.fi); Customs requires at least 3072",
    "4096 chosen as the DVV option that meets Customs' minimum; whether DVV accepts 3072 is not confirmed",
);

const DVV_SERVICE_CA_POLICIES: Sourced<&[&str]> = Sourced::confirmed(
    &[
        "1.2.246.517.1.10.301.4",
        "1.2.246.517.1.10.351.4",
        "1.2.246.517.1.10.201.4",
    ],
    "certificatePolicies of DVV Service Certificates - G5R/G5E and VRK CA for Service Providers - G4 (FINEID S2)",
);

const MAX_SERIAL_OCTETS: Sourced<usize> = Sourced::confirmed(
    20,
    "RFC 5280 §4.1.2.2: \"Conforming CAs MUST NOT use serialNumber values longer than 20 octets\"",
);

const REVOCATION_GRACE_SECS: Sourced<i64> = Sourced::confirmed(
    0,
    "RFC 5280 §5.1.2.5 and RFC 6960 §4.2.2.1: no use past nextUpdate; FINEID S2: relying parties must check a valid CRL or OCSP answer",
);

pub static V3: RegisterProfile = RegisterProfile {
    interface: Interface::V3,
    document: "Account Register data updating interface v3.0.5 (27.8.2024)",
    min_rsa_bits: MIN_RSA_BITS,
    min_ec_bits: MIN_EC_BITS,
    min_signature_hash: MIN_SIGNATURE_HASH,
    renewal_window_days: RENEWAL_WINDOW_DAYS,
    register_ids: REGISTER_IDS,
    max_serial_octets: MAX_SERIAL_OCTETS,
    type_policies: TYPE_POLICIES,
    qwac_policies: QWAC_POLICIES,
    dvv_service_ca_policies: DVV_SERVICE_CA_POLICIES,
    revocation_grace_secs: REVOCATION_GRACE_SECS,
    max_message_bytes: Sourced::assumed(
        50 * 1000,
        "Customs update interface v3 §3.6: \"50 kB\"",
        "50 kB read as 50,000 bytes of the JWT form; the document does not say 1000 or 1024",
    ),
    message: &message::V3_MESSAGES,
    ca_delivery_days: CA_DELIVERY_DAYS,
    csr_rsa_bits: CSR_RSA_BITS,
    tls: TLS_POLICY,
};

pub static V1_0_4: RegisterProfile = RegisterProfile {
    interface: Interface::V1_0_4,
    document: "Account Register data updating interface v1.0.4 (5.3.2020)",
    min_rsa_bits: MIN_RSA_BITS,
    min_ec_bits: MIN_EC_BITS,
    min_signature_hash: MIN_SIGNATURE_HASH,
    renewal_window_days: RENEWAL_WINDOW_DAYS,
    register_ids: REGISTER_IDS,
    max_serial_octets: MAX_SERIAL_OCTETS,
    type_policies: TYPE_POLICIES,
    qwac_policies: QWAC_POLICIES,
    dvv_service_ca_policies: DVV_SERVICE_CA_POLICIES,
    revocation_grace_secs: REVOCATION_GRACE_SECS,
    max_message_bytes: Sourced::assumed(
        5 * 1000 * 1000,
        "Customs update interface v1.0.4: \"5MB\"",
        "5 MB read as 5,000,000 bytes; the document does not say whether it counts the JWS or the JSON",
    ),
    message: &message::V1_0_4_MESSAGES,
    ca_delivery_days: CA_DELIVERY_DAYS,
    csr_rsa_bits: CSR_RSA_BITS,
    tls: TLS_POLICY,
};
