//! What a send says about itself besides the register's answer: whom the sender must be, the
//! X-Correlation-ID, and the findings of a resumed or half-recorded send.

use crate::error::CommandError;
use crate::findings::Finding;
use crate::identity::BusinessId;
use crate::message::content::{ExpectedSender, SenderSource};
use crate::message::finnish_ids::is_uuid_v4;
use crate::profile::RuleId;

/// Whom the report's sender must be: `--business-id` when given, else the signing certificate's
/// identifier (the register refuses a report whose sender is not its signer).
pub fn expected_sender<'a>(
    given: Option<&'a BusinessId>,
    signer: Option<&'a BusinessId>,
) -> Option<ExpectedSender<'a>> {
    given
        .map(|id| ExpectedSender::new(id, SenderSource::BusinessIdOption))
        .or_else(|| signer.map(|id| ExpectedSender::new(id, SenderSource::SigningCertificate)))
}

/// A fresh X-Correlation-ID, or the user's if it is a UUIDv4.
pub fn correlation_id(given: Option<&str>) -> Result<String, CommandError> {
    match given {
        Some(id) if is_uuid_v4(id) => Ok(id.to_owned()),
        Some(id) => Err(CommandError::Usage(format!(
            "--correlation-id {id:?} is not a UUIDv4 (lower-case, hyphenated, version 4)"
        ))),
        None => Ok(uuid::Uuid::new_v4().hyphenated().to_string()),
    }
}

/// A message in flight earlier whose signed body differs now.
pub fn signed_differently(name: &str, cid: &str) -> Finding {
    Finding::fail(
        RuleId::SendSequential,
        format!(
            "{name} was in flight under X-Correlation-ID {cid} when an earlier run stopped, and signs differently now (another signing key or certificate?): the register may hold the first version, and another body under the same ID is not the same message"
        ),
    )
    .with_remedy("Sign with the key and certificate the earlier run used, or ask Customs whether that X-Correlation-ID was stored before sending anything else.")
}

/// A message sent again after an earlier run stopped, that the register did not answer 200.
pub fn resent_refused(name: &str, cid: &str) -> Finding {
    Finding::fail(
        RuleId::SendSequential,
        format!(
            "{name} was in flight when an earlier run stopped and was sent again as the same request (X-Correlation-ID {cid}); the register did not answer 200, so it may or may not hold the first attempt"
        ),
    )
    .with_remedy("Customs does not document how the register answers a repeated X-Correlation-ID. Ask Customs whether it stored that ID before sending anything else; do not move the journal away (that sends every part again under new IDs).")
}

/// The register answered 200, and the ledger could not record it.
pub fn ledger_failed(cid: &str, e: &dyn std::fmt::Display) -> Finding {
    Finding::error(
        RuleId::SendAnswer,
        format!("the register acknowledged X-Correlation-ID {cid}, but the ledger could not record it: {e}"),
    )
    .with_remedy("Fix the ledger's file (disk space, permissions) and run the same command again: it sends the same request, the register answers the replay 200, and the ledger records it then.")
}
