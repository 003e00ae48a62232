//! Command runners: each gathers its inputs, turns them into facts, runs the checks and
//! hands a report to a renderer. `main` maps the result to an exit code.

pub mod audit;
pub mod cert;
pub mod csr;
pub mod demo;
pub mod diff;
pub mod dispute;
pub mod ledger;
pub mod manual;
pub mod message;
mod message_verify;
pub mod pki;
pub mod progress;
pub mod readiness;
pub mod register;
pub mod rules;
pub mod send;
mod send_dir;
pub mod send_ledger;
pub mod serve;
pub mod tls;
pub mod trust;
pub mod trusted_list;
pub mod vero;

use std::io::Write;
use std::path::Path;

use time::OffsetDateTime;

use crate::cli::{Cli, Command, RunOptions};
pub use crate::error::CommandError;
use crate::findings::Report;
use crate::render::{self, Format};

/// Run the parsed command line; returns the exit code. With `--format json`, a command that
/// cannot run still prints a JSON report (outcome "error") before the error reaches `main`.
pub fn run(cli: Cli) -> Result<u8, CommandError> {
    let result = dispatch(&cli);
    if let Err(e) = &result {
        let g = &cli.command.options();
        if g.format == Format::Json && reports_json(&cli.command) {
            let doc = render::json::error_report(
                command_name(&cli.command),
                g.interface,
                check_time(g),
                e,
            );
            // The error itself is what the caller must see; a second one writing the report
            // (a full disk) would only hide it.
            let _ = write_output(g.output.as_deref(), &doc);
        }
    }
    result
}

/// Whether the command's output is a report that `--format json` applies to (`serve` and
/// `pki demo` write files and logs, not reports).
fn reports_json(command: &Command) -> bool {
    !matches!(
        command,
        Command::Serve(_)
            | Command::Pki(_)
            | Command::Completions(_)
            | Command::Man(_)
            | Command::Ledger(crate::cli::LedgerCommand::Export(_))
    )
}

/// The command's name as its report names it.
fn command_name(command: &Command) -> &'static str {
    use crate::cli::MessageCommand as M;
    use crate::cli::vero::VeroCommand as V;
    match command {
        Command::Cert(_) => "cert",
        Command::RegisterCert(_) => "register-cert",
        Command::Audit(_) => "audit",
        Command::Csr(_) => "csr",
        Command::Tls(_) => "tls",
        Command::TrustedList(_) => "trusted-list",
        Command::Rules(_) => "rules",
        Command::Pki(_) => "pki",
        Command::Demo(_) => "demo",
        Command::Send(_) => "send",
        Command::Readiness(_) => "readiness",
        Command::Message(M::Validate(_)) => "message validate",
        Command::Message(M::Sign(_)) => "message sign",
        Command::Message(M::Verify(_)) => "message verify",
        Command::Message(M::Split(_)) => "message split",
        Command::Message(M::Generate(_)) => "message generate",
        Command::Message(M::Diff(_)) => "message diff",
        Command::Message(M::Dispute(_)) => "message dispute",
        Command::Ledger(crate::cli::LedgerCommand::Show(_)) => "ledger show",
        Command::Ledger(crate::cli::LedgerCommand::Export(_)) => "ledger export",
        Command::Ledger(crate::cli::LedgerCommand::Import(_)) => "ledger import",
        Command::Vero(V::Cert(_)) => "vero cert",
        Command::Vero(V::New(_)) => "vero new",
        Command::Vero(V::Renew(_)) => "vero renew",
        Command::Vero(V::ServePki(_)) => "vero serve-pki",
        Command::Serve(_) => "serve",
        Command::Completions(_) => "completions",
        Command::Man(_) => "man",
    }
}

fn dispatch(cli: &Cli) -> Result<u8, CommandError> {
    let g = &cli.command.options();
    match &cli.command {
        Command::Cert(args) => {
            let report = cert::run(args, g.interface, check_time(g))?;
            emit_report(&report, g)
        }
        Command::RegisterCert(args) => {
            let report = register::run(args, g.interface, check_time(g))?;
            emit_report(&report, g)
        }
        Command::Audit(args) => audit::run(args, g, check_time(g)),
        Command::Csr(args) => match csr::run(args, g.interface, check_time(g))? {
            csr::CsrOutcome::Checked(report) => emit_report(&report, g),
            csr::CsrOutcome::Written { key, csr } => {
                eprintln!(
                    "wrote the private key to {} (owner-only) and the request to {}; send the request to the CA, keep the key",
                    key.display(),
                    csr.display()
                );
                Ok(0)
            }
        },
        Command::Tls(args) => {
            let report = tls::run(args, g.interface, check_time(g))?;
            emit_report(&report, g)
        }
        Command::TrustedList(args) => {
            let report = trusted_list::run(args, g.interface, check_time(g))?;
            emit_report(&report, g)
        }
        Command::Rules(_) => {
            let text = match g.format {
                Format::Json => rules::json(g.interface),
                _ => rules::text(g.interface),
            };
            write_output(g.output.as_deref(), &text)?;
            Ok(0)
        }
        Command::Pki(cmd) => pki::run(cmd),
        Command::Vero(cmd) => vero::run(cmd, g),
        Command::Ledger(cmd) => ledger::run(cmd, g),
        Command::Demo(args) => {
            let report = demo::run(args, g.interface, check_time(g))?;
            emit_report(&report, g)
        }
        Command::Message(cmd) => message::run(cmd, g),
        Command::Send(args) => send::run(args, g),
        Command::Readiness(args) => readiness::run(args, g),
        Command::Serve(args) => serve::run(args, g.interface, check_time(g)),
        Command::Completions(args) => manual::completions(args, g),
        Command::Man(args) => manual::man(args),
    }
}

/// The check time: `--at`, or now.
/// The endpoint resolved (or its proxy found) with the user's --connect-timeout and
/// --read-timeout.
pub fn resolve(
    host: &str,
    port: u16,
    sni: Option<String>,
    net: &crate::cli::NetArgs,
) -> Result<crate::tls::probe::Target, CommandError> {
    crate::tls::probe::Target::resolve(host, port, sni, net.connect_timeout, net.read_timeout)
        .map_err(|e| CommandError::Input(e.to_string()))
}

pub fn check_time(g: &RunOptions) -> OffsetDateTime {
    g.at.unwrap_or_else(OffsetDateTime::now_utc)
}

/// Render a report in the chosen format, write it, and return its exit code.
pub fn emit_report(report: &Report, g: &RunOptions) -> Result<u8, CommandError> {
    let text = match g.format {
        Format::Text => {
            let to_terminal = g.output.is_none() && render::stdout_is_terminal();
            render::text::render(report, g.color.enabled(to_terminal))
        }
        Format::Json => render::json::render(report, g.strict),
        Format::Html => render::report_html::render(report, g.strict),
        Format::Junit => render::junit::render(report),
        Format::Csv | Format::Openmetrics => {
            return Err(CommandError::Usage(format!(
                "--format {} is available for audit; use text, json, junit or html for {}",
                g.format.name(),
                report.command
            )));
        }
    };
    write_output(g.output.as_deref(), &text)?;
    Ok(report.outcome(g.strict).exit_code())
}

/// Write to FILE atomically (a temporary file in the same directory, then a rename), or to
/// standard output. A failed run never leaves a partial report behind.
pub fn write_output(path: Option<&Path>, text: &str) -> Result<(), CommandError> {
    let Some(path) = path else {
        let mut out = std::io::stdout().lock();
        return match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            // A closed pipe (`| head`) is the reader's choice, not our failure.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(CommandError::Input(format!(
                "cannot write to standard output: {e}"
            ))),
        };
    };
    crate::atomic_file::replace(path, text.as_bytes())
        .map_err(|e| CommandError::Input(format!("{}: cannot write report: {e}", path.display())))
}
