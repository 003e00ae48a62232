//! Network access: the one HTTP client every outbound request uses, the connections under it
//! (direct or through the environment's proxy), and the CA bundle HTTPS is verified against.

pub mod connect;
pub mod http;
pub mod proxy;
pub mod roots;
mod runtime;
