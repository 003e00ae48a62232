//! `tilicheck audit`: many certificates at once, sorted by urgency, with the date by which
//! each replacement must be ordered.

pub mod collect;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use time::{Duration, OffsetDateTime};

use rustls_pki_types::CertificateDer;

use crate::checks::cert::{CertCheck, KeyEvidence, check_validity};
use crate::checks::chain::Expect;
use crate::checks::identity::{ExpectedIds, Purpose};
use crate::checks::trust::{TrustContext, judge_path};
use crate::findings::Status;
use crate::pki::chain::Usage;
use crate::pki::facts::CertificateFacts;
use crate::pki::issuer_pool::IssuerPool;
use crate::pki::load::{self, LoadProblem};
use crate::profile::{RegisterProfile, RuleId, Sourced};
use crate::secret::PasswordSource;

/// What the audit is asked to do.
pub struct AuditOptions<'a> {
    pub at: OffsetDateTime,
    pub warn_days: i64,
    pub fail_days: i64,
    pub purpose: Purpose,
    pub expected: ExpectedIds,
    pub password: &'a PasswordSource,
    pub profile: &'static RegisterProfile,
    /// Trust anchors and revocation; `None` leaves CERT-ISSUER and CERT-REVOCATION out.
    pub trust: Option<&'a TrustContext>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
}

/// The urgency of one row, worst last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowStatus {
    Ok,
    Warn,
    Fail,
    /// The file could not be read as a certificate.
    Error,
}

impl RowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Ok => "ok",
            RowStatus::Warn => "warn",
            RowStatus::Fail => "fail",
            RowStatus::Error => "error",
        }
    }
}

/// One certificate (or one unreadable file).
#[derive(Clone, Debug)]
pub struct AuditRow {
    pub status: RowStatus,
    pub paths: Vec<PathBuf>,
    pub cert: Option<AuditedCert>,
    /// Why the file could not be read.
    pub error: Option<String>,
}

/// The facts and verdicts of one audited certificate.
#[derive(Clone, Debug)]
pub struct AuditedCert {
    pub subject: String,
    pub common_name: String,
    /// The business ID as written in the subject, if any.
    pub identifier: Option<String>,
    pub issuer: String,
    /// The serial number in hex, colon-separated as openssl prints it.
    pub serial: String,
    pub is_ca: bool,
    pub not_after: OffsetDateTime,
    pub days_left: i64,
    /// The latest day to order a replacement so it reaches Customs in time.
    pub order_by: OffsetDateTime,
    pub sha256: String,
    pub failing_rules: Vec<RuleId>,
    pub warning_rules: Vec<RuleId>,
}

/// The audit's result.
pub struct Audit {
    pub rows: Vec<AuditRow>,
    pub passed_over: Vec<(PathBuf, String)>,
    pub files_read: usize,
    /// The lead times subtracted from the expiry to get the order-by date.
    pub lead_times: Vec<Sourced<i64>>,
}

/// Lead times between ordering a certificate and using it: the CA's delivery, then
/// Customs' month.
pub fn lead_times(profile: &RegisterProfile) -> Vec<Sourced<i64>> {
    vec![profile.ca_delivery_days, profile.renewal_window_days]
}

/// Read every file in parallel and judge every certificate in it.
/// A chain fetched from an endpoint rather than read from a file; its leaf is audited.
pub struct Fetched {
    /// How the row names it, e.g. `tilirekisteri.example:443`.
    pub label: PathBuf,
    pub chain: Result<Vec<CertificateDer<'static>>, String>,
}

/// Where the certificates of one row come from.
enum Source {
    File(PathBuf),
    Fetched(Fetched),
}

impl Source {
    fn name(&self) -> &PathBuf {
        match self {
            Source::File(p) => p,
            Source::Fetched(f) => &f.label,
        }
    }
}

pub fn run(
    inputs: &[PathBuf],
    fetched: Vec<Fetched>,
    options: &AuditOptions<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Audit {
    let collected = collect::collect(inputs);
    let sources: Vec<Source> = collected
        .files
        .iter()
        .cloned()
        .map(Source::File)
        .chain(fetched.into_iter().map(Source::Fetched))
        .collect();
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    // Two parallel passes: read every file, then judge every certificate, so one file with
    // thousands of certificates is spread over the cores like thousands of files.
    let loaded = parallel_map(
        &sources,
        threads,
        |source| load_source(source, options),
        &|_| {},
    );
    let work: Vec<(usize, usize)> = loaded
        .iter()
        .enumerate()
        .flat_map(|(file, l)| match l {
            Loaded::Certs { rows, .. } => (0..*rows).map(|c| (file, c)).collect(),
            _ => Vec::new(),
        })
        .collect();
    let total = work.len();
    let judged = parallel_map(
        &work,
        threads,
        |&(file, index)| match &loaded[file] {
            Loaded::Certs { certs, pool, .. } => judge_one(certs, pool.as_ref(), index, options),
            _ => Err(String::new()),
        },
        &|done| progress(done, total),
    );

    // One row per certificate: the same certificate in several files is listed once.
    let mut rows: Vec<AuditRow> = Vec::new();
    let mut by_fingerprint: HashMap<String, usize> = HashMap::new();
    let mut passed_over = collected.passed_over;
    let mut judged = work.iter().zip(judged).peekable();
    for (i, result) in loaded.into_iter().enumerate() {
        let path = sources[i].name();
        let file_result = match result {
            Loaded::Certs { .. } => {
                let mut certs = Vec::new();
                let mut error = None;
                while let Some((_, verdict)) = judged.next_if(|((file, _), _)| *file == i) {
                    match verdict {
                        Ok(v) => certs.push(v),
                        // The first certificate that cannot be read makes the file unreadable.
                        Err(e) => {
                            error.get_or_insert(e);
                        }
                    }
                }
                match error {
                    Some(e) => FileResult::Unreadable(e),
                    None => FileResult::Certs(certs),
                }
            }
            Loaded::NotACertificate(why) => FileResult::NotACertificate(why),
            Loaded::Unreadable(why) => FileResult::Unreadable(why),
        };
        match file_result {
            FileResult::Certs(certs) => {
                for (cert, status) in certs {
                    if let Some(&row) = by_fingerprint.get(&cert.sha256) {
                        if !rows[row].paths.contains(path) {
                            rows[row].paths.push(path.clone());
                        }
                        continue;
                    }
                    by_fingerprint.insert(cert.sha256.clone(), rows.len());
                    rows.push(AuditRow {
                        status,
                        paths: vec![path.clone()],
                        cert: Some(cert),
                        error: None,
                    });
                }
            }
            FileResult::NotACertificate(why) => passed_over.push((path.clone(), why)),
            FileResult::Unreadable(why) => rows.push(AuditRow {
                status: RowStatus::Error,
                paths: vec![path.clone()],
                cert: None,
                error: Some(why),
            }),
        }
    }
    // Most urgent first: unreadable files, then by days left, the worse status first.
    rows.sort_by(|a, b| {
        let days = |r: &AuditRow| r.cert.as_ref().map_or(i64::MIN, |c| c.days_left);
        days(a)
            .cmp(&days(b))
            .then_with(|| b.status.cmp(&a.status))
            .then_with(|| a.paths.cmp(&b.paths))
    });
    Audit {
        rows,
        passed_over,
        files_read: sources.len(),
        lead_times: lead_times(options.profile),
    }
}

/// `f` over `items` on up to `threads` threads, results in the items' order; `done(n)` after
/// each of them.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
    done: &(dyn Fn(usize) + Sync),
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut local = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    local.push((i, f(item)));
                    done(finished.fetch_add(1, Ordering::Relaxed) + 1);
                }
                if let Ok(mut all) = results.lock() {
                    all.extend(local);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

enum FileResult {
    Certs(Vec<(AuditedCert, RowStatus)>),
    /// A key, CSR or similar met while walking a directory: not a row.
    NotACertificate(String),
    Unreadable(String),
}

/// One source read: its certificates, and the index that offers each one its issuers.
enum Loaded {
    Certs {
        certs: Vec<CertificateDer<'static>>,
        /// The first `rows` certificates are audited (a fetched chain: its leaf only).
        rows: usize,
        /// Built when there is more than one certificate and a path is to be judged.
        pool: Option<IssuerPool>,
    },
    NotACertificate(String),
    Unreadable(String),
}

fn load_source(source: &Source, options: &AuditOptions<'_>) -> Loaded {
    let (certs, rows) = match source {
        Source::File(path) => match load::read_certificates(path, options.password) {
            Ok(f) => {
                let n = f.certificates.len();
                (f.certificates, n)
            }
            Err(e) if matches!(e.problem, LoadProblem::NotACertificate { .. }) => {
                return Loaded::NotACertificate(e.problem.to_string());
            }
            Err(e) => return Loaded::Unreadable(e.problem.to_string()),
        },
        // A fetched chain's leaf is audited; the rest is its chain.
        Source::Fetched(f) => match &f.chain {
            Ok(c) if c.is_empty() => {
                return Loaded::Unreadable("no certificate was presented".into());
            }
            Ok(c) => (c.clone(), 1),
            Err(e) => return Loaded::Unreadable(e.clone()),
        },
    };
    let pool = (options.trust.is_some() && certs.len() > 1).then(|| IssuerPool::new(&certs));
    Loaded::Certs { certs, rows, pool }
}

fn judge_one(
    certs: &[CertificateDer<'static>],
    pool: Option<&IssuerPool>,
    index: usize,
    options: &AuditOptions<'_>,
) -> Result<(AuditedCert, RowStatus), String> {
    let der = &certs[index];
    let facts = CertificateFacts::from_der(der).map_err(|e| e.to_string())?;
    let supplied = match pool {
        Some(pool) if !facts.is_ca => pool.candidates_for(index),
        _ => Vec::new(),
    };
    Ok(audit_cert(der, &supplied, &facts, options))
}

fn audit_cert(
    der: &CertificateDer<'static>,
    supplied: &[CertificateDer<'static>],
    facts: &CertificateFacts,
    o: &AuditOptions<'_>,
) -> (AuditedCert, RowStatus) {
    // A CA certificate is audited for its expiry only: the supplier rules are not its rules.
    let findings = if facts.is_ca {
        vec![check_validity(facts, o.at, o.profile)]
    } else {
        let path = o.trust.map(|ctx| {
            judge_path(
                der,
                supplied,
                facts,
                Expect::DvvOrQwac,
                Usage::Any,
                ctx,
                o.profile,
            )
        });
        let mut findings = CertCheck {
            facts,
            key: &KeyEvidence::None,
            purpose: o.purpose,
            expected: o.expected,
            at: o.at,
            profile: o.profile,
            dvv_root: path.as_ref().and_then(|p| p.dvv_root.as_deref()),
            qualification: path.as_ref().and_then(|p| p.qualification.as_ref()),
        }
        .findings();
        if let Some(path) = path {
            findings.extend(path.findings);
        }
        findings
    };
    let rules_with = |s: Status| {
        findings
            .iter()
            .filter(|f| f.status == s)
            .map(|f| f.rule)
            .collect::<Vec<_>>()
    };
    let failing_rules = rules_with(Status::Fail);
    let warning_rules = rules_with(Status::Warn);
    let days_left = (facts.not_after - o.at).whole_days();
    let lead: i64 = lead_times(o.profile).iter().map(|l| l.value).sum();
    let status = if !failing_rules.is_empty() || days_left < o.fail_days {
        RowStatus::Fail
    } else if !warning_rules.is_empty() || days_left < o.warn_days {
        RowStatus::Warn
    } else {
        RowStatus::Ok
    };
    let cert = AuditedCert {
        subject: facts.subject.clone(),
        common_name: facts.common_names.first().cloned().unwrap_or_default(),
        identifier: facts.identifier().map(str::to_owned),
        issuer: facts.issuer.clone(),
        serial: facts.serial_hex.clone(),
        is_ca: facts.is_ca,
        not_after: facts.not_after,
        days_left,
        order_by: facts.not_after - Duration::days(lead),
        sha256: facts.sha256_fingerprint.clone(),
        failing_rules,
        warning_rules,
    };
    (cert, status)
}

impl Audit {
    /// The exit code: a failure decides; otherwise an unreadable file; warnings under `strict`.
    pub fn exit_code(&self, strict: bool) -> u8 {
        let any = |s: RowStatus| self.rows.iter().any(|r| r.status == s);
        if any(RowStatus::Fail) || (strict && any(RowStatus::Warn)) {
            1
        } else if any(RowStatus::Error) {
            3
        } else {
            0
        }
    }

    pub fn count(&self, status: RowStatus) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }
}
