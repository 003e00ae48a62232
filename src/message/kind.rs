//! What kind of report a message is, and for updates which category of data supplier.

use serde_json::Value;

use crate::message::schemas::SchemaId;
use crate::profile::message::MessageRules;

/// The three kinds of report the interface takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Update,
    Disputable,
    Incorrect,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Update => "update",
            Kind::Disputable => "disputable",
            Kind::Incorrect => "incorrect",
        }
    }

    /// The body token's claim that carries this kind of report.
    pub fn claim(self) -> &'static str {
        match self {
            Kind::Update => "reportUpdate",
            Kind::Disputable => "reportDisputable",
            Kind::Incorrect => "reportIncorrect",
        }
    }

    pub const CLAIMS: [&'static str; 3] = ["reportUpdate", "reportDisputable", "reportIncorrect"];

    pub fn from_claim(claim: &str) -> Option<Kind> {
        match claim {
            "reportUpdate" => Some(Kind::Update),
            "reportDisputable" => Some(Kind::Disputable),
            "reportIncorrect" => Some(Kind::Incorrect),
            _ => None,
        }
    }
}

/// The data supplier's category (v3): 1 = credit institution, 2 = payment or e-money
/// institution or virtual-currency provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    One,
    Two,
}

impl Category {
    pub fn from_number(n: u8) -> Option<Category> {
        match n {
            1 => Some(Category::One),
            2 => Some(Category::Two),
            _ => None,
        }
    }
    pub fn number(self) -> u8 {
        match self {
            Category::One => 1,
            Category::Two => 2,
        }
    }
}

/// The kind and category a message is judged as, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    pub kind: Kind,
    pub category: Category,
    /// How kind and category were decided, for the report summary.
    pub reason: String,
}

impl Classified {
    /// The schema this message is validated against, or `None` when the version has none.
    pub fn schema(&self, rules: &MessageRules) -> Option<SchemaId> {
        let s = &rules.schemas.value;
        match (self.kind, self.category) {
            (Kind::Update, Category::One) => Some(s.update_cat1),
            (Kind::Update, Category::Two) => Some(s.update_cat2),
            (Kind::Disputable, _) => s.disputable,
            (Kind::Incorrect, _) => s.incorrect,
        }
    }

    /// The request path this message is sent to.
    pub fn endpoint(&self, rules: &MessageRules) -> &'static str {
        let e = &rules.endpoints.value;
        match (self.kind, self.category) {
            (Kind::Update, Category::One) => e.update_cat1,
            (Kind::Update, Category::Two) => e.update_cat2,
            (Kind::Disputable, _) => e.disputable,
            (Kind::Incorrect, _) => e.incorrect,
        }
    }
}

/// Decide kind and category: the user's choice where given, otherwise from the content.
pub fn classify(
    report: &Value,
    rules: &MessageRules,
    kind: Option<Kind>,
    category: Option<Category>,
) -> Classified {
    let mut reasons = Vec::new();
    let kind = kind.unwrap_or_else(|| {
        let detected = detect_kind(report);
        reasons.push(format!(
            "kind {} detected from its fields",
            detected.as_str()
        ));
        detected
    });
    let category = if kind != Kind::Update || !rules.has_categories {
        category.unwrap_or(Category::Two)
    } else {
        category.unwrap_or_else(|| {
            let (c, why) = detect_category(report);
            reasons.push(why);
            c
        })
    };
    Classified {
        kind,
        category,
        reason: if reasons.is_empty() {
            "as given on the command line".into()
        } else {
            reasons.join("; ")
        },
    }
}

/// A report naming a record by `referredEntityId` is disputable (with `disputed`) or
/// incorrect; anything else is an update.
pub fn detect_kind(report: &Value) -> Kind {
    match report.as_object() {
        Some(o) if o.contains_key("referredEntityId") && o.contains_key("disputed") => {
            Kind::Disputable
        }
        Some(o) if o.contains_key("referredEntityId") => Kind::Incorrect,
        _ => Kind::Update,
    }
}

/// Only credit institutions (category 1) report safety-deposit boxes and beneficiaries; a
/// message with neither is read as category 2. (accountPurpose is no marker: the official
/// category-2 example carries it too.)
fn detect_category(report: &Value) -> (Category, String) {
    if report.get("safetyDepositBoxes").is_some() {
        return (
            Category::One,
            "category 1 (credit institution): it reports safety-deposit boxes".into(),
        );
    }
    let beneficiary = |v: &Value| {
        v.get("legalPersons")
            .and_then(Value::as_object)
            .is_some_and(|lp| {
                lp.values().any(|p| {
                    p.pointer("/organisation/roles")
                        .and_then(Value::as_array)
                        .is_some_and(|r| !r.is_empty())
                })
            })
    };
    if beneficiary(report) {
        return (
            Category::One,
            "category 1 (credit institution): an organisation lists beneficiaries".into(),
        );
    }
    (
        Category::Two,
        "category 2 assumed: no safety-deposit boxes or beneficiaries (use --category 1 for a credit institution)".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Interface;
    use serde_json::json;

    #[test]
    fn kind_and_category_from_the_fields() {
        let v3 = Interface::V3.profile().message;
        let c = classify(
            &json!({"referredEntityId": "x", "disputed": true}),
            v3,
            None,
            None,
        );
        assert_eq!(
            (c.kind, c.endpoint(v3)),
            (Kind::Disputable, "/v3/report-disputable/")
        );
        let c = classify(&json!({"referredEntityId": "x"}), v3, None, None);
        assert_eq!(c.kind, Kind::Incorrect);
        let c = classify(&json!({"safetyDepositBoxes": {}}), v3, None, None);
        assert_eq!(
            (c.category, c.endpoint(v3)),
            (Category::One, "/v3/report-update/cat-1/")
        );
        let c = classify(&json!({"accounts": {}}), v3, None, None);
        assert_eq!(c.category, Category::Two);
        assert!(c.reason.contains("category 2 assumed"));
        let c = classify(&json!({}), v3, Some(Kind::Update), Some(Category::One));
        assert_eq!(c.reason, "as given on the command line");
        let v1 = Interface::V1_0_4.profile().message;
        let c = classify(&json!({"safetyDepositBoxes": {}}), v1, None, None);
        assert_eq!(c.endpoint(v1), "/report-update");
        assert_eq!(c.schema(v1), Some(SchemaId::V104Update));
    }
}
