use std::io::Read;
use std::time::{Duration, Instant};

use super::*;

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

/// Hands out its bytes at most `step` at a time: fragmentation at the TCP level.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn record(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![kind, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

fn server_hello(suite: u16, random: [u8; 32], exts: &[u8]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend_from_slice(&random);
    b.push(0);
    b.extend_from_slice(&suite.to_be_bytes());
    b.push(0);
    if !exts.is_empty() {
        b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        b.extend_from_slice(exts);
    }
    message(2, &b)
}

fn read(bytes: Vec<u8>, step: usize, until: Until) -> Result<Flight, ReadError> {
    let mut t = Trickle {
        data: bytes,
        pos: 0,
        step,
    };
    read_flight(&mut t, until, deadline())
}

/// A whole TLS 1.2 first flight (ServerHello, Certificate, DH ServerKeyExchange with a
/// 2048-bit prime, CertificateRequest, ServerHelloDone), coalesced into one handshake stream
/// and cut into two records at an arbitrary point.
fn tls12_flight() -> Vec<u8> {
    let mut hs = server_hello(0x009e, [1; 32], &[]);
    let cert = vec![0x30, 0x03, 1, 2, 3];
    let mut certs = vec![];
    certs.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
    certs.extend_from_slice(&cert);
    let mut cert_body = (certs.len() as u32).to_be_bytes()[1..].to_vec();
    cert_body.extend_from_slice(&certs);
    hs.extend(message(11, &cert_body));
    let mut ske = vec![0x01, 0x00, 0x80];
    ske.extend(std::iter::repeat_n(0xff, 255));
    ske.extend_from_slice(&[0, 1, 2, 0, 1, 5]);
    hs.extend(message(12, &ske));
    let name = b"\x30\x00";
    let mut cr = vec![1, 1, 0, 2, 4, 1];
    cr.extend_from_slice(&((name.len() + 2) as u16).to_be_bytes());
    cr.extend_from_slice(&(name.len() as u16).to_be_bytes());
    cr.extend_from_slice(name);
    hs.extend(message(13, &cr));
    hs.extend(message(14, &[]));
    let (a, b) = hs.split_at(50);
    let mut wire = record(22, a);
    wire.extend(record(22, b));
    wire
}

#[test]
fn tls12_flight_split_and_coalesced() {
    // Delivered three bytes at a time: fragmentation below the record layer too.
    let f = read(tls12_flight(), 3, Until::HelloDone).unwrap();
    assert_eq!(f.hello.as_ref().unwrap().suite, 0x009e);
    assert_eq!(f.chain, vec![vec![0x30, 0x03, 1, 2, 3]]);
    assert_eq!(f.dh_bits, Some(2048));
    assert_eq!(f.cert_request, Some(vec![b"\x30\x00".to_vec()]));
    assert!(f.hello_done);
}

#[test]
fn every_byte_of_a_tls12_flight_corrupted_or_cut() {
    // Each parser (ServerHello, Certificate, ServerKeyExchange, CertificateRequest) sees
    // every length wrong in turn: an error or a parse, never a panic or a hang.
    let full = tls12_flight();
    for i in 0..full.len() {
        for flip in [0xff, 0x01, 0x80] {
            let mut bad = full.clone();
            bad[i] ^= flip;
            let _ = read(bad, 97, Until::HelloDone);
        }
    }
    for cut in 0..full.len() {
        assert!(
            read(full[..cut].to_vec(), 64, Until::HelloDone).is_err(),
            "cut at {cut}"
        );
    }
}

#[test]
fn hello_retry_request_is_recognised() {
    let exts = [0x00, 0x2b, 0, 2, 3, 4, 0x00, 0x33, 0, 2, 0x00, 0x17];
    let f = read(
        record(22, &server_hello(0x1302, HRR_RANDOM, &exts)),
        1,
        Until::Hello,
    )
    .unwrap();
    let h = f.hello.unwrap();
    assert!(h.retry_request);
    assert_eq!(
        (h.version, h.suite, h.group),
        (0x0304, 0x1302, Some(0x0017))
    );
}

#[test]
fn alert_is_returned() {
    let f = read(record(21, &[2, 40]), 100, Until::Hello).unwrap();
    assert_eq!(f.alert, Some((2, 40)));
    assert!(f.hello.is_none());
}

#[test]
fn hostile_answers_are_errors() {
    let ssh = b"SSH-2.0-OpenSSH_9.6\r\n".to_vec();
    assert_eq!(
        read(ssh, 100, Until::Hello),
        Err(ReadError::NotTls("SSH-2.0-OpenSSH_9.6".into()))
    );
    let http = b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec();
    assert!(
        matches!(read(http, 100, Until::Hello), Err(ReadError::NotTls(b)) if b.starts_with("HTTP/1.1 400"))
    );
    assert_eq!(
        read(vec![], 1, Until::Hello),
        Err(ReadError::ClosedBeforeAnswer)
    );
    assert_eq!(
        read(vec![22, 3, 3, 0x50, 0x00], 100, Until::Hello),
        Err(ReadError::OversizedRecord(0x5000))
    );
    assert_eq!(
        read(vec![22, 3, 3, 0, 10, 2, 0], 100, Until::Hello),
        Err(ReadError::ClosedMidRecord { got: 7, want: 15 })
    );
    // A ServerHello whose session-id length runs past its end.
    let mut bad = vec![3, 3];
    bad.extend_from_slice(&[0; 32]);
    bad.push(200);
    assert!(matches!(
        read(record(22, &message(2, &bad)), 100, Until::Hello),
        Err(ReadError::Malformed {
            what: "ServerHello",
            ..
        })
    ));
}

#[test]
fn every_truncation_of_a_flight_is_an_error_not_a_panic() {
    let exts = [0x00, 0x2b, 0, 2, 3, 4, 0x00, 0x33, 0, 4, 0x00, 0x1d, 0, 0];
    let full = record(22, &server_hello(0x1301, [9; 32], &exts));
    for cut in 0..full.len() {
        assert!(
            read(full[..cut].to_vec(), 7, Until::Hello).is_err(),
            "cut at {cut}"
        );
    }
    // Corrupt every length byte in turn: an error or a parse, never a panic.
    for i in 0..full.len() {
        let mut bad = full.clone();
        bad[i] ^= 0xff;
        let _ = read(bad, 64, Until::HelloDone);
    }
}
