//! `tilicheck trusted-list FILE…`: each list's signature, signer and freshness, and what it
//! lists. The LOTL is verified first (against the pinned signers), then each national list
//! against the LOTL's pointer for its territory.

use time::OffsetDateTime;

use crate::checks::trusted_list as checks;
use crate::cli::TrustedListArgs;
use crate::commands::CommandError;
use crate::findings::Report;
use crate::pki::trusted_list::{self, Anchors, LotlSigners, VerifiedTrustedList};
use crate::profile::Interface;

pub fn run(
    args: &TrustedListArgs,
    interface: Interface,
    at: OffsetDateTime,
) -> Result<Report, CommandError> {
    let signers = match &args.lotl_signers {
        Some(path) => LotlSigners::from_file(path).map_err(CommandError::Input)?,
        None => LotlSigners::bundled(),
    };
    let alone = Anchors {
        lotl_signers: &signers,
        lotl: None,
    };
    let mut report = Report::new("trusted-list", interface, at);

    // The LOTL named with --lotl must be one, and is reported first.
    let mut lotl: Option<VerifiedTrustedList> = None;
    if let Some(path) = &args.lotl {
        let shown = path.display().to_string();
        let checked = trusted_list::read_file(path)
            .and_then(|text| trusted_list::check(&shown, &text, alone, at))
            .map_err(|e| CommandError::Input(e.to_string()))?;
        if !checked.facts.is_lotl() {
            return Err(CommandError::Input(format!(
                "{shown}: --lotl names a list of type {}, not the EU list of trusted lists",
                checked.facts.tsl_type
            )));
        }
        report.subjects.push(checks::subject(&checked));
        lotl = checked.into_verified().ok();
    }

    // A verified LOTL among the files stands in for --lotl.
    let texts: Vec<(String, Result<String, trusted_list::TlError>)> = args
        .files
        .iter()
        .map(|p| (p.display().to_string(), trusted_list::read_file(p)))
        .collect();
    if lotl.is_none() {
        lotl = texts
            .iter()
            .filter_map(|(name, text)| {
                let t = text.as_ref().ok()?;
                trusted_list::check(name, t, alone, at).ok()
            })
            .filter(|c| c.facts.is_lotl())
            .find_map(|c| c.into_verified().ok());
    }
    let anchors = Anchors {
        lotl_signers: &signers,
        lotl: lotl.as_ref(),
    };
    for (name, text) in texts {
        let checked = text.and_then(|t| trusted_list::check(&name, &t, anchors, at));
        report.subjects.push(match &checked {
            Ok(c) => checks::subject(c),
            Err(e) => checks::unreadable(&name, e),
        });
    }
    Ok(report)
}
