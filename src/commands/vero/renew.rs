//! `vero renew`: a new key and request, RenewCertificate signed with the current
//! certificate's key, then the same fetch-and-check as `vero new`.

use time::OffsetDateTime;

use crate::cli::vero::VeroRenewArgs;
use crate::commands::CommandError;
use crate::findings::{Finding, Report, Subject};
use crate::pki::facts::{self, CertificateFacts};
use crate::pki::load;
use crate::profile::vero::IdAttribute;
use crate::profile::{Interface, RuleId, VERO};
use crate::time_arg::format_date;
use crate::vero::dsig::SigningKey;
use crate::vero::journal::{self, Operation, Step};
use crate::vero::soap::Customer;

use super::new::{FetchError, check_result, client, resume_state, start};

fn input(m: impl Into<String>) -> CommandError {
    CommandError::Input(m.into())
}

pub fn run(
    args: &VeroRenewArgs,
    interface: Interface,
    given_at: Option<OffsetDateTime>,
) -> Result<Report, CommandError> {
    // Without --at, the result is judged when it arrives: a certificate issued a moment ago
    // must not look "not yet valid" against the time the run started.
    let at = given_at.unwrap_or_else(OffsetDateTime::now_utc);
    let dir = &args.out_dir;
    let password = args.password.source();
    let file = load::read_certificates(&args.cert, &password).map_err(|e| input(e.to_string()))?;
    let cert_der = file
        .certificates
        .first()
        .ok_or_else(|| input(format!("{}: holds no certificate", args.cert.display())))?
        .to_vec();
    let current = CertificateFacts::from_der(&cert_der)
        .map_err(|e| input(format!("{}: {e}", args.cert.display())))?;
    let key = load::read_private_key(&args.key, &password).map_err(|e| input(e.to_string()))?;
    if facts::public_key_of(&key.der).ok().as_deref() != Some(current.public_key_raw.as_slice()) {
        return Err(CommandError::Usage(format!(
            "{} is not the private key of {}: the renewal must be signed with the certificate's own key",
            args.key.display(),
            args.cert.display()
        )));
    }
    let signing_key = SigningKey::from_der(&key.der)
        .map_err(|e| input(format!("{}: {e}", args.key.display())))?;
    let attribute = args
        .id_attribute
        .unwrap_or(VERO.customer_id_attribute.value);
    let customer_id = match &args.customer_id {
        Some(id) => id.clone(),
        None => customer_id_of(&current, attribute).ok_or_else(|| {
            CommandError::Usage(format!(
                "{}: the subject has no {}; give --customer-id",
                args.cert.display(),
                attribute.as_str()
            ))
        })?,
    };

    let mut report = Report::new("vero renew", interface, at);
    let refusal = if args.resume {
        None
    } else {
        window_refusal(&current, at)
    };
    if let Some(refusal) = refusal {
        let mut s = Subject::new(
            "current Vero API certificate",
            args.cert.display().to_string(),
        );
        s.findings.push(refusal);
        report.subjects.push(s);
        return Ok(report);
    }
    let client = client(&args.service)?;
    let (mut journal, csr_der) = if args.resume {
        resume_state(
            dir,
            Operation::Renew,
            &customer_id,
            args.service.environment,
        )?
    } else {
        start(
            dir,
            Operation::Renew,
            &customer_id,
            args.customer_name.as_deref(),
            &args.service,
        )?
    };
    // Owned copies: the journal is updated while the customer is in use.
    let (customer_id, customer_name) = (journal.customer_id.clone(), journal.customer_name.clone());
    let customer = Customer {
        environment: journal.environment,
        id: &customer_id,
        name: customer_name.as_deref(),
    };
    let kept = |e: String| {
        input(format!(
            "{e}. The new key is kept in {}; fix the cause and run again with --resume",
            dir.join(journal::KEY_FILE).display()
        ))
    };
    if journal.step == Step::KeyWritten {
        if args.resume {
            // Unlike a transfer ID, a renewal is not single-use: say what re-sending means.
            eprintln!(
                "the earlier RenewCertificate got no answer; it may have reached the service, in which case sending it again makes a second certificate (an organisation may hold several)"
            );
        }
        eprintln!(
            "sending the renewal to {} (RenewCertificate)",
            client.url.host
        );
        let sent = client.renew(&customer, &csr_der, &signing_key, &cert_der);
        let id = super::new::keep_retrieval_id(sent, &mut journal, dir)?;
        journal.retrieval_id = Some(id);
        journal.step = Step::Requested;
        journal.save(dir).map_err(|e| input(e.to_string()))?;
    }
    if journal.step == Step::Requested {
        super::new::fetch(&client, &customer, &journal, dir, &args.service).map_err(
            |e| match e {
                FetchError::Service(e) => kept(e.to_string()),
                FetchError::Other(e) => e,
            },
        )?;
        journal.step = Step::Done;
        journal.save(dir).map_err(|e| input(e.to_string()))?;
    }
    let at = given_at.unwrap_or_else(OffsetDateTime::now_utc);
    report.checked_at = at;
    let mut subject = check_result(dir, &journal, args.id_attribute, at)?;
    subject
        .findings
        .push(super::new::signature_finding(&client));
    report.subjects.push(subject);
    Ok(report)
}

fn customer_id_of(f: &CertificateFacts, attribute: IdAttribute) -> Option<String> {
    match attribute {
        IdAttribute::Cn => f.common_names.first(),
        IdAttribute::SerialNumber => f.subject_serial_numbers.first(),
        IdAttribute::OrganizationIdentifier => f.organization_identifiers.first(),
    }
    .cloned()
}

/// VERO-RENEWAL as a refusal: the service renews only in the last days of a valid
/// certificate, so asking earlier or later would only spend a request.
fn window_refusal(current: &CertificateFacts, at: OffsetDateTime) -> Option<Finding> {
    let window = VERO.renewal_window_days.value;
    let opens = current.not_after - time::Duration::days(window);
    if at > current.not_after {
        return Some(
            Finding::fail(
                RuleId::VeroRenewal,
                format!(
                    "expired on {}: an expired certificate cannot be renewed; nothing was sent",
                    format_date(current.not_after)
                ),
            )
            .with_remedy("Apply for a new certificate in the Incomes Register e-service and retrieve it with tilicheck vero new."),
        );
    }
    if at < opens {
        return Some(
            Finding::fail(
                RuleId::VeroRenewal,
                format!(
                    "renewal opens on {} ({window} days before expiry on {}); nothing was sent",
                    format_date(opens),
                    format_date(current.not_after)
                ),
            )
            .with_remedy("Run tilicheck vero renew again once the renewal window has opened."),
        );
    }
    None
}
