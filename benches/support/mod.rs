//! What the benchmarks share: the committed DEMO fixtures, and the simulator configured on them
//! as a bench drives it (loopback, no inspection page, the DEMO supplier as the one signer).

#![allow(dead_code)] // each bench uses what it needs

use std::path::{Path, PathBuf};

use tilicheck::pki::load::{read_certificates, read_private_key};
use tilicheck::profile::Interface;
use tilicheck::secret::PasswordSource;
use tilicheck::simulator::supplier_registry::SupplierRegistry;
use tilicheck::simulator::{Config, Limits, SequentialPolicy};

/// A file of the committed DEMO PKI (testdata/pki).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/pki")
        .join(name)
}

/// The simulator on an ephemeral loopback port with its data in `data_dir`: the DEMO register
/// certificate, the DEMO root as trust, the DEMO supplier delivered. Concurrent sends from the
/// one supplier certificate are flagged, not refused, so several clients can share it.
pub fn simulator_config(data_dir: &Path) -> Config {
    let none = PasswordSource::None;
    Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        allow_remote: false,
        inspect: None,
        data_dir: data_dir.to_owned(),
        interface: Interface::V3,
        server_chain: read_certificates(&fixture("register-chain.pem"), &none)
            .expect("chain")
            .certificates,
        server_key: read_private_key(&fixture("register.key"), &none)
            .expect("key")
            .der,
        trust: read_certificates(&fixture("root-ca.pem"), &none)
            .expect("root")
            .certificates,
        key_exchange: Default::default(),
        registry: SupplierRegistry::load(&[fixture("supplier.pem")], vec![]).expect("registry"),
        judge: tilicheck::simulator::setup::default_judge(),
        faults: Default::default(),
        sequential: SequentialPolicy::Warn,
        content: Default::default(),
        limits: Limits::default(),
        verbose: false,
        retain_days: None,
    }
}
