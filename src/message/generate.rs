//! Synthetic update reports for tests and suppliers' test environments, which must not hold
//! real data: invented names, temporary-range personal identity codes (individual number
//! 900–999), and valid check digits everywhere. Deterministic for a given seed.

use serde_json::{Map, Value, json};

use crate::identity::BusinessId;
use crate::message::finnish_ids::{hetu_check_character, iban_check_digits};
use crate::profile::message::MessageRules;

const SURNAMES: &[&str] = &[
    "Testinen",
    "Esimerkki",
    "Mallinen",
    "Koekäyttäjä",
    "Demola",
    "Kuvitelma",
    "Harjoitus",
    "Näytteinen",
    "Sepitelmä",
    "Lumetar",
];
const GIVEN: &[&str] = &[
    "Aino", "Eero", "Helmi", "Ilmari", "Kerttu", "Lauri", "Siiri", "Tapio", "Venla", "Onni",
];
const COMPANIES: &[&str] = &[
    "Kuvitteellinen Oy",
    "Esimerkkiyhtiö Ab",
    "Testitalo Oy",
    "Demoverstas Ky",
];

/// A small deterministic generator (xorshift64*): no external randomness, same seed → same file.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // splitmix64 of the seed: distinct seeds give unrelated, non-zero states.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len() as u64) as usize]
    }
    /// A UUID with the version-4 and RFC 9562 variant bits set.
    pub fn uuid_v4(&mut self) -> String {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.next_u64().to_be_bytes());
        b[8..].copy_from_slice(&self.next_u64().to_be_bytes());
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        uuid::Uuid::from_bytes(b).hyphenated().to_string()
    }
    pub fn business_id(&mut self) -> String {
        loop {
            let mut d = [0u8; 7];
            for x in &mut d {
                *x = self.below(10) as u8;
            }
            if let Some(c) = BusinessId::check_digit_for(&d) {
                let digits: String = d.iter().map(|x| char::from(b'0' + x)).collect();
                return format!("{digits}-{c}");
            }
        }
    }
    fn date(&mut self, from_year: u32, years: u32) -> (u32, u32, u32) {
        (
            from_year + self.below(years as u64) as u32,
            1 + self.below(12) as u32,
            1 + self.below(28) as u32,
        )
    }
}

fn iso((y, m, d): (u32, u32, u32)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// One synthetic report with `records` accounts, each with an owner (a private person or,
/// one in eight, an organisation) and that owner's customership.
pub fn report(records: usize, seed: u64, sender: Option<&str>, rules: &MessageRules) -> Value {
    let mut rng = Rng::new(seed);
    let sender = sender.map_or_else(|| rng.business_id(), str::to_owned);
    let reference = rules.role_reference_field.value;
    let mut persons = Map::new();
    let mut customers = Map::new();
    let mut accounts = Map::new();
    for _ in 0..records {
        let person_id = rng.uuid_v4();
        let since = rng.date(2005, 15);
        let person = if rng.below(8) == 0 {
            json!({"organisation": {
                "name": rng.pick(COMPANIES),
                "registrationNumber": {"number": rng.business_id(), "type": "businessId"},
                "registrationAuthority": "PRH",
                "registrationDate": iso(rng.date(1970, 40)),
                // Required (possibly empty) by the v1.0.4 and category-1 schemas.
                "roles": [],
            }})
        } else {
            let (y, m, d) = rng.date(1940, 65);
            let sign = if y >= 2000 { 'A' } else { '-' };
            let individual = 900 + rng.below(100) as u32;
            let hetu = format!(
                "{d:02}{m:02}{:02}{sign}{individual:03}{}",
                y % 100,
                hetu_check_character(d, m, y % 100, individual)
            );
            json!({"privatePerson": {
                "fullName": format!("{}, {} {}", rng.pick(SURNAMES), rng.pick(GIVEN), rng.pick(GIVEN)),
                "birthDate": iso((y, m, d)),
                "hetu": hetu,
            }})
        };
        persons.insert(person_id.clone(), person);
        customers.insert(person_id.clone(), json!({"startDate": iso(since)}));
        let bban = format!(
            "{:06}{:08}",
            100_000 + rng.below(900_000),
            rng.below(100_000_000)
        )[..14]
            .to_owned();
        let iban = format!("FI{}{bban}", iban_check_digits("FI", &bban));
        let mut role = Map::new();
        role.insert("type".into(), Value::from("owner"));
        role.insert(reference.into(), Value::from(person_id));
        role.insert("startDate".into(), Value::from(iso(since)));
        accounts.insert(
            rng.uuid_v4(),
            json!({"id": {"iban": iban}, "openingDate": iso(since), "roles": [Value::Object(role)]}),
        );
    }
    json!({
        "creationDateTime": "2026-01-01T06:00:00.000",
        "senderBusinessId": sender,
        "legalPersons": persons,
        "customers": customers,
        "accounts": accounts,
    })
}
