//! Reading the server's first flight: records buffered until whole, handshake messages
//! reassembled across records (and split out when several share one), every length checked
//! against what is left. Malformed input is an error value, never a panic.

use std::io::Read;
use std::time::Instant;

/// Largest record a server may send: 2^14 plaintext plus the 2048 bytes TLS allows for
/// expansion (RFC 5246 §6.2.3).
pub const MAX_RECORD: usize = 16384 + 2048;
/// Most bytes read from one server before giving up: a first flight with a long chain fits.
pub const MAX_FLIGHT: usize = 256 * 1024;

/// The magic random of a TLS 1.3 HelloRetryRequest (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Why the server's answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("no answer within the read timeout")]
    Timeout,
    #[error("the connection closed before any answer")]
    ClosedBeforeAnswer,
    #[error("the connection closed in the middle of a record ({got} of {want} bytes)")]
    ClosedMidRecord { got: usize, want: usize },
    #[error("the connection closed before the server finished its first flight")]
    ClosedMidFlight,
    #[error("not a TLS server: got '{0}'")]
    NotTls(String),
    #[error("the server sent a {0}-byte record; TLS allows at most {MAX_RECORD}")]
    OversizedRecord(usize),
    #[error("the server sent more than {MAX_FLIGHT} bytes without finishing its first flight")]
    TooMuchData,
    #[error("malformed {what}: {problem}")]
    Malformed {
        what: &'static str,
        problem: &'static str,
    },
    #[error("network error: {0}")]
    Io(String),
}

impl ReadError {
    /// A failure that another attempt might not repeat.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ReadError::Timeout
                | ReadError::ClosedMidRecord { .. }
                | ReadError::ClosedMidFlight
                | ReadError::Io(_)
        )
    }
}

/// A parsed ServerHello or HelloRetryRequest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// The negotiated version: `supported_versions` when present, else the legacy field.
    pub version: u16,
    pub suite: u16,
    pub retry_request: bool,
    /// The key_share group (TLS 1.3), or the group a HelloRetryRequest asks for.
    pub group: Option<u16>,
}

/// What the server's first flight said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flight {
    pub hello: Option<ServerHello>,
    /// A fatal or warning alert (level, description).
    pub alert: Option<(u8, u8)>,
    pub chain: Vec<Vec<u8>>,
    pub dh_bits: Option<u32>,
    /// The DH prime and generator (DHE suites).
    pub dh: Option<crate::tls::dh::DhParams>,
    pub curve: Option<u16>,
    /// `Some` when a CertificateRequest was seen; its acceptable CA names (DER).
    pub cert_request: Option<Vec<Vec<u8>>>,
    pub hello_done: bool,
}

/// How far to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// Stop at the ServerHello (or an alert).
    Hello,
    /// Read on to ServerHelloDone (TLS 1.2 and earlier): certificate, key exchange, request.
    HelloDone,
}

/// Read the first flight from `stream` until `until` is met, an alert arrives, or `deadline`.
pub fn read_flight<R: Read>(
    stream: &mut R,
    until: Until,
    deadline: Instant,
) -> Result<Flight, ReadError> {
    let mut reader = Records {
        stream,
        buf: Vec::new(),
        total: 0,
        deadline,
    };
    let mut flight = Flight::default();
    let mut handshake: Vec<u8> = Vec::new();
    let mut kx_kind: Option<KxKind> = None;
    loop {
        let Some((kind, body)) = reader.next(flight.hello.is_some() || !handshake.is_empty())?
        else {
            return if flight.hello.is_some() && until == Until::Hello {
                Ok(flight)
            } else if flight.hello.is_some() || !handshake.is_empty() {
                Err(ReadError::ClosedMidFlight)
            } else {
                Err(ReadError::ClosedBeforeAnswer)
            };
        };
        match kind {
            21 => {
                if body.len() < 2 {
                    return Err(malformed("alert", "shorter than 2 bytes"));
                }
                flight.alert = Some((body[0], body[1]));
                return Ok(flight);
            }
            22 => handshake.extend_from_slice(&body),
            // ChangeCipherSpec (TLS 1.3 middlebox compatibility) and encrypted data: the
            // plaintext part of the flight is over.
            20 | 23 => {
                if flight.hello.is_some() {
                    return Ok(flight);
                }
                return Err(malformed("first flight", "record before the ServerHello"));
            }
            _ => return Err(malformed("record", "unknown content type")),
        }
        // Take every whole handshake message buffered so far.
        while handshake.len() >= 4 {
            let len = u24(&handshake[1..4]);
            if len > MAX_FLIGHT {
                return Err(malformed(
                    "handshake message",
                    "length beyond any first flight",
                ));
            }
            if handshake.len() < 4 + len {
                break;
            }
            let msg: Vec<u8> = handshake.drain(..4 + len).collect();
            let (msg_type, msg_body) = (msg[0], &msg[4..]);
            match msg_type {
                2 => {
                    let hello = parse_server_hello(msg_body)?;
                    kx_kind = kx_kind_of(hello.suite);
                    let tls13 = hello.version == 0x0304 || hello.retry_request;
                    flight.hello = Some(hello);
                    if until == Until::Hello || tls13 {
                        return Ok(flight);
                    }
                }
                _ if flight.hello.is_none() => {
                    return Err(malformed(
                        "first flight",
                        "handshake message before the ServerHello",
                    ));
                }
                11 => flight.chain = parse_certificate(msg_body)?,
                12 => match kx_kind {
                    Some(KxKind::Dhe) => {
                        let dh = parse_dh_params(msg_body)?;
                        flight.dh_bits = Some(dh.bits());
                        flight.dh = Some(dh);
                    }
                    Some(KxKind::Ecdhe) => flight.curve = Some(parse_ec_params(msg_body)?),
                    None => {}
                },
                13 => {
                    flight.cert_request = Some(parse_cert_request(msg_body, version_of(&flight))?)
                }
                14 => {
                    flight.hello_done = true;
                    return Ok(flight);
                }
                // Certificate status and anything else in the flight: not needed.
                _ => {}
            }
        }
    }
}

fn version_of(flight: &Flight) -> u16 {
    flight.hello.as_ref().map_or(0x0303, |h| h.version)
}

#[derive(Clone, Copy)]
enum KxKind {
    Dhe,
    Ecdhe,
}

fn kx_kind_of(suite: u16) -> Option<KxKind> {
    match crate::tls::suites::Suite::by_id(suite)?.kx {
        "DHE" => Some(KxKind::Dhe),
        "ECDHE" => Some(KxKind::Ecdhe),
        _ => None,
    }
}

/// Reads whole records, enforcing the size caps and the deadline.
struct Records<'a, R> {
    stream: &'a mut R,
    buf: Vec<u8>,
    total: usize,
    deadline: Instant,
}

impl<R: Read> Records<'_, R> {
    /// The next record (content type, body), or None at a clean end of stream.
    fn next(&mut self, answered: bool) -> Result<Option<(u8, Vec<u8>)>, ReadError> {
        loop {
            if self.buf.len() >= 5 {
                let kind = self.buf[0];
                if !(20..=23).contains(&kind) || self.buf[1] != 3 {
                    return Err(if answered {
                        malformed("record", "bad header")
                    } else {
                        ReadError::NotTls(banner(&self.buf))
                    });
                }
                let len = usize::from(u16::from_be_bytes([self.buf[3], self.buf[4]]));
                if len > MAX_RECORD {
                    return Err(ReadError::OversizedRecord(len));
                }
                if self.buf.len() >= 5 + len {
                    let rec: Vec<u8> = self.buf.drain(..5 + len).collect();
                    return Ok(Some((kind, rec[5..].to_vec())));
                }
            } else if !self.buf.is_empty() && !(20..=23).contains(&self.buf[0]) {
                // A text banner shorter than a record header is still not TLS.
                if self.buf[0].is_ascii_graphic() && self.buf.ends_with(b"\n") {
                    return Err(ReadError::NotTls(banner(&self.buf)));
                }
            }
            if Instant::now() >= self.deadline {
                return Err(ReadError::Timeout);
            }
            let mut chunk = [0u8; 8192];
            let n = match self.stream.read(&mut chunk) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(ReadError::Timeout);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ReadError::Io(e.to_string())),
            };
            if n == 0 {
                return match self.buf.len() {
                    0 => Ok(None),
                    got if got >= 5 || (20..=23).contains(&self.buf[0]) => {
                        let want = if got >= 5 {
                            5 + usize::from(u16::from_be_bytes([self.buf[3], self.buf[4]]))
                        } else {
                            5
                        };
                        Err(ReadError::ClosedMidRecord { got, want })
                    }
                    _ => Err(ReadError::NotTls(banner(&self.buf))),
                };
            }
            self.total += n;
            if self.total > MAX_FLIGHT {
                return Err(ReadError::TooMuchData);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The start of a non-TLS answer, printable, for the error message.
fn banner(bytes: &[u8]) -> String {
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let text: String = line
        .iter()
        .take(40)
        .map(|b| {
            if b.is_ascii_graphic() || *b == b' ' {
                char::from(*b)
            } else {
                '.'
            }
        })
        .collect();
    if line.len() > 40 {
        format!("{text}…")
    } else {
        text.trim_end_matches('.').to_owned()
    }
}

fn malformed(what: &'static str, problem: &'static str) -> ReadError {
    ReadError::Malformed { what, problem }
}

fn u24(b: &[u8]) -> usize {
    (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
}

/// A cursor that never reads past its end.
struct Cursor<'a> {
    data: &'a [u8],
    what: &'static str,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ReadError> {
        if self.data.len() < n {
            return Err(malformed(
                self.what,
                "a length runs past the end of the message",
            ));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, ReadError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ReadError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u24(&mut self) -> Result<usize, ReadError> {
        Ok(u24(self.take(3)?))
    }
    fn vec8(&mut self) -> Result<&'a [u8], ReadError> {
        let n = usize::from(self.u8()?);
        self.take(n)
    }
    fn vec16(&mut self) -> Result<&'a [u8], ReadError> {
        let n = usize::from(self.u16()?);
        self.take(n)
    }
}

pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello, ReadError> {
    let mut c = Cursor {
        data: body,
        what: "ServerHello",
    };
    let legacy = c.u16()?;
    let random = c.take(32)?;
    c.vec8()?; // session id
    let suite = c.u16()?;
    c.u8()?; // compression
    let retry_request = random == HRR_RANDOM;
    let mut hello = ServerHello {
        version: legacy,
        suite,
        retry_request,
        group: None,
    };
    if c.data.is_empty() {
        return Ok(hello);
    }
    let mut exts = Cursor {
        data: c.vec16()?,
        what: "ServerHello extensions",
    };
    while !exts.data.is_empty() {
        let kind = exts.u16()?;
        let mut data = Cursor {
            data: exts.vec16()?,
            what: "ServerHello extension",
        };
        match kind {
            0x002b => hello.version = data.u16()?,
            0x0033 => hello.group = Some(data.u16()?),
            _ => {}
        }
    }
    Ok(hello)
}

fn parse_certificate(body: &[u8]) -> Result<Vec<Vec<u8>>, ReadError> {
    let mut c = Cursor {
        data: body,
        what: "Certificate",
    };
    let n = c.u24()?;
    let mut list = Cursor {
        data: c.take(n)?,
        what: "Certificate list",
    };
    let mut chain = Vec::new();
    while !list.data.is_empty() {
        let n = list.u24()?;
        chain.push(list.take(n)?.to_vec());
    }
    Ok(chain)
}

fn parse_dh_params(body: &[u8]) -> Result<crate::tls::dh::DhParams, ReadError> {
    let mut c = Cursor {
        data: body,
        what: "ServerKeyExchange (DH)",
    };
    let p = c.vec16()?;
    let g = c.vec16()?;
    let dh = crate::tls::dh::DhParams::new(p, g);
    if dh.p.is_empty() {
        return Err(malformed("ServerKeyExchange (DH)", "the prime is zero"));
    }
    Ok(dh)
}

fn parse_ec_params(body: &[u8]) -> Result<u16, ReadError> {
    let mut c = Cursor {
        data: body,
        what: "ServerKeyExchange (ECDH)",
    };
    match c.u8()? {
        3 => c.u16(),
        _ => Err(malformed("ServerKeyExchange (ECDH)", "not a named curve")),
    }
}

fn parse_cert_request(body: &[u8], version: u16) -> Result<Vec<Vec<u8>>, ReadError> {
    let mut c = Cursor {
        data: body,
        what: "CertificateRequest",
    };
    c.vec8()?; // certificate types
    if version >= 0x0303 {
        c.vec16()?; // signature algorithms
    }
    let mut names = Cursor {
        data: c.vec16()?,
        what: "CertificateRequest CA names",
    };
    let mut out = Vec::new();
    while !names.data.is_empty() {
        out.push(names.vec16()?.to_vec());
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
