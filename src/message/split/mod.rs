//! `message split`: one large update (a first full load) into messages that each fit the
//! interface's size limit in JWT form.
//!
//! Two passes with bounded memory. The reading pass ([`spool`]) copies each record's text,
//! byte for byte but without whitespace, into one spool file per section and indexes it. The
//! packing pass sends legal persons first, in an order where everyone a legal person refers to
//! comes in the same part or an earlier one ([`order`]); then customers, accounts and
//! safety-deposit boxes, whose references all point at legal persons. A record (with its
//! whole role list) is never divided, and one that cannot fit a message alone is an error.
//! Everything is written into a work directory next to the output and renamed into place
//! only when all parts are done, so a failure leaves no output directory and no file behind.

mod lexical;
mod order;
mod spool;
pub(crate) mod stream;

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::message::jws;
use crate::message::kind::Kind;
use crate::profile::RegisterProfile;
use lexical::escaped_len;
use spool::{Entry, HeaderField, spool_path};

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

/// Why a split failed. Nothing is left behind when it does.
#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{0}")]
    Input(String),
    #[error(
        "record {key} in {section} is {len} bytes in JWT form alone (as signed, sized for a sub of {SUB_BUDGET} characters and an RSA-{} signature), over the MSG-SIZE limit of {limit}: it cannot be sent in any message; nothing was written",
        SIGNATURE_BUDGET * 8
    )]
    RecordTooLarge {
        section: &'static str,
        key: String,
        len: usize,
        limit: usize,
    },
    #[error(
        "legal persons {} refer to each other, so they must travel in one message: together {len} bytes in JWT form (as signed), over the MSG-SIZE limit of {limit}; nothing was written",
        keys.join(", ")
    )]
    GroupTooLarge {
        keys: Vec<String>,
        len: usize,
        limit: usize,
    },
    #[error(
        "record {key} in {section} is more than {read} bytes of JSON, far over the MSG-SIZE limit of {limit} bytes in JWT form: it cannot be sent in any message; nothing was written"
    )]
    RecordFarTooLarge {
        section: &'static str,
        key: String,
        read: u64,
        limit: usize,
    },
    #[error("{0} already exists and is not empty; choose a new or empty directory")]
    NotEmpty(String),
}

impl SplitError {
    /// The input breaks the size rule (the register would reject it), as opposed to an input
    /// that cannot be read or an output that cannot be written.
    pub fn is_rule_failure(&self) -> bool {
        matches!(
            self,
            SplitError::RecordTooLarge { .. }
                | SplitError::GroupTooLarge { .. }
                | SplitError::RecordFarTooLarge { .. }
        )
    }
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

/// How a report travels in the body token, and so what a record costs in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// v3: the report is a JSON object in the claims. `message sign` writes the parsed report
    /// out again, which can be longer than the text as written (`1E2` becomes `100.0`), so a
    /// record costs the longer of the two.
    Object,
    /// v1.0.4: the report is the file's text, as an escaped JSON string.
    String,
}

impl Form {
    fn of(profile: &RegisterProfile) -> Form {
        let (_, body) = jws::claims(
            profile.message.claims.value,
            Kind::Update,
            "",
            "",
            "",
            &Value::Null,
        );
        if body.get(Kind::Update.claim()).is_some_and(Value::is_string) {
            Form::String
        } else {
            Form::Object
        }
    }

    /// Bytes `text` adds to the body token's claims; `reserialised` is its length once
    /// parsed and written again (only asked for in object form).
    fn entry_len(self, text: &str, reserialised: impl FnOnce() -> usize) -> usize {
        match self {
            Form::Object => text.len().max(reserialised()),
            Form::String => escaped_len(text),
        }
    }
}

/// Split `input` into `out_dir/part-NNNNNN.json` under `profile`'s limit. `out_dir` must not
/// exist or be empty; it appears, complete, only when every part is written.
pub fn split(
    input: &Path,
    out_dir: &Path,
    profile: &RegisterProfile,
) -> Result<SplitSummary, SplitError> {
    let io_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| SplitError::Io { path, source }
    };
    let existed = match std::fs::symlink_metadata(out_dir) {
        Ok(m) if m.is_dir() => {
            if std::fs::read_dir(out_dir)
                .map_err(io_err(out_dir))?
                .next()
                .is_some()
            {
                return Err(SplitError::NotEmpty(out_dir.display().to_string()));
            }
            true
        }
        Ok(_) => return Err(SplitError::NotEmpty(out_dir.display().to_string())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_err(out_dir)(e)),
    };
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Removed, with everything in it, when it goes out of scope.
    let work = tempfile::Builder::new()
        .prefix(".tilicheck-split-")
        .tempdir_in(parent)
        .map_err(io_err(parent))?;
    let parts_dir = work.path().join("parts");
    std::fs::create_dir(&parts_dir).map_err(io_err(&parts_dir))?;
    let mut summary = run(input, work.path(), &parts_dir, profile)?;
    // All parts are complete: the directory takes the output's name in one rename.
    if existed {
        std::fs::remove_dir(out_dir).map_err(io_err(out_dir))?;
    }
    std::fs::rename(&parts_dir, out_dir).map_err(io_err(out_dir))?;
    for p in &mut summary.parts {
        if let Some(name) = p.file_name() {
            *p = out_dir.join(name);
        }
    }
    Ok(summary)
}

fn run(
    input: &Path,
    work: &Path,
    parts_dir: &Path,
    profile: &RegisterProfile,
) -> Result<SplitSummary, SplitError> {
    let limit = profile.max_message_bytes.value;
    let form = Form::of(profile);
    // A record whose text is twice the limit cannot fit: reading stops there.
    let cap = 2 * limit as u64;
    let spooled = spool::spool(
        input,
        work,
        cap,
        limit,
        form,
        profile.message.role_reference_field.value,
    )?;
    let packer = Packer::new(profile, form, &spooled.header);
    let mut out = Output {
        packer: &packer,
        limit,
        dir: parts_dir,
        part: Part::default(),
        parts: Vec::new(),
        largest_jwt: 0,
    };
    // Legal persons: unit by unit, everyone referred to before (or with) who refers to them.
    let mut reader = SpoolReader::open(&spool_path(work, 0))?;
    let legal = &spooled.entries[0];
    for unit in spooled.graph.units() {
        let mut texts = Vec::with_capacity(unit.len());
        for i in &unit {
            let e = legal[*i as usize];
            texts.push((reader.read(&e)?, e.sized_len as usize));
        }
        out.place(0, texts, || {
            unit.iter()
                .map(|i| {
                    uuid::Uuid::from_u128(spooled.graph.key(*i))
                        .hyphenated()
                        .to_string()
                })
                .collect()
        })?;
    }
    // The other sections refer only to legal persons, all placed by now: input order.
    for section in 1..SECTIONS.len() {
        let mut reader = SpoolReader::open(&spool_path(work, section))?;
        for e in &spooled.entries[section] {
            let text = reader.read(e)?;
            out.place(section, vec![(text, e.sized_len as usize)], Vec::new)?;
        }
    }
    if !out.part.is_empty() || out.parts.is_empty() {
        out.flush()?;
    }
    debug_assert_eq!(spooled.graph.len(), spooled.entries[0].len());
    Ok(SplitSummary {
        parts: out.parts,
        records: spooled.entries.each_ref().map(Vec::len),
        largest_jwt: out.largest_jwt,
        input_bytes: spooled.input_bytes,
    })
}

/// Reads records back from a spool, sequentially or by offset.
struct SpoolReader {
    path: PathBuf,
    reader: BufReader<File>,
    pos: u64,
}

impl SpoolReader {
    fn open(path: &Path) -> Result<Self, SplitError> {
        let file = File::open(path).map_err(|e| SplitError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Ok(SpoolReader {
            path: path.to_owned(),
            reader: BufReader::with_capacity(1 << 16, file),
            pos: 0,
        })
    }

    fn read(&mut self, e: &Entry) -> Result<String, SplitError> {
        let r = (|| {
            if e.offset != self.pos {
                self.reader.seek(SeekFrom::Start(e.offset))?;
            }
            // The text and its newline.
            let mut buf = vec![0u8; e.text_len as usize + 1];
            self.reader.read_exact(&mut buf)?;
            self.pos = e.offset + buf.len() as u64;
            buf.pop();
            String::from_utf8(buf).map_err(io::Error::other)
        })();
        r.map_err(|source| SplitError::Io {
            path: self.path.display().to_string(),
            source,
        })
    }
}

/// The part being filled and the parts written.
struct Output<'a> {
    packer: &'a Packer,
    limit: usize,
    dir: &'a Path,
    part: Part,
    parts: Vec<PathBuf>,
    largest_jwt: usize,
}

impl Output<'_> {
    /// Put records that must travel together (`(text, sized length)`) into the current part,
    /// or into a new one when they do not fit; `keys` names them if they fit no part at all.
    fn place(
        &mut self,
        section: usize,
        records: Vec<(String, usize)>,
        keys: impl FnOnce() -> Vec<String>,
    ) -> Result<(), SplitError> {
        let with = |size: PartSize| {
            records
                .iter()
                .fold(size, |s, (_, len)| s.plus(section, *len))
        };
        let alone = self.packer.jwt_len(with(PartSize::default()));
        if alone > self.limit {
            let mut keys = keys();
            return Err(match records.len() {
                1 => SplitError::RecordTooLarge {
                    section: SECTIONS[section],
                    key: keys.pop().unwrap_or_else(|| key_of(&records[0].0)),
                    len: alone,
                    limit: self.limit,
                },
                _ => SplitError::GroupTooLarge {
                    keys,
                    len: alone,
                    limit: self.limit,
                },
            });
        }
        if !self.part.is_empty() && self.packer.jwt_len(with(self.part.size)) > self.limit {
            self.flush()?;
        }
        for (text, len) in records {
            self.part.add(section, text, len);
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SplitError> {
        let jwt = self.packer.jwt_len(self.part.size);
        self.largest_jwt = self.largest_jwt.max(jwt);
        let part = std::mem::take(&mut self.part);
        let path = write_part(self.dir, self.parts.len() + 1, self.packer, &part)?;
        self.parts.push(path);
        Ok(())
    }
}

/// The key of a spooled record (`"key":{…}`).
fn key_of(text: &str) -> String {
    text.split_once(':')
        .map_or("?", |(k, _)| k)
        .trim_matches('"')
        .to_owned()
}

/// The records of one part, per section, as `"key":{…}` texts.
#[derive(Clone, Debug, Default)]
struct Part {
    entries: [Vec<String>; 4],
    size: PartSize,
}

/// What a part's size depends on: records and their sized length per section.
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
    /// Sized lengths of the head and of each `,"section":{`.
    head_len: usize,
    section_open_len: [usize; 4],
}

impl Packer {
    fn new(profile: &RegisterProfile, form: Form, header: &[HeaderField]) -> Self {
        let mut head = String::from("{");
        let mut reserialised = 1;
        for (i, h) in header.iter().enumerate() {
            if i > 0 {
                head.push(',');
                reserialised += 1;
            }
            // The names are the two fixed field names: no escaping.
            head.push_str(&format!("\"{}\":{}", h.name, h.text));
            reserialised += h.name.len() + 3 + h.reserialised_len;
        }
        let sub = "X".repeat(SUB_BUDGET);
        let style = profile.message.claims.value;
        let (_, with_empty) = jws::claims(style, Kind::Update, &sub, &sub, "", &Value::Null);
        let empty_len = with_empty.to_string().len();
        // The placeholder report is `""` (string form) or `null` (object form).
        let claims_overhead = match form {
            Form::String => empty_len,
            Form::Object => empty_len - 4,
        };
        let head_len = form.entry_len(&head, || reserialised);
        let section_open_len =
            SECTIONS.map(|name| form.entry_len(&format!(",\"{name}\":{{"), || name.len() + 5));
        Packer {
            head,
            claims_overhead,
            head_len,
            section_open_len,
        }
    }

    /// Sized bytes of the part's JSON text.
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

fn write_part(dir: &Path, n: usize, packer: &Packer, part: &Part) -> Result<PathBuf, SplitError> {
    let path = dir.join(format!("part-{n:06}.json"));
    // No trailing newline: v1.0.4 signs the file text as it is, and the size was computed
    // for exactly this text.
    let text = packer.text(part);
    // No fsync per part: thousands of them would dominate the run. The parts become visible
    // only by the final rename of the work directory.
    let r = File::create(&path).and_then(|mut f| f.write_all(text.as_bytes()));
    r.map_err(|e| SplitError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Interface;

    fn sized(form: Form, entry: &str) -> usize {
        let (key, value) = entry.split_once(':').expect("entry");
        let value: Value = serde_json::from_str(value).expect("value");
        form.entry_len(entry, || key.len() + 1 + value.to_string().len())
    }

    /// The packer's arithmetic equals the length of the real body token's claims, in the
    /// form `message sign` makes them; where the text as written is longer than that (a
    /// number with more digits than a double holds), the part is sized for the longer.
    #[test]
    fn sizing_matches_the_signed_form_for_both_profiles() {
        for interface in [Interface::V3, Interface::V1_0_4] {
            let profile = interface.profile();
            let form = Form::of(profile);
            let header: Vec<HeaderField> = [
                ("creationDateTime", "2026-01-01T06:00:00"),
                ("senderBusinessId", "1234567-1"),
            ]
            .map(|(name, v)| HeaderField {
                name: name.to_owned(),
                text: format!("\"{v}\""),
                reserialised_len: v.len() + 2,
            })
            .into();
            let packer = Packer::new(profile, form, &header);
            let entries = [
                (
                    0,
                    r#""5d892fac-07f0-465f-ab6a-af88a1d922ba":{"privatePerson":{"fullName":"Testinen, \"Aino\"","birthDate":"1959-06-01"}}"#,
                ),
                (
                    0,
                    r#""e12bb4e6-eb8b-48c4-b297-95e38dd0d776":{"organisation":{"name":"Å Oy","orderNumber":1E2}}"#,
                ),
                (
                    2,
                    r#""6c035985-976f-4fa6-afcb-e1745eb58f9d":{"id":{"iban":"FI8371356610003253"},"roles":[]}"#,
                ),
            ];
            let mut part = Part::default();
            for (section, entry) in entries {
                part.add(section, entry.to_owned(), sized(form, entry));
            }
            let signed_len = |part: &Part| {
                let text = packer.text(part);
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
                jws::compact_len(&body, SIGNATURE_BUDGET)
            };
            assert_eq!(
                packer.jwt_len(part.size),
                signed_len(&part),
                "{interface:?}"
            );

            // Twenty digits after the point: a double keeps 17, so the parsed report is
            // shorter than the text; v1.0.4 signs the text, v3 is sized for the text too.
            let long = r#""0b3c6bd9-4c1f-4f7e-9a3e-0b0c53a1b7a4":{"startDate":"2021-01-01","x":1.99999999999999999999}"#;
            part.add(1, long.to_owned(), sized(form, long));
            match form {
                Form::String => assert_eq!(packer.jwt_len(part.size), signed_len(&part)),
                Form::Object => assert!(packer.jwt_len(part.size) > signed_len(&part)),
            }
        }
    }
}
