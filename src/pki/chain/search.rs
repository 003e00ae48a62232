//! The search for a path: depth first from the leaf, each step to a certificate whose subject
//! matches the current issuer by RFC 5280 §7.1 (those whose key verifies the signature
//! first), every complete path handed to the §6.1 validator until one is valid. What is kept
//! for the report when none is: the first complete path with its rejection, else the first
//! dead end.

use rustls_pki_types::CertificateDer;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{ChainInput, Link, LinkOrigin, PathEnd, link};
use crate::net::http;
use crate::pki::path::name::Dn;
use crate::pki::path::{self, Rejection, Settings, Validated, signature};
use crate::pki::trust::{self, MISSING_ROOTS, TrustedCert};

/// Longest path walked (leaf and anchor included).
const MAX_PATH: usize = 8;
/// Most caIssuers downloads per path.
const MAX_AIA_FETCHES: usize = 3;
/// Most certificates visited in one search: a bound against crafted cross-certificate meshes.
const MAX_STEPS: usize = 200;

pub struct Candidate {
    pub der: CertificateDer<'static>,
    pub origin: LinkOrigin,
    pub subject: Option<Dn>,
}

impl Candidate {
    pub fn new(der: CertificateDer<'static>, origin: LinkOrigin) -> Candidate {
        let subject = trust::subject_name(&der);
        Candidate {
            der,
            origin,
            subject,
        }
    }
}

/// A path the search ended with.
pub struct Outcome {
    pub links: Vec<Link>,
    pub end: PathEnd,
    /// The validator's answer, for a path that reached an anchor.
    pub verdict: Option<Result<Validated, Rejection>>,
}

pub struct Search<'a, 'b> {
    input: &'a ChainInput<'b>,
    candidates: Vec<Candidate>,
    pub notes: Vec<String>,
    fetches: usize,
    steps: usize,
    valid: Option<Outcome>,
    first_rejected: Option<Outcome>,
    first_dead_end: Option<Outcome>,
}

impl<'a, 'b> Search<'a, 'b> {
    pub fn new(input: &'a ChainInput<'b>, candidates: Vec<Candidate>) -> Self {
        Search {
            input,
            candidates,
            notes: Vec::new(),
            fetches: 0,
            steps: 0,
            valid: None,
            first_rejected: None,
            first_dead_end: None,
        }
    }

    pub fn run(mut self) -> (Outcome, Vec<String>) {
        let mut links: Vec<Link> = link(self.input.leaf, LinkOrigin::Leaf)
            .into_iter()
            .collect();
        if links.is_empty() {
            let end = PathEnd::NoIssuer { issuer: "?".into() };
            return (
                Outcome {
                    links,
                    end,
                    verdict: None,
                },
                self.notes,
            );
        }
        self.visit(&mut links);
        let outcome = self
            .valid
            .or(self.first_rejected)
            .or(self.first_dead_end)
            .unwrap_or(Outcome {
                links,
                end: PathEnd::TooLong,
                verdict: None,
            });
        (outcome, self.notes)
    }

    fn dead_end(&mut self, links: &[Link], end: PathEnd) {
        if self.first_dead_end.is_none() {
            self.first_dead_end = Some(Outcome {
                links: links.to_vec(),
                end,
                verdict: None,
            });
        }
    }

    /// Validate a path whose last link is `anchor`; true when it is valid.
    fn complete(&mut self, links: &[Link], anchor: &TrustedCert) -> bool {
        let Some((last, certs)) = links.split_last() else {
            return false;
        };
        let certs: Vec<&[u8]> = certs.iter().map(|l| l.der.as_ref()).collect();
        let verdict = path::validate(&last.der, &certs, &Settings::at(self.input.at));
        let valid = verdict.is_ok();
        let outcome = Outcome {
            links: links.to_vec(),
            end: PathEnd::Anchor {
                name: anchor.name.clone(),
                origin: anchor.origin.clone(),
            },
            verdict: Some(verdict),
        };
        if valid {
            self.valid = Some(outcome);
        } else if self.first_rejected.is_none() {
            self.first_rejected = Some(outcome);
        }
        valid
    }

    /// Extend the path from its last link; true once a valid path is found.
    fn visit(&mut self, links: &mut Vec<Link>) -> bool {
        self.steps += 1;
        if self.steps > MAX_STEPS || links.len() >= MAX_PATH {
            self.dead_end(links, PathEnd::TooLong);
            return false;
        }
        let Some(current) = links.last().cloned() else {
            return false;
        };
        let Ok((_, cert)) = X509Certificate::from_der(&current.der) else {
            self.dead_end(links, PathEnd::NoIssuer { issuer: "?".into() });
            return false;
        };
        let issuer = Dn::from_name(cert.issuer());
        let trust = self.input.trust;
        // The current certificate may itself be an anchor (a trusted intermediate, or a root
        // sent along in the chain).
        if links.len() > 1
            && let Some(anchor) = trust.anchors.iter().find(|a| a.der == current.der)
        {
            if let Some(last) = links.last_mut() {
                last.origin = LinkOrigin::Anchor(anchor.origin.clone());
            }
            let valid = self.complete(links, anchor);
            if let Some(last) = links.last_mut() {
                last.origin = current.origin.clone();
            }
            return valid;
        }
        let mut anchors: Vec<&TrustedCert> = trust
            .anchors
            .iter()
            .filter(|a| a.subject.as_ref() == Some(&issuer))
            .collect();
        // Only a choice needs ordering (and each `signs` is a signature verification).
        if anchors.len() > 1 {
            anchors.sort_by_key(|a| !signs(&a.der, &current.der));
        }
        for anchor in anchors {
            links.extend(link(&anchor.der, LinkOrigin::Anchor(anchor.origin.clone())));
            if self.complete(links, anchor) {
                return true;
            }
            links.pop();
        }
        if Dn::from_name(cert.subject()) == issuer && signs(&current.der, &current.der) {
            self.dead_end(
                links,
                PathEnd::UntrustedRoot {
                    name: current.name.clone(),
                },
            );
            return false;
        }
        let mut next = self.issuers(links, &issuer, &current.der);
        if next.is_empty() && self.fetch(&cert) {
            next = self.issuers(links, &issuer, &current.der);
        }
        if next.is_empty() {
            let end = no_issuer(&cert);
            self.dead_end(links, end);
            return false;
        }
        for i in next {
            let c = &self.candidates[i];
            links.extend(link(&c.der, c.origin.clone()));
            if self.visit(links) {
                return true;
            }
            links.pop();
        }
        false
    }

    /// Candidates named as `issuer` and not yet in the path, those that sign `child` first.
    fn issuers(&self, links: &[Link], issuer: &Dn, child: &[u8]) -> Vec<usize> {
        let mut found: Vec<usize> = self
            .candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.subject.as_ref() == Some(issuer))
            .filter(|(_, c)| !links.iter().any(|l| l.der == c.der))
            .map(|(i, _)| i)
            .collect();
        if found.len() > 1 {
            found.sort_by_key(|&i| !signs(&self.candidates[i].der, child));
        }
        found
    }

    /// Download the certificate's caIssuers (once per URL, a few per search); true when
    /// something new came.
    fn fetch(&mut self, cert: &X509Certificate<'_>) -> bool {
        let Some(limits) = self.input.online else {
            return false;
        };
        let Some(url) = ca_issuers_url(cert) else {
            return false;
        };
        if self.fetches >= MAX_AIA_FETCHES
            || self
                .candidates
                .iter()
                .any(|c| c.origin == LinkOrigin::Aia(url.clone()))
        {
            return false;
        }
        self.fetches += 1;
        match fetch_ca_issuers(&url, limits) {
            Ok(certs) => {
                self.notes.push(format!(
                    "downloaded {} certificate(s) from caIssuers {url}",
                    certs.len()
                ));
                let before = self.candidates.len();
                self.candidates.extend(
                    certs
                        .into_iter()
                        .map(|der| Candidate::new(der, LinkOrigin::Aia(url.clone()))),
                );
                self.candidates.len() > before
            }
            Err(e) => {
                self.notes.push(format!("caIssuers download failed: {e}"));
                false
            }
        }
    }
}

/// Does the certificate `issuer` carry the key that signed `child`?
fn signs(issuer: &[u8], child: &[u8]) -> bool {
    let Ok((_, issuer)) = X509Certificate::from_der(issuer) else {
        return false;
    };
    signature::split(child)
        .is_some_and(|s| signature::verify(&s, issuer.tbs_certificate.subject_pki.raw).is_ok())
}

/// How a path ends whose issuer is nowhere: at a root tilicheck cannot ship, or nowhere.
fn no_issuer(cert: &X509Certificate<'_>) -> PathEnd {
    let issuer_cn = cert
        .issuer()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok());
    match MISSING_ROOTS
        .iter()
        .find(|m| issuer_cn == Some(m.common_name))
    {
        Some(missing) => PathEnd::MissingRoot {
            name: missing.common_name.to_owned(),
            why: missing.why,
        },
        None => PathEnd::NoIssuer {
            issuer: crate::pki::names::read(cert.issuer()).display,
        },
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
