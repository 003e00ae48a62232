//! The daily loop at scale.
//!
//! `cargo bench --bench daily` writes two generated full exports of about 1,000,000 records
//! each (legal persons, customerships, accounts), the second with 1 % of the records changed,
//! and prints, each as one `tilicheck` process:
//!
//! - `message diff NEW --previous OLD`: wall time and peak memory (targets ≤ 30 s, ≤ 512 MB);
//! - `ledger import OLD` (the ledger for 1 M records): wall time and file size (≤ 200 MB);
//! - `message diff NEW --ledger L`: wall time and peak memory (same targets);
//! - a day's cycle for the 10,000 changed records against that ledger: diff, split, `send DIR
//!   --ledger` to the local simulator (in-process on loopback, DEMO fixtures), each step's
//!   wall time and the total.
//!
//! `TILICHECK_BENCH_DAILY_RECORDS` picks another size (the changed share stays 1 %). Files go to
//! a temporary directory, removed afterwards.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use tilicheck::message::generate;
use tilicheck::profile::Interface;
use tilicheck::simulator::Simulator;

mod support;
use support::fixture;

const SUPPLIER: &str = "1234567-1";
/// Accounts per generated chunk (each with its owner and customership: 3 records).
const CHUNK: usize = 1000;

/// Change one record in a hundred, in a way each map's record can change.
fn change(section: &str, record: &mut Value) {
    match section {
        "legalPersons" => {
            if let Some(p) = record.get_mut("privatePerson") {
                p["fullName"] = Value::from(format!(
                    "{} Muutettu",
                    p["fullName"].as_str().unwrap_or_default()
                ));
            } else if let Some(o) = record.get_mut("organisation") {
                o["name"] = Value::from("Muutettu Oy");
            }
        }
        "customers" => record["endDate"] = Value::from("2026-01-31"),
        _ => {
            if let Some(roles) = record.get_mut("roles").and_then(Value::as_array_mut)
                && let Some(first) = roles.first().cloned()
            {
                let mut access = first;
                access["type"] = Value::from("access");
                access["startDate"] = Value::from("2026-01-15");
                roles.push(access);
            }
        }
    }
}

/// Write an export of `chunks` generated chunks; `changed` changes every hundredth record.
/// Returns (bytes, records, changed records).
fn write_export(path: &Path, chunks: u64, changed: bool) -> (u64, u64, u64) {
    let rules = Interface::V3.profile().message;
    let file = std::fs::File::create(path).expect("create export");
    let mut w = BufWriter::with_capacity(1 << 20, file);
    write!(
        w,
        r#"{{"creationDateTime":"2026-01-01T06:00:00.000","senderBusinessId":"{SUPPLIER}""#
    )
    .expect("write");
    let (mut n, mut altered) = (0u64, 0u64);
    for section in ["legalPersons", "customers", "accounts"] {
        write!(w, ",\"{section}\":{{").expect("write");
        let mut first = true;
        for chunk in 0..chunks {
            let mut v = generate::report(CHUNK, chunk, Some(SUPPLIER), rules);
            let Some(Value::Object(m)) = v.get_mut(section) else {
                continue;
            };
            for (k, rec) in m.iter_mut() {
                if changed && n % 100 == 0 {
                    change(section, rec);
                    altered += 1;
                }
                n += 1;
                if !first {
                    w.write_all(b",").expect("write");
                }
                first = false;
                serde_json::to_writer(&mut w, k).expect("write");
                w.write_all(b":").expect("write");
                serde_json::to_writer(&mut w, rec).expect("write");
            }
        }
        w.write_all(b"}").expect("write");
    }
    w.write_all(b"}\n").expect("write");
    w.flush().expect("flush");
    (std::fs::metadata(path).expect("metadata").len(), n, altered)
}

/// Wall time and peak resident memory (MB) of one `tilicheck` run, from wait4's rusage for
/// that child alone.
fn run(args: &[&std::ffi::OsStr], what: &str) -> (Duration, f64) {
    let out = tempfile::tempfile().expect("temp file");
    let err = tempfile::tempfile().expect("temp file");
    let start = Instant::now();
    // Reaped by wait4 below, which also gives this child's own peak memory.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_tilicheck"))
        .args(args)
        .env("TILICHECK_OFFLINE", "true")
        .stdout(out.try_clone().expect("dup"))
        .stderr(err.try_clone().expect("dup"))
        .spawn()
        .expect("tilicheck runs");
    let mut status = 0;
    // SAFETY: wait4 writes only the status and the rusage it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let took = start.elapsed();
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let text = |mut f: std::fs::File| {
        use std::io::{Read, Seek};
        let mut s = String::new();
        let _ = f.seek(std::io::SeekFrom::Start(0));
        let _ = f.read_to_string(&mut s);
        s
    };
    assert!(
        code.is_some_and(|c| c <= 1),
        "{what} failed ({status}): {}{}",
        text(out),
        text(err)
    );
    (took, usage.ru_maxrss as f64 / 1024.0)
}

fn file_mb(paths: &[PathBuf]) -> f64 {
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum::<u64>() as f64
        / 1e6
}

fn main() {
    let records: u64 = std::env::var("TILICHECK_BENCH_DAILY_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let chunks = records.div_ceil(3 * CHUNK as u64).max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let d = |n: &str| dir.path().join(n);
    let start = Instant::now();
    let (old_bytes, n, _) = write_export(&d("old.json"), chunks, false);
    let (new_bytes, _, altered) = write_export(&d("new.json"), chunks, true);
    println!(
        "exports: {n} records each ({:.0} MB and {:.0} MB), {altered} changed in the second; generated in {:.1} s",
        old_bytes as f64 / 1e6,
        new_bytes as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );

    let os = |s: &str| std::ffi::OsString::from(s);
    let (took, peak) = run(
        &[
            os("message").as_os_str(),
            os("diff").as_os_str(),
            d("new.json").as_os_str(),
            os("--previous").as_os_str(),
            d("old.json").as_os_str(),
            os("--out").as_os_str(),
            d("delta-previous.json").as_os_str(),
        ],
        "diff --previous",
    );
    println!(
        "message diff --previous of {n} records: {:.1} s (target ≤ 30 s), peak memory {peak:.0} MB (target ≤ 512 MB)",
        took.as_secs_f64()
    );

    let ledger = d("ledger.sqlite");
    let (took, import_peak) = run(
        &[
            os("ledger").as_os_str(),
            os("import").as_os_str(),
            d("old.json").as_os_str(),
            os("--correlation-id").as_os_str(),
            os("6a4dcb0a-a8d4-441b-9072-663db803b0e6").as_os_str(),
            os("--category").as_os_str(),
            os("2").as_os_str(),
            os("--ledger").as_os_str(),
            ledger.as_os_str(),
        ],
        "ledger import",
    );
    let size = file_mb(&[
        ledger.clone(),
        d("ledger.sqlite-wal"),
        d("ledger.sqlite-shm"),
    ]);
    println!(
        "ledger import of {n} records: {:.1} s, peak memory {import_peak:.0} MB, ledger file {size:.0} MB (target ≤ 200 MB)",
        took.as_secs_f64()
    );

    let (took, peak) = run(
        &[
            os("message").as_os_str(),
            os("diff").as_os_str(),
            d("new.json").as_os_str(),
            os("--ledger").as_os_str(),
            ledger.as_os_str(),
            os("--out").as_os_str(),
            d("delta.json").as_os_str(),
        ],
        "diff --ledger",
    );
    println!(
        "message diff --ledger of {n} records: {:.1} s (target ≤ 30 s), peak memory {peak:.0} MB (target ≤ 512 MB)",
        took.as_secs_f64()
    );
    assert_eq!(
        std::fs::read(d("delta.json")).expect("delta"),
        std::fs::read(d("delta-previous.json")).expect("delta"),
        "the ledger and the earlier export give the same delta"
    );

    day_cycle(dir.path(), &ledger, altered);
}

/// diff, split and send the day's changes to the simulator, recording them in the ledger.
fn day_cycle(dir: &Path, ledger: &Path, altered: u64) {
    let sim_dir = tempfile::tempdir().expect("tempdir");
    let config = support::simulator_config(sim_dir.path());
    let running = Simulator::start(config).expect("simulator starts");
    let os = |s: &str| std::ffi::OsString::from(s);
    let d = |n: &str| dir.join(n);
    let total = Instant::now();
    let (diff, _) = run(
        &[
            os("message").as_os_str(),
            os("diff").as_os_str(),
            d("new.json").as_os_str(),
            os("--ledger").as_os_str(),
            ledger.as_os_str(),
            os("--out").as_os_str(),
            d("today.json").as_os_str(),
        ],
        "diff",
    );
    let (split, _) = run(
        &[
            os("message").as_os_str(),
            os("split").as_os_str(),
            d("today.json").as_os_str(),
            os("--out").as_os_str(),
            d("parts").as_os_str(),
        ],
        "split",
    );
    let parts = std::fs::read_dir(d("parts")).expect("parts").count();
    let endpoint = format!("https://127.0.0.1:{}", running.addr.port());
    let (send, _) = run(
        &[
            os("send").as_os_str(),
            d("parts").as_os_str(),
            os("--endpoint").as_os_str(),
            os(&endpoint).as_os_str(),
            os("--cert").as_os_str(),
            fixture("supplier-chain.pem").as_os_str(),
            os("--key").as_os_str(),
            fixture("supplier.key").as_os_str(),
            os("--trust-only").as_os_str(),
            fixture("root-ca.pem").as_os_str(),
            os("--ledger").as_os_str(),
            ledger.as_os_str(),
        ],
        "send DIR --ledger",
    );
    let total = total.elapsed();
    // The ledger now holds today's values: the same export gives an empty delta.
    run(
        &[
            os("message").as_os_str(),
            os("diff").as_os_str(),
            d("new.json").as_os_str(),
            os("--ledger").as_os_str(),
            ledger.as_os_str(),
            os("--out").as_os_str(),
            d("tomorrow.json").as_os_str(),
        ],
        "diff after the send",
    );
    let tomorrow: Value =
        serde_json::from_slice(&std::fs::read(d("tomorrow.json")).expect("delta")).expect("JSON");
    assert_eq!(
        tomorrow.as_object().map(|m| m.len()),
        Some(2),
        "nothing left to send once the day is acknowledged"
    );
    println!(
        "day's cycle for {altered} changed records: diff {:.1} s, split {:.2} s, send of {parts} parts with ledger {:.1} s; total {:.1} s",
        diff.as_secs_f64(),
        split.as_secs_f64(),
        send.as_secs_f64(),
        total.as_secs_f64()
    );
    drop(running);
}
