//! Writing the DEMO PKI to disk: each file atomically, and the README that explains them.

use std::path::Path;

use crate::atomic_file::{Access, Existing};

use time::OffsetDateTime;

use super::certs::register_serial_number;
use super::{
    DEMO_BAD_CHECK_DIGIT_ID, DEMO_SERVICE_CENTRE_ID, DEMO_SUPPLIER_HOST, DEMO_SUPPLIER_ID,
    DEMO_SUPPLIER_VAT_ID, DEMO_WRONG_ID, DemoError, DemoPki,
};

/// The text of the README that [`DemoPki::write_to`] writes.
pub(super) fn readme(pki: &DemoPki) -> String {
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
             bad-* (except bad-qwac-*); root-ca.pem -> qwac-ca.pem -> qwac, qseal and\n\
             bad-qwac-*. Check one with\n\
             \x20 openssl verify -CAfile root-ca.pem -untrusted service-ca.pem supplier.pem\n\
             \n\
             Bad variants: bad-x509-* break the RFC 5280 profile (CERT-X509V3), bad-qwac-*\n\
             the ETSI QWAC profile (CERT-QWAC), bad-eku-* what a TLS certificate may carry\n\
             (CERT-EKU-TLS), the other bad-* one supplier rule each; each fails (or, where its\n\
             description says so, warns) for its one stated reason.\n\
             \n\
             Not made: bad-sha1.pem (a SHA-1-signed certificate): the generator's libraries\n\
             cannot sign with SHA-1.\n\
             \n\
             Files (keys are PKCS#8 PEM, mode 0600):\n",
        fmt(pki.options.not_before),
        fmt(pki.options.not_after),
        fmt(pki.options.expired_not_before),
        fmt(pki.options.expired_not_after),
    );
    for f in &pki.files {
        text.push_str(&format!("\n{}\n", f.name));
        text.push_str(&wrap(f.description, "    ", 78));
    }
    text
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
/// Write `contents` to `dir/name` whole or not at all; keys owner-only.
pub(super) fn write_atomically(
    dir: &Path,
    name: &str,
    contents: &[u8],
    secret: bool,
) -> Result<(), DemoError> {
    let path = dir.join(name);
    let access = if secret {
        Access::OwnerOnly
    } else {
        Access::Public
    };
    crate::atomic_file::write(&path, contents, access, Existing::Replace)
        .map_err(|source| DemoError::Io { path, source })
}
