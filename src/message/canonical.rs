//! The canonical form of a record, and its hash: what the ledger remembers of a record so that
//! tomorrow's export can be compared with what the register acknowledged.
//!
//! Canonical JSON here is: object members sorted by key (Unicode code point order, which is
//! the byte order of UTF-8), no whitespace between tokens, strings written as serde_json writes
//! them (so `"\u00e5"` and `"å"` are the same string), and numbers **as written**. A number
//! never goes through an `f64`: `1.99999999999999999999` and `2.0` are different values to the
//! ledger (and `1` and `1.0` too: a change of notation costs one record sent again, never a
//! change missed).

use std::fmt;

/// Why a text is not one JSON value (only reached for text that skipped the strict reader).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not canonicalisable JSON at byte {offset}: {what}")]
pub struct CanonicalError {
    pub offset: usize,
    pub what: &'static str,
}

/// SHA-256 of a record's canonical JSON.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordHash(pub [u8; 32]);

impl RecordHash {
    pub fn of_canonical(canonical: &[u8]) -> RecordHash {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        RecordHash(out)
    }

    /// The hash of the JSON value `text`.
    pub fn of_json(text: &str) -> Result<RecordHash, CanonicalError> {
        Ok(RecordHash::of_canonical(&canonical(text)?))
    }

    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(s: &str) -> Option<RecordHash> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(RecordHash(out))
    }
}

impl serde::Serialize for RecordHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl fmt::Debug for RecordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordHash({})", self.hex())
    }
}

/// The canonical form of the JSON value `text`.
pub fn canonical(text: &str) -> Result<Vec<u8>, CanonicalError> {
    let mut p = Canon {
        b: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    let mut out = Vec::with_capacity(text.len());
    p.ws();
    p.value(&mut out)?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("data after the value"));
    }
    Ok(out)
}

/// serde_json refuses deeper nesting; so does this.
const MAX_DEPTH: usize = 128;

struct Canon<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl Canon<'_> {
    fn err(&self, what: &'static str) -> CanonicalError {
        CanonicalError {
            offset: self.i,
            what,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn value(&mut self, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
        match self.b.get(self.i) {
            Some(b'{') => self.object(out),
            Some(b'[') => self.array(out),
            Some(b'"') => {
                let s = self.string()?;
                write_string(&s, out);
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => self.number(out),
            Some(b't') => self.literal(b"true", out),
            Some(b'f') => self.literal(b"false", out),
            Some(b'n') => self.literal(b"null", out),
            Some(_) => Err(self.err("unexpected character")),
            None => Err(self.err("unexpected end")),
        }
    }

    fn literal(&mut self, word: &[u8], out: &mut Vec<u8>) -> Result<(), CanonicalError> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            out.extend_from_slice(word);
            Ok(())
        } else {
            Err(self.err("unknown literal"))
        }
    }

    fn enter(&mut self) -> Result<(), CanonicalError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        Ok(())
    }

    fn object(&mut self, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
        self.enter()?;
        self.i += 1;
        let mut members: Vec<(String, Vec<u8>)> = Vec::new();
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.b.get(self.i) != Some(&b'"') {
                    return Err(self.err("expected a member name"));
                }
                let key = self.string()?;
                self.ws();
                if self.b.get(self.i) != Some(&b':') {
                    return Err(self.err("expected ':'"));
                }
                self.i += 1;
                self.ws();
                let mut v = Vec::new();
                self.value(&mut v)?;
                members.push((key, v));
                self.ws();
                match self.b.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or '}'")),
                }
            }
        }
        members.sort_by(|a, b| a.0.cmp(&b.0));
        if members.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(self.err("a member name repeats"));
        }
        out.push(b'{');
        for (n, (k, v)) in members.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_string(k, out);
            out.push(b':');
            out.extend_from_slice(v);
        }
        out.push(b'}');
        self.depth -= 1;
        Ok(())
    }

    fn array(&mut self, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
        self.enter()?;
        self.i += 1;
        out.push(b'[');
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
        } else {
            let mut first = true;
            loop {
                if !first {
                    out.push(b',');
                }
                first = false;
                self.ws();
                self.value(out)?;
                self.ws();
                match self.b.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b']') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or ']'")),
                }
            }
        }
        out.push(b']');
        self.depth -= 1;
        Ok(())
    }

    /// A string token, decoded (serde_json does the unescaping: one definition of JSON strings).
    fn string(&mut self) -> Result<String, CanonicalError> {
        let start = self.i;
        self.i += 1;
        let mut escaped = false;
        let mut plain = true;
        loop {
            match self.b.get(self.i) {
                None => return Err(self.err("unterminated string")),
                Some(_) if escaped => escaped = false,
                Some(b'\\') => {
                    escaped = true;
                    plain = false;
                }
                Some(b'"') => break,
                Some(_) => {}
            }
            self.i += 1;
        }
        self.i += 1;
        let token = &self.b[start..self.i];
        let text = std::str::from_utf8(token).map_err(|_| CanonicalError {
            offset: start,
            what: "a string that is not UTF-8",
        })?;
        if plain && !token.iter().any(|b| *b < 0x20) {
            return Ok(text[1..text.len() - 1].to_owned());
        }
        serde_json::from_str::<String>(text).map_err(|_| CanonicalError {
            offset: start,
            what: "an invalid string",
        })
    }

    /// A number token, copied as written after checking its grammar (RFC 8259 §6).
    fn number(&mut self, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while let Some(b'0'..=b'9') = p.b.get(p.i) {
                p.i += 1;
            }
            p.i - s
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.err("a number without digits")),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.err("a fraction without digits"));
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.err("an exponent without digits"));
            }
        }
        out.extend_from_slice(&self.b[start..self.i]);
        Ok(())
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // Writing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        String::from_utf8(canonical(s).unwrap()).unwrap()
    }

    #[test]
    fn keys_sorted_whitespace_gone_numbers_as_written() {
        assert_eq!(
            canon(
                " { \"b\" : [ 1.99999999999999999999 , 1E2, -0 ] ,\n \"a\":{\"z\":null,\"y\":true}} "
            ),
            r#"{"a":{"y":true,"z":null},"b":[1.99999999999999999999,1E2,-0]}"#
        );
        assert_ne!(canon("1"), canon("1.0"));
        assert_eq!(
            canon("123456789012345678901234567890"),
            "123456789012345678901234567890"
        );
    }

    #[test]
    fn strings_are_compared_decoded() {
        assert_eq!(canon(r#""\u00e5\/""#), "\"å/\"");
        assert_eq!(canon(r#"{"\u0062":1,"a":2}"#), r#"{"a":2,"b":1}"#);
        assert_eq!(canon(r#""tab\there""#), r#""tab\there""#);
        assert_eq!(canon(r#""\u001f""#), r#""\u001f""#);
        // Code point order: "é" (U+00E9) after "z", an astral character after both.
        assert_eq!(
            canon("{\"\u{1F600}\":3,\"é\":2,\"z\":1}"),
            "{\"z\":1,\"é\":2,\"\u{1F600}\":3}"
        );
    }

    #[test]
    fn bad_text_is_an_error_not_a_panic() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\"}",
            "01x",
            "1.",
            "1e",
            "-",
            "\"abc",
            "tru",
            "{} x",
            "{\"a\":1,\"a\":2}",
        ] {
            assert!(canonical(bad).is_err(), "{bad:?}");
        }
        assert!(canonical(&"[".repeat(200)).is_err());
    }

    #[test]
    fn hash_hex_round_trips() {
        let h = RecordHash::of_json("{\"a\":1}").unwrap();
        assert_eq!(RecordHash::from_hex(&h.hex()), Some(h));
        assert_eq!(RecordHash::from_hex("zz"), None);
        assert_eq!(h, RecordHash::of_json("{ \"a\" : 1 }").unwrap());
    }
}
