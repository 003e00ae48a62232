//! What was observed about an endpoint: plain data for the checks.

use crate::tls::dh::DhName;

/// A protocol version the prober can offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    Ssl3,
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl Version {
    pub const ALL: [Version; 5] = [
        Version::Tls13,
        Version::Tls12,
        Version::Tls11,
        Version::Tls10,
        Version::Ssl3,
    ];

    pub fn wire(self) -> u16 {
        match self {
            Version::Ssl3 => 0x0300,
            Version::Tls10 => 0x0301,
            Version::Tls11 => 0x0302,
            Version::Tls12 => 0x0303,
            Version::Tls13 => 0x0304,
        }
    }

    /// The version a ServerHello's version field names.
    pub fn from_wire(wire: u16) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.wire() == wire)
    }

    pub fn name(self) -> &'static str {
        match self {
            Version::Ssl3 => "SSL 3.0",
            Version::Tls10 => "TLS 1.0",
            Version::Tls11 => "TLS 1.1",
            Version::Tls12 => "TLS 1.2",
            Version::Tls13 => "TLS 1.3",
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What one protocol version negotiates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionFacts {
    pub version: Version,
    /// Suites the server accepted, in the order it chose them.
    pub suites: Vec<u16>,
    /// Whether that order is the server's own: `Some(false)` when the server follows the
    /// client's order instead; None when fewer than two suites were accepted.
    pub server_order: Option<bool>,
    /// Why the enumeration stopped early, if it did: the list above may be incomplete.
    pub error: Option<String>,
}

impl VersionFacts {
    pub fn accepted(&self) -> bool {
        !self.suites.is_empty()
    }
}

/// How one suite's keys were agreed in the round that found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exchange {
    /// A named group: the ECDHE curve of a TLS 1.2 ServerKeyExchange, or the TLS 1.3 group
    /// (FFDHE ones included) of the server's hello.
    Group(u16),
    /// Finite-field DH with a prime the server sent (TLS 1.2 and older).
    Dh { bits: u32, name: DhName },
}

impl Exchange {
    /// The size the strength rules use: the curve's field, the group's or the prime's bits.
    pub fn bits(self) -> Option<u32> {
        match self {
            Exchange::Group(g) => group_bits(g),
            Exchange::Dh { bits, .. } => Some(bits),
        }
    }

    /// "x25519", "ffdhe3072", "RFC 3526 group 15", "custom".
    pub fn group(self) -> String {
        match self {
            Exchange::Group(g) => group_name(g),
            Exchange::Dh { name, .. } => name.label(),
        }
    }
}

/// The key exchange the server used with a suite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyExchangeFacts {
    pub version: Version,
    pub suite: u16,
    pub exchange: Exchange,
}

/// The key-exchange groups of one version, learned by elimination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupFacts {
    pub version: Version,
    /// Groups the server accepted, in the order it chose them.
    pub groups: Vec<u16>,
    /// Whether that order is the server's own (`Some(false)`: it follows the client's);
    /// None when fewer than two groups were accepted.
    pub server_order: Option<bool>,
    /// Why the enumeration stopped early, if it did.
    pub error: Option<String>,
}

/// The server's CertificateRequest, seen without sending any certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertRequestFacts {
    /// Acceptable CA names, as distinguished-name strings.
    pub ca_names: Vec<String>,
}

/// Everything the raw prober learned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeFacts {
    /// Newest version first.
    pub versions: Vec<VersionFacts>,
    /// Groups per version (TLS 1.3, and TLS 1.2's ECDHE curves), newest first; a version
    /// without (EC)DHE groups has no entry.
    pub groups: Vec<GroupFacts>,
    /// The first key exchange seen with each (version, suite), in the order found.
    pub key_exchanges: Vec<KeyExchangeFacts>,
    /// Set when a TLS 1.2-or-earlier handshake carried a CertificateRequest.
    pub cert_request: Option<CertRequestFacts>,
    /// The server's chain (leaf first) from a TLS 1.2-or-earlier handshake, DER.
    pub chain: Vec<Vec<u8>>,
    /// TCP connections opened, retries included.
    pub connections: usize,
}

impl ProbeFacts {
    /// The groups of one version, if it had any.
    pub fn groups_of(&self, version: Version) -> Option<&GroupFacts> {
        self.groups.iter().find(|g| g.version == version)
    }

    /// How the server agreed keys for this suite, if a round showed it.
    pub fn exchange_of(&self, version: Version, suite: u16) -> Option<Exchange> {
        self.key_exchanges
            .iter()
            .find(|k| k.version == version && k.suite == suite)
            .map(|k| k.exchange)
    }
}

/// How a real handshake ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakeOutcome {
    /// Handshake done and an HTTP answer read.
    Completed,
    /// The handshake itself failed (TLS 1.2 rejections land here): `by_server` when the
    /// server ended it (an alert, which `alert` names, or a closed connection), not when the
    /// answer was late or could not be read.
    FailedInHandshake {
        error: String,
        alert: Option<Alert>,
        by_server: bool,
    },
    /// The client could not go along with what the server chose (a DH prime it refuses, no
    /// parameter in common): says nothing about the client certificate. `own_limit` when
    /// the limit is tilicheck's, not a weakness of the server.
    NotUsable { reason: String, own_limit: bool },
    /// The handshake finished but the server's first record was an alert: how TLS 1.3
    /// servers reject a client certificate.
    RejectedAfterHandshake { alert: Alert },
    /// Handshake done, but the HTTP exchange failed for another reason.
    HttpFailed(String),
}

/// A TLS alert the server sent, by its IANA number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert(pub u8);

impl Alert {
    /// The IANA registry name ("certificate_required").
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            41 => "no_certificate",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            60 => "export_restriction",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            111 => "certificate_unobtainable",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            114 => "bad_certificate_hash_value",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            _ => "unassigned",
        }
    }
}

impl std::fmt::Display for Alert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "alert {} ({})", self.name(), self.0)
    }
}

/// An HTTP answer that refuses the client's certificate, as nginx does when it asks for a
/// certificate in TLS but enforces it only at the HTTP level (`ssl_verify_client on` or
/// `optional`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpCertRefusal {
    /// "400 No required SSL certificate was sent" (nginx), 496.
    NoCertificate,
    /// "400 The SSL certificate error" (nginx), 495: a certificate came but did not verify.
    BadCertificate,
}

impl HttpCertRefusal {
    /// Recognise a refusal from the status and the start of the answer (head and body).
    pub fn recognise(status: u16, answer: &str) -> Option<HttpCertRefusal> {
        match status {
            496 => Some(HttpCertRefusal::NoCertificate),
            495 => Some(HttpCertRefusal::BadCertificate),
            400 | 403 if answer.contains("No required SSL certificate was sent") => {
                Some(HttpCertRefusal::NoCertificate)
            }
            400 | 403 if answer.contains("The SSL certificate error") => {
                Some(HttpCertRefusal::BadCertificate)
            }
            _ => None,
        }
    }

    /// What the server meant, for reports.
    pub fn meaning(self) -> &'static str {
        match self {
            HttpCertRefusal::NoCertificate => "the server received no client certificate",
            HttpCertRefusal::BadCertificate => "the server could not verify the client certificate",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HttpCertRefusal::NoCertificate => "no_certificate",
            HttpCertRefusal::BadCertificate => "bad_certificate",
        }
    }
}

/// The HTTP answer to one `GET /`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpFacts {
    /// The whole status line, "HTTP/1.1 200 OK".
    pub status_line: String,
    /// "HTTP/1.1", as the status line says.
    pub version: String,
    pub status: u16,
    /// Set when the answer refuses the client certificate (the TLS handshake let it through).
    pub refusal: Option<HttpCertRefusal>,
}

/// Which client certificate a handshake offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offered {
    /// No certificate: an anonymous client.
    Nothing,
    /// The user's certificate (subject), with how many certificates its chain holds.
    Supplier { subject: String, chain_len: usize },
    /// A certificate from a CA tilicheck made up for the test, which no server should trust.
    Foreign { subject: String },
}

impl Offered {
    /// The offered certificate's subject, if any.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Offered::Nothing => None,
            Offered::Supplier { subject, .. } | Offered::Foreign { subject } => Some(subject),
        }
    }
}

/// A real rustls handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeFacts {
    /// The client certificate configured (and offered if asked for).
    pub offered: Offered,
    pub version: Option<Version>,
    /// The IANA suite name.
    pub suite: Option<String>,
    pub group: Option<String>,
    /// The server sent a CertificateRequest (TLS 1.2 or 1.3).
    pub cert_requested: bool,
    /// The acceptable-CA hints of that request.
    pub ca_hints: Vec<String>,
    pub outcome: HandshakeOutcome,
    pub http: Option<HttpFacts>,
    /// The server's chain (leaf first), DER.
    pub chain: Vec<Vec<u8>>,
    /// The WebPKI verdict against `--trust`, when one was given.
    pub trust: Option<TrustVerdict>,
    /// The server stapled an OCSP response to its certificate.
    pub ocsp_stapled: bool,
    /// TCP connections the handshake opened (two when the server's own DH prime needed a
    /// second attempt).
    pub connections: usize,
}

/// The handshake's own WebPKI verdict on the server's chain against `--trust`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustVerdict {
    /// The chain verifies and the certificate is for the name.
    Verified,
    /// The chain verifies (it is checked first), but the certificate is not for the name
    /// connected to: TLS-NAME's matter, not the chain's.
    NameMismatch,
    /// The chain does not verify.
    Failed(String),
}

/// An endpoint: the raw probe and the real handshakes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointFacts {
    /// "host:port" as the user named it.
    pub endpoint: String,
    /// The name the certificate should be for: the `--sni` name, else the host.
    pub name: String,
    pub probe: ProbeFacts,
    /// With the user's certificate, or with none when none was given.
    pub handshake: HandshakeFacts,
    /// Without a certificate; None when `handshake` already offered none.
    pub anonymous: Option<HandshakeFacts>,
    /// With a certificate from a foreign CA; None when none could be made.
    pub foreign: Option<HandshakeFacts>,
    /// The HTTP proxy every connection was tunnelled through; None: straight to the endpoint.
    pub proxy: Option<ProxyFacts>,
}

/// A proxy as a report may name it: its URL without credentials, and the variable that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyFacts {
    pub url: String,
    pub variable: &'static str,
}

impl EndpointFacts {
    /// The endpoint's own certificate (DER): from the real handshake, else from the probe.
    pub fn leaf(&self) -> Option<&[u8]> {
        self.handshake
            .chain
            .first()
            .or(self.probe.chain.first())
            .map(Vec::as_slice)
    }

    /// Every real handshake made: the main one, then the anonymous and foreign trials.
    pub fn handshakes(&self) -> impl Iterator<Item = &HandshakeFacts> {
        std::iter::once(&self.handshake)
            .chain(self.anonymous.as_ref())
            .chain(self.foreign.as_ref())
    }

    /// The handshake made without a certificate.
    pub fn anonymous_trial(&self) -> Option<&HandshakeFacts> {
        match self.handshake.offered {
            Offered::Nothing => Some(&self.handshake),
            _ => self.anonymous.as_ref(),
        }
    }

    /// The server asked for a client certificate in any handshake.
    pub fn asks_for_client_cert(&self) -> bool {
        self.probe.cert_request.is_some() || self.handshakes().any(|h| h.cert_requested)
    }

    /// TCP connections opened: the probe's and one per real handshake (a retry with the
    /// server's own DH prime counts too).
    pub fn connections(&self) -> usize {
        self.probe.connections + self.handshakes().map(|h| h.connections).sum::<usize>()
    }
}

/// A group's name for reports.
pub fn group_name(id: u16) -> String {
    let name = match id {
        0x0013 => "secp192r1",
        0x0015 => "secp224r1",
        0x0016 => "secp256k1",
        0x0017 => "secp256r1",
        0x0018 => "secp384r1",
        0x0019 => "secp521r1",
        0x001a => "brainpoolP256r1",
        0x001b => "brainpoolP384r1",
        0x001c => "brainpoolP512r1",
        0x001d => "x25519",
        0x001e => "x448",
        0x0100 => "ffdhe2048",
        0x0101 => "ffdhe3072",
        0x0102 => "ffdhe4096",
        0x0103 => "ffdhe6144",
        0x0104 => "ffdhe8192",
        0x11ec => "X25519MLKEM768",
        _ => return format!("group 0x{id:04x}"),
    };
    name.to_owned()
}

/// A group's size in the sense the strength rules use: the curve's field size, or the FFDHE
/// prime size.
pub fn group_bits(id: u16) -> Option<u32> {
    Some(match id {
        0x0013 => 192,
        0x0015 => 224,
        0x0016 | 0x0017 | 0x001a => 256,
        // Curve25519 is a 255-bit field with the same ~128-bit security as P-256.
        0x001d => 256,
        0x0018 | 0x001b => 384,
        0x001e => 448,
        0x001c => 512,
        0x0019 => 521,
        0x0100 => 2048,
        0x0101 => 3072,
        0x0102 => 4096,
        0x0103 => 6144,
        0x0104 => 8192,
        _ => return None,
    })
}

/// FFDHE groups are finite-field: judged against the DH minimum, not the curve one.
pub fn group_is_ffdhe(id: u16) -> bool {
    (0x0100..=0x01ff).contains(&id)
}
