//! Content warnings: Customs' own v3 example (two birth dates that contradict their personal
//! identity codes) is accepted as the register would accept it, with the warnings recorded in
//! the database and shown on the inspection page and its API; `--strict-content` refuses it.
//! The tokens are signed by joserfc and sent by Python's http.client, both independent of
//! tilicheck.

use tilicheck::simulator::ContentPolicy;

use super::*;
use crate::support::python;

/// The two v3 tokens for a report file, signed by joserfc as `sub`.
const JOSERFC_TOKENS: &str = r#"
import json, sys
from joserfc import jwt
from joserfc.jwk import RSAKey
key_path, sub, report_path = sys.argv[1:4]
key = RSAKey.import_key(open(key_path).read())
header = {"alg": "RS256", "typ": "JWT"}
report = json.load(open(report_path))
print(jwt.encode(header, {"sub": sub, "aud": "accountRegister"}, key))
print(jwt.encode(header, {"sub": sub, "aud": "accountRegister", "reportUpdate": report}, key))
"#;

/// The official category-2 example as the DEMO supplier would send it: the example's own
/// sender replaced by the supplier's (the register refuses another supplier's ID).
fn official_example_tokens() -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-data/tilirekisteri/v3/examples/report-update-v3-other.json");
    let mut report: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    report["senderBusinessId"] = json!(SUPPLIER);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    std::fs::write(&file, report.to_string()).unwrap();
    let out = python(
        "joserfc",
        JOSERFC_TOKENS,
        [
            fixture("supplier.key").display().to_string(),
            SUPPLIER.to_owned(),
            file.display().to_string(),
        ],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    (
        lines.next().unwrap().to_owned(),
        lines.next().unwrap().to_owned(),
    )
}

fn send(sim: &Sim, cid: &str) -> PyReply {
    let (auth, body) = official_example_tokens();
    py_request(
        sim,
        "1.1",
        "/v3/report-update/cat-2/",
        &[
            ("Authorization", &format!("Bearer {auth}")),
            ("X-Correlation-ID", cid),
            ("Content-Type", "application/json"),
        ],
        &body,
    )
}

fn page(sim: &Sim) -> String {
    let mut s = TcpStream::connect(sim.inspect()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        sim.inspect()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn the_official_example_is_accepted_with_its_content_warnings_recorded() {
    let sim = start(Interface::V3);
    let cid = new_cid();
    let r = send(&sim, &cid);
    assert_eq!(
        r.status, 200,
        "the register accepts its own example: {}",
        r.body
    );
    assert_eq!(r.body, "", "the 200 has an empty body, as the register's");

    let m = sim.message(&cid);
    assert_eq!(m["accepted"], true, "{m}");
    // Two birth dates that contradict their personal identity codes, and four records that
    // ended before 1.9.2020 (§4.8: not to be reported).
    let warnings = m["content_warnings"].as_array().expect("an array");
    assert_eq!(warnings.len(), 6, "{m}");
    assert!(warnings.iter().all(|w| w["rule"] == "MSG-QUALITY"), "{m}");
    let about = |what: &str| {
        warnings
            .iter()
            .filter(|w| w["detail"].as_str().unwrap().contains(what))
            .count()
    };
    assert_eq!(about("/privatePerson/birthDate: is "), 2, "{m}");
    assert_eq!(about("before 2020-09-01"), 4, "{m}");
    // The records were stored: accepted means applied.
    let records = sim.api("/api/records");
    assert!(
        records.as_array().unwrap().len() > 5,
        "records stored: {records}"
    );

    // The database itself, read with Python's sqlite3, holds the same warnings.
    let db = sim._dir.path().join(tilicheck::simulator::store::DB_FILE);
    let stored = python_json(
        "Python sqlite3",
        "import json, sqlite3, sys\n\
         c = sqlite3.connect(sys.argv[1])\n\
         row = c.execute('SELECT content_warnings FROM messages WHERE correlation_id = ?', (sys.argv[2],)).fetchone()\n\
         print(row[0])",
        [db.display().to_string(), cid.clone()],
    );
    assert_eq!(&stored, &m["content_warnings"]);

    let html = page(&sim);
    assert!(
        html.contains(&format!(
            "data-correlation-id=\"{cid}\" data-content-warnings=\"6\""
        )),
        "{html}"
    );
    assert!(html.contains("content-warning\">MSG-QUALITY: /legalPersons/"));
}

#[test]
fn strict_content_refuses_the_warnings_with_a_400_naming_them() {
    let sim = start_with(Interface::V3, |c| c.content = ContentPolicy::Reject);
    let cid = new_cid();
    let r = send(&sim, &cid);
    assert_eq!(r.status, 400, "{}", r.body);
    let body = r.json();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("--strict-content"),
        "{body}"
    );
    let fields = body["fieldErrors"].as_array().unwrap();
    assert_eq!(fields.len(), 6, "{body}");
    assert!(
        fields
            .iter()
            .all(|f| f.as_str().unwrap().contains("MSG-QUALITY")),
        "{body}"
    );
    let m = sim.message(&cid);
    assert_eq!(m["accepted"], false);
    assert_eq!(m["status"], 400);
    assert_eq!(m["content_warnings"].as_array().unwrap().len(), 6, "{m}");
    assert!(m["findings"].as_str().unwrap().contains("--strict-content"));
    assert_eq!(sim.api("/api/records"), json!([]), "nothing stored");

    // A clean report still goes through under --strict-content.
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let r = Client::connect(sim.addr())
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
}
