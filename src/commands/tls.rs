//! `tilicheck tls HOST[:PORT]`: what the endpoint negotiates, whether it demands and accepts
//! the user's client certificate, and whether its certificate is the register's.

use time::OffsetDateTime;

use crate::checks::register::register_certificate;
use crate::checks::tls::endpoint_subject;
use crate::cli::TlsArgs;
use crate::commands::CommandError;
use crate::commands::trust;
use crate::findings::Report;
use crate::pki::load;
use crate::profile::Interface;
use crate::secret::PasswordSource;
use crate::tls::endpoint::{endpoint_facts, load_identity, parse_endpoint};

pub fn run(
    args: &TlsArgs,
    interface: Interface,
    at: OffsetDateTime,
) -> Result<Report, CommandError> {
    let (host, port) = parse_endpoint(&args.endpoint)?;
    let password = args.password.source();
    let identity = match &args.cert {
        Some(cert) => Some(load_identity(cert, args.key.as_deref(), &password)?),
        None => None,
    };
    // The anchors the user added are also offered to the handshake's own (reported, not
    // enforced) verification; the path proper is CERT-ISSUER's.
    let mut trust = Vec::new();
    for path in args.trust.trust.iter().chain(&args.trust.trust_only) {
        trust.extend(
            load::read_certificates(path, &PasswordSource::None)
                .map_err(|e| CommandError::Input(e.to_string()))?
                .certificates,
        );
    }
    let profile = interface.profile();
    let ctx = trust::context(&args.trust, at, profile)?;
    let target = super::resolve(&host, port, args.sni.clone(), &args.trust.net)?;
    let facts = endpoint_facts(&target, identity.as_ref(), &trust)?;
    let mut report = Report::new("tls", interface, at);
    report.subjects.push(endpoint_subject(&facts, profile));
    // The probe's TLS 1.2 flights carry the chain too: a handshake that ended early (a
    // refused certificate, a DH group tilicheck would not use) still leaves it to judge.
    let chain = if facts.handshake.chain.is_empty() {
        &facts.probe.chain
    } else {
        &facts.handshake.chain
    };
    report
        .subjects
        .push(register_certificate(chain, &facts.endpoint, &ctx, profile));
    Ok(report)
}
