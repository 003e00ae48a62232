//! Reading a trusted list's XML into [`ListFacts`]. Elements are found by their place (child
//! by child from the document element), never by searching the whole tree: the signature
//! element and anything it carries are never read as list content.

use roxmltree::{Document, Node};
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::*;
use crate::pki::base64;

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Why a document is not a list this reader understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not an ETSI TS 119 612 trusted list (the document element is <{0}>)")]
    NotATrustedList(String),
    #[error(
        "{0} TrustServiceStatusList elements: a list holds one (a second one is a signature-wrapping pattern)"
    )]
    Several(usize),
    #[error("the list has no {0}")]
    Missing(&'static str),
}

fn elements<'a, 'i>(n: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(|c| c.is_element())
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    elements(n).find(|c| c.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    elements(n).filter(move |c| c.tag_name().name() == name)
}

fn text(n: Node<'_, '_>) -> String {
    n.children()
        .filter_map(|c| c.is_text().then(|| c.text()).flatten())
        .collect::<String>()
        .trim()
        .to_owned()
}

fn child_text(n: Node<'_, '_>, name: &str) -> Option<String> {
    child(n, name).map(text).filter(|t| !t.is_empty())
}

/// The English `Name` of a multilingual name, else the first.
fn preferred_name(n: Option<Node<'_, '_>>) -> Option<String> {
    let n = n?;
    let names: Vec<Node<'_, '_>> = children(n, "Name").collect();
    names
        .iter()
        .find(|x| x.attribute((XML_NS, "lang")) == Some("en"))
        .or(names.first())
        .map(|x| text(*x))
        .filter(|t| !t.is_empty())
}

fn timestamp(raw: String) -> Timestamp {
    let parsed = OffsetDateTime::parse(&raw, &Rfc3339).ok();
    Timestamp { raw, parsed }
}

fn certificate(n: Node<'_, '_>) -> Option<CertificateDer<'static>> {
    base64::decode(&text(n)).map(CertificateDer::from)
}

/// Read the list in `doc`.
pub fn parse(doc: &Document<'_>) -> Result<ListFacts, ParseError> {
    let root = doc.root_element();
    if root.tag_name().name() != "TrustServiceStatusList"
        || root.tag_name().namespace() != Some(TSL_NS)
    {
        return Err(ParseError::NotATrustedList(
            root.tag_name().name().to_owned(),
        ));
    }
    let lists = doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "TrustServiceStatusList")
        .count();
    if lists > 1 {
        return Err(ParseError::Several(lists));
    }
    let info = child(root, "SchemeInformation").ok_or(ParseError::Missing("SchemeInformation"))?;
    let pointers = child(info, "PointersToOtherTSL")
        .into_iter()
        .flat_map(|p| children(p, "OtherTSLPointer"))
        .map(pointer)
        .collect();
    let providers = child(root, "TrustServiceProviderList")
        .into_iter()
        .flat_map(|l| children(l, "TrustServiceProvider"))
        .map(provider)
        .collect();
    Ok(ListFacts {
        version: child_text(info, "TSLVersionIdentifier"),
        sequence: child_text(info, "TSLSequenceNumber"),
        tsl_type: child_text(info, "TSLType").unwrap_or_default(),
        operator: preferred_name(child(info, "SchemeOperatorName"))
            .unwrap_or_else(|| "(unnamed)".into()),
        territory: child_text(info, "SchemeTerritory").unwrap_or_default(),
        issued: timestamp(
            child_text(info, "ListIssueDateTime")
                .ok_or(ParseError::Missing("ListIssueDateTime"))?,
        ),
        next_update: child(info, "NextUpdate")
            .and_then(|n| child_text(n, "dateTime"))
            .map(timestamp),
        pointers,
        providers,
    })
}

fn pointer(p: Node<'_, '_>) -> Pointer {
    let other = |name: &str| {
        child(p, "AdditionalInformation")
            .into_iter()
            .flat_map(|a| children(a, "OtherInformation"))
            .find_map(|o| child(o, name))
    };
    Pointer {
        location: child_text(p, "TSLLocation").unwrap_or_default(),
        territory: other("SchemeTerritory").map(text),
        tsl_type: other("TSLType").map(text),
        mime_type: other("MimeType").map(text),
        operator: preferred_name(other("SchemeOperatorName")),
        signers: child(p, "ServiceDigitalIdentities")
            .into_iter()
            .flat_map(|s| children(s, "ServiceDigitalIdentity"))
            .flat_map(|s| children(s, "DigitalId"))
            .filter_map(|d| child(d, "X509Certificate"))
            .filter_map(certificate)
            .collect(),
    }
}

fn provider(tsp: Node<'_, '_>) -> Provider {
    let info = child(tsp, "TSPInformation");
    Provider {
        name: preferred_name(info.and_then(|i| child(i, "TSPName")))
            .unwrap_or_else(|| "(unnamed TSP)".into()),
        trade_names: info
            .and_then(|i| child(i, "TSPTradeName"))
            .into_iter()
            .flat_map(|n| children(n, "Name"))
            .map(text)
            .collect(),
        services: child(tsp, "TSPServices")
            .into_iter()
            .flat_map(|s| children(s, "TSPService"))
            .filter_map(service)
            .collect(),
    }
}

fn service(svc: Node<'_, '_>) -> Option<Service> {
    let current = state(child(svc, "ServiceInformation")?);
    let history = child(svc, "ServiceHistory")
        .into_iter()
        .flat_map(|h| children(h, "ServiceHistoryInstance"))
        .map(state)
        .collect();
    Some(Service { current, history })
}

fn state(n: Node<'_, '_>) -> ServiceState {
    let mut additional = Vec::new();
    let mut qualifications = Vec::new();
    let mut unknown_critical = Vec::new();
    for ext in child(n, "ServiceInformationExtensions")
        .into_iter()
        .flat_map(|e| children(e, "Extension"))
    {
        let critical = ext.attribute("Critical") == Some("true");
        for content in elements(ext) {
            match content.tag_name().name() {
                "AdditionalServiceInformation" => {
                    if let Some(uri) = child_text(content, "URI") {
                        additional.push(uri);
                    }
                }
                "Qualifications" => qualifications
                    .extend(children(content, "QualificationElement").map(qualification)),
                // Understood and not relevant to qualification.
                "TakenOverBy" | "ExpiredCertsRevocationInfo" => {}
                other if critical => unknown_critical.push(other.to_owned()),
                _ => {}
            }
        }
    }
    ServiceState {
        type_id: child_text(n, "ServiceTypeIdentifier").unwrap_or_default(),
        name: preferred_name(child(n, "ServiceName")).unwrap_or_else(|| "(unnamed service)".into()),
        identities: child(n, "ServiceDigitalIdentity")
            .into_iter()
            .flat_map(|s| children(s, "DigitalId"))
            .filter_map(digital_id)
            .collect(),
        status: child_text(n, "ServiceStatus").unwrap_or_default(),
        since: timestamp(child_text(n, "StatusStartingTime").unwrap_or_default()),
        additional,
        qualifications,
        unknown_critical,
    }
}

fn digital_id(d: Node<'_, '_>) -> Option<DigitalId> {
    let inner = elements(d).next()?;
    Some(match inner.tag_name().name() {
        "X509Certificate" => DigitalId::Certificate(certificate(inner)?),
        "X509SubjectName" => DigitalId::SubjectName(text(inner)),
        "X509SKI" => DigitalId::Ski(base64::decode(&text(inner))?),
        other => DigitalId::Other(other.to_owned()),
    })
}

fn qualification(q: Node<'_, '_>) -> QualificationElement {
    QualificationElement {
        qualifiers: child(q, "Qualifiers")
            .into_iter()
            .flat_map(|qs| children(qs, "Qualifier"))
            .filter_map(|x| x.attribute("uri").map(str::to_owned))
            .collect(),
        criteria: child(q, "CriteriaList").map_or(
            CriteriaList {
                assert: Assert::All,
                criteria: vec![Criterion::Unknown("(no CriteriaList)".into())],
            },
            criteria_list,
        ),
    }
}

/// A dotted OID from an Identifier ("urn:oid:1.2.3" or "1.2.3").
fn oid(n: Node<'_, '_>) -> String {
    let t = text(n);
    t.strip_prefix("urn:oid:").map(str::to_owned).unwrap_or(t)
}

fn criteria_list(c: Node<'_, '_>) -> CriteriaList {
    let assert = match c.attribute("assert") {
        Some("atLeastOne") => Assert::AtLeastOne,
        Some("none") => Assert::None,
        _ => Assert::All,
    };
    let mut criteria = Vec::new();
    for item in elements(c) {
        let criterion = match item.tag_name().name() {
            "Description" => continue,
            "KeyUsage" => Criterion::KeyUsage(
                children(item, "KeyUsageBit")
                    .filter_map(|b| Some((b.attribute("name")?.to_owned(), text(b) == "true")))
                    .collect(),
            ),
            "PolicySet" => Criterion::PolicySet(
                children(item, "PolicyIdentifier")
                    .filter_map(|p| child(p, "Identifier"))
                    .map(oid)
                    .collect(),
            ),
            "CriteriaList" => Criterion::List(criteria_list(item)),
            "otherCriteriaList" => {
                for other in elements(item) {
                    criteria.push(match other.tag_name().name() {
                        "ExtendedKeyUsage" => Criterion::ExtendedKeyUsage(
                            children(other, "KeyPurposeId")
                                .filter_map(|k| child(k, "Identifier"))
                                .map(oid)
                                .collect(),
                        ),
                        "CertSubjectDNAttribute" => Criterion::SubjectAttributes(
                            children(other, "AttributeOID")
                                .filter_map(|k| child(k, "Identifier"))
                                .map(oid)
                                .collect(),
                        ),
                        name => Criterion::Unknown(name.to_owned()),
                    });
                }
                continue;
            }
            name => Criterion::Unknown(name.to_owned()),
        };
        criteria.push(criterion);
    }
    CriteriaList { assert, criteria }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_one_list() {
        let d = roxmltree::Document::parse("<html/>").expect("xml");
        assert_eq!(parse(&d), Err(ParseError::NotATrustedList("html".into())));
        let two = format!(
            "<TrustServiceStatusList xmlns=\"{TSL_NS}\"><SchemeInformation><ListIssueDateTime>2026-01-01T00:00:00Z</ListIssueDateTime></SchemeInformation><x><TrustServiceStatusList/></x></TrustServiceStatusList>"
        );
        let d = roxmltree::Document::parse(&two).expect("xml");
        assert_eq!(parse(&d), Err(ParseError::Several(2)));
    }
}
