//! The Vero API / Incomes Register "Web Service" certificate, as data. This is a separate PKI
//! from the Account Register's: the Tax Administration's own CAs issue it through its
//! certificate service, and every number the `vero` checks compare against lives here.

use serde::{Deserialize, Serialize};

use super::Sourced;

/// Which certificate-service environment a certificate belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Production: Vero API `api.vero.fi`, issuer "Data Providers Issuing CA".
    Production,
    /// Test: Vero API `apitest.vero.fi`, issuer "Data Providers Test Issuing CA v1".
    Test,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Test => "test",
        }
    }

    /// The value of the `Environment` element in the service's messages.
    pub fn soap_value(self) -> &'static str {
        match self {
            Environment::Production => "PRODUCTION",
            Environment::Test => "TEST",
        }
    }

    pub fn other(self) -> Environment {
        match self {
            Environment::Production => Environment::Test,
            Environment::Test => Environment::Production,
        }
    }
}

/// Which subject attribute of the issued certificate holds the customer ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum IdAttribute {
    /// commonName (2.5.4.3)
    #[value(name = "cn")]
    #[serde(rename = "cn")]
    Cn,
    /// serialNumber (2.5.4.5)
    #[value(name = "serialNumber")]
    #[serde(rename = "serialNumber")]
    SerialNumber,
    /// organizationIdentifier (2.5.4.97)
    #[value(name = "organizationIdentifier")]
    #[serde(rename = "organizationIdentifier")]
    OrganizationIdentifier,
}

impl IdAttribute {
    pub fn as_str(self) -> &'static str {
        match self {
            IdAttribute::Cn => "CN",
            IdAttribute::SerialNumber => "serialNumber",
            IdAttribute::OrganizationIdentifier => "organizationIdentifier",
        }
    }
}

/// A time of day in Finnish local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LocalTime {
    pub hour: u8,
    pub minute: u8,
}

/// The certificate service's office hours, Finnish time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OfficeHours {
    pub start: LocalTime,
    pub end: LocalTime,
}

/// The element names of the certificate service's SOAP messages. They come from third-party
/// code generated from the official XSD, not from the XSD itself; they live here and nowhere
/// else so that one edit fixes them all.
#[derive(Debug, Serialize)]
pub struct ElementNames {
    pub namespace: &'static str,
    pub sign_new_request: &'static str,
    pub sign_new_response: &'static str,
    pub get_request: &'static str,
    pub get_response: &'static str,
    pub renew_request: &'static str,
    pub renew_response: &'static str,
    pub environment: &'static str,
    pub customer_id: &'static str,
    pub customer_name: &'static str,
    pub transfer_id: &'static str,
    pub transfer_password: &'static str,
    pub certificate_request: &'static str,
    pub retrieval_id: &'static str,
    pub certificate: &'static str,
    pub result: &'static str,
    pub status: &'static str,
    pub error_info: &'static str,
    pub error_code: &'static str,
    pub error_message: &'static str,
    /// SOAPAction header values, by operation.
    pub action_sign_new: &'static str,
    pub action_get: &'static str,
    pub action_renew: &'static str,
}

/// The rules of the Vero API certificate, as data.
#[derive(Debug, Serialize)]
pub struct VeroProfile {
    pub document: &'static str,
    /// Issuer CNs of production certificates ("Data Providers Issuing CA").
    pub production_issuers: Sourced<&'static [&'static str]>,
    /// Issuer CNs of test certificates.
    pub test_issuers: Sourced<&'static [&'static str]>,
    /// The only RSA key size the certificate service accepts.
    pub rsa_bits: Sourced<u32>,
    /// How long an issued certificate is valid, in years.
    pub validity_years: Sourced<i32>,
    /// Slack, in days, allowed around the two-year validity before calling it unusual.
    pub validity_slack_days: Sourced<i64>,
    /// Renewal is possible only this many days before expiry (and only while valid).
    pub renewal_window_days: Sourced<i64>,
    /// Transfer ID and password from the secure e-mail are valid this many days, once.
    pub transfer_id_valid_days: Sourced<i64>,
    /// `vero new` warns when fewer than this many days of the transfer ID are left.
    pub transfer_id_warn_days: Sourced<i64>,
    /// Office hours of the certificate service, Finnish time.
    pub office_hours: Sourced<OfficeHours>,
    /// A production certificate formed in office hours works at Vero API from the next
    /// working day (the Tax Administration picks certificates up once a day).
    pub activation_next_working_day: Sourced<bool>,
    /// What happens to a certificate formed outside office hours.
    pub activation_outside_hours: Sourced<&'static str>,
    /// Which subject attribute carries the customer ID in the issued certificate.
    pub customer_id_attribute: Sourced<IdAttribute>,
    /// Certificate service endpoints.
    pub production_url: Sourced<&'static str>,
    pub test_url: Sourced<&'static str>,
    /// The SOAP messages' element names.
    pub elements: Sourced<&'static ElementNames>,
    /// First wait between SignNewCertificate and GetCertificate, seconds.
    pub first_poll_seconds: Sourced<u64>,
    /// How a pending certificate shows in a GetCertificate answer.
    pub pending_answer: Sourced<&'static str>,
    /// How the renewal request is signed.
    pub renewal_signature: Sourced<&'static str>,
    /// How the service's answers are signed.
    pub response_signature: Sourced<&'static str>,
}

impl VeroProfile {
    pub fn issuers(&self, env: Environment) -> &Sourced<&'static [&'static str]> {
        match env {
            Environment::Production => &self.production_issuers,
            Environment::Test => &self.test_issuers,
        }
    }

    pub fn service_url(&self, env: Environment) -> &'static str {
        match env {
            Environment::Production => self.production_url.value,
            Environment::Test => self.test_url.value,
        }
    }
}

const REF: &str = "vero.fi certificate-service pages";

static ELEMENTS: ElementNames = ElementNames {
    namespace: "http://certificates.vero.fi/2017/10/certificateservices",
    sign_new_request: "SignNewCertificateRequest",
    sign_new_response: "SignNewCertificateResponse",
    get_request: "GetCertificateRequest",
    get_response: "GetCertificateResponse",
    renew_request: "RenewCertificateRequest",
    renew_response: "RenewCertificateResponse",
    environment: "Environment",
    customer_id: "CustomerId",
    customer_name: "CustomerName",
    transfer_id: "TransferId",
    transfer_password: "TransferPassword",
    certificate_request: "CertificateRequest",
    retrieval_id: "RetrievalId",
    certificate: "Certificate",
    result: "Result",
    status: "Status",
    error_info: "ErrorInfo",
    error_code: "ErrorCode",
    error_message: "ErrorMessage",
    action_sign_new: "signNewCertificate",
    action_get: "getCertificate",
    action_renew: "renewCertificate",
};

pub static VERO: VeroProfile = VeroProfile {
    document: "Tax Administration certificate service and Vero API pages (vero.fi); Vero API go-live page (seed 000)",
    production_issuers: Sourced::assumed(
        &["Data Providers Issuing CA", "Data Providers Issuing CA v1"],
        "vero.fi Vero API technical guidance: production certificates are issued by \"Data Providers Issuing CA\"",
        "the exact production issuer CN (with or without \"v1\") is not confirmed; both are accepted",
    ),
    test_issuers: Sourced::confirmed(
        &["Data Providers Test Issuing CA v1"],
        "vero.fi Vero API technical guidance: test certificates are issued by \"Data Providers Test Issuing CA v1\"",
    ),
    rsa_bits: Sourced::confirmed(
        2048,
        "vero.fi Vero API quick guide to certificate creation: \"the certificate service currently only supports 2048-bit keys\"",
    ),
    validity_years: Sourced::confirmed(
        2,
        "vero.fi certificate service: production and test certificates are valid 2 years",
    ),
    validity_slack_days: Sourced::assumed(
        3,
        REF,
        "how exactly the service counts the two years is not published; 3 days either way are tolerated",
    ),
    renewal_window_days: Sourced::confirmed(
        60,
        "vero.fi certificate service, renewal of certificate: no earlier than 60 days before expiry, only while valid",
    ),
    transfer_id_valid_days: Sourced::confirmed(
        14,
        "vero.fi retrieving a certificate; seed 000: the certificate must be retrieved within 14 days, the IDs work once",
    ),
    transfer_id_warn_days: Sourced::assumed(
        3,
        REF,
        "a tilicheck choice: warn when fewer than 3 days of the transfer ID's 14 are left",
    ),
    office_hours: Sourced::confirmed(
        OfficeHours {
            start: LocalTime { hour: 8, minute: 0 },
            end: LocalTime {
                hour: 16,
                minute: 15,
            },
        },
        "seed 000 (Vero API go-live): office hours of the certificate service 8.00–16.15",
    ),
    activation_next_working_day: Sourced::assumed(
        true,
        "seed 000: certificates are picked up for Vero API once a day; one formed in office hours works the next day",
        "the seed says \"the next day\"; tilicheck reads it as the next working day (weekends and Finnish public holidays skipped)",
    ),
    activation_outside_hours: Sourced::assumed(
        "counted from the start of the next office-hours period",
        "seed 000 states the rule for office hours only",
        "for a certificate formed outside office hours tilicheck assumes it is handled as if formed at the next opening",
    ),
    customer_id_attribute: Sourced::assumed(
        IdAttribute::Cn,
        "vero.fi IR Q&A: the service sets the subject itself; two third-party clients expect CN = CustomerId",
        "which subject attribute holds the customer ID is not confirmed by an official text; override with --id-attribute",
    ),
    production_url: Sourced::confirmed(
        "https://pkiws.vero.fi/2017/10/CertificateServices",
        "vero.fi retrieving a certificate: production endpoint",
    ),
    test_url: Sourced::confirmed(
        "https://pkiws-testi.vero.fi/2017/10/CertificateServices",
        "vero.fi retrieving a certificate: test endpoint",
    ),
    elements: Sourced::assumed(
        &ELEMENTS,
        "third-party clients generated from the certificate-service XSD (Haskell, Java, Python); namespace and GetCertificateRequest from the official example",
        "element names other than GetCertificateRequest's are not confirmed against the official XSD",
    ),
    first_poll_seconds: Sourced::assumed(
        30,
        "third-party clients wait about 30 s between SignNewCertificate and GetCertificate",
        "the service's issuing delay is not published",
    ),
    pending_answer: Sourced::assumed(
        "Status OK without a Certificate element",
        REF,
        "how GetCertificate reports a certificate that is not issued yet is not published",
    ),
    renewal_signature: Sourced::assumed(
        "enveloped XML-DSig over the whole SOAP envelope (Reference URI=\"\"), RSA-SHA256, exclusive C14N, SHA-256",
        "vero.fi renewal of certificate: the call is signed with the valid certificate's key; the example program is C#",
        "what the signature's Reference covers is not published; tilicheck signs the whole message",
    ),
    response_signature: Sourced::assumed(
        "enveloped ds:Signature in every response, by a certificate of the IR Services CA",
        "third-party clients generated from the XSD (ds:Signature in every response type) and one client's check against a services CA",
        "the service's signing profile is not published; tilicheck expects the same form as the renewal's",
    ),
};
