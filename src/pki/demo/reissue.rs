//! Re-issuing the DEMO register certificate from a written DEMO PKI, for the simulator's
//! expired-server-certificate fault: same key, same CA, a validity that has ended.

use std::path::Path;

use rcgen::{ExtendedKeyUsagePurpose, Issuer, KeyPair};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use super::certs::{Id, dn, rcgen_error, register_serial_number, server_params};
use super::{DemoError, DemoOptions, REGISTER_ORGANISATION};

const FILE: &str = "register.pem";

fn read(dir: &Path, name: &str) -> Result<String, DemoError> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|source| DemoError::Io { path, source })
}

/// The register certificate (valid from a year before `now` to a day before it) and the service
/// CA, signed by the DEMO service CA in `dir`.
pub fn expired_register_chain(
    dir: &Path,
    now: OffsetDateTime,
) -> Result<Vec<CertificateDer<'static>>, DemoError> {
    let ca_pem = read(dir, "service-ca.pem")?;
    let ca_key = KeyPair::from_pem(&read(dir, "service-ca.key")?).map_err(rcgen_error(FILE))?;
    let key = KeyPair::from_pem(&read(dir, "register.key")?).map_err(rcgen_error(FILE))?;
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key).map_err(rcgen_error(FILE))?;
    let mut options = DemoOptions::starting(now);
    options.not_before = now - Duration::days(365);
    options.not_after = now - Duration::days(1);
    let mut params = server_params(0x1015, FILE, &["localhost", "127.0.0.1", "::1"], &options)?;
    params.distinguished_name = dn(
        FILE,
        REGISTER_ORGANISATION,
        &[],
        Id::SerialNumber(register_serial_number()?),
        "localhost",
    )?;
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = params.signed_by(&key, &issuer).map_err(rcgen_error(FILE))?;
    let ca_der =
        rustls_pki_types::pem::PemObject::from_pem_slice(ca_pem.as_bytes()).map_err(|e| {
            DemoError::Rcgen {
                file: "service-ca.pem",
                reason: e.to_string(),
            }
        })?;
    Ok(vec![cert.der().clone(), ca_der])
}
