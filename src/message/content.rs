//! What the schema cannot see: the sender, record keys and references, check digits, dates.
//! Pure: reads a parsed report, returns problems with the JSON pointer they were found at.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::identity::BusinessId;
use crate::message::finnish_ids::{check_hetu, check_iban, is_date_time, is_uuid_v4, parse_date};
use crate::message::kind::Kind;
use crate::message::parse::escape_pointer;
use crate::profile::message::MessageRules;

/// One thing wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub text: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pointer.is_empty() {
            f.write_str(&self.text)
        } else {
            write!(f, "{}: {}", self.pointer, self.text)
        }
    }
}

/// The business ID a report's `senderBusinessId` must be, and who says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpectedSender<'a> {
    pub id: &'a BusinessId,
    pub from: SenderSource,
}

/// Where the expected sender comes from, so that a mismatch can say which input to fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderSource {
    /// The user's `--business-id`.
    BusinessIdOption,
    /// The signing certificate's identifier: the register refuses a report whose sender is
    /// not the one who signed it.
    SigningCertificate,
    /// The supplier named in the readiness configuration.
    Configuration,
}

impl<'a> ExpectedSender<'a> {
    pub fn new(id: &'a BusinessId, from: SenderSource) -> Self {
        ExpectedSender { id, from }
    }

    fn mismatch(&self, written: &str) -> String {
        let exp = self.id.business_id_form();
        match self.from {
            SenderSource::BusinessIdOption => {
                format!("is {written}, but the supplier is {exp} (--business-id)")
            }
            SenderSource::SigningCertificate => format!(
                "is {written}, but the tokens are signed with {exp}'s certificate: the sender must be the signer"
            ),
            SenderSource::Configuration => {
                format!("is {written}, but the supplier is {exp} (the configuration's business_id)")
            }
        }
    }
}

/// Everything the content review found.
#[derive(Clone, Debug, Default)]
pub struct ContentReview {
    /// senderBusinessId / creationDateTime problems (MSG-SENDER).
    pub sender: Vec<Problem>,
    /// Record keys that are not UUIDv4, malformed references (MSG-IDS).
    pub ids: Vec<Problem>,
    /// References to records not in this message: they must have been sent earlier.
    pub earlier: Vec<Problem>,
    /// Values not written in the form the interface requires: identifiers with spaces or the
    /// wrong length, malformed dates, role types (MSG-CONTENT).
    pub content: Vec<Problem>,
    /// Well-formed values that look wrong: check digits that do not add up, dates that
    /// contradict each other (MSG-QUALITY).
    pub quality: Vec<Problem>,
    /// Records that ended before the interface's cut-off date (MSG-QUALITY).
    pub before_cutoff: Vec<Problem>,
    /// How many records of each kind were seen.
    pub counts: Counts,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub legal_persons: usize,
    pub customers: usize,
    pub accounts: usize,
    pub safety_deposit_boxes: usize,
    pub roles: usize,
}

/// Review a report of `kind` under `rules`; `expected_sender` is the supplier's business ID
/// when the user gave it.
pub fn review(
    report: &Value,
    kind: Kind,
    rules: &MessageRules,
    expected_sender: Option<ExpectedSender<'_>>,
) -> ContentReview {
    let mut r = Reviewer {
        rules,
        out: ContentReview::default(),
        legal_persons: BTreeSet::new(),
    };
    if let Some(root) = report.as_object() {
        match kind {
            Kind::Update => r.update(root, expected_sender),
            Kind::Disputable | Kind::Incorrect => r.referral(root, kind),
        }
    }
    r.out
}

struct Reviewer<'a> {
    rules: &'a MessageRules,
    out: ContentReview,
    legal_persons: BTreeSet<String>,
}

fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_pointer(token))
}

impl Reviewer<'_> {
    fn problem(list: &mut Vec<Problem>, pointer: impl Into<String>, text: impl Into<String>) {
        list.push(Problem {
            pointer: pointer.into(),
            text: text.into(),
        });
    }

    fn update(&mut self, root: &Map<String, Value>, expected: Option<ExpectedSender<'_>>) {
        self.sender(root, expected);
        let maps = [
            "legalPersons",
            "customers",
            "accounts",
            "safetyDepositBoxes",
        ];
        for name in maps {
            if let Some(map) = root.get(name).and_then(Value::as_object) {
                for key in map.keys() {
                    if !is_uuid_v4(key) {
                        Self::problem(
                            &mut self.out.ids,
                            child(&format!("/{name}"), key),
                            format!(
                                "record key \"{key}\" is not a UUIDv4 (lower-case hyphenated, version 4)"
                            ),
                        );
                    }
                }
            }
        }
        if let Some(lp) = root.get("legalPersons").and_then(Value::as_object) {
            self.legal_persons = lp.keys().cloned().collect();
            self.out.counts.legal_persons = lp.len();
            for (key, person) in lp {
                self.legal_person(&child("/legalPersons", key), person);
            }
        }
        if let Some(customers) = root.get("customers").and_then(Value::as_object) {
            self.out.counts.customers = customers.len();
            for (key, c) in customers {
                let p = child("/customers", key);
                if !self.legal_persons.contains(key) {
                    Self::problem(
                        &mut self.out.earlier,
                        p.clone(),
                        format!(
                            "customer {key} is no legal person of this message: refers to a record sent earlier"
                        ),
                    );
                }
                self.period(&p, c, "startDate", "endDate");
            }
        }
        if let Some(accounts) = root.get("accounts").and_then(Value::as_object) {
            self.out.counts.accounts = accounts.len();
            for (key, a) in accounts {
                let p = child("/accounts", key);
                if let Some(iban) = a.pointer("/id/iban").and_then(Value::as_str)
                    && let Err(e) = check_iban(iban)
                {
                    let list = if e.is_checksum() {
                        &mut self.out.quality
                    } else {
                        &mut self.out.content
                    };
                    Self::problem(list, format!("{p}/id/iban"), format!("IBAN {iban} {e}"));
                }
                self.period(&p, a, "openingDate", "closingDate");
                self.roles(&p, a, &["owner", "access"]);
            }
        }
        if let Some(boxes) = root.get("safetyDepositBoxes").and_then(Value::as_object) {
            self.out.counts.safety_deposit_boxes = boxes.len();
            for (key, b) in boxes {
                let p = child("/safetyDepositBoxes", key);
                self.period(&p, b, "startDate", "endDate");
                self.roles(&p, b, &["owner", "access"]);
            }
        }
    }

    fn sender(&mut self, root: &Map<String, Value>, expected: Option<ExpectedSender<'_>>) {
        match root.get("senderBusinessId").and_then(Value::as_str) {
            Some(id) => match crate::identity::parse_written(id) {
                Ok(written) => {
                    if let Some(exp) = expected
                        && written.id != *exp.id
                    {
                        Self::problem(&mut self.out.sender, "/senderBusinessId", exp.mismatch(id));
                    }
                }
                Err(e) => Self::problem(
                    &mut self.out.sender,
                    "/senderBusinessId",
                    format!("\"{id}\" {e}"),
                ),
            },
            None => Self::problem(
                &mut self.out.sender,
                "/senderBusinessId",
                "is missing or not a string",
            ),
        }
        match root.get("creationDateTime").and_then(Value::as_str) {
            Some(t) if is_date_time(t) => {}
            Some(t) => Self::problem(
                &mut self.out.sender,
                "/creationDateTime",
                format!(
                    "\"{t}\" is not YYYY-MM-DDThh:mm:ss.s (Finnish time, as in the official examples)"
                ),
            ),
            None => Self::problem(
                &mut self.out.sender,
                "/creationDateTime",
                "is missing or not a string",
            ),
        }
    }

    fn legal_person(&mut self, p: &str, person: &Value) {
        if let Some(org) = person.get("organisation") {
            let op = format!("{p}/organisation");
            let number = org
                .pointer("/registrationNumber/number")
                .and_then(Value::as_str);
            let kind = org
                .pointer("/registrationNumber/type")
                .and_then(Value::as_str);
            if let (Some(n), Some("businessId")) = (number, kind)
                && let Err(e) = BusinessId::parse(n)
            {
                let list = if e.is_check_digit() {
                    &mut self.out.quality
                } else {
                    &mut self.out.content
                };
                Self::problem(
                    list,
                    format!("{op}/registrationNumber/number"),
                    format!("business ID {n:?} {e}"),
                );
            }
            self.date(&op, org, "registrationDate");
            self.roles(&op, org, &["beneficiary"]);
        }
        if let Some(pp) = person.get("privatePerson") {
            let pp_ptr = format!("{p}/privatePerson");
            let birth = self.date(&pp_ptr, pp, "birthDate");
            if let Some(hetu) = pp.get("hetu").and_then(Value::as_str) {
                match check_hetu(hetu) {
                    Ok(date) => {
                        if let Some(b) = birth
                            && b != date
                        {
                            Self::problem(
                                &mut self.out.quality,
                                format!("{pp_ptr}/birthDate"),
                                format!("is {b}, but the personal identity code encodes {date}"),
                            );
                        }
                    }
                    Err(e) => Self::problem(
                        if e.is_implausible() {
                            &mut self.out.quality
                        } else {
                            &mut self.out.content
                        },
                        format!("{pp_ptr}/hetu"),
                        format!("personal identity code {hetu:?}: {e}"),
                    ),
                }
            }
            if let Some(list) = pp.get("nationalities").and_then(Value::as_array) {
                for (i, n) in list.iter().enumerate() {
                    if let Some(code) = n.as_str()
                        && !(code.len() == 2 && code.bytes().all(|c| c.is_ascii_uppercase()))
                    {
                        Self::problem(
                            &mut self.out.content,
                            format!("{pp_ptr}/nationalities/{i}"),
                            format!("\"{code}\" is not an ISO 3166 alpha-2 code in capitals"),
                        );
                    }
                }
            }
        }
    }

    /// A date field; a malformed one is a problem. Returns the parsed date.
    fn date(&mut self, p: &str, obj: &Value, field: &str) -> Option<time::Date> {
        let s = obj.get(field)?.as_str()?;
        let d = parse_date(s);
        if d.is_none() {
            Self::problem(
                &mut self.out.content,
                child(p, field),
                format!("\"{s}\" is not a date YYYY-MM-DD"),
            );
        }
        d
    }

    /// A start/end pair: both well-formed, start ≤ end, end not before the cut-off.
    fn period(&mut self, p: &str, obj: &Value, start: &str, end: &str) {
        let s = self.date(p, obj, start);
        let e = self.date(p, obj, end);
        if let (Some(s), Some(e)) = (s, e)
            && s > e
        {
            Self::problem(
                &mut self.out.quality,
                child(p, end),
                format!("{end} {e} is before {start} {s}"),
            );
        }
        if let (Some(e), Some(cutoff)) = (e, self.rules.ended_before_cutoff.as_ref())
            && let Some(c) = parse_date(cutoff.value)
            && e < c
        {
            Self::problem(
                &mut self.out.before_cutoff,
                child(p, end),
                format!(
                    "ended {e}, before {}: such records are not to be reported",
                    cutoff.value
                ),
            );
        }
    }

    fn roles(&mut self, p: &str, obj: &Value, allowed: &[&str]) {
        let Some(roles) = obj.get("roles").and_then(Value::as_array) else {
            return;
        };
        let field = self.rules.role_reference_field.value;
        for (i, role) in roles.iter().enumerate() {
            self.out.counts.roles += 1;
            let rp = format!("{p}/roles/{i}");
            if let Some(t) = role.get("type").and_then(Value::as_str)
                && !allowed.contains(&t)
            {
                Self::problem(
                    &mut self.out.content,
                    format!("{rp}/type"),
                    format!(
                        "role type {t} is not allowed here (the interface description allows {})",
                        allowed.join(" or ")
                    ),
                );
            }
            match role.get(field).and_then(Value::as_str) {
                Some(r) if !is_uuid_v4(r) => Self::problem(
                    &mut self.out.ids,
                    child(&rp, field),
                    format!("reference \"{r}\" is not a UUIDv4"),
                ),
                Some(r) if !self.legal_persons.contains(r) => Self::problem(
                    &mut self.out.earlier,
                    child(&rp, field),
                    format!(
                        "legal person {r} is not in this message: refers to a record sent earlier"
                    ),
                ),
                _ => {}
            }
            self.period(&rp, role, "startDate", "endDate");
        }
    }

    fn referral(&mut self, root: &Map<String, Value>, kind: Kind) {
        let mut fields = vec!["referredEntityId"];
        if self.rules.correlation_id_required {
            fields.push("correlationId");
        }
        for f in fields {
            match root.get(f) {
                Some(Value::String(s)) if is_uuid_v4(s) => {}
                Some(Value::String(s)) => Self::problem(
                    &mut self.out.ids,
                    format!("/{f}"),
                    format!("\"{s}\" is not a UUIDv4"),
                ),
                Some(_) => Self::problem(&mut self.out.ids, format!("/{f}"), "is not a string"),
                None => Self::problem(&mut self.out.ids, format!("/{f}"), "is missing"),
            }
        }
        if kind == Kind::Disputable && !root.get("disputed").is_some_and(Value::is_boolean) {
            Self::problem(
                &mut self.out.content,
                "/disputed",
                "must be true (dispute) or false (lift the dispute)",
            );
        }
        self.out.earlier.push(Problem {
            pointer: "/referredEntityId".into(),
            text: "names a record sent earlier; the register rejects it if that record is unknown"
                .into(),
        });
    }
}
