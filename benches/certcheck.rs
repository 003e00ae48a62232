//! Certificate-check throughput and process start-up, over the committed fixture set.
//!
//! `cargo bench --bench certcheck` prints one line per figure:
//! - checks per second, in-process on one thread: parse the certificate and run every `cert`
//!   rule (the key-pair comparison against a key parsed up front);
//! - the same including parsing the private key each time (CERT-KEYPAIR's full cost);
//! - the wall time of one `tilicheck cert` process (median and best of 30 runs).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tilicheck::checks::cert::{CertCheck, KeyEvidence};
use tilicheck::checks::identity::{ExpectedIds, Purpose};
use tilicheck::pki::facts::{self, CertificateFacts};
use tilicheck::pki::load;
use tilicheck::profile::Interface;
use tilicheck::secret::PasswordSource;
use tilicheck::time_arg::parse_check_time;

struct Fixture {
    name: String,
    der: Vec<u8>,
    key: Option<rustls_pki_types::PrivateKeyDer<'static>>,
}

fn fixtures(dir: &Path) -> Vec<Fixture> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}; generate the fixtures first", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pem"))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|path| {
            let file = load::read_certificates(&path, &PasswordSource::None).ok()?;
            let der = file.certificates.first()?.to_vec();
            let key_path = path.with_extension("key");
            let key = load::read_private_key(&key_path, &PasswordSource::None)
                .ok()
                .map(|k| k.der.clone_key());
            Some(Fixture {
                name: path.display().to_string(),
                der,
                key,
            })
        })
        .collect()
}

fn run_for(budget: Duration, mut one_round: impl FnMut() -> usize) -> f64 {
    let start = Instant::now();
    let mut checks = 0usize;
    while start.elapsed() < budget {
        checks += one_round();
    }
    checks as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("testdata/pki");
    let set = fixtures(&dir);
    assert!(!set.is_empty(), "no fixtures in {}", dir.display());
    let at = parse_check_time("2030-01-01").expect("fixed date");
    let profile = Interface::V3.profile();
    let expected = ExpectedIds::default();

    let keys: Vec<KeyEvidence> = set
        .iter()
        .map(|f| match &f.key {
            Some(k) => KeyEvidence::Public {
                file: f.name.clone(),
                public_key_raw: facts::public_key_of(k).unwrap_or_default(),
            },
            None => KeyEvidence::None,
        })
        .collect();

    let check_all = |with_key_parse: bool| {
        let mut findings = 0usize;
        for (f, key) in set.iter().zip(&keys) {
            let Ok(facts) = CertificateFacts::from_der(&f.der) else {
                continue;
            };
            let parsed;
            let key = if with_key_parse {
                parsed = match &f.key {
                    Some(k) => KeyEvidence::Public {
                        file: f.name.clone(),
                        public_key_raw: facts::public_key_of(k).unwrap_or_default(),
                    },
                    None => KeyEvidence::None,
                };
                &parsed
            } else {
                key
            };
            let check = CertCheck {
                facts: &facts,
                key,
                purpose: Purpose::Both,
                expected,
                at,
                profile,
                dvv_root: None,
                qualification: None,
            };
            findings += check.findings().len();
        }
        std::hint::black_box(findings);
        set.len()
    };

    // Warm up caches and the allocator.
    let _ = run_for(Duration::from_millis(300), || check_all(false));
    let per_sec = run_for(Duration::from_secs(3), || check_all(false));
    println!(
        "cert checks per second (one thread, parse + all rules, {} fixtures): {per_sec:.0}",
        set.len()
    );
    let with_keys = run_for(Duration::from_secs(3), || check_all(true));
    println!(
        "cert checks per second including private-key parsing for CERT-KEYPAIR: {with_keys:.0}"
    );

    let exe = env!("CARGO_BIN_EXE_tilicheck");
    let cert = dir.join("supplier.pem");
    let key = dir.join("supplier.key");
    let mut times = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        let out = Command::new(exe)
            .args(["cert", "--at", "2030-01-01", "--format", "json", "--key"])
            .arg(&key)
            .arg(&cert)
            .output()
            .expect("run tilicheck");
        times.push(start.elapsed());
        assert!(
            out.status.code().is_some(),
            "tilicheck did not exit normally"
        );
    }
    times.sort();
    println!(
        "one `tilicheck cert` process (supplier.pem + key), wall time: median {:.1} ms, best {:.1} ms (30 runs)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
}
