//! Revocation checking (CERT-REVOCATION): CRLs and OCSP, with their sources.
//!
//! Every answer says how it was obtained (URL, cache file, time). Anything short of a verified
//! answer — no distribution point, an LDAP-only one, an unreachable or silent server, a stale
//! list, an answer that does not verify — is reported as what it is, never as "good".

pub mod cache;
pub mod crl;
pub mod ocsp;

use std::path::PathBuf;

use time::OffsetDateTime;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::X509Certificate;

use crate::net::http;
use crate::pki::chain::PathFacts;

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
pub fn check_path(path: &PathFacts, opts: &Options) -> Vec<CertAnswers> {
    path.issued_pairs()
        .into_iter()
        .enumerate()
        .map(|(i, (cert, issuer))| CertAnswers {
            name: cert.name.clone(),
            leaf: i == 0,
            answers: check_one(&cert.der, &issuer.der, opts),
        })
        .collect()
}

/// The answers about `cert`, issued by `issuer`, per the options.
pub fn check_one(cert: &[u8], issuer: &[u8], opts: &Options) -> Vec<Answer> {
    let skipped = |method, why: &str| Answer {
        method,
        state: State::Skipped(why.to_owned()),
        source: String::new(),
    };
    if opts.mode == Mode::Off {
        return vec![skipped(
            "CRL/OCSP",
            "revocation checking is off (--revocation off)",
        )];
    }
    if opts.offline {
        return vec![skipped("CRL/OCSP", "not checked offline (--offline)")];
    }
    let parsed = (
        x509_parser::parse_x509_certificate(cert),
        x509_parser::parse_x509_certificate(issuer),
    );
    let (Ok((_, c)), Ok((_, i))) = parsed else {
        return vec![Answer {
            method: "CRL/OCSP",
            state: State::Invalid("the certificate or its issuer cannot be read".into()),
            source: String::new(),
        }];
    };
    match opts.mode {
        Mode::Crl => vec![crl::check(&c, &i, opts)],
        Mode::Ocsp => vec![ocsp::check(cert, issuer, &c, opts)],
        Mode::Both => vec![
            ocsp::check(cert, issuer, &c, opts),
            crl::check(&c, &i, opts),
        ],
        Mode::Auto => {
            if ocsp_url(&c).is_some() {
                let o = ocsp::check(cert, issuer, &c, opts);
                if o.state.is_conclusive() {
                    return vec![o];
                }
                vec![o, crl::check(&c, &i, opts)]
            } else {
                vec![crl::check(&c, &i, opts)]
            }
        }
        Mode::Off => Vec::new(),
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

/// The CRL distribution point URIs, all schemes.
pub fn crl_urls(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for ext in cert.extensions() {
        if let ParsedExtension::CRLDistributionPoints(points) = ext.parsed_extension() {
            for p in points.iter() {
                if let Some(DistributionPointName::FullName(names)) = &p.distribution_point {
                    for n in names {
                        if let GeneralName::URI(u) = n {
                            out.push((*u).to_owned());
                        }
                    }
                }
            }
        }
    }
    out
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
