//! `tilicheck vero …`: the Vero API certificate.

pub mod new;
pub mod renew;
pub mod serve;

use time::OffsetDateTime;

use crate::checks::vero::VeroCheck;
use crate::commands::CommandError;
use crate::commands::cert::LoadedCert;
use crate::findings::Report;
use crate::profile::{Interface, VERO};
use crate::vero::args::{CustomerArgs, VeroCertArgs};

/// `vero cert`: load the certificate (and key) and judge it against the Vero profile.
pub fn cert(
    args: &VeroCertArgs,
    interface: Interface,
    at: OffsetDateTime,
) -> Result<Report, CommandError> {
    let loaded = LoadedCert::load(&args.cert, args.key.as_deref(), &args.password.source())?;
    let (id_attribute, given) = id_attribute(&args.customer);
    let check = VeroCheck {
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
    cmd: &crate::vero::args::VeroCommand,
    g: &crate::cli::GlobalArgs,
) -> Result<u8, CommandError> {
    use crate::vero::args::VeroCommand;
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
