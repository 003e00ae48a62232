//! Command-line arguments of `tilicheck vero …`. Parsing only: the work is in
//! [`crate::commands::vero`].

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::common::PasswordArgs;
use crate::cli::options::{ProfileArgs, ReportArgs, ReportFormat};
use crate::profile::vero::{Environment, IdAttribute};

#[derive(Debug, Subcommand)]
pub enum VeroCommand {
    /// Check a Vero API / Incomes Register Web Service certificate: issuer, key, validity,
    /// renewal window, customer ID and when Vero API starts accepting a new one.
    Cert(VeroCertArgs),
    /// Turn the transfer ID and one-time password from the secure e-mail into a key and a
    /// certificate (SignNewCertificate, then GetCertificate), and check the result.
    New(VeroNewArgs),
    /// Renew a certificate inside its last 60 days: new key and request, RenewCertificate
    /// signed with the current key, then GetCertificate.
    Renew(VeroRenewArgs),
    /// Run a local DEMO certificate service on loopback, for integration tests.
    ServePki(ServePkiArgs),
}

/// Which customer and which attribute carries its ID.
#[derive(Debug, Args)]
pub struct CustomerArgs {
    /// The customer ID the certificate is for (business ID, foreign ID, VAT number or a test ID).
    #[arg(long, value_name = "ID")]
    pub customer_id: Option<String>,
    /// Subject attribute that holds the customer ID (default: CN, an unconfirmed assumption).
    #[arg(long, value_enum, value_name = "ATTR")]
    pub id_attribute: Option<IdAttribute>,
}

#[derive(Debug, Args)]
pub struct VeroCertArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The certificate: PEM, DER or PKCS#12.
    pub cert: PathBuf,
    /// Its private key (PEM/DER PKCS#8, encrypted PKCS#8, PKCS#1 or PKCS#12).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub customer: CustomerArgs,
    /// The environment the certificate is for.
    #[arg(long, value_enum, default_value = "production")]
    pub environment: Environment,
    /// Issuing CA certificates (PEM/DER, e.g. the Data Providers chain from vero.fi): the
    /// certificate's signature must verify with one of them.
    #[arg(long, value_name = "FILE")]
    pub issuer_ca: Option<PathBuf>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// Where the one-time transfer ID and password come from. Never argv: they are secrets.
#[derive(Debug, Args)]
pub struct TransferArgs {
    /// Read the transfer ID from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "transfer_id_file")]
    pub transfer_id_env: Option<String>,
    /// Read the transfer ID from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub transfer_id_file: Option<PathBuf>,
    /// Read the one-time transfer password from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "transfer_password_file")]
    pub transfer_password_env: Option<String>,
    /// Read the one-time transfer password from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub transfer_password_file: Option<PathBuf>,
}

/// Which service to talk to, and how patiently.
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// The environment to get the certificate for.
    #[arg(long, value_enum, default_value = "production")]
    pub environment: Environment,
    /// The certificate service URL (default: the environment's official endpoint).
    #[arg(long, value_name = "URL")]
    pub service_url: Option<String>,
    /// Trust this CA file (PEM) for the service's TLS certificate instead of the system's.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Check every answer's XML signature: its signing certificate must be issued by a CA
    /// in this PEM file (the service's "IR Services" CA chain).
    #[arg(long, value_name = "FILE")]
    pub service_ca: Option<PathBuf>,
    /// Seconds to wait before the first GetCertificate (default from the profile: 30);
    /// waits double after each "not yet", up to 5 minutes.
    #[arg(long, value_name = "SECONDS")]
    pub poll_interval: Option<f64>,
    /// Give up (resumable) after this many GetCertificate calls.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_polls: u32,
}

#[derive(Debug, Args)]
pub struct VeroNewArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The customer ID the certificate is for (business ID, foreign ID, VAT number, test ID).
    #[arg(long, value_name = "ID")]
    pub customer_id: String,
    /// The customer's name (optional in the request).
    #[arg(long, value_name = "NAME")]
    pub customer_name: Option<String>,
    #[command(flatten)]
    pub transfer: TransferArgs,
    /// The day the secure e-mail with the transfer ID arrived (YYYY-MM-DD): warns when its
    /// 14 days are nearly or already over.
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    pub email_date: Option<time::Date>,
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Directory for the key, request, certificate and journal (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Continue an interrupted run from the journal in --out-dir, without a second request.
    #[arg(long)]
    pub resume: bool,
    /// Subject attribute that holds the customer ID when checking the result.
    #[arg(long, value_enum, value_name = "ATTR")]
    pub id_attribute: Option<IdAttribute>,
}

#[derive(Debug, Args)]
pub struct ServePkiArgs {
    /// Loopback address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8443", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// The environment the simulator plays.
    #[arg(long, value_enum, default_value = "test")]
    pub environment: Environment,
    /// Write the CA of the simulator's TLS certificate here (for clients' --ca).
    #[arg(long, value_name = "FILE")]
    pub ca_out: PathBuf,
    /// Write the CA of the simulator's answer-signing certificate here (for clients' --service-ca).
    #[arg(long, value_name = "FILE")]
    pub service_ca_out: Option<PathBuf>,
    /// A transfer ID the simulator accepts (once).
    #[arg(long, value_name = "ID")]
    pub transfer_id: Option<String>,
    /// Its one-time password, from this environment variable.
    #[arg(long, value_name = "VAR", requires = "transfer_id")]
    pub transfer_password_env: Option<String>,
    /// The customer ID the transfer ID belongs to.
    #[arg(long, value_name = "ID", requires = "transfer_id")]
    pub customer_id: Option<String>,
    /// GetCertificate answers "not issued yet" this many times first.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub pending_polls: u32,
}

fn parse_day(s: &str) -> Result<time::Date, String> {
    time::Date::parse(
        s.trim(),
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| format!("'{s}' is not a date: use YYYY-MM-DD"))
}

#[derive(Debug, Args)]
pub struct VeroRenewArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The current, still valid certificate (PEM, DER or PKCS#12).
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// Its private key: the renewal is signed with it.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The customer ID (default: read from the certificate's subject).
    #[arg(long, value_name = "ID")]
    pub customer_id: Option<String>,
    /// The customer's name (optional in the request).
    #[arg(long, value_name = "NAME")]
    pub customer_name: Option<String>,
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Directory for the new key, request, certificate and journal (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Continue an interrupted renewal from the journal in --out-dir.
    #[arg(long)]
    pub resume: bool,
    /// Subject attribute that holds the customer ID.
    #[arg(long, value_enum, value_name = "ATTR")]
    pub id_attribute: Option<IdAttribute>,
    #[command(flatten)]
    pub password: PasswordArgs,
}
