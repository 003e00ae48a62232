//! Databases made by earlier versions of the simulator, brought to the current form when
//! opened: each step looks for what it changes and does nothing on a current database.

use rusqlite::Connection;

use super::SCHEMA;

/// Columns added after the first release, for databases made before them.
pub(super) fn bring_up_to_date(conn: &Connection) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('messages')")?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('record_versions')")?;
    let version_columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if !version_columns.iter().any(|n| n == "value") {
        conn.execute_batch("ALTER TABLE record_versions ADD COLUMN value TEXT")?;
    }
    for (column, ty) in [
        ("replay_of", "INTEGER"),
        ("content_warnings", "TEXT NOT NULL DEFAULT '[]'"),
        ("segment", "INTEGER"),
        ("segment_offset", "INTEGER"),
        ("body_sha256", "BLOB"),
    ] {
        if !names.iter().any(|n| n == column) {
            conn.execute_batch(&format!("ALTER TABLE messages ADD COLUMN {column} {ty}"))?;
        }
    }
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('records')")?;
    let record_columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if !record_columns.iter().any(|n| n == "last_cid") {
        // A database made before segments: its versions are keyed by record, so this is one
        // lookup per record, once.
        conn.execute_batch(
            "BEGIN;
             ALTER TABLE records ADD COLUMN last_cid TEXT;
             ALTER TABLE records ADD COLUMN value TEXT;
             UPDATE records SET
               last_cid = (SELECT v.correlation_id FROM record_versions v WHERE v.sender = records.sender
                           AND v.record_type = records.record_type AND v.uuid = records.uuid AND v.version = records.versions),
               value = (SELECT v.value FROM record_versions v WHERE v.sender = records.sender
                        AND v.record_type = records.record_type AND v.uuid = records.uuid AND v.version = records.versions);
             COMMIT;",
        )?;
    }
    if number_the_records(conn)? {
        // The text-named tables' pages are free now (most of the file, on a database that has
        // seen many updates): given back once. A failure (no disk space for the copy) leaves
        // a whole, current database that only keeps its size, so the start goes on.
        let _ = conn.execute_batch("VACUUM");
    }
    // Whether an update carried a record (a dispute's correlationId), without a page per record.
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS record_versions_by_message ON record_versions(message, record)",
    )?;
    Ok(())
}

/// A database whose versions name their record and update by text (sender, type, UUID and
/// correlation ID in every row, and again in the index: some 200 bytes per record per
/// update) is rewritten once to the numbered form, in one transaction: a crash leaves the
/// old form, and the next start does it again. True when it rewrote the database.
fn number_the_records(conn: &Connection) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('record_versions')")?;
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if !columns.iter().any(|n| n == "sender") {
        return Ok(false);
    }
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(
        "DROP INDEX IF EXISTS record_versions_by_message;
         ALTER TABLE records RENAME TO records_by_text;
         ALTER TABLE record_versions RENAME TO record_versions_by_text;",
    )?;
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(
        "INSERT INTO records (sender, record_type, uuid, state, versions, last_cid, value)
         SELECT sender, record_type, uuid, state, versions, last_cid, value FROM records_by_text
         ORDER BY sender, record_type, uuid;",
    )?;
    let before: i64 = tx.query_row("SELECT count(*) FROM record_versions_by_text", [], |r| {
        r.get(0)
    })?;
    let numbered = tx.execute(
        "INSERT INTO record_versions (record, version, message, value)
         SELECT r.id, v.version, m.seq, v.value FROM record_versions_by_text v
         JOIN records r ON r.sender = v.sender AND r.record_type = v.record_type AND r.uuid = v.uuid
         JOIN messages m ON m.correlation_id = v.correlation_id AND m.accepted = 1
         ORDER BY m.seq, r.id",
        [],
    )?;
    if numbered as i64 != before {
        // Left as it was (the transaction rolls back on drop): a version without its record
        // or its update is a database something else has written to.
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(format!(
                "{} of its {before} record versions name no record or no accepted update",
                before - numbered as i64
            )),
        ));
    }
    tx.execute_batch("DROP TABLE record_versions_by_text; DROP TABLE records_by_text;")?;
    tx.commit()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::{Store, StoreError};

    const MESSAGES: &str = "
        CREATE TABLE messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, correlation_id TEXT NOT NULL,
            received_at TEXT NOT NULL, peer TEXT NOT NULL, endpoint TEXT NOT NULL,
            kind TEXT NOT NULL, tls_identity TEXT, signer TEXT, status INTEGER NOT NULL,
            accepted INTEGER NOT NULL, answer_body TEXT NOT NULL, findings TEXT NOT NULL,
            sequential_violation INTEGER NOT NULL, auth_token TEXT, body_token TEXT);
        INSERT INTO messages (correlation_id, received_at, peer, endpoint, kind, status, accepted,
                              answer_body, findings, sequential_violation)
        VALUES ('c1', '2026-11-01T08:00:00Z', '127.0.0.1', '/update', 'update', 200, 1, '', '[]', 0),
               ('c2', '2026-11-02T08:00:00Z', '127.0.0.1', '/update', 'update', 200, 1, '', '[]', 0);";

    /// Before segments: versions keyed by record, each with its value.
    const BEFORE_SEGMENTS: &str = "
        CREATE TABLE records (sender TEXT NOT NULL, record_type TEXT NOT NULL, uuid TEXT NOT NULL,
            state TEXT NOT NULL, versions INTEGER NOT NULL,
            PRIMARY KEY (sender, record_type, uuid)) WITHOUT ROWID;
        CREATE TABLE record_versions (sender TEXT NOT NULL, record_type TEXT NOT NULL,
            uuid TEXT NOT NULL, version INTEGER NOT NULL, correlation_id TEXT NOT NULL, value TEXT,
            PRIMARY KEY (sender, record_type, uuid, version)) WITHOUT ROWID;
        INSERT INTO records VALUES ('1234567-1', 'account', 'a1', 'disputed', 2),
                                   ('1234567-1', 'legalPerson', 'p1', 'normal', 1);
        INSERT INTO record_versions VALUES
            ('1234567-1', 'account', 'a1', 1, 'c1', '{\"v\":1}'),
            ('1234567-1', 'account', 'a1', 2, 'c2', '{\"v\":2}'),
            ('1234567-1', 'legalPerson', 'p1', 1, 'c1', '{\"p\":1}');";

    /// With segments, before numbering: versions in write order, named by text.
    const TEXT_NAMED: &str = "
        CREATE TABLE records (sender TEXT NOT NULL, record_type TEXT NOT NULL, uuid TEXT NOT NULL,
            state TEXT NOT NULL, versions INTEGER NOT NULL, last_cid TEXT, value TEXT,
            PRIMARY KEY (sender, record_type, uuid)) WITHOUT ROWID;
        CREATE TABLE record_versions (seq INTEGER PRIMARY KEY, sender TEXT NOT NULL,
            record_type TEXT NOT NULL, uuid TEXT NOT NULL, version INTEGER NOT NULL,
            correlation_id TEXT NOT NULL, value TEXT);
        CREATE INDEX record_versions_by_message ON record_versions(correlation_id, uuid);
        INSERT INTO records VALUES ('1234567-1', 'account', 'a1', 'disputed', 2, 'c2', '{\"v\":2}'),
                                   ('1234567-1', 'legalPerson', 'p1', 'normal', 1, 'c1', '{\"p\":1}');
        INSERT INTO record_versions (sender, record_type, uuid, version, correlation_id, value) VALUES
            ('1234567-1', 'account', 'a1', 1, 'c1', '{\"v\":1}'),
            ('1234567-1', 'legalPerson', 'p1', 1, 'c1', '{\"p\":1}'),
            ('1234567-1', 'account', 'a1', 2, 'c2', NULL);";

    fn made_with(schema: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = rusqlite::Connection::open(dir.path().join(super::super::DB_FILE)).expect("db");
        conn.execute_batch(MESSAGES).expect("messages");
        conn.execute_batch(schema).expect("old schema");
        dir
    }

    fn columns(store: &Store, table: &str) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .expect("pragma");
        stmt.query_map([], |r| r.get(0))
            .expect("columns")
            .collect::<Result<_, _>>()
            .expect("columns")
    }

    #[test]
    fn earlier_databases_keep_every_record_and_version() {
        for (name, schema) in [
            ("before segments", BEFORE_SEGMENTS),
            ("text-named", TEXT_NAMED),
        ] {
            let dir = made_with(schema);
            let store = Store::open(dir.path()).expect(name);
            assert_eq!(
                columns(&store, "record_versions"),
                ["seq", "record", "version", "message", "value"],
                "{name}"
            );
            assert_eq!(store.integrity_check().expect("check"), "ok", "{name}");
            let free: i64 = store
                .conn
                .query_row("PRAGMA freelist_count", [], |r| r.get(0))
                .expect("freelist");
            assert_eq!(free, 0, "{name}: the old tables' pages are given back");
            let records = store.records(10).expect("records");
            let listed: Vec<(&str, &str, i64, Vec<&str>)> = records
                .iter()
                .map(|r| {
                    (
                        r.uuid.as_str(),
                        r.state.as_str(),
                        r.versions,
                        r.correlation_ids.iter().map(String::as_str).collect(),
                    )
                })
                .collect();
            assert_eq!(
                listed,
                [
                    ("a1", "disputed", 2, vec!["c1", "c2"]),
                    ("p1", "normal", 1, vec!["c1"])
                ],
                "{name}"
            );
            let history = store.record_history("a1").expect("history");
            assert_eq!(history.len(), 1, "{name}");
            let versions: Vec<(i64, &str, Option<&str>)> = history[0]
                .history
                .iter()
                .map(|v| {
                    (
                        v.version,
                        v.correlation_id.as_str(),
                        v.received_at.as_deref(),
                    )
                })
                .collect();
            assert_eq!(
                versions,
                [
                    (1, "c1", Some("2026-11-01T08:00:00Z")),
                    (2, "c2", Some("2026-11-02T08:00:00Z"))
                ],
                "{name}"
            );
            assert_eq!(history[0].history[0].value, serde_json::json!({"v": 1}));
            assert_eq!(history[0].current.value, serde_json::json!({"v": 2}));
            drop(store);
            // Opened again: nothing left to do, nothing changed.
            let again = Store::open(dir.path()).expect(name);
            assert_eq!(again.records(10).expect("records").len(), 2, "{name}");
        }
    }

    #[test]
    fn a_version_without_its_update_leaves_the_database_as_it_was() {
        let dir = made_with(TEXT_NAMED);
        let conn = rusqlite::Connection::open(dir.path().join(super::super::DB_FILE)).expect("db");
        conn.execute(
            "INSERT INTO record_versions (sender, record_type, uuid, version, correlation_id)
             VALUES ('1234567-1', 'account', 'a1', 3, 'never-accepted')",
            [],
        )
        .expect("stray version");
        drop(conn);
        let Err(StoreError::Open { source, .. }) = Store::open(dir.path()) else {
            panic!("a stray version must stop the simulator from starting");
        };
        assert!(
            source
                .to_string()
                .contains("1 of its 4 record versions name no record or no accepted update"),
            "{source}"
        );
        let conn = rusqlite::Connection::open(dir.path().join(super::super::DB_FILE)).expect("db");
        let named_by_text: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info('record_versions') WHERE name = 'sender'",
                [],
                |r| r.get(0),
            )
            .expect("columns");
        assert_eq!(named_by_text, 1, "the old form stays");
        let versions: i64 = conn
            .query_row("SELECT count(*) FROM record_versions", [], |r| r.get(0))
            .expect("count");
        assert_eq!(versions, 4);
    }
}
