//! `serve --retain DAYS`: tokens older than the period go, a whole day's segment at a time;
//! the log, the records, their values now and their states stay, and a replay of a pruned
//! message is still told from a conflict.

use tilicheck::simulator::records::{Change, RecordType, RecordVersion};
use tilicheck::simulator::store::{Applied, MessageLog, Store, Write, now_text, segments};

use super::*;

fn log(cid: &str, at: &str, body: &str) -> MessageLog {
    MessageLog {
        correlation_id: cid.into(),
        received_at: at.into(),
        peer: "127.0.0.1:1".into(),
        endpoint: "POST /v3/report-update/cat-2/".into(),
        kind: "update-cat-2".into(),
        tls_identity: Some(SUPPLIER.into()),
        signer: Some(SUPPLIER.into()),
        status: 200,
        accepted: true,
        answer_body: String::new(),
        findings: "[]".into(),
        sequential_violation: false,
        auth_token: Some("auth".into()),
        body_token: Some(body.into()),
        replay_of: None,
        content_warnings: Vec::new(),
    }
}

fn accept(store: &mut Store, cid: &str, at: &str, body: &str) -> Applied {
    let change = Change::Update(vec![RecordVersion {
        record_type: RecordType::Account,
        uuid: RECORD.into(),
    }]);
    let mut out = store.write_batch(vec![Write::Accept {
        log: log(cid, at, body),
        change,
        answer_for: Box::new(|_| (400, String::new())),
    }]);
    out.remove(0).unwrap()
}

#[test]
fn old_tokens_go_with_their_segment_and_the_records_stay() {
    let dir = tempfile::tempdir().unwrap();
    let (_, old_body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let mut report = update_report(RECORD);
    report["accounts"][RECORD]["openingDate"] = json!("2022-02-02");
    let (_, new_body) = tokens(Interface::V3, "reportUpdate", report);
    let (old, new) = (new_cid(), new_cid());
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(
        accept(&mut store, &old, "2020-01-01T10:00:00Z", &old_body),
        Applied::Stored
    );
    // A message of another day starts a new segment.
    assert_eq!(
        accept(&mut store, &new, &now_text(), &new_body),
        Applied::Stored
    );
    assert!(segments::path(dir.path(), 2).exists());

    // Only the first segment is older than the cutoff.
    let cutoff = "2024-01-01T00:00:00Z";
    let pruned = store.prune(cutoff).unwrap();
    assert_eq!((pruned.segments, pruned.messages), (1, 1));
    assert!(!segments::path(dir.path(), 1).exists());
    assert_eq!(store.tokens(&old, true).unwrap().body, None);
    assert_eq!(
        store.tokens(&new, true).unwrap().body.as_deref(),
        Some(new_body.as_str())
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
    // The log and the record stay; the record's value now comes from the new message.
    assert_eq!(
        store.accepted_correlation_ids().unwrap(),
        [old.clone(), new.clone()]
    );
    let history = store.record_history(RECORD).unwrap();
    assert_eq!(history[0].current.versions, 2);
    assert_eq!(history[0].current.value["openingDate"], "2022-02-02");
    assert_eq!(
        history[0].history[0].value,
        Value::Null,
        "its pruned version"
    );
    // Pruning again finds nothing; the current segment is never pruned.
    assert_eq!(store.prune(&now_text()).unwrap().segments, 0);

    // A replay of the pruned message is still a replay; another body under its ID a conflict.
    assert!(matches!(
        accept(&mut store, &old, &now_text(), &old_body),
        Applied::Replay(_)
    ));
    assert!(matches!(
        accept(&mut store, &old, &now_text(), &new_body),
        Applied::Refused(_)
    ));
    drop(store);
    // Reopened, it recovers without the pruned segment.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn a_record_whose_value_now_was_only_in_a_pruned_token_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let cid = new_cid();
    let mut store = Store::open(dir.path()).unwrap();
    accept(&mut store, &cid, "2020-01-01T10:00:00Z", &body);
    let before = store.state(0, 10).unwrap();
    // Any message of today moves appending to a new segment.
    let other = tokens(Interface::V3, "reportUpdate", update_report(PERSON)).1;
    store
        .write_batch(vec![Write::Rejected {
            log: MessageLog {
                accepted: false,
                status: 400,
                ..log(&new_cid(), &now_text(), &other)
            },
        }])
        .remove(0)
        .unwrap();
    assert_eq!(store.prune("2024-01-01T00:00:00Z").unwrap().segments, 1);
    assert_eq!(store.tokens(&cid, true).unwrap().body, None);
    let after = store.state(0, 10).unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(after[0].value, before[0].value);
    assert!(after[0].value.is_object(), "{:?}", after[0].value);
}

#[test]
fn retain_must_be_a_positive_number_of_days() {
    for bad in ["0", "-1", "soon"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tilicheck"))
            .args(["serve", &format!("--retain={bad}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--retain {bad}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--retain"),
            "{out:?}"
        );
    }
}
