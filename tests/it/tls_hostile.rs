//! `tilicheck tls` against hostile and broken peers: each gives a clear error or finding,
//! never a panic, a hang or a wrong list.

use std::io::Write;
use std::time::Duration;

use tilicheck::tls::facts::Version;
use tilicheck::tls::probe::probe;

use crate::support::tilicheck;
use crate::tls::{run_json, status, suites, target};
use crate::tls_servers::{read_hello, server_hello_record, spawn_server};

/// Run `tilicheck tls` with short timeouts; expect exit 3 and `needle` in the one-line error.
fn assert_probe_error(endpoint: &str, needle: &str) {
    let out = tilicheck()
        .args([
            "tls",
            endpoint,
            "--connect-timeout",
            "0.5",
            "--read-timeout",
            "0.3",
        ])
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{endpoint}: {stderr}");
    assert!(stderr.contains(needle), "expected '{needle}' in: {stderr}");
    assert!(
        stderr.contains(endpoint.split(':').next().unwrap()),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn hostile_garbage_bytes() {
    let addr = spawn_server(10, |mut s, _| {
        let _ = s.write_all(&[0u8, 0xff, 0x13, 0x37, 0, 0, 0, 9, 9, 9]);
    });
    assert_probe_error(&addr.to_string(), "not a TLS server");
}

#[test]
fn hostile_ssh_banner() {
    let addr = spawn_server(10, |mut s, _| {
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.6\r\n");
        std::thread::sleep(Duration::from_millis(200));
    });
    assert_probe_error(
        &addr.to_string(),
        "not a TLS server: got 'SSH-2.0-OpenSSH_9.6'",
    );
}

#[test]
fn hostile_http_banner() {
    let addr = spawn_server(10, |mut s, _| {
        read_hello(&mut s);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    assert_probe_error(
        &addr.to_string(),
        "not a TLS server: got 'HTTP/1.1 400 Bad Request'",
    );
}

#[test]
fn hostile_never_answers() {
    let addr = spawn_server(10, |mut s, _| {
        read_hello(&mut s);
        std::thread::sleep(Duration::from_secs(3));
    });
    assert_probe_error(&addr.to_string(), "no answer within the read timeout");
}

#[test]
fn hostile_closes_mid_record() {
    let addr = spawn_server(10, |mut s, _| {
        read_hello(&mut s);
        let _ = s.write_all(&[22, 3, 3, 0, 80, 2, 0, 0, 70, 3, 3]);
    });
    assert_probe_error(&addr.to_string(), "closed in the middle of a record");
}

#[test]
fn hostile_oversized_record() {
    let addr = spawn_server(10, |mut s, _| {
        read_hello(&mut s);
        let _ = s.write_all(&[22, 3, 3, 0xff, 0xff, 2, 0, 0]);
    });
    assert_probe_error(&addr.to_string(), "65535-byte record");
}

#[test]
fn hostile_server_that_picks_a_different_suite_every_time() {
    // Rotates through three suites whatever is offered: the fourth answer repeats one that
    // was removed, which the prober must catch rather than loop or trust.
    let rotation = [0xc030u16, 0x009f, 0x002f];
    let addr = spawn_server(100, move |mut s, i| {
        read_hello(&mut s);
        let _ = s.write_all(&server_hello_record(rotation[i % rotation.len()]));
    });
    let facts = probe(&target(addr.port())).expect("probe");
    let errors: Vec<&String> = facts
        .versions
        .iter()
        .filter_map(|v| v.error.as_ref())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("which was not offered")),
        "{:?}",
        facts.versions
    );
    assert!(facts.connections < 100, "{}", facts.connections);
    let (code, report) = run_json(&["tls", &addr.to_string(), "--read-timeout", "0.5"]);
    assert!(code == 1 || code == 3, "{code}");
    let fs = status(&report, "TLS-FS");
    assert!(fs.0 == "fail" || fs.0 == "error", "{fs:?}");
}

#[test]
fn refused_and_unresolvable() {
    let port = crate::tls_servers::free_port();
    assert_probe_error(&format!("127.0.0.1:{port}"), "cannot connect");
    assert_probe_error("no-such-host.invalid:443", "cannot resolve");
}

#[test]
fn bad_endpoint_is_a_usage_error() {
    let out = tilicheck()
        .args(["tls", "127.0.0.1:99999"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("port"));
}

#[test]
fn elimination_yields_server_order_and_survives_dropped_connections() {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};
    // A TLS 1.2-only server with a fixed preference, which drops the first attempt of every
    // distinct hello mid-record: each answer the prober keeps must come from its retry.
    let preference = [0x009eu16, 0xc030, 0xc02f];
    let seen: Arc<Mutex<HashSet<Vec<u8>>>> = Arc::default();
    let addr = spawn_server(200, move |mut s, _| {
        let hello = crate::tls_servers::read_client_hello(&mut s);
        let Some((version, offered, tls13)) = crate::tls_servers::parse_client_hello(&hello) else {
            return;
        };
        // Everything but the random and session id identifies the offer.
        let key: Vec<u8> = [
            version.to_be_bytes().to_vec(),
            offered.iter().flat_map(|x| x.to_be_bytes()).collect(),
            vec![tls13 as u8],
        ]
        .concat();
        if seen.lock().unwrap().insert(key) {
            let _ = s.write_all(&[22, 3, 3, 0, 60, 2, 0]);
            return;
        }
        let answer = match preference.iter().find(|p| offered.contains(p)) {
            Some(suite) if version == 0x0303 => server_hello_record(*suite),
            Some(_) => vec![21, 3, 3, 0, 2, 2, 70],
            None => vec![21, 3, 3, 0, 2, 2, 40],
        };
        let _ = s.write_all(&answer);
    });
    let facts = probe(&target(addr.port())).expect("probe");
    let tls12 = facts
        .versions
        .iter()
        .find(|v| v.version == Version::Tls12)
        .unwrap();
    assert_eq!(tls12.suites, preference.to_vec(), "{:?}", facts.versions);
    assert_eq!(tls12.server_order, Some(true));
    assert_eq!(tls12.error, None);
    for v in [
        Version::Tls13,
        Version::Tls11,
        Version::Tls10,
        Version::Ssl3,
    ] {
        assert!(suites(&facts, v).is_empty(), "{v}");
    }
}

#[test]
fn hostile_slow_drip_hits_the_deadline() {
    let addr = spawn_server(10, |mut s, _| {
        read_hello(&mut s);
        for b in server_hello_record(0xc02f).into_iter().take(30) {
            if s.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    assert_probe_error(&addr.to_string(), "no answer within the read timeout");
}

#[test]
fn hostile_endless_flight_is_capped() {
    // A ServerHello, then a Certificate message announcing `len` bytes, then 16 KiB records
    // (bounded here to 2 MiB): an absurd length is refused at once, a plausible one at the
    // flight cap.
    for (len, needle) in [
        ([0xffu8, 0xff, 0xff], "length beyond any first flight"),
        ([0x03, 0xff, 0x00], "more than 262144 bytes"),
    ] {
        let addr = spawn_server(10, move |mut s, _| {
            read_hello(&mut s);
            let mut first = server_hello_record(0xc02f);
            first.truncate(first.len() - 4);
            let n = first.len() - 5;
            first[3..5].copy_from_slice(&(n as u16).to_be_bytes());
            if s.write_all(&first).is_err() {
                return;
            }
            let mut rec = vec![22, 3, 3, 0x40, 0x00, 11, len[0], len[1], len[2]];
            rec.resize(5 + 0x4000, 0);
            for _ in 0..128 {
                if s.write_all(&rec).is_err() {
                    return;
                }
            }
        });
        let out = tilicheck()
            .args([
                "tls",
                "--format",
                "json",
                &addr.to_string(),
                "--read-timeout",
                "2",
            ])
            .timeout(Duration::from_secs(30))
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            stdout.contains(needle) || stderr.contains(needle),
            "{needle}: stdout: {stdout}\nstderr: {stderr}"
        );
        assert_eq!(out.status.code(), Some(3), "{stderr}");
    }
}
