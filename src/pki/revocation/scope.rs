//! Which CRL may answer for which certificate (RFC 5280 §6.3.3 (b) to (d)): the CRL's issuer
//! against the certificate's issuer or the distribution point's cRLIssuer, its
//! issuingDistributionPoint against the certificate's distribution point and kind (end entity,
//! CA, attribute certificate), the reasons it covers; and which delta CRL goes with which
//! complete CRL (§5.2.4, §6.3.3 (c)).

use x509_cert::ext::pkix::name::GeneralName;

use super::certs::{ALL_REASONS, CertView, Point, full_names};
use super::dn;
use super::list::Crl;

/// The reasons `crl` may answer for `cert` through `point` (the interim reasons mask), or why
/// it may not answer at all.
pub fn reasons_covered(crl: &Crl, point: &Point, cert: &CertView) -> Result<u16, String> {
    // (b)(1): who issued the CRL.
    match &point.crl_issuer {
        Some(names) => {
            if !dn::among(&crl.issuer, names) {
                return Err(format!(
                    "it is issued by \"{}\", not by the CRL issuer the certificate's distribution point names",
                    crl.issuer_shown
                ));
            }
            if !crl.indirect() {
                return Err(
                    "the certificate's distribution point names a separate CRL issuer, and this CRL is not marked indirect"
                        .into(),
                );
            }
        }
        None => {
            if crl.issuer != cert.issuer {
                return Err(format!(
                    "it is issued by \"{}\", not by the certificate's issuer",
                    crl.issuer_shown
                ));
            }
        }
    }
    let Some(idp) = &crl.idp else {
        return Ok(point.reasons.unwrap_or(ALL_REASONS) & ALL_REASONS);
    };
    // (b)(2)(i): the distribution point names.
    if let Some(dpn) = &idp.distribution_point {
        let idp_names = full_names(dpn, &crl.issuer_name);
        let theirs: &[GeneralName] = match (&point.names, &point.crl_issuer) {
            (Some(names), _) => names,
            (None, Some(issuers)) => issuers,
            (None, None) => &[],
        };
        let shared = idp_names
            .iter()
            .any(|a| theirs.iter().any(|b| dn::same_general_name(a, b)));
        if !shared {
            return Err(
                "its issuing distribution point is not the distribution point the certificate names"
                    .into(),
            );
        }
    }
    // (b)(2)(ii)-(iv): the kind of certificate.
    if idp.only_contains_user_certs && cert.is_ca {
        return Err("it holds end-entity certificates only, and this is a CA certificate".into());
    }
    if idp.only_contains_ca_certs && !cert.is_ca {
        return Err(
            "it holds CA certificates only (an ARL), and this is an end-entity certificate".into(),
        );
    }
    if idp.only_contains_attribute_certs {
        return Err("it holds attribute certificates only".into());
    }
    // (d): the reasons.
    let idp_reasons = idp.only_some_reasons.map(|r| r.bits());
    let mask = match (idp_reasons, point.reasons) {
        (Some(a), Some(b)) => a & b,
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => ALL_REASONS,
    };
    Ok(mask & ALL_REASONS)
}

/// May `delta` update `complete` (§6.3.3 (c), §5.2.4)? Err says why not.
pub fn delta_fits(delta: &Crl, complete: &Crl) -> Result<(), String> {
    if delta.issuer != complete.issuer {
        return Err("it has another issuer".into());
    }
    if delta.idp_der != complete.idp_der {
        return Err("its issuing distribution point differs from the complete CRL's".into());
    }
    if let (Some(a), Some(b)) = (&delta.authority_key_id, &complete.authority_key_id)
        && a != b
    {
        return Err("its authority key identifier differs from the complete CRL's".into());
    }
    let (Some(base), Some(number), Some(complete_number)) =
        (&delta.delta_base, &delta.number, &complete.number)
    else {
        return Err(
            "a delta CRL and its complete CRL must both carry a cRLNumber (RFC 5280 §5.2.4)".into(),
        );
    };
    if base > complete_number {
        return Err(format!(
            "it builds on CRL number {base}, newer than the complete CRL's {complete_number}"
        ));
    }
    if number <= complete_number {
        return Err(format!(
            "its number {number} is not newer than the complete CRL's {complete_number}"
        ));
    }
    Ok(())
}

/// Reason bits as names, for messages.
pub fn reason_names(mask: u16) -> String {
    const NAMES: [&str; 9] = [
        "unused",
        "keyCompromise",
        "cACompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
        "certificateHold",
        "privilegeWithdrawn",
        "aACompromise",
    ];
    let names: Vec<&str> = (1..9)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| NAMES[i])
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}
