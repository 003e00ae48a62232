//! `message split` checked part by part by independent means: every part is signed by
//! `message sign` and measured, validated alone by Python `jsonschema` against the official
//! schema, and checked by a Python script for forward references and for the union of the
//! parts being exactly the input (numbers compared as decimals, so nothing is rounded on the
//! way). The inputs are a generated 20,000-legal-person load whose 2,000 organisations name
//! beneficiaries and each other (cycles included), and Customs' own example repeated 40 times.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::support::{AT, SUPPLIER_ID, tilicheck};

/// Checks a split from the outside. Prints one JSON line: the parts, schema errors, forward
/// references, records sent twice, and sections whose union differs from the input.
const ORACLE: &str = r#"
import json, os, sys
from decimal import Decimal
import jsonschema

input_path, parts_dir, schema_path, field = sys.argv[1:5]
SECTIONS = ["legalPersons", "customers", "accounts", "safetyDepositBoxes"]

def no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate key " + k)
        d[k] = v
    return d

def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=Decimal, object_pairs_hook=no_duplicates)

def references(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == field and isinstance(x, str):
                yield x
            else:
                yield from references(x)
    elif isinstance(v, list):
        for x in v:
            yield from references(x)

source = load(input_path)
known = set(source.get("legalPersons", {}))
validator = jsonschema.Draft7Validator(json.load(open(schema_path)))
sent, union = set(), {s: {} for s in SECTIONS}
out = {"parts": 0, "schema_errors": [], "forward": [], "twice": [], "header": [], "differs": []}
for name in sorted(os.listdir(parts_dir)):
    part = load(os.path.join(parts_dir, name))
    out["parts"] += 1
    for e in list(validator.iter_errors(part))[:3]:
        out["schema_errors"].append(name + ": " + e.message[:200])
    for h in ["creationDateTime", "senderBusinessId"]:
        if part.get(h) != source.get(h):
            out["header"].append(name + ": " + h)
    if set(part) - set(SECTIONS) - {"creationDateTime", "senderBusinessId"}:
        out["header"].append(name + ": other fields")
    sent |= set(part.get("legalPersons", {}))
    for s in SECTIONS:
        for key, record in part.get(s, {}).items():
            if key in union[s]:
                out["twice"].append(s + "/" + key)
            union[s][key] = record
            named = list(references(record)) + ([key] if s == "customers" else [])
            for r in named:
                if r in known and r not in sent:
                    out["forward"].append(name + ": " + s + "/" + key + " -> " + r)
for s in SECTIONS:
    if union[s] != source.get(s, {}):
        out["differs"].append(s)
print(json.dumps(out))
"#;

fn schema(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-data/tilirekisteri/v3/schemas")
        .join(name)
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-data/tilirekisteri/v3/examples")
        .join(name)
}

/// A deterministic UUIDv4 for record `n` of kind `kind`; keys sort by `n`, so the kinds
/// interleave.
fn uuid(kind: u32, n: u32) -> String {
    format!(
        "{n:08x}-{:04x}-4{:03x}-8{:03x}-{kind:012x}",
        n % 0xffff,
        n % 0xfff,
        kind % 0xfff
    )
}

/// A small deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % u64::from(n)) as u32
    }
}

/// 18,000 private persons and 2,000 organisations (each naming three beneficiaries, one in
/// ten another organisation too, and two cycles of organisations), 2,000 accounts, 2,000
/// customers and 200 safety-deposit boxes: category 1. Record keys are ordered as a JSON
/// object sorts them, so organisations and the people they name are interleaved.
fn generated_load() -> Value {
    let mut rng = Lcg(7);
    let mut persons = Map::new();
    for n in 0..18_000 {
        persons.insert(
            uuid(1, n),
            json!({"privatePerson": {"fullName": format!("Testinen, Henkilö {n}"), "birthDate": "1980-01-01", "nationalities": ["FI"]}}),
        );
    }
    for n in 0..2_000u32 {
        let mut roles: Vec<Value> = (0..3)
            .map(|_| json!({"type": "beneficiary", "startDate": "2021-01-01", "legalPersonReference": uuid(1, rng.below(18_000))}))
            .collect();
        if n % 10 == 0 {
            roles.push(
                json!({"type": "beneficiary", "legalPersonReference": uuid(2, rng.below(2_000))}),
            );
        }
        // Cycles: 100 ↔ 101, and 200 → 201 → 202 → 200.
        let cycle = match n {
            100 => Some(101),
            101 => Some(100),
            200 => Some(201),
            201 => Some(202),
            202 => Some(200),
            _ => None,
        };
        if let Some(other) = cycle {
            roles.push(json!({"type": "beneficiary", "legalPersonReference": uuid(2, other)}));
        }
        persons.insert(
            uuid(2, n),
            json!({"organisation": {"name": format!("Esimerkki {n} Oy"), "registrationNumber": {"number": "1234567-1", "type": "businessId"}, "roles": roles}}),
        );
    }
    let mut accounts = Map::new();
    let mut customers = Map::new();
    for n in 0..2_000u32 {
        let owner = if n % 4 == 0 {
            uuid(2, rng.below(2_000))
        } else {
            uuid(1, rng.below(18_000))
        };
        accounts.insert(
            uuid(3, n),
            json!({"id": {"iban": "FI2112345600000785"}, "openingDate": "2021-01-01", "roles": [{"type": "owner", "startDate": "2021-01-01", "legalPersonReference": owner}]}),
        );
        customers.insert(owner, json!({"startDate": "2021-01-01"}));
    }
    let mut boxes = Map::new();
    for n in 0..200u32 {
        boxes.insert(
            uuid(4, n),
            json!({"id": format!("BOX-{n}"), "startDate": "2021-01-01", "roles": [{"type": "access", "startDate": "2021-01-01", "legalPersonReference": uuid(1, rng.below(18_000))}]}),
        );
    }
    json!({
        "creationDateTime": "2026-01-01T06:00:00.000",
        "senderBusinessId": SUPPLIER_ID,
        "legalPersons": persons,
        "customers": customers,
        "accounts": accounts,
        "safetyDepositBoxes": boxes,
    })
}

/// Customs' category-1 example 40 times (the original and 39 copies, each with its own
/// record keys).
fn example_times_40() -> Value {
    let text = std::fs::read_to_string(example("report-update-v3-credit_institution.json"))
        .expect("example");
    let original: Value = serde_json::from_str(&text).expect("json");
    let keys: Vec<String> = [
        "legalPersons",
        "customers",
        "accounts",
        "safetyDepositBoxes",
    ]
    .iter()
    .filter_map(|s| original[*s].as_object())
    .flat_map(|m| m.keys().cloned())
    .collect();
    let mut merged = original.clone();
    for copy in 1..40u32 {
        let mut t = text.clone();
        for k in &keys {
            // Replace the first eight hex digits: the version and variant stay.
            t = t.replace(k.as_str(), &format!("{copy:08x}{}", &k[8..]));
        }
        let v: Value = serde_json::from_str(&t).expect("copy");
        for section in [
            "legalPersons",
            "customers",
            "accounts",
            "safetyDepositBoxes",
        ] {
            if let (Some(into), Some(from)) =
                (merged[section].as_object_mut(), v[section].as_object())
            {
                into.extend(from.clone());
            }
        }
    }
    merged
}

fn split_into(input: &Path, out: &Path) {
    let run = tilicheck()
        .args(["message", "split"])
        .arg(input)
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn oracle(input: &Path, parts: &Path, schema_file: &str) -> Value {
    let schema = schema(schema_file);
    crate::support::python_json(
        "the split oracle",
        ORACLE,
        [
            input.as_os_str(),
            parts.as_os_str(),
            schema.as_os_str(),
            "legalPersonReference".as_ref(),
        ],
    )
}

/// Sign every part with the DEMO supplier (RSA 3072, a 9-character sub) and check it would
/// still fit with the split's budget: a 20-character sub and an RSA-4096 signature.
fn every_part_fits_as_signed(parts: &Path) -> usize {
    let mut files: Vec<PathBuf> = std::fs::read_dir(parts)
        .expect("parts")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let b64 = |n: usize| (n * 4).div_ceil(3);
    for f in &files {
        let out = tilicheck()
            .args(["message", "sign", "--format", "json", "--at", AT])
            .arg(f)
            .args(["--key", "supplier.key", "--cert", "supplier.pem"])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let signed: Value = serde_json::from_slice(&out.stdout).expect("json");
        let body = signed["body"].as_str().expect("body token");
        let mut pieces = body.split('.');
        let (header, payload) = (
            pieces.next().expect("header"),
            pieces.next().expect("payload"),
        );
        let payload_len = URL_SAFE_NO_PAD.decode(payload).expect("b64").len();
        let budgeted =
            header.len() + 1 + b64(payload_len + (20 - SUPPLIER_ID.len())) + 1 + b64(512);
        assert!(
            budgeted <= 50_000,
            "{}: {} bytes signed, {budgeted} with the budget",
            f.display(),
            body.len()
        );
    }
    files.len()
}

fn assert_clean(report: &Value) {
    for key in ["schema_errors", "forward", "twice", "header", "differs"] {
        let list = report[key].as_array().expect("list");
        assert!(
            list.is_empty(),
            "{key}: {} e.g. {:?}",
            list.len(),
            &list[..list.len().min(5)]
        );
    }
}

/// Split `load`, have the oracle check every part, and sign every part: the oracle's report
/// (already asserted clean) and the number of parts that fit as signed.
fn split_and_check(load: &Value) -> (Value, usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("load.json");
    std::fs::write(&input, serde_json::to_string_pretty(load).expect("json")).expect("write");
    let parts = dir.path().join("parts");
    split_into(&input, &parts);
    let report = oracle(
        &input,
        &parts,
        "information_update-v3-credit_institution.json",
    );
    assert_clean(&report);
    let n = every_part_fits_as_signed(&parts);
    (report, n)
}

#[test]
fn a_load_of_20000_legal_persons_keeps_beneficiaries_no_later_than_their_organisations() {
    let (report, n) = split_and_check(&generated_load());
    assert_eq!(report["parts"], n);
    assert!(n > 20, "{n} parts");
}

#[test]
fn the_official_example_forty_times_keeps_its_references_ordered() {
    let (_, n) = split_and_check(&example_times_40());
    assert!(n >= 5, "{n} parts");
}

#[test]
fn the_oracle_sees_a_forward_reference() {
    // Without this the clean reports above would prove nothing.
    let dir = tempfile::tempdir().expect("tempdir");
    let person = uuid(1, 1);
    let org = uuid(2, 1);
    let input = dir.path().join("in.json");
    let whole = json!({
        "creationDateTime": "2026-01-01T06:00:00", "senderBusinessId": SUPPLIER_ID,
        "legalPersons": {
            person.clone(): {"privatePerson": {"fullName": "A", "birthDate": "1980-01-01", "nationalities": ["FI"]}},
            org.clone(): {"organisation": {"name": "B", "registrationNumber": {"number": "1", "type": "registrationNumber"}, "roles": [{"type": "beneficiary", "legalPersonReference": person.clone()}]}}
        }
    });
    std::fs::write(&input, whole.to_string()).expect("write");
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).expect("dir");
    let mut first = whole.clone();
    first["legalPersons"]
        .as_object_mut()
        .expect("map")
        .remove(&person);
    let mut second = whole.clone();
    second["legalPersons"]
        .as_object_mut()
        .expect("map")
        .remove(&org);
    std::fs::write(parts.join("part-000001.json"), first.to_string()).expect("write");
    std::fs::write(parts.join("part-000002.json"), second.to_string()).expect("write");
    let report = oracle(
        &input,
        &parts,
        "information_update-v3-credit_institution.json",
    );
    assert_eq!(
        report["forward"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert!(report["differs"].as_array().expect("list").is_empty());
}
