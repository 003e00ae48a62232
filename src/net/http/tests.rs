use super::*;
use std::io::{Read, Write};

#[test]
fn parses_http_urls() {
    let u = HttpUrl::parse("http://ocsp.example:8080/a/b?x=1").expect("url");
    assert_eq!(
        (u.host.as_str(), u.port, u.target.as_str()),
        ("ocsp.example", 8080, "/a/b?x=1")
    );
    let u = HttpUrl::parse("HTTP://[::1]/crl").expect("v6");
    assert_eq!(
        (u.host.as_str(), u.port, u.target.as_str()),
        ("::1", 80, "/crl")
    );
    assert_eq!(u.host_header(), "[::1]");
    let u = HttpUrl::parse("http://h").expect("bare");
    assert_eq!(u.target, "/");
}

#[test]
fn refuses_other_schemes_and_odd_urls() {
    for bad in [
        "ldap://ldap.fineid.fi/cn=x",
        "http://user:pw@x/",
        "http://x:notaport/",
        "http:///path",
        "http://x/a b",
    ] {
        assert!(
            matches!(HttpUrl::parse(bad), Err(HttpError::BadUrl { .. })),
            "{bad}"
        );
    }
}

#[test]
fn https_parses_but_only_a_tls_setting_fetches_it() {
    let u = HttpUrl::parse("https://tl.example/fi.xml").expect("https");
    assert!(u.https);
    assert_eq!((u.port, u.host_header().as_str()), (443, "tl.example"));
    // CRL, OCSP and caIssuers fetches stay http:// only.
    let e = get("https://127.0.0.1:1/x", &quick()).expect_err("no TLS setting");
    assert!(matches!(e, HttpError::BadUrl { .. }), "{e}");
    let cur = HttpUrl::parse("https://h/dir/f").expect("url");
    assert_eq!(resolve_location(&cur, "/x"), "https://h/x");
}

#[test]
fn relative_redirects_resolve_against_the_current_url() {
    let cur = HttpUrl::parse("http://h:81/dir/file").expect("url");
    assert_eq!(resolve_location(&cur, "/x"), "http://h:81/x");
    assert_eq!(resolve_location(&cur, "y"), "http://h:81/dir/y");
    assert_eq!(resolve_location(&cur, "https://o/"), "https://o/");
}

/// Serve `reply` once on a loopback port; returns the URL.
fn serve_once(reply: &'static [u8]) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        if let Ok((mut conn, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(reply);
        }
    });
    format!("http://127.0.0.1:{port}/x")
}

fn quick() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        max_body: 16,
        max_redirects: 3,
    }
}

#[test]
fn chunked_bodies_are_joined() {
    let url = serve_once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n");
    let r = get(&url, &quick()).expect("chunked");
    assert_eq!(r.body, b"abcdefg");
}

#[test]
fn chunked_bodies_over_the_cap_are_refused() {
    let url = serve_once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\nX\r\n0\r\n\r\n");
    let e = get(&url, &quick()).expect_err("over the cap");
    assert!(
        matches!(e, HttpError::TooLarge { declared: None, .. }),
        "{e}"
    );
}

#[test]
fn bodies_until_close_are_capped_too() {
    let url = serve_once(b"HTTP/1.0 200 OK\r\n\r\n0123456789abcdef0123456789");
    let e = get(&url, &quick()).expect_err("over the cap");
    assert!(matches!(e, HttpError::TooLarge { .. }), "{e}");
    let url = serve_once(b"HTTP/1.0 200 OK\r\n\r\nsmall");
    assert_eq!(get(&url, &quick()).expect("small").body, b"small");
}

#[test]
fn garbage_status_lines_and_https_redirects_are_errors() {
    let url = serve_once(b"SSH-2.0-OpenSSH_9.6\r\n\r\n");
    let e = get(&url, &quick()).expect_err("not HTTP");
    assert!(matches!(e, HttpError::Malformed { .. }), "{e}");
    let url = serve_once(
        b"HTTP/1.1 301 Moved\r\nLocation: https://example.test/x\r\nContent-Length: 0\r\n\r\n",
    );
    let e = get(&url, &quick()).expect_err("https redirect");
    assert!(matches!(e, HttpError::BadUrl { .. }), "{e}");
}

#[test]
fn an_absurd_chunk_size_is_an_error_without_overflow() {
    // hyper reads a chunk as it arrives, so the cap counts the bytes received: here the
    // stream ends inside the announced chunk.
    let url = serve_once(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nX\r\n0\r\n\r\n",
    );
    let e = get(&url, &quick()).expect_err("absurd chunk");
    assert!(matches!(e, HttpError::Malformed { .. }), "{e}");
    assert!(e.to_string().contains("inside the chunked body"), "{e}");
    let url = serve_once(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n0123456789abcdef0123\r\n",
    );
    let e = get(&url, &quick()).expect_err("over the cap");
    assert!(matches!(e, HttpError::TooLarge { .. }), "{e}");
}

#[test]
fn headers_past_the_cap_are_refused() {
    let mut reply = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..2000 {
        reply.extend_from_slice(format!("X-Filler-{i}: 0123456789\r\n").as_bytes());
    }
    reply.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    let url = serve_once(Box::leak(reply.into_boxed_slice()));
    let e = get(&url, &quick()).expect_err("huge head");
    assert!(e.to_string().contains("headers longer than"), "{e}");
}
