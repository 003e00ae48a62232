//! Message and token checks: MSG-* on a report, JWS-* on the two tokens. Pure: facts in,
//! findings out.

use serde_json::Value;

use crate::findings::{Finding, Status, Subject};
use crate::message::content::{self, ExpectedSender, Problem};
use crate::message::jws::{DecodedToken, JwsError, verify_rs256};
use crate::message::kind::{Classified, Kind};
use crate::message::parse::ParseError;
use crate::message::validate::{json_type, schema_errors};
use crate::pki::facts::{CertificateFacts, KeyFacts};
use crate::profile::message::TokenClaims;
use crate::profile::{RegisterProfile, RuleId};

/// At most this many findings per rule; the rest are counted in one more.
const MAX_LISTED: usize = 25;

/// A report to judge.
pub struct MessageInput<'a> {
    pub report: &'a Value,
    pub classified: &'a Classified,
    pub expected_sender: Option<ExpectedSender<'a>>,
    /// Bytes of the body token in JWT form, and how that was obtained.
    pub jwt_len: usize,
    pub jwt_len_basis: &'a str,
    pub profile: &'a RegisterProfile,
}

/// The subject for a message that is not even JSON.
pub fn unreadable_message(input: &str, error: &ParseError) -> Subject {
    let mut s = Subject::new("message", input);
    s.findings.push(
        Finding::fail(RuleId::MsgSchema, format!("the message {error}"))
            .with_remedy("Fix the JSON text: the register rejects a message it cannot parse."),
    );
    s
}

/// All MSG-* findings for a parsed report.
pub fn message_subject(input: &str, m: &MessageInput<'_>) -> Subject {
    let rules = m.profile.message;
    let mut s = Subject::new("message", input);
    let c = m.classified;
    s.summary
        .push(("Kind".into(), format!("{} ({})", c.kind.as_str(), c.reason)));
    s.summary
        .push(("Endpoint".into(), format!("POST {}", c.endpoint(rules))));

    // MSG-SCHEMA
    match c.schema(rules) {
        Some(schema) => {
            s.summary
                .push(("Schema".into(), schema.file_name().to_owned()));
            let errors = schema_errors(schema, m.report);
            if errors.is_empty() {
                s.findings.push(Finding::pass(
                    RuleId::MsgSchema,
                    format!("valid against {}", schema.file_name()),
                ));
            } else {
                let problems: Vec<Problem> = errors
                    .into_iter()
                    .map(|e| Problem {
                        pointer: if e.pointer.is_empty() {
                            "(root)".into()
                        } else {
                            e.pointer
                        },
                        text: e.message,
                    })
                    .collect();
                broken(&mut s.findings, RuleId::MsgSchema, &problems, None);
            }
        }
        None => {
            let shape_ok = m.report.is_object();
            s.findings.push(if shape_ok {
                Finding::skip(
                    RuleId::MsgSchema,
                    format!(
                        "{} publishes no schema for {} reports; fields checked under MSG-IDS",
                        m.profile.interface.as_str(),
                        c.kind.as_str()
                    ),
                )
            } else {
                Finding::fail(
                    RuleId::MsgSchema,
                    format!("the report is {}, not a JSON object", json_type(m.report)),
                )
            });
        }
    }

    let review = content::review(m.report, c.kind, rules, m.expected_sender);

    // MSG-SENDER
    if c.kind == Kind::Update {
        if review.sender.is_empty() {
            let sender = m
                .report
                .get("senderBusinessId")
                .and_then(Value::as_str)
                .unwrap_or("");
            s.findings.push(Finding::pass(
                RuleId::MsgSender,
                match m.expected_sender {
                    Some(_) => format!("senderBusinessId {sender} is the supplier's; creationDateTime present"),
                    None => format!("senderBusinessId {sender} is well-formed (give --business-id to compare); creationDateTime present"),
                },
            ));
        } else {
            broken(&mut s.findings, RuleId::MsgSender, &review.sender, None);
        }
    } else {
        s.findings.push(Finding::skip(
            RuleId::MsgSender,
            "disputable and incorrect reports carry no sender field",
        ));
    }

    // MSG-IDS
    if review.ids.is_empty() {
        s.findings.push(Finding::pass(
            RuleId::MsgIds,
            match c.kind {
                Kind::Update => format!(
                    "{} record keys are UUIDv4; {} role reference(s) checked",
                    review.counts.legal_persons
                        + review.counts.customers
                        + review.counts.accounts
                        + review.counts.safety_deposit_boxes,
                    review.counts.roles
                ),
                _ => "identifiers are UUIDv4".into(),
            },
        ));
    } else {
        broken(&mut s.findings, RuleId::MsgIds, &review.ids, None);
    }
    if !review.earlier.is_empty() {
        listed(
            &mut s.findings,
            RuleId::MsgIds,
            Status::Warn,
            &review.earlier,
            Some(
                "Make sure these records were delivered in an earlier message that the register accepted.",
            ),
        );
    }

    // MSG-SIZE
    let limit = &m.profile.max_message_bytes;
    let size = if m.jwt_len <= limit.value {
        Finding::pass(
            RuleId::MsgSize,
            format!(
                "{} bytes in JWT form ({}), limit {}",
                m.jwt_len, m.jwt_len_basis, limit.value
            ),
        )
    } else {
        Finding::fail(
            RuleId::MsgSize,
            format!(
                "{} bytes in JWT form ({}), over the limit of {} by {}: the register rejects it",
                m.jwt_len,
                m.jwt_len_basis,
                limit.value,
                m.jwt_len - limit.value
            ),
        )
        .with_remedy("Split the report into several messages (`tilicheck message split`) and send them one after another.")
    };
    s.findings.push(size.with_assumption(limit.assumption()));

    // MSG-CONTENT: the form of values; MSG-QUALITY: whether well-formed values add up.
    if review.content.is_empty() {
        s.findings.push(Finding::pass(
            RuleId::MsgContent,
            "identifiers, dates and role types are written in the form the interface requires",
        ));
    } else {
        broken(&mut s.findings, RuleId::MsgContent, &review.content, None);
    }
    if review.quality.is_empty() && review.before_cutoff.is_empty() {
        s.findings.push(Finding::pass(
            RuleId::MsgQuality,
            "check digits (business IDs, IBANs, personal identity codes) add up and dates agree",
        ));
    }
    broken(&mut s.findings, RuleId::MsgQuality, &review.quality, None);
    if !review.before_cutoff.is_empty() {
        let cutoff = rules
            .ended_before_cutoff
            .as_ref()
            .map(|c| c.value)
            .unwrap_or_default();
        broken(
            &mut s.findings,
            RuleId::MsgQuality,
            &review.before_cutoff,
            Some(&format!(
                "The register would accept this, but records and roles that ended before {cutoff} are not to be reported (interface description §4.8): leave them out."
            )),
        );
    }
    if c.kind == Kind::Update {
        s.summary.push((
            "Records".into(),
            format!(
                "{} legal persons, {} customers, {} accounts, {} safety-deposit boxes, {} roles",
                review.counts.legal_persons,
                review.counts.customers,
                review.counts.accounts,
                review.counts.safety_deposit_boxes,
                review.counts.roles
            ),
        ));
    }
    s
}

/// Findings for `problems` that break `rule`: each fails or warns as the catalogue says.
fn broken(out: &mut Vec<Finding>, rule: RuleId, problems: &[Problem], remedy: Option<&str>) {
    listed(
        out,
        rule,
        Status::violation(rule.enforcement()),
        problems,
        remedy,
    );
}

fn listed(
    out: &mut Vec<Finding>,
    rule: RuleId,
    status: Status,
    problems: &[Problem],
    remedy: Option<&str>,
) {
    for p in problems.iter().take(MAX_LISTED) {
        let mut f = Finding::new(rule, status, p.to_string());
        if let Some(r) = remedy {
            f = f.with_remedy(r);
        }
        out.push(f);
    }
    if problems.len() > MAX_LISTED {
        out.push(Finding::new(
            rule,
            status,
            format!("… and {} more like these", problems.len() - MAX_LISTED),
        ));
    }
}

/// Which of the two tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRole {
    Authorization,
    Body,
}

impl TokenRole {
    pub fn name(self) -> &'static str {
        match self {
            TokenRole::Authorization => "Authorization token",
            TokenRole::Body => "body token",
        }
    }
}

/// JWS-ALG, JWS-SIG, JWS-CLAIMS and JWS-SUB for one token against the signing certificate.
pub fn token_subject(
    role: TokenRole,
    input: &str,
    token: Result<&DecodedToken, &JwsError>,
    cert: &CertificateFacts,
    profile: &RegisterProfile,
) -> Subject {
    let verifies = |t: &DecodedToken| verify_rs256(t, &cert.public_key_raw);
    token_subject_with(role, input, token, cert, profile, &verifies)
}

/// `token_subject` with the signature verified by `verifies`, which must answer for `cert`'s
/// own public key: a verifier that checks many tokens keeps that key parsed, or has already
/// verified the token with it.
pub fn token_subject_with(
    role: TokenRole,
    input: &str,
    token: Result<&DecodedToken, &JwsError>,
    cert: &CertificateFacts,
    profile: &RegisterProfile,
    verifies: &dyn Fn(&DecodedToken) -> bool,
) -> Subject {
    let mut s = Subject::new(role.name(), input);
    let t = match token {
        Ok(t) => t,
        Err(e) => {
            s.findings.push(
                Finding::fail(RuleId::JwsAlg, format!("not a compact JWS: {e}"))
                    .with_remedy("Send the token exactly as signed: three base64url parts separated by '.', no padding, no line breaks."),
            );
            return s;
        }
    };
    let rules = profile.message;
    let alg = t.header.get("alg").and_then(Value::as_str).unwrap_or("");
    let typ = t.header.get("typ").and_then(Value::as_str);
    s.summary
        .push(("Header".into(), Value::Object(t.header.clone()).to_string()));

    // JWS-ALG
    s.findings.push(match alg {
        "RS256" if typ == Some(rules.jose_typ.value) => {
            Finding::pass(RuleId::JwsAlg, "alg RS256, typ JWT")
        }
        "RS256" => Finding::fail(
            RuleId::JwsAlg,
            format!("alg RS256 but typ is {}, not \"{}\"", typ.map_or("missing".into(), |t| format!("\"{t}\"")), rules.jose_typ.value),
        ),
        "none" | "None" | "NONE" => Finding::fail(
            RuleId::JwsAlg,
            "alg \"none\": the token is unsigned; the register never accepts it",
        ),
        a if a.starts_with("HS") => Finding::fail(
            RuleId::JwsAlg,
            format!("alg {a} is an HMAC with a shared secret; the register verifies RS256 with your certificate only, so this is rejected (and a verifier that accepted it with the public key as secret would be broken)"),
        ),
        "" => Finding::fail(RuleId::JwsAlg, "the header has no alg"),
        a => Finding::fail(RuleId::JwsAlg, format!("alg {a}; the register accepts RS256 only")),
    });
    if t.header.contains_key("crit") {
        s.findings.push(Finding::fail(
            RuleId::JwsAlg,
            "the header has crit: extensions the register does not understand must be rejected",
        ));
    }

    // JWS-SIG: always checked as RS256, whatever the header claims.
    s.findings.push(match &cert.key {
        KeyFacts::Rsa { .. } if t.signature.is_empty() => Finding::fail(
            RuleId::JwsSig,
            "the token carries no signature at all; the register rejects it",
        ),
        KeyFacts::Rsa { .. } => {
            if verifies(t) {
                if alg == "RS256" {
                    Finding::pass(RuleId::JwsSig, "RS256 signature verifies with the certificate's public key")
                } else {
                    Finding::fail(RuleId::JwsSig, format!("the bytes carry a valid RS256 signature but the header says alg {alg:?}"))
                }
            } else {
                Finding::fail(
                    RuleId::JwsSig,
                    "the RS256 signature does not verify with the certificate's public key: the token was altered after signing, or signed with a key that does not belong to the certificate you delivered to Customs; the register rejects it",
                )
            }
        }
        _ => Finding::fail(
            RuleId::JwsSig,
            "the certificate's key is not RSA, so no RS256 token can verify with it",
        ),
    });

    // JWS-CLAIMS
    let problems = claim_problems(role, &t.payload, rules.claims.value);
    if problems.is_empty() {
        s.findings.push(Finding::pass(
            RuleId::JwsClaims,
            format!(
                "claims {} as {} requires",
                keys(&t.payload),
                profile.interface.as_str()
            ),
        ));
    } else {
        for p in problems {
            s.findings.push(Finding::fail(RuleId::JwsClaims, p));
        }
    }

    // JWS-SUB
    let sub_rule = &rules.sub_is_serial_number;
    let sub = check_sub(t.payload.get("sub"), cert);
    s.findings.push(match sub.assumption {
        Some(_) => sub,
        None => sub.with_assumption(sub_rule.assumption()),
    });
    s
}

fn keys(m: &serde_json::Map<String, Value>) -> String {
    m.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
}

fn claim_problems(
    role: TokenRole,
    p: &serde_json::Map<String, Value>,
    style: TokenClaims,
) -> Vec<String> {
    let mut out = Vec::new();
    if !p.get("sub").is_some_and(Value::is_string) {
        out.push("sub is missing or not a string".to_owned());
    }
    let reports: Vec<&str> = Kind::CLAIMS
        .into_iter()
        .filter(|c| p.contains_key(*c))
        .collect();
    match style {
        TokenClaims::AudienceAndObject { audience } => {
            match p.get("aud") {
                Some(Value::String(a)) if a == audience => {}
                Some(other) => out.push(format!("aud is {other}, must be \"{audience}\"")),
                None => out.push(format!("aud is missing; it must be \"{audience}\"")),
            }
            if role == TokenRole::Body {
                body_report_claim(&mut out, p, &reports, true);
            }
        }
        TokenClaims::SenderIdAndString => {
            if role == TokenRole::Authorization
                && !p.get("senderBusinessId").is_some_and(Value::is_string)
            {
                out.push(
                    "senderBusinessId is missing or not a string (v1.0.4 Authorization token)"
                        .into(),
                );
            }
            if role == TokenRole::Body {
                body_report_claim(&mut out, p, &reports, false);
            }
        }
    }
    if role == TokenRole::Authorization && !reports.is_empty() {
        out.push(format!(
            "the Authorization token carries {}; the report belongs in the body token",
            reports.join(", ")
        ));
    }
    out
}

fn body_report_claim(
    out: &mut Vec<String>,
    p: &serde_json::Map<String, Value>,
    reports: &[&str],
    object: bool,
) {
    match reports {
        [one] => {
            let v = &p[*one];
            if object && !v.is_object() {
                out.push(format!("{one} is {}; this interface version embeds the report as a JSON object", json_type(v)));
            }
            if !object && !v.is_string() {
                out.push(format!("{one} is {}; v1.0.4 carries the report as a JSON string", json_type(v)));
            }
        }
        [] => out.push("the body token carries no report claim (reportUpdate, reportDisputable or reportIncorrect)".into()),
        many => out.push(format!("the body token carries {} report claims ({}); exactly one is allowed", many.len(), many.join(", "))),
    }
}

/// `sub` must equal the certificate's subject serialNumber character for character.
fn check_sub(sub: Option<&Value>, cert: &CertificateFacts) -> Finding {
    let Some(sub) = sub.and_then(Value::as_str) else {
        return Finding::fail(RuleId::JwsSub, "no sub claim to compare");
    };
    if cert.subject_serial_numbers.iter().any(|s| s == sub) {
        return Finding::pass(
            RuleId::JwsSub,
            format!("sub {sub:?} equals the certificate's serialNumber"),
        );
    }
    if cert.subject_serial_numbers.is_empty() {
        let org = cert.organization_identifiers.iter().any(|o| o == sub);
        return Finding::warn(
            RuleId::JwsSub,
            format!(
                "the certificate has no subject serialNumber to compare sub {sub:?} with{}",
                if org { " (it equals the organizationIdentifier)" } else { "" }
            ),
        )
        .with_assumption(Some("the interface description states the rule for serialNumber only; eIDAS certificates carry organizationIdentifier".into()));
    }
    let expected = &cert.subject_serial_numbers[0];
    let hint = first_difference(sub, expected);
    Finding::fail(
        RuleId::JwsSub,
        format!(
            "sub {sub:?} differs from the certificate's serialNumber {expected:?}{hint}: the register rejects it"
        ),
    )
}

fn first_difference(a: &str, b: &str) -> String {
    let i = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    if a.chars().count() == b.chars().count() || i < a.chars().count().min(b.chars().count()) {
        format!(" (first difference at character {})", i + 1)
    } else {
        format!(" (lengths {} and {})", a.chars().count(), b.chars().count())
    }
}
