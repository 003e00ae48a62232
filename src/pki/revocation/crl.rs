//! CRL checking: download (or take from the cache), verify with the issuer, check freshness,
//! look the serial up.

use time::{Duration, OffsetDateTime};
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

use super::cache::CrlCache;
use super::{Answer, Options, State, reason_name, show_time, state_of_http_error};
use crate::net::http;

const METHOD: &str = "CRL";

/// The CRL answer for `cert`: the first distribution point that gives a verified answer wins;
/// otherwise the most telling failure.
pub fn check(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>, opts: &Options) -> Answer {
    let urls = super::crl_urls(cert);
    let (http_urls, other): (Vec<String>, Vec<String>) = urls
        .into_iter()
        .partition(|u| u.to_ascii_lowercase().starts_with("http://"));
    if http_urls.is_empty() {
        let state = if other.is_empty() {
            State::Unsupported("the certificate names no CRL distribution point".into())
        } else {
            State::Unsupported(format!(
                "only non-HTTP CRL distribution points ({}); LDAP and others are not supported",
                other.join(", ")
            ))
        };
        return Answer {
            method: METHOD,
            state,
            source: other.join(", "),
        };
    }
    let mut failures = Vec::new();
    for url in &http_urls {
        let answer = check_url(url, cert, issuer, opts);
        if answer.state.is_conclusive() {
            return answer;
        }
        failures.push(answer);
    }
    // Prefer an invalid answer (something is wrong) over an unknown or unreachable one.
    failures.sort_by_key(|a| match a.state {
        State::Invalid(_) => 0,
        State::Unknown(_) => 1,
        _ => 2,
    });
    failures.swap_remove(0)
}

fn check_url(
    url: &str,
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    opts: &Options,
) -> Answer {
    let cache = opts.cache_dir.as_deref().map(CrlCache::new);
    // A cached CRL is used while it is current; otherwise it is fetched again.
    if let Some(cache) = &cache
        && let Some(bytes) = cache.load(url)
        && let Ok(eval) = evaluate(&bytes, cert, issuer, opts.at, opts.grace_secs)
        && !eval.stale
    {
        return Answer {
            method: METHOD,
            state: eval.state,
            source: format!(
                "{url} (cached in {}; {})",
                cache.path_for(url).display(),
                eval.times
            ),
        };
    }
    let body = match http::get(url, &opts.limits) {
        Ok(r) => r.body,
        Err(e) => {
            return Answer {
                method: METHOD,
                state: state_of_http_error(&e),
                source: url.to_owned(),
            };
        }
    };
    let fetched = format!("fetched {}", show_time(OffsetDateTime::now_utc()));
    match evaluate(&body, cert, issuer, opts.at, opts.grace_secs) {
        Ok(eval) => {
            let mut note = String::new();
            if let Some(cache) = &cache {
                // The CRL verified; keep it. A cache that cannot be written only costs speed.
                if let Err(e) = cache.store(url, &body) {
                    note = format!("; not cached: {e}");
                }
            }
            Answer {
                method: METHOD,
                state: eval.state,
                source: format!("{url} ({fetched}; {}{note})", eval.times),
            }
        }
        Err(why) => Answer {
            method: METHOD,
            state: State::Invalid(why),
            source: format!("{url} ({fetched})"),
        },
    }
}

/// What a verified CRL says about a certificate.
#[derive(Debug)]
pub struct Evaluation {
    pub state: State,
    /// The CRL is past its nextUpdate (then `state` says so).
    pub stale: bool,
    /// "thisUpdate …, nextUpdate …" for the source line.
    pub times: String,
}

/// Verify `der` as the CRL of `issuer` and look `cert` up in it. Err: the CRL cannot be used.
pub fn evaluate(
    der: &[u8],
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    at: OffsetDateTime,
    grace_secs: i64,
) -> Result<Evaluation, String> {
    let (rest, crl) = CertificateRevocationList::from_der(der)
        .map_err(|e| format!("the CRL is not valid DER: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("{} bytes follow the CRL", rest.len()));
    }
    if crl.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(format!(
            "the CRL is issued by \"{}\", not by the certificate's issuer \"{}\"",
            crl.issuer(),
            issuer.subject()
        ));
    }
    crl.verify_signature(issuer.public_key())
        .map_err(|e| format!("the CRL's signature does not verify with its issuer's key ({e})"))?;
    for ext in crl.extensions() {
        let id = ext.oid.to_id_string();
        // Delta CRLs and partitioned CRLs need more than one list to answer; refuse them
        // rather than read them as complete.
        if id == "2.5.29.27" {
            return Err("a delta CRL cannot answer on its own".into());
        }
        if ext.critical && !matches!(id.as_str(), "2.5.29.20" | "2.5.29.35" | "2.5.29.28") {
            return Err(format!(
                "the CRL has an unsupported critical extension {id}"
            ));
        }
        // A CRL whose scope excludes this kind of certificate cannot clear it.
        if let ParsedExtension::IssuingDistributionPoint(idp) = ext.parsed_extension() {
            let is_ca = matches!(cert.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
            let scope = if idp.indirect_crl {
                Some("an indirect CRL")
            } else if idp.only_some_reasons.is_some() {
                Some("a CRL partitioned by reason")
            } else if idp.only_contains_attribute_certs {
                Some("a CRL of attribute certificates only")
            } else if idp.only_contains_ca_certs && !is_ca {
                Some(
                    "a CRL of CA certificates only (an ARL), while this is an end-entity certificate",
                )
            } else if idp.only_contains_user_certs && is_ca {
                Some("a CRL of end-entity certificates only, while this is a CA certificate")
            } else {
                None
            };
            if let Some(scope) = scope {
                return Err(format!(
                    "the CRL is {scope}: it cannot answer for this certificate"
                ));
            }
        }
    }
    let this_update = crl.last_update().to_datetime();
    let next_update = crl.next_update().map(|t| t.to_datetime());
    let times = format!(
        "thisUpdate {}, nextUpdate {}",
        show_time(this_update),
        next_update.map_or_else(|| "none".to_owned(), show_time)
    );
    if this_update > at {
        return Err(format!(
            "the CRL is not yet valid at the check time (thisUpdate {})",
            show_time(this_update)
        ));
    }
    let stale = match next_update {
        Some(next) => next.saturating_add(Duration::seconds(grace_secs)) < at,
        // Without nextUpdate nobody can tell whether it is current.
        None => true,
    };
    let revoked = crl
        .iter_revoked_certificates()
        .find(|r| r.raw_serial() == cert.raw_serial());
    let state = match revoked {
        // A revocation stays true even in an old list.
        Some(r) => State::Revoked {
            at: r.revocation_date.to_datetime(),
            reason: r
                .reason_code()
                .map(|(_, code)| reason_name(code.0).to_owned()),
        },
        None if stale => State::Unknown(format!(
            "the CRL is stale: its nextUpdate {} is before the check time",
            next_update.map_or_else(|| "(missing)".to_owned(), show_time)
        )),
        None => State::Good,
    };
    Ok(Evaluation {
        state,
        stale,
        times,
    })
}

/// Parse a certificate for [`evaluate`]: a convenience for callers holding DER.
pub fn parse_cert(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|e| e.to_string())
}
