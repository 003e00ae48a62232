//! `tilicheck demo`: a DEMO PKI made on the spot, and the checks run on it. Needs no
//! configuration and no network.

use std::path::PathBuf;

use time::OffsetDateTime;

use crate::checks::cert::CertCheck;
use crate::checks::identity::{ExpectedIds, Purpose};
use crate::cli::DemoArgs;
use crate::commands::CommandError;
use crate::commands::cert::LoadedCert;
use crate::findings::Report;
use crate::identity::BusinessId;
use crate::pki::demo::{self, DemoOptions};
use crate::profile::Interface;
use crate::secret::PasswordSource;

pub fn run(
    args: &DemoArgs,
    interface: Interface,
    at: OffsetDateTime,
) -> Result<Report, CommandError> {
    let input_err = |e: &dyn std::fmt::Display| CommandError::Input(e.to_string());
    // The demo certificates start a day before the check time, so `--at` moves them along.
    let pki = demo::generate(&DemoOptions::starting(at)).map_err(|e| input_err(&e))?;
    let tmp;
    let dir: PathBuf = match &args.keep {
        Some(dir) => dir.clone(),
        None => {
            tmp = tempfile::tempdir().map_err(|e| input_err(&e))?;
            tmp.path().to_path_buf()
        }
    };
    pki.write_to(&dir).map_err(|e| input_err(&e))?;
    let supplier: BusinessId = demo::DEMO_SUPPLIER_ID
        .parse()
        .map_err(|e| CommandError::Input(format!("demo supplier ID: {e}")))?;
    let expected = ExpectedIds {
        supplier: Some(supplier),
        service_centre: None,
    };

    let mut report = Report::new("demo", interface, at);
    for (file, key, purpose) in [
        ("supplier.pem", "supplier.key", Purpose::Both),
        ("qwac.pem", "qwac.key", Purpose::Tls),
    ] {
        let loaded =
            LoadedCert::load(&dir.join(file), Some(&dir.join(key)), &PasswordSource::None)?;
        let check = CertCheck {
            facts: &loaded.facts,
            key: &loaded.key,
            purpose,
            expected,
            at,
            profile: interface.profile(),
        };
        report.subjects.push(check.subject(&format!("DEMO {file}")));
    }
    if args.keep.is_some() {
        eprintln!("DEMO PKI kept in {}", dir.display());
    }
    Ok(report)
}
