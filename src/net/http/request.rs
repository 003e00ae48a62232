//! A request as tilicheck sends it, and as a file (`send --dry-run`, `message sign --request`)
//! writes it: the same headers in the same order either way, so a saved request replays
//! exactly what would have been sent.

/// One HTTP/1.1 request. `Host`, `Content-Length` (for a body or a POST) and
/// `Connection: close` are added by the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The request target in origin form (`/path?query`).
    pub target: String,
    /// The `Host` header's value.
    pub host: String,
    /// Further headers, in the order they are written.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

impl Request {
    /// Whether the request carries a `Content-Length` (POST always does, even when empty).
    pub(super) fn has_length(&self) -> bool {
        self.method == Method::Post || !self.body.is_empty()
    }

    /// The request as bytes on the wire (CRLF line endings), for a file to replay.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\n",
            self.method.as_str(),
            self.target,
            self.host
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if self.has_length() {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("Connection: close\r\n\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_form_is_the_request_in_order() {
        let r = Request {
            method: Method::Post,
            target: "/v3/x/".into(),
            host: "h.test".into(),
            headers: vec![
                ("Content-Type", "application/json".into()),
                ("X-A", "1".into()),
            ],
            body: b"{}".to_vec(),
        };
        assert_eq!(
            String::from_utf8(r.to_wire()).unwrap(),
            "POST /v3/x/ HTTP/1.1\r\nHost: h.test\r\nContent-Type: application/json\r\nX-A: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        );
    }
}
