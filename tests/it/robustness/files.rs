//! Certificates (PEM and DER), CRLs, OCSP responses and PKCS#12 stores, mutated, through the
//! loader and the revocation readers, in-process.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;
use tilicheck::pki::facts::CertificateFacts;
use tilicheck::pki::load::parse_certificates;
use tilicheck::secret::PasswordSource;

use super::{assert_no_jargon, config, mutated, within};
use crate::support::{fixture, openssl};

const GUARD: Duration = Duration::from_secs(20);

/// Seeds made once per run by openssl from the DEMO fixtures: a CRL and an OCSP response of
/// the service CA about the supplier certificate, and the supplier as PKCS#12.
struct Seeds {
    _dir: tempfile::TempDir,
    crl: Vec<u8>,
    ocsp: Vec<u8>,
    p12: Vec<u8>,
    password_file: PathBuf,
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ca = fixture("service-ca.pem").display().to_string();
        let ca_key = fixture("service-ca.key").display().to_string();
        let leaf = fixture("supplier.pem").display().to_string();
        std::fs::write(d.join("index.txt"), "").unwrap();
        std::fs::write(d.join("crlnumber"), "01\n").unwrap();
        std::fs::write(
            d.join("ca.cnf"),
            "[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n",
        )
        .unwrap();
        openssl(
            &["ca", "-config", "ca.cnf", "-gencrl", "-keyfile", &ca_key, "-cert", &ca, "-out", "crl.pem"],
            d,
            &[],
        );
        openssl(&["crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der"], d, &[]);
        let crl = std::fs::read(d.join("crl.der")).unwrap();
        openssl(&["ocsp", "-issuer", &ca, "-cert", &leaf, "-no_nonce", "-reqout", "req.der"], d, &[]);
        openssl(
            &["ocsp", "-index", "index.txt", "-rsigner", &ca, "-rkey", &ca_key, "-CA", &ca, "-reqin", "req.der", "-respout", "resp.der"],
            d,
            &[],
        );
        std::fs::write(d.join("pw"), "robust\n").unwrap();
        openssl(
            &["pkcs12", "-export", "-in", &leaf, "-inkey", &fixture("supplier.key").display().to_string(), "-passout", "pass:robust", "-out", "s.p12"],
            d,
            &[],
        );
        Seeds {
            crl,
            ocsp: std::fs::read(d.join("resp.der")).unwrap(),
            p12: std::fs::read(d.join("s.p12")).unwrap(),
            password_file: d.join("pw"),
            _dir: dir,
        }
    })
}

/// Load `bytes` as certificates named `name`: a result (whose certificates then yield
/// facts) or an error that starts with the name and speaks in words.
fn load_named(name: &'static str, bytes: Vec<u8>, password: PasswordSource) {
    within(GUARD, move || {
        match parse_certificates(name, &bytes, &password) {
            Ok(file) => {
                for der in &file.certificates {
                    let _ = CertificateFacts::from_der(der);
                }
            }
            Err(e) => {
                let text = e.to_string();
                assert!(text.starts_with(&format!("{name}: ")), "{text}");
                assert_no_jargon(&text);
            }
        }
    });
}

fn pem_seed() -> Vec<u8> {
    std::fs::read(fixture("supplier-chain.pem")).unwrap()
}

fn der_seed() -> Vec<u8> {
    parse_certificates("seed", &pem_seed(), &PasswordSource::None)
        .unwrap()
        .certificates[0]
        .to_vec()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn pem_certificates(bytes in mutated(pem_seed())) {
        load_named("mutant.pem", bytes, PasswordSource::None);
    }

    #[test]
    fn der_certificates(bytes in mutated(der_seed())) {
        load_named("mutant.der", bytes, PasswordSource::None);
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn crls(bytes in mutated(seeds().crl.clone())) {
        within(GUARD, move || {
            // As `--crl` reads it: the whole file, each CRL decoded, then looked up for the leaf.
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("mutant.crl");
            std::fs::write(&path, &bytes).unwrap();
            match tilicheck::pki::revocation::local::LocalCrls::load(&[path], 1 << 20) {
                Ok(crls) => {
                    let leaf = std::fs::read(fixture("supplier.pem")).unwrap();
                    let leaf = parse_certificates("leaf", &leaf, &PasswordSource::None).unwrap().certificates[0].to_vec();
                    let view = tilicheck::pki::revocation::certs::CertView::parse(&leaf).unwrap();
                    for crl in crls.iter() {
                        let _ = crl.entry_for(&view.serial, &view.issuer);
                        let _ = (crl.details(), crl.times());
                    }
                }
                Err(e) => {
                    let e = e.to_string();
                    assert!(e.starts_with("--crl ") && e.contains("mutant.crl"), "names the file: {e}");
                }
            }
            // Given where a certificate is expected, it is named as what it is or refused.
            let _ = parse_certificates("mutant.crl", &bytes, &PasswordSource::None)
                .map_err(|e| assert!(e.to_string().starts_with("mutant.crl: ")));
        });
    }

    #[test]
    fn ocsp_responses(bytes in mutated(seeds().ocsp.clone())) {
        within(GUARD, move || {
            let der = |name: &str| {
                let pem = std::fs::read(fixture(name)).unwrap();
                parse_certificates(name, &pem, &PasswordSource::None).unwrap().certificates[0].to_vec()
            };
            let (leaf, ca) = (der("supplier.pem"), der("service-ca.pem"));
            let (_, cert_id) = tilicheck::pki::revocation::ocsp::build_request(&leaf, &ca, &[1; 16]).unwrap();
            let at = tilicheck::time_arg::parse_check_time(crate::support::AT).unwrap();
            if let Err(e) = tilicheck::pki::revocation::ocsp::evaluate(&bytes, &cert_id, None, &ca, at, 0) {
                assert!(e.contains("OCSP") || e.contains("response") || e.contains("responder"), "names the OCSP response: {e}");
            }
        });
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn pkcs12_stores(bytes in mutated(seeds().p12.clone())) {
        load_named("mutant.p12", bytes, PasswordSource::File(seeds().password_file.clone()));
    }
}
