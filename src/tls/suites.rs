//! The cipher-suite registry: every IANA suite with what a report needs to judge it. The
//! parameters come from tls-parser's table (built from the IANA registry); the forward-secrecy
//! class and the hash are derived here.

use tls_parser::{TlsCipherAu, TlsCipherEnc, TlsCipherEncMode, TlsCipherKx, TlsCipherMac, TlsPRF};

/// Signalling values that are not suites and are never offered as such.
const SIGNALLING: [u16; 3] = [0x0000, 0x00ff, 0x5600];

/// How a suite establishes keys, as far as forward secrecy goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Secrecy {
    /// Ephemeral (EC)DH: past sessions stay secret if the server key leaks.
    Forward,
    /// Static RSA key transport, static (EC)DH, PSK, Kerberos: no forward secrecy.
    Static,
    /// Anonymous ephemeral DH: ephemeral, but nothing authenticates the server.
    Anonymous,
}

/// One cipher suite, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    pub id: u16,
    pub name: &'static str,
    /// Key exchange, e.g. "ECDHE", "DHE", "RSA", "TLS 1.3".
    pub kx: &'static str,
    /// Server authentication, e.g. "RSA", "ECDSA", "none".
    pub auth: &'static str,
    /// Bulk cipher, e.g. "AES", "CHACHA20-POLY1305", "3DES".
    pub cipher: &'static str,
    /// Mode, e.g. "GCM", "CBC"; empty for stream ciphers.
    pub mode: &'static str,
    pub key_bits: u16,
    /// "AEAD" or the HMAC.
    pub mac: &'static str,
    pub aead: bool,
    /// The hash of the MAC or PRF in bits (SHA-256 → 256; MD5 → 128; SHA-1 → 160).
    pub hash_bits: u16,
    pub secrecy: Secrecy,
    /// A TLS 1.3 suite (offered only in TLS 1.3).
    pub tls13: bool,
}

impl Suite {
    /// The suite with this IANA number, if the registry knows it.
    pub fn by_id(id: u16) -> Option<Suite> {
        tls_parser::TlsCipherSuite::from_id(id).map(classify)
    }

    /// A name for any id, known or not.
    pub fn name_of(id: u16) -> String {
        match Self::by_id(id) {
            Some(s) => s.name.to_owned(),
            None => format!("unknown suite 0x{id:04x}"),
        }
    }
}

/// Every suite offered in SSL 3.0 … TLS 1.2 probes, lowest id first.
pub fn legacy_suites() -> Vec<u16> {
    all_ids(false)
}

/// Every TLS 1.3 suite, lowest id first.
pub fn tls13_suites() -> Vec<u16> {
    all_ids(true)
}

fn all_ids(tls13: bool) -> Vec<u16> {
    let mut ids: Vec<u16> = tls_parser::CIPHERS
        .entries()
        .filter(|(id, s)| !SIGNALLING.contains(id) && (s.kx == TlsCipherKx::Tls13) == tls13)
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    ids
}

fn classify(s: &'static tls_parser::TlsCipherSuite) -> Suite {
    let kx = match s.kx {
        TlsCipherKx::Null => "none",
        TlsCipherKx::Psk => "PSK",
        TlsCipherKx::Krb5 => "KRB5",
        TlsCipherKx::Srp => "SRP",
        TlsCipherKx::Rsa => "RSA",
        TlsCipherKx::Dh => "DH",
        TlsCipherKx::Dhe => "DHE",
        TlsCipherKx::Ecdh => "ECDH",
        TlsCipherKx::Ecdhe => "ECDHE",
        TlsCipherKx::Aecdh => "AECDH",
        TlsCipherKx::Eccpwd => "ECCPWD",
        TlsCipherKx::Tls13 => "TLS 1.3",
    };
    let auth = match s.au {
        TlsCipherAu::Null => "none",
        TlsCipherAu::Psk => "PSK",
        TlsCipherAu::Krb5 => "KRB5",
        TlsCipherAu::Srp => "SRP",
        TlsCipherAu::Srp_Dss => "SRP-DSS",
        TlsCipherAu::Srp_Rsa => "SRP-RSA",
        TlsCipherAu::Dss => "DSS",
        TlsCipherAu::Rsa => "RSA",
        TlsCipherAu::Dhe => "DHE",
        TlsCipherAu::Ecdsa => "ECDSA",
        TlsCipherAu::Eccpwd => "ECCPWD",
        TlsCipherAu::Tls13 => "certificate",
    };
    let cipher = match s.enc {
        TlsCipherEnc::Null => "NULL",
        TlsCipherEnc::Des => "DES",
        TlsCipherEnc::TripleDes => "3DES",
        TlsCipherEnc::Rc2 => "RC2",
        TlsCipherEnc::Rc4 => "RC4",
        TlsCipherEnc::Aria => "ARIA",
        TlsCipherEnc::Idea => "IDEA",
        TlsCipherEnc::Seed => "SEED",
        TlsCipherEnc::Aes => "AES",
        TlsCipherEnc::Camellia => "CAMELLIA",
        TlsCipherEnc::Chacha20_Poly1305 => "CHACHA20-POLY1305",
        TlsCipherEnc::Sm4 => "SM4",
        TlsCipherEnc::Aegis => "AEGIS",
    };
    let mode = match s.enc_mode {
        TlsCipherEncMode::Null => "",
        TlsCipherEncMode::Cbc => "CBC",
        TlsCipherEncMode::Ccm => "CCM",
        TlsCipherEncMode::Gcm => "GCM",
    };
    let aead = s.mac == TlsCipherMac::Aead;
    let mac = match s.mac {
        TlsCipherMac::Null => "no MAC",
        TlsCipherMac::HmacMd5 => "HMAC-MD5",
        TlsCipherMac::HmacSha1 => "HMAC-SHA1",
        TlsCipherMac::HmacSha256 => "HMAC-SHA256",
        TlsCipherMac::HmacSha384 => "HMAC-SHA384",
        TlsCipherMac::HmacSha512 => "HMAC-SHA512",
        TlsCipherMac::Aead => "AEAD",
    };
    // An AEAD suite's hash is its PRF's; a MAC suite's is the MAC's.
    let hash_bits = match (s.mac, s.prf) {
        (TlsCipherMac::HmacMd5, _) => 128,
        (TlsCipherMac::HmacSha1, _) => 160,
        (TlsCipherMac::HmacSha256, _) => 256,
        (TlsCipherMac::HmacSha384, _) => 384,
        (TlsCipherMac::HmacSha512, _) => 512,
        (_, TlsPRF::Sha384) => 384,
        (_, TlsPRF::Sha512) => 512,
        (_, TlsPRF::Sha256 | TlsPRF::Sm3) => 256,
        (_, TlsPRF::Sha1) => 160,
        // The TLS 1.2 default PRF is SHA-256.
        (TlsCipherMac::Aead, _) => 256,
        _ => 0,
    };
    let secrecy = match (s.kx, s.au) {
        (TlsCipherKx::Aecdh, _) | (TlsCipherKx::Dhe | TlsCipherKx::Ecdhe, TlsCipherAu::Null) => {
            Secrecy::Anonymous
        }
        (TlsCipherKx::Dhe | TlsCipherKx::Ecdhe | TlsCipherKx::Tls13, _) => Secrecy::Forward,
        // Anonymous DH suites are listed as kx DH, au NULL: ephemeral yet unauthenticated.
        (TlsCipherKx::Dh, TlsCipherAu::Null) => Secrecy::Anonymous,
        _ => Secrecy::Static,
    };
    Suite {
        id: s.id.0,
        name: s.name,
        kx,
        auth,
        cipher,
        mode,
        key_bits: match s.enc {
            // 3DES has a 168-bit key but 112 bits of strength (meet-in-the-middle).
            TlsCipherEnc::TripleDes => 112,
            // tls-parser's table gives ChaCha20-Poly1305 128; its key is 256 bits (RFC 8439).
            TlsCipherEnc::Chacha20_Poly1305 => 256,
            _ => s.enc_size,
        },
        mac,
        aead,
        hash_bits,
        secrecy,
        tls13: s.kx == TlsCipherKx::Tls13,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_common_suites() {
        let s = Suite::by_id(0xc030).unwrap();
        assert_eq!(s.name, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
        assert_eq!(
            (s.kx, s.auth, s.cipher, s.key_bits),
            ("ECDHE", "RSA", "AES", 256)
        );
        assert!(s.aead);
        assert_eq!(s.hash_bits, 384);
        assert_eq!(s.secrecy, Secrecy::Forward);

        let rsa = Suite::by_id(0x002f).unwrap();
        assert_eq!(rsa.secrecy, Secrecy::Static);
        assert!(!rsa.aead);
        assert_eq!(rsa.hash_bits, 160);

        // tls-parser's table says 128; ChaCha20's key is 256 bits.
        assert_eq!(Suite::by_id(0xcca8).unwrap().key_bits, 256);
        assert_eq!(Suite::by_id(0x1303).unwrap().key_bits, 256);

        let t13 = Suite::by_id(0x1302).unwrap();
        assert!(t13.tls13);
        assert_eq!(t13.secrecy, Secrecy::Forward);
        assert_eq!(t13.hash_bits, 384);

        let dhe = Suite::by_id(0x009e).unwrap();
        assert_eq!(
            (dhe.kx, dhe.secrecy, dhe.hash_bits),
            ("DHE", Secrecy::Forward, 256)
        );
    }

    #[test]
    fn offer_lists_exclude_signalling_and_split_by_version() {
        let legacy = legacy_suites();
        assert!(legacy.len() > 300);
        assert!(!legacy.contains(&0x00ff) && !legacy.contains(&0x5600) && !legacy.contains(&0));
        assert!(!legacy.contains(&0x1301));
        let t13 = tls13_suites();
        assert!(t13.contains(&0x1301) && t13.contains(&0x1303));
        assert!(t13.iter().all(|id| Suite::by_id(*id).unwrap().tls13));
    }
}
