//! What CRL processing reads from a certificate: its names in comparable form, serial, CA flag,
//! key usage, validity, key, and its CRL distribution points (RFC 5280 §4.2.1.13) with relative
//! names already resolved to full ones.

use der::Decode;
use time::OffsetDateTime;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{CrlDistributionPoints, FreshestCrl};
use x509_cert::name::Name;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::dn::CanonicalName;

const CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
const FRESHEST_CRL: &str = "2.5.29.46";

/// Every reason RFC 5280 §5.3.1 can partition a CRL by (ReasonFlags bits 1 to 8).
pub const ALL_REASONS: u16 = 0x1fe;

/// A distribution point, as §6.3.3 compares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    /// The distribution point's full names (a relative name appended to its CRL issuer).
    pub names: Option<Vec<GeneralName>>,
    /// ReasonFlags bits; None: all reasons.
    pub reasons: Option<u16>,
    pub crl_issuer: Option<Vec<GeneralName>>,
}

impl Point {
    /// The point a certificate without a CRL distribution points extension implies: a CRL
    /// from its issuer, for all reasons.
    pub fn implied() -> Point {
        Point {
            names: None,
            reasons: None,
            crl_issuer: None,
        }
    }
}

/// Resolve a DistributionPointName to full names: a nameRelativeToCRLIssuer is appended to
/// `base` (the CRL issuer).
pub fn full_names(dpn: &DistributionPointName, base: &Name) -> Vec<GeneralName> {
    match dpn {
        DistributionPointName::FullName(names) => names.clone(),
        DistributionPointName::NameRelativeToCRLIssuer(rdn) => {
            let mut name = base.clone();
            name.0.push(rdn.clone());
            vec![GeneralName::DirectoryName(name)]
        }
    }
}

/// The certificate's points as §6.3.3 reads them.
fn points(dps: &[DistributionPoint], issuer: &Name) -> Vec<Point> {
    dps.iter()
        .map(|dp| {
            // A relative name is relative to the cRLIssuer when there is one (§4.2.1.13).
            let base = dp
                .crl_issuer
                .iter()
                .flatten()
                .find_map(|g| match g {
                    GeneralName::DirectoryName(n) => Some(n),
                    _ => None,
                })
                .unwrap_or(issuer);
            Point {
                names: dp.distribution_point.as_ref().map(|d| full_names(d, base)),
                reasons: dp.reasons.map(|r| r.bits()),
                crl_issuer: dp.crl_issuer.clone(),
            }
        })
        .collect()
}

/// One certificate, read for revocation checking.
#[derive(Clone, Debug)]
pub struct CertView {
    pub der: Vec<u8>,
    /// Common name or subject, for messages.
    pub name: String,
    pub subject: CanonicalName,
    pub issuer: CanonicalName,
    pub issuer_name: Name,
    /// The issuer as shown to a person.
    pub issuer_shown: String,
    pub serial: Vec<u8>,
    pub is_ca: bool,
    /// keyUsage present and with cRLSign / keyCertSign; None: no keyUsage extension.
    pub crl_sign: Option<bool>,
    pub key_cert_sign: Option<bool>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// The SubjectPublicKeyInfo's DER.
    pub spki: Vec<u8>,
    /// Its CRL distribution points (the implied one when it has none); Err: the extension does
    /// not decode.
    pub points: Result<Vec<Point>, String>,
    /// Where delta CRLs for it are published (freshestCRL).
    pub freshest: Vec<Point>,
}

impl CertView {
    pub fn parse(der: &[u8]) -> Result<CertView, String> {
        let (_, c) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        // A name that does not decode attribute by attribute is still compared as encoded;
        // a relative distribution point name then has nothing to be relative to.
        let issuer_name = Name::from_der(c.issuer().as_raw()).unwrap_or_default();
        let ku = c.key_usage().ok().flatten().map(|k| k.value);
        let mut dps = Ok(Vec::new());
        let mut has_points = false;
        let mut freshest = Vec::new();
        for ext in c.extensions() {
            match ext.oid.to_id_string().as_str() {
                CRL_DISTRIBUTION_POINTS => {
                    has_points = true;
                    dps = CrlDistributionPoints::from_der(ext.value)
                        .map(|d| points(&d.0, &issuer_name))
                        .map_err(|e| {
                            format!("its CRL distribution points extension does not decode ({e})")
                        });
                }
                FRESHEST_CRL => {
                    if let Ok(f) = FreshestCrl::from_der(ext.value) {
                        freshest = points(&f.0, &issuer_name);
                    }
                }
                _ => {}
            }
        }
        let points = dps.map(|p| {
            if has_points {
                p
            } else {
                vec![Point::implied()]
            }
        });
        Ok(CertView {
            der: der.to_vec(),
            name: crate::pki::trust::display_name(der),
            subject: CanonicalName::from_der(c.subject().as_raw()),
            issuer: CanonicalName::from_der(c.issuer().as_raw()),
            issuer_name,
            issuer_shown: crate::pki::names::read(c.issuer()).display,
            serial: c.raw_serial().to_vec(),
            is_ca: matches!(c.basic_constraints(), Ok(Some(bc)) if bc.value.ca),
            crl_sign: ku.map(|k| k.crl_sign()),
            key_cert_sign: ku.map(|k| k.key_cert_sign()),
            not_before: c.validity().not_before.to_datetime(),
            not_after: c.validity().not_after.to_datetime(),
            spki: c.public_key().raw.to_vec(),
            points,
            freshest,
        })
    }

    /// Does `issuer` name and sign this certificate?
    pub fn issued_by(&self, issuer: &CertView) -> bool {
        if self.issuer != issuer.subject {
            return false;
        }
        let (Ok((_, c)), Ok((_, spki))) = (
            X509Certificate::from_der(&self.der),
            x509_parser::x509::SubjectPublicKeyInfo::from_der(&issuer.spki),
        ) else {
            return false;
        };
        c.verify_signature(Some(&spki)).is_ok()
    }
}
