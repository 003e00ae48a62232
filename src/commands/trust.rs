//! The trust options (`--trust`, `--revocation`, `--crl`, `--trusted-list`, …) turned into the
//! [`TrustContext`] the checks use.

use time::OffsetDateTime;

use crate::checks::trust::{ListRequest, TrustContext, trusted_list_source};
use crate::cli::TrustArgs;
use crate::error::CommandError;
use crate::net::http;
use crate::pki::revocation::{self, cache};
use crate::pki::trust::TrustStore;
use crate::profile::RegisterProfile;

/// What the options decided, ready to use for any number of certificates.
pub fn context(
    args: &TrustArgs,
    at: OffsetDateTime,
    profile: &RegisterProfile,
) -> Result<TrustContext, CommandError> {
    let store = TrustStore::with_files(&args.trust, &args.trust_only)
        .map_err(|e| CommandError::Input(e.to_string()))?;
    let limits = http::Limits {
        connect_timeout: args.net.connect_timeout,
        total_timeout: args.net_timeout,
        max_body: args.max_download,
        ..http::Limits::default()
    };
    if !args.crl.is_empty() && args.revocation == revocation::Mode::Ocsp {
        return Err(CommandError::Usage(
            "--crl gives CRLs, and --revocation ocsp asks for OCSP only: use --revocation auto, crl or both".into(),
        ));
    }
    let local = revocation::LocalCrls::load(&args.crl, args.max_download)
        .map_err(|e| CommandError::Input(e.to_string()))?;
    let trusted_lists = trusted_list_source(
        &ListRequest {
            paths: &args.trusted_list,
            lotl_signers: args.lotl_signers.as_deref(),
            lotl_url: &args.lotl_url,
            cache_dir: args.trusted_list_cache.clone(),
            offline: args.offline,
            limits,
        },
        at,
    )?;
    Ok(TrustContext {
        store,
        revocation: revocation::Options {
            mode: args.revocation,
            offline: args.offline,
            limits,
            cache_dir: args.crl_cache.clone().or_else(cache::default_dir),
            at,
            grace_secs: profile.revocation_grace_secs.value,
            local,
        },
        online: (!args.offline).then_some(limits),
        trusted_lists,
    })
}
