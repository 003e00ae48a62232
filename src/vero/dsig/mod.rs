//! XML-DSig as the certificate service uses it: an enveloped signature over the whole
//! message (Reference URI=""), exclusive canonicalisation, RSA-SHA256, SHA-256 digest, the
//! signer's certificate in KeyInfo. Signing (RenewCertificate) and verifying (the
//! simulator's check of a renewal, and the client's check of the service's answers).

pub mod c14n;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, RsaKeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use roxmltree::Node;
use rustls_pki_types::PrivateKeyDer;

use crate::pki::facts::CertificateFacts;
use crate::vero::soap::DSIG_NS;

pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DsigError {
    #[error("the message is not XML: {0}")]
    NotXml(String),
    #[error("the message carries no XML signature")]
    Unsigned,
    #[error("the message carries {0} XML signatures; exactly one is expected")]
    Several(usize),
    #[error("the signature has no <{0}>")]
    Missing(&'static str),
    #[error("the signature uses {what} '{value}', which is not supported here")]
    Unsupported { what: &'static str, value: String },
    #[error("<{0}> is not valid base64")]
    BadBase64(&'static str),
    #[error("the signer's certificate in KeyInfo is unreadable: {0}")]
    BadCertificate(String),
    #[error("the digest does not match: the message was changed after it was signed")]
    DigestMismatch,
    #[error("the signature value does not verify with the signer's certificate")]
    BadSignature,
    #[error("the signing key is not usable for RSA-SHA256: {0}")]
    Key(String),
    #[error("cannot place the signature: {0}")]
    Placement(String),
}

/// An RSA key for signing.
pub struct SigningKey(RsaKeyPair);

impl SigningKey {
    pub fn from_der(key: &PrivateKeyDer<'_>) -> Result<Self, DsigError> {
        let k = match key {
            PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => return Err(DsigError::Key("not an RSA key".into())),
        };
        k.map(SigningKey).map_err(|e| DsigError::Key(e.to_string()))
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, DsigError> {
        let mut sig = vec![0u8; self.0.public_modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                msg,
                &mut sig,
            )
            .map_err(|e| DsigError::Key(e.to_string()))?;
        Ok(sig)
    }
}

fn signed_info(digest_b64: &str, with_ns: bool) -> String {
    format!(
        "<ds:SignedInfo{}><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"{RSA_SHA256}\"></ds:SignatureMethod><ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"{ENVELOPED}\"></ds:Transform><ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"{SHA256}\"></ds:DigestMethod><ds:DigestValue>{digest_b64}</ds:DigestValue></ds:Reference></ds:SignedInfo>",
        if with_ns {
            format!(" xmlns:ds=\"{DSIG_NS}\"")
        } else {
            String::new()
        }
    )
}

/// Sign `xml` with an enveloped signature placed just before `before` (e.g. the closing
/// tag of the operation element), carrying `cert_der` in KeyInfo.
pub fn sign_enveloped(
    xml: &str,
    before: &str,
    key: &SigningKey,
    cert_der: &[u8],
) -> Result<String, DsigError> {
    let doc = crate::xml::parse(xml).map_err(|e| DsigError::NotXml(e.to_string()))?;
    let canonical = c14n::canonicalize(doc.root(), None);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    let digest_b64 = B64.encode(digest.as_ref());
    // The canonical SignedInfo declares ds itself: it is the apex of its canonical form.
    let value = key.sign(signed_info(&digest_b64, true).as_bytes())?;
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{DSIG_NS}\">{}<ds:SignatureValue>{}</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>",
        signed_info(&digest_b64, false),
        B64.encode(&value),
        B64.encode(cert_der)
    );
    let at = xml
        .rfind(before)
        .ok_or_else(|| DsigError::Placement(format!("'{before}' is not in the message")))?;
    Ok(format!("{}{}{}", &xml[..at], signature, &xml[at..]))
}

fn ds_child<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> Result<Node<'a, 'i>, DsigError> {
    node.children()
        .find(|c| {
            c.is_element()
                && c.tag_name().name() == name
                && c.tag_name().namespace() == Some(DSIG_NS)
        })
        .ok_or(DsigError::Missing(name))
}

fn algorithm(node: Node<'_, '_>, what: &'static str, want: &str) -> Result<(), DsigError> {
    let got = node.attribute("Algorithm").unwrap_or("");
    if got == want {
        Ok(())
    } else {
        Err(DsigError::Unsupported {
            what,
            value: got.to_owned(),
        })
    }
}

fn base64_text(node: Node<'_, '_>, what: &'static str) -> Result<Vec<u8>, DsigError> {
    let text: String = node
        .descendants()
        .filter_map(|d| d.is_text().then(|| d.text()).flatten())
        .collect();
    crate::vero::soap::decode_base64(&text).ok_or(DsigError::BadBase64(what))
}

/// The certificate a verified signature was made with.
#[derive(Clone, Debug)]
pub struct Signer {
    pub facts: CertificateFacts,
    pub der: Vec<u8>,
}

impl Signer {
    /// Whether `ca_der` issued this certificate (names match and its signature verifies).
    pub fn issued_by(&self, ca_der: &[u8]) -> bool {
        issued_by(&self.der, ca_der)
    }
}

/// Whether `ca_der` issued `cert_der`: the issuer name is the CA's subject and the
/// certificate's signature verifies with the CA's key.
pub fn issued_by(cert_der: &[u8], ca_der: &[u8]) -> bool {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (Ok((_, cert)), Ok((_, ca))) = (
        X509Certificate::from_der(cert_der),
        X509Certificate::from_der(ca_der),
    ) else {
        return false;
    };
    cert.issuer().as_raw() == ca.subject().as_raw()
        && cert.verify_signature(Some(ca.public_key())).is_ok()
}

/// Verify the one enveloped signature of `xml`; on success, the signer's certificate.
/// Whether that certificate is trusted is the caller's decision.
pub fn verify_enveloped(xml: &str) -> Result<Signer, DsigError> {
    let doc = crate::xml::parse(xml).map_err(|e| DsigError::NotXml(e.to_string()))?;
    let sigs: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "Signature" && n.tag_name().namespace() == Some(DSIG_NS))
        .collect();
    let sig = match sigs.as_slice() {
        [] => return Err(DsigError::Unsigned),
        [one] => *one,
        more => return Err(DsigError::Several(more.len())),
    };
    let info = ds_child(sig, "SignedInfo")?;
    algorithm(
        ds_child(info, "CanonicalizationMethod")?,
        "canonicalisation",
        EXC_C14N,
    )?;
    algorithm(
        ds_child(info, "SignatureMethod")?,
        "signature method",
        RSA_SHA256,
    )?;
    let refs: Vec<_> = info
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "Reference")
        .collect();
    let [reference] = refs.as_slice() else {
        return Err(DsigError::Unsupported {
            what: "number of references",
            value: refs.len().to_string(),
        });
    };
    let uri = reference.attribute("URI").unwrap_or("(none)");
    if !uri.is_empty() {
        return Err(DsigError::Unsupported {
            what: "reference URI",
            value: uri.to_owned(),
        });
    }
    let transforms: Vec<&str> = ds_child(*reference, "Transforms")?
        .children()
        .filter(|c| c.is_element())
        .map(|t| {
            if t.children().any(|c| c.is_element()) {
                // e.g. an InclusiveNamespaces prefix list: not supported.
                "(with parameters)"
            } else {
                t.attribute("Algorithm").unwrap_or("")
            }
        })
        .collect();
    if transforms != [ENVELOPED, EXC_C14N] && transforms != [ENVELOPED] {
        return Err(DsigError::Unsupported {
            what: "transforms",
            value: transforms.join(", "),
        });
    }
    algorithm(
        ds_child(*reference, "DigestMethod")?,
        "digest method",
        SHA256,
    )?;
    let digest_value = base64_text(ds_child(*reference, "DigestValue")?, "DigestValue")?;
    let signature_value = base64_text(ds_child(sig, "SignatureValue")?, "SignatureValue")?;
    let cert_der = base64_text(
        ds_child(
            ds_child(ds_child(sig, "KeyInfo")?, "X509Data")?,
            "X509Certificate",
        )?,
        "X509Certificate",
    )?;
    let signer = CertificateFacts::from_der(&cert_der)
        .map_err(|e| DsigError::BadCertificate(e.to_string()))?;

    let canonical = c14n::canonicalize(doc.root(), Some(sig.id()));
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    if digest.as_ref() != digest_value.as_slice() {
        return Err(DsigError::DigestMismatch);
    }
    let signed = c14n::canonicalize(info, None);
    UnparsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        &signer.public_key_raw,
    )
    .verify(signed.as_bytes(), &signature_value)
    .map_err(|_| DsigError::BadSignature)?;
    Ok(Signer {
        facts: signer,
        der: cert_der,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_and_cert() -> (SigningKey, Vec<u8>) {
        let kp =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .expect("key");
        let cert = rcgen::CertificateParams::new(vec!["signer.example".into()])
            .expect("params")
            .self_signed(&kp)
            .expect("cert");
        let der = PrivateKeyDer::Pkcs8(kp.serialize_der().into());
        (
            SigningKey::from_der(&der).expect("rsa"),
            cert.der().to_vec(),
        )
    }

    const DOC: &str = "<s:E xmlns:s=\"urn:s\"><s:B><c:Op xmlns:c=\"urn:c\"><A>x &amp; \"y\"</A></c:Op></s:B></s:E>";

    #[test]
    fn signs_and_verifies_and_notices_changes() {
        let (key, cert) = key_and_cert();
        let signed = sign_enveloped(DOC, "</c:Op>", &key, &cert).expect("sign");
        let signer = verify_enveloped(&signed).expect("verifies");
        assert_eq!(signer.facts.common_names, ["rcgen self signed cert"]);
        assert!(signer.issued_by(&cert), "self-signed");
        let tampered = signed.replace("<A>x", "<A>z");
        assert_eq!(
            verify_enveloped(&tampered).err(),
            Some(DsigError::DigestMismatch)
        );
        assert_eq!(verify_enveloped(DOC).err(), Some(DsigError::Unsigned));
        // Reformatting the signature element itself does not matter; its SignedInfo does.
        let info_changed = signed.replace("<ds:SignedInfo>", "<ds:SignedInfo >");
        assert!(verify_enveloped(&info_changed).is_ok());
        let (other, _) = key_and_cert();
        let wrong_key = sign_enveloped(DOC, "</c:Op>", &other, &cert).expect("sign");
        assert_eq!(
            verify_enveloped(&wrong_key).err(),
            Some(DsigError::BadSignature)
        );
    }
}
