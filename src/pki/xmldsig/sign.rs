//! Making an enveloped signature: the Vero client's renewal requests and simulator answers,
//! and the DEMO trusted lists (XAdES signed properties, any supported algorithm).
//!
//! The signature is written without whitespace, so inserting it changes nothing else in the
//! document and the digest of the document before insertion is the digest the
//! enveloped-signature transform will see.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rustls_pki_types::PrivateKeyDer;

use super::algorithms::{DigestAlgorithm, Scheme, SignatureAlgorithm};
use super::c14n::{self, Method};
use super::{DSIG_NS, DsigError, ENVELOPED, SIGNED_PROPERTIES_TYPE, XADES_NS};

/// A private key to sign with.
pub enum SigningKey {
    Rsa(RsaKeyPair),
    Ecdsa {
        pair: EcdsaKeyPair,
        curve: &'static str,
    },
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key material.
        match self {
            SigningKey::Rsa(k) => write!(f, "SigningKey::Rsa({} bits)", k.public_modulus_len() * 8),
            SigningKey::Ecdsa { curve, .. } => write!(f, "SigningKey::Ecdsa({curve})"),
        }
    }
}

impl SigningKey {
    /// An RSA key (PKCS#8 or PKCS#1) or an EC P-256/P-384 key (PKCS#8).
    pub fn from_der(key: &PrivateKeyDer<'_>) -> Result<Self, DsigError> {
        match key {
            PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der())
                .map(SigningKey::Rsa)
                .map_err(|e| DsigError::Key(e.to_string())),
            PrivateKeyDer::Pkcs8(k) => {
                let der = k.secret_pkcs8_der();
                if let Ok(rsa) = RsaKeyPair::from_pkcs8(der) {
                    return Ok(SigningKey::Rsa(rsa));
                }
                for (alg, curve) in [
                    (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256"),
                    (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384"),
                ] {
                    if let Ok(pair) = EcdsaKeyPair::from_pkcs8(alg, der) {
                        return Ok(SigningKey::Ecdsa { pair, curve });
                    }
                }
                Err(DsigError::Key(
                    "neither an RSA key nor an EC P-256/P-384 key".into(),
                ))
            }
            _ => Err(DsigError::Key(
                "not an RSA or EC key in PKCS#8 or PKCS#1".into(),
            )),
        }
    }

    pub fn is_rsa(&self) -> bool {
        matches!(self, SigningKey::Rsa(_))
    }

    /// The public key's subjectPublicKey bytes.
    pub fn public_key(&self) -> Vec<u8> {
        match self {
            SigningKey::Rsa(k) => k.public_key().as_ref().to_vec(),
            SigningKey::Ecdsa { pair, .. } => pair.public_key().as_ref().to_vec(),
        }
    }

    fn sign(&self, alg: SignatureAlgorithm, msg: &[u8]) -> Result<Vec<u8>, DsigError> {
        let rng = SystemRandom::new();
        let key_err = |e: aws_lc_rs::error::Unspecified| DsigError::Key(e.to_string());
        match (self, alg.scheme) {
            (SigningKey::Rsa(k), Scheme::RsaPkcs1 | Scheme::RsaPss) => {
                let padding: &'static dyn signature::RsaEncoding = match (alg.scheme, alg.hash) {
                    (Scheme::RsaPkcs1, DigestAlgorithm::Sha256) => &signature::RSA_PKCS1_SHA256,
                    (Scheme::RsaPkcs1, DigestAlgorithm::Sha384) => &signature::RSA_PKCS1_SHA384,
                    (Scheme::RsaPkcs1, DigestAlgorithm::Sha512) => &signature::RSA_PKCS1_SHA512,
                    (_, DigestAlgorithm::Sha256) => &signature::RSA_PSS_SHA256,
                    (_, DigestAlgorithm::Sha384) => &signature::RSA_PSS_SHA384,
                    (_, DigestAlgorithm::Sha512) => &signature::RSA_PSS_SHA512,
                };
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(padding, &rng, msg, &mut sig).map_err(key_err)?;
                Ok(sig)
            }
            (SigningKey::Ecdsa { pair, curve }, Scheme::Ecdsa) => {
                let fits = matches!(
                    (*curve, alg.hash),
                    ("P-256", DigestAlgorithm::Sha256) | ("P-384", DigestAlgorithm::Sha384)
                );
                if !fits {
                    return Err(DsigError::Key(format!(
                        "an EC {curve} key signs here only with its own hash (P-256 with SHA-256, P-384 with SHA-384), not {}",
                        alg.hash.name()
                    )));
                }
                Ok(pair.sign(&rng, msg).map_err(key_err)?.as_ref().to_vec())
            }
            _ => Err(DsigError::Key(format!(
                "this key cannot make {} signatures",
                alg.name()
            ))),
        }
    }
}

/// The XAdES signed properties to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Xades {
    /// xades:SigningTime, RFC 3339.
    pub signing_time: String,
}

/// How to sign.
#[derive(Clone, Debug)]
pub struct SignOptions<'a> {
    pub signature: SignatureAlgorithm,
    pub digest: DigestAlgorithm,
    /// For SignedInfo, and as the document Reference's canonicalising transform.
    pub c14n: Method,
    /// "" for the whole document, or "#Id" of the document element.
    pub reference_uri: &'a str,
    /// The Id of ds:Signature (XAdES needs one: its properties target it).
    pub signature_id: Option<&'a str>,
    pub xades: Option<Xades>,
}

impl SignOptions<'_> {
    /// The Vero certificate service's profile: exclusive c14n, RSA-SHA256, SHA-256, URI "".
    pub fn vero() -> SignOptions<'static> {
        SignOptions {
            signature: SignatureAlgorithm::RSA_SHA256,
            digest: DigestAlgorithm::Sha256,
            c14n: Method::exclusive(),
            reference_uri: "",
            signature_id: None,
            xades: None,
        }
    }
}

fn parse(xml: &str) -> Result<roxmltree::Document<'_>, DsigError> {
    crate::xml::parse(xml).map_err(|e| DsigError::NotXml(e.to_string()))
}

/// Sign `xml` with an enveloped signature placed just before the last occurrence of `before`
/// (e.g. the closing tag of the document element), carrying `cert_der` in KeyInfo.
pub fn sign_enveloped(
    xml: &str,
    before: &str,
    key: &SigningKey,
    cert_der: &[u8],
    opts: &SignOptions<'_>,
) -> Result<String, DsigError> {
    let at = xml
        .rfind(before)
        .ok_or_else(|| DsigError::Placement(format!("'{before}' is not in the document")))?;
    let transform_method = opts.c14n.without_comments();
    let doc_digest = {
        let doc = parse(xml)?;
        let apex = if opts.reference_uri.is_empty() {
            doc.root()
        } else {
            let root = doc.root_element();
            let id = opts.reference_uri.trim_start_matches('#');
            if root.attribute("Id") != Some(id) {
                return Err(DsigError::Placement(format!(
                    "the document element has no Id \"{id}\""
                )));
            }
            root
        };
        let canonical = c14n::canonicalize(apex, None, &transform_method)?;
        B64.encode(opts.digest.digest(canonical.as_bytes()))
    };
    let sig_id = opts.signature_id.map(str::to_owned);
    let id_attr = sig_id
        .as_ref()
        .map(|i| format!(" Id=\"{i}\""))
        .unwrap_or_default();
    let properties_id = sig_id.as_ref().map(|i| format!("xades-{i}"));
    let object = match (&opts.xades, &sig_id, &properties_id) {
        (None, _, _) => String::new(),
        (Some(x), Some(sid), Some(pid)) => format!(
            "<ds:Object><xades:QualifyingProperties xmlns:xades=\"{XADES_NS}\" Target=\"#{sid}\"><xades:SignedProperties Id=\"{pid}\"><xades:SignedSignatureProperties><xades:SigningTime>{}</xades:SigningTime><xades:SigningCertificateV2><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm=\"{}\"></ds:DigestMethod><ds:DigestValue>{}</ds:DigestValue></xades:CertDigest></xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object>",
            x.signing_time,
            opts.digest.uri(),
            B64.encode(opts.digest.digest(cert_der)),
        ),
        (Some(_), _, _) => {
            return Err(DsigError::Placement(
                "XAdES properties need a signature Id".into(),
            ));
        }
    };
    let key_info = format!(
        "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>",
        B64.encode(cert_der)
    );
    let assemble = |info: &str, value: &str| {
        format!(
            "{}<ds:Signature xmlns:ds=\"{DSIG_NS}\"{id_attr}>{info}<ds:SignatureValue>{value}</ds:SignatureValue>{key_info}{object}</ds:Signature>{}",
            &xml[..at],
            &xml[at..]
        )
    };

    // The signed properties' digest, canonicalised where they will stand.
    let properties_ref = match &properties_id {
        Some(pid) if opts.xades.is_some() => {
            let staged = assemble("", "");
            let doc = parse(&staged)?;
            let sp = doc
                .descendants()
                .find(|n| n.attribute("Id") == Some(pid.as_str()))
                .ok_or_else(|| DsigError::Placement("the signed properties vanished".into()))?;
            let canonical = c14n::canonicalize(sp, None, &transform_method)?;
            format!(
                "<ds:Reference Type=\"{SIGNED_PROPERTIES_TYPE}\" URI=\"#{pid}\"><ds:Transforms><ds:Transform Algorithm=\"{}\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"{}\"></ds:DigestMethod><ds:DigestValue>{}</ds:DigestValue></ds:Reference>",
                transform_method.uri(),
                opts.digest.uri(),
                B64.encode(opts.digest.digest(canonical.as_bytes()))
            )
        }
        _ => String::new(),
    };
    let signed_info = format!(
        "<ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{}\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"{}\"></ds:SignatureMethod><ds:Reference URI=\"{}\"><ds:Transforms><ds:Transform Algorithm=\"{ENVELOPED}\"></ds:Transform><ds:Transform Algorithm=\"{}\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"{}\"></ds:DigestMethod><ds:DigestValue>{doc_digest}</ds:DigestValue></ds:Reference>{properties_ref}</ds:SignedInfo>",
        opts.c14n.uri(),
        opts.signature.uri(),
        opts.reference_uri,
        transform_method.uri(),
        opts.digest.uri(),
    );
    let staged = assemble(&signed_info, "");
    let value = {
        let doc = parse(&staged)?;
        let info = doc
            .descendants()
            .find(|n| {
                n.tag_name().name() == "SignedInfo" && n.tag_name().namespace() == Some(DSIG_NS)
            })
            .ok_or_else(|| DsigError::Placement("SignedInfo vanished".into()))?;
        let canonical = c14n::canonicalize(info, None, &opts.c14n)?;
        key.sign(opts.signature, canonical.as_bytes())?
    };
    Ok(assemble(&signed_info, &B64.encode(value)))
}
