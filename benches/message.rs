//! Message throughput.
//!
//! `cargo bench --bench message` prints:
//! - validate + sign of a report of about 50 kB (target ≤ 5 ms): strict parse, schema,
//!   content checks and both RS256 tokens, median and best of 200 runs, in-process;
//! - split of a generated full load (target ≥ 50 MB/s with ≤ 256 MB peak memory): MB/s over
//!   the input and the process's peak resident memory (VmHWM; Linux only).
//!
//! The load is 500 MB unless `TILICHECK_BENCH_SPLIT_MB` says otherwise; it is written to a
//! temporary directory and removed afterwards.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use tilicheck::checks::message::{MessageInput, message_subject};
use tilicheck::message::jws::{self, SigningKey};
use tilicheck::message::kind::{self, Kind};
use tilicheck::message::{generate, parse, split};
use tilicheck::pki::load;
use tilicheck::profile::Interface;
use tilicheck::secret::PasswordSource;

fn main() {
    let profile = Interface::V3.profile();
    validate_and_sign(profile);
    split_load(profile);
}

fn validate_and_sign(profile: &'static tilicheck::profile::RegisterProfile) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pki");
    let key = load::read_private_key(&fixtures.join("supplier.key"), &PasswordSource::None)
        .expect("DEMO supplier key");
    let signing_key = SigningKey::from_private_key(&key.der).expect("RSA key");
    // About 50 kB of pretty-printed JSON, as a supplier's system would write it.
    let mut records = 60;
    let text = loop {
        let v = generate::report(records, 42, Some("1234567-1"), profile.message);
        let t = serde_json::to_string_pretty(&v).expect("serialise");
        if t.len() >= 50_000 {
            break t;
        }
        records += 2;
    };
    let mut times = Vec::new();
    let mut jwt = 0;
    for _ in 0..200 {
        let start = Instant::now();
        let value = parse::parse_bytes(text.as_bytes()).expect("valid JSON");
        let c = kind::classify(&value, profile.message, None, None);
        let (auth, body) = jws::claims(
            profile.message.claims.value,
            Kind::Update,
            "1234567-1",
            "1234567-1",
            &text,
            &value,
        );
        let tokens = jws::sign(&signing_key, &auth, &body).expect("signed");
        let subject = message_subject(
            "bench",
            &MessageInput {
                report: &value,
                classified: &c,
                expected_sender: None,
                jwt_len: tokens.body.len(),
                jwt_len_basis: "measured",
                profile,
            },
        );
        std::hint::black_box(&subject);
        times.push(start.elapsed());
        jwt = tokens.body.len();
    }
    times.sort();
    println!(
        "validate + sign, {} bytes of JSON ({records} accounts, {jwt} bytes as JWT): median {:.2} ms, best {:.2} ms (target ≤ 5 ms)",
        text.len(),
        ms(times[times.len() / 2]),
        ms(times[0]),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Write a load of about `mb` MB without holding it in memory: the same deterministic chunks
/// are generated once per section.
fn write_load(
    path: &Path,
    mb: u64,
    rules: &'static tilicheck::profile::message::MessageRules,
) -> u64 {
    const CHUNK: usize = 1000;
    let sample = generate::report(CHUNK, 0, Some("1234567-1"), rules);
    let per_chunk = serde_json::to_string(&sample).expect("serialise").len() as u64;
    let chunks = (mb * 1_000_000).div_ceil(per_chunk).max(1);
    let file = std::fs::File::create(path).expect("create load");
    let mut w = BufWriter::with_capacity(1 << 20, file);
    write!(
        w,
        r#"{{"creationDateTime":"2026-01-01T06:00:00.000","senderBusinessId":"1234567-1""#
    )
    .expect("write");
    for section in ["legalPersons", "customers", "accounts"] {
        write!(w, ",\"{section}\":{{").expect("write");
        for chunk in 0..chunks {
            let v = generate::report(CHUNK, chunk, Some("1234567-1"), rules);
            let Some(Value::Object(m)) = v.get(section) else {
                continue;
            };
            for (i, (k, rec)) in m.iter().enumerate() {
                if chunk > 0 || i > 0 {
                    w.write_all(b",").expect("write");
                }
                serde_json::to_writer(&mut w, k).expect("write");
                w.write_all(b":").expect("write");
                serde_json::to_writer(&mut w, rec).expect("write");
            }
        }
        w.write_all(b"}").expect("write");
    }
    w.write_all(b"}\n").expect("write");
    w.flush().expect("flush");
    std::fs::metadata(path).expect("metadata").len()
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn split_load(profile: &'static tilicheck::profile::RegisterProfile) {
    let mb: u64 = std::env::var("TILICHECK_BENCH_SPLIT_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("load.json");
    let start = Instant::now();
    let bytes = write_load(&input, mb, profile.message);
    let generated = start.elapsed();
    let before = peak_rss_mb();
    let start = Instant::now();
    let summary = split::split(&input, &dir.path().join("parts"), profile).expect("split");
    let took = start.elapsed();
    let after = peak_rss_mb();
    println!(
        "split of a generated full load: {:.1} MB ({} records per section) into {} messages in {:.1} s: {:.1} MB/s (target ≥ 50 MB/s); generating it took {:.1} s",
        bytes as f64 / 1e6,
        summary.records[0],
        summary.parts.len(),
        took.as_secs_f64(),
        bytes as f64 / 1e6 / took.as_secs_f64(),
        generated.as_secs_f64(),
    );
    match (before, after) {
        (Some(b), Some(a)) => println!(
            "peak resident memory of the process: {a:.0} MB (before the split {b:.0} MB; target ≤ 256 MB)"
        ),
        _ => println!("peak resident memory: not available on this platform"),
    }
}
