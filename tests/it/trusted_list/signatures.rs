//! DEMO lists signed with every algorithm tilicheck verifies (RSA PKCS#1 v1.5 and RSA-PSS,
//! ECDSA P-256 and P-384; SHA-256/384/512; exclusive and inclusive c14n; Reference URI "" and
//! the document element's Id): tilicheck and xmlsec1 agree on each, and on a changed copy.

use tilicheck::pki::xmldsig::c14n::{C14N10, C14N11, Method};
use tilicheck::pki::xmldsig::{DigestAlgorithm, Scheme, SignatureAlgorithm};

use super::*;

struct Case {
    name: &'static str,
    key: KeyKind,
    scheme: Scheme,
    hash: DigestAlgorithm,
    c14n: Method,
    by_id: bool,
}

fn cases() -> Vec<Case> {
    use DigestAlgorithm::*;
    let inclusive = Method::from_uri(C14N10).expect("c14n 1.0");
    let inclusive11 = Method::from_uri(C14N11).expect("c14n 1.1");
    vec![
        Case {
            name: "rsa-sha256-exc",
            key: KeyKind::Rsa2048,
            scheme: Scheme::RsaPkcs1,
            hash: Sha256,
            c14n: Method::exclusive(),
            by_id: false,
        },
        Case {
            name: "rsa-sha384-inclusive-by-id",
            key: KeyKind::Rsa2048,
            scheme: Scheme::RsaPkcs1,
            hash: Sha384,
            c14n: inclusive.clone(),
            by_id: true,
        },
        Case {
            name: "rsa-sha512-inclusive11",
            key: KeyKind::Rsa2048,
            scheme: Scheme::RsaPkcs1,
            hash: Sha512,
            c14n: inclusive11,
            by_id: false,
        },
        Case {
            name: "ecdsa-p256-sha256-inclusive",
            key: KeyKind::EcP256,
            scheme: Scheme::Ecdsa,
            hash: Sha256,
            c14n: inclusive,
            by_id: false,
        },
        Case {
            name: "ecdsa-p384-sha384-exc-by-id",
            key: KeyKind::EcP384,
            scheme: Scheme::Ecdsa,
            hash: Sha384,
            c14n: Method::exclusive(),
            by_id: true,
        },
    ]
}

#[test]
fn every_algorithm_verifies_here_and_in_xmlsec1_and_a_change_fails_in_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    for case in cases() {
        let signer = signer(&format!("DEMO LOTL signer {}", case.name), case.key);
        let signer_pem = write(dir.path(), &format!("{}.pem", case.name), &signer.cert_pem);
        let how = SignSpec {
            signature: SignatureAlgorithm {
                scheme: case.scheme,
                hash: case.hash,
            },
            digest: case.hash,
            c14n: case.c14n.clone(),
            by_id: case.by_id,
        };
        let xml = signed(
            &demo_lotl_spec(&signer.cert_der, "https://demo.invalid/tl-fi.xml"),
            &signer,
            &how,
        );
        let path = write(dir.path(), &format!("{}.xml", case.name), &xml);
        let signers = signer_pem.to_str().expect("utf-8");
        let (code, report) = check_lists(
            "2030-01-01",
            &["--lotl-signers", signers, path.to_str().expect("utf-8")],
        );
        let (status, detail) = finding(&report, &format!("{}.xml", case.name), "TL-SIGNATURE");
        assert_eq!(
            (code, status.as_str()),
            (0, "pass"),
            "{}: {detail}",
            case.name
        );
        assert!(
            detail.contains(&how.signature.name()) && detail.contains(&case.c14n.name()),
            "{}: {detail}",
            case.name
        );
        let (ok, log) = xmlsec1_verifies(&path, Some(&signer_pem));
        assert!(ok, "xmlsec1 on {}: {log}", case.name);

        let changed = xml.replace("DEMO European Commission", "DEMO European Commissiom");
        let path = write(dir.path(), &format!("{}-changed.xml", case.name), &changed);
        let (code, report) = check_lists(
            "2030-01-01",
            &["--lotl-signers", signers, path.to_str().expect("utf-8")],
        );
        let (status, detail) = finding(&report, "-changed.xml", "TL-SIGNATURE");
        assert_eq!(
            (code, status.as_str()),
            (1, "fail"),
            "{}: {detail}",
            case.name
        );
        assert!(
            !xmlsec1_verifies(&path, Some(&signer_pem)).0,
            "{}",
            case.name
        );
    }
}

#[test]
fn rsa_pss_verifies_as_python_cryptography_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let signer = signer("DEMO LOTL signer PSS", KeyKind::Rsa2048);
    let signer_pem = write(dir.path(), "pss.pem", &signer.cert_pem);
    let how = SignSpec {
        signature: SignatureAlgorithm {
            scheme: Scheme::RsaPss,
            hash: DigestAlgorithm::Sha256,
        },
        digest: DigestAlgorithm::Sha256,
        c14n: Method::exclusive(),
        by_id: false,
    };
    let xml = signed(
        &demo_lotl_spec(&signer.cert_der, "https://demo.invalid/tl-fi.xml"),
        &signer,
        &how,
    );
    let path = write(dir.path(), "pss.xml", &xml);
    let (code, report) = check_lists(
        "2030-01-01",
        &[
            "--lotl-signers",
            signer_pem.to_str().expect("utf-8"),
            path.to_str().expect("utf-8"),
        ],
    );
    let (status, detail) = finding(&report, "pss.xml", "TL-SIGNATURE");
    assert_eq!((code, status.as_str()), (0, "pass"), "{detail}");
    assert!(detail.contains("RSA-PSS with SHA-256"), "{detail}");
    // xmlsec1 1.2.37 has no RSA-PSS. The oracle here: Python's own C14N of SignedInfo (for an
    // element in one prefix, with no comments or whitespace, the same octets as exclusive
    // c14n 1.0) and the cryptography package's PSS verification (MGF1-SHA256, salt 32).
    let verdict = crate::support::python(
        "Python cryptography RSA-PSS",
        r#"
import sys, re, base64, xml.etree.ElementTree as ET
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
doc = open(sys.argv[1], encoding="utf-8").read()
info = re.search(r"<ds:SignedInfo>.*?</ds:SignedInfo>", doc, re.S).group(0)
info = info.replace("<ds:SignedInfo>", '<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">', 1)
canonical = ET.canonicalize(xml_data=info).encode()
value = base64.b64decode(re.search(r"<ds:SignatureValue>([^<]*)<", doc).group(1))
cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
cert.public_key().verify(value, canonical, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
print("ok")
"#,
        [&path, &signer_pem],
    );
    assert_eq!(String::from_utf8_lossy(&verdict.stdout).trim(), "ok");
}

#[test]
fn a_signature_over_part_of_the_list_is_refused_though_xmlsec1_accepts_it() {
    use tilicheck::pki::xmldsig::{SignOptions, Xades, sign::sign_enveloped};
    let dir = tempfile::tempdir().expect("tempdir");
    let signer = signer("DEMO LOTL signer partial", KeyKind::Rsa2048);
    let signer_pem = write(dir.path(), "partial.pem", &signer.cert_pem);
    // The signer signs the root by Id; the copy then says the Reference points at another Id:
    // only SchemeInformation would be covered. Sign it that way (a real signature over a part).
    let unsigned = write_list(&demo_lotl_spec(&signer.cert_der, "https://demo.invalid/x"))
        .replace("<SchemeInformation>", "<SchemeInformation Id=\"part\">");
    // Sign as if the root were the part: sign a document whose root is the part, then put the
    // signature into the full list.
    let part_start = unsigned.find("<SchemeInformation").expect("part");
    let part_end = unsigned.find("</SchemeInformation>").expect("end") + 20;
    let part = unsigned[part_start..part_end].replace(
        "<SchemeInformation Id=\"part\">",
        "<SchemeInformation xmlns=\"http://uri.etsi.org/02231/v2#\" xmlns:tie=\"http://uri.etsi.org/02231/v2/additionaltypes#\" xmlns:ecc=\"http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#\" xmlns:xades=\"http://uri.etsi.org/01903/v1.3.2#\" Id=\"part\">",
    );
    let opts = SignOptions {
        signature: SignatureAlgorithm {
            scheme: Scheme::RsaPkcs1,
            hash: DigestAlgorithm::Sha256,
        },
        digest: DigestAlgorithm::Sha256,
        c14n: Method::exclusive(),
        reference_uri: "#part",
        signature_id: Some("S"),
        xades: Some(Xades {
            signing_time: "2029-12-01T00:00:00Z".into(),
        }),
    };
    let signed_part = sign_enveloped(
        &part,
        "</SchemeInformation>",
        &signer.key,
        &signer.cert_der,
        &opts,
    )
    .expect("signs");
    let signature = &signed_part[signed_part.find("<ds:Signature").expect("sig")
        ..signed_part.find("</ds:Signature>").expect("end") + 15];
    let root_end = unsigned.rfind("</TrustServiceStatusList>").expect("end");
    let mut wrapped = unsigned.clone();
    wrapped.insert_str(root_end, signature);
    let path = write(dir.path(), "partial.xml", &wrapped);
    let (code, report) = check_lists(
        "2030-01-01",
        &[
            "--lotl-signers",
            signer_pem.to_str().expect("utf-8"),
            path.to_str().expect("utf-8"),
        ],
    );
    let (status, detail) = finding(&report, "partial.xml", "TL-SIGNATURE");
    assert_eq!((code, status.as_str()), (1, "fail"), "{detail}");
    assert!(detail.contains("points at \"#part\""), "{detail}");
    // xmlsec1 checks that the signature verifies, and it does, over SchemeInformation alone:
    // the services (here none, in a real list all of them) would be unsigned. tilicheck
    // requires the Reference to cover the whole list (ETSI TS 119 612 §5.7.1).
    let (ok, log) = xmlsec1_verifies(&path, Some(&signer_pem));
    assert!(ok, "xmlsec1 accepts the partial signature: {log}");
}
