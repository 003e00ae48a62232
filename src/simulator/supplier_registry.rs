//! The certificates "delivered to Customs": only these may sign, and a connection's TLS
//! certificate must belong to the signer or to a service centre authorised to act for it.

use std::path::{Path, PathBuf};

use crate::identity::{BusinessId, parse_written};
use crate::message::jws::VerifyingKey;
use crate::pki::facts::{CertificateFacts, KeyFacts};

/// One registered signing certificate.
#[derive(Clone, Debug)]
pub struct RegisteredSupplier {
    /// The identifier as written in the certificate (serialNumber, else organizationIdentifier):
    /// the value `sub` must equal, character for character.
    pub written_id: String,
    pub id: Option<BusinessId>,
    /// Subject DN, for messages.
    pub subject: String,
    /// The certificate's RSA public key, parsed once for RS256; None for a non-RSA key or one
    /// outside 2048–8192 bits (no RS256 token can verify with it).
    pub rsa_key: Option<VerifyingKey>,
    pub sha256_fingerprint: String,
    /// Everything read from the certificate, for the token checks.
    pub facts: CertificateFacts,
}

/// Why the registry could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{path}: {problem}")]
    File { path: PathBuf, problem: String },
    #[error(
        "{0}: the certificate has neither a subject serialNumber nor an organizationIdentifier, so no sub can match it"
    )]
    NoIdentifier(String),
}

/// The registered suppliers and the service centres allowed to connect for them.
#[derive(Clone, Debug, Default)]
pub struct SupplierRegistry {
    pub suppliers: Vec<RegisteredSupplier>,
    pub service_centres: Vec<BusinessId>,
}

/// The identifier a TLS client certificate carries.
pub fn certificate_identity(facts: &CertificateFacts) -> Option<String> {
    facts.identifier().map(str::to_owned)
}

impl RegisteredSupplier {
    pub fn from_der(der: &[u8], label: &str) -> Result<Self, RegistryError> {
        let facts = CertificateFacts::from_der(der).map_err(|e| RegistryError::File {
            path: PathBuf::from(label),
            problem: e.to_string(),
        })?;
        let written_id = certificate_identity(&facts)
            .ok_or_else(|| RegistryError::NoIdentifier(label.to_owned()))?;
        let rsa_key = match facts.key {
            KeyFacts::Rsa { .. } => VerifyingKey::from_pkcs1(&facts.public_key_raw),
            _ => None,
        };
        Ok(RegisteredSupplier {
            id: parse_written(&written_id).ok().map(|w| w.id),
            written_id,
            subject: facts.subject.clone(),
            rsa_key,
            sha256_fingerprint: facts.sha256_fingerprint.clone(),
            facts,
        })
    }
}

impl SupplierRegistry {
    /// Read `--supplier` arguments: certificate files, or directories of `.pem`/`.crt`/`.cer`/`.der`.
    pub fn load(
        paths: &[PathBuf],
        service_centres: Vec<BusinessId>,
    ) -> Result<Self, RegistryError> {
        let mut registry = SupplierRegistry {
            suppliers: Vec::new(),
            service_centres,
        };
        for path in paths {
            if path.is_dir() {
                let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                    .map_err(|e| file_error(path, e))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        matches!(
                            p.extension().and_then(|e| e.to_str()),
                            Some("pem" | "crt" | "cer" | "der")
                        )
                    })
                    .collect();
                entries.sort();
                for entry in entries {
                    registry.add_file(&entry)?;
                }
            } else {
                registry.add_file(path)?;
            }
        }
        Ok(registry)
    }

    fn add_file(&mut self, path: &Path) -> Result<(), RegistryError> {
        let file = crate::pki::load::read_certificates(path, &crate::secret::PasswordSource::None)
            .map_err(|e| RegistryError::File {
                path: path.to_owned(),
                problem: e.to_string(),
            })?;
        let first = file
            .certificates
            .first()
            .ok_or_else(|| RegistryError::File {
                path: path.to_owned(),
                problem: "no certificate in the file".into(),
            })?;
        self.suppliers.push(RegisteredSupplier::from_der(
            first.as_ref(),
            &path.display().to_string(),
        )?);
        Ok(())
    }

    /// May a connection whose TLS certificate carries `tls_id` send for `signer`?
    pub fn may_send_for(&self, tls_id: &str, signer: &RegisteredSupplier) -> bool {
        if tls_id == signer.written_id {
            return true;
        }
        let Ok(tls) = parse_written(tls_id) else {
            return false;
        };
        signer.id == Some(tls.id) || self.service_centres.contains(&tls.id)
    }
}

fn file_error(path: &Path, e: std::io::Error) -> RegistryError {
    RegistryError::File {
        path: path.to_owned(),
        problem: e.to_string(),
    }
}
