//! `tilicheck audit PATH…`: every certificate under the paths, in one table.

use std::io::IsTerminal;

use time::OffsetDateTime;

use crate::audit::{self, AuditOptions};
use crate::checks::identity::ExpectedIds;
use crate::cli::{AuditArgs, GlobalArgs};
use crate::commands::trust::TrustContext;
use crate::commands::{CommandError, write_output};
use crate::render::audit::AuditContext;
use crate::render::{self, Format, audit_html};

pub fn run(args: &AuditArgs, g: &GlobalArgs, at: OffsetDateTime) -> Result<u8, CommandError> {
    if args.fail_days > args.warn_days {
        return Err(CommandError::Usage(format!(
            "--fail-days {} is larger than --warn-days {}",
            args.fail_days, args.warn_days
        )));
    }
    let password = args.password.source();
    let profile = g.interface.profile();
    let trust = TrustContext::from_args(&args.trust, at, profile)?;
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
    let bar = progress_bar();
    let report_progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let result = audit::run(&args.paths, &options, &report_progress);
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
        Format::Html => audit_html::html(&result, &ctx),
    };
    write_output(g.output.as_deref(), &text)?;
    Ok(result.exit_code(g.strict))
}

/// A progress bar on a terminal; nothing otherwise, so pipes and CI logs stay clean.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files") {
        bar.set_style(style);
    }
    Some(bar)
}
