//! `tilicheck demo`: a DEMO PKI made on the spot, a simulated register on loopback, and the
//! readiness checks run against it: the certificates, the TLS endpoint (with REG-CERT) and a
//! signed send of the minimal valid message. Needs no configuration and no outside network.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use time::OffsetDateTime;

use crate::checks::identity::{ExpectedIds, Purpose};
use crate::checks::trust::TrustContext;
use crate::cli::{DemoArgs, NetArgs};
use crate::commands::CommandError;
use crate::commands::cert::{LoadedCert, judged_subject};
use crate::commands::readiness::{Inputs, endpoint_and_send};
use crate::findings::Report;
use crate::identity::BusinessId;
use crate::pki::demo::{self, DemoOptions};
use crate::pki::load;
use crate::pki::trust::{self, TrustStore};
use crate::profile::Interface;
use crate::secret::PasswordSource;
use crate::simulator::faults::Faults;
use crate::simulator::setup::{self, Choices};
use crate::simulator::tls::KeyExchange;
use crate::simulator::{Config, Limits, SequentialPolicy, Simulator};

pub fn run(
    args: &DemoArgs,
    interface: Interface,
    at: OffsetDateTime,
) -> Result<Report, CommandError> {
    let input_err = |e: &dyn std::fmt::Display| CommandError::Input(e.to_string());
    // The demo certificates start a day before the check time, so `--at` moves them along.
    let options = DemoOptions::starting(at);
    let making = super::progress::step("making the DEMO PKI");
    let (pki, note) = match demo_key_cache().filter(|_| !args.fresh_keys) {
        Some(key_dir) => {
            let (pki, origin) =
                demo::generate_with_cached_keys(&options, &key_dir).map_err(|e| input_err(&e))?;
            let note = match origin {
                demo::KeyOrigin::Cached => format!(
                    "DEMO keys reused from {} (made by an earlier run; --fresh-keys makes new ones)",
                    key_dir.display()
                ),
                demo::KeyOrigin::Generated => format!(
                    "DEMO keys generated and cached in {} for the next run",
                    key_dir.display()
                ),
            };
            (pki, Some(note))
        }
        None => (demo::generate(&options).map_err(|e| input_err(&e))?, None),
    };
    drop(making);
    if let Some(note) = note {
        eprintln!("{note}");
    }
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
        let chain = load::read_certificates(&dir.join(ca), &PasswordSource::None)
            .map_err(|e| CommandError::Input(e.to_string()))?
            .certificates;
        let subject = judged_subject(
            &loaded,
            &chain,
            &format!("DEMO {file}"),
            purpose,
            expected,
            &ctx,
            interface.profile(),
            Vec::new(),
        );
        report.subjects.push(subject);
    }
    round_trip(&dir, &ctx, supplier, interface, at, &mut report)?;
    if args.keep.is_some() {
        eprintln!("DEMO PKI kept in {}", dir.display());
    }
    Ok(report)
}

/// Where `demo` keeps its DEMO keys between runs: `$XDG_CACHE_HOME/tilicheck/demo-keys` (or
/// the platform's cache directory). None when the platform has none: keys are then made fresh.
fn demo_key_cache() -> Option<PathBuf> {
    crate::user_dirs::cache_dir().map(|d| d.join("demo-keys"))
}

/// Start the simulator with the DEMO PKI, check its endpoint with `tls`, send the minimal
/// message signed with the supplier certificate, and stop the simulator.
fn round_trip(
    dir: &Path,
    ctx: &TrustContext,
    supplier: BusinessId,
    interface: Interface,
    at: OffsetDateTime,
    report: &mut Report,
) -> Result<(), CommandError> {
    let input_err = |e: &dyn std::fmt::Display| CommandError::Input(format!("demo: {e}"));
    let data = tempfile::tempdir().map_err(|e| input_err(&e))?;
    let suppliers = [
        dir.join("supplier.pem"),
        dir.join("supplier-vat.pem"),
        dir.join("qwac.pem"),
    ];
    let material = setup::material(&Choices {
        data_dir: data.path(),
        cert: Some(&dir.join("register-chain.pem")),
        key: Some(&dir.join("register.key")),
        trust: Some(&dir.join("root-ca.pem")),
        suppliers: &suppliers,
        service_centres: demo::DEMO_SERVICE_CENTRE_ID.parse().into_iter().collect(),
        password: PasswordSource::None,
        now: at,
    })
    .map_err(|e| input_err(&e))?;
    let running = Simulator::start(Config {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        allow_remote: false,
        inspect: None,
        data_dir: data.path().to_path_buf(),
        interface,
        server_chain: material.server_chain,
        server_key: material.server_key,
        trust: material.trust,
        // A register that reads §3.2 literally: finite-field DHE only.
        key_exchange: KeyExchange::Dhe,
        registry: material.registry,
        judge: setup::default_judge(),
        faults: Faults::default(),
        sequential: SequentialPolicy::Reject,
        content: Default::default(),
        limits: Limits::default(),
        verbose: false,
        retain_days: None,
    })
    .map_err(|e| input_err(&e))?;
    let anchors = trust::read_anchors(&dir.join("root-ca.pem"))
        .map_err(|e| CommandError::Input(e.to_string()))?;
    let inputs = Inputs {
        // The supplier certificate (with its intermediate) is both TLS and signing certificate.
        tls_cert: &dir.join("supplier-chain.pem"),
        tls_key: &dir.join("supplier.key"),
        signing_cert: &dir.join("supplier-chain.pem"),
        signing_key: &dir.join("supplier.key"),
        password: PasswordSource::None,
        supplier,
        host: "127.0.0.1".into(),
        port: running.addr.port(),
        // The register's certificate names localhost; SNI says so, as a real client would.
        sni: Some("localhost".into()),
        net: NetArgs {
            connect_timeout: Duration::from_secs(3),
            read_timeout: Duration::from_secs(5),
        },
        ctx,
        handshake_trust: anchors.iter().map(|a| a.der.clone()).collect(),
        message: None,
        category: None,
    };
    let result = endpoint_and_send(&inputs, interface, at, report);
    running.shutdown();
    result
}
