//! Account Register update messages: reading them strictly, classifying, validating against
//! the official schemas and beyond, the two JWS tokens, request files and synthetic reports.

pub mod canonical;
pub mod content;
pub mod dispute;
pub mod finnish_ids;
pub mod generate;
pub mod jws;
pub mod kind;
pub mod parse;
pub mod request;
pub mod schemas;
pub mod section;
pub mod split;
pub mod validate;
