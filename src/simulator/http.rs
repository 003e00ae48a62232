//! One request, from the HTTP layer to the answer: route by the profile's endpoints, enforce
//! the size limit before the body is read whole, apply faults and the §3.6 one-at-a-time rule,
//! then judge, store and answer.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH};
use hyper::{Method, Request, Response, Version};

use super::answers::{Answer, Problem, correlation_id};
use super::content::{self, ContentPolicy};
use super::faults::Injected;
use super::judge::{ReportKind, Submission};
use super::records::change_of;
use super::store::{Applied, MessageLog, Write, now_text};
use super::{ConnInfo, SequentialPolicy, Shared};
use crate::findings::Finding;
use crate::profile::RuleId;

/// The connection is to be dropped without an answer (an injected fault, or a client that
/// stopped sending its body).
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped")
    }
}

impl std::error::Error for DropConnection {}

/// Which report kind a path is, per the profile's endpoints.
pub fn route(shared: &Shared, path: &str) -> Option<ReportKind> {
    let e = shared.interface.profile().message.endpoints.value;
    if path == e.update_cat1 {
        Some(ReportKind::UpdateCat1)
    } else if path == e.update_cat2 {
        Some(ReportKind::UpdateCat2)
    } else if path == e.disputable {
        Some(ReportKind::Disputable)
    } else if path == e.incorrect {
        Some(ReportKind::Incorrect)
    } else {
        None
    }
}

/// Decrements the sender's in-flight count when the request is over, whatever the outcome.
struct InFlight {
    shared: Arc<Shared>,
    key: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut map) = self.shared.in_flight.lock()
            && let Some(n) = map.get_mut(&self.key)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

pub async fn handle(
    shared: Arc<Shared>,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    conn.requests_in_flight.fetch_add(1, Ordering::SeqCst);
    let result = handle_inner(&shared, &conn, req).await;
    conn.requests_in_flight.fetch_sub(1, Ordering::SeqCst);
    result
}

async fn handle_inner(
    shared: &Arc<Shared>,
    conn: &Arc<ConnInfo>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let rules = shared.interface.serve_rules();
    let given: Vec<Option<&str>> = req
        .headers()
        .get_all("x-correlation-id")
        .iter()
        .map(|v| v.to_str().ok())
        .collect();
    let correlation = correlation_id(&given);
    let cid = correlation.id.clone();
    let path = req.uri().path().to_owned();
    let mut log = new_log(conn, &cid, req.method().as_str(), &path);
    // The first request of a connection was read before hyper (see `first_request`); one
    // that comes later on a keep-alive connection is refused here. hyper writes this answer
    // in the request's version.
    if req.version() != Version::HTTP_11 {
        let version = format!("{:?}", req.version());
        let (finding, problem) = wrong_version(&version);
        return Ok(finish(shared, log, vec![finding], &problem, true).await);
    }
    let Some(kind) = route(shared, &path) else {
        let problem = Problem::NotFound {
            message: format!(
                "no endpoint {path} in interface {}",
                shared.interface.as_str()
            ),
        };
        return Ok(finish(shared, log, Vec::new(), &problem, false).await);
    };
    log.kind = kind.as_str().into();
    if req.method() != Method::POST {
        return Ok(finish(shared, log, Vec::new(), &Problem::MethodNotAllowed, false).await);
    }
    if let Some(detail) = correlation.problem {
        let problem = Problem::bad_request(detail.clone());
        let findings = vec![Finding::fail(RuleId::SendSequential, detail)];
        return Ok(finish(shared, log, findings, &problem, false).await);
    }

    // §3.6: one request at a time per sender (the TLS identity, known before the body is read).
    let sender_key = conn
        .tls_identity
        .clone()
        .unwrap_or_else(|| conn.peer.ip().to_string());
    let already = {
        let mut map = shared.in_flight.lock().map_err(|_| DropConnection)?;
        let n = map.entry(sender_key.clone()).or_insert(0);
        *n += 1;
        *n > 1
    };
    let _in_flight = InFlight {
        shared: shared.clone(),
        key: sender_key.clone(),
    };
    let mut findings = Vec::new();
    if already {
        log.sequential_violation = true;
        let detail = format!(
            "{sender_key} sent this request while its previous one was still unanswered; §3.6 requires waiting for the answer"
        );
        if shared.sequential == SequentialPolicy::Reject {
            findings.push(Finding::fail(RuleId::SendSequential, detail.clone()));
            return Ok(finish(shared, log, findings, &Problem::bad_request(detail), false).await);
        }
        findings.push(Finding::warn(RuleId::SendSequential, detail));
    }

    let injected = shared.faults.next();
    if let Some(delay) = shared.faults.latency() {
        tokio::time::sleep(delay).await;
    }
    match injected {
        Injected::Drop => {
            shared.say(format!(
                "{} {} {cid}: dropped the connection (injected fault)",
                conn.peer, log.endpoint
            ));
            return Err(DropConnection);
        }
        Injected::Fail => {
            let problem = Problem::Internal {
                message: "injected fault: the simulator was told to fail this request".into(),
            };
            return Ok(finish(shared, log, findings, &problem, false).await);
        }
        Injected::None | Injected::LoseAnswer => {}
    }

    // The size limit, before the body is read whole: the declared length first, then the
    // stream itself, capped.
    let limit = shared.interface.profile().max_message_bytes.value;
    let oversize = |n: String| {
        let detail =
            format!("the message is {n} bytes; the limit is {limit} bytes in JWT form (§3.6)");
        (
            Finding::fail(RuleId::MsgSize, detail.clone())
                .with_assumption(shared.interface.profile().max_message_bytes.assumption()),
            oversize_problem(rules.oversize_status.value, detail),
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|n| *n > limit as u64) {
        let (f, problem) = oversize(n.to_string());
        findings.push(f);
        // Read and discard a moderate excess so the client, still sending, gets the answer
        // instead of a connection reset; nothing is kept, and the time is bounded.
        if n <= (limit as u64).saturating_add(DRAIN_LIMIT) {
            discard(req.into_body(), n, shared.limits.body_timeout).await;
        }
        return Ok(finish(shared, log, findings, &problem, true).await);
    }
    let authorization = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = Limited::new(req.into_body(), limit);
    let body = match tokio::time::timeout(shared.limits.body_timeout, body.collect()).await {
        Err(_) => {
            shared.say(format!(
                "{} {cid}: the body did not arrive within {:?}; connection closed",
                conn.peer, shared.limits.body_timeout
            ));
            return Err(DropConnection);
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            let (f, problem) = oversize(format!("more than {limit}"));
            findings.push(f);
            return Ok(finish(shared, log, findings, &problem, true).await);
        }
        Ok(Err(_)) => return Err(DropConnection),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    log.auth_token = authorization.clone();
    // Valid UTF-8 (every JWS) is copied as it is; the lossy scan is for anything else.
    log.body_token = Some(match std::str::from_utf8(&body) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(&body).into_owned(),
    });

    let shared2 = shared.clone();
    let conn2 = conn.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        judge_and_store(&shared2, &conn2, kind, authorization, &body, log, findings)
    })
    .await;
    match outcome {
        Ok(answer) if injected == Injected::LoseAnswer => {
            shared.say(format!(
                "{} {cid}: handled ({}), then dropped the connection without the answer (injected fault)",
                conn.peer,
                answer.status.as_u16()
            ));
            Err(DropConnection)
        }
        Ok(answer) => Ok(answer.into_response(false)),
        Err(_) => Ok(Answer::problem(
            &Problem::Internal {
                message: "the simulator failed while handling the message".into(),
            },
            rules,
            &cid,
        )
        .into_response(true)),
    }
}

/// A log entry for a request just received.
fn new_log(conn: &ConnInfo, cid: &str, method: &str, path: &str) -> MessageLog {
    MessageLog {
        correlation_id: cid.to_owned(),
        received_at: now_text(),
        peer: conn.peer.to_string(),
        endpoint: format!("{method} {path}"),
        kind: "-".into(),
        tls_identity: conn.tls_identity.clone(),
        signer: None,
        status: 0,
        accepted: false,
        answer_body: String::new(),
        findings: "[]".into(),
        sequential_violation: false,
        auth_token: None,
        body_token: None,
        replay_of: None,
        content_warnings: Vec::new(),
    }
}

/// The HTTP-VERSION failure and the register's answer to a request in `version`: 400, the
/// register's answer to a request it cannot take. Not 505: RFC 9110 §15.6.6 keeps 505 for a
/// refused major version (1.0 and 1.1 share one), and §4.7 lists no 505 among the answers a
/// client must handle.
fn wrong_version(version: &str) -> (Finding, Problem) {
    let detail = format!(
        "the request came as {version}; the interface speaks HTTP/1.1 only (§3.3): send it as HTTP/1.1"
    );
    let problem = Problem::bad_request(format!("{}: {detail}", RuleId::HttpVersion));
    (Finding::fail(RuleId::HttpVersion, detail), problem)
}

/// Answer a connection's first request, read before hyper, that came in HTTP/1.0: logged and
/// stored like any refused request, answered in HTTP/1.1.
pub(super) async fn answer_http10(
    shared: &Arc<Shared>,
    conn: &ConnInfo,
    head: &super::first_request::Head,
) -> Answer {
    let given: Vec<Option<&str>> = head.correlation_ids.iter().map(|v| v.as_deref()).collect();
    let cid = correlation_id(&given).id;
    let mut log = new_log(conn, &cid, &head.method, &head.path);
    if let Some(kind) = route(shared, &head.path) {
        log.kind = kind.as_str().into();
    }
    let (finding, problem) = wrong_version("HTTP/1.0");
    let shared2 = shared.clone();
    let problem2 = problem.clone();
    tokio::task::spawn_blocking(move || finish_blocking(&shared2, log, vec![finding], &problem2))
        .await
        .unwrap_or_else(|_| Answer::problem(&problem, shared.interface.serve_rules(), &cid))
}

/// Bytes beyond the size limit the simulator reads (and throws away) before answering.
pub(super) const DRAIN_LIMIT: u64 = 1024 * 1024;

async fn discard(mut body: Incoming, declared: u64, timeout: std::time::Duration) {
    let drain = async {
        let mut seen = 0u64;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len() as u64);
            if seen >= declared {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(timeout, drain).await;
}

fn oversize_problem(status: u16, detail: String) -> Problem {
    match status {
        403 => Problem::Forbidden { message: detail },
        _ => Problem::bad_request(detail),
    }
}

/// Judge the tokens, then apply and store; runs on a blocking thread (signature checks, fsync).
fn judge_and_store(
    shared: &Shared,
    conn: &ConnInfo,
    kind: ReportKind,
    authorization: Option<String>,
    body: &[u8],
    mut log: MessageLog,
    mut findings: Vec<Finding>,
) -> Answer {
    let rules = shared.interface.serve_rules();
    let cid = log.correlation_id.clone();
    let submission = Submission {
        interface: shared.interface,
        kind,
        authorization: authorization.as_deref(),
        body,
        tls_identity: conn.tls_identity.as_deref(),
    };
    let judged = match shared.judge.judge(&submission, &shared.registry) {
        Ok(j) => j,
        Err(rejection) => {
            findings.extend(rejection.findings);
            log.signer = rejection.signer;
            return finish_blocking(shared, log, findings, &rejection.problem);
        }
    };
    findings.extend(judged.findings);
    log.signer = Some(judged.signer.clone());
    if shared.content == ContentPolicy::Reject
        && let Some(problem) = content::strict_refusal(kind.claim(), &mut findings)
    {
        return finish_blocking(shared, log, findings, &problem);
    }
    let change = match change_of(kind, &judged.report) {
        Ok(c) => c,
        Err(problem) => return finish_blocking(shared, log, findings, &problem),
    };
    let ok = Answer::ok(&cid);
    let cid_for_log = cid.clone();
    log.status = 200;
    log.accepted = true;
    log.findings = findings_json(&findings);
    log.content_warnings = content::warnings(&findings);
    let noted = warnings_note(&log.content_warnings);
    let endpoint = log.endpoint.clone();
    let result = shared.store.write(Write::Accept {
        log,
        change,
        answer_for: Box::new(move |problem| {
            let a = Answer::problem(problem, rules, &cid_for_log);
            (a.status.as_u16(), a.body_text())
        }),
    });
    match result {
        Ok(Applied::Stored) => {
            shared.say(format!(
                "{} {} {cid}: 200 accepted from {}{noted}",
                conn.peer, endpoint, judged.signer
            ));
            ok
        }
        Ok(Applied::Replay(first)) => {
            shared.say(format!(
                "{} {} {cid}: 200 again: the same message was accepted at {} (a replay; not stored twice)",
                conn.peer, endpoint, first.received_at
            ));
            ok
        }
        Ok(Applied::Refused(problem)) => {
            let answer = Answer::problem(&problem, rules, &cid);
            shared.say(format!(
                "{} {} {cid}: {} {}",
                conn.peer,
                endpoint,
                answer.status.as_u16(),
                problem.message()
            ));
            answer
        }
        Err(e) => store_failed(shared, &cid, &e.to_string()),
    }
}

fn store_failed(shared: &Shared, cid: &str, why: &str) -> Answer {
    shared.say(format!("{cid}: could not store the message: {why}"));
    Answer::problem(
        &Problem::Internal {
            message: "the register could not store the message; send it again".into(),
        },
        shared.interface.serve_rules(),
        cid,
    )
}

fn findings_json(findings: &[Finding]) -> String {
    let list: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "rule": f.rule.as_str(),
                "status": f.status.as_str(),
                "detail": f.detail,
                "assumption": f.assumption,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// The log line's note on content warnings, empty when there are none.
fn warnings_note(warnings: &[content::ContentWarning]) -> String {
    match warnings {
        [] => String::new(),
        [only] => format!("; content warning {}: {}", only.rule, only.detail),
        [first, ..] => format!(
            "; {} content warnings, the first {}: {} (all on the inspection page)",
            warnings.len(),
            first.rule,
            first.detail
        ),
    }
}

/// Log a refused request and build its answer (blocking: writes the store).
fn finish_blocking(
    shared: &Shared,
    mut log: MessageLog,
    findings: Vec<Finding>,
    problem: &Problem,
) -> Answer {
    let answer = Answer::problem(problem, shared.interface.serve_rules(), &log.correlation_id);
    log.status = answer.status.as_u16();
    log.answer_body = answer.body_text();
    log.findings = findings_json(&findings);
    log.content_warnings = content::warnings(&findings);
    shared.say(format!(
        "{} {} {}: {} {}{}",
        log.peer,
        log.endpoint,
        log.correlation_id,
        log.status,
        problem.message(),
        warnings_note(&log.content_warnings)
    ));
    let endpoint = log.endpoint.clone();
    if let Err(e) = shared.store.write(Write::Rejected { log }) {
        shared.say(format!("{endpoint}: could not log a rejected request: {e}"));
    }
    answer
}

async fn finish(
    shared: &Arc<Shared>,
    log: MessageLog,
    findings: Vec<Finding>,
    problem: &Problem,
    close: bool,
) -> Response<Full<Bytes>> {
    let shared2 = shared.clone();
    let problem2 = problem.clone();
    let cid = log.correlation_id.clone();
    let answer =
        tokio::task::spawn_blocking(move || finish_blocking(&shared2, log, findings, &problem2))
            .await
            .unwrap_or_else(|_| Answer::problem(problem, shared.interface.serve_rules(), &cid));
    answer.into_response(close)
}
