//! Checks compare facts with a profile and return findings. They never print and never
//! touch files or the network: the command runners in this module's children gather the
//! facts first.

pub mod cert;
pub mod chain;
pub mod csr;
pub mod identity;
pub mod message;
pub mod qwac;
pub mod register;
pub mod tls;
pub mod trust;
pub mod trusted_list;
pub mod vero;
pub mod x509;
