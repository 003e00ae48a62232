//! `tilicheck readiness --config FILE`: the go-live report. Both certificates (`cert` with
//! chain and revocation), the endpoint (`tls`, with REG-CERT) and a signed send of a test
//! message, in one report. `demo` runs the same checks against the simulator.

use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::checks::identity::{ExpectedIds, Purpose};
use crate::checks::tls::endpoint_subject;
use crate::checks::trust::{ListRequest, TrustContext, trusted_list_source};
use crate::cli::{NetArgs, ReadinessArgs, RunOptions};
use crate::commands::cert::{LoadedCert, judged_subject};
use crate::commands::send::{deliver_into, load_signer, minimal_message, parse_endpoint_url};
use crate::commands::{CommandError, emit_report};
use crate::findings::Report;
use crate::identity::BusinessId;
use crate::message::content::{ExpectedSender, SenderSource};
use crate::message::kind::Category;
use crate::message::parse;
use crate::pki::load;
use crate::profile::Interface;
use crate::secret::PasswordSource;
use crate::send::verdicts::correlation_id;
use crate::send::{self, Message};
use crate::tls::endpoint::{endpoint_facts, load_identity};

/// Everything the readiness checks run on.
pub struct Inputs<'a> {
    pub tls_cert: &'a Path,
    pub tls_key: &'a Path,
    pub signing_cert: &'a Path,
    pub signing_key: &'a Path,
    pub password: PasswordSource,
    pub supplier: BusinessId,
    pub host: String,
    pub port: u16,
    pub sni: Option<String>,
    pub net: NetArgs,
    pub ctx: &'a TrustContext,
    /// Anchors offered to the handshake's own (reported) verification.
    pub handshake_trust: Vec<CertificateDer<'static>>,
    /// The test message (its name and text); None: the minimal valid message.
    pub message: Option<(String, String)>,
    pub category: Option<Category>,
}

/// Run cert on both certificates, tls on the endpoint and a send; add all to `report`.
pub fn checks(
    i: &Inputs<'_>,
    interface: Interface,
    at: OffsetDateTime,
    report: &mut Report,
) -> Result<(), CommandError> {
    let profile = interface.profile();
    let expected = ExpectedIds {
        supplier: Some(i.supplier),
        service_centre: None,
    };
    let same = i.tls_cert == i.signing_cert;
    let mut certs = vec![(
        i.tls_cert,
        i.tls_key,
        if same { Purpose::Both } else { Purpose::Tls },
    )];
    if !same {
        certs.push((i.signing_cert, i.signing_key, Purpose::Signing));
    }
    // The subject's role already says TLS / signing.
    for (cert, key, purpose) in certs {
        let loaded = LoadedCert::load(cert, Some(key), &i.password)?;
        let subject = judged_subject(
            &loaded,
            &loaded.bundled_der,
            &cert.display().to_string(),
            purpose,
            expected,
            i.ctx,
            profile,
            Vec::new(),
        );
        report.subjects.push(subject);
    }
    endpoint_and_send(i, interface, at, report)
}

/// `tls` on the endpoint with the TLS certificate, and a signed send of the test message.
pub fn endpoint_and_send(
    i: &Inputs<'_>,
    interface: Interface,
    at: OffsetDateTime,
    report: &mut Report,
) -> Result<(), CommandError> {
    let profile = interface.profile();
    let expected = ExpectedIds {
        supplier: Some(i.supplier),
        service_centre: None,
    };
    let target = super::resolve(&i.host, i.port, i.sni.clone(), &i.net)?;
    let identity = load_identity(i.tls_cert, Some(i.tls_key), &i.password)?;
    let facts = endpoint_facts(&target, Some(&identity), &i.handshake_trust)?;
    report.subjects.push(endpoint_subject(&facts, profile));

    let (_, signer) = load_signer(
        i.signing_cert,
        i.signing_key,
        &i.password,
        expected,
        at,
        profile,
    )?;
    let (input, text) = match &i.message {
        Some((name, text)) => (name.clone(), text.clone()),
        None => (
            "minimal test message".to_owned(),
            minimal_message(profile, &i.supplier),
        ),
    };
    let parsed = parse::parse_bytes(text.as_bytes());
    let message = Message {
        input: &input,
        text: &text,
        parsed: &parsed,
        kind: None,
        category: i.category,
        expected_sender: Some(ExpectedSender::new(
            &i.supplier,
            SenderSource::Configuration,
        )),
    };
    let name = i.sni.clone().unwrap_or_else(|| i.host.clone());
    let host = if i.port == 443 {
        name
    } else {
        format!("{name}:{}", i.port)
    };
    match send::prepare(&message, &signer, &host, correlation_id(None)?, profile) {
        Ok(prepared) => {
            deliver_into(report, &target, &identity, i.ctx, profile, prepared);
        }
        Err(subject) => report.subjects.push(*subject),
    }
    Ok(())
}

/// The configuration file. Unknown keys are errors: a misspelt setting must not be ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub endpoint: String,
    pub interface: Option<String>,
    pub category: Option<u8>,
    pub business_id: String,
    pub go_live: Option<String>,
    pub test_message: Option<PathBuf>,
    pub tls: CertConfig,
    pub signing: Option<CertConfig>,
    #[serde(default)]
    pub password: PasswordConfig,
    #[serde(default)]
    pub trust: TrustConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordConfig {
    pub env: Option<String>,
    pub file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustConfig {
    #[serde(default)]
    pub trust: Vec<PathBuf>,
    #[serde(default)]
    pub trust_only: Vec<PathBuf>,
    /// Local CRLs, as `--crl` (DER or PEM).
    #[serde(default)]
    pub crl: Vec<PathBuf>,
    #[serde(default)]
    pub offline: bool,
    /// EU trusted lists (files or directories) for CERT-QWAC's qualification.
    #[serde(default)]
    pub trusted_list: Vec<PathBuf>,
    /// Certificates allowed to sign the LOTL instead of the bundled ones.
    pub lotl_signers: Option<PathBuf>,
    /// Where `trusted_list = ["auto"]` fetches the LOTL.
    pub lotl_url: Option<String>,
}

/// The commented template `readiness init` writes.
pub const TEMPLATE: &str = r#"# tilicheck readiness configuration. Run: tilicheck readiness --config THIS_FILE
# Relative paths are relative to this file.

# The register's address as Customs gave it at onboarding (test or production).
endpoint = "https://account-register.invalid:443"
# Interface version: "v3" (live) or "v1.0.4".
interface = "v3"
# Data supplier category for updates (v3): 1 credit institution, 2 other.
category = 2
# Your business ID (Y-tunnus).
business_id = "1234567-1"
# Certificates are checked as of this date (validity, renewal window); default: today.
# go_live = "2027-03-01"
# The message sent as the test (default: a minimal valid update report).
# test_message = "test-report.json"

[tls]
# The TLS client certificate delivered to Customs (with its intermediate CA) and its key.
cert = "tls.pem"
key = "tls.key"

# The signing certificate, when it is not the TLS certificate.
# [signing]
# cert = "signing.pem"
# key = "signing.key"

# For encrypted keys or PKCS#12: the password from an environment variable or a file.
# Never write the password itself here.
# [password]
# env = "TILICHECK_KEY_PASSWORD"
# file = "key-password.txt"

[trust]
# A test register's CA (replaces the DVV roots for its certificate): trust_only = ["test-ca.pem"]
# Extra anchors alongside the defaults: trust = ["extra-root.pem"]
# CRL files (DER or PEM) for the certificates they cover, asked before any download;
# offline they are the only revocation source: crl = ["issuing-ca.crl"]
# Skip downloads of CRLs and OCSP answers (offline test environments).
offline = false
# EU trusted lists to say whether a QWAC is qualified: the LOTL and the national list, as files
# or a directory of both (trusted_list = ["trusted-lists"]), or fetched and cached until their
# NextUpdate (trusted_list = ["auto"]; with offline = true, the cache only).
"#;

pub fn run(args: &ReadinessArgs, g: &RunOptions) -> Result<u8, CommandError> {
    if let Some(crate::cli::ReadinessCommand::Init { file, force }) = &args.command {
        if file.exists() && !force {
            return Err(CommandError::Usage(format!(
                "{} exists; give --force to overwrite",
                file.display()
            )));
        }
        crate::atomic_file::replace(file, TEMPLATE.as_bytes())
            .map_err(|e| CommandError::Input(format!("{}: {e}", file.display())))?;
        eprintln!(
            "wrote {}: fill in the settings, then run tilicheck readiness --config {}",
            file.display(),
            file.display()
        );
        return Ok(0);
    }
    let Some(path) = &args.config else {
        return Err(CommandError::Usage(
            "give --config FILE (make one with tilicheck readiness init FILE)".into(),
        ));
    };
    let shown = path.display();
    let bytes = parse::read_bounded(path, 1024 * 1024)
        .map_err(|e| CommandError::Input(format!("{shown}: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CommandError::Input(format!("{shown}: not UTF-8 text")))?;
    let config: Config =
        toml::from_str(&text).map_err(|e| CommandError::Input(format!("{shown}: {e}")))?;
    let setting = |name: &str, problem: String| {
        CommandError::Input(format!("{shown}: setting `{name}`: {problem}"))
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let rel = |p: &Path| base.join(p);
    let interface = match config.interface.as_deref() {
        None => g.interface,
        Some(v) => <Interface as clap::ValueEnum>::from_str(v, true)
            .map_err(|_| setting("interface", format!("{v:?} is not \"v3\" or \"v1.0.4\"")))?,
    };
    let category = match config.category {
        None => None,
        Some(n) => Some(
            Category::from_number(n)
                .ok_or_else(|| setting("category", format!("{n} is not 1 or 2")))?,
        ),
    };
    let supplier: BusinessId = config
        .business_id
        .parse()
        .map_err(|e| setting("business_id", format!("{e}")))?;
    let at = match &config.go_live {
        Some(d) => crate::time_arg::parse_check_time(d).map_err(|e| setting("go_live", e))?,
        None => crate::commands::check_time(g),
    };
    let (host, port, route) = parse_endpoint_url(&config.endpoint, interface)
        .map_err(|e| setting("endpoint", e.to_string()))?;
    // The test message is an update; a path in the endpoint must be an update endpoint, and
    // its category then stands.
    let category = match route {
        None => category,
        Some(r) => {
            crate::send::endpoint::merge(r, Some(crate::message::kind::Kind::Update), category)
                .map_err(|e| setting("endpoint", e.to_string()))?
                .1
        }
    };
    let file_setting = |name: &str, p: &Path| -> Result<PathBuf, CommandError> {
        let full = rel(p);
        if full.is_file() {
            Ok(full)
        } else {
            Err(setting(name, format!("{}: no such file", full.display())))
        }
    };
    let tls_cert = file_setting("tls.cert", &config.tls.cert)?;
    let tls_key = file_setting("tls.key", &config.tls.key)?;
    let (signing_cert, signing_key) = match &config.signing {
        Some(s) => (
            file_setting("signing.cert", &s.cert)?,
            file_setting("signing.key", &s.key)?,
        ),
        None => (tls_cert.clone(), tls_key.clone()),
    };
    let password = match (&config.password.env, &config.password.file) {
        (Some(var), None) => PasswordSource::Env(var.clone()),
        (None, Some(f)) => PasswordSource::File(file_setting("password.file", f)?),
        (None, None) => PasswordSource::None,
        (Some(_), Some(_)) => {
            return Err(setting("password", "give env or file, not both".into()));
        }
    };
    let mut trust_args_trust = Vec::new();
    for p in &config.trust.trust {
        trust_args_trust.push(file_setting("trust.trust", p)?);
    }
    let mut trust_only = Vec::new();
    for p in &config.trust.trust_only {
        trust_only.push(file_setting("trust.trust_only", p)?);
    }
    let store = crate::pki::trust::TrustStore::with_files(&trust_args_trust, &trust_only)
        .map_err(|e| setting("trust", e.to_string()))?;
    let mut lists = Vec::new();
    for p in &config.trust.trusted_list {
        if p.as_os_str() == "auto" {
            lists.push(p.clone());
            continue;
        }
        let full = rel(p);
        if !full.exists() {
            return Err(setting(
                "trust.trusted_list",
                format!("{}: no such file or directory", full.display()),
            ));
        }
        lists.push(full);
    }
    let lotl_signers = match &config.trust.lotl_signers {
        Some(p) => Some(file_setting("trust.lotl_signers", p)?),
        None => None,
    };
    let trusted_lists = trusted_list_source(
        &ListRequest {
            paths: &lists,
            lotl_signers: lotl_signers.as_deref(),
            lotl_url: config
                .trust
                .lotl_url
                .as_deref()
                .unwrap_or(crate::pki::trusted_list::auto::LOTL_URL),
            cache_dir: None,
            offline: config.trust.offline,
            limits: crate::net::http::Limits::default(),
        },
        at,
    )
    .map_err(|e| setting("trust.trusted_list", e.to_string()))?;
    let mut crls = Vec::new();
    for p in &config.trust.crl {
        crls.push(file_setting("trust.crl", p)?);
    }
    crls.extend(args.crl.iter().cloned());
    let mut ctx = TrustContext::offline_with(store, at);
    ctx.revocation.local =
        crate::pki::revocation::LocalCrls::load(&crls, ctx.revocation.limits.max_body)
            .map_err(|e| CommandError::Input(e.to_string()))?;
    ctx.trusted_lists = trusted_lists;
    ctx.revocation.offline = config.trust.offline;
    ctx.revocation.grace_secs = interface.profile().revocation_grace_secs.value;
    ctx.revocation.cache_dir = crate::pki::revocation::cache::default_dir();
    if !config.trust.offline {
        ctx.online = Some(ctx.revocation.limits);
    }
    let mut handshake_trust = Vec::new();
    for p in trust_args_trust.iter().chain(&trust_only) {
        handshake_trust.extend(
            load::read_certificates(p, &PasswordSource::None)
                .map_err(|e| setting("trust", e.to_string()))?
                .certificates,
        );
    }
    let message = match &config.test_message {
        Some(p) => {
            let full = file_setting("test_message", p)?;
            let limit = parse::read_limit(interface.profile().max_message_bytes.value);
            let bytes = parse::read_bounded(&full, limit)
                .map_err(|e| setting("test_message", e.to_string()))?;
            Some((
                full.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ))
        }
        None => None,
    };
    let inputs = Inputs {
        tls_cert: &tls_cert,
        tls_key: &tls_key,
        signing_cert: &signing_cert,
        signing_key: &signing_key,
        password,
        supplier,
        host,
        port,
        sni: None,
        net: NetArgs {
            connect_timeout: std::time::Duration::from_secs(5),
            read_timeout: std::time::Duration::from_secs(10),
        },
        ctx: &ctx,
        handshake_trust,
        message,
        category,
    };
    let mut report = Report::new("readiness", interface, at);
    checks(&inputs, interface, at, &mut report)?;
    emit_report(&report, g)
}
