//! Copying JSON text without reading it into values: whitespace between tokens is dropped,
//! everything else (numbers above all) is kept byte for byte. A number that went through an
//! f64 would come out changed (`1.9999999999999999999` → `2.0`).

/// `text` (one valid JSON value) without the whitespace between its tokens.
pub fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else {
            match c {
                ' ' | '\t' | '\n' | '\r' => {}
                '"' => {
                    in_string = true;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
    }
    out
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
            "{\"a\":[1.9999999999999999999,123456789012345678901234567890],\"b\":\" x \\\" y \\\\\",\"c\":-0,\"d\":1E2}"
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
