//! Values that come from an input (certificate names, URLs, file names, JSON strings, HTTP
//! bodies) made harmless for the format they are written in. Every renderer and every log line
//! of `serve` goes through here, so that a crafted subject cannot print a fake `PASS` line,
//! move the cursor, or run a formula in a spreadsheet.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters a terminal or a log reader would act on instead of showing: C0 and C1 controls,
/// DEL, and the Unicode bidirectional overrides and isolates that reorder what follows them.
fn is_unsafe_in_text(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Append the visible form of an unsafe character: `\r`, `\n`, `\t`, `\x1b`, `\u{202e}`.
fn push_visible(out: &mut String, c: char) {
    match c {
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// One line of terminal or log text: control characters, escape sequences and bidi overrides
/// are shown as escapes (`\x1b`, `\r`), so the value can never start a line of its own.
/// A backslash is doubled only when the value needed escaping, so ordinary Windows paths and
/// regular expressions read as they are.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_in_text) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_unsafe_in_text(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection").
fn starts_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r', '\n'])
}

/// One CSV field (RFC 4180 quoting). A value a spreadsheet would run as a formula is prefixed
/// with `'` and quoted, as OWASP recommends; numbers such as `-5` stay numbers.
pub fn csv_field(s: &str) -> Cow<'_, str> {
    let formula = starts_formula(s) && s.parse::<f64>().is_err();
    if !formula && !s.contains([',', '"', '\n', '\r']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 4);
    out.push('"');
    if formula {
        out.push('\'');
    }
    out.push_str(&s.replace('"', "\"\""));
    out.push('"');
    Cow::Owned(out)
}

/// Text for HTML or XML element content and attribute values. Characters XML 1.0 cannot carry
/// at all (most C0 controls) and the bidi overrides are shown as escapes instead.
pub fn markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if is_unsafe_in_text(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// An OpenMetrics / Prometheus label value: controls shown as escapes first (so a dashboard
/// shows them too), then the format's own escapes for backslash and double quote.
pub fn metric_label(s: &str) -> String {
    let visible = text(s);
    let mut out = String::with_capacity(visible.len() + 2);
    for c in visible.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_labels_cannot_end_their_quotes_or_lines() {
        assert_eq!(metric_label("plain"), "plain");
        assert_eq!(metric_label("a\"b"), "a\\\"b");
        assert_eq!(metric_label("C:\\x"), "C:\\\\x");
        assert_eq!(metric_label("x\n} 1"), "x\\\\n} 1");
    }

    #[test]
    fn a_forged_report_line_stays_on_its_line() {
        let cn = "ACME\r\n  PASS   CERT-QWAC  forged\x1b[2K";
        let shown = text(cn);
        assert!(!shown.contains(['\r', '\n', '\x1b']));
        assert_eq!(shown, "ACME\\r\\n  PASS   CERT-QWAC  forged\\x1b[2K");
    }

    #[test]
    fn ordinary_values_are_untouched() {
        assert!(matches!(text("C:\\certs\\a.pem"), Cow::Borrowed(_)));
        assert!(matches!(text("Pörssi Oy – ääkköset"), Cow::Borrowed(_)));
        assert!(matches!(csv_field("0245442-8"), Cow::Borrowed(_)));
    }

    #[test]
    fn backslashes_are_doubled_only_when_escapes_appear() {
        assert_eq!(text("a\\x1b\x1b"), "a\\\\x1b\\x1b");
    }

    #[test]
    fn bidi_overrides_and_c1_controls_are_visible() {
        assert_eq!(text("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(text("a\u{9b}31m"), "a\\x9b31m");
    }

    #[test]
    fn csv_formulas_are_defused() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_field("+1+1"), "\"'+1+1\"");
        assert_eq!(csv_field("-5"), "-5");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }

    #[test]
    fn markup_escapes_and_shows_controls() {
        assert_eq!(
            markup("<b a=\"1\">&'\x07</b>"),
            "&lt;b a=&quot;1&quot;&gt;&amp;&#39;\\x07&lt;/b&gt;"
        );
    }
}
