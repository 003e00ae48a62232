//! `tilicheck audit` over 10,000 certificates, offline, as a whole process.
//!
//! `cargo bench --bench audit` prints the wall time (median and best of 5), certificates per
//! second, and the process's peak resident memory; then the same 10,000 certificates as one
//! PEM file (target: under 2 s), which was quadratic before each certificate was offered only
//! its own issuers.

use std::process::{Command, Stdio};
use std::time::Instant;

use tilicheck::pki::demo::bulk::{BulkOptions, write_bulk};
use tilicheck::time_arg::parse_check_time;

const COUNT: usize = 10_000;

fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = BulkOptions {
        count: COUNT,
        first_expiry: parse_check_time("2030-01-10").expect("date"),
        spread_days: 700,
    };
    let start = Instant::now();
    write_bulk(dir.path(), options).expect("bulk certificates");
    println!(
        "generated {COUNT} certificates in {:.1} s (not part of the figures below)",
        start.elapsed().as_secs_f64()
    );

    let (times, cpu) = time_audit(&dir.path().join("bulk-ca.pem"), dir.path());
    let median = times[times.len() / 2].as_secs_f64();
    println!(
        "audit of {} certificates (whole process, {} cores): median {:.0} ms, best {:.0} ms",
        COUNT + 1,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        median * 1e3,
        times[0].as_secs_f64() * 1e3
    );
    println!(
        "audit CPU time (user + system, all cores): median {:.0} ms",
        cpu * 1e3
    );
    println!(
        "audit throughput: {:.0} certificates per second",
        (COUNT + 1) as f64 / median
    );
    println!(
        "audit peak memory: {:.0} MB (max resident set of the audit processes)",
        peak_child_rss_mb()
    );

    // The same certificates, and their CA, in one PEM file.
    let bundle = dir.path().join("one-file").join("bundle.pem");
    std::fs::create_dir_all(bundle.parent().expect("parent")).expect("directory");
    let mut pem = std::fs::read_to_string(dir.path().join("bulk-ca.pem")).expect("CA");
    let mut leaves = 0;
    for sub in sorted_entries(dir.path())
        .into_iter()
        .filter(|p| p.is_dir())
    {
        for file in sorted_entries(&sub) {
            pem.push_str(&std::fs::read_to_string(&file).expect("certificate"));
            leaves += 1;
        }
    }
    std::fs::write(&bundle, pem).expect("bundle");
    let (times, cpu) = time_audit(&dir.path().join("bulk-ca.pem"), &bundle);
    println!(
        "audit of one PEM file with {} certificates (target under 2 s): median {:.0} ms, best {:.0} ms; CPU time median {:.0} ms",
        leaves + 1,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        cpu * 1e3
    );
}

fn sorted_entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    entries
}

/// Five whole `tilicheck audit` processes over `input`: the wall times sorted, and the median
/// CPU time in seconds (which a busy machine does not inflate as it does the wall time).
fn time_audit(trust: &std::path::Path, input: &std::path::Path) -> (Vec<std::time::Duration>, f64) {
    let exe = env!("CARGO_BIN_EXE_tilicheck");
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..5 {
        let cpu_before = children_cpu_seconds();
        let start = Instant::now();
        let status = Command::new(exe)
            .args([
                "audit",
                "--at",
                "2030-01-01",
                "--format",
                "json",
                "--offline",
                "--trust",
            ])
            .arg(trust)
            .arg(input)
            .stdout(Stdio::null())
            .status()
            .expect("run tilicheck");
        times.push(start.elapsed());
        cpu.push(children_cpu_seconds() - cpu_before);
        assert!(matches!(status.code(), Some(0 | 1)), "audit ran: {status}");
    }
    times.sort();
    cpu.sort_by(f64::total_cmp);
    (times, cpu[cpu.len() / 2])
}

/// User and system CPU time of all waited-for child processes so far.
fn children_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return f64::NAN;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// The largest resident set any waited-for child process reached.
fn peak_child_rss_mb() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if rc != 0 {
        return f64::NAN;
    }
    // Linux reports ru_maxrss in kilobytes.
    usage.ru_maxrss as f64 / 1024.0
}
