//! The PEM writer (RFC 7468 §2): the one place that turns DER into the text files we write.

use rcgen::{Certificate, CertificateRevocationList, CertificateSigningRequest, KeyPair};

/// RFC 7468 §2: writers wrap base64 at exactly 64 characters.
const LINE: usize = 64;

/// `der` as one PEM block labelled `label`, with "\n" line ends, as OpenSSL writes it.
pub fn encode(label: &str, der: &[u8]) -> String {
    // The base64 of a key is as secret as the key.
    let b64 = zeroize::Zeroizing::new(crate::pki::base64::encode(der));
    let mut pem = String::with_capacity(b64.len() + b64.len() / LINE + 2 * label.len() + 40);
    pem.push_str("-----BEGIN ");
    pem.push_str(label);
    pem.push_str("-----\n");
    // Base64 is ASCII, so every 64-byte chunk is a whole number of characters.
    for line in b64.as_bytes().chunks(LINE) {
        pem.extend(line.iter().map(|&c| c as char));
        pem.push('\n');
    }
    pem.push_str("-----END ");
    pem.push_str(label);
    pem.push_str("-----\n");
    pem
}

/// PEM text of what rcgen builds. The key's text is a secret: callers keep it in wiped memory.
pub trait ToPem {
    fn to_pem(&self) -> String;
}

impl ToPem for Certificate {
    fn to_pem(&self) -> String {
        encode("CERTIFICATE", self.der())
    }
}

impl ToPem for KeyPair {
    fn to_pem(&self) -> String {
        let der = zeroize::Zeroizing::new(self.serialize_der());
        encode("PRIVATE KEY", &der)
    }
}

impl ToPem for CertificateSigningRequest {
    fn to_pem(&self) -> String {
        encode("CERTIFICATE REQUEST", self.der())
    }
}

impl ToPem for CertificateRevocationList {
    fn to_pem(&self) -> String {
        encode("X509 CRL", self.der())
    }
}
