//! `tilicheck demo`: a DEMO PKI made on the spot, and the checks run on it. Needs no
//! configuration and no network.

use std::path::PathBuf;

use time::OffsetDateTime;

use crate::checks::cert::CertCheck;
use crate::checks::chain::Expect;
use crate::checks::identity::{ExpectedIds, Purpose};
use crate::cli::DemoArgs;
use crate::commands::CommandError;
use crate::commands::cert::LoadedCert;
use crate::commands::trust::{TrustContext, chain_and_revocation_findings};
use crate::findings::Report;
use crate::identity::BusinessId;
use crate::pki::chain::Usage;
use crate::pki::demo::{self, DemoOptions};
use crate::pki::load;
use crate::pki::trust::{self, TrustStore};
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

    // The DEMO root stands in for DVV's (as `--trust root-ca.pem` would); revocation is
    // skipped as with `--offline`: the demo certificates name no CRL or OCSP server.
    let anchors = trust::read_anchors(&dir.join("root-ca.pem"))
        .map_err(|e| CommandError::Input(e.to_string()))?;
    let ctx = TrustContext::offline_with(
        TrustStore {
            anchors,
            intermediates: Vec::new(),
        },
        at,
    );
    let mut report = Report::new("demo", interface, at);
    for (file, key, purpose, ca) in [
        (
            "supplier.pem",
            "supplier.key",
            Purpose::Both,
            "service-ca.pem",
        ),
        ("qwac.pem", "qwac.key", Purpose::Tls, "qwac-ca.pem"),
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
        let mut subject = check.subject(&format!("DEMO {file}"));
        let chain = load::read_certificates(&dir.join(ca), &PasswordSource::None)
            .map_err(|e| CommandError::Input(e.to_string()))?
            .certificates;
        let (path_lines, findings) = chain_and_revocation_findings(
            &loaded.der,
            &chain,
            &loaded.facts,
            Expect::DvvOrQwac,
            Usage::Any,
            &ctx,
            interface.profile(),
        );
        subject.summary.extend(path_lines);
        subject.findings.extend(findings);
        report.subjects.push(subject);
    }
    if args.keep.is_some() {
        eprintln!("DEMO PKI kept in {}", dir.display());
    }
    Ok(report)
}
