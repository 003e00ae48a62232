//! The trusted lists a run relies on: the LOTL verified against its pinned signers, then each
//! national list against the LOTL. A list that does not verify is kept aside with the reason,
//! so a verdict can say why it did not count; it is never consulted.

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use super::lotl::LotlSigners;
use super::model::{Provider, Service};
use super::qualify::{self, Qualification, Unused};
use super::verify::{Anchors, CheckedList, SignerCheck, VerifiedTrustedList, check};
use super::{TlError, read_file};
use crate::pki::facts::CertificateFacts;

/// Verified lists, and the lists that could not be relied on.
#[derive(Clone, Debug, Default)]
pub struct TrustedLists {
    lotl: Option<VerifiedTrustedList>,
    lists: Vec<VerifiedTrustedList>,
    unused: Vec<Unused>,
}

/// Why a checked list is not usable, in a phrase; `lotl_problem` is why a LOTL that was given
/// could not vouch for it.
fn why_unusable(c: &CheckedList, lotl_problem: Option<&str>) -> String {
    match &c.signature {
        Err(e) => format!("its signature does not verify: {e}"),
        Ok((_, SignerCheck::Unchecked(_))) if lotl_problem.is_some() => format!(
            "its signer could not be checked: the LOTL given cannot be relied on: {}",
            lotl_problem.unwrap_or_default()
        ),
        Ok((_, SignerCheck::Unchecked(why))) => {
            format!("its signer could not be checked: {why} (give the LOTL too)")
        }
        Ok((_, SignerCheck::Refused(why))) => format!("its signer may not sign it: {why}"),
        Ok((_, SignerCheck::Authorised(_))) => "it is verified".into(),
    }
}

impl TrustedLists {
    /// Check the lists in `texts` ((name, XML) pairs): a LOTL among them first, then the rest.
    /// A text that is not a trusted list at all is an error; a list that does not verify is
    /// set aside.
    pub fn from_texts(
        texts: &[(String, String)],
        signers: &LotlSigners,
        at: OffsetDateTime,
    ) -> Result<Self, TlError> {
        let alone = Anchors {
            lotl_signers: signers,
            lotl: None,
        };
        let mut out = TrustedLists::default();
        let mut national = Vec::new();
        let mut lotl_problem = None;
        for (name, text) in texts {
            let checked = check(name, text, alone, at)?;
            if !checked.facts.is_lotl() {
                national.push((name, text));
                continue;
            }
            match checked.into_verified() {
                Ok(v) if out.lotl.is_none() => out.lotl = Some(v),
                Ok(_) => {}
                Err(c) => {
                    let why = why_unusable(&c, None);
                    lotl_problem.get_or_insert_with(|| format!("{}: {why}", c.source));
                    out.unused.push(Unused {
                        source: c.source.clone(),
                        territory: c.facts.territory.clone(),
                        why,
                    });
                }
            }
        }
        let anchors = Anchors {
            lotl_signers: signers,
            lotl: out.lotl.as_ref(),
        };
        for (name, text) in national {
            match check(name, text, anchors, at)?.into_verified() {
                Ok(v) => out.lists.push(v),
                Err(c) => out.unused.push(Unused {
                    source: c.source.clone(),
                    territory: c.facts.territory.clone(),
                    why: why_unusable(&c, lotl_problem.as_deref()),
                }),
            }
        }
        Ok(out)
    }

    /// Read the lists in `paths`: files, and the `*.xml` files of directories.
    pub fn load(
        paths: &[PathBuf],
        signers: &LotlSigners,
        at: OffsetDateTime,
    ) -> Result<Self, TlError> {
        let mut texts = Vec::new();
        for path in paths {
            for file in expand(path)? {
                let text = read_file(&file)?;
                texts.push((file.display().to_string(), text));
            }
        }
        Self::from_texts(&texts, signers, at)
    }

    /// Add lists verified elsewhere (the cache or a download).
    pub fn push(&mut self, list: VerifiedTrustedList) {
        self.lists.push(list);
    }

    pub fn set_lotl(&mut self, lotl: VerifiedTrustedList) {
        self.lotl = Some(lotl);
    }

    pub fn note_unused(&mut self, unused: Unused) {
        self.unused.push(unused);
    }

    pub fn lotl(&self) -> Option<&VerifiedTrustedList> {
        self.lotl.as_ref()
    }

    pub fn lists(&self) -> &[VerifiedTrustedList] {
        &self.lists
    }

    pub fn unused(&self) -> &[Unused] {
        &self.unused
    }

    /// The verdict on the certificate `der` at `at`.
    pub fn qualify(
        &self,
        der: &[u8],
        facts: &CertificateFacts,
        at: OffsetDateTime,
    ) -> Qualification {
        qualify::qualify(der, facts, &self.lists, &self.unused, at)
    }

    /// CA certificates of CA/QC services that were ever granted for website authentication:
    /// anchors for path building (whether a certificate under one is qualified is
    /// [`TrustedLists::qualify`]'s answer, at its notBefore).
    pub fn web_anchors(
        &self,
    ) -> impl Iterator<
        Item = (
            &VerifiedTrustedList,
            &Provider,
            &Service,
            &CertificateDer<'static>,
        ),
    > {
        self.lists.iter().flat_map(|list| {
            list.facts()
                .services()
                .filter(|(_, s)| {
                    s.states().any(|st| {
                        st.is_ca_qc() && st.status == super::model::GRANTED && st.for_web()
                    })
                })
                .flat_map(move |(p, s)| {
                    s.identities().filter_map(move |id| match id {
                        super::model::DigitalId::Certificate(der) => Some((list, p, s, der)),
                        _ => None,
                    })
                })
        })
    }
}

/// A file, or the `*.xml` files of a directory in name order.
fn expand(path: &Path) -> Result<Vec<PathBuf>, TlError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let shown = path.display().to_string();
    let entries = std::fs::read_dir(path).map_err(|source| TlError::Read {
        path: shown.clone(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(TlError::NoLists { path: shown });
    }
    Ok(files)
}
