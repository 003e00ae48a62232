//! VERO-*: a certificate against the Vero API / Incomes Register Web Service profile, and the
//! go-live timing of a new production certificate.

use time::OffsetDateTime;

use crate::checks::cert::KeyEvidence;
use crate::findings::{Finding, Subject};
use crate::pki::facts::{CertificateFacts, KeyFacts};
use crate::profile::RuleId;
use crate::profile::vero::{Environment, IdAttribute, VeroProfile};
use crate::time_arg::{format_date, format_time};
use crate::vero::finnish_time::{self, Activation};

/// Whether the certificate's signature was checked against issuing CA certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerEvidence {
    /// No CA file was given: only the issuer's name is compared.
    NameOnly,
    /// A certificate in `file` issued it; `ca` is that CA's subject.
    Verified { file: String, ca: String },
    /// No certificate in `file` issued it.
    NotIssuedBy { file: String },
}

/// Everything `vero cert` judges.
pub struct VeroCheck<'a> {
    /// What `--issuer-ca` showed about the signature.
    pub issuer_evidence: IssuerEvidence,
    pub facts: &'a CertificateFacts,
    pub key: &'a KeyEvidence,
    /// The environment the certificate is meant for.
    pub environment: Environment,
    /// The customer ID the certificate should carry, if given.
    pub customer_id: Option<&'a str>,
    /// Which subject attribute holds it (the profile's assumption unless overridden).
    pub id_attribute: IdAttribute,
    /// Whether `id_attribute` came from the user rather than from the profile.
    pub id_attribute_given: bool,
    pub at: OffsetDateTime,
    pub profile: &'a VeroProfile,
}

/// Key dates of a certificate's life in the Vero API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VeroTimeline {
    pub renewal_opens: OffsetDateTime,
    pub expires: OffsetDateTime,
    /// For a production certificate: when Vero API is expected to accept it.
    pub activation: Option<Activation>,
}

impl VeroCheck<'_> {
    pub fn timeline(&self) -> VeroTimeline {
        let f = self.facts;
        VeroTimeline {
            renewal_opens: finnish_time::minus_days(
                f.not_after,
                self.profile.renewal_window_days.value,
            ),
            expires: f.not_after,
            activation: (self.environment == Environment::Production)
                .then(|| finnish_time::activation(f.not_before, self.profile.office_hours.value)),
        }
    }

    pub fn findings(&self) -> Vec<Finding> {
        vec![
            self.issuer(),
            self.key_size(),
            self.validity(),
            self.renewal(),
            self.customer_id(),
            self.activation(),
            self.keypair(),
        ]
    }

    pub fn subject(&self, input: &str) -> Subject {
        let f = self.facts;
        let t = self.timeline();
        let mut s = Subject::new(
            format!("Vero API {} certificate", self.environment.as_str()),
            input,
        );
        s.summary = vec![
            ("Subject".into(), f.subject.clone()),
            ("Issuer".into(), f.issuer.clone()),
            (
                "Valid".into(),
                format!(
                    "{} → {}",
                    format_time(f.not_before),
                    format_time(f.not_after)
                ),
            ),
            ("Key".into(), f.key.to_string()),
            ("Renewal opens".into(), format_date(t.renewal_opens)),
        ];
        if let Some(a) = t.activation {
            s.summary.push((
                "Vero API from".into(),
                format!(
                    "{} (expected first working day after the daily pick-up)",
                    a.first_day
                ),
            ));
        }
        s.summary
            .push(("SHA-256".into(), f.sha256_fingerprint.clone()));
        s.findings = self.findings();
        s
    }

    fn issuer(&self) -> Finding {
        let rule = RuleId::VeroIssuer;
        let wanted = self.profile.issuers(self.environment);
        let other = self.profile.issuers(self.environment.other());
        let names = &self.facts.issuer_common_names;
        let matches = |list: &[&str]| names.iter().any(|n| list.contains(&n.as_str()));
        let shown = if names.is_empty() {
            format!("issuer {} has no CN", self.facts.issuer)
        } else {
            format!("issuer CN \"{}\"", names.join("\", \""))
        };
        let finding = if matches(wanted.value) {
            match &self.issuer_evidence {
                IssuerEvidence::NameOnly => Finding::pass(
                    rule,
                    format!(
                        "{shown}: the {} CA (name only: give --issuer-ca to check the signature)",
                        self.environment.as_str()
                    ),
                ),
                IssuerEvidence::Verified { file, .. } => Finding::pass(
                    rule,
                    format!(
                        "{shown}: the {} CA; the signature verifies with its certificate in {file}",
                        self.environment.as_str()
                    ),
                ),
                IssuerEvidence::NotIssuedBy { file } => Finding::fail(
                    rule,
                    format!(
                        "{shown}, but no CA certificate in {file} signed it: the name is right, the issuer is not"
                    ),
                )
                .with_remedy("Check that --issuer-ca holds the Data Providers CA chain from vero.fi; if it does, this certificate was not issued by the Tax Administration."),
            }
        } else if matches(other.value) {
            Finding::fail(
                rule,
                format!(
                    "{shown} issues {} certificates, but --environment is {}",
                    self.environment.other().as_str(),
                    self.environment.as_str()
                ),
            )
        } else {
            Finding::fail(
                rule,
                format!(
                    "{shown} is not a Data Providers CA; {} certificates come from \"{}\"",
                    self.environment.as_str(),
                    wanted.value.join("\" or \"")
                ),
            )
        };
        finding.with_assumption(wanted.assumption())
    }

    fn key_size(&self) -> Finding {
        let rule = RuleId::VeroKey;
        let want = self.profile.rsa_bits.value;
        match &self.facts.key {
            KeyFacts::Rsa { bits } if *bits == want => Finding::pass(
                rule,
                format!("RSA {bits} bits, as the certificate service issues"),
            ),
            KeyFacts::Rsa { bits } => Finding::warn(
                rule,
                format!(
                    "RSA {bits} bits: the certificate service states it supports only {want}-bit keys, so this did not come from it"
                ),
            ),
            other => Finding::fail(
                rule,
                format!("{other}: the certificate service issues RSA {want}-bit certificates only"),
            ),
        }
    }

    fn validity(&self) -> Finding {
        let rule = RuleId::VeroValidity;
        let f = self.facts;
        let span = format!(
            "{} → {}",
            format_date(f.not_before),
            format_date(f.not_after)
        );
        if self.at < f.not_before {
            return Finding::fail(
                rule,
                format!("not yet valid at the check time (valid {span})"),
            );
        }
        if self.at > f.not_after {
            let days = (self.at - f.not_after).whole_days();
            return Finding::fail(
                rule,
                format!("expired {days} days before the check time (valid {span})"),
            );
        }
        let years = self.profile.validity_years;
        let slack = self.profile.validity_slack_days;
        let expected_end = finnish_time::add_years(f.not_before, years.value);
        let off = (f.not_after - expected_end).whole_days();
        let left = (f.not_after - self.at).whole_days();
        if off.abs() > slack.value {
            return Finding::warn(
                rule,
                format!(
                    "valid {span}, {left} days left; but the service issues for {} years and this runs {} days {} that",
                    years.value,
                    off.abs(),
                    if off > 0 { "longer than" } else { "short of" }
                ),
            )
            .with_remedy("Check that the certificate came from the Tax Administration's certificate service.")
            .with_assumption(slack.assumption());
        }
        Finding::pass(
            rule,
            format!("valid {span} ({} years), {left} days left", years.value),
        )
    }

    fn renewal(&self) -> Finding {
        let rule = RuleId::VeroRenewal;
        let t = self.timeline();
        let window = self.profile.renewal_window_days.value;
        if self.at > t.expires {
            return Finding::fail(
                rule,
                format!(
                    "expired on {}: an expired certificate cannot be renewed",
                    format_date(t.expires)
                ),
            );
        }
        if self.at >= t.renewal_opens {
            let left = (t.expires - self.at).whole_days();
            return Finding::warn(
                rule,
                format!(
                    "inside the {window}-day renewal window since {}: {left} days left to renew (tilicheck vero renew)",
                    format_date(t.renewal_opens)
                ),
            );
        }
        Finding::pass(
            rule,
            format!(
                "renewal opens on {} ({window} days before expiry on {})",
                format_date(t.renewal_opens),
                format_date(t.expires)
            ),
        )
    }

    fn customer_id(&self) -> Finding {
        let rule = RuleId::VeroCustomerId;
        let attr = self.id_attribute;
        let values = match attr {
            IdAttribute::Cn => &self.facts.common_names,
            IdAttribute::SerialNumber => &self.facts.subject_serial_numbers,
            IdAttribute::OrganizationIdentifier => &self.facts.organization_identifiers,
        };
        let assumption = if self.id_attribute_given {
            None
        } else {
            self.profile.customer_id_attribute.assumption()
        };
        let finding = match (self.customer_id, values.as_slice()) {
            (_, []) => Finding::fail(
                rule,
                format!(
                    "the subject {} has no {} attribute",
                    self.facts.subject,
                    attr.as_str()
                ),
            ),
            (None, found) => Finding::skip(
                rule,
                format!(
                    "no --customer-id given; subject {} is \"{}\"",
                    attr.as_str(),
                    found.join("\", \"")
                ),
            ),
            (Some(want), found) if found.iter().any(|v| v == want) => {
                Finding::pass(rule, format!("subject {} is {want}", attr.as_str()))
            }
            (Some(want), found) => Finding::fail(
                rule,
                format!(
                    "subject {} is \"{}\", not the customer ID {want}: this is another organisation's certificate",
                    attr.as_str(),
                    found.join("\", \"")
                ),
            ),
        };
        finding.with_assumption(assumption)
    }

    fn activation(&self) -> Finding {
        let rule = RuleId::VeroActivation;
        let Some(a) = self.timeline().activation else {
            return Finding::skip(
                rule,
                "test certificate: the daily pick-up applies to production certificates",
            );
        };
        let hours = self.profile.office_hours.value;
        let formed = format!(
            "formed {} Finnish time ({} office hours {:02}.{:02}–{:02}.{:02})",
            a.formed_local
                .format(&time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]"
                ))
                .unwrap_or_default(),
            if a.in_office_hours { "in" } else { "outside" },
            hours.start.hour,
            hours.start.minute,
            hours.end.hour,
            hours.end.minute,
        );
        let mut assumption = self.profile.activation_next_working_day.assumption();
        if !a.in_office_hours {
            assumption = self.profile.activation_outside_hours.assumption();
        }
        let finding = if self.at < a.first_instant() {
            Finding::warn(
                rule,
                format!(
                    "{formed}: Vero API is expected to accept it from {} only, after the Tax Administration's daily pick-up",
                    a.first_day
                ),
            )
        } else {
            Finding::pass(
                rule,
                format!(
                    "{formed}: expected in use at Vero API since {}",
                    a.first_day
                ),
            )
        };
        finding.with_assumption(assumption)
    }

    fn keypair(&self) -> Finding {
        let rule = RuleId::VeroKeypair;
        match self.key {
            KeyEvidence::None => Finding::skip(rule, "no private key given (--key)"),
            KeyEvidence::Unusable { file, reason } => {
                Finding::fail(rule, format!("{file}: cannot use the key: {reason}"))
            }
            KeyEvidence::Public {
                file,
                public_key_raw,
            } if *public_key_raw == self.facts.public_key_raw => {
                Finding::pass(rule, format!("{file} holds the certificate's private key"))
            }
            KeyEvidence::Public { file, .. } => Finding::fail(
                rule,
                format!("{file} is not the private key of this certificate"),
            ),
        }
    }
}

/// VERO-TRANSFER-ID: how much of the transfer ID's validity is left on `at`, counted from the
/// day the secure e-mail arrived.
pub fn check_transfer_id(
    email_date: Option<time::Date>,
    at: OffsetDateTime,
    profile: &VeroProfile,
) -> Finding {
    let rule = RuleId::VeroTransferId;
    let valid = profile.transfer_id_valid_days.value;
    let Some(sent) = email_date else {
        return Finding::skip(
            rule,
            format!(
                "no --email-date given: the transfer ID is valid {valid} days from the application"
            ),
        );
    };
    let today = finnish_time::to_helsinki(at).date();
    let last = sent + time::Duration::days(valid);
    let left = (last - today).whole_days();
    if left < 0 {
        return Finding::fail(
            rule,
            format!(
                "e-mail of {sent}: the transfer ID expired on {last}, {} days ago",
                -left
            ),
        );
    }
    let warn = profile.transfer_id_warn_days;
    if left < warn.value {
        return Finding::warn(
            rule,
            format!("e-mail of {sent}: the transfer ID expires on {last}, {left} days left"),
        )
        .with_remedy(
            "Retrieve the certificate now; if it fails, new transfer IDs need a new application.",
        )
        .with_assumption(warn.assumption());
    }
    Finding::pass(
        rule,
        format!("e-mail of {sent}: the transfer ID is valid until {last}, {left} days left"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::VERO;
    use time::macros::{date, datetime};

    #[test]
    fn transfer_id_is_good_for_fourteen_days_from_the_email() {
        let at = datetime!(2026-11-22 10:00 UTC);
        let f = check_transfer_id(Some(date!(2026 - 11 - 12)), at, &VERO);
        assert_eq!(f.status, crate::findings::Status::Pass, "{}", f.detail);
        assert!(f.detail.contains("2026-11-26"), "{}", f.detail);
        let f = check_transfer_id(Some(date!(2026 - 11 - 10)), at, &VERO);
        assert_eq!(f.status, crate::findings::Status::Warn, "{}", f.detail);
        assert!(f.assumption.is_some());
        let f = check_transfer_id(Some(date!(2026 - 11 - 01)), at, &VERO);
        assert_eq!(f.status, crate::findings::Status::Fail, "{}", f.detail);
        assert!(f.detail.contains("expired on 2026-11-15"), "{}", f.detail);
        let f = check_transfer_id(None, at, &VERO);
        assert_eq!(f.status, crate::findings::Status::Skip);
    }
}
