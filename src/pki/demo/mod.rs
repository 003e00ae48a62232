//! The DEMO PKI: a complete, clearly labelled imitation of the certificates the Account Register
//! deals with, for trying tilicheck and its simulator, and for the test fixtures in
//! `testdata/pki/`.
//!
//! Shape (see `shared/reference/pki-facts.md` §1 and §2.1 for the real profiles it mirrors):
//!
//! ```text
//! DEMO DVV Gov. Root CA - G3 RSA                     root-ca.pem (self-signed, trust anchor)
//! ├── DEMO DVV Service Certificates - G5R            service-ca.pem
//! │   ├── supplier, supplier-vat, service-centre     the good DVV-style server certificates
//! │   ├── register                                   the Account Register's server certificate
//! │   └── bad-*, bad-x509-*, bad-eku-*               one defect each
//! └── DEMO Qualified Website CA                      qwac-ca.pem
//!     ├── qwac                                       an OV QWAC (QNCP-w + OVCP)
//!     ├── qseal                                      a qualified e-seal (QCP-l), for signing
//!     └── bad-qwac-*                                 one ETSI defect each
//! ```
//!
//! The QWAC CA hangs under the same DEMO root so that one trust anchor covers every demo
//! certificate. Real QWACs come from a qualified trust service provider's own hierarchy.
//!
//! Every subject says "DEMO". RSA keys are 3072 bits, including the CAs, whose real
//! counterparts have 4096: generation stays fast. The DVV-style CAs sign with
//! sha512WithRSAEncryption like the real ones, the QWAC CA with sha256WithRSAEncryption.
//!
//! Not made: a SHA-1-signed certificate (`bad-sha1.pem`). rcgen offers no SHA-1 signature
//! algorithm, and aws-lc-rs offers RSA with SHA-1 for verification only, so it cannot be
//! produced here.
//!
//! For [`DemoOptions::fixtures`] everything but the key material (and so the signatures and
//! key identifiers) is the same on every run.

pub mod bulk;
mod certs;
mod extensions;
mod files;
mod keys;
mod malformed;
mod qualified;
pub mod reissue;
pub mod trusted_lists;
mod write;

#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};

use der::asn1::ObjectIdentifier;
use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use certs::{Id, ca_params, dn, rcgen_error, register_serial_number, server_params};
use extensions::policies;
use files::*;
pub use keys::KeyOrigin;
use keys::Keys;
use qualified::QualifiedIssuer;
use write::write_atomically;

/// The demo data supplier's Business ID (check digit valid).
pub const DEMO_SUPPLIER_ID: &str = "1234567-1";
/// [`DEMO_SUPPLIER_ID`] in VAT form: `FI` and the eight digits.
pub const DEMO_SUPPLIER_VAT_ID: &str = "FI12345671";
/// The demo service centre's Business ID (check digit valid; its remainder is 0).
pub const DEMO_SERVICE_CENTRE_ID: &str = "9876543-0";
/// A valid Business ID that belongs to neither demo party (in `bad-wrong-id.pem`).
pub const DEMO_WRONG_ID: &str = "7654321-2";
/// The supplier's digits with a wrong check digit (in `bad-check-digit.pem`).
pub const DEMO_BAD_CHECK_DIGIT_ID: &str = "1234567-2";
/// Host name of the supplier's certificates (CN and SAN).
pub const DEMO_SUPPLIER_HOST: &str = "tilicheck-demo.example";
/// Host name of the service centre's certificate.
pub const DEMO_SERVICE_CENTRE_HOST: &str = "service-centre.tilicheck-demo.example";
/// Where the QWAC's QcPDS statement points.
pub const DEMO_PDS_URL: &str = "https://demo.invalid/pds";
/// Name of the explanatory file [`DemoPki::write_to`] adds.
pub const README_NAME: &str = "README.txt";

/// certificatePolicies of the real DVV Service Certificates - G5R CA.
pub const DVV_G5R_CA_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.246.517.1.10.301.4");
/// DVV's policy for server certificates for e-service use (RSA tree).
pub const DVV_SERVER_CERT_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.246.517.1.10.305.2");
const DVV_ORGANISATION: &str = "DEMO Digi- ja vaestotietovirasto CA";
const SUPPLIER_ORGANISATION: &str = "DEMO Maksulaitos Oy";
const SERVICE_CENTRE_ORGANISATION: &str = "DEMO Palvelukeskus Oy";
const REGISTER_ORGANISATION: &str = "DEMO Tulli";
const QWAC_CA_ORGANISATION: &str = "DEMO Qualified Trust Service Provider";

/// The validity windows of the demo certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoOptions {
    /// Start of validity of every certificate except `bad-expired.pem`.
    pub not_before: OffsetDateTime,
    /// End of validity of every certificate except `bad-expired.pem`.
    pub not_after: OffsetDateTime,
    /// Start of validity of `bad-expired.pem`.
    pub expired_not_before: OffsetDateTime,
    /// End of validity of `bad-expired.pem`; in the past.
    pub expired_not_after: OffsetDateTime,
}

impl DemoOptions {
    /// Fixed dates for the committed fixtures: 2025-01-01T00:00:00Z to 2099-12-31T23:59:59Z,
    /// and 2020-01-01 to 2021-01-01 for the expired certificate.
    pub fn fixtures() -> Self {
        DemoOptions {
            not_before: datetime!(2025-01-01 00:00:00 UTC),
            not_after: datetime!(2099-12-31 23:59:59 UTC),
            expired_not_before: datetime!(2020-01-01 00:00:00 UTC),
            expired_not_after: datetime!(2021-01-01 00:00:00 UTC),
        }
    }

    /// For users: valid from a day before `now` for two years (730 days); the expired
    /// certificate ran from two years to one year before `now`.
    pub fn starting(now: OffsetDateTime) -> Self {
        Self::covering(now, now)
    }

    /// Valid from a day before `from` until two years after `to` (a simulator judging at
    /// `--at` while clients connect now); the expired certificate ended a year before `from`.
    pub fn covering(from: OffsetDateTime, to: OffsetDateTime) -> Self {
        let whole = |t: OffsetDateTime| {
            t.to_offset(time::UtcOffset::UTC)
                .replace_nanosecond(0)
                .unwrap_or(t)
        };
        let (from, to) = (whole(from), whole(to));
        DemoOptions {
            not_before: from - Duration::days(1),
            not_after: to + Duration::days(730),
            expired_not_before: from - Duration::days(730),
            expired_not_after: from - Duration::days(365),
        }
    }
}

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoFile {
    /// File name, e.g. `supplier.pem`.
    pub name: &'static str,
    /// What the file is, one line.
    pub description: &'static str,
    /// PEM text.
    pub contents: String,
    /// A private key: written with mode 0600.
    pub secret: bool,
}

/// The generated DEMO PKI, in memory.
#[derive(Clone, Debug)]
pub struct DemoPki {
    /// What was generated, in a stable order (CAs first, then the good, then the bad).
    pub files: Vec<DemoFile>,
    /// The options it was generated with.
    pub options: DemoOptions,
}

/// Why the DEMO PKI could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("could not generate the key for {file}: {reason}")]
    Key { file: &'static str, reason: String },
    #[error("could not make {file}: {reason}")]
    Rcgen { file: &'static str, reason: String },
    #[error("could not encode an extension of {file}: {reason}")]
    Der { file: &'static str, reason: String },
    #[error("the certificate profile has no {0}")]
    Profile(&'static str),
    #[error("could not write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl DemoPki {
    /// The file called `name`, if it was generated.
    pub fn file(&self, name: &str) -> Option<&DemoFile> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Write every file and a README into `dir` (created if missing). Each file is written to
    /// a temporary name in `dir` and renamed into place, so no partial file is left; keys get
    /// mode 0600 on unix.
    pub fn write_to(&self, dir: &Path) -> Result<(), DemoError> {
        fs::create_dir_all(dir).map_err(|source| DemoError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        for file in &self.files {
            write_atomically(dir, file.name, file.contents.as_bytes(), file.secret)?;
        }
        write_atomically(dir, README_NAME, self.readme().as_bytes(), false)
    }

    /// The text of the README that [`DemoPki::write_to`] writes.
    pub fn readme(&self) -> String {
        write::readme(self)
    }
}

/// Generate the whole DEMO PKI in memory. Takes a few seconds: ten fresh keys.
pub fn generate(options: &DemoOptions) -> Result<DemoPki, DemoError> {
    build(options, Keys::generate()?)
}

/// The DEMO PKI with the keys cached in `key_dir` (made and cached there on the first run):
/// fresh certificates for `options` in milliseconds instead of seconds.
pub fn generate_with_cached_keys(
    options: &DemoOptions,
    key_dir: &Path,
) -> Result<(DemoPki, KeyOrigin), DemoError> {
    let (keys, origin) = Keys::cached_in(key_dir)?;
    Ok((build(options, keys)?, origin))
}

fn build(options: &DemoOptions, keys: Keys) -> Result<DemoPki, DemoError> {
    let register_id = register_serial_number()?;
    let mut out = Files::default();

    // The DEMO root: self-signed, RSA 3072, like DVV Gov. Root CA - G3 RSA.
    let mut root = ca_params(0x1001, "root-ca.pem", options)?;
    root.distinguished_name = dn(
        "root-ca.pem",
        DVV_ORGANISATION,
        &["Certification Authority Services", "Varmennepalvelut"],
        Id::None,
        "DEMO DVV Gov. Root CA - G3 RSA",
    )?;
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Self-signed: its key identifier says all an authority key identifier would.
    root.use_authority_key_identifier_extension = false;
    let root_cert = root
        .self_signed(&keys.root)
        .map_err(rcgen_error("root-ca.pem"))?;
    out.cert("root-ca.pem", ROOT_CA, &root_cert);
    out.key("root-ca.key", ROOT_CA_KEY, &keys.root);
    let root_issuer = Issuer::from_params(&root, &keys.root);

    // The DEMO service CA, like DVV Service Certificates - G5R.
    let mut service_ca = ca_params(0x1002, "service-ca.pem", options)?;
    service_ca.distinguished_name = dn(
        "service-ca.pem",
        DVV_ORGANISATION,
        &["Palveluvarmenteet"],
        Id::None,
        "DEMO DVV Service Certificates - G5R",
    )?;
    service_ca.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    service_ca
        .custom_extensions
        .push(policies("service-ca.pem", &[DVV_G5R_CA_POLICY])?);
    let service_ca_cert = service_ca
        .signed_by(&keys.service_ca, &root_issuer)
        .map_err(rcgen_error("service-ca.pem"))?;
    out.cert("service-ca.pem", SERVICE_CA, &service_ca_cert);
    out.key("service-ca.key", SERVICE_CA_KEY, &keys.service_ca);
    let service_issuer = Issuer::from_params(&service_ca, &keys.service_ca);

    // The DEMO qualified website CA, also under the DEMO root.
    let mut qwac_ca = ca_params(0x1003, "qwac-ca.pem", options)?;
    qwac_ca.distinguished_name = dn(
        "qwac-ca.pem",
        QWAC_CA_ORGANISATION,
        &[],
        Id::None,
        "DEMO Qualified Website CA",
    )?;
    let qwac_ca_cert = qwac_ca
        .signed_by(&keys.qwac_ca, &root_issuer)
        .map_err(rcgen_error("qwac-ca.pem"))?;
    out.cert("qwac-ca.pem", QWAC_CA, &qwac_ca_cert);
    out.key("qwac-ca.key", QWAC_CA_KEY, &keys.qwac_ca);
    let qwac_issuer = Issuer::from_params(&qwac_ca, &keys.qwac_ca);

    // The supplier and its good variants.
    let supplier = |serial: u64, file: &'static str, id: &str| {
        let mut p = server_params(serial, file, &[DEMO_SUPPLIER_HOST], options)?;
        p.distinguished_name = dn(
            file,
            SUPPLIER_ORGANISATION,
            &[],
            Id::SerialNumber(id),
            DEMO_SUPPLIER_HOST,
        )?;
        Ok::<_, DemoError>(p)
    };
    let issue = |p: &CertificateParams, key: &KeyPair, file: &'static str| {
        p.signed_by(key, &service_issuer).map_err(rcgen_error(file))
    };

    let supplier_cert = issue(
        &supplier(0x1010, "supplier.pem", DEMO_SUPPLIER_ID)?,
        &keys.supplier,
        "supplier.pem",
    )?;
    out.cert("supplier.pem", SUPPLIER, &supplier_cert);
    out.key("supplier.key", SUPPLIER_KEY, &keys.supplier);
    out.chain(
        "supplier-chain.pem",
        SUPPLIER_CHAIN,
        &[&supplier_cert, &service_ca_cert],
    );

    let vat = issue(
        &supplier(0x1011, "supplier-vat.pem", DEMO_SUPPLIER_VAT_ID)?,
        &keys.supplier,
        "supplier-vat.pem",
    )?;
    out.cert("supplier-vat.pem", SUPPLIER_VAT, &vat);

    let mut centre = server_params(
        0x1012,
        "service-centre.pem",
        &[DEMO_SERVICE_CENTRE_HOST],
        options,
    )?;
    centre.distinguished_name = dn(
        "service-centre.pem",
        SERVICE_CENTRE_ORGANISATION,
        &[],
        Id::SerialNumber(DEMO_SERVICE_CENTRE_ID),
        DEMO_SERVICE_CENTRE_HOST,
    )?;
    let centre_cert = issue(&centre, &keys.service_centre, "service-centre.pem")?;
    out.cert("service-centre.pem", SERVICE_CENTRE, &centre_cert);
    out.key(
        "service-centre.key",
        SERVICE_CENTRE_KEY,
        &keys.service_centre,
    );
    out.chain(
        "service-centre-chain.pem",
        SERVICE_CENTRE_CHAIN,
        &[&centre_cert, &service_ca_cert],
    );

    // The QWAC and the qualified e-seal.
    let qualified = QualifiedIssuer {
        issuer: &qwac_issuer,
        ca: &qwac_ca_cert,
        key: &keys.qwac,
        options,
    };
    qualified.good(&mut out)?;
    qualified.seal(&mut out)?;

    // The Account Register's own server certificate, for the simulator on loopback.
    let mut register = server_params(
        0x1014,
        "register.pem",
        &["localhost", "127.0.0.1", "::1"],
        options,
    )?;
    register.distinguished_name = dn(
        "register.pem",
        REGISTER_ORGANISATION,
        &[],
        Id::SerialNumber(register_id),
        "localhost",
    )?;
    register.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let register_cert = issue(&register, &keys.register, "register.pem")?;
    out.cert("register.pem", REGISTER, &register_cert);
    out.key("register.key", REGISTER_KEY, &keys.register);
    out.chain(
        "register-chain.pem",
        REGISTER_CHAIN,
        &[&register_cert, &service_ca_cert],
    );

    // Bad variants: the supplier's certificate with one thing wrong each.
    let mut expired = supplier(0x1020, "bad-expired.pem", DEMO_SUPPLIER_ID)?;
    expired.not_before = options.expired_not_before;
    expired.not_after = options.expired_not_after;
    let c = issue(&expired, &keys.supplier, "bad-expired.pem")?;
    out.cert("bad-expired.pem", BAD_EXPIRED, &c);

    let p = supplier(0x1021, "bad-rsa2048.pem", DEMO_SUPPLIER_ID)?;
    let c = issue(&p, &keys.rsa2048, "bad-rsa2048.pem")?;
    out.cert("bad-rsa2048.pem", BAD_RSA2048, &c);
    out.key("bad-rsa2048.key", BAD_RSA2048_KEY, &keys.rsa2048);

    let p = supplier(0x1022, "bad-wrong-id.pem", DEMO_WRONG_ID)?;
    let c = issue(&p, &keys.supplier, "bad-wrong-id.pem")?;
    out.cert("bad-wrong-id.pem", BAD_WRONG_ID, &c);

    let p = supplier(0x1023, "bad-check-digit.pem", DEMO_BAD_CHECK_DIGIT_ID)?;
    let c = issue(&p, &keys.supplier, "bad-check-digit.pem")?;
    out.cert("bad-check-digit.pem", BAD_CHECK_DIGIT, &c);

    let mut p = supplier(0x1024, "bad-no-clientauth.pem", DEMO_SUPPLIER_ID)?;
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let c = issue(&p, &keys.supplier, "bad-no-clientauth.pem")?;
    out.cert("bad-no-clientauth.pem", BAD_NO_CLIENTAUTH, &c);

    let mut p = supplier(0x1025, "bad-no-digitalsignature.pem", DEMO_SUPPLIER_ID)?;
    p.key_usages = vec![KeyUsagePurpose::KeyEncipherment];
    let c = issue(&p, &keys.supplier, "bad-no-digitalsignature.pem")?;
    out.cert("bad-no-digitalsignature.pem", BAD_NO_DIGITALSIGNATURE, &c);

    let mut p = supplier(0x1026, "bad-no-id.pem", DEMO_SUPPLIER_ID)?;
    p.distinguished_name = dn(
        "bad-no-id.pem",
        SUPPLIER_ORGANISATION,
        &[],
        Id::None,
        DEMO_SUPPLIER_HOST,
    )?;
    let c = issue(&p, &keys.supplier, "bad-no-id.pem")?;
    out.cert("bad-no-id.pem", BAD_NO_ID, &c);

    out.key("bad-mismatched.key", BAD_MISMATCHED_KEY, &keys.mismatched);

    let mut p = supplier(0x1028, "bad-ec-p256.pem", DEMO_SUPPLIER_ID)?;
    // An EC key cannot encipher (RFC 5480 §3): digitalSignature alone.
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let c = issue(&p, &keys.ec_p256, "bad-ec-p256.pem")?;
    out.cert("bad-ec-p256.pem", BAD_EC_P256, &c);
    out.key("bad-ec-p256.key", BAD_EC_P256_KEY, &keys.ec_p256);

    qualified.bad(&mut out)?;

    malformed::generate(
        &|serial, file| supplier(serial, file, DEMO_SUPPLIER_ID),
        &keys.supplier,
        &service_issuer,
        &keys.service_ca,
        &mut out,
    )?;

    Ok(DemoPki {
        files: out.0,
        options: *options,
    })
}
