//! The certificate service client against hostile peers on loopback: a peer that never
//! answers, one that answers without end, one with the wrong certificate.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tilicheck::vero::https::{self, HttpError, Limits, Url};
use tilicheck::vero::simulator::ca::DemoCa;

fn limits() -> Limits {
    Limits {
        connect: Duration::from_secs(2),
        read: Duration::from_secs(1),
        total: Duration::from_secs(5),
        max_bytes: 64 * 1024,
    }
}

/// A TLS server on loopback that answers one request with `answer(request)`.
fn tls_peer(answer: impl Fn(&mut dyn Write) + Send + 'static) -> (Url, DemoCa) {
    let ca = DemoCa::new("DEMO test TLS CA").expect("ca");
    let (cert, key) = ca.issue_server().expect("server cert");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .expect("config");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        if let Ok((tcp, _)) = listener.accept() {
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
            let conn = rustls::ServerConnection::new(Arc::new(config)).expect("conn");
            let mut s = rustls::StreamOwned::new(conn, tcp);
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            answer(&mut s);
        }
    });
    (
        Url::parse(&format!("https://127.0.0.1:{port}/x")).expect("url"),
        ca,
    )
}

fn roots(ca: &DemoCa) -> rustls::RootCertStore {
    https::roots(std::slice::from_ref(&ca.cert_der)).expect("roots")
}

#[test]
fn an_endless_answer_is_cut_at_the_cap() {
    let (url, ca) = tls_peer(|w| {
        let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n");
        let chunk = vec![b'x'; 16 * 1024];
        for _ in 0..1000 {
            if w.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let err = https::post_soap(&url, "a", b"<x/>", roots(&ca), limits()).expect_err("refused");
    assert!(
        matches!(err, HttpError::TooLarge { max: 65536, .. }),
        "{err}"
    );
}

#[test]
fn a_silent_peer_times_out() {
    let (url, ca) = tls_peer(|_| std::thread::sleep(Duration::from_secs(4)));
    let start = Instant::now();
    let err = https::post_soap(&url, "a", b"<x/>", roots(&ca), limits()).expect_err("timeout");
    assert!(matches!(err, HttpError::Timeout { .. }), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "bounded by the read timeout"
    );
}

#[test]
fn an_untrusted_server_certificate_is_a_tls_error() {
    let (url, _ca) = tls_peer(|_| {});
    let other = DemoCa::new("DEMO other CA").expect("ca");
    let err = https::post_soap(&url, "a", b"<x/>", roots(&other), limits()).expect_err("untrusted");
    assert!(matches!(err, HttpError::Tls { .. }), "{err}");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
}

#[test]
fn nothing_listening_is_a_connect_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = Url::parse(&format!("https://127.0.0.1:{port}/x")).expect("url");
    let ca = DemoCa::new("DEMO CA").expect("ca");
    let err = https::post_soap(&url, "a", b"<x/>", roots(&ca), limits()).expect_err("refused");
    assert!(matches!(err, HttpError::Connect { .. }), "{err}");
}
