//! Integration tests: one test binary (each binary is a slow link), one module per area.

mod audit;
mod bad_input;
mod chain;
mod cli;
mod csr;
mod hostile_output;
mod message;
mod message_split;
mod message_split_oracle;
mod message_verify;
mod netpki;
mod pkilint;
mod pkits;
mod readiness;
mod revocation;
mod rules_on_fixtures;
mod send;
mod send_resume;
mod simulator;
mod snapshots;
mod support;
mod tls;
mod tls_dhe;
mod tls_hostile;
mod tls_servers;
mod vero;
