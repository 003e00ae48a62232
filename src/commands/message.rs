//! `tilicheck message …`: read a report strictly, judge it, sign it, verify tokens.

use std::path::Path;

use serde_json::Value;

use crate::checks::message::{MessageInput, message_subject, unreadable_message};
use crate::cli::{
    MessageCommand, MessageGenerateArgs, MessageKindArgs, MessageSignArgs, MessageSplitArgs,
    MessageValidateArgs, RunOptions,
};
use crate::commands::cert::{LoadedCert, signing_certificate};
use crate::commands::{CommandError, check_time, emit_report, write_output};
use crate::findings::{Report, Status, Subject};
use crate::identity::BusinessId;
use crate::message::content::{ExpectedSender, SenderSource};
use crate::message::finnish_ids::is_uuid_v4;
use crate::message::jws::{self, SigningKey};
use crate::message::kind::{self, Category, Classified};
use crate::message::parse::{self, ParseError};
use crate::message::request::{self, RequestParts};
use crate::pki::load;
use crate::profile::RegisterProfile;
use crate::render::Format;
use crate::secret::PasswordSource;

pub fn run(cmd: &MessageCommand, g: &RunOptions) -> Result<u8, CommandError> {
    match cmd {
        MessageCommand::Validate(a) => emit_report(&validate(a, g)?, g),
        MessageCommand::Sign(a) => sign(a, g),
        MessageCommand::Verify(a) => emit_report(&super::message_verify::verify(a, g)?, g),
        MessageCommand::Split(a) => split(a, g),
        MessageCommand::Generate(a) => generate(a, g),
        MessageCommand::Diff(a) => crate::commands::diff::run(a, g),
        MessageCommand::Dispute(a) => crate::commands::dispute::run(a, g),
    }
}

/// A report file read and parsed; a parse failure is a finding, not an abort.
struct ReadReport {
    text: String,
    parsed: Result<Value, ParseError>,
}

fn read_report(path: &Path, profile: &RegisterProfile) -> Result<ReadReport, CommandError> {
    let limit = parse::read_limit(profile.max_message_bytes.value);
    let bytes = parse::read_bounded(path, limit)
        .map_err(|e| CommandError::Input(format!("{}: {e}", path.display())))?;
    let parsed = parse::parse_bytes(&bytes);
    let text = String::from_utf8(bytes).unwrap_or_default();
    Ok(ReadReport { text, parsed })
}

pub(super) fn category(n: Option<u8>) -> Option<Category> {
    n.and_then(Category::from_number)
}

fn classify(report: &Value, profile: &RegisterProfile, k: &MessageKindArgs) -> Classified {
    kind::classify(report, profile.message, k.kind, category(k.category))
}

/// The body token's length with a signature of `signature_bytes` and a 9-character sub.
fn estimated_jwt_len(
    profile: &RegisterProfile,
    c: &Classified,
    text: &str,
    report: &Value,
    signature_bytes: usize,
) -> usize {
    let placeholder = "1234567-8";
    let (_, body) = jws::claims(
        profile.message.claims.value,
        c.kind,
        placeholder,
        placeholder,
        text,
        report,
    );
    jws::compact_len(&body, signature_bytes)
}

fn validate(a: &MessageValidateArgs, g: &RunOptions) -> Result<Report, CommandError> {
    let profile = g.interface.profile();
    let input = a.file.display().to_string();
    let read = read_report(&a.file, profile)?;
    let mut report = Report::new("message validate", g.interface, check_time(g));
    let subject = match &read.parsed {
        Err(e) => unreadable_message(&input, e),
        Ok(value) => {
            let c = classify(value, profile, &a.kind);
            let signature_bytes = (profile.min_rsa_bits.value / 8) as usize;
            let jwt_len = estimated_jwt_len(profile, &c, &read.text, value, signature_bytes);
            let basis = format!(
                "estimated for an RSA-{} signature and a 9-character sub",
                profile.min_rsa_bits.value
            );
            message_subject(
                &input,
                &MessageInput {
                    report: value,
                    classified: &c,
                    expected_sender: a
                        .business_id
                        .as_ref()
                        .map(|id| ExpectedSender::new(id, SenderSource::BusinessIdOption)),
                    jwt_len,
                    jwt_len_basis: &basis,
                    profile,
                },
            )
        }
    };
    report.subjects.push(subject);
    Ok(report)
}

/// Whether `s` stops signing: a failure or an error, or under `--strict` any warning too.
/// Warnings alone (data quality the register does not check) do not: it would accept them.
fn stops_signing(s: &Subject, strict: bool) -> bool {
    s.findings.iter().any(|f| match f.status {
        Status::Fail | Status::Error => true,
        Status::Warn => strict,
        Status::Pass | Status::Skip => false,
    })
}

fn sign(a: &MessageSignArgs, g: &RunOptions) -> Result<u8, CommandError> {
    let profile = g.interface.profile();
    let at = check_time(g);
    let input = a.file.display().to_string();
    let correlation_id = match &a.correlation_id {
        Some(id) if is_uuid_v4(id) => id.clone(),
        Some(id) => {
            return Err(CommandError::Usage(format!(
                "--correlation-id {id:?} is not a UUIDv4 (lower-case, hyphenated, version 4)"
            )));
        }
        None => uuid::Uuid::new_v4().hyphenated().to_string(),
    };
    let password = a.password.source();
    let cert = LoadedCert::load(&a.cert, Some(&a.key), &password)?;
    let key = load::read_private_key(&a.key, &password)
        .map_err(|e| CommandError::Input(e.to_string()))?;
    let read = read_report(&a.file, profile)?;
    let mut report = Report::new("message sign", g.interface, at);

    // The certificate must be fit for signing, or the register rejects every token.
    let cert_subject = signing_certificate(
        &cert,
        &a.cert,
        a.chain.as_deref(),
        a.business_id,
        &a.trust,
        at,
        profile,
    )?;
    let cert_ok = !stops_signing(&cert_subject, g.strict);
    report.subjects.push(cert_subject);

    let value = match &read.parsed {
        Ok(v) => v,
        Err(e) => {
            report.subjects.push(unreadable_message(&input, e));
            return refuse(&report, g);
        }
    };
    let c = classify(value, profile, &a.kind);
    let sub = cert.facts.identifier().map(str::to_owned).ok_or_else(|| {
        CommandError::Input(format!(
            "{}: the certificate's subject has no serialNumber or organizationIdentifier to put in sub",
            a.cert.display()
        ))
    })?;
    let sender = value
        .get("senderBusinessId")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| a.business_id.map(|b| b.business_id_form()))
        .unwrap_or_else(|| sub.clone());
    let (auth_claims, body_claims) = jws::claims(
        profile.message.claims.value,
        c.kind,
        &sub,
        &sender,
        &read.text,
        value,
    );
    let signing_key = SigningKey::from_private_key(&key.der)
        .map_err(|e| CommandError::Input(format!("{}: {e}", a.key.display())))?;
    let tokens = jws::sign(&signing_key, &auth_claims, &body_claims)
        .map_err(|e| CommandError::Input(format!("{}: {e}", a.key.display())))?;

    let message = message_subject(
        &input,
        &MessageInput {
            report: value,
            classified: &c,
            expected_sender: a
                .business_id
                .as_ref()
                .map(|id| ExpectedSender::new(id, SenderSource::BusinessIdOption)),
            jwt_len: tokens.body.len(),
            jwt_len_basis: "measured: the signed body token",
            profile,
        },
    );
    let message_ok = !stops_signing(&message, g.strict);
    report.subjects.push(message);
    if !(cert_ok && message_ok) {
        return refuse(&report, g);
    }

    let parts = RequestParts {
        host: &a.host,
        path: c.endpoint(profile.message),
        content_type: profile.message.content_type.value,
        correlation_id: &correlation_id,
        tokens: &tokens,
    };
    if let Some(path) = &a.request {
        crate::atomic_file::replace(path, request::http_request(&parts).as_bytes()).map_err(
            |e| CommandError::Input(format!("{}: cannot write request: {e}", path.display())),
        )?;
        eprintln!(
            "tilicheck: wrote {} (POST {}, X-Correlation-ID {correlation_id})",
            path.display(),
            parts.path
        );
    }
    let out = if a.curl {
        request::curl_command(&parts)
    } else if a.request.is_some() {
        String::new()
    } else {
        match g.format {
            Format::Json => {
                let doc = serde_json::json!({
                    "endpoint": parts.path,
                    "correlation_id": correlation_id,
                    "authorization": format!("Bearer {}", tokens.authorization),
                    "body": tokens.body,
                });
                format!("{doc:#}\n")
            }
            // Csv, Html and Openmetrics were refused in `run`.
            Format::Text | Format::Csv | Format::Html | Format::Openmetrics | Format::Junit => {
                format!(
                    "Authorization: Bearer {}\n\n{}\n",
                    tokens.authorization, tokens.body
                )
            }
        }
    };
    if !out.is_empty() {
        write_output(g.output.as_deref(), &out)?;
    }
    Ok(0)
}

/// Print why nothing was signed; the exit code is the report's (1 for a failure).
fn refuse(report: &Report, g: &RunOptions) -> Result<u8, CommandError> {
    let t = report.tally();
    if t.fail > 0 || t.error > 0 {
        eprintln!(
            "tilicheck: not signed: the certificate or the message would be rejected (see the report)"
        );
    } else {
        eprintln!(
            "tilicheck: not signed: --strict, and the report has warnings (the register would accept it; see the report)"
        );
    }
    emit_report(report, g).map(|code| code.max(1))
}

fn generate(a: &MessageGenerateArgs, g: &RunOptions) -> Result<u8, CommandError> {
    const MAX_RECORDS: usize = 10_000_000;
    if a.records > MAX_RECORDS {
        return Err(CommandError::Usage(format!(
            "--records {} is more than {MAX_RECORDS}",
            a.records
        )));
    }
    let sender = match (&a.business_id, &a.cert) {
        (Some(id), _) => Some(id.business_id_form()),
        (None, Some(cert)) => Some(certificate_business_id(cert)?.business_id_form()),
        (None, None) => None,
    };
    let value = crate::message::generate::report(
        a.records,
        a.seed,
        sender.as_deref(),
        g.interface.profile().message,
    );
    let text = serde_json::to_string_pretty(&value)
        .map_err(|e| CommandError::Input(format!("cannot serialise the report: {e}")))?;
    write_output(g.output.as_deref(), &format!("{text}\n"))?;
    if sender.is_none() {
        let made = value
            .get("senderBusinessId")
            .and_then(Value::as_str)
            .unwrap_or("?");
        eprintln!(
            "tilicheck: senderBusinessId is {made}, generated at random: the register (and tilicheck serve) refuses a report that is not in its signer's name; give --cert SIGNING_CERT or --business-id ID to generate one in yours"
        );
    }
    Ok(0)
}

/// The business ID a signing certificate's identifier names.
fn certificate_business_id(cert: &Path) -> Result<BusinessId, CommandError> {
    let loaded = LoadedCert::load(cert, None, &PasswordSource::None)?;
    let written = loaded
        .facts
        .identifier()
        .map(str::to_owned)
        .ok_or_else(|| {
            CommandError::Input(format!(
                "{}: the certificate's subject has no serialNumber or organizationIdentifier",
                cert.display()
            ))
        })?;
    crate::identity::parse_written(&written)
        .map(|w| w.id)
        .map_err(|e| {
            CommandError::Input(format!(
                "{}: the certificate's identifier {written:?} is not a business ID or VAT number ({e}); give --business-id",
                cert.display()
            ))
        })
}

fn split(a: &MessageSplitArgs, g: &RunOptions) -> Result<u8, CommandError> {
    let profile = g.interface.profile();
    let summary = crate::message::split::split(&a.file, &a.out, profile).map_err(|e| {
        if e.is_rule_failure() {
            CommandError::Rejected(format!("{}: {e}", a.file.display()))
        } else {
            CommandError::Input(e.to_string())
        }
    })?;
    let [lp, cu, ac, sd] = summary.records;
    let first = summary
        .parts
        .first()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let last = summary
        .parts
        .last()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if g.format == Format::Json {
        let doc = serde_json::json!({
            "parts": summary.parts.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "records": {"legalPersons": lp, "customers": cu, "accounts": ac, "safetyDepositBoxes": sd},
            "largest_jwt_bytes": summary.largest_jwt,
            "limit_bytes": profile.max_message_bytes.value,
            "input_bytes": summary.input_bytes,
        });
        write_output(g.output.as_deref(), &format!("{doc:#}\n"))?;
        return Ok(0);
    }
    let text = format!(
        "{n} message(s) written: {first} … {last}\n\
         records: {lp} legal persons, {cu} customers, {ac} accounts, {sd} safety-deposit boxes\n\
         largest message: {largest} bytes in JWT form (limit {limit}; sized for a sub of up to {sub} characters and an RSA-{bits} signature)\n\
         send them in order, each after the previous one was answered 200\n",
        n = summary.parts.len(),
        largest = summary.largest_jwt,
        limit = profile.max_message_bytes.value,
        sub = crate::message::split::SUB_BUDGET,
        bits = crate::message::split::SIGNATURE_BUDGET * 8,
    );
    write_output(g.output.as_deref(), &text)?;
    Ok(0)
}
