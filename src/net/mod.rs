//! Network access: the bounded HTTP client revocation, AIA and trusted-list downloads use,
//! and the CA bundle HTTPS is verified against.

pub mod http;
pub mod roots;
