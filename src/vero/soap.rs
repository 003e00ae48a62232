//! The certificate service's SOAP 1.1 messages: requests written in canonical form (no
//! whitespace between elements, no self-closing tags, each namespace declared once), and
//! answers read back into plain values. Element names come from the profile only.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::profile::vero::{ElementNames, Environment};

pub const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub use crate::pki::xmldsig::DSIG_NS;

/// Escape text content as canonical XML does (so that requests are already canonical).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    crate::pki::xmldsig::c14n::escape_text(s, &mut out);
    out
}

fn element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    crate::pki::xmldsig::c14n::escape_text(text, out);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Who the request is about.
#[derive(Clone, Debug)]
pub struct Customer<'a> {
    pub environment: Environment,
    pub id: &'a str,
    pub name: Option<&'a str>,
}

fn customer_fields(out: &mut String, n: &ElementNames, c: &Customer<'_>) {
    element(out, n.environment, c.environment.soap_value());
    element(out, n.customer_id, c.id);
    if let Some(name) = c.name {
        element(out, n.customer_name, name);
    }
}

/// Wrap an operation element in a SOAP envelope.
fn envelope(n: &ElementNames, op: &str, inner: &str) -> String {
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV_NS}\"><soapenv:Body><cer:{op} xmlns:cer=\"{ns}\">{inner}</cer:{op}></soapenv:Body></soapenv:Envelope>",
        ns = n.namespace
    )
}

/// SignNewCertificateRequest. The result holds the transfer password: callers keep it in
/// memory only and drop it after sending.
pub fn sign_new_request(
    n: &ElementNames,
    c: &Customer<'_>,
    transfer_id: &str,
    transfer_password: &str,
    csr_der: &[u8],
) -> zeroize::Zeroizing<String> {
    // Every buffer that holds the password is wiped when dropped.
    let mut inner = zeroize::Zeroizing::new(String::new());
    customer_fields(&mut inner, n, c);
    element(&mut inner, n.transfer_id, transfer_id);
    element(&mut inner, n.transfer_password, transfer_password);
    element(&mut inner, n.certificate_request, &B64.encode(csr_der));
    zeroize::Zeroizing::new(envelope(n, n.sign_new_request, &inner))
}

pub fn get_request(n: &ElementNames, c: &Customer<'_>, retrieval_id: &str) -> String {
    let mut inner = String::new();
    customer_fields(&mut inner, n, c);
    element(&mut inner, n.retrieval_id, retrieval_id);
    envelope(n, n.get_request, &inner)
}

/// RenewCertificateRequest without its signature; [`crate::vero::dsig`] signs it.
pub fn renew_request_unsigned(n: &ElementNames, c: &Customer<'_>, csr_der: &[u8]) -> String {
    let mut inner = String::new();
    customer_fields(&mut inner, n, c);
    element(&mut inner, n.certificate_request, &B64.encode(csr_der));
    envelope(n, n.renew_request, &inner)
}

/// One `ErrorInfo` of a `Result`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
}

/// What an answer said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The operation response element's local name.
    pub operation: String,
    pub status: String,
    pub errors: Vec<ErrorInfo>,
    pub retrieval_id: Option<String>,
    pub certificate_der: Option<Vec<u8>>,
    /// Whether a `ds:Signature` element is inside the response element.
    pub signed: bool,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.status == "OK"
    }

    /// `PKI001: message; PKI002: message`.
    pub fn error_text(&self) -> String {
        if self.errors.is_empty() {
            return format!("Status {} without ErrorInfo", self.status);
        }
        self.errors
            .iter()
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Why an answer could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnswerError {
    #[error("the answer is not XML ({0})")]
    NotXml(String),
    #[error("the answer is not a SOAP envelope (root element <{0}>)")]
    NotSoap(String),
    #[error("SOAP fault {code}: {text}")]
    Fault { code: String, text: String },
    #[error("the SOAP body holds <{found}>, not <{expected}>")]
    WrongOperation { expected: String, found: String },
    #[error("the answer has no <{0}> element")]
    Missing(&'static str),
    #[error("<{0}> is not valid base64")]
    BadBase64(&'static str),
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The SOAP Body's first element, or a fault.
pub fn body_element<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
) -> Result<roxmltree::Node<'a, 'i>, AnswerError> {
    let root = doc.root_element();
    if root.tag_name().name() != "Envelope" || root.tag_name().namespace() != Some(SOAP_ENV_NS) {
        return Err(AnswerError::NotSoap(root.tag_name().name().to_owned()));
    }
    let body = child(root, "Body").ok_or(AnswerError::Missing("Body"))?;
    let op = body
        .children()
        .find(|c| c.is_element())
        .ok_or(AnswerError::Missing("Body content"))?;
    if op.tag_name().name() == "Fault" {
        let code = child(op, "faultcode").map(text_of).unwrap_or_default();
        let text = child(op, "faultstring").map(text_of).unwrap_or_default();
        return Err(AnswerError::Fault { code, text });
    }
    Ok(op)
}

/// Parse an answer whose operation element should be `expected`.
pub fn parse_answer(n: &ElementNames, xml: &str, expected: &str) -> Result<Answer, AnswerError> {
    let doc = parse_document(xml)?;
    let op = body_element(&doc)?;
    let found = op.tag_name().name();
    if found != expected {
        return Err(AnswerError::WrongOperation {
            expected: expected.to_owned(),
            found: found.to_owned(),
        });
    }
    let result = child(op, n.result).ok_or(AnswerError::Missing("Result"))?;
    let status = child(result, n.status)
        .map(text_of)
        .ok_or(AnswerError::Missing("Status"))?;
    let errors = result
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == n.error_info)
        .map(|e| ErrorInfo {
            code: child(e, n.error_code).map(text_of).unwrap_or_default(),
            message: child(e, n.error_message).map(text_of).unwrap_or_default(),
        })
        .collect();
    let certificate_der = match child(op, n.certificate).map(text_of) {
        Some(b64) if !b64.is_empty() => {
            Some(decode_base64(&b64).ok_or(AnswerError::BadBase64("Certificate"))?)
        }
        _ => None,
    };
    Ok(Answer {
        operation: found.to_owned(),
        status,
        errors,
        retrieval_id: child(op, n.retrieval_id)
            .map(text_of)
            .filter(|s| !s.is_empty()),
        certificate_der,
        signed: op.children().any(|c| {
            c.tag_name().name() == "Signature" && c.tag_name().namespace() == Some(DSIG_NS)
        }),
    })
}

/// Parse XML through the one XML door (DTDs refused, depth and size bounded).
pub fn parse_document(xml: &str) -> Result<roxmltree::Document<'_>, AnswerError> {
    crate::xml::parse(xml).map_err(|e| AnswerError::NotXml(e.to_string()))
}

/// base64 that may be wrapped over lines.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    B64.decode(compact).ok()
}

/// A response as the simulator writes it (also the shape the client expects).
pub fn response(
    n: &ElementNames,
    op: &str,
    status: &str,
    errors: &[ErrorInfo],
    retrieval_id: Option<&str>,
    certificate_der: Option<&[u8]>,
) -> String {
    let mut inner = String::new();
    if let Some(der) = certificate_der {
        element(&mut inner, n.certificate, &B64.encode(der));
    }
    if let Some(id) = retrieval_id {
        element(&mut inner, n.retrieval_id, id);
    }
    inner.push_str(&format!("<{}>", n.result));
    element(&mut inner, n.status, status);
    for e in errors {
        inner.push_str(&format!("<{}>", n.error_info));
        element(&mut inner, n.error_code, &e.code);
        element(&mut inner, n.error_message, &e.message);
        inner.push_str(&format!("</{}>", n.error_info));
    }
    inner.push_str(&format!("</{}>", n.result));
    envelope(n, op, &inner)
}

/// A SOAP 1.1 fault.
pub fn fault(code: &str, text: &str) -> String {
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV_NS}\"><soapenv:Body><soapenv:Fault><faultcode>{}</faultcode><faultstring>{}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>",
        escape(code),
        escape(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::VERO;

    fn names() -> &'static ElementNames {
        VERO.elements.value
    }

    #[test]
    fn get_request_has_the_official_example_shape() {
        let c = Customer {
            environment: Environment::Test,
            id: "1234567-8",
            name: Some("A & B Oy"),
        };
        let xml = get_request(names(), &c, "R1");
        assert!(xml.contains("<cer:GetCertificateRequest xmlns:cer=\"http://certificates.vero.fi/2017/10/certificateservices\"><Environment>TEST</Environment><CustomerId>1234567-8</CustomerId><CustomerName>A &amp; B Oy</CustomerName><RetrievalId>R1</RetrievalId></cer:GetCertificateRequest>"), "{xml}");
        // And it parses back.
        let doc = parse_document(&xml).expect("xml");
        assert_eq!(
            body_element(&doc).expect("body").tag_name().name(),
            "GetCertificateRequest"
        );
    }

    #[test]
    fn answers_errors_and_faults() {
        let n = names();
        let ok = response(n, n.get_response, "OK", &[], None, Some(b"\x30\x00"));
        let a = parse_answer(n, &ok, n.get_response).expect("answer");
        assert!(a.ok());
        assert_eq!(a.certificate_der.as_deref(), Some(&b"\x30\x00"[..]));
        let errs = [ErrorInfo {
            code: "PKI002".into(),
            message: "used".into(),
        }];
        let fail = response(n, n.sign_new_response, "FAIL", &errs, None, None);
        let a = parse_answer(n, &fail, n.sign_new_response).expect("answer");
        assert_eq!(a.error_text(), "PKI002: used");
        assert_eq!(
            parse_answer(n, &fault("soapenv:Server", "boom"), n.get_response),
            Err(AnswerError::Fault {
                code: "soapenv:Server".into(),
                text: "boom".into()
            })
        );
        assert!(matches!(
            parse_answer(n, "<html><body>503</body></html>", n.get_response),
            Err(AnswerError::NotSoap(_))
        ));
        assert!(matches!(
            parse_answer(n, "<html><br></html>", n.get_response),
            Err(AnswerError::NotXml(_))
        ));
        assert!(matches!(
            parse_answer(n, &ok, n.sign_new_response),
            Err(AnswerError::WrongOperation { .. })
        ));
    }
}
