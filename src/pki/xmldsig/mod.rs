//! Enveloped XML signatures (XML-DSig 1.1, with the XAdES signed properties ETSI's trusted
//! lists carry): canonicalisation, verification and signing, for every XML signature
//! tilicheck reads or makes (the Vero certificate service's messages, EU trusted lists, the
//! DEMO lists of the tests).
//!
//! A verifier says what it accepts with a [`Profile`]; [`verify::verify`] checks the one
//! signature of a document against it and returns what was verified, or why not.

pub mod algorithms;
pub mod c14n;
pub mod sign;
pub mod verify;

pub use algorithms::{DigestAlgorithm, Scheme, SignatureAlgorithm};
pub use c14n::Method as C14nMethod;
pub use sign::{SignOptions, SigningKey, Xades};
pub use verify::{Placement, Profile, Verified, verify};

pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const XADES_NS: &str = "http://uri.etsi.org/01903/v1.3.2#";
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// The Type of a Reference to XAdES SignedProperties.
pub const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903#SignedProperties";

/// Why a signature does not verify, or could not be made.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum DsigError {
    #[error("the message is not XML: {0}")]
    NotXml(String),
    #[error("the message carries no XML signature")]
    Unsigned,
    #[error("the message carries {0} XML signatures; exactly one is expected")]
    Several(usize),
    #[error(
        "the signature is inside <{parent}>, not a child of the document element: it does not envelop the whole document"
    )]
    Misplaced { parent: String },
    #[error("the signature has no <{0}>")]
    Missing(&'static str),
    #[error("<{parent}> holds <{element}>, which has no place there")]
    Unexpected {
        parent: &'static str,
        element: String,
    },
    #[error("the signature uses {what} '{value}', which is not supported here")]
    Unsupported { what: &'static str, value: String },
    #[error("<{0}> is not valid base64")]
    BadBase64(&'static str),
    #[error("the signer's certificate in KeyInfo is unreadable: {0}")]
    BadCertificate(String),
    #[error(
        "the Id \"{0}\" appears more than once: a reference to it would be ambiguous (a signature-wrapping pattern)"
    )]
    DuplicateId(String),
    #[error(
        "a Reference points at \"{0}\", which is neither the whole document nor the signature's own signed properties: the signature does not cover the document as a whole"
    )]
    ForeignReference(String),
    #[error("no Reference covers the whole document")]
    NoDocumentReference,
    #[error("{0} References claim the whole document; exactly one may")]
    SeveralDocumentReferences(usize),
    #[error(
        "the document Reference's transforms are {0}; enveloped-signature and at most one canonicalisation are expected"
    )]
    Transforms(String),
    #[error("{0} inside the signature is not covered by it (unsigned content)")]
    UnsignedContent(String),
    #[error("the digest does not match: the document was changed after it was signed")]
    DigestMismatch,
    #[error("the digest of the signed properties does not match: they were changed after signing")]
    PropertiesDigestMismatch,
    #[error("the signature value does not verify with the signer's certificate")]
    BadSignature,
    #[error("{0}")]
    KeyMismatch(String),
    #[error("the signed properties {0}")]
    SigningCertificate(String),
    #[error("cannot canonicalise: {0}")]
    C14n(#[from] c14n::C14nError),
    #[error("the signing key is not usable: {0}")]
    Key(String),
    #[error("cannot place the signature: {0}")]
    Placement(String),
}
