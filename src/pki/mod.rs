//! Certificates and keys: loading them from files, reading their facts, and the demo PKI.

pub mod base64;
pub mod chain;
pub mod conformance;
pub mod csr;
pub mod demo;
pub mod facts;
pub mod issuer_pool;
pub mod load;
pub mod names;
pub mod path;
pub mod qc;
pub mod revocation;
pub mod tlv;
pub mod trust;
pub mod trusted_list;
pub mod xmldsig;
