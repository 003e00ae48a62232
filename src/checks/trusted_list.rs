//! TL-SIGNATURE and TL-FRESH, and the facts a person reads about a list (its scheme
//! information, its CA/QC services or, for the LOTL, its pointers). Pure: the list was read
//! and its signature checked by [`crate::pki::trusted_list`].

use crate::findings::{Finding, Subject, Table};
use crate::pki::trusted_list::model::{
    CA_QC, EXT_PREFIX, ListFacts, STATUS_PREFIX, TSL_MIME, short,
};
use crate::pki::trusted_list::{CheckedList, Freshness, SignerCheck, TlError};
use crate::pki::xmldsig::DsigError;
use crate::profile::RuleId;

const TSL_TYPE_PREFIX: &str = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/";

/// The subject for a list that could not be read at all.
pub fn unreadable(input: &str, e: &TlError) -> Subject {
    let mut s = Subject::new("trusted list", input);
    s.findings.push(
        Finding::error(RuleId::TlSignature, e.to_string()).with_remedy(
            "Give the XML trusted list as published (the LOTL names each list's TSLLocation); a PDF, an HTML page or a truncated download is not a list.",
        ),
    );
    s
}

/// The subject for a list that was read and checked.
pub fn subject(list: &CheckedList) -> Subject {
    let f = &list.facts;
    let role = if f.is_lotl() {
        "EU list of trusted lists"
    } else {
        "trusted list"
    };
    let mut s = Subject::new(role, &list.source);
    s.summary = summary(list);
    if f.is_lotl() {
        s.tables.push(pointers_table(f));
    } else {
        s.tables.push(services_table(f));
    }
    s.findings.push(signature_finding(list));
    s.findings.push(fresh_finding(list));
    s
}

fn summary(list: &CheckedList) -> Vec<(String, String)> {
    let f = &list.facts;
    let mut out = vec![
        ("Scheme operator".to_owned(), f.operator.clone()),
        ("Territory".to_owned(), f.territory.clone()),
        (
            "List type".to_owned(),
            short(&f.tsl_type, TSL_TYPE_PREFIX).to_owned(),
        ),
        (
            "Sequence number".to_owned(),
            f.sequence.clone().unwrap_or_else(|| "(none)".into()),
        ),
        ("Issued".to_owned(), f.issued.raw.clone()),
        (
            "Next update".to_owned(),
            f.next_update
                .as_ref()
                .map_or_else(|| "none: the list is closed".to_owned(), |t| t.raw.clone()),
        ),
    ];
    if let Ok((v, _)) = &list.signature {
        out.push((
            "Signer".to_owned(),
            format!(
                "{} (SHA-256 {})",
                crate::pki::trust::display_name(&v.signer_der),
                v.signer.sha256_fingerprint
            ),
        ));
    }
    if f.is_lotl() {
        out.push(("Pointers".to_owned(), format!("{} lists", f.pointers.len())));
    } else {
        let services = f.services().count();
        let ca_qc = f
            .services()
            .filter(|(_, s)| s.current.type_id == CA_QC)
            .count();
        out.push((
            "Services".to_owned(),
            format!(
                "{services} from {} providers; {ca_qc} CA/QC",
                f.providers.len()
            ),
        ));
    }
    out
}

/// The CA/QC services: who, what, the status now, and whether for website authentication.
pub fn services_table(f: &ListFacts) -> Table {
    let rows = f
        .services()
        .filter(|(_, s)| s.current.type_id == CA_QC)
        .map(|(p, s)| {
            let st = &s.current;
            let mut qualifiers: Vec<&str> = st
                .qualifications
                .iter()
                .flat_map(|q| q.qualifiers.iter())
                .map(|q| short(q, EXT_PREFIX))
                .collect();
            qualifiers.sort_unstable();
            qualifiers.dedup();
            vec![
                p.name.clone(),
                s.name().to_owned(),
                short(&st.status, STATUS_PREFIX).to_owned(),
                st.since.raw.clone(),
                if st.for_web() { "yes" } else { "no" }.to_owned(),
                qualifiers.join(", "),
            ]
        })
        .collect();
    Table {
        title: "CA/QC services (current status)".into(),
        columns: vec![
            ("provider", "Provider"),
            ("service", "Service"),
            ("status", "Status"),
            ("since", "Since"),
            ("for_website_authentication", "ForWebSiteAuthentication"),
            ("qualifiers", "Sie qualifiers"),
        ],
        rows,
    }
}

fn pointers_table(f: &ListFacts) -> Table {
    Table {
        title: "Pointers to trusted lists".into(),
        columns: vec![
            ("territory", "Territory"),
            ("type", "Type"),
            ("mime_type", "MIME type"),
            ("signers", "Signers"),
            ("location", "Location"),
        ],
        rows: f
            .pointers
            .iter()
            .map(|p| {
                vec![
                    p.territory.clone().unwrap_or_default(),
                    p.tsl_type
                        .as_deref()
                        .map(|t| short(t, TSL_TYPE_PREFIX).to_owned())
                        .unwrap_or_default(),
                    p.mime_type.clone().unwrap_or_default(),
                    p.signers.len().to_string(),
                    p.location.clone(),
                ]
            })
            .filter(|r| r[2].is_empty() || r[2] == TSL_MIME)
            .collect(),
    }
}

fn signature_finding(list: &CheckedList) -> Finding {
    let rule = RuleId::TlSignature;
    match &list.signature {
        Err(DsigError::Unsigned) => Finding::fail(
            rule,
            "the list carries no XML signature: anyone could have written it",
        ),
        Err(e) => Finding::fail(rule, format!("the signature does not verify: {e}")),
        Ok((v, check)) => {
            let signer = crate::pki::trust::display_name(&v.signer_der);
            match check {
                SignerCheck::Authorised(how) => Finding::pass(
                    rule,
                    format!("signed by \"{signer}\", {how}; {}", v.describe()),
                ),
                SignerCheck::Unchecked(why) => Finding::warn(
                    rule,
                    format!(
                        "the signature verifies ({}), but the signer \"{signer}\" was not checked: {why}",
                        v.describe()
                    ),
                )
                .with_remedy(
                    "Give the EU LOTL with --lotl FILE (verified against the signers announced in the Official Journal) so tilicheck can check that this territory's scheme operator signed the list.",
                ),
                SignerCheck::Refused(why) => Finding::fail(
                    rule,
                    format!(
                        "the signature verifies ({}), but \"{signer}\" may not sign it: {why}",
                        v.describe()
                    ),
                ),
            }
        }
    }
}

fn fresh_finding(list: &CheckedList) -> Finding {
    let rule = RuleId::TlFresh;
    let f = &list.facts;
    let next = f.next_update.as_ref().map_or("", |t| t.raw.as_str());
    match list.freshness {
        Freshness::Fresh => Finding::pass(
            rule,
            format!(
                "issued {}, next update due by {next}: current",
                f.issued.raw
            ),
        ),
        Freshness::Stale => Finding::fail(
            rule,
            format!(
                "past its NextUpdate {next} (issued {}): a newer list should have been published",
                f.issued.raw
            ),
        ),
        Freshness::Closed => Finding::fail(
            rule,
            "the list has no NextUpdate: the scheme operator closed it",
        ),
        Freshness::NotYetIssued => Finding::warn(
            rule,
            format!(
                "issued {}, after the check time: it may not say what the list said then",
                f.issued.raw
            ),
        )
        .with_remedy(
            "Check against the list that was current at the check time, or check as of now.",
        ),
        Freshness::Unreadable => Finding::error(
            rule,
            format!(
                "the list's dates are not RFC 3339 times (issued \"{}\", next update \"{next}\")",
                f.issued.raw
            ),
        ),
    }
}
