//! The certificate service client: one SOAP call per operation, answers turned into values
//! or errors that say what the service (or whatever answered instead) said, and polling of
//! GetCertificate with a bounded backoff.

use std::time::Duration;

use rustls::RootCertStore;

use crate::profile::VeroProfile;
use crate::vero::dsig::{self, DsigError, SigningKey};
use crate::vero::https::{self, HttpError, Limits, Url};
use crate::vero::soap::{self, Answer, AnswerError, Customer};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Http(#[from] HttpError),
    #[error(
        "{url} answered HTTP {status} with an HTML page{title} instead of SOAP: a proxy, a maintenance page or a wrong URL"
    )]
    HtmlPage {
        url: String,
        status: u16,
        title: String,
    },
    #[error("{url} answered HTTP {status}: {problem}")]
    BadAnswer {
        url: String,
        status: u16,
        problem: AnswerError,
    },
    #[error("the certificate service refused {operation}: {errors}")]
    Rejected { operation: String, errors: String },
    #[error("{operation} answered OK without a {missing}")]
    Incomplete {
        operation: String,
        missing: &'static str,
    },
    #[error("the service's answer to {operation} failed its signature check: {problem}")]
    ResponseSignature {
        operation: String,
        problem: String,
        /// A retrieval ID the refused answer carried: kept (journalled) so that a resumed run
        /// can poll with it; the certificate it leads to is checked on its own merits.
        unverified_retrieval_id: Option<String>,
    },
    #[error("cannot sign the renewal: {0}")]
    Sign(#[from] DsigError),
    #[error("the certificate was not issued after {polls} polls ({seconds} s)")]
    NotIssued { polls: u32, seconds: u64 },
}

/// How often to ask GetCertificate.
#[derive(Clone, Copy, Debug)]
pub struct Polling {
    pub first: Duration,
    /// Waits double after each "not yet", up to this.
    pub max_wait: Duration,
    pub max_polls: u32,
}

pub struct ServiceClient<'p> {
    pub url: Url,
    url_text: String,
    roots: RootCertStore,
    pub limits: Limits,
    profile: &'p VeroProfile,
    /// CA certificates (DER) that may issue the service's answer-signing certificate; when
    /// empty, answers' signatures are not checked.
    service_cas: Vec<Vec<u8>>,
    /// Who signed the answers checked so far.
    verified_signer: std::cell::RefCell<Option<String>>,
}

impl ServiceError {
    /// A retrieval ID that came with the error, worth journalling.
    pub fn retrieval_id(&self) -> Option<&str> {
        match self {
            ServiceError::ResponseSignature {
                unverified_retrieval_id,
                ..
            } => unverified_retrieval_id.as_deref(),
            _ => None,
        }
    }
}

impl<'p> ServiceClient<'p> {
    pub fn new(
        url: &str,
        roots: RootCertStore,
        profile: &'p VeroProfile,
    ) -> Result<Self, HttpError> {
        Ok(ServiceClient {
            url: Url::parse(url)?,
            url_text: url.to_owned(),
            roots,
            limits: Limits::default(),
            profile,
            service_cas: Vec::new(),
            verified_signer: std::cell::RefCell::new(None),
        })
    }

    /// Check every answer's XML signature against these CA certificates (DER).
    pub fn with_service_cas(mut self, cas: Vec<Vec<u8>>) -> Self {
        self.service_cas = cas;
        self
    }

    /// Whether answers are checked, and the signer of the last one that was.
    pub fn signature_checked(&self) -> Option<Option<String>> {
        (!self.service_cas.is_empty()).then(|| self.verified_signer.borrow().clone())
    }

    fn check_signature(&self, xml: &str, answer: &Answer) -> Result<(), ServiceError> {
        if self.service_cas.is_empty() {
            return Ok(());
        }
        let refused = |problem: String| ServiceError::ResponseSignature {
            operation: answer.operation.clone(),
            problem,
            unverified_retrieval_id: answer.retrieval_id.clone(),
        };
        let signer = dsig::verify_enveloped(xml).map_err(|e| refused(e.to_string()))?;
        if !self.service_cas.iter().any(|ca| signer.issued_by(ca)) {
            return Err(refused(format!(
                "signed by \"{}\", which no certificate in the service CA file issued",
                signer.facts.subject
            )));
        }
        *self.verified_signer.borrow_mut() = Some(signer.facts.subject);
        Ok(())
    }

    fn call(&self, action: &str, body: &str, expected: &str) -> Result<Answer, ServiceError> {
        let r = https::post_soap(
            &self.url,
            action,
            body.as_bytes(),
            self.roots.clone(),
            self.limits,
        )?;
        let text = String::from_utf8_lossy(&r.body);
        if is_html(r.content_type.as_deref(), &text) {
            return Err(ServiceError::HtmlPage {
                url: self.url_text.clone(),
                status: r.status,
                title: html_title(&text)
                    .map(|t| format!(" (\"{t}\")"))
                    .unwrap_or_default(),
            });
        }
        let answer = soap::parse_answer(self.profile.elements.value, &text, expected).map_err(
            |problem| ServiceError::BadAnswer {
                url: self.url_text.clone(),
                status: r.status,
                problem,
            },
        )?;
        self.check_signature(&text, &answer)?;
        if !answer.ok() {
            return Err(ServiceError::Rejected {
                operation: expected.trim_end_matches("Response").to_owned(),
                errors: answer.error_text(),
            });
        }
        Ok(answer)
    }

    /// SignNewCertificate: the retrieval ID.
    pub fn sign_new(
        &self,
        customer: &Customer<'_>,
        transfer_id: &str,
        transfer_password: &str,
        csr_der: &[u8],
    ) -> Result<String, ServiceError> {
        let n = self.profile.elements.value;
        let body = soap::sign_new_request(n, customer, transfer_id, transfer_password, csr_der);
        let a = self.call(n.action_sign_new, &body, n.sign_new_response)?;
        a.retrieval_id.ok_or(ServiceError::Incomplete {
            operation: n.sign_new_request.to_owned(),
            missing: "RetrievalId",
        })
    }

    /// RenewCertificate, signed with the current certificate's key: the retrieval ID.
    pub fn renew(
        &self,
        customer: &Customer<'_>,
        csr_der: &[u8],
        key: &SigningKey,
        current_cert_der: &[u8],
    ) -> Result<String, ServiceError> {
        let n = self.profile.elements.value;
        let unsigned = soap::renew_request_unsigned(n, customer, csr_der);
        let signed = dsig::sign_enveloped(
            &unsigned,
            &format!("</cer:{}>", n.renew_request),
            key,
            current_cert_der,
        )?;
        let a = self.call(n.action_renew, &signed, n.renew_response)?;
        a.retrieval_id.ok_or(ServiceError::Incomplete {
            operation: n.renew_request.to_owned(),
            missing: "RetrievalId",
        })
    }

    /// GetCertificate once: the certificate, or `None` while it is not issued.
    pub fn get(
        &self,
        customer: &Customer<'_>,
        retrieval_id: &str,
    ) -> Result<Option<Vec<u8>>, ServiceError> {
        let n = self.profile.elements.value;
        let body = soap::get_request(n, customer, retrieval_id);
        Ok(self
            .call(n.action_get, &body, n.get_response)?
            .certificate_der)
    }

    /// GetCertificate until issued, waiting `first`, then twice as long each time.
    pub fn poll(
        &self,
        customer: &Customer<'_>,
        retrieval_id: &str,
        polling: Polling,
        mut progress: impl FnMut(u32, Duration),
    ) -> Result<Vec<u8>, ServiceError> {
        let mut wait = polling.first;
        let mut waited = Duration::ZERO;
        for attempt in 1..=polling.max_polls {
            progress(attempt, wait);
            std::thread::sleep(wait);
            waited += wait;
            if let Some(cert) = self.get(customer, retrieval_id)? {
                return Ok(cert);
            }
            wait = (wait * 2).min(polling.max_wait);
        }
        Err(ServiceError::NotIssued {
            polls: polling.max_polls,
            seconds: waited.as_secs(),
        })
    }
}

fn is_html(content_type: Option<&str>, body: &str) -> bool {
    let head = body
        .trim_start()
        .get(..15)
        .unwrap_or("")
        .to_ascii_lowercase();
    content_type.is_some_and(|c| c.to_ascii_lowercase().contains("html"))
        || head.starts_with("<!doctype html")
        || head.starts_with("<html")
}

fn html_title(body: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title: String = body.get(start..end)?.trim().chars().take(80).collect();
    (!title.is_empty()).then_some(title)
}
