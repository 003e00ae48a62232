//! A simulator that stays private: an owner-only database, loopback unless told otherwise,
//! an inspection page that answers only for its own address (no DNS rebinding), and idle
//! connections that close when `--idle-timeout` says and give way first.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use tilicheck::profile::Interface;
use tilicheck::simulator::{SimError, Simulator};

use super::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// register.sqlite used to be 0644 in a directory anyone could enter.
#[test]
fn the_database_and_its_directory_are_owner_only() {
    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("new/data");
    let sim = start_with(Interface::V3, |c| c.data_dir = data.clone());
    still_accepting(&sim);
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&base.path().join("new")), 0o700, "a parent it created");
    for name in ["register.sqlite", "register.sqlite-wal"] {
        let file = data.join(name);
        if file.exists() || name == "register.sqlite" {
            assert_eq!(mode(&file), 0o600, "{name}");
        }
    }
    drop(sim);
    // A database left 0644 by an older version is made owner-only when opened again.
    let file = data.join("register.sqlite");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _again = start_with(Interface::V3, |c| c.data_dir = data.clone());
    assert_eq!(mode(&file), 0o600);
}

fn still_accepting(sim: &Sim) {
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let r = Client::connect(sim.addr())
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
}

/// `--listen 0.0.0.0` used to be taken without a word.
#[test]
fn a_non_loopback_listen_address_needs_allow_remote() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(Interface::V3, dir.path());
    c.listen = "0.0.0.0:0".parse().unwrap();
    match Simulator::start(c) {
        Err(e @ SimError::ListenNotLoopback(_)) => {
            assert!(e.to_string().contains("--allow-remote"), "{e}")
        }
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("0.0.0.0 was accepted without --allow-remote"),
    }
    let out = crate::support::tilicheck()
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path().join("cli"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a loopback address"));
}

/// With --allow-remote it starts, and the banner says what that means. (It binds the
/// wildcard address for a moment; nothing is sent anywhere.)
#[test]
fn allow_remote_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tilicheck"))
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--allow-remote",
            "--no-inspect",
            "--data-dir",
        ])
        .arg(dir.path())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            if text.contains("stop with Ctrl-C") {
                break;
            }
        }
        let _ = tx.send(text);
    });
    let banner = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        banner.contains("WARNING: listening on 0.0.0.0:"),
        "the banner warns: {banner}"
    );
}

/// GET `path` on the inspection port with `host` as the Host header: (status, body).
fn inspect_get(sim: &Sim, host: &str) -> (u16, String) {
    let mut s = TcpStream::connect(sim.inspect()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /api/records HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// A DNS-rebinding page sends its own name as Host; it used to get the JSON API.
#[test]
fn the_inspection_page_answers_only_for_its_own_address() {
    let sim = start(Interface::V3);
    let port = sim.inspect().port();
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        assert_eq!(inspect_get(&sim, &host).0, 200, "{host}");
    }
    for host in [
        format!("rebind.example:{port}"),
        "127.0.0.1".to_owned(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        String::new(),
    ] {
        let (status, text) = inspect_get(&sim, &host);
        assert_eq!(status, 421, "{host:?}: {text}");
        assert!(!text.contains("[]"), "no data for {host:?}");
    }
}

/// One keep-alive request over mutual TLS, then the connection is left idle.
fn keep_alive_client(sim: &Sim) -> Client {
    let mut client = Client::connect(sim.addr());
    let r = client
        .raw(b"GET /v3/report-update/cat-2/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert!(r.status >= 400, "{r:?}");
    client
}

/// `--idle-timeout` used to have no effect: idle connections closed after the header
/// timeout instead. Now an idle keep-alive connection outlives the header timeout and closes
/// after the idle timeout.
#[test]
fn idle_timeout_does_what_it_says() {
    let sim = start_with(Interface::V3, |c| {
        c.limits.header_timeout = Duration::from_millis(500);
        c.limits.idle_timeout = Duration::from_millis(2500);
    });
    let mut client = keep_alive_client(&sim);
    std::thread::sleep(Duration::from_millis(1500));
    // Past the header timeout, well before the idle timeout: still open.
    let r = client
        .raw(b"GET /v3/report-update/cat-2/ HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("an idle connection outlives the header timeout");
    assert!(r.status >= 400);
    // Then closed by the idle timeout.
    let start = Instant::now();
    client
        .stream
        .sock
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 64];
    let closed = matches!(client.stream.read(&mut buf), Ok(0) | Err(_));
    assert!(closed, "closed");
    let took = start.elapsed();
    assert!(
        took > Duration::from_millis(2000) && took < Duration::from_secs(6),
        "closed after {took:?}"
    );
}

/// The inspection page's 32 slots used to be held by idle connections; now the one idle the
/// longest gives way to a newcomer.
#[test]
fn idle_inspection_connections_give_way() {
    let sim = start(Interface::V3);
    let host = sim.inspect().to_string();
    let mut idle: Vec<TcpStream> = (0..32)
        .map(|_| {
            let mut s = TcpStream::connect(sim.inspect()).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            write!(s, "GET /api/records HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
            let mut buf = [0u8; 4096];
            assert!(s.read(&mut buf).unwrap() > 0, "answered");
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    let (status, _) = inspect_get(&sim, &host);
    assert_eq!(
        status, 200,
        "a newcomer is served while 32 idle connections are open"
    );
    // The oldest idle one was closed to make room.
    let mut first = idle.remove(0);
    let mut buf = [0u8; 64];
    assert!(
        matches!(first.read(&mut buf), Ok(0) | Err(_)),
        "the oldest idle one was closed"
    );
}
