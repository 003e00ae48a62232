//! An endpoint as the commands meet it: `HOST[:PORT]` parsed, resolved with the user's
//! timeouts, probed and shaken hands with; and the client identity a handshake presents.

use std::path::Path;

use crate::error::CommandError;
use crate::pki::facts::CertificateFacts;
use crate::pki::load;
use crate::secret::PasswordSource;
use crate::tls::facts::{EndpointFacts, HandshakeOutcome, ProxyFacts};
use crate::tls::handshake::{ClientIdentity, HandshakeError, Presenting, handshake};
use crate::tls::probe::{Target, probe};

/// Port used when the endpoint names none.
pub const DEFAULT_PORT: u16 = 443;

/// Probe and handshakes: every fact about the endpoint. Besides the handshake with the
/// user's certificate (or without one), one without a certificate and one with a foreign
/// CA's classify client authentication; they run side by side, after the probe has shown a
/// TLS server is there.
pub fn endpoint_facts(
    target: &Target,
    identity: Option<&ClientIdentity>,
    trust: &[rustls::pki_types::CertificateDer<'static>],
) -> Result<EndpointFacts, CommandError> {
    let probe = probe(target).map_err(|e| CommandError::Input(e.to_string()))?;
    let foreign_id = crate::tls::foreign::identity().ok();
    let main = match identity {
        Some(id) => Presenting::Supplier(id),
        None => Presenting::Nothing,
    };
    let (handshake, anonymous, foreign) = std::thread::scope(|s| {
        let anonymous = identity
            .is_some()
            .then(|| s.spawn(|| handshake(target, Presenting::Nothing, &[])));
        let foreign = foreign_id
            .as_ref()
            .map(|id| s.spawn(|| handshake(target, Presenting::Foreign(id), &[])));
        let main = handshake(target, main, trust);
        let join = |h: std::thread::ScopedJoinHandle<'_, _>| {
            h.join().unwrap_or_else(|_| {
                Err(HandshakeError::Config(
                    "the handshake thread failed".to_owned(),
                ))
            })
        };
        (main, anonymous.map(join), foreign.map(join))
    });
    let handshake = handshake.map_err(|e| handshake_error(target, e))?;
    // A trial that could not even start (a connection refused in between) leaves the
    // classification unknown rather than stopping the report.
    Ok(EndpointFacts {
        endpoint: target.endpoint(),
        name: target.sni.clone().unwrap_or_else(|| target.host.clone()),
        probe,
        handshake,
        anonymous: anonymous.and_then(Result::ok),
        foreign: foreign.and_then(Result::ok),
        // Display leaves the proxy's credentials out.
        proxy: target.proxy.as_ref().map(|p| ProxyFacts {
            url: p.to_string(),
            variable: p.variable,
        }),
    })
}

/// The chain the endpoint presented (leaf first), fetched with a handshake that sends no
/// certificate; when rustls cannot talk to the server (TLS 1.0, static RSA only), from the
/// raw probe's flights.
pub fn fetch_chain(target: &Target) -> Result<Vec<Vec<u8>>, CommandError> {
    let facts =
        handshake(target, Presenting::Nothing, &[]).map_err(|e| handshake_error(target, e))?;
    if !facts.chain.is_empty() {
        return Ok(facts.chain);
    }
    let probed = probe(target).map_err(|e| CommandError::Input(e.to_string()))?;
    if !probed.chain.is_empty() {
        return Ok(probed.chain);
    }
    Err({
        let why = match facts.outcome {
            HandshakeOutcome::FailedInHandshake { error, .. } => error,
            _ => "no certificate in any handshake".to_owned(),
        };
        CommandError::Input(format!(
            "{}: the server sent no certificate: {why}",
            target.endpoint()
        ))
    })
}

fn handshake_error(target: &Target, e: HandshakeError) -> CommandError {
    match e {
        // Already names the endpoint.
        HandshakeError::Connect(e) => CommandError::Input(e.to_string()),
        other => CommandError::Input(format!("{}: {other}", target.endpoint())),
    }
}

/// HOST, HOST:PORT, [IPv6] or [IPv6]:PORT; a bare IPv6 address is a host without a port.
pub fn parse_endpoint(text: &str) -> Result<(String, u16), CommandError> {
    let bad = |why: &str| CommandError::Usage(format!("{text}: not HOST[:PORT]: {why}"));
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(bad("junk after ']'")),
        }
    } else if text.matches(':').count() == 1 {
        let (h, p) = text.split_once(':').ok_or_else(|| bad("no port"))?;
        (h, Some(p))
    } else {
        (text, None)
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(bad("empty or invalid host"));
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| bad("the port is not a number from 1 to 65535"))?,
        None => DEFAULT_PORT,
    };
    Ok((host.to_owned(), port))
}

/// Does this argument look like an endpoint rather than a file name?
pub fn looks_like_endpoint(text: &str, path: &Path) -> bool {
    !path.exists()
        && parse_endpoint(text).is_ok()
        && !text.ends_with(".pem")
        && !text.ends_with(".der")
        && !text.ends_with(".crt")
        && !text.ends_with(".cer")
        && !text.ends_with(".p12")
        && !text.ends_with(".pfx")
}

pub fn load_identity(
    cert: &Path,
    key: Option<&Path>,
    password: &PasswordSource,
) -> Result<ClientIdentity, CommandError> {
    let input = |e: load::LoadError| CommandError::Input(e.to_string());
    let file = load::read_certificates(cert, password).map_err(input)?;
    let leaf = file
        .certificates
        .first()
        .ok_or_else(|| CommandError::Input(format!("{}: holds no certificate", cert.display())))?;
    let subject = CertificateFacts::from_der(leaf)
        .map(|f| f.subject)
        .map_err(|e| CommandError::Input(format!("{}: {e}", cert.display())))?;
    let key = match (key, file.key) {
        (Some(path), _) => load::read_private_key(path, password).map_err(input)?.der,
        (None, Some(k)) => k.der,
        (None, None) => {
            return Err(CommandError::Usage(format!(
                "{}: holds no private key; give it with --key",
                cert.display()
            )));
        }
    };
    Ok(ClientIdentity {
        chain: file.certificates,
        key,
        subject,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        assert_eq!(
            parse_endpoint("example.test").unwrap(),
            ("example.test".into(), 443)
        );
        assert_eq!(
            parse_endpoint("example.test:8443").unwrap(),
            ("example.test".into(), 8443)
        );
        assert_eq!(parse_endpoint("[::1]:8443").unwrap(), ("::1".into(), 8443));
        assert_eq!(parse_endpoint("::1").unwrap(), ("::1".into(), 443));
        assert!(parse_endpoint("example.test:0").is_err());
        assert!(parse_endpoint("example.test:https").is_err());
        assert!(parse_endpoint("[::1").is_err());
        assert!(parse_endpoint(":443").is_err());
    }
}
