//! Chain and revocation for any certificate: the trust store, revocation sources and trusted
//! lists a run uses, the path built and validated, the revocation sources asked, and the facts
//! turned into CERT-ISSUER and CERT-REVOCATION findings. The TLS checks call [`judge_path`] on
//! the certificate an endpoint presented.

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use crate::checks::chain::{self as chain_checks, Expect};
use crate::error::CommandError;
use crate::findings::Finding;
use crate::net::http;
use crate::pki::chain::{self, ChainInput, Usage};
use crate::pki::facts::CertificateFacts;
use crate::pki::revocation;
use crate::pki::trust::TrustStore;
use crate::pki::trusted_list::{
    AutoLists, AutoOptions, ListSource, LotlSigners, Qualification, TrustedLists,
};
use crate::profile::RegisterProfile;

/// What the options decided, ready to use for any number of certificates.
#[derive(Clone, Debug)]
pub struct TrustContext {
    pub store: TrustStore,
    pub revocation: revocation::Options,
    /// Limits for caIssuers downloads; None when offline.
    pub online: Option<http::Limits>,
    /// Where the EU trusted lists come from (None when none were asked for).
    pub trusted_lists: Option<ListSource>,
}

impl TrustContext {
    /// Trust `anchors` only, check revocation offline-style (skip): what `tilicheck demo` uses.
    pub fn offline_with(store: TrustStore, at: OffsetDateTime) -> Self {
        TrustContext {
            store,
            revocation: revocation::Options {
                mode: revocation::Mode::Auto,
                offline: true,
                limits: http::Limits::default(),
                cache_dir: None,
                at,
                grace_secs: 0,
                local: revocation::LocalCrls::default(),
            },
            online: None,
            trusted_lists: None,
        }
    }
}

/// What a command asked for with `--trusted-list` and its companions.
pub struct ListRequest<'a> {
    /// Files, directories, or the one word `auto`.
    pub paths: &'a [PathBuf],
    pub lotl_signers: Option<&'a Path>,
    pub lotl_url: &'a str,
    pub cache_dir: Option<PathBuf>,
    pub offline: bool,
    pub limits: http::Limits,
}

/// The trusted lists asked for, verified: files and directories read now (the LOTL against
/// its pinned signers, the national lists against the LOTL), or `auto` (fetched as
/// certificates need them). None when none were asked for.
pub fn trusted_list_source(
    req: &ListRequest<'_>,
    at: OffsetDateTime,
) -> Result<Option<ListSource>, CommandError> {
    if req.paths.is_empty() {
        return Ok(None);
    }
    let signers = match req.lotl_signers {
        Some(path) => LotlSigners::from_file(path).map_err(CommandError::Input)?,
        None => LotlSigners::bundled(),
    };
    let auto = req.paths.iter().any(|p| p.as_os_str() == "auto");
    if auto {
        if req.paths.len() > 1 {
            return Err(CommandError::Usage(
                "--trusted-list auto fetches the lists itself: give it alone, or give files and directories without it".into(),
            ));
        }
        let options = AutoOptions {
            lotl_url: req.lotl_url.to_owned(),
            cache_dir: req
                .cache_dir
                .clone()
                .or_else(crate::pki::trusted_list::auto::default_cache_dir),
            offline: req.offline,
            limits: req.limits,
            at,
        };
        return Ok(Some(ListSource::Auto(std::sync::Arc::new(AutoLists::new(
            options, signers,
        )))));
    }
    TrustedLists::load(req.paths, &signers, at)
        .map(|l| Some(ListSource::Given(std::sync::Arc::new(l))))
        .map_err(|e| CommandError::Input(e.to_string()))
}

/// What the path and revocation checks found for one certificate.
pub struct JudgedPath {
    /// The path, link by link, for the summary.
    pub summary: Vec<(String, String)>,
    /// CERT-ISSUER and CERT-REVOCATION.
    pub findings: Vec<Finding>,
    /// The bundled DVV root the validated path ends at, if it does.
    pub dvv_root: Option<String>,
    /// What the verified trusted lists say of the certificate, when lists were given.
    pub qualification: Option<Qualification>,
}

/// Build and validate the certificate's path, ask the revocation sources, and judge both.
pub fn judge_path(
    leaf: &CertificateDer<'static>,
    supplied: &[CertificateDer<'static>],
    facts: &CertificateFacts,
    expect: Expect,
    usage: Usage,
    ctx: &TrustContext,
    profile: &RegisterProfile,
) -> JudgedPath {
    // The trusted lists' CA/QC services for website authentication are anchors too.
    let lists = ctx.trusted_lists.as_ref().map(|s| s.for_certificate(leaf));
    let with_lists;
    let trust = match &lists {
        Some(l) if !l.lists().is_empty() => {
            let mut store = ctx.store.clone();
            store.add_trusted_lists(l);
            with_lists = store;
            &with_lists
        }
        _ => &ctx.store,
    };
    let path = chain::build(&ChainInput {
        leaf,
        supplied,
        trust,
        at: ctx.revocation.at,
        usage,
        online: ctx.online.as_ref(),
        profile,
    });
    // A CRL may be signed by a certificate that is not on the path (a separate CRL signer).
    let pool: Vec<CertificateDer<'static>> = supplied
        .iter()
        .cloned()
        .chain(ctx.store.intermediates.iter().map(|c| c.der.clone()))
        .collect();
    let answers = revocation::check_path(&path, &pool, &ctx.revocation);
    JudgedPath {
        summary: chain_checks::path_summary(&path),
        findings: vec![
            chain_checks::check_issuer(&path, facts, expect, profile),
            chain_checks::check_revocation(&answers, ctx.revocation.mode),
        ],
        dvv_root: chain_checks::proven_dvv_root(&path).map(str::to_owned),
        qualification: lists.map(|l| l.qualify(leaf, facts, ctx.revocation.at)),
    }
}
