//! The endpoint's facts as typed values: the `endpoint` object of the JSON report (documented
//! in `docs/report.schema.json`) and the one place suites, groups and DH primes are named and
//! classified. The text summary is rendered from the same view, so both say the same.

use serde::Serialize;

use crate::pki::facts::{CertificateFacts, KeyFacts};
use crate::time_arg::format_time;
use crate::tls::client_auth::{self, AuthMode, Layer, TrialVerdict};
use crate::tls::facts::{
    EndpointFacts, Exchange, HandshakeFacts, HandshakeOutcome, Offered, TrustVerdict, Version,
    group_bits, group_is_ffdhe, group_name,
};
use crate::tls::server_name::covers;
use crate::tls::suites::{Secrecy, Suite};

/// Everything observed about one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndpointView {
    pub versions: Vec<VersionView>,
    pub suites: Vec<SuiteList>,
    pub groups: Vec<GroupList>,
    pub dh: Vec<DhView>,
    pub client_auth: ClientAuthView,
    pub handshake: HandshakeView,
    pub http: Option<HttpView>,
    pub certificate: CertificateView,
    pub connections: ConnectionsView,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionView {
    pub version: &'static str,
    pub accepted: bool,
    /// Why probing this version stopped early: what it says may be incomplete.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SuiteList {
    pub version: &'static str,
    /// True: listed in the server's order of preference; false: the server follows the
    /// client's order (listed as chosen); null: fewer than two suites, or not known.
    pub server_order: Option<bool>,
    pub error: Option<String>,
    pub suites: Vec<SuiteView>,
}

/// One accepted suite, classified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SuiteView {
    /// The IANA name, e.g. "TLS_AES_256_GCM_SHA384".
    pub name: String,
    /// The IANA number, e.g. "0x1302".
    pub code: String,
    /// "ECDHE", "DHE", "RSA" (static), …; for TLS 1.3 what the group is.
    pub key_exchange: String,
    /// The group or DH prime the server used with it: "x25519", "ffdhe3072", "custom".
    pub group: Option<String>,
    pub key_exchange_bits: Option<u32>,
    /// How the server authenticates: "RSA", "ECDSA", … ("none" for anonymous suites).
    pub authentication: String,
    /// "AES", "CHACHA20-POLY1305", "3DES", …
    pub cipher: &'static str,
    /// "GCM", "CBC", "CCM"; null for stream ciphers and ChaCha20-Poly1305.
    pub cipher_mode: Option<&'static str>,
    pub cipher_bits: u16,
    pub aead: bool,
    /// "AEAD" or the HMAC.
    pub mac: &'static str,
    pub hash_bits: u16,
    pub forward_secrecy: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupList {
    pub version: &'static str,
    /// As for suites: the server's order, the client's, or not known.
    pub server_order: Option<bool>,
    pub error: Option<String>,
    pub groups: Vec<GroupView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupView {
    pub name: String,
    pub code: String,
    pub key_exchange: &'static str,
    pub bits: Option<u32>,
}

/// A finite-field DH prime a TLS 1.2-or-older server sent with a suite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DhView {
    pub version: &'static str,
    pub suite: String,
    pub prime_bits: u32,
    /// "ffdhe2048" … "ffdhe8192" (RFC 7919), "RFC 3526 group 14" … "18", or "custom".
    pub group: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientAuthView {
    /// "none", "optional" or "required"; null when the handshakes could not tell.
    pub mode: Option<AuthMode>,
    /// For "required": where a client without a certificate was stopped ("tls", "http").
    pub enforced_at: Option<Layer>,
    /// Why there is no mode.
    pub error: Option<String>,
    /// The acceptable CA names of the server's CertificateRequest.
    pub ca_names: Vec<String>,
    pub trials: Vec<TrialView>,
}

/// One of the handshakes that classified client authentication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrialView {
    /// "none", "supplier" (the one given with --cert) or "foreign" (a made-up CA's).
    pub certificate: &'static str,
    pub subject: Option<String>,
    pub version: Option<&'static str>,
    pub requested: bool,
    /// "accepted", "refused" or "unknown".
    pub result: &'static str,
    pub refused_at: Option<Layer>,
    pub alert: Option<&'static str>,
    pub http_status: Option<u16>,
    pub detail: String,
}

/// The handshake with the user's certificate (or without one when none was given).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandshakeView {
    pub client_certificate: Option<String>,
    pub version: Option<&'static str>,
    pub suite: Option<String>,
    pub group: Option<String>,
    /// "completed", "failed" (in the handshake), "rejected" (by an alert after it),
    /// "not_usable" (tilicheck could not go along with the server) or "http_failed".
    pub result: &'static str,
    pub alert: Option<&'static str>,
    pub detail: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HttpView {
    pub status_line: String,
    pub version: String,
    pub status: u16,
    /// "no_certificate" or "bad_certificate" when the answer refuses the client certificate.
    pub certificate_refusal: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateView {
    /// Leaf first, as the server sent it.
    pub chain: Vec<CertView>,
    /// Whether the server stapled an OCSP response to the real handshake.
    pub ocsp_stapled: bool,
    /// Whether the leaf is for the name connected to (TLS-NAME).
    pub name: NameView,
    /// The handshake's WebPKI verdict against --trust; null without --trust.
    pub trust: Option<TrustView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NameView {
    /// The --sni name, else the host as written.
    pub name: String,
    /// null when there is no certificate or the name cannot be checked (see error).
    pub covered: Option<bool>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrustView {
    /// The chain verifies to a --trust anchor.
    pub chain_verified: bool,
    /// null when the chain did not verify (the name is then not checked).
    pub name_matches: Option<bool>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertView {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub key: String,
    pub signature_algorithm: String,
    pub san: SanView,
    pub key_usage: Vec<&'static str>,
    pub extended_key_usage: Vec<String>,
    pub crl_urls: Vec<String>,
    pub ocsp_urls: Vec<String>,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SanView {
    pub dns: Vec<String>,
    pub ip: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectionsView {
    pub probe: usize,
    pub handshakes: usize,
    pub total: usize,
    /// The HTTP proxy each connection was a CONNECT tunnel through; null: direct.
    pub proxy: Option<ProxyView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProxyView {
    /// "http://host:port", never with credentials.
    pub url: String,
    /// The environment variable it came from: "HTTPS_PROXY", "https_proxy", "all_proxy", ….
    pub variable: &'static str,
}

impl EndpointView {
    pub fn of(e: &EndpointFacts) -> EndpointView {
        let p = &e.probe;
        let chain = if e.handshake.chain.is_empty() {
            &p.chain
        } else {
            &e.handshake.chain
        };
        let chain: Vec<CertificateFacts> = chain
            .iter()
            .filter_map(|der| CertificateFacts::from_der(der).ok())
            .collect();
        let leaf_key = chain.first().map(|c| &c.key);
        EndpointView {
            versions: p
                .versions
                .iter()
                .map(|v| VersionView {
                    version: v.version.name(),
                    accepted: v.accepted(),
                    error: v.error.clone(),
                })
                .collect(),
            suites: p
                .versions
                .iter()
                .filter(|v| v.accepted() || v.error.is_some())
                .map(|v| SuiteList {
                    version: v.version.name(),
                    server_order: v.server_order,
                    error: v.error.clone(),
                    suites: v
                        .suites
                        .iter()
                        .map(|id| {
                            suite_view(v.version, *id, p.exchange_of(v.version, *id), leaf_key)
                        })
                        .collect(),
                })
                .collect(),
            groups: p
                .groups
                .iter()
                .map(|g| GroupList {
                    version: g.version.name(),
                    server_order: g.server_order,
                    error: g.error.clone(),
                    groups: g.groups.iter().map(|id| group_view(*id)).collect(),
                })
                .collect(),
            dh: p
                .key_exchanges
                .iter()
                .filter_map(|k| match k.exchange {
                    Exchange::Dh { bits, name } => Some(DhView {
                        version: k.version.name(),
                        suite: Suite::name_of(k.suite),
                        prime_bits: bits,
                        group: name.label(),
                    }),
                    Exchange::Group(_) => None,
                })
                .collect(),
            client_auth: client_auth_view(e),
            handshake: handshake_view(&e.handshake),
            http: e.handshake.http.as_ref().map(|h| HttpView {
                status_line: h.status_line.clone(),
                version: h.version.clone(),
                status: h.status,
                certificate_refusal: h.refusal.map(|r| r.as_str()),
            }),
            certificate: CertificateView {
                chain: chain.iter().map(cert_view).collect(),
                ocsp_stapled: e.handshake.ocsp_stapled,
                name: name_view(e),
                trust: e.handshake.trust.as_ref().map(|t| match t {
                    TrustVerdict::Verified => TrustView {
                        chain_verified: true,
                        name_matches: Some(true),
                        error: None,
                    },
                    TrustVerdict::NameMismatch => TrustView {
                        chain_verified: true,
                        name_matches: Some(false),
                        error: None,
                    },
                    TrustVerdict::Failed(err) => TrustView {
                        chain_verified: false,
                        name_matches: None,
                        error: Some(err.clone()),
                    },
                }),
            },
            connections: ConnectionsView {
                probe: p.connections,
                handshakes: e.connections() - p.connections,
                total: e.connections(),
                proxy: e.proxy.as_ref().map(|p| ProxyView {
                    url: p.url.clone(),
                    variable: p.variable,
                }),
            },
        }
    }
}

fn name_view(e: &EndpointFacts) -> NameView {
    let (covered, error) = match e.leaf().map(|leaf| covers(leaf, &e.name)) {
        Some(Ok(covered)) => (Some(covered), None),
        Some(Err(err)) => (None, Some(err.to_string())),
        None => (
            None,
            Some("no certificate from the endpoint was seen".to_owned()),
        ),
    };
    NameView {
        name: e.name.clone(),
        covered,
        error,
    }
}

/// The key exchange a group stands for.
pub fn group_kind(id: u16) -> &'static str {
    match id {
        _ if group_is_ffdhe(id) => "DHE",
        0x11eb..=0x11ed => "ECDHE+ML-KEM",
        0x0200..=0x0202 => "ML-KEM",
        _ => "ECDHE",
    }
}

fn group_view(id: u16) -> GroupView {
    GroupView {
        name: group_name(id),
        code: format!("0x{id:04x}"),
        key_exchange: group_kind(id),
        bits: group_bits(id),
    }
}

/// A suite with the exchange seen with it. TLS 1.3 suites leave key exchange and
/// authentication to the group and the certificate, so those come from there.
pub fn suite_view(
    version: Version,
    id: u16,
    exchange: Option<Exchange>,
    leaf_key: Option<&KeyFacts>,
) -> SuiteView {
    let code = format!("0x{id:04x}");
    let Some(s) = Suite::by_id(id) else {
        return SuiteView {
            name: Suite::name_of(id),
            code,
            key_exchange: "unknown".to_owned(),
            group: exchange.map(Exchange::group),
            key_exchange_bits: exchange.and_then(Exchange::bits),
            authentication: "unknown".to_owned(),
            cipher: "unknown",
            cipher_mode: None,
            cipher_bits: 0,
            aead: false,
            mac: "unknown",
            hash_bits: 0,
            forward_secrecy: false,
        };
    };
    let tls13 = version == Version::Tls13;
    let key_exchange = match (tls13, exchange) {
        (true, Some(Exchange::Group(g))) => group_kind(g).to_owned(),
        (true, _) => "(EC)DHE".to_owned(),
        (false, _) => s.kx.to_owned(),
    };
    let authentication = match (tls13, leaf_key) {
        (true, Some(KeyFacts::Rsa { .. })) => "RSA".to_owned(),
        (true, Some(KeyFacts::Ec { .. })) => "ECDSA".to_owned(),
        (true, Some(KeyFacts::Ed25519)) => "Ed25519".to_owned(),
        (true, Some(KeyFacts::Ed448)) => "Ed448".to_owned(),
        (true, _) => "certificate".to_owned(),
        (false, _) => s.auth.to_owned(),
    };
    SuiteView {
        name: s.name.to_owned(),
        code,
        key_exchange,
        group: exchange.map(Exchange::group),
        key_exchange_bits: exchange.and_then(Exchange::bits),
        authentication,
        cipher: s.cipher,
        cipher_mode: (!s.mode.is_empty()).then_some(s.mode),
        cipher_bits: s.key_bits,
        aead: s.aead,
        mac: s.mac,
        hash_bits: s.hash_bits,
        forward_secrecy: s.secrecy == Secrecy::Forward,
    }
}

impl SuiteView {
    /// One line for the text report: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (ECDHE x25519
    /// 256-bit, RSA, AES-256-GCM, AEAD, forward-secret)".
    pub fn describe(&self) -> String {
        let kx = match (&self.group, self.key_exchange_bits) {
            (Some(g), Some(bits)) => format!("{} {g} {bits}-bit", self.key_exchange),
            (Some(g), None) => format!("{} {g}", self.key_exchange),
            _ => self.key_exchange.clone(),
        };
        let cipher = match self.cipher_mode {
            Some(mode) => format!("{}-{}-{mode}", self.cipher, self.cipher_bits),
            None => format!("{} {}-bit", self.cipher, self.cipher_bits),
        };
        let secrecy = if self.forward_secrecy {
            "forward-secret"
        } else if self.authentication == "none" {
            "anonymous"
        } else {
            "not forward-secret"
        };
        format!(
            "{} ({kx}, {}, {cipher}, {}, {secrecy})",
            self.name, self.authentication, self.mac
        )
    }
}

fn client_auth_view(e: &EndpointFacts) -> ClientAuthView {
    let auth = client_auth::classify(e);
    let trials = e
        .anonymous_trial()
        .into_iter()
        .chain(matches!(e.handshake.offered, Offered::Supplier { .. }).then_some(&e.handshake))
        .chain(e.foreign.as_ref())
        .map(trial_view)
        .collect();
    ClientAuthView {
        mode: auth.mode.as_ref().ok().copied(),
        enforced_at: match auth.mode {
            Ok(AuthMode::Required) => auth.refused_by,
            _ => None,
        },
        error: auth.mode.err(),
        ca_names: auth.ca_names,
        trials,
    }
}

fn trial_view(h: &HandshakeFacts) -> TrialView {
    let verdict = client_auth::verdict(h);
    let (result, refused_at) = match &verdict {
        TrialVerdict::Accepted { .. } => ("accepted", None),
        TrialVerdict::Refused { layer, .. } => ("refused", Some(*layer)),
        TrialVerdict::Unknown { .. } => ("unknown", None),
    };
    TrialView {
        certificate: match h.offered {
            Offered::Nothing => "none",
            Offered::Supplier { .. } => "supplier",
            Offered::Foreign { .. } => "foreign",
        },
        subject: h.offered.subject().map(str::to_owned),
        version: h.version.map(Version::name),
        requested: h.cert_requested,
        result,
        refused_at,
        alert: alert_of(&h.outcome),
        http_status: h.http.as_ref().map(|http| http.status),
        detail: verdict.describe(),
    }
}

fn alert_of(outcome: &HandshakeOutcome) -> Option<&'static str> {
    match outcome {
        HandshakeOutcome::FailedInHandshake { alert, .. } => alert.map(|a| a.name()),
        HandshakeOutcome::RejectedAfterHandshake { alert } => Some(alert.name()),
        _ => None,
    }
}

fn handshake_view(h: &HandshakeFacts) -> HandshakeView {
    let (result, detail) = match &h.outcome {
        HandshakeOutcome::Completed => ("completed", None),
        HandshakeOutcome::FailedInHandshake { error, .. } => ("failed", Some(error.clone())),
        HandshakeOutcome::RejectedAfterHandshake { alert } => {
            ("rejected", Some(format!("the server sent {alert}")))
        }
        HandshakeOutcome::NotUsable { reason, .. } => ("not_usable", Some(reason.clone())),
        HandshakeOutcome::HttpFailed(err) => ("http_failed", Some(err.clone())),
    };
    HandshakeView {
        client_certificate: h.offered.subject().map(str::to_owned),
        version: h.version.map(Version::name),
        suite: h.suite.clone(),
        group: h.group.clone(),
        result,
        alert: alert_of(&h.outcome),
        detail,
    }
}

fn cert_view(c: &CertificateFacts) -> CertView {
    CertView {
        subject: c.subject.clone(),
        issuer: c.issuer.clone(),
        serial: c.serial_hex.clone(),
        not_before: format_time(c.not_before),
        not_after: format_time(c.not_after),
        key: c.key.to_string(),
        signature_algorithm: c.signature.name.clone(),
        san: SanView {
            dns: c.dns_names.clone(),
            ip: c.ip_addresses.clone(),
        },
        key_usage: c
            .key_usage
            .as_ref()
            .map(|k| k.names.clone())
            .unwrap_or_default(),
        extended_key_usage: c
            .ext_key_usage
            .as_ref()
            .map(|k| k.names.clone())
            .unwrap_or_default(),
        crl_urls: c.crl_urls.clone(),
        ocsp_urls: c.ocsp_urls.clone(),
        sha256: c.sha256_fingerprint.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::dh::DhName;

    #[test]
    fn suites_are_described_with_their_key_exchange() {
        let rsa = KeyFacts::Rsa { bits: 3072 };
        let dhe = suite_view(
            Version::Tls12,
            0x009f,
            Some(Exchange::Dh {
                bits: 3072,
                name: DhName::Rfc3526(15),
            }),
            Some(&rsa),
        );
        assert_eq!(
            dhe.describe(),
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 (DHE RFC 3526 group 15 3072-bit, RSA, AES-256-GCM, AEAD, forward-secret)"
        );
        let chacha = suite_view(
            Version::Tls13,
            0x1303,
            Some(Exchange::Group(0x0101)),
            Some(&rsa),
        );
        assert_eq!(
            (
                chacha.key_exchange.as_str(),
                chacha.cipher_bits,
                chacha.cipher_mode
            ),
            ("DHE", 256, None)
        );
        assert_eq!(chacha.authentication, "RSA");
        assert_eq!(
            chacha.describe(),
            "TLS_CHACHA20_POLY1305_SHA256 (DHE ffdhe3072 3072-bit, RSA, CHACHA20-POLY1305 256-bit, AEAD, forward-secret)"
        );
        let rsa_kx = suite_view(Version::Tls12, 0x002f, None, None);
        assert_eq!(
            rsa_kx.describe(),
            "TLS_RSA_WITH_AES_128_CBC_SHA (RSA, RSA, AES-128-CBC, HMAC-SHA1, not forward-secret)"
        );
        assert_eq!(group_kind(0x11ec), "ECDHE+ML-KEM");
        assert_eq!(group_kind(0x0100), "DHE");
    }
}
