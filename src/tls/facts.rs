//! What was observed about an endpoint: plain data for the checks.

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

/// A key-exchange parameter the server used with a suite in TLS 1.2 or earlier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyExchangeFacts {
    pub version: Version,
    pub suite: u16,
    /// Finite-field DH prime size in bits (DHE suites).
    pub dh_bits: Option<u32>,
    /// Named curve (ECDHE suites).
    pub curve: Option<u16>,
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
    /// Key-exchange groups the server accepts, in its order of preference.
    pub groups: Vec<u16>,
    /// Which handshake the groups were learned from ("TLS 1.3" or "TLS 1.2 ECDHE").
    pub groups_from: Option<Version>,
    pub groups_error: Option<String>,
    pub key_exchanges: Vec<KeyExchangeFacts>,
    /// Set when a TLS 1.2-or-earlier handshake carried a CertificateRequest.
    pub cert_request: Option<CertRequestFacts>,
    /// The server's chain (leaf first) from a TLS 1.2-or-earlier handshake, DER.
    pub chain: Vec<Vec<u8>>,
    /// TCP connections opened, retries included.
    pub connections: usize,
}

/// How the real handshake with the user's certificate ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakeOutcome {
    /// Handshake done and an HTTP answer read.
    Completed,
    /// The handshake itself failed (TLS 1.2 rejections land here).
    FailedInHandshake(String),
    /// The client could not go along with what the server chose (a DH prime it refuses, no
    /// parameter in common): says nothing about the client certificate. `own_limit` when
    /// the limit is tilicheck's, not a weakness of the server.
    NotUsable { reason: String, own_limit: bool },
    /// The handshake finished but the server's first record was an alert: how TLS 1.3
    /// servers reject a client certificate.
    RejectedAfterHandshake(String),
    /// Handshake done, but the HTTP exchange failed for another reason.
    HttpFailed(String),
}

/// The HTTP answer to one `GET /`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpFacts {
    /// "HTTP/1.1", as the status line says.
    pub version: String,
    pub status: u16,
}

/// A real rustls handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeFacts {
    /// A client certificate was configured (and offered if asked for).
    pub client_cert: Option<String>,
    /// How many certificates the client offered (leaf plus intermediates).
    pub client_chain_len: usize,
    pub version: Option<String>,
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
    pub trust: Option<Result<(), String>>,
}

/// An endpoint: the raw probe and the real handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointFacts {
    /// "host:port" as the user named it.
    pub endpoint: String,
    pub probe: ProbeFacts,
    pub handshake: HandshakeFacts,
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

    /// The server asked for a client certificate in any handshake.
    pub fn asks_for_client_cert(&self) -> bool {
        self.probe.cert_request.is_some() || self.handshake.cert_requested
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
