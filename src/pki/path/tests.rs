//! The validator's inputs other than the defaults, against NIST's expected results for the
//! PKITS paths (the default settings run through `tilicheck cert` in the integration tests).

use super::*;

fn pkits(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/pkits/certs")
        .join(format!("{name}.crt"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Validate a PKITS path given anchor side first, as the PKITS tables list it.
fn run(names: &[&str], settings: &Settings) -> Result<Validated, Rejection> {
    let anchor = pkits("TrustAnchorRootCertificate");
    let certs: Vec<Vec<u8>> = names.iter().rev().map(|n| pkits(n)).collect();
    let path: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
    validate(&anchor, &path, settings)
}

fn at() -> OffsetDateTime {
    time::macros::datetime!(2021-06-01 0:00 UTC)
}

const POLICY_1: &str = "2.16.840.1.101.3.2.1.48.1";

#[test]
fn same_policy_everywhere_satisfies_an_explicit_policy() {
    let names = ["GoodCACert", "ValidCertificatePathTest1EE"];
    let default = run(&names, &Settings::at(at())).expect("valid at the defaults");
    assert_eq!(default.policies, BTreeSet::from([POLICY_1.to_owned()]));
    let explicit = Settings {
        initial_explicit_policy: true,
        ..Settings::at(at())
    };
    assert!(run(&names, &explicit).is_ok());
}

#[test]
fn no_policies_fail_only_when_an_explicit_policy_is_required() {
    // PKITS 4.8.2: valid at the defaults, rejected with initial-explicit-policy.
    let names = ["NoPoliciesCACert", "AllCertificatesNoPoliciesTest2EE"];
    let default = run(&names, &Settings::at(at())).expect("valid at the defaults");
    assert!(default.policies.is_empty());
    let explicit = Settings {
        initial_explicit_policy: true,
        ..Settings::at(at())
    };
    let e = run(&names, &explicit).expect_err("explicit policy required");
    assert_eq!(e.reason, Reason::NoPolicy);
}

#[test]
fn inhibiting_policy_mapping_rejects_a_mapped_path() {
    // PKITS 4.10.1: valid at the defaults, rejected with initial-policy-mapping-inhibit.
    let names = ["Mapping1to2CACert", "ValidPolicyMappingTest1EE"];
    assert!(run(&names, &Settings::at(at())).is_ok());
    let explicit = Settings {
        initial_explicit_policy: true,
        ..Settings::at(at())
    };
    assert!(run(&names, &explicit).is_ok(), "the mapping keeps a policy");
    let inhibit = Settings {
        initial_policy_mapping_inhibit: true,
        initial_explicit_policy: true,
        ..Settings::at(at())
    };
    let e = run(&names, &inhibit).expect_err("mapping inhibited");
    assert_eq!(e.reason, Reason::NoPolicy);
}

#[test]
fn an_empty_path_is_the_anchor_itself_and_garbage_is_unreadable() {
    let anchor = pkits("TrustAnchorRootCertificate");
    assert!(validate(&anchor, &[], &Settings::at(at())).is_ok());
    let e = validate(&anchor, &[b"\x30\x03abc"], &Settings::at(at())).expect_err("garbage");
    assert_eq!(
        e,
        Rejection {
            position: Position::Certificate(0),
            reason: Reason::Unreadable
        }
    );
}

#[test]
fn a_signature_with_unused_bits_is_a_bad_signature_not_an_unreadable_certificate() {
    // PKITS 4.1.2: the CA's signature BIT STRING says it has one unused bit.
    let e = run(
        &["BadSignedCACert", "InvalidCASignatureTest2EE"],
        &Settings::at(at()),
    )
    .expect_err("bad signature");
    assert_eq!(e.position, Position::Certificate(1));
    assert_eq!(e.reason, Reason::Signature(SignatureError::Invalid));
}
