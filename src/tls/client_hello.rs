//! Hand-built ClientHello records. rustls speaks only TLS 1.2/1.3 with modern suites, so the
//! prober writes its own hellos to ask about everything else. The prober never finishes a
//! handshake: the hello only has to be well-formed enough for the server to answer.

use crate::tls::facts::Version;

/// Groups offered in every hello, strongest-known first; the server picks.
pub const ALL_GROUPS: &[u16] = &[
    0x001d, // x25519
    0x0017, // secp256r1
    0x0018, // secp384r1
    0x0019, // secp521r1
    0x001e, // x448
    0x001a, // brainpoolP256r1
    0x001b, // brainpoolP384r1
    0x001c, // brainpoolP512r1
    0x0100, // ffdhe2048
    0x0101, // ffdhe3072
    0x0102, // ffdhe4096
    0x0103, // ffdhe6144
    0x0104, // ffdhe8192
    0x0015, // secp224r1
    0x0016, // secp256k1
    0x0013, // secp192r1
];

/// Signature schemes: modern first, then the SHA-1 and DSA ones old servers still sign with.
const SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401,
    0x0501, 0x0601, 0x0303, 0x0203, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202,
];

/// What one hello offers.
#[derive(Clone, Debug)]
pub struct Offer<'a> {
    pub version: Version,
    pub suites: &'a [u16],
    pub groups: &'a [u16],
    /// TLS 1.3 only: one (group, public key) share, or none to make the server name its group
    /// in a HelloRetryRequest.
    pub key_share: Option<(u16, Vec<u8>)>,
    /// Server name; never an IP address (RFC 6066 §3).
    pub sni: Option<&'a str>,
}

/// The whole ClientHello record, ready to write.
pub fn client_hello(offer: &Offer<'_>, random: [u8; 32]) -> Vec<u8> {
    let mut body = Vec::with_capacity(1024);
    let legacy = match offer.version {
        Version::Tls13 => Version::Tls12.wire(),
        v => v.wire(),
    };
    body.extend_from_slice(&legacy.to_be_bytes());
    body.extend_from_slice(&random);
    if offer.version == Version::Tls13 {
        // A legacy session id makes middleboxes treat the hello as TLS 1.2 (RFC 8446 §D.4).
        body.push(32);
        body.extend_from_slice(&random);
    } else {
        body.push(0);
    }
    let mut suites: Vec<u8> = offer.suites.iter().flat_map(|s| s.to_be_bytes()).collect();
    if offer.version != Version::Tls13 {
        // TLS_EMPTY_RENEGOTIATION_INFO_SCSV: some servers refuse a hello without it.
        suites.extend_from_slice(&0x00ffu16.to_be_bytes());
    }
    put_u16_vec(&mut body, &suites);
    body.extend_from_slice(&[1, 0]); // compression: null only
    if offer.version != Version::Ssl3 {
        put_u16_vec(&mut body, &extensions(offer));
    }
    let mut handshake = vec![1];
    put_u24(&mut handshake, body.len());
    handshake.extend_from_slice(&body);

    let record_version = match offer.version {
        Version::Ssl3 => 0x0300u16,
        _ => 0x0301,
    };
    let mut record = vec![22];
    record.extend_from_slice(&record_version.to_be_bytes());
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

fn extensions(offer: &Offer<'_>) -> Vec<u8> {
    let mut ext = Vec::new();
    if let Some(name) = offer.sni {
        let mut entry = vec![0u8]; // host_name
        put_u16_vec(&mut entry, name.as_bytes());
        let mut list = Vec::new();
        put_u16_vec(&mut list, &entry);
        put_extension(&mut ext, 0x0000, &list);
    }
    let groups: Vec<u8> = offer.groups.iter().flat_map(|g| g.to_be_bytes()).collect();
    let mut data = Vec::new();
    put_u16_vec(&mut data, &groups);
    put_extension(&mut ext, 0x000a, &data);
    put_extension(&mut ext, 0x000b, &[1, 0]); // ec_point_formats: uncompressed
    if offer.version >= Version::Tls12 {
        let schemes: Vec<u8> = SIGNATURE_SCHEMES
            .iter()
            .flat_map(|s| s.to_be_bytes())
            .collect();
        let mut data = Vec::new();
        put_u16_vec(&mut data, &schemes);
        put_extension(&mut ext, 0x000d, &data);
    }
    if offer.version == Version::Tls13 {
        put_extension(&mut ext, 0x002b, &[2, 0x03, 0x04]); // supported_versions: TLS 1.3
        put_extension(&mut ext, 0x002d, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
        let mut shares = Vec::new();
        if let Some((group, key)) = &offer.key_share {
            shares.extend_from_slice(&group.to_be_bytes());
            put_u16_vec(&mut shares, key);
        }
        let mut data = Vec::new();
        put_u16_vec(&mut data, &shares);
        put_extension(&mut ext, 0x0033, &data);
    } else {
        put_extension(&mut ext, 0xff01, &[0]); // renegotiation_info: initial handshake
    }
    ext
}

fn put_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    put_u16_vec(out, data);
}

fn put_u16_vec(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

fn put_u24(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_be_bytes()[1..]);
}

/// A fresh X25519 public key for a TLS 1.3 key share. The private half is dropped: the prober
/// stops at the ServerHello.
pub fn x25519_share() -> Option<Vec<u8>> {
    use aws_lc_rs::agreement::{EphemeralPrivateKey, X25519};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let key = EphemeralPrivateKey::generate(&X25519, &rng).ok()?;
    let public = key.compute_public_key().ok()?;
    Some(public.as_ref().to_vec())
}

/// 32 random bytes for the hello.
pub fn random() -> [u8; 32] {
    let mut r = [0u8; 32];
    // A failed RNG still leaves a valid (if predictable) hello; the prober needs no secrecy.
    let _ = aws_lc_rs::rand::fill(&mut r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls12_hello_parses_with_tls_parser() {
        let suites = [0xc030, 0x009e];
        let offer = Offer {
            version: Version::Tls12,
            suites: &suites,
            groups: ALL_GROUPS,
            key_share: None,
            sni: Some("example.test"),
        };
        let rec = client_hello(&offer, [7; 32]);
        let (rest, parsed) = tls_parser::parse_tls_plaintext(&rec).unwrap();
        assert!(rest.is_empty());
        let tls_parser::TlsMessage::Handshake(tls_parser::TlsMessageHandshake::ClientHello(ch)) =
            &parsed.msg[0]
        else {
            panic!("not a ClientHello: {parsed:?}");
        };
        assert_eq!(ch.version, tls_parser::TlsVersion::Tls12);
        let ids: Vec<u16> = ch.ciphers.iter().map(|c| c.0).collect();
        assert_eq!(ids, vec![0xc030, 0x009e, 0x00ff]);
        let (_, exts) = tls_parser::parse_tls_client_hello_extensions(ch.ext.unwrap()).unwrap();
        assert!(
            exts.iter()
                .any(|e| matches!(e, tls_parser::TlsExtension::SNI(_)))
        );
    }

    #[test]
    fn tls13_hello_carries_versions_and_share() {
        let share = x25519_share().unwrap();
        let offer = Offer {
            version: Version::Tls13,
            suites: &[0x1301],
            groups: &[0x001d],
            key_share: Some((0x001d, share)),
            sni: None,
        };
        let rec = client_hello(&offer, random());
        let (_, parsed) = tls_parser::parse_tls_plaintext(&rec).unwrap();
        let tls_parser::TlsMessage::Handshake(tls_parser::TlsMessageHandshake::ClientHello(ch)) =
            &parsed.msg[0]
        else {
            panic!("not a ClientHello");
        };
        let (_, exts) = tls_parser::parse_tls_client_hello_extensions(ch.ext.unwrap()).unwrap();
        assert!(
            exts.iter().any(
                |e| matches!(e, tls_parser::TlsExtension::SupportedVersions(v) if v.len() == 1)
            )
        );
        assert!(
            exts.iter()
                .any(|e| matches!(e, tls_parser::TlsExtension::KeyShare(_)))
        );
    }
}
