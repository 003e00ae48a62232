//! The one door to XML: every XML reader (SOAP answers, trusted lists, XML signatures) parses
//! through [`parse`], so one depth limit and one set of parser options hold for all of them.
//!
//! roxmltree parses recursively, one call per level of nesting, so a document nested 20,000
//! deep overflows the stack. The nesting is measured first by a flat scan, and a document
//! deeper than [`MAX_XML_DEPTH`] is refused before it is parsed.

use roxmltree::{Document, ParsingOptions};

use crate::profile::limits::{MAX_XML_DEPTH, MAX_XML_NODES};

/// Why a text is not a document we read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error(
        "elements are nested deeper than {limit} levels (at line {line}); no real document nests this deep"
    )]
    TooDeep { limit: usize, line: usize },
    #[error("{0}")]
    Malformed(String),
}

/// Parse `xml` with DTDs refused (no entity expansion), at most [`MAX_XML_NODES`] nodes and
/// at most [`MAX_XML_DEPTH`] levels of elements.
pub fn parse(xml: &str) -> Result<Document<'_>, XmlError> {
    check_depth(xml.as_bytes(), MAX_XML_DEPTH)?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
    };
    Document::parse_with_options(xml, options).map_err(|e| XmlError::Malformed(e.to_string()))
}

/// A flat scan of the element nesting. It may count a malformed document differently from
/// the parser, but never lower: every start tag that is not empty (`<a>`, not `<a/>`) counts
/// one level, and comments, CDATA, processing instructions and declarations count none.
fn check_depth(bytes: &[u8], limit: usize) -> Result<(), XmlError> {
    let mut depth = 0usize;
    let mut i = 0;
    let too_deep = |at: usize| XmlError::TooDeep {
        limit,
        line: 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count(),
    };
    while let Some(offset) = memchr(b'<', &bytes[i..]) {
        let start = i + offset;
        let rest = &bytes[start..];
        i = if rest.starts_with(b"<!--") {
            skip_past(bytes, start + 4, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            skip_past(bytes, start + 9, b"]]>")
        } else if rest.starts_with(b"<?") {
            skip_past(bytes, start + 2, b"?>")
        } else if rest.starts_with(b"<!") {
            skip_past(bytes, start + 2, b">")
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            skip_past(bytes, start + 2, b">")
        } else {
            let (end, empty) = tag_end(bytes, start + 1);
            if !empty {
                depth += 1;
                if depth > limit {
                    return Err(too_deep(start));
                }
            }
            end
        };
    }
    Ok(())
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// The index just past the first `end` at or after `from` (the end of the text if none).
fn skip_past(bytes: &[u8], from: usize, end: &[u8]) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.windows(end.len()).position(|w| w == end))
        .map_or(bytes.len(), |p| from + p + end.len())
}

/// Where a start tag ends (past its `>`, quoted attribute values skipped) and whether it is
/// an empty-element tag (`/>`).
fn tag_end(bytes: &[u8], from: usize) -> (usize, bool) {
    let mut quote: Option<u8> = None;
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return (i + 1, i > from && bytes[i - 1] == b'/'),
            None => {}
        }
        i += 1;
    }
    (bytes.len(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        let mut s = String::with_capacity(depth * 8);
        for _ in 0..depth {
            s.push_str("<a>");
        }
        for _ in 0..depth {
            s.push_str("</a>");
        }
        s
    }

    #[test]
    fn depth_up_to_the_limit_parses() {
        assert!(parse(&nested(MAX_XML_DEPTH)).is_ok());
    }

    #[test]
    fn deeper_is_refused_before_parsing() {
        // Deep enough to overflow the parser's recursion on a test thread's stack.
        let err = parse(&nested(20_000)).unwrap_err();
        assert!(
            matches!(err, XmlError::TooDeep { limit, line: 1 } if limit == MAX_XML_DEPTH),
            "{err:?}"
        );
        assert!(matches!(
            parse(&nested(MAX_XML_DEPTH + 1)),
            Err(XmlError::TooDeep { .. })
        ));
    }

    #[test]
    fn empty_elements_comments_and_quoted_brackets_do_not_count() {
        let mut s = String::from("<r>");
        for _ in 0..1000 {
            s.push_str("<e a='>' b=\"/>\"/><!-- <x> --><![CDATA[<y>]]><?pi <z>?>");
        }
        s.push_str("</r>");
        assert!(parse(&s).is_ok());
    }

    #[test]
    fn dtds_stay_refused() {
        let xml = "<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>";
        assert!(matches!(parse(xml), Err(XmlError::Malformed(_))));
    }
}
