//! Integration tests: one test binary (each binary is a slow link), one module per area.

mod audit;
mod bad_input;
mod chain;
mod cli;
mod csr;
mod message;
mod message_split;
mod netpki;
mod pkits;
mod readiness;
mod revocation;
mod rules_on_fixtures;
mod send;
mod simulator;
mod snapshots;
mod support;
mod tls;
mod tls_hostile;
mod tls_servers;
mod vero;
