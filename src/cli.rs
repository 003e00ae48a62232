//! The command line. Parsing only: the work is done in [`crate::commands`].

mod common;
mod ledger;
mod message;
pub mod options;
pub mod vero;

pub use common::*;
pub use ledger::*;
pub use message::*;

pub use options::RunOptions;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::checks::identity::Purpose;
use crate::identity::BusinessId;
use options::{
    AuditFormat, DocumentArgs, InterfaceArg, OutputArg, ProfileArgs, ReportArgs, ReportFormat,
};

/// Readiness checks for Finnish Customs' Bank and Payment Account Register and the Vero API.
#[derive(Debug, Parser)]
#[command(name = "tilicheck", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a supplier's certificate (and private key) against the register's rules.
    Cert(CertArgs),
    /// Check that a certificate is the Account Register's genuine server certificate.
    RegisterCert(RegisterCertArgs),
    /// Audit many certificates at once: expiry table, failing rules, order-by dates.
    Audit(AuditArgs),
    /// Make a key and certificate request with the subject the register needs, or check one.
    Csr(CsrArgs),
    /// Probe a TLS endpoint: versions, suites, groups, client-certificate request, mutual TLS.
    Tls(TlsArgs),
    /// Check EU trusted lists: the XAdES signature, who signed, freshness; the CA/QC services.
    TrustedList(TrustedListArgs),
    /// Print the rule catalogue and the profile values the rules rest on.
    Rules(RulesArgs),
    /// Certificate tools: generate the DEMO PKI.
    #[command(subcommand)]
    Pki(PkiCommand),
    /// Generate a DEMO PKI and run the checks on it: see the whole tool working.
    Demo(DemoArgs),
    /// Validate, sign and send a report to the register over mutual TLS; explain the answer.
    Send(SendArgs),
    /// The go-live report: certificates, endpoint and a signed test send, from a config file.
    Readiness(ReadinessArgs),
    /// Update messages: validate, sign into the two tokens, verify tokens, generate test data.
    #[command(subcommand)]
    Message(MessageCommand),
    /// The ledger of what the register acknowledged, record by record: show, export, import.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// The Vero API / Incomes Register certificate: check it, create it, renew it.
    #[command(subcommand)]
    Vero(vero::VeroCommand),
    /// Run a local Account Register simulator (HTTPS with client certificates, on loopback).
    Serve(ServeArgs),
    /// Print a shell completion script, e.g. `tilicheck completions bash > /etc/bash_completion.d/tilicheck`.
    Completions(CompletionsArgs),
    /// Write the manual pages, one per command, into DIR (or print the main page).
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct TrustedListArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Trusted lists (ETSI TS 119 612 XML): national lists and/or the EU LOTL. A LOTL among
    /// them vouches for the others' signers when --lotl is not given.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The EU List of Trusted Lists: each national list's signer must be one it names for
    /// that territory.
    #[arg(long, value_name = "FILE")]
    pub lotl: Option<PathBuf>,
    /// Certificates allowed to sign the LOTL (PEM or DER), instead of the bundled ones
    /// announced in the Official Journal.
    #[arg(long, value_name = "FILE")]
    pub lotl_signers: Option<PathBuf>,
}

impl Command {
    /// The options this run was given, defaults where the command has none.
    pub fn options(&self) -> RunOptions {
        use vero::VeroCommand as V;
        let base = RunOptions::default();
        match self {
            Command::Cert(a) => base.report(&a.report).profile(&a.profile),
            Command::RegisterCert(a) => base.report(&a.report).profile(&a.profile),
            Command::Audit(a) => base.report(&a.report).profile(&a.profile),
            Command::Csr(a) => base.report(&a.report).profile(&a.profile),
            Command::Tls(a) => base.report(&a.report).profile(&a.profile),
            Command::TrustedList(a) => base.report(&a.report).profile(&a.profile),
            Command::Rules(a) => base.document(&a.document).interface(&a.interface),
            Command::Pki(_) | Command::Man(_) => base,
            Command::Demo(a) => base.report(&a.report).profile(&a.profile),
            Command::Send(a) => base.report(&a.report).profile(&a.profile),
            Command::Readiness(a) => base.report(&a.report).profile(&a.profile),
            Command::Message(m) => match m {
                MessageCommand::Validate(a) => base.report(&a.report).profile(&a.profile),
                MessageCommand::Verify(a) => base.report(&a.report).profile(&a.profile),
                MessageCommand::Diff(a) => base.report(&a.report).profile(&a.profile),
                MessageCommand::Dispute(a) => base.report(&a.report).profile(&a.profile),
                MessageCommand::Sign(a) => base
                    .document(&a.document)
                    .strict(&a.strict)
                    .profile(&a.profile),
                MessageCommand::Split(a) => base.document(&a.document).interface(&a.interface),
                MessageCommand::Generate(a) => base.output(&a.output).interface(&a.interface),
            },
            Command::Ledger(l) => match l {
                LedgerCommand::Show(a) => base.document(&a.document).interface(&a.interface),
                LedgerCommand::Export(a) => base.output(&a.output).interface(&a.interface),
                LedgerCommand::Import(a) => base.interface(&a.interface),
            },
            Command::Vero(v) => match v {
                V::Cert(a) => base.report(&a.report).profile(&a.profile),
                V::New(a) => base.report(&a.report).profile(&a.profile),
                V::Renew(a) => base.report(&a.report).profile(&a.profile),
                V::ServePki(_) => base,
            },
            Command::Serve(a) => base.profile(&a.profile),
            Command::Completions(a) => base.output(&a.output),
        }
    }
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub document: DocumentArgs,
    #[command(flatten)]
    pub interface: InterfaceArg,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[command(flatten)]
    pub output: OutputArg,
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write tilicheck.1 and a tilicheck-COMMAND.1 page for every command into DIR (created if
    /// missing); without DIR, print tilicheck.1 to standard output.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CertArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The certificate: PEM, DER or PKCS#12 (a PEM with several certificates: the first is checked).
    pub cert: PathBuf,
    /// Intermediate CA certificates (PEM or DER).
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    /// The private key (PEM/DER PKCS#8, encrypted PKCS#8, PKCS#1, SEC1 or PKCS#12).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The data supplier's business ID (1234567-8) or VAT number (FI12345678).
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
    /// An authorised service centre's business ID, allowed in a TLS certificate.
    #[arg(long, value_name = "ID", requires = "business_id")]
    pub service_centre: Option<BusinessId>,
    /// What the certificate is used for.
    #[arg(long, value_enum, default_value = "both")]
    pub purpose: Purpose,
    #[command(flatten)]
    pub password: PasswordArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Debug, Args)]
pub struct RegisterCertArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The certificate the endpoint presented (PEM or DER; a PEM chain: the first is checked),
    /// or HOST[:PORT] (not an existing file) to fetch it from the endpoint over TLS.
    pub cert: PathBuf,
    /// Intermediate CA certificates (PEM or DER).
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    /// Server name to send (SNI) when fetching from an endpoint.
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub report: ReportArgs<AuditFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Certificate files, directories (searched recursively for .pem .crt .cer .der .p12 .pfx) or glob patterns.
    #[arg(required_unless_present = "endpoints", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also audit the certificate each endpoint in FILE presents (`host:port` per line).
    #[arg(long, value_name = "FILE")]
    pub endpoints: Option<PathBuf>,
    /// Warn about certificates expiring within this many days.
    #[arg(long, default_value_t = 60, value_name = "DAYS")]
    pub warn_days: i64,
    /// Fail on certificates expiring within this many days.
    #[arg(long, default_value_t = 14, value_name = "DAYS")]
    pub fail_days: i64,
    /// What the certificates are used for (decides which rules apply).
    #[arg(long, value_enum, default_value = "both")]
    pub purpose: Purpose,
    /// The data supplier's business ID, to check every certificate's ID against.
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
    /// An authorised service centre's business ID.
    #[arg(long, value_name = "ID", requires = "business_id")]
    pub service_centre: Option<BusinessId>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    #[command(flatten)]
    pub password: PasswordArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Key algorithm for a new request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CsrKeyType {
    Rsa,
    P384,
}

/// How the business ID is written in the subject serialNumber (and so in every JWS `sub`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum IdForm {
    /// 1234567-8
    BusinessId,
    /// FI12345678
    Vat,
}

#[derive(Debug, Args)]
pub struct CsrArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Check this existing request (PEM or DER) instead of making one.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dns", "org", "key_out", "out", "force"])]
    pub check: Option<PathBuf>,
    /// The business ID (1234567-8) or VAT number (FI12345678) for subject serialNumber.
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
    /// The written form of the ID in the subject.
    #[arg(long, value_enum, default_value = "business-id")]
    pub id_form: IdForm,
    /// The server's DNS name: CN and subjectAltName.
    #[arg(long, value_name = "NAME")]
    pub dns: Option<String>,
    /// The organisation name (O).
    #[arg(long, value_name = "NAME")]
    pub org: Option<String>,
    /// Key algorithm.
    #[arg(long, value_enum, default_value = "rsa")]
    pub key_type: CsrKeyType,
    /// RSA key size: 3072 or 4096 (default from the profile: 4096).
    #[arg(long, value_name = "BITS")]
    pub rsa_bits: Option<u32>,
    /// Where to write the new private key (default: NAME.key); owner-only permissions.
    #[arg(long, value_name = "FILE")]
    pub key_out: Option<PathBuf>,
    /// Where to write the request (default: NAME.csr).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite existing key and request files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct TlsArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The endpoint: HOST, HOST:PORT or [IPv6]:PORT (port 443 when none is given).
    pub endpoint: String,
    /// Your client certificate (PEM, DER or PKCS#12), for the mutual-TLS handshake.
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (any format `cert` reads; not needed for PKCS#12).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Server name to send (SNI) instead of HOST.
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    #[command(flatten)]
    pub password: PasswordArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
}

#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Write a DEMO PKI (CAs, supplier, QWAC, register and broken variants) into DIR.
    Demo {
        /// Directory to write; created if missing.
        dir: PathBuf,
        /// Fixed validity 2025-01-01 → 2099-12-31 (as the committed test fixtures) instead of from now.
        #[arg(long)]
        fixtures: bool,
        /// Overwrite files in a directory that is not empty.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct ReadinessArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(subcommand)]
    pub command: Option<ReadinessCommand>,
    /// The configuration (TOML; `tilicheck readiness init FILE` writes a template).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A CRL (DER or PEM) for the certificates it covers, in addition to the configuration's
    /// `trust.crl`. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ReadinessCommand {
    /// Write a commented configuration template to FILE.
    Init {
        file: PathBuf,
        /// Overwrite FILE if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The report (JSON), or a directory of parts from `message split`: sent one at a time,
    /// each after the previous 200, with a journal in the directory so a rerun resumes.
    pub file: PathBuf,
    /// The register: https://HOST[:PORT]. The path follows from the report's kind and category;
    /// a path given must be one of the interface's endpoints (it then sets them).
    #[arg(long, value_name = "URL")]
    pub endpoint: String,
    /// The TLS client certificate delivered to Customs, with its intermediate CA after it.
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// The TLS client certificate's private key.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The signing certificate, when it is not the TLS certificate.
    #[arg(long, value_name = "FILE")]
    pub signing_cert: Option<PathBuf>,
    /// The signing certificate's private key.
    #[arg(long, value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    #[command(flatten)]
    pub kind: MessageKindArgs,
    /// The data supplier's business ID (checked against the certificate and senderBusinessId).
    #[arg(long, value_name = "ID")]
    pub business_id: Option<BusinessId>,
    /// Write the signed request to FILE and send nothing.
    #[arg(long, value_name = "FILE")]
    pub dry_run: Option<PathBuf>,
    /// X-Correlation-ID to use (default: a random UUIDv4).
    #[arg(long, value_name = "UUID")]
    pub correlation_id: Option<String>,
    /// Attempts after a 500 or a timeout, per part of a split load.
    #[arg(long, value_name = "N", default_value = "3", value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// First wait before a retry; doubled each time, at most a minute.
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = parse_seconds)]
    pub retry_delay: std::time::Duration,
    /// Record what the register acknowledges (200) in this ledger: each update's records, each
    /// dispute's new state, with the X-Correlation-ID (made if missing).
    #[arg(long, value_name = "FILE", conflicts_with = "default_ledger")]
    pub ledger: Option<PathBuf>,
    /// Record in the supplier's default ledger (in the user's data directory; see `ledger`).
    #[arg(long)]
    pub default_ledger: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub password: PasswordArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub report: ReportArgs<ReportFormat>,
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Keep the generated DEMO PKI in DIR instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Make new DEMO keys instead of reusing those cached (owner-only) in the user's cache
    /// directory by an earlier run; the certificates are made anew on every run either way.
    #[arg(long)]
    pub fresh_keys: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Key exchange: ECDHE only, finite-field DHE only (TLS 1.2 DHE_RSA suites, TLS 1.3
    /// ffdhe groups; a register reading §3.2's "ephemeral Diffie-Hellman" literally), or both.
    #[arg(long, value_enum, default_value = "both", value_name = "KX")]
    pub key_exchange: crate::simulator::tls::KeyExchange,
    /// Address for the register's HTTPS endpoint (loopback unless --allow-remote).
    #[arg(long, default_value = "127.0.0.1:8443", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Let --listen be an address other machines can reach. The simulator keeps what it
    /// receives (signed reports with personal identity codes); the banner warns.
    #[arg(long)]
    pub allow_remote: bool,
    /// Address for the read-only inspection page (loopback only).
    #[arg(long, default_value = "127.0.0.1:8444", value_name = "ADDR")]
    pub inspect: std::net::SocketAddr,
    /// Do not serve the inspection page.
    #[arg(long)]
    pub no_inspect: bool,
    /// Where the database (and, by default, the DEMO PKI) is kept.
    #[arg(long, default_value = "tilicheck-serve", value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Remove the stored tokens of messages older than DAYS days (a day's segment file at a
    /// time; the message log, records and their states stay). Default: keep everything.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub retain: Option<u32>,
    /// The server certificate chain (PEM, leaf first, or PKCS#12); default: the DEMO register certificate.
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The server certificate's private key.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// CA certificates that client certificates must chain to; default: the DEMO root.
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,
    /// A signing certificate delivered to Customs, or a directory of them (repeatable); only they may sign.
    #[arg(long = "supplier", value_name = "CERT")]
    pub suppliers: Vec<PathBuf>,
    /// A service centre's business ID whose TLS certificate may send for the suppliers (repeatable).
    #[arg(long = "service-centre", value_name = "ID")]
    pub service_centres: Vec<BusinessId>,
    /// Inject a fault: latency=200ms, fail-every=N, fail-fraction=0.1, drop-every=N, lose-answer-every=N, expired-cert (repeatable).
    #[arg(long = "fault", value_name = "FAULT")]
    pub faults: Vec<crate::simulator::faults::Fault>,
    /// What to do with a request sent before the previous one from the same sender was answered (§3.6).
    #[arg(long, value_enum, default_value = "warn")]
    pub sequential: crate::simulator::SequentialPolicy,
    /// Answer 400 to a message whose data-quality findings (check digits, contradicting dates,
    /// records before 1.9.2020) the register would accept with; by default such a message is
    /// accepted and its content warnings recorded.
    #[arg(long)]
    pub strict_content: bool,
    /// Connections served at once.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_connections: usize,
    /// Seconds a keep-alive connection may sit idle.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub idle_timeout: u64,
    /// Seconds for a handshake, for request headers, and (times 3) for a body.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub io_timeout: u64,
    /// Print nothing per request.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub password: PasswordArgs,
}
