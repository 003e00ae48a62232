//! PKCS#12 (.p12/.pfx) stores: recognising one before asking for its password, opening it
//! (with an empty password first); the certificate and key loaders take out its certificates,
//! leaf first, and its key.

use der::Decode;
use der::asn1::{AnyRef, ObjectIdentifier};

use crate::secret::PasswordSource;

use super::identify::x509_reason;
use super::{LoadProblem, PasswordCheck};

const OID_PKCS7_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const OID_PKCS7_SIGNED: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");

// DER outlines, like those of the keys: just enough structure to recognise a PKCS#12 file
// before asking for its password.

/// RFC 7292 PFX.
#[derive(der::Sequence)]
struct PfxOutline<'a> {
    version: u8,
    auth_safe: ContentInfoOutline<'a>,
    mac_data: Option<AnyRef<'a>>,
}

#[derive(der::Sequence)]
struct ContentInfoOutline<'a> {
    content_type: ObjectIdentifier,
    #[allow(dead_code)]
    #[asn1(context_specific = "0", optional = "true")]
    content: Option<AnyRef<'a>>,
}

/// What we learnt about a PKCS#12 file without its password.
#[derive(Clone, Copy)]
pub(super) struct Pkcs12Outline {
    has_mac: bool,
}

pub(super) fn pfx_outline(bytes: &[u8]) -> Option<Pkcs12Outline> {
    let pfx = PfxOutline::from_der(bytes).ok()?;
    let content_type = pfx.auth_safe.content_type;
    (pfx.version == 3 && (content_type == OID_PKCS7_DATA || content_type == OID_PKCS7_SIGNED))
        .then_some(Pkcs12Outline {
            has_mac: pfx.mac_data.is_some(),
        })
}

/// Old Windows and Java tools wrote PKCS#12 in BER with indefinite lengths, which strict DER
/// parsers cannot read: SEQUENCE (indefinite) { INTEGER 3, ... }.
pub(super) fn is_ber_pkcs12(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x30, 0x80, 0x02, 0x01, 0x03])
}

pub(super) fn ber_pkcs12_problem() -> LoadProblem {
    LoadProblem::UnsupportedPkcs12 {
        reason: "it is BER-encoded (indefinite lengths); convert it with `openssl pkcs12 -in OLD -nodes | openssl pkcs12 -export -out NEW.p12`".to_owned(),
    }
}

pub(super) fn open_pkcs12(
    name: &str,
    bytes: &[u8],
    outline: Pkcs12Outline,
    password: &PasswordSource,
) -> Result<p12_keystore::Pkcs12Archive, LoadProblem> {
    use p12_keystore::Pkcs12Archive;
    use p12_keystore::error::Error as P12;
    // An algorithm we cannot decrypt, or a key derivation over the limits: said before any
    // password is asked for or any work done.
    if let Some(problem) = algorithms::problem(bytes) {
        return Err(problem);
    }
    // Many exported stores have an empty password, or none at all; OpenSSL tries both, and
    // so do we before asking the user for anything. With a MAC we can tell for sure.
    if outline.has_mac {
        match Pkcs12Archive::from_pkcs12(bytes, "") {
            Ok(store) => return Ok(store),
            Err(P12::MacError(_)) => {}
            Err(err) => return Err(pkcs12_problem(err, outline)),
        }
        if let Some(unmacked) = no_password::opened_without_password(bytes) {
            return Pkcs12Archive::from_pkcs12(&unmacked, "").map_err(|err| match err {
                P12::UnpadError | P12::Pkcs5Error(_) => LoadProblem::UnsupportedPkcs12 {
                    reason: "it was made with no password at all (not even an empty one) and still encrypts its contents, which tilicheck cannot decrypt; export it again with a password".to_owned(),
                },
                err => pkcs12_problem(err, outline),
            });
        }
    } else if let Ok(store) = Pkcs12Archive::from_pkcs12(bytes, "") {
        // Without a MAC a wrong password shows only as a failed decryption: one that worked
        // (or nothing to decrypt) is the answer.
        return Ok(store);
    }
    let secret = password.resolve(name).map_err(LoadProblem::Password)?;
    if secret.expose().is_empty() {
        // Both empty and absent were tried above.
        return Err(LoadProblem::WrongPassword {
            check: if outline.has_mac {
                PasswordCheck::Pkcs12Mac
            } else {
                PasswordCheck::Pkcs12Decryption
            },
        });
    }
    Pkcs12Archive::from_pkcs12(bytes, secret.expose()).map_err(|err| pkcs12_problem(err, outline))
}

fn pkcs12_problem(err: p12_keystore::error::Error, outline: Pkcs12Outline) -> LoadProblem {
    use p12_keystore::error::Error as P12;
    let unsupported = |reason: &str| LoadProblem::UnsupportedPkcs12 {
        reason: reason.to_owned(),
    };
    let bad = |reason: String| LoadProblem::BadPkcs12 { reason };
    match err {
        P12::MacError(_) => LoadProblem::WrongPassword {
            check: PasswordCheck::Pkcs12Mac,
        },
        // Without a MAC a wrong password shows up as bad padding or, now and then, as garbage
        // that decrypted "fine" and then fails to parse.
        P12::UnpadError
        | P12::Pkcs5Error(_)
        | P12::DerError(_)
        | P12::X509Error(_)
        | P12::InvalidPrivateKey
            if !outline.has_mac =>
        {
            LoadProblem::WrongPassword {
                check: PasswordCheck::Pkcs12Decryption,
            }
        }
        P12::UnpadError => bad("a part does not decrypt although the password is right".to_owned()),
        P12::Pkcs5Error(reason) => bad(format!("a part does not decrypt: {reason}")),
        P12::UnsupportedEncryptionScheme | P12::UnsupportedMacAlgorithm => unsupported(
            "it uses an encryption or integrity algorithm this tool does not support; re-export it with OpenSSL 3's defaults (`openssl pkcs12 -export`)",
        ),
        P12::UnsupportedContentType => unsupported(
            "it is protected with a public key (signed or enveloped data), not a password",
        ),
        P12::UnsupportedCertificateType => unsupported("it holds a certificate that is not X.509"),
        P12::InvalidVersion => unsupported("it is not PKCS#12 version 3"),
        P12::InvalidParameters => unsupported(
            "its password-based encryption parameters are invalid or ask for an unreasonable amount of work",
        ),
        P12::X509Error(err) => bad(format!(
            "a certificate in it is not valid X.509: {}",
            x509_reason(&err)
        )),
        P12::InvalidPrivateKey => bad("a private key in it is not valid PKCS#8".to_owned()),
        P12::DerError(_) => {
            bad("its structure is damaged (a part of it does not decode)".to_owned())
        }
        P12::InvalidLength | P12::InvalidData | P12::IoError(_) => bad(err.to_string()),
    }
}

mod algorithms;
mod no_password;
#[cfg(test)]
mod tests;
