use super::*;

fn ack(cid: &str) -> Acknowledged {
    Acknowledged {
        correlation_id: cid.into(),
        kind: MessageKind::Update,
        category: Some(2),
        acknowledged_at: "2026-01-01T06:00:00Z".into(),
        source: "part-000001.json".into(),
    }
}

const OWNER: Owner<'static> = Owner {
    supplier: Some("1234567-1"),
    interface: "v3",
};

#[test]
fn a_message_is_recorded_once_and_later_values_replace_earlier() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    assert!(matches!(
        Ledger::open(&path, OWNER, false),
        Err(LedgerError::Missing { .. })
    ));
    let mut l = Ledger::open(&path, OWNER, true).unwrap();
    let k = Uuid::from_u128(7);
    let h1 = RecordHash::of_json("{\"a\":1}").unwrap();
    let h2 = RecordHash::of_json("{\"a\":2}").unwrap();
    l.begin(&InFlight {
        correlation_id: "c1".into(),
        file: "f".into(),
        file_sha256: "x".into(),
        body_sha256: "y".into(),
        sent_at: "t".into(),
    })
    .unwrap();
    assert_eq!(l.in_flight().unwrap().len(), 1);
    assert_eq!(
        l.record_update(&ack("c1"), [(Section::Accounts, k, h1)])
            .unwrap(),
        Recorded::Written(1)
    );
    assert!(
        l.in_flight().unwrap().is_empty(),
        "recording ends the flight"
    );
    // The replay's 200: nothing changes, not even with other records, and a resend
    // marked in flight again is in flight no more.
    l.begin(&InFlight {
        correlation_id: "c1".into(),
        file: "f".into(),
        file_sha256: "x".into(),
        body_sha256: "y".into(),
        sent_at: "t2".into(),
    })
    .unwrap();
    assert_eq!(
        l.record_update(&ack("c1"), [(Section::Accounts, k, h2)])
            .unwrap(),
        Recorded::AlreadyRecorded
    );
    assert!(l.in_flight().unwrap().is_empty());
    assert_eq!(l.record(Section::Accounts, k).unwrap().unwrap().hash, h1);
    l.record_update(&ack("c2"), [(Section::Accounts, k, h2)])
        .unwrap();
    let r = l.record(Section::Accounts, k).unwrap().unwrap();
    assert_eq!(
        (
            r.hash,
            r.first.correlation_id.as_str(),
            r.last.correlation_id.as_str()
        ),
        (h2, "c1", "c2")
    );
    assert_eq!(l.record(Section::Customers, k).unwrap(), None);
    assert_eq!(l.baseline().unwrap().len(), 1);

    let dispute = Acknowledged {
        kind: MessageKind::Disputable,
        category: None,
        ..ack("c3")
    };
    l.record_state(&dispute, k, DisputeState::Disputed).unwrap();
    assert_eq!(
        l.disputable_record(k).unwrap().unwrap().state,
        DisputeState::Disputed
    );
    let s = l.summary().unwrap();
    assert_eq!(s.messages, 3);
    assert_eq!(s.records[Section::Accounts.index()].disputed, 1);
}

#[test]
fn another_suppliers_or_interfaces_ledger_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    Ledger::open(&path, OWNER, true).unwrap();
    let other = Owner {
        supplier: Some("7654321-2"),
        ..OWNER
    };
    assert!(matches!(
        Ledger::open(&path, other, false),
        Err(LedgerError::Other {
            what: "supplier",
            ..
        })
    ));
    let v1 = Owner {
        interface: "v1.0.4",
        ..OWNER
    };
    assert!(matches!(
        Ledger::open(&path, v1, false),
        Err(LedgerError::Other {
            what: "interface",
            ..
        })
    ));
    // A command that does not know the supplier may open it.
    let unknown = Owner {
        supplier: None,
        ..OWNER
    };
    assert!(Ledger::open(&path, unknown, false).is_ok());
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.sqlite");
    std::fs::write(&path, b"this is not a database, just some text long enough").unwrap();
    assert!(Ledger::open(&path, OWNER, false).is_err());
}
