//! `tilicheck message verify`: the two tokens of a signed report, or a whole request file,
//! checked as the register checks them.

use std::path::Path;

use serde_json::Value;

use crate::checks::message::{
    MessageInput, TokenRole, message_subject, token_subject, unreadable_message,
};
use crate::cli::{MessageVerifyArgs, RunOptions};
use crate::commands::cert::{LoadedCert, signing_certificate};
use crate::commands::{CommandError, check_time};
use crate::findings::{Finding, Report, Status, Subject};
use crate::message::content::{ExpectedSender, SenderSource};
use crate::message::finnish_ids::is_uuid_v4;
use crate::message::jws::{self};
use crate::message::kind::{self, Category, Kind};
use crate::message::parse::{self};
use crate::message::request::{self};
use crate::profile::{RegisterProfile, RuleId};
use crate::secret::PasswordSource;

pub(super) fn verify(a: &MessageVerifyArgs, g: &RunOptions) -> Result<Report, CommandError> {
    let profile = g.interface.profile();
    let at = check_time(g);
    let loaded = LoadedCert::load(&a.cert, None, &PasswordSource::None)?;
    let mut cert_subject = signing_certificate(
        &loaded,
        &a.cert,
        a.chain.as_deref(),
        a.business_id,
        &a.trust,
        at,
        profile,
    )?;
    as_register_answer(&mut cert_subject, profile);
    let cert = &loaded.facts;
    // Tokens are base64 of the message: room for 4/3 of the limit and the header.
    let limit = parse::read_limit(profile.max_message_bytes.value) * 2;
    let read_text = |path: &Path| -> Result<String, CommandError> {
        let bytes = parse::read_bounded(path, limit)
            .map_err(|e| CommandError::Input(format!("{}: {e}", path.display())))?;
        parse::utf8(&bytes)
            .map(str::to_owned)
            .map_err(|e| CommandError::Input(format!("{}: {e}", path.display())))
    };
    let mut report = Report::new("message verify", g.interface, at);
    report.subjects.push(cert_subject);
    let (auth, body, input, request_subject) = match (&a.request, &a.authorization, &a.body) {
        (Some(path), _, _) => {
            let text = read_text(path)?;
            let req = request::parse_request(&text)
                .map_err(|e| CommandError::Input(format!("{}: {e}", path.display())))?;
            let auth = req.bearer().map(str::to_owned).ok_or_else(|| {
                CommandError::Input(format!(
                    "{}: has no Authorization: Bearer header",
                    path.display()
                ))
            })?;
            let input = path.display().to_string();
            let subject = request_subject_of(&req, &input);
            (auth, req.body, input, Some((subject, req.path)))
        }
        (None, Some(auth), Some(body_path)) => {
            let auth = match auth.strip_prefix('@') {
                Some(file) => read_text(Path::new(file))?,
                None => auth.clone(),
            };
            let auth = request::bearer_token(&auth)
                .unwrap_or(auth.trim())
                .to_owned();
            let body = read_text(body_path)?;
            (auth, body, body_path.display().to_string(), None)
        }
        _ => {
            return Err(CommandError::Usage(
                "give --request FILE, or --authorization TOKEN with --body FILE".into(),
            ));
        }
    };
    let auth_token = jws::decode(&auth);
    let body_token = jws::decode(&body);
    report.subjects.push(token_subject(
        TokenRole::Authorization,
        &input,
        auth_token.as_ref(),
        cert,
        profile,
    ));
    report.subjects.push(token_subject(
        TokenRole::Body,
        &input,
        body_token.as_ref(),
        cert,
        profile,
    ));
    if let Ok(t) = &body_token
        && let Some(s) = message_from_body(t, &input, profile, a)
    {
        report.subjects.push(s);
    }
    if let Some((mut subject, path)) = request_subject {
        if let Ok(t) = &body_token
            && let Some(kind) = Kind::CLAIMS
                .into_iter()
                .find(|c| t.payload.contains_key(*c))
                .and_then(Kind::from_claim)
        {
            subject
                .findings
                .push(endpoint_finding(&path, kind, t, profile, a));
        }
        report.subjects.push(subject);
    }
    Ok(report)
}

fn request_subject_of(req: &request::ParsedRequest, input: &str) -> Subject {
    let mut s = Subject::new("request", input);
    s.summary.push((
        "Request".into(),
        format!("{} {} {}", req.method, req.path, req.version),
    ));
    s.findings.push(if req.version == "HTTP/1.1" {
        Finding::pass(RuleId::HttpVersion, "request line says HTTP/1.1")
    } else {
        Finding::fail(
            RuleId::HttpVersion,
            format!(
                "request line says {}; the interface uses HTTP/1.1 only",
                req.version
            ),
        )
    });
    s.findings.push(match req.header("x-correlation-id") {
        Some(id) if is_uuid_v4(id) => Finding::pass(
            RuleId::SendSequential,
            format!("X-Correlation-ID {id} is a UUIDv4"),
        ),
        Some(id) => Finding::fail(
            RuleId::SendSequential,
            format!("X-Correlation-ID {id:?} is not a UUIDv4"),
        ),
        None => Finding::warn(
            RuleId::SendSequential,
            "no X-Correlation-ID: the register makes one up, and you cannot later name this message in a disputable or incorrect report",
        ),
    });
    if req.method != "POST" {
        s.findings.push(Finding::fail(
            RuleId::HttpVersion,
            format!(
                "method {}; the interface takes POST only (405 otherwise)",
                req.method
            ),
        ));
    }
    s
}

fn endpoint_finding(
    path: &str,
    kind: Kind,
    body: &jws::DecodedToken,
    profile: &RegisterProfile,
    a: &MessageVerifyArgs,
) -> Finding {
    let report = body
        .payload
        .get(kind.claim())
        .cloned()
        .unwrap_or(Value::Null);
    let c = kind::classify(
        &report,
        profile.message,
        Some(kind),
        a.category.and_then(Category::from_number),
    );
    let expected = c.endpoint(profile.message);
    if path.ends_with(expected) {
        Finding::pass(
            RuleId::JwsClaims,
            format!("{} is sent to {expected}", kind.claim()),
        )
    } else {
        Finding::fail(
            RuleId::JwsClaims,
            format!(
                "{} is sent to {path}; it belongs at {expected}",
                kind.claim()
            ),
        )
    }
}

/// The report inside the body token, judged like `message validate` would.
fn message_from_body(
    t: &jws::DecodedToken,
    input: &str,
    profile: &RegisterProfile,
    a: &MessageVerifyArgs,
) -> Option<Subject> {
    let (claim, v) = Kind::CLAIMS
        .into_iter()
        .find_map(|c| t.payload.get(c).map(|v| (c, v)))?;
    let kind = Kind::from_claim(claim)?;
    let name = format!("{input} ({claim})");
    let parsed;
    let (text, value) = match v {
        Value::String(s) => match parse::parse_strict(s) {
            Ok(p) => {
                parsed = p;
                (s.as_str(), &parsed)
            }
            Err(e) => return Some(unreadable_message(&name, &e)),
        },
        other => ("", other),
    };
    let c = kind::classify(
        value,
        profile.message,
        Some(kind),
        a.category.and_then(Category::from_number),
    );
    Some(message_subject(
        &name,
        &MessageInput {
            report: value,
            classified: &c,
            expected_sender: a
                .business_id
                .as_ref()
                .map(|id| ExpectedSender::new(id, SenderSource::BusinessIdOption)),
            jwt_len: t.len,
            jwt_len_basis: if text.is_empty() {
                "measured: the body token"
            } else {
                "measured: the body token (report as a string)"
            },
            profile,
        },
    ))
}

/// In `verify`, a certificate failure is told as what the register answers to tokens signed
/// with that certificate.
fn as_register_answer(subject: &mut Subject, profile: &RegisterProfile) {
    let status = &profile.interface.serve_rules().auth_failure_status;
    let failed: Vec<&'static str> = subject
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| f.rule.as_str())
        .collect();
    if failed.is_empty() {
        return;
    }
    let answer = format!(
        "{}: the register does not accept tokens signed with a certificate that fails {}",
        status.value,
        failed.join(", ")
    );
    for f in subject
        .findings
        .iter_mut()
        .filter(|f| f.status == Status::Fail)
    {
        f.detail = format!(
            "{}; the register would answer {} to tokens signed with this certificate",
            f.detail, status.value
        );
        if f.assumption.is_none() {
            f.assumption = status.assumption();
        }
    }
    subject.summary.push(("Register's answer".into(), answer));
}
