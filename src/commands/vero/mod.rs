//! `tilicheck vero …`: the Vero API certificate.

pub mod new;
pub mod renew;
pub mod serve;

use time::OffsetDateTime;

use crate::checks::vero::{IssuerEvidence, VeroCheck};
use crate::cli::vero::{CustomerArgs, VeroCertArgs};
use crate::commands::CommandError;
use crate::commands::cert::LoadedCert;
use crate::findings::Report;
use crate::pki::facts::CertificateFacts;
use crate::pki::load;
use crate::profile::{Interface, VERO};
use crate::secret::PasswordSource;
use crate::vero::dsig::issued_by;

/// `vero cert`: load the certificate (and key) and judge it against the Vero profile.
pub fn cert(
    args: &VeroCertArgs,
    interface: Interface,
    at: OffsetDateTime,
) -> Result<Report, CommandError> {
    let loaded = LoadedCert::load(&args.cert, args.key.as_deref(), &args.password.source())?;
    let (id_attribute, given) = id_attribute(&args.customer);
    let issuer_evidence = match &args.issuer_ca {
        None => IssuerEvidence::NameOnly,
        Some(ca_path) => {
            let password = args.password.source();
            let cert_der = load::read_certificates(&args.cert, &password)
                .map_err(|e| CommandError::Input(e.to_string()))?
                .certificates
                .first()
                .map(|c| c.to_vec())
                .unwrap_or_default();
            let cas = load::read_certificates(ca_path, &PasswordSource::None)
                .map_err(|e| CommandError::Input(e.to_string()))?
                .certificates;
            let file = ca_path.display().to_string();
            match cas.iter().find(|ca| issued_by(&cert_der, ca)) {
                Some(ca) => IssuerEvidence::Verified {
                    file,
                    ca: CertificateFacts::from_der(ca)
                        .map(|f| f.subject)
                        .unwrap_or_default(),
                },
                None => IssuerEvidence::NotIssuedBy { file },
            }
        }
    };
    let check = VeroCheck {
        issuer_evidence,
        facts: &loaded.facts,
        key: &loaded.key,
        environment: args.environment,
        customer_id: args.customer.customer_id.as_deref(),
        id_attribute,
        id_attribute_given: given,
        at,
        profile: &VERO,
    };
    let mut report = Report::new("vero cert", interface, at);
    report
        .subjects
        .push(check.subject(&args.cert.display().to_string()));
    Ok(report)
}

/// The attribute holding the customer ID, and whether the user chose it.
pub fn id_attribute(c: &CustomerArgs) -> (crate::profile::vero::IdAttribute, bool) {
    match c.id_attribute {
        Some(a) => (a, true),
        None => (VERO.customer_id_attribute.value, false),
    }
}

/// Run a `vero` subcommand; returns the exit code.
pub fn run(
    cmd: &crate::cli::vero::VeroCommand,
    g: &crate::cli::RunOptions,
) -> Result<u8, CommandError> {
    use crate::cli::vero::VeroCommand;
    let at = crate::commands::check_time(g);
    match cmd {
        VeroCommand::Cert(args) => {
            let report = cert(args, g.interface, at)?;
            crate::commands::emit_report(&report, g)
        }
        VeroCommand::New(args) => {
            let report = new::run(args, g.interface, g.at)?;
            crate::commands::emit_report(&report, g)
        }
        VeroCommand::Renew(args) => {
            let report = renew::run(args, g.interface, g.at)?;
            crate::commands::emit_report(&report, g)
        }
        VeroCommand::ServePki(args) => serve::run(args),
    }
}
