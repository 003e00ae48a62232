//! `tilicheck send FILE --endpoint URL`: validate, sign, POST over mutual TLS, explain the
//! answer. The pieces `demo` (and readiness) reuse live here too.

use std::path::Path;

use time::OffsetDateTime;

use crate::checks::cert::CertCheck;
use crate::checks::identity::{ExpectedIds, Purpose};
use crate::checks::trust::TrustContext;
use crate::cli::{RunOptions, SendArgs};
use crate::commands::cert::LoadedCert;
use crate::commands::send_ledger::{SendLedger, Sent};
use crate::commands::{CommandError, check_time, emit_report};
use crate::findings::{Report, Subject};
use crate::identity::BusinessId;
use crate::message::jws::SigningKey;
use crate::message::kind::{Category, Kind};
use crate::message::parse;
use crate::pki::load;
use crate::profile::RegisterProfile;
use crate::secret::PasswordSource;
use crate::send::answer::Verdict;
use crate::send::endpoint::Route;
use crate::send::journal;
use crate::send::verdicts::{
    correlation_id, expected_sender, ledger_failed, resent_refused, signed_differently,
};
use crate::send::{self, Message, Prepared, Signer, TOTAL_TIMEOUT};
use crate::tls::endpoint::load_identity;
use crate::tls::handshake::ClientIdentity;

/// The signing certificate checked for signing, and the signer it gives.
pub fn load_signer(
    cert: &Path,
    key: &Path,
    password: &PasswordSource,
    expected: ExpectedIds,
    at: OffsetDateTime,
    profile: &RegisterProfile,
) -> Result<(Subject, Signer), CommandError> {
    let loaded = LoadedCert::load(cert, Some(key), password)?;
    let subject = CertCheck {
        facts: &loaded.facts,
        key: &loaded.key,
        purpose: Purpose::Signing,
        expected,
        at,
        profile,
        // A signing certificate's CERT-QWAC does not depend on the path or the lists.
        dvv_root: None,
        qualification: None,
    }
    .subject(&cert.display().to_string());
    let private =
        load::read_private_key(key, password).map_err(|e| CommandError::Input(e.to_string()))?;
    let key_obj = SigningKey::from_private_key(&private.der)
        .map_err(|e| CommandError::Input(format!("{}: {e}", key.display())))?;
    let sub = loaded.facts.identifier().map(str::to_owned).ok_or_else(|| {
        CommandError::Input(format!(
            "{}: the certificate's subject has no serialNumber or organizationIdentifier to put in sub",
            cert.display()
        ))
    })?;
    Ok((subject, Signer { key: key_obj, sub }))
}

/// The smallest valid update report for `sender`: one customer, one account.
pub fn minimal_message(profile: &RegisterProfile, sender: &BusinessId) -> String {
    let value =
        crate::message::generate::report(1, 1, Some(&sender.business_id_form()), profile.message);
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// `https://host[:port][/path]` or `host[:port]` → host, port and the endpoint the path names.
/// Without a path the request's path follows from the report's kind and category; a path must
/// be one of `interface`'s endpoints (see [`send::endpoint`]).
pub fn parse_endpoint_url(
    url: &str,
    interface: crate::profile::Interface,
) -> Result<(String, u16, Option<Route>), CommandError> {
    if url.starts_with("http://") {
        return Err(CommandError::Usage(format!(
            "--endpoint {url}: the register speaks HTTPS only"
        )));
    }
    let (authority, path) = send::endpoint::split_url(url);
    let route = send::endpoint::route_of(path, interface)
        .map_err(|e| CommandError::Usage(format!("--endpoint {url}: {e}")))?;
    let (host, port) = crate::tls::endpoint::parse_endpoint(authority)?;
    Ok((host, port, route))
}

/// The kind and category to send as: `--kind`/`--category`, or what the endpoint's path says
/// (then they must agree).
fn kind_and_category(
    args: &SendArgs,
    route: Option<Route>,
) -> Result<(Option<Kind>, Option<Category>), CommandError> {
    let given = (
        args.kind.kind,
        args.kind.category.and_then(Category::from_number),
    );
    let Some(route) = route else {
        return Ok(given);
    };
    let merged = send::endpoint::merge(route, given.0, given.1)
        .map_err(|e| CommandError::Usage(format!("--endpoint {}: {e}", args.endpoint)))?;
    eprintln!(
        "tilicheck: --endpoint names {}: the report is judged and sent as {}{}",
        route.path,
        route.kind.as_str(),
        merged
            .1
            .map(|c| format!(" (category {})", c.number()))
            .unwrap_or_default()
    );
    Ok(merged)
}

pub fn run(args: &SendArgs, g: &RunOptions) -> Result<u8, CommandError> {
    let profile = g.interface.profile();
    let at = check_time(g);
    let password = args.password.source();
    let expected = ExpectedIds {
        supplier: args.business_id,
        service_centre: None,
    };
    let (sign_cert, sign_key) = match (&args.signing_cert, &args.signing_key) {
        (Some(c), Some(k)) => (c.as_path(), k.as_path()),
        (None, None) => (args.cert.as_path(), args.key.as_path()),
        _ => {
            return Err(CommandError::Usage(
                "--signing-cert and --signing-key go together".into(),
            ));
        }
    };
    let (host, port, route) = parse_endpoint_url(&args.endpoint, g.interface)?;
    let (kind, category) = kind_and_category(args, route)?;
    if args.file.is_dir() {
        if args.dry_run.is_some() || args.correlation_id.is_some() {
            return Err(CommandError::Usage(
                "--dry-run and --correlation-id apply to one FILE, not a directory of parts".into(),
            ));
        }
        let (cert_subject, signer) =
            load_signer(sign_cert, sign_key, &password, expected, at, profile)?;
        let setup = super::send_dir::Setup {
            identity: load_identity(&args.cert, Some(&args.key), &password)?,
            ctx: crate::commands::trust::context(&args.trust, at, profile)?,
            target: super::resolve(&host, port, None, &args.trust.net)?,
            signer,
            kind,
            category,
            host_header: if port == 443 {
                host.clone()
            } else {
                format!("{host}:{port}")
            },
        };
        return super::send_dir::run_dir(args, g, cert_subject, &setup);
    }
    let given_cid = correlation_id(args.correlation_id.as_deref())?;
    let (cert_subject, signer) =
        load_signer(sign_cert, sign_key, &password, expected, at, profile)?;
    let limit = parse::read_limit(profile.max_message_bytes.value);
    let bytes = parse::read_bounded(&args.file, limit)
        .map_err(|e| CommandError::Input(format!("{}: {e}", args.file.display())))?;
    let parsed = parse::parse_bytes(&bytes);
    let file_sha = journal::sha256_hex(&bytes);
    let input = args.file.display().to_string();
    let signer_id = signer.business_id();
    let supplier = args.business_id.or(signer_id);
    let mut ledger = match args.dry_run {
        Some(_) => None,
        None => SendLedger::open(args, supplier.as_ref(), g.interface)?,
    };
    // A message with this content in flight when an earlier run stopped goes again as the
    // same request, so the register can answer the replay and the ledger can record it.
    let earlier = match &ledger {
        Some(l) => l.in_flight_for(&file_sha)?,
        None => None,
    };
    let cid = match (&earlier, &args.correlation_id) {
        (Some(e), Some(given)) if &e.correlation_id != given => {
            return Err(CommandError::Usage(format!(
                "{input} was in flight under X-Correlation-ID {} when an earlier send stopped (ledger {}): send it again under that ID, not {given}",
                e.correlation_id,
                ledger
                    .as_ref()
                    .map(|l| l.path().display().to_string())
                    .unwrap_or_default()
            )));
        }
        (Some(e), _) => e.correlation_id.clone(),
        (None, _) => given_cid,
    };
    let text = String::from_utf8(bytes.clone()).unwrap_or_default();
    let mut report = Report::new("send", g.interface, at);
    let cert_failed = cert_subject.has_fail();
    report.subjects.push(cert_subject);
    let message = Message {
        input: &input,
        text: &text,
        parsed: &parsed,
        kind,
        category,
        expected_sender: expected_sender(args.business_id.as_ref(), signer_id.as_ref()),
    };
    let host_header = if port == 443 {
        host.clone()
    } else {
        format!("{host}:{port}")
    };
    let prepared = match send::prepare(&message, &signer, &host_header, cid, profile) {
        Ok(p) => p,
        Err(subject) => {
            report.subjects.push(*subject);
            eprintln!("tilicheck: not sent: the message would be rejected (see the report)");
            return emit_report(&report, g).map(|c| c.max(1));
        }
    };
    if cert_failed {
        report.subjects.push(prepared.message);
        eprintln!("tilicheck: not sent: the signing certificate would be rejected");
        return emit_report(&report, g).map(|c| c.max(1));
    }
    if let Some(path) = &args.dry_run {
        crate::atomic_file::replace(path, &prepared.request.to_wire()).map_err(|e| {
            CommandError::Input(format!("{}: cannot write request: {e}", path.display()))
        })?;
        eprintln!(
            "tilicheck: dry run: wrote {} (POST {}, X-Correlation-ID {}); nothing sent",
            path.display(),
            prepared.path,
            prepared.correlation_id
        );
        report.subjects.push(prepared.message);
        return emit_report(&report, g);
    }
    let identity = load_identity(&args.cert, Some(&args.key), &password)?;
    let ctx = crate::commands::trust::context(&args.trust, at, profile)?;
    let target = super::resolve(&host, port, None, &args.trust.net)?;
    let Some(ledger) = ledger.as_mut() else {
        deliver_into(&mut report, &target, &identity, &ctx, profile, prepared);
        return emit_report(&report, g);
    };
    if let Some(e) = &earlier
        && e.body_sha256 != prepared.body_sha256
    {
        report.subjects.push(prepared.message);
        let mut s = Subject::new("ledger", ledger.path().display().to_string());
        s.findings
            .push(signed_differently(&input, &prepared.correlation_id));
        report.subjects.push(s);
        return emit_report(&report, g).map(|c| c.max(1));
    }
    let (cid, body_sha, path) = (
        prepared.correlation_id.clone(),
        prepared.body_sha256.clone(),
        prepared.path,
    );
    let value = prepared.report.clone();
    ledger.begin(&input, &file_sha, &cid, &body_sha)?;
    let verdict = deliver_into(&mut report, &target, &identity, &ctx, profile, prepared);
    let mut finding = None;
    let line = match verdict {
        Verdict::Accepted => {
            let sent = Sent {
                file: &input,
                bytes: &bytes,
                report: &value,
                path,
                correlation_id: &cid,
            };
            match ledger.acknowledged(&sent, g.interface) {
                Ok(line) => line,
                Err(e) => {
                    finding = Some(ledger_failed(&cid, &e));
                    "not recorded".into()
                }
            }
        }
        Verdict::Rejected if earlier.is_none() => {
            ledger.forget(&cid)?;
            "nothing recorded: the register did not store it".into()
        }
        Verdict::Rejected => {
            finding = Some(resent_refused(&input, &cid));
            format!("still in flight under {cid}")
        }
        Verdict::Retry => format!(
            "in flight under {cid}: not answered 200, so nothing recorded; run the same command again to send the same request (the register answers a replay 200)"
        ),
    };
    if let Some(answer) = report.subjects.last_mut() {
        answer.summary.push(("ledger".into(), line));
        answer.findings.extend(finding);
    }
    emit_report(&report, g)
}

/// Send a prepared message and put the message, register and answer subjects in `report`.
pub fn deliver_into(
    report: &mut Report,
    target: &crate::tls::probe::Target,
    identity: &ClientIdentity,
    ctx: &TrustContext,
    profile: &RegisterProfile,
    prepared: Prepared,
) -> send::answer::Verdict {
    let d = send::deliver(target, identity, ctx, profile, &prepared, TOTAL_TIMEOUT);
    report.subjects.push(prepared.message);
    if let Some(r) = d.register {
        report.subjects.push(r);
    }
    report.subjects.push(d.answer);
    d.verdict
}
