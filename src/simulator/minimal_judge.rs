//! A small, real judge: RS256 verification of both tokens against the registered certificates
//! (aws-lc-rs), the claims each interface version needs, and the report's required fields.
//! It knows nothing of the full schemas; [`SubmissionJudge`] lets a fuller validator replace it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::answers::Problem;
use super::judge::{Judged, Rejection, ReportKind, Submission, SubmissionJudge};
use super::supplier_registry::{RegisteredSupplier, SupplierRegistry};
use crate::findings::Finding;
use crate::profile::{Interface, RuleId};

/// The audience v3 tokens carry (doc ≥ 1.0.9, §3.4).
const V3_AUDIENCE: &str = "accountRegister";
const REPORT_CLAIMS: [&str; 3] = ["reportUpdate", "reportDisputable", "reportIncorrect"];

/// RS256 + claims + required fields.
#[derive(Debug, Default)]
pub struct MinimalJudge;

/// A compact JWS split and decoded.
struct Token<'a> {
    signing_input: &'a str,
    header: Map<String, Value>,
    payload: Map<String, Value>,
    signature: Vec<u8>,
}

fn decode<'a>(token: &'a str, what: &str) -> Result<Token<'a>, String> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!(
            "{what} is not a compact JWS (three base64url parts joined by dots)"
        ));
    };
    let json = |part: &str, name: &str| -> Result<Map<String, Value>, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|e| format!("{what}: {name} is not base64url: {e}"))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(format!("{what}: {name} is not a JSON object")),
            Err(e) => Err(format!("{what}: {name} is not JSON: {e}")),
        }
    };
    Ok(Token {
        signing_input: &token[..h.len() + 1 + p.len()],
        header: json(h, "header")?,
        payload: json(p, "payload")?,
        signature: URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|e| format!("{what}: signature is not base64url: {e}"))?,
    })
}

fn verifies(token: &Token<'_>, supplier: &RegisteredSupplier) -> bool {
    let Some(key) = &supplier.rsa_public_key else {
        return false;
    };
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        key,
    )
    .verify(token.signing_input.as_bytes(), &token.signature)
    .is_ok()
}

fn reject(problem: Problem, signer: Option<&str>, finding: Finding) -> Rejection {
    Rejection {
        problem,
        signer: signer.map(str::to_owned),
        findings: vec![finding],
    }
}

fn forbidden(rule: RuleId, message: String, signer: Option<&str>) -> Rejection {
    let finding = Finding::fail(rule, message.clone());
    reject(Problem::Forbidden { message }, signer, finding)
}

fn bad(rule: RuleId, message: String, signer: Option<&str>) -> Rejection {
    let finding = Finding::fail(rule, message.clone());
    reject(Problem::bad_request(message), signer, finding)
}

fn str_claim<'a>(m: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    m.get(name).and_then(Value::as_str)
}

impl SubmissionJudge for MinimalJudge {
    fn judge(&self, s: &Submission<'_>, registry: &SupplierRegistry) -> Result<Judged, Rejection> {
        let auth = s
            .authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .ok_or_else(|| {
                forbidden(
                    RuleId::JwsClaims,
                    "the Authorization header must be \"Bearer <compact JWS>\"".into(),
                    None,
                )
            })?;
        let auth = decode(auth, "the Authorization token")
            .map_err(|m| forbidden(RuleId::JwsAlg, m, None))?;
        let body_text = std::str::from_utf8(s.body)
            .map_err(|_| bad(RuleId::JwsAlg, "the body is not UTF-8 text".into(), None))?;
        let body = decode(body_text, "the body token").map_err(|m| bad(RuleId::JwsAlg, m, None))?;

        for (token, what) in [(&auth, "Authorization token"), (&body, "body token")] {
            let alg = str_claim(&token.header, "alg");
            let typ = str_claim(&token.header, "typ");
            if alg != Some("RS256") || typ != Some("JWT") {
                return Err(forbidden(
                    RuleId::JwsAlg,
                    format!(
                        "the {what} header has alg {alg:?} and typ {typ:?}; RS256 and JWT are required"
                    ),
                    None,
                ));
            }
        }

        // Several delivered certificates may share a key (business ID and VAT forms): prefer
        // the one whose identifier the token names.
        let auth_sub = str_claim(&auth.payload, "sub");
        let verifying: Vec<&RegisteredSupplier> = registry
            .suppliers
            .iter()
            .filter(|sup| verifies(&auth, sup))
            .collect();
        let signer = verifying
            .iter()
            .find(|sup| Some(sup.written_id.as_str()) == auth_sub)
            .or(verifying.first())
            .copied()
            .ok_or_else(|| {
                forbidden(
                    RuleId::JwsAlg,
                    "the Authorization token's signature does not verify with any certificate delivered to Customs".into(),
                    None,
                )
            })?;
        let id = signer.written_id.as_str();
        if !verifies(&body, signer) {
            return Err(forbidden(
                RuleId::JwsAlg,
                format!(
                    "the body token's signature does not verify with the certificate of {id} that signed the Authorization token"
                ),
                Some(id),
            ));
        }
        for (token, what) in [(&auth, "Authorization token"), (&body, "body token")] {
            match str_claim(&token.payload, "sub") {
                Some(sub) if sub == id => {}
                other => {
                    return Err(forbidden(
                        RuleId::JwsSub,
                        format!(
                            "the {what}'s sub is {other:?}; it must equal the signing certificate's serialNumber \"{id}\" character for character"
                        ),
                        Some(id),
                    ));
                }
            }
        }
        match s.interface {
            Interface::V3 => {
                for (token, what) in [(&auth, "Authorization token"), (&body, "body token")] {
                    if str_claim(&token.payload, "aud") != Some(V3_AUDIENCE) {
                        return Err(bad(
                            RuleId::JwsClaims,
                            format!("the {what} must carry aud \"{V3_AUDIENCE}\""),
                            Some(id),
                        ));
                    }
                }
            }
            Interface::V1_0_4 => {
                if str_claim(&auth.payload, "senderBusinessId").is_none() {
                    return Err(bad(
                        RuleId::JwsClaims,
                        "the Authorization token must carry senderBusinessId (v1.0.4)".into(),
                        Some(id),
                    ));
                }
            }
        }

        let tls_id = s.tls_identity.unwrap_or("");
        if !registry.may_send_for(tls_id, signer) {
            return Err(forbidden(
                RuleId::JwsSub,
                format!(
                    "the TLS client certificate's identifier {tls_id:?} is neither the signer {id} nor a service centre authorised for it"
                ),
                Some(id),
            ));
        }

        let present: Vec<&str> = REPORT_CLAIMS
            .into_iter()
            .filter(|c| body.payload.contains_key(*c))
            .collect();
        let wanted = s.kind.claim();
        if present != [wanted] {
            return Err(bad(
                RuleId::JwsClaims,
                format!(
                    "the body token must carry exactly one report claim, {wanted} for this endpoint; found {present:?}"
                ),
                Some(id),
            ));
        }
        let mut body = body;
        let report = match body.payload.remove(wanted) {
            Some(Value::String(text)) => {
                serde_json::from_str::<Value>(text.as_str()).map_err(|e| {
                    bad(
                        RuleId::MsgSchema,
                        format!("{wanted} is a string but not JSON: {e}"),
                        Some(id),
                    )
                })?
            }
            Some(v) => v,
            None => Value::Null,
        };
        let field_errors = required_fields(s, &report);
        if !field_errors.is_empty() {
            let message = format!("{wanted} does not validate");
            return Err(Rejection {
                findings: vec![Finding::fail(RuleId::MsgSchema, field_errors.join("; "))],
                problem: Problem::BadRequest {
                    message,
                    object_errors: Vec::new(),
                    field_errors,
                },
                signer: Some(id.to_owned()),
            });
        }
        Ok(Judged {
            signer: id.to_owned(),
            report,
            findings: vec![
                Finding::pass(
                    RuleId::JwsAlg,
                    "both tokens are RS256 and verify with the registered certificate",
                ),
                Finding::pass(RuleId::JwsSub, format!("sub is {id}")),
            ],
        })
    }
}

/// The fields each report kind requires (the schemas' `required` lists), with their types.
fn required_fields(s: &Submission<'_>, report: &Value) -> Vec<String> {
    let Some(obj) = report.as_object() else {
        return vec![format!("{}: must be a JSON object", s.kind.claim())];
    };
    let mut needs: Vec<(&str, &str)> = match s.kind {
        ReportKind::UpdateCat1 | ReportKind::UpdateCat2 => {
            vec![
                ("creationDateTime", "string"),
                ("senderBusinessId", "string"),
            ]
        }
        ReportKind::Disputable => vec![("referredEntityId", "string"), ("disputed", "boolean")],
        ReportKind::Incorrect => vec![("referredEntityId", "string")],
    };
    if matches!(s.kind, ReportKind::Disputable | ReportKind::Incorrect)
        && s.interface.serve_rules().dispute_needs_correlation_id
    {
        needs.push(("correlationId", "string"));
    }
    let mut errors = Vec::new();
    for (field, ty) in needs {
        let ok = match (obj.get(field), ty) {
            (Some(Value::String(_)), "string") | (Some(Value::Bool(_)), "boolean") => true,
            (None, _) => {
                errors.push(format!("{field}: required"));
                continue;
            }
            _ => false,
        };
        if !ok {
            errors.push(format!("{field}: must be a {ty}"));
        }
    }
    for map in [
        "legalPersons",
        "customers",
        "accounts",
        "safetyDepositBoxes",
    ] {
        if let Some(v) = obj.get(map)
            && !v.is_object()
        {
            errors.push(format!("{map}: must be an object keyed by record UUID"));
        }
    }
    errors
}
