//! What a DER file holds when it is not what was asked for, and why a damaged one does not
//! parse, in the words of someone who handles certificates rather than of an ASN.1 parser.

use der::Decode;
use der::asn1::{AnyRef, ObjectIdentifier, UintRef};

/// What `bytes` (one DER structure) is, among the PKI files people mix up, in words that
/// follow "holds": "holds an OCSP response, not a certificate". Private keys and PKCS#12
/// stores are told apart by their own readers.
pub(super) fn der_holds(bytes: &[u8]) -> Option<&'static str> {
    if x509_cert::crl::CertificateList::from_der(bytes).is_ok() {
        return Some("a certificate revocation list (CRL)");
    }
    if x509_ocsp::OcspResponse::from_der(bytes).is_ok() {
        return Some("an OCSP response");
    }
    if x509_ocsp::OcspRequest::from_der(bytes).is_ok() {
        return Some("an OCSP request");
    }
    if x509_cert::request::CertReq::from_der(bytes).is_ok() {
        return Some("a certificate signing request (CSR)");
    }
    if spki::SubjectPublicKeyInfoRef::from_der(bytes).is_ok() {
        return Some("a public key");
    }
    if RsaPublicKey::from_der(bytes).is_ok() {
        return Some("an RSA public key (PKCS#1)");
    }
    if ContentInfo::from_der(bytes).is_ok_and(|c| c.content_type == SIGNED_DATA) {
        return Some(
            "a PKCS#7 bundle (extract its certificates with `openssl pkcs7 -inform DER -print_certs -in FILE`)",
        );
    }
    None
}

/// When `bytes` starts a DER structure whose announced length runs past the end of the
/// data: (announced total, present).
pub(super) fn truncated_der(bytes: &[u8]) -> Option<(usize, usize)> {
    let (0x30, header, length) = crate::pki::tlv::header(bytes)? else {
        return None;
    };
    let total = header.checked_add(length)?;
    (total > bytes.len()).then_some((total, bytes.len()))
}

/// x509-parser's error for a certificate, in words.
pub(super) fn x509_reason(err: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> String {
    use x509_parser::error::X509Error as X;
    use x509_parser::nom::Err;
    let e = match err {
        Err::Incomplete(_) => return CUT_SHORT.to_owned(),
        Err::Error(e) | Err::Failure(e) => e,
    };
    match e {
        X::Der(ber) => ber_reason(ber),
        X::NomError(kind) if *kind == x509_parser::nom::error::ErrorKind::Eof => {
            CUT_SHORT.to_owned()
        }
        X::NomError(_) | X::Generic | X::InvalidCertificate | X::InvalidTbsCertificate => {
            "its structure is not that of an X.509 certificate".to_owned()
        }
        X::InvalidVersion => "its version field is not 1, 2 or 3".to_owned(),
        X::InvalidSerial => "its serial number is malformed".to_owned(),
        X::InvalidAlgorithmIdentifier => "its signature algorithm field is malformed".to_owned(),
        X::InvalidX509Name => "its subject or issuer name is malformed".to_owned(),
        X::InvalidDate => "its validity dates are malformed".to_owned(),
        X::InvalidSPKI => "its public key field is malformed".to_owned(),
        X::InvalidExtensions => "its extensions are malformed".to_owned(),
        X::DuplicateExtensions => "it carries the same extension twice".to_owned(),
        X::InvalidSignatureValue => "its signature field is malformed".to_owned(),
        other => format!("it is malformed ({other})"),
    }
}

const CUT_SHORT: &str = "the data ends before the certificate does (the file is cut short)";

fn ber_reason(e: &x509_parser::der_parser::error::BerError) -> String {
    use x509_parser::der_parser::error::BerError as B;
    match e {
        B::Incomplete(_) => CUT_SHORT.to_owned(),
        B::NomError(kind) if *kind == x509_parser::nom::error::ErrorKind::Eof => {
            CUT_SHORT.to_owned()
        }
        B::UnexpectedTag { expected, actual } => match expected {
            Some(expected) => format!(
                "it has {} where a certificate has {}: it is something else, or damaged",
                tag_name(actual.0),
                tag_name(expected.0)
            ),
            None => format!(
                "it has {} where a certificate has none: it is something else, or damaged",
                tag_name(actual.0)
            ),
        },
        B::InvalidLength => "a length inside it is wrong (the file is damaged)".to_owned(),
        B::IndefiniteLengthUnexpected => {
            "it uses BER indefinite lengths, which DER does not allow".to_owned()
        }
        B::DerConstraintFailed(_) => "it is BER, not the DER that certificates must be".to_owned(),
        B::StringInvalidCharset => {
            "a text field holds characters its type does not allow".to_owned()
        }
        B::InvalidDateTime => "a date in it is malformed".to_owned(),
        _ => "its structure is not that of an X.509 certificate (the file is damaged)".to_owned(),
    }
}

/// An ASN.1 universal tag in words.
fn tag_name(tag: u32) -> String {
    match tag {
        1 => "a boolean".into(),
        2 => "an integer".into(),
        3 => "a bit string".into(),
        4 => "an octet string".into(),
        5 => "a null".into(),
        6 => "an object identifier".into(),
        12 | 19 | 20 | 22 | 26 | 30 => "a text string".into(),
        16 => "a sequence".into(),
        17 => "a set".into(),
        23 => "a UTCTime date".into(),
        24 => "a GeneralizedTime date".into(),
        n => format!("a field of type {n}"),
    }
}

const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");

/// RFC 8017 RSAPublicKey.
#[derive(der::Sequence)]
struct RsaPublicKey<'a> {
    #[allow(dead_code)]
    modulus: UintRef<'a>,
    #[allow(dead_code)]
    exponent: UintRef<'a>,
}

#[derive(der::Sequence)]
struct ContentInfo<'a> {
    content_type: ObjectIdentifier,
    #[allow(dead_code)]
    #[asn1(context_specific = "0", optional = "true")]
    content: Option<AnyRef<'a>>,
}
