//! Simulator throughput with durability on (SQLite WAL, synchronous FULL).
//!
//! `cargo bench --bench simulator [-- CLIENTS SECONDS]` starts the simulator in-process on
//! loopback with the committed DEMO fixtures, then runs CLIENTS (default 8) mutual-TLS clients,
//! each on one keep-alive connection, submitting signed update messages just under 50 kB in JWT
//! form for SECONDS (default 10). Prints accepted submissions per second and p50/p99 latency.
//! Target on a 2-core machine: ≥ 300 accepted/s, p99 ≤ 50 ms at 8 clients.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tilicheck::pki::load::{read_certificates, read_private_key};
use tilicheck::profile::Interface;
use tilicheck::secret::PasswordSource;
use tilicheck::simulator::supplier_registry::SupplierRegistry;
use tilicheck::simulator::{Config, Limits, SequentialPolicy, Simulator};

const SUPPLIER: &str = "1234567-1";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/pki")
        .join(name)
}

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

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let clients: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(8);
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let limit = Interface::V3.profile().max_message_bytes.value;
    let (auth, body) = tokens(limit);

    let dir = tempfile::tempdir().expect("tempdir");
    let none = PasswordSource::None;
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        allow_remote: false,
        inspect: None,
        data_dir: dir.path().to_owned(),
        interface: Interface::V3,
        server_chain: read_certificates(&fixture("register-chain.pem"), &none)
            .expect("chain")
            .certificates,
        server_key: read_private_key(&fixture("register.key"), &none)
            .expect("key")
            .der,
        trust: read_certificates(&fixture("root-ca.pem"), &none)
            .expect("root")
            .certificates,
        key_exchange: Default::default(),
        registry: SupplierRegistry::load(&[fixture("supplier.pem")], vec![]).expect("registry"),
        judge: tilicheck::simulator::setup::default_judge(),
        faults: Default::default(),
        // The clients all use the supplier's certificate: concurrent sends are flagged, not refused.
        sequential: SequentialPolicy::Warn,
        content: Default::default(),
        limits: Limits::default(),
        verbose: false,
    };
    let running = Simulator::start(config).expect("simulator starts");
    let addr: SocketAddr = running.addr;
    let tls = client_config();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (auth, body, tls) = (auth.clone(), body.clone(), tls.clone());
            std::thread::spawn(move || {
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
                (latencies, errors)
            })
        })
        .collect();
    let start = Instant::now();
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.join().expect("worker");
        all.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64().max(seconds as f64);
    running.shutdown();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "simulator: {clients} clients, {seconds} s, message {} bytes (JWT), durability on (WAL, synchronous=FULL)",
        body.len()
    );
    println!("accepted/s: {:.0}", all.len() as f64 / elapsed);
    println!("accepted: {} (errors: {errors})", all.len());
    println!("latency p50: {:.1} ms", pct(0.50).as_secs_f64() * 1000.0);
    println!("latency p99: {:.1} ms", pct(0.99).as_secs_f64() * 1000.0);
}
