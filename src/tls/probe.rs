//! The raw prober: which versions, suites and groups the server accepts, found with
//! hand-built hellos. Suites are enumerated by elimination: offer all that remain, record the
//! server's choice, remove it and ask again until the server refuses. Each version costs
//! (accepted suites + 1) handshakes and yields the server's order of preference.

use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::tls::client_hello::{self, ALL_GROUPS, Offer};
use crate::tls::facts::{CertRequestFacts, KeyExchangeFacts, ProbeFacts, Version, VersionFacts};
use crate::tls::server_hello::{Flight, ReadError, Until, read_flight};
use crate::tls::suites::{self, Suite};

/// Where to connect and how patiently.
#[derive(Clone, Debug)]
pub struct Target {
    /// The host as the user wrote it (reports and SNI).
    pub host: String,
    pub port: u16,
    /// Every address the name resolved to, tried in order.
    pub addrs: Vec<SocketAddr>,
    /// The address that last accepted a connection: later connections go there first.
    preferred: Arc<AtomicUsize>,
    /// The name sent as SNI; None for an IP address without `--sni`.
    pub sni: Option<String>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

/// Why the endpoint could not be probed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("{host}: cannot resolve the host name: {problem}")]
    Resolve { host: String, problem: String },
    #[error("{endpoint}: cannot connect: {problem}")]
    Connect { endpoint: String, problem: String },
    #[error("{endpoint}: {problem}")]
    Answer {
        endpoint: String,
        problem: ReadError,
    },
}

impl Target {
    /// Resolve `host:port` once; every probe connection goes to the same address.
    pub fn resolve(
        host: &str,
        port: u16,
        sni: Option<String>,
        connect_timeout: Duration,
        read_timeout: Duration,
    ) -> Result<Target, ProbeError> {
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|e| ProbeError::Resolve {
                host: host.to_owned(),
                problem: e.to_string(),
            })?
            .collect();
        if addrs.is_empty() {
            return Err(ProbeError::Resolve {
                host: host.to_owned(),
                problem: "no addresses".to_owned(),
            });
        }
        let sni = sni.or_else(|| {
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            bare.parse::<std::net::IpAddr>()
                .is_err()
                .then(|| host.to_owned())
        });
        Ok(Target {
            host: host.to_owned(),
            port,
            addrs,
            preferred: Arc::new(AtomicUsize::new(0)),
            sni,
            connect_timeout,
            read_timeout,
        })
    }

    pub fn endpoint(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// A TCP connection with both timeouts set: the address that worked last, then the others.
    pub fn connect(&self) -> Result<TcpStream, ProbeError> {
        let first = self.preferred.load(Ordering::Relaxed) % self.addrs.len();
        let order = (0..self.addrs.len()).map(|i| (first + i) % self.addrs.len());
        let mut last = String::new();
        for i in order {
            match TcpStream::connect_timeout(&self.addrs[i], self.connect_timeout) {
                Ok(stream) => {
                    self.preferred.store(i, Ordering::Relaxed);
                    return self.with_timeouts(stream);
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(ProbeError::Connect {
            endpoint: self.endpoint(),
            problem: last,
        })
    }

    fn with_timeouts(&self, stream: TcpStream) -> Result<TcpStream, ProbeError> {
        let _ = stream.set_nodelay(true);
        for r in [
            stream.set_read_timeout(Some(self.read_timeout)),
            stream.set_write_timeout(Some(self.read_timeout)),
        ] {
            r.map_err(|e| ProbeError::Connect {
                endpoint: self.endpoint(),
                problem: e.to_string(),
            })?;
        }
        Ok(stream)
    }
}

/// The server's answer to one hello.
#[derive(Clone, Debug)]
enum Answer {
    /// It chose this.
    Chose(Flight),
    /// It refused: an alert, or a close without a word.
    Refused,
}

struct Prober<'a> {
    target: &'a Target,
    connections: AtomicUsize,
}

impl Prober<'_> {
    /// One hello, with one confirming retry when the failure looks transient: a scanner that
    /// drops a suite on a network blip reports wrong results.
    fn ask(&self, offer: &Offer<'_>, until: Until) -> Result<Answer, ProbeError> {
        match self.ask_once(offer, until) {
            Err(ProbeError::Answer { problem, .. })
                if problem.is_transient() || problem == ReadError::ClosedBeforeAnswer =>
            {
                self.retry(offer, until)
            }
            // A refused connection in the middle of a scan can be a full accept queue.
            Err(ProbeError::Connect { .. }) => self.ask_once(offer, until),
            other => other,
        }
    }

    /// The confirming attempt. A silent close twice is how some servers refuse.
    fn retry(&self, offer: &Offer<'_>, until: Until) -> Result<Answer, ProbeError> {
        match self.ask_once(offer, until) {
            Err(ProbeError::Answer {
                problem: ReadError::ClosedBeforeAnswer,
                ..
            }) => Ok(Answer::Refused),
            other => other,
        }
    }

    fn ask_once(&self, offer: &Offer<'_>, until: Until) -> Result<Answer, ProbeError> {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let mut stream = self.target.connect()?;
        let answer_err = |problem| ProbeError::Answer {
            endpoint: self.target.endpoint(),
            problem,
        };
        let hello = client_hello::client_hello(offer, client_hello::random());
        stream
            .write_all(&hello)
            .map_err(|e| answer_err(ReadError::Io(e.to_string())))?;
        // Allow the whole flight the read timeout plus a margin: a slow-drip server ends here.
        let deadline = Instant::now() + self.target.read_timeout * 2;
        let flight = read_flight(&mut stream, until, deadline).map_err(answer_err)?;
        let _ = stream.shutdown(std::net::Shutdown::Both);
        // An alert after the ServerHello does not undo the choice it made.
        match flight.hello {
            Some(_) => Ok(Answer::Chose(flight)),
            None => Ok(Answer::Refused),
        }
    }

    /// Enumerate the suites of one version by elimination.
    fn suites(&self, version: Version, found: &mut Found) -> VersionFacts {
        let mut remaining = match version {
            Version::Tls13 => suites::tls13_suites(),
            _ => suites::legacy_suites(),
        };
        let share = client_hello::x25519_share();
        let mut facts = VersionFacts {
            version,
            suites: Vec::new(),
            server_order: None,
            error: None,
        };
        let until = match version {
            Version::Tls13 => Until::Hello,
            _ => Until::HelloDone,
        };
        // At most one round per offered suite, plus the refusal.
        while !remaining.is_empty() {
            let offer = Offer {
                version,
                suites: &remaining,
                groups: ALL_GROUPS,
                key_share: share.clone().map(|k| (0x001d, k)),
                sni: self.target.sni.as_deref(),
            };
            let flight = match self.ask(&offer, until) {
                Ok(Answer::Chose(flight)) => flight,
                Ok(Answer::Refused) => break,
                Err(e) => {
                    facts.error = Some(e.to_string());
                    break;
                }
            };
            let Some(hello) = flight.hello.as_ref() else {
                break;
            };
            // A lower version than offered means this one is not spoken.
            if hello.version != version.wire() {
                break;
            }
            let Some(pos) = remaining.iter().position(|s| *s == hello.suite) else {
                facts.error = Some(format!(
                    "the server chose {}, which was not offered: its answers cannot be trusted",
                    Suite::name_of(hello.suite)
                ));
                break;
            };
            remaining.remove(pos);
            facts.suites.push(hello.suite);
            found.record(version, hello.suite, &flight);
        }
        if let ([first, second, ..], None) = (facts.suites.as_slice(), &facts.error) {
            facts.server_order = self.server_decides(version, *first, *second, share);
        }
        facts
    }

    /// One more hello with the server's first two choices swapped: a server with its own
    /// preference picks its first again; one that follows the client picks the other.
    fn server_decides(
        &self,
        version: Version,
        first: u16,
        second: u16,
        share: Option<Vec<u8>>,
    ) -> Option<bool> {
        let offer = Offer {
            version,
            suites: &[second, first],
            groups: ALL_GROUPS,
            key_share: share.map(|k| (0x001d, k)),
            sni: self.target.sni.as_deref(),
        };
        let until = match version {
            Version::Tls13 => Until::Hello,
            _ => Until::HelloDone,
        };
        match self.ask(&offer, until) {
            Ok(Answer::Chose(f)) => f.hello.map(|h| h.suite == first),
            _ => None,
        }
    }

    /// TLS 1.3 groups by elimination: an empty key_share makes the server name its choice in
    /// a HelloRetryRequest (or pick from our share).
    fn groups_tls13(&self) -> (Vec<u16>, Option<String>) {
        let mut remaining: Vec<u16> = ALL_GROUPS.to_vec();
        let mut groups = Vec::new();
        let suites = suites::tls13_suites();
        while !remaining.is_empty() {
            let offer = Offer {
                version: Version::Tls13,
                suites: &suites,
                groups: &remaining,
                key_share: None,
                sni: self.target.sni.as_deref(),
            };
            let hello = match self.ask(&offer, Until::Hello) {
                Ok(Answer::Chose(f)) => f.hello,
                Ok(Answer::Refused) => break,
                Err(e) => return (groups, Some(e.to_string())),
            };
            let Some(hello) = hello.filter(|h| h.version == 0x0304) else {
                break;
            };
            let Some(group) = hello.group else {
                return (
                    groups,
                    Some("the server named no key-exchange group".to_owned()),
                );
            };
            let Some(pos) = remaining.iter().position(|g| *g == group) else {
                return (
                    groups,
                    Some(format!(
                        "the server chose {}, which was not offered",
                        crate::tls::facts::group_name(group)
                    )),
                );
            };
            remaining.remove(pos);
            groups.push(group);
        }
        (groups, None)
    }

    /// TLS 1.2 curves by elimination over the ECDHE suites the server accepted.
    fn groups_tls12(&self, ecdhe: &[u16], found: &mut Found) -> (Vec<u16>, Option<String>) {
        let mut remaining: Vec<u16> = ALL_GROUPS
            .iter()
            .copied()
            .filter(|g| !crate::tls::facts::group_is_ffdhe(*g))
            .collect();
        let mut groups = Vec::new();
        while !remaining.is_empty() {
            let offer = Offer {
                version: Version::Tls12,
                suites: ecdhe,
                groups: &remaining,
                key_share: None,
                sni: self.target.sni.as_deref(),
            };
            let flight = match self.ask(&offer, Until::HelloDone) {
                Ok(Answer::Chose(f)) => f,
                Ok(Answer::Refused) => break,
                Err(e) => return (groups, Some(e.to_string())),
            };
            let Some(curve) = flight.curve else {
                break;
            };
            if let Some(h) = &flight.hello {
                found.record(Version::Tls12, h.suite, &flight);
            }
            let Some(pos) = remaining.iter().position(|g| *g == curve) else {
                return (
                    groups,
                    Some(format!(
                        "the server chose {}, which was not offered",
                        crate::tls::facts::group_name(curve)
                    )),
                );
            };
            remaining.remove(pos);
            groups.push(curve);
        }
        (groups, None)
    }
}

/// Side facts collected from the TLS 1.2-and-earlier flights.
#[derive(Default)]
struct Found {
    key_exchanges: Vec<KeyExchangeFacts>,
    cert_request: Option<CertRequestFacts>,
    chain: Vec<Vec<u8>>,
}

impl Found {
    fn record(&mut self, version: Version, suite: u16, flight: &Flight) {
        if flight.dh_bits.is_some() || flight.curve.is_some() {
            self.key_exchanges.push(KeyExchangeFacts {
                version,
                suite,
                dh_bits: flight.dh_bits,
                curve: flight.curve,
            });
        }
        if let (None, Some(names)) = (&self.cert_request, &flight.cert_request) {
            self.cert_request = Some(CertRequestFacts {
                ca_names: names.iter().map(|n| dn_text(n)).collect(),
            });
        }
        if self.chain.is_empty() && !flight.chain.is_empty() {
            self.chain = flight.chain.clone();
        }
    }

    fn merge(&mut self, other: Found) {
        self.key_exchanges.extend(other.key_exchanges);
        if self.cert_request.is_none() {
            self.cert_request = other.cert_request;
        }
        if self.chain.is_empty() {
            self.chain = other.chain;
        }
    }
}

/// A distinguished name (DER) as text; the hex when it does not parse.
pub fn dn_text(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, name)) => name.to_string(),
        Err(_) => {
            // rustls hands over names without their outer SEQUENCE: add it and retry.
            let mut seq = vec![0x30];
            if der.len() < 128 {
                seq.push(der.len() as u8);
            } else {
                let len = (der.len() as u32).to_be_bytes();
                let skip = len.iter().take_while(|b| **b == 0).count();
                seq.push(0x80 | (4 - skip) as u8);
                seq.extend_from_slice(&len[skip..]);
            }
            seq.extend_from_slice(der);
            match x509_parser::x509::X509Name::from_der(&seq) {
                Ok((_, name)) => name.to_string(),
                Err(_) => der.iter().map(|b| format!("{b:02x}")).collect(),
            }
        }
    }
}

/// Probe everything the raw hellos can learn. A first TLS 1.2 hello checks that a TLS server
/// answers at all; then each version, and the groups, run on their own thread (at most six
/// connections at a time).
pub fn probe(target: &Target) -> Result<ProbeFacts, ProbeError> {
    let prober = Prober {
        target,
        connections: AtomicUsize::new(0),
    };
    // Fail fast, with the reason, when nothing TLS is listening.
    let preflight = Offer {
        version: Version::Tls13,
        suites: &suites::tls13_suites(),
        groups: ALL_GROUPS,
        key_share: client_hello::x25519_share().map(|k| (0x001d, k)),
        sni: target.sni.as_deref(),
    };
    prober.ask(&preflight, Until::Hello)?;

    let versions = [
        Version::Tls13,
        Version::Tls12,
        Version::Tls11,
        Version::Tls10,
        Version::Ssl3,
    ];
    let (mut results, groups13, mut found) = std::thread::scope(|s| {
        let workers: Vec<_> = versions
            .iter()
            .map(|v| {
                let prober = &prober;
                s.spawn(move || {
                    let mut found = Found::default();
                    let facts = prober.suites(*v, &mut found);
                    (facts, found)
                })
            })
            .collect();
        let groups = s.spawn(|| prober.groups_tls13());
        let mut results = Vec::new();
        let mut found = Found::default();
        for (w, v) in workers.into_iter().zip(versions) {
            match w.join() {
                Ok((facts, f)) => {
                    results.push(facts);
                    found.merge(f);
                }
                Err(_) => results.push(VersionFacts {
                    version: v,
                    suites: Vec::new(),
                    server_order: None,
                    error: Some("the probe thread failed".to_owned()),
                }),
            }
        }
        let groups = groups
            .join()
            .unwrap_or_else(|_| (Vec::new(), Some("the probe thread failed".to_owned())));
        (results, groups, found)
    });
    results.sort_by_key(|v| std::cmp::Reverse(v.version));

    let tls13 = results
        .iter()
        .any(|v| v.version == Version::Tls13 && v.accepted());
    let (groups, groups_from, groups_error) = if tls13 {
        (groups13.0, Some(Version::Tls13), groups13.1)
    } else {
        let ecdhe: Vec<u16> = results
            .iter()
            .filter(|v| v.version == Version::Tls12)
            .flat_map(|v| v.suites.iter().copied())
            .filter(|s| Suite::by_id(*s).is_some_and(|s| s.kx == "ECDHE"))
            .collect();
        if ecdhe.is_empty() {
            (Vec::new(), None, None)
        } else {
            let (g, e) = prober.groups_tls12(&ecdhe, &mut found);
            (g, Some(Version::Tls12), e)
        }
    };
    Ok(ProbeFacts {
        versions: results,
        groups,
        groups_from,
        groups_error,
        key_exchanges: found.key_exchanges,
        cert_request: found.cert_request,
        chain: found.chain,
        connections: prober.connections.load(Ordering::Relaxed),
    })
}
