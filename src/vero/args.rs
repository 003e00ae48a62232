//! Command-line arguments of `tilicheck vero …`. Parsing only: the work is in
//! [`crate::commands::vero`].

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::PasswordArgs;
use crate::profile::vero::{Environment, IdAttribute};

#[derive(Debug, Subcommand)]
pub enum VeroCommand {
    /// Check a Vero API / Incomes Register Web Service certificate: issuer, key, validity,
    /// renewal window, customer ID and when Vero API starts accepting a new one.
    Cert(VeroCertArgs),
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
    #[command(flatten)]
    pub password: PasswordArgs,
}
