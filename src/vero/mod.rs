//! The Vero API certificate: Finnish time and working days for its go-live timing, and the
//! Tax Administration's certificate service (client, messages and a local simulator).

pub mod client;
pub mod dsig;
pub mod finnish_time;
pub mod https;
pub mod journal;
pub mod request;
pub mod simulator;
pub mod soap;
