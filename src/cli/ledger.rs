//! Command-line arguments of `tilicheck ledger …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::options::{DocumentArgs, InterfaceArg, OutputArg};
use crate::identity::BusinessId;

/// Which ledger: a file, or the default one of a supplier.
#[derive(Debug, Args, Clone)]
pub struct LedgerArgs {
    /// The ledger file (SQLite) [default: in the user's data directory, one per supplier and
    /// interface: $XDG_DATA_HOME/tilicheck/ledgers/ID-INTERFACE.sqlite, or under $TILICHECK_DATA_DIR].
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Counts per record type and state, acknowledged messages, messages in flight; with
    /// KEYs, those records: hash, state, and the messages that carried them.
    Show(LedgerShowArgs),
    /// Every record as JSON Lines (one object a line), to standard output or --output.
    Export(LedgerExportArgs),
    /// Take over records the register acknowledged before the ledger: a previous full
    /// export and the X-Correlation-IDs that carried it.
    Import(LedgerImportArgs),
}

#[derive(Debug, Args)]
pub struct LedgerShowArgs {
    #[command(flatten)]
    pub document: DocumentArgs,
    #[command(flatten)]
    pub interface: InterfaceArg,
    /// Record keys (UUIDs) to show.
    #[arg(value_name = "KEY")]
    pub keys: Vec<uuid::Uuid>,
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// The supplier whose default ledger to use.
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
}

#[derive(Debug, Args)]
pub struct LedgerExportArgs {
    #[command(flatten)]
    pub output: OutputArg,
    #[command(flatten)]
    pub interface: InterfaceArg,
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// The supplier whose default ledger to use.
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
}

#[derive(Debug, Args)]
pub struct LedgerImportArgs {
    #[command(flatten)]
    pub interface: InterfaceArg,
    /// The full export the register holds (an update report of any size).
    pub export: PathBuf,
    /// The X-Correlation-ID of the message that carried every record of the export.
    #[arg(long, value_name = "UUID", required_unless_present = "correlation_ids")]
    pub correlation_id: Option<String>,
    /// Lines `KEY,X-CORRELATION-ID[,ACKNOWLEDGED-AT]`: the message that carried each record
    /// (a key names every record with that UUID: a legal person and its customership). Records
    /// the file does not name take --correlation-id.
    #[arg(long, value_name = "FILE")]
    pub correlation_ids: Option<PathBuf>,
    /// When the register acknowledged them (RFC 3339) [default: now].
    #[arg(long, value_name = "TIME")]
    pub acknowledged_at: Option<String>,
    /// The update endpoint's category they were sent to (v3): 1 or 2.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub category: Option<u8>,
    #[command(flatten)]
    pub ledger: LedgerArgs,
}
