use rcgen::KeyPair;

use crate::pki::load::test_support::self_signed;
use crate::pki::load::{LoadProblem, PemDefect, parse_certificates};
use crate::secret::PasswordSource;

#[test]
fn truncated_pem_says_so() {
    let key = KeyPair::generate().unwrap();
    let pem = self_signed(&key, "x.test").pem();
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
    let pem = self_signed(&key, "x.test").pem();
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
    let pem = self_signed(&key, "x.test").pem();
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
    let pem = self_signed(&key, "x.test").pem();
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
