//! Where a run's trusted lists come from: files given once, or fetched as needed.

use std::sync::Arc;

use super::auto::AutoLists;
use super::set::TrustedLists;

/// Where a run's trusted lists come from.
#[derive(Clone, Debug)]
pub enum ListSource {
    /// Files the user gave, read and verified once.
    Given(Arc<TrustedLists>),
    /// Fetched (or read from the cache) as certificates need them.
    Auto(Arc<AutoLists>),
}

impl ListSource {
    /// The lists to judge the certificate `der` with.
    pub fn for_certificate(&self, der: &[u8]) -> Arc<TrustedLists> {
        match self {
            ListSource::Given(lists) => lists.clone(),
            ListSource::Auto(auto) => auto.for_certificate(der),
        }
    }
}
