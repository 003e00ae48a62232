use super::*;
use crate::tls::facts::{Alert, HttpFacts, Offered, ProbeFacts, Version};

fn probe() -> ProbeFacts {
    ProbeFacts {
        versions: Vec::new(),
        groups: Vec::new(),
        key_exchanges: Vec::new(),
        cert_request: None,
        chain: Vec::new(),
        connections: 0,
    }
}

fn trial(offered: Offered, outcome: HandshakeOutcome, status: Option<u16>) -> HandshakeFacts {
    HandshakeFacts {
        offered,
        version: Some(Version::Tls12),
        suite: None,
        group: None,
        cert_requested: true,
        ca_hints: vec!["CN=Hint".into()],
        outcome,
        http: status.map(|status| HttpFacts {
            status_line: format!("HTTP/1.1 {status} X"),
            version: "HTTP/1.1".into(),
            status,
            refusal: None,
        }),
        chain: Vec::new(),
        trust: None,
        ocsp_stapled: false,
        connections: 1,
    }
}

fn endpoint(anonymous: HandshakeFacts) -> EndpointFacts {
    EndpointFacts {
        endpoint: "h:1".into(),
        name: "h".into(),
        probe: probe(),
        handshake: anonymous,
        anonymous: None,
        foreign: None,
        proxy: None,
    }
}

#[test]
fn the_anonymous_trial_decides_optional_or_required() {
    let accepted = trial(Offered::Nothing, HandshakeOutcome::Completed, Some(200));
    let auth = classify(&endpoint(accepted.clone()));
    assert_eq!(auth.mode, Ok(AuthMode::Optional));
    assert_eq!(auth.ca_names, vec!["CN=Hint".to_owned()]);

    let mut never_asked = accepted;
    never_asked.cert_requested = false;
    never_asked.ca_hints.clear();
    assert_eq!(classify(&endpoint(never_asked)).mode, Ok(AuthMode::None));

    let tls12 = trial(
        Offered::Nothing,
        HandshakeOutcome::FailedInHandshake {
            error: "the server sent alert handshake_failure (40)".into(),
            alert: Some(Alert(40)),
            by_server: true,
        },
        None,
    );
    let auth = classify(&endpoint(tls12));
    assert_eq!(auth.mode, Ok(AuthMode::Required));
    assert_eq!(auth.refused_by, Some(Layer::Tls));

    let unknown = trial(
        Offered::Nothing,
        HandshakeOutcome::HttpFailed("closed".into()),
        None,
    );
    assert!(classify(&endpoint(unknown)).mode.is_err());

    // A handshake that ran out of time was not refused: nothing is known.
    let late = trial(
        Offered::Nothing,
        HandshakeOutcome::FailedInHandshake {
            error: "no answer within the read timeout".into(),
            alert: None,
            by_server: false,
        },
        None,
    );
    let auth = classify(&endpoint(late));
    assert!(
        auth.mode
            .as_ref()
            .is_err_and(|why| why.contains("read timeout")),
        "{auth:?}"
    );
}

#[test]
fn alerts_carry_their_iana_names() {
    assert_eq!(Alert(116).to_string(), "alert certificate_required (116)");
    assert_eq!(Alert(48).name(), "unknown_ca");
    assert_eq!(Alert(200).name(), "unassigned");
}
