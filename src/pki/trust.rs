//! Trust anchors and known intermediates.
//!
//! The bundled set is DVV's public CA certificates (see `pki-data/dvv/SOURCE.md` for where
//! each came from and its SHA-256 fingerprint): the two DVV Gov. Root CA - G3 roots as
//! anchors, the DVV and VRK issuing CAs as known intermediates. `--trust FILE` adds anchors;
//! `--trust-only FILE` replaces the bundled ones (intermediates stay available for path
//! building, but can only lead to the given anchors).

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::pki::load;
use crate::pki::path::name::Dn;
use crate::secret::PasswordSource;

/// Where a trusted certificate came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Shipped with tilicheck (DVV's public CA certificates).
    Bundled,
    /// A file the user named with `--trust` or `--trust-only`.
    File(PathBuf),
    /// A CA/QC service for website authentication in a verified trusted list
    /// (`--trusted-list`).
    TrustedList {
        tsp: String,
        service: String,
        /// The list's label: territory, sequence number, file or URL.
        list: String,
    },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Bundled => f.write_str("bundled DVV certificate"),
            Origin::File(p) => write!(f, "trusted from {}", p.display()),
            Origin::TrustedList { tsp, service, list } => write!(
                f,
                "CA/QC service for website authentication \"{service}\" of \"{tsp}\" in the verified {list}"
            ),
        }
    }
}

/// A CA certificate with its name and origin.
#[derive(Clone, Debug)]
pub struct TrustedCert {
    pub der: CertificateDer<'static>,
    /// The subject's common name, or the whole subject when it has none.
    pub name: String,
    pub origin: Origin,
    /// The subject name in the form §7.1 compares (None when it does not parse), decoded
    /// once so path building matches issuers without decoding every anchor at every step.
    pub subject: Option<Dn>,
}

/// A certificate's subject name in comparable form (None when it does not parse).
pub fn subject_name(der: &[u8]) -> Option<Dn> {
    let (_, subject) = crate::pki::issuer_pool::issuer_and_subject(der)?;
    Dn::from_der(subject)
}

/// A root the DVV intermediates chain to that is not available to tilicheck.
pub struct MissingRoot {
    pub common_name: &'static str,
    pub why: &'static str,
}

/// Roots the bundled intermediates name as issuer that cannot be shipped.
pub const MISSING_ROOTS: &[MissingRoot] = &[MissingRoot {
    common_name: "VRK Gov. Root CA - G2",
    why: "no public copy of VRK Gov. Root CA - G2 could be obtained, so certificates of the old VRK hierarchy cannot be validated; give the root with --trust if you have it from DVV",
}];

const BUNDLED_ANCHORS: &[&[u8]] = &[
    include_bytes!("../../pki-data/dvv/dvv-gov-root-ca-g3-rsa.pem"),
    include_bytes!("../../pki-data/dvv/dvv-gov-root-ca-g3-ecc.pem"),
];

const BUNDLED_INTERMEDIATES: &[&[u8]] = &[
    include_bytes!("../../pki-data/dvv/dvv-service-certificates-g5r.pem"),
    include_bytes!("../../pki-data/dvv/dvv-service-certificates-g5e.pem"),
    include_bytes!(
        "../../pki-data/dvv/dvv-social-welfare-and-healthcare-service-certificates-g3r.pem"
    ),
    include_bytes!(
        "../../pki-data/dvv/dvv-social-welfare-and-healthcare-service-certificates-g3e.pem"
    ),
    include_bytes!("../../pki-data/dvv/dvv-organisational-certificates-g4r.pem"),
    include_bytes!("../../pki-data/dvv/dvv-organisational-certificates-g4e.pem"),
    include_bytes!("../../pki-data/dvv/dvv-citizen-certificates-g4r.pem"),
    include_bytes!("../../pki-data/dvv/dvv-citizen-certificates-g4e.pem"),
    include_bytes!("../../pki-data/dvv/vrk-ca-for-service-providers-g4.pem"),
    include_bytes!(
        "../../pki-data/dvv/vrk-ca-for-social-welfare-and-healthcare-service-providers-g2.pem"
    ),
    include_bytes!("../../pki-data/dvv/vrk-ca-for-organisational-certificates-g3.pem"),
    include_bytes!("../../pki-data/dvv/vrk-gov-ca-for-citizen-certificates-g3.pem"),
];

/// Why the trust store could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{0}")]
    Load(#[from] load::LoadError),
    #[error("{path}: holds no certificate to trust")]
    Empty { path: String },
    #[error("{path}: certificate {index} cannot be a trust anchor: {why}")]
    BadAnchor {
        path: String,
        index: usize,
        why: String,
    },
}

/// The anchors a path may end at and the intermediates offered for building it.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    pub anchors: Vec<TrustedCert>,
    pub intermediates: Vec<TrustedCert>,
}

impl TrustStore {
    /// DVV's roots as anchors and its issuing CAs as intermediates.
    pub fn bundled() -> Self {
        TrustStore {
            anchors: parse_bundled(BUNDLED_ANCHORS),
            intermediates: parse_bundled(BUNDLED_INTERMEDIATES),
        }
    }

    /// The bundled store plus `extra` anchors, or (`only`) the given anchors alone.
    pub fn with_files(extra: &[PathBuf], only: &[PathBuf]) -> Result<Self, TrustError> {
        let mut store = Self::bundled();
        if !only.is_empty() {
            store.anchors.clear();
        }
        for path in only.iter().chain(extra) {
            store.anchors.extend(read_anchors(path)?);
        }
        Ok(store)
    }
}

impl TrustStore {
    /// Add the CA certificates of the verified lists' website-authentication services as
    /// anchors.
    pub fn add_trusted_lists(&mut self, lists: &crate::pki::trusted_list::TrustedLists) {
        for (list, provider, service, der) in lists.web_anchors() {
            if webpki::anchor_from_trusted_cert(der).is_err() {
                continue;
            }
            self.anchors.push(TrustedCert {
                subject: subject_name(der),
                der: der.clone(),
                name: display_name(der),
                origin: Origin::TrustedList {
                    tsp: provider.name.clone(),
                    service: service.name().to_owned(),
                    list: list.label(),
                },
            });
        }
    }
}

/// The certificates in `path`, each checked to be usable as an anchor.
pub fn read_anchors(path: &Path) -> Result<Vec<TrustedCert>, TrustError> {
    let file = load::read_certificates(path, &PasswordSource::None)?;
    let shown = path.display().to_string();
    if file.certificates.is_empty() {
        return Err(TrustError::Empty { path: shown });
    }
    file.certificates
        .into_iter()
        .enumerate()
        .map(|(i, der)| {
            webpki::anchor_from_trusted_cert(&der).map_err(|e| TrustError::BadAnchor {
                path: shown.clone(),
                index: i + 1,
                why: format!("{e:?}"),
            })?;
            Ok(TrustedCert {
                subject: subject_name(&der),
                name: display_name(&der),
                der,
                origin: Origin::File(path.to_path_buf()),
            })
        })
        .collect()
}

fn parse_bundled(files: &[&[u8]]) -> Vec<TrustedCert> {
    files
        .iter()
        .flat_map(|pem| CertificateDer::pem_slice_iter(pem))
        // The bundled files are fixed data checked by the tests below; a bad one is skipped
        // rather than taking the tool down.
        .filter_map(Result::ok)
        .map(|der| TrustedCert {
            subject: subject_name(&der),
            name: display_name(&der),
            der,
            origin: Origin::Bundled,
        })
        .collect()
}

/// The common name of a certificate's subject, or its whole subject.
pub fn display_name(der: &[u8]) -> String {
    match X509Certificate::from_der(der) {
        Ok((_, cert)) => display_name_of(&cert),
        Err(_) => "(unreadable certificate)".to_owned(),
    }
}

/// [`display_name`] of a certificate already parsed.
pub fn display_name_of(cert: &X509Certificate<'_>) -> String {
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| crate::pki::names::display(cert.subject()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::digest;

    fn sha256_hex(der: &[u8]) -> String {
        digest::digest(&digest::SHA256, der)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    #[test]
    fn bundled_roots_are_the_documented_ones() {
        let store = TrustStore::bundled();
        let prints: Vec<(String, String)> = store
            .anchors
            .iter()
            .map(|a| (a.name.clone(), sha256_hex(&a.der)))
            .collect();
        assert_eq!(
            prints,
            [
                (
                    "DVV Gov. Root CA - G3 RSA".to_owned(),
                    "D3ED3FC40AD26B52E001E1E18F4B9449529DEB75A81D5EB680D7B62DB23BA96D".to_owned()
                ),
                (
                    "DVV Gov. Root CA - G3 ECC".to_owned(),
                    "5546A52504FBA74F61FFD4890067529ADE3B9C9D07E502592831CCDA9B369FD3".to_owned()
                ),
            ]
        );
        for a in &store.anchors {
            assert!(
                webpki::anchor_from_trusted_cert(&a.der).is_ok(),
                "{}",
                a.name
            );
        }
    }

    #[test]
    fn every_bundled_intermediate_parses() {
        let store = TrustStore::bundled();
        assert_eq!(store.intermediates.len(), BUNDLED_INTERMEDIATES.len());
        let g5r = store
            .intermediates
            .iter()
            .find(|c| c.name == "DVV Service Certificates - G5R")
            .expect("G5R bundled");
        assert_eq!(
            sha256_hex(&g5r.der),
            "46319C69041DB9A0D93DAE802E3002CC615365931FE0976D392E8863E3F3BE31"
        );
    }
}
