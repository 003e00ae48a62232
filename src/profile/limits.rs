//! How much work any input may ask of tilicheck. These are not register rules: they keep a
//! hostile or mistaken file from costing minutes, gigabytes or the stack. Every reader takes
//! its limit from here, so one number holds for every format that has the same danger.

/// Most PBKDF2 iterations run for a password-encrypted key. Real files use 2,048 to a few
/// hundred thousand; more is a mistake or an attempt to hang the tool.
pub const MAX_PBKDF2_ITERATIONS: u64 = 10_000_000;

/// Most memory scrypt may use (128 · N · r bytes) for a password-encrypted key. OpenSSL's
/// default (N = 16384, r = 8) needs 16 MiB.
pub const MAX_SCRYPT_MEMORY_BYTES: u64 = 256 * 1024 * 1024;

/// Most scrypt parallelism (p) accepted; each lane costs the whole N · r again.
pub const MAX_SCRYPT_PARALLELISM: u64 = 16;

/// Deepest element nesting of any XML document read (SOAP answers, trusted lists, XML
/// signatures). Real documents nest under 30 levels; XML parsers recurse once per level, so a
/// document nested 20,000 deep would overflow the stack.
pub const MAX_XML_DEPTH: usize = 128;

/// Most nodes (elements, attributes, text) of any XML document read. A national trusted list
/// has tens of thousands.
pub const MAX_XML_NODES: u32 = 5_000_000;

/// Largest trusted list read, from a file or the network. The EU's LOTL is about 0.5 MB and
/// the biggest national lists a few megabytes; a larger file is refused before it is read.
pub const MAX_TRUSTED_LIST_BYTES: u64 = 16 * 1024 * 1024;
