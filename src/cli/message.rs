//! Command-line arguments of `tilicheck message …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::common::{PasswordArgs, TrustArgs};
use super::ledger::LedgerArgs;
use super::options::{
    DocumentArgs, InterfaceArg, MessageFormat, OutputArg, ProfileArgs, ReportArgs, StrictArg,
};
use crate::identity::BusinessId;

#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Validate a report: official schema, sender, record keys, size, content.
    Validate(MessageValidateArgs),
    /// Sign a report into the Authorization and body tokens (optionally a request file).
    Sign(MessageSignArgs),
    /// Verify a request file or the two tokens against the signing certificate.
    Verify(MessageVerifyArgs),
    /// Split a large update (a first full load) into messages that each fit the size limit.
    Split(MessageSplitArgs),
    /// Write a synthetic report (invented people, valid check digits) for testing.
    Generate(MessageGenerateArgs),
    /// Today's full export against the ledger (or yesterday's export): the update of new and
    /// changed records to send, and the records that vanished.
    Diff(MessageDiffArgs),
    /// Build the §4.3 disputable or incorrect reports (or a dispute's cancellation) for
    /// records the ledger holds, with the X-Correlation-ID that reported each.
    Dispute(MessageDisputeArgs),
}

#[derive(Debug, Args)]
pub struct MessageDiffArgs {
    #[command(flatten)]
    pub report: ReportArgs<MessageFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Today's full export (an update report of any size; read as a stream).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Compare with this earlier full export instead of the ledger.
    #[arg(long, value_name = "OLD", conflicts_with = "ledger")]
    pub previous: Option<PathBuf>,
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// The supplier whose default ledger to compare with (without --ledger or --previous).
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
    /// Where to write the update of new and changed records (written whole or not at all).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct MessageDisputeArgs {
    #[command(flatten)]
    pub report: ReportArgs<MessageFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The records to report: UUIDs of legal persons, accounts or safety deposit boxes.
    #[arg(value_name = "KEY", required = true)]
    pub keys: Vec<uuid::Uuid>,
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// The supplier whose default ledger to use (without --ledger).
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
    /// Report the records as incorrect (final: §4.3 allows no later change) instead of disputable.
    #[arg(long, conflicts_with = "cancel")]
    pub incorrect: bool,
    /// Cancel the records' dispute (disputed: false).
    #[arg(long)]
    pub cancel: bool,
    /// For a record sent more than once, which update's X-Correlation-ID to name: the one
    /// that last carried it (its value now; the default, an assumption) or the first.
    #[arg(long, value_enum)]
    pub reported_in: Option<crate::profile::message::ReportedIn>,
    /// Directory for part-000001.json, … (one report per record; created if missing), which
    /// `send DIR --ledger` sends one at a time.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct MessageSplitArgs {
    #[command(flatten)]
    pub document: DocumentArgs,
    #[command(flatten)]
    pub interface: InterfaceArg,
    /// The update report to split (any size; read as a stream).
    pub file: PathBuf,
    /// Directory for part-000001.json, part-000002.json, … (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// How a report is classified, when not from its content.
#[derive(Debug, Args)]
pub struct MessageKindArgs {
    /// The kind of report (default: detected from its fields).
    #[arg(long, value_enum)]
    pub kind: Option<crate::message::kind::Kind>,
    /// Data supplier category for updates (v3): 1 credit institution, 2 other.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub category: Option<u8>,
}

#[derive(Debug, Args)]
pub struct MessageValidateArgs {
    #[command(flatten)]
    pub report: ReportArgs<MessageFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The report (JSON, as it goes into the body token).
    pub file: PathBuf,
    #[command(flatten)]
    pub kind: MessageKindArgs,
    /// The data supplier's business ID, to compare with senderBusinessId.
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
}

#[derive(Debug, Args)]
pub struct MessageSignArgs {
    #[command(flatten)]
    pub document: DocumentArgs,
    #[command(flatten)]
    pub strict: StrictArg,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The report (JSON).
    pub file: PathBuf,
    /// The signing private key (PEM/DER PKCS#8 or PKCS#1, encrypted PKCS#8, or PKCS#12).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The signing certificate delivered to Customs (a PEM may carry its chain after it).
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// Intermediate CA certificates of the signing certificate (PEM or DER).
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    #[command(flatten)]
    pub kind: MessageKindArgs,
    /// The data supplier's business ID (checked against the certificate and senderBusinessId).
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
    /// Write a complete HTTP/1.1 request to FILE (written whole or not at all).
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
    /// Print an equivalent curl command.
    #[arg(long)]
    pub curl: bool,
    /// X-Correlation-ID to use (default: a random UUIDv4).
    #[arg(long, value_name = "UUID")]
    pub correlation_id: Option<String>,
    /// Host of the register for the request (Customs gives it at onboarding).
    #[arg(long, value_name = "HOST", default_value = crate::message::request::DEFAULT_HOST)]
    pub host: String,
    #[command(flatten)]
    pub password: PasswordArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Debug, Args)]
pub struct MessageVerifyArgs {
    #[command(flatten)]
    pub report: ReportArgs<MessageFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// A request file (as written by `message sign --request`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["authorization", "body"])]
    pub request: Option<PathBuf>,
    /// The Authorization token (without "Bearer "), or @FILE to read it from FILE.
    #[arg(long, value_name = "TOKEN", requires = "body")]
    pub authorization: Option<String>,
    /// A file holding the body token.
    #[arg(long, value_name = "FILE", requires = "authorization")]
    pub body: Option<PathBuf>,
    /// The signing certificate delivered to Customs (a PEM may carry its chain after it).
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// Intermediate CA certificates of the signing certificate (PEM or DER).
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    /// The data supplier's business ID, to compare with senderBusinessId.
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
    /// Data supplier category for updates (v3): 1 credit institution, 2 other.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub category: Option<u8>,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Debug, Args)]
pub struct MessageGenerateArgs {
    #[command(flatten)]
    pub output: OutputArg,
    #[command(flatten)]
    pub interface: InterfaceArg,
    /// How many accounts (each with its owner and customership).
    #[arg(long, value_name = "N")]
    pub records: usize,
    /// Seed for the generator: the same seed gives the same report.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// senderBusinessId to put in the report.
    #[arg(long, value_name = "ID", conflicts_with = "cert")]
    pub business_id: Option<BusinessId>,
    /// Put the business ID of this signing certificate (its serialNumber or
    /// organizationIdentifier) in senderBusinessId. Without it or --business-id the sender is
    /// generated at random, and the register refuses a report not in its signer's name.
    #[arg(long, value_name = "CERT")]
    pub cert: Option<PathBuf>,
}
