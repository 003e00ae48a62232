//! Argument groups several commands flatten: passwords, trust and revocation, network.

use std::path::PathBuf;

use clap::Args;

use crate::secret::PasswordSource;

/// Where a password comes from. Never from argv itself.
#[derive(Debug, Args, Default)]
pub struct PasswordArgs {
    /// Read the password for an encrypted key or PKCS#12 file from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    pub password_env: Option<String>,
    /// Read the password from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

impl PasswordArgs {
    pub fn source(&self) -> PasswordSource {
        match (&self.password_env, &self.password_file) {
            (Some(var), _) => PasswordSource::Env(var.clone()),
            (None, Some(file)) => PasswordSource::File(file.clone()),
            (None, None) => PasswordSource::None,
        }
    }
}

/// Trust anchors, revocation and network limits: shared by every command that validates a
/// certificate path.
#[derive(Clone, Debug, Args)]
pub struct TrustArgs {
    /// Also trust the CA certificates in FILE as anchors (a test or DEMO root). Repeatable;
    /// the environment variable takes a comma-separated list.
    #[arg(
        long,
        value_name = "FILE",
        env = "TILICHECK_TRUST",
        value_delimiter = ','
    )]
    pub trust: Vec<PathBuf>,
    /// Trust only the CA certificates in FILE, not the bundled DVV roots. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub trust_only: Vec<PathBuf>,
    /// Revocation sources: OCSP with CRL fallback (auto), one of them, both, or off.
    #[arg(long, value_enum, default_value = "auto")]
    pub revocation: crate::pki::revocation::Mode,
    /// No network: revocation is reported as skipped (never as passed), no AIA downloads.
    #[arg(long, env = "TILICHECK_OFFLINE")]
    pub offline: bool,
    /// EU trusted lists (ETSI TS 119 612 XML) to qualify a QWAC with: a file, a directory of
    /// *.xml lists, or `auto` (fetch the LOTL and the issuer's national list, cached until
    /// their NextUpdate; with --offline the cache only). Give the LOTL with files: a national
    /// list counts only when the LOTL, verified against its pinned signers, names its signer.
    /// Repeatable.
    #[arg(long, value_name = "FILE|DIR|auto")]
    pub trusted_list: Vec<PathBuf>,
    /// Certificates allowed to sign the LOTL (PEM or DER), instead of the bundled ones
    /// announced in the Official Journal.
    #[arg(long, value_name = "FILE")]
    pub lotl_signers: Option<PathBuf>,
    /// Where `--trusted-list auto` fetches the LOTL.
    #[arg(long, value_name = "URL", default_value = crate::pki::trusted_list::auto::LOTL_URL)]
    pub lotl_url: String,
    /// Directory for fetched trusted lists [default: $XDG_CACHE_HOME/tilicheck/trusted-lists or ~/.cache/tilicheck/trusted-lists].
    #[arg(long, value_name = "DIR")]
    pub trusted_list_cache: Option<PathBuf>,
    /// A CRL (DER or PEM, one or more `X509 CRL` blocks) for the certificates it covers, used
    /// before any download; with --offline the only source. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<PathBuf>,
    /// Directory for downloaded CRLs [default: $XDG_CACHE_HOME/tilicheck/crl or ~/.cache/tilicheck/crl].
    #[arg(long, value_name = "DIR")]
    pub crl_cache: Option<PathBuf>,
    #[command(flatten)]
    pub net: NetArgs,
    /// Seconds one download may take in all (redirects included).
    #[arg(long, value_name = "SECS", default_value = "20", value_parser = parse_seconds)]
    pub net_timeout: std::time::Duration,
    /// Largest CRL or OCSP answer accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value = "52428800")]
    pub max_download: u64,
}

/// Seconds, fractions allowed, from 0.01 to 600.
pub fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(0.01..=600.0).contains(&secs) {
        return Err(format!("{s} seconds is outside 0.01 to 600"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// Network patience, for every command that connects (TLS endpoints, CRL, OCSP, caIssuers).
#[derive(Clone, Copy, Debug, Args)]
pub struct NetArgs {
    /// Seconds to wait for a TCP connection (fractions allowed).
    #[arg(long, value_name = "SECS", default_value = "3", value_parser = parse_seconds)]
    pub connect_timeout: std::time::Duration,
    /// Seconds to wait for each answer from a server.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_seconds)]
    pub read_timeout: std::time::Duration,
}
