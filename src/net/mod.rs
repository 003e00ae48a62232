//! Network access: the bounded HTTP client revocation and AIA downloads use.

pub mod http;
