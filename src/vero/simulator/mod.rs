//! A local stand-in for the Tax Administration's certificate service, for tests and for
//! users' own integration tests (`tilicheck vero serve-pki`). Loopback only.

pub mod ca;
pub mod server;
pub mod service;

pub use server::{Simulator, SimulatorConfig, SimulatorError, grant};
pub use service::{Misbehaviour, TransferGrant};
