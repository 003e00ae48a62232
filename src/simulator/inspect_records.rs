//! The inspection API's record views: `/api/state` (every record's value now, paged with
//! `?offset=N&limit=M`) and `/api/records/UUID` (a record's value now, every version with the
//! update that carried it, and its §4.3 state changes).

use hyper::StatusCode;
use serde_json::json;

use super::store::Store;

/// Most records one `/api/state` page holds.
pub const MAX_PAGE: usize = 10_000;

type Answer = (StatusCode, &'static str, String);

fn bad(text: String) -> Answer {
    (StatusCode::BAD_REQUEST, "text/plain; charset=utf-8", text)
}

/// `GET /api/state?offset=N&limit=M`.
pub fn state(store: &Store, query: &str) -> Result<Answer, String> {
    let (mut offset, mut limit) = (0usize, MAX_PAGE);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let n: usize = match value.parse() {
            Ok(n) => n,
            Err(_) => return Ok(bad(format!("{name}={value:?}: not a number"))),
        };
        match name {
            "offset" => offset = n,
            "limit" => limit = n.clamp(1, MAX_PAGE),
            _ => return Ok(bad(format!("unknown parameter {name:?} (offset, limit)"))),
        }
    }
    let records = store.state(offset, limit).map_err(|e| e.to_string())?;
    let next = (records.len() == limit).then_some(offset + limit);
    Ok((
        StatusCode::OK,
        "application/json",
        json!({"records": records, "next_offset": next}).to_string(),
    ))
}

/// `GET /api/records/UUID`.
pub fn record(store: &Store, uuid: &str) -> Result<Answer, String> {
    if uuid::Uuid::try_parse(uuid).is_err() {
        return Ok(bad(format!("{uuid:?} is not a UUID")));
    }
    let found = store.record_history(uuid).map_err(|e| e.to_string())?;
    if found.is_empty() {
        return Ok((
            StatusCode::NOT_FOUND,
            "application/json",
            json!({"message": format!("no record {uuid} has been stored")}).to_string(),
        ));
    }
    Ok((StatusCode::OK, "application/json", json!(found).to_string()))
}
