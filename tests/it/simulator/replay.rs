//! A repeated X-Correlation-ID: the same request again is a replay (200, stored once), another
//! body under the same ID is a conflict (400). Checked with curl and with the database read
//! by Python's sqlite3, not by the simulator's own code.

use super::*;

/// Rows of the simulator's database, read by Python's sqlite3 module.
fn sql(sim: &Sim, query: &str) -> Value {
    let db = sim._dir.path().join("register.sqlite");
    let script = "import json, sqlite3, sys\n\
                  c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n\
                  print(json.dumps([list(r) for r in c.execute(sys.argv[2])]))\n";
    crate::support::python_json("Python sqlite3", script, [db.as_os_str(), query.as_ref()])
}

#[test]
fn the_same_request_again_is_answered_200_and_stored_once() {
    let sim = start(Interface::V3);
    let cid = new_cid();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    for _ in 0..3 {
        let r = curl(
            &sim,
            "POST",
            "/v3/report-update/cat-2/",
            Some(&auth),
            Some(&cid),
            &body,
        );
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.header("x-correlation-id"), Some(cid.as_str()));
    }
    let rows = sql(
        &sim,
        &format!(
            "SELECT accepted, status, replay_of IS NOT NULL FROM messages WHERE correlation_id = '{cid}' ORDER BY seq"
        ),
    );
    assert_eq!(rows, json!([[1, 200, 0], [0, 200, 1], [0, 200, 1]]));
    assert_eq!(
        sql(
            &sim,
            &format!("SELECT versions FROM records WHERE uuid = '{RECORD}'")
        ),
        json!([[1]])
    );
    assert_eq!(
        sql(&sim, "SELECT count(*) FROM record_versions"),
        json!([[2]]),
        "one account and one legal person, once each"
    );
    // The inspection API says what a replay is.
    let all = sim.api("/api/messages");
    let replays: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["replay_of"].is_null())
        .collect();
    assert_eq!(replays.len(), 2, "{all}");
    assert_eq!(replays[0]["accepted"], false);
    // And so does the page.
    let mut s = TcpStream::connect(sim.inspect()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        sim.inspect()
    )
    .unwrap();
    let mut page = String::new();
    s.read_to_string(&mut page).unwrap();
    assert_eq!(
        page.matches("replay of the message accepted at").count(),
        2,
        "{page}"
    );
}

#[test]
fn another_body_under_an_accepted_id_is_a_400_naming_the_conflict() {
    let sim = start(Interface::V3);
    let cid = new_cid();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth),
        Some(&cid),
        &body,
    );
    assert_eq!(r.status, 200, "{r:?}");
    let other = new_cid();
    let (auth2, body2) = tokens(Interface::V3, "reportUpdate", update_report(&other));
    let r = curl(
        &sim,
        "POST",
        "/v3/report-update/cat-2/",
        Some(&auth2),
        Some(&cid),
        &body2,
    );
    assert_eq!(r.status, 400, "{r:?}");
    let message = r.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains(&cid), "{message}");
    assert!(message.contains("with a different body"), "{message}");
    assert!(message.contains("new UUIDv4"), "{message}");
    // Nothing of the second body was stored.
    assert_eq!(
        sql(
            &sim,
            &format!("SELECT count(*) FROM records WHERE uuid = '{other}'")
        ),
        json!([[0]])
    );
    assert_eq!(
        sql(
            &sim,
            &format!(
                "SELECT count(*) FROM messages WHERE correlation_id = '{cid}' AND accepted = 1"
            )
        ),
        json!([[1]])
    );
}

#[test]
fn a_replayed_dispute_does_not_move_the_record_twice() {
    let sim = start(Interface::V3);
    let mut client = Client::connect(sim.addr());
    let update = new_cid();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let r = client
        .post("/v3/report-update/cat-2/", &auth, Some(&update), &body)
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let dispute = new_cid();
    let (auth, body) = tokens(
        Interface::V3,
        "reportDisputable",
        json!({"referredEntityId": RECORD, "correlationId": update, "disputed": true}),
    );
    for _ in 0..2 {
        // The second would be "already disputable" if it were a new message.
        let r = client
            .post("/v3/report-disputable/", &auth, Some(&dispute), &body)
            .unwrap();
        assert_eq!(r.status, 200, "{r:?}");
    }
    assert_eq!(
        sql(
            &sim,
            &format!("SELECT from_state, to_state FROM state_changes WHERE uuid = '{RECORD}'")
        ),
        json!([["normal", "disputed"]])
    );
}
