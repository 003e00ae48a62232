//! `tilicheck audit PATH…`: every certificate under the paths, in one table.

use time::OffsetDateTime;

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;

use crate::audit::{self, AuditOptions, Fetched};
use crate::checks::identity::ExpectedIds;
use crate::cli::{AuditArgs, NetArgs, RunOptions};
use crate::commands::{CommandError, write_output};
use crate::render::audit::AuditContext;
use crate::render::{self, Format, audit_html};
use crate::tls::endpoint;

pub fn run(args: &AuditArgs, g: &RunOptions, at: OffsetDateTime) -> Result<u8, CommandError> {
    if args.fail_days > args.warn_days {
        return Err(CommandError::Usage(format!(
            "--fail-days {} is larger than --warn-days {}",
            args.fail_days, args.warn_days
        )));
    }
    let password = args.password.source();
    let profile = g.interface.profile();
    let trust = crate::commands::trust::context(&args.trust, at, profile)?;
    let options = AuditOptions {
        at,
        warn_days: args.warn_days,
        fail_days: args.fail_days,
        purpose: args.purpose,
        expected: ExpectedIds {
            supplier: args.business_id,
            service_centre: args.service_centre,
        },
        password: &password,
        profile,
        trust: Some(&trust),
        threads: args.threads,
    };
    let bar = super::progress::certificates_bar();
    let report_progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let fetched = match &args.endpoints {
        Some(file) => fetch_endpoints(file, &args.trust.net)?,
        None => Vec::new(),
    };
    let result = audit::run(&args.paths, fetched, &options, &report_progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let ctx = AuditContext {
        at,
        warn_days: args.warn_days,
        fail_days: args.fail_days,
    };
    let text = match g.format {
        Format::Text => {
            let to_terminal = g.output.is_none() && render::stdout_is_terminal();
            render::audit::text(&result, &ctx, g.color.enabled(to_terminal))
        }
        Format::Json => render::audit::json(&result, &ctx, g.strict),
        Format::Csv => render::audit::csv(&result),
        Format::Openmetrics => render::audit_metrics::openmetrics(&result, &ctx),
        Format::Html => audit_html::html(&result, &ctx),
        Format::Junit => {
            return Err(CommandError::Usage(
                "--format junit is not available for audit; use text, json, csv, html or openmetrics"
                    .into(),
            ));
        }
    };
    write_output(g.output.as_deref(), &text)?;
    Ok(result.exit_code(g.strict))
}

/// The certificate chains of the endpoints listed in FILE (`host:port` per line; blank lines
/// and `#` comments ignored), fetched a few at a time. A failure is that endpoint's row.
fn fetch_endpoints(file: &Path, net: &NetArgs) -> Result<Vec<Fetched>, CommandError> {
    const AT_ONCE: usize = 8;
    const MAX_ENDPOINTS_BYTES: u64 = 1024 * 1024;
    let bytes = crate::input_file::read_regular(file, MAX_ENDPOINTS_BYTES)
        .map_err(|e| CommandError::Input(format!("{}: {e}", file.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CommandError::Input(format!("{}: is not UTF-8 text", file.display())))?;
    let endpoints: Vec<&str> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    for e in &endpoints {
        endpoint::parse_endpoint(e)
            .map_err(|err| CommandError::Usage(format!("{}: {err}", file.display())))?;
    }
    let mut out = Vec::with_capacity(endpoints.len());
    for batch in endpoints.chunks(AT_ONCE) {
        let fetched: Vec<Fetched> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|e| (e, scope.spawn(move || fetch_one(e, net))))
                .collect();
            handles
                .into_iter()
                .map(|(e, h)| Fetched {
                    label: PathBuf::from(*e),
                    chain: h.join().unwrap_or_else(|_| Err("the fetch failed".into())),
                })
                .collect()
        });
        out.extend(fetched);
    }
    Ok(out)
}

fn fetch_one(endpoint: &str, net: &NetArgs) -> Result<Vec<CertificateDer<'static>>, String> {
    let (host, port) = endpoint::parse_endpoint(endpoint).map_err(|e| e.to_string())?;
    let target = super::resolve(&host, port, None, net).map_err(|e| e.to_string())?;
    let chain = endpoint::fetch_chain(&target).map_err(|e| e.to_string())?;
    Ok(chain.into_iter().map(CertificateDer::from).collect())
}
