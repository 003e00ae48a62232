//! The `bad-x509-*` and `bad-eku-*` variants: the supplier's certificate with one departure
//! from the RFC 5280 profile, or from what a TLS certificate may carry, each. Most are made with rcgen's own knobs and custom extensions; what rcgen will
//! not write (a negative serial, an undecodable name, a mismatched inner signature algorithm)
//! is made by editing the signed part of a normal certificate and signing it again.

use rcgen::{
    Certificate, CertificateParams, CustomExtension, ExtendedKeyUsagePurpose, Issuer, KeyPair,
    KeyUsagePurpose, SigningKey,
};

use super::certs::rcgen_error;
use super::extensions::dns_general_names;
use super::files::*;
use super::{DEMO_SUPPLIER_HOST, DemoError};

const SAN_ARCS: &[u64] = &[2, 5, 29, 17];
const EKU_ARCS: &[u64] = &[2, 5, 29, 37];
/// RFC 6962 §3.1: the poison extension that makes a precertificate unusable.
const CT_POISON_ARCS: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 3];
/// sha512WithRSAEncryption, as the DEMO service CA signs.
const SHA512_WITH_RSA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d,
];
/// The serial number of `bad-x509-negative-serial.pem` as rcgen writes it, and the same two
/// octets with the sign bit set.
const NEGATIVE_SERIAL_FROM: &[u8] = &[0x02, 0x02, 0x10, 0x37];
const NEGATIVE_SERIAL_TO: &[u8] = &[0x02, 0x02, 0x90, 0x37];

/// One profile-breaking variant: file, description, serial, and how it departs.
struct Variant {
    file: &'static str,
    description: &'static str,
    serial: u64,
    change: Change,
}

enum Change {
    /// Adjust the parameters before signing.
    Params(fn(&mut CertificateParams) -> Result<(), DemoError>),
    /// Sign normally, then replace `from` with `to` (same length) in the signed part and sign
    /// again.
    Edit {
        from: &'static [u8],
        to: &'static [u8],
    },
}

fn variants() -> Vec<Variant> {
    vec![
        Variant {
            file: "bad-x509-duplicate-ext.pem",
            description: BAD_X509_DUPLICATE_EXT,
            serial: 0x1030,
            change: Change::Params(|p| {
                let san = dns_general_names("bad-x509-duplicate-ext.pem", &[DEMO_SUPPLIER_HOST])?;
                p.custom_extensions
                    .push(CustomExtension::from_oid_content(SAN_ARCS, san));
                Ok(())
            }),
        },
        Variant {
            file: "bad-x509-sigalg-mismatch.pem",
            description: BAD_X509_SIGALG_MISMATCH,
            serial: 0x1031,
            change: Change::Edit {
                from: SHA512_WITH_RSA,
                // sha256WithRSAEncryption: one arc differs.
                to: &[
                    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
                ],
            },
        },
        Variant {
            file: "bad-x509-long-serial.pem",
            description: BAD_X509_LONG_SERIAL,
            serial: 0x1032,
            change: Change::Params(|p| {
                // 21 content octets: a positive 20-octet number with its high bit set gets a
                // leading zero octet.
                let mut serial = vec![0x80; 20];
                serial[19] = 0x32;
                p.serial_number = Some(serial.into());
                Ok(())
            }),
        },
        Variant {
            file: "bad-x509-negative-serial.pem",
            description: BAD_X509_NEGATIVE_SERIAL,
            serial: 0x1037,
            change: Change::Edit {
                from: NEGATIVE_SERIAL_FROM,
                to: NEGATIVE_SERIAL_TO,
            },
        },
        Variant {
            file: "bad-x509-non-der-bc.pem",
            description: BAD_X509_NON_DER_BC,
            serial: 0x1033,
            // rcgen writes a critical, empty basicConstraints; the same ten octets become
            // a non-critical one that writes out its DEFAULT cA FALSE, which DER forbids.
            change: Change::Edit {
                from: &[0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x30, 0x00],
                to: &[0x55, 0x1d, 0x13, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0x00],
            },
        },
        Variant {
            file: "bad-x509-undecodable-name.pem",
            description: BAD_X509_UNDECODABLE_NAME,
            serial: 0x1034,
            change: Change::Edit {
                from: b"DEMO Maksulaitos Oy",
                // The last two octets become an invalid UTF-8 sequence.
                to: b"DEMO Maksulaitos \xc3\x28",
            },
        },
        Variant {
            file: "bad-x509-critical-san.pem",
            description: BAD_X509_CRITICAL_SAN,
            serial: 0x1035,
            change: Change::Params(|p| {
                p.subject_alt_names.clear();
                let san = dns_general_names("bad-x509-critical-san.pem", &[DEMO_SUPPLIER_HOST])?;
                let mut ext = CustomExtension::from_oid_content(SAN_ARCS, san);
                ext.set_criticality(true);
                p.custom_extensions.push(ext);
                Ok(())
            }),
        },
        Variant {
            file: "bad-x509-malformed-san.pem",
            description: BAD_X509_MALFORMED_SAN,
            serial: 0x1036,
            change: Change::Params(|p| {
                p.subject_alt_names.clear();
                let san =
                    dns_general_names("bad-x509-malformed-san.pem", &["tilicheck demo.example"])?;
                p.custom_extensions
                    .push(CustomExtension::from_oid_content(SAN_ARCS, san));
                Ok(())
            }),
        },
        Variant {
            file: "bad-x509-ee-keycertsign.pem",
            description: BAD_X509_EE_KEYCERTSIGN,
            serial: 0x1038,
            change: Change::Params(|p| {
                p.key_usages.push(KeyUsagePurpose::KeyCertSign);
                Ok(())
            }),
        },
        Variant {
            file: "bad-x509-no-aki.pem",
            description: BAD_X509_NO_AKI,
            serial: 0x1039,
            change: Change::Params(|p| {
                p.use_authority_key_identifier_extension = false;
                Ok(())
            }),
        },
        Variant {
            file: "bad-x509-ct-poison.pem",
            description: BAD_X509_CT_POISON,
            serial: 0x103a,
            change: Change::Params(|p| {
                let mut poison =
                    CustomExtension::from_oid_content(CT_POISON_ARCS, vec![0x05, 0x00]);
                poison.set_criticality(true);
                p.custom_extensions.push(poison);
                Ok(())
            }),
        },
        Variant {
            file: "bad-eku-ocsp-signing.pem",
            description: BAD_EKU_OCSP_SIGNING,
            serial: 0x1050,
            change: Change::Params(|p| {
                p.extended_key_usages
                    .push(ExtendedKeyUsagePurpose::OcspSigning);
                Ok(())
            }),
        },
        Variant {
            file: "bad-eku-critical.pem",
            description: BAD_EKU_CRITICAL,
            serial: 0x1051,
            change: Change::Params(|p| {
                // The same clientAuth, serverAuth as rcgen writes, marked critical.
                p.extended_key_usages.clear();
                let mut eku = CustomExtension::from_oid_content(
                    EKU_ARCS,
                    vec![
                        0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02,
                        0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01,
                    ],
                );
                eku.set_criticality(true);
                p.custom_extensions.push(eku);
                Ok(())
            }),
        },
    ]
}

/// Make every variant from `supplier` (the good supplier's parameters for a given serial and
/// file), signed by `issuer` (whose key is `issuer_key`) for `key`.
pub(super) fn generate(
    supplier: &dyn Fn(u64, &'static str) -> Result<CertificateParams, DemoError>,
    key: &KeyPair,
    issuer: &Issuer<'_, &KeyPair>,
    issuer_key: &KeyPair,
    out: &mut Files,
) -> Result<(), DemoError> {
    for v in variants() {
        let mut p = supplier(v.serial, v.file)?;
        match v.change {
            Change::Params(adjust) => {
                adjust(&mut p)?;
                let cert = p.signed_by(key, issuer).map_err(rcgen_error(v.file))?;
                out.cert(v.file, v.description, &cert);
            }
            Change::Edit { from, to } => {
                let cert = p.signed_by(key, issuer).map_err(rcgen_error(v.file))?;
                let der = edit_and_resign(v.file, &cert, issuer_key, from, to)?;
                out.der_cert(v.file, v.description, &der);
            }
        }
    }
    Ok(())
}

/// Replace the one occurrence of `from` in the certificate's signed part with `to` (of the
/// same length, so no length changes), and sign the result again with `issuer_key`.
fn edit_and_resign(
    file: &'static str,
    cert: &Certificate,
    issuer_key: &KeyPair,
    from: &[u8],
    to: &[u8],
) -> Result<Vec<u8>, DemoError> {
    let fail = |reason: &str| DemoError::Der {
        file,
        reason: reason.to_owned(),
    };
    if from.len() != to.len() {
        return Err(fail("an edit must keep the length"));
    }
    let der: &[u8] = cert.der();
    let (cert_body, _) = split_tlv(der).ok_or_else(|| fail("not a SEQUENCE"))?;
    let (_, tbs_rest) = split_tlv(cert_body).ok_or_else(|| fail("no tbsCertificate"))?;
    let tbs_len = cert_body.len() - tbs_rest.len();
    let mut tbs = cert_body[..tbs_len].to_vec();
    let at: Vec<usize> = tbs
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    let [i] = at[..] else {
        return Err(fail("the bytes to edit are not found exactly once"));
    };
    tbs[i..i + to.len()].copy_from_slice(to);
    let signature = issuer_key.sign(&tbs).map_err(rcgen_error(file))?;
    // The outer signatureAlgorithm stays as the issuer's key writes it.
    let mut body = tbs;
    body.extend_from_slice(
        tbs_rest_algorithm(tbs_rest).ok_or_else(|| fail("no signatureAlgorithm"))?,
    );
    let mut bits = vec![0u8];
    bits.extend_from_slice(&signature);
    body.extend(tlv(0x03, &bits));
    Ok(tlv(0x30, &body))
}

/// The signatureAlgorithm TLV that follows tbsCertificate.
fn tbs_rest_algorithm(rest: &[u8]) -> Option<&[u8]> {
    let (_, after) = split_tlv(rest)?;
    Some(&rest[..rest.len() - after.len()])
}

/// (contents, rest) of a DER TLV.
fn split_tlv(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let len_byte = *input.get(1)?;
    let (len, header) = if len_byte < 0x80 {
        (usize::from(len_byte), 2)
    } else {
        let n = usize::from(len_byte & 0x7f);
        let bytes = input.get(2..2 + n)?;
        (
            bytes.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b)),
            2 + n,
        )
    };
    let end = header.checked_add(len)?;
    Some((input.get(header..end)?, input.get(end..)?))
}

/// A DER TLV with the given tag.
fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}
