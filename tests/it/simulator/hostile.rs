//! Hostile and broken clients: bounded in time, and everyone else keeps being served.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;
use tilicheck::profile::Interface;

use super::*;

/// A normal client still gets a 200.
fn still_serving(sim: &Sim) {
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let r = Client::connect(sim.addr())
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
}

/// Reads until the peer closes; returns how long that took (panics after `limit`).
fn closed_within(stream: &mut impl Read, limit: Duration) -> Duration {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return start.elapsed(),
            Ok(_) => {}
        }
        assert!(
            start.elapsed() < limit,
            "connection still open after {limit:?}"
        );
    }
}

#[test]
fn garbage_instead_of_tls() {
    let sim = start(Interface::V3);
    let mut tcp = TcpStream::connect(sim.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    closed_within(&mut tcp, Duration::from_secs(5));
    still_serving(&sim);
    let hellos = sim.api("/api/client-hellos").to_string();
    assert!(hellos.contains("not TLS"), "{hellos}");
}

#[test]
fn trickled_headers_and_body_are_cut_off() {
    let sim = start(Interface::V3);
    // Headers one byte every 200 ms: the header timeout (2 s) ends it.
    let mut slow = Client::connect(sim.addr());
    slow.stream
        .sock
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let start = Instant::now();
    let head = b"POST /v3/report-update/cat-2/ HTTP/1.1\r\nHost: localhost\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut cut_off = false;
    for b in head.iter() {
        if slow
            .stream
            .write_all(&[*b])
            .and_then(|()| slow.stream.flush())
            .is_err()
        {
            cut_off = true;
            break;
        }
        let mut buf = [0u8; 512];
        match slow.stream.read(&mut buf) {
            Ok(0) => {
                cut_off = true;
                break;
            }
            Ok(_) => {
                // hyper answers 408 on a header timeout; that ends it too.
                cut_off = true;
                break;
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                cut_off = true;
                break;
            }
        }
        if start.elapsed() > Duration::from_secs(8) {
            break;
        }
    }
    assert!(cut_off, "a client trickling its headers was not cut off");
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "took {:?}",
        start.elapsed()
    );
    still_serving(&sim);

    // A body that never completes: the body timeout (2 s) drops the connection.
    let (auth, _) = tokens(Interface::V3, "reportUpdate", json!({}));
    let mut slow = Client::connect(sim.addr());
    let head = format!(
        "POST /v3/report-update/cat-2/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {auth}\r\nContent-Length: 1000\r\n\r\nabc"
    );
    slow.stream.write_all(head.as_bytes()).unwrap();
    slow.stream.flush().unwrap();
    let took = closed_within(&mut slow.stream, Duration::from_secs(8));
    assert!(took < Duration::from_secs(6), "{took:?}");
    still_serving(&sim);
}

#[test]
fn idle_connections_beyond_the_limit() {
    let sim = start_with(Interface::V3, |c| c.limits.max_connections = 4);
    // Four connections that never say anything fill every slot.
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(sim.addr()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // A real client is served at once: it takes the slot of the oldest silent connection,
    // which is closed at once rather than left to its handshake timeout.
    let start = Instant::now();
    still_serving(&sim);
    let mut oldest = idle.into_iter().next().unwrap();
    oldest
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    closed_within(&mut oldest, Duration::from_secs(5));
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );

    // A TLS connection with no request is closed after the idle timeout (2 s).
    let mut quiet = Client::connect(sim.addr());
    quiet
        .stream
        .sock
        .set_read_timeout(Some(Duration::from_secs(8)))
        .unwrap();
    // Drive the handshake by asking nothing; reading waits for the close.
    let took = closed_within(&mut quiet.stream, Duration::from_secs(8));
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[test]
fn oversized_headers_and_a_body_longer_than_its_length() {
    let sim = start(Interface::V3);
    let mut client = Client::connect(sim.addr());
    let big = "a".repeat(40 * 1024);
    let req = format!(
        "POST /v3/report-update/cat-2/ HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\nContent-Length: 0\r\n\r\n"
    );
    // Either hyper's 431 or a closed connection; both are bounded.
    if let Ok(r) = client.raw(req.as_bytes()) {
        assert_eq!(r.status, 431, "{r:?}");
    }
    still_serving(&sim);

    // Content-Length says 5; 30 more bytes follow. The 5 are the message; the rest is not a
    // request and ends the connection. Nothing extra is stored.
    let before = sim.api("/api/messages").as_array().unwrap().len();
    let (auth, _) = tokens(Interface::V3, "reportUpdate", json!({}));
    let mut client = Client::connect(sim.addr());
    let cid = new_cid();
    let req = format!(
        "POST /v3/report-update/cat-2/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {auth}\r\nX-Correlation-ID: {cid}\r\nContent-Length: 5\r\n\r\na.b.cTHIS IS NOT AN HTTP REQUEST AT ALL\r\n\r\n"
    );
    let r = client.raw(req.as_bytes()).unwrap();
    assert_eq!(r.status, 400, "{r:?}");
    let next = client.read_reply();
    assert!(
        next.map(|r| r.status == 400).unwrap_or(true),
        "the trailing bytes are no request"
    );
    let after = sim.api("/api/messages").as_array().unwrap().len();
    assert_eq!(
        after,
        before + 1,
        "only the declared body was taken as a message"
    );
    assert_eq!(sim.message(&cid)["accepted"], false);
    still_serving(&sim);
}

/// A slowloris that keeps reconnecting without a certificate (from its own address and from
/// the client's) used to hold every slot, so a real client got 11 of 30 answers. Now a
/// newcomer takes the slot of a handshake that has not finished, and the client keeps at
/// least 90 % of its requests.
#[test]
fn a_reconnecting_slowloris_does_not_starve_a_real_client() {
    let sim = start_with(Interface::V3, |c| c.limits.max_connections = 8);
    let addr = sim.addr();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attackers: Vec<_> = ["127.0.0.2", "127.0.0.1"]
        .into_iter()
        .map(|source| {
            let stop = stop.clone();
            std::thread::spawn(move || slowloris(addr, source, &stop))
        })
        .collect();
    // Let the attackers fill every slot first.
    std::thread::sleep(Duration::from_millis(300));
    let mut answered = 0;
    for _ in 0..30 {
        let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
        let mut client = Client::connect(addr);
        let _ = client
            .stream
            .sock
            .set_read_timeout(Some(Duration::from_secs(5)));
        if let Ok(r) = client.post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
            && r.status == 200
        {
            answered += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let opened: usize = attackers.into_iter().map(|a| a.join().unwrap()).sum();
    assert!(
        opened > 100,
        "the slowloris opened only {opened} connections"
    );
    assert!(answered >= 27, "only {answered} of 30 requests answered");
}

/// Opens connections from `source` that never send a byte, 40 at a time, each replaced by a
/// new one every few milliseconds; stops when told or after 60 s. Returns how many it opened.
fn slowloris(
    target: std::net::SocketAddr,
    source: &str,
    stop: &std::sync::atomic::AtomicBool,
) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let source: std::net::SocketAddr = format!("{source}:0").parse().unwrap();
    runtime.block_on(async move {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut held = std::collections::VecDeque::new();
        let mut opened = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            if socket.bind(source).is_ok()
                && let Ok(Ok(stream)) =
                    tokio::time::timeout(Duration::from_secs(1), socket.connect(target)).await
            {
                opened += 1;
                held.push_back(stream);
                if held.len() > 40 {
                    held.pop_front();
                }
            }
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        opened
    })
}
