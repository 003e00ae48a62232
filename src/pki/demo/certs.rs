//! Certificate parameter builders: the common base, CAs, DVV-style server certificates and
//! their subject names, and the values taken from the profile.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose,
};

use super::extensions::policies;
use super::{DVV_SERVER_CERT_POLICY, DemoError, DemoOptions};

const OU_ARCS: &[u64] = &[2, 5, 4, 11];
const SERIAL_NUMBER_ARCS: &[u64] = &[2, 5, 4, 5];
pub(super) fn rcgen_error(file: &'static str) -> impl Fn(rcgen::Error) -> DemoError {
    move |e| DemoError::Rcgen {
        file,
        reason: e.to_string(),
    }
}
/// Parameters common to every certificate: serial, validity, no SANs, an empty subject.
fn base_params(
    serial: u64,
    file: &'static str,
    sans: &[&str],
    options: &DemoOptions,
) -> Result<CertificateParams, DemoError> {
    let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
    let mut p = CertificateParams::new(sans).map_err(rcgen_error(file))?;
    // `new` fills in a placeholder CN; every caller sets its own subject.
    p.distinguished_name = DistinguishedName::new();
    p.serial_number = Some(serial.into());
    p.not_before = options.not_before;
    p.not_after = options.not_after;
    Ok(p)
}

/// An intermediate CA: CA:TRUE pathlen:0, keyCertSign+cRLSign (both critical).
pub(super) fn ca_params(
    serial: u64,
    file: &'static str,
    options: &DemoOptions,
) -> Result<CertificateParams, DemoError> {
    let mut p = base_params(serial, file, &[], options)?;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

/// A DVV-style server certificate: CA:FALSE, KU digitalSignature+keyEncipherment, EKU
/// clientAuth+serverAuth, DVV's e-service server policy.
pub(super) fn server_params(
    serial: u64,
    file: &'static str,
    sans: &[&str],
    options: &DemoOptions,
) -> Result<CertificateParams, DemoError> {
    let mut p = base_params(serial, file, sans, options)?;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    p.use_authority_key_identifier_extension = true;
    p.custom_extensions = vec![policies(file, &[DVV_SERVER_CERT_POLICY])?];
    Ok(p)
}

/// Where a subject carries its organisation's identifier.
pub(super) enum Id<'a> {
    None,
    /// serialNumber (2.5.4.5), PrintableString.
    SerialNumber(&'a str),
}

/// `C=FI, O=…, OU=…, <id>, CN=…`: country and serialNumber as PrintableString, the rest UTF8.
pub(super) fn dn(
    file: &'static str,
    organisation: &str,
    units: &[&str],
    id: Id<'_>,
    common_name: &str,
) -> Result<DistinguishedName, DemoError> {
    let printable = |s: &str| {
        rcgen::string::PrintableString::try_from(s)
            .map(DnValue::PrintableString)
            .map_err(rcgen_error(file))
    };
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, printable("FI")?);
    dn.push(DnType::OrganizationName, organisation);
    // rcgen keeps one value per attribute type, so a second OU goes in under the same OID
    // spelled as a custom type.
    for (i, unit) in units.iter().enumerate() {
        let ty = match i {
            0 => DnType::OrganizationalUnitName,
            1 => DnType::CustomDnType(OU_ARCS.to_vec()),
            _ => {
                return Err(DemoError::Rcgen {
                    file,
                    reason: "at most two OUs".into(),
                });
            }
        };
        dn.push(ty, *unit);
    }
    match id {
        Id::None => {}
        Id::SerialNumber(s) => dn.push(
            DnType::CustomDnType(SERIAL_NUMBER_ARCS.to_vec()),
            printable(s)?,
        ),
    }
    dn.push(DnType::CommonName, common_name);
    Ok(dn)
}
/// The Account Register's ID in VAT form (`FI…`), as its certificate's serialNumber.
pub(super) fn register_serial_number() -> Result<&'static str, DemoError> {
    crate::profile::V3
        .register_ids
        .value
        .iter()
        .copied()
        .find(|id| id.starts_with("FI"))
        .ok_or(DemoError::Profile("Account Register ID in VAT form"))
}
