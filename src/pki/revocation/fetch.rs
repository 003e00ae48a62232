//! CRLs from a certificate's distribution points (and its freshestCRL, for deltas) over HTTP,
//! the on-disk cache first. Only http:// is fetched; LDAP and others are reported as what they
//! are. Every download has the run's timeout and size cap.

use time::OffsetDateTime;
use x509_cert::ext::pkix::name::GeneralName;

use super::cache::CrlCache;
use super::certs::CertView;
use super::list::{Crl, Origin};
use super::{Options, State, show_time, state_of_http_error};
use crate::net::http;

/// Most URLs fetched for one certificate (distribution points and deltas together).
const MAX_URLS: usize = 6;

/// What the distribution points gave.
#[derive(Debug, Default)]
pub struct Fetched {
    pub crls: Vec<Crl>,
    /// Downloaded (not cached) CRLs by index in `crls`: stored in the cache once they verify.
    pub fresh: Vec<usize>,
    /// URLs that gave no CRL, each with the state that says why (unreachable or invalid).
    pub failures: Vec<(State, String)>,
    /// Distribution point names that are not http:// URLs.
    pub unsupported: Vec<String>,
    /// Whether the certificate names any distribution point at all.
    pub any_url: bool,
}

fn http_url(u: &str) -> bool {
    u.to_ascii_lowercase().starts_with("http://")
}

/// Fetch (or take from the cache) the CRLs `cert` points to.
pub fn for_cert(cert: &CertView, opts: &Options) -> Fetched {
    let mut out = Fetched::default();
    let mut urls: Vec<String> = Vec::new();
    let points = cert.points.as_deref().unwrap_or_default();
    for name in points
        .iter()
        .chain(&cert.freshest)
        .flat_map(|p| p.names.iter().flatten())
    {
        out.any_url = true;
        match name {
            GeneralName::UniformResourceIdentifier(u) if http_url(u.as_str()) => {
                if !urls.iter().any(|x| x == u.as_str()) {
                    urls.push(u.to_string());
                }
            }
            GeneralName::UniformResourceIdentifier(u) => out.unsupported.push(u.to_string()),
            GeneralName::DirectoryName(n) => {
                out.unsupported.push(format!("the directory name \"{n}\""));
            }
            other => out.unsupported.push(format!("{other:?}")),
        }
    }
    let cache = opts.cache_dir.as_deref().map(CrlCache::new);
    let mut i = 0;
    while i < urls.len() && i < MAX_URLS {
        let url = urls[i].clone();
        i += 1;
        match one(&url, cache.as_ref(), opts) {
            Ok((crl, fresh)) => {
                // A complete CRL may say where its deltas are.
                for u in crl.freshest.iter().flat_map(|dp| {
                    dp.distribution_point
                        .iter()
                        .flat_map(|n| super::certs::full_names(n, &crl.issuer_name))
                        .filter_map(|g| match g {
                            GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                            _ => None,
                        })
                }) {
                    if http_url(&u) && !urls.contains(&u) {
                        urls.push(u);
                    }
                }
                if fresh {
                    out.fresh.push(out.crls.len());
                }
                out.crls.push(crl);
            }
            Err(failure) => out.failures.push(failure),
        }
    }
    out
}

/// One URL: the cached CRL while it is current, else a download. Ok(crl, downloaded).
fn one(
    url: &str,
    cache: Option<&CrlCache>,
    opts: &Options,
) -> Result<(Crl, bool), (State, String)> {
    if let Some(cache) = cache
        && let Some(bytes) = cache.load(url)
    {
        let how = format!("cached in {}", cache.path_for(url).display());
        if let Ok(crl) = Crl::parse(
            bytes,
            Origin::Url {
                url: url.to_owned(),
                how,
            },
        ) && crl.this_update <= opts.at
            && !crl.stale(opts.at, opts.grace_secs)
        {
            return Ok((crl, false));
        }
    }
    let body = http::get(url, &opts.limits)
        .map_err(|e| (state_of_http_error(&e), url.to_owned()))?
        .body;
    let how = format!("fetched {}", show_time(OffsetDateTime::now_utc()));
    Crl::parse(
        body,
        Origin::Url {
            url: url.to_owned(),
            how,
        },
    )
    .map(|crl| (crl, true))
    .map_err(|why| (State::Invalid(format!("{url}: {why}")), url.to_owned()))
}

/// Keep the downloaded CRLs that verified. A cache that cannot be written only costs speed;
/// the note says so.
pub fn store(fetched: &Fetched, verified: &[usize], opts: &Options) -> Vec<String> {
    let Some(cache) = opts.cache_dir.as_deref().map(CrlCache::new) else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for &i in fetched.fresh.iter().filter(|i| verified.contains(i)) {
        let crl = &fetched.crls[i];
        if let Origin::Url { url, .. } = &crl.origin
            && let Err(e) = cache.store(url, crl.der())
        {
            notes.push(format!("{url} not cached: {e}"));
        }
    }
    notes
}
