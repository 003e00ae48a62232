//! Copying JSON text without reading it into values: whitespace between tokens is dropped,
//! everything else (numbers above all) is kept byte for byte. A number that went through an
//! f64 would come out changed (`1.9999999999999999999` → `2.0`).

/// `text` (one valid JSON value) without the whitespace between its tokens, and whether it
/// holds a number (the only token a parser can write out longer than it was written).
pub fn minify(text: &str) -> (String, bool) {
    let mut out = Vec::with_capacity(text.len());
    let has_number = minify_into(text, &mut out);
    // Only ASCII whitespace was dropped, so the bytes are still UTF-8.
    let text = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    (text, has_number)
}

/// [`minify`] appending to `out`; returns whether the text holds a number.
pub fn minify_into(text: &str, out: &mut Vec<u8>) -> bool {
    let bytes = text.as_bytes();
    let mut has_number = false;
    let mut in_string = false;
    let mut escaped = false;
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {
                out.extend_from_slice(&bytes[run..i]);
                run = i + 1;
            }
            b'"' => in_string = true,
            b'-' | b'0'..=b'9' => has_number = true,
            _ => {}
        }
    }
    out.extend_from_slice(&bytes[run..]);
    has_number
}

/// Length of `s` inside a JSON string literal, as serde_json escapes it.
pub fn escaped_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..0x20 => 6,
            _ => 1,
        })
        .sum()
}

/// Counts the bytes serde_json writes, without keeping them.
#[derive(Default)]
pub struct Counter(pub usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_goes_and_numbers_and_strings_stay() {
        let text = "{ \"a\" : [ 1.9999999999999999999 ,\n\t123456789012345678901234567890 ],\r\n \"b\": \" x \\\" y \\\\\" , \"c\":-0, \"d\": 1E2 }";
        assert_eq!(
            minify(text),
            (
                "{\"a\":[1.9999999999999999999,123456789012345678901234567890],\"b\":\" x \\\" y \\\\\",\"c\":-0,\"d\":1E2}".to_owned(),
                true
            )
        );
        assert_eq!(
            minify("{ \"n\" : \"12 - 3\" , \"t\": [true, null] }"),
            ("{\"n\":\"12 - 3\",\"t\":[true,null]}".to_owned(), false)
        );
    }

    #[test]
    fn escaped_length_is_serde_json_s() {
        for s in [
            "plain",
            "quote \" and \\ backslash",
            "tab\tnew\nline",
            "\u{1}ctl",
            "Å ö €",
        ] {
            assert_eq!(
                escaped_len(s) + 2,
                serde_json::to_string(s).expect("string").len(),
                "{s:?}"
            );
        }
    }
}
