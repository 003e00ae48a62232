//! Cost of chain validation and revocation checking per certificate, with a warm CRL cache.
//!
//! `cargo bench --bench revocation` prints, per certificate (leaf + intermediate under a test
//! root, ECDSA P-256):
//! - path building and validation alone (`--revocation off`);
//! - the same with CRL checks of the leaf and the intermediate answered from the on-disk cache
//!   (a CRL of 1,000 entries for the leaf's CA), i.e. what `--revocation crl` adds once the
//!   CRLs have been downloaded.

use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, RevokedCertParams,
    SerialNumber,
};
use rustls_pki_types::CertificateDer;
use time::{Duration as TimeDelta, OffsetDateTime};

use tilicheck::checks::chain::Expect;
use tilicheck::checks::trust::{TrustContext, judge_path};
use tilicheck::findings::Status;
use tilicheck::net::http;
use tilicheck::pki::chain::Usage;
use tilicheck::pki::facts::CertificateFacts;
use tilicheck::pki::revocation::{self, Mode, cache::CrlCache};
use tilicheck::pki::trust::{Origin, TrustStore, TrustedCert};
use tilicheck::profile::Interface;

fn ca(cn: &str, crl_url: Option<&str>) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    if let Some(u) = crl_url {
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![u.to_owned()],
        }];
    }
    p
}

fn crl(issuer: &Issuer<'_, &KeyPair>, entries: u64, now: OffsetDateTime) -> Vec<u8> {
    CertificateRevocationListParams {
        this_update: now - TimeDelta::hours(1),
        next_update: now + TimeDelta::days(7),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: (0..entries)
            .map(|i| RevokedCertParams {
                serial_number: SerialNumber::from(0x10_0000 + i),
                revocation_time: now - TimeDelta::days(1),
                reason_code: None,
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    }
    .signed_by(issuer)
    .expect("CRL")
    .der()
    .to_vec()
}

/// This thread's CPU time (Linux: /proc/thread-self/schedstat, in nanoseconds). On a busy
/// machine wall time also counts other processes' turns; CPU time does not.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// (wall, CPU) time per call of `one`, over `budget` of wall time.
fn per_cert(budget: Duration, mut one: impl FnMut()) -> (Duration, Option<Duration>) {
    let cpu0 = thread_cpu();
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < budget {
        one();
        n += 1;
    }
    let wall = start.elapsed() / n.max(1);
    let cpu = match (cpu0, thread_cpu()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) / n.max(1)),
        _ => None,
    };
    (wall, cpu)
}

fn show(label: &str, (wall, cpu): (Duration, Option<Duration>)) {
    let cpu = cpu.map_or_else(
        || "n/a".to_owned(),
        |c| format!("{:.1}", c.as_secs_f64() * 1e6),
    );
    println!(
        "{label:<52} {:>8.1} µs/cert wall, {cpu:>8} µs/cert CPU",
        wall.as_secs_f64() * 1e6
    );
}

fn main() {
    let now = OffsetDateTime::now_utc();
    // Nothing listens on these: a cache miss would show as an error, not a fast pass.
    let root_crl_url = "http://127.0.0.1:9/root.crl";
    let ca_crl_url = "http://127.0.0.1:9/ca.crl";

    let root_key = KeyPair::generate().expect("key");
    let root_params = ca("BENCH Root", None);
    let root = root_params.self_signed(&root_key).expect("root");
    let root_issuer = Issuer::from_params(&root_params, &root_key);
    let ca_key = KeyPair::generate().expect("key");
    let ca_params = ca("BENCH CA", Some(root_crl_url));
    let ca_cert = ca_params.signed_by(&ca_key, &root_issuer).expect("CA");
    let ca_issuer = Issuer::from_params(&ca_params, &ca_key);
    let mut leaf_params = CertificateParams::new(vec!["bench.test".into()]).expect("params");
    leaf_params.serial_number = Some(SerialNumber::from(42u64));
    leaf_params.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![ca_crl_url.to_owned()],
    }];
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = leaf_params.signed_by(&leaf_key, &ca_issuer).expect("leaf");

    let cache_dir = tempfile::tempdir().expect("tempdir");
    let cache = CrlCache::new(cache_dir.path());
    cache
        .store(root_crl_url, &crl(&root_issuer, 10, now))
        .expect("cache");
    cache
        .store(ca_crl_url, &crl(&ca_issuer, 1000, now))
        .expect("cache");

    let store = TrustStore {
        anchors: vec![TrustedCert {
            subject: tilicheck::pki::trust::subject_name(root.der()),
            der: CertificateDer::from(root.der().to_vec()),
            name: "BENCH Root".into(),
            origin: Origin::File("bench-root.pem".into()),
        }],
        intermediates: Vec::new(),
    };
    let leaf_der = CertificateDer::from(leaf.der().to_vec());
    let chain = vec![CertificateDer::from(ca_cert.der().to_vec())];
    let facts = CertificateFacts::from_der(&leaf_der).expect("facts");
    let profile = Interface::V3.profile();
    let context = |mode| TrustContext {
        store: store.clone(),
        revocation: revocation::Options {
            mode,
            offline: false,
            limits: http::Limits::default(),
            cache_dir: Some(cache_dir.path().to_path_buf()),
            at: now,
            grace_secs: 0,
            local: revocation::LocalCrls::default(),
        },
        // No caIssuers downloads: the chain is supplied.
        online: None,
        trusted_lists: None,
    };
    let run = |ctx: &TrustContext| {
        judge_path(
            &leaf_der,
            &chain,
            &facts,
            Expect::DvvOrQwac,
            Usage::Any,
            ctx,
            profile,
        )
    };
    let (off, crl_mode) = (context(Mode::Off), context(Mode::Crl));
    let findings = run(&crl_mode).findings;
    assert!(
        findings.iter().all(|f| f.status == Status::Pass),
        "the warm-cache run must pass: {findings:?}"
    );

    let budget = Duration::from_secs(3);
    let base = per_cert(budget, || {
        std::hint::black_box(run(&off));
    });
    let warm = per_cert(budget, || {
        std::hint::black_box(run(&crl_mode));
    });
    show("chain validation only (--revocation off)", base);
    show("chain + CRL, warm cache (leaf CRL of 1000 entries)", warm);
    let added = (
        warm.0.saturating_sub(base.0),
        warm.1.zip(base.1).map(|(w, b)| w.saturating_sub(b)),
    );
    show("revocation adds (target < 1000 µs)", added);
}
