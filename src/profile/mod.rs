//! The rules as data. Every number or name a check compares against lives here, with the
//! document it comes from and whether it is confirmed. Checks read a [`RegisterProfile`];
//! nothing version-specific is decided elsewhere.

pub mod catalogue;
pub mod serve;

use serde::Serialize;

pub use catalogue::{Rule, RuleId};

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
    /// Certificate policies that make a certificate a QWAC (EN 319 411-2, TS 119 495).
    pub qwac_policies: Sourced<&'static [(&'static str, &'static str)]>,
    /// Largest message, in bytes of its signed JWT form.
    pub max_message_bytes: Sourced<usize>,
    /// Days the CA takes to deliver an ordered certificate.
    pub ca_delivery_days: Sourced<i64>,
    /// RSA key size to request in a new CSR.
    pub csr_rsa_bits: Sourced<u32>,
}

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

const CA_DELIVERY_DAYS: Sourced<i64> = Sourced::confirmed(
    7,
    "DVV service certificate ordering (suomi.fi service description): delivery by e-mail, target about one week",
);

const CSR_RSA_BITS: Sourced<u32> = Sourced::assumed(
    4096,
    "DVV server certificates: the customer makes a 2048- or 4096-bit key (dvv.fi); Customs requires at least 3072",
    "4096 chosen as the DVV option that meets Customs' minimum; whether DVV accepts 3072 is not confirmed",
);

pub static V3: RegisterProfile = RegisterProfile {
    interface: Interface::V3,
    document: "Account Register data updating interface v3.0.5 (27.8.2024)",
    min_rsa_bits: MIN_RSA_BITS,
    min_ec_bits: MIN_EC_BITS,
    min_signature_hash: MIN_SIGNATURE_HASH,
    renewal_window_days: RENEWAL_WINDOW_DAYS,
    register_ids: REGISTER_IDS,
    qwac_policies: QWAC_POLICIES,
    max_message_bytes: Sourced::assumed(
        50 * 1000,
        "Customs update interface v3 §3.6: \"50 kB\"",
        "50 kB read as 50,000 bytes of the JWT form; the document does not say 1000 or 1024",
    ),
    ca_delivery_days: CA_DELIVERY_DAYS,
    csr_rsa_bits: CSR_RSA_BITS,
};

pub static V1_0_4: RegisterProfile = RegisterProfile {
    interface: Interface::V1_0_4,
    document: "Account Register data updating interface v1.0.4 (5.3.2020)",
    min_rsa_bits: MIN_RSA_BITS,
    min_ec_bits: MIN_EC_BITS,
    min_signature_hash: MIN_SIGNATURE_HASH,
    renewal_window_days: RENEWAL_WINDOW_DAYS,
    register_ids: REGISTER_IDS,
    qwac_policies: QWAC_POLICIES,
    max_message_bytes: Sourced::assumed(
        5 * 1000 * 1000,
        "Customs update interface v1.0.4: \"5MB\"",
        "5 MB read as 5,000,000 bytes; the document does not say whether it counts the JWS or the JSON",
    ),
    ca_delivery_days: CA_DELIVERY_DAYS,
    csr_rsa_bits: CSR_RSA_BITS,
};
