//! What the loader's tests share: a scratch directory that runs `openssl`, test certificates
//! and keys, and short names for the loader's entry points.

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

use crate::pki::load::pem::ToPem;
use crate::secret::PasswordSource;

use super::{CertificateFile, LoadError, PrivateKey, read_certificates, read_private_key};

/// Distinctive, so a leak into any message is easy to spot.
pub(super) const PASSWORD: &str = "Tulli-testi-salasana-7Q";

/// A temporary directory to write inputs into and run `openssl` in.
pub(super) struct Kit {
    pub(super) dir: tempfile::TempDir,
}

impl Kit {
    pub(super) fn new() -> Self {
        Kit {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(super) fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("write input");
        path
    }

    pub(super) fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("read output")
    }

    /// The right password, from a file.
    pub(super) fn password(&self) -> PasswordSource {
        PasswordSource::File(self.write("pw.txt", format!("{PASSWORD}\n")))
    }

    pub(super) fn wrong_password(&self) -> PasswordSource {
        PasswordSource::File(self.write("wrong-pw.txt", "not-the-password\n"))
    }

    /// Runs openssl in the kit's directory. Passwords go through the TILI_PW environment
    /// variable (`pass:`-free), so none shows in argv.
    pub(super) fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .env("TILI_PW", PASSWORD)
            .output()
            .expect("the openssl command must be installed for these tests");
        assert!(
            out.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

pub(super) fn self_signed(key: &KeyPair, name: &str) -> rcgen::Certificate {
    CertificateParams::new(vec![name.to_owned()])
        .expect("params")
        .self_signed(key)
        .expect("self-signed")
}

/// A CA and a leaf it issued.
pub(super) struct Chain {
    pub(super) ca: rcgen::Certificate,
    pub(super) leaf: rcgen::Certificate,
    pub(super) leaf_key: KeyPair,
}

pub(super) fn chain() -> Chain {
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Tilicheck Test CA");
    let ca = ca_params.self_signed(&ca_key).expect("ca cert");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["x.test".to_owned()])
        .expect("leaf params")
        .signed_by(&leaf_key, &Issuer::from_params(&ca_params, &ca_key))
        .expect("leaf cert");
    Chain { ca, leaf, leaf_key }
}

pub(super) fn rsa_key() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key")
}

/// The same inputs as `Kit::write` + `read_*`, for files written by openssl.
pub(super) fn certs(path: &Path, password: &PasswordSource) -> Result<CertificateFile, LoadError> {
    read_certificates(path, password)
}

pub(super) fn key(path: &Path, password: &PasswordSource) -> Result<PrivateKey, LoadError> {
    read_private_key(path, password)
}

pub(super) fn no_password() -> PasswordSource {
    PasswordSource::Env("TILICHECK_TEST_VARIABLE_THAT_IS_NEVER_SET".to_owned())
}

/// Writes leaf, its key and the CA, and exports them to `name` with extra `args`.
pub(super) fn export_p12(kit: &Kit, chain: &Chain, name: &str, args: &[&str]) -> PathBuf {
    kit.write("leaf.pem", chain.leaf.to_pem());
    kit.write("leaf-key.pem", chain.leaf_key.to_pem());
    kit.write("ca.pem", chain.ca.to_pem());
    let mut all = vec![
        "pkcs12",
        "-export",
        "-inkey",
        "leaf-key.pem",
        "-in",
        "leaf.pem",
        "-certfile",
        "ca.pem",
        "-out",
        name,
    ];
    all.extend_from_slice(args);
    kit.openssl(&all);
    kit.path(name)
}
