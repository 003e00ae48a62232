//! Strict reading of a message: bounded size, UTF-8 with the offending byte offset, JSON
//! syntax errors with line and column, nesting bounded by serde_json's limit of 128, and
//! duplicate object keys rejected (a parser that silently keeps one of them loses data).

use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// No message file is read past this many bytes, whatever the profile allows.
pub const HARD_CAP_BYTES: u64 = 64 * 1024 * 1024;

/// Why a message could not be read as JSON.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("is {0}, not a regular file; give the path of a message file")]
    NotRegular(crate::input_file::SpecialFile),
    #[error(
        "is larger than {limit} bytes; messages this large cannot be sent (use `message split`)"
    )]
    TooLarge { limit: u64 },
    #[error("is not UTF-8: invalid byte 0x{byte:02x} at byte offset {offset} (line {line})")]
    NotUtf8 {
        offset: usize,
        line: usize,
        byte: u8,
    },
    #[error("is not valid JSON: {message} at line {line}, column {column}")]
    Syntax {
        message: String,
        line: usize,
        column: usize,
    },
}

/// The byte limit a message read is cut off at: the profile's limit with room for a report
/// that is too large (so MSG-SIZE can say by how much), never past [`HARD_CAP_BYTES`].
pub fn read_limit(max_message_bytes: usize) -> u64 {
    (max_message_bytes as u64)
        .saturating_mul(4)
        .min(HARD_CAP_BYTES)
}

/// Read at most `limit` bytes of `path`; more is an error, not a truncation.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ParseError> {
    use crate::input_file::{OpenError, ReadError, read_regular};
    read_regular(path, limit).map_err(|e| match e {
        ReadError::Open(OpenError::NotRegular(kind)) => ParseError::NotRegular(kind),
        ReadError::Open(OpenError::Io(e)) | ReadError::Io(e) => ParseError::Io(e),
        ReadError::TooLarge { limit } => ParseError::TooLarge { limit },
    })
}

/// Check UTF-8 and return the text.
pub fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        ParseError::NotUtf8 {
            offset,
            line: 1 + bytes[..offset].iter().filter(|b| **b == b'\n').count(),
            byte: bytes.get(offset).copied().unwrap_or_default(),
        }
    })
}

/// Parse `text` as one JSON value, rejecting duplicate keys and trailing data.
pub fn parse_strict(text: &str) -> Result<Value, ParseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictSeed::root()
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| ParseError::Syntax {
            message: strip_position(&e),
            line: e.line(),
            column: e.column(),
        })?;
    Ok(value)
}

/// Bytes → UTF-8 → strict JSON.
pub fn parse_bytes(bytes: &[u8]) -> Result<Value, ParseError> {
    parse_strict(utf8(bytes)?)
}

/// serde_json's message without its own " at line L column C" suffix (we add ours).
fn strip_position(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

/// Where in the document a value sits: a chain of parents, turned into a JSON pointer only
/// when an error needs it (building pointers for every key would cost more than parsing).
#[derive(Clone, Copy)]
pub(crate) enum Location<'p> {
    Root,
    /// A pointer prefix given as text (e.g. `/legalPersons/<key>`).
    Prefix(&'p str),
    Key(&'p Location<'p>, &'p str),
    Index(&'p Location<'p>, usize),
}

impl Location<'_> {
    pub(crate) fn pointer(&self) -> String {
        match self {
            Location::Root => String::new(),
            Location::Prefix(p) => (*p).to_owned(),
            Location::Key(parent, k) => format!("{}/{}", parent.pointer(), escape_pointer(k)),
            Location::Index(parent, i) => format!("{}/{i}", parent.pointer()),
        }
    }
}

/// Builds a `Value` like serde_json does, but fails on a repeated key, naming it by its
/// JSON pointer.
pub(crate) struct StrictSeed<'p> {
    pub(crate) at: Location<'p>,
}

impl StrictSeed<'static> {
    pub(crate) fn root() -> Self {
        StrictSeed { at: Location::Root }
    }
}

impl<'de> DeserializeSeed<'de> for StrictSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        let mut index = 0usize;
        loop {
            let at = Location::Index(&self.at, index);
            match seq.next_element_seed(StrictSeed { at })? {
                Some(v) => out.push(v),
                None => break,
            }
            index += 1;
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = Location::Key(&self.at, &key);
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate object key \"{key}\" at {} (a parser would silently keep only one of the values)",
                    at.pointer()
                )));
            }
            let value = map.next_value_seed(StrictSeed { at })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// One JSON pointer reference token (RFC 6901).
pub fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_key_is_an_error_with_pointer_and_position() {
        let e = parse_strict("{\"a\": {\"b\": 1,\n \"b\": 2}}").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("duplicate object key \"b\" at /a/b"),
            "{text}"
        );
        assert!(text.contains("line 2"), "{text}");
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let e = parse_strict("{\n  \"a\": 1,\n}").unwrap_err();
        match e {
            ParseError::Syntax { line, column, .. } => assert_eq!((line, column), (3, 1)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn non_utf8_names_the_offset() {
        let e = parse_bytes(b"{\"a\":\n\"\xff\"}").unwrap_err();
        assert!(matches!(
            e,
            ParseError::NotUtf8 {
                offset: 7,
                line: 2,
                byte: 0xff
            }
        ));
    }

    #[test]
    fn deep_nesting_and_huge_numbers_are_errors() {
        let deep = "[".repeat(100_000);
        assert!(
            parse_strict(&deep)
                .unwrap_err()
                .to_string()
                .contains("recursion limit")
        );
        let huge = "9".repeat(10_000);
        assert!(
            parse_strict(&huge)
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
    }

    #[test]
    fn trailing_data_is_an_error() {
        assert!(parse_strict("{} {}").is_err());
    }
}
