//! Every certificate rule passing and failing on the committed fixtures, in-process.

use tilicheck::checks::cert::{CertCheck, KeyEvidence};
use tilicheck::checks::identity::{ExpectedIds, Purpose};
use tilicheck::commands::cert::LoadedCert;
use tilicheck::findings::{Finding, Status};
use tilicheck::identity::BusinessId;
use tilicheck::profile::{Interface, RuleId};
use tilicheck::secret::PasswordSource;
use tilicheck::time_arg::parse_check_time;

use crate::support::{AT, SUPPLIER_ID, fixture};

pub(crate) struct Case<'a> {
    cert: &'a str,
    key: Option<&'a str>,
    purpose: Purpose,
    supplier: Option<&'a str>,
    service_centre: Option<&'a str>,
    at: &'a str,
    dvv_root: Option<&'a str>,
}

impl<'a> Case<'a> {
    pub(crate) fn new(cert: &'a str) -> Self {
        Case {
            cert,
            key: None,
            purpose: Purpose::Both,
            supplier: Some(SUPPLIER_ID),
            service_centre: None,
            at: AT,
            dvv_root: None,
        }
    }
    pub(crate) fn key(mut self, k: &'a str) -> Self {
        self.key = Some(k);
        self
    }
    fn dvv_root(mut self, root: &'a str) -> Self {
        self.dvv_root = Some(root);
        self
    }
    pub(crate) fn purpose(mut self, p: Purpose) -> Self {
        self.purpose = p;
        self
    }
    fn supplier(mut self, s: Option<&'a str>) -> Self {
        self.supplier = s;
        self
    }
    fn centre(mut self, c: &'a str) -> Self {
        self.service_centre = Some(c);
        self
    }
    fn at(mut self, at: &'a str) -> Self {
        self.at = at;
        self
    }

    pub(crate) fn findings(&self) -> Vec<Finding> {
        let loaded = LoadedCert::load(
            &fixture(self.cert),
            self.key.map(fixture).as_deref(),
            &PasswordSource::None,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", self.cert));
        let parse = |s: &str| s.parse::<BusinessId>().expect("valid test ID");
        CertCheck {
            facts: &loaded.facts,
            key: &loaded.key,
            purpose: self.purpose,
            expected: ExpectedIds {
                supplier: self.supplier.map(parse),
                service_centre: self.service_centre.map(parse),
            },
            at: parse_check_time(self.at).expect("valid date"),
            profile: Interface::V3.profile(),
            dvv_root: self.dvv_root,
            qualification: None,
        }
        .findings()
    }

    /// The one finding for `rule`, asserted to have `status`; returns its detail.
    pub(crate) fn expect(&self, rule: RuleId, status: Status) -> String {
        let findings = self.findings();
        let f = findings
            .iter()
            .find(|f| f.rule == rule)
            .unwrap_or_else(|| panic!("{}: no {rule} finding", self.cert));
        assert_eq!(f.status, status, "{}: {rule}: {}", self.cert, f.detail);
        f.detail.clone()
    }
}

#[test]
fn good_supplier_passes_every_rule_it_can_judge() {
    let findings = Case::new("supplier.pem").key("supplier.key").findings();
    for f in &findings {
        let expected = match f.rule {
            // Not a QWAC: Customs' note asks for one, the DVV route accepts it.
            RuleId::CertQwac => Status::Warn,
            _ => Status::Pass,
        };
        assert_eq!(f.status, expected, "{}: {}", f.rule, f.detail);
    }
    assert_eq!(findings.len(), 12, "every certificate rule reports once");
}

#[test]
fn x509v3() {
    Case::new("supplier.pem").expect(RuleId::CertX509V3, Status::Pass);
    let d = Case::new("service-ca.pem").expect(RuleId::CertX509V3, Status::Fail);
    assert!(d.contains("CA certificate"), "{d}");
    // Each departure from RFC 5280 is its own finding; pkilint.rs compares them all with
    // pkilint. An undecodable name is shown as such, never as a parser error.
    let loaded = LoadedCert::load(
        &fixture("bad-x509-undecodable-name.pem"),
        None,
        &PasswordSource::None,
    )
    .expect("loads");
    assert_eq!(
        loaded.facts.subject,
        "C=FI, O=<undecodable UTF8String, 19 bytes>, serialNumber=1234567-1, CN=tilicheck-demo.example"
    );
    let findings = Case::new("bad-x509-non-der-bc.pem").findings();
    let x509: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == RuleId::CertX509V3)
        .collect();
    assert_eq!(x509.len(), 1, "{x509:?}");
}

#[test]
fn validity() {
    let d = Case::new("supplier.pem").expect(RuleId::CertValidity, Status::Pass);
    assert!(d.contains("days left"), "{d}");
    let d = Case::new("bad-expired.pem").expect(RuleId::CertValidity, Status::Fail);
    assert!(d.contains("expired"), "{d}");
    let d = Case::new("supplier.pem")
        .at("2099-12-15")
        .expect(RuleId::CertValidity, Status::Warn);
    assert!(
        d.contains("16 days left") && d.contains("30-day renewal window"),
        "{d}"
    );
    let d = Case::new("supplier.pem")
        .at("2024-06-01")
        .expect(RuleId::CertValidity, Status::Fail);
    assert!(d.contains("not yet valid"), "{d}");
}

#[test]
fn cert_id_and_check_digit() {
    Case::new("supplier.pem").expect(RuleId::CertId, Status::Pass);
    let d = Case::new("supplier-vat.pem").expect(RuleId::CertId, Status::Pass);
    assert!(d.contains("FI12345671"), "{d}");
    let d = Case::new("qwac.pem").expect(RuleId::CertId, Status::Pass);
    assert!(d.contains("organizationIdentifier"), "{d}");
    let d = Case::new("bad-wrong-id.pem").expect(RuleId::CertId, Status::Fail);
    assert!(d.contains("not the supplier's ID 1234567-1"), "{d}");
    let d = Case::new("bad-no-id.pem").expect(RuleId::CertId, Status::Fail);
    assert!(d.contains("neither serialNumber"), "{d}");
    Case::new("bad-no-id.pem").expect(RuleId::IdCheckDigit, Status::Skip);
    let d = Case::new("bad-check-digit.pem").expect(RuleId::IdCheckDigit, Status::Fail);
    assert!(d.contains("check digit should be 1, is 2"), "{d}");
    // Without --business-id the ID is reported, not judged against anyone.
    let d = Case::new("bad-wrong-id.pem")
        .supplier(None)
        .expect(RuleId::CertId, Status::Pass);
    assert!(d.contains("give --business-id"), "{d}");
}

#[test]
fn service_centre_may_connect_but_not_sign() {
    let centre = tilicheck::pki::demo::DEMO_SERVICE_CENTRE_ID;
    let d = Case::new("service-centre.pem")
        .purpose(Purpose::Tls)
        .centre(centre)
        .expect(RuleId::CertId, Status::Pass);
    assert!(d.contains("service centre"), "{d}");
    let d = Case::new("service-centre.pem")
        .purpose(Purpose::Signing)
        .centre(centre)
        .expect(RuleId::CertId, Status::Fail);
    assert!(d.contains("supplier's own ID"), "{d}");
    Case::new("service-centre.pem")
        .purpose(Purpose::Both)
        .centre(centre)
        .expect(RuleId::CertSameId, Status::Fail);
    // Not authorised: a plain mismatch.
    Case::new("service-centre.pem")
        .purpose(Purpose::Tls)
        .expect(RuleId::CertId, Status::Fail);
}

#[test]
fn key_strength_and_rs256() {
    let d = Case::new("bad-rsa2048.pem").expect(RuleId::CertKeyStrength, Status::Fail);
    assert!(d.contains("RSA 2048") && d.contains("3072"), "{d}");
    Case::new("bad-ec-p256.pem").expect(RuleId::CertKeyStrength, Status::Pass);
    let d = Case::new("bad-ec-p256.pem").expect(RuleId::CertKeyRs256, Status::Fail);
    assert!(d.contains("P-256"), "{d}");
    Case::new("bad-ec-p256.pem")
        .purpose(Purpose::Tls)
        .expect(RuleId::CertKeyRs256, Status::Skip);
    // The EC minimum is not confirmed, and the finding says so.
    let findings = Case::new("bad-ec-p256.pem").findings();
    let strength = findings
        .iter()
        .find(|f| f.rule == RuleId::CertKeyStrength)
        .expect("finding");
    assert!(strength.assumption.is_some());
}

#[test]
fn signature_algorithm() {
    let d = Case::new("supplier.pem").expect(RuleId::CertSigAlg, Status::Pass);
    assert!(d.contains("sha512WithRSAEncryption"), "{d}");
    let d = Case::new("bad-ec-p256.pem").expect(RuleId::CertSigAlg, Status::Pass);
    assert!(d.contains("WithRSAEncryption"), "{d}");
}

#[test]
fn key_usage_and_extended_key_usage() {
    Case::new("supplier.pem").expect(RuleId::CertKuSign, Status::Pass);
    let d = Case::new("bad-no-digitalsignature.pem").expect(RuleId::CertKuSign, Status::Fail);
    assert!(d.contains("without digitalSignature"), "{d}");
    Case::new("bad-no-digitalsignature.pem")
        .purpose(Purpose::Tls)
        .expect(RuleId::CertKuSign, Status::Skip);
    Case::new("supplier.pem").expect(RuleId::CertEkuTls, Status::Pass);
    let d = Case::new("bad-no-clientauth.pem").expect(RuleId::CertEkuTls, Status::Fail);
    assert!(d.contains("lacks clientAuth"), "{d}");
    Case::new("bad-no-clientauth.pem")
        .purpose(Purpose::Signing)
        .expect(RuleId::CertEkuTls, Status::Skip);
}

#[test]
fn qwac() {
    let d = Case::new("qwac.pem").expect(RuleId::CertQwac, Status::Pass);
    assert!(
        d.contains("QcType web") && d.contains("policy QNCP-w"),
        "{d}"
    );
    let d = Case::new("bad-qwac-no-web.pem").expect(RuleId::CertQwac, Status::Fail);
    assert!(d.contains("QcType eseal, not web"), "{d}");
    Case::new("supplier.pem").expect(RuleId::CertQwac, Status::Warn);
    Case::new("supplier.pem")
        .purpose(Purpose::Signing)
        .expect(RuleId::CertQwac, Status::Skip);
    // A qualified e-seal is judged as one for signing, and is not a QWAC for TLS.
    let d = Case::new("qseal.pem")
        .purpose(Purpose::Signing)
        .expect(RuleId::CertQwac, Status::Pass);
    assert!(
        d.contains("qualified e-seal certificate (judged for signing)"),
        "{d}"
    );
    let d = Case::new("qseal.pem")
        .purpose(Purpose::Tls)
        .expect(RuleId::CertQwac, Status::Fail);
    assert!(d.contains("not a website certificate"), "{d}");
    // Every ETSI defect is its own finding (pkilint.rs compares each with pkilint).
    let findings = Case::new("bad-qwac-ev-policy.pem").findings();
    let qwac: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == RuleId::CertQwac)
        .collect();
    assert_eq!(qwac.len(), 2, "{qwac:?}");
}

#[test]
fn a_path_to_a_bundled_dvv_root_settles_the_qwac_question() {
    // No QCStatements on a DVV certificate: nothing to warn about.
    let d = Case::new("supplier.pem")
        .dvv_root("DVV Gov. Root CA - G3 RSA")
        .expect(RuleId::CertQwac, Status::Pass);
    assert!(
        d.contains("none needed") && d.contains("DVV Gov. Root CA - G3 RSA"),
        "{d}"
    );
    // QC statements on a DVV certificate are judged like any QWAC's.
    let d = Case::new("bad-qwac-sscd.pem")
        .purpose(Purpose::Tls)
        .dvv_root("DVV Gov. Root CA - G3 RSA")
        .expect(RuleId::CertQwac, Status::Fail);
    assert!(d.contains("QcSSCD"), "{d}");
    Case::new("qwac.pem")
        .purpose(Purpose::Tls)
        .dvv_root("DVV Gov. Root CA - G3 RSA")
        .expect(RuleId::CertQwac, Status::Pass);
}

#[test]
fn cert_issuer_proving_a_dvv_path_removes_the_qwac_warning() {
    use tilicheck::checks::trust::TrustContext;
    use tilicheck::commands::cert::judged_subject;
    use tilicheck::pki::trust::{self, Origin, TrustStore};

    let at = parse_check_time(AT).expect("date");
    let loaded = LoadedCert::load(
        &fixture("supplier.pem"),
        Some(&fixture("supplier.key")),
        &PasswordSource::None,
    )
    .expect("loads");
    let chain =
        tilicheck::pki::load::read_certificates(&fixture("service-ca.pem"), &PasswordSource::None)
            .expect("chain")
            .certificates;
    let judge = |origin: Origin| {
        // The DEMO root in the role of a bundled DVV root, or as a --trust anchor.
        let mut anchors = trust::read_anchors(&fixture("root-ca.pem")).expect("anchor");
        for a in &mut anchors {
            a.origin = origin.clone();
        }
        let ctx = TrustContext::offline_with(
            TrustStore {
                anchors,
                intermediates: Vec::new(),
            },
            at,
        );
        let subject = judged_subject(
            &loaded,
            &chain,
            "supplier.pem",
            Purpose::Both,
            ExpectedIds {
                supplier: Some(SUPPLIER_ID.parse().expect("ID")),
                service_centre: None,
            },
            &ctx,
            Interface::V3.profile(),
            Vec::new(),
        );
        let status = |rule| {
            subject
                .findings
                .iter()
                .find(|f| f.rule == rule)
                .map(|f| (f.status, f.detail.clone()))
                .expect("finding")
        };
        (status(RuleId::CertIssuer), status(RuleId::CertQwac))
    };
    let (issuer, qwac) = judge(Origin::Bundled);
    assert_eq!(issuer.0, Status::Pass, "{}", issuer.1);
    assert!(issuer.1.contains("issued by DVV"), "{}", issuer.1);
    assert_eq!(qwac.0, Status::Pass, "{}", qwac.1);
    assert!(
        qwac.1.contains("DEMO DVV Gov. Root CA - G3 RSA"),
        "{}",
        qwac.1
    );
    // A --trust anchor only stands in for DVV: the warning stays.
    let (issuer, qwac) = judge(Origin::File(fixture("root-ca.pem")));
    assert_eq!(issuer.0, Status::Pass, "{}", issuer.1);
    assert_eq!(qwac.0, Status::Warn, "{}", qwac.1);
}

#[test]
fn keypair() {
    Case::new("supplier.pem")
        .key("supplier.key")
        .expect(RuleId::CertKeypair, Status::Pass);
    let d = Case::new("supplier.pem")
        .key("bad-mismatched.key")
        .expect(RuleId::CertKeypair, Status::Fail);
    assert!(d.contains("is not the private key"), "{d}");
    Case::new("supplier.pem").expect(RuleId::CertKeypair, Status::Skip);
    Case::new("bad-ec-p256.pem")
        .key("bad-ec-p256.key")
        .expect(RuleId::CertKeypair, Status::Pass);
}

#[test]
fn same_id() {
    Case::new("supplier.pem").expect(RuleId::CertSameId, Status::Pass);
    Case::new("bad-wrong-id.pem").expect(RuleId::CertSameId, Status::Fail);
    Case::new("supplier.pem")
        .purpose(Purpose::Tls)
        .expect(RuleId::CertSameId, Status::Skip);
}

#[test]
fn unusable_key_evidence_fails_keypair() {
    let loaded = LoadedCert::load(&fixture("supplier.pem"), None, &PasswordSource::None)
        .expect("fixture loads");
    let key = KeyEvidence::Unusable {
        file: "k.pem".into(),
        reason: "broken".into(),
    };
    let findings = CertCheck {
        facts: &loaded.facts,
        key: &key,
        purpose: Purpose::Both,
        expected: ExpectedIds::default(),
        at: parse_check_time(AT).expect("date"),
        profile: Interface::V3.profile(),
        dvv_root: None,
        qualification: None,
    }
    .findings();
    let f = findings
        .iter()
        .find(|f| f.rule == RuleId::CertKeypair)
        .expect("finding");
    assert_eq!(f.status, Status::Fail);
}
