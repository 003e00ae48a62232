//! DER encoding of the custom extensions: certificatePolicies, QCStatements, authorityInfoAccess
//! and subjectAltName values rcgen would not write.

use der::Encode;
use der::asn1::{Any, Ia5String, ObjectIdentifier, PrintableString, Utf8StringRef};
use rcgen::CustomExtension;

use crate::pki::qc::{
    PdsLocation, QC_COMPLIANCE, QC_PDS, QC_PSD2, QC_SSCD, QC_STATEMENTS_EXT, QC_TYPE, QcStatement,
};

use super::DemoError;

const CERTIFICATE_POLICIES_EXT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32");

fn der_error(file: &'static str) -> impl Fn(der::Error) -> DemoError {
    move |e| DemoError::Der {
        file,
        reason: e.to_string(),
    }
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
pub(super) fn policies(
    file: &'static str,
    oids: &[ObjectIdentifier],
) -> Result<CustomExtension, DemoError> {
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

/// GeneralNames with the given dNSNames, as a subjectAltName's value.
pub(super) fn dns_general_names(file: &'static str, names: &[&str]) -> Result<Vec<u8>, DemoError> {
    let err = der_error(file);
    let mut content = Vec::new();
    for name in names {
        let ia5 = Ia5String::new(name).map_err(&err)?;
        // [2] IMPLICIT IA5String: the IA5String's encoding with its tag replaced.
        let mut encoded = ia5.to_der().map_err(&err)?;
        encoded[0] = 0x82;
        content.extend(encoded);
    }
    let mut out = vec![0x30];
    der::Length::try_from(content.len())
        .and_then(|l| l.encode_to_vec(&mut out).map(|_| ()))
        .map_err(&err)?;
    out.extend(content);
    Ok(out)
}

/// What a demo QCStatements extension says.
pub(super) struct QcSpec<'a> {
    pub(super) types: &'a [ObjectIdentifier],
    pub(super) sscd: bool,
    /// PDS (URL, language) pairs.
    pub(super) pds: &'a [(&'a str, &'a str)],
    pub(super) psd2: Option<Psd2Spec<'a>>,
}

/// A TS 119 495 PSD2 statement: roles (OID, name), NCA name and NCA id.
pub(super) struct Psd2Spec<'a> {
    pub(super) roles: &'a [(ObjectIdentifier, &'a str)],
    pub(super) nca_name: &'a str,
    pub(super) nca_id: &'a str,
}

#[derive(der::Sequence)]
struct RoleOfPsp<'a> {
    oid: ObjectIdentifier,
    name: Utf8StringRef<'a>,
}

#[derive(der::Sequence)]
struct Psd2QcType<'a> {
    roles: Vec<RoleOfPsp<'a>>,
    nca_name: Utf8StringRef<'a>,
    nca_id: Utf8StringRef<'a>,
}

/// QCStatements (non-critical) as `spec` says: QcCompliance, then QcSSCD, QcType, QcPDS and
/// PSD2 as given.
pub(super) fn qc_statements(
    file: &'static str,
    spec: &QcSpec<'_>,
) -> Result<CustomExtension, DemoError> {
    let err = der_error(file);
    let mut statements = vec![QcStatement {
        statement_id: QC_COMPLIANCE,
        statement_info: None,
    }];
    if spec.sscd {
        statements.push(QcStatement {
            statement_id: QC_SSCD,
            statement_info: None,
        });
    }
    statements.push(QcStatement {
        statement_id: QC_TYPE,
        statement_info: Some(Any::encode_from(&spec.types.to_vec()).map_err(&err)?),
    });
    let pds = spec
        .pds
        .iter()
        .map(|(url, lang)| {
            Ok(PdsLocation {
                url: Ia5String::new(url)?,
                language: PrintableString::new(lang)?,
            })
        })
        .collect::<Result<Vec<_>, der::Error>>()
        .map_err(&err)?;
    statements.push(QcStatement {
        statement_id: QC_PDS,
        statement_info: Some(Any::encode_from(&pds).map_err(&err)?),
    });
    if let Some(p) = &spec.psd2 {
        let roles = p
            .roles
            .iter()
            .map(|(oid, name)| {
                Ok(RoleOfPsp {
                    oid: *oid,
                    name: Utf8StringRef::new(name)?,
                })
            })
            .collect::<Result<Vec<_>, der::Error>>()
            .map_err(&err)?;
        let info = Psd2QcType {
            roles,
            nca_name: Utf8StringRef::new(p.nca_name).map_err(&err)?,
            nca_id: Utf8StringRef::new(p.nca_id).map_err(&err)?,
        };
        statements.push(QcStatement {
            statement_id: QC_PSD2,
            statement_info: Some(Any::encode_from(&info).map_err(&err)?),
        });
    }
    let content = statements.to_der().map_err(&err)?;
    Ok(CustomExtension::from_oid_content(
        &arcs(&QC_STATEMENTS_EXT),
        content,
    ))
}

/// authorityInfoAccess (non-critical): an OCSP responder and the issuer's certificate.
pub(super) fn authority_info_access(
    file: &'static str,
    ocsp: &str,
    ca_issuers: &str,
) -> Result<CustomExtension, DemoError> {
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::{AccessDescription, AuthorityInfoAccessSyntax};
    let err = der_error(file);
    let uri = |u: &str| Ia5String::new(u).map(GeneralName::UniformResourceIdentifier);
    let aia = AuthorityInfoAccessSyntax(vec![
        AccessDescription {
            access_method: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1"),
            access_location: uri(ocsp).map_err(&err)?,
        },
        AccessDescription {
            access_method: ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2"),
            access_location: uri(ca_issuers).map_err(&err)?,
        },
    ]);
    Ok(CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 5, 5, 7, 1, 1],
        aia.to_der().map_err(&err)?,
    ))
}
