//! The demo's key pairs, generated in parallel.

use rcgen::{KeyPair, RsaKeySize, SignatureAlgorithm};

use super::DemoError;

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

impl Keys {
    pub(super) fn generate() -> Result<Self, DemoError> {
        use KeySpec::{EcP256, Rsa};
        use rcgen::{PKCS_RSA_SHA256 as SHA256, PKCS_RSA_SHA512 as SHA512};
        let jobs: [(&'static str, KeySpec); 10] = [
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
        ];
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
