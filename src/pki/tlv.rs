//! One TLV read by hand, for the places that must look inside a certificate or CRL that a
//! strict decoder would refuse: BER lengths are tolerated (up to four length octets), tags
//! are single bytes, which is all certificates and CRLs use.

/// One TLV: its tag byte, the whole encoding, the contents, and what follows it.
pub type Tlv<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

/// The first TLV of `input`; None when it is cut short or its length cannot be read.
pub fn read(input: &[u8]) -> Option<Tlv<'_>> {
    let (tag, header, len) = header(input)?;
    let whole = input.get(..header.checked_add(len)?)?;
    Some((tag, whole, &whole[header..], &input[whole.len()..]))
}

/// The first TLV's tag, header size and announced content length, whether or not the contents
/// are all there (to tell a file cut short from one that is not DER at all).
pub fn header(input: &[u8]) -> Option<(u8, usize, usize)> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if first < 0x80 {
        return Some((tag, 2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 || rest.len() < n {
        return None;
    }
    let len = rest[..n]
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Some((tag, 2 + n, len))
}

#[cfg(test)]
mod tests {
    use super::{header, read};

    #[test]
    fn short_and_long_lengths_and_what_is_cut_short() {
        assert_eq!(
            read(b"\x04\x02ab-"),
            Some((4, &b"\x04\x02ab"[..], &b"ab"[..], &b"-"[..]))
        );
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        let (tag, whole, contents, rest) = read(&long).expect("long form");
        assert_eq!(
            (tag, whole.len(), contents.len(), rest.len()),
            (4, 0x83, 0x80, 0)
        );
        assert_eq!(read(b"\x04\x03ab"), None, "contents cut short");
        assert_eq!(read(b"\x04\x80ab"), None, "indefinite length");
        assert_eq!(
            read(b"\x04\x85\x01\x00\x00\x00\x00"),
            None,
            "more than four length octets"
        );
        assert_eq!(read(b"\x04"), None);
        assert_eq!(
            header(b"\x30\x82\x01\x00"),
            Some((0x30, 4, 256)),
            "announced, not present"
        );
    }
}
