//! JSON messages, SOAP answers and trusted lists, mutated: in-process, plus a few `message
//! validate` runs of the binary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;

use super::{config, mutated, within};
use crate::support::{AT, fixture, output_text, tilicheck};

const GUARD: Duration = Duration::from_secs(20);

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-data/tilirekisteri/v3/examples/report-update-v3-other.json")
}

fn soap_seed() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/vero/response-template.xml"))
        .unwrap()
}

/// A DEMO list naming the DEMO QWAC CA, signed (ECDSA P-256) by the committed generator: a
/// mutant exercises the reader and the signature check.
fn trusted_list_seed() -> Vec<u8> {
    use tilicheck::pki::demo::trusted_lists::{
        KeyKind, ServiceSpec, SignSpec, Signer, sign_list, write_list,
    };
    let pem = std::fs::read(fixture("qwac-ca.pem")).unwrap();
    let ca = tilicheck::pki::load::parse_certificates("ca", &pem, &Default::default())
        .unwrap()
        .certificates[0]
        .to_vec();
    let from = time::macros::datetime!(2025-01-01 0:00 UTC);
    let signer = Signer::generate(
        "DEMO FI TL signer",
        KeyKind::EcP256,
        from,
        from + time::Duration::days(36_500),
    )
    .unwrap();
    let mut spec = crate::trusted_list::demo_fi(vec![ServiceSpec {
        provider: "DEMO Qualified Trust Service Provider".into(),
        name: "DEMO Qualified Website CA".into(),
        ca_der: ca,
        statuses: vec![("granted", from)],
        purposes: vec!["ForWebSiteAuthentication"],
        qualifications: Vec::new(),
    }]);
    spec.issued = from;
    sign_list(
        &write_list(&spec),
        &signer,
        &SignSpec::fitting(&signer),
        from,
    )
    .unwrap()
    .into_bytes()
}

proptest! {
    #![proptest_config(config(256))]

    /// The strict reader: a value, or an error with the place it went wrong.
    #[test]
    fn json_messages_in_process(bytes in mutated(std::fs::read(example()).unwrap())) {
        within(GUARD, move || {
            if let Err(e) = tilicheck::message::parse::parse_bytes(&bytes) {
                assert!(!e.to_string().is_empty());
            }
        });
    }

    #[test]
    fn soap_answers(bytes in mutated(soap_seed())) {
        within(GUARD, move || {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let names = tilicheck::profile::VERO.elements.value;
            if let Err(e) = tilicheck::vero::soap::parse_answer(names, &text, "RenewCertificateResponse") {
                assert!(!e.to_string().is_empty());
            }
            let _ = tilicheck::vero::dsig::verify_enveloped(&text);
        });
    }

    #[test]
    fn trusted_lists(bytes in mutated(trusted_list_seed())) {
        within(GUARD, move || {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let at = tilicheck::time_arg::parse_check_time(AT).unwrap();
            let signers = tilicheck::pki::trusted_list::LotlSigners::bundled();
            let anchors = tilicheck::pki::trusted_list::Anchors { lotl_signers: &signers, lotl: None };
            if let Err(e) = tilicheck::pki::trusted_list::check("mutant-tl.xml", &text, anchors, at) {
                assert!(e.to_string().starts_with("mutant-tl.xml: "), "{e}");
            }
        });
    }
}

proptest! {
    #![proptest_config(config(12))]

    /// The whole command: exit 0, 1 or 3, and output that names the file.
    #[test]
    fn json_messages_through_the_binary(bytes in mutated(std::fs::read(example()).unwrap())) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mutant.json");
        std::fs::write(&file, &bytes).unwrap();
        let out = tilicheck()
            .args(["message", "validate", "--at", AT])
            .arg(&file)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let all = output_text(&out);
        prop_assert!(matches!(out.status.code(), Some(0 | 1 | 3)), "{all}");
        prop_assert!(all.contains("mutant.json"), "{all}");
        prop_assert!(!all.contains("panicked"), "{all}");
    }
}
