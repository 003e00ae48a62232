//! The reading pass of `message split`: the input is read once, record by record, with
//! bounded memory. Each record's text is checked strictly (duplicate keys, nesting, numbers
//! a double cannot hold), copied without its whitespace but otherwise byte for byte into one
//! spool file per section, and indexed: where it sits in the spool, how many bytes it adds to
//! a signed part, and, for legal persons, whom it refers to.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::lexical::{Counter, minify, minify_into};
use super::order::ReferenceGraph;
use super::{Form, SECTIONS, SplitError};
use crate::message::parse::{Location, StrictSeed};

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

/// A reader that refuses to let one record grow past a cap: memory stays bounded even for a
/// 2 GB record on one line.
struct CappedReader<R> {
    inner: R,
    pos: Rc<Cell<u64>>,
    mark: Rc<Cell<u64>>,
    tripped: Rc<Cell<bool>>,
    cap: u64,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let pos = self.pos.get() + n as u64;
        self.pos.set(pos);
        // The mark lags by at most one buffer: allow that much on top of the cap.
        if pos.saturating_sub(self.mark.get()) > self.cap + 2 * buf.len() as u64 {
            self.tripped.set(true);
            return Err(io::Error::other(format!(
                "more than {} bytes without the end of a record",
                self.cap
            )));
        }
        Ok(n)
    }
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
    let pos = Rc::new(Cell::new(0));
    let mark = Rc::new(Cell::new(0));
    let tripped = Rc::new(Cell::new(false));
    // The cap is checked per buffer refill (64 KiB), so the parser reads bytes from the
    // buffer without a check per byte.
    let reader = BufReader::with_capacity(
        1 << 16,
        CappedReader {
            inner: file,
            pos: pos.clone(),
            mark: mark.clone(),
            tripped: tripped.clone(),
            cap,
        },
    );
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
        keys: Default::default(),
        graph: ReferenceGraph::default(),
        buf: Vec::new(),
        current: None,
        form,
        reference_field,
        mark,
        pos: pos.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let result = RootSeed(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(e) = result {
        return Err(match (&state.current, tripped.get()) {
            (Some((section, key)), true) => SplitError::RecordFarTooLarge {
                section: SECTIONS[*section],
                key: key.clone(),
                read: cap,
                limit,
            },
            _ => SplitError::Input(format!(
                "{}: {} (line {}, column {})",
                input.display(),
                strip_position(&e),
                e.line(),
                e.column()
            )),
        });
    }
    for (i, w) in state.spools.iter_mut().enumerate() {
        w.flush().map_err(|e| SplitError::Io {
            path: spool_path(work, i).display().to_string(),
            source: e,
        })?;
    }
    for (section, keys) in SECTIONS.iter().zip(state.keys.iter_mut()) {
        keys.sort_unstable();
        if let Some(pair) = keys.windows(2).find(|w| w[0] == w[1]) {
            return Err(SplitError::Input(format!(
                "{}: duplicate record key {} in {section}",
                input.display(),
                uuid::Uuid::from_u128(pair[0]).hyphenated()
            )));
        }
        *keys = Vec::new();
    }
    for required in ["creationDateTime", "senderBusinessId"] {
        if !state.header.iter().any(|h| h.name == required) {
            return Err(SplitError::Input(format!(
                "{}: has no {required}; every part must carry it",
                input.display()
            )));
        }
    }
    // A fixed order for the fields every part repeats.
    state.header.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Spooled {
        header: state.header,
        entries: state.entries,
        graph: state.graph,
        input_bytes: pos.get(),
    })
}

fn strip_position(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

struct SpoolState<'a> {
    spools: Vec<BufWriter<File>>,
    /// Bytes written to each spool so far.
    written: [u64; 4],
    header: Vec<HeaderField>,
    entries: [Vec<Entry>; 4],
    /// Every record key seen, per section, as a UUID (16 bytes each, checked for repeats
    /// after the pass: a sorted vector is half the memory of a hash set).
    keys: [Vec<u128>; 4],
    graph: ReferenceGraph,
    /// The record text being built, reused.
    buf: Vec<u8>,
    /// The record being read (section, key): a read cut off by the cap names it.
    current: Option<(usize, String)>,
    form: Form,
    reference_field: &'a str,
    mark: Rc<Cell<u64>>,
    pos: Rc<Cell<u64>>,
}

/// Parse `raw` strictly (its pointer is `at`): the checks `message validate` makes on reading.
fn strict_value<E: de::Error>(raw: &RawValue, at: Location<'_>) -> Result<Value, E> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    StrictSeed { at }
        .deserialize(&mut de)
        .map_err(|e| E::custom(strip_position(&e)))
}

/// Check `raw` as strictly as [`strict_value`] without building it, collecting the UUIDs it
/// names in `field` (when given).
fn scan<E: de::Error>(
    raw: &RawValue,
    at: Location<'_>,
    field: Option<&str>,
    refs: &mut Vec<u128>,
) -> Result<(), E> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    Scan {
        at,
        field,
        collect: false,
        refs,
    }
    .deserialize(&mut de)
    .map_err(|e| E::custom(strip_position(&e)))
}

/// Length of `value` written out by serde_json (as `message sign` embeds a parsed report).
fn reserialised_len(value: &Value) -> usize {
    let mut c = Counter::default();
    // Writing a Value to a counter cannot fail.
    let _ = serde_json::to_writer(&mut c, value);
    c.0
}

/// Walks a value as [`StrictSeed`] reads it (a repeated key is an error naming its pointer, a
/// number a double cannot hold is refused) but keeps nothing except the references.
struct Scan<'a, 'p> {
    at: Location<'p>,
    field: Option<&'a str>,
    /// This value is a reference field's: a UUID string is collected.
    collect: bool,
    refs: &'a mut Vec<u128>,
}

impl<'de> DeserializeSeed<'de> for Scan<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(E::custom("number out of range"))
        }
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        if self.collect
            && let Ok(u) = uuid::Uuid::try_parse(v)
        {
            self.refs.push(u.as_u128());
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while seq
            .next_element_seed(Scan {
                at: Location::Index(&self.at, index),
                field: self.field,
                collect: false,
                refs: &mut *self.refs,
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys: Vec<Cow<'de, str>> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let at = Location::Key(&self.at, &key);
            if keys.contains(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate object key \"{key}\" at {} (a parser would silently keep only one of the values)",
                    at.pointer()
                )));
            }
            map.next_value_seed(Scan {
                at,
                field: self.field,
                collect: self.field == Some(&*key),
                refs: &mut *self.refs,
            })?;
            keys.push(key);
        }
        Ok(())
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

struct RootSeed<'s, 'a>(&'s mut SpoolState<'a>);

impl<'de> DeserializeSeed<'de> for RootSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RootSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an update report (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate object key \"{key}\" at /{key}"
                )));
            }
            seen.push(key.clone());
            if let Some(index) = SECTIONS.iter().position(|s| *s == key) {
                map.next_value_seed(SectionSeed {
                    state: &mut *state,
                    index,
                })?;
            } else if key == "creationDateTime" || key == "senderBusinessId" {
                let pointer = format!("/{key}");
                let raw: Box<RawValue> = map.next_value()?;
                let value = strict_value(&raw, Location::Prefix(&pointer))?;
                state.header.push(HeaderField {
                    text: minify(raw.get()).0,
                    reserialised_len: reserialised_len(&value),
                    name: key,
                });
            } else {
                return Err(de::Error::custom(format_args!(
                    "unknown top-level field \"{key}\": split handles {} and the sections {}",
                    "creationDateTime, senderBusinessId",
                    SECTIONS.join(", ")
                )));
            }
            state.mark.set(state.pos.get());
        }
        Ok(())
    }
}

struct SectionSeed<'s, 'a> {
    state: &'s mut SpoolState<'a>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for SectionSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SectionSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as an object of records", SECTIONS[self.index])
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let section = SECTIONS[self.index];
        let section_pointer = format!("/{section}");
        let state = self.state;
        let mut refs = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let uuid = uuid::Uuid::try_parse(&key).map_err(|_| {
                de::Error::custom(format_args!(
                    "record key \"{key}\" in {section} is not a UUID (split needs UUIDv4 keys; see MSG-IDS)"
                ))
            })?;
            state.keys[self.index].push(uuid.as_u128());
            state.current = Some((self.index, key.clone()));
            let raw: Box<RawValue> = map.next_value()?;
            let parent = Location::Prefix(&section_pointer);
            let at = Location::Key(&parent, &key);
            let legal_person = self.index == 0;
            refs.clear();
            scan(
                &raw,
                at,
                legal_person.then_some(state.reference_field),
                &mut refs,
            )?;
            if legal_person {
                state.graph.push(uuid.as_u128(), refs.iter().copied());
            }
            // UUID keys need no escaping: the key as written is its JSON text.
            let mut buf = std::mem::take(&mut state.buf);
            buf.clear();
            buf.push(b'"');
            buf.extend_from_slice(key.as_bytes());
            buf.extend_from_slice(b"\":");
            let has_number = minify_into(raw.get(), &mut buf);
            // Only ASCII whitespace was dropped from UTF-8 text.
            let text = std::str::from_utf8(&buf).map_err(de::Error::custom)?;
            // Written out again, only a number can come out longer than it went in.
            let sized = state.form.entry_len(text, || {
                if has_number {
                    strict_value::<serde_json::Error>(&raw, at)
                        .map(|v| key.len() + 3 + reserialised_len(&v))
                        .unwrap_or(0)
                } else {
                    0
                }
            });
            let too_long = |_| {
                de::Error::custom(format_args!(
                    "record {key} in {section} is too long to index"
                ))
            };
            let entry = Entry {
                offset: state.written[self.index],
                text_len: u32::try_from(text.len()).map_err(too_long)?,
                sized_len: u32::try_from(sized).map_err(too_long)?,
            };
            let text_len = text.len();
            let w = &mut state.spools[self.index];
            let r = w.write_all(&buf).and_then(|()| w.write_all(b"\n"));
            r.map_err(|e| de::Error::custom(format_args!("cannot write the work file: {e}")))?;
            state.written[self.index] += text_len as u64 + 1;
            state.buf = buf;
            state.entries[self.index].push(entry);
            state.current = None;
            state.mark.set(state.pos.get());
        }
        Ok(())
    }
}
