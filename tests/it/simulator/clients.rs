//! The clients the simulator tests talk through: curl (tokens signed by openssl), a small
//! rustls client of our own with keep-alive, and Python's http.client for exact header control.

use super::*;

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
