//! Distinguished names as a person reads them, and the attribute values in them that cannot be
//! decoded as the string type they claim to be.
//!
//! x509-parser renders a whole name as `<X509Error: Invalid X.509 name>` when one value does
//! not decode; here every decodable value is still shown and the bad one is marked in place.

use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::objects::{oid_registry, oid2abbrev};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// One attribute value that is not valid for its string type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadAttribute {
    /// The attribute, as shown in the name (`O`, `CN`, `OID(2.5.4.97)`).
    pub attribute: String,
    /// The ASN.1 string type the value is tagged with.
    pub string_type: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
    /// The encoded value's length in bytes.
    pub len: usize,
}

/// A name as shown, whether it is empty, and its bad values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameFacts {
    pub display: String,
    pub empty: bool,
    pub bad: Vec<BadAttribute>,
}

/// Read a name: `C=FI, O=…, CN=…` (x509-parser's own layout), multi-valued RDNs joined by ` + `.
pub fn read(name: &X509Name<'_>) -> NameFacts {
    let mut bad = Vec::new();
    let rdns: Vec<String> = name
        .iter()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let attribute = attribute_name(atv);
                    let value = match decode(atv) {
                        Ok(v) => v,
                        Err((string_type, problem)) => {
                            let len = atv.attr_value().data.len();
                            let shown = format!("<undecodable {string_type}, {len} bytes>");
                            bad.push(BadAttribute {
                                attribute: attribute.clone(),
                                string_type,
                                problem,
                                len,
                            });
                            shown
                        }
                    };
                    format!("{attribute}={value}")
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    NameFacts {
        empty: rdns.is_empty(),
        display: rdns.join(", "),
        bad,
    }
}

/// A name as shown (see [`read`]).
pub fn display(name: &X509Name<'_>) -> String {
    read(name).display
}

fn attribute_name(atv: &AttributeTypeAndValue<'_>) -> String {
    let oid = atv.attr_type();
    match oid2abbrev(oid, oid_registry()) {
        Ok(s) => s.to_owned(),
        Err(_) => format!("OID({})", oid.to_id_string()),
    }
}

type Undecodable = (&'static str, &'static str);

/// The value as text, or which string type it claims and why it is not one.
fn decode(atv: &AttributeTypeAndValue<'_>) -> Result<String, Undecodable> {
    let any = atv.attr_value();
    let data = any.data;
    let ascii_only = |name: &'static str, ok: fn(u8) -> bool, problem: &'static str| {
        if data.iter().all(|&b| ok(b)) {
            // All bytes are ASCII here, so this cannot fail.
            Ok(String::from_utf8_lossy(data).into_owned())
        } else {
            Err((name, problem))
        }
    };
    match any.tag() {
        Tag::Utf8String => std::str::from_utf8(data)
            .map(str::to_owned)
            .map_err(|_| ("UTF8String", "not valid UTF-8")),
        Tag::PrintableString => ascii_only(
            "PrintableString",
            is_printable,
            "characters outside the PrintableString set",
        ),
        Tag::Ia5String => ascii_only("IA5String", |b| b.is_ascii(), "bytes outside ASCII"),
        Tag::NumericString => ascii_only(
            "NumericString",
            |b| b.is_ascii_digit() || b == b' ',
            "characters other than digits and space",
        ),
        Tag::VisibleString => ascii_only(
            "VisibleString",
            |b| (0x20..0x7f).contains(&b),
            "characters outside visible ASCII",
        ),
        Tag::BmpString => {
            if data.len() % 2 != 0 {
                return Err(("BMPString", "an odd number of bytes"));
            }
            let units = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| ("BMPString", "not valid UCS-2"))
        }
        Tag::UniversalString => {
            if data.len() % 4 != 0 {
                return Err(("UniversalString", "a length not a multiple of four"));
            }
            data.chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect::<Option<String>>()
                .ok_or(("UniversalString", "not valid UCS-4"))
        }
        // TeletexString is decoded the way most software does: as Latin-1.
        Tag::T61String => Ok(data.iter().map(|&b| char::from(b)).collect()),
        // Not a string: shown in hex, as x509-parser does.
        _ => Ok(data.iter().map(|b| format!("{b:02X}")).collect()),
    }
}

/// X.680 PrintableString: letters, digits, space and `'()+,-./:=?`.
fn is_printable(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::FromDer;

    /// A Name holding one RDN with one attribute: `oid` (DER content bytes) = tag `tag`, `value`.
    fn name_der(oid: &[u8], tag: u8, value: &[u8]) -> Vec<u8> {
        let mut atv = vec![0x06, oid.len() as u8];
        atv.extend_from_slice(oid);
        atv.extend_from_slice(&[tag, value.len() as u8]);
        atv.extend_from_slice(value);
        let mut seq = vec![0x30, atv.len() as u8];
        seq.extend(atv);
        let mut set = vec![0x31, seq.len() as u8];
        set.extend(seq);
        let mut name = vec![0x30, set.len() as u8];
        name.extend(set);
        name
    }

    const CN: &[u8] = &[0x55, 0x04, 0x03];

    fn read_der(der: &[u8]) -> NameFacts {
        let (_, name) = X509Name::from_der(der).expect("a Name");
        read(&name)
    }

    #[test]
    fn good_values_are_shown_as_written() {
        let n = read_der(&name_der(CN, 0x0c, "Väestö".as_bytes()));
        assert_eq!(n.display, "CN=Väestö");
        assert!(n.bad.is_empty() && !n.empty);
        let n = read_der(&name_der(CN, 0x1e, &[0x00, 0x41, 0x00, 0xe4]));
        assert_eq!(n.display, "CN=Aä");
    }

    #[test]
    fn undecodable_values_are_marked_in_place() {
        let n = read_der(&name_der(CN, 0x0c, &[0x41, 0xff, 0xfe]));
        assert_eq!(n.display, "CN=<undecodable UTF8String, 3 bytes>");
        assert_eq!(n.bad[0].problem, "not valid UTF-8");
        let n = read_der(&name_der(CN, 0x13, b"a@b"));
        assert_eq!(n.bad[0].string_type, "PrintableString");
        let n = read_der(&name_der(CN, 0x1e, &[0x00, 0x41, 0x00]));
        assert_eq!(n.bad[0].problem, "an odd number of bytes");
    }

    #[test]
    fn an_empty_name_is_empty() {
        let n = read_der(&[0x30, 0x00]);
        assert!(n.empty);
        assert_eq!(n.display, "");
    }
}
