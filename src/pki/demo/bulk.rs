//! Many DEMO certificates at once, for audit tests and benchmarks: one supplier key, a
//! fast-signing (P-256) DEMO CA, expiries spread over a range of days.

use std::path::Path;

use rcgen::{Issuer, KeyPair};
use time::{Duration, OffsetDateTime};

use super::certs::{Id, ca_params, dn, rcgen_error, server_params};
use super::{DEMO_SUPPLIER_HOST, DEMO_SUPPLIER_ID, DemoError, DemoOptions};

use crate::pki::load::pem::ToPem;

/// Certificates per sub-directory, so no directory grows unwieldy.
const PER_DIRECTORY: usize = 500;

/// What the bulk tree looks like.
#[derive(Clone, Copy, Debug)]
pub struct BulkOptions {
    pub count: usize,
    /// Certificate `i` expires `first_expiry + (i % spread_days)` days.
    pub first_expiry: OffsetDateTime,
    pub spread_days: i64,
}

/// Write `count` supplier-like certificates (RSA 3072, DVV-style extensions) under `dir` in
/// sub-directories `000/`, `001/`, …, plus `bulk-ca.pem`. Returns the number written.
pub fn write_bulk(dir: &Path, options: BulkOptions) -> Result<usize, DemoError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DemoError::Io {
            path: path.clone(),
            source,
        }
    };
    let validity = DemoOptions {
        not_before: options.first_expiry - Duration::days(3 * 365),
        not_after: options.first_expiry,
        expired_not_before: options.first_expiry,
        expired_not_after: options.first_expiry,
    };
    let file = "bulk-ca.pem";
    let ca_key =
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rcgen_error(file))?;
    let mut ca = ca_params(1, file, &validity)?;
    ca.distinguished_name = dn(file, "DEMO Bulk CA", &[], Id::None, "DEMO Bulk CA")?;
    ca.not_after = options.first_expiry + Duration::days(options.spread_days.max(1) + 365);
    let ca_cert = ca.self_signed(&ca_key).map_err(rcgen_error(file))?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let ca_path = dir.join(file);
    std::fs::write(&ca_path, ca_cert.to_pem()).map_err(io(&ca_path))?;
    let issuer = Issuer::from_params(&ca, &ca_key);

    let leaf = "bulk leaf";
    let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_3072)
        .map_err(rcgen_error(leaf))?;
    for i in 0..options.count {
        let sub = dir.join(format!("{:03}", i / PER_DIRECTORY));
        if i % PER_DIRECTORY == 0 {
            std::fs::create_dir_all(&sub).map_err(io(&sub))?;
        }
        let mut p = server_params(0x10_0000 + i as u64, leaf, &[DEMO_SUPPLIER_HOST], &validity)?;
        p.distinguished_name = dn(
            leaf,
            "DEMO Maksulaitos Oy",
            &[],
            Id::SerialNumber(DEMO_SUPPLIER_ID),
            DEMO_SUPPLIER_HOST,
        )?;
        let offset = i64::try_from(i).unwrap_or(i64::MAX) % options.spread_days.max(1);
        p.not_after = options.first_expiry + Duration::days(offset);
        let cert = p.signed_by(&key, &issuer).map_err(rcgen_error(leaf))?;
        let path = sub.join(format!("cert-{i:05}.pem"));
        std::fs::write(&path, cert.to_pem()).map_err(io(&path))?;
    }
    Ok(options.count)
}
