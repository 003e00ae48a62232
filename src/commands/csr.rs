//! `tilicheck csr`: a new key and request with the subject the register's rules need, or
//! `--check` of an existing request.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::atomic_file::{Access, Existing};
use crate::checks::csr::csr_subject;
use crate::checks::identity::ExpectedIds;
use crate::cli::{CsrArgs, CsrKeyType, IdForm};
use crate::commands::CommandError;
use crate::findings::Report;
use crate::pki::csr::{CsrFacts, CsrKey, CsrSubject, RsaBits, make_request};
use crate::pki::load::MAX_INPUT_BYTES;
use crate::pki::load::pem::ToPem;
use crate::profile::Interface;

/// What `csr` did: a report for `--check`, or the files it wrote.
pub enum CsrOutcome {
    Checked(Report),
    Written { key: PathBuf, csr: PathBuf },
}

pub fn run(
    args: &CsrArgs,
    interface: Interface,
    at: OffsetDateTime,
) -> Result<CsrOutcome, CommandError> {
    let profile = interface.profile();
    if let Some(path) = &args.check {
        let facts = read_request(path)?;
        let mut report = Report::new("csr", interface, at);
        let expected = ExpectedIds {
            supplier: args.business_id,
            service_centre: None,
        };
        report.subjects.push(csr_subject(
            &facts,
            &path.display().to_string(),
            expected,
            profile,
        ));
        return Ok(CsrOutcome::Checked(report));
    }

    let usage = |m: &str| CommandError::Usage(m.to_owned());
    let id = args
        .business_id
        .ok_or_else(|| usage("--business-id is required to make a request"))?;
    let dns = args
        .dns
        .clone()
        .ok_or_else(|| usage("--dns is required to make a request"))?;
    let key = match args.key_type {
        CsrKeyType::P384 => CsrKey::P384,
        CsrKeyType::Rsa => {
            let bits = args.rsa_bits.unwrap_or(profile.csr_rsa_bits.value);
            if bits < profile.min_rsa_bits.value {
                return Err(CommandError::Usage(format!(
                    "--rsa-bits {bits} is below the register's minimum of {} bits",
                    profile.min_rsa_bits.value
                )));
            }
            CsrKey::Rsa(
                RsaBits::from_bits(bits).ok_or_else(|| usage("--rsa-bits must be 3072 or 4096"))?,
            )
        }
    };
    let serial_number = match args.id_form {
        IdForm::BusinessId => id.business_id_form(),
        IdForm::Vat => id.vat_form(),
    };
    let key_out = args
        .key_out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{dns}.key")));
    let csr_out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{dns}.csr")));
    for path in [&key_out, &csr_out] {
        if path.exists() && !args.force {
            return Err(CommandError::Usage(format!(
                "{}: already exists; use --force to overwrite it",
                path.display()
            )));
        }
    }

    let subject = CsrSubject {
        serial_number,
        dns_name: dns,
        organization: args.org.clone(),
    };
    let making = super::progress::step("generating the key");
    let request = make_request(&subject, key).map_err(|e| CommandError::Input(e.to_string()))?;
    drop(making);
    // The key first: a request without its key is worthless, a key without a request is not.
    let key_pem = Zeroizing::new(request.key.to_pem());
    crate::atomic_file::write(
        &key_out,
        key_pem.as_bytes(),
        Access::OwnerOnly,
        if args.force {
            Existing::Replace
        } else {
            Existing::Keep
        },
    )
    .map_err(|e| {
        CommandError::Input(format!("{}: cannot write the key: {e}", key_out.display()))
    })?;
    crate::atomic_file::replace(&csr_out, request.csr_pem.as_bytes()).map_err(|e| {
        CommandError::Input(format!(
            "{}: cannot write the request: {e}",
            csr_out.display()
        ))
    })?;
    Ok(CsrOutcome::Written {
        key: key_out,
        csr: csr_out,
    })
}

fn read_request(path: &Path) -> Result<CsrFacts, CommandError> {
    let input = |m: String| CommandError::Input(format!("{}: {m}", path.display()));
    let bytes = crate::input_file::read_regular(path, MAX_INPUT_BYTES).map_err(|e| match e {
        crate::input_file::ReadError::TooLarge { .. } => {
            input("is larger than any certificate request".into())
        }
        e => input(e.to_string()),
    })?;
    if bytes.is_empty() {
        return Err(input("is empty".into()));
    }
    CsrFacts::parse(&bytes).map_err(|e| input(e.to_string()))
}
