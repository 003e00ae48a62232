//! Versions, suites and key exchange a register must or must not offer: TLS 1.2-only
//! refusals, legacy versions, static RSA, weak DHE, TLS 1.3 orders, the legacy cascade.

use super::*;

#[test]
fn tls12_only_rejection_fails_in_the_handshake() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = compliant(dir.path(), &["-no_tls1_3"], false);
    crate::support::openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "self.key",
            "-out",
            "self.pem",
            "-subj",
            "/CN=stranger",
            "-days",
            "30",
        ],
        dir.path(),
        &[],
    );
    let (_, report) = run_json(&[
        "tls",
        &server.endpoint(),
        "--cert",
        dir.path().join("self.pem").to_str().unwrap(),
        "--key",
        dir.path().join("self.key").to_str().unwrap(),
    ]);
    let (st, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(st, "fail", "{detail}");
    assert!(
        detail.contains("refused CN=stranger in the handshake"),
        "{detail}"
    );
}

#[test]
fn legacy_versions_and_static_rsa_fail() {
    let server = OpensslServer::start(&[
        "-serverpref",
        "-cipher",
        "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        "-ciphersuites",
        "TLS_AES_128_GCM_SHA256",
    ]);
    let facts = probe(&target(server.port)).expect("probe");
    assert_eq!(suites(&facts, Version::Tls13), set(&[0x1301]));
    assert_eq!(suites(&facts, Version::Tls12), set(&[0x002f, 0xc02f]));
    // -serverpref: the server's own order, weakest first as configured.
    let tls12 = facts
        .versions
        .iter()
        .find(|v| v.version == Version::Tls12)
        .unwrap();
    assert_eq!(tls12.suites, vec![0x002f, 0xc02f]);
    assert_eq!(tls12.server_order, Some(true));
    assert_eq!(suites(&facts, Version::Tls11), set(&[0x002f]));
    assert_eq!(suites(&facts, Version::Tls10), set(&[0x002f]));
    assert!(suites(&facts, Version::Ssl3).is_empty());

    let (code, report) = run_json(&["tls", &server.endpoint()]);
    let (st, detail) = status(&report, "TLS-VERSION");
    assert_eq!(st, "fail");
    assert!(detail.contains("TLS 1.1, TLS 1.0"), "{detail}");
    let (st, detail) = status(&report, "TLS-FS");
    assert_eq!(st, "fail");
    assert!(
        detail.contains("TLS_RSA_WITH_AES_128_CBC_SHA (RSA key exchange)"),
        "{detail}"
    );
    let (st, detail) = status(&report, "TLS-STRENGTH");
    assert_eq!(st, "fail");
    assert!(
        detail.contains("not AEAD") && detail.contains("160-bit hash"),
        "{detail}"
    );
    // No client certificate is asked for here.
    assert_eq!(status(&report, "TLS-MUTUAL").0, "fail");
    assert_eq!(code, 1);
}

#[test]
fn dhe_2048_fails_strength() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dh = dh_params(dir.path(), 2048);
    let server = OpensslServer::start(&[
        "-tls1_2",
        "-cipher",
        "DHE-RSA-AES256-GCM-SHA384",
        "-dhparam",
        &dh,
    ]);
    let facts = probe(&target(server.port)).expect("probe");
    assert_eq!(suites(&facts, Version::Tls12), set(&[0x009f]));
    assert!(suites(&facts, Version::Tls13).is_empty());
    assert_eq!(facts.key_exchanges.len(), 1);
    assert_eq!(
        facts.exchange_of(Version::Tls12, 0x009f),
        Some(Exchange::Dh {
            bits: 2048,
            name: tilicheck::tls::dh::DhName::Ffdhe(2048)
        })
    );

    let (_, report) = run_json(&["tls", &server.endpoint()]);
    assert_eq!(status(&report, "TLS-VERSION").0, "pass");
    assert_eq!(status(&report, "TLS-FS").0, "pass");
    let (st, detail) = status(&report, "TLS-STRENGTH");
    assert_eq!(st, "fail");
    assert!(
        detail.contains("2048-bit DH prime (minimum 3072)"),
        "{detail}"
    );
}

#[test]
fn no_client_certificate_request_fails_mutual() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = compliant(dir.path(), &[], true);
    let facts = probe(&target(server.port)).expect("probe");
    assert_eq!(facts.cert_request, None);
    let (code, report) = run_json(&[
        "tls",
        &server.endpoint(),
        "--cert",
        "supplier-chain.pem",
        "--key",
        "supplier.key",
    ]);
    let (st, detail) = status(&report, "TLS-MUTUAL");
    assert_eq!(st, "fail");
    assert!(
        detail.contains("does not ask for a client certificate"),
        "{detail}"
    );
    assert_eq!(code, 1);
}

/// TLS 1.3 orders come from the eliminations' second rounds (the other list offered with its
/// first choice last); s_server's flags are the oracle: -serverpref makes it follow its own
/// -ciphersuites order, without it the client's; its HelloRetryRequest group is its own.
#[test]
fn tls13_orders_follow_serverpref() {
    let orders = |extra: &[&str]| {
        let mut opts = vec![
            "-ciphersuites",
            "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
            "-groups",
            "P-256:X25519",
        ];
        opts.extend_from_slice(extra);
        let server = OpensslServer::start(&opts);
        let facts = probe(&target(server.port)).expect("probe");
        let tls13 = facts
            .versions
            .iter()
            .find(|v| v.version == Version::Tls13)
            .expect("TLS 1.3")
            .clone();
        let groups = facts.groups_of(Version::Tls13).expect("groups").clone();
        // Every TLS 1.3 suite has its key exchange, the reordered round's included.
        for suite in &tls13.suites {
            assert_eq!(
                facts.exchange_of(Version::Tls13, *suite),
                Some(Exchange::Group(groups.groups[0])),
                "{suite:04x}"
            );
        }
        (
            tls13.suites,
            tls13.server_order,
            groups.groups,
            groups.server_order,
        )
    };
    let (suites, order, groups, group_order) = orders(&["-serverpref"]);
    assert_eq!(suites, vec![0x1302, 0x1301]);
    assert_eq!(order, Some(true));
    assert_eq!(groups, vec![0x0017, 0x001d]);
    assert_eq!(group_order, Some(true));
    let (suites, order, groups, group_order) = orders(&[]);
    assert_eq!(suites, vec![0x1301, 0x1302]);
    assert_eq!(order, Some(false));
    assert_eq!(groups, vec![0x0017, 0x001d]);
    assert_eq!(group_order, Some(true));
}

/// The older versions are asked newest first, each hello standing for the older ones too: a
/// TLS 1.0 answer to the TLS 1.1 hello is TLS 1.0's first round, and a refusal of the TLS 1.1
/// hello ends the cascade (one connection for a register that speaks none of them).
#[test]
fn legacy_cascade_finds_a_gap_and_stops_at_a_refusal() {
    let server = OpensslServer::start(&[
        "-no_tls1_1",
        "-cipher",
        "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
    ]);
    let facts = probe(&target(server.port)).expect("probe");
    assert!(suites(&facts, Version::Tls11).is_empty());
    assert_eq!(suites(&facts, Version::Tls10), set(&[0x002f]));
    assert!(suites(&facts, Version::Ssl3).is_empty());
    for v in [Version::Tls11, Version::Tls10, Version::Ssl3] {
        let facts = facts
            .versions
            .iter()
            .find(|f| f.version == v)
            .expect("version");
        assert_eq!(facts.error, None, "{v}");
    }
    // The same facts as openssl's own client finds: TLS 1.0 answers, TLS 1.1 does not.
    let connects = |flag: &str| {
        std::process::Command::new("openssl")
            .args(["s_client", "-connect", &server.endpoint(), flag])
            .args(["-cipher", "AES128-SHA:@SECLEVEL=0"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("openssl s_client")
            .status
            .success()
    };
    assert!(connects("-tls1"));
    assert!(!connects("-tls1_1"));
}

#[test]
fn tls13_only() {
    let server = OpensslServer::start(&["-tls1_3"]);
    let facts = probe(&target(server.port)).expect("probe");
    assert_eq!(
        suites(&facts, Version::Tls13),
        set(&[0x1301, 0x1302, 0x1303])
    );
    for v in [
        Version::Tls12,
        Version::Tls11,
        Version::Tls10,
        Version::Ssl3,
    ] {
        assert!(suites(&facts, v).is_empty(), "{v}");
    }
    let tls13 = groups(&facts, Version::Tls13);
    assert!(
        tls13.contains(&0x001d) && tls13.contains(&0x0017),
        "{tls13:?}"
    );
    assert!(facts.groups_of(Version::Tls12).is_none());
    let (_, report) = run_json(&["tls", &server.endpoint()]);
    assert_eq!(
        status(&report, "TLS-VERSION"),
        ("pass", "accepts only TLS 1.3")
    );
}
