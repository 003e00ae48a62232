//! Network inputs, mutated: TLS server flights from a loopback server to tilicheck's flight
//! reader, HTTP requests to `serve`, and HTTP responses to tilicheck's HTTP client.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::test_runner::TestRunner;
use tilicheck::profile::Interface;

use super::{config, mutated, within};
use crate::simulator::{Client, RECORD, new_cid, start, tokens, update_report};
use crate::support::fixture;

const GUARD: Duration = Duration::from_secs(30);

/// A TLS 1.2 ClientHello from rustls and the first flight the simulator answers it with
/// (ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone).
fn recorded_flight() -> (Vec<u8>, Vec<u8>) {
    let sim = start(Interface::V3);
    let none = tilicheck::secret::PasswordSource::None;
    let mut roots = rustls::RootCertStore::empty();
    for c in tilicheck::pki::load::read_certificates(&fixture("root-ca.pem"), &none)
        .unwrap()
        .certificates
    {
        roots.add(c).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).unwrap();
    let mut tcp = TcpStream::connect(sim.addr()).unwrap();
    tcp.write_all(&hello).unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut flight = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = tcp.read(&mut buf) {
        if n == 0 {
            break;
        }
        flight.extend_from_slice(&buf[..n]);
    }
    assert!(
        flight.len() > 1000,
        "a whole flight was recorded: {}",
        flight.len()
    );
    (hello, flight)
}

/// A loopback server that answers one connection with `answer` after reading what the
/// client sends first, then closes its side.
fn serve_once(answer: Vec<u8>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(&answer);
            let _ = s.shutdown(std::net::Shutdown::Write);
            // Drain briefly so the close is not a reset that loses the answer.
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
        }
    });
    addr
}

#[test]
fn tls_server_flights() {
    let (hello, flight) = recorded_flight();
    let mut runner = TestRunner::new(config(96));
    runner
        .run(&mutated(flight), |bytes| {
            let hello = hello.clone();
            within(GUARD, move || {
                let addr = serve_once(bytes);
                let mut tcp = TcpStream::connect(addr).unwrap();
                tcp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                tcp.write_all(&hello).unwrap();
                let deadline = Instant::now() + Duration::from_secs(3);
                if let Err(e) = tilicheck::tls::server_hello::read_flight(
                    &mut tcp,
                    tilicheck::tls::server_hello::Until::HelloDone,
                    deadline,
                ) {
                    assert!(!e.to_string().is_empty());
                }
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn http_requests_to_serve() {
    let sim = start(Interface::V3);
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let seed = format!(
        "POST /v3/report-update/cat-2/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer {auth}\r\nX-Correlation-ID: {}\r\nContent-Length: {}\r\n\r\n{body}",
        new_cid(),
        body.len()
    );
    let addr = sim.addr();
    let mut runner = TestRunner::new(config(32));
    runner
        .run(&mutated(seed.into_bytes()), |bytes| {
            within(GUARD, move || {
                let mut client = Client::connect(addr);
                let _ = client
                    .stream
                    .sock
                    .set_read_timeout(Some(Duration::from_secs(5)));
                if client.stream.write_all(&bytes).is_ok() && client.stream.flush().is_ok() {
                    // An answer, or the connection closed: both end the case.
                    if let Ok(reply) = client.read_reply() {
                        assert!((200..600).contains(&reply.status), "{reply:?}");
                    }
                }
            });
            Ok(())
        })
        .unwrap();
    // The simulator still answers a good request.
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    let r = Client::connect(addr)
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn http_responses_to_the_client() {
    let seeds = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world".to_vec(),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".to_vec(),
    ];
    let limits = tilicheck::net::http::Limits {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(4),
        max_body: 64 * 1024,
        // A mutated Location could name any host: never follow one (nothing leaves loopback).
        max_redirects: 0,
    };
    for seed in seeds {
        let mut runner = TestRunner::new(config(48));
        runner
            .run(&mutated(seed), |bytes| {
                within(GUARD, move || {
                    let addr = serve_once(bytes);
                    let url = format!("http://{addr}/list.crl");
                    if let Err(e) = tilicheck::net::http::get(&url, &limits) {
                        let text = e.to_string();
                        assert!(text.contains("127.0.0.1"), "names the URL: {text}");
                    }
                });
                Ok(())
            })
            .unwrap();
    }
}
