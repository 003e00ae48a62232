//! Path building and validation for CERT-ISSUER.
//!
//! Two passes over the same candidates. Our own walk follows issuer names and signatures from
//! the leaf upwards, so the report can show the path subject by subject and say exactly where
//! it stops when it does not reach an anchor. rustls-webpki then gives the verdict. After it,
//! the checks webpki leaves out: every CA in the path (the anchor too) valid at the check time,
//! CA basic constraints and key usage, and, for a path to a bundled DVV root, that the issuing
//! CA is one of DVV's service CAs.

use std::time::Duration;

use rustls_pki_types::{CertificateDer, UnixTime};
use time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::net::http;
use crate::pki::trust::{self, MISSING_ROOTS, TrustStore};
use crate::profile::RegisterProfile;

/// Longest path walked (leaf and anchor included).
const MAX_PATH: usize = 8;
/// Most caIssuers downloads per path.
const MAX_AIA_FETCHES: usize = 3;

/// The extended key usage the path is validated for (only enforced when the leaf has EKUs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// No EKU requirement: the path alone is judged, and CERT-EKU-TLS judges the EKUs.
    Any,
    ClientAuth,
    ServerAuth,
}

/// Accepts any extended key usage.
struct AnyEku;

impl webpki::ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, _: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
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
    /// rustls-webpki's verdict, as text for the report.
    pub webpki: Result<(), String>,
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

struct Candidate {
    der: CertificateDer<'static>,
    origin: LinkOrigin,
    /// The subject name's DER (see `TrustedCert::subject`).
    subject: Vec<u8>,
}

/// Build the path and judge it. Unreadable certificates are reported in the facts, not as an
/// error: the leaf was read before.
pub fn build(input: &ChainInput<'_>) -> PathFacts {
    let mut candidates: Vec<Candidate> = input
        .supplied
        .iter()
        .map(|c| Candidate {
            der: c.clone(),
            origin: LinkOrigin::Supplied,
            subject: trust::subject_der(c),
        })
        .chain(input.trust.intermediates.iter().map(|c| Candidate {
            der: c.der.clone(),
            origin: LinkOrigin::Bundled,
            subject: c.subject.clone(),
        }))
        .collect();
    let mut notes = Vec::new();
    let (links, end) = walk(input, &mut candidates, &mut notes);
    let webpki = verify_with_webpki(input, &candidates);
    let mut problems = extra_checks(&links, &end, input);
    if let Err(e) = &webpki
        && matches!(end, PathEnd::Anchor { .. })
        && problems.is_empty()
    {
        // The walk found a path webpki refused: its reason is the problem.
        problems.push(e.clone());
    }
    PathFacts {
        links,
        end,
        webpki,
        problems,
        notes,
    }
}

fn link(der: &CertificateDer<'static>, origin: LinkOrigin) -> Option<Link> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(Link {
        der: der.clone(),
        name: trust::display_name(der),
        subject: cert.subject().to_string(),
        origin,
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
    })
}

/// The issuer of `child` among `items`: the only one whose subject is `child`'s issuer name,
/// or, when several are (a renewed or cross-certified CA), the one whose key verifies the
/// signature. A single name match is taken without verifying: webpki checks every signature
/// of the finished path, and a bad one is reported from there.
fn pick_issuer<'a, T>(
    child: &X509Certificate<'_>,
    items: impl Iterator<Item = &'a T>,
    parts: impl Fn(&'a T) -> (&'a Vec<u8>, &'a CertificateDer<'static>),
) -> Option<&'a T> {
    let named: Vec<&'a T> = items
        .filter(|t| parts(t).0.as_slice() == child.issuer().as_raw())
        .collect();
    match named.as_slice() {
        [] => None,
        [only] => Some(*only),
        several => several
            .iter()
            .copied()
            .find(|t| issued_by(child, parts(t).1)),
    }
}

/// Does `issuer` name and sign `child`?
fn issued_by(child: &X509Certificate<'_>, issuer_der: &[u8]) -> bool {
    let Ok((_, issuer)) = X509Certificate::from_der(issuer_der) else {
        return false;
    };
    issuer.subject().as_raw() == child.issuer().as_raw()
        && child.verify_signature(Some(issuer.public_key())).is_ok()
}

fn walk(
    input: &ChainInput<'_>,
    candidates: &mut Vec<Candidate>,
    notes: &mut Vec<String>,
) -> (Vec<Link>, PathEnd) {
    let mut links: Vec<Link> = link(input.leaf, LinkOrigin::Leaf).into_iter().collect();
    let mut fetches = 0;
    loop {
        let Some(current) = links.last() else {
            return (links, PathEnd::NoIssuer { issuer: "?".into() });
        };
        if links.len() >= MAX_PATH {
            return (links, PathEnd::TooLong);
        }
        let current_der = current.der.clone();
        let Ok((_, cert)) = X509Certificate::from_der(&current_der) else {
            return (links, PathEnd::NoIssuer { issuer: "?".into() });
        };
        // The current certificate may itself be an anchor (a trusted intermediate, or a root
        // sent along in the chain).
        if let Some(anchor) = input.trust.anchors.iter().find(|a| a.der == current_der)
            && links.len() > 1
        {
            if let Some(last) = links.last_mut() {
                last.origin = LinkOrigin::Anchor(anchor.origin.clone());
            }
            let end = PathEnd::Anchor {
                name: anchor.name.clone(),
                origin: anchor.origin.clone(),
            };
            return (links, end);
        }
        if let Some(anchor) =
            pick_issuer(&cert, input.trust.anchors.iter(), |a| (&a.subject, &a.der))
        {
            let end = PathEnd::Anchor {
                name: anchor.name.clone(),
                origin: anchor.origin.clone(),
            };
            links.extend(link(&anchor.der, LinkOrigin::Anchor(anchor.origin.clone())));
            return (links, end);
        }
        if cert.subject().as_raw() == cert.issuer().as_raw() && issued_by(&cert, &current_der) {
            let name = current.name.clone();
            return (links, PathEnd::UntrustedRoot { name });
        }
        let next = pick_issuer(
            &cert,
            candidates
                .iter()
                .filter(|c| !links.iter().any(|l| l.der == c.der)),
            |c| (&c.subject, &c.der),
        );
        if let Some(c) = next {
            links.extend(link(&c.der, c.origin.clone()));
            continue;
        }
        if let Some(limits) = input.online
            && fetches < MAX_AIA_FETCHES
            && let Some(url) = ca_issuers_url(&cert)
            && !candidates
                .iter()
                .any(|c| c.origin == LinkOrigin::Aia(url.clone()))
        {
            fetches += 1;
            match fetch_ca_issuers(&url, limits) {
                Ok(certs) => {
                    notes.push(format!(
                        "downloaded {} certificate(s) from caIssuers {url}",
                        certs.len()
                    ));
                    candidates.extend(certs.into_iter().map(|der| Candidate {
                        subject: trust::subject_der(&der),
                        der,
                        origin: LinkOrigin::Aia(url.clone()),
                    }));
                    continue;
                }
                Err(e) => notes.push(format!("caIssuers download failed: {e}")),
            }
        }
        let issuer_cn = cert
            .issuer()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        if let Some(missing) = MISSING_ROOTS
            .iter()
            .find(|m| issuer_cn.as_deref() == Some(m.common_name))
        {
            let end = PathEnd::MissingRoot {
                name: missing.common_name.to_owned(),
                why: missing.why,
            };
            return (links, end);
        }
        return (
            links,
            PathEnd::NoIssuer {
                issuer: cert.issuer().to_string(),
            },
        );
    }
}

/// The first http caIssuers URL of the certificate's AIA.
fn ca_issuers_url(cert: &X509Certificate<'_>) -> Option<String> {
    cert.extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => {
                aia.iter()
                    .find_map(|ad| match (&ad.access_method, &ad.access_location) {
                        (m, GeneralName::URI(u))
                            if m.to_id_string() == "1.3.6.1.5.5.7.48.2"
                                && u.to_ascii_lowercase().starts_with("http://") =>
                        {
                            Some((*u).to_owned())
                        }
                        _ => None,
                    })
            }
            _ => None,
        })
}

/// A caIssuers download: one DER certificate, or PEM. (PKCS#7 "certs-only" bundles are not
/// read; DVV publishes plain certificates.)
fn fetch_ca_issuers(
    url: &str,
    limits: &http::Limits,
) -> Result<Vec<CertificateDer<'static>>, String> {
    // A CA certificate is a few kilobytes; a big answer is not one.
    let limits = http::Limits {
        max_body: limits.max_body.min(1024 * 1024),
        ..*limits
    };
    let resp = http::get(url, &limits).map_err(|e| e.to_string())?;
    let file =
        crate::pki::load::parse_certificates(url, &resp.body, &crate::secret::PasswordSource::None)
            .map_err(|e| e.to_string())?;
    Ok(file.certificates)
}

fn unix_time(at: OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(at.unix_timestamp().max(0) as u64))
}

fn verify_with_webpki(input: &ChainInput<'_>, candidates: &[Candidate]) -> Result<(), String> {
    let ee = webpki::EndEntityCert::try_from(input.leaf)
        .map_err(|e| format!("the certificate cannot be validated: {}", webpki_reason(&e)))?;
    let anchors: Vec<_> = input
        .trust
        .anchors
        .iter()
        .filter_map(|a| webpki::anchor_from_trusted_cert(&a.der).ok())
        .collect();
    let intermediates: Vec<CertificateDer<'_>> = candidates.iter().map(|c| c.der.clone()).collect();
    let verify = |usage: &dyn webpki::ExtendedKeyUsageValidator| {
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &intermediates,
            unix_time(input.at),
            Dyn(usage),
            None,
            None,
        )
        .map(|_| ())
        .map_err(|e| webpki_reason(&e))
    };
    match input.usage {
        Usage::Any => verify(&AnyEku),
        Usage::ClientAuth => verify(&webpki::KeyUsage::client_auth()),
        Usage::ServerAuth => verify(&webpki::KeyUsage::server_auth()),
    }
}

/// A validator behind a reference, as `verify_for_usage` takes one by value.
struct Dyn<'a>(&'a dyn webpki::ExtendedKeyUsageValidator);

impl webpki::ExtendedKeyUsageValidator for Dyn<'_> {
    fn validate(&self, iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        self.0.validate(iter)
    }
}

/// webpki's errors in words (its Display is its Debug).
pub fn webpki_reason(e: &webpki::Error) -> String {
    use webpki::Error as E;
    match e {
        E::UnknownIssuer => "no path to a trusted anchor".into(),
        E::CertExpired { .. } => "a certificate in the path has expired".into(),
        E::CertNotValidYet { .. } => "a certificate in the path is not valid yet".into(),
        E::InvalidSignatureForPublicKey => {
            "a signature in the path does not verify".into()
        }
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a certificate in the path is signed with an algorithm that is not accepted (e.g. SHA-1)".into()
        }
        E::CaUsedAsEndEntity => "the certificate is a CA certificate, not an end-entity one".into(),
        E::EndEntityUsedAsCa => "an end-entity certificate is used as a CA".into(),
        E::PathLenConstraintViolated => "a CA's path length constraint is exceeded".into(),
        E::RequiredEkuNotFoundContext(_) => {
            "the certificate's extended key usage does not allow this use".into()
        }
        E::UnsupportedCriticalExtension => {
            "the certificate has a critical extension validators do not understand".into()
        }
        E::CertDistrusted => "a certificate in the path is distrusted".into(),
        E::NameConstraintViolation => "a CA's name constraints exclude the certificate".into(),
        E::MaximumPathDepthExceeded | E::MaximumPathBuildCallsExceeded => {
            "the path is too long".into()
        }
        other => format!("path validation failed ({other:?})"),
    }
}

/// The checks webpki does not make.
fn extra_checks(links: &[Link], end: &PathEnd, input: &ChainInput<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, l) in links.iter().enumerate().skip(1) {
        let role = if matches!(l.origin, LinkOrigin::Anchor(_)) {
            "trust anchor"
        } else {
            "intermediate CA"
        };
        if input.at > l.not_after {
            problems.push(format!(
                "{role} \"{}\" expired on {}",
                l.name,
                l.not_after.date()
            ));
        } else if input.at < l.not_before {
            problems.push(format!(
                "{role} \"{}\" is not valid before {}",
                l.name,
                l.not_before.date()
            ));
        }
        let Ok((_, cert)) = X509Certificate::from_der(&l.der) else {
            problems.push(format!("{role} #{i} cannot be read"));
            continue;
        };
        // Anchors are trusted as given (webpki uses only their name and key); a v1 root has
        // no extensions to check.
        if role == "trust anchor" {
            continue;
        }
        match cert.basic_constraints() {
            Ok(Some(bc)) if bc.value.ca => {}
            _ => problems.push(format!(
                "intermediate CA \"{}\" lacks basicConstraints cA=TRUE",
                l.name
            )),
        }
        if let Ok(Some(ku)) = cert.key_usage()
            && !ku.value.key_cert_sign()
        {
            problems.push(format!(
                "intermediate CA \"{}\" key usage lacks keyCertSign",
                l.name
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
        let root_params = ca("Stand-in DVV Root");
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
                subject: trust::subject_der(root.der()),
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
        assert!(service.webpki.is_ok(), "{:?}", service.webpki);
        assert!(service.reached_bundled_anchor());
        assert!(service.problems.is_empty(), "{:?}", service.problems);

        let citizen = path_through("1.2.246.517.1.10.301.1");
        assert!(citizen.webpki.is_ok(), "{:?}", citizen.webpki);
        assert_eq!(citizen.problems.len(), 1, "{:?}", citizen.problems);
        assert!(
            citizen.problems[0].contains("not a DVV service-certificate CA")
                && citizen.problems[0].contains("1.2.246.517.1.10.301.1"),
            "{:?}",
            citizen.problems
        );
    }
}
