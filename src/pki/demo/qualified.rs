//! The qualified certificates from the DEMO QWAC CA: the QWAC (an OV legal-person QWAC under
//! QNCP-w, as ETSI EN 319 412-4 and the CA/Browser Forum profile it builds on ask), a qualified
//! e-seal for signing, and the `bad-qwac-*` variants with one ETSI defect each.

use der::asn1::ObjectIdentifier;
use rcgen::{
    CertificateParams, CrlDistributionPoint, DistinguishedName, DnType, DnValue, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::pki::qc::{QC_TYPE_ESEAL, QC_TYPE_ESIGN, QC_TYPE_WEB};

use super::certs::{rcgen_error, server_params};
use super::extensions::{Psd2Spec, QcSpec, authority_info_access, policies, qc_statements};
use super::files::*;
use super::{DEMO_PDS_URL, DEMO_SUPPLIER_HOST, DEMO_SUPPLIER_ID, DemoError, DemoOptions, Files};

const SUPPLIER_ORGANISATION: &str = "DEMO Maksulaitos Oy";
const LOCALITY: &str = "Helsinki";
/// Where the DEMO QWAC CA would publish; `.invalid` never resolves (RFC 6761).
const OCSP_URL: &str = "http://ocsp.demo.invalid/qwac-ca";
const CA_ISSUERS_URL: &str = "http://pki.demo.invalid/qwac-ca.cer";
const CRL_URL: &str = "http://pki.demo.invalid/qwac-ca.crl";
/// PSD2 role OIDs (TS 119 495 §5.1).
const PSP_AI: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.19495.1.3");
const PSP_PI: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.19495.1.2");

const OID_ORGANIZATION_IDENTIFIER: &[u64] = &[2, 5, 4, 97];

/// The certificate-type policy of the given name from the profile.
fn type_policy(name: &'static str) -> Result<ObjectIdentifier, DemoError> {
    crate::profile::V3
        .type_policies
        .value
        .iter()
        .find(|t| t.name == name)
        .and_then(|t| ObjectIdentifier::new(t.oid).ok())
        .ok_or(DemoError::Profile(name))
}

/// `C=FI, L=Helsinki, O=…, organizationIdentifier=NTRFI-…, CN=…`.
fn legal_person(file: &'static str, common_name: &str) -> Result<DistinguishedName, DemoError> {
    let fi = rcgen::string::PrintableString::try_from("FI").map_err(rcgen_error(file))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, DnValue::PrintableString(fi));
    dn.push(DnType::LocalityName, LOCALITY);
    dn.push(DnType::OrganizationName, SUPPLIER_ORGANISATION);
    dn.push(
        DnType::CustomDnType(OID_ORGANIZATION_IDENTIFIER.to_vec()),
        DnValue::Utf8String(format!("NTRFI-{DEMO_SUPPLIER_ID}")),
    );
    dn.push(DnType::CommonName, common_name);
    Ok(dn)
}

/// What a QWAC variant carries.
struct Qwac<'a> {
    file: &'static str,
    serial: u64,
    policies: &'a [&'static str],
    qc: QcSpec<'a>,
}

const EN_PDS: &[(&str, &str)] = &[(DEMO_PDS_URL, "en")];

fn web(pds: &'static [(&'static str, &'static str)]) -> QcSpec<'static> {
    QcSpec {
        types: &[QC_TYPE_WEB],
        sscd: false,
        pds,
        psd2: None,
    }
}

fn qwac_params(q: &Qwac<'_>, options: &DemoOptions) -> Result<CertificateParams, DemoError> {
    let mut p = server_params(q.serial, q.file, &[DEMO_SUPPLIER_HOST], options)?;
    p.distinguished_name = legal_person(q.file, DEMO_SUPPLIER_HOST)?;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let oids = q
        .policies
        .iter()
        .map(|n| type_policy(n))
        .collect::<Result<Vec<_>, _>>()?;
    p.custom_extensions = vec![
        policies(q.file, &oids)?,
        qc_statements(q.file, &q.qc)?,
        authority_info_access(q.file, OCSP_URL, CA_ISSUERS_URL)?,
    ];
    p.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![CRL_URL.to_owned()],
    }];
    Ok(p)
}

/// The issuer of every qualified DEMO certificate: the DEMO QWAC CA.
pub(super) struct QualifiedIssuer<'a> {
    pub(super) issuer: &'a Issuer<'a, &'a KeyPair>,
    pub(super) ca: &'a rcgen::Certificate,
    /// The subject key of qwac.pem and its variants.
    pub(super) key: &'a KeyPair,
    pub(super) options: &'a DemoOptions,
}

impl QualifiedIssuer<'_> {
    fn issue(&self, q: &Qwac<'_>) -> Result<rcgen::Certificate, DemoError> {
        qwac_params(q, self.options)?
            .signed_by(self.key, self.issuer)
            .map_err(rcgen_error(q.file))
    }

    /// qwac.pem, its key and chain.
    pub(super) fn good(&self, out: &mut Files) -> Result<(), DemoError> {
        let cert = self.issue(&Qwac {
            file: "qwac.pem",
            serial: 0x1013,
            policies: &["OVCP", "QNCP-w"],
            qc: web(EN_PDS),
        })?;
        out.cert("qwac.pem", QWAC, &cert);
        out.key("qwac.key", QWAC_KEY, self.key);
        out.chain("qwac-chain.pem", QWAC_CHAIN, &[&cert, self.ca]);
        Ok(())
    }

    /// qseal.pem: a qualified certificate for electronic seals, for signing.
    pub(super) fn seal(&self, out: &mut Files) -> Result<(), DemoError> {
        let file = "qseal.pem";
        let mut p = server_params(0x1015, file, &[], self.options)?;
        p.distinguished_name = legal_person(file, SUPPLIER_ORGANISATION)?;
        // digitalSignature alone: the register verifies the seal's RS256 signatures (Customs
        // §3.1 note), and EN 319 412-2 §4.3.2 advises against mixing it with nonRepudiation.
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = Vec::new();
        p.custom_extensions = vec![
            policies(file, &[type_policy("QCP-l")?])?,
            qc_statements(
                file,
                &QcSpec {
                    types: &[QC_TYPE_ESEAL],
                    sscd: false,
                    pds: EN_PDS,
                    psd2: None,
                },
            )?,
            authority_info_access(file, OCSP_URL, CA_ISSUERS_URL)?,
        ];
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![CRL_URL.to_owned()],
        }];
        let cert = p
            .signed_by(self.key, self.issuer)
            .map_err(rcgen_error(file))?;
        out.cert(file, QSEAL, &cert);
        Ok(())
    }

    /// The bad-qwac-* variants.
    pub(super) fn bad(&self, out: &mut Files) -> Result<(), DemoError> {
        let psd2 = |roles, nca_id| QcSpec {
            types: &[QC_TYPE_WEB],
            sscd: false,
            pds: EN_PDS,
            psd2: Some(Psd2Spec {
                roles,
                nca_name: "Finanssivalvonta",
                nca_id,
            }),
        };
        let variants = [
            (
                Qwac {
                    file: "bad-qwac-no-web.pem",
                    serial: 0x1027,
                    policies: &["OVCP", "QNCP-w"],
                    qc: QcSpec {
                        types: &[QC_TYPE_ESEAL],
                        ..web(EN_PDS)
                    },
                },
                BAD_QWAC_NO_WEB,
            ),
            (
                Qwac {
                    file: "bad-qwac-two-types.pem",
                    serial: 0x1040,
                    policies: &["OVCP", "QNCP-w"],
                    qc: QcSpec {
                        types: &[QC_TYPE_WEB, QC_TYPE_ESIGN],
                        ..web(EN_PDS)
                    },
                },
                BAD_QWAC_TWO_TYPES,
            ),
            (
                Qwac {
                    file: "bad-qwac-sscd.pem",
                    serial: 0x1041,
                    policies: &["OVCP", "QNCP-w"],
                    qc: QcSpec {
                        sscd: true,
                        ..web(EN_PDS)
                    },
                },
                BAD_QWAC_SSCD,
            ),
            (
                Qwac {
                    file: "bad-qwac-pds-http.pem",
                    serial: 0x1042,
                    policies: &["OVCP", "QNCP-w"],
                    qc: web(&[("http://demo.invalid/pds", "en")]),
                },
                BAD_QWAC_PDS_HTTP,
            ),
            (
                Qwac {
                    file: "bad-qwac-psd2-no-roles.pem",
                    serial: 0x1043,
                    policies: &["OVCP", "QNCP-w"],
                    qc: psd2(&[], "FI-FINFSA"),
                },
                BAD_QWAC_PSD2_NO_ROLES,
            ),
            (
                Qwac {
                    file: "bad-qwac-psd2-role-name.pem",
                    serial: 0x1044,
                    policies: &["OVCP", "QNCP-w"],
                    qc: psd2(&[(PSP_AI, "PSP_PI")], "FI-FINFSA"),
                },
                BAD_QWAC_PSD2_ROLE_NAME,
            ),
            (
                Qwac {
                    file: "bad-qwac-psd2-nca-id.pem",
                    serial: 0x1045,
                    policies: &["OVCP", "QNCP-w"],
                    qc: psd2(&[(PSP_PI, "PSP_PI")], "Finanssivalvonta"),
                },
                BAD_QWAC_PSD2_NCA_ID,
            ),
            (
                Qwac {
                    file: "bad-qwac-ev-policy.pem",
                    serial: 0x1046,
                    policies: &["EVCP", "QEVCP-w"],
                    qc: web(EN_PDS),
                },
                BAD_QWAC_EV_POLICY,
            ),
            (
                Qwac {
                    file: "bad-qwac-no-policy.pem",
                    serial: 0x1047,
                    policies: &["OVCP"],
                    qc: web(EN_PDS),
                },
                BAD_QWAC_NO_POLICY,
            ),
        ];
        for (q, description) in &variants {
            let cert = self.issue(q)?;
            out.cert(q.file, description, &cert);
        }
        Ok(())
    }
}
