//! Who may sign the EU List of Trusted Lists: the certificates the Commission announced in the
//! Official Journal (bundled, see `pki-data/lotl/SOURCE.md`), or a set the user names.

use std::path::Path;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::pki::load;
use crate::secret::PasswordSource;

/// The announcement the bundled certificates come from.
pub const ANNOUNCEMENT: &str = "OJ C/2026/1944";

const BUNDLED: &[u8] = include_bytes!("../../../pki-data/lotl/eu-lotl-signers.pem");

/// The certificates allowed to sign the LOTL, and where that set comes from.
#[derive(Clone, Debug)]
pub struct LotlSigners {
    certs: Vec<CertificateDer<'static>>,
    source: String,
}

impl LotlSigners {
    /// The set announced in the Official Journal, as bundled.
    pub fn bundled() -> Self {
        LotlSigners {
            certs: CertificateDer::pem_slice_iter(BUNDLED)
                // Fixed data, checked by the test below.
                .filter_map(Result::ok)
                .collect(),
            source: format!("announced in {ANNOUNCEMENT} (bundled)"),
        }
    }

    /// The certificates in `path` instead (a newer announcement, or a test LOTL).
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let file =
            load::read_certificates(path, &PasswordSource::None).map_err(|e| e.to_string())?;
        if file.certificates.is_empty() {
            return Err(format!(
                "{}: holds no certificate to allow as a LOTL signer",
                path.display()
            ));
        }
        Ok(LotlSigners {
            certs: file.certificates,
            source: format!("given in {} (--lotl-signers)", path.display()),
        })
    }

    pub fn certs(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_signers_are_the_six_of_the_announcement() {
        let prints: Vec<String> = LotlSigners::bundled()
            .certs()
            .iter()
            .map(|c| {
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, c)
                    .as_ref()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .collect();
        assert_eq!(
            prints,
            [
                "d2064fdd70f6982dcc516b86d9d5c56aea939417c624b2e478c0b29de54f8474",
                "e0a620fbb6747362bb933ac44169d676a553444716cf5f31605f12a22b8396b1",
                "c0641c4f7d56c431b1c924742db7fce9c1eef7d7fd212113a2768486b3abcdc5",
                "df7e29360c34b2b8d6d5f40325c1d4d12c9922cecd33b7407674a74b2b3ca1e5",
                "b63d416744e7098bf9ec2caa596a93bc2468e37f8284ba65ecc061711bcbaa18",
                "236103f03a8031ae8f47f9059bf8de38564cdbfebedde4a597d50f8980aa653b",
            ]
        );
    }
}
