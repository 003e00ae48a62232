//! kill -9 while clients submit: every correlation ID that got a 200 is in the store after a
//! restart, and nothing is half-written.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tilicheck::profile::Interface;
use tilicheck::simulator::store::Store;

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

#[test]
fn kill_9_loses_nothing_that_was_answered_200() {
    let dir = tempfile::tempdir().unwrap();
    // The committed DEMO fixtures as the data directory's PKI, so no keys are generated.
    let pki = dir.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    for entry in std::fs::read_dir(crate::support::fixtures()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), pki.join(entry.file_name())).unwrap();
    }
    let port = free_port();
    let mut server = spawn(dir.path(), port);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();

    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let got_200 = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..3)
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
    // Let them get going, then SIGKILL mid-stream.
    let start = Instant::now();
    while got_200.lock().unwrap().len() < 30 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let answered = got_200.lock().unwrap().clone();
    assert!(
        answered.len() >= 30,
        "only {} answered before the kill",
        answered.len()
    );

    // Restart on the same directory: it opens the database and serves.
    let mut server = spawn(dir.path(), port);
    let r = Client::connect(addr)
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 200);
    server.kill().unwrap();
    server.wait().unwrap();

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let accepted = store.accepted_correlation_ids().unwrap();
    for cid in &answered {
        assert!(
            accepted.contains(cid),
            "{cid} was answered 200 but is not in the store"
        );
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
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    for entry in std::fs::read_dir(crate::support::fixtures()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), pki.join(entry.file_name())).unwrap();
    }
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
