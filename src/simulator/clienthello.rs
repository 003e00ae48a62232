//! What a client offered: its first TLS record is read off the socket before rustls sees it,
//! parsed with tls-parser, and judged against the TLS rules (as an offer: what could this
//! client end up negotiating with a less careful server?). The bytes are then replayed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use serde::Serialize;
use tls_parser::{
    TlsCipherEnc, TlsCipherEncMode, TlsCipherKx, TlsCipherMac, TlsCipherSuite, TlsExtension,
    TlsMessage, TlsMessageHandshake, parse_tls_extensions, parse_tls_plaintext,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

use crate::findings::Finding;
use crate::profile::RuleId;

/// Largest first record we accept: a TLS record's payload limit plus its header.
const MAX_RECORD: usize = 5 + 16384;

/// The ClientHello as offered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClientHelloFacts {
    /// `legacy_version` of the ClientHello, e.g. "TLS 1.2".
    pub legacy_version: String,
    /// `supported_versions`, in the client's order (GREASE left out).
    pub supported_versions: Vec<String>,
    /// Cipher suites in the client's order, IANA names (unknown ones as hex).
    pub cipher_suites: Vec<String>,
    pub groups: Vec<String>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
}

/// Why a connection's first bytes are not a usable ClientHello.
#[derive(Debug, thiserror::Error)]
pub enum HelloError {
    #[error("the client sent no data before the handshake timeout")]
    Timeout,
    #[error("the client closed the connection before a ClientHello")]
    Closed,
    #[error("not TLS: the first bytes are {0}")]
    NotTls(String),
    #[error("the first TLS record is not a readable ClientHello: {0}")]
    Malformed(String),
    #[error("network error: {0}")]
    Io(#[from] io::Error),
}

/// Read the first TLS record from `stream` within `timeout`.
pub async fn read_first_record<S: AsyncRead + Unpin>(
    stream: &mut S,
    timeout: Duration,
) -> Result<Vec<u8>, HelloError> {
    let read = async {
        let mut header = [0u8; 5];
        stream
            .read_exact(&mut header)
            .await
            .map_err(eof_is_closed)?;
        if header[0] != 0x16 || header[1] != 0x03 {
            return Err(HelloError::NotTls(printable(&header)));
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if len == 0 || 5 + len > MAX_RECORD {
            return Err(HelloError::Malformed(format!("record length {len}")));
        }
        let mut record = vec![0u8; 5 + len];
        record[..5].copy_from_slice(&header);
        stream
            .read_exact(&mut record[5..])
            .await
            .map_err(eof_is_closed)?;
        Ok(record)
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| HelloError::Timeout)?
}

fn eof_is_closed(e: io::Error) -> HelloError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        HelloError::Closed
    } else {
        HelloError::Io(e)
    }
}

fn printable(bytes: &[u8]) -> String {
    let text: String = bytes
        .iter()
        .map(|b| {
            if b.is_ascii_graphic() || *b == b' ' {
                *b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{:02x?} (\"{text}\")", bytes)
}

fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

fn group_name(g: u16) -> String {
    match g {
        0x0017 => "secp256r1".into(),
        0x0018 => "secp384r1".into(),
        0x0019 => "secp521r1".into(),
        0x001d => "x25519".into(),
        0x001e => "x448".into(),
        0x0100 => "ffdhe2048".into(),
        0x0101 => "ffdhe3072".into(),
        0x0102 => "ffdhe4096".into(),
        0x11ec => "X25519MLKEM768".into(),
        0x11eb => "SecP256r1MLKEM768".into(),
        other => format!("0x{other:04x}"),
    }
}

/// Parse a ClientHello record.
pub fn parse(record: &[u8]) -> Result<ClientHelloFacts, HelloError> {
    let (_, plaintext) =
        parse_tls_plaintext(record).map_err(|e| HelloError::Malformed(format!("{e:?}")))?;
    let Some(TlsMessage::Handshake(TlsMessageHandshake::ClientHello(hello))) =
        plaintext.msg.first()
    else {
        return Err(HelloError::Malformed(
            "the first message is not a ClientHello".into(),
        ));
    };
    let mut facts = ClientHelloFacts {
        legacy_version: version_name(hello.version.0),
        cipher_suites: hello
            .ciphers
            .iter()
            .filter(|c| !is_grease(c.0))
            .map(|c| {
                TlsCipherSuite::from_id(c.0)
                    .map_or_else(|| format!("0x{:04x}", c.0), |s| s.name.to_owned())
            })
            .collect(),
        ..ClientHelloFacts::default()
    };
    if let Some(ext) = hello.ext {
        let (_, extensions) = parse_tls_extensions(ext)
            .map_err(|e| HelloError::Malformed(format!("extensions: {e:?}")))?;
        for e in extensions {
            match e {
                TlsExtension::SNI(names) => {
                    facts.sni = names
                        .first()
                        .map(|(_, n)| String::from_utf8_lossy(n).into_owned());
                }
                TlsExtension::SupportedVersions(v) => {
                    facts.supported_versions = v
                        .iter()
                        .filter(|v| !is_grease(v.0))
                        .map(|v| version_name(v.0))
                        .collect();
                }
                TlsExtension::EllipticCurves(groups) => {
                    facts.groups = groups
                        .iter()
                        .filter(|g| !is_grease(g.0))
                        .map(|g| group_name(g.0))
                        .collect();
                }
                TlsExtension::ALPN(protocols) => {
                    facts.alpn = protocols
                        .iter()
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .collect();
                }
                _ => {}
            }
        }
    }
    Ok(facts)
}

/// The versions the client offers: `supported_versions` if present, else `legacy_version`.
fn offered_versions(facts: &ClientHelloFacts) -> Vec<&str> {
    if facts.supported_versions.is_empty() {
        vec![facts.legacy_version.as_str()]
    } else {
        facts
            .supported_versions
            .iter()
            .map(String::as_str)
            .collect()
    }
}

/// Judge an offer against TLS-VERSION, TLS-FS and TLS-STRENGTH. The register negotiates only
/// what it accepts, so anything weaker in the offer is a warning (another server could pick it),
/// and an offer with nothing acceptable is a failure.
pub fn judge(facts: &ClientHelloFacts) -> Vec<Finding> {
    let mut findings = Vec::new();
    let versions = offered_versions(facts);
    let good: Vec<&str> = versions
        .iter()
        .copied()
        .filter(|v| *v == "TLS 1.2" || *v == "TLS 1.3")
        .collect();
    let old: Vec<&str> = versions
        .iter()
        .copied()
        .filter(|v| v.starts_with("SSL") || *v == "TLS 1.0" || *v == "TLS 1.1")
        .collect();
    findings.push(if good.is_empty() {
        Finding::fail(
            RuleId::TlsVersion,
            format!("the client offers only {}", versions.join(", ")),
        )
    } else if !old.is_empty() {
        Finding::warn(
            RuleId::TlsVersion,
            format!("the client also offers {}", old.join(", ")),
        )
    } else {
        Finding::pass(
            RuleId::TlsVersion,
            format!("the client offers {}", good.join(", ")),
        )
    });

    // Signalling values (…_SCSV) are not suites.
    let suites: Vec<&TlsCipherSuite> = facts
        .cipher_suites
        .iter()
        .filter(|n| !n.ends_with("_SCSV"))
        .filter_map(|n| TlsCipherSuite::from_name(n))
        .collect();
    let not_fs: Vec<&str> = suites
        .iter()
        .filter(|s| {
            !matches!(
                s.kx,
                TlsCipherKx::Ecdhe | TlsCipherKx::Dhe | TlsCipherKx::Tls13
            )
        })
        .map(|s| s.name)
        .collect();
    let fs_count = suites.len() - not_fs.len();
    findings.push(if fs_count == 0 {
        Finding::fail(RuleId::TlsFs, "the client offers no forward-secret suite")
    } else if !not_fs.is_empty() {
        Finding::warn(
            RuleId::TlsFs,
            format!(
                "the client also offers suites without forward secrecy: {}",
                not_fs.join(", ")
            ),
        )
    } else {
        Finding::pass(
            RuleId::TlsFs,
            format!("all {fs_count} offered suites are forward-secret"),
        )
    });

    let weak: Vec<&str> = suites
        .iter()
        .filter(|s| !strong(s))
        .map(|s| s.name)
        .collect();
    findings.push(if weak.len() == suites.len() {
        Finding::fail(
            RuleId::TlsStrength,
            "the client offers no AEAD suite with AES ≥ 128 or ChaCha20",
        )
    } else if !weak.is_empty() {
        Finding::warn(
            RuleId::TlsStrength,
            format!(
                "the client also offers suites below ST IV (not AEAD): {}",
                weak.join(", ")
            ),
        )
    } else {
        Finding::pass(
            RuleId::TlsStrength,
            "every offered suite is AEAD with a 128-bit or stronger cipher",
        )
    });
    findings
}

fn strong(s: &TlsCipherSuite) -> bool {
    let aead = s.mac == TlsCipherMac::Aead
        && matches!(s.enc_mode, TlsCipherEncMode::Gcm)
        && s.enc == TlsCipherEnc::Aes
        && s.enc_size >= 128;
    aead || s.enc == TlsCipherEnc::Chacha20_Poly1305
}

/// A stream that first yields bytes already read from `inner`, then reads `inner` itself.
pub struct Replay<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Replay<S> {
    pub fn new(prefix: Vec<u8>, inner: S) -> Self {
        Replay {
            prefix,
            pos: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.pos < self.prefix.len() {
            let n = buf.remaining().min(self.prefix.len() - self.pos);
            let start = self.pos;
            buf.put_slice(&self.prefix[start..start + n]);
            self.pos += n;
            if self.pos == self.prefix.len() {
                self.prefix = Vec::new();
                self.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
