//! ETSI TS 119 612 trusted lists, verified before they are believed: the EU List of Trusted
//! Lists (LOTL), signed by certificates announced in the Official Journal, and the national
//! lists it points to, each signed by a certificate the LOTL names for its territory.
//!
//! - [`model`]: what a list says, as data;
//! - [`parse`]: reading the XML (by place, never by searching);
//! - [`verify`]: the XAdES signature and the signer's authority, giving a
//!   [`VerifiedTrustedList`];
//! - [`lotl`]: the pinned LOTL signers;
//! - [`set`]: the lists a run relies on; [`qualify`]: is a certificate a QWAC (TS 119 615).

pub mod auto;
pub mod lotl;
pub mod model;
pub mod parse;
pub mod qualify;
pub mod set;
pub mod source;
pub mod verify;

use std::path::Path;

pub use auto::{AutoLists, AutoOptions};
pub use lotl::LotlSigners;
pub use model::ListFacts;
pub use qualify::{Qualification, Verdict};
pub use set::TrustedLists;
pub use source::ListSource;
pub use verify::{Anchors, CheckedList, Freshness, SignerCheck, VerifiedTrustedList, check};

use crate::profile::limits::MAX_TRUSTED_LIST_BYTES;
use crate::xml::XmlError;

/// Why a list could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum TlError {
    #[error("{path}: cannot read the trusted list: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: is a directory; give a trusted list file")]
    Directory { path: String },
    #[error("{path}: is {kind}, not a regular file; give the path of a trusted list file")]
    NotRegular {
        path: String,
        kind: crate::input_file::SpecialFile,
    },
    #[error("{path}: is empty, not a trusted list")]
    Empty { path: String },
    #[error("{path}: the directory holds no *.xml trusted list")]
    NoLists { path: String },
    #[error(
        "{path}: the trusted list is larger than {limit} bytes (the largest EU lists are a few megabytes); refused before reading"
    )]
    TooBig { path: String, limit: u64 },
    #[error("{path}: not a trusted list: the file is not UTF-8 text")]
    NotUtf8 { path: String },
    #[error("{path}: not well-formed XML: {why}")]
    Xml { path: String, why: String },
    /// Refused before parsing: nested deeper than any real list.
    #[error("{path}: {why}")]
    TooDeep { path: String, why: String },
    #[error("{path}: {why}")]
    NotATrustedList {
        path: String,
        why: parse::ParseError,
    },
}

pub(crate) fn read_error(path: &str, e: XmlError) -> TlError {
    match e {
        too_deep @ XmlError::TooDeep { .. } => TlError::TooDeep {
            path: path.to_owned(),
            why: too_deep.to_string(),
        },
        XmlError::Malformed(why) => TlError::Xml {
            path: path.to_owned(),
            why,
        },
    }
}

/// Read a list file as text: regular files only (a FIFO or device is refused before it is
/// opened for reading), refused by size before a byte is read, and read no further than the
/// cap even if the file grows meanwhile.
pub fn read_file(path: &Path) -> Result<String, TlError> {
    use crate::input_file::{OpenError, ReadError, SpecialFile, read_regular};
    let shown = path.display().to_string();
    let bytes = read_regular(path, MAX_TRUSTED_LIST_BYTES).map_err(|e| match e {
        ReadError::Open(OpenError::NotRegular(SpecialFile::Directory)) => TlError::Directory {
            path: shown.clone(),
        },
        ReadError::Open(OpenError::NotRegular(kind)) => TlError::NotRegular {
            path: shown.clone(),
            kind,
        },
        ReadError::Open(OpenError::Io(source)) | ReadError::Io(source) => TlError::Read {
            path: shown.clone(),
            source,
        },
        ReadError::TooLarge { limit } => TlError::TooBig {
            path: shown.clone(),
            limit,
        },
    })?;
    text(&shown, bytes)
}

/// A list's bytes as text, from a file or a download named `name`.
pub fn text(name: &str, bytes: Vec<u8>) -> Result<String, TlError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(TlError::Empty {
            path: name.to_owned(),
        });
    }
    String::from_utf8(bytes).map_err(|_| TlError::NotUtf8 {
        path: name.to_owned(),
    })
}
