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
        "GET /api/records HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        serve.inspect
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

/// The answer's X-Correlation-ID from a raw curl head.
fn answered_id(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("x-correlation-id")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no X-Correlation-ID in {head}"))
}

#[test]
fn a_correlation_id_that_is_not_a_uuid_v4_is_a_400_naming_the_header() {
    let sim = start(Interface::V3);
    let (auth, body) = signed_update();
    let hostile = "<script>alert(1)</script>";
    let (head, answer) = curl_raw(
        sim.addr(),
        &["--http1.1"],
        &[
            format!("Authorization: Bearer {auth}"),
            format!("X-Correlation-ID: {hostile}"),
        ],
        &body,
    );
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    let v: Value = serde_json::from_str(&answer).unwrap();
    let message = v["message"].as_str().unwrap();
    assert!(
        message.contains("X-Correlation-ID \"<script>alert(1)</script>\" is not a UUIDv4"),
        "{message}"
    );
    // The refusal is named by a fresh UUIDv4, never by the value sent.
    let id = answered_id(&head);
    assert!(is_uuid_v4(&id), "{head}");
    let m = sim.message(&id);
    assert_eq!(
        (m["status"].as_u64(), &m["accepted"]),
        (Some(400), &json!(false))
    );
    assert!(m["findings"].as_str().unwrap().contains("SEND-SEQUENTIAL"));

    // Python's http.client: a version-1 UUID, a v4 without hyphens, and two headers.
    let v1 = "5553cc0c-2633-1185-af51-88ffa12f01c6";
    let bearer = format!("Bearer {auth}");
    for headers in [
        vec![("Authorization", bearer.as_str()), ("X-Correlation-ID", v1)],
        vec![
            ("Authorization", bearer.as_str()),
            ("X-Correlation-ID", "5553cc0c26334185af5188ffa12f01c6"),
        ],
        vec![
            ("Authorization", bearer.as_str()),
            ("X-Correlation-ID", "5553cc0c-2633-4185-af51-88ffa12f01c6"),
            ("x-correlation-id", "9b2b6e8e-3f1c-4c1e-9a51-0c6a2e0e7f11"),
        ],
    ] {
        let r = py_request(&sim, "1.1", "/v3/report-update/cat-2/", &headers, &body);
        assert_eq!(r.status, 400, "{headers:?}: {}", r.body);
        assert!(
            r.json()["message"]
                .as_str()
                .unwrap()
                .contains("X-Correlation-ID")
        );
    }
    assert_eq!(sim.api("/api/records"), json!([]), "nothing stored");
}

#[test]
fn a_missing_correlation_id_is_generated_and_returned_and_upper_case_hex_is_kept() {
    let sim = start(Interface::V3);
    let (auth, body) = signed_update();
    let bearer = format!("Bearer {auth}");
    let r = py_request(
        &sim,
        "1.1",
        "/v3/report-update/cat-2/",
        &[("Authorization", &bearer)],
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r
        .header("x-correlation-id")
        .expect("§4.1: returned")
        .to_owned();
    assert!(is_uuid_v4(&id), "{id}");
    assert_eq!(
        sim.message(&id)["accepted"],
        true,
        "filed under the generated ID"
    );

    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(&new_cid()));
    let upper = new_cid().to_ascii_uppercase();
    let r = py_request(
        &sim,
        "1.1",
        "/v3/report-update/cat-2/",
        &[
            ("Authorization", &format!("Bearer {auth}")),
            ("X-Correlation-ID", &upper),
        ],
        &body,
    );
    assert_eq!(
        r.status, 200,
        "RFC 9562: hex digits in either case: {}",
        r.body
    );
    assert_eq!(r.header("x-correlation-id"), Some(upper.as_str()));
}

#[test]
fn the_bearer_scheme_is_matched_in_any_case() {
    let sim = start(Interface::V3);
    for scheme in ["bearer", "BEARER", "bEaReR"] {
        let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(&new_cid()));
        let cid = new_cid();
        let (head, answer) = curl_raw(
            sim.addr(),
            &["--http1.1"],
            &[
                format!("authorization: {scheme} {auth}"),
                format!("X-Correlation-ID: {cid}"),
            ],
            &body,
        );
        assert!(
            head.starts_with("HTTP/1.1 200 "),
            "{scheme}: {head}{answer}"
        );
    }
    // Another scheme is still refused.
    let (auth, body) = signed_update();
    let r = py_request(
        &sim,
        "1.1",
        "/v3/report-update/cat-2/",
        &[("Authorization", &format!("Basic {auth}"))],
        &body,
    );
    assert_eq!(r.status, 403, "{}", r.body);
}
