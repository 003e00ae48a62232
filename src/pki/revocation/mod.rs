//! Revocation checking (CERT-REVOCATION): CRLs and OCSP, with their sources.
//!
//! Every answer says how it was obtained (URL, cache file, time). Anything short of a verified
//! answer — no distribution point, an LDAP-only one, an unreachable or silent server, a stale
//! list, an answer that does not verify — is reported as what it is, never as "good".

mod answer;
pub mod cache;
pub mod certs;
pub mod crl;
pub mod dn;
pub mod fetch;
pub mod list;
pub mod local;
pub mod ocsp;
pub mod process;
pub mod scope;
mod signature;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::X509Certificate;

use crate::net::http;
use crate::pki::chain::PathFacts;
use certs::CertView;
pub use local::{LocalCrlError, LocalCrls};

/// Which revocation sources to ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// OCSP when the certificate names a responder, the CRL otherwise or when OCSP gives no
    /// verified answer.
    Auto,
    Crl,
    Ocsp,
    /// Both, and both must answer.
    Both,
    Off,
}

/// How to check.
#[derive(Clone, Debug)]
pub struct Options {
    pub mode: Mode,
    /// No network at all: every answer is "skipped".
    pub offline: bool,
    pub limits: http::Limits,
    /// Where downloaded CRLs are kept; None disables the cache.
    pub cache_dir: Option<PathBuf>,
    pub at: OffsetDateTime,
    /// Seconds a CRL or OCSP answer is still used past its nextUpdate.
    pub grace_secs: i64,
    /// CRLs handed in with `--crl`: asked before any download, and the only source offline.
    pub local: LocalCrls,
}

/// The state one source reports for one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Good,
    Revoked {
        at: OffsetDateTime,
        reason: Option<String>,
    },
    /// The source answered but does not vouch for the certificate now (OCSP "unknown", a
    /// stale CRL).
    Unknown(String),
    /// No answer: connection refused, timeout.
    Unreachable(String),
    /// An answer that cannot be trusted or read: bad signature, garbage, wrong nonce, too big.
    Invalid(String),
    /// The certificate offers nothing this tool can use (no URL, LDAP only).
    Unsupported(String),
    /// Not checked, by the user's choice (`--offline`, `--revocation off`).
    Skipped(String),
}

impl State {
    /// A verified answer either way.
    pub fn is_conclusive(&self) -> bool {
        matches!(self, State::Good | State::Revoked { .. })
    }
}

/// One source's answer about one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// "CRL" or "OCSP".
    pub method: &'static str,
    pub state: State,
    /// Where the answer came from: URL (and cache file), with the answer's own times.
    pub source: String,
}

/// The answers about one certificate of the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertAnswers {
    pub name: String,
    /// True for the leaf, false for an intermediate.
    pub leaf: bool,
    pub answers: Vec<Answer>,
}

/// Check every certificate of the path against its issuer (the anchor is not checked).
/// `pool`: other certificates that may have signed a CRL or be on a CRL signer's path (the
/// supplied chain, bundled intermediates).
pub fn check_path(
    path: &PathFacts,
    pool: &[CertificateDer<'static>],
    opts: &Options,
) -> Vec<CertAnswers> {
    let pairs = path.issued_pairs();
    let skip = |why: &str| Answer {
        method: "CRL/OCSP",
        state: State::Skipped(why.to_owned()),
        source: String::new(),
    };
    let nothing_to_ask = opts.mode == Mode::Off || (opts.offline && opts.local.is_empty());
    if nothing_to_ask {
        let why = if opts.mode == Mode::Off {
            "revocation checking is off (--revocation off)"
        } else {
            "not checked offline (--offline)"
        };
        return pairs
            .iter()
            .enumerate()
            .map(|(i, (cert, _))| CertAnswers {
                name: cert.name.clone(),
                leaf: i == 0,
                answers: vec![skip(why)],
            })
            .collect();
    }
    let views: Vec<Result<CertView, String>> =
        path.links.iter().map(|l| CertView::parse(&l.der)).collect();
    let checker = crl::Checker::new(opts, pool);
    pairs
        .iter()
        .enumerate()
        .map(|(i, (cert, issuer))| {
            let chain: Result<Vec<&CertView>, &String> =
                views[i..].iter().map(|v| v.as_ref()).collect();
            let answers = match chain {
                Ok(chain) => check_one(&chain, &cert.der, &issuer.der, &checker, opts),
                Err(e) => vec![Answer {
                    method: "CRL/OCSP",
                    state: State::Invalid(format!(
                        "a certificate of the path cannot be read for revocation checking: {e}"
                    )),
                    source: String::new(),
                }],
            };
            CertAnswers {
                name: cert.name.clone(),
                leaf: i == 0,
                answers,
            }
        })
        .collect()
}

/// The answers about `chain[0]` (DER `cert`), issued by `chain[1]` (DER `issuer`).
fn check_one(
    chain: &[&CertView],
    cert: &[u8],
    issuer: &[u8],
    checker: &crl::Checker<'_>,
    opts: &Options,
) -> Vec<Answer> {
    let online = !opts.offline;
    let skipped_ocsp = || Answer {
        method: "OCSP",
        state: State::Skipped("not checked offline (--offline)".into()),
        source: String::new(),
    };
    let ocsp = || match x509_parser::parse_x509_certificate(cert) {
        _ if !online => skipped_ocsp(),
        Ok((_, c)) => ocsp::check(cert, issuer, &c, opts),
        Err(e) => Answer {
            method: "OCSP",
            state: State::Invalid(format!("the certificate cannot be read: {e}")),
            source: String::new(),
        },
    };
    match opts.mode {
        Mode::Off => Vec::new(),
        Mode::Crl => vec![checker.answer(chain, online)],
        Mode::Ocsp => vec![ocsp()],
        Mode::Both => vec![ocsp(), checker.answer(chain, online)],
        Mode::Auto => {
            // A `--crl` CRL that settles it comes before any download.
            if !opts.local.is_empty() {
                let local = checker.answer(chain, false);
                if local.state.is_conclusive() || !online {
                    return vec![local];
                }
            }
            let has_ocsp = x509_parser::parse_x509_certificate(cert)
                .is_ok_and(|(_, c)| ocsp_url(&c).is_some());
            if has_ocsp {
                let o = ocsp();
                if o.state.is_conclusive() {
                    return vec![o];
                }
                vec![o, checker.answer(chain, true)]
            } else {
                vec![checker.answer(chain, true)]
            }
        }
    }
}

/// The certificate's OCSP responder URL (the first http one in its AIA).
pub fn ocsp_url(cert: &X509Certificate<'_>) -> Option<String> {
    cert.extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => {
                aia.iter().find_map(|ad| match &ad.access_location {
                    GeneralName::URI(u)
                        if ad.access_method.to_id_string() == "1.3.6.1.5.5.7.48.1" =>
                    {
                        Some((*u).to_owned())
                    }
                    _ => None,
                })
            }
            _ => None,
        })
}

/// RFC 5280 reason codes by number.
pub fn reason_name(code: u8) -> &'static str {
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => "unrecognised reason",
    }
}

/// An HTTP failure as a revocation state: no answer is unknown, a bad answer is invalid.
pub fn state_of_http_error(e: &http::HttpError) -> State {
    if e.is_unreachable() {
        State::Unreachable(e.to_string())
    } else {
        State::Invalid(e.to_string())
    }
}

/// Time for a source line.
pub fn show_time(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
