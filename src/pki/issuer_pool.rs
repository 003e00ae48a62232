//! The certificates of one file, indexed by subject name, so each certificate in it is offered
//! only the ones that can be in its path.
//!
//! A bundle of n certificates used to hand all n − 1 others to path building for every one of
//! them: n² certificate parses and webpki searches, minutes for a few thousand. Path building
//! follows issuer names, so a certificate's candidates are found by name in a map, and the
//! work per certificate no longer grows with the size of the file.

use std::collections::{HashMap, HashSet};

use rustls_pki_types::CertificateDer;

/// Levels of issuers followed from a certificate (the path building limit).
const MAX_LEVELS: usize = 8;
/// Certificates taken per subject name: a renewed or cross-certified CA has a few, never
/// hundreds; more of one name are a hostile file, not a chain.
const MAX_SAME_SUBJECT: usize = 8;
/// Candidates offered to one certificate at most.
const MAX_CANDIDATES: usize = 64;

/// One file's certificates with their subject and issuer names, parsed once.
pub struct IssuerPool {
    certs: Vec<CertificateDer<'static>>,
    /// Issuer name DER of each certificate (empty when it does not parse).
    issuers: Vec<Vec<u8>>,
    /// Subject name DER → the certificates with that subject, in file order.
    by_subject: HashMap<Vec<u8>, Vec<usize>>,
}

impl IssuerPool {
    pub fn new(certs: &[CertificateDer<'static>]) -> Self {
        let mut issuers = Vec::with_capacity(certs.len());
        let mut by_subject: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, der) in certs.iter().enumerate() {
            match issuer_and_subject(der) {
                Some((issuer, subject)) => {
                    issuers.push(issuer.to_vec());
                    by_subject.entry(subject.to_vec()).or_default().push(i);
                }
                None => issuers.push(Vec::new()),
            }
        }
        IssuerPool {
            certs: certs.to_vec(),
            issuers,
            by_subject,
        }
    }

    /// The other certificates of the file that may be issuers of certificate `index`, its
    /// issuers' issuers and so on, in file order.
    pub fn candidates_for(&self, index: usize) -> Vec<CertificateDer<'static>> {
        let mut taken: Vec<usize> = Vec::new();
        let mut seen_names: HashSet<&[u8]> = HashSet::new();
        let mut names: Vec<&[u8]> = self
            .issuers
            .get(index)
            .map(|n| n.as_slice())
            .into_iter()
            .collect();
        for _ in 0..MAX_LEVELS {
            let mut next = Vec::new();
            for name in names {
                if name.is_empty() || !seen_names.insert(name) {
                    continue;
                }
                let Some(holders) = self.by_subject.get(name) else {
                    continue;
                };
                for &i in holders.iter().take(MAX_SAME_SUBJECT) {
                    if i == index || taken.contains(&i) || taken.len() >= MAX_CANDIDATES {
                        continue;
                    }
                    taken.push(i);
                    next.push(self.issuers[i].as_slice());
                }
            }
            if next.is_empty() {
                break;
            }
            names = next;
        }
        taken.sort_unstable();
        taken.into_iter().map(|i| self.certs[i].clone()).collect()
    }
}

/// The issuer and subject names (their whole DER, tag and length included) of a certificate,
/// read by walking the outer structure only: building the pool runs on one thread, before the
/// certificates are judged in parallel, and path building asks for every candidate's subject,
/// so neither may parse each certificate whole.
pub fn issuer_and_subject(der: &[u8]) -> Option<(&[u8], &[u8])> {
    use der::asn1::AnyRef;
    use der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
    fn inside(any: AnyRef<'_>) -> Option<SliceReader<'_>> {
        (any.tag() == Tag::Sequence)
            .then(|| SliceReader::new(any.value()).ok())
            .flatten()
    }
    let mut outer = SliceReader::new(der).ok()?;
    let mut cert = inside(AnyRef::decode(&mut outer).ok()?)?;
    let tbs_any = AnyRef::decode(&mut cert).ok()?;
    let tbs_bytes = tbs_any.value();
    let mut tbs = inside(tbs_any)?;
    // Each field with the bytes it was read from.
    let mut next = || {
        let start = usize::try_from(tbs.position()).ok()?;
        let any = AnyRef::decode(&mut tbs).ok()?;
        let end = usize::try_from(tbs.position()).ok()?;
        Some((any.tag(), tbs_bytes.get(start..end)?))
    };
    // [0] version, then the serial number (version 1 certificates have no version field).
    if next()?.0
        == (Tag::ContextSpecific {
            constructed: true,
            number: TagNumber::N0,
        })
    {
        let _serial = next()?;
    }
    let _signature = next()?;
    let (issuer_tag, issuer) = next()?;
    let _validity = next()?;
    let (subject_tag, subject) = next()?;
    (issuer_tag == Tag::Sequence && subject_tag == Tag::Sequence).then_some((issuer, subject))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::load::parse_certificates;
    use crate::secret::PasswordSource;

    fn fixture(name: &str) -> Vec<CertificateDer<'static>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/pki")
            .join(name);
        let bytes = std::fs::read(&path).unwrap();
        parse_certificates(name, &bytes, &PasswordSource::None)
            .unwrap()
            .certificates
    }

    #[test]
    fn offers_the_issuers_and_nothing_else() {
        // supplier, its issuing CA and the root; then an unrelated second leaf.
        let mut certs = fixture("supplier-chain.pem");
        let chain_len = certs.len();
        certs.extend(fixture("qwac.pem"));
        let pool = IssuerPool::new(&certs);
        let offered = pool.candidates_for(0);
        assert_eq!(offered, certs[1..chain_len].to_vec());
        assert!(!offered.contains(&certs[chain_len]));
    }

    #[test]
    fn names_are_read_as_x509_parser_reads_them() {
        for der in fixture("supplier-chain.pem") {
            let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
            let (issuer, subject) = issuer_and_subject(&der).unwrap();
            assert_eq!(cert.issuer().as_raw(), issuer);
            assert_eq!(cert.subject().as_raw(), subject);
        }
        assert_eq!(issuer_and_subject(b"\x30\x00"), None);
    }

    #[test]
    fn many_certificates_of_one_name_are_capped() {
        let leaf = fixture("supplier.pem");
        let ca = fixture("supplier-chain.pem")[1].clone();
        let mut certs = leaf.clone();
        certs.extend(std::iter::repeat_n(ca, 100));
        let pool = IssuerPool::new(&certs);
        assert_eq!(pool.candidates_for(0).len(), MAX_SAME_SUBJECT);
    }
}
