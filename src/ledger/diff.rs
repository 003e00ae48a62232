//! `message diff`: today's full export against what the register already holds (the ledger,
//! or yesterday's export), streamed record by record. §2.1/§4.1: after the first update only
//! new or modified records are sent. What comes out is an ordinary update report:
//!
//! - a record whose canonical JSON hash differs from the baseline's, or that the baseline
//!   lacks, is written **whole**, as the export has it: its references stay (a role's
//!   `legalPersonReference`), and its role list is the export's complete list (§4.1: role
//!   lists are always sent complete);
//! - a record with the baseline's hash is left out, even when a changed record refers to it
//!   (§4.1: the referenced record is sent only if it is itself new or changed);
//! - a record of the baseline that the export lacks is *vanished*: nothing in an update
//!   deletes a record, so it is listed for the supplier to end it (closingDate, endDate).
//!
//! Memory is the baseline (49 bytes a record) and one record at a time; the output is written
//! beside its final name and renamed into place only when complete.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::BaseEntry;
use super::hashing::{record_cap, record_hash};
use crate::message::section::Section;
use crate::message::split::SECTIONS;
use crate::message::split::stream::{self, Record, RecordSink, StreamError};
use crate::profile::RegisterProfile;

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{0}")]
    Input(String),
    #[error(
        "{path}: senderBusinessId is {found}, but the baseline is {expected}'s: compare a supplier's export with its own ledger; nothing was written"
    )]
    OtherSender {
        path: String,
        found: String,
        expected: String,
    },
}

/// Per record map: how today's export compares with the baseline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiffCounts {
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub vanished: u64,
}

/// What a diff found and wrote.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DiffSummary {
    /// Per map, in [`Section::ALL`] order.
    pub counts: [DiffCounts; 4],
    /// Records of the baseline missing from the export, in key order.
    pub vanished: Vec<(Section, Uuid)>,
    pub sender: Option<String>,
    /// Records written (new + changed).
    pub written: u64,
    pub input_bytes: u64,
}

impl DiffSummary {
    pub fn total(&self) -> DiffCounts {
        self.counts
            .iter()
            .fold(DiffCounts::default(), |a, c| DiffCounts {
                new: a.new + c.new,
                changed: a.changed + c.changed,
                unchanged: a.unchanged + c.unchanged,
                vanished: a.vanished + c.vanished,
            })
    }
}

fn stream_error(e: StreamError, profile: &RegisterProfile, name: &str) -> DiffError {
    match e {
        StreamError::Input(text) => DiffError::Input(text),
        StreamError::RecordFarTooLarge { section, key } => DiffError::Input(format!(
            "{name}: record {key} in {} is more than {} bytes of JSON, far over any message: it cannot be sent; nothing was written",
            SECTIONS[section],
            record_cap(profile)
        )),
    }
}

/// The baseline of an earlier export: every record's map, key and hash, sorted.
pub fn baseline_of_export(
    path: &Path,
    profile: &RegisterProfile,
) -> Result<(Vec<BaseEntry>, Option<String>), DiffError> {
    let file = File::open(path).map_err(|source| DiffError::Io {
        path: path.display().to_string(),
        source,
    })?;
    struct Collect {
        out: Vec<BaseEntry>,
        sender: Option<String>,
    }
    impl RecordSink for Collect {
        fn header(&mut self, name: &str, _: String, value: &Value) -> Result<(), String> {
            if name == "senderBusinessId" {
                self.sender = value.as_str().map(str::to_owned);
            }
            Ok(())
        }
        fn record(&mut self, r: &Record<'_>) -> Result<(), String> {
            self.out.push(BaseEntry {
                section: r.section as u8,
                key: *r.key.as_bytes(),
                hash: record_hash(r)?,
            });
            Ok(())
        }
    }
    let mut sink = Collect {
        out: Vec::new(),
        sender: None,
    };
    let name = path.display().to_string();
    stream::stream(file, &name, record_cap(profile), None, &mut sink)
        .map_err(|e| stream_error(e, profile, &name))?;
    sink.out.sort_unstable();
    Ok((sink.out, sink.sender))
}

/// Compare the export `new` with `baseline` (sorted, as [`baseline_of_export`] and
/// [`crate::ledger::Ledger::baseline`] give it) and write the new and changed records to
/// `out`. `expected_sender` is the baseline's supplier: an export of another is refused.
pub fn diff(
    new: &Path,
    baseline: &[BaseEntry],
    expected_sender: Option<&str>,
    out: &Path,
    profile: &RegisterProfile,
) -> Result<DiffSummary, DiffError> {
    let io_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| DiffError::Io { path, source }
    };
    debug_assert!(baseline.windows(2).all(|w| w[0] <= w[1]));
    let input = File::open(new).map_err(io_err(new))?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".tilicheck-diff-")
        .tempfile_in(dir)
        .map_err(io_err(dir))?;
    let writer = BufWriter::with_capacity(1 << 16, tmp);
    let mut sink = DiffSink {
        base: baseline,
        seen: vec![false; baseline.len()],
        out: writer,
        io_error: None,
        fields: 0,
        open: None,
        first_in_section: true,
        summary: DiffSummary::default(),
    };
    let name = new.display().to_string();
    let streamed = stream::stream(input, &name, record_cap(profile), None, &mut sink);
    if let Some(e) = sink.io_error.take() {
        return Err(io_err(out)(e));
    }
    let streamed = streamed.map_err(|e| stream_error(e, profile, &name))?;
    if let (Some(expected), Some(found)) = (expected_sender, sink.summary.sender.as_deref())
        && expected != found
        && !same_business_id(expected, found)
    {
        return Err(DiffError::OtherSender {
            path: name,
            found: found.to_owned(),
            expected: expected.to_owned(),
        });
    }
    let r = sink.close_section().and_then(|()| sink.out.write_all(b"}"));
    r.map_err(io_err(out))?;
    let tmp = sink
        .out
        .into_inner()
        .map_err(|e| io_err(out)(e.into_error()))?;
    tmp.as_file().sync_all().map_err(io_err(out))?;
    let mut summary = std::mem::take(&mut sink.summary);
    for (i, e) in baseline.iter().enumerate() {
        if !sink.seen[i]
            && let Some(section) = Section::from_index(e.section as usize)
        {
            summary.counts[section.index()].vanished += 1;
            summary.vanished.push((section, Uuid::from_bytes(e.key)));
        }
    }
    summary.input_bytes = streamed.input_bytes;
    tmp.persist(out).map_err(|e| io_err(out)(e.error))?;
    Ok(summary)
}

/// `1234567-8` and `FI12345678` name one supplier.
fn same_business_id(a: &str, b: &str) -> bool {
    let id = |s: &str| crate::identity::parse_written(s).ok().map(|w| w.id);
    id(a).is_some() && id(a) == id(b)
}

struct DiffSink<'a> {
    base: &'a [BaseEntry],
    seen: Vec<bool>,
    out: BufWriter<tempfile::NamedTempFile>,
    /// The first write error: the stream stops, and this is what is reported.
    io_error: Option<io::Error>,
    /// Top-level members written so far.
    fields: usize,
    /// The section whose object is open in the output.
    open: Option<usize>,
    first_in_section: bool,
    summary: DiffSummary,
}

impl DiffSink<'_> {
    fn member_separator(&mut self) -> io::Result<()> {
        let sep: &[u8] = if self.fields == 0 { b"{" } else { b"," };
        self.fields += 1;
        self.out.write_all(sep)
    }

    fn close_section(&mut self) -> io::Result<()> {
        if self.open.take().is_some() {
            self.out.write_all(b"}")?;
        }
        if self.fields == 0 {
            // Nothing at all was written (the stream failed first): keep the text valid.
            self.out.write_all(b"{")?;
            self.fields = 1;
        }
        Ok(())
    }

    fn write_record(&mut self, section: usize, entry: &str) -> io::Result<()> {
        if self.open != Some(section) {
            if self.open.is_some() {
                self.out.write_all(b"}")?;
                self.open = None;
            }
            self.member_separator()?;
            write!(self.out, "\"{}\":{{", SECTIONS[section])?;
            self.open = Some(section);
            self.first_in_section = true;
        }
        if !self.first_in_section {
            self.out.write_all(b",")?;
        }
        self.first_in_section = false;
        self.out.write_all(entry.as_bytes())
    }

    fn io(&mut self, r: io::Result<()>) -> Result<(), String> {
        r.map_err(|e| {
            let text = format!("cannot write the output: {e}");
            self.io_error = Some(e);
            text
        })
    }
}

impl RecordSink for DiffSink<'_> {
    fn header(&mut self, name: &str, text: String, value: &Value) -> Result<(), String> {
        if name == "senderBusinessId" {
            self.summary.sender = value.as_str().map(str::to_owned);
        }
        let r = (|| {
            if self.open.take().is_some() {
                self.out.write_all(b"}")?;
            }
            self.member_separator()?;
            // The two header names need no escaping.
            write!(self.out, "\"{name}\":{text}")
        })();
        self.io(r)
    }

    fn record(&mut self, r: &Record<'_>) -> Result<(), String> {
        let hash = record_hash(r)?;
        let key = *r.key.as_bytes();
        let section = r.section as u8;
        let counts = &mut self.summary.counts[r.section];
        let send = match self
            .base
            .binary_search_by(|e| (e.section, e.key).cmp(&(section, key)))
        {
            Ok(i) => {
                self.seen[i] = true;
                if self.base[i].hash == hash {
                    counts.unchanged += 1;
                    false
                } else {
                    counts.changed += 1;
                    true
                }
            }
            Err(_) => {
                counts.new += 1;
                true
            }
        };
        if !send {
            return Ok(());
        }
        self.summary.written += 1;
        let w = self.write_record(r.section, r.entry);
        self.io(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Interface;

    const P: &str = "5d892fac-07f0-465f-ab6a-af88a1d922ba";
    const Q: &str = "e12bb4e6-eb8b-48c4-b297-95e38dd0d776";
    const A: &str = "6c035985-976f-4fa6-afcb-e1745eb58f9d";

    fn report(person_name: &str, account_roles: &str, with_q: bool) -> String {
        let q = if with_q {
            format!(
                r#","{Q}":{{"privatePerson":{{"fullName":"Q","birthDate":"1970-01-01","hetu":"010170-900P"}}}}"#
            )
        } else {
            String::new()
        };
        format!(
            r#"{{"creationDateTime":"2026-01-01T06:00:00","senderBusinessId":"1234567-1",
            "legalPersons":{{"{P}":{{"privatePerson":{{"fullName":"{person_name}","birthDate":"1959-06-01","hetu":"010659-9744"}}}}{q}}},
            "accounts":{{"{A}":{{"id":{{"iban":"FI8371356610003253"}},"openingDate":"2016-11-30","roles":[{account_roles}]}}}}}}"#
        )
    }

    #[test]
    fn changed_records_go_out_whole_unchanged_stay_and_vanished_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let p = Interface::V3.profile();
        let old = dir.path().join("old.json");
        let new = dir.path().join("new.json");
        let out = dir.path().join("delta.json");
        let owner =
            format!(r#"{{"type":"owner","legalPersonReference":"{P}","startDate":"2016-11-30"}}"#);
        std::fs::write(&old, report("A", &owner, true)).unwrap();
        // The account gains a role; the person is unchanged (in another layout); Q vanished.
        let access = format!(
            r#"{owner},{{"type":"access","legalPersonReference":"{Q}","startDate":"2020-01-01"}}"#
        );
        std::fs::write(&new, report("A", &access, false).replace(',', " , ")).unwrap();
        let (base, sender) = baseline_of_export(&old, p).unwrap();
        assert_eq!(sender.as_deref(), Some("1234567-1"));
        let s = diff(&new, &base, sender.as_deref(), &out, p).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(v.get("legalPersons").is_none(), "{text}");
        let roles = v["accounts"][A]["roles"].as_array().unwrap();
        assert_eq!(roles.len(), 2, "the role list is the whole list");
        assert_eq!(roles[0]["legalPersonReference"], P, "references stay");
        assert_eq!(v["senderBusinessId"], "1234567-1");
        assert_eq!(
            s.counts[0],
            DiffCounts {
                new: 0,
                changed: 0,
                unchanged: 1,
                vanished: 1
            }
        );
        assert_eq!(
            s.counts[2],
            DiffCounts {
                new: 0,
                changed: 1,
                unchanged: 0,
                vanished: 0
            }
        );
        assert_eq!(
            s.vanished,
            vec![(Section::LegalPersons, Uuid::parse_str(Q).unwrap())]
        );

        // Against itself: nothing to send, and still a valid report.
        let (base, _) = baseline_of_export(&new, p).unwrap();
        let s = diff(&new, &base, None, &out, p).unwrap();
        assert_eq!(s.written, 0);
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 2, "{v}");

        // Another supplier's export, or a broken one: no output file is touched.
        std::fs::remove_file(&out).unwrap();
        let e = diff(&new, &base, Some("7654321-2"), &out, p).unwrap_err();
        assert!(matches!(e, DiffError::OtherSender { .. }), "{e}");
        std::fs::write(&new, &text[..text.len() / 2]).unwrap();
        assert!(matches!(
            diff(&new, &base, None, &out, p),
            Err(DiffError::Input(_))
        ));
        assert!(!out.exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tilicheck"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
