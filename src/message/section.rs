//! The four record maps of an update report. A record is named by its map and its key: a
//! legal person and its customership share a UUID, so the key alone does not name a record.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Section {
    LegalPersons,
    Customers,
    Accounts,
    SafetyDepositBoxes,
}

impl Section {
    /// In the order a split load sends them (see [`crate::message::split::SECTIONS`]).
    pub const ALL: [Section; 4] = [
        Section::LegalPersons,
        Section::Customers,
        Section::Accounts,
        Section::SafetyDepositBoxes,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(i: usize) -> Option<Section> {
        Section::ALL.get(i).copied()
    }

    /// The map's name in a report.
    pub fn name(self) -> &'static str {
        crate::message::split::SECTIONS[self.index()]
    }

    pub fn from_name(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.name() == name)
    }

    /// One record of the map, as a person would say it.
    pub fn record_noun(self) -> &'static str {
        match self {
            Section::LegalPersons => "legal person",
            Section::Customers => "customership",
            Section::Accounts => "account",
            Section::SafetyDepositBoxes => "safety deposit box",
        }
    }

    /// §4.3: "an account, a safety deposit box or a legal person" can be reported as
    /// disputable or incorrect; a customership cannot.
    pub fn can_be_disputed(self) -> bool {
        self != Section::Customers
    }

    /// What ends a record of this map instead of leaving it out (records are not deleted by
    /// omission).
    pub fn end_field(self) -> &'static str {
        match self {
            Section::LegalPersons => {
                "the endDate of its customership and of its roles (a legal person has no end date of its own)"
            }
            Section::Customers => "endDate",
            Section::Accounts => "closingDate (and the roles' endDate)",
            Section::SafetyDepositBoxes => "endDate (and the roles' endDate)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_indexes_agree_with_split() {
        for (i, s) in Section::ALL.iter().enumerate() {
            assert_eq!(s.index(), i);
            assert_eq!(Section::from_index(i), Some(*s));
            assert_eq!(Section::from_name(s.name()), Some(*s));
        }
        assert_eq!(Section::from_index(4), None);
        assert!(!Section::Customers.can_be_disputed());
    }
}
