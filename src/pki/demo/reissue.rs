//! Re-issuing the DEMO register certificate from a written DEMO PKI, for the simulator's
//! expired-server-certificate fault: same key, same CA, a validity that has ended.

use std::path::Path;

use rcgen::{ExtendedKeyUsagePurpose, Issuer, KeyPair};
use rustls_pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use crate::pki::load;
use crate::secret::PasswordSource;

use super::certs::{Id, dn, rcgen_error, register_serial_number, server_params};
use super::{DemoError, DemoOptions, REGISTER_ORGANISATION};

const FILE: &str = "register.pem";

/// The key in `dir/name`, read by our own loader (the DEMO keys are plain PKCS#8 PEM).
fn read_key(dir: &Path, name: &'static str) -> Result<KeyPair, DemoError> {
    let key = load::read_private_key(&dir.join(name), &PasswordSource::None)
        .map_err(|e| unreadable(name, e))?;
    KeyPair::try_from(&key.der).map_err(rcgen_error(name))
}

/// The first certificate in `dir/name`.
fn read_certificate(dir: &Path, name: &'static str) -> Result<CertificateDer<'static>, DemoError> {
    let file = load::read_certificates(&dir.join(name), &PasswordSource::None)
        .map_err(|e| unreadable(name, e))?;
    file.certificates
        .into_iter()
        .next()
        .ok_or_else(|| DemoError::Rcgen {
            file: name,
            reason: "it holds no certificate".into(),
        })
}

fn unreadable(file: &'static str, e: load::LoadError) -> DemoError {
    DemoError::Rcgen {
        file,
        reason: e.to_string(),
    }
}

/// The register certificate (valid from a year before `now` to a day before it) and the service
/// CA, signed by the DEMO service CA in `dir`.
pub fn expired_register_chain(
    dir: &Path,
    now: OffsetDateTime,
) -> Result<Vec<CertificateDer<'static>>, DemoError> {
    let ca_der = read_certificate(dir, "service-ca.pem")?;
    let ca_key = read_key(dir, "service-ca.key")?;
    let key = read_key(dir, "register.key")?;
    let issuer = Issuer::from_ca_cert_der(&ca_der, ca_key).map_err(rcgen_error(FILE))?;
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
    Ok(vec![cert.der().clone(), ca_der])
}
