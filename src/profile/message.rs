//! The update-message rules of one interface version: which schema applies to which kind of
//! report, where it is sent, what the two tokens carry. Everything version-specific that
//! `tilicheck message` needs is decided here and nowhere else.

use serde::Serialize;

use super::Sourced;

/// What the two JWS of a request carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenClaims {
    /// v3 (doc ≥ 1.0.9): Authorization `{sub, aud}`, body `{sub, aud, <report claim>: object}`.
    AudienceAndObject { audience: &'static str },
    /// v1.0.4: Authorization `{sub, senderBusinessId}`, body `{sub, <report claim>: "JSON text"}`.
    SenderIdAndString,
}

/// Request paths per kind of report.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Endpoints {
    /// Update of a credit institution (category 1).
    pub update_cat1: &'static str,
    /// Update of a payment/e-money institution or virtual-currency provider (category 2).
    pub update_cat2: &'static str,
    pub disputable: &'static str,
    pub incorrect: &'static str,
}

/// Which official schema validates each kind of report.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Schemas {
    pub update_cat1: SchemaId,
    pub update_cat2: SchemaId,
    /// `None`: the version publishes only an example, no schema.
    pub disputable: Option<SchemaId>,
    pub incorrect: Option<SchemaId>,
}

/// The update-message rules of one interface version.
#[derive(Debug, Serialize)]
pub struct MessageRules {
    pub schemas: Sourced<Schemas>,
    /// Whether the version distinguishes categories 1 and 2 (v3) or has one update schema.
    pub has_categories: bool,
    pub endpoints: Sourced<Endpoints>,
    pub claims: Sourced<TokenClaims>,
    /// The JOSE header both tokens carry.
    pub jose_typ: Sourced<&'static str>,
    pub content_type: Sourced<&'static str>,
    /// The role field that names a legal person.
    pub role_reference_field: Sourced<&'static str>,
    /// Records that ended before this date (YYYY-MM-DD) must not be reported.
    pub ended_before_cutoff: Option<Sourced<&'static str>>,
    /// Whether disputable/incorrect reports must name the update's X-Correlation-ID.
    pub correlation_id_required: bool,
    /// For a record sent more than once, which update's X-Correlation-ID a disputable or
    /// incorrect report names.
    pub dispute_reported_in: Sourced<ReportedIn>,
    /// `sub` is the signing certificate's subject serialNumber, character for character.
    pub sub_is_serial_number: Sourced<bool>,
}

/// The update whose X-Correlation-ID a disputable or incorrect report names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ReportedIn {
    /// The update that last carried the record: the value the register holds now.
    Last,
    /// The update that first reported the record.
    First,
}

const DISPUTE_REPORTED_IN: Sourced<ReportedIn> = Sourced::assumed(
    ReportedIn::Last,
    "Customs update interface v3.0.5 §4.3 (\"the unique X-Correlation-ID of its updating message with which the record has been reported\"); report_disputable.json, correlationId (\"the update message in which the data record was originally reported\")",
    "for a record sent more than once neither text says which update to name; the last one carried the value the register holds now (--reported-in first names the first)",
);

pub static V3_MESSAGES: MessageRules = MessageRules {
    schemas: Sourced::confirmed(
        Schemas {
            update_cat1: SchemaId::V3Cat1,
            update_cat2: SchemaId::V3Cat2,
            disputable: Some(SchemaId::V3Disputable),
            incorrect: Some(SchemaId::V3Incorrect),
        },
        "Customs update interface v3.0.5 §4.5 (schemas at commit 5f6dff30)",
    ),
    has_categories: true,
    endpoints: Sourced::confirmed(
        Endpoints {
            update_cat1: "/v3/report-update/cat-1/",
            update_cat2: "/v3/report-update/cat-2/",
            disputable: "/v3/report-disputable/",
            incorrect: "/v3/report-incorrect/",
        },
        "Customs update interface v3.0.5 §4.4",
    ),
    claims: Sourced::confirmed(
        TokenClaims::AudienceAndObject {
            audience: "accountRegister",
        },
        "Customs update interface v3.0.5 §3.4",
    ),
    jose_typ: Sourced::confirmed("JWT", "Customs update interface v3.0.5 §3.4"),
    content_type: Sourced::assumed(
        "application/json",
        "Customs update interface, request example (doc 1.0.5)",
        "the example sends the compact JWS with Content-Type application/json; the text names no type",
    ),
    role_reference_field: Sourced::confirmed(
        "legalPersonReference",
        "information_update-v3 schemas, definitions/role",
    ),
    ended_before_cutoff: Some(Sourced::confirmed(
        "2020-09-01",
        "Customs update interface v3.0.5 §4.8",
    )),
    correlation_id_required: true,
    dispute_reported_in: DISPUTE_REPORTED_IN,
    sub_is_serial_number: Sourced::confirmed(
        true,
        "Customs update interface v3.0.5 §3.4 (since doc 1.0.13)",
    ),
};

pub static V1_0_4_MESSAGES: MessageRules = MessageRules {
    schemas: Sourced::confirmed(
        Schemas {
            update_cat1: SchemaId::V104Update,
            update_cat2: SchemaId::V104Update,
            disputable: None,
            incorrect: None,
        },
        "Customs update interface v1.0.4 §4 (schema at commit 5c37873f)",
    ),
    has_categories: false,
    endpoints: Sourced::confirmed(
        Endpoints {
            update_cat1: "/report-update",
            update_cat2: "/report-update",
            disputable: "/report-disputable",
            incorrect: "/report-incorrect",
        },
        "Customs update interface v1.0.4 §3.5",
    ),
    claims: Sourced::confirmed(
        TokenClaims::SenderIdAndString,
        "Customs update interface v1.0.4 §3.4",
    ),
    jose_typ: Sourced::confirmed("JWT", "Customs update interface v1.0.4 §3.4"),
    content_type: Sourced::assumed(
        "application/json",
        "Customs update interface, request example (doc 1.0.5)",
        "the example sends the compact JWS with Content-Type application/json; the text names no type",
    ),
    role_reference_field: Sourced::confirmed(
        "legalPersonId",
        "information_update.json (v1.0.4), definitions/role",
    ),
    ended_before_cutoff: None,
    correlation_id_required: false,
    dispute_reported_in: DISPUTE_REPORTED_IN,
    sub_is_serial_number: Sourced::assumed(
        true,
        "Customs update interface v1.0.4 §3.4 (\"[SUBJECT]\")",
        "v1.0.4 leaves sub undefined; the rule of doc 1.0.13 (sub = the certificate's serialNumber) is applied",
    ),
};

/// One official schema, by name (its bundled text and compiled validator: `message::schemas`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaId {
    /// v1.0.4 `information_update.json` (commit 5c37873f, 2020-05-05).
    V104Update,
    /// v3 `information_update-v3-credit_institution.json` (category 1).
    V3Cat1,
    /// v3 `information_update-v3-other.json` (category 2).
    V3Cat2,
    /// v3 `report_disputable.json`.
    V3Disputable,
    /// v3 `report_incorrect.json`.
    V3Incorrect,
}

impl SchemaId {
    pub const ALL: [SchemaId; 5] = [
        SchemaId::V104Update,
        SchemaId::V3Cat1,
        SchemaId::V3Cat2,
        SchemaId::V3Disputable,
        SchemaId::V3Incorrect,
    ];

    /// The official file name, as reports name it.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaId::V104Update => "information_update.json (v1.0.4)",
            SchemaId::V3Cat1 => "information_update-v3-credit_institution.json",
            SchemaId::V3Cat2 => "information_update-v3-other.json",
            SchemaId::V3Disputable => "report_disputable.json",
            SchemaId::V3Incorrect => "report_incorrect.json",
        }
    }
}
