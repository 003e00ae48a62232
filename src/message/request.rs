//! The HTTP/1.1 request a supplier sends, as a file to replay and as a curl command, and the
//! reading of such a file back for `message verify`.

use crate::message::jws::Tokens;
use crate::net::http::{Method, Request};

/// The register's host is not published; Customs gives it at onboarding.
pub const DEFAULT_HOST: &str = "account-register.invalid";

/// Everything a request is built from.
pub struct RequestParts<'a> {
    pub host: &'a str,
    pub path: &'a str,
    pub content_type: &'a str,
    pub correlation_id: &'a str,
    pub tokens: &'a Tokens,
}

/// The request `send` sends.
pub fn request(p: &RequestParts<'_>) -> Request {
    Request {
        method: Method::Post,
        target: p.path.to_owned(),
        host: p.host.to_owned(),
        headers: vec![
            ("Content-Type", p.content_type.to_owned()),
            (
                "Authorization",
                format!("Bearer {}", p.tokens.authorization),
            ),
            ("X-Correlation-ID", p.correlation_id.to_owned()),
        ],
        body: p.tokens.body.as_bytes().to_vec(),
    }
}

/// The complete request as a file holds it, CRLF line endings.
pub fn http_request(p: &RequestParts<'_>) -> String {
    String::from_utf8_lossy(&request(p).to_wire()).into_owned()
}

/// An equivalent curl command. The TLS client certificate and key are placeholders: key
/// material never goes on a command line; the tokens are signed data and may.
pub fn curl_command(p: &RequestParts<'_>) -> String {
    format!(
        "curl --http1.1 --fail-with-body -X POST 'https://{host}{path}' \\\n  --cert TLS_CLIENT_CERT.pem --key TLS_CLIENT_KEY.pem \\\n  -H 'Content-Type: {ct}' \\\n  -H 'Authorization: Bearer {auth}' \\\n  -H 'X-Correlation-ID: {cid}' \\\n  --data-binary '{body}'\n",
        host = p.host,
        path = p.path,
        ct = p.content_type,
        auth = p.tokens.authorization,
        cid = p.correlation_id,
        body = p.tokens.body,
    )
}

/// A request file read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedRequest {
    pub method: String,
    pub path: String,
    pub version: String,
    /// Header names lower-cased, in file order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl ParsedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The Authorization header's bearer token.
    pub fn bearer(&self) -> Option<&str> {
        bearer_token(self.header("authorization")?)
    }
}

/// The token of an `Authorization` value in the `Bearer` scheme. The scheme's name is
/// case-insensitive (RFC 9110 §11.1) and one or more spaces separate it from the token (§11.4).
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let token = rest.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Why a request file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("has no blank line ending the headers")]
    NoHeaderEnd,
    #[error("request line {0:?} is not METHOD PATH HTTP/x.y")]
    RequestLine(String),
    #[error("header line {0:?} has no ':'")]
    HeaderLine(String),
}

/// Parse a request file (CRLF or LF line endings).
pub fn parse_request(text: &str) -> Result<ParsedRequest, RequestError> {
    let (head, body) = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .ok_or(RequestError::NoHeaderEnd)?;
    let mut lines = head.lines().map(|l| l.trim_end_matches('\r'));
    let first = lines.next().unwrap_or_default();
    let mut words = first.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(RequestError::RequestLine(first.chars().take(80).collect()));
    };
    if !version.starts_with("HTTP/") {
        return Err(RequestError::RequestLine(first.chars().take(80).collect()));
    }
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| RequestError::HeaderLine(line.chars().take(80).collect()))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(ParsedRequest {
        method: method.into(),
        path: path.into(),
        version: version.into(),
        headers,
        body: body.trim_end().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for v in [
            "Bearer a.b.c",
            "bearer a.b.c",
            "BEARER  a.b.c",
            " bEaReR a.b.c ",
        ] {
            assert_eq!(bearer_token(v), Some("a.b.c"), "{v:?}");
        }
        for v in ["Bearer", "Bearer ", "Basic a.b.c", "Bearera.b.c", "a.b.c"] {
            assert_eq!(bearer_token(v), None, "{v:?}");
        }
    }
}
