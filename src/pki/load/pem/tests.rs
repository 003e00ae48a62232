use rcgen::{CertificateParams, KeyPair};

use crate::pki::load::pem::{self, ToPem};
use crate::pki::load::test_support::{Kit, rsa_key, self_signed};
use crate::pki::load::{LoadProblem, PemDefect, parse_certificates};
use crate::secret::PasswordSource;

#[test]
fn truncated_pem_says_so() {
    let key = KeyPair::generate().unwrap();
    let pem = self_signed(&key, "x.test").to_pem();
    let cut = &pem.as_bytes()[..pem.len() / 2];
    let err = parse_certificates("cut.pem", cut, &PasswordSource::None).unwrap_err();
    assert!(
        matches!(
            err.problem,
            LoadProblem::BadPem {
                line: 1,
                defect: PemDefect::Truncated,
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("PEM block 'CERTIFICATE' starting at line 1 is corrupt"),
        "{text}"
    );
    assert!(text.contains("truncated"), "{text}");
}

#[test]
fn broken_base64_line_is_named() {
    let key = KeyPair::generate().unwrap();
    let pem = self_signed(&key, "x.test").to_pem();
    let mut lines: Vec<String> = pem.lines().map(str::to_owned).collect();
    lines[4].replace_range(10..11, "*");
    let broken = lines.join("\n");
    let err = parse_certificates("b.pem", broken.as_bytes(), &PasswordSource::None).unwrap_err();
    assert!(
        matches!(
            err.problem,
            LoadProblem::BadPem {
                defect: PemDefect::BadCharacter {
                    line: 5,
                    column: 11,
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("line 5 is not base64: '*' at column 11")
    );
}

#[test]
fn shortened_base64_line_is_named() {
    let key = KeyPair::generate().unwrap();
    let pem = self_signed(&key, "x.test").to_pem();
    let mut lines: Vec<String> = pem.lines().map(str::to_owned).collect();
    lines[3].remove(20);
    let broken = lines.join("\n");
    let err = parse_certificates("s.pem", broken.as_bytes(), &PasswordSource::None).unwrap_err();
    assert!(
        matches!(
            err.problem,
            LoadProblem::BadPem {
                defect: PemDefect::BadLength { line: 4 },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("line 4 has the wrong number of base64 characters")
    );
}

#[test]
fn mismatched_end_and_missing_end_before_begin() {
    let key = KeyPair::generate().unwrap();
    let pem = self_signed(&key, "x.test").to_pem();
    let wrong_end = pem.replace("END CERTIFICATE", "END PRIVATE KEY");
    let err = parse_certificates("e.pem", wrong_end.as_bytes(), &PasswordSource::None).unwrap_err();
    assert!(matches!(
        err.problem,
        LoadProblem::BadPem {
            defect: PemDefect::MismatchedEnd { .. },
            ..
        }
    ));
    assert!(err.to_string().contains("is for 'PRIVATE KEY'"));
    let no_end = format!("{}{pem}", pem.replace("-----END CERTIFICATE-----\n", ""));
    let err = parse_certificates("n.pem", no_end.as_bytes(), &PasswordSource::None).unwrap_err();
    assert!(matches!(
        err.problem,
        LoadProblem::BadPem {
            defect: PemDefect::NoEndBeforeBegin { .. },
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("no END line before the next BEGIN")
    );
}

/// OpenSSL reads `der` with `openssl <command> -inform DER` and writes it as DER and as PEM; our
/// PEM of its DER must be its PEM, byte for byte.
fn openssl_writes_what_we_write(command: &[&str], label: &str, der: &[u8]) -> String {
    let kit = Kit::new();
    kit.write("in.der", der);
    let from_der = ["-inform", "DER", "-in", "in.der"];
    kit.openssl(&[command, &from_der, &["-outform", "DER", "-out", "out.der"]].concat());
    kit.openssl(&[command, &from_der, &["-outform", "PEM", "-out", "out.pem"]].concat());
    let theirs = String::from_utf8(kit.read("out.pem")).unwrap();
    assert_eq!(
        pem::encode(label, &kit.read("out.der")),
        theirs,
        "{command:?}"
    );
    theirs
}

#[test]
fn the_writer_matches_openssl() {
    let key = KeyPair::generate().unwrap();
    let cert = self_signed(&key, "x.test");
    // x509 keeps the certificate's own encoding, so rcgen's certificate comes back as it was.
    let theirs = openssl_writes_what_we_write(&["x509"], "CERTIFICATE", cert.der());
    assert_eq!(cert.to_pem(), theirs);
    let rsa = rsa_key();
    // `pkcs8 -topk8`, as `pkey -outform DER` writes RSA keys as PKCS#1.
    let pkcs8 = ["pkcs8", "-topk8", "-nocrypt"];
    let theirs = openssl_writes_what_we_write(&pkcs8, "PRIVATE KEY", &rsa.serialize_der());
    assert_eq!(rsa.to_pem(), theirs);
    let csr = CertificateParams::new(vec!["x.test".to_owned()])
        .unwrap()
        .serialize_request(&key)
        .unwrap();
    openssl_writes_what_we_write(&["req"], "CERTIFICATE REQUEST", csr.der());
}

#[test]
fn the_writer_wraps_at_64_and_reads_back() {
    for len in [1usize, 47, 48, 49, 96, 1000] {
        let der: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        let text = pem::encode("TEST DATA", &der);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN TEST DATA-----");
        assert_eq!(lines[lines.len() - 1], "-----END TEST DATA-----");
        assert!(text.ends_with("-----\n") && !text.contains('\r'));
        let body = &lines[1..lines.len() - 1];
        assert_eq!(body.len(), len.div_ceil(48), "{len} bytes");
        let (last, full) = body.split_last().unwrap();
        assert!(full.iter().all(|l| l.len() == 64), "{len} bytes");
        assert!(!last.is_empty() && last.len() <= 64, "{len} bytes");
        let blocks = super::scan_pem(text.as_bytes()).unwrap();
        assert_eq!((blocks.len(), blocks[0].label.as_str()), (1, "TEST DATA"));
        assert_eq!(&blocks[0].der[..], &der[..]);
    }
}

#[test]
fn keys_written_as_pkcs8_load_back() {
    let key = rsa_key();
    let loaded = crate::pki::load::parse_private_key(
        "k.pem",
        key.to_pem().as_bytes(),
        &PasswordSource::None,
    )
    .unwrap();
    assert_eq!(loaded.der.secret_der(), &key.serialize_der()[..]);
}

/// The committed DEMO fixtures were written by rcgen's PEM writer; ours writes the same bytes, so
/// regenerating them changes nothing but the keys and signatures.
#[test]
fn the_writer_rewrites_the_committed_fixtures_unchanged() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pki");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("pem" | "key")
        ) {
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        let blocks = super::scan_pem(&text).unwrap();
        let ours: String = blocks
            .iter()
            .map(|b| pem::encode(&b.label, &b.der))
            .collect();
        assert_eq!(ours.as_bytes(), &text[..], "{}", path.display());
        checked += 1;
    }
    assert!(checked > 40, "only {checked} fixtures");
}
