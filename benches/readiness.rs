//! `tilicheck readiness` and `tilicheck demo`, whole processes, against the local simulator.
//!
//! `cargo bench --bench readiness` starts the simulator in-process with the committed DEMO
//! fixtures, writes a readiness configuration for it, and prints the wall time of one
//! `tilicheck readiness --config …` process (cert on the TLS certificate, the full `tls`
//! probe with REG-CERT, and a signed send answered 200), median and best of 7; then the
//! same for `tilicheck demo` (which also generates a DEMO PKI and starts its own simulator).
//!
//! Target: readiness ≤ 2 s.

use std::process::Command;
use std::time::{Duration, Instant};

use tilicheck::simulator::Simulator;

mod support;
use support::fixture;

fn time_runs(label: &str, runs: usize, mut make: impl FnMut() -> Command) {
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let out = make().output().expect("tilicheck runs");
        times.push(start.elapsed());
        assert!(
            out.status.success(),
            "{label} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<44} median {:>7.1} ms   best {:>7.1} ms   ({runs} runs)",
        ms(times[runs / 2]),
        ms(times[0])
    );
}

fn main() {
    let data = tempfile::tempdir().expect("tempdir");
    let running =
        Simulator::start(support::simulator_config(data.path())).expect("simulator starts");
    let f = |n: &str| fixture(n).display().to_string();
    let config = data.path().join("tilicheck.toml");
    std::fs::write(
        &config,
        format!(
            "endpoint = \"https://127.0.0.1:{}\"\nbusiness_id = \"1234567-1\"\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n[trust]\ntrust_only = [\"{}\"]\noffline = true\n",
            running.addr.port(),
            f("supplier-chain.pem"),
            f("supplier.key"),
            f("root-ca.pem")
        ),
    )
    .expect("config written");
    let exe = env!("CARGO_BIN_EXE_tilicheck");
    time_runs("tilicheck readiness (local simulator)", 7, || {
        let mut c = Command::new(exe);
        c.args(["readiness", "--color", "never", "--config"])
            .arg(&config);
        c
    });
    running.shutdown();
    time_runs("tilicheck demo (PKI + simulator + readiness)", 3, || {
        let mut c = Command::new(exe);
        c.args(["demo", "--color", "never"]);
        c
    });
    println!("target: readiness ≤ 2000 ms");
}
