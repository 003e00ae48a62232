//! `tilicheck register-cert FILE`: is this the Account Register's own certificate?

use time::OffsetDateTime;

use crate::checks::chain::Expect;
use crate::checks::register::register_subject;
use crate::checks::trust::judge_path;
use crate::cli::RegisterCertArgs;
use crate::commands::CommandError;
use crate::findings::Report;
use crate::pki::chain::Usage;
use crate::pki::facts::CertificateFacts;
use crate::pki::load;
use crate::profile::Interface;
use crate::secret::PasswordSource;

pub fn run(
    args: &RegisterCertArgs,
    interface: Interface,
    at: OffsetDateTime,
) -> Result<Report, CommandError> {
    let path = &args.cert;
    let text = path.to_string_lossy();
    if crate::tls::endpoint::looks_like_endpoint(&text, path) {
        return from_endpoint(args, &text, interface, at);
    }
    let file = load::read_certificates(path, &PasswordSource::None)
        .map_err(|e| CommandError::Input(e.to_string()))?;
    let (der, rest) = file
        .certificates
        .split_first()
        .ok_or_else(|| CommandError::Input(format!("{}: holds no certificate", path.display())))?;
    let facts = CertificateFacts::from_der(der)
        .map_err(|e| CommandError::Input(format!("{}: {e}", path.display())))?;
    let mut supplied = rest.to_vec();
    if let Some(chain) = &args.chain {
        supplied.extend(
            load::read_certificates(chain, &PasswordSource::None)
                .map_err(|e| CommandError::Input(e.to_string()))?
                .certificates,
        );
    }
    let profile = interface.profile();
    let ctx = crate::commands::trust::context(&args.trust, at, profile)?;
    let mut subject = register_subject(&facts, &path.display().to_string(), at, profile);
    // The register's certificate is DVV's, validated as a server certificate.
    let judged = judge_path(
        der,
        &supplied,
        &facts,
        Expect::DvvOnly,
        Usage::ServerAuth,
        &ctx,
        profile,
    );
    subject.summary.extend(judged.summary);
    subject.findings.extend(judged.findings);
    let mut report = Report::new("register-cert", interface, at);
    report.subjects.push(subject);
    Ok(report)
}

/// `register-cert HOST[:PORT]`: fetch the endpoint's certificate over TLS and check it.
fn from_endpoint(
    args: &RegisterCertArgs,
    endpoint: &str,
    interface: Interface,
    at: OffsetDateTime,
) -> Result<Report, CommandError> {
    use crate::tls::endpoint as tls;
    let (host, port) = tls::parse_endpoint(endpoint)?;
    let target = super::resolve(&host, port, args.sni.clone(), &args.trust.net)?;
    let chain = tls::fetch_chain(&target)?;
    let profile = interface.profile();
    let ctx = crate::commands::trust::context(&args.trust, at, profile)?;
    let mut report = Report::new("register-cert", interface, at);
    report
        .subjects
        .push(crate::checks::register::register_certificate(
            &chain,
            &target.endpoint(),
            &ctx,
            profile,
        ));
    Ok(report)
}
