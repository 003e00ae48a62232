//! OCSP checking (RFC 6960): build a request with a nonce, POST it (GET as fallback), and
//! accept the answer only when it verifies: signed by the issuing CA itself or by a responder
//! certificate that CA issued for OCSP signing, about this very certificate (CertID), with our
//! nonce when the responder echoes one, and current at the check time.

use der::{Decode, Encode};
use time::{Duration, OffsetDateTime};
use x509_cert::Certificate;
use x509_ocsp::builder::OcspRequestBuilder;
use x509_ocsp::ext::Nonce;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspResponse, OcspResponseStatus,
    Request,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{Answer, Options, State, reason_name, show_time, state_of_http_error};
use crate::net::http;

const METHOD: &str = "OCSP";
/// Clock skew tolerated on the responder's thisUpdate.
const SKEW_SECS: i64 = 300;
const ID_PKIX_OCSP_BASIC: &str = "1.3.6.1.5.5.7.48.1.1";
const ID_KP_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";

/// The OCSP answer for `cert` (DER and parsed), issued by `issuer`.
pub fn check(
    cert_der: &[u8],
    issuer_der: &[u8],
    cert: &X509Certificate<'_>,
    opts: &Options,
) -> Answer {
    let Some(url) = super::ocsp_url(cert) else {
        return Answer {
            method: METHOD,
            state: State::Unsupported("the certificate names no OCSP responder".into()),
            source: String::new(),
        };
    };
    if !url.to_ascii_lowercase().starts_with("http://") {
        return Answer {
            method: METHOD,
            state: State::Unsupported(format!("OCSP responder {url} is not an http:// URL")),
            source: url,
        };
    }
    let mut nonce = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut nonce).is_err() {
        return invalid(&url, "no random bytes for the nonce".into());
    }
    let (request, cert_id) = match build_request(cert_der, issuer_der, &nonce) {
        Ok(r) => r,
        Err(e) => return invalid(&url, format!("cannot build the OCSP request: {e}")),
    };
    let body = match http::post(&url, "application/ocsp-request", &request, &opts.limits) {
        Ok(r) => r.body,
        // Some responders only take GET (RFC 6960 A.1).
        Err(http::HttpError::Status { .. }) => {
            let get_url = format!(
                "{}/{}",
                url.trim_end_matches('/'),
                percent_encode(&crate::pki::base64::encode(&request))
            );
            match http::get(&get_url, &opts.limits) {
                Ok(r) => r.body,
                Err(e) => {
                    return Answer {
                        method: METHOD,
                        state: state_of_http_error(&e),
                        source: url,
                    };
                }
            }
        }
        Err(e) => {
            return Answer {
                method: METHOD,
                state: state_of_http_error(&e),
                source: url,
            };
        }
    };
    match evaluate(
        &body,
        &cert_id,
        Some(&nonce),
        issuer_der,
        opts.at,
        opts.grace_secs,
    ) {
        Ok((state, times)) => Answer {
            method: METHOD,
            state,
            source: format!("{url} ({times})"),
        },
        Err(why) => invalid(&url, why),
    }
}

fn invalid(url: &str, why: String) -> Answer {
    Answer {
        method: METHOD,
        state: State::Invalid(why),
        source: url.to_owned(),
    }
}

/// The DER request and the CertID it asks about.
pub fn build_request(
    cert_der: &[u8],
    issuer_der: &[u8],
    nonce: &[u8],
) -> Result<(Vec<u8>, CertId), String> {
    let cert = Certificate::from_der(cert_der).map_err(|e| e.to_string())?;
    let issuer = Certificate::from_der(issuer_der).map_err(|e| e.to_string())?;
    let request = Request::from_cert::<sha1::Sha1>(&issuer, &cert).map_err(|e| e.to_string())?;
    let cert_id = request.req_cert.clone();
    let req = OcspRequestBuilder::default()
        .with_request(request)
        .with_extension(Nonce::new(nonce.to_vec()).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?
        .build();
    Ok((req.to_der().map_err(|e| e.to_string())?, cert_id))
}

fn to_datetime(t: &OcspGeneralizedTime) -> OffsetDateTime {
    let secs = t.0.to_unix_duration().as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Verify an OCSP response about `cert_id` and return the state and its times.
/// Err: the response cannot be trusted or read.
pub fn evaluate(
    der: &[u8],
    cert_id: &CertId,
    nonce: Option<&[u8]>,
    issuer_der: &[u8],
    at: OffsetDateTime,
    grace_secs: i64,
) -> Result<(State, String), String> {
    let resp = OcspResponse::from_der(der)
        .map_err(|e| format!("the OCSP response is not valid DER: {e}"))?;
    match resp.response_status {
        OcspResponseStatus::Successful => {}
        OcspResponseStatus::TryLater => {
            return Ok((
                State::Unknown("the responder said tryLater".into()),
                String::new(),
            ));
        }
        other => return Err(format!("the responder refused the request ({other:?})")),
    }
    let bytes = resp
        .response_bytes
        .ok_or("a successful OCSP response without a body")?;
    if bytes.response_type.to_string() != ID_PKIX_OCSP_BASIC {
        return Err(format!(
            "unsupported OCSP response type {}",
            bytes.response_type
        ));
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
        .map_err(|e| format!("the basic OCSP response is not valid DER: {e}"))?;
    verify_signer(&basic, issuer_der, at)?;

    if let Some(sent) = nonce
        && let Some(got) = basic.nonce()
        && got.0.as_bytes() != sent
    {
        return Err(
            "the response's nonce is not the one sent (a replayed or misdirected answer)".into(),
        );
    }
    let single = basic
        .tbs_response_data
        .responses
        .iter()
        .find(|r| same_cert_id(&r.cert_id, cert_id))
        .ok_or("the response does not answer for this certificate (CertID mismatch)")?;
    let this_update = to_datetime(&single.this_update);
    let next_update = single.next_update.as_ref().map(to_datetime);
    let times = format!(
        "producedAt {}, thisUpdate {}, nextUpdate {}",
        show_time(to_datetime(&basic.tbs_response_data.produced_at)),
        show_time(this_update),
        next_update.map_or_else(|| "none".to_owned(), show_time)
    );
    if this_update > at.saturating_add(Duration::seconds(SKEW_SECS)) {
        return Err(format!(
            "the response's thisUpdate {} is after the check time",
            show_time(this_update)
        ));
    }
    if let Some(next) = next_update
        && next.saturating_add(Duration::seconds(grace_secs)) < at
    {
        return Ok((
            State::Unknown(format!(
                "the response is stale: nextUpdate {} is before the check time",
                show_time(next)
            )),
            times,
        ));
    }
    let state = match &single.cert_status {
        CertStatus::Good(_) => State::Good,
        CertStatus::Revoked(info) => State::Revoked {
            at: to_datetime(&info.revocation_time),
            reason: info
                .revocation_reason
                .map(|r| reason_name(r as u8).to_owned()),
        },
        CertStatus::Unknown(_) => {
            State::Unknown("the responder does not know this certificate (status unknown)".into())
        }
    };
    Ok((state, times))
}

fn same_cert_id(a: &CertId, b: &CertId) -> bool {
    a.hash_algorithm.oid == b.hash_algorithm.oid
        && a.issuer_name_hash == b.issuer_name_hash
        && a.issuer_key_hash == b.issuer_key_hash
        && a.serial_number == b.serial_number
}

/// The response must be signed by the issuer itself, or by a certificate in the response that
/// the issuer signed, that carries id-kp-OCSPSigning and is valid now.
fn verify_signer(
    basic: &BasicOcspResponse,
    issuer_der: &[u8],
    at: OffsetDateTime,
) -> Result<(), String> {
    let tbs = basic
        .tbs_response_data
        .to_der()
        .map_err(|e| format!("cannot re-encode the response data: {e}"))?;
    let sig_alg = algorithm_contents(&basic.signature_algorithm)?;
    let signature = basic
        .signature
        .as_bytes()
        .ok_or("the response signature is not a whole number of bytes")?;
    let (_, issuer) = X509Certificate::from_der(issuer_der).map_err(|e| e.to_string())?;
    if verify_with(issuer.public_key().raw, &sig_alg, &tbs, signature) {
        return Ok(());
    }
    for (i, c) in basic.certs.iter().flatten().enumerate() {
        let der = c.to_der().map_err(|e| e.to_string())?;
        let Ok((_, responder)) = X509Certificate::from_der(&der) else {
            continue;
        };
        if !verify_with(responder.public_key().raw, &sig_alg, &tbs, signature) {
            continue;
        }
        // The key signed the response; now is it authorised by the CA?
        if responder.issuer().as_raw() != issuer.subject().as_raw()
            || responder
                .verify_signature(Some(issuer.public_key()))
                .is_err()
        {
            return Err(format!(
                "the response is signed by \"{}\" (certificate {} in the response), which the issuing CA did not issue: an unauthorised responder",
                responder.subject(),
                i + 1
            ));
        }
        let ocsp_signing = matches!(
            responder.extended_key_usage(),
            Ok(Some(eku)) if eku.value.ocsp_signing
                || eku.value.other.iter().any(|o| o.to_id_string() == ID_KP_OCSP_SIGNING)
        );
        if !ocsp_signing {
            return Err(format!(
                "the responder certificate \"{}\" lacks id-kp-OCSPSigning: not authorised to answer for its CA",
                responder.subject()
            ));
        }
        let validity = responder.validity();
        if at < validity.not_before.to_datetime() || at > validity.not_after.to_datetime() {
            return Err(format!(
                "the responder certificate \"{}\" is not valid at the check time",
                responder.subject()
            ));
        }
        return Ok(());
    }
    Err("the OCSP response's signature verifies with neither the issuing CA's key nor a responder certificate it issued: an unauthorised or forged answer".into())
}

/// The DER contents (inside the SEQUENCE) of an AlgorithmIdentifier, as pki-types compares them.
fn algorithm_contents(alg: &spki::AlgorithmIdentifierOwned) -> Result<Vec<u8>, String> {
    let mut out = alg.oid.to_der().map_err(|e| e.to_string())?;
    if let Some(p) = &alg.parameters {
        out.extend(p.to_der().map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// Verify with any supported algorithm whose signature id matches and whose key fits.
fn verify_with(spki_der: &[u8], sig_alg: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(spki) = spki::SubjectPublicKeyInfoRef::from_der(spki_der) else {
        return false;
    };
    let Ok(key_alg) = algorithm_contents(&spki::AlgorithmIdentifierOwned {
        oid: spki.algorithm.oid,
        parameters: spki.algorithm.parameters.map(Into::into),
    }) else {
        return false;
    };
    let key = spki.subject_public_key.raw_bytes();
    webpki::ALL_VERIFICATION_ALGS.iter().any(|alg| {
        alg.signature_alg_id().as_ref() == sig_alg
            && alg.public_key_alg_id().as_ref() == key_alg.as_slice()
            && alg.verify_signature(key, message, signature).is_ok()
    })
}

fn percent_encode(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_good() {
        let id_holder = x509_ocsp::CertId {
            hash_algorithm: spki::AlgorithmIdentifierOwned {
                oid: der::oid::ObjectIdentifier::new_unwrap("1.3.14.3.2.26"),
                parameters: None,
            },
            issuer_name_hash: der::asn1::OctetString::new(vec![0; 20]).expect("octets"),
            issuer_key_hash: der::asn1::OctetString::new(vec![0; 20]).expect("octets"),
            serial_number: x509_cert::serial_number::SerialNumber::new(&[1]).expect("serial"),
        };
        let r = evaluate(
            b"\x30\x03garbage",
            &id_holder,
            None,
            b"",
            OffsetDateTime::UNIX_EPOCH,
            0,
        );
        assert!(r.is_err());
    }
}
