//! Integration tests: one test binary (each binary is a slow link), one module per area.

mod bad_input;
mod cli;
mod rules_on_fixtures;
mod snapshots;
mod support;
mod tls;
mod tls_hostile;
mod tls_servers;
