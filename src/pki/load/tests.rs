use rcgen::KeyPair;

use crate::pki::load::pem::ToPem;
use crate::secret::PasswordSource;

use super::test_support::{Kit, PASSWORD, certs, chain, export_p12, key, no_password, self_signed};
use super::{LoadProblem, MAX_INPUT_BYTES, parse_certificates, parse_private_key};

#[test]
fn empty_and_blank_files_are_empty() {
    let kit = Kit::new();
    for (name, content) in [("empty.pem", ""), ("blank.pem", "\n  \r\n")] {
        let err = certs(&kit.write(name, content), &PasswordSource::None).unwrap_err();
        assert!(matches!(err.problem, LoadProblem::Empty), "{err:?}");
        assert!(err.to_string().ends_with(&format!("{name}: is empty")));
    }
}

#[test]
fn directory_is_refused() {
    let kit = Kit::new();
    let err = certs(kit.dir.path(), &PasswordSource::None).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::IsDirectory));
    assert!(err.to_string().ends_with("is a directory, not a file"));
    let err = key(kit.dir.path(), &PasswordSource::None).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::IsDirectory));
}

#[test]
fn missing_file_gives_the_os_reason() {
    let kit = Kit::new();
    let path = kit.path("nope.pem");
    let err = certs(&path, &PasswordSource::None).unwrap_err();
    let LoadProblem::Io(io) = &err.problem else {
        panic!("expected Io, got {err:?}");
    };
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}: cannot read: ", path.display())),
        "{text}"
    );
    #[cfg(unix)]
    assert!(text.contains("No such file or directory"), "{text}");
}

#[test]
fn file_over_the_cap_is_refused_without_reading_it() {
    let kit = Kit::new();
    let path = kit.path("huge.bin");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(100 * 1024 * 1024).unwrap();
    drop(file);
    let started = std::time::Instant::now();
    let err = certs(&path, &PasswordSource::None).unwrap_err();
    // The exact size can only come from the metadata: nothing was read.
    assert!(
        matches!(
            err.problem,
            LoadProblem::TooLarge {
                size: Some(104_857_600)
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("is 104857600 bytes, larger than any certificate or key file (limit 16 MiB)")
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let err = key(&path, &PasswordSource::None).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::TooLarge { .. }));
}

#[test]
fn in_memory_input_over_the_cap_is_refused() {
    let bytes = vec![0u8; MAX_INPUT_BYTES as usize + 1];
    let err = parse_certificates("mem", &bytes, &PasswordSource::None).unwrap_err();
    assert!(matches!(err.problem, LoadProblem::TooLarge { .. }));
    assert_eq!(err.path, "mem");
}

#[test]
fn debug_of_private_key_shows_origin_only() {
    let pair = KeyPair::generate().unwrap();
    let pem = pair.to_pem();
    let loaded = parse_private_key("k.pem", pem.as_bytes(), &PasswordSource::None).unwrap();
    let debug = format!("{loaded:?}");
    assert_eq!(debug, "PrivateKey { origin: Pkcs8, .. }");
    let file = parse_certificates(
        "b.pem",
        format!("{}{pem}", self_signed(&pair, "x.test").to_pem()).as_bytes(),
        &PasswordSource::None,
    )
    .unwrap();
    assert!(format!("{file:?}").contains("PrivateKey { origin: Pkcs8, .. }"));
}

#[test]
fn messages_never_contain_the_password_or_key_material() {
    let kit = Kit::new();
    let chain = chain();
    let key_pem = chain.leaf_key.to_pem();
    kit.write("k.pem", &key_pem);
    kit.openssl(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        "k.pem",
        "-out",
        "enc.pem",
        "-passout",
        "env:TILI_PW",
    ]);
    let p12 = export_p12(&kit, &chain, "s.p12", &["-passout", "env:TILI_PW"]);
    // Passwords that are wrong but look like the real one, and sources that fail.
    let near = PasswordSource::File(kit.write("near.txt", format!("{PASSWORD}x\n")));
    let mut broken_key = key_pem.clone().into_bytes();
    let mid = broken_key.len() / 2;
    broken_key[mid] = b'#';
    let mut messages = Vec::new();
    for source in [&near, &kit.wrong_password(), &no_password()] {
        messages.push(certs(&p12, source).unwrap_err());
        messages.push(key(&p12, source).map(|_| ()).unwrap_err());
        messages.push(key(&kit.path("enc.pem"), source).map(|_| ()).unwrap_err());
    }
    messages.push(
        key(&kit.write("broken.pem", &broken_key), &near)
            .map(|_| ())
            .unwrap_err(),
    );
    messages.push(
        key(&kit.write("cut.pem", &key_pem[..key_pem.len() / 2]), &near)
            .map(|_| ())
            .unwrap_err(),
    );
    messages.push(certs(&kit.path("k.pem"), &near).unwrap_err());
    let secret_lines: Vec<&str> = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .collect();
    assert!(!secret_lines.is_empty());
    for err in &messages {
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(PASSWORD), "password in: {text}");
            for line in &secret_lines {
                assert!(!text.contains(&line[..16]), "key material in: {text}");
            }
        }
    }
}
