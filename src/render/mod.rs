//! Renderers turn a [`Report`](crate::findings::Report) into output. They decide nothing.

pub mod audit;
pub mod audit_html;
pub mod audit_metrics;
pub mod json;
pub mod junit;
pub mod neutral;
pub mod report_html;
pub mod text;

use std::io::IsTerminal;

/// Output formats of every command that produces a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// Comma-separated values (audit only).
    Csv,
    /// OpenMetrics text for Prometheus' node_exporter textfile collector (audit only).
    Openmetrics,
    /// A self-contained HTML page.
    Html,
    /// JUnit XML: one test case per finding (for CI dashboards).
    Junit,
}

impl Format {
    /// The name `--format` takes.
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map_or_else(|| format!("{self:?}"), |v| v.get_name().to_owned())
    }
}

/// Whether to colour text output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// `to_terminal`: whether the output goes to a terminal (not a file).
    pub fn enabled(self, to_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                to_terminal
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}

/// Whether standard output is a terminal.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Escape text for HTML and XML; see [`neutral::markup`].
pub use neutral::markup as escape;
