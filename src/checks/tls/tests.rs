use super::*;
use crate::findings::Status;
use crate::profile::V3;
use crate::tls::facts::{
    Alert, CertRequestFacts, Exchange, GroupFacts, HttpFacts, KeyExchangeFacts, ProbeFacts,
    Version, VersionFacts,
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
        groups: vec![GroupFacts {
            version: Version::Tls13,
            groups: vec![0x001d, 0x0017],
            server_order: Some(true),
            error: None,
        }],
        key_exchanges: Vec::new(),
        cert_request: None,
        chain: Vec::new(),
        connections: 0,
    }
}

fn handshake(outcome: HandshakeOutcome, http: Option<&str>, client: bool) -> HandshakeFacts {
    HandshakeFacts {
        offered: if client {
            Offered::Supplier {
                subject: "CN=supplier".to_owned(),
                chain_len: 2,
            }
        } else {
            Offered::Nothing
        },
        version: Some(Version::Tls13),
        suite: Some("TLS_AES_256_GCM_SHA384".into()),
        group: Some("x25519".into()),
        cert_requested: false,
        ca_hints: Vec::new(),
        outcome,
        http: http.map(|v| HttpFacts {
            status_line: format!("{v} 200 OK"),
            version: v.into(),
            status: 200,
            refusal: None,
        }),
        chain: Vec::new(),
        trust: None,
        ocsp_stapled: false,
        connections: 1,
    }
}

/// A handshake the server refused after it finished (TLS 1.3), with `alert`.
fn refused(offered: Offered, alert: u8) -> HandshakeFacts {
    let mut h = handshake(
        HandshakeOutcome::RejectedAfterHandshake {
            alert: Alert(alert),
        },
        None,
        false,
    );
    h.offered = offered;
    h.cert_requested = true;
    h
}

fn foreign() -> Offered {
    Offered::Foreign {
        subject: "CN=foreign".into(),
    }
}

/// An endpoint that asks for a certificate in TLS 1.2: the supplier's handshake completes,
/// and the anonymous and foreign trials are as given.
fn endpoint(anonymous: HandshakeFacts, foreign: HandshakeFacts) -> EndpointFacts {
    let mut probe = probe(&[(Version::Tls13, &[0x1301])]);
    probe.cert_request = Some(CertRequestFacts {
        ca_names: vec!["CN=Root".into()],
    });
    EndpointFacts {
        endpoint: "h:443".into(),
        name: "h".into(),
        probe,
        handshake: handshake(HandshakeOutcome::Completed, Some("HTTP/1.1"), true),
        anonymous: Some(anonymous),
        foreign: Some(foreign),
        proxy: None,
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
        exchange: Exchange::Dh {
            bits: 3072,
            name: crate::tls::dh::DhName::Ffdhe(3072),
        },
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
    weak.key_exchanges[0].exchange = Exchange::Dh {
        bits: 2048,
        name: crate::tls::dh::DhName::Rfc3526(14),
    };
    weak.groups[0].groups.push(0x0100);
    weak.groups[0].groups.push(0x0015);
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
fn mutual_tls_passes_only_when_required_supplier_accepted_and_foreign_refused() {
    let anonymous_refused = refused(Offered::Nothing, 116);
    let foreign_refused = refused(foreign(), 48);
    let good = endpoint(anonymous_refused.clone(), foreign_refused.clone());
    let f = check_mutual(&good);
    assert_eq!(f.status, Status::Pass, "{}", f.detail);
    assert!(
        f.detail.contains("certificate_required (116)"),
        "{}",
        f.detail
    );
    assert!(f.detail.contains("unknown_ca (48)"), "{}", f.detail);

    // Optional: the anonymous client got an answer.
    let mut anonymous_in = handshake(HandshakeOutcome::Completed, Some("HTTP/1.1"), false);
    anonymous_in.cert_requested = true;
    let optional = endpoint(anonymous_in, foreign_refused.clone());
    let f = check_mutual(&optional);
    assert_eq!(f.status, Status::Fail);
    assert!(f.detail.contains("optional"), "{}", f.detail);
    assert!(f.remedy().unwrap().contains("ssl_verify_client on"));

    // Required, but any certificate gets in.
    let mut foreign_in = handshake(HandshakeOutcome::Completed, Some("HTTP/1.1"), false);
    foreign_in.offered = foreign();
    let lax = endpoint(anonymous_refused.clone(), foreign_in);
    let f = check_mutual(&lax);
    assert_eq!(f.status, Status::Fail);
    assert!(f.detail.contains("foreign CA"), "{}", f.detail);

    // Never asked: fail, whatever the handshakes did.
    let mut never = good.clone();
    never.probe.cert_request = None;
    never.anonymous = Some(handshake(
        HandshakeOutcome::Completed,
        Some("HTTP/1.1"),
        false,
    ));
    never.foreign = None;
    let f = check_mutual(&never);
    assert_eq!(f.status, Status::Fail);
    assert!(f.detail.contains("does not ask"), "{}", f.detail);

    // The supplier refused after the handshake: fail, with the chain remedy for a lone leaf.
    let mut rejected = good.clone();
    rejected.handshake = refused(
        Offered::Supplier {
            subject: "CN=supplier".into(),
            chain_len: 1,
        },
        42,
    );
    let f = check_mutual(&rejected);
    assert_eq!(f.status, Status::Fail);
    assert!(f.detail.contains("CN=Root"), "{}", f.detail);
    assert!(f.remedy().unwrap().contains("intermediate"));

    // No certificate given: the classification stands, the supplier's part is skipped.
    let mut no_cert = good.clone();
    no_cert.handshake = anonymous_refused.clone();
    no_cert.anonymous = None;
    let f = check_mutual(&no_cert);
    assert_eq!(f.status, Status::Skip, "{}", f.detail);
    assert!(f.detail.contains("required"), "{}", f.detail);

    // A foreign trial that proved nothing: not a pass.
    let mut untested = good.clone();
    untested.foreign = None;
    assert_eq!(check_mutual(&untested).status, Status::Error);
}

#[test]
fn an_http_level_refusal_is_recognised() {
    let refusing = |offered: Offered, line: &str, refusal| {
        let mut h = handshake(HandshakeOutcome::Completed, Some("HTTP/1.1"), false);
        h.offered = offered;
        h.cert_requested = true;
        if let Some(http) = h.http.as_mut() {
            http.status = 400;
            http.status_line = line.into();
            http.refusal = Some(refusal);
        }
        h
    };
    let e = endpoint(
        refusing(
            Offered::Nothing,
            "HTTP/1.1 400 Bad Request",
            HttpCertRefusal::NoCertificate,
        ),
        refusing(
            foreign(),
            "HTTP/1.1 400 Bad Request",
            HttpCertRefusal::BadCertificate,
        ),
    );
    let auth = classify(&e);
    assert_eq!(auth.mode, Ok(AuthMode::Required));
    assert_eq!(auth.refused_by, Some(Layer::Http));
    let f = check_mutual(&e);
    assert_eq!(f.status, Status::Pass, "{}", f.detail);
    assert!(f.detail.contains("HTTP level"), "{}", f.detail);
    assert!(
        f.detail.contains("received no client certificate"),
        "{}",
        f.detail
    );
    assert_eq!(
        HttpCertRefusal::recognise(
            400,
            "HTTP/1.1 400 Bad Request\r\n\r\n<title>400 No required SSL certificate was sent</title>"
        ),
        Some(HttpCertRefusal::NoCertificate)
    );
    assert_eq!(HttpCertRefusal::recognise(400, "bad JSON"), None);
    assert_eq!(
        HttpCertRefusal::recognise(495, ""),
        Some(HttpCertRefusal::BadCertificate)
    );
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
        HandshakeOutcome::FailedInHandshake {
            error: "alert".into(),
            alert: None,
            by_server: true,
        },
        None,
        true,
    );
    assert_eq!(check_http(&h).status, Status::Skip);
}

#[test]
fn name_is_checked_against_the_subject_alt_names() {
    let der = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/pki/register.pem"
    ))
    .expect("fixture");
    let (_, pem) = x509_parser::pem::parse_x509_pem(&der).expect("PEM");
    let mut e = endpoint(
        refused(Offered::Nothing, 116),
        refused(
            Offered::Foreign {
                subject: "CN=f".into(),
            },
            48,
        ),
    );
    e.probe.chain = vec![pem.contents.clone()];
    for (name, status) in [
        ("localhost", Status::Pass),
        ("127.0.0.1", Status::Pass),
        ("::1", Status::Pass),
        ("[::1]", Status::Pass),
        ("register.example", Status::Warn),
        ("127.0.0.2", Status::Warn),
    ] {
        e.name = name.into();
        let f = check_name(&e);
        assert_eq!(f.status, status, "{name}: {}", f.detail);
        if status == Status::Warn {
            assert!(
                f.remedy().unwrap().contains("--sni localhost"),
                "{:?}",
                f.remedy()
            );
            assert!(
                f.detail.contains("it is for localhost, 127.0.0.1, ::1"),
                "{}",
                f.detail
            );
        }
    }
    e.probe.chain.clear();
    assert_eq!(check_name(&e).status, Status::Skip);
}
