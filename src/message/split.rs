//! `message split`: one large update (a first full load) into messages that each fit the
//! interface's size limit in JWT form.
//!
//! Streaming in two passes with bounded memory: the input is read once, record by record,
//! into one spool file per section; the parts are then packed from the spools in the order
//! legal persons → customers → accounts → safety-deposit boxes, so every legal person is sent
//! before or with the records that refer to it. A record (with its whole role list) is never
//! divided. Everything is written into a hidden working directory and moved into place only
//! when all parts are done, so a failure leaves no partial output.

use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::Value;

use crate::message::jws;
use crate::message::kind::Kind;
use crate::message::parse::{Location, StrictSeed};
use crate::profile::RegisterProfile;

/// The sections of an update, in the order their records are sent.
pub const SECTIONS: [&str; 4] = [
    "legalPersons",
    "customers",
    "accounts",
    "safetyDepositBoxes",
];

/// The longest `sub` a part is sized for: an organizationIdentifier such as
/// `NTRFI-1234567-8` has 15 characters; 20 leaves room.
pub const SUB_BUDGET: usize = 20;
/// The signature a part is sized for: RSA 4096, the largest key in use for signing.
pub const SIGNATURE_BUDGET: usize = 512;

/// Why a split failed. Nothing is left in the output directory when it does.
#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{0}")]
    Input(String),
    #[error(
        "record {key} in {section} is {len} bytes in JWT form alone, over the limit of {limit}: it cannot be sent"
    )]
    RecordTooLarge {
        section: &'static str,
        key: String,
        len: usize,
        limit: usize,
    },
    #[error("{0} already holds part-*.json files; choose an empty directory")]
    NotEmpty(String),
}

/// What a split produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SplitSummary {
    pub parts: Vec<PathBuf>,
    pub records: [usize; 4],
    /// The largest part, in bytes of its JWT form (as sized: see the budgets above).
    pub largest_jwt: usize,
    pub input_bytes: u64,
}

/// Split `input` into `out_dir/part-NNNNNN.json` under `profile`'s limit.
pub fn split(
    input: &Path,
    out_dir: &Path,
    profile: &RegisterProfile,
) -> Result<SplitSummary, SplitError> {
    let io_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| SplitError::Io { path, source }
    };
    std::fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    for entry in std::fs::read_dir(out_dir).map_err(io_err(out_dir))? {
        let name = entry.map_err(io_err(out_dir))?.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("part-") && name.ends_with(".json") {
            return Err(SplitError::NotEmpty(out_dir.display().to_string()));
        }
    }
    let work = out_dir.join(format!(".split-work-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(io_err(&work))?;
    let result = run(input, out_dir, &work, profile);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn run(
    input: &Path,
    out_dir: &Path,
    work: &Path,
    profile: &RegisterProfile,
) -> Result<SplitSummary, SplitError> {
    let limit = profile.max_message_bytes.value;
    let spooled = spool(input, work, limit)?;
    let packer = Packer::new(profile, &spooled.header)?;
    let mut summary = SplitSummary {
        records: spooled.counts,
        input_bytes: spooled.input_bytes,
        ..SplitSummary::default()
    };
    let mut written: Vec<PathBuf> = Vec::new();
    let mut part = Part::default();
    for (index, section) in SECTIONS.iter().enumerate() {
        let path = work.join(format!("{section}.spool"));
        let file = File::open(&path).map_err(|e| SplitError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader.read_line(&mut line).map_err(|e| SplitError::Io {
                path: path.display().to_string(),
                source: e,
            })?;
            if n == 0 {
                break;
            }
            let entry = line.trim_end_matches('\n');
            let entry_len = packer.entry_len(entry);
            if part.is_empty() {
                let alone = packer.jwt_len(PartSize::default().plus(index, entry_len));
                if alone > limit {
                    return Err(SplitError::RecordTooLarge {
                        section,
                        key: entry
                            .split_once(':')
                            .map_or("?", |(k, _)| k)
                            .trim_matches('"')
                            .to_owned(),
                        len: alone,
                        limit,
                    });
                }
            } else if packer.jwt_len(part.size.plus(index, entry_len)) > limit {
                let jwt = packer.jwt_len(part.size);
                summary.largest_jwt = summary.largest_jwt.max(jwt);
                written.push(write_part(work, written.len() + 1, &packer, &part)?);
                part = Part::default();
            }
            part.add(index, entry.to_owned(), entry_len);
        }
    }
    if !part.is_empty() || written.is_empty() {
        summary.largest_jwt = summary.largest_jwt.max(packer.jwt_len(part.size));
        written.push(write_part(work, written.len() + 1, &packer, &part)?);
    }
    // All parts are complete: move them into place.
    for tmp in written {
        let name = tmp.file_name().map(PathBuf::from).unwrap_or_default();
        let dest = out_dir.join(name);
        std::fs::rename(&tmp, &dest).map_err(|e| SplitError::Io {
            path: dest.display().to_string(),
            source: e,
        })?;
        summary.parts.push(dest);
    }
    Ok(summary)
}

/// The records of one part, per section, as `"key":{…}` texts.
#[derive(Clone, Debug, Default)]
struct Part {
    entries: [Vec<String>; 4],
    size: PartSize,
}

/// What a part's size depends on: records and their (escaped) text length per section.
#[derive(Clone, Copy, Debug, Default)]
struct PartSize {
    counts: [usize; 4],
    lens: [usize; 4],
}

impl PartSize {
    /// As if one more entry of `len` were added to `section`.
    fn plus(mut self, section: usize, len: usize) -> Self {
        self.counts[section] += 1;
        self.lens[section] += len;
        self
    }
}

impl Part {
    fn is_empty(&self) -> bool {
        self.entries.iter().all(Vec::is_empty)
    }
    fn add(&mut self, section: usize, entry: String, len: usize) {
        self.entries[section].push(entry);
        self.size = self.size.plus(section, len);
    }
}

/// Sizes and writes parts for one profile.
struct Packer {
    /// `{"creationDateTime":…,"senderBusinessId":…`
    head: String,
    /// Claims payload bytes besides the report text.
    claims_overhead: usize,
    /// Whether the report travels as an escaped JSON string (v1.0.4).
    as_string: bool,
    /// Lengths (escaped where needed) of the head and of each `,"section":{`.
    head_len: usize,
    section_open_len: [usize; 4],
}

impl Packer {
    fn new(profile: &RegisterProfile, header: &[(String, Value)]) -> Result<Self, SplitError> {
        let mut head = String::from("{");
        for (i, (k, v)) in header.iter().enumerate() {
            if i > 0 {
                head.push(',');
            }
            head.push_str(&serde_json::to_string(k).unwrap_or_default());
            head.push(':');
            head.push_str(&v.to_string());
        }
        let sub = "X".repeat(SUB_BUDGET);
        let style = profile.message.claims.value;
        let (_, with_string) = jws::claims(style, Kind::Update, &sub, &sub, "", &Value::Null);
        let empty_len = with_string.to_string().len();
        let as_string = with_string
            .get(Kind::Update.claim())
            .is_some_and(Value::is_string);
        // The placeholder report is `""` (string form) or `null` (object form).
        let claims_overhead = if as_string { empty_len } else { empty_len - 4 };
        let len_of = |s: &str| if as_string { escaped_len(s) } else { s.len() };
        let head_len = len_of(&head);
        let section_open_len = SECTIONS.map(|name| len_of(&format!(",\"{name}\":{{")));
        Ok(Packer {
            head,
            claims_overhead,
            as_string,
            head_len,
            section_open_len,
        })
    }

    fn entry_len(&self, entry: &str) -> usize {
        if self.as_string {
            escaped_len(entry)
        } else {
            entry.len()
        }
    }

    /// Bytes of the part's JSON text (escaped in string form).
    fn report_len(&self, size: PartSize) -> usize {
        let mut n = self.head_len + 1; // head + closing brace
        for i in 0..SECTIONS.len() {
            if size.counts[i] == 0 {
                continue;
            }
            // ,"name":{ entries joined by ',' }
            n += self.section_open_len[i] + 1 + size.lens[i] + size.counts[i] - 1;
        }
        n
    }

    fn jwt_len(&self, size: PartSize) -> usize {
        let payload = self.claims_overhead + self.report_len(size);
        let b64 = |n: usize| (n * 4).div_ceil(3);
        b64(r#"{"typ":"JWT","alg":"RS256"}"#.len()) + 1 + b64(payload) + 1 + b64(SIGNATURE_BUDGET)
    }

    fn text(&self, part: &Part) -> String {
        let mut s = self.head.clone();
        for (i, entries) in part.entries.iter().enumerate() {
            if entries.is_empty() {
                continue;
            }
            s.push_str(&format!(",\"{}\":{{", SECTIONS[i]));
            s.push_str(&entries.join(","));
            s.push('}');
        }
        s.push('}');
        s
    }
}

/// Length of `s` inside a JSON string literal, as serde_json escapes it.
fn escaped_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..0x20 => 6,
            _ => 1,
        })
        .sum()
}

fn write_part(work: &Path, n: usize, packer: &Packer, part: &Part) -> Result<PathBuf, SplitError> {
    let path = work.join(format!("part-{n:06}.json"));
    // No trailing newline: v1.0.4 signs the file text as it is, and the size was computed
    // for exactly this text.
    let text = packer.text(part);
    // No fsync per part: thousands of them would dominate the run. The parts become visible
    // only by the final rename out of the work directory.
    let r = File::create(&path).and_then(|mut f| f.write_all(text.as_bytes()));
    r.map_err(|e| SplitError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    Ok(path)
}

/// The result of the reading pass.
struct Spooled {
    header: Vec<(String, Value)>,
    counts: [usize; 4],
    input_bytes: u64,
}

/// A reader that refuses to let one record grow past a cap: memory stays bounded even for a
/// 2 GB record on one line.
struct CappedReader<R> {
    inner: R,
    pos: Rc<Cell<u64>>,
    mark: Rc<Cell<u64>>,
    cap: u64,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let pos = self.pos.get() + n as u64;
        self.pos.set(pos);
        // The mark lags by at most one buffer: allow that much on top of the cap.
        if pos.saturating_sub(self.mark.get()) > self.cap + 2 * buf.len() as u64 {
            return Err(io::Error::other(format!(
                "a single record (or the text before the first record) is larger than {} bytes",
                self.cap
            )));
        }
        Ok(n)
    }
}

fn spool(input: &Path, work: &Path, limit: usize) -> Result<Spooled, SplitError> {
    let file = File::open(input).map_err(|e| SplitError::Io {
        path: input.display().to_string(),
        source: e,
    })?;
    let pos = Rc::new(Cell::new(0));
    let mark = Rc::new(Cell::new(0));
    // The cap is checked per buffer refill (64 KiB), so the parser reads bytes from the
    // buffer without a check per byte.
    let reader = BufReader::with_capacity(
        1 << 16,
        CappedReader {
            inner: file,
            pos: pos.clone(),
            mark: mark.clone(),
            // A record bigger than the limit cannot be sent anyway; twice that is the cut-off.
            cap: 2 * limit as u64,
        },
    );
    let mut spools = Vec::new();
    for section in SECTIONS {
        let path = work.join(format!("{section}.spool"));
        let f = File::create(&path).map_err(|e| SplitError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        spools.push(BufWriter::with_capacity(1 << 16, f));
    }
    let mut state = SpoolState {
        spools,
        header: Vec::new(),
        counts: [0; 4],
        keys: Default::default(),
        mark,
        pos: pos.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let located = |e: serde_json::Error| {
        SplitError::Input(format!(
            "{}: {} (line {}, column {})",
            input.display(),
            strip_position(&e),
            e.line(),
            e.column()
        ))
    };
    RootSeed(&mut state).deserialize(&mut de).map_err(located)?;
    de.end().map_err(located)?;
    for (i, w) in state.spools.iter_mut().enumerate() {
        w.flush().map_err(|e| SplitError::Io {
            path: work
                .join(format!("{}.spool", SECTIONS[i]))
                .display()
                .to_string(),
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
        if !state.header.iter().any(|(k, _)| k == required) {
            return Err(SplitError::Input(format!(
                "{}: has no {required}; every part must carry it",
                input.display()
            )));
        }
    }
    // A fixed order for the fields every part repeats.
    state.header.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Spooled {
        header: state.header,
        counts: state.counts,
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

struct SpoolState {
    spools: Vec<BufWriter<File>>,
    header: Vec<(String, Value)>,
    counts: [usize; 4],
    /// Every record key seen, per section, as a UUID (16 bytes each, checked for repeats
    /// after the pass: a sorted vector is half the memory of a hash set).
    keys: [Vec<u128>; 4],
    mark: Rc<Cell<u64>>,
    pos: Rc<Cell<u64>>,
}

struct RootSeed<'a>(&'a mut SpoolState);

impl<'de> DeserializeSeed<'de> for RootSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RootSeed<'_> {
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
                let v = map.next_value_seed(StrictSeed::at(&pointer))?;
                state.header.push((key, v));
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

struct SectionSeed<'a> {
    state: &'a mut SpoolState,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for SectionSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SectionSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as an object of records", SECTIONS[self.index])
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let section = SECTIONS[self.index];
        let section_pointer = format!("/{section}");
        let state = self.state;
        while let Some(key) = map.next_key::<String>()? {
            let uuid = uuid::Uuid::try_parse(&key).map_err(|_| {
                de::Error::custom(format_args!(
                    "record key \"{key}\" in {section} is not a UUID (split needs UUIDv4 keys; see MSG-IDS)"
                ))
            })?;
            state.keys[self.index].push(uuid.as_u128());
            let parent = Location::Prefix(&section_pointer);
            let value = map.next_value_seed(StrictSeed {
                at: Location::Key(&parent, &key),
            })?;
            let w = &mut state.spools[self.index];
            let r = serde_json::to_writer(&mut *w, &key)
                .map_err(io::Error::other)
                .and_then(|()| w.write_all(b":"))
                .and_then(|()| serde_json::to_writer(&mut *w, &value).map_err(io::Error::other))
                .and_then(|()| w.write_all(b"\n"));
            r.map_err(|e| de::Error::custom(format_args!("cannot write the work file: {e}")))?;
            state.counts[self.index] += 1;
            state.mark.set(state.pos.get());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Interface;

    /// The packer's arithmetic equals the length of the real body token's claims.
    #[test]
    fn sizing_matches_the_signed_form_for_both_profiles() {
        for interface in [Interface::V3, Interface::V1_0_4] {
            let profile = interface.profile();
            let header = vec![
                (
                    "creationDateTime".to_owned(),
                    Value::from("2026-01-01T06:00:00"),
                ),
                ("senderBusinessId".to_owned(), Value::from("1234567-1")),
            ];
            let packer = Packer::new(profile, &header).expect("packer");
            let mut part = Part::default();
            for (section, entry) in [
                (
                    0,
                    r#""5d892fac-07f0-465f-ab6a-af88a1d922ba":{"privatePerson":{"fullName":"Testinen, \"Aino\"","birthDate":"1959-06-01"}}"#,
                ),
                (
                    0,
                    r#""e12bb4e6-eb8b-48c4-b297-95e38dd0d776":{"organisation":{"name":"Å Oy"}}"#,
                ),
                (
                    2,
                    r#""6c035985-976f-4fa6-afcb-e1745eb58f9d":{"id":{"iban":"FI8371356610003253"},"roles":[]}"#,
                ),
            ] {
                part.add(section, entry.to_owned(), packer.entry_len(entry));
            }
            let text = packer.text(&part);
            let value: Value = serde_json::from_str(&text).expect("part is JSON");
            let sub = "X".repeat(SUB_BUDGET);
            let (_, body) = jws::claims(
                profile.message.claims.value,
                Kind::Update,
                &sub,
                &sub,
                &text,
                &value,
            );
            assert_eq!(
                packer.jwt_len(part.size),
                jws::compact_len(&body, SIGNATURE_BUDGET),
                "{interface:?}"
            );
        }
    }
}
