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
//! │   └── bad-*                                      one defect each
//! └── DEMO Qualified Website CA                      qwac-ca.pem
//!     ├── qwac                                       an eIDAS QWAC look-alike
//!     └── bad-qwac-no-web                            QcType eseal instead of web
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

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use der::Encode;
use der::asn1::{Any, Ia5String, ObjectIdentifier, PrintableString};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, CustomExtension, DistinguishedName, DnType,
    DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, RsaKeySize,
    SignatureAlgorithm,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::pki::qc::{
    PdsLocation, QC_COMPLIANCE, QC_PDS, QC_STATEMENTS_EXT, QC_TYPE, QC_TYPE_ESEAL, QC_TYPE_WEB,
    QcStatement,
};

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

const CERTIFICATE_POLICIES_EXT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32");
const OU_ARCS: &[u64] = &[2, 5, 4, 11];
const SERIAL_NUMBER_ARCS: &[u64] = &[2, 5, 4, 5];
const ORGANIZATION_IDENTIFIER_ARCS: &[u64] = &[2, 5, 4, 97];

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
        let now = now
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .unwrap_or(now);
        DemoOptions {
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(730),
            expired_not_before: now - Duration::days(730),
            expired_not_after: now - Duration::days(365),
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
        let fmt = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| t.to_string())
        };
        let register_id = register_serial_number().unwrap_or("?");
        let mut text = format!(
            "DEMO PKI - NOT REAL CERTIFICATES - NEVER TRUST THEM IN PRODUCTION\n\
             =================================================================\n\
             \n\
             Everything in this directory is DEMO material made by tilicheck's demo PKI\n\
             generator (`tilicheck pki demo DIR`). It imitates the Digital and Population Data\n\
             Services Agency (DVV) service-certificate hierarchy and an eIDAS QWAC, so that\n\
             tilicheck and its Account Register simulator can be tried without real\n\
             certificates. Every subject name says DEMO. The CA private keys are included in\n\
             the clear: anyone who has this directory can issue certificates under the DEMO\n\
             root. Never add root-ca.pem (or any file here) to a production trust store, and\n\
             never send these certificates to Finnish Customs.\n\
             \n\
             How it was made: fresh random keys (RSA 3072 unless said otherwise; the real DVV\n\
             CAs use RSA 4096) and certificates built with rcgen. The DVV-style CAs sign with\n\
             sha512WithRSAEncryption, the QWAC CA with sha256WithRSAEncryption. Serial numbers\n\
             are fixed. Validity: {} to {}\n\
             (bad-expired.pem: {} to {}).\n\
             \n\
             Demo identifiers:\n\
             - supplier Business ID {DEMO_SUPPLIER_ID} (VAT form {DEMO_SUPPLIER_VAT_ID}),\n\
             \x20 host {DEMO_SUPPLIER_HOST}\n\
             - service centre Business ID {DEMO_SERVICE_CENTRE_ID}\n\
             - Account Register (Finnish Customs) {register_id}: the real register's ID,\n\
             \x20 used here only in register.pem, the DEMO certificate the simulator presents\n\
             - another valid ID, not the supplier's: {DEMO_WRONG_ID}\n\
             - the supplier's digits with a wrong check digit: {DEMO_BAD_CHECK_DIGIT_ID}\n\
             \n\
             Chains: root-ca.pem -> service-ca.pem -> supplier, service-centre, register and\n\
             bad-* (except bad-qwac-no-web); root-ca.pem -> qwac-ca.pem -> qwac and\n\
             bad-qwac-no-web. Check one with\n\
             \x20 openssl verify -CAfile root-ca.pem -untrusted service-ca.pem supplier.pem\n\
             \n\
             Not made: bad-sha1.pem (a SHA-1-signed certificate): the generator's libraries\n\
             cannot sign with SHA-1.\n\
             \n\
             Files (keys are PKCS#8 PEM, mode 0600):\n",
            fmt(self.options.not_before),
            fmt(self.options.not_after),
            fmt(self.options.expired_not_before),
            fmt(self.options.expired_not_after),
        );
        for f in &self.files {
            text.push_str(&format!("\n{}\n", f.name));
            text.push_str(&wrap(f.description, "    ", 78));
        }
        text
    }
}

/// `text` in lines of at most `width` characters (longer words stay whole), each indented.
fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            out.push_str(&format!("{indent}{line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!("{indent}{line}\n"));
    }
    out
}

/// Generate the whole DEMO PKI in memory. Takes a few seconds: ten fresh keys.
pub fn generate(options: &DemoOptions) -> Result<DemoPki, DemoError> {
    let keys = Keys::generate()?;
    let qevcp_w = qwac_policy("QEVCP-w")?;
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

    // The QWAC look-alike and its non-web twin.
    let qwac_params = |serial: u64, file: &'static str, qc_type: ObjectIdentifier| {
        let mut p = server_params(serial, file, &[DEMO_SUPPLIER_HOST], options)?;
        p.distinguished_name = dn(
            file,
            SUPPLIER_ORGANISATION,
            &[],
            Id::OrganizationIdentifier(&format!("NTRFI-{DEMO_SUPPLIER_ID}")),
            DEMO_SUPPLIER_HOST,
        )?;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.custom_extensions = vec![policies(file, &[qevcp_w])?, qc_statements(file, qc_type)?];
        Ok::<_, DemoError>(p)
    };
    let qwac_cert = qwac_params(0x1013, "qwac.pem", QC_TYPE_WEB)?
        .signed_by(&keys.qwac, &qwac_issuer)
        .map_err(rcgen_error("qwac.pem"))?;
    out.cert("qwac.pem", QWAC, &qwac_cert);
    out.key("qwac.key", QWAC_KEY, &keys.qwac);
    out.chain("qwac-chain.pem", QWAC_CHAIN, &[&qwac_cert, &qwac_ca_cert]);

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

    let c = qwac_params(0x1027, "bad-qwac-no-web.pem", QC_TYPE_ESEAL)?
        .signed_by(&keys.qwac, &qwac_issuer)
        .map_err(rcgen_error("bad-qwac-no-web.pem"))?;
    out.cert("bad-qwac-no-web.pem", BAD_QWAC_NO_WEB, &c);

    let p = supplier(0x1028, "bad-ec-p256.pem", DEMO_SUPPLIER_ID)?;
    let c = issue(&p, &keys.ec_p256, "bad-ec-p256.pem")?;
    out.cert("bad-ec-p256.pem", BAD_EC_P256, &c);
    out.key("bad-ec-p256.key", BAD_EC_P256_KEY, &keys.ec_p256);

    Ok(DemoPki {
        files: out.0,
        options: *options,
    })
}

// Descriptions, one line each (they also go into the README).
const ROOT_CA: &str = "DEMO root CA, imitates DVV Gov. Root CA - G3 RSA: self-signed, CA:TRUE, keyCertSign+cRLSign; RSA 3072 (the real one has 4096) to keep generation fast. Trust anchor for every certificate here.";
const ROOT_CA_KEY: &str = "Private key of the DEMO root CA (RSA 3072).";
const SERVICE_CA: &str = "DEMO intermediate, imitates DVV Service Certificates - G5R: issued by the DEMO root; CA:TRUE pathlen:0; keyCertSign+cRLSign; EKU clientAuth+serverAuth; policy 1.2.246.517.1.10.301.4.";
const SERVICE_CA_KEY: &str = "Private key of the DEMO service CA (RSA 3072).";
const QWAC_CA: &str = "DEMO Qualified Website CA, stands in for a qualified trust service provider: issued by the DEMO root; CA:TRUE pathlen:0.";
const QWAC_CA_KEY: &str = "Private key of the DEMO QWAC CA (RSA 3072).";
const SUPPLIER: &str = "The demo data supplier (good): serialNumber = supplier Business ID, CN and SAN tilicheck-demo.example, RSA 3072, KU digitalSignature+keyEncipherment, EKU clientAuth+serverAuth, policy 1.2.246.517.1.10.305.2; from the DEMO service CA.";
const SUPPLIER_KEY: &str = "Private key of supplier.pem (RSA 3072); also the key of supplier-vat.pem and of most bad-*.pem.";
const SUPPLIER_CHAIN: &str =
    "supplier.pem followed by service-ca.pem: the chain a client presents in TLS.";
const SUPPLIER_VAT: &str =
    "As supplier.pem (same key) with serialNumber in VAT form (FI + 8 digits). Good.";
const SERVICE_CENTRE: &str = "A service centre sending for the supplier (good): serialNumber = service centre Business ID, own RSA 3072 key, otherwise like supplier.pem.";
const SERVICE_CENTRE_KEY: &str = "Private key of service-centre.pem (RSA 3072).";
const SERVICE_CENTRE_CHAIN: &str = "service-centre.pem followed by service-ca.pem.";
const QWAC: &str = "QWAC look-alike for the supplier from the DEMO QWAC CA: organizationIdentifier NTRFI-<supplier Business ID>, no serialNumber; QCStatements QcCompliance, QcType web, QcPDS; policy QEVCP-w 0.4.0.194112.1.4; KU digitalSignature; EKU clientAuth+serverAuth; RSA 3072.";
const QWAC_KEY: &str = "Private key of qwac.pem and bad-qwac-no-web.pem (RSA 3072).";
const QWAC_CHAIN: &str = "qwac.pem followed by qwac-ca.pem.";
const REGISTER: &str = "The Account Register's server certificate as the simulator presents it: serialNumber = Customs' ID in VAT form, O=DEMO Tulli, CN localhost, SAN localhost, 127.0.0.1, ::1; EKU serverAuth+clientAuth; RSA 3072.";
const REGISTER_KEY: &str = "Private key of register.pem (RSA 3072).";
const REGISTER_CHAIN: &str =
    "register.pem followed by service-ca.pem: the chain the simulator serves.";
const BAD_EXPIRED: &str = "BAD: as supplier.pem (same key) but expired: valid 2020-01-01 to 2021-01-01 in the fixtures, otherwise from two years to one year before generation.";
const BAD_RSA2048: &str =
    "BAD: as supplier.pem but with an RSA 2048 key; Customs requires at least 3072 bits.";
const BAD_RSA2048_KEY: &str = "Private key of bad-rsa2048.pem (RSA 2048).";
const BAD_WRONG_ID: &str = "BAD: as supplier.pem (same key) but serialNumber is another valid Business ID, not the supplier's.";
const BAD_CHECK_DIGIT: &str = "BAD: as supplier.pem (same key) but serialNumber has the supplier's digits with a wrong check digit.";
const BAD_NO_CLIENTAUTH: &str =
    "BAD: as supplier.pem (same key) but EKU serverAuth only (no clientAuth).";
const BAD_NO_DIGITALSIGNATURE: &str =
    "BAD: as supplier.pem (same key) but key usage keyEncipherment only (no digitalSignature).";
const BAD_NO_ID: &str =
    "BAD: as supplier.pem (same key) but no serialNumber and no organizationIdentifier.";
const BAD_MISMATCHED_KEY: &str = "BAD: a fresh RSA 3072 key that belongs to no certificate here; pair it with supplier.pem to see a key mismatch.";
const BAD_QWAC_NO_WEB: &str = "BAD: as qwac.pem (same key) but QcType eseal instead of web: qualified, but not a website certificate.";
const BAD_EC_P256: &str = "BAD: as supplier.pem but with an EC P-256 key: strong enough for TLS, but cannot make RS256 message signatures.";
const BAD_EC_P256_KEY: &str = "Private key of bad-ec-p256.pem (EC P-256).";

/// The generated files, in order.
#[derive(Default)]
struct Files(Vec<DemoFile>);

impl Files {
    fn cert(&mut self, name: &'static str, description: &'static str, cert: &Certificate) {
        self.push(name, description, cert.pem(), false);
    }

    fn chain(&mut self, name: &'static str, description: &'static str, certs: &[&Certificate]) {
        let pem = certs.iter().map(|c| c.pem()).collect::<String>();
        self.push(name, description, pem, false);
    }

    fn key(&mut self, name: &'static str, description: &'static str, key: &KeyPair) {
        self.push(name, description, key.serialize_pem(), true);
    }

    fn push(
        &mut self,
        name: &'static str,
        description: &'static str,
        contents: String,
        secret: bool,
    ) {
        self.0.push(DemoFile {
            name,
            description,
            contents,
            secret,
        });
    }
}

/// Every key the demo needs, made in parallel: RSA key generation is the slow part.
struct Keys {
    root: KeyPair,
    service_ca: KeyPair,
    qwac_ca: KeyPair,
    supplier: KeyPair,
    service_centre: KeyPair,
    qwac: KeyPair,
    register: KeyPair,
    mismatched: KeyPair,
    rsa2048: KeyPair,
    ec_p256: KeyPair,
}

#[derive(Clone, Copy)]
enum KeySpec {
    /// RSA of the given size; the algorithm is what certificates signed by the key use.
    Rsa(&'static SignatureAlgorithm, RsaKeySize),
    EcP256,
}

impl Keys {
    fn generate() -> Result<Self, DemoError> {
        use KeySpec::{EcP256, Rsa};
        use rcgen::{PKCS_RSA_SHA256 as SHA256, PKCS_RSA_SHA512 as SHA512};
        let jobs: [(&'static str, KeySpec); 10] = [
            ("root-ca.key", Rsa(&SHA512, RsaKeySize::_3072)),
            ("service-ca.key", Rsa(&SHA512, RsaKeySize::_3072)),
            ("qwac-ca.key", Rsa(&SHA256, RsaKeySize::_3072)),
            ("supplier.key", Rsa(&SHA256, RsaKeySize::_3072)),
            ("service-centre.key", Rsa(&SHA256, RsaKeySize::_3072)),
            ("qwac.key", Rsa(&SHA256, RsaKeySize::_3072)),
            ("register.key", Rsa(&SHA256, RsaKeySize::_3072)),
            ("bad-mismatched.key", Rsa(&SHA256, RsaKeySize::_3072)),
            ("bad-rsa2048.key", Rsa(&SHA256, RsaKeySize::_2048)),
            ("bad-ec-p256.key", EcP256),
        ];
        let results: Vec<Result<KeyPair, DemoError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .iter()
                .map(|&(file, spec)| (file, scope.spawn(move || generate_key(file, spec))))
                .collect();
            handles
                .into_iter()
                .map(|(file, handle)| {
                    handle.join().unwrap_or_else(|_| {
                        Err(DemoError::Key {
                            file,
                            reason: "key generation panicked".into(),
                        })
                    })
                })
                .collect()
        });
        let mut results = results.into_iter();
        let mut next = || {
            results.next().unwrap_or_else(|| {
                Err(DemoError::Key {
                    file: "?",
                    reason: "missing key".into(),
                })
            })
        };
        Ok(Keys {
            root: next()?,
            service_ca: next()?,
            qwac_ca: next()?,
            supplier: next()?,
            service_centre: next()?,
            qwac: next()?,
            register: next()?,
            mismatched: next()?,
            rsa2048: next()?,
            ec_p256: next()?,
        })
    }
}

fn generate_key(file: &'static str, spec: KeySpec) -> Result<KeyPair, DemoError> {
    let key = match spec {
        KeySpec::Rsa(alg, size) => KeyPair::generate_rsa_for(alg, size),
        KeySpec::EcP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
    };
    key.map_err(|e| DemoError::Key {
        file,
        reason: e.to_string(),
    })
}

fn rcgen_error(file: &'static str) -> impl Fn(rcgen::Error) -> DemoError {
    move |e| DemoError::Rcgen {
        file,
        reason: e.to_string(),
    }
}

fn der_error(file: &'static str) -> impl Fn(der::Error) -> DemoError {
    move |e| DemoError::Der {
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
fn ca_params(
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
fn server_params(
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
enum Id<'a> {
    None,
    /// serialNumber (2.5.4.5), PrintableString.
    SerialNumber(&'a str),
    /// organizationIdentifier (2.5.4.97), UTF8String.
    OrganizationIdentifier(&'a str),
}

/// `C=FI, O=…, OU=…, <id>, CN=…`: country and serialNumber as PrintableString, the rest UTF8.
fn dn(
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
        Id::OrganizationIdentifier(s) => dn.push(
            DnType::CustomDnType(ORGANIZATION_IDENTIFIER_ARCS.to_vec()),
            DnValue::Utf8String(s.to_owned()),
        ),
    }
    dn.push(DnType::CommonName, common_name);
    Ok(dn)
}

fn arcs(oid: &ObjectIdentifier) -> Vec<u64> {
    oid.arcs().map(u64::from).collect()
}

/// PolicyInformation without qualifiers.
#[derive(der::Sequence)]
struct PolicyInformation {
    policy_identifier: ObjectIdentifier,
}

/// certificatePolicies (non-critical) with the given policies and no qualifiers.
fn policies(file: &'static str, oids: &[ObjectIdentifier]) -> Result<CustomExtension, DemoError> {
    let infos: Vec<PolicyInformation> = oids
        .iter()
        .map(|&policy_identifier| PolicyInformation { policy_identifier })
        .collect();
    let content = infos.to_der().map_err(der_error(file))?;
    Ok(CustomExtension::from_oid_content(
        &arcs(&CERTIFICATE_POLICIES_EXT),
        content,
    ))
}

/// QCStatements (non-critical): QcCompliance, QcType [`qc_type`], QcPDS [(DEMO_PDS_URL, en)].
fn qc_statements(
    file: &'static str,
    qc_type: ObjectIdentifier,
) -> Result<CustomExtension, DemoError> {
    let err = der_error(file);
    let pds = vec![PdsLocation {
        url: Ia5String::new(DEMO_PDS_URL).map_err(&err)?,
        language: PrintableString::new("en").map_err(&err)?,
    }];
    let statements = vec![
        QcStatement {
            statement_id: QC_COMPLIANCE,
            statement_info: None,
        },
        QcStatement {
            statement_id: QC_TYPE,
            statement_info: Some(Any::encode_from(&vec![qc_type]).map_err(&err)?),
        },
        QcStatement {
            statement_id: QC_PDS,
            statement_info: Some(Any::encode_from(&pds).map_err(&err)?),
        },
    ];
    let content = statements.to_der().map_err(&err)?;
    Ok(CustomExtension::from_oid_content(
        &arcs(&QC_STATEMENTS_EXT),
        content,
    ))
}

/// The QWAC policy of the given name from the profile.
fn qwac_policy(name: &'static str) -> Result<ObjectIdentifier, DemoError> {
    crate::profile::V3
        .qwac_policies
        .value
        .iter()
        .find(|(_, n)| *n == name)
        .and_then(|(oid, _)| ObjectIdentifier::new(oid).ok())
        .ok_or(DemoError::Profile(name))
}

/// The Account Register's ID in VAT form (`FI…`), as its certificate's serialNumber.
fn register_serial_number() -> Result<&'static str, DemoError> {
    crate::profile::V3
        .register_ids
        .value
        .iter()
        .copied()
        .find(|id| id.starts_with("FI"))
        .ok_or(DemoError::Profile("Account Register ID in VAT form"))
}

/// Write `contents` to `dir/name` through a temporary file in `dir` and a rename.
fn write_atomically(
    dir: &Path,
    name: &str,
    contents: &[u8],
    secret: bool,
) -> Result<(), DemoError> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        // A leftover from a crashed run must not lend us its permissions.
        match fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if secret { 0o600 } else { 0o644 });
        }
        #[cfg(not(unix))]
        let _ = secret;
        let mut file = options.open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, &path)
    };
    write().map_err(|source| {
        let _ = fs::remove_file(&tmp);
        DemoError::Io { path, source }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::sync::OnceLock;
    use x509_parser::prelude::*;

    fn pki() -> &'static DemoPki {
        static PKI: OnceLock<DemoPki> = OnceLock::new();
        PKI.get_or_init(|| {
            let started = std::time::Instant::now();
            let pki = generate(&DemoOptions::fixtures()).expect("demo PKI");
            eprintln!("demo PKI generated in {:?}", started.elapsed());
            pki
        })
    }

    fn der_of(name: &str) -> Vec<u8> {
        let file = pki().file(name).unwrap_or_else(|| panic!("{name} missing"));
        let (_, pem) = parse_x509_pem(file.contents.as_bytes()).expect("PEM");
        pem.contents
    }

    fn with_cert<R>(name: &str, f: impl FnOnce(&X509Certificate<'_>) -> R) -> R {
        let der = der_of(name);
        let (rest, cert) = X509Certificate::from_der(&der).expect("certificate");
        assert!(rest.is_empty(), "{name}: trailing data");
        f(&cert)
    }

    /// The subject attributes: (OID, string tag, value).
    fn subject(cert: &X509Certificate<'_>) -> Vec<(String, u32, String)> {
        cert.subject()
            .iter_attributes()
            .map(|a| {
                (
                    a.attr_type().to_id_string(),
                    a.attr_value().tag().0,
                    a.as_str().expect("string").to_owned(),
                )
            })
            .collect()
    }

    fn subject_value(cert: &X509Certificate<'_>, oid: &str) -> Option<(u32, String)> {
        subject(cert)
            .into_iter()
            .find(|(o, _, _)| o == oid)
            .map(|(_, t, v)| (t, v))
    }

    const PRINTABLE: u32 = 19;
    const UTF8: u32 = 12;

    /// Check digit by the Business ID formula; None when the remainder is 1 (never issued).
    fn check_digit(digits: &str) -> Option<u32> {
        let d: Vec<u32> = digits.chars().map(|c| c.to_digit(10).unwrap()).collect();
        assert_eq!(d.len(), 7);
        let r = [7, 9, 10, 5, 8, 4, 2]
            .iter()
            .zip(&d)
            .map(|(w, d)| w * d)
            .sum::<u32>()
            % 11;
        match r {
            0 => Some(0),
            1 => None,
            r => Some(11 - r),
        }
    }

    fn id_is_valid(id: &str) -> bool {
        let (digits, check) = id.split_once('-').expect("hyphen");
        check_digit(digits) == check.parse().ok()
    }

    #[test]
    fn demo_ids_have_the_intended_check_digits() {
        assert!(id_is_valid(DEMO_SUPPLIER_ID));
        assert!(id_is_valid(DEMO_SERVICE_CENTRE_ID));
        assert!(id_is_valid(DEMO_WRONG_ID));
        assert!(
            id_is_valid("0245442-8"),
            "the formula agrees with Customs' own ID"
        );
        assert!(!id_is_valid(DEMO_BAD_CHECK_DIGIT_ID));
        assert_eq!(DEMO_BAD_CHECK_DIGIT_ID[..7], DEMO_SUPPLIER_ID[..7]);
        assert_eq!(
            DEMO_SUPPLIER_VAT_ID,
            format!("FI{}", DEMO_SUPPLIER_ID.replace('-', ""))
        );
        let distinct: BTreeSet<_> = [DEMO_SUPPLIER_ID, DEMO_SERVICE_CENTRE_ID, DEMO_WRONG_ID]
            .into_iter()
            .collect();
        assert_eq!(distinct.len(), 3);
    }

    #[test]
    fn options() {
        let f = DemoOptions::fixtures();
        assert_eq!(f.not_before, datetime!(2025-01-01 00:00:00 UTC));
        assert_eq!(f.not_after, datetime!(2099-12-31 23:59:59 UTC));
        assert_eq!(f.expired_not_before, datetime!(2020-01-01 00:00:00 UTC));
        assert_eq!(f.expired_not_after, datetime!(2021-01-01 00:00:00 UTC));
        let now = datetime!(2026-03-04 05:06:07.5 +02:00);
        let s = DemoOptions::starting(now);
        assert_eq!(s.not_before, datetime!(2026-03-03 03:06:07 UTC));
        assert_eq!(s.not_after, datetime!(2028-03-03 03:06:07 UTC));
        assert!(s.expired_not_before < s.expired_not_after);
        assert!(s.expired_not_after < now);
    }

    const CERTS: &[&str] = &[
        "root-ca.pem",
        "service-ca.pem",
        "qwac-ca.pem",
        "supplier.pem",
        "supplier-vat.pem",
        "service-centre.pem",
        "qwac.pem",
        "register.pem",
        "bad-expired.pem",
        "bad-rsa2048.pem",
        "bad-wrong-id.pem",
        "bad-check-digit.pem",
        "bad-no-clientauth.pem",
        "bad-no-digitalsignature.pem",
        "bad-no-id.pem",
        "bad-qwac-no-web.pem",
        "bad-ec-p256.pem",
    ];

    fn issuer_of(name: &str) -> &'static str {
        match name {
            "root-ca.pem" | "service-ca.pem" | "qwac-ca.pem" => "root-ca.pem",
            "qwac.pem" | "bad-qwac-no-web.pem" => "qwac-ca.pem",
            _ => "service-ca.pem",
        }
    }

    #[test]
    fn file_list_is_complete_and_keys_are_secret() {
        let names: Vec<&str> = pki().files.iter().map(|f| f.name).collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "duplicate names");
        for name in CERTS {
            assert!(unique.contains(name), "{name}");
        }
        for name in [
            "root-ca.key",
            "service-ca.key",
            "qwac-ca.key",
            "supplier.key",
            "service-centre.key",
            "qwac.key",
            "register.key",
            "bad-rsa2048.key",
            "bad-mismatched.key",
            "bad-ec-p256.key",
            "supplier-chain.pem",
            "service-centre-chain.pem",
            "qwac-chain.pem",
            "register-chain.pem",
        ] {
            assert!(unique.contains(name), "{name}");
        }
        assert!(pki().file("bad-sha1.pem").is_none());
        for f in &pki().files {
            assert_eq!(f.secret, f.name.ends_with(".key"), "{}", f.name);
            assert!(!f.description.is_empty());
            let marker = if f.secret {
                "-----BEGIN PRIVATE KEY-----"
            } else {
                "-----BEGIN CERTIFICATE-----"
            };
            assert!(f.contents.starts_with(marker), "{}", f.name);
        }
    }

    #[test]
    fn every_certificate_is_signed_by_its_issuer_and_says_demo() {
        let mut serials = BTreeSet::new();
        for name in CERTS {
            let issuer_der = der_of(issuer_of(name));
            let (_, issuer) = X509Certificate::from_der(&issuer_der).unwrap();
            with_cert(name, |cert| {
                cert.verify_signature(Some(issuer.public_key()))
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(cert.issuer(), issuer.subject(), "{name}");
                assert!(serials.insert(cert.raw_serial().to_vec()), "{name}: serial");
                let org = subject_value(cert, "2.5.4.10").unwrap().1;
                let cn = subject_value(cert, "2.5.4.3").unwrap().1;
                assert!(org.contains("DEMO") || cn.contains("DEMO"), "{name}");
                assert_eq!(
                    subject_value(cert, "2.5.4.6"),
                    Some((PRINTABLE, "FI".into()))
                );
                if *name != "bad-expired.pem" {
                    assert_eq!(
                        cert.validity().not_before.timestamp(),
                        datetime!(2025-01-01 00:00:00 UTC).unix_timestamp()
                    );
                    assert_eq!(
                        cert.validity().not_after.timestamp(),
                        datetime!(2099-12-31 23:59:59 UTC).unix_timestamp()
                    );
                }
            });
        }
        with_cert("supplier.pem", |c| assert_eq!(c.raw_serial(), [0x10, 0x10]));
    }

    #[test]
    fn ca_hierarchy_mirrors_dvv() {
        with_cert("root-ca.pem", |c| {
            assert_eq!(
                c.subject().to_string(),
                "C=FI, O=DEMO Digi- ja vaestotietovirasto CA, OU=Certification Authority Services, OU=Varmennepalvelut, CN=DEMO DVV Gov. Root CA - G3 RSA"
            );
            assert_eq!(c.subject(), c.issuer());
            let bc = c.basic_constraints().unwrap().unwrap();
            assert!(bc.critical && bc.value.ca && bc.value.path_len_constraint.is_none());
            let ku = c.key_usage().unwrap().unwrap();
            assert!(ku.critical && ku.value.key_cert_sign() && ku.value.crl_sign());
            assert!(!ku.value.digital_signature());
            assert_eq!(rsa_bits(c), 3072);
            assert_eq!(
                c.signature_algorithm.algorithm.to_id_string(),
                "1.2.840.113549.1.1.13"
            );
        });
        with_cert("service-ca.pem", |c| {
            assert_eq!(
                c.subject().to_string(),
                "C=FI, O=DEMO Digi- ja vaestotietovirasto CA, OU=Palveluvarmenteet, CN=DEMO DVV Service Certificates - G5R"
            );
            let bc = c.basic_constraints().unwrap().unwrap();
            assert!(bc.critical && bc.value.ca);
            assert_eq!(bc.value.path_len_constraint, Some(0));
            let ku = c.key_usage().unwrap().unwrap();
            assert!(ku.critical && ku.value.key_cert_sign() && ku.value.crl_sign());
            let eku = c.extended_key_usage().unwrap().unwrap().value;
            assert!(eku.client_auth && eku.server_auth && eku.other.is_empty());
            assert_eq!(policies_of(c), ["1.2.246.517.1.10.301.4"]);
        });
        with_cert("qwac-ca.pem", |c| {
            assert_eq!(
                subject_value(c, "2.5.4.3").unwrap().1,
                "DEMO Qualified Website CA"
            );
            assert!(c.basic_constraints().unwrap().unwrap().value.ca);
        });
    }

    fn rsa_bits(c: &X509Certificate<'_>) -> usize {
        match c.public_key().parsed().unwrap() {
            x509_parser::public_key::PublicKey::RSA(rsa) => rsa.key_size(),
            other => panic!("not RSA: {other:?}"),
        }
    }

    fn policies_of(c: &X509Certificate<'_>) -> Vec<String> {
        c.extensions()
            .iter()
            .filter_map(|e| match e.parsed_extension() {
                ParsedExtension::CertificatePolicies(p) => Some(
                    p.iter()
                        .map(|i| i.policy_id.to_id_string())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect()
    }

    fn qc_of(c: &X509Certificate<'_>) -> Option<crate::pki::qc::QcFacts> {
        let oid = QC_STATEMENTS_EXT.to_string();
        c.extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == oid)
            .map(|e| {
                assert!(!e.critical);
                crate::pki::qc::decode(e.value).expect("QCStatements")
            })
    }

    #[test]
    fn supplier_certificates() {
        with_cert("supplier.pem", |c| {
            assert_eq!(
                subject(c),
                [
                    ("2.5.4.6".to_string(), PRINTABLE, "FI".to_string()),
                    ("2.5.4.10".into(), UTF8, "DEMO Maksulaitos Oy".into()),
                    ("2.5.4.5".into(), PRINTABLE, DEMO_SUPPLIER_ID.into()),
                    ("2.5.4.3".into(), UTF8, DEMO_SUPPLIER_HOST.into()),
                ]
            );
            let bc = c.basic_constraints().unwrap().unwrap();
            assert!(!bc.value.ca);
            let ku = c.key_usage().unwrap().unwrap();
            assert!(ku.critical);
            assert!(ku.value.digital_signature() && ku.value.key_encipherment());
            assert!(!ku.value.key_cert_sign());
            let eku = c.extended_key_usage().unwrap().unwrap().value;
            assert!(eku.client_auth && eku.server_auth);
            assert_eq!(policies_of(c), ["1.2.246.517.1.10.305.2"]);
            let san = c.subject_alternative_name().unwrap().unwrap().value;
            assert_eq!(
                san.general_names,
                [GeneralName::DNSName(DEMO_SUPPLIER_HOST)]
            );
            assert_eq!(rsa_bits(c), 3072);
            assert!(qc_of(c).is_none());
            assert_eq!(
                c.signature_algorithm.algorithm.to_id_string(),
                "1.2.840.113549.1.1.13",
                "sha512WithRSAEncryption, like G5R"
            );
        });
        with_cert("supplier-vat.pem", |c| {
            assert_eq!(
                subject_value(c, "2.5.4.5"),
                Some((PRINTABLE, DEMO_SUPPLIER_VAT_ID.into()))
            );
        });
        with_cert("service-centre.pem", |c| {
            assert_eq!(
                subject_value(c, "2.5.4.5"),
                Some((PRINTABLE, DEMO_SERVICE_CENTRE_ID.into()))
            );
            assert_eq!(rsa_bits(c), 3072);
        });
        // The chain file is the supplier followed by the service CA.
        let chain = &pki().file("supplier-chain.pem").unwrap().contents;
        assert_eq!(
            *chain,
            format!(
                "{}{}",
                pki().file("supplier.pem").unwrap().contents,
                pki().file("service-ca.pem").unwrap().contents
            )
        );
    }

    #[test]
    fn qwac_certificates() {
        with_cert("qwac.pem", |c| {
            assert_eq!(
                subject_value(c, "2.5.4.97"),
                Some((UTF8, format!("NTRFI-{DEMO_SUPPLIER_ID}")))
            );
            assert_eq!(subject_value(c, "2.5.4.5"), None);
            let qc = qc_of(c).expect("QCStatements");
            assert!(qc.compliance);
            assert!(qc.has_type(&QC_TYPE_WEB));
            assert_eq!(qc.types.len(), 1);
            assert_eq!(qc.pds, [(DEMO_PDS_URL.to_string(), "en".to_string())]);
            assert_eq!(policies_of(c), ["0.4.0.194112.1.4"]);
            let ku = c.key_usage().unwrap().unwrap().value;
            assert!(ku.digital_signature() && !ku.key_encipherment());
            let eku = c.extended_key_usage().unwrap().unwrap().value;
            assert!(eku.client_auth && eku.server_auth);
            assert_eq!(rsa_bits(c), 3072);
        });
        let qwac = summary("qwac.pem");
        let bad = summary("bad-qwac-no-web.pem");
        assert_eq!(differences(&qwac, &bad), ["qc"]);
        with_cert("bad-qwac-no-web.pem", |c| {
            let qc = qc_of(c).unwrap();
            assert!(qc.compliance);
            assert!(!qc.has_type(&QC_TYPE_WEB));
            assert!(qc.has_type(&QC_TYPE_ESEAL));
        });
    }

    #[test]
    fn register_certificate() {
        with_cert("register.pem", |c| {
            let (tag, id) = subject_value(c, "2.5.4.5").unwrap();
            assert_eq!(tag, PRINTABLE);
            assert_eq!(id, "FI02454428");
            assert!(crate::profile::V3.register_ids.value.contains(&id.as_str()));
            assert_eq!(subject_value(c, "2.5.4.10").unwrap().1, "DEMO Tulli");
            assert_eq!(subject_value(c, "2.5.4.3").unwrap().1, "localhost");
            let san = c.subject_alternative_name().unwrap().unwrap().value;
            assert_eq!(
                san.general_names,
                [
                    GeneralName::DNSName("localhost"),
                    GeneralName::IPAddress(&[127, 0, 0, 1]),
                    GeneralName::IPAddress(&std::net::Ipv6Addr::LOCALHOST.octets()),
                ]
            );
            let eku = c.extended_key_usage().unwrap().unwrap().value;
            assert!(eku.client_auth && eku.server_auth);
            assert_eq!(rsa_bits(c), 3072);
        });
    }

    /// Everything about a certificate a check could look at, except its serial number and
    /// signature, as comparable strings.
    fn summary(name: &str) -> Vec<(&'static str, String)> {
        with_cert(name, |c| {
            let ext = |oid: &str| {
                c.extensions()
                    .iter()
                    .filter(|e| e.oid.to_id_string() == oid)
                    .map(|e| format!("{}:{:?}", e.critical, e.value))
                    .collect::<String>()
            };
            vec![
                ("subject", format!("{:?}", subject(c))),
                ("issuer", c.issuer().to_string()),
                ("validity", format!("{:?}", c.validity())),
                ("key", format!("{:?}", c.public_key().raw)),
                (
                    "signature_algorithm",
                    c.signature_algorithm.algorithm.to_id_string(),
                ),
                ("basic_constraints", ext("2.5.29.19")),
                ("key_usage", ext("2.5.29.15")),
                ("extended_key_usage", ext("2.5.29.37")),
                ("san", ext("2.5.29.17")),
                ("policies", ext("2.5.29.32")),
                ("qc", ext(&QC_STATEMENTS_EXT.to_string())),
                (
                    "extension_set",
                    c.extensions()
                        .iter()
                        .map(|e| e.oid.to_id_string())
                        .filter(|o| o != "2.5.29.35" && o != "2.5.29.14")
                        .collect::<Vec<_>>()
                        .join(","),
                ),
            ]
        })
    }

    fn differences(
        a: &[(&'static str, String)],
        b: &[(&'static str, String)],
    ) -> Vec<&'static str> {
        a.iter()
            .zip(b)
            .filter(|(x, y)| x.1 != y.1)
            .map(|(x, _)| x.0)
            .collect()
    }

    #[test]
    fn bad_variants_differ_from_the_supplier_in_one_way_each() {
        let supplier = summary("supplier.pem");
        for (name, expected) in [
            ("supplier-vat.pem", &["subject"][..]),
            ("service-centre.pem", &["subject", "key", "san"][..]),
            ("bad-expired.pem", &["validity"][..]),
            ("bad-rsa2048.pem", &["key"][..]),
            ("bad-wrong-id.pem", &["subject"][..]),
            ("bad-check-digit.pem", &["subject"][..]),
            ("bad-no-clientauth.pem", &["extended_key_usage"][..]),
            ("bad-no-digitalsignature.pem", &["key_usage"][..]),
            ("bad-no-id.pem", &["subject"][..]),
            ("bad-ec-p256.pem", &["key"][..]),
        ] {
            assert_eq!(differences(&supplier, &summary(name)), expected, "{name}");
        }
        let id = |name: &str| with_cert(name, |c| subject_value(c, "2.5.4.5"));
        assert_eq!(
            id("bad-wrong-id.pem"),
            Some((PRINTABLE, DEMO_WRONG_ID.into()))
        );
        assert_eq!(
            id("bad-check-digit.pem"),
            Some((PRINTABLE, DEMO_BAD_CHECK_DIGIT_ID.into()))
        );
        assert_eq!(id("bad-no-id.pem"), None);
        with_cert("bad-no-id.pem", |c| {
            assert!(subject_value(c, "2.5.4.97").is_none())
        });
        with_cert("bad-expired.pem", |c| {
            assert_eq!(
                c.validity().not_before.timestamp(),
                datetime!(2020-01-01 00:00:00 UTC).unix_timestamp()
            );
            assert_eq!(
                c.validity().not_after.timestamp(),
                datetime!(2021-01-01 00:00:00 UTC).unix_timestamp()
            );
        });
        with_cert("bad-rsa2048.pem", |c| assert_eq!(rsa_bits(c), 2048));
        with_cert("bad-no-clientauth.pem", |c| {
            let eku = c.extended_key_usage().unwrap().unwrap().value;
            assert!(eku.server_auth && !eku.client_auth);
        });
        with_cert("bad-no-digitalsignature.pem", |c| {
            let ku = c.key_usage().unwrap().unwrap().value;
            assert!(ku.key_encipherment() && !ku.digital_signature());
        });
        with_cert("bad-ec-p256.pem", |c| {
            match c.public_key().parsed().unwrap() {
                x509_parser::public_key::PublicKey::EC(ec) => assert_eq!(ec.key_size(), 256),
                other => panic!("not EC: {other:?}"),
            }
        });
    }

    fn spki_of_key(name: &str) -> Vec<u8> {
        use rcgen::PublicKeyData;
        let key = KeyPair::from_pem(&pki().file(name).unwrap().contents).expect(name);
        key.subject_public_key_info()
    }

    #[test]
    fn keys_match_their_certificates_except_the_mismatched_one() {
        for (key, certs) in [
            ("root-ca.key", &["root-ca.pem"][..]),
            ("service-ca.key", &["service-ca.pem"][..]),
            ("qwac-ca.key", &["qwac-ca.pem"][..]),
            (
                "supplier.key",
                &[
                    "supplier.pem",
                    "supplier-vat.pem",
                    "bad-expired.pem",
                    "bad-wrong-id.pem",
                    "bad-check-digit.pem",
                    "bad-no-clientauth.pem",
                    "bad-no-digitalsignature.pem",
                    "bad-no-id.pem",
                ][..],
            ),
            ("service-centre.key", &["service-centre.pem"][..]),
            ("qwac.key", &["qwac.pem", "bad-qwac-no-web.pem"][..]),
            ("register.key", &["register.pem"][..]),
            ("bad-rsa2048.key", &["bad-rsa2048.pem"][..]),
            ("bad-ec-p256.key", &["bad-ec-p256.pem"][..]),
        ] {
            let spki = spki_of_key(key);
            for cert in certs {
                with_cert(cert, |c| {
                    assert_eq!(c.public_key().raw, spki, "{key} / {cert}")
                });
            }
        }
        let mismatched = spki_of_key("bad-mismatched.key");
        for cert in CERTS {
            with_cert(cert, |c| {
                assert_ne!(c.public_key().raw, mismatched, "{cert}")
            });
        }
        // It is still a usable RSA 3072 key: only the pairing is wrong.
        let (_, spki) = SubjectPublicKeyInfo::from_der(&mismatched).unwrap();
        match spki.parsed().unwrap() {
            x509_parser::public_key::PublicKey::RSA(rsa) => assert_eq!(rsa.key_size(), 3072),
            other => panic!("not RSA: {other:?}"),
        }
    }

    #[test]
    fn write_to_writes_every_file_atomically_with_private_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new").join("demo");
        pki().write_to(&dir).unwrap();
        // Writing again over existing files works too.
        pki().write_to(&dir).unwrap();
        let mut on_disk: BTreeSet<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(on_disk.remove(README_NAME));
        let expected: BTreeSet<String> = pki().files.iter().map(|f| f.name.to_owned()).collect();
        assert_eq!(on_disk, expected, "no temporary or extra files");
        for f in &pki().files {
            let path = dir.join(f.name);
            assert_eq!(fs::read_to_string(&path).unwrap(), f.contents);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                if f.secret {
                    assert_eq!(mode, 0o600, "{}", f.name);
                } else {
                    assert_eq!(mode & 0o022, 0, "{}", f.name);
                }
            }
        }
        let readme = fs::read_to_string(dir.join(README_NAME)).unwrap();
        assert!(readme.contains("DEMO"));
        assert!(readme.contains("NEVER TRUST"));
        assert!(readme.contains("2099-12-31T23:59:59Z"));
        for f in &pki().files {
            assert!(readme.contains(f.name), "{}", f.name);
        }
        assert!(readme.contains(DEMO_SUPPLIER_ID) && readme.contains(DEMO_SERVICE_CENTRE_ID));
        assert!(readme.contains("bad-sha1.pem"));
    }

    #[test]
    fn write_to_reports_the_path_it_could_not_write() {
        let tmp = tempfile::tempdir().unwrap();
        let blocker = tmp.path().join("file");
        fs::write(&blocker, "x").unwrap();
        let err = pki().write_to(&blocker.join("sub")).unwrap_err();
        assert!(matches!(err, DemoError::Io { .. }));
        assert!(err.to_string().contains("sub"), "{err}");
    }

    #[test]
    fn openssl_verifies_the_chains() {
        if std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_err()
        {
            eprintln!("openssl not installed; skipping");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        pki().write_to(tmp.path()).unwrap();
        let verify = |untrusted: &str, leaf: &str, purpose: Option<&str>| {
            let mut cmd = std::process::Command::new("openssl");
            cmd.current_dir(tmp.path()).args([
                "verify",
                "-CAfile",
                "root-ca.pem",
                "-untrusted",
                untrusted,
            ]);
            if let Some(p) = purpose {
                cmd.args(["-purpose", p]);
            }
            let out = cmd.arg(leaf).output().unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr),
            )
        };
        for (leaf, untrusted) in [
            ("supplier.pem", "service-ca.pem"),
            ("supplier-vat.pem", "service-ca.pem"),
            ("service-centre.pem", "service-ca.pem"),
            ("register.pem", "service-ca.pem"),
            ("qwac.pem", "qwac-ca.pem"),
        ] {
            for purpose in [None, Some("sslclient"), Some("sslserver")] {
                let (ok, output) = verify(untrusted, leaf, purpose);
                assert!(ok, "{leaf} {purpose:?}: {output}");
            }
        }
        let (ok, output) = verify("service-ca.pem", "bad-expired.pem", None);
        assert!(!ok && output.contains("expired"), "{output}");
        let (ok, output) = verify("service-ca.pem", "bad-no-clientauth.pem", Some("sslclient"));
        assert!(!ok, "{output}");
    }
}
