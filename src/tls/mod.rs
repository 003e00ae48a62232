//! The endpoint side: what a TLS server negotiates. Raw hellos ([`probe`]) learn what rustls
//! cannot speak; a real rustls handshake ([`handshake`]) tests mutual TLS and HTTP.

pub mod client;
pub mod client_auth;
pub mod client_hello;
pub mod client_identity;
pub mod dh;
pub mod endpoint;
pub mod facts;
pub mod foreign;
pub mod handshake;
pub mod probe;
pub mod report;
pub mod server_hello;
pub mod server_name;
pub mod suites;
