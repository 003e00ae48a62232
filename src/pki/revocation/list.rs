//! One CRL (RFC 5280 §5), decoded once into what revocation checking asks of it: issuer, times,
//! number, scope (issuingDistributionPoint), delta base, entries. A CRL that can be read but
//! must not be used — an extension it does not understand marked critical, an entry extension
//! likewise, a known extension that does not decode, mismatching signature algorithms — keeps
//! the reason in [`Crl::unusable`], so the report can say why it was set aside.

use std::fmt;
use std::path::PathBuf;

use der::asn1::ObjectIdentifier;
use der::asn1::{AnyRef, BitString, ContextSpecific};
use der::{Decode, Encode, Header, Reader, SliceReader, Tag, TagNumber, Tagged};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::crl::RevokedCert;
use x509_cert::ext::pkix::AuthorityKeyIdentifier;
use x509_cert::ext::pkix::IssuingDistributionPoint;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::crl::{BaseCrlNumber, CrlNumber, CrlReason, FreshestCrl};
use x509_cert::ext::pkix::name::{GeneralName, GeneralNames};
use x509_cert::name::Name;

use super::dn::CanonicalName;
use super::show_time;

const CRL_NUMBER: &str = "2.5.29.20";
const DELTA_CRL_INDICATOR: &str = "2.5.29.27";
const ISSUING_DISTRIBUTION_POINT: &str = "2.5.29.28";
const AUTHORITY_KEY_IDENTIFIER: &str = "2.5.29.35";
const ISSUER_ALT_NAME: &str = "2.5.29.18";
const FRESHEST_CRL: &str = "2.5.29.46";
const AUTHORITY_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
const REASON_CODE: &str = "2.5.29.21";
const HOLD_INSTRUCTION: &str = "2.5.29.23";
const INVALIDITY_DATE: &str = "2.5.29.24";
const CERTIFICATE_ISSUER: &str = "2.5.29.29";

/// Where a CRL came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A `--crl` file.
    File(PathBuf),
    /// A distribution point URL, with how it was obtained ("fetched …", "cached in …").
    Url { url: String, how: String },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Url { url, .. } => f.write_str(url),
        }
    }
}

/// A CRL number (cRLNumber, BaseCRLNumber): a non-negative integer of up to 20 octets, kept
/// without leading zeros so that comparing (length, bytes) compares values.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CrlNum(usize, Vec<u8>);

impl CrlNum {
    fn new(bytes: &[u8]) -> CrlNum {
        let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
        CrlNum(trimmed.len(), trimmed)
    }
}

impl fmt::Display for CrlNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1.is_empty() {
            return f.write_str("0");
        }
        if self.1.len() <= 8 {
            let mut n = 0u64;
            for b in &self.1 {
                n = (n << 8) | u64::from(*b);
            }
            return write!(f, "{n}");
        }
        f.write_str("0x")?;
        self.1.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// One revoked certificate.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The serial number's content octets, as in the certificate.
    pub serial: Box<[u8]>,
    pub date: OffsetDateTime,
    pub reason: Option<CrlReason>,
    /// The certificate issuer of an indirect CRL's entry (index into `Crl::entry_issuers`);
    /// None: the CRL issuer.
    issuer: Option<usize>,
}

/// A decoded CRL.
pub struct Crl {
    pub origin: Origin,
    der: Vec<u8>,
    /// Where tbsCertList sits in `der` (what the signature covers).
    tbs: std::ops::Range<usize>,
    /// The outer signature algorithm and value.
    pub(super) signature_algorithm: Vec<u8>,
    pub(super) signature: Vec<u8>,
    pub issuer_name: Name,
    pub issuer: CanonicalName,
    /// The issuer as shown to a person.
    pub issuer_shown: String,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
    pub number: Option<CrlNum>,
    /// Set on a delta CRL: the number of the complete CRL it builds on.
    pub delta_base: Option<CrlNum>,
    pub idp: Option<IssuingDistributionPoint>,
    /// The IDP extension's encoded value: a delta and its complete CRL must carry the same.
    pub idp_der: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    /// Where deltas for this CRL are published (freshestCRL).
    pub freshest: Vec<DistributionPoint>,
    /// Why this CRL cannot be used for any certificate.
    pub unusable: Option<String>,
    entries: Vec<Entry>,
    entry_issuers: Vec<Vec<GeneralName>>,
}

impl fmt::Debug for Crl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crl")
            .field("origin", &self.origin)
            .field("issuer", &self.issuer_shown)
            .field("number", &self.number)
            .field("delta_base", &self.delta_base)
            .field("entries", &self.entries.len())
            .field("unusable", &self.unusable)
            .finish_non_exhaustive()
    }
}

fn datetime(t: &x509_cert::time::Time) -> OffsetDateTime {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A CRL's fields, its entries still encoded: a CRL of a million entries is decoded one entry
/// at a time instead of all at once.
struct Parts<'a> {
    /// Where tbsCertList sits in the DER.
    tbs: std::ops::Range<usize>,
    version: Option<x509_cert::Version>,
    inner_algorithm: AlgorithmIdentifierOwned,
    issuer: Name,
    this_update: x509_cert::time::Time,
    next_update: Option<x509_cert::time::Time>,
    /// The contents of revokedCertificates.
    revoked: &'a [u8],
    extensions: Option<x509_cert::ext::Extensions>,
    outer_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

fn position<'r>(r: &impl Reader<'r>) -> der::Result<usize> {
    usize::try_from(r.position())
}

/// CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }.
fn decode_parts(der: &[u8]) -> der::Result<Parts<'_>> {
    let mut outer = SliceReader::new(der)?;
    let header = Header::decode(&mut outer)?;
    header.tag.assert_eq(Tag::Sequence)?;
    // Positions inside the nested reader count from the end of the outer header.
    let base = position(&outer)?;
    let (tbs, tbs_body, outer_algorithm, signature) = outer.read_nested(header.length, |r| {
        let start = base + position(r)?;
        let tbs = AnyRef::decode(r)?;
        tbs.tag().assert_eq(Tag::Sequence)?;
        let end = base + position(r)?;
        let algorithm = AlgorithmIdentifierOwned::decode(r)?;
        let signature = BitString::decode(r)?;
        Ok((start..end, tbs.value(), algorithm, signature))
    })?;
    if !outer.is_finished() {
        return Err(der::ErrorKind::TrailingData {
            decoded: outer.position(),
            remaining: outer.remaining_len(),
        }
        .into());
    }
    let mut r = SliceReader::new(tbs_body)?;
    let version = match r.peek_tag()? {
        Tag::Integer => Some(x509_cert::Version::decode(&mut r)?),
        _ => None,
    };
    let inner_algorithm = AlgorithmIdentifierOwned::decode(&mut r)?;
    let issuer = Name::decode(&mut r)?;
    let this_update = x509_cert::time::Time::decode(&mut r)?;
    let next_update = match r.peek_tag() {
        Ok(Tag::UtcTime | Tag::GeneralizedTime) => Some(x509_cert::time::Time::decode(&mut r)?),
        _ => None,
    };
    let revoked = match r.peek_tag() {
        Ok(Tag::Sequence) => AnyRef::decode(&mut r)?.value(),
        _ => &[],
    };
    let extensions = if r.is_finished() {
        None
    } else {
        ContextSpecific::<x509_cert::ext::Extensions>::decode_explicit(&mut r, TagNumber::N0)?
            .map(|c| c.value)
    };
    let parts = Parts {
        tbs,
        version,
        inner_algorithm,
        issuer,
        this_update,
        next_update,
        revoked,
        extensions,
        outer_algorithm,
        signature,
    };
    r.finish(parts)
}

impl Crl {
    /// Decode `der`. Err: it is not a CRL at all (the message says what is wrong).
    pub fn parse(der: Vec<u8>, origin: Origin) -> Result<Crl, String> {
        let not_der = |e: der::Error| format!("the CRL is not valid DER: {e}");
        let t = decode_parts(&der).map_err(not_der)?;
        let signature_algorithm = t.outer_algorithm.to_der().map_err(|e| e.to_string())?;
        let mut problems: Vec<String> = Vec::new();
        if t.inner_algorithm != t.outer_algorithm {
            problems.push(
                "its inner signature algorithm differs from the outer one (RFC 5280 §5.1.2.2)"
                    .into(),
            );
        }
        let issuer_der = t.issuer.to_der().map_err(|e| e.to_string())?;
        let issuer_shown =
            match <x509_parser::x509::X509Name as x509_parser::prelude::FromDer<_>>::from_der(
                &issuer_der,
            ) {
                Ok((_, n)) => crate::pki::names::read(&n).display,
                Err(_) => t.issuer.to_string(),
            };
        let mut crl = Crl {
            origin,
            tbs: t.tbs.clone(),
            signature_algorithm,
            signature: t.signature.raw_bytes().to_vec(),
            issuer: CanonicalName::of(&t.issuer),
            issuer_name: t.issuer.clone(),
            issuer_shown,
            this_update: datetime(&t.this_update),
            next_update: t.next_update.as_ref().map(datetime),
            number: None,
            delta_base: None,
            idp: None,
            idp_der: None,
            authority_key_id: None,
            freshest: Vec::new(),
            unusable: None,
            entries: Vec::new(),
            entry_issuers: Vec::new(),
            der: Vec::new(),
        };
        match t.version {
            None | Some(x509_cert::Version::V2) => {}
            Some(v) => problems.push(format!("its version is {v:?}, not v2 (RFC 5280 §5.1.2.1)")),
        }
        let mut entry_extensions = false;
        let mut seen: Vec<ObjectIdentifier> = Vec::new();
        for ext in t.extensions.iter().flatten() {
            let id = ext.extn_id.to_string();
            if seen.contains(&ext.extn_id) {
                problems.push(format!("the extension {id} appears twice"));
                continue;
            }
            seen.push(ext.extn_id);
            let value = ext.extn_value.as_bytes();
            let bad =
                |what: &str, e: der::Error| format!("its {what} extension does not decode ({e})");
            match id.as_str() {
                CRL_NUMBER => match CrlNumber::from_der(value) {
                    Ok(n) => crl.number = Some(CrlNum::new(n.0.as_bytes())),
                    Err(e) => problems.push(bad("cRLNumber", e)),
                },
                DELTA_CRL_INDICATOR => match BaseCrlNumber::from_der(value) {
                    Ok(n) => crl.delta_base = Some(CrlNum::new(n.0.as_bytes())),
                    Err(e) => problems.push(bad("deltaCRLIndicator", e)),
                },
                ISSUING_DISTRIBUTION_POINT => match IssuingDistributionPoint::from_der(value) {
                    Ok(idp) => {
                        crl.idp = Some(idp);
                        crl.idp_der = Some(value.to_vec());
                    }
                    Err(e) => problems.push(bad("issuingDistributionPoint", e)),
                },
                AUTHORITY_KEY_IDENTIFIER => match AuthorityKeyIdentifier::from_der(value) {
                    Ok(aki) => {
                        crl.authority_key_id =
                            aki.key_identifier.map(|k| k.as_bytes().to_vec());
                    }
                    Err(e) => problems.push(bad("authorityKeyIdentifier", e)),
                },
                FRESHEST_CRL => match FreshestCrl::from_der(value) {
                    Ok(f) => crl.freshest = f.0,
                    Err(e) => problems.push(bad("freshestCRL", e)),
                },
                ISSUER_ALT_NAME | AUTHORITY_INFO_ACCESS => {}
                _ if ext.critical => problems.push(format!(
                    "it has a critical extension {id} that tilicheck does not understand (RFC 5280 §5.2: such a CRL must not be used)"
                )),
                _ => {}
            }
        }
        let mut entries = SliceReader::new(t.revoked).map_err(not_der)?;
        while !entries.is_finished() {
            let r = RevokedCert::decode(&mut entries).map_err(not_der)?;
            entry_extensions |= r.crl_entry_extensions.is_some();
            let mut entry = Entry {
                serial: r.serial_number.as_bytes().into(),
                date: datetime(&r.revocation_date),
                reason: None,
                // An entry without certificateIssuer keeps the previous entry's (§5.3.3).
                issuer: crl.entries.last().and_then(|e| e.issuer),
            };
            let shown = crate::pki::facts::hex_colon(&entry.serial);
            let mut seen: Vec<ObjectIdentifier> = Vec::new();
            for ext in r.crl_entry_extensions.iter().flatten() {
                let id = ext.extn_id.to_string();
                if seen.contains(&ext.extn_id) {
                    problems.push(format!(
                        "the entry for serial {shown} has the extension {id} twice"
                    ));
                    continue;
                }
                seen.push(ext.extn_id);
                let value = ext.extn_value.as_bytes();
                let bad = |what: &str, e: der::Error| {
                    format!("the {what} of the entry for serial {shown} does not decode ({e})")
                };
                match id.as_str() {
                    REASON_CODE => match CrlReason::from_der(value) {
                        Ok(code) => entry.reason = Some(code),
                        Err(e) => problems.push(bad("reasonCode", e)),
                    },
                    CERTIFICATE_ISSUER => match GeneralNames::from_der(value) {
                        Ok(names) => {
                            crl.entry_issuers.push(names);
                            entry.issuer = Some(crl.entry_issuers.len() - 1);
                        }
                        Err(e) => problems.push(bad("certificateIssuer", e)),
                    },
                    INVALIDITY_DATE | HOLD_INSTRUCTION => {}
                    _ if ext.critical => problems.push(format!(
                        "the entry for serial {shown} has a critical extension {id} that tilicheck does not understand (RFC 5280 §5.3: such a CRL must not be used)"
                    )),
                    _ => {}
                }
            }
            crl.entries.push(entry);
        }
        if t.version.is_none() && (t.extensions.is_some() || entry_extensions) {
            problems.push("it has extensions but is not a version 2 CRL".into());
        }
        if !problems.is_empty() {
            crl.unusable = Some(problems.join("; "));
        }
        // Each entry knows its certificate issuer now, so the order no longer matters: sorted,
        // a lookup is a binary search even in a CRL of a million entries.
        crl.entries.sort_by(|a, b| a.serial.cmp(&b.serial));
        crl.der = der;
        Ok(crl)
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// What the signature covers.
    pub fn tbs(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }

    pub fn is_delta(&self) -> bool {
        self.delta_base.is_some()
    }

    pub fn indirect(&self) -> bool {
        self.idp.as_ref().is_some_and(|i| i.indirect_crl)
    }

    /// Past its nextUpdate (plus `grace_secs`) at `at`, or without one: nobody can tell whether
    /// it is current.
    pub fn stale(&self, at: OffsetDateTime, grace_secs: i64) -> bool {
        match self.next_update {
            Some(next) => next.saturating_add(time::Duration::seconds(grace_secs)) < at,
            None => true,
        }
    }

    /// How it was obtained (downloads and cache only) and its times, for a source line.
    pub fn details(&self) -> String {
        match &self.origin {
            Origin::Url { how, .. } => format!("{how}; {}", self.times()),
            Origin::File(_) => self.times(),
        }
    }

    /// "thisUpdate …, nextUpdate …" for a source line.
    pub fn times(&self) -> String {
        format!(
            "thisUpdate {}, nextUpdate {}",
            show_time(self.this_update),
            self.next_update
                .map_or_else(|| "none".to_owned(), show_time)
        )
    }

    /// The entry for the certificate with this serial whose issuer is `issuer` (on an indirect
    /// CRL the entry's certificateIssuer, else the CRL's own issuer).
    pub fn entry_for(&self, serial: &[u8], issuer: &CanonicalName) -> Option<&Entry> {
        let start = self.entries.partition_point(|e| *e.serial < *serial);
        self.entries[start..]
            .iter()
            .take_while(|e| *e.serial == *serial)
            .find(|e| match e.issuer {
                None => &self.issuer == issuer,
                Some(i) => super::dn::among(issuer, &self.entry_issuers[i]),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every CRL of NIST PKITS decodes; those built to be refused say why.
    #[test]
    fn pkits_crls_decode() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pkits/crls");
        let mut unusable = Vec::new();
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("crls") {
            let path = entry.expect("entry").path();
            let der = std::fs::read(&path).expect("read");
            let crl = Crl::parse(der, Origin::File(path.clone()))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            n += 1;
            if let Some(why) = &crl.unusable {
                let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
                unusable.push(format!("{name}: {why}"));
            }
        }
        assert!(n > 150, "{n} CRLs");
        unusable.sort();
        assert_eq!(unusable.len(), 2, "{unusable:#?}");
        assert!(
            unusable[0].starts_with("UnknownCRLEntryExtensionCACRL"),
            "{unusable:?}"
        );
        assert!(
            unusable[1].starts_with("UnknownCRLExtensionCACRL"),
            "{unusable:?}"
        );
    }
}
