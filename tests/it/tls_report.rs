//! The endpoint's typed facts in the JSON report: validated against docs/report.schema.json by
//! Python's jsonschema (an independent validator), and compared with what the servers were
//! configured to do.

use std::path::Path;

use serde_json::Value;

use crate::support::python;
use crate::tls::run_json;
use crate::tls_servers::{Nginx, OpensslServer, dh_params};

/// Every document must validate (Draft 2020-12, with date-time formats checked).
fn validate(docs: &[&Value]) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut paths = vec![schema.display().to_string()];
    for (i, doc) in docs.iter().enumerate() {
        let path = dir.path().join(format!("report-{i}.json"));
        std::fs::write(&path, doc.to_string()).expect("write report");
        paths.push(path.display().to_string());
    }
    python(
        "jsonschema against docs/report.schema.json",
        "import json,sys,jsonschema\n\
         s=json.load(open(sys.argv[1]))\n\
         v=jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker())\n\
         for p in sys.argv[2:]:\n\
         \x20   v.validate(json.load(open(p)))\n",
        paths,
    );
}

fn endpoint(report: &Value) -> &Value {
    let e = &report["subjects"][0]["endpoint"];
    assert!(e.is_object(), "no endpoint facts in {report}");
    e
}

fn suites<'a>(e: &'a Value, version: &str) -> &'a Vec<Value> {
    e["suites"]
        .as_array()
        .expect("suites")
        .iter()
        .find(|l| l["version"] == version)
        .and_then(|l| l["suites"].as_array())
        .unwrap_or_else(|| panic!("no {version} suites in {e}"))
}

fn suite<'a>(e: &'a Value, version: &str, name: &str) -> &'a Value {
    suites(e, version)
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {version}: {e}"))
}

#[test]
fn endpoint_facts_are_typed_and_validate_against_the_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dh = dh_params(dir.path(), 3072);
    let server = OpensslServer::start(&[
        "-no_tls1",
        "-no_tls1_1",
        "-cipher",
        "ECDHE+AESGCM:DHE+AESGCM:ECDHE+CHACHA20",
        "-ciphersuites",
        "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
        "-groups",
        "X25519:P-256:ffdhe3072",
        "-dhparam",
        &dh,
        "-Verify",
        "2",
        "-verify_return_error",
        "-CAfile",
        "root-ca.pem",
    ]);
    let (_, report) = run_json(&[
        "tls",
        &server.endpoint(),
        "--cert",
        "supplier-chain.pem",
        "--key",
        "supplier.key",
    ]);
    let e = endpoint(&report);
    let accepted: Vec<&str> = e["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["accepted"] == true)
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(accepted, ["TLS 1.3", "TLS 1.2"]);

    // IANA names everywhere; ChaCha20's key is 256 bits.
    let chacha = suite(e, "TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256");
    assert_eq!(chacha["cipher_bits"], 256);
    assert_eq!(chacha["cipher_mode"], Value::Null);
    assert_eq!(chacha["key_exchange"], "ECDHE");
    assert_eq!(chacha["group"], "x25519");
    assert_eq!(chacha["key_exchange_bits"], 256);
    assert_eq!(chacha["authentication"], "RSA");
    let chacha12 = suite(e, "TLS 1.2", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    assert_eq!(chacha12["cipher_bits"], 256);
    let dhe = suite(e, "TLS 1.2", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");
    assert_eq!(
        (
            &dhe["key_exchange"],
            &dhe["group"],
            &dhe["key_exchange_bits"]
        ),
        (&"DHE".into(), &"ffdhe3072".into(), &3072.into())
    );
    assert_eq!(dhe["code"], "0x009f");
    assert_eq!(dhe["aead"], true);
    assert_eq!(dhe["forward_secrecy"], true);
    assert_eq!(dhe["cipher"], "AES");
    assert_eq!(dhe["cipher_mode"], "GCM");
    assert_eq!(dhe["cipher_bits"], 256);

    let dh: Vec<&Value> = e["dh"].as_array().unwrap().iter().collect();
    assert_eq!(dh.len(), 2, "{dh:?}");
    assert!(
        dh.iter()
            .all(|d| d["group"] == "ffdhe3072" && d["prime_bits"] == 3072)
    );

    let groups = |v: &str| -> Vec<String> {
        e["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["version"] == v)
            .and_then(|g| g["groups"].as_array())
            .unwrap_or_else(|| panic!("no {v} groups"))
            .iter()
            .map(|g| g["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(groups("TLS 1.3"), ["x25519", "secp256r1", "ffdhe3072"]);
    assert_eq!(groups("TLS 1.2"), ["x25519", "secp256r1"]);

    let auth = &e["client_auth"];
    assert_eq!(auth["mode"], "required");
    assert_eq!(auth["enforced_at"], "tls");
    assert!(
        auth["ca_names"][0]
            .as_str()
            .unwrap()
            .contains("DEMO DVV Gov. Root CA")
    );
    let trial = |cert: &str| {
        auth["trials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["certificate"] == cert)
            .unwrap_or_else(|| panic!("no {cert} trial"))
            .clone()
    };
    assert_eq!(trial("none")["alert"], "certificate_required");
    assert_eq!(trial("foreign")["alert"], "unknown_ca");
    assert_eq!(trial("supplier")["result"], "accepted");

    let h = &e["handshake"];
    assert_eq!(h["version"], "TLS 1.3");
    assert_eq!(h["suite"], "TLS_AES_256_GCM_SHA384");
    assert_eq!(h["result"], "completed");
    assert_eq!(e["http"]["version"], "HTTP/1.0");
    assert_eq!(e["http"]["status"], 200);

    // The register certificate, as openssl x509 reads it.
    assert_matches_openssl(&e["certificate"]["chain"][0], "register.pem");
    assert!(leaf_has(
        &e["certificate"]["chain"][0]["key_usage"],
        "digitalSignature"
    ));
    assert_eq!(e["certificate"]["chain"].as_array().unwrap().len(), 2);
    let c = &e["connections"];
    assert_eq!(c["handshakes"], 3);
    assert_eq!(
        c["total"].as_u64().unwrap(),
        c["probe"].as_u64().unwrap() + 3
    );

    // The text report shows the same facts.
    let text = crate::support::tilicheck()
        .args(["tls", "--at", crate::support::AT, &server.endpoint()])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    for needle in [
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 (DHE ffdhe3072 3072-bit, RSA, AES-256-GCM, AEAD, forward-secret)",
        "TLS_CHACHA20_POLY1305_SHA256 (ECDHE x25519 256-bit, RSA, CHACHA20-POLY1305 256-bit, AEAD, forward-secret)",
        "ffdhe3072, 3072-bit prime, with TLS 1.2",
        "Groups TLS 1.2",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    assert!(!text.contains("TLS13_"), "{text}");

    // Other shapes of the same document: no certificate given, nginx's HTTP-level refusal, a
    // server tilicheck's handshake cannot speak to (TLS 1.0, static RSA), a custom prime.
    let (_, anonymous) = run_json(&["tls", &server.endpoint()]);
    let nginx = Nginx::start("on");
    let (_, http_level) = run_json(&[
        "tls",
        &nginx.endpoint(),
        "--cert",
        "supplier-chain.pem",
        "--key",
        "supplier.key",
    ]);
    assert_eq!(endpoint(&http_level)["client_auth"]["enforced_at"], "http");
    assert_eq!(
        endpoint(&http_level)["client_auth"]["trials"][0]["refused_at"],
        "http"
    );
    let legacy = OpensslServer::start(&["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"]);
    let (_, old) = run_json(&["tls", &legacy.endpoint()]);
    assert_eq!(endpoint(&old)["handshake"]["result"], "not_usable");
    assert_eq!(endpoint(&old)["client_auth"]["mode"], Value::Null);
    validate(&[&report, &anonymous, &http_level, &old]);
}

fn leaf_has(list: &Value, item: &str) -> bool {
    list.as_array().is_some_and(|l| l.contains(&item.into()))
}

/// The certificate facts of the report equal what `openssl x509` prints for the file: the
/// signature algorithm, subjectAltName DNS names and IP addresses, CRL and OCSP URIs.
fn assert_matches_openssl(cert: &Value, file: &str) {
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in", file])
        .current_dir(crate::support::fixtures())
        .output()
        .expect("openssl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let signature = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Signature Algorithm: "))
        .expect("signature algorithm");
    assert_eq!(cert["signature_algorithm"], signature, "{file}");
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    let mut crl = Vec::new();
    let mut ocsp = Vec::new();
    for line in text.lines().map(str::trim) {
        for item in line.split(", ") {
            if let Some(name) = item.strip_prefix("DNS:") {
                dns.push(Value::from(name));
            } else if let Some(ip) = item.strip_prefix("IP Address:") {
                // openssl writes IPv6 in full: compare addresses, not spellings.
                let ip: std::net::IpAddr = ip.parse().expect("openssl's IP address");
                ips.push(Value::from(ip.to_string()));
            } else if let Some(uri) = item.strip_prefix("OCSP - URI:") {
                ocsp.push(Value::from(uri));
            } else if let Some(uri) = item.strip_prefix("URI:") {
                crl.push(Value::from(uri));
            }
        }
    }
    assert_eq!(cert["san"]["dns"], Value::from(dns), "{file}");
    assert_eq!(cert["san"]["ip"], Value::from(ips), "{file}");
    assert_eq!(cert["crl_urls"], Value::from(crl), "{file}");
    assert_eq!(cert["ocsp_urls"], Value::from(ocsp), "{file}");
}

#[test]
fn certificate_facts_agree_with_openssl() {
    let server = OpensslServer::start(&["-tls1_3", "-cert", "qwac-chain.pem", "-key", "qwac.key"]);
    let (_, report) = run_json(&["tls", &server.endpoint()]);
    let leaf = &endpoint(&report)["certificate"]["chain"][0];
    assert_matches_openssl(leaf, "qwac.pem");
    assert!(!leaf["crl_urls"].as_array().unwrap().is_empty());
    assert!(leaf_has(&leaf["extended_key_usage"], "serverAuth"));
    validate(&[&report]);
}

/// A prime of the server's own is "custom", with its size.
#[test]
fn a_custom_prime_is_named_custom() {
    let dir = tempfile::tempdir().expect("tempdir");
    crate::support::openssl(
        &[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "dh_paramgen_prime_len:1024",
            "-out",
            "custom.pem",
        ],
        dir.path(),
        &[],
    );
    let dh = dir.path().join("custom.pem").display().to_string();
    let server = OpensslServer::start(&[
        "-tls1_2",
        "-cipher",
        "DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0",
        "-dhparam",
        &dh,
    ]);
    let (_, report) = run_json(&["tls", &server.endpoint()]);
    let e = endpoint(&report);
    assert_eq!(e["dh"][0]["group"], "custom", "{e}");
    assert_eq!(e["dh"][0]["prime_bits"], 1024);
    let s = suite(e, "TLS 1.2", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");
    assert_eq!(s["group"], "custom");
    assert_eq!(s["key_exchange_bits"], 1024);
    validate(&[&report]);
}

/// An OCSP response made with `openssl ocsp` and stapled by s_server (`-status_file`) shows as
/// stapled; the same server without it does not.
#[test]
fn a_stapled_ocsp_response_is_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = crate::support::fixtures();
    let file = |name: &str| pki.join(name).display().to_string();
    std::fs::write(dir.path().join("index.txt"), "").expect("index");
    crate::support::openssl(
        &[
            "ocsp",
            "-issuer",
            &file("service-ca.pem"),
            "-cert",
            &file("register.pem"),
            "-no_nonce",
            "-reqout",
            "req.der",
        ],
        dir.path(),
        &[],
    );
    crate::support::openssl(
        &[
            "ocsp",
            "-index",
            "index.txt",
            "-rsigner",
            &file("service-ca.pem"),
            "-rkey",
            &file("service-ca.key"),
            "-CA",
            &file("service-ca.pem"),
            "-reqin",
            "req.der",
            "-respout",
            "resp.der",
            "-ndays",
            "1",
        ],
        dir.path(),
        &[],
    );
    let response = dir.path().join("resp.der").display().to_string();
    for (options, stapled) in [
        (vec!["-status_file", response.as_str()], true),
        (vec![], false),
    ] {
        let mut all = vec!["-tls1_3"];
        all.extend(options);
        let server = OpensslServer::start(&all);
        let (_, report) = run_json(&["tls", &server.endpoint()]);
        assert_eq!(
            endpoint(&report)["certificate"]["ocsp_stapled"],
            stapled,
            "{report}"
        );
    }
}
