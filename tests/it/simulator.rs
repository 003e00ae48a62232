//! `tilicheck serve`: the simulator against curl (tokens signed by openssl) and a small rustls
//! client of our own. Servers run in-process on 127.0.0.1:0 with the committed DEMO fixtures;
//! only the durability test spawns the binary (to kill it with SIGKILL).

mod clients;
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
mod refusals;
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

pub use clients::{Client, PyReply, Reply, curl, curl_as, py_request, py_request_to};

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

pub fn new_cid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn is_uuid_v4(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.get_version_num() == 4)
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
