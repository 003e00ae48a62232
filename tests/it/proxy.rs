//! Every outbound path through a real proxy on loopback (tinyproxy, with Basic
//! authentication): CRL and OCSP downloads sent to the proxy whole, `send`, the Vero
//! certificate service and each of the TLS probe's connections through CONNECT tunnels.
//! The proxy's own log proves the traffic went through it; its password never shows in what
//! tilicheck prints. (`--trusted-list auto` through the proxy: `trusted_list::auto`.)

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use time::Duration as TimeDelta;

use crate::netpki::{OpensslOcsp, Urls, free_port, index_line, now, ok, write};
use crate::revocation::{Finding, Setup, finding};
use crate::support::{fixture, output_text, tilicheck};

use tilicheck::pki::load::pem::ToPem;

/// The proxy's password: never printed, logged or passed on a command line by tilicheck.
pub const PASSWORD: &str = "pr0xy-s3cret-Vv7";
const USER: &str = "tester";

/// tinyproxy on a free loopback port, logging every request it carries; killed on drop.
pub struct Tinyproxy {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tinyproxy {
    /// A proxy that asks for `tester`'s password (Basic authentication).
    pub fn start() -> Tinyproxy {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("proxy.log");
        for _ in 0..5 {
            let port = free_port();
            let conf = write(
                dir.path(),
                "tinyproxy.conf",
                format!(
                    "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Connect\n\
                     MaxClients 40\nAllow 127.0.0.1\nBasicAuth {USER} {PASSWORD}\nDisableViaHeader Yes\n",
                    log.display()
                )
                .as_bytes(),
            );
            let mut child = Command::new("tinyproxy")
                .arg("-d")
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("tinyproxy is installed (.ci/run installs it)");
            if crate::support::await_listening(&mut child, port) {
                return Tinyproxy {
                    child,
                    port,
                    log,
                    _dir: dir,
                };
            }
        }
        panic!("tinyproxy did not start");
    }

    /// The proxy's URL with the credentials.
    pub fn url(&self) -> String {
        format!("http://{USER}:{PASSWORD}@127.0.0.1:{}", self.port)
    }

    /// The URL without credentials (the proxy answers 407).
    pub fn url_without_credentials(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The request lines the proxy carried ("CONNECT 127.0.0.1:4433 HTTP/1.1", "GET http://…").
    pub fn requests(&self) -> Vec<String> {
        // tinyproxy writes a request's line once it has read it; give it a moment.
        std::thread::sleep(Duration::from_millis(100));
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                l.split_once("): ")
                    .filter(|_| l.contains("Request (file descriptor"))
            })
            .map(|(_, req)| req.trim().to_owned())
            .collect()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What tilicheck printed never holds the proxy's password (nor its base64 form).
pub fn assert_no_password(text: &str) {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    assert!(
        !text.contains(PASSWORD) && !text.contains(&basic),
        "the proxy password leaked: {text}"
    );
}

/// `cert LEAF` online with `env` set, JSON out: CERT-REVOCATION and all that was printed.
fn cert_via(
    s: &Setup,
    leaf: &Path,
    anchor: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Finding, String) {
    // A cache of its own per run: every run downloads.
    let cache = tempfile::tempdir_in(s.dir.path()).expect("cache dir");
    let mut cmd = tilicheck();
    cmd.current_dir(s.dir.path())
        .env_remove("TILICHECK_OFFLINE")
        .env_remove("TILICHECK_TRUST")
        .arg("cert")
        .arg(leaf)
        .arg("--chain")
        .arg(&s.ca_pem)
        .arg("--trust-only")
        .arg(anchor)
        .arg("--crl-cache")
        .arg(cache.path())
        .args(["--purpose", "tls", "--format", "json"])
        .args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {all}"));
    (finding(&json, "CERT-REVOCATION"), all)
}

#[test]
fn crl_downloads_go_through_http_proxy_with_its_credentials() {
    let proxy = Tinyproxy::start();
    let s = Setup::new();
    s.server.route(
        "/ca.crl",
        crate::netpki::Reply::Raw(ok(
            &s.ca
                .crl(&[], now() - TimeDelta::hours(1), now() + TimeDelta::days(7)),
            "application/pkix-crl",
        )),
    );
    let leaf = s.crl_leaf("/ca.crl");
    let (rev, all) = cert_via(
        &s,
        &leaf,
        &s.root_pem,
        &["--revocation", "crl"],
        &[("http_proxy", &proxy.url())],
    );
    assert_eq!(rev.status, "pass", "{rev:?}\n{all}");
    let carried = proxy.requests();
    for path in ["/root.crl", "/ca.crl"] {
        let line = format!("GET {} HTTP/1.1", s.server.url(path));
        assert!(carried.contains(&line), "{line} in {carried:?}");
    }
    assert_no_password(&all);

    // Without the credentials the proxy refuses (407), and the finding says so.
    let before = proxy.requests().len();
    let (rev, all) = cert_via(
        &s,
        &leaf,
        &s.root_pem,
        &["--revocation", "crl"],
        &[("http_proxy", &proxy.url_without_credentials())],
    );
    assert_ne!(rev.status, "pass", "{rev:?}");
    assert!(rev.detail.contains("407"), "{rev:?}");
    assert!(proxy.requests().len() > before, "the proxy was asked");
    assert_no_password(&all);

    // NO_PROXY decides: loopback named there is reached directly.
    let before = proxy.requests().len();
    let (rev, _) = cert_via(
        &s,
        &leaf,
        &s.root_pem,
        &["--revocation", "crl"],
        &[("http_proxy", &proxy.url()), ("NO_PROXY", "127.0.0.1")],
    );
    assert_eq!(rev.status, "pass", "{rev:?}");
    assert_eq!(
        proxy.requests().len(),
        before,
        "NO_PROXY=127.0.0.1 bypasses the proxy"
    );
}

#[test]
fn ocsp_requests_go_through_the_proxy() {
    let proxy = Tinyproxy::start();
    let s = Setup::new();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let leaf = s.leaf(
        "good",
        0x1001,
        &Urls {
            ocsp: Some(url.clone()),
            ..Urls::default()
        },
    );
    let key = write(s.dir.path(), "ca.key", s.ca.key.to_pem().as_bytes());
    let _responder = OpensslOcsp::start(
        s.dir.path(),
        port,
        &index_line(0x1001, false, "good"),
        &s.ca_pem,
        &key,
    );
    let (rev, all) = cert_via(
        &s,
        &leaf,
        &s.ca_pem,
        &["--revocation", "ocsp"],
        &[("all_proxy", &proxy.url())],
    );
    assert_eq!(rev.status, "pass", "{rev:?}\n{all}");
    assert!(rev.detail.contains("OCSP good"), "{rev:?}");
    let carried = proxy.requests();
    assert!(
        carried
            .iter()
            .any(|l| l.starts_with(&format!("POST {url}"))),
        "POST {url} in {carried:?}"
    );
    assert_no_password(&all);
}

#[test]
fn send_tunnels_to_the_register_through_https_proxy() {
    use tilicheck::profile::Interface;
    let proxy = Tinyproxy::start();
    let sim = crate::simulator::start(Interface::V3);
    let dir = tempfile::tempdir().expect("tempdir");
    let report = crate::send::minimal_report(dir.path());
    let cid = "6f1d2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b";
    let out = tilicheck()
        .env("HTTPS_PROXY", proxy.url())
        .arg("send")
        .arg(&report)
        .args([
            "--endpoint",
            &format!("https://127.0.0.1:{}", sim.addr().port()),
        ])
        .arg("--cert")
        .arg(fixture("supplier-chain.pem"))
        .arg("--key")
        .arg(fixture("supplier.key"))
        .arg("--trust-only")
        .arg(fixture("root-ca.pem"))
        .args(["--offline", "--color", "never", "--correlation-id", cid])
        .output()
        .expect("runs");
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("accepted: 200 OK"), "{text}");
    let connect = format!("CONNECT 127.0.0.1:{} HTTP/1.1", sim.addr().port());
    let carried = proxy.requests();
    assert_eq!(
        carried.iter().filter(|l| **l == connect).count(),
        1,
        "{carried:?}"
    );
    assert_eq!(sim.message(cid)["accepted"], true);
    assert_no_password(&text);

    // A proxy that refuses is named, and nothing is sent.
    let out = tilicheck()
        .env("HTTPS_PROXY", proxy.url_without_credentials())
        .arg("send")
        .arg(&report)
        .args([
            "--endpoint",
            &format!("https://127.0.0.1:{}", sim.addr().port()),
        ])
        .arg("--cert")
        .arg(fixture("supplier-chain.pem"))
        .arg("--key")
        .arg(fixture("supplier.key"))
        .arg("--trust-only")
        .arg(fixture("root-ca.pem"))
        .args(["--offline", "--color", "never"])
        .output()
        .expect("runs");
    let text = output_text(&out);
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("407") && text.contains(&format!("127.0.0.1:{}", proxy.port)),
        "{text}"
    );
}

#[test]
fn the_vero_service_is_reached_through_the_proxy() {
    let proxy = Tinyproxy::start();
    let svc = crate::vero::service::service(time::macros::datetime!(2026-11-18 11:00 UTC));
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("cert");
    let out = crate::vero::service::vero_new(&svc, &out_dir, &["--email-date", "2026-11-16"])
        .env("https_proxy", proxy.url())
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let port = svc
        .sim
        .url()
        .split(':')
        .nth(2)
        .and_then(|p| p.split('/').next())
        .expect("port")
        .to_owned();
    let connect = format!("CONNECT 127.0.0.1:{port} HTTP/1.1");
    let carried = proxy.requests();
    // SignNewCertificate, then GetCertificate at least once: each its own tunnel.
    assert!(
        carried.iter().filter(|l| **l == connect).count() >= 2,
        "{connect} in {carried:?}"
    );
    assert_no_password(&text);
}

/// Every connection of `tls` (the raw probe's hellos and the real handshakes) is a tunnel.
#[test]
fn every_tls_probe_connection_is_a_connect_tunnel() {
    use tilicheck::profile::Interface;
    let proxy = Tinyproxy::start();
    let sim = crate::simulator::start(Interface::V3);
    let endpoint = format!("127.0.0.1:{}", sim.addr().port());
    let run = |env: &[(&str, String)]| {
        let mut cmd = tilicheck();
        cmd.args([
            "tls",
            &endpoint,
            "--format",
            "json",
            "--at",
            crate::support::AT,
        ])
        .args(["--cert", "supplier-chain.pem", "--key", "supplier.key"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("runs");
        let text = output_text(&out);
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {text}"));
        (connections(&report), report, text)
    };
    let (direct, report, _) = run(&[]);
    assert!(proxy.requests().is_empty());
    assert_eq!(connections_proxy(&report), serde_json::Value::Null);
    let (tunnelled, report, text) = run(&[("HTTPS_PROXY", proxy.url())]);
    assert_no_password(&text);
    // The report says which proxy carried it, without its credentials.
    assert_eq!(
        connections_proxy(&report),
        serde_json::json!({"url": proxy.url_without_credentials(), "variable": "HTTPS_PROXY"})
    );
    let line = format!(
        "each tunnelled through the proxy {} (HTTPS_PROXY)",
        proxy.url_without_credentials()
    );
    assert!(report.to_string().contains(&line), "{report:#}");
    let connect = format!("CONNECT {endpoint} HTTP/1.1");
    let carried = proxy.requests();
    assert!(carried.iter().all(|l| *l == connect), "{carried:?}");
    assert_eq!(
        carried.len(),
        tunnelled,
        "one tunnel per connection the report counts"
    );
    assert_eq!(tunnelled, direct, "the proxy changes no connection count");
    // The probe saw the same server through the tunnel: the HTTP step answered too.
    assert!(report.to_string().contains("\"HTTP/1.1\""), "{report:#}");
}

/// `connections.proxy` of the endpoint in a `tls` report.
fn connections_proxy(report: &serde_json::Value) -> serde_json::Value {
    report["subjects"]
        .as_array()
        .and_then(|s| s.iter().find_map(|s| s.pointer("/endpoint/connections")))
        .and_then(|c| c.get("proxy"))
        .cloned()
        .unwrap_or_else(|| panic!("no connections.proxy in {report:#}"))
}

/// `connections.total` of the endpoint in a `tls` report.
fn connections(report: &serde_json::Value) -> usize {
    fn find(v: &serde_json::Value) -> Option<u64> {
        match v {
            serde_json::Value::Object(m) => m
                .get("connections")
                .and_then(|c| c["total"].as_u64())
                .or_else(|| m.values().find_map(find)),
            serde_json::Value::Array(a) => a.iter().find_map(find),
            _ => None,
        }
    }
    find(report).unwrap_or_else(|| panic!("no connections in {report:#}")) as usize
}
