//! The register's answers, exactly as the specification's §4.7 (v3) or §3.5 (v1.0.4) shows
//! them: status, body shape and the `X-Correlation-ID` header.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use serde::Serialize;
use serde_json::json;

use crate::profile::serve::{ErrorBodies, ServeRules};

/// What went wrong, in the terms of the interface's error answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// 400: the message is wrong; `object_errors` name whole objects, `field_errors` fields.
    BadRequest {
        message: String,
        object_errors: Vec<String>,
        field_errors: Vec<String>,
    },
    /// 403 (v3): a token or certificate the register does not accept.
    Forbidden { message: String },
    /// 404: an unknown path.
    NotFound { message: String },
    /// A disputable/incorrect report names a record or correlation ID the register does not
    /// hold for this sender (404 in v3 by our reading; the profile decides).
    UnknownRecord { message: String },
    /// 405: not a POST.
    MethodNotAllowed,
    /// 500: the simulator's own failure, or an injected fault.
    Internal { message: String },
}

impl Problem {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Problem::BadRequest {
            message: message.into(),
            object_errors: Vec::new(),
            field_errors: Vec::new(),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Problem::BadRequest { message, .. }
            | Problem::Forbidden { message }
            | Problem::NotFound { message }
            | Problem::UnknownRecord { message }
            | Problem::Internal { message } => message,
            Problem::MethodNotAllowed => "method not allowed",
        }
    }
}

/// One answer: 200 or a problem, with the correlation ID it carries.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: StatusCode,
    /// The JSON body, if this status has one in this interface version.
    pub body: Option<serde_json::Value>,
    pub correlation_id: String,
}

impl Answer {
    pub fn ok(correlation_id: &str) -> Self {
        Answer {
            status: StatusCode::OK,
            body: None,
            correlation_id: correlation_id.to_owned(),
        }
    }

    /// The answer to `problem` in the shape `rules` prescribe. `status_override` maps an
    /// auth failure or an unknown record to the status the profile reads for it.
    pub fn problem(problem: &Problem, rules: &ServeRules, correlation_id: &str) -> Self {
        let (status, body) = match rules.error_bodies.value {
            ErrorBodies::MessageObjectField => v3_body(problem, rules),
            ErrorBodies::ErrorMessage => v1_body(problem, rules),
        };
        Answer {
            status,
            body,
            correlation_id: correlation_id.to_owned(),
        }
    }

    /// The body as the bytes sent.
    pub fn body_text(&self) -> String {
        self.body
            .as_ref()
            .map(|b| b.to_string())
            .unwrap_or_default()
    }

    /// The headers the register's example answer carries, and `connection: close` if asked.
    fn headers(&self, close: bool) -> Vec<(&'static str, HeaderValue)> {
        let mut h = Vec::new();
        if let Ok(v) = HeaderValue::from_str(&self.correlation_id) {
            h.push(("x-correlation-id", v));
        }
        if self.body.is_some() {
            h.push((
                CONTENT_TYPE.as_str(),
                HeaderValue::from_static("application/json"),
            ));
        }
        h.push((
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        ));
        h.push((
            "cache-control",
            HeaderValue::from_static("no-cache, no-store, max-age=0, must-revalidate"),
        ));
        h.push(("x-frame-options", HeaderValue::from_static("DENY")));
        if close {
            h.push(("connection", HeaderValue::from_static("close")));
        }
        h
    }

    /// The HTTP response, for hyper to send.
    pub fn into_response(self, close: bool) -> Response<Full<Bytes>> {
        let headers = self.headers(close);
        let mut response = Response::new(Full::new(Bytes::from(self.body_text())));
        *response.status_mut() = self.status;
        let h = response.headers_mut();
        for (name, value) in headers {
            h.insert(name, value);
        }
        response
    }

    /// The whole HTTP/1.1 response as bytes, for an answer written without hyper (which would
    /// answer an HTTP/1.0 request in HTTP/1.0). The connection closes after it.
    pub fn to_http11_bytes(&self) -> Vec<u8> {
        let body = self.body_text();
        let mut out = format!(
            "HTTP/1.1 {} {}\r\n",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or("")
        )
        .into_bytes();
        for (name, value) in self.headers(true) {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(body.as_bytes());
        out
    }
}

fn v3_body(problem: &Problem, rules: &ServeRules) -> (StatusCode, Option<serde_json::Value>) {
    match problem {
        Problem::BadRequest {
            message,
            object_errors,
            field_errors,
        } => (
            StatusCode::BAD_REQUEST,
            Some(
                json!({"message": message, "objectErrors": object_errors, "fieldErrors": field_errors}),
            ),
        ),
        Problem::Forbidden { message } => (
            status(rules.auth_failure_status.value),
            Some(json!({ "message": message })),
        ),
        Problem::NotFound { message } => {
            (StatusCode::NOT_FOUND, Some(json!({ "message": message })))
        }
        Problem::UnknownRecord { message } => (
            status(rules.unknown_record_status.value),
            Some(json!({ "message": message })),
        ),
        // §4.7 lists 405 without a body.
        Problem::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, None),
        Problem::Internal { message } => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(json!({ "message": message })),
        ),
    }
}

fn v1_body(problem: &Problem, rules: &ServeRules) -> (StatusCode, Option<serde_json::Value>) {
    let status = match problem {
        Problem::BadRequest { .. } => StatusCode::BAD_REQUEST,
        Problem::Forbidden { .. } => status(rules.auth_failure_status.value),
        // An unknown path is 404 at the HTTP level whatever the interface says.
        Problem::NotFound { .. } => StatusCode::NOT_FOUND,
        Problem::UnknownRecord { .. } => status(rules.unknown_record_status.value),
        Problem::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Problem::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut message = problem.message().to_owned();
    if let Problem::BadRequest {
        object_errors,
        field_errors,
        ..
    } = problem
    {
        for e in object_errors.iter().chain(field_errors) {
            message.push_str("; ");
            message.push_str(e);
        }
    }
    (status, Some(json!({ "errorMessage": message })))
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
}

/// A request's correlation ID (§4.1): the one it names its message with, or one generated for
/// it, and what is wrong with what it sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correlation {
    /// The ID the answer carries and the log files the request under.
    pub id: String,
    /// Why the request's X-Correlation-ID cannot name a message (the request is refused).
    pub problem: Option<String>,
}

/// The correlation ID from a request's X-Correlation-ID values (`None` for a value that is not
/// visible ASCII). None at all: a new UUIDv4, which the answer returns, as §4.1 says. One
/// UUIDv4 (hex in either case, RFC 9562): that one. Anything else is refused, and the answer
/// carries a new UUIDv4 so that the refusal has a name too.
pub fn correlation_id(values: &[Option<&str>]) -> Correlation {
    let fresh = || uuid::Uuid::new_v4().hyphenated().to_string();
    let problem = match values {
        [] => {
            return Correlation {
                id: fresh(),
                problem: None,
            };
        }
        [Some(id)] if crate::message::finnish_ids::is_uuid_v4(id) => {
            return Correlation {
                id: (*id).to_owned(),
                problem: None,
            };
        }
        [Some(id)] => {
            let shown: String = id.chars().take(80).collect();
            format!(
                "X-Correlation-ID {shown:?} is not a UUIDv4 (§4.1: 8-4-4-4-12 hex digits, version 4): send a new random UUID, or leave the header out and the register makes one"
            )
        }
        [None] => "X-Correlation-ID is not readable text (§4.1: a UUIDv4)".to_owned(),
        more => format!(
            "the request carries {} X-Correlation-ID headers; one UUIDv4 names one message (§4.1)",
            more.len()
        ),
    };
    Correlation {
        id: fresh(),
        problem: Some(problem),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Interface;

    #[test]
    fn v3_400_has_the_three_fields() {
        let p = Problem::BadRequest {
            message: "bad".into(),
            object_errors: vec!["o".into()],
            field_errors: vec!["f".into()],
        };
        let a = Answer::problem(&p, Interface::V3.serve_rules(), "id");
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            a.body.unwrap(),
            json!({"message":"bad","objectErrors":["o"],"fieldErrors":["f"]})
        );
    }

    #[test]
    fn correlation_ids_are_uuid_v4_or_generated() {
        let given = "5553cc0c-2633-4185-af51-88ffa12f01c6";
        assert_eq!(
            correlation_id(&[Some(given)]),
            Correlation {
                id: given.into(),
                problem: None
            }
        );
        let upper = given.to_ascii_uppercase();
        assert_eq!(correlation_id(&[Some(&upper)]).id, upper);
        let made = correlation_id(&[]);
        assert!(made.problem.is_none());
        assert!(crate::message::finnish_ids::is_uuid_v4(&made.id));
        for bad in [
            vec![Some("<script>")],
            vec![Some("")],
            // Version 1, and a v4 without hyphens.
            vec![Some("5553cc0c-2633-1185-af51-88ffa12f01c6")],
            vec![Some("5553cc0c26334185af5188ffa12f01c6")],
            vec![None],
            vec![Some(given), Some(given)],
        ] {
            let c = correlation_id(&bad);
            assert!(c.problem.is_some(), "{bad:?}");
            assert!(crate::message::finnish_ids::is_uuid_v4(&c.id), "{bad:?}");
            assert_ne!(c.id, given);
        }
        assert!(
            correlation_id(&[Some("<script>")])
                .problem
                .unwrap()
                .contains("X-Correlation-ID \"<script>\" is not a UUIDv4")
        );
    }

    #[test]
    fn v1_uses_error_message_and_no_403() {
        let p = Problem::Forbidden {
            message: "unknown signer".into(),
        };
        let a = Answer::problem(&p, Interface::V1_0_4.serve_rules(), "id");
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(a.body.unwrap(), json!({"errorMessage":"unknown signer"}));
        let a = Answer::problem(
            &Problem::MethodNotAllowed,
            Interface::V3.serve_rules(),
            "id",
        );
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(a.body.is_none());
    }
}
