//! `vero new`: transfer ID + one-time password → key, request, certificate, in that order,
//! with a journal so that nothing is lost or asked for twice.

use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::atomic_file::{Access, Existing};
use crate::checks::cert::KeyEvidence;
use crate::checks::vero::{VeroCheck, check_transfer_id};
use crate::cli::vero::{ServiceArgs, TransferArgs, VeroNewArgs};
use crate::commands::CommandError;
use crate::findings::{Finding, Report, Status, Subject};
use crate::pki::facts::CertificateFacts;
use crate::pki::load;
use crate::pki::load::pem::ToPem;
use crate::profile::vero::Environment;
use crate::profile::{Interface, RuleId, VERO};
use crate::secret::{Password, PasswordSource};
use crate::vero::client::{Polling, ServiceClient, ServiceError};
use crate::vero::journal::{self, Journal, Operation, Step};
use crate::vero::soap::Customer;
use crate::vero::{https, request};

fn input(m: impl Into<String>) -> CommandError {
    CommandError::Input(m.into())
}

pub fn run(
    args: &VeroNewArgs,
    interface: Interface,
    given_at: Option<OffsetDateTime>,
) -> Result<Report, CommandError> {
    // Without --at, the result is judged when it arrives: a certificate issued a moment ago
    // must not look "not yet valid" against the time the run started.
    let at = given_at.unwrap_or_else(OffsetDateTime::now_utc);
    let dir = &args.out_dir;
    let transfer_finding = check_transfer_id(args.email_date, at, &VERO);
    let mut report = Report::new("vero new", interface, at);
    if transfer_finding.status == Status::Fail && !args.resume {
        // Expired IDs cannot work: say so before making a key for nothing.
        let mut s = Subject::new("transfer ID", "--email-date");
        s.findings.push(transfer_finding);
        report.subjects.push(s);
        return Ok(report);
    }
    let client = client(&args.service)?;
    // The secrets first: a missing password must not leave a key behind.
    let mut secrets = if args.resume {
        None
    } else {
        Some((
            secret(&args.transfer, true)?,
            secret(&args.transfer, false)?,
        ))
    };
    let (journal, csr_der) = if args.resume {
        resume_state(
            dir,
            Operation::New,
            &args.customer_id,
            args.service.environment,
        )?
    } else {
        start(
            dir,
            Operation::New,
            &args.customer_id,
            args.customer_name.as_deref(),
            &args.service,
        )?
    };
    let mut journal = journal;
    // Owned copies: the journal is updated while the customer is in use.
    let (customer_id, customer_name) = (journal.customer_id.clone(), journal.customer_name.clone());
    let customer = Customer {
        environment: journal.environment,
        id: &customer_id,
        name: customer_name.as_deref(),
    };
    let kept = |e: ServiceError| {
        input(format!(
            "{e}. The key is kept in {}; the journal {} records the progress",
            dir.join(journal::KEY_FILE).display(),
            journal::path(dir).display()
        ))
    };
    if journal.step == Step::KeyWritten {
        let (transfer_id, password) = match secrets.take() {
            Some(s) => s,
            None => (
                secret(&args.transfer, true)?,
                secret(&args.transfer, false)?,
            ),
        };
        eprintln!(
            "sending the request to {} (SignNewCertificate)",
            client.url.host
        );
        let sent = client.sign_new(&customer, transfer_id.expose(), password.expose(), &csr_der);
        let id = keep_retrieval_id(sent, &mut journal, dir)?;
        journal.retrieval_id = Some(id);
        journal.step = Step::Requested;
        journal.save(dir).map_err(|e| input(e.to_string()))?;
    }
    if journal.step == Step::Requested {
        fetch(&client, &customer, &journal, dir, &args.service).map_err(|e| match e {
            FetchError::Service(e) => kept(e),
            FetchError::Other(e) => e,
        })?;
        journal.step = Step::Done;
        journal.save(dir).map_err(|e| input(e.to_string()))?;
    }
    let at = given_at.unwrap_or_else(OffsetDateTime::now_utc);
    report.checked_at = at;
    let mut subject = check_result(dir, &journal, args.id_attribute, at)?;
    subject.findings.insert(0, transfer_finding);
    subject.findings.push(signature_finding(&client));
    report.subjects.push(subject);
    Ok(report)
}

/// A fresh run: refuse to touch an earlier one, then write the key, the request and the
/// journal before anything is sent.
pub(super) fn start(
    dir: &Path,
    operation: Operation,
    customer_id: &str,
    customer_name: Option<&str>,
    service: &ServiceArgs,
) -> Result<(Journal, Vec<u8>), CommandError> {
    let earlier = [journal::JOURNAL_FILE, journal::KEY_FILE, journal::CERT_FILE];
    if earlier.iter().any(|f| dir.join(f).exists()) {
        return Err(CommandError::Usage(format!(
            "{}: holds an earlier run (journal, key or certificate); continue it with --resume, or use another --out-dir",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| input(format!("{}: cannot create: {e}", dir.display())))?;
    let req = request::make(customer_id, customer_name, &VERO).map_err(|e| input(e.to_string()))?;
    let key_path = dir.join(journal::KEY_FILE);
    let key_pem = Zeroizing::new(req.key.to_pem());
    crate::atomic_file::write(
        &key_path,
        key_pem.as_bytes(),
        Access::OwnerOnly,
        Existing::Keep,
    )
    .map_err(|e| input(format!("{}: cannot write the key: {e}", key_path.display())))?;
    let csr_path = dir.join(journal::CSR_FILE);
    crate::atomic_file::replace(
        &csr_path,
        pem("CERTIFICATE REQUEST", &req.csr_der).as_bytes(),
    )
    .map_err(|e| {
        input(format!(
            "{}: cannot write the request: {e}",
            csr_path.display()
        ))
    })?;
    let journal = Journal {
        operation,
        environment: service.environment,
        customer_id: customer_id.to_owned(),
        customer_name: customer_name.map(str::to_owned),
        service_url: service_url(service),
        step: Step::KeyWritten,
        retrieval_id: None,
    };
    journal.save(dir).map_err(|e| input(e.to_string()))?;
    Ok((journal, req.csr_der))
}

/// An earlier run's journal and request, checked against this run's arguments.
pub(super) fn resume_state(
    dir: &Path,
    op: Operation,
    customer_id: &str,
    environment: Environment,
) -> Result<(Journal, Vec<u8>), CommandError> {
    let journal = Journal::load(dir).map_err(|e| input(format!("{e}; nothing to resume")))?;
    if journal.operation != op
        || journal.customer_id != customer_id
        || journal.environment != environment
    {
        return Err(CommandError::Usage(format!(
            "{}: the journal is for {:?} of {} ({}), not this run's; give the same arguments as the first run",
            journal::path(dir).display(),
            journal.operation,
            journal.customer_id,
            journal.environment.as_str()
        )));
    }
    let csr_path = dir.join(journal::CSR_FILE);
    let csr_pem = std::fs::read(&csr_path).map_err(|e| {
        input(format!(
            "{}: cannot read the request: {e}",
            csr_path.display()
        ))
    })?;
    let csr_der = crate::pki::csr::CsrFacts::parse(&csr_pem)
        .map_err(|e| input(format!("{}: {e}", csr_path.display())))
        .and_then(|_| {
            use rustls_pki_types::pem::PemObject;
            rustls_pki_types::CertificateSigningRequestDer::from_pem_slice(&csr_pem)
                .map(|d| d.as_ref().to_vec())
                .map_err(|e| input(format!("{}: {e}", csr_path.display())))
        })?;
    Ok((journal, csr_der))
}

pub(super) fn client(s: &ServiceArgs) -> Result<ServiceClient<'static>, CommandError> {
    let extra = match &s.ca {
        Some(path) => load::read_certificates(path, &PasswordSource::None)
            .map_err(|e| input(e.to_string()))?
            .certificates
            .into_iter()
            .map(|c| c.into_owned())
            .collect(),
        None => Vec::new(),
    };
    let roots = https::roots(&extra).map_err(|e| input(e.to_string()))?;
    let service_cas = match &s.service_ca {
        Some(path) => load::read_certificates(path, &PasswordSource::None)
            .map_err(|e| input(e.to_string()))?
            .certificates
            .iter()
            .map(|c| c.to_vec())
            .collect(),
        None => Vec::new(),
    };
    Ok(ServiceClient::new(&service_url(s), roots, &VERO)
        .map_err(|e| CommandError::Usage(e.to_string()))?
        .with_service_cas(service_cas))
}

pub(super) fn service_url(s: &ServiceArgs) -> String {
    s.service_url
        .clone()
        .unwrap_or_else(|| VERO.service_url(s.environment).to_owned())
}

fn secret(t: &TransferArgs, id: bool) -> Result<Password, CommandError> {
    let (env, file, what, flag) = if id {
        (
            &t.transfer_id_env,
            &t.transfer_id_file,
            "transfer ID",
            "--transfer-id-env VAR or --transfer-id-file FILE",
        )
    } else {
        (
            &t.transfer_password_env,
            &t.transfer_password_file,
            "transfer password",
            "--transfer-password-env VAR or --transfer-password-file FILE",
        )
    };
    let source = match (env, file) {
        (Some(v), _) => PasswordSource::Env(v.clone()),
        (None, Some(f)) => PasswordSource::File(f.clone()),
        (None, None) if !id => PasswordSource::None,
        (None, None) => {
            return Err(CommandError::Usage(format!(
                "the {what} is needed: give it with {flag}"
            )));
        }
    };
    source.resolve(what).map_err(|e| match e {
        crate::secret::SecretError::NotConfigured => CommandError::Usage(format!(
            "the {what} is needed: give it with {flag} (or run on a terminal to be asked)"
        )),
        other => input(format!("{what}: {other}")),
    })
}

/// The retrieval ID of a request's answer, journalled; on an error, a retrieval ID the
/// refused answer still carried is journalled too, so `--resume` polls instead of asking
/// for a second certificate.
pub(super) fn keep_retrieval_id(
    sent: Result<String, ServiceError>,
    journal: &mut Journal,
    dir: &Path,
) -> Result<String, CommandError> {
    let key = dir.join(journal::KEY_FILE);
    match sent {
        Ok(id) => Ok(id),
        Err(e) => {
            if let Some(id) = e.retrieval_id() {
                journal.retrieval_id = Some(id.to_owned());
                journal.step = Step::Requested;
                journal.save(dir).map_err(|j| input(j.to_string()))?;
            }
            Err(input(format!(
                "{e}. The key is kept in {}; fix the cause and run again with --resume",
                key.display()
            )))
        }
    }
}

/// VERO-RESPONSE-SIGNATURE: a run that got here had every answer's signature checked, if
/// checking was asked for (a bad one stops the run with an error).
pub(super) fn signature_finding(client: &ServiceClient<'_>) -> Finding {
    let rule = RuleId::VeroResponseSignature;
    let finding = match client.signature_checked() {
        None => Finding::skip(
            rule,
            "the answers' XML signatures were not checked: give --service-ca FILE",
        ),
        Some(Some(signer)) => Finding::pass(
            rule,
            format!("every answer in this run carried a valid signature by \"{signer}\""),
        ),
        Some(None) => Finding::skip(
            rule,
            "no answer came in this run (the certificate had already been fetched)",
        ),
    };
    finding.with_assumption(VERO.response_signature.assumption())
}

pub(super) enum FetchError {
    Service(ServiceError),
    Other(CommandError),
}

/// Poll for the certificate, check it is for our key, and write it (never over a file).
pub(super) fn fetch(
    client: &ServiceClient<'_>,
    customer: &Customer<'_>,
    journal: &Journal,
    dir: &Path,
    s: &ServiceArgs,
) -> Result<(), FetchError> {
    let other = FetchError::Other;
    let retrieval = journal
        .retrieval_id
        .as_deref()
        .ok_or_else(|| other(input("the journal has no retrieval ID")))?;
    let first = s
        .poll_interval
        .unwrap_or(VERO.first_poll_seconds.value as f64);
    if !(0.0..=3600.0).contains(&first) {
        return Err(other(CommandError::Usage(
            "--poll-interval must be 0–3600 seconds".into(),
        )));
    }
    let polling = Polling {
        first: Duration::from_secs_f64(first),
        max_wait: Duration::from_secs(300),
        max_polls: s.max_polls.max(1),
    };
    let der = client
        .poll(customer, retrieval, polling, |n, wait| {
            eprintln!("GetCertificate #{n} in {:.1} s", wait.as_secs_f64());
        })
        .map_err(FetchError::Service)?;
    let facts = CertificateFacts::from_der(&der).map_err(|e| {
        other(input(format!(
            "the certificate in the answer is unreadable ({e}); nothing was written, the key is kept"
        )))
    })?;
    let key = read_key_public(dir).map_err(other)?;
    if key != facts.public_key_raw {
        return Err(other(input(format!(
            "the certificate in the answer ({}) is not for the key in {}; nothing was written, the key is kept",
            facts.subject,
            dir.join(journal::KEY_FILE).display()
        ))));
    }
    let cert_path = dir.join(journal::CERT_FILE);
    crate::atomic_file::write(
        &cert_path,
        pem("CERTIFICATE", &der).as_bytes(),
        Access::Public,
        Existing::Keep,
    )
    .map_err(|e| {
        other(input(format!(
            "{}: cannot write the certificate: {e}",
            cert_path.display()
        )))
    })?;
    eprintln!("wrote the certificate to {}", cert_path.display());
    Ok(())
}

fn read_key_public(dir: &Path) -> Result<Vec<u8>, CommandError> {
    let path = dir.join(journal::KEY_FILE);
    let k =
        load::read_private_key(&path, &PasswordSource::None).map_err(|e| input(e.to_string()))?;
    crate::pki::facts::public_key_of(&k.der).map_err(|e| input(format!("{}: {e}", path.display())))
}

/// Check the certificate now on disk against the profile.
pub(super) fn check_result(
    dir: &Path,
    journal: &Journal,
    id_attribute: Option<crate::profile::vero::IdAttribute>,
    at: OffsetDateTime,
) -> Result<Subject, CommandError> {
    let cert_path: PathBuf = dir.join(journal::CERT_FILE);
    let key_path = dir.join(journal::KEY_FILE);
    let loaded =
        super::super::cert::LoadedCert::load(&cert_path, Some(&key_path), &PasswordSource::None)?;
    let key: &KeyEvidence = &loaded.key;
    let check = VeroCheck {
        issuer_evidence: crate::checks::vero::IssuerEvidence::NameOnly,
        facts: &loaded.facts,
        key,
        environment: journal.environment,
        customer_id: Some(&journal.customer_id),
        id_attribute: id_attribute.unwrap_or(VERO.customer_id_attribute.value),
        id_attribute_given: id_attribute.is_some(),
        at,
        profile: &VERO,
    };
    Ok(check.subject(&cert_path.display().to_string()))
}

pub(super) fn pem(label: &str, der: &[u8]) -> String {
    crate::pki::load::pem::encode(label, der)
}
