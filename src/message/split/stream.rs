//! Reading an update report of any size record by record, with bounded memory: the machinery
//! under `message split` (which spools records) and `message diff` (which hashes them).
//!
//! Each record's text is checked strictly as it passes (duplicate keys, nesting, numbers a
//! double cannot hold, UUID record keys, no repeated record key in a map) and handed to a
//! [`RecordSink`] without its whitespace but otherwise byte for byte, with the references a
//! legal person makes when asked for. The whole record is never more than `cap` bytes in
//! memory: a longer one is cut off and named.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::SECTIONS;
use super::lexical::{minify, minify_into};
use crate::message::parse::{Location, StrictSeed};

/// One record as it passes.
pub(crate) struct Record<'a> {
    /// Index into [`SECTIONS`].
    pub section: usize,
    pub key: Uuid,
    /// The record as read (with its whitespace), for a strict re-read.
    pub raw: &'a RawValue,
    pub at: Location<'a>,
    /// `"key":value` without whitespace.
    pub entry: &'a str,
    /// Where the value starts in `entry`.
    pub value_at: usize,
    /// Whether the value holds a number.
    pub has_number: bool,
    /// UUIDs the record names in the reference field (legal persons, when asked for).
    pub refs: &'a [u128],
}

impl Record<'_> {
    /// The record's value without its key.
    pub fn value_text(&self) -> &str {
        &self.entry[self.value_at..]
    }
}

/// What a stream is read into.
pub(crate) trait RecordSink {
    /// `creationDateTime` or `senderBusinessId`: its text without whitespace, and its value.
    fn header(&mut self, name: &str, text: String, value: &Value) -> Result<(), String>;
    /// The next record; an error stops the read and is reported at the record's place.
    fn record(&mut self, r: &Record<'_>) -> Result<(), String>;
}

/// Why a stream stopped.
#[derive(Debug)]
pub(crate) enum StreamError {
    /// The input is not a readable update report (the text says where and why).
    Input(String),
    /// One record is longer than the cap: it cannot be a record of any message.
    RecordFarTooLarge { section: usize, key: String },
}

/// What the whole read saw.
pub(crate) struct Streamed {
    pub input_bytes: u64,
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

/// Read the report from `reader` (named `name` in errors) into `sink`. `cap` bounds the text
/// of one record; `reference_field`, when given, is the role field whose UUIDs a legal person's
/// [`Record::refs`] lists.
pub(crate) fn stream<R: Read>(
    reader: R,
    name: &str,
    cap: u64,
    reference_field: Option<&str>,
    sink: &mut dyn RecordSink,
) -> Result<Streamed, StreamError> {
    let pos = Rc::new(Cell::new(0));
    let mark = Rc::new(Cell::new(0));
    let tripped = Rc::new(Cell::new(false));
    // The cap is checked per buffer refill (64 KiB), so the parser reads bytes from the
    // buffer without a check per byte.
    let reader = BufReader::with_capacity(
        1 << 16,
        CappedReader {
            inner: reader,
            pos: pos.clone(),
            mark: mark.clone(),
            tripped: tripped.clone(),
            cap,
        },
    );
    let mut state = State {
        sink,
        keys: Default::default(),
        header: Vec::new(),
        buf: Vec::new(),
        refs: Vec::new(),
        current: None,
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
            (Some((section, key)), true) => StreamError::RecordFarTooLarge {
                section: *section,
                key: key.clone(),
            },
            _ => StreamError::Input(format!(
                "{name}: {} (line {}, column {})",
                strip_position(&e),
                e.line(),
                e.column()
            )),
        });
    }
    for (section, keys) in SECTIONS.iter().zip(state.keys.iter_mut()) {
        keys.sort_unstable();
        if let Some(pair) = keys.windows(2).find(|w| w[0] == w[1]) {
            return Err(StreamError::Input(format!(
                "{name}: duplicate record key {} in {section}",
                Uuid::from_u128(pair[0]).hyphenated()
            )));
        }
        *keys = Vec::new();
    }
    for required in ["creationDateTime", "senderBusinessId"] {
        if !state.header.iter().any(|h| h == required) {
            return Err(StreamError::Input(format!(
                "{name}: has no {required}; every update must carry it"
            )));
        }
    }
    Ok(Streamed {
        input_bytes: pos.get(),
    })
}

pub(crate) fn strip_position(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

struct State<'s, 'f> {
    sink: &'s mut dyn RecordSink,
    /// Every record key seen, per section, as a UUID (16 bytes each, checked for repeats
    /// after the pass: a sorted vector is half the memory of a hash set).
    keys: [Vec<u128>; 4],
    header: Vec<String>,
    /// The record text being built, reused.
    buf: Vec<u8>,
    refs: Vec<u128>,
    /// The record being read (section, key): a read cut off by the cap names it.
    current: Option<(usize, String)>,
    reference_field: Option<&'f str>,
    mark: Rc<Cell<u64>>,
    pos: Rc<Cell<u64>>,
}

/// Parse `raw` strictly (its pointer is `at`): the checks `message validate` makes on reading.
pub(crate) fn strict_value<E: de::Error>(raw: &RawValue, at: Location<'_>) -> Result<Value, E> {
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
            && let Ok(u) = Uuid::try_parse(v)
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

struct RootSeed<'r, 's, 'f>(&'r mut State<'s, 'f>);

impl<'de> DeserializeSeed<'de> for RootSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RootSeed<'_, '_, '_> {
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
                state
                    .sink
                    .header(&key, minify(raw.get()).0, &value)
                    .map_err(de::Error::custom)?;
                state.header.push(key);
            } else {
                return Err(de::Error::custom(format_args!(
                    "unknown top-level field \"{key}\": an update carries {} and the sections {}",
                    "creationDateTime, senderBusinessId",
                    SECTIONS.join(", ")
                )));
            }
            state.mark.set(state.pos.get());
        }
        Ok(())
    }
}

struct SectionSeed<'r, 's, 'f> {
    state: &'r mut State<'s, 'f>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for SectionSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SectionSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as an object of records", SECTIONS[self.index])
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let section = SECTIONS[self.index];
        let section_pointer = format!("/{section}");
        let state = self.state;
        while let Some(key) = map.next_key::<String>()? {
            let uuid = Uuid::try_parse(&key).map_err(|_| {
                de::Error::custom(format_args!(
                    "record key \"{key}\" in {section} is not a UUID (records are named by UUIDv4 keys; see MSG-IDS)"
                ))
            })?;
            state.keys[self.index].push(uuid.as_u128());
            state.current = Some((self.index, key.clone()));
            let raw: Box<RawValue> = map.next_value()?;
            let parent = Location::Prefix(&section_pointer);
            let at = Location::Key(&parent, &key);
            let field = state.reference_field.filter(|_| self.index == 0);
            state.refs.clear();
            scan(&raw, at, field, &mut state.refs)?;
            // UUID keys need no escaping: the key as written is its JSON text.
            let mut buf = std::mem::take(&mut state.buf);
            buf.clear();
            buf.push(b'"');
            buf.extend_from_slice(key.as_bytes());
            buf.extend_from_slice(b"\":");
            let value_at = buf.len();
            let has_number = minify_into(raw.get(), &mut buf);
            // Only ASCII whitespace was dropped from UTF-8 text.
            let entry = std::str::from_utf8(&buf).map_err(de::Error::custom)?;
            let record = Record {
                section: self.index,
                key: uuid,
                raw: &raw,
                at,
                entry,
                value_at,
                has_number,
                refs: &state.refs,
            };
            let r = state.sink.record(&record);
            state.buf = buf;
            r.map_err(de::Error::custom)?;
            state.current = None;
            state.mark.set(state.pos.get());
        }
        Ok(())
    }
}
