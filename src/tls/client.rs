//! The one TLS client every outbound handshake uses (`tls`, `send`, `readiness`, the Vero
//! client): rustls with aws-lc-rs for everything it has, plus finite-field DHE ([`dh`]) so a
//! register configured to the letter of §3.2 ("ephemeral Diffie-Hellman") can be reached.
//!
//! A TLS 1.2 server may send a prime of its own. rustls accepts only primes it was given
//! before the handshake, so [`drive`] keeps the server's first flight; when the server chose
//! an unknown prime it validates that prime and tries once more with it.
//!
//! [`dh`]: crate::tls::dh

use std::io::{Read, Write};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use rustls::crypto::{CryptoProvider, KeyExchangeAlgorithm, SupportedKxGroup, aws_lc_rs};
use rustls::{CipherSuite, CipherSuiteCommon, SupportedCipherSuite, Tls12CipherSuite};

use crate::tls::dh::kx::{FfdheKx, NAMED};
use crate::tls::dh::validate::{DhRefusal, group_for};
use crate::tls::dh::{DhName, DhParams};
use crate::tls::server_hello::{MAX_FLIGHT, Until, read_flight};

/// TLS_DHE_RSA_WITH_AES_{128,256}_GCM_SHA{256,384}: aws-lc-rs's ECDHE_RSA suites with the
/// key exchange swapped. Record protection, PRF and signatures are the same by definition
/// (RFC 5288); only how the premaster secret is agreed differs.
static DHE_SUITES: LazyLock<Vec<Tls12CipherSuite>> = LazyLock::new(|| {
    use aws_lc_rs::cipher_suite as cs;
    [
        (
            cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            CipherSuite::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
        ),
        (
            cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
        ),
    ]
    .into_iter()
    .filter_map(|(base, id)| match base {
        SupportedCipherSuite::Tls12(b) => Some(Tls12CipherSuite {
            common: CipherSuiteCommon {
                suite: id,
                ..b.common
            },
            kx: KeyExchangeAlgorithm::DHE,
            ..*b
        }),
        SupportedCipherSuite::Tls13(_) => None,
    })
    .collect()
});

/// The DHE suites, strongest first.
pub fn dhe_suites() -> Vec<SupportedCipherSuite> {
    DHE_SUITES.iter().map(SupportedCipherSuite::Tls12).collect()
}

/// The classical curves. With prefer-post-quantum rustls would offer X25519MLKEM768 first,
/// and reports should show what a plain TLS client gets.
fn curves() -> Vec<&'static dyn SupportedKxGroup> {
    vec![
        aws_lc_rs::kx_group::X25519,
        aws_lc_rs::kx_group::SECP256R1,
        aws_lc_rs::kx_group::SECP384R1,
    ]
}

/// The client's provider: aws-lc-rs's AEAD suites, then DHE; the curves, then the RFC 7919
/// groups (so a server that has both picks ECDHE, as it would with any browser).
pub fn provider() -> CryptoProvider {
    provider_with(None)
}

/// The same, also offering a prime the server chose itself (TLS 1.2 only).
pub fn provider_with(server_group: Option<&'static FfdheKx>) -> CryptoProvider {
    let mut kx_groups = curves();
    kx_groups.extend(NAMED.iter().map(|k| *k as &'static dyn SupportedKxGroup));
    if let Some(g) = server_group {
        kx_groups.push(g);
    }
    let mut cipher_suites = aws_lc_rs::default_provider().cipher_suites;
    cipher_suites.extend(dhe_suites());
    CryptoProvider {
        cipher_suites,
        kx_groups,
        ..aws_lc_rs::default_provider()
    }
}

/// The smallest DH prime the client computes with: the profile's (both interfaces share one
/// TLS policy). A smaller prime is refused, not silently used.
pub fn min_dh_bits() -> u32 {
    crate::profile::Interface::V3
        .profile()
        .tls
        .min_dh_bits
        .value
}

/// A transport that keeps the first bytes the server sent: the plaintext first flight, where
/// a TLS 1.2 server's DH parameters are.
pub struct Recording<S> {
    pub inner: S,
    seen: Vec<u8>,
}

impl<S> Recording<S> {
    pub fn new(inner: S) -> Self {
        Recording {
            inner,
            seen: Vec::new(),
        }
    }

    /// The DH parameters of the server's ServerKeyExchange, if the flight held one.
    fn server_dh(&self) -> Option<DhParams> {
        self.flight().and_then(|f| f.dh)
    }

    /// Whether the server answered with a ServerHello at all.
    fn server_hello_seen(&self) -> bool {
        self.flight().is_some_and(|f| f.hello.is_some())
    }

    fn flight(&self) -> Option<crate::tls::server_hello::Flight> {
        let deadline = Instant::now() + Duration::from_secs(1);
        read_flight(&mut self.seen.as_slice(), Until::HelloDone, deadline).ok()
    }
}

impl<S: Read> Read for Recording<S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = MAX_FLIGHT.saturating_sub(self.seen.len());
        self.seen.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
}

impl<S: Write> Write for Recording<S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub type Stream<S> = rustls::StreamOwned<rustls::ClientConnection, Recording<S>>;

/// A handshake that did not complete.
#[derive(Debug)]
pub struct Failure {
    pub error: std::io::Error,
    /// Set when the failure is tilicheck's side of the conversation, not the server's
    /// answer to the certificate: what the server chose that the client would not use.
    pub not_usable: Option<NotUsable>,
}

/// Why the client could not go along with the server.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotUsable {
    /// The server's DH group was refused.
    #[error("tilicheck did not use the server's {} DH group: {refusal}", name.label())]
    DhGroup { name: DhName, refusal: DhRefusal },
    /// The server refused the ClientHello: none of the versions, suites or groups tilicheck's
    /// handshake offers (TLS 1.2/1.3, (EC)DHE with AES-GCM or ChaCha20) is one it accepts.
    #[error(
        "the server refused everything tilicheck's handshake offers (TLS 1.2/1.3, ECDHE or DHE with AES-GCM/ChaCha20-Poly1305): {0}"
    )]
    NoCommonParameters(String),
}

impl NotUsable {
    /// The limit is tilicheck's own (not a weakness the server's findings would show).
    pub fn is_own_limit(&self) -> bool {
        match self {
            NotUsable::DhGroup { refusal, .. } => refusal.is_own_limit(),
            NotUsable::NoCommonParameters(_) => true,
        }
    }
}

/// Open a connection with `open` (given the provider to use) and complete the handshake;
/// once more with the server's own DH prime if it chose one the first attempt did not offer.
pub fn drive<S: Read + Write, E>(
    mut open: impl FnMut(Arc<CryptoProvider>) -> Result<Stream<S>, E>,
) -> Result<Result<Stream<S>, Failure>, E> {
    let mut tls = open(Arc::new(provider()))?;
    let error = match complete(&mut tls) {
        Ok(()) => return Ok(Ok(tls)),
        Err(e) => e,
    };
    if !matches!(
        tls_error(&error),
        Some(rustls::Error::PeerMisbehaved(
            rustls::PeerMisbehaved::SelectedUnofferedKxGroup
        ))
    ) {
        let not_usable = match tls_error(&error) {
            Some(rustls::Error::AlertReceived(alert)) if !tls.sock.server_hello_seen() => Some(
                NotUsable::NoCommonParameters(format!("the server answered alert {alert:?}")),
            ),
            _ => None,
        };
        return Ok(Err(Failure { error, not_usable }));
    }
    let Some(params) = tls.sock.server_dh() else {
        return Ok(Err(Failure {
            error,
            not_usable: None,
        }));
    };
    // Close the first connection before the second: a server that serves one connection at
    // a time (openssl s_server) would otherwise wait on it while the retry times out.
    drop(tls);
    let group = match group_for(&params, min_dh_bits()) {
        Ok(g) => g,
        Err(refusal) => {
            return Ok(Err(Failure {
                error,
                not_usable: Some(NotUsable::DhGroup {
                    name: params.name(),
                    refusal,
                }),
            }));
        }
    };
    let mut tls = open(Arc::new(provider_with(Some(group))))?;
    Ok(match complete(&mut tls) {
        Ok(()) => Ok(tls),
        Err(error) => Err(Failure {
            error,
            not_usable: None,
        }),
    })
}

fn complete<S: Read + Write>(tls: &mut Stream<S>) -> std::io::Result<()> {
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(())
}

/// The rustls error inside an I/O error, if any.
pub fn tls_error(e: &std::io::Error) -> Option<&rustls::Error> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// The negotiated group's name as reports write it ("x25519", "ffdhe3072"); a server's own
/// prime is named by what it is.
pub fn group_label(conn: &rustls::ClientConnection) -> Option<String> {
    let group = conn.negotiated_key_exchange_group()?;
    match group.name() {
        crate::tls::dh::kx::CUSTOM_GROUP => Some(
            group
                .ffdhe_group()
                .map(|g| DhParams::new(g.p, g.g))
                .map_or("custom".to_owned(), |p| {
                    format!("{}-bit {}", p.bits(), p.name().label())
                }),
        ),
        other => Some(crate::tls::facts::group_name(u16::from(other))),
    }
}

/// A negotiated version as reports name it ("TLS 1.3"); None for anything older, which
/// rustls never negotiates.
pub fn version(v: rustls::ProtocolVersion) -> Option<crate::tls::facts::Version> {
    use crate::tls::facts::Version;
    match v {
        rustls::ProtocolVersion::TLSv1_3 => Some(Version::Tls13),
        rustls::ProtocolVersion::TLSv1_2 => Some(Version::Tls12),
        _ => None,
    }
}

/// A negotiated suite's IANA name ("TLS_AES_256_GCM_SHA384"), the name every report uses.
pub fn suite_name(s: rustls::CipherSuite) -> String {
    crate::tls::suites::Suite::name_of(u16::from(s))
}
