//! The ledger's values: what a record, a message and a message in flight are.

use serde::Serialize;
use uuid::Uuid;

use crate::message::canonical::RecordHash;
pub use crate::message::dispute::DisputeState;
use crate::message::section::Section;

/// How the ledger stores a record's state.
pub(super) fn state_code(s: DisputeState) -> i64 {
    match s {
        DisputeState::Normal => 0,
        DisputeState::Disputed => 1,
        DisputeState::Incorrect => 2,
    }
}

pub(super) fn state_from_code(c: i64) -> Option<DisputeState> {
    match c {
        0 => Some(DisputeState::Normal),
        1 => Some(DisputeState::Disputed),
        2 => Some(DisputeState::Incorrect),
        _ => None,
    }
}

/// What kind of acknowledged message a ledger entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Update,
    Disputable,
    Incorrect,
    /// Taken over from an earlier export (`ledger import`): acknowledged before the ledger.
    Import,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Update => "update",
            MessageKind::Disputable => "disputable",
            MessageKind::Incorrect => "incorrect",
            MessageKind::Import => "import",
        }
    }
    pub(super) fn parse(s: &str) -> Option<MessageKind> {
        [
            MessageKind::Update,
            MessageKind::Disputable,
            MessageKind::Incorrect,
            MessageKind::Import,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One message the register answered 200.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Acknowledged {
    pub correlation_id: String,
    pub kind: MessageKind,
    /// The update endpoint's category (v3); `None` for disputes and v1.0.4.
    pub category: Option<u8>,
    /// When the 200 came (RFC 3339, UTC).
    pub acknowledged_at: String,
    /// The file it was sent from.
    pub source: String,
}

/// A record as the ledger holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerRecord {
    pub section: Section,
    pub key: Uuid,
    pub hash: RecordHash,
    pub state: DisputeState,
    /// The message that last carried the record (its value now).
    pub last: Acknowledged,
    /// The message that first carried it.
    pub first: Acknowledged,
}

/// A record of the baseline a diff compares with: map, key, hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BaseEntry {
    pub section: u8,
    pub key: [u8; 16],
    pub hash: RecordHash,
}

/// A message sent and not yet answered 200 (or answered in a way that does not say whether
/// it was stored): its records are not in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InFlight {
    pub correlation_id: String,
    pub file: String,
    pub file_sha256: String,
    pub body_sha256: String,
    pub sent_at: String,
}

/// What recording an acknowledged message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// New: this many records written.
    Written(usize),
    /// The ledger already held this X-Correlation-ID: nothing changed.
    AlreadyRecorded,
}

/// Counts for `ledger show`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Per map: (normal, disputed, incorrect).
    pub records: Vec<SectionCount>,
    pub messages: i64,
    pub last_acknowledged_at: Option<String>,
    pub in_flight: Vec<InFlight>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SectionCount {
    pub section: Section,
    pub normal: i64,
    pub disputed: i64,
    pub incorrect: i64,
}
