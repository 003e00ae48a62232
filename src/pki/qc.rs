//! The QCStatements extension (RFC 3739, ETSI EN 319 412-5 and TS 119 495), decoded by hand:
//! x509-parser leaves it opaque.

use der::asn1::{Ia5String, ObjectIdentifier, PrintableString, Utf8StringRef};
use der::{Decode, Sequence};

/// id-pe-qcStatements.
pub const QC_STATEMENTS_EXT: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.3");
/// EN 319 412-5: the certificate is an EU qualified certificate.
pub const QC_COMPLIANCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.1");
/// EN 319 412-5: the private key is on a qualified signature creation device.
pub const QC_SSCD: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.4");
/// EN 319 412-5: where the PKI disclosure statements are.
pub const QC_PDS: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.5");
/// EN 319 412-5: the type of qualified certificate.
pub const QC_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6");
/// QcType values.
pub const QC_TYPE_ESIGN: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6.1");
pub const QC_TYPE_ESEAL: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6.2");
pub const QC_TYPE_WEB: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6.3");
/// TS 119 495 §5.1: the PSD2 roles of a payment service provider, by OID and name.
pub const PSD2_ROLES: &[(&str, &str)] = &[
    ("0.4.0.19495.1.1", "PSP_AS"),
    ("0.4.0.19495.1.2", "PSP_PI"),
    ("0.4.0.19495.1.3", "PSP_AI"),
    ("0.4.0.19495.1.4", "PSP_IC"),
];
/// TS 119 495: PSD2 roles and the national competent authority.
pub const QC_PSD2: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.19495.2");

/// One QCStatement as it is encoded.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct QcStatement {
    pub statement_id: ObjectIdentifier,
    #[asn1(optional = "true")]
    pub statement_info: Option<der::Any>,
}

/// A PKI disclosure statement location.
#[derive(Clone, Debug, PartialEq, Eq, Sequence)]
pub struct PdsLocation {
    pub url: Ia5String,
    pub language: PrintableString,
}

/// What the QCStatements extension says, in the terms the checks need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QcFacts {
    pub compliance: bool,
    pub sscd: bool,
    /// QcType values (web, esign, eseal or other OIDs as dotted strings).
    pub types: Vec<String>,
    /// PDS URLs with their languages.
    pub pds: Vec<(String, String)>,
    /// PSD2: roles, NCA name and NCA id.
    pub psd2: Option<Psd2Facts>,
    /// Statement IDs we do not interpret.
    pub other: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Psd2Facts {
    /// (role OID, role name) pairs, as written.
    pub roles: Vec<(String, String)>,
    pub nca_name: String,
    pub nca_id: String,
}

/// Why a QCStatements extension could not be read.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum QcError {
    #[error("QCStatements is not a valid DER SEQUENCE OF QCStatement: {0}")]
    Malformed(String),
    #[error("the {statement} statement's information is malformed: {reason}")]
    BadStatementInfo {
        statement: &'static str,
        reason: String,
    },
}

impl QcFacts {
    pub fn has_type(&self, oid: &ObjectIdentifier) -> bool {
        let s = oid.to_string();
        self.types.contains(&s)
    }
}

/// Decode the extension value (the OCTET STRING's contents).
pub fn decode(ext_value: &[u8]) -> Result<QcFacts, QcError> {
    let statements =
        Vec::<QcStatement>::from_der(ext_value).map_err(|e| QcError::Malformed(e.to_string()))?;
    let mut facts = QcFacts::default();
    for st in statements {
        let id = st.statement_id;
        if id == QC_COMPLIANCE {
            facts.compliance = true;
        } else if id == QC_SSCD {
            facts.sscd = true;
        } else if id == QC_TYPE {
            let info = st.statement_info.ok_or_else(|| QcError::BadStatementInfo {
                statement: "QcType",
                reason: "no QcType values".into(),
            })?;
            let types: Vec<ObjectIdentifier> =
                info.decode_as().map_err(|e| QcError::BadStatementInfo {
                    statement: "QcType",
                    reason: e.to_string(),
                })?;
            facts.types.extend(types.iter().map(|t| t.to_string()));
        } else if id == QC_PDS {
            let info = st.statement_info.ok_or_else(|| QcError::BadStatementInfo {
                statement: "QcPDS",
                reason: "no PDS locations".into(),
            })?;
            let locations: Vec<PdsLocation> =
                info.decode_as().map_err(|e| QcError::BadStatementInfo {
                    statement: "QcPDS",
                    reason: e.to_string(),
                })?;
            facts.pds.extend(
                locations
                    .into_iter()
                    .map(|l| (l.url.to_string(), l.language.to_string())),
            );
        } else if id == QC_PSD2 {
            let info = st.statement_info.ok_or_else(|| QcError::BadStatementInfo {
                statement: "PSD2",
                reason: "no PSD2 information".into(),
            })?;
            let bad = |e: der::Error| QcError::BadStatementInfo {
                statement: "PSD2",
                reason: e.to_string(),
            };
            let der_bytes = der::Encode::to_der(&info).map_err(bad)?;
            facts.psd2 = Some(decode_psd2(&der_bytes).map_err(bad)?);
        } else {
            facts.other.push(id.to_string());
        }
    }
    Ok(facts)
}

fn decode_psd2(bytes: &[u8]) -> der::Result<Psd2Facts> {
    // Borrowed string types cannot outlive `bytes`, so decode into owned values right away.
    use der::Reader;
    let mut reader = der::SliceReader::new(bytes)?;
    reader.sequence(|r| {
        let roles = r.sequence(|r| {
            let mut roles = Vec::new();
            while !r.is_finished() {
                roles.push(r.sequence(|r| {
                    let oid = ObjectIdentifier::decode(r)?;
                    let name = Utf8StringRef::decode(r)?;
                    Ok((oid.to_string(), name.as_str().to_owned()))
                })?);
            }
            Ok(roles)
        })?;
        let nca_name = Utf8StringRef::decode(r)?.as_str().to_owned();
        let nca_id = Utf8StringRef::decode(r)?.as_str().to_owned();
        Ok(Psd2Facts {
            roles,
            nca_name,
            nca_id,
        })
    })
}
