//! The seam between the simulator and message validation: a [`SubmissionJudge`] decides whether
//! the two tokens and the report they carry are acceptable, and names the signer. Everything
//! after that (records, dispute states, answers) is the simulator's own.

use serde::Serialize;
use serde_json::Value;

use super::answers::Problem;
use super::supplier_registry::SupplierRegistry;
use crate::findings::Finding;
use crate::profile::Interface;

/// Which endpoint a request came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportKind {
    /// v3 category 1 (credit institutions); the one update endpoint of v1.0.4.
    UpdateCat1,
    /// v3 category 2 (payment/e-money institutions, virtual-currency providers).
    UpdateCat2,
    Disputable,
    Incorrect,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::UpdateCat1 => "update-cat-1",
            ReportKind::UpdateCat2 => "update-cat-2",
            ReportKind::Disputable => "disputable",
            ReportKind::Incorrect => "incorrect",
        }
    }

    /// The body token's claim that carries this kind of report.
    pub fn claim(self) -> &'static str {
        match self {
            ReportKind::UpdateCat1 | ReportKind::UpdateCat2 => "reportUpdate",
            ReportKind::Disputable => "reportDisputable",
            ReportKind::Incorrect => "reportIncorrect",
        }
    }
}

/// One request as the judge sees it.
#[derive(Debug)]
pub struct Submission<'a> {
    pub interface: Interface,
    pub kind: ReportKind,
    /// The `Authorization` header value, if any.
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
    /// The identifier in the connection's TLS client certificate (serialNumber, else
    /// organizationIdentifier).
    pub tls_identity: Option<&'a str>,
}

/// An acceptable submission.
#[derive(Debug)]
pub struct Judged {
    /// `sub` of the tokens: the signer's identifier as written in its certificate.
    pub signer: String,
    /// The report claim's value, as a JSON object.
    pub report: Value,
    pub findings: Vec<Finding>,
}

/// An unacceptable one: the answer's problem and the findings that explain it.
#[derive(Debug)]
pub struct Rejection {
    pub problem: Problem,
    /// The signer when the tokens verified and the problem lies further in.
    pub signer: Option<String>,
    pub findings: Vec<Finding>,
}

/// Verifies tokens and validates the report. Implementations must not do I/O.
pub trait SubmissionJudge: Send + Sync {
    fn judge(
        &self,
        submission: &Submission<'_>,
        registry: &SupplierRegistry,
    ) -> Result<Judged, Rejection>;
}
