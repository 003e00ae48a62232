//! What the DEMO PKI consists of: a one-line description of each file, and the ordered
//! collection [`generate`](super::generate) fills.

use rcgen::{Certificate, KeyPair};

use super::DemoFile;

use crate::pki::load::pem::ToPem;

// Descriptions, one line each (they also go into the README).
pub(super) const ROOT_CA: &str = "DEMO root CA, imitates DVV Gov. Root CA - G3 RSA: self-signed, CA:TRUE, keyCertSign+cRLSign; RSA 3072 (the real one has 4096) to keep generation fast. Trust anchor for every certificate here.";
pub(super) const ROOT_CA_KEY: &str = "Private key of the DEMO root CA (RSA 3072).";
pub(super) const SERVICE_CA: &str = "DEMO intermediate, imitates DVV Service Certificates - G5R: issued by the DEMO root; CA:TRUE pathlen:0; keyCertSign+cRLSign; EKU clientAuth+serverAuth; policy 1.2.246.517.1.10.301.4.";
pub(super) const SERVICE_CA_KEY: &str = "Private key of the DEMO service CA (RSA 3072).";
pub(super) const QWAC_CA: &str = "DEMO Qualified Website CA, stands in for a qualified trust service provider: issued by the DEMO root; CA:TRUE pathlen:0.";
pub(super) const QWAC_CA_KEY: &str = "Private key of the DEMO QWAC CA (RSA 3072).";
pub(super) const SUPPLIER: &str = "The demo data supplier (good): serialNumber = supplier Business ID, CN and SAN tilicheck-demo.example, RSA 3072, KU digitalSignature+keyEncipherment, EKU clientAuth+serverAuth, policy 1.2.246.517.1.10.305.2; from the DEMO service CA.";
pub(super) const SUPPLIER_KEY: &str = "Private key of supplier.pem (RSA 3072); also the key of supplier-vat.pem and of most bad-*.pem.";
pub(super) const SUPPLIER_CHAIN: &str =
    "supplier.pem followed by service-ca.pem: the chain a client presents in TLS.";
pub(super) const SUPPLIER_VAT: &str =
    "As supplier.pem (same key) with serialNumber in VAT form (FI + 8 digits). Good.";
pub(super) const SERVICE_CENTRE: &str = "A service centre sending for the supplier (good): serialNumber = service centre Business ID, own RSA 3072 key, otherwise like supplier.pem.";
pub(super) const SERVICE_CENTRE_KEY: &str = "Private key of service-centre.pem (RSA 3072).";
pub(super) const SERVICE_CENTRE_CHAIN: &str = "service-centre.pem followed by service-ca.pem.";
pub(super) const QWAC: &str = "QWAC for the supplier from the DEMO QWAC CA, an OV legal-person QWAC: C, L, O, organizationIdentifier NTRFI-<supplier Business ID> (no serialNumber), CN and SAN the host; QCStatements QcCompliance, QcType web, QcPDS (https, en); policies QNCP-w 0.4.0.194112.1.5 and OVCP 2.23.140.1.2.2; KU digitalSignature; EKU clientAuth+serverAuth; CRL distribution point and OCSP/CA issuers addresses under demo.invalid; RSA 3072.";
pub(super) const QSEAL: &str = "Qualified e-seal certificate for the supplier from the DEMO QWAC CA (for signing): subject as qwac.pem with CN the organisation, no SAN; QcCompliance, QcType eseal, QcPDS; policy QCP-l 0.4.0.194112.1.1; KU digitalSignature; no EKU; same key as qwac.pem.";
pub(super) const QWAC_KEY: &str =
    "Private key of qwac.pem, qseal.pem and every bad-qwac-*.pem (RSA 3072).";
pub(super) const QWAC_CHAIN: &str = "qwac.pem followed by qwac-ca.pem.";
pub(super) const REGISTER: &str = "The Account Register's server certificate as the simulator presents it: serialNumber = Customs' ID in VAT form, O=DEMO Tulli, CN localhost, SAN localhost, 127.0.0.1, ::1; EKU serverAuth+clientAuth; RSA 3072.";
pub(super) const REGISTER_KEY: &str = "Private key of register.pem (RSA 3072).";
pub(super) const REGISTER_CHAIN: &str =
    "register.pem followed by service-ca.pem: the chain the simulator serves.";
pub(super) const BAD_EXPIRED: &str = "BAD: as supplier.pem (same key) but expired: valid 2020-01-01 to 2021-01-01 in the fixtures, otherwise from two years to one year before generation.";
pub(super) const BAD_RSA2048: &str =
    "BAD: as supplier.pem but with an RSA 2048 key; Customs requires at least 3072 bits.";
pub(super) const BAD_RSA2048_KEY: &str = "Private key of bad-rsa2048.pem (RSA 2048).";
pub(super) const BAD_WRONG_ID: &str = "BAD: as supplier.pem (same key) but serialNumber is another valid Business ID, not the supplier's.";
pub(super) const BAD_CHECK_DIGIT: &str = "BAD: as supplier.pem (same key) but serialNumber has the supplier's digits with a wrong check digit.";
pub(super) const BAD_NO_CLIENTAUTH: &str =
    "BAD: as supplier.pem (same key) but EKU serverAuth only (no clientAuth).";
pub(super) const BAD_NO_DIGITALSIGNATURE: &str =
    "BAD: as supplier.pem (same key) but key usage keyEncipherment only (no digitalSignature).";
pub(super) const BAD_NO_ID: &str =
    "BAD: as supplier.pem (same key) but no serialNumber and no organizationIdentifier.";
pub(super) const BAD_MISMATCHED_KEY: &str = "BAD: a fresh RSA 3072 key that belongs to no certificate here; pair it with supplier.pem to see a key mismatch.";
pub(super) const BAD_QWAC_NO_WEB: &str = "BAD: as qwac.pem (same key) but QcType eseal instead of web: qualified, but not a website certificate.";
pub(super) const BAD_QWAC_TWO_TYPES: &str = "BAD (ETSI): as qwac.pem (same key) but with two QcTypes, web and esign; a QWAC has exactly one.";
pub(super) const BAD_QWAC_SSCD: &str = "BAD (ETSI): as qwac.pem (same key) but with QcSSCD, which a website certificate never carries.";
pub(super) const BAD_QWAC_PDS_HTTP: &str =
    "BAD (ETSI): as qwac.pem (same key) but the PKI disclosure statement URL is http, not https.";
pub(super) const BAD_QWAC_PSD2_NO_ROLES: &str =
    "BAD (ETSI): as qwac.pem (same key) plus a PSD2 statement with no roles.";
pub(super) const BAD_QWAC_PSD2_ROLE_NAME: &str = "BAD (ETSI): as qwac.pem (same key) plus a PSD2 statement whose role OID is PSP_AI but whose name says PSP_PI.";
pub(super) const BAD_QWAC_PSD2_NCA_ID: &str = "BAD (ETSI): as qwac.pem (same key) plus a PSD2 statement whose NCA id is a name, not country code, hyphen and NCA identifier (FI-FINFSA).";
pub(super) const BAD_QWAC_EV_POLICY: &str = "BAD (ETSI): as qwac.pem (same key) but with the EV policies QEVCP-w and EVCP on a subject that is not an EV subject (no businessCategory, jurisdictionCountryName or serialNumber).";
pub(super) const BAD_QWAC_NO_POLICY: &str =
    "BAD (ETSI, a warning): as qwac.pem (same key) but without the QWAC policy QNCP-w (OVCP only).";
pub(super) const BAD_EC_P256: &str = "BAD: as supplier.pem but with an EC P-256 key (key usage digitalSignature only: an EC key cannot encipher): strong enough for TLS, but cannot make RS256 message signatures.";
pub(super) const BAD_X509_DUPLICATE_EXT: &str =
    "BAD (RFC 5280 profile): as supplier.pem (same key) but subjectAltName appears twice.";
pub(super) const BAD_X509_SIGALG_MISMATCH: &str = "BAD (RFC 5280 profile): as supplier.pem (same key) but the signature algorithm inside the signed part says sha256WithRSAEncryption while the certificate is signed with sha512WithRSAEncryption.";
pub(super) const BAD_X509_LONG_SERIAL: &str = "BAD (RFC 5280 profile): as supplier.pem (same key) but with a 21-octet serial number (at most 20 are allowed).";
pub(super) const BAD_X509_NEGATIVE_SERIAL: &str =
    "BAD (RFC 5280 profile): as supplier.pem (same key) but with a negative serial number.";
pub(super) const BAD_X509_NON_DER_BC: &str = "BAD (RFC 5280 profile): as supplier.pem (same key) but basicConstraints (non-critical) writes out its DEFAULT cA FALSE, which DER forbids.";
pub(super) const BAD_X509_UNDECODABLE_NAME: &str = "BAD (RFC 5280 profile): as supplier.pem (same key) but the subject's organizationName UTF8String is not valid UTF-8.";
pub(super) const BAD_X509_CRITICAL_SAN: &str = "BAD (RFC 5280 profile, a SHOULD: a warning): as supplier.pem (same key) but subjectAltName is critical although the subject is not empty.";
pub(super) const BAD_X509_MALFORMED_SAN: &str = "BAD (RFC 5280 profile): as supplier.pem (same key) but the subjectAltName dNSName is \"tilicheck demo.example\" (a space is not allowed in a host name).";
pub(super) const BAD_X509_EE_KEYCERTSIGN: &str = "BAD (RFC 5280 profile): as supplier.pem (same key) but key usage also asserts keyCertSign on a certificate that is not a CA.";
pub(super) const BAD_X509_NO_AKI: &str =
    "BAD (RFC 5280 profile): as supplier.pem (same key) but without authorityKeyIdentifier.";
pub(super) const BAD_X509_CT_POISON: &str = "BAD (RFC 5280 profile): as supplier.pem (same key) but with the critical Certificate Transparency poison extension: a precertificate, which no relying party may accept.";
pub(super) const BAD_EKU_OCSP_SIGNING: &str = "BAD: as supplier.pem (same key) but extended key usage also lists OCSPSigning, which a TLS certificate must not carry.";
pub(super) const BAD_EKU_CRITICAL: &str =
    "BAD (a warning): as supplier.pem (same key) but extendedKeyUsage is marked critical.";
pub(super) const BAD_EC_P256_KEY: &str = "Private key of bad-ec-p256.pem (EC P-256).";

/// The generated files, in order.
#[derive(Default)]
pub(super) struct Files(pub(super) Vec<DemoFile>);

impl Files {
    pub(super) fn cert(
        &mut self,
        name: &'static str,
        description: &'static str,
        cert: &Certificate,
    ) {
        self.push(name, description, cert.to_pem(), false);
    }

    /// A certificate given as DER (one rcgen could not write), stored as PEM.
    pub(super) fn der_cert(&mut self, name: &'static str, description: &'static str, der: &[u8]) {
        let pem = crate::pki::load::pem::encode("CERTIFICATE", der);
        self.push(name, description, pem, false);
    }

    pub(super) fn chain(
        &mut self,
        name: &'static str,
        description: &'static str,
        certs: &[&Certificate],
    ) {
        let pem = certs.iter().map(|c| c.to_pem()).collect::<String>();
        self.push(name, description, pem, false);
    }

    pub(super) fn key(&mut self, name: &'static str, description: &'static str, key: &KeyPair) {
        self.push(name, description, key.to_pem(), true);
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
