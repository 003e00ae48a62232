//! CRL checking of a certificate path (RFC 5280 §6.3): the `--crl` CRLs first and, when they
//! do not settle a certificate's status and the network may be used, the CRLs of its
//! distribution points. A CRL counts only when its signer is found and validated: the
//! certificate's issuer or another certificate of the validated path with the CRL issuer's
//! name, or a separate CRL signer whose own path joins the validated path and whose own
//! revocation status is known to be good (§6.3.3 (f)).

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use rustls_pki_types::CertificateDer;

use super::answer::{Status, named_out_of_scope, state_text, to_answer, undetermined};
use super::certs::CertView;
use super::fetch::{self, Fetched};
use super::list::Crl;
use super::process::{self, Problem, SignerKey, Signers, Verdict, When};
use super::signature::{SignatureError, crl_signature, crl_verifies};
use super::{Answer, Options, reason_name};
/// How deep CRL signer paths are followed (a signer whose CRL has a separate signer …).
const MAX_DEPTH: usize = 3;
/// Longest side path from a CRL signer to the validated path.
const MAX_SIDE: usize = 4;

/// A status is remembered by (certificate DER, downloads allowed, checked as its own CRL signer).
type MemoKey = (Vec<u8>, bool, bool);

/// CRL checks over one validated path, sharing parsed certificates and answers.
pub struct Checker<'a> {
    opts: &'a Options,
    pool_der: &'a [CertificateDer<'static>],
    /// Other known certificates (the supplied chain, bundled intermediates), parsed when a
    /// CRL's signer is not on the path itself.
    pool: OnceCell<Vec<CertView>>,
    memo: RefCell<HashMap<MemoKey, Status>>,
    busy: RefCell<Vec<Vec<u8>>>,
}

impl<'a> Checker<'a> {
    pub fn new(opts: &'a Options, pool: &'a [CertificateDer<'static>]) -> Self {
        Checker {
            opts,
            pool_der: pool,
            pool: OnceCell::new(),
            memo: RefCell::new(HashMap::new()),
            busy: RefCell::new(Vec::new()),
        }
    }

    fn pool(&self) -> &[CertView] {
        self.pool.get_or_init(|| {
            self.pool_der
                .iter()
                .filter_map(|d| CertView::parse(d).ok())
                .collect()
        })
    }

    fn when(&self) -> When {
        When {
            at: self.opts.at,
            grace_secs: self.opts.grace_secs,
        }
    }

    /// The CRL answer for `chain[0]`, whose issuers follow in `chain` (up to the anchor).
    /// `download`: the distribution points may be asked when the `--crl` CRLs do not settle it.
    pub fn answer(&self, chain: &[&CertView], download: bool) -> Answer {
        let st = self.status(chain, download, 0, false);
        to_answer(&st, chain[0], self.opts)
    }

    /// `signer_itself`: `chain[0]` is a separate CRL signer, whose own status may come from a
    /// CRL it signed (an indirect CRL covering its issuer's certificates, itself among them:
    /// trusting its key for CRLs already trusts it that far).
    fn status(
        &self,
        chain: &[&CertView],
        download: bool,
        depth: usize,
        signer_itself: bool,
    ) -> Status {
        let cert = chain[0];
        let key = (cert.der.clone(), download, signer_itself);
        if let Some(st) = self.memo.borrow().get(&key) {
            return st.clone();
        }
        if self.busy.borrow().contains(&cert.der) {
            // Its status would rest on itself.
            return undetermined(Problem::Unknown(format!(
                "the status of \"{}\" depends on a CRL whose signer depends on it in turn",
                cert.name
            )));
        }
        self.busy.borrow_mut().push(cert.der.clone());
        let st = self.compute(chain, download, depth, signer_itself);
        self.busy.borrow_mut().retain(|d| d != &cert.der);
        self.memo.borrow_mut().insert(key, st.clone());
        st
    }

    fn compute(
        &self,
        chain: &[&CertView],
        download: bool,
        depth: usize,
        signer_itself: bool,
    ) -> Status {
        let cert = chain[0];
        let signers = PathSigners {
            checker: self,
            chain,
            download,
            depth,
            signer_itself,
        };
        let local: Vec<&Crl> = self.opts.local.iter().collect();
        let outcome = process::process(cert, &local, &signers, self.when());
        let settled = !matches!(outcome.verdict, Verdict::Undetermined);
        if settled || !download {
            return Status {
                out_of_scope: if settled {
                    Vec::new()
                } else {
                    named_out_of_scope(cert, &local)
                },
                outcome,
                failures: Vec::new(),
                notes: Vec::new(),
                unsupported: Vec::new(),
                any_url: false,
                downloaded: false,
            };
        }
        let fetched: Fetched = fetch::for_cert(cert, self.opts);
        let mut all = local.clone();
        all.extend(fetched.crls.iter());
        let outcome = process::process(cert, &all, &signers, self.when());
        let verified: Vec<usize> = outcome
            .verified
            .iter()
            .filter_map(|&i| i.checked_sub(local.len()))
            .collect();
        let notes = fetch::store(&fetched, &verified, self.opts);
        Status {
            out_of_scope: match outcome.verdict {
                Verdict::Undetermined => named_out_of_scope(cert, &all),
                _ => Vec::new(),
            },
            outcome,
            failures: fetched.failures,
            notes,
            unsupported: fetched.unsupported,
            any_url: fetched.any_url,
            downloaded: true,
        }
    }

    /// §6.3.3 (f) for a signer that is not on the validated path: its own path up to a
    /// certificate of `chain` (CAs only, all valid now), and every certificate of it not
    /// revoked. Ok: a note for the source line.
    fn side_path(
        &self,
        signer: &CertView,
        chain: &[&CertView],
        download: bool,
        depth: usize,
    ) -> Result<String, Problem> {
        if depth >= MAX_DEPTH {
            return Err(Problem::Unknown(format!(
                "the CRL signer \"{}\" is too many CRL signers away from the path",
                signer.name
            )));
        }
        let upper = &chain[1..];
        let mut side: Vec<&CertView> = vec![signer];
        let join = loop {
            let Some(&cur) = side.last() else {
                unreachable!("side starts with the signer")
            };
            if let Some(pos) = upper.iter().position(|p| cur.issued_by(p)) {
                break pos + 1;
            }
            let next = (side.len() < MAX_SIDE)
                .then(|| {
                    self.pool().iter().find(|p| {
                        p.der != chain[0].der
                            && !side.iter().any(|s| s.der == p.der)
                            && cur.issued_by(p)
                    })
                })
                .flatten();
            match next {
                Some(p) => side.push(p),
                None => {
                    return Err(Problem::Unknown(format!(
                        "the CRL signer \"{}\" has no path to the certificate's own path (no known certificate of \"{}\" issued \"{}\")",
                        signer.name, cur.issuer_shown, cur.name
                    )));
                }
            }
        };
        let at = self.opts.at;
        for (i, c) in side.iter().enumerate() {
            if at < c.not_before || at > c.not_after {
                return Err(Problem::Invalid(format!(
                    "the CRL signer's certificate \"{}\" is not valid at the check time",
                    c.name
                )));
            }
            if i > 0 && (!c.is_ca || c.key_cert_sign == Some(false)) {
                return Err(Problem::Invalid(format!(
                    "\"{}\" on the CRL signer's path is not a CA that may sign certificates",
                    c.name
                )));
            }
        }
        for i in 0..side.len() {
            let sub: Vec<&CertView> = side[i..]
                .iter()
                .copied()
                .chain(chain[join..].iter().copied())
                .collect();
            let st = self.status(&sub, download, depth + 1, i == 0);
            match &st.outcome.verdict {
                Verdict::Unrevoked => {}
                Verdict::Revoked { at, reason, source } => {
                    return Err(Problem::Invalid(format!(
                        "the CRL signer's certificate \"{}\" is revoked ({}{}; {source})",
                        side[i].name,
                        super::show_time(*at),
                        reason
                            .map(|r| format!(", {}", reason_name(r as u8)))
                            .unwrap_or_default()
                    )));
                }
                Verdict::Undetermined => {
                    let a = to_answer(&st, side[i], self.opts);
                    return Err(Problem::Unknown(format!(
                        "the revocation status of the CRL signer's certificate \"{}\" is not known ({})",
                        side[i].name,
                        state_text(&a.state)
                    )));
                }
            }
        }
        Ok(format!("signed by the CRL signer \"{}\"", signer.name))
    }
}

/// The signers of CRLs for one certificate, given its validated issuers.
struct PathSigners<'c, 'a> {
    checker: &'c Checker<'a>,
    chain: &'c [&'c CertView],
    download: bool,
    depth: usize,
    signer_itself: bool,
}

impl Signers for PathSigners<'_, '_> {
    fn verify(&self, crl: &Crl, cert: &CertView) -> Result<SignerKey, Problem> {
        // On the validated path first (the issuer, or another key of the same CA), then the
        // other known certificates. A certificate vouches for itself only as a CRL signer.
        let itself = (self.signer_itself && cert.subject == crl.issuer).then_some((cert, true));
        let mut named: Vec<(&CertView, bool)> = itself
            .into_iter()
            .chain(
                self.chain[1..]
                    .iter()
                    .filter(|c| c.subject == crl.issuer)
                    .map(|c| (*c, true)),
            )
            .collect();
        for c in self.checker.pool() {
            if c.subject == crl.issuer
                && c.der != cert.der
                && !named.iter().any(|(n, _)| n.der == c.der)
            {
                named.push((c, false));
            }
        }
        if named.is_empty() {
            return Err(Problem::Unknown(format!(
                "{}: no certificate of its issuer \"{}\" is known to verify it with (give it with --chain)",
                crl.origin, crl.issuer_shown
            )));
        }
        let results: Vec<Result<(), SignatureError>> = named
            .iter()
            .map(|(c, _)| crl_signature(crl, &c.spki))
            .collect();
        let verifying: Vec<&(&CertView, bool)> = named
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_ok())
            .map(|(n, _)| n)
            .collect();
        if let Some(Err(SignatureError::Unsupported(alg))) = results.first()
            && verifying.is_empty()
        {
            return Err(Problem::Unknown(format!(
                "{}: it is signed with an algorithm tilicheck does not verify ({alg})",
                crl.origin
            )));
        }
        if verifying.is_empty() {
            let whose = match named.as_slice() {
                [(only, _)] => format!("the key of \"{}\"", only.name),
                several => format!(
                    "the key of any of the {} certificates named \"{}\"",
                    several.len(),
                    crl.issuer_shown
                ),
            };
            return Err(Problem::Invalid(format!(
                "{}: its signature does not verify with {whose}: a damaged or forged CRL",
                crl.origin
            )));
        }
        let mut problem = None;
        for (c, on_path) in verifying {
            if c.crl_sign == Some(false) {
                problem = Some(Problem::Invalid(format!(
                    "{}: signed by \"{}\", whose key usage does not include cRLSign",
                    crl.origin, c.name
                )));
                continue;
            }
            if *on_path {
                let note = if c.der == cert.der {
                    Some("signed by the CRL signer itself".to_owned())
                } else {
                    (self.chain.get(1).map(|i| &i.der) != Some(&c.der))
                        .then(|| format!("signed by \"{}\" of the path", c.name))
                };
                return Ok(SignerKey {
                    spki: c.spki.clone(),
                    note,
                });
            }
            match self
                .checker
                .side_path(c, self.chain, self.download, self.depth)
            {
                Ok(note) => {
                    return Ok(SignerKey {
                        spki: c.spki.clone(),
                        note: Some(note),
                    });
                }
                Err(p) => problem = Some(p),
            }
        }
        Err(problem.map_or_else(
            || Problem::Unknown(format!("{}: no usable signer", crl.origin)),
            |p| match p {
                Problem::Invalid(t) if !t.starts_with(&crl.origin.to_string()) => {
                    Problem::Invalid(format!("{}: {t}", crl.origin))
                }
                Problem::Unknown(t) if !t.starts_with(&crl.origin.to_string()) => {
                    Problem::Unknown(format!("{}: {t}", crl.origin))
                }
                p => p,
            },
        ))
    }

    fn verifies_with(&self, crl: &Crl, key: &SignerKey) -> bool {
        crl_verifies(crl, &key.spki)
    }
}
