//! The §4.3 lifecycle of a record: disputable set and cleared, incorrect final; reports that
//! name unknown records or the wrong update are 404.

use serde_json::json;
use tilicheck::profile::Interface;

use super::*;

fn dispute(client: &mut Client, cid: &str, disputed: bool) -> Reply {
    let (auth, body) = tokens(
        Interface::V3,
        "reportDisputable",
        json!({"referredEntityId": RECORD, "correlationId": cid, "disputed": disputed}),
    );
    client
        .post("/v3/report-disputable/", &auth, Some(&new_cid()), &body)
        .unwrap()
}

fn incorrect(client: &mut Client, record: &str, cid: &str) -> Reply {
    let (auth, body) = tokens(
        Interface::V3,
        "reportIncorrect",
        json!({"referredEntityId": record, "correlationId": cid}),
    );
    client
        .post("/v3/report-incorrect/", &auth, Some(&new_cid()), &body)
        .unwrap()
}

fn state(sim: &Sim) -> String {
    sim.api("/api/records")
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uuid"] == RECORD && r["record_type"] == "account")
        .map(|r| r["state"].as_str().unwrap().to_owned())
        .unwrap()
}

#[test]
fn dispute_lifecycle() {
    let sim = start(Interface::V3);
    let mut client = Client::connect(sim.addr());

    // Nothing reported yet: 404.
    let r = dispute(&mut client, &new_cid(), true);
    assert_eq!(r.status, 404, "{r:?}");
    assert!(r.json()["message"].as_str().unwrap().contains(RECORD));

    let first = new_cid();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    assert_eq!(
        client
            .post("/v3/report-update/cat-2/", &auth, Some(&first), &body)
            .unwrap()
            .status,
        200
    );
    let second = new_cid();
    assert_eq!(
        client
            .post("/v3/report-update/cat-2/", &auth, Some(&second), &body)
            .unwrap()
            .status,
        200
    );
    // The same request again is a replay: 200, nothing stored twice (versions stays 2 below).
    let r = client
        .post("/v3/report-update/cat-2/", &auth, Some(&second), &body)
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    // Another message under an accepted correlation ID is refused, naming the conflict.
    let (auth2, body2) = tokens(Interface::V3, "reportUpdate", update_report(&new_cid()));
    let r = client
        .post("/v3/report-update/cat-2/", &auth2, Some(&second), &body2)
        .unwrap();
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("with a different body"),
        "{r:?}"
    );
    assert_eq!(state(&sim), "normal");

    // The correlation ID must be one that reported this record.
    let r = dispute(&mut client, &new_cid(), true);
    assert_eq!(r.status, 404, "{r:?}");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("was not reported")
    );

    assert_eq!(
        dispute(&mut client, &first, false).status,
        400,
        "nothing to cancel"
    );
    assert_eq!(dispute(&mut client, &first, true).status, 200);
    assert_eq!(state(&sim), "disputed");
    assert_eq!(
        dispute(&mut client, &second, true).status,
        400,
        "already disputable"
    );
    assert_eq!(dispute(&mut client, &second, false).status, 200);
    assert_eq!(state(&sim), "normal");
    assert_eq!(dispute(&mut client, &first, true).status, 200);
    assert_eq!(incorrect(&mut client, RECORD, &first).status, 200);
    assert_eq!(state(&sim), "incorrect");
    // Final.
    let r = dispute(&mut client, &first, false);
    assert_eq!(r.status, 400);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("no longer be changed")
    );
    assert_eq!(incorrect(&mut client, RECORD, &first).status, 400);
    assert_eq!(state(&sim), "incorrect");

    // A customer record cannot be reported (only accounts, boxes and legal persons): the
    // legal person with the same UUID is what an incorrect report about PERSON changes.
    assert_eq!(incorrect(&mut client, PERSON, &first).status, 200);
    let records = sim.api("/api/records");
    let person = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uuid"] == PERSON)
        .unwrap();
    assert_eq!(person["record_type"], "legalPerson");
    assert_eq!(person["state"], "incorrect");
    let versions = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uuid"] == RECORD)
        .unwrap();
    assert_eq!(versions["versions"], 2);
    assert_eq!(versions["correlation_ids"], json!([first, second]));
}

#[test]
fn another_senders_record_is_unknown() {
    let sim = start(Interface::V3);
    let cid = new_cid();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let mut client = Client::connect(sim.addr());
    assert_eq!(
        client
            .post("/v3/report-update/cat-2/", &auth, Some(&cid), &body)
            .unwrap()
            .status,
        200
    );
    // The same company under its VAT-form certificate is another signer in the register's eyes.
    let (auth, body) = tokens_as(
        Interface::V3,
        &fixture("supplier.key"),
        "FI12345671",
        "reportIncorrect",
        json!({"referredEntityId": RECORD, "correlationId": cid}),
    );
    let r = client
        .post("/v3/report-incorrect/", &auth, None, &body)
        .unwrap();
    assert_eq!(r.status, 404, "{r:?}");
}
