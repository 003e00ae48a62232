//! Qualification as ETSI TS 119 615 has it, end to end and offline: a DEMO LOTL and a DEMO
//! Finnish list, signed by DEMO signers with the committed generator, qualify (or not) the
//! DEMO PKI's QWAC through `tilicheck cert --trusted-list`. The status at the certificate's
//! notBefore decides (the DEMO certificates' notBefore is 2025-01-01). xmlsec1 verifies every
//! DEMO list used here.

use tilicheck::pki::demo::trusted_lists::{QualificationSpec, ServiceSpec};
use tilicheck::pki::trusted_list::{LotlSigners, TrustedLists};

use super::*;
use crate::support::fixture;

const AT: &str = "2030-01-01";

fn pem_der(name: &str) -> Vec<u8> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    CertificateDer::from_pem_file(fixture(name))
        .expect("fixture certificate")
        .to_vec()
}

/// The DEMO QWAC CA's service, with statuses newest first.
fn qwac_service(statuses: Vec<(&'static str, OffsetDateTime)>) -> ServiceSpec {
    ServiceSpec {
        provider: "DEMO Qualified Trust Service Provider".into(),
        name: "DEMO Qualified Website CA".into(),
        ca_der: pem_der("qwac-ca.pem"),
        statuses,
        purposes: vec!["ForWebSiteAuthentication"],
        qualifications: Vec::new(),
    }
}

fn granted_since_2020() -> Vec<(&'static str, OffsetDateTime)> {
    vec![("granted", datetime!(2020-01-01 0:00 UTC))]
}

/// A directory with a signed DEMO LOTL and FI list (both checked by xmlsec1), and the LOTL
/// signer's certificate for --lotl-signers.
struct Lists {
    dir: tempfile::TempDir,
    lotl_signer: PathBuf,
}

impl Lists {
    fn new(services: Vec<ServiceSpec>) -> Lists {
        Self::with(services, |x| x)
    }

    /// `edit` may change the signed national list (to tamper with it).
    fn with(services: Vec<ServiceSpec>, edit: impl Fn(String) -> String) -> Lists {
        let dir = tempfile::tempdir().expect("tempdir");
        let lotl_signer = signer("DEMO LOTL signer", KeyKind::EcP256);
        let tl_signer = signer("DEMO FI TL signer", KeyKind::Rsa2048);
        let lotl = signed(
            &demo_lotl_spec(&tl_signer.cert_der, "https://demo.invalid/tl-fi.xml"),
            &lotl_signer,
            &SignSpec::fitting(&lotl_signer),
        );
        let fi = signed(
            &demo_fi(services),
            &tl_signer,
            &SignSpec::fitting(&tl_signer),
        );
        let lists = dir.path().join("lists");
        std::fs::create_dir(&lists).expect("mkdir");
        let lotl_path = write(&lists, "lotl.xml", &lotl);
        let changed = edit(fi.clone());
        let fi_path = write(&lists, "tl-fi.xml", &changed);
        let lotl_pem = write(dir.path(), "lotl-signer.pem", &lotl_signer.cert_pem);
        let tl_pem = write(dir.path(), "tl-signer.pem", &tl_signer.cert_pem);
        let (ok, log) = xmlsec1_verifies(&lotl_path, Some(&lotl_pem));
        assert!(ok, "xmlsec1 on the DEMO LOTL: {log}");
        let (ok, log) = xmlsec1_verifies(&fi_path, Some(&tl_pem));
        assert_eq!(ok, changed == fi, "xmlsec1 on the DEMO FI list: {log}");
        Lists {
            dir,
            lotl_signer: lotl_pem,
        }
    }

    fn dir(&self) -> PathBuf {
        self.dir.path().join("lists")
    }

    /// `tilicheck --format json --at AT COMMAND CERT --trusted-list DIR …`, with no DEMO
    /// anchors from the environment: the lists alone make the QWAC CA an anchor.
    fn run(&self, command: &str, cert: &str, extra: &[&str]) -> (i32, serde_json::Value) {
        let out = crate::support::tilicheck()
            .env_remove("TILICHECK_TRUST")
            .args([command, cert, "--format", "json", "--at", AT])
            .arg("--trusted-list")
            .arg(self.dir())
            .arg("--lotl-signers")
            .arg(&self.lotl_signer)
            .args(["--revocation", "off"])
            .args(extra)
            .output()
            .expect("runs");
        let report = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().expect("exit"), report)
    }
}

/// Every finding of `rule`, as (status, detail).
fn findings(report: &serde_json::Value, rule: &str) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["id"] == rule)
        .map(|f| {
            (
                f["status"].as_str().expect("status").to_owned(),
                f["detail"].as_str().expect("detail").to_owned(),
            )
        })
        .collect()
}

/// The trusted-list CERT-QWAC finding.
fn verdict(report: &serde_json::Value) -> (String, String) {
    findings(report, "CERT-QWAC")
        .into_iter()
        .find(|(_, d)| d.starts_with("EU trusted lists:"))
        .unwrap_or_else(|| panic!("no trusted-list verdict in {report:#}"))
}

#[test]
fn a_granted_service_qualifies_the_demo_qwac_end_to_end() {
    let lists = Lists::new(vec![qwac_service(granted_since_2020())]);
    let (code, report) = lists.run("cert", "qwac-chain.pem", &["--purpose", "tls"]);
    let (status, detail) = verdict(&report);
    assert_eq!(status, "pass", "{detail}");
    for part in [
        "qualified for website authentication per the FI list 3",
        "tl-fi.xml",
        "signed by \"DEMO FI TL signer\"",
        "service \"DEMO Qualified Website CA\" of \"DEMO Qualified Trust Service Provider\"",
        "granted at the certificate's notBefore 2025-01-01T00:00:00Z",
        "ForWebSiteAuthentication",
        "qualified by the certificate's QcCompliance statement",
        "QcType web",
    ] {
        assert!(detail.contains(part), "{part}: {detail}");
    }
    // The list's service is the QWAC's path anchor.
    let issuer = &findings(&report, "CERT-ISSUER")[0];
    assert_eq!(issuer.0, "pass", "{}", issuer.1);
    assert!(
        issuer.1.contains("QWAC route") && issuer.1.contains("in the verified FI list 3"),
        "{}",
        issuer.1
    );
    assert_eq!(code, 0, "{report:#}");

    // The register's own certificate must be DVV's: the trusted-list route is refused there.
    let (code, report) = lists.run("register-cert", "qwac.pem", &[]);
    assert_eq!(code, 1);
    let issuer = &findings(&report, "CERT-ISSUER")[0];
    assert!(
        issuer.0 == "fail" && issuer.1.contains("not at DVV"),
        "{issuer:?}"
    );
}

#[test]
fn withdrawn_before_the_certificates_not_before_is_not_qualified() {
    let lists = Lists::new(vec![qwac_service(vec![
        ("withdrawn", datetime!(2024-06-01 0:00 UTC)),
        ("granted", datetime!(2020-01-01 0:00 UTC)),
    ])]);
    let (code, report) = lists.run("cert", "qwac-chain.pem", &["--purpose", "tls"]);
    let (status, detail) = verdict(&report);
    assert_eq!(status, "fail", "{detail}");
    assert!(
        detail.contains("not qualified for website authentication")
            && detail.contains(
                "at notBefore 2025-01-01T00:00:00Z the service was withdrawn (since 2024-06-01T00:00:00Z), not granted"
            ),
        "{detail}"
    );
    assert_eq!(code, 1);
}

#[test]
fn withdrawn_after_the_certificates_not_before_is_still_qualified() {
    let lists = Lists::new(vec![qwac_service(vec![
        ("withdrawn", datetime!(2026-01-01 0:00 UTC)),
        ("granted", datetime!(2020-01-01 0:00 UTC)),
    ])]);
    let (code, report) = lists.run("cert", "qwac-chain.pem", &["--purpose", "tls"]);
    let (status, detail) = verdict(&report);
    assert_eq!(status, "pass", "{detail}");
    assert!(
        detail.contains("granted at the certificate's notBefore 2025-01-01T00:00:00Z (status since 2020-01-01T00:00:00Z)")
            && detail.contains("at the check time it is withdrawn (since 2026-01-01T00:00:00Z): the status at issuance decides"),
        "{detail}"
    );
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn sie_qualifiers_override_or_complete_the_certificate() {
    // NotQualified for every certificate of the service.
    let mut not = qwac_service(granted_since_2020());
    not.qualifications = vec![QualificationSpec {
        qualifiers: vec!["NotQualified"],
        policy: None,
    }];
    let (_, report) = Lists::new(vec![not]).run("cert", "qwac-chain.pem", &["--purpose", "tls"]);
    let (status, detail) = verdict(&report);
    assert_eq!(status, "fail");
    assert!(detail.contains("say NotQualified"), "{detail}");

    // QCForESig for the QWAC's policy (QNCP-w): qualified, but for e-signatures.
    let mut esig = qwac_service(granted_since_2020());
    esig.qualifications = vec![QualificationSpec {
        qualifiers: vec!["QCForESig"],
        policy: Some("0.4.0.194112.1.5".into()),
    }];
    let (_, report) = Lists::new(vec![esig]).run("cert", "qwac-chain.pem", &["--purpose", "tls"]);
    let (status, detail) = verdict(&report);
    assert_eq!(status, "fail");
    assert!(
        detail.contains("e-signature certificate (QCForESig)"),
        "{detail}"
    );

    // A qualifier for a policy the certificate does not assert does not apply.
    let mut other = qwac_service(granted_since_2020());
    other.qualifications = vec![QualificationSpec {
        qualifiers: vec!["NotQualified"],
        policy: Some("1.2.3.4".into()),
    }];
    let (_, report) = Lists::new(vec![other]).run("cert", "qwac-chain.pem", &["--purpose", "tls"]);
    assert_eq!(verdict(&report).0, "pass");

    // QCStatement + QCForWSA make a certificate without QC statements qualified (the DEMO
    // supplier certificate, under the DEMO service CA).
    let listed = ServiceSpec {
        provider: "DEMO Digi- ja vaestotietovirasto".into(),
        name: "DEMO DVV Service Certificates - G5R".into(),
        ca_der: pem_der("service-ca.pem"),
        statuses: granted_since_2020(),
        purposes: vec!["ForWebSiteAuthentication"],
        qualifications: vec![QualificationSpec {
            qualifiers: vec!["QCStatement", "QCForWSA"],
            policy: None,
        }],
    };
    let (_, report) =
        Lists::new(vec![listed]).run("cert", "supplier-chain.pem", &["--purpose", "tls"]);
    let (status, detail) = verdict(&report);
    assert_eq!(status, "pass", "{detail}");
    assert!(
        detail.contains("qualified by the list's QCStatement qualifier, for websites by the list's QCForWSA qualifier"),
        "{detail}"
    );
}

#[test]
fn a_service_for_e_signatures_only_does_not_qualify_a_website_certificate() {
    let mut esig = qwac_service(granted_since_2020());
    esig.purposes = vec!["ForeSignatures"];
    let (code, report) =
        Lists::new(vec![esig]).run("cert", "qwac-chain.pem", &["--purpose", "tls"]);
    let (status, detail) = verdict(&report);
    assert_eq!((code, status.as_str()), (1, "fail"), "{detail}");
    assert!(
        detail.contains("for ForeSignatures only, not ForWebSiteAuthentication"),
        "{detail}"
    );
}

#[test]
fn an_issuer_missing_from_its_territorys_list_is_not_qualified() {
    // The FI list lists only the service CA; the QWAC's issuer is the QWAC CA (C=FI).
    let listed = ServiceSpec {
        ca_der: pem_der("service-ca.pem"),
        name: "DEMO DVV Service Certificates - G5R".into(),
        ..qwac_service(granted_since_2020())
    };
    let (_, report) = Lists::new(vec![listed]).run("cert", "qwac-chain.pem", &["--purpose", "tls"]);
    let (status, detail) = verdict(&report);
    assert_eq!(status, "fail");
    assert!(
        detail.contains("the issuer \"DEMO Qualified Website CA\" is not a trust service of the verified FI list 3"),
        "{detail}"
    );
}

#[test]
fn a_list_that_cannot_be_relied_on_gives_no_verdict_and_no_anchor() {
    // Tampered after signing.
    let lists = Lists::with(vec![qwac_service(granted_since_2020())], |x| {
        x.replace("DEMO Qualified Website CA<", "DEMO Qualified Website CB<")
    });
    let (_, report) = lists.run("cert", "qwac-chain.pem", &["--purpose", "tls"]);
    let (status, detail) = verdict(&report);
    assert_eq!(status, "warn", "{detail}");
    assert!(
        detail.contains("qualification indeterminate")
            && detail.contains(
                "cannot be relied on: its signature does not verify: the digest does not match"
            ),
        "{detail}"
    );
    // Its services are no anchors: the QWAC CA is not trusted.
    assert_ne!(findings(&report, "CERT-ISSUER")[0].0, "pass");

    // The national list without the LOTL.
    let lists = Lists::new(vec![qwac_service(granted_since_2020())]);
    std::fs::remove_file(lists.dir().join("lotl.xml")).expect("rm");
    let (_, report) = lists.run("cert", "qwac-chain.pem", &["--purpose", "tls"]);
    let (status, detail) = verdict(&report);
    assert_eq!(status, "warn");
    assert!(detail.contains("give the LOTL too"), "{detail}");

    // The LOTL signed by someone the pinned set does not name: here, the bundled OJ signers.
    let lists = Lists::new(vec![qwac_service(granted_since_2020())]);
    let out = crate::support::tilicheck()
        .env_remove("TILICHECK_TRUST")
        .args(["cert", "--format", "json", "--at", AT, "qwac-chain.pem"])
        .arg("--trusted-list")
        .arg(lists.dir())
        .args(["--revocation", "off", "--purpose", "tls"])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let (status, detail) = verdict(&report);
    assert_eq!(status, "warn");
    assert!(
        detail.contains("none of the 6 LOTL signers announced in OJ C/2026/1944"),
        "{detail}"
    );
}

#[test]
fn a_list_past_its_next_update_gives_no_verdict() {
    let lists = Lists::new(vec![qwac_service(granted_since_2020())]);
    let out = crate::support::tilicheck()
        .env_remove("TILICHECK_TRUST")
        .args([
            "cert",
            "--format",
            "json",
            "--at",
            "2031-01-01",
            "qwac-chain.pem",
        ])
        .arg("--trusted-list")
        .arg(lists.dir())
        .arg("--lotl-signers")
        .arg(&lists.lotl_signer)
        .args(["--revocation", "off", "--purpose", "tls"])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let (status, detail) = verdict(&report);
    assert_eq!(status, "warn");
    assert!(
        detail.contains("past its NextUpdate 2030-06-01T00:00:00Z"),
        "{detail}"
    );
}

#[test]
fn the_real_finnish_list_makes_dvv_service_certificates_g5r_a_website_anchor() {
    let at = time::macros::datetime!(2026-09-01 0:00 UTC);
    let lists = TrustedLists::load(
        &[list("eu-lotl.xml"), list("TSL_FI.xml")],
        &LotlSigners::bundled(),
        at,
    )
    .expect("reads");
    assert!(lists.unused().is_empty(), "{:?}", lists.unused());
    assert_eq!(lists.lists().len(), 1);
    assert!(lists.lotl().is_some());
    // The G5R service is found by the certificate tilicheck bundles for DVV.
    let g5r = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("pki-data/dvv/dvv-service-certificates-g5r.pem"),
    )
    .expect("bundled G5R");
    let g5r = {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(&g5r).expect("pem").to_vec()
    };
    let anchor = lists
        .web_anchors()
        .find(|(_, _, s, der)| s.name() == "DVV Service Certificates - G5R" && der.as_ref() == g5r)
        .expect("G5R is a website-authentication anchor");
    assert_eq!(anchor.1.name, "Digital and Population Data Services Agency");
    let state = anchor.2.state_at(at).expect("a state");
    assert_eq!(state.status_name(), "granted");
    assert!(state.for_web() && state.is_ca_qc());
}
