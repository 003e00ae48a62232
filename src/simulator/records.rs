//! What an accepted report means for the register's records: the records an update carries,
//! and the disputable/incorrect state machine of the specification's §4.3 diagram.
//!
//! ```text
//!   Normal ──disputed:true──▶ Disputed ──disputed:false──▶ Normal
//!     │                          │
//!     └──────incorrect──────▶ Incorrect ◀──incorrect──┘     (final)
//! ```

use serde::Serialize;
use serde_json::Value;

use super::answers::Problem;
use super::judge::ReportKind;

/// The record maps of an update message, with the record type each holds.
pub const RECORD_MAPS: [(&str, RecordType); 4] = [
    ("legalPersons", RecordType::LegalPerson),
    ("customers", RecordType::Customer),
    ("accounts", RecordType::Account),
    ("safetyDepositBoxes", RecordType::SafetyDepositBox),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordType {
    LegalPerson,
    Customer,
    Account,
    SafetyDepositBox,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::LegalPerson => "legalPerson",
            RecordType::Customer => "customer",
            RecordType::Account => "account",
            RecordType::SafetyDepositBox => "safetyDepositBox",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        RECORD_MAPS
            .iter()
            .map(|(_, t)| *t)
            .find(|t| t.as_str() == s)
    }

    /// §4.3: "an account, a safety deposit box or a legal person" can be reported.
    pub fn can_be_disputed(self) -> bool {
        !matches!(self, RecordType::Customer)
    }
}

/// A record's dispute state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordState {
    Normal,
    Disputed,
    Incorrect,
}

impl RecordState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Normal => "normal",
            RecordState::Disputed => "disputed",
            RecordState::Incorrect => "incorrect",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "normal" => Some(RecordState::Normal),
            "disputed" => Some(RecordState::Disputed),
            "incorrect" => Some(RecordState::Incorrect),
            _ => None,
        }
    }
}

/// One record carried by an update: the whole record, which replaces the one held before
/// (with its role list: §4.1 has role lists sent complete, so the list sent is the list). Its
/// value stays in the update's body token, where the store reads it from when asked.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordVersion {
    pub record_type: RecordType,
    pub uuid: String,
}

/// What an accepted report asks of the register.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Update(Vec<RecordVersion>),
    /// Set (`disputed: true`) or clear a record's disputed state.
    Dispute {
        referred: String,
        correlation_id: Option<String>,
        disputed: bool,
    },
    Incorrect {
        referred: String,
        correlation_id: Option<String>,
    },
}

/// `value` as canonical JSON: keys sorted, no whitespace (numbers as serde_json read them).
pub fn canonical_text(value: &Value) -> String {
    let text = value.to_string();
    crate::message::canonical::canonical(&text)
        .ok()
        .and_then(|c| String::from_utf8(c).ok())
        .unwrap_or(text)
}

/// The report an update's body token carries (a JSON string in v1.0.4, an object in v3).
pub fn report_of_token(body_token: &str) -> Option<Value> {
    let token = crate::message::jws::decode(body_token).ok()?;
    match token.payload.get("reportUpdate")? {
        Value::String(text) => crate::message::parse::parse_strict(text).ok(),
        v => Some(v.clone()),
    }
}

/// The record `uuid` of type `record_type` in an update's report.
pub fn record_in(report: &Value, record_type: RecordType, uuid: &str) -> Option<Value> {
    let map = RECORD_MAPS.iter().find(|(_, t)| *t == record_type)?.0;
    report.get(map)?.get(uuid).cloned()
}

/// Read the change out of a validated report.
pub fn change_of(kind: ReportKind, report: &Value) -> Result<Change, Problem> {
    let field = |name: &str| report.get(name).and_then(Value::as_str).map(str::to_owned);
    let referred = || {
        field("referredEntityId").ok_or_else(|| Problem::BadRequest {
            message: "referredEntityId is required".into(),
            object_errors: Vec::new(),
            field_errors: vec!["referredEntityId: required".into()],
        })
    };
    match kind {
        ReportKind::UpdateCat1 | ReportKind::UpdateCat2 => {
            let mut records = Vec::new();
            for (map, record_type) in RECORD_MAPS {
                if let Some(entries) = report.get(map).and_then(Value::as_object) {
                    for uuid in entries.keys() {
                        records.push(RecordVersion {
                            record_type,
                            uuid: uuid.clone(),
                        });
                    }
                }
            }
            Ok(Change::Update(records))
        }
        ReportKind::Disputable => Ok(Change::Dispute {
            referred: referred()?,
            correlation_id: field("correlationId"),
            disputed: report
                .get("disputed")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        }),
        ReportKind::Incorrect => Ok(Change::Incorrect {
            referred: referred()?,
            correlation_id: field("correlationId"),
        }),
    }
}

/// The §4.3 transition, or the 400 that explains why it is not allowed.
pub fn transition(from: RecordState, change: &Change) -> Result<RecordState, Problem> {
    use RecordState::*;
    let to = match (from, change) {
        (Incorrect, _) => {
            return Err(Problem::bad_request(
                "the record has been reported incorrect; its status can no longer be changed (§4.3)",
            ));
        }
        (Normal, Change::Dispute { disputed: true, .. }) => Disputed,
        (
            Disputed,
            Change::Dispute {
                disputed: false, ..
            },
        ) => Normal,
        (Disputed, Change::Dispute { disputed: true, .. }) => {
            return Err(Problem::bad_request("the record is already disputable"));
        }
        (
            Normal,
            Change::Dispute {
                disputed: false, ..
            },
        ) => {
            return Err(Problem::bad_request(
                "the record is not disputable, so there is no dispute to cancel",
            ));
        }
        (Normal | Disputed, Change::Incorrect { .. }) => Incorrect,
        (_, Change::Update(_)) => from,
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dispute(disputed: bool) -> Change {
        Change::Dispute {
            referred: "r".into(),
            correlation_id: None,
            disputed,
        }
    }
    fn incorrect() -> Change {
        Change::Incorrect {
            referred: "r".into(),
            correlation_id: None,
        }
    }

    #[test]
    fn the_diagram() {
        use RecordState::*;
        assert_eq!(transition(Normal, &dispute(true)), Ok(Disputed));
        assert_eq!(transition(Disputed, &dispute(false)), Ok(Normal));
        assert_eq!(transition(Disputed, &incorrect()), Ok(Incorrect));
        assert_eq!(transition(Normal, &incorrect()), Ok(Incorrect));
        assert!(transition(Incorrect, &dispute(true)).is_err());
        assert!(transition(Incorrect, &dispute(false)).is_err());
        assert!(transition(Incorrect, &incorrect()).is_err());
        assert!(transition(Normal, &dispute(false)).is_err());
        assert!(transition(Disputed, &dispute(true)).is_err());
    }
}
