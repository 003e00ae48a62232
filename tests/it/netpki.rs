//! A test PKI with CRL/OCSP/caIssuers URLs on loopback, a tiny HTTP server thread that serves
//! canned or computed answers, and an `openssl ocsp` responder guard. Everything stops when
//! dropped; every wait is bounded.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use der::{Decode, Encode};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, RevocationReason, RevokedCertParams, SerialNumber, SigningKey,
};
use time::{Duration as TimeDelta, OffsetDateTime};

/// URLs a certificate names.
#[derive(Clone, Debug, Default)]
pub struct Urls {
    pub crl: Vec<String>,
    pub ocsp: Option<String>,
    pub ca_issuers: Option<String>,
}

/// A CA: its parameters, key and certificate.
pub struct Ca {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub cert: rcgen::Certificate,
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn dn(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CountryName, "FI");
    d.push(DnType::OrganizationName, "TEST PKI");
    d.push(DnType::CommonName, cn);
    d
}

fn aia(urls: &Urls) -> Option<CustomExtension> {
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::{AccessDescription, AuthorityInfoAccessSyntax};
    let mut ads = Vec::new();
    let ia5 = |u: &str| der::asn1::Ia5String::new(u).expect("ascii URL");
    if let Some(u) = &urls.ocsp {
        ads.push(AccessDescription {
            access_method: der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1"),
            access_location: GeneralName::UniformResourceIdentifier(ia5(u)),
        });
    }
    if let Some(u) = &urls.ca_issuers {
        ads.push(AccessDescription {
            access_method: der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2"),
            access_location: GeneralName::UniformResourceIdentifier(ia5(u)),
        });
    }
    if ads.is_empty() {
        return None;
    }
    let der = AuthorityInfoAccessSyntax(ads).to_der().expect("AIA DER");
    Some(CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 5, 5, 7, 1, 1],
        der,
    ))
}

fn with_urls(p: &mut CertificateParams, urls: &Urls) {
    if !urls.crl.is_empty() {
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: urls.crl.clone(),
        }];
    }
    p.custom_extensions.extend(aia(urls));
}

fn ca_params(cn: &str, not_before: OffsetDateTime, not_after: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = not_before;
    p.not_after = not_after;
    p
}

impl Ca {
    pub fn root(cn: &str) -> Ca {
        let params = ca_params(
            cn,
            now() - TimeDelta::days(30),
            now() + TimeDelta::days(3650),
        );
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("root");
        Ca { params, key, cert }
    }

    /// An intermediate under `parent`, valid from/to the given times.
    pub fn intermediate(
        cn: &str,
        parent: &Ca,
        urls: &Urls,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Ca {
        let mut params = ca_params(cn, not_before, not_after);
        with_urls(&mut params, urls);
        let key = KeyPair::generate().expect("key");
        let cert = params
            .signed_by(&key, &parent.issuer())
            .expect("intermediate");
        Ca { params, key, cert }
    }

    pub fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }

    /// A server/client leaf with the given serial and URLs.
    pub fn leaf(&self, cn: &str, serial: u64, urls: &Urls) -> rcgen::Certificate {
        let mut p =
            CertificateParams::new(vec![format!("{}.test", cn.to_lowercase())]).expect("params");
        p.distinguished_name = dn(cn);
        p.serial_number = Some(SerialNumber::from(serial));
        p.not_before = now() - TimeDelta::days(1);
        p.not_after = now() + TimeDelta::days(365);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        with_urls(&mut p, urls);
        let key = KeyPair::generate().expect("key");
        p.signed_by(&key, &self.issuer()).expect("leaf")
    }

    /// A CRL revoking `revoked` serials (keyCompromise), current unless `next_update` says.
    pub fn crl(
        &self,
        revoked: &[u64],
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Vec<u8> {
        crl_signed_by(&self.issuer(), revoked, this_update, next_update)
    }
}

pub fn crl_signed_by(
    issuer: &Issuer<'_, impl SigningKey>,
    revoked: &[u64],
    this_update: OffsetDateTime,
    next_update: OffsetDateTime,
) -> Vec<u8> {
    CertificateRevocationListParams {
        this_update,
        next_update,
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|s| RevokedCertParams {
                serial_number: SerialNumber::from(*s),
                revocation_time: now() - TimeDelta::days(2),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    }
    .signed_by(issuer)
    .expect("CRL")
    .der()
    .to_vec()
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

/// Computes a response body from a request body.
pub type Responder = Box<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

/// How the test server answers one path.
pub enum Reply {
    /// These exact bytes (status line, headers and body), then close.
    Raw(Vec<u8>),
    /// Accept and never answer (until the server stops, at most 30 s).
    Hang,
    /// A 200 answer computed from the request body.
    Computed(Responder),
}

/// A 200 response with `body`.
pub fn ok(body: &[u8], content_type: &str) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

type Routes = Arc<Mutex<HashMap<String, Arc<Reply>>>>;

/// An HTTP server on 127.0.0.1 in a thread; one thread per connection.
pub struct Server {
    pub port: u16,
    routes: Routes,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let routes: Routes = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (routes.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, s) = (r.clone(), s.clone());
                std::thread::spawn(move || serve(conn, &r, &s));
            }
        });
        Server {
            port,
            routes,
            stop,
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn route(&self, path: &str, reply: Reply) {
        self.routes
            .lock()
            .expect("routes")
            .insert(path.to_owned(), Arc::new(reply));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn serve(mut conn: TcpStream, routes: &Routes, stop: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 64 * 1024 {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    // A GET OCSP request carries the request in the path: route by prefix.
    let reply = {
        let routes = routes.lock().expect("routes");
        routes
            .iter()
            .filter(|(p, _)| path.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, r)| r.clone())
    };
    match reply.as_deref() {
        Some(Reply::Raw(bytes)) => {
            let _ = conn.write_all(bytes);
        }
        Some(Reply::Hang) => {
            let start = Instant::now();
            while !stop.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(30) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Some(Reply::Computed(f)) => {
            let _ = conn.write_all(&ok(&f(&body), "application/ocsp-response"));
        }
        None => {
            let _ = conn.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// `openssl ocsp` serving an index file; killed when dropped.
pub struct OpensslOcsp {
    child: Child,
}

impl OpensslOcsp {
    /// Start on `port`, answering for `ca` (which also signs the responses).
    pub fn start(dir: &Path, port: u16, index: &str, ca_pem: &Path, ca_key: &Path) -> OpensslOcsp {
        std::fs::write(dir.join("index.txt"), index).expect("index");
        let mut child = Command::new("openssl")
            .args(["ocsp", "-index", "index.txt", "-port"])
            .arg(port.to_string())
            .args(["-ndays", "1", "-rsigner"])
            .arg(ca_pem)
            .arg("-rkey")
            .arg(ca_key)
            .arg("-CA")
            .arg(ca_pem)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl is installed");
        // Wait for its "waiting for OCSP client connections" line: a probe connection would
        // be a malformed request, which makes `openssl ocsp` exit.
        let stderr = child.stderr.take().expect("piped stderr");
        let guard = OpensslOcsp { child };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains("waiting for OCSP client connections") => break,
                Ok(_) => {}
                Err(_) => panic!("openssl ocsp did not start listening on {port}"),
            }
        }
        guard
    }
}

impl Drop for OpensslOcsp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An openssl index line for a certificate: valid, or revoked (keyCompromise).
pub fn index_line(serial: u64, revoked: bool, cn: &str) -> String {
    let expiry = "351231235959Z";
    let status = if revoked {
        format!("R\t{expiry}\t251001000000Z,keyCompromise")
    } else {
        format!("V\t{expiry}\t")
    };
    format!("{status}\t{serial:02X}\tunknown\t/C=FI/O=TEST PKI/CN={cn}\n")
}

/// A canned OCSP responder: answers "good" for whatever it is asked about, signed by
/// `signer`, with `certs` in the response; `nonce` replaces the request's nonce when set.
pub fn ocsp_responder(signer: KeyPair, certs: Vec<Vec<u8>>, nonce: Option<Vec<u8>>) -> Reply {
    Reply::Computed(Box::new(move |req| {
        canned_ocsp(req, &signer, &certs, nonce.as_deref()).unwrap_or_else(|| b"\x30\x00".to_vec())
    }))
}

fn canned_ocsp(
    req: &[u8],
    signer: &KeyPair,
    certs: &[Vec<u8>],
    nonce: Option<&[u8]>,
) -> Option<Vec<u8>> {
    use x509_ocsp::{
        BasicOcspResponse, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse, ResponderId,
        ResponseData, SingleResponse, Version,
    };
    let req = OcspRequest::from_der(req).ok()?;
    let cert_id = req.tbs_request.request_list.first()?.req_cert.clone();
    let nonce = match nonce {
        Some(n) => Some(x509_ocsp::ext::Nonce::new(n.to_vec()).ok()?),
        None => req.nonce(),
    };
    let produced = OcspGeneralizedTime::try_from(std::time::SystemTime::now()).ok()?;
    let next =
        OcspGeneralizedTime::try_from(std::time::SystemTime::now() + Duration::from_secs(3600))
            .ok()?;
    let name = x509_cert::name::Name::default();
    let extensions = match nonce {
        Some(n) => Some(vec![
            x509_cert::ext::AsExtension::to_extension(&n, &name, &[]).ok()?,
        ]),
        None => None,
    };
    let data = ResponseData {
        version: Version::V1,
        responder_id: ResponderId::ByName(name),
        produced_at: produced,
        responses: vec![SingleResponse {
            cert_id,
            cert_status: CertStatus::good(),
            this_update: produced,
            next_update: Some(next),
            single_extensions: None,
        }],
        response_extensions: extensions,
    };
    let tbs = data.to_der().ok()?;
    let sig = signer.sign(&tbs).ok()?;
    let certs = if certs.is_empty() {
        None
    } else {
        Some(
            certs
                .iter()
                .map(|c| x509_cert::Certificate::from_der(c).ok())
                .collect::<Option<Vec<_>>>()?,
        )
    };
    let basic = BasicOcspResponse {
        tbs_response_data: data,
        signature_algorithm: spki::AlgorithmIdentifierOwned {
            // ecdsa-with-SHA256: rcgen's default key is P-256.
            oid: der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2"),
            parameters: None,
        },
        signature: der::asn1::BitString::from_bytes(&sig).ok()?,
        certs,
    };
    OcspResponse::successful(basic).ok()?.to_der().ok()
}
