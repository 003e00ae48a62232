//! `--trusted-list auto`: the EU LOTL, and for each certificate the national list of its
//! issuer's territory (the LOTL's pointer), fetched with the shared bounded HTTP client (https,
//! or http where the pointer says so; the environment's proxy honoured), verified like any list, and kept
//! on disk until their NextUpdate. `--offline` uses only the cache and says how old it is.
//!
//! Only lists that verified are written to the cache, and a cached list is verified again
//! every time it is read: the cache saves downloads, it is never trusted.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use time::OffsetDateTime;

use super::lotl::LotlSigners;
use super::model::TSL_MIME;
use super::qualify::{Unused, issuer_territory};
use super::set::TrustedLists;
use super::verify::{Anchors, Freshness, SignerCheck, VerifiedTrustedList, check};
use super::{read_file, text};
use crate::net::http;
use crate::profile::limits::MAX_TRUSTED_LIST_BYTES;
use crate::time_arg::format_time;

/// Where the Commission publishes the LOTL (the LOTL's own pointer to itself names it).
pub const LOTL_URL: &str = "https://ec.europa.eu/tools/lotl/eu-lotl.xml";

/// How `auto` fetches.
#[derive(Clone, Debug)]
pub struct AutoOptions {
    pub lotl_url: String,
    /// None: no cache (nothing is kept).
    pub cache_dir: Option<PathBuf>,
    pub offline: bool,
    pub limits: http::Limits,
    pub at: OffsetDateTime,
}

/// The default cache directory: `$XDG_CACHE_HOME/tilicheck/trusted-lists`, else
/// `~/.cache/tilicheck/trusted-lists`.
pub fn default_cache_dir() -> Option<PathBuf> {
    crate::user_dirs::cache_dir().map(|d| d.join("trusted-lists"))
}

/// The lists `auto` has fetched so far, growing as certificates of new territories come.
#[derive(Debug)]
pub struct AutoLists {
    options: AutoOptions,
    signers: LotlSigners,
    tls: Result<http::Tls, String>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    lists: Arc<TrustedLists>,
    tried: HashSet<String>,
}

/// A list's copy in the cache, and when it was fetched.
struct Cached {
    xml: String,
    fetched: SystemTime,
}

impl Cached {
    fn read(path: &Path) -> Option<Cached> {
        let xml = read_file(path).ok()?;
        let fetched = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
        Some(Cached { xml, fetched })
    }

    /// The copy verified again, named with its age and `note`.
    fn verify(
        &self,
        url: &str,
        note: &str,
        anchors: Anchors<'_>,
        at: OffsetDateTime,
    ) -> Option<VerifiedTrustedList> {
        let age_days = SystemTime::now()
            .duration_since(self.fetched)
            .map(|d| d.as_secs() / 86_400)
            .unwrap_or(0);
        let when = OffsetDateTime::from(self.fetched);
        let name = format!(
            "{url}, cached copy fetched {} ({age_days} days old){note}",
            format_time(when.replace_nanosecond(0).unwrap_or(when))
        );
        check(&name, &self.xml, anchors, at)
            .ok()?
            .into_verified()
            .ok()
    }
}

impl AutoLists {
    /// Fetch (or read from the cache) and verify the LOTL now.
    pub fn new(options: AutoOptions, signers: LotlSigners) -> AutoLists {
        let auto = AutoLists {
            tls: http::Tls::with_roots(&[]),
            options,
            signers,
            state: Mutex::default(),
        };
        let mut lists = TrustedLists::default();
        let anchors = Anchors {
            lotl_signers: &auto.signers,
            lotl: None,
        };
        match auto.obtain(&auto.options.lotl_url, "EU", anchors) {
            Ok(list) => lists.set_lotl(list),
            Err(unused) => lists.note_unused(unused),
        }
        if let Ok(mut s) = auto.state.lock() {
            s.lists = Arc::new(lists);
        }
        auto
    }

    /// The lists to judge the certificate `der` with: the LOTL and its issuer's territory's
    /// list (fetched on first need).
    pub fn for_certificate(&self, der: &[u8]) -> Arc<TrustedLists> {
        let Ok(mut state) = self.state.lock() else {
            return Arc::default();
        };
        let Some(territory) = issuer_territory(der) else {
            return state.lists.clone();
        };
        if !state.tried.insert(territory.clone()) {
            return state.lists.clone();
        }
        let mut lists = (*state.lists).clone();
        match lists.lotl().cloned() {
            None => {}
            Some(lotl) => {
                let pointer = lotl
                    .facts()
                    .pointers
                    .iter()
                    .filter(|p| p.territory.as_deref() == Some(territory.as_str()))
                    .find(|p| {
                        p.mime_type.as_deref() == Some(TSL_MIME)
                            || (p.mime_type.is_none() && p.location.ends_with(".xml"))
                    })
                    .map(|p| p.location.clone());
                match pointer {
                    None => lists.note_unused(Unused {
                        source: lotl.label(),
                        territory: territory.clone(),
                        why: format!("the LOTL points to no XML list for {territory}"),
                    }),
                    Some(url) => {
                        let anchors = Anchors {
                            lotl_signers: &self.signers,
                            lotl: Some(&lotl),
                        };
                        match self.obtain(&url, &territory, anchors) {
                            Ok(list) => lists.push(list),
                            Err(unused) => lists.note_unused(unused),
                        }
                    }
                }
            }
        }
        state.lists = Arc::new(lists);
        state.lists.clone()
    }

    fn cache_path(&self, url: &str) -> Option<PathBuf> {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, url.as_bytes());
        let name: String = digest.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.options
            .cache_dir
            .as_ref()
            .map(|d| d.join(format!("{name}.xml")))
    }

    /// The verified list at `url`: from the cache while it is current (always when offline),
    /// else downloaded, verified and cached; a cached copy when the download fails.
    fn obtain(
        &self,
        url: &str,
        territory: &str,
        anchors: Anchors<'_>,
    ) -> Result<VerifiedTrustedList, Unused> {
        let unused = |why: String| Unused {
            source: url.to_owned(),
            territory: territory.to_owned(),
            why,
        };
        let cache = self.cache_path(url);
        let cached = cache.as_deref().and_then(Cached::read);
        let from_cache = |note: &str| {
            cached
                .as_ref()
                .and_then(|c| c.verify(url, note, anchors, self.options.at))
        };
        if self.options.offline {
            return from_cache(", offline").ok_or_else(|| {
                unused(format!(
                    "offline (--offline) and no verified copy in the cache {}",
                    self.options
                        .cache_dir
                        .as_deref()
                        .map_or("(none)".into(), |d| d.display().to_string())
                ))
            });
        }
        if let Some(list) = from_cache("")
            && *list.freshness() == Freshness::Fresh
        {
            return Ok(list);
        }
        match self.download(url, anchors) {
            Ok((list, xml)) => {
                if let Some(path) = &cache {
                    // A failed write costs a download next time, nothing more.
                    let _ = std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
                        .and_then(|()| crate::atomic_file::replace(path, xml.as_bytes()));
                }
                Ok(list)
            }
            // A cached copy (stale, or it would have been used) still says what the list said,
            // and its freshness says how much that is worth.
            Err(why) => from_cache(&format!(", used because the download failed: {why}"))
                .ok_or_else(|| unused(why)),
        }
    }

    /// Download and verify `url`; the list and its text, or why not.
    fn download(
        &self,
        url: &str,
        anchors: Anchors<'_>,
    ) -> Result<(VerifiedTrustedList, String), String> {
        let tls = self.tls.as_ref().map_err(|e| {
            format!("cannot fetch {url}: no CA certificates to verify HTTPS servers with ({e})")
        })?;
        let limits = http::Limits {
            max_body: self.options.limits.max_body.min(MAX_TRUSTED_LIST_BYTES),
            ..self.options.limits
        };
        // Errors name the URL; the caller names it already.
        let unprefixed = |e: String| {
            e.strip_prefix(&format!("{url}: "))
                .map(str::to_owned)
                .unwrap_or(e)
        };
        let response = http::get_with(url, &limits, tls).map_err(|e| unprefixed(e.to_string()))?;
        let xml = text(url, response.body).map_err(|e| unprefixed(e.to_string()))?;
        let name = format!("{url}, downloaded");
        let checked = check(&name, &xml, anchors, self.options.at).map_err(|e| e.to_string())?;
        match checked.into_verified() {
            Ok(list) => Ok((list, xml)),
            Err(c) => Err(match &c.signature {
                Err(e) => format!("the downloaded list's signature does not verify: {e}"),
                Ok((_, SignerCheck::Refused(why) | SignerCheck::Unchecked(why))) => {
                    format!("the downloaded list's signer may not sign it: {why}")
                }
                Ok((_, SignerCheck::Authorised(_))) => "verified".into(),
            }),
        }
    }
}
