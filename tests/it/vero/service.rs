//! `vero new` against the in-process DEMO certificate service on loopback.

use std::path::Path;

use tilicheck::profile::vero::Environment;
use tilicheck::vero::simulator::{Misbehaviour, Simulator, SimulatorConfig, grant};
use time::OffsetDateTime;

use super::{detail, json_run, status};
use crate::support::tilicheck;

pub const CUSTOMER: &str = "0245442-8";
const TRANSFER_ID: &str = "TID-0001";
const PASSWORD: &str = "one-time-Pa55";

pub struct Service {
    pub sim: Simulator,
    /// The CA of the simulator's TLS certificate (`--ca`).
    pub ca: tempfile::NamedTempFile,
    /// The CA of its answer-signing certificate (`--service-ca`).
    pub service_ca: tempfile::NamedTempFile,
}

/// A test-environment simulator with one grant for CUSTOMER, its clock at `now`.
pub fn service(now: OffsetDateTime) -> Service {
    let sim = Simulator::start(SimulatorConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        environment: Environment::Test,
        grants: vec![grant(TRANSFER_ID, PASSWORD, CUSTOMER)],
        pending_polls: 1,
    })
    .expect("simulator starts");
    sim.set_clock(Some(now));
    let ca = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(ca.path(), &sim.tls_ca_pem).expect("write ca");
    let service_ca = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(service_ca.path(), &sim.service_ca_pem).expect("write service ca");
    Service {
        sim,
        ca,
        service_ca,
    }
}

/// `vero new` with the grant's secrets in the environment.
pub fn vero_new(svc: &Service, out: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut c = tilicheck();
    c.current_dir(out.parent().expect("parent"))
        .env("T_ID", TRANSFER_ID)
        .env("T_PW", PASSWORD)
        .args([
            "vero",
            "new",
            "--customer-id",
            CUSTOMER,
            "--customer-name",
            "Esimerkki Oy",
        ])
        .args([
            "--transfer-id-env",
            "T_ID",
            "--transfer-password-env",
            "T_PW",
        ])
        .args(["--environment", "test", "--service-url", &svc.sim.url()])
        .args(["--ca", svc.ca.path().to_str().expect("utf-8")])
        .args(["--out-dir", out.to_str().expect("utf-8")])
        .args(["--poll-interval", "0.05", "--at", "2026-11-18T12:00:00Z"])
        .args(extra);
    c
}

fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-11-18 11:00 UTC)
}

#[test]
fn new_then_get_then_check() {
    let svc = service(now());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cert");
    let service_ca = svc.service_ca.path().to_str().expect("utf-8").to_owned();
    let (r, code) = json_run(&mut vero_new(
        &svc,
        &out,
        &["--email-date", "2026-11-16", "--service-ca", &service_ca],
    ));
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "VERO-TRANSFER-ID"), "pass");
    assert_eq!(status(&r, "VERO-RESPONSE-SIGNATURE"), "pass");
    assert!(detail(&r, "VERO-RESPONSE-SIGNATURE").contains("DEMO IR Services"));
    for id in [
        "VERO-ISSUER",
        "VERO-KEY",
        "VERO-VALIDITY",
        "VERO-CUSTOMER-ID",
        "VERO-KEYPAIR",
    ] {
        assert_eq!(status(&r, id), "pass", "{id}: {}", detail(&r, id));
    }
    assert_eq!(svc.sim.calls("sign_new"), 1);
    assert_eq!(
        svc.sim.calls("get"),
        2,
        "one 'not yet', then the certificate"
    );
    for f in ["vero.key", "vero.csr", "vero.pem", "vero-journal.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("vero.key"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is owner-only");
    }
    let journal = std::fs::read_to_string(out.join("vero-journal.json")).expect("journal");
    assert!(journal.contains("\"done\""), "{journal}");
    assert!(
        !journal.contains(PASSWORD) && !journal.contains(TRANSFER_ID),
        "no secret in the journal"
    );

    // A second run into the same directory is refused, and nothing there is touched.
    let before = std::fs::read(out.join("vero.key")).expect("key");
    let o = vero_new(&svc, &out, &[]).output().expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
    assert_eq!(std::fs::read(out.join("vero.key")).expect("key"), before);
    assert_eq!(svc.sim.calls("sign_new"), 1);

    // The certificate checks as a test certificate with `vero cert` too.
    let (r, code) = json_run(
        tilicheck()
            .args(["vero", "cert"])
            .arg(out.join("vero.pem"))
            .args([
                "--key",
                out.join("vero.key").to_str().expect("utf-8"),
                "--environment",
                "test",
                "--customer-id",
                CUSTOMER,
                "--at",
                "2027-01-01",
            ]),
    );
    assert_eq!(code, 0, "{r:#}");
}

#[test]
fn a_used_transfer_id_is_refused_and_the_key_is_kept() {
    let svc = service(now());
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("first");
    vero_new(&svc, &first, &[]).assert().code(0);
    let second = dir.path().join("second");
    let o = vero_new(&svc, &second, &[]).output().expect("runs");
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("PKI002") && err.contains("already been used"),
        "{err}"
    );
    assert!(err.contains("vero.key"), "names the kept key: {err}");
    assert!(!err.contains(PASSWORD), "no secret in errors");
    assert!(second.join("vero.key").is_file());
    assert!(!second.join("vero.pem").exists());
}

#[test]
fn an_interrupted_run_resumes_without_a_second_request() {
    let svc = service(now());
    svc.sim.set_pending_polls(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cert");
    let o = vero_new(&svc, &out, &["--max-polls", "2"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not issued after 2 polls"), "{err}");
    assert!(!out.join("vero.pem").exists());
    let journal = std::fs::read_to_string(out.join("vero-journal.json")).expect("journal");
    assert!(
        journal.contains("requested") && journal.contains("retrieval_id"),
        "{journal}"
    );

    svc.sim.set_pending_polls(0);
    let (r, code) = json_run(&mut vero_new(&svc, &out, &["--resume"]));
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(svc.sim.calls("sign_new"), 1, "no second SignNewCertificate");
    assert!(out.join("vero.pem").is_file());
    assert_eq!(status(&r, "VERO-KEYPAIR"), "pass");
}

#[test]
fn an_expired_transfer_id_stops_before_a_key_is_made() {
    let svc = service(now());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cert");
    let (r, code) = json_run(&mut vero_new(&svc, &out, &["--email-date", "2026-10-01"]));
    assert_eq!(code, 1);
    assert_eq!(status(&r, "VERO-TRANSFER-ID"), "fail");
    assert!(!out.exists(), "no key made for expired IDs");
    assert_eq!(svc.sim.calls("sign_new"), 0);
}

fn failing_run(m: Misbehaviour) -> (String, std::path::PathBuf, tempfile::TempDir, Service) {
    failing_run_with(m, |_| Vec::new())
}

fn failing_run_with(
    m: Misbehaviour,
    extra: impl Fn(&Service) -> Vec<String>,
) -> (String, std::path::PathBuf, tempfile::TempDir, Service) {
    let svc = service(now());
    svc.sim.set_misbehaviour(m);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cert");
    let extra = extra(&svc);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let o = vero_new(&svc, &out, &extra).output().expect("runs");
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty(), "no report on stdout");
    assert!(out.join("vero.key").is_file(), "the key is kept");
    assert!(!out.join("vero.pem").exists(), "no certificate written");
    (
        String::from_utf8_lossy(&o.stderr).into_owned(),
        out,
        dir,
        svc,
    )
}

#[test]
fn a_soap_fault_is_a_clear_error() {
    let (err, ..) = failing_run(Misbehaviour::SoapFault);
    assert!(
        err.contains("SOAP fault soapenv:Server: DEMO simulator: internal error"),
        "{err}"
    );
    assert!(err.contains("--resume"), "{err}");
}

#[test]
fn an_html_error_page_is_a_clear_error() {
    let (err, ..) = failing_run(Misbehaviour::HtmlErrorPage);
    assert!(
        err.contains("HTTP 503 with an HTML page (\"503 Service Unavailable\")"),
        "{err}"
    );
}

#[test]
fn a_certificate_for_another_key_is_refused_and_nothing_is_written() {
    let (err, out, _dir, svc) = failing_run(Misbehaviour::WrongCertificate);
    assert!(err.contains("is not for the key"), "{err}");
    // Once the service behaves, --resume fetches the right one with the same retrieval ID.
    svc.sim.set_misbehaviour(Misbehaviour::None);
    vero_new(&svc, &out, &["--resume"]).assert().code(0);
    assert_eq!(svc.sim.calls("sign_new"), 1);
}

#[test]
fn missing_secrets_are_usage_errors_and_never_in_argv() {
    let svc = service(now());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cert");
    let o = vero_new(&svc, &out, &[])
        .env_remove("T_PW")
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("T_PW"));
    assert!(!out.exists(), "no key made without the secrets");
    // There is no flag that takes the password itself.
    tilicheck()
        .args(["vero", "new", "--transfer-password", "x"])
        .assert()
        .code(2);
}

fn with_service_ca(svc: &Service) -> Vec<String> {
    vec![
        "--service-ca".into(),
        svc.service_ca.path().to_str().expect("utf-8").into(),
    ]
}

#[test]
fn an_unsigned_answer_is_refused_when_the_service_ca_is_given() {
    let (err, ..) = failing_run_with(Misbehaviour::UnsignedAnswers, with_service_ca);
    assert!(
        err.contains("failed its signature check: the message carries no XML signature"),
        "{err}"
    );
}

#[test]
fn after_a_refused_answer_resume_polls_instead_of_asking_again() {
    let (_, out, _dir, svc) = failing_run_with(Misbehaviour::UnsignedAnswers, with_service_ca);
    let journal = std::fs::read_to_string(out.join("vero-journal.json")).expect("journal");
    assert!(journal.contains("requested"), "{journal}");
    svc.sim.set_misbehaviour(Misbehaviour::None);
    let mut args = with_service_ca(&svc);
    args.push("--resume".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (r, code) = json_run(&mut vero_new(&svc, &out, &args));
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(svc.sim.calls("sign_new"), 1, "no second SignNewCertificate");
    assert_eq!(status(&r, "VERO-RESPONSE-SIGNATURE"), "pass");
}

#[test]
fn a_changed_answer_is_refused() {
    let (err, ..) = failing_run_with(Misbehaviour::TamperedAnswers, with_service_ca);
    assert!(err.contains("the digest does not match"), "{err}");
}

#[test]
fn an_answer_signed_under_another_ca_is_refused() {
    // The TLS CA did not issue the signing certificate.
    let (err, ..) = failing_run_with(Misbehaviour::None, |svc| {
        vec![
            "--service-ca".into(),
            svc.ca.path().to_str().expect("utf-8").into(),
        ]
    });
    assert!(
        err.contains("which no certificate in the service CA file issued"),
        "{err}"
    );
}

#[test]
fn without_a_service_ca_the_signature_check_is_a_skip() {
    let svc = service(now());
    let dir = tempfile::tempdir().expect("tempdir");
    let (r, code) = json_run(&mut vero_new(&svc, &dir.path().join("c"), &[]));
    assert_eq!(code, 0);
    assert_eq!(status(&r, "VERO-RESPONSE-SIGNATURE"), "skip");
}

#[test]
fn the_simulator_refuses_oversized_and_malformed_requests() {
    use tilicheck::pki::load;
    use tilicheck::secret::PasswordSource;
    use tilicheck::vero::https::{self, Limits, Url};
    let svc = service(now());
    let ca = load::read_certificates(svc.ca.path(), &PasswordSource::None).expect("ca");
    let roots = || https::roots(&ca.certificates).expect("roots");
    let url = Url::parse(&svc.sim.url()).expect("url");
    let huge = vec![b'x'; 300 * 1024];
    // The simulator answers 413 from the headers and closes: the client sees the status or,
    // when it is still writing, a reset connection.
    match https::post_soap(&url, "a", &huge, roots(), Limits::default()) {
        Ok(r) => assert_eq!(r.status, 413),
        Err(e @ https::HttpError::Transport { .. }) => {
            assert!(e.to_string().contains("127.0.0.1"), "{e}")
        }
        Err(other) => panic!("unexpected: {other}"),
    }
    let r =
        https::post_soap(&url, "a", b"<not-soap/>", roots(), Limits::default()).expect("answer");
    assert_eq!(r.status, 500);
    let body = String::from_utf8_lossy(&r.body);
    assert!(
        body.contains("soapenv:Client") && body.contains("not a SOAP envelope"),
        "{body}"
    );
    assert_eq!(svc.sim.calls("sign_new"), 0);
}
