//! The register's HTTP rules, against independent clients (curl, Python's http.client): HTTP/1.1
//! only (§3.3), X-Correlation-ID a UUIDv4 or generated (§4.1), the `Bearer` scheme matched
//! case-insensitively (RFC 9110 §11.1).

use super::*;

/// curl with `--http1.0` (or other `flags`), client chain and DEMO trust; the raw response
/// head and the body.
fn curl_raw(addr: SocketAddr, flags: &[&str], headers: &[String], body: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let body_file = dir.path().join("body");
    let head_file = dir.path().join("head");
    let out_file = dir.path().join("out");
    std::fs::write(&body_file, body).unwrap();
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "20"])
        .args(flags)
        .arg("--cacert")
        .arg(fixture("root-ca.pem"))
        .arg("--cert")
        .arg(fixture("supplier-chain.pem"))
        .arg("--key")
        .arg(fixture("supplier.key"))
        .arg("-D")
        .arg(&head_file)
        .arg("-o")
        .arg(&out_file)
        .arg("--data-binary")
        .arg(format!("@{}", body_file.display()));
    for h in headers {
        cmd.args(["-H", h]);
    }
    cmd.arg(format!(
        "https://localhost:{}/v3/report-update/cat-2/",
        addr.port()
    ));
    let out = cmd.output().expect("curl is installed");
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        std::fs::read_to_string(&head_file).unwrap(),
        std::fs::read_to_string(&out_file).unwrap_or_default(),
    )
}

fn signed_update() -> (String, String) {
    tokens(Interface::V3, "reportUpdate", update_report(RECORD))
}

#[test]
fn http_1_0_gets_an_http_1_1_400_naming_http_version_and_is_logged() {
    let serve = ServeProcess::start(&[]);
    let (auth, body) = signed_update();
    let cid = new_cid();
    let (head, answer) = curl_raw(
        serve.addr,
        &["--http1.0"],
        &[
            format!("Authorization: Bearer {auth}"),
            format!("X-Correlation-ID: {cid}"),
        ],
        &body,
    );
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("x-correlation-id: {cid}")),
        "{head}"
    );
    let v: Value = serde_json::from_str(&answer).unwrap();
    let message = v["message"].as_str().unwrap();
    assert!(
        message.starts_with("HTTP-VERSION:") && message.contains("HTTP/1.0"),
        "{v}"
    );
    assert_eq!(v["fieldErrors"], json!([]), "the register's 400 shape");
    let log = serve.wait_for_log(&cid, Duration::from_secs(10));
    let line = log.lines().find(|l| l.contains(&cid)).unwrap();
    assert!(line.contains("400 HTTP-VERSION"), "{line}");

    // Python's http.client reads the status line's version itself.
    let r = {
        let sim_like = serve.addr;
        let cid = new_cid();
        let r = py_request_at(
            sim_like,
            "1.0",
            &[
                ("Authorization", &format!("Bearer {auth}")),
                ("X-Correlation-ID", &cid),
            ],
            &body,
        );
        assert_eq!(r.header("x-correlation-id"), Some(cid.as_str()));
        r
    };
    assert_eq!((r.status, r.version), (400, 11), "{}", r.body);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("HTTP-VERSION")
    );

    // Both were logged, nothing was stored.
    let mut s = TcpStream::connect(serve.inspect).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /api/records HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(text.ends_with("\r\n\r\n[]"), "{text}");
}

#[test]
fn http_1_0_after_http_1_1_on_one_connection_is_refused_too() {
    let sim = start(Interface::V3);
    let (auth, body) = signed_update();
    let mut client = Client::connect(sim.addr());
    let r = client
        .post("/v3/report-update/cat-2/", &auth, Some(&new_cid()), &body)
        .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let cid = new_cid();
    let req = format!(
        "POST /v3/report-update/cat-2/ HTTP/1.0\r\nHost: localhost\r\nAuthorization: Bearer {auth}\r\nX-Correlation-ID: {cid}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let r = client.raw(req.as_bytes()).unwrap();
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.body.contains("HTTP-VERSION"), "{r:?}");
    let m = sim.message(&cid);
    assert_eq!(m["accepted"], false);
    assert!(m["findings"].as_str().unwrap().contains("HTTP-VERSION"));
}

/// [`py_request`] against an address rather than an in-process simulator.
fn py_request_at(addr: SocketAddr, version: &str, headers: &[(&str, &str)], body: &str) -> PyReply {
    py_request_to(
        addr.port(),
        version,
        "/v3/report-update/cat-2/",
        headers,
        body,
    )
}
