//! What the Account Register simulator (`tilicheck serve`) needs to know about one interface
//! version that the message rules (endpoints, claims, schemas) do not already say: how errors
//! are answered, and the readings we had to make where the specification is silent.

use serde::Serialize;

use super::{Interface, Sourced};

/// The shape of an error body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorBodies {
    /// v2+: 400 `{message, objectErrors, fieldErrors}`; 403, 404, 500 `{message}`; 405 no body.
    MessageObjectField,
    /// v1.0.4: 400, 405 and 500 `{errorMessage}`; no 403 or 404 defined.
    ErrorMessage,
}

/// The simulator's rules for one interface version.
#[derive(Debug, Serialize)]
pub struct ServeRules {
    pub error_bodies: Sourced<ErrorBodies>,
    /// Status for a token that does not verify, an unknown signer or a TLS identity that may not
    /// send for the signer.
    pub auth_failure_status: Sourced<u16>,
    /// Status for a disputable/incorrect report naming a record or correlation ID the register
    /// does not hold for this sender.
    pub unknown_record_status: Sourced<u16>,
    /// Status for a message over the size limit.
    pub oversize_status: Sourced<u16>,
}

pub static V3_SERVE: ServeRules = ServeRules {
    error_bodies: Sourced::confirmed(
        ErrorBodies::MessageObjectField,
        "Customs update interface v3.0.5 §4.7",
    ),
    auth_failure_status: Sourced::assumed(
        403,
        "Customs update interface v3.0.5 §4.7",
        "403 Forbidden read as the answer to a token or certificate the register does not accept; §4.7 lists 403 without saying when",
    ),
    unknown_record_status: Sourced::assumed(
        404,
        "Customs update interface v3.0.5 §4.3, §4.7",
        "404 Not Found read as the answer to a disputable/incorrect report naming a record or correlation ID the register does not hold; §4.7 lists 404 without saying when",
    ),
    oversize_status: Sourced::assumed(
        400,
        "Customs update interface v3.0.5 §3.6, §4.7",
        "§4.7 defines no status for an over-size message; 400 Bad Request assumed",
    ),
};

pub static V1_0_4_SERVE: ServeRules = ServeRules {
    error_bodies: Sourced::confirmed(
        ErrorBodies::ErrorMessage,
        "Customs update interface v1.0.4 §3.5 (HTTP responses)",
    ),
    auth_failure_status: Sourced::assumed(
        400,
        "Customs update interface v1.0.4 §3.5",
        "v1.0.4 defines no status for authentication or signature failures (no 401/403); 400 Bad Request assumed",
    ),
    unknown_record_status: Sourced::assumed(
        400,
        "Customs update interface v1.0.4 §3.5",
        "v1.0.4 defines no 404; a report naming an unknown record is answered 400 Bad Request",
    ),
    oversize_status: Sourced::assumed(
        400,
        "Customs update interface v1.0.4 §3.5",
        "v1.0.4 defines no status for an over-size message; 400 Bad Request assumed",
    ),
};

impl Interface {
    /// The simulator's rules for this interface version.
    pub fn serve_rules(self) -> &'static ServeRules {
        match self {
            Interface::V3 => &V3_SERVE,
            Interface::V1_0_4 => &V1_0_4_SERVE,
        }
    }
}
