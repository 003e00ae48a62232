//! `tilicheck rules`: the catalogue and the profile values, with their sources.

use std::fmt::Write;

use serde::Serialize;

use crate::profile::{Confidence, Interface, RegisterProfile, Rule, RuleId};

/// One profile value for display: name, value, source, and whether it is confirmed.
struct ProfileValue {
    name: &'static str,
    value: String,
    source: &'static str,
    confidence: Confidence,
}

fn profile_values(p: &RegisterProfile) -> Vec<ProfileValue> {
    macro_rules! v {
        ($name:literal, $field:expr, $fmt:expr) => {
            ProfileValue {
                name: $name,
                value: $fmt(&$field.value),
                source: $field.source,
                confidence: $field.confidence,
            }
        };
    }
    vec![
        v!("min_rsa_bits", p.min_rsa_bits, |v: &u32| v.to_string()),
        v!("min_ec_bits", p.min_ec_bits, |v: &u32| v.to_string()),
        v!(
            "min_signature_hash",
            p.min_signature_hash,
            |v: &crate::profile::HashStrength| v.to_string()
        ),
        v!("renewal_window_days", p.renewal_window_days, |v: &i64| v
            .to_string()),
        v!("register_ids", p.register_ids, |v: &&[&str]| v.join(", ")),
        v!(
            "type_policies",
            p.type_policies,
            |v: &&[crate::profile::TypePolicy]| v
                .iter()
                .map(|t| format!("{} {}", t.name, t.oid))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        v!("max_serial_octets", p.max_serial_octets, |v: &usize| v
            .to_string()),
        v!("qwac_policies", p.qwac_policies, |v: &&[(&str, &str)]| v
            .iter()
            .map(|(oid, n)| format!("{n} {oid}"))
            .collect::<Vec<_>>()
            .join(", ")),
        v!("max_message_bytes", p.max_message_bytes, |v: &usize| v
            .to_string()),
        v!("tls_min_version", p.tls.min_version, |v: &u16| format!(
            "0x{v:04x}"
        )),
        v!("tls_min_cipher_bits", p.tls.min_cipher_bits, |v: &u16| v
            .to_string()),
        v!("tls_aead_required", p.tls.aead_required, |v: &bool| v
            .to_string()),
        v!("tls_min_hash_bits", p.tls.min_hash_bits, |v: &u16| v
            .to_string()),
        v!("tls_min_dh_bits", p.tls.min_dh_bits, |v: &u32| v
            .to_string()),
        v!("tls_min_ecdhe_bits", p.tls.min_ecdhe_bits, |v: &u32| v
            .to_string()),
        v!(
            "dvv_service_ca_policies",
            p.dvv_service_ca_policies,
            |v: &&[&str]| v.join(", ")
        ),
        v!(
            "revocation_grace_secs",
            p.revocation_grace_secs,
            |v: &i64| v.to_string()
        ),
    ]
}

/// The Vero API certificate profile's values (a separate PKI from the register's).
fn vero_values(p: &crate::profile::VeroProfile) -> Vec<ProfileValue> {
    use crate::profile::vero::{ElementNames, IdAttribute, OfficeHours};
    macro_rules! v {
        ($name:literal, $field:expr, $fmt:expr) => {
            ProfileValue {
                name: $name,
                value: $fmt(&$field.value),
                source: $field.source,
                confidence: $field.confidence,
            }
        };
    }
    let list = |v: &&[&str]| v.join(", ");
    let text = |v: &&str| (*v).to_owned();
    vec![
        v!("vero.production_issuers", p.production_issuers, list),
        v!("vero.test_issuers", p.test_issuers, list),
        v!("vero.rsa_bits", p.rsa_bits, |v: &u32| v.to_string()),
        v!("vero.validity_years", p.validity_years, |v: &i32| v
            .to_string()),
        v!(
            "vero.validity_slack_days",
            p.validity_slack_days,
            |v: &i64| v.to_string()
        ),
        v!(
            "vero.renewal_window_days",
            p.renewal_window_days,
            |v: &i64| v.to_string()
        ),
        v!(
            "vero.transfer_id_valid_days",
            p.transfer_id_valid_days,
            |v: &i64| v.to_string()
        ),
        v!(
            "vero.transfer_id_warn_days",
            p.transfer_id_warn_days,
            |v: &i64| v.to_string()
        ),
        v!(
            "vero.office_hours",
            p.office_hours,
            |v: &OfficeHours| format!(
                "{:02}.{:02}–{:02}.{:02} Finnish time",
                v.start.hour, v.start.minute, v.end.hour, v.end.minute
            )
        ),
        v!(
            "vero.activation_next_working_day",
            p.activation_next_working_day,
            |v: &bool| v.to_string()
        ),
        v!(
            "vero.activation_outside_hours",
            p.activation_outside_hours,
            text
        ),
        v!(
            "vero.customer_id_attribute",
            p.customer_id_attribute,
            |v: &IdAttribute| v.as_str().to_owned()
        ),
        v!("vero.production_url", p.production_url, text),
        v!("vero.test_url", p.test_url, text),
        v!("vero.elements", p.elements, |v: &&ElementNames| format!(
            "namespace {}; {}, {}, {}",
            v.namespace, v.sign_new_request, v.get_request, v.renew_request
        )),
        v!(
            "vero.first_poll_seconds",
            p.first_poll_seconds,
            |v: &u64| v.to_string()
        ),
        v!("vero.pending_answer", p.pending_answer, text),
        v!("vero.renewal_signature", p.renewal_signature, text),
        v!("vero.response_signature", p.response_signature, text),
    ]
}

pub fn text(interface: Interface) -> String {
    let p = interface.profile();
    let mut out = String::new();
    let width = RuleId::ALL
        .iter()
        .map(|r| r.as_str().len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "Rules ({})\n", p.document);
    for id in RuleId::ALL {
        let r = id.rule();
        let _ = writeln!(out, "{:<width$}  {}", r.id.as_str(), r.title);
        let _ = writeln!(out, "{:<width$}  {}", "", r.enforcement.meaning());
        let _ = writeln!(out, "{:<width$}  source: {}", "", r.source);
    }
    let _ = writeln!(
        out,
        "\nProfile values for interface {}\n",
        interface.as_str()
    );
    for v in profile_values(p) {
        let _ = writeln!(out, "{}: {}", v.name, v.value);
        let _ = writeln!(out, "  source: {}", v.source);
        if let Confidence::Assumed { why } = v.confidence {
            let _ = writeln!(out, "  ASSUMPTION: {why}");
        }
    }
    let _ = writeln!(out, "\nVero API certificate profile values\n");
    for v in vero_values(&crate::profile::VERO) {
        let _ = writeln!(out, "{}: {}", v.name, v.value);
        let _ = writeln!(out, "  source: {}", v.source);
        if let Confidence::Assumed { why } = v.confidence {
            let _ = writeln!(out, "  ASSUMPTION: {why}");
        }
    }
    out
}

#[derive(Serialize)]
struct RulesDoc<'a> {
    interface: &'static str,
    document: &'static str,
    rules: Vec<&'static Rule>,
    profile: Vec<JsonValue<'a>>,
    vero_profile: Vec<JsonValue<'a>>,
}

#[derive(Serialize)]
struct JsonValue<'a> {
    name: &'a str,
    value: String,
    source: &'a str,
    confirmed: bool,
    assumption: Option<&'a str>,
}

pub fn json(interface: Interface) -> String {
    let p = interface.profile();
    let values = profile_values(p);
    let vero = vero_values(&crate::profile::VERO);
    let json_values = |values: &'_ [ProfileValue]| -> Vec<JsonValue<'_>> {
        values
            .iter()
            .map(|v| JsonValue {
                name: v.name,
                value: v.value.clone(),
                source: v.source,
                confirmed: v.confidence == Confidence::Confirmed,
                assumption: match v.confidence {
                    Confidence::Assumed { why } => Some(why),
                    Confidence::Confirmed => None,
                },
            })
            .collect()
    };
    let doc = RulesDoc {
        vero_profile: json_values(&vero),
        interface: interface.as_str(),
        document: p.document,
        rules: RuleId::ALL.iter().map(|r| r.rule()).collect(),
        profile: values
            .iter()
            .map(|v| JsonValue {
                name: v.name,
                value: v.value.clone(),
                source: v.source,
                confirmed: v.confidence == Confidence::Confirmed,
                assumption: match v.confidence {
                    Confidence::Assumed { why } => Some(why),
                    Confidence::Confirmed => None,
                },
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
