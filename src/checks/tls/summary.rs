//! The endpoint's summary lines: the typed view the JSON report carries, as text.

use super::{ca_text, negotiated};
use crate::tls::client_auth::{AuthMode, ClientAuth, Layer, classify};
use crate::tls::facts::{EndpointFacts, HandshakeFacts, HandshakeOutcome, TrustVerdict};
use crate::tls::report::EndpointView;

/// The summary lines, rendered from the typed view the JSON report carries.
pub(super) fn summary(e: &EndpointFacts, view: &EndpointView) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let accepted: Vec<&str> = view
        .versions
        .iter()
        .filter(|v| v.accepted)
        .map(|v| v.version)
        .collect();
    out.push((
        "Versions".into(),
        if accepted.is_empty() {
            "none".into()
        } else {
            accepted.join(", ")
        },
    ));
    for list in &view.suites {
        for suite in &list.suites {
            out.push((list.version.to_owned(), suite.describe()));
        }
        match list.server_order {
            Some(true) => out.push((
                list.version.to_owned(),
                "(listed in the server's order of preference)".into(),
            )),
            Some(false) => out.push((
                list.version.to_owned(),
                "(the server follows the client's order; listed as chosen)".into(),
            )),
            None => {}
        }
        if let Some(err) = &list.error {
            out.push((
                list.version.to_owned(),
                format!("enumeration stopped: {err}"),
            ));
        }
    }
    for list in &view.groups {
        let mut text = list
            .groups
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        match list.server_order {
            Some(true) => text.push_str(" (the server's order of preference)"),
            Some(false) => text.push_str(" (the server follows the client's order)"),
            None => {}
        }
        if let Some(err) = &list.error {
            text.push_str(&format!(" (enumeration stopped: {err})"));
        }
        out.push((format!("Groups {}", list.version), text));
    }
    // One line per prime: servers use one prime for all their DHE suites.
    let mut primes: Vec<(&str, &str, u32, Vec<&str>)> = Vec::new();
    for dh in &view.dh {
        match primes
            .iter_mut()
            .find(|(v, g, bits, _)| *v == dh.version && *g == dh.group && *bits == dh.prime_bits)
        {
            Some((_, _, _, suites)) => suites.push(&dh.suite),
            None => primes.push((dh.version, &dh.group, dh.prime_bits, vec![&dh.suite])),
        }
    }
    for (version, group, bits, suites) in primes {
        out.push((
            "DH".into(),
            format!(
                "{group}, {bits}-bit prime, with {version} {}",
                suites.join(", ")
            ),
        ));
    }
    let auth = classify(e);
    out.push(("Client authentication".into(), auth_line(&auth)));
    let h = &e.handshake;
    out.push(("Handshake".into(), handshake_line(h)));
    if let Some(trust) = &h.trust {
        out.push((
            "Trust".into(),
            match trust {
                TrustVerdict::Verified => "chain verifies to --trust".to_owned(),
                TrustVerdict::NameMismatch => format!(
                    "chain verifies to --trust; the certificate is not for {} (see TLS-NAME)",
                    e.name
                ),
                TrustVerdict::Failed(err) => format!("chain does not verify to --trust: {err}"),
            },
        ));
    }
    if !view.certificate.chain.is_empty() {
        out.push((
            "OCSP stapling".into(),
            if view.certificate.ocsp_stapled {
                "the server stapled an OCSP response".to_owned()
            } else {
                "no OCSP response stapled".to_owned()
            },
        ));
    }
    let c = &view.connections;
    let mut connections = format!(
        "{} ({} probe, {} handshakes)",
        c.total, c.probe, c.handshakes
    );
    if let Some(proxy) = &c.proxy {
        connections.push_str(&format!(
            ", each tunnelled through the proxy {} ({})",
            proxy.url, proxy.variable
        ));
    }
    out.push(("Connections".into(), connections));
    out
}

/// "required (TLS): without a certificate refused, …; foreign CA refused, …; acceptable CAs: …".
fn auth_line(auth: &ClientAuth) -> String {
    let mut line = match (&auth.mode, auth.refused_by) {
        (Ok(mode), Some(Layer::Http)) => format!("{} (enforced at the HTTP level)", mode.as_str()),
        (Ok(mode), _) => mode.as_str().to_owned(),
        (Err(why), _) => format!("not known: {why}"),
    };
    let trials = [
        ("without a certificate", &auth.anonymous),
        ("with yours", &auth.supplier),
        ("with a foreign CA's", &auth.foreign),
    ];
    for (what, verdict) in trials {
        if let Some(v) = verdict {
            line.push_str(&format!("; {what}: {}", v.describe()));
        }
    }
    if auth.mode != Ok(AuthMode::None) {
        line.push_str(&format!("; {}", ca_text(auth)));
    }
    line
}

/// The main handshake: who, how it ended, what was negotiated, the HTTP answer.
fn handshake_line(h: &HandshakeFacts) -> String {
    let who = h
        .offered
        .subject()
        .map_or("without a client certificate".to_owned(), |s| {
            format!("as {s}")
        });
    let result = match &h.outcome {
        HandshakeOutcome::Completed => "completed".to_owned(),
        HandshakeOutcome::FailedInHandshake { error, .. } => format!("failed: {error}"),
        HandshakeOutcome::NotUsable { reason, own_limit } => format!(
            "not completed: {reason}{}",
            if *own_limit {
                " (a limit of tilicheck, not of the server)"
            } else {
                ""
            }
        ),
        HandshakeOutcome::RejectedAfterHandshake { alert } => {
            format!("rejected after the handshake: the server sent {alert}")
        }
        HandshakeOutcome::HttpFailed(err) => format!("completed; HTTP failed: {err}"),
    };
    let mut line = format!("{who}: {result}");
    let neg = negotiated(h);
    if !neg.is_empty() {
        line.push_str(&format!(" ({neg})"));
    }
    if let Some(http) = &h.http {
        line.push_str(&format!("; {}", http.status_line));
    }
    line
}
