//! DER encoding of the custom extensions: certificatePolicies and QCStatements.

use der::Encode;
use der::asn1::{Any, Ia5String, ObjectIdentifier, PrintableString};
use rcgen::CustomExtension;

use crate::pki::qc::{PdsLocation, QC_COMPLIANCE, QC_PDS, QC_STATEMENTS_EXT, QC_TYPE, QcStatement};

use super::{DEMO_PDS_URL, DemoError};

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

/// QCStatements (non-critical): QcCompliance, QcType [`qc_type`], QcPDS [(DEMO_PDS_URL, en)].
pub(super) fn qc_statements(
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
