//! §6.3.3 on CRLs built field by field (rcgen cannot write delta CRLs or arbitrary entries):
//! the cases NIST PKITS does not reach.

use der::asn1::{BitString, OctetString, UtcTime};
use der::{Decode, Encode};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SigningKey,
};
use time::{Duration, OffsetDateTime};
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::{BaseCrlNumber, CrlNumber, CrlReason};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

use super::certs::CertView;
use super::list::{Crl, Origin};
use super::process::{Outcome, Problem, SignerKey, Signers, Verdict, When, process};
use super::signature::crl_verifies;

const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";

struct Pki {
    ca_key: KeyPair,
    ca_name: Name,
    ca_spki: Vec<u8>,
    leaf: CertView,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().expect("key");
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, "UNIT CA");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = p.self_signed(&ca_key).expect("CA");
    let issuer = Issuer::from_params(&p, &ca_key);
    let mut lp = CertificateParams::new(vec!["unit.test".into()]).expect("params");
    lp.serial_number = Some(rcgen::SerialNumber::from(0x55u64));
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = lp.signed_by(&leaf_key, &issuer).expect("leaf");
    let ca_cert = x509_cert::Certificate::from_der(ca.der()).expect("CA DER");
    Pki {
        ca_name: ca_cert.tbs_certificate.subject.clone(),
        ca_spki: ca_cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .expect("SPKI"),
        ca_key,
        leaf: CertView::parse(leaf.der()).expect("leaf"),
    }
}

fn time(t: OffsetDateTime) -> Time {
    let secs = u64::try_from(t.unix_timestamp()).expect("after 1970");
    Time::UtcTime(UtcTime::from_unix_duration(std::time::Duration::from_secs(secs)).expect("UTC"))
}

fn ext(oid: &str, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: der::oid::ObjectIdentifier::new_unwrap(oid),
        critical,
        extn_value: OctetString::new(value).expect("octets"),
    }
}

fn number(n: u8) -> der::asn1::Uint {
    der::asn1::Uint::new(&[n]).expect("uint")
}

/// What a test CRL says.
struct Spec {
    this_update: Duration,
    next_update: Duration,
    number: u8,
    /// Set: a delta CRL on this base.
    base: Option<u8>,
    entries: Vec<(u8, CrlReason)>,
    extra: Vec<Extension>,
}

impl Spec {
    fn current(number: u8) -> Spec {
        Spec {
            this_update: -Duration::hours(1),
            next_update: Duration::days(7),
            number,
            base: None,
            entries: Vec::new(),
            extra: Vec::new(),
        }
    }

    fn stale(mut self) -> Spec {
        self.this_update = -Duration::days(10);
        self.next_update = -Duration::days(3);
        self
    }

    fn delta_on(mut self, base: u8) -> Spec {
        self.base = Some(base);
        self
    }

    fn listing(mut self, serial: u8, reason: CrlReason) -> Spec {
        self.entries.push((serial, reason));
        self
    }
}

fn build(p: &Pki, key: &KeyPair, at: OffsetDateTime, spec: Spec, name: &str) -> Crl {
    let alg = spki::AlgorithmIdentifierOwned {
        oid: der::oid::ObjectIdentifier::new_unwrap(ECDSA_SHA256),
        parameters: None,
    };
    let mut exts = vec![ext(
        "2.5.29.20",
        false,
        CrlNumber(number(spec.number)).to_der().expect("number"),
    )];
    if let Some(b) = spec.base {
        exts.push(ext(
            "2.5.29.27",
            true,
            BaseCrlNumber(number(b)).to_der().expect("base"),
        ));
    }
    exts.extend(spec.extra);
    let revoked: Vec<RevokedCert> = spec
        .entries
        .iter()
        .map(|(serial, reason)| RevokedCert {
            serial_number: SerialNumber::new(&[*serial]).expect("serial"),
            revocation_date: time(at - Duration::days(5)),
            crl_entry_extensions: Some(vec![ext(
                "2.5.29.21",
                false,
                reason.to_der().expect("reason"),
            )]),
        })
        .collect();
    let tbs = TbsCertList {
        version: x509_cert::Version::V2,
        signature: alg.clone(),
        issuer: p.ca_name.clone(),
        this_update: time(at + spec.this_update),
        next_update: Some(time(at + spec.next_update)),
        revoked_certificates: (!revoked.is_empty()).then_some(revoked),
        crl_extensions: Some(exts),
    };
    let tbs_der = tbs.to_der().expect("TBS");
    let signature = key.sign(&tbs_der).expect("sign");
    let list = CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: alg,
        signature: BitString::from_bytes(&signature).expect("bits"),
    };
    Crl::parse(
        list.to_der().expect("CRL"),
        Origin::File(format!("{name}.crl").into()),
    )
    .expect("parses")
}

/// The CA's own key signs CRLs for the leaf.
struct CaSigner(Vec<u8>);

impl Signers for CaSigner {
    fn verify(&self, crl: &Crl, _: &CertView) -> Result<SignerKey, Problem> {
        if crl_verifies(crl, &self.0) {
            Ok(SignerKey {
                spki: self.0.clone(),
                note: None,
            })
        } else {
            Err(Problem::Invalid(format!("{}: bad signature", crl.origin)))
        }
    }

    fn verifies_with(&self, crl: &Crl, key: &SignerKey) -> bool {
        crl_verifies(crl, &key.spki)
    }
}

fn run(p: &Pki, at: OffsetDateTime, crls: &[&Crl]) -> Outcome {
    process(
        &p.leaf,
        crls,
        &CaSigner(p.ca_spki.clone()),
        When { at, grace_secs: 0 },
    )
}

fn problems(o: &Outcome) -> String {
    o.problems
        .iter()
        .map(|p| p.text())
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn a_current_delta_carries_a_stale_complete_crl() {
    let p = pki();
    let at = OffsetDateTime::now_utc();
    let complete = build(&p, &p.ca_key, at, Spec::current(1).stale(), "complete");
    let delta = build(&p, &p.ca_key, at, Spec::current(2).delta_on(1), "delta");
    let o = run(&p, at, &[&complete, &delta]);
    assert_eq!(o.verdict, Verdict::Unrevoked, "{}", problems(&o));
    assert!(o.used[0].contains("delta CRL delta.crl"), "{:?}", o.used);
    // Alone, the stale complete CRL answers nothing; a delta alone neither.
    let o = run(&p, at, &[&complete]);
    assert_eq!(o.verdict, Verdict::Undetermined);
    assert!(
        problems(&o).contains("complete.crl is stale"),
        "{}",
        problems(&o)
    );
    assert_eq!(run(&p, at, &[&delta]).verdict, Verdict::Undetermined);
}

#[test]
fn a_delta_decides_over_its_complete_crl() {
    let p = pki();
    let at = OffsetDateTime::now_utc();
    let held = build(
        &p,
        &p.ca_key,
        at,
        Spec::current(1).listing(0x55, CrlReason::CertificateHold),
        "held",
    );
    let lifted = build(
        &p,
        &p.ca_key,
        at,
        Spec::current(2)
            .delta_on(1)
            .listing(0x55, CrlReason::RemoveFromCRL),
        "lifted",
    );
    let revoked = build(
        &p,
        &p.ca_key,
        at,
        Spec::current(3)
            .delta_on(1)
            .listing(0x55, CrlReason::KeyCompromise),
        "revoked",
    );
    assert!(matches!(
        run(&p, at, &[&held]).verdict,
        Verdict::Revoked {
            reason: Some(CrlReason::CertificateHold),
            ..
        }
    ));
    assert_eq!(run(&p, at, &[&held, &lifted]).verdict, Verdict::Unrevoked);
    // The newest delta wins.
    assert!(matches!(
        run(&p, at, &[&held, &lifted, &revoked]).verdict,
        Verdict::Revoked {
            reason: Some(CrlReason::KeyCompromise),
            ..
        }
    ));
    // removeFromCRL in a complete CRL unrevokes too (§6.3.3 (j)).
    let removed = build(
        &p,
        &p.ca_key,
        at,
        Spec::current(4).listing(0x55, CrlReason::RemoveFromCRL),
        "removed",
    );
    assert_eq!(run(&p, at, &[&removed]).verdict, Verdict::Unrevoked);
}

#[test]
fn a_revocation_stands_in_a_stale_crl_but_a_hold_does_not() {
    let p = pki();
    let at = OffsetDateTime::now_utc();
    let revoked = build(
        &p,
        &p.ca_key,
        at,
        Spec::current(1)
            .stale()
            .listing(0x55, CrlReason::KeyCompromise),
        "old-revoked",
    );
    assert!(matches!(
        run(&p, at, &[&revoked]).verdict,
        Verdict::Revoked { .. }
    ));
    let held = build(
        &p,
        &p.ca_key,
        at,
        Spec::current(1)
            .stale()
            .listing(0x55, CrlReason::CertificateHold),
        "old-held",
    );
    assert_eq!(run(&p, at, &[&held]).verdict, Verdict::Undetermined);
}

#[test]
fn deltas_that_do_not_fit_are_set_aside_with_the_reason() {
    let p = pki();
    let at = OffsetDateTime::now_utc();
    let complete = build(&p, &p.ca_key, at, Spec::current(5), "complete");
    // Built on a CRL newer than the complete one, or no newer than it, or signed by another key.
    let ahead = build(
        &p,
        &p.ca_key,
        at,
        Spec::current(9)
            .delta_on(7)
            .listing(0x55, CrlReason::KeyCompromise),
        "ahead",
    );
    let behind = build(
        &p,
        &p.ca_key,
        at,
        Spec::current(5)
            .delta_on(4)
            .listing(0x55, CrlReason::KeyCompromise),
        "behind",
    );
    let other_key = KeyPair::generate().expect("key");
    let forged = build(
        &p,
        &other_key,
        at,
        Spec::current(6)
            .delta_on(5)
            .listing(0x55, CrlReason::KeyCompromise),
        "forged",
    );
    let o = run(&p, at, &[&complete, &ahead, &behind, &forged]);
    assert_eq!(o.verdict, Verdict::Unrevoked, "{}", problems(&o));
    let why = problems(&o);
    assert!(
        why.contains("ahead.crl: it builds on CRL number 7"),
        "{why}"
    );
    assert!(
        why.contains("behind.crl: its number 5 is not newer"),
        "{why}"
    );
    assert!(
        why.contains("forged.crl: its signature does not verify"),
        "{why}"
    );
    assert!(
        o.problems
            .iter()
            .any(|p| matches!(p, Problem::Invalid(t) if t.contains("forged"))),
        "a forged delta is invalid, not merely unknown"
    );
}

#[test]
fn an_unknown_critical_extension_makes_a_crl_unusable_a_non_critical_one_does_not() {
    let p = pki();
    let at = OffsetDateTime::now_utc();
    let mut spec = Spec::current(1);
    spec.extra
        .push(ext("1.3.6.1.4.1.99999.1", true, vec![0x05, 0x00]));
    let critical = build(&p, &p.ca_key, at, spec, "critical");
    let o = run(&p, at, &[&critical]);
    assert_eq!(o.verdict, Verdict::Undetermined);
    assert!(
        problems(&o).contains("critical extension 1.3.6.1.4.1.99999.1"),
        "{}",
        problems(&o)
    );
    let mut spec = Spec::current(1);
    spec.extra
        .push(ext("1.3.6.1.4.1.99999.1", false, vec![0x05, 0x00]));
    let plain = build(&p, &p.ca_key, at, spec, "plain");
    assert_eq!(run(&p, at, &[&plain]).verdict, Verdict::Unrevoked);
}

#[test]
fn the_newest_crl_is_read_first() {
    let p = pki();
    let at = OffsetDateTime::now_utc();
    let mut older = Spec::current(1);
    older.this_update = -Duration::days(2);
    let older = build(&p, &p.ca_key, at, older, "older");
    let newer = build(
        &p,
        &p.ca_key,
        at,
        Spec::current(2).listing(0x55, CrlReason::KeyCompromise),
        "newer",
    );
    // Both current; whichever order they are given in, the newer one's revocation counts.
    for crls in [[&older, &newer], [&newer, &older]] {
        assert!(
            matches!(run(&p, at, &crls).verdict, Verdict::Revoked { .. }),
            "{:?}",
            crls.map(|c| c.origin.to_string())
        );
    }
}
