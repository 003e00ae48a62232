//! What an ETSI TS 119 612 trusted list says, as plain data: the scheme information, the
//! pointers to other lists (the LOTL's), and every trust service with its history. Nothing
//! here says whether the list is authentic; see [`super::verify`].

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

pub const TSL_NS: &str = "http://uri.etsi.org/02231/v2#";
pub const LOTL_TYPE: &str = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUlistofthelists";
pub const EU_GENERIC_TYPE: &str = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/EUgeneric";
pub const TSL_MIME: &str = "application/vnd.etsi.tsl+xml";

pub const CA_QC: &str = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC";
pub const STATUS_PREFIX: &str = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/";
pub const GRANTED: &str = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted";
pub const EXT_PREFIX: &str = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/";
pub const FOR_WEB: &str =
    "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForWebSiteAuthentication";
pub const FOR_ESIGNATURES: &str =
    "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSignatures";
pub const FOR_ESEALS: &str = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForeSeals";

/// A list's scheme information and content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListFacts {
    pub version: Option<String>,
    pub sequence: Option<String>,
    pub tsl_type: String,
    /// The scheme operator's name (English where given).
    pub operator: String,
    pub territory: String,
    pub issued: Timestamp,
    /// None: the list is closed (the scheme ceased).
    pub next_update: Option<Timestamp>,
    pub pointers: Vec<Pointer>,
    pub providers: Vec<Provider>,
}

impl ListFacts {
    pub fn is_lotl(&self) -> bool {
        self.tsl_type == LOTL_TYPE
    }

    /// Every service of every provider, with its provider's name.
    pub fn services(&self) -> impl Iterator<Item = (&Provider, &Service)> {
        self.providers
            .iter()
            .flat_map(|p| p.services.iter().map(move |s| (p, s)))
    }
}

/// A time as the list writes it, and parsed when it is RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timestamp {
    pub raw: String,
    pub parsed: Option<OffsetDateTime>,
}

/// The LOTL's pointer to a list: where it is and who may sign it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pointer {
    pub location: String,
    pub territory: Option<String>,
    pub tsl_type: Option<String>,
    pub mime_type: Option<String>,
    pub operator: Option<String>,
    /// The certificates allowed to sign the list pointed at.
    pub signers: Vec<CertificateDer<'static>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub trade_names: Vec<String>,
    pub services: Vec<Service>,
}

/// A trust service: its current information and its earlier states, newest first as the list
/// writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub current: ServiceState,
    pub history: Vec<ServiceState>,
}

impl Service {
    pub fn name(&self) -> &str {
        &self.current.name
    }

    /// Every state, current first.
    pub fn states(&self) -> impl Iterator<Item = &ServiceState> {
        std::iter::once(&self.current).chain(self.history.iter())
    }

    /// The state in force at `at`: the latest whose status started at or before it.
    pub fn state_at(&self, at: OffsetDateTime) -> Option<&ServiceState> {
        self.states()
            .filter(|s| s.since.parsed.is_some_and(|t| t <= at))
            .max_by_key(|s| s.since.parsed)
    }

    /// Every digital identity the service had, current first.
    pub fn identities(&self) -> impl Iterator<Item = &DigitalId> {
        self.states().flat_map(|s| s.identities.iter())
    }
}

/// One state of a service (ServiceInformation or a ServiceHistoryInstance).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceState {
    pub type_id: String,
    pub name: String,
    pub identities: Vec<DigitalId>,
    pub status: String,
    pub since: Timestamp,
    /// AdditionalServiceInformation URIs (ForWebSiteAuthentication, ForeSignatures, …).
    pub additional: Vec<String>,
    /// Sie: Qualifications extensions.
    pub qualifications: Vec<QualificationElement>,
    /// Extensions marked critical that this reader does not understand.
    pub unknown_critical: Vec<String>,
}

impl ServiceState {
    pub fn is_ca_qc(&self) -> bool {
        self.type_id == CA_QC
    }

    pub fn for_web(&self) -> bool {
        self.additional.iter().any(|u| u == FOR_WEB)
    }

    /// The status URI's last part ("granted", "withdrawn", …).
    pub fn status_name(&self) -> &str {
        short(&self.status, STATUS_PREFIX)
    }
}

/// The last part of a URI under `prefix`, or the whole URI.
pub fn short<'a>(uri: &'a str, prefix: &str) -> &'a str {
    uri.strip_prefix(prefix).unwrap_or(uri)
}

/// One way a service names its CA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DigitalId {
    Certificate(CertificateDer<'static>),
    /// An RFC 4514-style subject name as the list writes it.
    SubjectName(String),
    /// The subject key identifier.
    Ski(Vec<u8>),
    /// A KeyValue or Other identity, by element name.
    Other(String),
}

/// A Sie Qualifications element: qualifiers that apply to the certificates the criteria
/// select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualificationElement {
    pub qualifiers: Vec<String>,
    pub criteria: CriteriaList,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assert {
    All,
    AtLeastOne,
    None,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriteriaList {
    pub assert: Assert,
    pub criteria: Vec<Criterion>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Criterion {
    /// KeyUsage: every named bit has the given value.
    KeyUsage(Vec<(String, bool)>),
    /// PolicySet: the certificate asserts every policy (dotted OIDs).
    PolicySet(Vec<String>),
    /// ExtendedKeyUsage: the certificate has every purpose (dotted OIDs).
    ExtendedKeyUsage(Vec<String>),
    /// CertSubjectDNAttribute: the subject has every attribute type (dotted OIDs).
    SubjectAttributes(Vec<String>),
    List(CriteriaList),
    /// A criterion this reader does not evaluate, by element name.
    Unknown(String),
}
