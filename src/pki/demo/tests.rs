use super::*;
use crate::pki::qc::{QC_STATEMENTS_EXT, QC_TYPE_ESEAL, QC_TYPE_WEB};
use std::collections::BTreeSet;
use std::sync::OnceLock;
use x509_parser::prelude::*;

mod write;

fn pki() -> &'static DemoPki {
    static PKI: OnceLock<DemoPki> = OnceLock::new();
    PKI.get_or_init(|| {
        let started = std::time::Instant::now();
        let pki = generate(&DemoOptions::fixtures()).expect("demo PKI");
        eprintln!("demo PKI generated in {:?}", started.elapsed());
        pki
    })
}

fn der_of(name: &str) -> Vec<u8> {
    let file = pki().file(name).unwrap_or_else(|| panic!("{name} missing"));
    let (_, pem) = parse_x509_pem(file.contents.as_bytes()).expect("PEM");
    pem.contents
}

fn with_cert<R>(name: &str, f: impl FnOnce(&X509Certificate<'_>) -> R) -> R {
    let der = der_of(name);
    let (rest, cert) = X509Certificate::from_der(&der).expect("certificate");
    assert!(rest.is_empty(), "{name}: trailing data");
    f(&cert)
}

/// The subject attributes: (OID, string tag, value); a value that is not UTF-8 (in
/// `bad-x509-undecodable-name.pem`) shown lossily.
fn subject(cert: &X509Certificate<'_>) -> Vec<(String, u32, String)> {
    cert.subject()
        .iter_attributes()
        .map(|a| {
            (
                a.attr_type().to_id_string(),
                a.attr_value().tag().0,
                String::from_utf8_lossy(a.attr_value().data).into_owned(),
            )
        })
        .collect()
}

fn subject_value(cert: &X509Certificate<'_>, oid: &str) -> Option<(u32, String)> {
    subject(cert)
        .into_iter()
        .find(|(o, _, _)| o == oid)
        .map(|(_, t, v)| (t, v))
}

const PRINTABLE: u32 = 19;
const UTF8: u32 = 12;

/// Check digit by the Business ID formula; None when the remainder is 1 (never issued).
fn check_digit(digits: &str) -> Option<u32> {
    let d: Vec<u32> = digits.chars().map(|c| c.to_digit(10).unwrap()).collect();
    assert_eq!(d.len(), 7);
    let r = [7, 9, 10, 5, 8, 4, 2]
        .iter()
        .zip(&d)
        .map(|(w, d)| w * d)
        .sum::<u32>()
        % 11;
    match r {
        0 => Some(0),
        1 => None,
        r => Some(11 - r),
    }
}

fn id_is_valid(id: &str) -> bool {
    let (digits, check) = id.split_once('-').expect("hyphen");
    check_digit(digits) == check.parse().ok()
}

#[test]
fn demo_ids_have_the_intended_check_digits() {
    assert!(id_is_valid(DEMO_SUPPLIER_ID));
    assert!(id_is_valid(DEMO_SERVICE_CENTRE_ID));
    assert!(id_is_valid(DEMO_WRONG_ID));
    assert!(
        id_is_valid("0245442-8"),
        "the formula agrees with Customs' own ID"
    );
    assert!(!id_is_valid(DEMO_BAD_CHECK_DIGIT_ID));
    assert_eq!(DEMO_BAD_CHECK_DIGIT_ID[..7], DEMO_SUPPLIER_ID[..7]);
    assert_eq!(
        DEMO_SUPPLIER_VAT_ID,
        format!("FI{}", DEMO_SUPPLIER_ID.replace('-', ""))
    );
    let distinct: BTreeSet<_> = [DEMO_SUPPLIER_ID, DEMO_SERVICE_CENTRE_ID, DEMO_WRONG_ID]
        .into_iter()
        .collect();
    assert_eq!(distinct.len(), 3);
}

#[test]
fn options() {
    let f = DemoOptions::fixtures();
    assert_eq!(f.not_before, datetime!(2025-01-01 00:00:00 UTC));
    assert_eq!(f.not_after, datetime!(2099-12-31 23:59:59 UTC));
    assert_eq!(f.expired_not_before, datetime!(2020-01-01 00:00:00 UTC));
    assert_eq!(f.expired_not_after, datetime!(2021-01-01 00:00:00 UTC));
    let now = datetime!(2026-03-04 05:06:07.5 +02:00);
    let s = DemoOptions::starting(now);
    assert_eq!(s.not_before, datetime!(2026-03-03 03:06:07 UTC));
    assert_eq!(s.not_after, datetime!(2028-03-03 03:06:07 UTC));
    assert!(s.expired_not_before < s.expired_not_after);
    assert!(s.expired_not_after < now);
}

const CERTS: &[&str] = &[
    "root-ca.pem",
    "service-ca.pem",
    "qwac-ca.pem",
    "supplier.pem",
    "supplier-vat.pem",
    "service-centre.pem",
    "qwac.pem",
    "register.pem",
    "bad-expired.pem",
    "bad-rsa2048.pem",
    "bad-wrong-id.pem",
    "bad-check-digit.pem",
    "bad-no-clientauth.pem",
    "bad-no-digitalsignature.pem",
    "bad-no-id.pem",
    "bad-qwac-no-web.pem",
    "bad-ec-p256.pem",
    "qseal.pem",
    "bad-qwac-two-types.pem",
    "bad-qwac-sscd.pem",
    "bad-qwac-pds-http.pem",
    "bad-qwac-psd2-no-roles.pem",
    "bad-qwac-psd2-role-name.pem",
    "bad-qwac-psd2-nca-id.pem",
    "bad-qwac-ev-policy.pem",
    "bad-qwac-no-policy.pem",
    "bad-eku-ocsp-signing.pem",
    "bad-eku-critical.pem",
    "bad-x509-duplicate-ext.pem",
    "bad-x509-sigalg-mismatch.pem",
    "bad-x509-long-serial.pem",
    "bad-x509-negative-serial.pem",
    "bad-x509-non-der-bc.pem",
    "bad-x509-undecodable-name.pem",
    "bad-x509-critical-san.pem",
    "bad-x509-malformed-san.pem",
    "bad-x509-ee-keycertsign.pem",
    "bad-x509-no-aki.pem",
    "bad-x509-ct-poison.pem",
];

fn issuer_of(name: &str) -> &'static str {
    match name {
        "root-ca.pem" | "service-ca.pem" | "qwac-ca.pem" => "root-ca.pem",
        "qwac.pem" | "qseal.pem" => "qwac-ca.pem",
        n if n.starts_with("bad-qwac-") => "qwac-ca.pem",
        _ => "service-ca.pem",
    }
}

#[test]
fn file_list_is_complete_and_keys_are_secret() {
    let names: Vec<&str> = pki().files.iter().map(|f| f.name).collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "duplicate names");
    for name in CERTS {
        assert!(unique.contains(name), "{name}");
    }
    for name in [
        "root-ca.key",
        "service-ca.key",
        "qwac-ca.key",
        "supplier.key",
        "service-centre.key",
        "qwac.key",
        "register.key",
        "bad-rsa2048.key",
        "bad-mismatched.key",
        "bad-ec-p256.key",
        "supplier-chain.pem",
        "service-centre-chain.pem",
        "qwac-chain.pem",
        "register-chain.pem",
    ] {
        assert!(unique.contains(name), "{name}");
    }
    assert!(pki().file("bad-sha1.pem").is_none());
    for f in &pki().files {
        assert_eq!(f.secret, f.name.ends_with(".key"), "{}", f.name);
        assert!(!f.description.is_empty());
        let marker = if f.secret {
            "-----BEGIN PRIVATE KEY-----"
        } else {
            "-----BEGIN CERTIFICATE-----"
        };
        assert!(f.contents.starts_with(marker), "{}", f.name);
    }
}

#[test]
fn every_certificate_is_signed_by_its_issuer_and_says_demo() {
    let mut serials = BTreeSet::new();
    for name in CERTS {
        let issuer_der = der_of(issuer_of(name));
        let (_, issuer) = X509Certificate::from_der(&issuer_der).unwrap();
        with_cert(name, |cert| {
            cert.verify_signature(Some(issuer.public_key()))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(cert.issuer(), issuer.subject(), "{name}");
            assert!(serials.insert(cert.raw_serial().to_vec()), "{name}: serial");
            let org = subject_value(cert, "2.5.4.10").unwrap().1;
            let cn = subject_value(cert, "2.5.4.3").unwrap().1;
            assert!(org.contains("DEMO") || cn.contains("DEMO"), "{name}");
            assert_eq!(
                subject_value(cert, "2.5.4.6"),
                Some((PRINTABLE, "FI".into()))
            );
            if *name != "bad-expired.pem" {
                assert_eq!(
                    cert.validity().not_before.timestamp(),
                    datetime!(2025-01-01 00:00:00 UTC).unix_timestamp()
                );
                assert_eq!(
                    cert.validity().not_after.timestamp(),
                    datetime!(2099-12-31 23:59:59 UTC).unix_timestamp()
                );
            }
        });
    }
    with_cert("supplier.pem", |c| assert_eq!(c.raw_serial(), [0x10, 0x10]));
}

#[test]
fn ca_hierarchy_mirrors_dvv() {
    with_cert("root-ca.pem", |c| {
        assert_eq!(
            c.subject().to_string(),
            "C=FI, O=DEMO Digi- ja vaestotietovirasto CA, OU=Certification Authority Services, OU=Varmennepalvelut, CN=DEMO DVV Gov. Root CA - G3 RSA"
        );
        assert_eq!(c.subject(), c.issuer());
        let bc = c.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && bc.value.ca && bc.value.path_len_constraint.is_none());
        let ku = c.key_usage().unwrap().unwrap();
        assert!(ku.critical && ku.value.key_cert_sign() && ku.value.crl_sign());
        assert!(!ku.value.digital_signature());
        assert_eq!(rsa_bits(c), 3072);
        assert_eq!(
            c.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.113549.1.1.13"
        );
    });
    with_cert("service-ca.pem", |c| {
        assert_eq!(
            c.subject().to_string(),
            "C=FI, O=DEMO Digi- ja vaestotietovirasto CA, OU=Palveluvarmenteet, CN=DEMO DVV Service Certificates - G5R"
        );
        let bc = c.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && bc.value.ca);
        assert_eq!(bc.value.path_len_constraint, Some(0));
        let ku = c.key_usage().unwrap().unwrap();
        assert!(ku.critical && ku.value.key_cert_sign() && ku.value.crl_sign());
        let eku = c.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && eku.server_auth && eku.other.is_empty());
        assert_eq!(policies_of(c), ["1.2.246.517.1.10.301.4"]);
    });
    with_cert("qwac-ca.pem", |c| {
        assert_eq!(
            subject_value(c, "2.5.4.3").unwrap().1,
            "DEMO Qualified Website CA"
        );
        assert!(c.basic_constraints().unwrap().unwrap().value.ca);
    });
}

fn rsa_bits(c: &X509Certificate<'_>) -> usize {
    match c.public_key().parsed().unwrap() {
        x509_parser::public_key::PublicKey::RSA(rsa) => rsa.key_size(),
        other => panic!("not RSA: {other:?}"),
    }
}

fn policies_of(c: &X509Certificate<'_>) -> Vec<String> {
    c.extensions()
        .iter()
        .filter_map(|e| match e.parsed_extension() {
            ParsedExtension::CertificatePolicies(p) => Some(
                p.iter()
                    .map(|i| i.policy_id.to_id_string())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect()
}

fn qc_of(c: &X509Certificate<'_>) -> Option<crate::pki::qc::QcFacts> {
    let oid = QC_STATEMENTS_EXT.to_string();
    c.extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == oid)
        .map(|e| {
            assert!(!e.critical);
            crate::pki::qc::decode(e.value).expect("QCStatements")
        })
}

#[test]
fn supplier_certificates() {
    with_cert("supplier.pem", |c| {
        assert_eq!(
            subject(c),
            [
                ("2.5.4.6".to_string(), PRINTABLE, "FI".to_string()),
                ("2.5.4.10".into(), UTF8, "DEMO Maksulaitos Oy".into()),
                ("2.5.4.5".into(), PRINTABLE, DEMO_SUPPLIER_ID.into()),
                ("2.5.4.3".into(), UTF8, DEMO_SUPPLIER_HOST.into()),
            ]
        );
        let bc = c.basic_constraints().unwrap().unwrap();
        assert!(!bc.value.ca);
        let ku = c.key_usage().unwrap().unwrap();
        assert!(ku.critical);
        assert!(ku.value.digital_signature() && ku.value.key_encipherment());
        assert!(!ku.value.key_cert_sign());
        let eku = c.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && eku.server_auth);
        assert_eq!(policies_of(c), ["1.2.246.517.1.10.305.2"]);
        let san = c.subject_alternative_name().unwrap().unwrap().value;
        assert_eq!(
            san.general_names,
            [GeneralName::DNSName(DEMO_SUPPLIER_HOST)]
        );
        assert_eq!(rsa_bits(c), 3072);
        assert!(qc_of(c).is_none());
        assert_eq!(
            c.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.113549.1.1.13",
            "sha512WithRSAEncryption, like G5R"
        );
    });
    with_cert("supplier-vat.pem", |c| {
        assert_eq!(
            subject_value(c, "2.5.4.5"),
            Some((PRINTABLE, DEMO_SUPPLIER_VAT_ID.into()))
        );
    });
    with_cert("service-centre.pem", |c| {
        assert_eq!(
            subject_value(c, "2.5.4.5"),
            Some((PRINTABLE, DEMO_SERVICE_CENTRE_ID.into()))
        );
        assert_eq!(rsa_bits(c), 3072);
    });
    // The chain file is the supplier followed by the service CA.
    let chain = &pki().file("supplier-chain.pem").unwrap().contents;
    assert_eq!(
        *chain,
        format!(
            "{}{}",
            pki().file("supplier.pem").unwrap().contents,
            pki().file("service-ca.pem").unwrap().contents
        )
    );
}

#[test]
fn qwac_certificates() {
    with_cert("qwac.pem", |c| {
        assert_eq!(
            subject_value(c, "2.5.4.97"),
            Some((UTF8, format!("NTRFI-{DEMO_SUPPLIER_ID}")))
        );
        assert_eq!(subject_value(c, "2.5.4.5"), None);
        let qc = qc_of(c).expect("QCStatements");
        assert!(qc.compliance);
        assert!(qc.has_type(&QC_TYPE_WEB));
        assert_eq!(qc.types.len(), 1);
        assert_eq!(qc.pds, [(DEMO_PDS_URL.to_string(), "en".to_string())]);
        // OVCP first (CA/Browser Forum BR §7.1.2.7.9), then QNCP-w.
        assert_eq!(policies_of(c), ["2.23.140.1.2.2", "0.4.0.194112.1.5"]);
        assert_eq!(subject_value(c, "2.5.4.7"), Some((UTF8, "Helsinki".into())));
        let ku = c.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature() && !ku.key_encipherment());
        let eku = c.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && eku.server_auth);
        assert_eq!(rsa_bits(c), 3072);
    });
    let qwac = summary("qwac.pem");
    for (bad, differs) in [
        ("bad-qwac-no-web.pem", &["qc"][..]),
        ("bad-qwac-two-types.pem", &["qc"][..]),
        ("bad-qwac-sscd.pem", &["qc"][..]),
        ("bad-qwac-pds-http.pem", &["qc"][..]),
        ("bad-qwac-psd2-no-roles.pem", &["qc"][..]),
        ("bad-qwac-psd2-role-name.pem", &["qc"][..]),
        ("bad-qwac-psd2-nca-id.pem", &["qc"][..]),
        ("bad-qwac-ev-policy.pem", &["policies"][..]),
        ("bad-qwac-no-policy.pem", &["policies"][..]),
    ] {
        assert_eq!(differences(&qwac, &summary(bad)), differs, "{bad}");
    }
    with_cert("qseal.pem", |c| {
        let qc = qc_of(c).expect("QCStatements");
        assert!(qc.compliance && qc.has_type(&QC_TYPE_ESEAL) && qc.types.len() == 1);
        assert_eq!(policies_of(c), ["0.4.0.194112.1.1"]);
        assert!(c.extended_key_usage().unwrap().is_none());
        assert!(c.subject_alternative_name().unwrap().is_none());
    });
    with_cert("bad-qwac-no-web.pem", |c| {
        let qc = qc_of(c).unwrap();
        assert!(qc.compliance);
        assert!(!qc.has_type(&QC_TYPE_WEB));
        assert!(qc.has_type(&QC_TYPE_ESEAL));
    });
}

#[test]
fn register_certificate() {
    with_cert("register.pem", |c| {
        let (tag, id) = subject_value(c, "2.5.4.5").unwrap();
        assert_eq!(tag, PRINTABLE);
        assert_eq!(id, "FI02454428");
        assert!(crate::profile::V3.register_ids.value.contains(&id.as_str()));
        assert_eq!(subject_value(c, "2.5.4.10").unwrap().1, "DEMO Tulli");
        assert_eq!(subject_value(c, "2.5.4.3").unwrap().1, "localhost");
        let san = c.subject_alternative_name().unwrap().unwrap().value;
        assert_eq!(
            san.general_names,
            [
                GeneralName::DNSName("localhost"),
                GeneralName::IPAddress(&[127, 0, 0, 1]),
                GeneralName::IPAddress(&std::net::Ipv6Addr::LOCALHOST.octets()),
            ]
        );
        let eku = c.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && eku.server_auth);
        assert_eq!(rsa_bits(c), 3072);
    });
}

/// Everything about a certificate a check could look at, except its serial number and
/// signature, as comparable strings.
fn summary(name: &str) -> Vec<(&'static str, String)> {
    with_cert(name, |c| {
        let ext = |oid: &str| {
            c.extensions()
                .iter()
                .filter(|e| e.oid.to_id_string() == oid)
                .map(|e| format!("{}:{:?}", e.critical, e.value))
                .collect::<String>()
        };
        vec![
            ("subject", format!("{:?}", subject(c))),
            ("issuer", c.issuer().to_string()),
            ("validity", format!("{:?}", c.validity())),
            ("key", format!("{:?}", c.public_key().raw)),
            (
                "signature_algorithm",
                c.signature_algorithm.algorithm.to_id_string(),
            ),
            ("basic_constraints", ext("2.5.29.19")),
            ("key_usage", ext("2.5.29.15")),
            ("extended_key_usage", ext("2.5.29.37")),
            ("san", ext("2.5.29.17")),
            ("policies", ext("2.5.29.32")),
            ("qc", ext(&QC_STATEMENTS_EXT.to_string())),
            ("extension_set", {
                // In OID order: custom extensions come last, wherever rcgen would put them.
                let mut set: Vec<String> = c
                    .extensions()
                    .iter()
                    .map(|e| e.oid.to_id_string())
                    .filter(|o| o != "2.5.29.35" && o != "2.5.29.14")
                    .collect();
                set.sort();
                set.join(",")
            }),
        ]
    })
}

fn differences(a: &[(&'static str, String)], b: &[(&'static str, String)]) -> Vec<&'static str> {
    a.iter()
        .zip(b)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| x.0)
        .collect()
}

#[test]
fn bad_variants_differ_from_the_supplier_in_one_way_each() {
    let supplier = summary("supplier.pem");
    for (name, expected) in [
        ("supplier-vat.pem", &["subject"][..]),
        ("service-centre.pem", &["subject", "key", "san"][..]),
        ("bad-expired.pem", &["validity"][..]),
        ("bad-rsa2048.pem", &["key"][..]),
        ("bad-wrong-id.pem", &["subject"][..]),
        ("bad-check-digit.pem", &["subject"][..]),
        ("bad-no-clientauth.pem", &["extended_key_usage"][..]),
        ("bad-no-digitalsignature.pem", &["key_usage"][..]),
        ("bad-no-id.pem", &["subject"][..]),
        // An EC key cannot encipher: its key usage is digitalSignature alone.
        ("bad-ec-p256.pem", &["key", "key_usage"][..]),
        ("bad-eku-ocsp-signing.pem", &["extended_key_usage"][..]),
        ("bad-eku-critical.pem", &["extended_key_usage"][..]),
        ("bad-x509-duplicate-ext.pem", &["san", "extension_set"][..]),
        ("bad-x509-sigalg-mismatch.pem", &[][..]),
        ("bad-x509-long-serial.pem", &[][..]),
        ("bad-x509-negative-serial.pem", &[][..]),
        ("bad-x509-non-der-bc.pem", &["basic_constraints"][..]),
        ("bad-x509-undecodable-name.pem", &["subject"][..]),
        ("bad-x509-critical-san.pem", &["san"][..]),
        ("bad-x509-malformed-san.pem", &["san"][..]),
        ("bad-x509-ee-keycertsign.pem", &["key_usage"][..]),
        ("bad-x509-no-aki.pem", &[][..]),
        ("bad-x509-ct-poison.pem", &["extension_set"][..]),
    ] {
        assert_eq!(differences(&supplier, &summary(name)), expected, "{name}");
    }
    let id = |name: &str| with_cert(name, |c| subject_value(c, "2.5.4.5"));
    assert_eq!(
        id("bad-wrong-id.pem"),
        Some((PRINTABLE, DEMO_WRONG_ID.into()))
    );
    assert_eq!(
        id("bad-check-digit.pem"),
        Some((PRINTABLE, DEMO_BAD_CHECK_DIGIT_ID.into()))
    );
    assert_eq!(id("bad-no-id.pem"), None);
    with_cert("bad-no-id.pem", |c| {
        assert!(subject_value(c, "2.5.4.97").is_none())
    });
    with_cert("bad-expired.pem", |c| {
        assert_eq!(
            c.validity().not_before.timestamp(),
            datetime!(2020-01-01 00:00:00 UTC).unix_timestamp()
        );
        assert_eq!(
            c.validity().not_after.timestamp(),
            datetime!(2021-01-01 00:00:00 UTC).unix_timestamp()
        );
    });
    with_cert("bad-rsa2048.pem", |c| assert_eq!(rsa_bits(c), 2048));
    with_cert("bad-no-clientauth.pem", |c| {
        let eku = c.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && !eku.client_auth);
    });
    with_cert("bad-no-digitalsignature.pem", |c| {
        let ku = c.key_usage().unwrap().unwrap().value;
        assert!(ku.key_encipherment() && !ku.digital_signature());
    });
    with_cert("bad-ec-p256.pem", |c| {
        match c.public_key().parsed().unwrap() {
            x509_parser::public_key::PublicKey::EC(ec) => assert_eq!(ec.key_size(), 256),
            other => panic!("not EC: {other:?}"),
        }
    });
}

fn spki_of_key(name: &str) -> Vec<u8> {
    use rcgen::PublicKeyData;
    let pem = &pki().file(name).unwrap().contents;
    let der = crate::pki::load::parse_private_key(
        name,
        pem.as_bytes(),
        &crate::secret::PasswordSource::None,
    )
    .expect(name)
    .der;
    let key = KeyPair::try_from(&der).expect(name);
    key.subject_public_key_info()
}

#[test]
fn keys_match_their_certificates_except_the_mismatched_one() {
    for (key, certs) in [
        ("root-ca.key", &["root-ca.pem"][..]),
        ("service-ca.key", &["service-ca.pem"][..]),
        ("qwac-ca.key", &["qwac-ca.pem"][..]),
        (
            "supplier.key",
            &[
                "supplier.pem",
                "supplier-vat.pem",
                "bad-expired.pem",
                "bad-wrong-id.pem",
                "bad-check-digit.pem",
                "bad-no-clientauth.pem",
                "bad-no-digitalsignature.pem",
                "bad-no-id.pem",
            ][..],
        ),
        ("service-centre.key", &["service-centre.pem"][..]),
        ("qwac.key", &["qwac.pem", "bad-qwac-no-web.pem"][..]),
        ("register.key", &["register.pem"][..]),
        ("bad-rsa2048.key", &["bad-rsa2048.pem"][..]),
        ("bad-ec-p256.key", &["bad-ec-p256.pem"][..]),
    ] {
        let spki = spki_of_key(key);
        for cert in certs {
            with_cert(cert, |c| {
                assert_eq!(c.public_key().raw, spki, "{key} / {cert}")
            });
        }
    }
    let mismatched = spki_of_key("bad-mismatched.key");
    for cert in CERTS {
        with_cert(cert, |c| {
            assert_ne!(c.public_key().raw, mismatched, "{cert}")
        });
    }
    // It is still a usable RSA 3072 key: only the pairing is wrong.
    let (_, spki) = SubjectPublicKeyInfo::from_der(&mismatched).unwrap();
    match spki.parsed().unwrap() {
        x509_parser::public_key::PublicKey::RSA(rsa) => assert_eq!(rsa.key_size(), 3072),
        other => panic!("not RSA: {other:?}"),
    }
}
