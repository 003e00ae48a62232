//! tilicheck: readiness checks for Finnish Customs' Bank and Payment Account Register
//! (Tilirekisteri) and the Tax Administration's Vero API.
//!
//! Data flows one way: *inputs* (files, network) → *facts* (what was observed) → *checks*
//! (facts compared with a [`profile`]) → [`findings`] → [`render`]ers. `main` only maps a
//! report to an exit code.

pub mod atomic_file;
pub mod audit;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod error;
pub mod findings;
pub mod identity;
pub mod input_file;
pub mod ledger;
pub mod message;
pub mod net;
pub mod pki;
pub mod profile;
pub mod render;
pub mod secret;
pub mod send;
pub mod simulator;
pub mod time_arg;
pub mod tls;
pub mod vero;
pub mod xml;
