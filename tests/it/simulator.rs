//! `tilicheck serve`: the simulator against curl (tokens signed by openssl) and a small rustls
//! client of our own. Servers run in-process on 127.0.0.1:0 with the committed DEMO fixtures;
//! only the durability test spawns the binary (to kill it with SIGKILL).

mod content_warnings;
mod disputes;
mod durability;
mod faults;
mod hostile;
mod inspect_page;
mod interface;
mod new_user;
mod private;
mod protocol;
mod replay;
mod retention;
mod tls_offer;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tilicheck::profile::Interface;
use tilicheck::simulator::supplier_registry::SupplierRegistry;
use tilicheck::simulator::{Config, Limits, Running, SequentialPolicy, Simulator};

use crate::support::{fixture, python_json};

pub const SUPPLIER: &str = "1234567-1";
pub const RECORD: &str = "ebdee4c8-ab94-4926-8e71-83fd47bea3e6";
pub const PERSON: &str = "5d892fac-07f0-465f-ab6a-af88a1d922ba";

/// A simulator on an ephemeral port with its data directory.
pub struct Sim {
    pub running: Running,
    /// Kept so the data directory lives as long as the server.
    pub _dir: tempfile::TempDir,
}

impl Sim {
    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }
    pub fn inspect(&self) -> SocketAddr {
        self.running.inspect_addr.expect("inspection enabled")
    }
    /// GET a path of the inspection API and parse the JSON.
    pub fn api(&self, path: &str) -> Value {
        let mut s = TcpStream::connect(self.inspect()).expect("inspect port");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.inspect()
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
    }
    /// The logged message with this correlation ID.
    pub fn message(&self, cid: &str) -> Value {
        let all = self.api("/api/messages");
        all.as_array()
            .unwrap()
            .iter()
            .find(|m| m["correlation_id"] == cid)
            .cloned()
            .unwrap_or_else(|| panic!("{cid} not logged: {all}"))
    }
}

pub fn test_limits() -> Limits {
    Limits {
        max_connections: 16,
        handshake_timeout: Duration::from_secs(2),
        header_timeout: Duration::from_secs(2),
        body_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(2),
        max_header_bytes: 16 * 1024,
    }
}

pub fn config(interface: Interface, dir: &Path) -> Config {
    let none = tilicheck::secret::PasswordSource::None;
    let certs = |n: &str| {
        tilicheck::pki::load::read_certificates(&fixture(n), &none)
            .unwrap()
            .certificates
    };
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        allow_remote: false,
        inspect: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: dir.to_owned(),
        interface,
        server_chain: certs("register-chain.pem"),
        server_key: tilicheck::pki::load::read_private_key(&fixture("register.key"), &none)
            .unwrap()
            .der,
        trust: certs("root-ca.pem"),
        key_exchange: Default::default(),
        registry: SupplierRegistry::load(
            &[
                fixture("supplier.pem"),
                fixture("supplier-vat.pem"),
                fixture("qwac.pem"),
            ],
            vec![],
        )
        .unwrap(),
        judge: tilicheck::simulator::setup::default_judge(),
        faults: Default::default(),
        sequential: SequentialPolicy::Warn,
        content: Default::default(),
        limits: test_limits(),
        verbose: false,
        retain_days: None,
    }
}

pub fn start_with(interface: Interface, tweak: impl FnOnce(&mut Config)) -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(interface, dir.path());
    tweak(&mut c);
    let running = Simulator::start(c).expect("simulator starts");
    Sim { running, _dir: dir }
}

pub fn start(interface: Interface) -> Sim {
    start_with(interface, |_| {})
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact RS256 JWS signed by the openssl CLI (an implementation independent of ours).
pub fn sign_openssl(key: &Path, header: &Value, payload: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input");
    std::fs::write(&file, &input).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-binary", "-sign"])
        .arg(key)
        .arg(&file)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("{input}.{}", b64(&out.stdout))
}

pub fn jwt_header() -> Value {
    json!({"alg": "RS256", "typ": "JWT"})
}

/// The two tokens of a request for `interface`, signed with `key` as `sub`.
pub fn tokens_as(
    interface: Interface,
    key: &Path,
    sub: &str,
    claim: &str,
    report: Value,
) -> (String, String) {
    let (auth, body) = match interface {
        Interface::V3 => (
            json!({"sub": sub, "aud": "accountRegister"}),
            json!({"sub": sub, "aud": "accountRegister", claim: report}),
        ),
        Interface::V1_0_4 => (
            json!({"sub": sub, "senderBusinessId": sub}),
            json!({"sub": sub, claim: report.to_string()}),
        ),
    };
    (
        sign_openssl(key, &jwt_header(), &auth),
        sign_openssl(key, &jwt_header(), &body),
    )
}

pub fn tokens(interface: Interface, claim: &str, report: Value) -> (String, String) {
    tokens_as(interface, &fixture("supplier.key"), SUPPLIER, claim, report)
}

/// A v3 update report with one account and one legal person.
pub fn update_report(account: &str) -> Value {
    update_report_in(Interface::V3, account)
}

/// An update report for `interface` (the role's reference field differs by version).
pub fn update_report_in(interface: Interface, account: &str) -> Value {
    let reference = interface.profile().message.role_reference_field.value;
    json!({
        "creationDateTime": "2024-05-12T08:53:12.374",
        "senderBusinessId": SUPPLIER,
        "legalPersons": {PERSON: {"privatePerson": {"fullName": "Korhonen, Juhani", "birthDate": "1980-01-01", "hetu": "010180-9026"}}},
        "accounts": {account: {"id": {"iban": "FI2112345600000785"}, "openingDate": "2021-01-01",
            "roles": [{"type": "owner", reference: PERSON, "startDate": "2021-01-01"}]}}
    })
}

/// A response as the tests see it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

fn parse_head(head: &str) -> (u16, Vec<(String, String)>) {
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (status, headers)
}

/// One request with curl: client certificate chain and key, the DEMO root as trust.
pub fn curl(
    sim: &Sim,
    method: &str,
    path: &str,
    auth: Option<&str>,
    cid: Option<&str>,
    body: &str,
) -> Reply {
    curl_as(
        sim,
        "supplier-chain.pem",
        "supplier.key",
        method,
        path,
        auth,
        cid,
        body,
    )
}

#[allow(clippy::too_many_arguments)]
pub fn curl_as(
    sim: &Sim,
    cert: &str,
    key: &str,
    method: &str,
    path: &str,
    auth: Option<&str>,
    cid: Option<&str>,
    body: &str,
) -> Reply {
    let dir = tempfile::tempdir().unwrap();
    let body_file = dir.path().join("body");
    let head_file = dir.path().join("head");
    let out_file = dir.path().join("out");
    std::fs::write(&body_file, body).unwrap();
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "20", "--http1.1", "-X", method])
        .arg("--cacert")
        .arg(fixture("root-ca.pem"))
        .arg("--cert")
        .arg(fixture(cert))
        .arg("--key")
        .arg(fixture(key))
        .arg("-D")
        .arg(&head_file)
        .arg("-o")
        .arg(&out_file)
        .args(["-H", "Content-Type: application/json"]);
    if let Some(a) = auth {
        cmd.args(["-H", &format!("Authorization: Bearer {a}")]);
    }
    if let Some(c) = cid {
        cmd.args(["-H", &format!("X-Correlation-ID: {c}")]);
    }
    if method != "GET" {
        cmd.arg("--data-binary")
            .arg(format!("@{}", body_file.display()));
    }
    cmd.arg(format!("https://localhost:{}{path}", sim.addr().port()));
    let out = cmd.output().expect("curl is installed");
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = std::fs::read_to_string(&head_file).unwrap();
    let (status, headers) = parse_head(&head);
    Reply {
        status,
        headers,
        body: std::fs::read_to_string(&out_file).unwrap_or_default(),
    }
}

/// Our own blocking rustls client: keep-alive, one request at a time.
pub struct Client {
    pub stream: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
}

pub fn client_config(cert: &str, key: &str) -> Arc<rustls::ClientConfig> {
    let none = tilicheck::secret::PasswordSource::None;
    let chain = tilicheck::pki::load::read_certificates(&fixture(cert), &none)
        .unwrap()
        .certificates;
    let key = tilicheck::pki::load::read_private_key(&fixture(key), &none)
        .unwrap()
        .der;
    let mut roots = rustls::RootCertStore::empty();
    for c in tilicheck::pki::load::read_certificates(&fixture("root-ca.pem"), &none)
        .unwrap()
        .certificates
    {
        roots.add(c).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .unwrap(),
    )
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        Self::connect_with(addr, client_config("supplier-chain.pem", "supplier.key"))
    }

    pub fn connect_with(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> Client {
        let tcp = TcpStream::connect(addr).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        tcp.set_write_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        let conn = rustls::ClientConnection::new(config, name).unwrap();
        Client {
            stream: rustls::StreamOwned::new(conn, tcp),
        }
    }

    pub fn post(
        &mut self,
        path: &str,
        auth: &str,
        cid: Option<&str>,
        body: &str,
    ) -> std::io::Result<Reply> {
        let cid = cid
            .map(|c| format!("X-Correlation-ID: {c}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer {auth}\r\n{cid}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.raw(req.as_bytes())
    }

    /// Send raw bytes and read one response.
    pub fn raw(&mut self, request: &[u8]) -> std::io::Result<Reply> {
        self.stream.write_all(request)?;
        self.stream.flush()?;
        self.read_reply()
    }

    pub fn read_reply(&mut self) -> std::io::Result<Reply> {
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") {
            if self.stream.read(&mut byte)? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed",
                ));
            }
            buf.push(byte[0]);
            if buf.len() > 64 * 1024 {
                return Err(std::io::Error::other("head too long"));
            }
        }
        let (status, headers) = parse_head(&String::from_utf8_lossy(&buf));
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body)?;
        Ok(Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

pub fn new_cid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn is_uuid_v4(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.get_version_num() == 4)
}

/// One request by Python's http.client (an HTTP implementation independent of ours and of
/// curl) over mutual TLS with the DEMO supplier's chain: `headers` as given (names, case,
/// repeats), `version` "1.0" or "1.1". Prints the answer's status, HTTP version and headers.
const PY_REQUEST: &str = r#"
import http.client, json, ssl, sys
port, path, chain, key, ca, headers, body_path, version = sys.argv[1:9]
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(chain, key)
conn = http.client.HTTPSConnection("localhost", int(port), context=ctx, timeout=20)
if version == "1.0":
    conn._http_vsn, conn._http_vsn_str = 10, "HTTP/1.0"
body = open(body_path, "rb").read()
conn.putrequest("POST", path, skip_host=False, skip_accept_encoding=True)
for name, value in json.loads(headers):
    conn.putheader(name, value)
conn.putheader("Content-Length", str(len(body)))
conn.endheaders(body)
r = conn.getresponse()
print(json.dumps({"status": r.status, "version": r.version,
                  "headers": [[k, v] for k, v in r.getheaders()],
                  "body": r.read().decode()}))
"#;

/// An answer as Python's http.client read it.
pub struct PyReply {
    pub status: u16,
    /// 10 or 11, from the status line.
    pub version: u64,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl PyReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// POST `body` to `path` with Python's http.client.
pub fn py_request(
    sim: &Sim,
    version: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> PyReply {
    py_request_to(sim.addr().port(), version, path, headers, body)
}

/// [`py_request`] to a port on 127.0.0.1.
pub fn py_request_to(
    port: u16,
    version: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> PyReply {
    let dir = tempfile::tempdir().unwrap();
    let body_file = dir.path().join("body");
    std::fs::write(&body_file, body).unwrap();
    let headers = serde_json::to_string(headers).unwrap();
    let port = port.to_string();
    let v = python_json(
        "Python http.client",
        PY_REQUEST,
        [
            port.as_str(),
            path,
            &fixture("supplier-chain.pem").display().to_string(),
            &fixture("supplier.key").display().to_string(),
            &fixture("root-ca.pem").display().to_string(),
            &headers,
            &body_file.display().to_string(),
            version,
        ],
    );
    PyReply {
        status: v["status"].as_u64().unwrap() as u16,
        version: v["version"].as_u64().unwrap(),
        headers: v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h[0].as_str().unwrap().into(), h[1].as_str().unwrap().into()))
            .collect(),
        body: v["body"].as_str().unwrap().into(),
    }
}

/// `tilicheck serve` as a process, with the committed DEMO fixtures as its PKI, listening on
/// ephemeral loopback ports; its standard error (the banner and the log) is collected.
pub struct ServeProcess {
    child: std::process::Child,
    log: Arc<std::sync::Mutex<String>>,
    pub addr: SocketAddr,
    pub inspect: SocketAddr,
    dir: tempfile::TempDir,
}

impl ServeProcess {
    /// The directory it runs in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn start(extra: &[&str]) -> ServeProcess {
        Self::start_in(".", extra)
    }

    /// Started in a fresh directory with `--data-dir data_dir` (relative to it), whose `pki/`
    /// already holds the fixtures (so no keys are generated).
    pub fn start_in(data_dir: &str, extra: &[&str]) -> ServeProcess {
        let dir = tempfile::tempdir().unwrap();
        let pki = dir.path().join(data_dir).join("pki");
        std::fs::create_dir_all(&pki).unwrap();
        for entry in std::fs::read_dir(crate::support::fixtures()).unwrap() {
            let entry = entry.unwrap();
            if entry.path().is_file() {
                std::fs::copy(entry.path(), pki.join(entry.file_name())).unwrap();
            }
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_tilicheck"))
            .current_dir(dir.path())
            .args(["serve", "--data-dir", data_dir])
            .args(["--listen", "127.0.0.1:0", "--inspect", "127.0.0.1:0"])
            .args(extra)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("binary runs");
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let mut p = ServeProcess {
            child,
            log,
            addr: "127.0.0.1:0".parse().unwrap(),
            inspect: "127.0.0.1:0".parse().unwrap(),
            dir,
        };
        let banner = p.wait_for_log("stop with Ctrl-C", Duration::from_secs(30));
        let after = |marker: &str| -> SocketAddr {
            let rest =
                &banner[banner.find(marker).unwrap_or_else(|| panic!("{banner}")) + marker.len()..];
            let end = rest.find(|c: char| c == '/' || c.is_whitespace()).unwrap();
            rest[..end].parse().unwrap()
        };
        p.addr = after("on https://");
        p.inspect = after("inspection page: http://");
        p
    }

    /// The log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Wait (bounded) until the log contains `text`; the log so far.
    pub fn wait_for_log(&self, text: &str, limit: Duration) -> String {
        let start = std::time::Instant::now();
        loop {
            let log = self.log();
            if log.contains(text) {
                return log;
            }
            assert!(
                start.elapsed() < limit,
                "{text:?} not in the serve log within {limit:?}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
