//! The read-only inspection view on a loopback port: what clients sent and how it was answered,
//! the records and their dispute states, and each connection's TLS offer. An HTML page with no
//! scripts or external resources, and the same data as JSON under `/api/`.

use crate::render::escape;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::admission::{Admission, Stage, Tracked, until_overdue};
use super::content::ContentWarning;
use super::store::{MessageLog, RecordRow, Store};
use super::{HelloRecord, Shared};

/// How many rows each view shows.
const ROWS: usize = 200;

/// Connections the page serves at once; when all are taken, the one idle the longest makes
/// room for a newcomer.
const SLOTS: usize = 32;

pub async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    store: Arc<Mutex<Store>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Ok(local) = listener.local_addr() else {
        return;
    };
    let hosts = Arc::new(own_hosts(local));
    let slots = Admission::new(SLOTS);
    loop {
        let (tcp, peer) = tokio::select! {
            a = listener.accept() => match a { Ok(a) => a, Err(_) => { tokio::time::sleep(Duration::from_millis(50)).await; continue } },
            _ = shutdown.changed() => return,
        };
        let Some((slot, _)) = slots.admit(peer.ip()) else {
            continue;
        };
        // Plain HTTP has no handshake: from its first byte on it is judged by idleness.
        slot.reached(Stage::Established);
        let (header_timeout, idle_timeout) =
            (shared.limits.header_timeout, shared.limits.idle_timeout);
        let shared = shared.clone();
        let store = store.clone();
        let hosts = hosts.clone();
        tokio::spawn(async move {
            let handle = slot.handle();
            let service = service_fn(move |req| {
                let (shared, store, hosts, handle) =
                    (shared.clone(), store.clone(), hosts.clone(), handle.clone());
                async move {
                    let _busy = handle.busy();
                    Ok::<_, Infallible>(match host_refused(&req, &hosts) {
                        Some(refusal) => refusal,
                        None => answer(&shared, &store, &req).await,
                    })
                }
            });
            let io = Tracked {
                inner: tcp,
                slot: slot.handle(),
            };
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(io), service);
            tokio::select! {
                _ = conn => {}
                _ = until_overdue(&slot, header_timeout, idle_timeout) => {}
                () = slot.evicted() => {}
            }
        });
    }
}

/// The Host values that name this server: its loopback address and port, or `localhost`
/// with the port. A page on another name that resolves here (DNS rebinding) sends its own
/// name, and is refused.
fn own_hosts(local: SocketAddr) -> Vec<String> {
    let port = local.port();
    let address = match local.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]:{port}"),
        ip => format!("{ip}:{port}"),
    };
    vec![address, format!("localhost:{port}")]
}

/// A 421 answer when the request's Host does not name this server.
fn host_refused(req: &Request<Incoming>, hosts: &[String]) -> Option<Response<Full<Bytes>>> {
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    if host
        .as_deref()
        .is_some_and(|h| hosts.iter().any(|own| own == h))
    {
        return None;
    }
    Some(plain(
        StatusCode::MISDIRECTED_REQUEST,
        "text/plain; charset=utf-8",
        format!(
            "this inspection page answers only requests for http://{}/ (the Host header must name it)",
            hosts.first().map_or("", String::as_str)
        ),
    ))
}

async fn answer(
    shared: &Arc<Shared>,
    store: &Arc<Mutex<Store>>,
    req: &Request<Incoming>,
) -> Response<Full<Bytes>> {
    if req.method() != Method::GET {
        return plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "read-only: GET only".into(),
        );
    }
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let store = store.clone();
    let hellos = hellos(shared);
    let interface = shared.interface;
    let result = tokio::task::spawn_blocking(
        move || -> Result<(StatusCode, &'static str, String), String> {
            let s = store
                .lock()
                .map_err(|_| "store lock poisoned".to_string())?;
            let messages = || s.messages(ROWS).map_err(|e| e.to_string());
            let records = || s.records(ROWS).map_err(|e| e.to_string());
            Ok(match path.as_str() {
                "/" => (
                    StatusCode::OK,
                    "text/html; charset=utf-8",
                    page(interface.as_str(), &messages()?, &records()?, &hellos),
                ),
                "/api/messages" => (
                    StatusCode::OK,
                    "application/json",
                    json!(messages()?).to_string(),
                ),
                "/api/records" => (
                    StatusCode::OK,
                    "application/json",
                    json!(records()?).to_string(),
                ),
                "/api/state" => super::inspect_records::state(&s, &query)?,
                p if p.starts_with("/api/records/") => {
                    super::inspect_records::record(&s, &p["/api/records/".len()..])?
                }
                "/api/client-hellos" => (
                    StatusCode::OK,
                    "application/json",
                    json!(hellos).to_string(),
                ),
                _ => (
                    StatusCode::NOT_FOUND,
                    "text/plain; charset=utf-8",
                    "not found".into(),
                ),
            })
        },
    )
    .await;
    match result {
        Ok(Ok((status, ty, body))) => plain(status, ty, body),
        Ok(Err(e)) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            e,
        ),
        Err(_) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            "failed".into(),
        ),
    }
}

fn hellos(shared: &Shared) -> Vec<HelloRecord> {
    shared
        .hellos
        .lock()
        .map(|h| h.iter().rev().take(ROWS).cloned().collect())
        .unwrap_or_default()
}

fn plain(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    r
}

fn findings_cell(json_text: &str) -> String {
    let list: Vec<serde_json::Value> = serde_json::from_str(json_text).unwrap_or_default();
    let mut out = String::new();
    for f in list {
        let status = f["status"].as_str().unwrap_or("");
        let _ = write!(
            out,
            "<div class=\"f {}\">{} {}: {}</div>",
            escape(status),
            escape(f["rule"].as_str().unwrap_or("")),
            escape(status),
            escape(f["detail"].as_str().unwrap_or(""))
        );
    }
    out
}

fn content_warnings_cell(warnings: &[ContentWarning]) -> String {
    let mut out = String::new();
    for w in warnings {
        let _ = write!(
            out,
            "<div class=\"f warn content-warning\">{}: {}</div>",
            escape(&w.rule),
            escape(&w.detail)
        );
    }
    out
}

fn page(
    interface: &str,
    messages: &[MessageLog],
    records: &[RecordRow],
    hellos: &[HelloRecord],
) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>tilicheck serve: Account Register simulator</title>\
         <style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse;margin-bottom:2em;width:100%}}\
         td,th{{border:1px solid #bbb;padding:.3em;vertical-align:top;font-size:.9em;text-align:left}}\
         .ok{{background:#e6f4e6}}.bad{{background:#fbe9e9}}.f.fail{{color:#a00}}.f.warn{{color:#a60}}.f.pass{{color:#060}}\
         code{{word-break:break-all}}</style></head><body>\
         <h1>Account Register simulator <small>(interface {})</small></h1>\
         <p>Read-only. JSON: <a href=\"/api/messages\">messages</a>, <a href=\"/api/records\">records</a>, \
         <a href=\"/api/client-hellos\">client hellos</a>. Content warnings are data the register is not known \
         to check: it accepts the message anyway (<code>--strict-content</code> refuses it here).</p>",
        escape(interface)
    );
    let _ = write!(
        h,
        "<h2>Messages</h2><table id=\"messages\"><tr><th>received</th><th>X-Correlation-ID</th><th>endpoint</th>\
         <th>TLS identity</th><th>signer</th><th>answer</th><th>content warnings</th><th>findings</th></tr>"
    );
    for m in messages {
        let class = if m.accepted { "ok" } else { "bad" };
        let mut seq = String::new();
        if m.sequential_violation {
            seq.push_str(" <strong>§3.6: sent before the previous answer</strong>");
        }
        if let Some(first) = &m.replay_of {
            let _ = write!(
                seq,
                " <strong class=\"replay\">replay of the message accepted at {}: not stored again</strong>",
                escape(&first.received_at)
            );
        }
        let _ = write!(
            h,
            "<tr class=\"{class}\" data-correlation-id=\"{}\" data-content-warnings=\"{}\"><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{} <code>{}</code>{seq}</td><td>{}</td><td>{}</td></tr>",
            escape(&m.correlation_id),
            m.content_warnings.len(),
            escape(&m.received_at),
            escape(&m.correlation_id),
            escape(&m.endpoint),
            escape(m.tls_identity.as_deref().unwrap_or("-")),
            escape(m.signer.as_deref().unwrap_or("-")),
            m.status,
            escape(&m.answer_body),
            content_warnings_cell(&m.content_warnings),
            findings_cell(&m.findings)
        );
    }
    h.push_str("</table><h2>Records</h2><table id=\"records\"><tr><th>sender</th><th>type</th><th>UUID</th><th>state</th><th>versions</th><th>reported in</th></tr>");
    for r in records {
        let _ = write!(
            h,
            "<tr data-uuid=\"{}\" data-state=\"{}\"><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&r.uuid),
            escape(&r.state),
            escape(&r.sender),
            escape(&r.record_type),
            escape(&r.uuid),
            escape(&r.state),
            r.versions,
            escape(&r.correlation_ids.join(" "))
        );
    }
    h.push_str("</table><h2>TLS clients</h2><table id=\"client-hellos\"><tr><th>connection</th><th>peer</th><th>offered</th><th>certificate</th><th>outcome</th><th>findings</th></tr>");
    for c in hellos {
        let offer = c.offer.as_ref().map_or_else(String::new, |o| {
            format!(
                "versions: {}<br>suites: {}<br>groups: {}<br>SNI: {}<br>ALPN: {}",
                escape(&if o.supported_versions.is_empty() {
                    o.legacy_version.clone()
                } else {
                    o.supported_versions.join(", ")
                }),
                escape(&o.cipher_suites.join(", ")),
                escape(&o.groups.join(", ")),
                escape(o.sni.as_deref().unwrap_or("-")),
                escape(&if o.alpn.is_empty() {
                    "none".to_owned()
                } else {
                    o.alpn.join(", ")
                })
            )
        });
        let findings: String = c
            .findings
            .iter()
            .map(|f| {
                format!(
                    "<div class=\"f {}\">{} {}: {}</div>",
                    f.status,
                    f.rule,
                    f.status,
                    escape(&f.detail)
                )
            })
            .collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{offer}</td><td>{}</td><td>{}</td><td>{findings}</td></tr>",
            c.connection,
            escape(&c.peer),
            if c.certificate_sent {
                escape(c.tls_identity.as_deref().unwrap_or("sent"))
            } else {
                "none".into()
            },
            escape(c.error.as_deref().or(c.negotiated.as_deref()).unwrap_or("")),
        );
    }
    h.push_str("</table></body></html>");
    h
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
