//! The records of an update report as the ledger keeps them: map, key and the hash of the
//! canonical JSON. Read with the same streaming reader as `message split`, so a part, a
//! single report and a million-record export hash alike.

use std::io::Read;

use serde_json::Value;
use uuid::Uuid;

use crate::message::canonical::RecordHash;
use crate::message::section::Section;
use crate::message::split::stream::{self, Record, RecordSink, StreamError};
use crate::profile::RegisterProfile;

/// One record of a report, as hashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HashedRecord {
    pub section: Section,
    pub key: Uuid,
    pub hash: RecordHash,
}

/// The hashed records of a report and its sender.
#[derive(Clone, Debug, Default)]
pub struct HashedReport {
    pub sender: Option<String>,
    pub records: Vec<HashedRecord>,
}

/// The longest record text read: twice the message limit, as `message split` allows (a record
/// that long cannot be sent anyway).
pub fn record_cap(profile: &RegisterProfile) -> u64 {
    2 * profile.max_message_bytes.value as u64
}

/// Hash every record of the report read from `reader` (`name` in errors).
pub fn hash_report<R: Read>(
    reader: R,
    name: &str,
    profile: &RegisterProfile,
) -> Result<HashedReport, String> {
    let mut sink = Collect::default();
    stream::stream(reader, name, record_cap(profile), None, &mut sink).map_err(|e| match e {
        StreamError::Input(text) => text,
        StreamError::RecordFarTooLarge { section, key } => format!(
            "{name}: record {key} in {} is more than {} bytes of JSON: far over any message",
            crate::message::split::SECTIONS[section],
            record_cap(profile)
        ),
    })?;
    Ok(sink.0)
}

/// The hash of a record as the stream hands it.
pub(crate) fn record_hash(r: &Record<'_>) -> Result<RecordHash, String> {
    RecordHash::of_json(r.value_text()).map_err(|e| e.to_string())
}

#[derive(Default)]
struct Collect(HashedReport);

impl RecordSink for Collect {
    fn header(&mut self, name: &str, _text: String, value: &Value) -> Result<(), String> {
        if name == "senderBusinessId" {
            self.0.sender = value.as_str().map(str::to_owned);
        }
        Ok(())
    }
    fn record(&mut self, r: &Record<'_>) -> Result<(), String> {
        let section = Section::from_index(r.section).ok_or("unknown section")?;
        self.0.records.push(HashedRecord {
            section,
            key: r.key,
            hash: record_hash(r)?,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Interface;

    #[test]
    fn whitespace_and_member_order_do_not_change_a_hash() {
        let a = r#"{"creationDateTime":"2026-01-01T00:00:00","senderBusinessId":"1234567-1",
            "accounts":{"6c035985-976f-4fa6-afcb-e1745eb58f9d":{"id":{"iban":"FI1"},"roles":[]}},
            "customers":{"5d892fac-07f0-465f-ab6a-af88a1d922ba":{"startDate":"2020-01-01"}}}"#;
        let b = r#"{"senderBusinessId":"1234567-1","customers":{"5d892fac-07f0-465f-ab6a-af88a1d922ba":
            { "startDate" : "2020-01-01" }},"accounts":{"6c035985-976f-4fa6-afcb-e1745eb58f9d":
            {"roles":[],"id":{"iban":"FI1"}}},"creationDateTime":"2026-01-02T00:00:00"}"#;
        let p = Interface::V3.profile();
        let mut ha = hash_report(a.as_bytes(), "a", p).unwrap();
        let mut hb = hash_report(b.as_bytes(), "b", p).unwrap();
        ha.records.sort();
        hb.records.sort();
        assert_eq!(ha.records, hb.records);
        assert_eq!(ha.sender.as_deref(), Some("1234567-1"));
        assert_eq!(ha.records[0].section, Section::Customers);
        let e = hash_report(&b"{\"accounts\":{\"x\":{}}}"[..], "c", p).unwrap_err();
        assert!(e.contains("not a UUID"), "{e}");
    }
}
