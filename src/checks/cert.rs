//! `tilicheck cert`: a supplier's certificate (and key) against the certificate rules that
//! can be judged from the files alone.

use time::OffsetDateTime;

use crate::checks::identity::{self, ExpectedIds, Purpose};
use crate::checks::qwac::{QwacInput, check_qwac};
use crate::checks::x509::check_x509v3;
use crate::findings::{Finding, Subject};
use crate::pki::facts::{CertificateFacts, KeyFacts};
use crate::pki::trusted_list::Qualification;
use crate::profile::{RegisterProfile, RuleId};
use crate::time_arg::format_date;

/// The public half of the private key the user gave, if any.
#[derive(Clone, Debug)]
pub enum KeyEvidence {
    /// No key was given.
    None,
    /// The key's public key bits, and which file it came from.
    Public {
        file: String,
        public_key_raw: Vec<u8>,
    },
    /// The key was read but its public half could not be derived.
    Unusable { file: String, reason: String },
}

/// Everything `cert` judges.
pub struct CertCheck<'a> {
    pub facts: &'a CertificateFacts,
    pub key: &'a KeyEvidence,
    pub purpose: Purpose,
    pub expected: ExpectedIds,
    pub at: OffsetDateTime,
    pub profile: &'a RegisterProfile,
    /// The bundled DVV root that CERT-ISSUER's validated path ends at, if it proved one.
    pub dvv_root: Option<&'a str>,
    /// What the verified EU trusted lists say, when lists were given.
    pub qualification: Option<&'a Qualification>,
}

impl CertCheck<'_> {
    /// All certificate findings, in catalogue order.
    pub fn findings(&self) -> Vec<Finding> {
        let ids = identity::found_ids(self.facts);
        let mut out = check_x509v3(self.facts, self.profile);
        out.extend([
            self.validity(),
            identity::check_cert_id(&ids, self.expected, self.purpose.signing()),
            identity::check_check_digits(&ids),
            self.key_strength(),
        ]);
        out.push(if self.purpose.signing() {
            self.key_rs256()
        } else {
            Finding::skip(RuleId::CertKeyRs256, "not used for signing (--purpose tls)")
        });
        out.push(self.signature_algorithm());
        out.push(if self.purpose.signing() {
            self.key_usage_sign()
        } else {
            Finding::skip(RuleId::CertKuSign, "not used for signing (--purpose tls)")
        });
        if self.purpose.tls() {
            out.extend(self.eku_tls());
        } else {
            out.push(Finding::skip(
                RuleId::CertEkuTls,
                "not used for TLS (--purpose signing)",
            ));
        }
        out.extend(check_qwac(&QwacInput {
            facts: self.facts,
            purpose: self.purpose,
            dvv_root: self.dvv_root,
            qualification: self.qualification,
            profile: self.profile,
        }));
        out.push(self.keypair());
        out.push(if self.purpose == Purpose::Both {
            identity::check_same_id(&ids, self.expected)
        } else {
            Finding::skip(RuleId::CertSameId, "the certificate serves one use only")
        });
        out
    }

    /// A subject with the summary a person reads first, and the findings.
    pub fn subject(&self, input: &str) -> Subject {
        let f = self.facts;
        let mut s = Subject::new(self.purpose.role(), input);
        s.summary = summary(f, self.at);
        s.findings = self.findings();
        s
    }

    fn validity(&self) -> Finding {
        check_validity(self.facts, self.at, self.profile)
    }

    fn key_strength(&self) -> Finding {
        check_key_strength(&self.facts.key, self.profile)
    }

    fn key_rs256(&self) -> Finding {
        let rule = RuleId::CertKeyRs256;
        match &self.facts.key {
            KeyFacts::Rsa { bits } => {
                Finding::pass(rule, format!("RSA key ({bits} bits) can sign RS256"))
            }
            other => Finding::fail(
                rule,
                format!(
                    "{other} cannot make RS256 signatures, which are the only ones the register verifies"
                ),
            ),
        }
    }

    fn signature_algorithm(&self) -> Finding {
        let rule = RuleId::CertSigAlg;
        let min = self.profile.min_signature_hash;
        let sig = &self.facts.signature;
        let finding = match sig.hash {
            None => Finding::fail(rule, format!("{}: hash strength unknown", sig.name)),
            Some(h) if h < min.value => Finding::fail(
                rule,
                format!("{}: weaker than the required {}", sig.name, min.value),
            ),
            Some(_) => Finding::pass(rule, sig.name.clone()),
        };
        finding.with_assumption(min.assumption())
    }

    fn key_usage_sign(&self) -> Finding {
        let rule = RuleId::CertKuSign;
        match &self.facts.key_usage {
            None => Finding::fail(
                rule,
                "no keyUsage extension; Customs requires 'digital signature' to be listed",
            ),
            Some(ku) if ku.digital_signature => {
                Finding::pass(rule, format!("key usage: {}", ku.names.join(", ")))
            }
            Some(ku) => Finding::fail(
                rule,
                format!(
                    "key usage is {} without digitalSignature",
                    display_list(&ku.names)
                ),
            ),
        }
    }

    fn eku_tls(&self) -> Vec<Finding> {
        let rule = RuleId::CertEkuTls;
        let Some(eku) = &self.facts.ext_key_usage else {
            return vec![Finding::fail(
                rule,
                "no extendedKeyUsage extension; Customs asks for TLS Web Client and Server Authentication",
            )];
        };
        let listed = display_list(&eku.names);
        let mut out = Vec::new();
        match (eku.client_auth, eku.server_auth) {
            (true, true) => {}
            (false, _) => out.push(Finding::fail(
                rule,
                format!(
                    "extended key usage {listed} lacks clientAuth: the register cannot accept it as a TLS client"
                ),
            )),
            (true, false) => out.push(Finding::fail(
                rule,
                format!(
                    "extended key usage {listed} lacks serverAuth, which Customs requires alongside clientAuth"
                ),
            )),
        }
        if eku.ocsp_signing {
            out.push(
                Finding::fail(
                    rule,
                    "extended key usage includes OCSPSigning, which a TLS certificate must not carry: it could sign OCSP answers for its CA (CA/Browser Forum TLS BR §7.1.2.7.10; EN 319 412-4 §4.3)",
                )
                .with_remedy("Ask the CA to reissue the certificate without id-kp-OCSPSigning."),
            );
        }
        if eku.critical {
            out.push(
                Finding::warn(
                    rule,
                    "extendedKeyUsage is marked critical; a TLS subscriber certificate's should not be (CA/Browser Forum TLS BR §7.1.2.7.10)",
                )
                .with_remedy("Validators accept it, but ask the CA to mark it non-critical at the next renewal."),
            );
        }
        if out.is_empty() {
            out.push(Finding::pass(rule, format!("extended key usage: {listed}")));
        }
        out
    }

    fn keypair(&self) -> Finding {
        check_keypair(RuleId::CertKeypair, self.key, self.facts)
    }
}

/// CERT-VALIDITY: valid at `at`; a warning inside the profile's renewal window.
pub fn check_validity(
    f: &CertificateFacts,
    at: OffsetDateTime,
    profile: &RegisterProfile,
) -> Finding {
    let rule = RuleId::CertValidity;
    let window = profile.renewal_window_days;
    let span = format!(
        "{} → {}",
        format_date(f.not_before),
        format_date(f.not_after)
    );
    if at < f.not_before {
        let days = (f.not_before - at).whole_days();
        return Finding::fail(
            rule,
            format!("not yet valid at the check time: valid {span}, starts in {days} days"),
        )
        .with_remedy("Wait until the certificate's start date, or check with --at a later date.");
    }
    if at > f.not_after {
        let days = (at - f.not_after).whole_days();
        return Finding::fail(rule, format!("expired {days} days before the check time (valid {span})"))
            .with_remedy("Order a new certificate and deliver it to Customs at least one month before use; an expired certificate must not be used.");
    }
    let left = (f.not_after - at).whole_days();
    if left < window.value {
        return Finding::warn(
            rule,
            format!(
                "valid {span}, {left} days left: inside the {}-day renewal window",
                window.value
            ),
        )
        .with_assumption(window.assumption());
    }
    Finding::pass(rule, format!("valid {span}, {left} days left"))
}

/// CERT-KEY-STRENGTH: the key is at least the profile's RSA or EC minimum.
pub fn check_key_strength(key: &KeyFacts, p: &RegisterProfile) -> Finding {
    let rule = RuleId::CertKeyStrength;
    match key {
        KeyFacts::Rsa { bits } if *bits < p.min_rsa_bits.value => Finding::fail(
            rule,
            format!(
                "RSA {bits} bits; the register requires at least {}",
                p.min_rsa_bits.value
            ),
        ),
        KeyFacts::Rsa { bits } => Finding::pass(
            rule,
            format!(
                "RSA {bits} bits (at least {} required)",
                p.min_rsa_bits.value
            ),
        ),
        KeyFacts::Ec { curve, bits } if *bits < p.min_ec_bits.value => Finding::fail(
            rule,
            format!(
                "EC {curve}, {bits} bits; at least {} required",
                p.min_ec_bits.value
            ),
        )
        .with_assumption(p.min_ec_bits.assumption()),
        KeyFacts::Ec { curve, bits } => Finding::pass(
            rule,
            format!(
                "EC {curve}, {bits} bits (at least {} required)",
                p.min_ec_bits.value
            ),
        )
        .with_assumption(p.min_ec_bits.assumption()),
        k @ (KeyFacts::Ed25519 | KeyFacts::Ed448) => Finding::warn(
            rule,
            format!("{k}: strong, but not an algorithm Customs or DVV issue certificates for"),
        )
        .with_assumption(p.min_ec_bits.assumption()),
        k @ KeyFacts::Other { .. } => Finding::fail(rule, k.to_string()),
    }
}

/// `rule` (CERT-KEYPAIR, VERO-KEYPAIR): the private key given belongs to the certificate.
pub fn check_keypair(rule: RuleId, key: &KeyEvidence, facts: &CertificateFacts) -> Finding {
    match key {
        KeyEvidence::None => Finding::skip(rule, "no private key given (--key)"),
        KeyEvidence::Unusable { file, reason } => {
            Finding::fail(rule, format!("{file}: cannot use the key: {reason}"))
        }
        KeyEvidence::Public {
            file,
            public_key_raw,
        } if *public_key_raw == facts.public_key_raw => {
            Finding::pass(rule, format!("{file} holds the certificate's private key"))
        }
        KeyEvidence::Public { file, .. } => Finding::fail(
            rule,
            format!("{file} is not the private key of this certificate"),
        ),
    }
}

fn display_list<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The lines a person reads before the findings.
pub fn summary(f: &CertificateFacts, at: OffsetDateTime) -> Vec<(String, String)> {
    let days = (f.not_after - at).whole_days();
    let left = if days >= 0 {
        format!("{days} days left")
    } else {
        format!("expired {} days ago", -days)
    };
    vec![
        ("Subject".into(), f.subject.clone()),
        ("Issuer".into(), f.issuer.clone()),
        (
            "Valid".into(),
            format!(
                "{} → {} ({left})",
                format_date(f.not_before),
                format_date(f.not_after)
            ),
        ),
        ("Key".into(), f.key.to_string()),
        ("Serial".into(), f.serial_hex.clone()),
        ("SHA-256".into(), f.sha256_fingerprint.clone()),
    ]
}

/// What a server certificate says beyond the summary: its names, how it was signed, what its
/// key may do and where its revocation status is published.
pub fn details(f: &CertificateFacts) -> Vec<(String, String)> {
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    let names: Vec<String> = f
        .dns_names
        .iter()
        .map(|d| format!("DNS:{d}"))
        .chain(f.ip_addresses.iter().map(|ip| format!("IP:{ip}")))
        .collect();
    vec![
        ("Names (SAN)".into(), list(&names)),
        ("Signature".into(), f.signature.name.clone()),
        (
            "Key usage".into(),
            f.key_usage.as_ref().map_or("none".to_owned(), |k| {
                list(&k.names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            }),
        ),
        (
            "Extended key usage".into(),
            f.ext_key_usage
                .as_ref()
                .map_or("none".to_owned(), |k| list(&k.names)),
        ),
        ("CRL".into(), list(&f.crl_urls)),
        ("OCSP".into(), list(&f.ocsp_urls)),
    ]
}
