//! §4.3 reports of an acknowledged record as disputable or incorrect, and the cancellation of
//! a dispute: the report itself and whether the record's state allows it. The state machine
//! is the specification's diagram (Figure 4.3):
//!
//! ```text
//!   normal ──dispute──▶ disputed ──cancel──▶ normal
//!     │                    │
//!     └─────incorrect────▶ incorrect ◀──incorrect──┘   (final: "can no longer be changed")
//! ```

use serde::Serialize;
use serde_json::{Map, Value};

use crate::message::kind::Kind;
use crate::profile::message::MessageRules;

/// A record's §4.3 state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DisputeState {
    Normal,
    Disputed,
    Incorrect,
}

impl DisputeState {
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeState::Normal => "normal",
            DisputeState::Disputed => "disputed",
            DisputeState::Incorrect => "incorrect",
        }
    }
}

/// What a report asks of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// `disputed: true` to /report-disputable/.
    Dispute,
    /// `disputed: false` to /report-disputable/.
    Cancel,
    /// To /report-incorrect/.
    Incorrect,
}

impl Change {
    pub fn kind(self) -> Kind {
        match self {
            Change::Dispute | Change::Cancel => Kind::Disputable,
            Change::Incorrect => Kind::Incorrect,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Change::Dispute => "report as disputable",
            Change::Cancel => "cancel the dispute of",
            Change::Incorrect => "report as incorrect",
        }
    }

    /// The state after the register accepts it.
    pub fn to(self) -> DisputeState {
        match self {
            Change::Dispute => DisputeState::Disputed,
            Change::Cancel => DisputeState::Normal,
            Change::Incorrect => DisputeState::Incorrect,
        }
    }
}

/// The state `change` leads to from `from`, or why §4.3 does not allow it.
pub fn transition(from: DisputeState, change: Change) -> Result<DisputeState, &'static str> {
    use DisputeState::*;
    match (from, change) {
        (Incorrect, _) => Err(
            "the record was reported incorrect, and §4.3 says such a record's status can no longer be changed",
        ),
        (Disputed, Change::Dispute) => Err("the record is already disputable"),
        (Normal, Change::Cancel) => {
            Err("the record is not disputable, so there is no dispute to cancel")
        }
        (Normal, Change::Dispute) | (Disputed, Change::Cancel) | (_, Change::Incorrect) => {
            Ok(change.to())
        }
    }
}

/// The report for `key`, naming the update `correlation_id` where the interface asks for it.
pub fn report(change: Change, key: &str, correlation_id: &str, rules: &MessageRules) -> Value {
    let mut m = Map::new();
    m.insert("referredEntityId".into(), Value::from(key));
    if rules.correlation_id_required {
        m.insert("correlationId".into(), Value::from(correlation_id));
    }
    match change {
        Change::Dispute => {
            m.insert("disputed".into(), Value::Bool(true));
        }
        Change::Cancel => {
            m.insert("disputed".into(), Value::Bool(false));
        }
        Change::Incorrect => {}
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Interface;

    #[test]
    fn the_diagram_and_its_forbidden_moves() {
        use DisputeState::*;
        assert_eq!(transition(Normal, Change::Dispute), Ok(Disputed));
        assert_eq!(transition(Disputed, Change::Cancel), Ok(Normal));
        assert_eq!(transition(Disputed, Change::Incorrect), Ok(Incorrect));
        assert_eq!(transition(Normal, Change::Incorrect), Ok(Incorrect));
        for c in [Change::Dispute, Change::Cancel, Change::Incorrect] {
            assert!(transition(Incorrect, c).is_err(), "{c:?}");
        }
        assert!(transition(Disputed, Change::Dispute).is_err());
        assert!(transition(Normal, Change::Cancel).is_err());
    }

    #[test]
    fn reports_have_the_fields_of_each_interface() {
        let v3 = Interface::V3.profile().message;
        let v1 = Interface::V1_0_4.profile().message;
        assert_eq!(
            report(Change::Cancel, "k", "c", v3),
            serde_json::json!({"referredEntityId": "k", "correlationId": "c", "disputed": false})
        );
        assert_eq!(
            report(Change::Incorrect, "k", "c", v3),
            serde_json::json!({"referredEntityId": "k", "correlationId": "c"})
        );
        assert_eq!(
            report(Change::Dispute, "k", "c", v1),
            serde_json::json!({"referredEntityId": "k", "disputed": true})
        );
    }
}
