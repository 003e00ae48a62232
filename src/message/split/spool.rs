//! The reading pass of `message split`: the input is read once, record by record, with
//! bounded memory ([`super::stream`]). Each record's text, without its whitespace but otherwise
//! byte for byte, goes into one spool file per section and is indexed: where it sits in the
//! spool, how many bytes it adds to a signed part, and, for legal persons, whom it refers to.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::lexical::Counter;
use super::order::ReferenceGraph;
use super::stream::{self, Record, RecordSink, StreamError, strict_value};
use super::{Form, SECTIONS, SplitError};

/// Where one record's text sits in its section's spool, and what it costs in a part.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub offset: u64,
    pub text_len: u32,
    /// Bytes the record adds to a part's signed form (see [`Form::entry_len`]).
    pub sized_len: u32,
}

/// A field every part repeats: its name, its text as written, and its length once a parsed
/// report is written out again.
#[derive(Clone, Debug)]
pub struct HeaderField {
    pub name: String,
    pub text: String,
    pub reserialised_len: usize,
}

/// The result of the reading pass.
pub struct Spooled {
    pub header: Vec<HeaderField>,
    pub entries: [Vec<Entry>; 4],
    /// The legal persons and whom each refers to.
    pub graph: ReferenceGraph,
    pub input_bytes: u64,
}

pub fn spool_path(work: &Path, section: usize) -> PathBuf {
    work.join(format!("{}.spool", SECTIONS[section]))
}

/// Read `input` into spools in `work`. `cap` bounds the text of one record (anything that long
/// is far over the size limit); `reference_field` is the role field naming a legal person.
pub fn spool(
    input: &Path,
    work: &Path,
    cap: u64,
    limit: usize,
    form: Form,
    reference_field: &str,
) -> Result<Spooled, SplitError> {
    let (file, _) = crate::input_file::open_regular(input).map_err(|e| match e {
        crate::input_file::OpenError::Io(source) => SplitError::Io {
            path: input.display().to_string(),
            source,
        },
        special => SplitError::Input(format!("{}: {special}", input.display())),
    })?;
    let mut spools = Vec::new();
    for i in 0..SECTIONS.len() {
        let path = spool_path(work, i);
        let f = File::create(&path).map_err(|e| SplitError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        spools.push(BufWriter::with_capacity(1 << 16, f));
    }
    let mut state = SpoolState {
        spools,
        written: [0; 4],
        header: Vec::new(),
        entries: Default::default(),
        graph: ReferenceGraph::default(),
        form,
    };
    let name = input.display().to_string();
    let streamed = stream::stream(file, &name, cap, Some(reference_field), &mut state).map_err(
        |e| match e {
            StreamError::Input(text) => SplitError::Input(text),
            StreamError::RecordFarTooLarge { section, key } => SplitError::RecordFarTooLarge {
                section: SECTIONS[section],
                key,
                read: cap,
                limit,
            },
        },
    )?;
    for (i, w) in state.spools.iter_mut().enumerate() {
        w.flush().map_err(|e| SplitError::Io {
            path: spool_path(work, i).display().to_string(),
            source: e,
        })?;
    }
    // A fixed order for the fields every part repeats.
    state.header.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Spooled {
        header: state.header,
        entries: state.entries,
        graph: state.graph,
        input_bytes: streamed.input_bytes,
    })
}

struct SpoolState {
    spools: Vec<BufWriter<File>>,
    /// Bytes written to each spool so far.
    written: [u64; 4],
    header: Vec<HeaderField>,
    entries: [Vec<Entry>; 4],
    graph: ReferenceGraph,
    form: Form,
}

/// Length of `value` written out by serde_json (as `message sign` embeds a parsed report).
fn reserialised_len(value: &Value) -> usize {
    let mut c = Counter::default();
    // Writing a Value to a counter cannot fail.
    let _ = serde_json::to_writer(&mut c, value);
    c.0
}

impl RecordSink for SpoolState {
    fn header(&mut self, name: &str, text: String, value: &Value) -> Result<(), String> {
        self.header.push(HeaderField {
            text,
            reserialised_len: reserialised_len(value),
            name: name.to_owned(),
        });
        Ok(())
    }

    fn record(&mut self, r: &Record<'_>) -> Result<(), String> {
        let section = r.section;
        if section == 0 {
            self.graph.push(r.key.as_u128(), r.refs.iter().copied());
        }
        let text = r.entry;
        // Written out again, only a number can come out longer than it went in.
        let key_len = r.value_at - 3;
        let sized = self.form.entry_len(text, || {
            if r.has_number {
                strict_value::<serde_json::Error>(r.raw, r.at)
                    .map(|v| key_len + 3 + reserialised_len(&v))
                    .unwrap_or(0)
            } else {
                0
            }
        });
        let too_long = |_| {
            format!(
                "record {} in {} is too long to index",
                r.key.hyphenated(),
                SECTIONS[section]
            )
        };
        let entry = Entry {
            offset: self.written[section],
            text_len: u32::try_from(text.len()).map_err(too_long)?,
            sized_len: u32::try_from(sized).map_err(too_long)?,
        };
        let w = &mut self.spools[section];
        w.write_all(text.as_bytes())
            .and_then(|()| w.write_all(b"\n"))
            .map_err(|e| format!("cannot write the work file: {e}"))?;
        self.written[section] += text.len() as u64 + 1;
        self.entries[section].push(entry);
        Ok(())
    }
}
