//! RFC 5280 path rules beyond PKITS, each case a small generated PKI judged by
//! `tilicheck cert` (CERT-ISSUER) and by `openssl verify -x509_strict` as the oracle: anchors
//! that cannot act as CAs or allow no CA below them, an end entity with keyCertSign, name constraints that are empty,
//! use minimum or constrain a name form, subject alternative names that are empty.

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, SanType,
};

use crate::revocation::finding;
use crate::support::{output_text, tilicheck};

use tilicheck::pki::load::pem::ToPem;

/// How one certificate of the case departs from a good one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Twist {
    None,
    /// The root carries a critical extension nobody knows.
    RootUnknownCritical,
    /// The root is v3 but has no basicConstraints (its key usage still says keyCertSign).
    RootWithoutBasicConstraints,
    /// The root allows no CA below it (pathLenConstraint 0), and the path has one.
    RootPathLenZero,
    /// The leaf asserts keyCertSign without being a CA.
    LeafKeyCertSign,
    /// The intermediate's name constraints are an empty SEQUENCE.
    EmptyNameConstraints,
    /// The intermediate's dNSName subtree has minimum 1.
    NameConstraintsMinimum,
    /// The intermediate permits only dNSName ok.test; the leaf is bad.test.
    DnsOutside,
    /// The intermediate permits only O=Rules ok.; the leaf's subject is O=Other.
    DirectoryOutside,
    /// The same constraint, and the leaf's subject is below it.
    DirectoryInside,
    /// The intermediate excludes e-mail at bad.test; the leaf's SAN has one there.
    EmailExcluded,
    /// The intermediate permits IP 10.0.0.0/8; the leaf's SAN is 192.0.2.1.
    IpOutside,
    /// The leaf's subjectAltName is an empty SEQUENCE.
    EmptySubjectAltName,
}

fn ca_params(cn: &str, org: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::OrganizationName, org);
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.use_authority_key_identifier_extension = true;
    p
}

fn ext(oid: &[u64], der: Vec<u8>, critical: bool) -> CustomExtension {
    let mut e = CustomExtension::from_oid_content(oid, der);
    e.set_criticality(critical);
    e
}

/// nameConstraints with one permitted (tag 0xa0) or excluded (0xa1) GeneralSubtree.
fn name_constraints(which: u8, subtree: &[u8]) -> CustomExtension {
    let mut field = vec![which, subtree.len() as u8];
    field.extend_from_slice(subtree);
    let mut der = vec![0x30, field.len() as u8];
    der.extend(field);
    ext(&[2, 5, 29, 30], der, true)
}

/// A GeneralSubtree around one GeneralName (tag and bytes), with extra trailing fields.
fn subtree(tag: u8, name: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut inner = vec![tag, name.len() as u8];
    inner.extend_from_slice(name);
    inner.extend_from_slice(extra);
    let mut der = vec![0x30, inner.len() as u8];
    der.extend(inner);
    der
}

/// (tilicheck's CERT-ISSUER status and detail, openssl's verdict and output).
fn judge(twist: Twist) -> (String, String, bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut root_p = ca_params("RULES Root", "Rules");
    match twist {
        Twist::RootUnknownCritical => root_p.custom_extensions.push(ext(
            &[1, 3, 6, 1, 4, 1, 99999, 7],
            vec![0x05, 0x00],
            true,
        )),
        Twist::RootWithoutBasicConstraints => root_p.is_ca = IsCa::NoCa,
        Twist::RootPathLenZero => root_p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0)),
        _ => {}
    }
    let root_key = KeyPair::generate().expect("key");
    let root = root_p.self_signed(&root_key).expect("root");

    let mut ca_p = ca_params("RULES CA", "Rules");
    let nc = match twist {
        Twist::EmptyNameConstraints => Some(ext(&[2, 5, 29, 30], vec![0x30, 0x00], true)),
        Twist::NameConstraintsMinimum => Some(name_constraints(
            0xa0,
            &subtree(0x82, b"ok.test", &[0x80, 0x01, 0x01]),
        )),
        Twist::DnsOutside => Some(name_constraints(0xa0, &subtree(0x82, b"ok.test", &[]))),
        Twist::DirectoryOutside | Twist::DirectoryInside => {
            // [4] EXPLICIT Name: SEQUENCE { SET { SEQUENCE { O, UTF8String "Allowed" } } }
            let atv = [
                &[0x30, 0x10, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x09][..],
                b"Rules ok.",
            ]
            .concat();
            let set = [&[0x31, atv.len() as u8][..], &atv].concat();
            let name = [&[0x30, set.len() as u8][..], &set].concat();
            Some(name_constraints(0xa0, &subtree(0xa4, &name, &[])))
        }
        Twist::EmailExcluded => Some(name_constraints(0xa1, &subtree(0x81, b"bad.test", &[]))),
        Twist::IpOutside => Some(name_constraints(
            0xa0,
            &subtree(0x87, &[10, 0, 0, 0, 255, 0, 0, 0], &[]),
        )),
        _ => None,
    };
    ca_p.custom_extensions.extend(nc);
    let ca_key = KeyPair::generate().expect("key");
    let ca = ca_p
        .signed_by(&ca_key, &Issuer::from_params(&root_p, &root_key))
        .expect("ca");

    let mut leaf_p = CertificateParams::default();
    leaf_p.distinguished_name = DistinguishedName::new();
    let org = if twist == Twist::DirectoryOutside {
        "Other"
    } else {
        "Rules ok."
    };
    leaf_p
        .distinguished_name
        .push(DnType::OrganizationName, org);
    leaf_p
        .distinguished_name
        .push(DnType::CommonName, "RULES leaf");
    leaf_p.use_authority_key_identifier_extension = true;
    leaf_p.is_ca = IsCa::ExplicitNoCa;
    leaf_p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_p.subject_alt_names = match twist {
        Twist::DnsOutside => vec![SanType::DnsName("bad.test".try_into().expect("dns"))],
        Twist::EmailExcluded => vec![SanType::Rfc822Name("x@bad.test".try_into().expect("mail"))],
        Twist::IpOutside => vec![SanType::IpAddress("192.0.2.1".parse().expect("ip"))],
        Twist::EmptySubjectAltName => Vec::new(),
        _ => vec![SanType::DnsName("ok.test".try_into().expect("dns"))],
    };
    match twist {
        Twist::LeafKeyCertSign => {
            leaf_p.is_ca = IsCa::NoCa;
            leaf_p.key_usages.push(KeyUsagePurpose::KeyCertSign);
        }
        Twist::EmptySubjectAltName => {
            leaf_p
                .custom_extensions
                .push(ext(&[2, 5, 29, 17], vec![0x30, 0x00], true))
        }
        _ => {}
    }
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = leaf_p
        .signed_by(&leaf_key, &Issuer::from_params(&ca_p, &ca_key))
        .expect("leaf");

    let path = |name: &str, pem: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, pem).expect("write");
        p
    };
    let root_pem = path("root.pem", root.to_pem());
    let ca_pem = path("ca.pem", ca.to_pem());
    let leaf_pem = path("leaf.pem", leaf.to_pem());

    let out = tilicheck()
        .current_dir(dir.path())
        .env_remove("TILICHECK_TRUST")
        .arg("cert")
        .arg(&leaf_pem)
        .arg("--chain")
        .arg(&ca_pem)
        .arg("--trust-only")
        .arg(&root_pem)
        .args(["--offline", "--format", "json"])
        .output()
        .expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{twist:?}: no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let issuer = finding(&json, "CERT-ISSUER");

    let oracle = std::process::Command::new("openssl")
        .arg("verify")
        .arg("-x509_strict")
        .arg("-CAfile")
        .arg(&root_pem)
        .arg("-untrusted")
        .arg(&ca_pem)
        .arg(&leaf_pem)
        .output()
        .expect("openssl is installed");
    let said = output_text(&oracle);
    (issuer.status, issuer.detail, oracle.status.success(), said)
}

/// Where tilicheck refuses what openssl 3 accepts, and why.
fn differs(twist: Twist) -> Option<&'static str> {
    match twist {
        Twist::EmptyNameConstraints => Some(
            "RFC 5280 §4.2.1.10: either permittedSubtrees or excludedSubtrees MUST be present; openssl reads an empty extension as no constraint",
        ),
        _ => None,
    }
}

#[test]
fn path_rules_agree_with_openssl() {
    // (case, tilicheck's verdict, words its detail must have)
    let cases: &[(Twist, &str, &str)] = &[
        (
            Twist::None,
            "pass",
            "validated path RULES leaf ← RULES CA ← RULES Root",
        ),
        (
            Twist::RootUnknownCritical,
            "fail",
            "trust anchor \"RULES Root\" carries the critical extension 1.3.6.1.4.1.99999.7, which is not recognised",
        ),
        (
            Twist::RootWithoutBasicConstraints,
            "fail",
            "trust anchor \"RULES Root\" is used as a CA but lacks basicConstraints cA=TRUE",
        ),
        (
            Twist::RootPathLenZero,
            "fail",
            "intermediate CA \"RULES CA\" is one CA more than a pathLenConstraint above it allows",
        ),
        (
            Twist::LeafKeyCertSign,
            "fail",
            "asserts keyCertSign in its key usage without being a CA",
        ),
        (
            Twist::EmptyNameConstraints,
            "fail",
            "has empty name constraints",
        ),
        (
            Twist::NameConstraintsMinimum,
            "fail",
            "has name constraints with minimum or maximum",
        ),
        (
            Twist::DnsOutside,
            "fail",
            "has DNS name bad.test, outside the subtrees its issuers permit",
        ),
        (
            Twist::DirectoryOutside,
            "fail",
            "has the directory name \"O=Other, CN=RULES leaf\", outside the subtrees its issuers permit",
        ),
        (Twist::DirectoryInside, "pass", "validated path"),
        (
            Twist::EmailExcluded,
            "fail",
            "has e-mail address x@bad.test, in a subtree its issuers exclude",
        ),
        (
            Twist::IpOutside,
            "fail",
            "has IP address 192.0.2.1, outside the subtrees its issuers permit",
        ),
        (
            Twist::EmptySubjectAltName,
            "fail",
            "has an empty subjectAltName",
        ),
    ];
    let mut table = String::new();
    for (twist, want, words) in cases {
        let (status, detail, openssl_ok, said) = judge(*twist);
        table.push_str(&format!(
            "{twist:?}: tilicheck {status}, openssl {}\n",
            if openssl_ok { "ok" } else { "refuses" }
        ));
        assert_eq!(status, *want, "{twist:?}: {detail}");
        assert!(detail.contains(words), "{twist:?}: {detail}");
        match differs(*twist) {
            None => assert_eq!(
                status == "pass",
                openssl_ok,
                "{twist:?}: openssl disagrees: {said}\ntilicheck: {detail}"
            ),
            Some(why) => {
                assert!(openssl_ok && status != "pass", "{twist:?}: {said}");
                table.push_str(&format!("  differs on purpose: {why}\n"));
            }
        }
    }
    println!("{table}");
}
