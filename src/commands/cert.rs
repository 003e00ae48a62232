//! `tilicheck cert`: load the certificate, its key and chain, and judge them.

use std::path::Path;

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use crate::checks::cert::{CertCheck, KeyEvidence};
use crate::checks::chain::Expect;
use crate::checks::identity::{ExpectedIds, Purpose};
use crate::checks::trust::{TrustContext, judge_path};
use crate::cli::{CertArgs, TrustArgs};
use crate::commands::CommandError;
use crate::findings::{Report, Subject};
use crate::identity::BusinessId;
use crate::pki::chain::Usage;
use crate::pki::facts::{self, CertificateFacts};
use crate::pki::load::{self, PrivateKey};
use crate::profile::{Interface, RegisterProfile};
use crate::secret::PasswordSource;

pub fn run(
    args: &CertArgs,
    interface: Interface,
    at: OffsetDateTime,
) -> Result<Report, CommandError> {
    let password = args.password.source();
    let input = LoadedCert::load(&args.cert, args.key.as_deref(), &password)?;
    let chain_der = read_chain(args.chain.as_deref(), &password)?;
    let chain = match &args.chain {
        Some(path) => chain_der
            .iter()
            .map(|c| {
                CertificateFacts::from_der(c)
                    .map_err(|e| CommandError::Input(format!("{}: {e}", path.display())))
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let expected = ExpectedIds {
        supplier: args.business_id,
        service_centre: args.service_centre,
    };
    let chain_summary =
        describe_chain(&input.facts, input.bundled_chain.iter().chain(chain.iter()));
    let ctx = crate::commands::trust::context(&args.trust, at, interface.profile())?;
    let supplied: Vec<CertificateDer<'static>> = input
        .bundled_der
        .iter()
        .chain(chain_der.iter())
        .cloned()
        .collect();
    let subject = judged_subject(
        &input,
        &supplied,
        &args.cert.display().to_string(),
        args.purpose,
        expected,
        &ctx,
        interface.profile(),
        chain_summary
            .map(|line| ("Chain".to_owned(), line))
            .into_iter()
            .collect(),
    );
    let mut report = Report::new("cert", interface, at);
    report.subjects.push(subject);
    Ok(report)
}

/// The certificates of a `--chain FILE` (none without one).
pub fn read_chain(
    path: Option<&Path>,
    password: &PasswordSource,
) -> Result<Vec<CertificateDer<'static>>, CommandError> {
    match path {
        Some(path) => Ok(load::read_certificates(path, password)
            .map_err(|e| CommandError::Input(e.to_string()))?
            .certificates),
        None => Ok(Vec::new()),
    }
}

/// A supplier's certificate judged in full: the `cert` rules for `purpose`, then CERT-ISSUER
/// and CERT-REVOCATION on the path from `supplied`. `extra` summary lines go before the path.
#[allow(clippy::too_many_arguments)]
pub fn judged_subject(
    loaded: &LoadedCert,
    supplied: &[CertificateDer<'static>],
    input: &str,
    purpose: Purpose,
    expected: ExpectedIds,
    ctx: &TrustContext,
    profile: &RegisterProfile,
    extra: Vec<(String, String)>,
) -> Subject {
    // The path first: a validated path to a bundled DVV root settles CERT-QWAC's question.
    let path = judge_path(
        &loaded.der,
        supplied,
        &loaded.facts,
        Expect::DvvOrQwac,
        Usage::Any,
        ctx,
        profile,
    );
    let check = CertCheck {
        facts: &loaded.facts,
        key: &loaded.key,
        purpose,
        expected,
        at: ctx.revocation.at,
        profile,
        dvv_root: path.dvv_root.as_deref(),
        qualification: path.qualification.as_ref(),
    };
    let mut subject = check.subject(input);
    subject.summary.extend(extra);
    subject.summary.extend(path.summary);
    subject.findings.extend(path.findings);
    subject
}

/// A certificate with what came with it.
pub struct LoadedCert {
    pub facts: CertificateFacts,
    /// The certificate itself.
    pub der: CertificateDer<'static>,
    /// The other certificates of the same file.
    pub bundled_der: Vec<CertificateDer<'static>>,
    /// Other certificates in the same file (a PEM chain or a PKCS#12).
    pub bundled_chain: Vec<CertificateFacts>,
    pub key: KeyEvidence,
}

impl LoadedCert {
    /// Load the certificate file and, if given, the key file. A PKCS#12 or PEM bundle that
    /// carries its own key is used when no separate key is given.
    pub fn load(
        cert: &Path,
        key: Option<&Path>,
        password: &PasswordSource,
    ) -> Result<Self, CommandError> {
        let file = load::read_certificates(cert, password)
            .map_err(|e| CommandError::Input(e.to_string()))?;
        let mut certs = file.certificates.iter().map(|der| {
            CertificateFacts::from_der(der)
                .map_err(|e| CommandError::Input(format!("{}: {e}", cert.display())))
        });
        let facts = certs.next().ok_or_else(|| {
            CommandError::Input(format!("{}: holds no certificate", cert.display()))
        })??;
        let bundled_chain = certs.collect::<Result<Vec<_>, _>>()?;
        let der = file.certificates[0].clone();
        let bundled_der = file.certificates[1..].to_vec();
        let key = match (key, &file.key) {
            (Some(path), _) => {
                let k = load::read_private_key(path, password)
                    .map_err(|e| CommandError::Input(e.to_string()))?;
                evidence(&path.display().to_string(), &k)
            }
            (None, Some(k)) => evidence(&cert.display().to_string(), k),
            (None, None) => KeyEvidence::None,
        };
        Ok(LoadedCert {
            facts,
            der,
            bundled_der,
            bundled_chain,
            key,
        })
    }
}

fn evidence(file: &str, key: &PrivateKey) -> KeyEvidence {
    match facts::public_key_of(&key.der) {
        Ok(public_key_raw) => KeyEvidence::Public {
            file: file.to_owned(),
            public_key_raw,
        },
        Err(reason) => KeyEvidence::Unusable {
            file: file.to_owned(),
            reason,
        },
    }
}

/// One line naming the chain certificates given and whether the leaf's issuer is among them.
/// Path validation proper is CERT-ISSUER's job; this only says what was supplied.
fn describe_chain<'a>(
    leaf: &CertificateFacts,
    chain: impl Iterator<Item = &'a CertificateFacts>,
) -> Option<String> {
    let chain: Vec<&CertificateFacts> = chain.collect();
    if chain.is_empty() {
        return None;
    }
    let names: Vec<String> = chain
        .iter()
        .map(|c| {
            c.common_names
                .first()
                .cloned()
                .unwrap_or_else(|| c.subject.clone())
        })
        .collect();
    let issuer_present = chain.iter().any(|c| c.subject == leaf.issuer);
    Some(format!(
        "{} certificate(s): {}{}",
        chain.len(),
        names.join(" ← "),
        if issuer_present {
            ""
        } else {
            " (the leaf's issuer is not among them)"
        }
    ))
}

/// The signing certificate judged as the register would: the `cert` rules for signing
/// (validity at the check time, key, key usage, identifier and check digit), then CERT-ISSUER
/// and CERT-REVOCATION with the trust and offline options. `sign` and `verify` both use it.
pub fn signing_certificate(
    cert: &LoadedCert,
    path: &Path,
    chain: Option<&Path>,
    supplier: Option<BusinessId>,
    trust: &TrustArgs,
    at: time::OffsetDateTime,
    profile: &RegisterProfile,
) -> Result<Subject, CommandError> {
    let ctx = crate::commands::trust::context(trust, at, profile)?;
    let mut supplied = cert.bundled_der.clone();
    supplied.extend(read_chain(chain, &PasswordSource::None)?);
    Ok(judged_subject(
        cert,
        &supplied,
        &path.display().to_string(),
        Purpose::Signing,
        ExpectedIds {
            supplier,
            service_centre: None,
        },
        &ctx,
        profile,
        Vec::new(),
    ))
}
