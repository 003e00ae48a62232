//! The judge that uses the message module: the same token checks (`JWS-*`) and report checks
//! (`MSG-*`) as `tilicheck message verify` and `message validate`, plus the simulator's own
//! question of which delivered certificate signed and whether the connection may send for it.

use serde_json::Value;

use super::answers::Problem;
use super::judge::{Judged, Rejection, ReportKind, Submission, SubmissionJudge};
use super::supplier_registry::{RegisteredSupplier, SupplierRegistry};
use crate::checks::message::{MessageInput, TokenRole, message_subject, token_subject_with};
use crate::findings::{Finding, Status};
use crate::message::content::{ExpectedSender, SenderSource};
use crate::message::jws::{self, DecodedToken};
use crate::message::kind::{Category, Kind, classify};
use crate::message::request::bearer_token;
use crate::profile::RuleId;

/// Token verification and validation shared with `tilicheck message`.
#[derive(Debug, Default)]
pub struct MessageJudge;

fn kind_of(k: ReportKind) -> (Kind, Category) {
    match k {
        ReportKind::UpdateCat1 => (Kind::Update, Category::One),
        ReportKind::UpdateCat2 => (Kind::Update, Category::Two),
        ReportKind::Disputable => (Kind::Disputable, Category::Two),
        ReportKind::Incorrect => (Kind::Incorrect, Category::Two),
    }
}

fn failures(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect()
}

/// A finding about the report as one entry of a 400's `fieldErrors` or `objectErrors`.
pub(super) fn field_error(f: &Finding) -> String {
    format!("{}: {}", f.rule, f.detail)
}

/// Whether the finding names a place in the report (a field error) or the report as a whole.
fn is_field_error(f: &Finding) -> bool {
    f.detail.starts_with('/') || f.detail.starts_with("(root)")
}

/// The answer to failed token checks: claims are the message's fault (400), signature, algorithm
/// and `sub` are the register refusing the sender (403 in v3).
fn token_problem(failed: &[&Finding]) -> Problem {
    let message = failed
        .iter()
        .map(|f| format!("{}: {}", f.rule, f.detail))
        .collect::<Vec<_>>()
        .join("; ");
    if failed.iter().all(|f| f.rule == RuleId::JwsClaims) {
        Problem::bad_request(message)
    } else {
        Problem::Forbidden { message }
    }
}

impl SubmissionJudge for MessageJudge {
    fn judge(&self, s: &Submission<'_>, registry: &SupplierRegistry) -> Result<Judged, Rejection> {
        let profile = s.interface.profile();
        let reject = |problem: Problem, signer: Option<&str>, findings: Vec<Finding>| Rejection {
            problem,
            signer: signer.map(str::to_owned),
            findings,
        };
        let Some(auth_text) = s.authorization.and_then(bearer_token) else {
            let f = Finding::fail(
                RuleId::JwsClaims,
                "the Authorization header must be \"Bearer <compact JWS>\" (the scheme in any case)",
            );
            return Err(reject(
                Problem::Forbidden {
                    message: f.detail.clone(),
                },
                None,
                vec![f],
            ));
        };
        let auth = jws::decode(auth_text);
        let body_text = match std::str::from_utf8(s.body) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(s.body),
        };
        let body = jws::decode(&body_text);
        let auth_ok: Option<&DecodedToken> = auth.as_ref().ok();

        // Which delivered certificate signed: prefer the one `sub` names (several may share a
        // key), then the first in order that verifies. Each key was parsed once, at load.
        let signer: Option<&RegisteredSupplier> = auth_ok.and_then(|t| {
            let sub = t.payload.get("sub").and_then(Value::as_str);
            let verifies =
                |sup: &&RegisteredSupplier| sup.rsa_key.as_ref().is_some_and(|k| k.verify(t));
            let named = |sup: &&RegisteredSupplier| Some(sup.written_id.as_str()) == sub;
            let suppliers = || registry.suppliers.iter();
            suppliers()
                .filter(named)
                .find(verifies)
                .or_else(|| suppliers().filter(|s| !named(s)).find(verifies))
        });
        let Some(signer) = signer else {
            let detail = match &auth {
                Err(e) => format!("the Authorization token is not a compact JWS: {e}"),
                Ok(_) => "the Authorization token's signature does not verify with any certificate delivered to Customs".into(),
            };
            let f = Finding::fail(RuleId::JwsSig, detail.clone());
            return Err(reject(
                Problem::Forbidden { message: detail },
                None,
                vec![f],
            ));
        };
        let id = signer.written_id.as_str();
        // A body that is not a JWS at all is a malformed message (400), not a refused sender.
        if let Err(e) = &body {
            let detail = format!("the body is not a compact JWS: {e}");
            let f = Finding::fail(RuleId::JwsAlg, detail.clone());
            return Err(reject(Problem::bad_request(detail), Some(id), vec![f]));
        }
        let mut findings = Vec::new();
        // The signer was found by verifying the Authorization token with its key: that is
        // the verdict JWS-SIG would reach again. The body token is verified once, here.
        let verified_with_signer = |_: &DecodedToken| true;
        let with_signer_key =
            |t: &DecodedToken| signer.rsa_key.as_ref().is_some_and(|k| k.verify(t));
        findings.extend(
            token_subject_with(
                TokenRole::Authorization,
                "Authorization",
                auth.as_ref(),
                &signer.facts,
                profile,
                &verified_with_signer,
            )
            .findings,
        );
        findings.extend(
            token_subject_with(
                TokenRole::Body,
                "body",
                body.as_ref(),
                &signer.facts,
                profile,
                &with_signer_key,
            )
            .findings,
        );
        let failed = failures(&findings);
        if !failed.is_empty() {
            let problem = token_problem(&failed);
            return Err(reject(problem, Some(id), findings));
        }

        let tls_id = s.tls_identity.unwrap_or("");
        if !registry.may_send_for(tls_id, signer) {
            let detail = format!(
                "the TLS client certificate's identifier {tls_id:?} is neither the signer {id} nor a service centre authorised for it"
            );
            findings.push(Finding::fail(RuleId::JwsSub, detail.clone()));
            return Err(reject(
                Problem::Forbidden { message: detail },
                Some(id),
                findings,
            ));
        }

        let Ok(mut body) = body else {
            return Err(reject(
                Problem::bad_request("the body is not a compact JWS"),
                Some(id),
                findings,
            ));
        };
        let wanted = s.kind.claim();
        let present: Vec<&str> = ["reportUpdate", "reportDisputable", "reportIncorrect"]
            .into_iter()
            .filter(|c| body.payload.contains_key(*c))
            .collect();
        if present != [wanted] {
            let detail = format!(
                "the body token must carry exactly one report claim, {wanted} for this endpoint; found {present:?}"
            );
            findings.push(Finding::fail(RuleId::JwsClaims, detail.clone()));
            return Err(reject(Problem::bad_request(detail), Some(id), findings));
        }
        // Taken out of the token, not copied: the report is the bulk of the message.
        let report = match body.payload.remove(wanted) {
            Some(Value::String(text)) => match crate::message::parse::parse_strict(&text) {
                Ok(v) => v,
                Err(e) => {
                    let detail = format!("{wanted} is a string but not JSON: {e}");
                    findings.push(Finding::fail(RuleId::MsgSchema, detail.clone()));
                    return Err(reject(Problem::bad_request(detail), Some(id), findings));
                }
            },
            Some(v) => v,
            None => Value::Null,
        };
        let (kind, category) = kind_of(s.kind);
        let classified = classify(&report, profile.message, Some(kind), Some(category));
        let subject = message_subject(
            "message",
            &MessageInput {
                report: &report,
                classified: &classified,
                expected_sender: signer
                    .id
                    .as_ref()
                    .map(|id| ExpectedSender::new(id, SenderSource::SigningCertificate)),
                jwt_len: s.body.len(),
                jwt_len_basis: "the request body",
                profile,
            },
        );
        let report_failures: Vec<Finding> = subject
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .cloned()
            .collect();
        findings.extend(subject.findings);
        if !report_failures.is_empty() {
            let (mut object_errors, mut field_errors) = (Vec::new(), Vec::new());
            for f in &report_failures {
                if is_field_error(f) {
                    field_errors.push(field_error(f));
                } else {
                    object_errors.push(field_error(f));
                }
            }
            let problem = Problem::BadRequest {
                message: format!(
                    "{wanted} does not validate ({} problems)",
                    report_failures.len()
                ),
                object_errors,
                field_errors,
            };
            return Err(reject(problem, Some(id), findings));
        }
        Ok(Judged {
            signer: id.to_owned(),
            report,
            findings,
        })
    }
}
