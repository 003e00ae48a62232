//! What the simulated certificate service decides: single-use transfer IDs, RSA 2048
//! requests, issuing after a number of polls, and the service's `Result` structure for every
//! rejection. The error codes follow the service's `PKI` + three digits pattern but their
//! numbers are the simulator's own (the real ones are not published).

use std::collections::HashMap;

use rcgen::{CertificateSigningRequestParams, PublicKeyData};
use rustls_pki_types::{CertificateDer, CertificateSigningRequestDer};
use time::OffsetDateTime;

use crate::pki::csr::CsrFacts;
use crate::pki::facts::{CertificateFacts, KeyFacts};
use crate::profile::VeroProfile;
use crate::profile::vero::Environment;
use crate::vero::dsig::{self, SigningKey};
use crate::vero::simulator::ca::DemoCa;
use crate::vero::soap::{self, ErrorInfo};

/// A transfer ID and one-time password, as the secure e-mail would deliver them.
#[derive(Clone, Debug)]
pub struct TransferGrant {
    pub transfer_id: String,
    pub password: String,
    pub customer_id: String,
}

/// Deliberate misbehaviour, for clients' bad-input tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Misbehaviour {
    #[default]
    None,
    /// Answer every call with a SOAP fault.
    SoapFault,
    /// Answer every call with an HTML error page (as a proxy or load balancer would).
    HtmlErrorPage,
    /// Put a certificate for another key in GetCertificate answers.
    WrongCertificate,
    /// Send answers without their XML signature.
    UnsignedAnswers,
    /// Change an answer after signing it.
    TamperedAnswers,
}

/// The key and certificate the service signs its answers with.
pub struct ResponseSigner {
    pub key: SigningKey,
    pub cert_der: Vec<u8>,
}

pub const TRANSFER_ID_UNKNOWN: &str = "PKI001";
pub const TRANSFER_ID_USED: &str = "PKI002";
pub const BAD_REQUEST: &str = "PKI003";
pub const RETRIEVAL_ID_UNKNOWN: &str = "PKI004";
pub const RENEWAL_WINDOW: &str = "PKI005";
pub const RENEWAL_SIGNATURE: &str = "PKI006";
pub const ENVIRONMENT: &str = "PKI007";

struct Pending {
    customer_id: String,
    certificate: CertificateDer<'static>,
    polls_left: u32,
}

/// The service's memory.
pub struct ServiceState {
    pub environment: Environment,
    grants: HashMap<String, (TransferGrant, bool)>,
    pending: HashMap<String, Pending>,
    /// Every certificate issued, by DER, for renewals.
    pub issued: Vec<CertificateDer<'static>>,
    pub pending_polls: u32,
    pub clock: Option<OffsetDateTime>,
    pub misbehaviour: Misbehaviour,
    pub calls: HashMap<&'static str, usize>,
    /// The last RenewCertificate message as received, for independent signature checks.
    pub last_renewal: Option<String>,
    serial: u64,
}

/// An answer: HTTP status and body.
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Reply {
    fn xml(body: String) -> Self {
        Reply {
            status: 200,
            content_type: "text/xml; charset=utf-8",
            body,
        }
    }
}

fn error(code: &str, message: impl Into<String>) -> Vec<ErrorInfo> {
    vec![ErrorInfo {
        code: code.to_owned(),
        message: message.into(),
    }]
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // The simulator is a DEMO: if the system RNG fails, a counter-like ID still works.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ServiceState {
    pub fn new(environment: Environment, grants: Vec<TransferGrant>, pending_polls: u32) -> Self {
        ServiceState {
            environment,
            grants: grants
                .into_iter()
                .map(|g| (g.transfer_id.clone(), (g, false)))
                .collect(),
            pending: HashMap::new(),
            issued: Vec::new(),
            pending_polls,
            clock: None,
            misbehaviour: Misbehaviour::None,
            calls: HashMap::new(),
            last_renewal: None,
            serial: 0x5000,
        }
    }

    /// Answer "not issued yet" `n` times from now on, for new and waiting retrievals alike.
    pub fn set_pending_polls(&mut self, n: u32) {
        self.pending_polls = n;
        for p in self.pending.values_mut() {
            p.polls_left = p.polls_left.min(n);
        }
    }

    pub fn add_grant(&mut self, g: TransferGrant) {
        self.grants.insert(g.transfer_id.clone(), (g, false));
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// Handle one SOAP request body.
    pub fn handle(
        &mut self,
        xml: &str,
        ca: &DemoCa,
        signer: &ResponseSigner,
        profile: &VeroProfile,
    ) -> Reply {
        match self.misbehaviour {
            Misbehaviour::SoapFault => {
                return Reply {
                    status: 500,
                    content_type: "text/xml; charset=utf-8",
                    body: soap::fault("soapenv:Server", "DEMO simulator: internal error"),
                };
            }
            Misbehaviour::HtmlErrorPage => {
                return Reply {
                    status: 503,
                    content_type: "text/html",
                    body: "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>".into(),
                };
            }
            _ => {}
        }
        let n = profile.elements.value;
        let doc = match soap::parse_document(xml) {
            Ok(d) => d,
            Err(e) => return client_fault(&e.to_string()),
        };
        let op = match soap::body_element(&doc) {
            Ok(op) => op,
            Err(e) => return client_fault(&e.to_string()),
        };
        let field = |name: &str| {
            op.children()
                .find(|c| c.is_element() && c.tag_name().name() == name)
                .and_then(|c| c.text())
                .map(|t| t.trim().to_owned())
        };
        let name = op.tag_name().name();
        if op.tag_name().namespace() != Some(n.namespace) {
            return client_fault(&format!("<{name}> is not in the service namespace"));
        }
        let environment = field(n.environment).unwrap_or_default();
        let (reply_op, counter) = if name == n.sign_new_request {
            (n.sign_new_response, "sign_new")
        } else if name == n.get_request {
            (n.get_response, "get")
        } else if name == n.renew_request {
            (n.renew_response, "renew")
        } else {
            return client_fault(&format!("unknown operation <{name}>"));
        };
        *self.calls.entry(counter).or_default() += 1;
        if environment != self.environment.soap_value() {
            let errors = error(
                ENVIRONMENT,
                format!("this is the {} service", self.environment.soap_value()),
            );
            let body = soap::response(n, reply_op, "FAIL", &errors, None, None);
            return Reply::xml(self.sign(body, &format!("</cer:{reply_op}>"), signer));
        }
        let customer_id = field(n.customer_id).unwrap_or_default();
        let answer = if name == n.renew_request {
            self.renew(
                xml,
                &customer_id,
                field(n.certificate_request).unwrap_or_default(),
                ca,
                profile,
            )
            .map(|id| (Some(id), None))
        } else if name == n.sign_new_request {
            self.sign_new(
                &customer_id,
                field(n.transfer_id).unwrap_or_default(),
                field(n.transfer_password).unwrap_or_default(),
                field(n.certificate_request).unwrap_or_default(),
                ca,
                profile,
            )
            .map(|id| (Some(id), None))
        } else {
            self.get(
                &customer_id,
                &field(n.retrieval_id).unwrap_or_default(),
                ca,
                profile,
            )
            .map(|cert| (None, cert))
        };
        let body = match answer {
            Ok((id, cert)) => {
                soap::response(n, reply_op, "OK", &[], id.as_deref(), cert.as_deref())
            }
            Err(errors) => soap::response(n, reply_op, "FAIL", &errors, None, None),
        };
        Reply::xml(self.sign(body, &format!("</cer:{reply_op}>"), signer))
    }

    /// Sign an answer as the service does (or misbehave as configured).
    fn sign(&self, body: String, before: &str, signer: &ResponseSigner) -> String {
        if self.misbehaviour == Misbehaviour::UnsignedAnswers {
            return body;
        }
        match dsig::sign_enveloped(&body, before, &signer.key, &signer.cert_der) {
            Ok(signed) if self.misbehaviour == Misbehaviour::TamperedAnswers => {
                signed.replacen("<Status>", "<Status> ", 1)
            }
            Ok(signed) => signed,
            // A DEMO service that cannot sign answers unsigned; clients with --service-ca refuse.
            Err(_) => body,
        }
    }

    fn sign_new(
        &mut self,
        customer_id: &str,
        transfer_id: String,
        password: String,
        csr_b64: String,
        ca: &DemoCa,
        profile: &VeroProfile,
    ) -> Result<String, Vec<ErrorInfo>> {
        let Some((grant, used)) = self.grants.get(&transfer_id) else {
            return Err(error(
                TRANSFER_ID_UNKNOWN,
                "unknown transfer ID or wrong password",
            ));
        };
        // One answer for both, so that the service does not confirm which half was wrong.
        if grant.password != password || grant.customer_id != customer_id {
            return Err(error(
                TRANSFER_ID_UNKNOWN,
                "unknown transfer ID or wrong password",
            ));
        }
        if *used {
            return Err(error(
                TRANSFER_ID_USED,
                "the transfer ID has already been used",
            ));
        }
        let public_key = request_key(&csr_b64, profile)?;
        let certificate = self.issue(customer_id, &public_key, ca, profile)?;
        if let Some(slot) = self.grants.get_mut(&transfer_id) {
            slot.1 = true;
        }
        Ok(self.enqueue(customer_id, certificate))
    }

    /// RenewCertificate: signed with the key of a certificate this service issued to the
    /// same customer, still valid and inside its renewal window.
    fn renew(
        &mut self,
        xml: &str,
        customer_id: &str,
        csr_b64: String,
        ca: &DemoCa,
        profile: &VeroProfile,
    ) -> Result<String, Vec<ErrorInfo>> {
        self.last_renewal = Some(xml.to_owned());
        let signer = dsig::verify_enveloped(xml)
            .map_err(|e| error(RENEWAL_SIGNATURE, format!("renewal signature: {e}")))?;
        let ours = self.issued.iter().any(|c| {
            CertificateFacts::from_der(c)
                .is_ok_and(|f| f.sha256_fingerprint == signer.facts.sha256_fingerprint)
        });
        if !ours {
            return Err(error(
                RENEWAL_SIGNATURE,
                "the renewal is not signed with a certificate this service issued",
            ));
        }
        if !signer.facts.common_names.iter().any(|cn| cn == customer_id) {
            return Err(error(
                RENEWAL_SIGNATURE,
                "the signing certificate belongs to another customer",
            ));
        }
        let now = self.now();
        let opens =
            signer.facts.not_after - time::Duration::days(profile.renewal_window_days.value);
        if now > signer.facts.not_after {
            return Err(error(
                RENEWAL_WINDOW,
                "the certificate has expired and cannot be renewed",
            ));
        }
        if now < opens {
            return Err(error(
                RENEWAL_WINDOW,
                format!(
                    "renewal is possible only in the last {} days before expiry",
                    profile.renewal_window_days.value
                ),
            ));
        }
        let public_key = request_key(&csr_b64, profile)?;
        let certificate = self.issue(customer_id, &public_key, ca, profile)?;
        Ok(self.enqueue(customer_id, certificate))
    }

    fn issue(
        &mut self,
        customer_id: &str,
        public_key: &impl PublicKeyData,
        ca: &DemoCa,
        profile: &VeroProfile,
    ) -> Result<CertificateDer<'static>, Vec<ErrorInfo>> {
        self.serial += 1;
        let cert = ca
            .issue_customer(customer_id, public_key, self.now(), self.serial, profile)
            .map_err(|e| error(BAD_REQUEST, e.to_string()))?;
        self.issued.push(cert.clone());
        Ok(cert)
    }

    fn enqueue(&mut self, customer_id: &str, certificate: CertificateDer<'static>) -> String {
        let id = random_id();
        self.pending.insert(
            id.clone(),
            Pending {
                customer_id: customer_id.to_owned(),
                certificate,
                polls_left: self.pending_polls,
            },
        );
        id
    }

    fn get(
        &mut self,
        customer_id: &str,
        retrieval_id: &str,
        ca: &DemoCa,
        profile: &VeroProfile,
    ) -> Result<Option<Vec<u8>>, Vec<ErrorInfo>> {
        let wrong = self.misbehaviour == Misbehaviour::WrongCertificate;
        let Some(p) = self.pending.get_mut(retrieval_id) else {
            return Err(error(RETRIEVAL_ID_UNKNOWN, "unknown retrieval ID"));
        };
        if p.customer_id != customer_id {
            return Err(error(RETRIEVAL_ID_UNKNOWN, "unknown retrieval ID"));
        }
        if p.polls_left > 0 {
            p.polls_left -= 1;
            return Ok(None);
        }
        if wrong {
            let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                .map_err(|e| error(BAD_REQUEST, e.to_string()))?;
            let customer = p.customer_id.clone();
            return self
                .issue(&customer, &other, ca, profile)
                .map(|c| Some(c.to_vec()));
        }
        Ok(Some(p.certificate.to_vec()))
    }
}

/// The request's public key, if the request is well-formed, self-signed and RSA of the
/// profile's size.
pub fn request_key(
    csr_b64: &str,
    profile: &VeroProfile,
) -> Result<rcgen::PublicKey, Vec<ErrorInfo>> {
    let der = soap::decode_base64(csr_b64)
        .ok_or_else(|| error(BAD_REQUEST, "CertificateRequest is not base64"))?;
    let facts = CsrFacts::parse(&der).map_err(|e| error(BAD_REQUEST, e.to_string()))?;
    if facts.signature_valid.is_err() {
        return Err(error(
            BAD_REQUEST,
            "the request's signature does not verify",
        ));
    }
    let want = profile.rsa_bits.value;
    if facts.key != (KeyFacts::Rsa { bits: want }) {
        return Err(error(
            BAD_REQUEST,
            format!("only RSA {want}-bit keys are supported, not {}", facts.key),
        ));
    }
    CertificateSigningRequestParams::from_der(&CertificateSigningRequestDer::from(der))
        .map(|p| p.public_key)
        .map_err(|e| error(BAD_REQUEST, e.to_string()))
}

fn client_fault(text: &str) -> Reply {
    Reply {
        status: 500,
        content_type: "text/xml; charset=utf-8",
        body: soap::fault("soapenv:Client", text),
    }
}
