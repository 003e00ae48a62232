use super::*;
use crate::findings::Status;
use crate::profile::V3;
use crate::tls::facts::{
    CertRequestFacts, HttpFacts, KeyExchangeFacts, ProbeFacts, Version, VersionFacts,
};

fn probe(versions: &[(Version, &[u16])]) -> ProbeFacts {
    ProbeFacts {
        versions: versions
            .iter()
            .map(|(v, s)| VersionFacts {
                version: *v,
                suites: s.to_vec(),
                server_order: None,
                error: None,
            })
            .collect(),
        groups: vec![0x001d, 0x0017],
        groups_from: Some(Version::Tls13),
        groups_error: None,
        key_exchanges: Vec::new(),
        cert_request: None,
        chain: Vec::new(),
        connections: 0,
    }
}

fn handshake(outcome: HandshakeOutcome, http: Option<&str>, client: bool) -> HandshakeFacts {
    HandshakeFacts {
        client_cert: client.then(|| "CN=supplier".to_owned()),
        client_chain_len: 2,
        version: Some("TLS 1.3".into()),
        suite: Some("TLS13_AES_256_GCM_SHA384".into()),
        group: Some("X25519".into()),
        cert_requested: false,
        ca_hints: Vec::new(),
        outcome,
        http: http.map(|v| HttpFacts {
            version: v.into(),
            status: 200,
        }),
        chain: Vec::new(),
        trust: None,
    }
}

#[test]
fn version_fails_on_tls10_and_passes_on_modern_only() {
    let f = check_version(
        &probe(&[(Version::Tls12, &[0xc02f]), (Version::Tls10, &[0x002f])]),
        &V3,
    );
    assert_eq!(f.status, Status::Fail);
    assert!(f.detail.contains("TLS 1.0"));
    let f = check_version(
        &probe(&[(Version::Tls13, &[0x1301]), (Version::Tls12, &[0xc02f])]),
        &V3,
    );
    assert_eq!(f.status, Status::Pass);
    let f = check_version(&probe(&[(Version::Tls12, &[])]), &V3);
    assert_eq!(f.status, Status::Error);
}

#[test]
fn version_is_error_when_an_old_version_could_not_be_probed() {
    let mut p = probe(&[(Version::Tls12, &[0xc02f]), (Version::Tls10, &[])]);
    p.versions[1].error = Some("network error".into());
    assert_eq!(check_version(&p, &V3).status, Status::Error);
}

#[test]
fn forward_secrecy_names_static_and_anonymous_suites() {
    let f = check_forward_secrecy(&probe(&[(Version::Tls12, &[0xc030, 0x009c, 0x00a6])]));
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.detail
            .contains("TLS_RSA_WITH_AES_128_GCM_SHA256 (RSA key exchange)"),
        "{}",
        f.detail
    );
    assert!(f.detail.contains("anonymous"), "{}", f.detail);
    assert_eq!(
        check_forward_secrecy(&probe(&[(Version::Tls13, &[0x1301])])).status,
        Status::Pass
    );
}

#[test]
fn strength_checks_cipher_mac_dh_and_groups() {
    let p = probe(&[
        (Version::Tls13, &[0x1301, 0x1302]),
        (Version::Tls12, &[0xc030, 0x009f]),
    ]);
    let mut ok = p.clone();
    ok.key_exchanges = vec![KeyExchangeFacts {
        version: Version::Tls12,
        suite: 0x009f,
        dh_bits: Some(3072),
        curve: None,
    }];
    let f = check_strength(&ok, &V3);
    assert_eq!(f.status, Status::Pass, "{}", f.detail);
    assert!(
        f.assumption
            .as_deref()
            .unwrap_or_default()
            .contains("Traficom")
    );

    let mut weak = ok.clone();
    weak.key_exchanges[0].dh_bits = Some(2048);
    weak.groups.push(0x0100);
    weak.groups.push(0x0015);
    weak.versions[1].suites.push(0xc013); // ECDHE-RSA-AES128-SHA: CBC, SHA-1
    weak.versions[1].suites.push(0x000a); // 3DES
    let f = check_strength(&weak, &V3);
    assert_eq!(f.status, Status::Fail);
    for needle in [
        "2048-bit DH prime",
        "group ffdhe2048: 2048 bits",
        "group secp224r1: 224 bits",
        "not AEAD",
        "160-bit hash",
        "112-bit 3DES key",
    ] {
        assert!(f.detail.contains(needle), "{needle} in {}", f.detail);
    }
    assert!(f.assumption.is_some());
}

#[test]
fn mutual_tls_outcomes() {
    let base = EndpointFacts {
        endpoint: "h:443".into(),
        probe: probe(&[(Version::Tls13, &[0x1301])]),
        handshake: handshake(HandshakeOutcome::Completed, Some("HTTP/1.1"), true),
    };
    // Never asked: fail, whatever the handshake did.
    assert_eq!(check_mutual(&base).status, Status::Fail);

    let mut asked = base.clone();
    asked.probe.cert_request = Some(CertRequestFacts {
        ca_names: vec!["CN=Root".into()],
    });
    let f = check_mutual(&asked);
    assert_eq!(f.status, Status::Pass, "{}", f.detail);

    let mut rejected = asked.clone();
    rejected.handshake.outcome = HandshakeOutcome::RejectedAfterHandshake(
        "the server sent alert CertificateRequired".into(),
    );
    let f = check_mutual(&rejected);
    assert_eq!(f.status, Status::Fail);
    assert!(f.detail.contains("CN=Root"));

    let mut leaf_only = rejected.clone();
    leaf_only.handshake.client_chain_len = 1;
    assert!(
        check_mutual(&leaf_only)
            .remedy()
            .unwrap()
            .contains("intermediate")
    );
    assert!(
        !check_mutual(&rejected)
            .remedy()
            .unwrap()
            .contains("intermediate")
    );

    let mut no_cert = asked.clone();
    no_cert.handshake.client_cert = None;
    assert_eq!(check_mutual(&no_cert).status, Status::Skip);

    let mut tls13_only = base.clone();
    tls13_only.handshake.cert_requested = true;
    tls13_only.handshake.ca_hints = vec!["CN=Hint".into()];
    assert_eq!(check_mutual(&tls13_only).status, Status::Pass);
}

#[test]
fn http_version() {
    let h = handshake(HandshakeOutcome::Completed, Some("HTTP/1.1"), true);
    assert_eq!(check_http(&h).status, Status::Pass);
    let h = handshake(HandshakeOutcome::Completed, Some("HTTP/1.0"), true);
    assert_eq!(check_http(&h).status, Status::Fail);
    let h = handshake(HandshakeOutcome::HttpFailed("closed".into()), None, true);
    assert_eq!(check_http(&h).status, Status::Error);
    let h = handshake(
        HandshakeOutcome::FailedInHandshake("alert".into()),
        None,
        true,
    );
    assert_eq!(check_http(&h).status, Status::Skip);
}
