//! `--trusted-list auto`: the DEMO LOTL and FI list served on loopback (the test HTTP server,
//! and `openssl s_server -WWW` for HTTPS), fetched, verified, cached until NextUpdate, and
//! read from the cache alone with --offline. Never a real EU host.

use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tilicheck::pki::demo::trusted_lists::ServiceSpec;

use super::*;
use crate::netpki::{Reply, Server};
use crate::support::fixture;

const AT: &str = "2030-01-01";

fn qwac_ca_service() -> ServiceSpec {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    ServiceSpec {
        provider: "DEMO Qualified Trust Service Provider".into(),
        name: "DEMO Qualified Website CA".into(),
        ca_der: CertificateDer::from_pem_file(fixture("qwac-ca.pem"))
            .expect("qwac-ca")
            .to_vec(),
        statuses: vec![("granted", datetime!(2020-01-01 0:00 UTC))],
        purposes: vec!["ForWebSiteAuthentication"],
        qualifications: Vec::new(),
    }
}

/// The DEMO LOTL (pointing at `fi_url`) and FI list, signed; and the LOTL signer's PEM.
struct Published {
    lotl: String,
    fi: String,
    lotl_signer_pem: String,
}

fn publish(fi_url: &str) -> Published {
    let lotl_signer = signer("DEMO LOTL signer", KeyKind::EcP256);
    let tl_signer = signer("DEMO FI TL signer", KeyKind::EcP384);
    let published = Published {
        lotl: signed(
            &demo_lotl_spec(&tl_signer.cert_der, fi_url),
            &lotl_signer,
            &SignSpec::fitting(&lotl_signer),
        ),
        fi: signed(
            &demo_fi(vec![qwac_ca_service()]),
            &tl_signer,
            &SignSpec::fitting(&tl_signer),
        ),
        lotl_signer_pem: lotl_signer.cert_pem.clone(),
    };
    // xmlsec1 agrees that both are signed by their signers.
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, xml, pem) in [
        ("lotl", &published.lotl, &lotl_signer.cert_pem),
        ("fi", &published.fi, &tl_signer.cert_pem),
    ] {
        let list = write(dir.path(), &format!("{name}.xml"), xml);
        let pem = write(dir.path(), &format!("{name}.pem"), pem);
        let (ok, log) = xmlsec1_verifies(&list, Some(&pem));
        assert!(ok, "xmlsec1 on the DEMO {name} list: {log}");
    }
    published
}

/// Serve `body` at `path`, counting the requests.
fn serve_counted(server: &Server, path: &str, body: String) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    server.route(
        path,
        Reply::Computed(Box::new(move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            body.clone().into_bytes()
        })),
    );
    count
}

/// `cert qwac-chain.pem --trusted-list auto` online (or `--offline`), with the lists' cache
/// in `cache`; the trusted-list CERT-QWAC finding and the exit code.
fn run_auto(
    lotl_url: &str,
    signers: &Path,
    cache: &Path,
    at: &str,
    extra: &[&str],
    envs: &[(&str, &Path)],
) -> (i32, String, String) {
    let mut cmd = crate::support::tilicheck();
    cmd.env_remove("TILICHECK_TRUST")
        .env_remove("TILICHECK_OFFLINE")
        .args(["cert", "--format", "json", "--at", at, "qwac-chain.pem"])
        .args(["--purpose", "tls", "--revocation", "off"])
        .args(["--trusted-list", "auto", "--lotl-url", lotl_url])
        .arg("--lotl-signers")
        .arg(signers)
        .arg("--trusted-list-cache")
        .arg(cache)
        .args(extra);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let f = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| {
            f["id"] == "CERT-QWAC"
                && f["detail"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("EU trusted lists:"))
        })
        .unwrap_or_else(|| panic!("no trusted-list verdict: {report:#}"))
        .clone();
    (
        out.status.code().expect("exit"),
        f["status"].as_str().expect("status").to_owned(),
        f["detail"].as_str().expect("detail").to_owned(),
    )
}

#[test]
fn auto_fetches_verifies_caches_until_next_update_and_works_offline_from_the_cache() {
    let server = Server::start();
    let lists = publish(&server.url("/tl-fi.xml"));
    let lotl_hits = serve_counted(&server, "/lotl.xml", lists.lotl.clone());
    let fi_hits = serve_counted(&server, "/tl-fi.xml", lists.fi.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let signers = write(dir.path(), "lotl-signer.pem", &lists.lotl_signer_pem);
    let cache = dir.path().join("cache");
    let lotl_url = server.url("/lotl.xml");

    // First run: both lists downloaded, verified, cached.
    let (code, status, detail) = run_auto(&lotl_url, &signers, &cache, AT, &[], &[]);
    assert_eq!((code, status.as_str()), (0, "pass"), "{detail}");
    assert!(
        detail.contains("per the FI list 3 (http://127.0.0.1:")
            && detail.contains("/tl-fi.xml, downloaded)")
            && detail.contains("the LOTL (EU list 7 (http://127.0.0.1:"),
        "{detail}"
    );
    assert_eq!(
        (
            lotl_hits.load(Ordering::SeqCst),
            fi_hits.load(Ordering::SeqCst)
        ),
        (1, 1)
    );
    let cached: Vec<_> = std::fs::read_dir(&cache).expect("cache").collect();
    assert_eq!(cached.len(), 2, "the two verified lists are cached");

    // Second run, still before NextUpdate: nothing is fetched.
    let (code, status, detail) = run_auto(&lotl_url, &signers, &cache, AT, &[], &[]);
    assert_eq!((code, status.as_str()), (0, "pass"), "{detail}");
    assert!(detail.contains("cached copy fetched"), "{detail}");
    assert_eq!(
        (
            lotl_hits.load(Ordering::SeqCst),
            fi_hits.load(Ordering::SeqCst)
        ),
        (1, 1)
    );

    // Offline: the cache alone, and how old it is.
    let (code, status, detail) = run_auto(&lotl_url, &signers, &cache, AT, &["--offline"], &[]);
    assert_eq!((code, status.as_str()), (0, "pass"), "{detail}");
    assert!(
        detail.contains("cached copy fetched") && detail.contains("(0 days old), offline"),
        "{detail}"
    );
    assert_eq!(lotl_hits.load(Ordering::SeqCst), 1);

    // Past NextUpdate (2030-06-01) the cache is not current: fetched again, and the list
    // served is just as old, so no verdict rests on it.
    let (_, status, detail) = run_auto(&lotl_url, &signers, &cache, "2030-07-01", &[], &[]);
    assert_eq!(status, "warn", "{detail}");
    assert!(
        detail.contains("past its NextUpdate 2030-06-01T00:00:00Z"),
        "{detail}"
    );
    assert_eq!(lotl_hits.load(Ordering::SeqCst), 2);
}

#[test]
fn offline_without_a_cache_and_bad_downloads_give_no_verdict_and_are_not_cached() {
    let server = Server::start();
    let lists = publish(&server.url("/tl-fi.xml"));
    let dir = tempfile::tempdir().expect("tempdir");
    let signers = write(dir.path(), "lotl-signer.pem", &lists.lotl_signer_pem);
    let cache = dir.path().join("cache");
    let lotl_url = server.url("/lotl.xml");

    let (_, status, detail) = run_auto(&lotl_url, &signers, &cache, AT, &["--offline"], &[]);
    assert_eq!(status, "warn");
    assert!(
        detail.contains("offline (--offline) and no verified copy in the cache"),
        "{detail}"
    );

    // A LOTL changed in transit, and a FI list the LOTL's signer did not sign.
    serve_counted(
        &server,
        "/lotl.xml",
        lists
            .lotl
            .replace("DEMO European Commission", "DEMO European Commissiom"),
    );
    let (_, status, detail) = run_auto(&lotl_url, &signers, &cache, AT, &[], &[]);
    assert_eq!(status, "warn");
    assert!(
        detail.contains("signature does not verify: the digest does not match"),
        "{detail}"
    );
    assert!(
        !cache.exists() || std::fs::read_dir(&cache).expect("cache").next().is_none(),
        "nothing unverified is cached"
    );

    // The server answers 404 for the national list.
    serve_counted(&server, "/lotl.xml", lists.lotl.clone());
    let (_, status, detail) = run_auto(&lotl_url, &signers, &cache, AT, &[], &[]);
    assert_eq!(status, "warn");
    assert!(detail.contains("answered HTTP 404"), "{detail}");
}

/// `openssl s_server -WWW` serving `dir` over HTTPS with the DEMO register certificate
/// (127.0.0.1 in its subjectAltName, chained to the DEMO root); killed on drop.
struct HttpsFiles {
    child: Child,
    port: u16,
}

impl HttpsFiles {
    fn start(dir: &Path) -> HttpsFiles {
        for _ in 0..5 {
            let port = crate::tls_servers::free_port();
            let mut child = Command::new("openssl")
                .arg("s_server")
                .args(["-accept", &format!("127.0.0.1:{port}"), "-WWW", "-quiet"])
                .arg("-cert")
                .arg(fixture("register.pem"))
                .arg("-key")
                .arg(fixture("register.key"))
                .arg("-cert_chain")
                .arg(fixture("service-ca.pem"))
                .current_dir(dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("openssl is installed");
            if crate::support::await_listening(&mut child, port) {
                return HttpsFiles { child, port };
            }
        }
        panic!("openssl s_server -WWW did not start");
    }

    fn url(&self, file: &str) -> String {
        format!("https://127.0.0.1:{}/{file}", self.port)
    }
}

impl Drop for HttpsFiles {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn auto_fetches_over_https_verifying_the_server_against_the_ca_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = dir.path().join("www");
    std::fs::create_dir(&served).expect("mkdir");
    let server = HttpsFiles::start(&served);
    let lists = publish(&server.url("tl-fi.xml"));
    write(&served, "lotl.xml", &lists.lotl);
    write(&served, "tl-fi.xml", &lists.fi);
    let signers = write(dir.path(), "lotl-signer.pem", &lists.lotl_signer_pem);
    let lotl_url = server.url("lotl.xml");
    let root = fixture("root-ca.pem");

    // The DEMO root as the CA bundle (SSL_CERT_FILE, as curl and OpenSSL read it).
    let (code, status, detail) = run_auto(
        &lotl_url,
        &signers,
        &dir.path().join("cache"),
        AT,
        &[],
        &[("SSL_CERT_FILE", &root)],
    );
    assert_eq!((code, status.as_str()), (0, "pass"), "{detail}");
    assert!(
        detail.contains(&format!("({}, downloaded)", server.url("tl-fi.xml"))),
        "{detail}"
    );

    // A bundle without the DEMO root: the server is not believed, nothing is fetched.
    let (_, status, detail) = run_auto(
        &lotl_url,
        &signers,
        &dir.path().join("cache2"),
        AT,
        &[],
        &[("SSL_CERT_FILE", &fixture("qwac-ca.pem"))],
    );
    assert_eq!(status, "warn", "{detail}");
    assert!(detail.contains("TLS failed"), "{detail}");
}

#[test]
fn auto_fetches_both_lists_through_https_proxy() {
    let proxy = crate::proxy::Tinyproxy::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let served = dir.path().join("www");
    std::fs::create_dir(&served).expect("mkdir");
    let server = HttpsFiles::start(&served);
    let lists = publish(&server.url("tl-fi.xml"));
    write(&served, "lotl.xml", &lists.lotl);
    write(&served, "tl-fi.xml", &lists.fi);
    let signers = write(dir.path(), "lotl-signer.pem", &lists.lotl_signer_pem);
    let proxy_url = proxy.url();
    let (code, status, detail) = run_auto(
        &server.url("lotl.xml"),
        &signers,
        &dir.path().join("cache"),
        AT,
        &[],
        &[
            ("SSL_CERT_FILE", &fixture("root-ca.pem")),
            ("HTTPS_PROXY", Path::new(&proxy_url)),
        ],
    );
    assert_eq!((code, status.as_str()), (0, "pass"), "{detail}");
    crate::proxy::assert_no_password(&detail);
    let connect = format!("CONNECT 127.0.0.1:{} HTTP/1.1", server.port);
    let carried = proxy.requests();
    // The LOTL, then the national list: each its own tunnel.
    assert_eq!(
        carried.iter().filter(|l| **l == connect).count(),
        2,
        "{carried:?}"
    );
}

#[test]
fn every_certificate_command_takes_trusted_list_auto() {
    for command in [
        &["cert", "supplier.pem"][..],
        &["register-cert", "register.pem"],
        &["audit", "."],
        &["tls", "127.0.0.1:1"],
    ] {
        let out = crate::support::tilicheck()
            .args(command)
            .args(["--trusted-list", "auto", "--trusted-list", "other.xml"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{command:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("--trusted-list auto fetches the lists itself"),
            "{command:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
