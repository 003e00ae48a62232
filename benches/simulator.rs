//! Simulator throughput and cost with durability on (every 200 only after its data is on disk).
//!
//! `cargo bench --bench simulator [-- SECONDS [CLIENTS]]` starts the simulator in-process on
//! loopback with the committed DEMO fixtures, then runs 1 and 8 (or CLIENTS) mutual-TLS
//! clients, each on one keep-alive connection, submitting signed update messages of about
//! 2.5 kB and just under 50 kB in JWT form for SECONDS (default 5) each. Prints accepted/s,
//! p50/p99 latency, and the server's CPU time per accepted message: the process's CPU time
//! (getrusage) less the clients' own threads' CPU time, which a busy machine does not inflate
//! the way it inflates wall time. Targets on a 2-core machine: ≤ 2 ms of server CPU per 50 kB
//! message; with 8 clients ≥ 300 accepted/s and p99 ≤ 50 ms.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tilicheck::pki::load::{read_certificates, read_private_key};
use tilicheck::profile::Interface;
use tilicheck::secret::PasswordSource;
use tilicheck::simulator::Simulator;

mod support;
use support::fixture;

const SUPPLIER: &str = "1234567-1";

fn sign(key: &aws_lc_rs::signature::RsaKeyPair, payload: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "typ": "JWT"}).to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .expect("sign");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// An update with as many accounts as fit under 50,000 bytes of JWT.
fn tokens(limit: usize) -> (String, String) {
    let key_der = read_private_key(&fixture("supplier.key"), &PasswordSource::None).expect("key");
    let key =
        aws_lc_rs::signature::RsaKeyPair::from_pkcs8(key_der.der.secret_der()).expect("RSA key");
    let auth = sign(&key, &json!({"sub": SUPPLIER, "aud": "accountRegister"}));
    let person = "5d892fac-07f0-465f-ab6a-af88a1d922ba";
    let mut accounts = serde_json::Map::new();
    let mut best = None;
    for i in 0.. {
        accounts.insert(
            format!("{:08x}-0000-4000-8000-{:012x}", i, i),
            json!({"id": {"iban": "FI2112345600000785"}, "openingDate": "2021-01-01",
                   "roles": [{"type": "owner", "legalPersonReference": person, "startDate": "2021-01-01"}]}),
        );
        let report = json!({"creationDateTime": "2024-05-12T08:53:12.374", "senderBusinessId": SUPPLIER,
            "legalPersons": {person: {"privatePerson": {"fullName": "Korhonen, Juhani", "birthDate": "1980-01-01", "hetu": "010180-9026"}}},
            "accounts": accounts});
        let body = sign(
            &key,
            &json!({"sub": SUPPLIER, "aud": "accountRegister", "reportUpdate": report}),
        );
        if body.len() > limit {
            break;
        }
        best = Some(body);
    }
    (auth, best.expect("one account fits"))
}

fn client_config() -> Arc<rustls::ClientConfig> {
    let none = PasswordSource::None;
    let chain = read_certificates(&fixture("supplier-chain.pem"), &none)
        .expect("chain")
        .certificates;
    let key = read_private_key(&fixture("supplier.key"), &none)
        .expect("key")
        .der;
    let mut roots = rustls::RootCertStore::empty();
    for c in read_certificates(&fixture("root-ca.pem"), &none)
        .expect("root")
        .certificates
    {
        roots.add(c).expect("root");
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .expect("client cert"),
    )
}

/// POST and read the status; keep-alive.
fn post(
    stream: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    request: &[u8],
) -> std::io::Result<u16> {
    stream.write_all(request)?;
    stream.flush()?;
    let mut head = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::Error::other("closed"));
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let len: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body)?;
    Ok(status)
}

/// CPU seconds (user + system) of the whole process so far, dead threads included.
fn process_cpu() -> f64 {
    rusage_seconds(libc::RUSAGE_SELF)
}

/// CPU seconds of the calling thread so far.
fn thread_cpu() -> f64 {
    rusage_seconds(libc::RUSAGE_THREAD)
}

fn rusage_seconds(who: libc::c_int) -> f64 {
    // SAFETY: getrusage fills the struct it is given; a zeroed rusage is a valid value.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable rusage.
    if unsafe { libc::getrusage(who, &mut u) } != 0 {
        return 0.0;
    }
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// Bytes this process has caused to be written to storage so far (Linux /proc/self/io).
fn written_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("write_bytes: "))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds of each of the simulator's database writer threads by thread ID, read from /proc
/// (Linux). By ID: an earlier case's writer may still be winding down under the same name.
fn writer_cpu() -> Option<std::collections::HashMap<String, f64>> {
    let tick = 100.0; // USER_HZ on Linux
    let mut out = std::collections::HashMap::new();
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim() != "tilicheck-store" {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        // Fields after the parenthesised name: state is field 3; utime 14, stime 15.
        let Some(rest) = stat.rfind(')').and_then(|i| stat.get(i + 2..)) else {
            continue;
        };
        let fields: Vec<&str> = rest.split(' ').collect();
        let cpu = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        if let (Some(utime), Some(stime)) = (cpu(11), cpu(12)) {
            let tid = path.file_name()?.to_string_lossy().into_owned();
            out.insert(tid, (utime + stime) / tick);
        }
    }
    Some(out)
}

/// The writer threads' CPU seconds between two readings (a thread new since the first counts
/// from zero).
fn writer_delta(
    before: &Option<std::collections::HashMap<String, f64>>,
    after: Option<std::collections::HashMap<String, f64>>,
) -> Option<f64> {
    let (before, after) = (before.as_ref()?, after?);
    if after.is_empty() {
        return None;
    }
    Some(
        after
            .iter()
            .map(|(tid, t)| t - before.get(tid).copied().unwrap_or(0.0))
            .sum(),
    )
}

struct Figures {
    accepted: usize,
    errors: usize,
    elapsed: f64,
    p50: Duration,
    p99: Duration,
    server_cpu: f64,
    writer_cpu: Option<f64>,
    stored_bytes: u64,
    written_bytes: u64,
}

fn run(clients: usize, seconds: u64, auth: &str, body: &str) -> Figures {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = support::simulator_config(dir.path());
    let running = Simulator::start(config).expect("simulator starts");
    let addr: SocketAddr = running.addr;
    let tls = client_config();
    let cpu_before = process_cpu();
    let written_before = written_bytes();
    let writer_before = writer_cpu();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (auth, body, tls) = (auth.to_owned(), body.to_owned(), tls.clone());
            std::thread::spawn(move || {
                let own_before = thread_cpu();
                let tcp = TcpStream::connect(addr).expect("connect");
                tcp.set_nodelay(true).ok();
                let conn = rustls::ClientConnection::new(tls, "localhost".try_into().expect("name")).expect("tls");
                let mut stream = rustls::StreamOwned::new(conn, tcp);
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                while Instant::now() < deadline {
                    let request = format!(
                        "POST /v3/report-update/cat-2/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer {auth}\r\nX-Correlation-ID: {}\r\nContent-Length: {}\r\n\r\n{body}",
                        uuid::Uuid::new_v4(),
                        body.len()
                    );
                    let t = Instant::now();
                    match post(&mut stream, request.as_bytes()) {
                        Ok(200) => latencies.push(t.elapsed()),
                        _ => errors += 1,
                    }
                }
                (latencies, errors, thread_cpu() - own_before)
            })
        })
        .collect();
    let start = Instant::now();
    let mut all = Vec::new();
    let mut errors = 0;
    let mut client_cpu = 0.0;
    for w in workers {
        let (l, e, cpu) = w.join().expect("worker");
        all.extend(l);
        errors += e;
        client_cpu += cpu;
    }
    let elapsed = start.elapsed().as_secs_f64().max(seconds as f64);
    // The server's CPU: the process's, less what the clients spent (this thread only waited).
    let server_cpu = process_cpu() - cpu_before - client_cpu;
    let writer = writer_delta(&writer_before, writer_cpu());
    running.shutdown();
    let written = written_bytes().saturating_sub(written_before);
    let stored_bytes = dir_bytes(dir.path());
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Figures {
        accepted: all.len(),
        errors,
        elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        server_cpu,
        writer_cpu: writer,
        stored_bytes,
        written_bytes: written,
    }
}

/// Bytes in the data directory (database, its WAL, segments).
fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let seconds: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    let client_counts: Vec<usize> = match args.get(1).and_then(|a| a.parse().ok()) {
        Some(n) => vec![n],
        None => vec![1, 8],
    };
    let limit = Interface::V3.profile().max_message_bytes.value;
    for size in [2_500, limit] {
        let (auth, body) = tokens(size);
        for &clients in &client_counts {
            let f = run(clients, seconds, &auth, &body);
            let per = |cpu: f64| cpu * 1000.0 / f.accepted.max(1) as f64;
            println!(
                "simulator: {clients} client(s), {seconds} s, message {} bytes (JWT), durability on",
                body.len()
            );
            println!("  accepted/s: {:.0}", f.accepted as f64 / f.elapsed);
            println!("  accepted: {} (errors: {})", f.accepted, f.errors);
            println!("  latency p50: {:.1} ms", f.p50.as_secs_f64() * 1000.0);
            println!("  latency p99: {:.1} ms", f.p99.as_secs_f64() * 1000.0);
            println!(
                "  server CPU per accepted message: {:.2} ms",
                per(f.server_cpu)
            );
            if let Some(w) = f.writer_cpu {
                println!("  of which the database writer thread: {:.2} ms", per(w));
            }
            let kb = |b: u64| b as f64 / 1000.0 / f.accepted.max(1) as f64;
            println!(
                "  written to disk per accepted message: {:.1} kB (data directory at the end: {:.1} kB per message)",
                kb(f.written_bytes),
                kb(f.stored_bytes)
            );
        }
    }
}
