use rcgen::KeyPair;

use crate::pki::load::pem::ToPem;
use crate::pki::load::test_support::{Kit, certs, key, self_signed};
use crate::pki::load::{FileFormat, LoadProblem, parse_certificates};
use crate::secret::PasswordSource;

#[test]
fn garbage_is_unrecognised() {
    let kit = Kit::new();
    let path = kit.write("g.crt", "hello, this is not a certificate\n\x01\x02\x03");
    let err = certs(&path, &PasswordSource::None).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::Unrecognised));
    assert!(
        err.to_string()
            .ends_with("is neither PEM nor DER: no certificate or key found")
    );
    let err = key(&path, &PasswordSource::None).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::Unrecognised));
}

#[test]
fn utf16_pem_gets_a_hint() {
    let key = KeyPair::generate().unwrap();
    let pem = self_signed(&key, "x.test").to_pem();
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(pem.encode_utf16().flat_map(u16::to_le_bytes));
    let err = parse_certificates("w.pem", &utf16, &PasswordSource::None).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::Utf16), "{err:?}");
    assert!(err.to_string().contains("save it again as UTF-8 or ASCII"));
}

#[test]
fn der_holding_begin_text_is_still_der() {
    // A certificate whose name contains "-----BEGIN" is one DER structure, not PEM.
    let key = KeyPair::generate().unwrap();
    let cert = self_signed(&key, "-----BEGIN.x.test");
    let file = parse_certificates("b.der", cert.der(), &PasswordSource::None).unwrap();
    assert_eq!(file.format, FileFormat::Der);
}

/// A fixed xorshift stream: random-looking and the same on every run.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn a_megabyte_of_random_bytes_is_unrecognised() {
    let kit = Kit::new();
    let mut bytes = noise(1024 * 1024);
    if bytes[0] == 0x30 {
        bytes[0] = 0x31;
    }
    let path = kit.write("random.bin", &bytes);
    for err in [
        certs(&path, &PasswordSource::None).unwrap_err(),
        key(&path, &PasswordSource::None).map(|_| ()).unwrap_err(),
    ] {
        assert!(matches!(err.problem, LoadProblem::Unrecognised), "{err:?}");
    }
    // Random bytes behind a DER SEQUENCE header go through every DER parser, and fail cleanly.
    bytes[..4].copy_from_slice(&[0x30, 0x83, 0x0f, 0xff]);
    let path = kit.write("random.der", &bytes);
    for err in [
        certs(&path, &PasswordSource::None).unwrap_err(),
        key(&path, &PasswordSource::None).map(|_| ()).unwrap_err(),
    ] {
        assert!(matches!(err.problem, LoadProblem::Unrecognised), "{err:?}");
    }
}
