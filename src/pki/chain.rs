//! Path building and validation for CERT-ISSUER.
//!
//! The search (`search`) follows issuer names from the leaf upwards, so the report can show
//! the path subject by subject and say exactly where it stops when it does not reach an
//! anchor; every complete path goes to the RFC 5280 §6.1 validator (`pki::path`), which gives
//! the verdict. After it, the checks the register adds: the anchor valid at the check time,
//! the leaf's extended key usage for the use, and, for a path to a bundled DVV root, that the
//! issuing CA is one of DVV's service CAs.

mod search;

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::net::http;
use crate::pki::path::{Position, Rejection, Validated};
use crate::pki::trust::{self, TrustStore};
use crate::profile::RegisterProfile;
use search::{Candidate, Search};

/// The extended key usage the path is judged for (only enforced when the leaf has EKUs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// No EKU requirement: the path alone is judged, and CERT-EKU-TLS judges the EKUs.
    Any,
    ClientAuth,
    ServerAuth,
}

/// Where a certificate in the path came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkOrigin {
    Leaf,
    /// From the certificate's own file or `--chain`.
    Supplied,
    /// A bundled DVV intermediate.
    Bundled,
    /// Downloaded from the child's AIA caIssuers URL.
    Aia(String),
    /// A trust anchor.
    Anchor(trust::Origin),
}

impl std::fmt::Display for LinkOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkOrigin::Leaf => f.write_str("the certificate checked"),
            LinkOrigin::Supplied => f.write_str("supplied chain"),
            LinkOrigin::Bundled => f.write_str("bundled DVV intermediate"),
            LinkOrigin::Aia(url) => write!(f, "downloaded from {url}"),
            LinkOrigin::Anchor(o) => write!(f, "trust anchor, {o}"),
        }
    }
}

/// One certificate of the path.
#[derive(Clone, Debug)]
pub struct Link {
    pub der: CertificateDer<'static>,
    pub name: String,
    /// The whole subject DN.
    pub subject: String,
    pub origin: LinkOrigin,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

/// How the walk upwards ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathEnd {
    /// At a trust anchor (the last link).
    Anchor {
        name: String,
        origin: trust::Origin,
    },
    /// At a root tilicheck knows of but cannot ship.
    MissingRoot {
        name: String,
        why: &'static str,
    },
    /// The last link's issuer is nowhere to be found.
    NoIssuer {
        issuer: String,
    },
    /// A self-signed certificate that is not trusted.
    UntrustedRoot {
        name: String,
    },
    TooLong,
}

/// Everything CERT-ISSUER needs to know about the path.
#[derive(Clone, Debug)]
pub struct PathFacts {
    /// Leaf first; the anchor last when the walk reached one.
    pub links: Vec<Link>,
    pub end: PathEnd,
    /// The §6.1 validator's verdict on the path (an error when it reached no anchor).
    pub verdict: Result<Validated, String>,
    /// Problems the extra checks found on the path.
    pub problems: Vec<String>,
    /// Downloads and other things worth telling.
    pub notes: Vec<String>,
}

impl PathFacts {
    pub fn reached_bundled_anchor(&self) -> bool {
        matches!(
            self.end,
            PathEnd::Anchor {
                origin: trust::Origin::Bundled,
                ..
            }
        )
    }

    /// (certificate, its issuer) pairs for revocation checking: every link but the anchor.
    pub fn issued_pairs(&self) -> Vec<(&Link, &Link)> {
        self.links.windows(2).map(|w| (&w[0], &w[1])).collect()
    }

    /// The path as one line: leaf ← … ← anchor.
    pub fn describe(&self) -> String {
        self.links
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>()
            .join(" ← ")
    }
}

/// What the path is built from.
pub struct ChainInput<'a> {
    pub leaf: &'a CertificateDer<'static>,
    /// Certificates from the leaf's file and `--chain`.
    pub supplied: &'a [CertificateDer<'static>],
    pub trust: &'a TrustStore,
    pub at: OffsetDateTime,
    pub usage: Usage,
    /// Limits for caIssuers downloads; None when offline.
    pub online: Option<&'a http::Limits>,
    pub profile: &'a RegisterProfile,
}

/// Build the path and judge it. Unreadable certificates are reported in the facts, not as an
/// error: the leaf was read before.
pub fn build(input: &ChainInput<'_>) -> PathFacts {
    let candidates: Vec<Candidate> = input
        .supplied
        .iter()
        .map(|c| Candidate::new(c.clone(), LinkOrigin::Supplied))
        .chain(input.trust.intermediates.iter().map(|c| Candidate {
            der: c.der.clone(),
            origin: LinkOrigin::Bundled,
            subject: c.subject.clone(),
        }))
        .collect();
    let (outcome, notes) = Search::new(input, candidates).run();
    let links = outcome.links;
    let end = outcome.end;
    let verdict = match outcome.verdict {
        Some(Ok(v)) => Ok(v),
        Some(Err(r)) => Err(rejection_text(&r, &links)),
        None => Err("no path to a trusted anchor".to_owned()),
    };
    let mut problems = Vec::new();
    if let Err(e) = &verdict
        && matches!(end, PathEnd::Anchor { .. })
    {
        problems.push(e.clone());
    }
    if verdict.is_ok()
        && let Some(p) = usage_problem(input.leaf, input.usage)
    {
        problems.push(p);
    }
    problems.extend(extra_checks(&links, &end, input));
    PathFacts {
        links,
        end,
        verdict,
        problems,
        notes,
    }
}

fn link(der: &CertificateDer<'static>, origin: LinkOrigin) -> Option<Link> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(Link {
        der: der.clone(),
        name: trust::display_name_of(&cert),
        subject: crate::pki::names::read(cert.subject()).display,
        origin,
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
    })
}

/// A rejection as a sentence naming the certificate.
fn rejection_text(r: &Rejection, links: &[Link]) -> String {
    let (role, link) = match r.position {
        Position::Anchor => ("trust anchor", links.last()),
        Position::Certificate(0) => ("the certificate", links.first()),
        Position::Certificate(i) => ("intermediate CA", links.get(i)),
    };
    let name = link.map_or("?", |l| l.name.as_str());
    format!("{role} \"{name}\" {}", r.reason)
}

/// The leaf's extended key usage against the use: only when it has one, and
/// anyExtendedKeyUsage does not stand in for the purpose (as rustls-webpki judges it).
fn usage_problem(leaf: &[u8], usage: Usage) -> Option<String> {
    let wanted = match usage {
        Usage::Any => return None,
        Usage::ClientAuth => "1.3.6.1.5.5.7.3.2",
        Usage::ServerAuth => "1.3.6.1.5.5.7.3.1",
    };
    let (_, cert) = X509Certificate::from_der(leaf).ok()?;
    let eku = cert.extended_key_usage().ok()??;
    let has = match usage {
        Usage::ClientAuth => eku.value.client_auth,
        _ => eku.value.server_auth,
    } || eku.value.other.iter().any(|o| o.to_id_string() == wanted);
    (!has).then(|| "the certificate's extended key usage does not allow this use".to_owned())
}

/// The checks the register adds to path validation.
fn extra_checks(links: &[Link], end: &PathEnd, input: &ChainInput<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    // RFC 5280 trusts an anchor as given; an expired or not yet valid root is still worth a
    // failure here, as the register's own validator would refuse it.
    if let (PathEnd::Anchor { .. }, Some(l)) = (end, links.last())
        && links.len() > 1
    {
        if input.at > l.not_after {
            problems.push(format!(
                "trust anchor \"{}\" expired on {}",
                l.name,
                l.not_after.date()
            ));
        } else if input.at < l.not_before {
            problems.push(format!(
                "trust anchor \"{}\" is not valid before {}",
                l.name,
                l.not_before.date()
            ));
        }
    }
    // A path to a DVV root must come through a DVV service CA: the same roots issue citizen
    // and organisational certificates, which Customs does not accept for servers.
    if let PathEnd::Anchor {
        origin: trust::Origin::Bundled,
        ..
    } = end
        && let Some(issuer) = links.get(1)
        && !matches!(issuer.origin, LinkOrigin::Anchor(_))
    {
        let wanted = input.profile.dvv_service_ca_policies.value;
        let policies = policies_of(&issuer.der);
        if !policies.iter().any(|p| wanted.contains(&p.as_str())) {
            problems.push(format!(
                "issuing CA \"{}\" is not a DVV service-certificate CA (its policies: {}; a service CA carries {})",
                issuer.name,
                if policies.is_empty() { "none".to_owned() } else { policies.join(", ") },
                wanted.join(" or ")
            ));
        }
    }
    problems
}

/// The certificate policy OIDs of a certificate.
pub fn policies_of(der: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return Vec::new();
    };
    cert.extensions()
        .iter()
        .filter_map(|ext| match ext.parsed_extension() {
            ParsedExtension::CertificatePolicies(ps) => Some(
                ps.iter()
                    .map(|p| p.policy_id.to_id_string())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;
    use rcgen::{
        BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, Issuer, KeyPair,
        KeyUsagePurpose,
    };
    use x509_cert::ext::pkix::CertificatePolicies;
    use x509_cert::ext::pkix::certpolicy::PolicyInformation;

    fn policies(oid: &str) -> CustomExtension {
        let der = CertificatePolicies(vec![PolicyInformation {
            policy_identifier: der::oid::ObjectIdentifier::new_unwrap(oid),
            policy_qualifiers: None,
        }])
        .to_der()
        .expect("policies");
        CustomExtension::from_oid_content(&[2, 5, 29, 32], der)
    }

    fn ca(cn: &str) -> CertificateParams {
        let mut p = CertificateParams::default();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p
    }

    /// A path leaf ← issuing CA (with `policy`) ← root, the root standing in for a bundled
    /// DVV root.
    fn path_through(policy: &str) -> PathFacts {
        let root_key = KeyPair::generate().expect("key");
        let mut root_params = ca("Stand-in DVV Root");
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let root = root_params.self_signed(&root_key).expect("root");
        let ca_key = KeyPair::generate().expect("key");
        let mut ca_params = ca("Stand-in DVV CA");
        ca_params.custom_extensions.push(policies(policy));
        let ca_cert = ca_params
            .signed_by(&ca_key, &Issuer::from_params(&root_params, &root_key))
            .expect("CA");
        let leaf_key = KeyPair::generate().expect("key");
        let leaf = CertificateParams::new(vec!["leaf.test".into()])
            .expect("params")
            .signed_by(&leaf_key, &Issuer::from_params(&ca_params, &ca_key))
            .expect("leaf");
        let store = TrustStore {
            anchors: vec![trust::TrustedCert {
                subject: trust::subject_name(root.der()),
                der: root.der().clone(),
                name: "Stand-in DVV Root".into(),
                origin: trust::Origin::Bundled,
            }],
            intermediates: Vec::new(),
        };
        let leaf_der = leaf.der().clone();
        let supplied = vec![ca_cert.der().clone()];
        build(&ChainInput {
            leaf: &leaf_der,
            supplied: &supplied,
            trust: &store,
            at: OffsetDateTime::now_utc(),
            usage: Usage::Any,
            online: None,
            profile: crate::profile::Interface::V3.profile(),
        })
    }

    #[test]
    fn a_dvv_path_must_pass_through_a_service_ca() {
        let service = path_through("1.2.246.517.1.10.301.4");
        assert!(service.verdict.is_ok(), "{:?}", service.verdict);
        assert!(service.reached_bundled_anchor());
        assert!(service.problems.is_empty(), "{:?}", service.problems);

        let citizen = path_through("1.2.246.517.1.10.301.1");
        assert!(citizen.verdict.is_ok(), "{:?}", citizen.verdict);
        assert_eq!(citizen.problems.len(), 1, "{:?}", citizen.problems);
        assert!(
            citizen.problems[0].contains("not a DVV service-certificate CA")
                && citizen.problems[0].contains("1.2.246.517.1.10.301.1"),
            "{:?}",
            citizen.problems
        );
    }
}

#[cfg(test)]
mod search_tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    use time::Duration;

    fn ca(cn: &str) -> CertificateParams {
        let mut p = CertificateParams::default();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p
    }

    fn store(root: &rcgen::Certificate) -> TrustStore {
        TrustStore {
            anchors: vec![trust::TrustedCert {
                subject: trust::subject_name(root.der()),
                der: root.der().clone(),
                name: "Search Root".into(),
                origin: trust::Origin::File("root.pem".into()),
            }],
            intermediates: Vec::new(),
        }
    }

    fn judge(
        leaf: &CertificateDer<'static>,
        supplied: &[CertificateDer<'static>],
        store: &TrustStore,
        usage: Usage,
    ) -> PathFacts {
        build(&ChainInput {
            leaf,
            supplied,
            trust: store,
            at: OffsetDateTime::now_utc(),
            usage,
            online: None,
            profile: crate::profile::Interface::V3.profile(),
        })
    }

    #[test]
    fn the_search_backtracks_past_an_expired_copy_of_the_issuer() {
        let root_key = KeyPair::generate().expect("key");
        let root_p = ca("Search Root");
        let root = root_p.self_signed(&root_key).expect("root");
        let root_issuer = Issuer::from_params(&root_p, &root_key);
        // The same CA (name and key) twice: an expired certificate, then its renewal.
        let ca_key = KeyPair::generate().expect("key");
        let ca_p = ca("Search CA");
        let mut old_p = ca("Search CA");
        old_p.not_before = OffsetDateTime::now_utc() - Duration::days(800);
        old_p.not_after = OffsetDateTime::now_utc() - Duration::days(1);
        let old = old_p.signed_by(&ca_key, &root_issuer).expect("old CA");
        let renewed = ca_p.signed_by(&ca_key, &root_issuer).expect("CA");
        let leaf = CertificateParams::new(vec!["leaf.test".into()])
            .expect("params")
            .signed_by(
                &KeyPair::generate().expect("key"),
                &Issuer::from_params(&ca_p, &ca_key),
            )
            .expect("leaf");
        let store = store(&root);
        let leaf_der = leaf.der().clone();

        let both = [old.der().clone(), renewed.der().clone()];
        let facts = judge(&leaf_der, &both, &store, Usage::Any);
        assert!(facts.verdict.is_ok(), "{:?}", facts.verdict);
        assert_eq!(facts.links[1].der, *renewed.der());
        assert!(facts.problems.is_empty(), "{:?}", facts.problems);

        // With only the expired copy, the report names it and why.
        let facts = judge(&leaf_der, &[old.der().clone()], &store, Usage::Any);
        assert_eq!(
            facts.verdict.as_ref().err().map(String::as_str),
            Some(
                format!(
                    "intermediate CA \"Search CA\" expired on {}",
                    old_p.not_after.date()
                )
                .as_str()
            ),
        );
        assert_eq!(
            facts.describe(),
            "rcgen self signed cert ← Search CA ← Search Root"
        );
    }

    #[test]
    fn the_leaf_extended_key_usage_must_allow_the_use() {
        let root_key = KeyPair::generate().expect("key");
        let root_p = ca("Search Root");
        let root = root_p.self_signed(&root_key).expect("root");
        let store = store(&root);
        let leaf = |ekus: Vec<ExtendedKeyUsagePurpose>| {
            let mut p = CertificateParams::new(vec!["leaf.test".into()]).expect("params");
            p.extended_key_usages = ekus;
            p.signed_by(
                &KeyPair::generate().expect("key"),
                &Issuer::from_params(&root_p, &root_key),
            )
            .expect("leaf")
            .der()
            .clone()
        };
        let server_only = leaf(vec![ExtendedKeyUsagePurpose::ServerAuth]);
        let facts = judge(&server_only, &[], &store, Usage::ClientAuth);
        assert_eq!(
            facts.problems,
            vec!["the certificate's extended key usage does not allow this use".to_owned()]
        );
        assert!(
            judge(&server_only, &[], &store, Usage::ServerAuth)
                .problems
                .is_empty()
        );
        assert!(
            judge(&server_only, &[], &store, Usage::Any)
                .problems
                .is_empty()
        );
        let no_eku = leaf(Vec::new());
        assert!(
            judge(&no_eku, &[], &store, Usage::ClientAuth)
                .problems
                .is_empty()
        );
        let any = leaf(vec![ExtendedKeyUsagePurpose::Any]);
        assert_eq!(
            judge(&any, &[], &store, Usage::ClientAuth).problems.len(),
            1
        );
    }
}
