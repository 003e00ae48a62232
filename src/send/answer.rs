//! The register's answer (or the lack of one), as findings: every failure class with its own
//! explanation and remedy, error fields mapped back to places in the user's file.

use serde_json::Value;

use super::client::{HttpAnswer, SendError};
use crate::findings::Finding;
use crate::profile::RuleId;

/// What the sender should do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// 200: the next part may go.
    Accepted,
    /// Worth sending again unchanged later (500, 503, timeouts).
    Retry,
    /// The message or the setup must change first.
    Rejected,
}

/// The findings for an HTTP answer to a request carrying `correlation_id`; `report` is the
/// user's message, to point error fields at.
pub fn judge_answer(
    answer: &HttpAnswer,
    correlation_id: &str,
    report: Option<&Value>,
) -> (Verdict, Vec<Finding>) {
    let mut findings = Vec::new();
    findings.push(if answer.version == "HTTP/1.1" {
        Finding::pass(RuleId::HttpVersion, "the register answered in HTTP/1.1")
    } else {
        Finding::warn(
            RuleId::HttpVersion,
            format!(
                "the answer came as {}; the interface is HTTP/1.1",
                answer.version
            ),
        )
    });
    findings.push(match answer.header("x-correlation-id") {
        Some(id) if id == correlation_id => Finding::pass(
            RuleId::SendSequential,
            format!("X-Correlation-ID {id} echoed: keep it to name this message later"),
        ),
        Some(id) => Finding::warn(
            RuleId::SendSequential,
            format!("sent X-Correlation-ID {correlation_id}, the answer carries {id}"),
        ),
        None => Finding::warn(
            RuleId::SendSequential,
            format!("the answer carries no X-Correlation-ID (sent {correlation_id})"),
        ),
    });
    let body = error_text(&answer.body, report);
    let (verdict, finding) = match answer.status {
        200 if answer.body.iter().all(u8::is_ascii_whitespace) => (
            Verdict::Accepted,
            Finding::pass(RuleId::SendAnswer, "accepted: 200 OK"),
        ),
        200 => (
            Verdict::Accepted,
            Finding::warn(
                RuleId::SendAnswer,
                format!(
                    "200 OK, with a body the register does not send ({} bytes): is the endpoint the register, or a proxy answering for it?",
                    answer.body.len()
                ),
            )
            .with_remedy("Check the endpoint URL Customs gave you; a 200 with a body is not the register's answer."),
        ),
        400 => (
            Verdict::Rejected,
            Finding::fail(RuleId::SendAnswer, format!("400 Bad Request: {body}")).with_remedy(
                "The register rejected the message's content: fix the fields named (run tilicheck message validate FILE) and send it again. Do not send the next part before this one is answered 200.",
            ),
        ),
        401 | 403 => (
            Verdict::Rejected,
            Finding::fail(
                RuleId::SendAnswer,
                format!("{} Forbidden: {body}", answer.status),
            )
            .with_remedy(
                "The register refused the tokens or the certificate: sub must be the signing certificate's serialNumber, the TLS certificate must be the signer's or an authorised service centre's, and both certificates must have been delivered to Customs at least a month before use.",
            ),
        ),
        404 => (
            Verdict::Rejected,
            Finding::fail(RuleId::SendAnswer, format!("404 Not Found: {body}")).with_remedy(
                "The path does not exist in this interface version: check --interface and the report's category (cat-1/cat-2), or the record a disputable/incorrect report names.",
            ),
        ),
        405 => (
            Verdict::Rejected,
            Finding::fail(RuleId::SendAnswer, "405 Method Not Allowed").with_remedy(
                "The interface takes POST only; a proxy may be rewriting the request.",
            ),
        ),
        s @ (500 | 502 | 503 | 504) => (
            Verdict::Retry,
            Finding::error(RuleId::SendAnswer, format!("{s}: {body}")).with_remedy(
                "The register failed, not your message: send the same message again later (with the same X-Correlation-ID is fine); if it persists, contact Customs with the correlation ID.",
            ),
        ),
        s => (
            Verdict::Rejected,
            Finding::fail(RuleId::SendAnswer, format!("unexpected status {s}: {body}"))
                .with_remedy("The register answers 200, 400, 403, 404, 405 or 500; check that the endpoint is the register."),
        ),
    };
    findings.push(finding);
    (verdict, findings)
}

/// The findings when no answer came back.
pub fn judge_failure(e: &SendError) -> (Verdict, Finding) {
    let f =
        |text: String, remedy: &str| Finding::fail(RuleId::SendAnswer, text).with_remedy(remedy);
    match e {
        SendError::Alert { alert }
            if ["UnknownCA", "BadCertificate", "CertificateUnknown", "AccessDenied"]
                .iter()
                .any(|a| alert.contains(a)) =>
        {
            (
                Verdict::Rejected,
                f(
                    format!("the register refused the TLS client certificate (alert {alert})"),
                    "The register does not trust this certificate: was it delivered to Customs at least a month before use? Check that --cert is the certificate you delivered, with its intermediate CA.",
                ),
            )
        }
        SendError::Alert { alert } if alert.contains("HandshakeFailure") || alert.contains("ProtocolVersion") || alert.contains("InsufficientSecurity") => (
            Verdict::Rejected,
            f(
                format!("the TLS handshake failed (alert {alert})"),
                "No protocol version or cipher suite in common: run tilicheck tls ENDPOINT to see what the register offers.",
            ),
        ),
        SendError::Alert { .. } | SendError::Handshake(_) => (
            Verdict::Rejected,
            f(
                e.to_string(),
                "Run tilicheck tls ENDPOINT --cert … to see the handshake in detail.",
            ),
        ),
        // Not sent, and not the register's verdict on the certificate.
        SendError::NotUsable(_) => (
            Verdict::Rejected,
            Finding::error(RuleId::SendAnswer, e.to_string()).with_remedy(
                "The message was not sent. Run tilicheck tls ENDPOINT to see what the server negotiates.",
            ),
        ),
        SendError::Timeout(_) => (
            Verdict::Retry,
            Finding::error(RuleId::SendAnswer, e.to_string()).with_remedy(
                "No answer in time: the message may or may not have been stored. Send the same message again later; a disputed duplicate is named by its X-Correlation-ID.",
            ),
        ),
        SendError::Connect(_) | SendError::Transport(_) => (
            Verdict::Retry,
            Finding::error(RuleId::SendAnswer, e.to_string()).with_remedy(
                "Check the endpoint address, the firewall, and HTTPS_PROXY / NO_PROXY.",
            ),
        ),
        SendError::TooLarge | SendError::Malformed(_) => (
            Verdict::Rejected,
            Finding::fail(RuleId::SendAnswer, e.to_string()).with_remedy(
                "The server is not answering like the register: check the endpoint URL.",
            ),
        ),
        SendError::Proxy(_) => (
            Verdict::Rejected,
            f(
                e.to_string(),
                "The proxy (HTTPS_PROXY) did not open a tunnel to the register: ask its administrator to allow CONNECT to the register's host and port, or list the host in NO_PROXY; a 407 answer wants the credentials in the proxy URL.",
            ),
        ),
        SendError::Key(_) => (
            Verdict::Rejected,
            Finding::error(RuleId::SendAnswer, e.to_string())
                .with_remedy("Check that --key belongs to --cert."),
        ),
    }
}

/// The error body in words: the message and each field error with where it points in the
/// user's file.
fn error_text(body: &[u8], report: Option<&Value>) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text: String = text.chars().take(300).collect();
        return if text.trim().is_empty() {
            "(no body)".into()
        } else {
            text
        };
    };
    let mut parts = Vec::new();
    for key in ["message", "errorMessage"] {
        if let Some(m) = v.get(key).and_then(Value::as_str) {
            parts.push(m.to_owned());
        }
    }
    for key in ["objectErrors", "fieldErrors"] {
        for e in v.get(key).and_then(Value::as_array).into_iter().flatten() {
            let Some(text) = e.as_str() else { continue };
            parts.push(locate(text, report));
        }
    }
    if parts.is_empty() {
        v.to_string().chars().take(300).collect()
    } else {
        parts.join("; ")
    }
}

/// "legalPersons[0].name: required" or "/legalPersons/0/name: required" (either after a rule
/// ID such as "MSG-SCHEMA: ") → the same, plus the JSON pointer in the user's file and whether
/// that place exists there. An error that names no place is left as it is.
pub fn locate(error: &str, report: Option<&Value>) -> String {
    let Some(pointer) = place_of(error) else {
        return error.to_owned();
    };
    let here = match report.map(|r| r.pointer(&pointer).is_some()) {
        Some(true) => "present in your file",
        Some(false) => "missing from your file",
        None => "",
    };
    if here.is_empty() {
        format!("{error} (at {pointer})")
    } else {
        format!("{error} (at {pointer}, {here})")
    }
}

/// The JSON pointer an error names at its start, if it names one.
fn place_of(error: &str) -> Option<String> {
    let (first, rest) = error.split_once(':')?;
    // A rule ID first ("MSG-SENDER: /senderBusinessId: …") names no place; what follows may.
    let head = if crate::profile::RuleId::parse(first.trim()).is_some() {
        rest.split_once(':')?.0
    } else {
        first
    }
    .trim();
    let pointer = if head.starts_with('/') && !head.contains(char::is_whitespace) {
        head.to_owned()
    } else if head.starts_with('(') {
        // "(root)": the whole report, no place to point at.
        return None;
    } else {
        to_pointer(head)
    };
    (!pointer.is_empty()).then_some(pointer)
}

/// `a.b[2].c` → `/a/b/2/c`.
fn to_pointer(path: &str) -> String {
    if path.is_empty() || path.contains(char::is_whitespace) {
        return String::new();
    }
    let mut out = String::new();
    for seg in path.split('.') {
        let mut rest = seg;
        let name_end = rest.find('[').unwrap_or(rest.len());
        let name = &rest[..name_end];
        if !name.is_empty() {
            out.push('/');
            out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        rest = &rest[name_end..];
        while let Some(r) = rest.strip_prefix('[') {
            let Some((idx, after)) = r.split_once(']') else {
                return String::new();
            };
            out.push('/');
            out.push_str(idx);
            rest = after;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, body: &str) -> HttpAnswer {
        HttpAnswer {
            version: "HTTP/1.1".into(),
            status,
            headers: vec![("X-Correlation-ID".into(), "c".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn field_errors_point_into_the_file() {
        let report = json!({"legalPersons": [{"name": "x"}]});
        let (v, f) = judge_answer(
            &answer(
                400,
                r#"{"message":"invalid","objectErrors":[],"fieldErrors":["legalPersons[0].businessId: required","creationDateTime: required"]}"#,
            ),
            "c",
            Some(&report),
        );
        assert_eq!(v, Verdict::Rejected);
        let detail = &f.last().unwrap().detail;
        assert!(
            detail.contains("at /legalPersons/0/businessId, missing from your file"),
            "{detail}"
        );
        assert!(detail.contains("invalid"), "{detail}");
        assert_eq!(to_pointer("a[1][2].b"), "/a/1/2/b");
    }

    #[test]
    fn a_rule_id_is_not_a_place_and_json_pointers_are_understood() {
        let report = json!({"senderBusinessId": "5405489-9", "legalPersons": {"k": {}}});
        // The simulator's field errors: a rule ID, then the pointer.
        assert_eq!(
            locate(
                "MSG-SENDER: /senderBusinessId: is 5405489-9, but the tokens are signed with 1234567-1's certificate",
                Some(&report)
            ),
            "MSG-SENDER: /senderBusinessId: is 5405489-9, but the tokens are signed with 1234567-1's certificate (at /senderBusinessId, present in your file)"
        );
        assert_eq!(
            locate("/legalPersons/k/name: required", Some(&report)),
            "/legalPersons/k/name: required (at /legalPersons/k/name, missing from your file)"
        );
        // A rule ID and no place: as it is.
        assert_eq!(
            locate("MSG-SIZE: too large", Some(&report)),
            "MSG-SIZE: too large"
        );
        assert_eq!(
            locate("JWS-SUB: sub does not match", None),
            "JWS-SUB: sub does not match"
        );
        assert_eq!(
            locate(
                "MSG-SCHEMA: (root): \"accounts\" is required",
                Some(&report)
            ),
            "MSG-SCHEMA: (root): \"accounts\" is required"
        );
    }

    #[test]
    fn each_status_has_its_verdict() {
        assert_eq!(
            judge_answer(&answer(200, ""), "c", None).0,
            Verdict::Accepted
        );
        assert_eq!(
            judge_answer(&answer(500, "{}"), "c", None).0,
            Verdict::Retry
        );
        assert_eq!(
            judge_answer(&answer(403, "{}"), "c", None).0,
            Verdict::Rejected
        );
        let (_, f) = judge_answer(&answer(200, "{\"x\":1}"), "c", None);
        assert_eq!(f.last().unwrap().status, crate::findings::Status::Warn);
        let (_, f) = judge_failure(&SendError::Alert {
            alert: "UnknownCA".into(),
        });
        assert!(f.remedy().unwrap().contains("delivered to Customs"));
    }
}
