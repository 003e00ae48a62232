//! The two RS256 compact JWS of a request: building and signing them, and taking apart a
//! token someone else built. Verification is strict: RS256 only, whatever the header says.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rustls_pki_types::PrivateKeyDer;
use serde_json::{Map, Value, json};

use crate::message::kind::Kind;
use crate::message::parse::parse_strict;
use crate::profile::message::TokenClaims;

/// Why signing or decoding failed.
#[derive(Debug, thiserror::Error)]
pub enum JwsError {
    #[error("the signing key is not an RSA key; RS256 needs RSA")]
    NotRsa,
    #[error("the signing key could not be read as RSA: {0}")]
    BadKey(String),
    #[error("signing failed: {0}")]
    Sign(String),
    #[error("a compact JWS has 3 parts separated by '.', this has {0} (truncated or not a token)")]
    Parts(usize),
    #[error("{part} is not base64url without padding: {reason}")]
    Base64 { part: &'static str, reason: String },
    #[error("{part} is not a JSON object: {reason}")]
    NotJson { part: &'static str, reason: String },
}

/// A private RSA key ready for RS256.
pub struct SigningKey(EncodingKey);

impl SigningKey {
    /// From a loaded private key (PKCS#1, or PKCS#8 wrapping RSA).
    pub fn from_private_key(key: &PrivateKeyDer<'_>) -> Result<Self, JwsError> {
        let pkcs1 = match key {
            PrivateKeyDer::Pkcs1(k) => k.secret_pkcs1_der().to_vec(),
            PrivateKeyDer::Pkcs8(k) => {
                let info = pkcs8::PrivateKeyInfo::try_from(k.secret_pkcs8_der())
                    .map_err(|e| JwsError::BadKey(e.to_string()))?;
                if info.algorithm.oid != pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1")
                {
                    return Err(JwsError::NotRsa);
                }
                info.private_key.to_vec()
            }
            _ => return Err(JwsError::NotRsa),
        };
        Ok(SigningKey(EncodingKey::from_rsa_der(&pkcs1)))
    }
}

/// The two tokens of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    /// Goes after `Authorization: Bearer `.
    pub authorization: String,
    /// The whole request body.
    pub body: String,
}

/// The claims of both tokens for `kind`, per the interface's claim style. `report_text` is
/// the message as written (v1.0.4 carries it as a string); `report` is it parsed (v3 embeds
/// the object). `sender` is the supplier's ID for v1.0.4's `senderBusinessId` claim.
pub fn claims(
    style: TokenClaims,
    kind: Kind,
    sub: &str,
    sender: &str,
    report_text: &str,
    report: &Value,
) -> (Value, Value) {
    match style {
        TokenClaims::AudienceAndObject { audience } => {
            let mut body = Map::new();
            body.insert("sub".into(), Value::from(sub));
            body.insert("aud".into(), Value::from(audience));
            body.insert(kind.claim().into(), report.clone());
            (json!({"sub": sub, "aud": audience}), Value::Object(body))
        }
        TokenClaims::SenderIdAndString => {
            let mut body = Map::new();
            body.insert("sub".into(), Value::from(sub));
            body.insert(kind.claim().into(), Value::from(report_text));
            (
                json!({"sub": sub, "senderBusinessId": sender}),
                Value::Object(body),
            )
        }
    }
}

/// Sign both claim sets with RS256, header `{"typ":"JWT","alg":"RS256"}`.
pub fn sign(
    key: &SigningKey,
    auth_claims: &Value,
    body_claims: &Value,
) -> Result<Tokens, JwsError> {
    let header = Header::new(Algorithm::RS256);
    let one = |c: &Value| {
        jsonwebtoken::encode(&header, c, &key.0).map_err(|e| JwsError::Sign(e.to_string()))
    };
    Ok(Tokens {
        authorization: one(auth_claims)?,
        body: one(body_claims)?,
    })
}

/// The length in bytes of the compact JWS of `claims` with the standard header and a
/// signature of `signature_bytes` (the RSA modulus size).
pub fn compact_len(claims: &Value, signature_bytes: usize) -> usize {
    let header_len = b64_len(r#"{"typ":"JWT","alg":"RS256"}"#.len());
    let payload_len = serde_json::to_vec(claims)
        .map(|v| v.len())
        .unwrap_or_default();
    header_len + 1 + b64_len(payload_len) + 1 + b64_len(signature_bytes)
}

fn b64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// A compact JWS taken apart. Nothing is trusted yet.
#[derive(Clone, Debug)]
pub struct DecodedToken {
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
    /// `BASE64URL(header) '.' BASE64URL(payload)`: what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
    /// The token's length in bytes.
    pub len: usize,
}

/// Split and decode a compact JWS, strictly: three parts, base64url without padding,
/// header and payload JSON objects without duplicate keys.
pub fn decode(token: &str) -> Result<DecodedToken, JwsError> {
    let token = token.trim();
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(JwsError::Parts(parts.len()));
    }
    let header = decode_json("the header", parts[0])?;
    let payload = decode_json("the payload", parts[1])?;
    let signature = b64("the signature", parts[2])?;
    Ok(DecodedToken {
        header,
        payload,
        signing_input: format!("{}.{}", parts[0], parts[1]),
        signature,
        len: token.len(),
    })
}

fn b64(part: &'static str, text: &str) -> Result<Vec<u8>, JwsError> {
    // Decoded first: the decoder refuses every byte outside the base64url alphabet and any
    // padding, so the scan for the offending byte is needed only to explain a refusal.
    URL_SAFE_NO_PAD.decode(text).map_err(|e| {
        // By byte: a token is tens of kilobytes, and every byte of the alphabet is ASCII.
        let reason = match text
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            Some(i) => match text[i..].chars().next().unwrap_or('?') {
                '=' => format!("padding '=' at offset {i} (JWS uses unpadded base64url)"),
                c => format!("illegal character {c:?} at offset {i}"),
            },
            None => e.to_string(),
        };
        JwsError::Base64 { part, reason }
    })
}

fn decode_json(part: &'static str, text: &str) -> Result<Map<String, Value>, JwsError> {
    let bytes = b64(part, text)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| JwsError::NotJson {
        part,
        reason: format!("not UTF-8 at byte {}", e.valid_up_to()),
    })?;
    match parse_strict(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(JwsError::NotJson {
            part,
            reason: "JSON, but not an object".into(),
        }),
        Err(e) => Err(JwsError::NotJson {
            part,
            reason: e.to_string(),
        }),
    }
}

/// Whether the RS256 signature of `token` verifies with the RSA public key `pkcs1` (the
/// certificate's subjectPublicKey). The header's `alg` is deliberately not consulted: the
/// register accepts RS256 only, so `none` or HS256 can never verify here.
pub fn verify_rs256(token: &DecodedToken, pkcs1_public_key: &[u8]) -> bool {
    VerifyingKey::from_pkcs1(pkcs1_public_key).is_some_and(|k| k.verify(token))
}

/// One certificate's RSA public key, parsed once for RS256 verification: a verifier that
/// checks many tokens against the same certificate keeps this rather than the DER.
#[derive(Clone, Debug)]
pub struct VerifyingKey(aws_lc_rs::signature::ParsedPublicKey);

impl VerifyingKey {
    /// From a PKCS#1 RSAPublicKey (a certificate's subjectPublicKey). None when it is not one
    /// or is outside 2048–8192 bits, which no RS256 signature could then verify with.
    pub fn from_pkcs1(pkcs1_public_key: &[u8]) -> Option<Self> {
        // The same parameters as jsonwebtoken's RS256 verifier, so the verdicts agree.
        aws_lc_rs::signature::ParsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            pkcs1_public_key,
        )
        .ok()
        .map(VerifyingKey)
    }

    /// Whether `token`'s signature is a valid RS256 signature of its signing input by this key;
    /// the header's `alg` is not consulted (see `verify_rs256`).
    pub fn verify(&self, token: &DecodedToken) -> bool {
        self.0
            .verify_sig(token.signing_input.as_bytes(), &token.signature)
            .is_ok()
    }
}
