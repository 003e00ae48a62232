//! Integration tests: one test binary (each binary is a slow link), one module per area.

mod audit;
mod bad_input;
mod cli;
mod csr;
mod rules_on_fixtures;
mod simulator;
mod snapshots;
mod support;
