//! Sending a report to the register: validate, sign, check the server is the register, POST
//! over mutual TLS, judge the answer. [`client`] moves the bytes; [`answer`] explains them.

pub mod answer;
pub mod client;
pub mod endpoint;
pub mod journal;
pub mod verdicts;

use std::time::Duration;

use serde_json::Value;

use crate::checks::message::{MessageInput, message_subject, unreadable_message};
use crate::checks::register::register_certificate;
use crate::checks::trust::TrustContext;
use crate::findings::{Finding, Status, Subject};
use crate::message::content::ExpectedSender;
use crate::message::jws::{self, SigningKey};
use crate::message::kind::{self, Category, Kind};
use crate::message::parse::ParseError;
use crate::message::request::{self, RequestParts};
use crate::profile::{RegisterProfile, RuleId};
use crate::tls::handshake::ClientIdentity;
use crate::tls::probe::Target;
use answer::Verdict;

/// The whole exchange may take this long (connect to last byte of the answer).
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);

/// The signing key and the `sub` its certificate gives.
pub struct Signer {
    pub key: SigningKey,
    pub sub: String,
}

impl Signer {
    /// The business ID `sub` names, if it is one of the written forms.
    pub fn business_id(&self) -> Option<crate::identity::BusinessId> {
        crate::identity::parse_written(&self.sub).ok().map(|w| w.id)
    }
}

/// A message read from a file.
pub struct Message<'a> {
    /// How the file is named in reports.
    pub input: &'a str,
    pub text: &'a str,
    pub parsed: &'a Result<Value, ParseError>,
    pub kind: Option<Kind>,
    pub category: Option<Category>,
    pub expected_sender: Option<ExpectedSender<'a>>,
}

/// A signed request, ready to go.
pub struct Prepared {
    /// What is sent (and what `--dry-run` writes, as bytes on the wire).
    pub request: crate::net::http::Request,
    pub correlation_id: String,
    /// SHA-256 of the signed body token, hex: the same message sent again has the same one.
    pub body_sha256: String,
    pub path: &'static str,
    /// The message's own findings (MSG-*, JWS size).
    pub message: Subject,
    pub report: Value,
}

fn failed(s: &Subject) -> bool {
    s.findings
        .iter()
        .any(|f| matches!(f.status, Status::Fail | Status::Error))
}

/// Validate and sign; `Err` holds the findings that make the message unsendable.
pub fn prepare(
    m: &Message<'_>,
    signer: &Signer,
    host: &str,
    correlation_id: String,
    profile: &RegisterProfile,
) -> Result<Prepared, Box<Subject>> {
    let value = match m.parsed {
        Ok(v) => v,
        Err(e) => return Err(Box::new(unreadable_message(m.input, e))),
    };
    let c = kind::classify(value, profile.message, m.kind, m.category);
    let sender = value
        .get("senderBusinessId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| m.expected_sender.map(|e| e.id.business_id_form()))
        .unwrap_or_else(|| signer.sub.clone());
    let (auth_claims, body_claims) = jws::claims(
        profile.message.claims.value,
        c.kind,
        &signer.sub,
        &sender,
        m.text,
        value,
    );
    let tokens = match jws::sign(&signer.key, &auth_claims, &body_claims) {
        Ok(t) => t,
        Err(e) => {
            let mut s = Subject::new("message", m.input);
            s.findings.push(Finding::error(
                RuleId::JwsClaims,
                format!("cannot sign: {e}"),
            ));
            return Err(Box::new(s));
        }
    };
    let message = message_subject(
        m.input,
        &MessageInput {
            report: value,
            classified: &c,
            expected_sender: m.expected_sender,
            jwt_len: tokens.body.len(),
            jwt_len_basis: "measured: the signed body token",
            profile,
        },
    );
    if failed(&message) {
        return Err(Box::new(message));
    }
    let path = c.endpoint(profile.message);
    let request = request::request(&RequestParts {
        host,
        path,
        content_type: profile.message.content_type.value,
        correlation_id: &correlation_id,
        tokens: &tokens,
    });
    Ok(Prepared {
        request,
        correlation_id,
        body_sha256: journal::sha256_hex(tokens.body.as_bytes()),
        path,
        message,
        report: value.clone(),
    })
}

/// What one delivery attempt found.
pub struct Delivery {
    /// The server's certificate judged as the register's (None when no handshake happened).
    pub register: Option<Subject>,
    /// The answer's findings.
    pub answer: Subject,
    pub verdict: Verdict,
}

/// Connect, make sure the server is the register, send, judge the answer.
pub fn deliver(
    target: &Target,
    identity: &ClientIdentity,
    ctx: &TrustContext,
    profile: &RegisterProfile,
    prepared: &Prepared,
    total: Duration,
) -> Delivery {
    let endpoint = target.endpoint();
    let mut answer = Subject::new("answer", format!("POST {}{}", endpoint, prepared.path));
    answer
        .summary
        .push(("X-Correlation-ID".into(), prepared.correlation_id.clone()));
    let session = match client::connect(target, identity) {
        Ok(s) => s,
        Err(e) => {
            let (verdict, f) = answer::judge_failure(&e);
            answer.findings.push(f);
            return Delivery {
                register: None,
                answer,
                verdict,
            };
        }
    };
    let register = register_certificate(&session.chain, &endpoint, ctx, profile);
    if failed(&register) {
        answer.findings.push(
            Finding::fail(
                RuleId::SendAnswer,
                "not sent: the server's certificate is not the register's (see REG-CERT / CERT-ISSUER)",
            )
            .with_remedy("Check the endpoint; for a test register, name its CA with --trust-only."),
        );
        return Delivery {
            register: Some(register),
            answer,
            verdict: Verdict::Rejected,
        };
    }
    if let Some(v) = &session.version {
        answer.summary.push(("TLS".into(), v.clone()));
    }
    let (verdict, findings) = match session.exchange(&prepared.request, target.read_timeout, total)
    {
        Ok(a) => answer::judge_answer(&a, &prepared.correlation_id, Some(&prepared.report)),
        Err(e) => {
            let (v, f) = answer::judge_failure(&e);
            (v, vec![f])
        }
    };
    answer.findings.extend(findings);
    Delivery {
        register: Some(register),
        answer,
        verdict,
    }
}
