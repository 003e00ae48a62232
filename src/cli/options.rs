//! How a command reports and against which rules. Each command takes only the options it
//! honours, with a format list of its own: `--format csv` is offered by `audit` alone, and
//! `serve` offers no `--format`, `--output` or `--strict` at all.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use time::OffsetDateTime;

use crate::profile::Interface;
use crate::render::{ColorChoice, Format};
use crate::time_arg::parse_check_time;

/// What one run was asked for, whatever the command (a default where it has no such option).
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub format: Format,
    pub output: Option<PathBuf>,
    pub color: ColorChoice,
    pub strict: bool,
    pub interface: Interface,
    pub at: Option<OffsetDateTime>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            format: Format::Text,
            output: None,
            color: ColorChoice::Auto,
            strict: false,
            interface: Interface::V3,
            at: None,
        }
    }
}

impl RunOptions {
    pub fn report<F: FormatChoice>(self, r: &ReportArgs<F>) -> Self {
        RunOptions {
            format: r.format.into(),
            output: r.output.clone(),
            color: r.color,
            strict: r.strict,
            ..self
        }
    }

    pub fn document(self, d: &DocumentArgs) -> Self {
        RunOptions {
            format: d.format.into(),
            output: d.output.clone(),
            ..self
        }
    }

    pub fn output(self, o: &OutputArg) -> Self {
        RunOptions {
            output: o.output.clone(),
            ..self
        }
    }

    pub fn strict(self, s: &StrictArg) -> Self {
        RunOptions {
            strict: s.strict,
            ..self
        }
    }

    pub fn profile(self, p: &ProfileArgs) -> Self {
        RunOptions {
            interface: p.interface,
            at: p.at,
            ..self
        }
    }

    pub fn interface(self, i: &InterfaceArg) -> Self {
        RunOptions {
            interface: i.interface,
            ..self
        }
    }
}

/// A command's own list of formats.
pub trait FormatChoice:
    ValueEnum + Clone + Copy + Send + Sync + std::fmt::Debug + Into<Format> + 'static
{
}

impl<F> FormatChoice for F where
    F: ValueEnum + Clone + Copy + Send + Sync + std::fmt::Debug + Into<Format> + 'static
{
}

/// The formats of a findings report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    /// A self-contained HTML page.
    Html,
    /// JUnit XML: one test case per finding (for CI dashboards).
    Junit,
}

impl From<ReportFormat> for Format {
    fn from(f: ReportFormat) -> Format {
        match f {
            ReportFormat::Text => Format::Text,
            ReportFormat::Json => Format::Json,
            ReportFormat::Html => Format::Html,
            ReportFormat::Junit => Format::Junit,
        }
    }
}

/// The formats of `audit`: a report's, and the tabular ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
    /// Comma-separated values, one row per certificate.
    Csv,
    /// OpenMetrics text for Prometheus' node_exporter textfile collector.
    Openmetrics,
    /// A self-contained HTML page.
    Html,
    /// JUnit XML: one test case per finding (for CI dashboards).
    Junit,
}

impl From<AuditFormat> for Format {
    fn from(f: AuditFormat) -> Format {
        match f {
            AuditFormat::Text => Format::Text,
            AuditFormat::Json => Format::Json,
            AuditFormat::Csv => Format::Csv,
            AuditFormat::Openmetrics => Format::Openmetrics,
            AuditFormat::Html => Format::Html,
            AuditFormat::Junit => Format::Junit,
        }
    }
}

/// The formats of the message commands' reports (no HTML page for them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Text,
    Json,
    /// JUnit XML: one test case per finding (for CI dashboards).
    Junit,
}

impl From<MessageFormat> for Format {
    fn from(f: MessageFormat) -> Format {
        match f {
            MessageFormat::Text => Format::Text,
            MessageFormat::Json => Format::Json,
            MessageFormat::Junit => Format::Junit,
        }
    }
}

/// The formats of a command that writes a document rather than a findings report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DocumentFormat {
    Text,
    Json,
}

impl From<DocumentFormat> for Format {
    fn from(f: DocumentFormat) -> Format {
        match f {
            DocumentFormat::Text => Format::Text,
            DocumentFormat::Json => Format::Json,
        }
    }
}

/// How a findings report is written.
#[derive(Debug, Args)]
pub struct ReportArgs<F: FormatChoice> {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: F,
    /// Write the report to FILE instead of standard output (written whole or not at all).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour text output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Treat warnings as failures for the exit code.
    #[arg(long)]
    pub strict: bool,
}

/// How a document (not a findings report) is written.
#[derive(Debug, Args)]
pub struct DocumentArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DocumentFormat,
    /// Write to FILE instead of standard output (written whole or not at all).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OutputArg {
    /// Write to FILE instead of standard output (written whole or not at all).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StrictArg {
    /// Treat warnings as failures: a warning stops the signing.
    #[arg(long)]
    pub strict: bool,
}

/// The register's rules, as of when.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Account Register interface version whose rules apply.
    #[arg(long, value_enum, default_value = "v3")]
    pub interface: Interface,
    /// Check as of this time instead of now: YYYY-MM-DD (00:00 UTC) or RFC 3339.
    #[arg(long, value_name = "DATE", value_parser = parse_check_time)]
    pub at: Option<OffsetDateTime>,
}

#[derive(Debug, Args)]
pub struct InterfaceArg {
    /// Account Register interface version whose rules apply.
    #[arg(long, value_enum, default_value = "v3")]
    pub interface: Interface,
}
