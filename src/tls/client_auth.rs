//! Client authentication, classified from real handshakes: one without a certificate, one
//! with the user's (when given) and one with a certificate from a foreign CA. A request for
//! a certificate alone proves nothing: "optional" servers ask too, and TLS 1.3 servers refuse
//! only after the handshake (an alert on the first read), nginx only in its HTTP answer.

use crate::tls::facts::{EndpointFacts, HandshakeFacts, HandshakeOutcome};

/// Whether a client must present a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// The server never asks for one.
    None,
    /// It asks, but a client without one gets through.
    Optional,
    /// A client without one is refused.
    Required,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::None => "none",
            AuthMode::Optional => "optional",
            AuthMode::Required => "required",
        }
    }
}

/// Where a refusal happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// In the TLS handshake, or by an alert right after it (TLS 1.3).
    Tls,
    /// The handshake let the client through; the HTTP answer refused it (nginx 400).
    Http,
}

/// How one handshake ended, as far as its certificate goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrialVerdict {
    /// The handshake completed and the server answered without refusing the certificate.
    Accepted { status: u16 },
    /// The server refused: during the handshake, after it, or in its HTTP answer.
    Refused { layer: Layer, how: String },
    /// The trial tells nothing about the certificate.
    Unknown { why: String },
}

impl TrialVerdict {
    /// One phrase for reports: "accepted (HTTP 200)", "refused: …", "not known: …".
    pub fn describe(&self) -> String {
        match self {
            TrialVerdict::Accepted { status } => format!("accepted (HTTP {status})"),
            TrialVerdict::Refused { how, .. } => format!("refused, {how}"),
            TrialVerdict::Unknown { why } => format!("not known ({why})"),
        }
    }

    pub fn is_accepted(&self) -> bool {
        matches!(self, TrialVerdict::Accepted { .. })
    }
}

/// The verdict of one handshake.
pub fn verdict(h: &HandshakeFacts) -> TrialVerdict {
    match (&h.outcome, &h.http) {
        (HandshakeOutcome::Completed, Some(http)) => match http.refusal {
            Some(refusal) => TrialVerdict::Refused {
                layer: Layer::Http,
                how: format!(
                    "the handshake completed but the server answered '{}': {}",
                    http.status_line,
                    refusal.meaning()
                ),
            },
            None => TrialVerdict::Accepted {
                status: http.status,
            },
        },
        (HandshakeOutcome::Completed, None) => TrialVerdict::Unknown {
            why: "no HTTP answer".to_owned(),
        },
        (
            HandshakeOutcome::FailedInHandshake {
                error,
                by_server: true,
                ..
            },
            _,
        ) => TrialVerdict::Refused {
            layer: Layer::Tls,
            how: format!("in the handshake: {error}"),
        },
        // A late answer, or one that could not be read, is no refusal.
        (
            HandshakeOutcome::FailedInHandshake {
                error,
                by_server: false,
                ..
            },
            _,
        ) => TrialVerdict::Unknown {
            why: format!("the handshake failed: {error}"),
        },
        (HandshakeOutcome::RejectedAfterHandshake { alert }, _) => TrialVerdict::Refused {
            layer: Layer::Tls,
            how: format!(
                "after the {} handshake: the server sent {alert}",
                h.version.map_or("TLS".to_owned(), |v| v.to_string())
            ),
        },
        (HandshakeOutcome::NotUsable { reason, .. }, _) => TrialVerdict::Unknown {
            why: reason.clone(),
        },
        (HandshakeOutcome::HttpFailed(err), _) => TrialVerdict::Unknown {
            why: format!("the handshake completed, then the HTTP exchange failed: {err}"),
        },
    }
}

/// What the handshakes say about client authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAuth {
    /// The classification, or why none could be made.
    pub mode: Result<AuthMode, String>,
    /// For a required certificate: where a client without one was stopped.
    pub refused_by: Option<Layer>,
    /// The acceptable CA names the server listed.
    pub ca_names: Vec<String>,
    pub anonymous: Option<TrialVerdict>,
    /// None when no user certificate was given.
    pub supplier: Option<TrialVerdict>,
    pub foreign: Option<TrialVerdict>,
}

/// Classify from the endpoint's handshakes.
pub fn classify(e: &EndpointFacts) -> ClientAuth {
    let requested = e.asks_for_client_cert();
    let anonymous = e.anonymous_trial().map(verdict);
    let supplier = match e.handshake.offered {
        crate::tls::facts::Offered::Supplier { .. } => Some(verdict(&e.handshake)),
        _ => None,
    };
    let foreign = e.foreign.as_ref().map(verdict);
    let (mode, refused_by) = match (&anonymous, requested) {
        (None, _) => (
            Err("no handshake without a certificate was made".to_owned()),
            None,
        ),
        (Some(TrialVerdict::Accepted { .. }), false) => (Ok(AuthMode::None), None),
        (Some(TrialVerdict::Accepted { .. }), true) => (Ok(AuthMode::Optional), None),
        (Some(TrialVerdict::Refused { layer, .. }), true) => (Ok(AuthMode::Required), Some(*layer)),
        // Refused at the HTTP level for want of a certificate it never asked for: still a
        // refusal of anonymous clients.
        (
            Some(TrialVerdict::Refused {
                layer: Layer::Http, ..
            }),
            false,
        ) => (Ok(AuthMode::Required), Some(Layer::Http)),
        (Some(TrialVerdict::Refused { how, .. }), false) => (
            Err(format!(
                "no certificate request was seen, and the handshake without a certificate was refused {how}"
            )),
            None,
        ),
        (Some(TrialVerdict::Unknown { why }), _) => (Err(why.clone()), None),
    };
    ClientAuth {
        mode,
        refused_by,
        ca_names: ca_names(e),
        anonymous,
        supplier,
        foreign,
    }
}

/// The acceptable CA names: from the TLS 1.2 CertificateRequest the probe read, else from the
/// real handshakes' requests.
fn ca_names(e: &EndpointFacts) -> Vec<String> {
    if let Some(r) = &e.probe.cert_request
        && !r.ca_names.is_empty()
    {
        return r.ca_names.clone();
    }
    e.handshakes()
        .find(|h| !h.ca_hints.is_empty())
        .map(|h| h.ca_hints.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
