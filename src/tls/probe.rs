//! The raw prober: which versions, suites and groups the server accepts, found with
//! hand-built hellos. Suites are enumerated by elimination: offer all that remain, record the
//! server's choice, remove it and ask again until the server refuses. Each version costs
//! (accepted suites + 1) handshakes and yields the server's order of preference.

use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::net::proxy::{Proxies, Proxy, Scheme};
use crate::tls::client_hello::{self, ALL_GROUPS, Offer};
use crate::tls::facts::{
    CertRequestFacts, Exchange, KeyExchangeFacts, ProbeFacts, Version, VersionFacts,
};
use crate::tls::server_hello::{Flight, ReadError, Until, read_flight};
use crate::tls::suites;

mod rounds;

/// Where to connect and how patiently.
#[derive(Clone, Debug)]
pub struct Target {
    /// The host as the user wrote it (reports and SNI).
    pub host: String,
    pub port: u16,
    /// Every address the name resolved to, tried in order (none through a proxy: the proxy
    /// resolves the name).
    pub addrs: Vec<SocketAddr>,
    /// The proxy every connection is tunnelled through (`HTTPS_PROXY`, `NO_PROXY`).
    pub proxy: Option<Proxy>,
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
    Proxy { endpoint: String, problem: String },
    #[error("{endpoint}: {problem}")]
    Answer {
        endpoint: String,
        problem: ReadError,
    },
}

impl Target {
    /// Resolve `host:port` once; every probe connection goes to the same address. When the
    /// environment names a proxy for the host, nothing is resolved here: every connection is
    /// a CONNECT tunnel through it.
    pub fn resolve(
        host: &str,
        port: u16,
        sni: Option<String>,
        connect_timeout: Duration,
        read_timeout: Duration,
    ) -> Result<Target, ProbeError> {
        Target::resolve_with(
            host,
            port,
            sni,
            connect_timeout,
            read_timeout,
            Proxies::from_env(),
        )
    }

    /// The same with the given proxy settings.
    pub fn resolve_with(
        host: &str,
        port: u16,
        sni: Option<String>,
        connect_timeout: Duration,
        read_timeout: Duration,
        proxies: &Proxies,
    ) -> Result<Target, ProbeError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let endpoint = if bare.contains(':') {
            format!("[{bare}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let proxy = proxies
            .for_host(Scheme::Tls, host)
            .map_err(|e| ProbeError::Proxy {
                endpoint: endpoint.clone(),
                problem: e.to_string(),
            })?;
        let sni = sni.or_else(|| {
            bare.parse::<std::net::IpAddr>()
                .is_err()
                .then(|| host.to_owned())
        });
        if proxy.is_some() {
            return Ok(Target {
                host: host.to_owned(),
                port,
                addrs: Vec::new(),
                proxy,
                preferred: Arc::new(AtomicUsize::new(0)),
                sni,
                connect_timeout,
                read_timeout,
            });
        }
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
        Ok(Target {
            host: host.to_owned(),
            port,
            addrs,
            proxy: None,
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

    /// A TCP connection with both timeouts set: through the proxy, or to the address that
    /// worked last, then the others.
    pub fn connect(&self) -> Result<TcpStream, ProbeError> {
        if let Some(proxy) = &self.proxy {
            let t = crate::net::connect::Timeouts {
                connect: self.connect_timeout,
                read: self.read_timeout,
                deadline: None,
            };
            return crate::net::connect::tunnel(proxy, &self.host, self.port, &t).map_err(|e| {
                ProbeError::Proxy {
                    endpoint: self.endpoint(),
                    problem: e.to_string(),
                }
            });
        }
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
pub(crate) enum Answer {
    /// It chose this.
    Chose(Flight),
    /// It refused: an alert, or a close without a word.
    Refused,
}

pub(crate) struct Prober<'a> {
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
}

/// Side facts collected from the flights: the key exchange per suite, the certificate
/// request and the chain.
#[derive(Default)]
pub(crate) struct Found {
    key_exchanges: Vec<KeyExchangeFacts>,
    cert_request: Option<CertRequestFacts>,
    chain: Vec<Vec<u8>>,
}

impl Found {
    fn record(&mut self, version: Version, flight: &Flight) {
        let Some(hello) = &flight.hello else {
            return;
        };
        let exchange = match (&flight.dh, flight.curve, hello.group) {
            (Some(dh), _, _) => Some(Exchange::Dh {
                bits: dh.bits(),
                name: dh.name(),
            }),
            (None, Some(curve), _) => Some(Exchange::Group(curve)),
            (None, None, Some(group)) if version == Version::Tls13 => Some(Exchange::Group(group)),
            _ => None,
        };
        if let Some(exchange) = exchange
            && !self
                .key_exchanges
                .iter()
                .any(|k| k.version == version && k.suite == hello.suite)
        {
            self.key_exchanges.push(KeyExchangeFacts {
                version,
                suite: hello.suite,
                exchange,
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

    /// The key exchange of a suite learnt other than from its own flight.
    pub(crate) fn record_exchange(&mut self, version: Version, suite: u16, exchange: Exchange) {
        if self.exchange_of(version, suite).is_none() {
            self.key_exchanges.push(KeyExchangeFacts {
                version,
                suite,
                exchange,
            });
        }
    }

    pub(crate) fn exchange_of(&self, version: Version, suite: u16) -> Option<Exchange> {
        self.key_exchanges
            .iter()
            .find(|k| k.version == version && k.suite == suite)
            .map(|k| k.exchange)
    }

    fn merge(&mut self, other: Found) {
        for k in other.key_exchanges {
            if !self
                .key_exchanges
                .iter()
                .any(|m| m.version == k.version && m.suite == k.suite)
            {
                self.key_exchanges.push(k);
            }
        }
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

/// Probe everything the raw hellos can learn. A first TLS 1.3 hello checks that a TLS server
/// answers at all, and is the first round of both TLS 1.3 eliminations; then TLS 1.3 suites,
/// TLS 1.3 groups, TLS 1.2 (suites, then curves), and the older versions (one cascade of
/// hellos, newest first) run on their own threads (at most four connections at a time).
pub fn probe(target: &Target) -> Result<ProbeFacts, ProbeError> {
    let prober = Prober {
        target,
        connections: AtomicUsize::new(0),
    };
    // Fail fast, with the reason, when nothing TLS is listening.
    let first13 = prober.ask(
        &rounds::tls13_offer(&suites::tls13_suites(), ALL_GROUPS, target),
        Until::Hello,
    )?;
    let (mut results, groups, found) = std::thread::scope(|s| {
        let prober = &prober;
        let first = &first13;
        let tls13 = s.spawn(move || {
            let mut found = Found::default();
            let (suites, groups) = std::thread::scope(|inner| {
                let groups = inner.spawn(move || prober.groups_tls13(first));
                let suites = prober.suites_tls13(first, &mut found);
                (
                    suites,
                    groups
                        .join()
                        .unwrap_or_else(|_| rounds::failed_groups(Version::Tls13)),
                )
            });
            let (suites, groups) = prober.order_tls13(suites, groups, &mut found);
            (suites, groups, found)
        });
        let tls12 = s.spawn(move || {
            let mut found = Found::default();
            let suites = prober.suites(Version::Tls12, &mut found);
            let groups = prober.groups_tls12(&suites, &mut found);
            let (suites, groups) = prober.order_tls12(suites, groups);
            (suites, groups, found)
        });
        let legacy = s.spawn(move || {
            let mut found = Found::default();
            let facts = prober.legacy(&mut found);
            (facts, found)
        });
        let mut results = Vec::new();
        let mut groups = Vec::new();
        let mut found = Found::default();
        for (worker, v) in [(tls13, Version::Tls13), (tls12, Version::Tls12)] {
            match worker.join() {
                Ok((facts, g, f)) => {
                    results.push(facts);
                    groups.extend(g);
                    found.merge(f);
                }
                Err(_) => results.push(failed_version(v)),
            }
        }
        match legacy.join() {
            Ok((facts, f)) => {
                results.extend(facts);
                found.merge(f);
            }
            Err(_) => {
                results.extend([Version::Tls11, Version::Tls10, Version::Ssl3].map(failed_version))
            }
        }
        (results, groups, found)
    });
    results.sort_by_key(|v| std::cmp::Reverse(v.version));
    Ok(ProbeFacts {
        versions: results,
        groups,
        key_exchanges: found.key_exchanges,
        cert_request: found.cert_request,
        chain: found.chain,
        connections: prober.connections.load(Ordering::Relaxed),
    })
}

fn failed_version(version: Version) -> VersionFacts {
    VersionFacts {
        version,
        suites: Vec::new(),
        server_order: None,
        error: Some("the probe thread failed".to_owned()),
    }
}
