//! kill -9 while clients submit: every correlation ID that got a 200 is in the store after a
//! restart, and nothing is half-written: not the database, not the segment files holding the
//! tokens. And a segment cut at any offset past what was acknowledged (a write torn by a
//! crash) loses nothing on restart; one cut into what was acknowledged is refused, not served.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tilicheck::profile::Interface;
use tilicheck::simulator::store::{Store, segments};

use super::*;
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(dir: &Path, port: u16) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_tilicheck"))
        .arg("serve")
        .arg("--data-dir")
        .arg(dir)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--no-inspect",
            "--quiet",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary runs");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// A small random-number generator for kill points; the seed is printed so a failure can be
/// rerun (`TILICHECK_TEST_SEED`).
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("TILICHECK_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
                    | 1
            });
        eprintln!("kill points seeded with TILICHECK_TEST_SEED={seed}");
        Rng(seed)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn data_dir_with_fixtures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // The committed DEMO fixtures as the data directory's PKI, so no keys are generated.
    let pki = dir.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    for entry in std::fs::read_dir(crate::support::fixtures()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), pki.join(entry.file_name())).unwrap();
    }
    dir
}

/// Several clients submit until the server is SIGKILLed after a random number of 200s and a
/// random pause; the correlation IDs answered 200.
fn load_then_kill(
    server: &mut Child,
    addr: SocketAddr,
    rng: &mut Rng,
    clients: usize,
) -> Vec<String> {
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let got_200 = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (auth, body, got_200, stop) =
                (auth.clone(), body.clone(), got_200.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                for _ in 0..2000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let cid = new_cid();
                    match client.post("/v3/report-update/cat-2/", &auth, Some(&cid), &body) {
                        Ok(r) if r.status == 200 => got_200.lock().unwrap().push(cid),
                        Ok(r) => panic!("unexpected answer {r:?}"),
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // Let them get going, then SIGKILL mid-stream at a random point.
    let wanted = 10 + rng.below(40) as usize;
    let start = Instant::now();
    while got_200.lock().unwrap().len() < wanted && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(rng.below(30)));
    server.kill().unwrap();
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let answered = got_200.lock().unwrap().clone();
    assert!(
        answered.len() >= wanted.min(10),
        "only {} answered before the kill",
        answered.len()
    );
    answered
}

/// What the store must hold after any crash: the database and every segment sound (each
/// segment exactly its committed length, no torn entry), every ID answered 200 accepted with
/// the body that was sent, and each accepted update's record versions, nothing else.
fn assert_nothing_lost(store: &Store, answered: &[String], body: &str) {
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let accepted = store.accepted_correlation_ids().unwrap();
    for cid in answered {
        assert!(
            accepted.contains(cid),
            "{cid} was answered 200 but is not in the store"
        );
    }
    for cid in answered.iter().step_by(7) {
        let t = store.tokens(cid, true).unwrap();
        assert_eq!(t.body.as_deref(), Some(body), "{cid}'s body as sent");
        assert!(t.auth.is_some(), "{cid}'s Authorization token");
    }
    // Not half-written: every accepted update's record version is there, and nothing else.
    let records = store.records(10).unwrap();
    let account = records
        .iter()
        .find(|r| r.uuid == RECORD && r.record_type == "account")
        .unwrap();
    assert_eq!(account.versions as usize, accepted.len());
    assert_eq!(account.correlation_ids, accepted);
    let person = records
        .iter()
        .find(|r| r.uuid == PERSON && r.record_type == "legalPerson")
        .unwrap();
    assert_eq!(person.versions as usize, accepted.len());
}

#[test]
fn kill_9_loses_nothing_that_was_answered_200() {
    let dir = data_dir_with_fixtures();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut rng = Rng::new();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let mut answered = Vec::new();
    // Three crashes at random points, each restart on the same directory.
    for _ in 0..3 {
        let mut server = spawn(dir.path(), port);
        answered.extend(load_then_kill(&mut server, addr, &mut rng, 3));
    }
    // Restart once more: it opens the database, recovers the segments, and serves.
    let mut server = spawn(dir.path(), port);
    let r = Client::connect(addr)
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 200);
    server.kill().unwrap();
    server.wait().unwrap();

    let store = Store::open(dir.path()).unwrap();
    assert_nothing_lost(&store, &answered, &body);
}

/// The only segment there is, with its committed length, after a server was killed between
/// requests (nothing in flight).
fn only_segment(dir: &Path) -> (std::path::PathBuf, u64) {
    let path = segments::path(dir, 1);
    let len = std::fs::metadata(&path).unwrap().len();
    (path, len)
}

#[test]
fn a_segment_cut_past_what_was_acknowledged_loses_nothing_and_one_cut_into_it_is_refused() {
    let dir = data_dir_with_fixtures();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut rng = Rng::new();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let mut server = spawn(dir.path(), port);
    let mut client = Client::connect(addr);
    let mut answered = Vec::new();
    for _ in 0..12 {
        let cid = new_cid();
        let r = client
            .post("/v3/report-update/cat-2/", &auth, Some(&cid), &body)
            .unwrap();
        assert_eq!(r.status, 200);
        answered.push(cid);
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let (path, committed) = only_segment(dir.path());
    let entries = segments::walk(&path, committed).unwrap();
    assert_eq!(entries.len(), answered.len(), "one entry per message");
    let entry_len = entries[1] as usize;
    // What a crash during the next batch could leave: that batch's entries written in part
    // (two entries, as the writer would append them), cut at a random offset.
    let next = std::fs::read(&path).unwrap()[..entries[2] as usize].to_vec();
    for round in 0..6 {
        let acknowledged = std::fs::read(&path).unwrap();
        let cut = 1 + rng.below(next.len() as u64 - 1) as usize;
        let mut torn = acknowledged.clone();
        torn.extend_from_slice(&next[..cut]);
        std::fs::write(&path, &torn).unwrap();
        if round == 0 {
            // A real restart: the server recovers and serves, and a new message lands right
            // after the acknowledged ones, not after the torn bytes.
            let mut server = spawn(dir.path(), port);
            let cid = new_cid();
            let r = Client::connect(addr)
                .post("/v3/report-update/cat-2/", &auth, Some(&cid), &body)
                .unwrap();
            assert_eq!(r.status, 200);
            server.kill().unwrap();
            server.wait().unwrap();
            answered.push(cid);
        }
        let store = Store::open(dir.path()).unwrap();
        let after = std::fs::read(&path).unwrap();
        assert_eq!(
            &after[..acknowledged.len()],
            &acknowledged[..],
            "round {round}: the acknowledged bytes are untouched"
        );
        let added = if round == 0 { entry_len } else { 0 };
        assert_eq!(
            after.len(),
            acknowledged.len() + added,
            "round {round}: the torn tail ({cut} bytes) was cut off"
        );
        assert_nothing_lost(&store, &answered, &body);
    }
    // Cut into acknowledged bytes: the store refuses to open, naming the segment; so does
    // the server (exit 3), and nothing is cut further.
    let whole = std::fs::read(&path).unwrap();
    let cut = rng.below(whole.len() as u64) as usize;
    std::fs::write(&path, &whole[..cut]).unwrap();
    let e = Store::open(dir.path()).err().expect("refused");
    assert!(e.to_string().contains("00000001.seg"), "{e}");
    assert!(e.to_string().contains("acknowledged"), "{e}");
    let out = Command::new(env!("CARGO_BIN_EXE_tilicheck"))
        .arg("serve")
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--no-inspect",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("00000001.seg"),
        "{out:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap().len(), cut);
    // Put back, it serves again with everything.
    std::fs::write(&path, &whole).unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_nothing_lost(&store, &answered, &body);
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = data_dir_with_fixtures();
    let port = free_port();
    let mut server = spawn(dir.path(), port);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let cid = new_cid();
    let r = Client::connect(addr)
        .post("/v3/report-update/cat-2/", &auth, Some(&cid), &body)
        .unwrap();
    assert_eq!(r.status, 200);
    // SAFETY: kill(2) on the child's own pid.
    let rc = unsafe { libc::kill(server.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "still running 15 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.accepted_correlation_ids().unwrap(), [cid]);
}
