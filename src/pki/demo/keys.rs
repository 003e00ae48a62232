//! The demo's key pairs, generated in parallel, or reused from a key cache.

use std::path::Path;

use rcgen::{KeyPair, RsaKeySize, SignatureAlgorithm};

use super::DemoError;
use crate::atomic_file::{self, Access, Existing};
use crate::pki::load::pem::ToPem;

/// Where a DEMO PKI's keys came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    /// Made now.
    Generated,
    /// Read from the key cache (made by an earlier run).
    Cached,
}

/// Every key the demo needs, made in parallel: RSA key generation is the slow part.
pub(super) struct Keys {
    pub(super) root: KeyPair,
    pub(super) service_ca: KeyPair,
    pub(super) qwac_ca: KeyPair,
    pub(super) supplier: KeyPair,
    pub(super) service_centre: KeyPair,
    pub(super) qwac: KeyPair,
    pub(super) register: KeyPair,
    pub(super) mismatched: KeyPair,
    pub(super) rsa2048: KeyPair,
    pub(super) ec_p256: KeyPair,
}

#[derive(Clone, Copy)]
enum KeySpec {
    /// RSA of the given size; the algorithm is what certificates signed by the key use.
    Rsa(&'static SignatureAlgorithm, RsaKeySize),
    EcP256,
}

/// Every key, in the order of the `Keys` fields, with its file name and kind.
const JOBS: [(&str, KeySpec); 10] = {
    use KeySpec::{EcP256, Rsa};
    use rcgen::{PKCS_RSA_SHA256 as SHA256, PKCS_RSA_SHA512 as SHA512};
    [
        ("root-ca.key", Rsa(&SHA512, RsaKeySize::_3072)),
        ("service-ca.key", Rsa(&SHA512, RsaKeySize::_3072)),
        ("qwac-ca.key", Rsa(&SHA256, RsaKeySize::_3072)),
        ("supplier.key", Rsa(&SHA256, RsaKeySize::_3072)),
        ("service-centre.key", Rsa(&SHA256, RsaKeySize::_3072)),
        ("qwac.key", Rsa(&SHA256, RsaKeySize::_3072)),
        ("register.key", Rsa(&SHA256, RsaKeySize::_3072)),
        ("bad-mismatched.key", Rsa(&SHA256, RsaKeySize::_3072)),
        ("bad-rsa2048.key", Rsa(&SHA256, RsaKeySize::_2048)),
        ("bad-ec-p256.key", EcP256),
    ]
};

impl Keys {
    /// The keys cached in `dir` by an earlier run, or fresh ones written there (owner-only)
    /// for the next. RSA key generation is most of a demo's CPU time; certificates are always
    /// made anew, so their dates follow `--at`. Any missing, unreadable or wrong-kind key
    /// means a fresh set: a cache is never half trusted.
    pub(super) fn cached_in(dir: &Path) -> Result<(Self, KeyOrigin), DemoError> {
        if let Some(keys) = Self::read_cache(dir) {
            return Ok((keys, KeyOrigin::Cached));
        }
        let keys = Self::generate()?;
        keys.write_cache(dir)?;
        Ok((keys, KeyOrigin::Generated))
    }

    fn read_cache(dir: &Path) -> Option<Self> {
        let mut read = JOBS.iter().map(|&(file, spec)| {
            let none = crate::secret::PasswordSource::None;
            let der = crate::pki::load::read_private_key(&dir.join(file), &none)
                .ok()?
                .der;
            let alg = match spec {
                KeySpec::Rsa(alg, _) => alg,
                KeySpec::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            };
            let key = KeyPair::from_der_and_sign_algo(&der, alg).ok()?;
            (modulus_bytes(&key) == spec.modulus_bytes()).then_some(key)
        });
        let mut next = || read.next().flatten();
        Some(Keys {
            root: next()?,
            service_ca: next()?,
            qwac_ca: next()?,
            supplier: next()?,
            service_centre: next()?,
            qwac: next()?,
            register: next()?,
            mismatched: next()?,
            rsa2048: next()?,
            ec_p256: next()?,
        })
    }

    fn write_cache(&self, dir: &Path) -> Result<(), DemoError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DemoError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(io(dir))?;
        }
        let keys = [
            &self.root,
            &self.service_ca,
            &self.qwac_ca,
            &self.supplier,
            &self.service_centre,
            &self.qwac,
            &self.register,
            &self.mismatched,
            &self.rsa2048,
            &self.ec_p256,
        ];
        for (&(file, _), key) in JOBS.iter().zip(keys) {
            let path = dir.join(file);
            let pem = zeroize::Zeroizing::new(key.to_pem());
            atomic_file::write(&path, pem.as_bytes(), Access::OwnerOnly, Existing::Replace)
                .map_err(io(&path))?;
        }
        Ok(())
    }

    pub(super) fn generate() -> Result<Self, DemoError> {
        let jobs = JOBS;
        let results: Vec<Result<KeyPair, DemoError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .iter()
                .map(|&(file, spec)| (file, scope.spawn(move || generate_key(file, spec))))
                .collect();
            handles
                .into_iter()
                .map(|(file, handle)| {
                    handle.join().unwrap_or_else(|_| {
                        Err(DemoError::Key {
                            file,
                            reason: "key generation panicked".into(),
                        })
                    })
                })
                .collect()
        });
        let mut results = results.into_iter();
        let mut next = || {
            results.next().unwrap_or_else(|| {
                Err(DemoError::Key {
                    file: "?",
                    reason: "missing key".into(),
                })
            })
        };
        Ok(Keys {
            root: next()?,
            service_ca: next()?,
            qwac_ca: next()?,
            supplier: next()?,
            service_centre: next()?,
            qwac: next()?,
            register: next()?,
            mismatched: next()?,
            rsa2048: next()?,
            ec_p256: next()?,
        })
    }
}

impl KeySpec {
    /// The RSA modulus size in bytes; 0 for EC keys.
    fn modulus_bytes(self) -> usize {
        match self {
            KeySpec::Rsa(_, RsaKeySize::_2048) => 256,
            KeySpec::Rsa(_, RsaKeySize::_3072) => 384,
            KeySpec::Rsa(_, RsaKeySize::_4096) => 512,
            KeySpec::Rsa(..) => usize::MAX,
            KeySpec::EcP256 => 0,
        }
    }
}

/// The RSA modulus size of `key` in bytes (0 for EC keys), read from its public key.
fn modulus_bytes(key: &KeyPair) -> usize {
    use rcgen::PublicKeyData as _;
    use x509_parser::prelude::FromDer as _;
    if key.algorithm() == &rcgen::PKCS_ECDSA_P256_SHA256 {
        return 0;
    }
    x509_parser::prelude::SubjectPublicKeyInfo::from_der(&key.subject_public_key_info())
        .ok()
        .and_then(|(_, spki)| match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.key_size() / 8),
            _ => None,
        })
        .unwrap_or(usize::MAX - 1)
}

fn generate_key(file: &'static str, spec: KeySpec) -> Result<KeyPair, DemoError> {
    let key = match spec {
        KeySpec::Rsa(alg, size) => KeyPair::generate_rsa_for(alg, size),
        KeySpec::EcP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
    };
    key.map_err(|e| DemoError::Key {
        file,
        reason: e.to_string(),
    })
}
