//! ETSI TS 119 612 trusted lists: which CAs hold a *granted* qualified certificate service
//! (type CA/QC) for website authentication at the check time. Their certificates become trust
//! anchors, so a QWAC's path is validated up to its qualified service.
//!
//! Not done: the list's own XAdES signature is NOT verified (a finding that relies on a list
//! says so), and the Sie "Qualifications" extensions (which narrow a service to certificates
//! with given policies or QC statements) are not evaluated; CERT-QWAC reads the QWAC's own
//! markers instead. A service's status is taken from the history instance in force at the
//! check time.

use std::path::{Path, PathBuf};

use roxmltree::Node;
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::pki::base64;

const CA_QC: &str = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC";
const GRANTED: &str = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted";
const FOR_WEB: &str = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/ForWebSiteAuthentication";
/// Trusted lists are a few megabytes at most; the EU's biggest national lists are well under.
const MAX_LIST_BYTES: u64 = 64 * 1024 * 1024;

/// A qualified service for website authentication, granted at the check time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebService {
    pub tsp: String,
    pub service: String,
    pub certs: Vec<CertificateDer<'static>>,
    /// When the granted status in force began (as written in the list).
    pub granted_since: String,
}

/// The usable part of a trusted list.
#[derive(Clone, Debug)]
pub struct TrustedList {
    pub path: PathBuf,
    pub territory: Option<String>,
    pub services: Vec<WebService>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlError {
    #[error("{path}: cannot read the trusted list: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the trusted list is larger than {MAX_LIST_BYTES} bytes")]
    TooBig { path: String },
    #[error("{path}: is {kind}, not a regular file; give the path of a trusted list file")]
    NotRegular {
        path: String,
        kind: crate::input_file::SpecialFile,
    },
    #[error("{path}: not well-formed XML: {why}")]
    Xml { path: String, why: String },
    /// Refused before parsing: nested deeper than any real list.
    #[error("{path}: {why}")]
    TooDeep { path: String, why: String },
    #[error("{path}: not an ETSI TS 119 612 trusted list (no TrustServiceStatusList root)")]
    NotATrustedList { path: String },
}

/// Read and interpret the list in `path` as of `at`.
pub fn load(path: &Path, at: OffsetDateTime) -> Result<TrustedList, TlError> {
    let shown = path.display().to_string();
    use crate::input_file::{OpenError, ReadError, read_regular};
    let bytes = read_regular(path, MAX_LIST_BYTES).map_err(|e| match e {
        ReadError::Open(OpenError::NotRegular(kind)) => TlError::NotRegular {
            path: shown.clone(),
            kind,
        },
        ReadError::Open(OpenError::Io(source)) | ReadError::Io(source) => TlError::Read {
            path: shown.clone(),
            source,
        },
        ReadError::TooLarge { .. } => TlError::TooBig {
            path: shown.clone(),
        },
    })?;
    let text = String::from_utf8(bytes).map_err(|_| TlError::Xml {
        path: shown.clone(),
        why: "not UTF-8".into(),
    })?;
    let mut list = parse(&shown, &text, at)?;
    list.path = path.to_path_buf();
    Ok(list)
}

/// Interpret a list's XML text; `name` is used in errors.
pub fn parse(name: &str, xml: &str, at: OffsetDateTime) -> Result<TrustedList, TlError> {
    let doc = crate::xml::parse(xml).map_err(|e| match e {
        crate::xml::XmlError::Malformed(why) => TlError::Xml {
            path: name.to_owned(),
            why,
        },
        too_deep @ crate::xml::XmlError::TooDeep { .. } => TlError::TooDeep {
            path: name.to_owned(),
            why: too_deep.to_string(),
        },
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "TrustServiceStatusList" {
        return Err(TlError::NotATrustedList {
            path: name.to_owned(),
        });
    }
    let territory = descendant(root, "SchemeTerritory").and_then(text);
    let mut services = Vec::new();
    for tsp in descendants(root, "TrustServiceProvider") {
        let tsp_name = child(tsp, "TSPInformation")
            .and_then(|i| child(i, "TSPName"))
            .and_then(preferred_name)
            .unwrap_or_else(|| "(unnamed TSP)".to_owned());
        for svc in descendants(tsp, "TSPService") {
            if let Some(s) = web_service(svc, &tsp_name, at) {
                services.push(s);
            }
        }
    }
    Ok(TrustedList {
        path: PathBuf::from(name),
        territory,
        services,
    })
}

/// The service, if it is CA/QC, granted at `at` and for website authentication then.
fn web_service(svc: Node<'_, '_>, tsp: &str, at: OffsetDateTime) -> Option<WebService> {
    let info = child(svc, "ServiceInformation")?;
    if child(info, "ServiceTypeIdentifier")
        .and_then(text)
        .as_deref()
        != Some(CA_QC)
    {
        return None;
    }
    // The current status and the history instances: the one in force at `at` decides.
    let instances = std::iter::once(info).chain(
        child(svc, "ServiceHistory")
            .into_iter()
            .flat_map(|h| children(h, "ServiceHistoryInstance")),
    );
    let (in_force, _, raw_since) = instances
        .filter_map(|i| {
            let raw = child(i, "StatusStartingTime").and_then(text)?;
            let start = OffsetDateTime::parse(&raw, &Rfc3339).ok()?;
            (start <= at).then_some((i, start, raw))
        })
        .max_by_key(|(_, start, _)| *start)?;
    if child(in_force, "ServiceStatus").and_then(text).as_deref() != Some(GRANTED) {
        return None;
    }
    let for_web = child(in_force, "ServiceInformationExtensions").is_some_and(|exts| {
        descendants(exts, "AdditionalServiceInformation")
            .any(|asi| child(asi, "URI").and_then(text).as_deref() == Some(FOR_WEB))
    });
    if !for_web {
        return None;
    }
    let certs: Vec<CertificateDer<'static>> = child(info, "ServiceDigitalIdentity")
        .into_iter()
        .flat_map(|sdi| descendants(sdi, "X509Certificate"))
        .filter_map(text)
        .filter_map(|b64| base64::decode(&b64))
        .map(CertificateDer::from)
        .collect();
    if certs.is_empty() {
        return None;
    }
    Some(WebService {
        tsp: tsp.to_owned(),
        service: child(info, "ServiceName")
            .and_then(preferred_name)
            .unwrap_or_else(|| "(unnamed service)".to_owned()),
        certs,
        granted_since: raw_since,
    })
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn descendant<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.descendants()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn descendants<'a, 'i: 'a>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    n.descendants()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn text(n: Node<'_, '_>) -> Option<String> {
    n.text()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The English `Name` child, else the first.
fn preferred_name(n: Node<'_, '_>) -> Option<String> {
    let names: Vec<Node<'_, '_>> = children(n, "Name").collect();
    names
        .iter()
        .find(|x| x.attribute(("http://www.w3.org/XML/1998/namespace", "lang")) == Some("en"))
        .or(names.first())
        .and_then(|x| text(*x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn list(services: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<TrustServiceStatusList xmlns="http://uri.etsi.org/02231/v2#">
 <SchemeInformation><SchemeTerritory>FI</SchemeTerritory></SchemeInformation>
 <TrustServiceProviderList><TrustServiceProvider>
  <TSPInformation><TSPName><Name xml:lang="fi">Testi</Name><Name xml:lang="en">Test TSP</Name></TSPName></TSPInformation>
  <TSPServices>{services}</TSPServices>
 </TrustServiceProvider></TrustServiceProviderList>
</TrustServiceStatusList>"#
        )
    }

    fn service(status: &str, since: &str, web: bool, history: &str) -> String {
        let ext = if web {
            format!(
                "<ServiceInformationExtensions><Extension Critical=\"true\"><AdditionalServiceInformation><URI xml:lang=\"en\">{FOR_WEB}</URI></AdditionalServiceInformation></Extension></ServiceInformationExtensions>"
            )
        } else {
            String::new()
        };
        format!(
            "<TSPService><ServiceInformation><ServiceTypeIdentifier>{CA_QC}</ServiceTypeIdentifier><ServiceName><Name xml:lang=\"en\">QWAC CA</Name></ServiceName><ServiceDigitalIdentity><DigitalId><X509Certificate>MAMCAQA=</X509Certificate></DigitalId></ServiceDigitalIdentity><ServiceStatus>{status}</ServiceStatus><StatusStartingTime>{since}</StatusStartingTime>{ext}</ServiceInformation>{history}</TSPService>"
        )
    }

    const AT: OffsetDateTime = datetime!(2030-01-01 0:00 UTC);

    #[test]
    fn a_granted_web_service_is_found() {
        let xml = list(&service(GRANTED, "2020-01-01T00:00:00Z", true, ""));
        let tl = parse("tl.xml", &xml, AT).expect("parses");
        assert_eq!(tl.territory.as_deref(), Some("FI"));
        assert_eq!(tl.services.len(), 1);
        assert_eq!(tl.services[0].tsp, "Test TSP");
        assert_eq!(tl.services[0].service, "QWAC CA");
        assert_eq!(tl.services[0].certs[0].as_ref(), b"\x30\x03\x02\x01\x00");
    }

    #[test]
    fn withdrawn_or_not_for_web_is_not_a_web_service() {
        let withdrawn = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn";
        for xml in [
            list(&service(withdrawn, "2020-01-01T00:00:00Z", true, "")),
            list(&service(GRANTED, "2020-01-01T00:00:00Z", false, "")),
        ] {
            assert!(
                parse("tl.xml", &xml, AT)
                    .expect("parses")
                    .services
                    .is_empty()
            );
        }
    }

    #[test]
    fn the_history_instance_in_force_decides() {
        let withdrawn = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn";
        let history = format!(
            "<ServiceHistory><ServiceHistoryInstance><ServiceTypeIdentifier>{CA_QC}</ServiceTypeIdentifier><ServiceStatus>{GRANTED}</ServiceStatus><StatusStartingTime>2016-07-01T00:00:00Z</StatusStartingTime><ServiceInformationExtensions><Extension><AdditionalServiceInformation><URI>{FOR_WEB}</URI></AdditionalServiceInformation></Extension></ServiceInformationExtensions></ServiceHistoryInstance></ServiceHistory>"
        );
        let xml = list(&service(withdrawn, "2031-01-01T00:00:00Z", true, &history));
        // Granted in 2030; withdrawn from 2031.
        assert_eq!(parse("tl.xml", &xml, AT).expect("parses").services.len(), 1);
        let later = datetime!(2031-06-01 0:00 UTC);
        assert!(
            parse("tl.xml", &xml, later)
                .expect("parses")
                .services
                .is_empty()
        );
    }

    #[test]
    fn hostile_or_foreign_xml_is_refused() {
        let dtd = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><TrustServiceStatusList>&a;</TrustServiceStatusList>"#;
        assert!(matches!(parse("x", dtd, AT), Err(TlError::Xml { .. })));
        assert!(matches!(
            parse("x", "<html/>", AT),
            Err(TlError::NotATrustedList { .. })
        ));
        assert!(matches!(
            parse("x", "<a><b></a>", AT),
            Err(TlError::Xml { .. })
        ));
    }
}
