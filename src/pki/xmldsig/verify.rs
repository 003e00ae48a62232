//! Verifying the one enveloped signature of a document: every Reference must be either the
//! whole document (URI "" or the document element's Id, with the enveloped-signature transform)
//! or the signature's own XAdES SignedProperties; everything the signature element holds is
//! checked to be signed or harmless; then the digests, the signature value and (XAdES) the
//! signing-certificate digest are verified.
//!
//! What the signer's certificate is worth (trusted, authorised, valid) is the caller's call.

use std::collections::HashSet;

use roxmltree::{Document, Node};

use super::algorithms::{DigestAlgorithm, Scheme, SignatureAlgorithm, ValueError};
use super::c14n::{self, Algorithm, Method};
use super::{DSIG_NS, DsigError, ENVELOPED, SIGNED_PROPERTIES_TYPE, XADES_NS};
use crate::pki::facts::CertificateFacts;

const EXC_NS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// Where the signature element may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Anywhere in the document (a SOAP message signs itself from inside its body).
    Anywhere,
    /// A child of the document element (ETSI TS 119 612 §5.7.1 for trusted lists).
    ChildOfRoot,
}

/// What a verifier accepts.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    pub c14n: &'static [Algorithm],
    pub schemes: &'static [Scheme],
    pub hashes: &'static [DigestAlgorithm],
    pub placement: Placement,
    /// Accept a Reference to the signature's XAdES SignedProperties.
    pub xades: bool,
    /// Refuse anything in the signature element that nothing signs and that a reader could
    /// mistake for content (another document inside ds:Object, say).
    pub strict_content: bool,
}

/// One verified Reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedReference {
    /// The URI as written.
    pub uri: String,
    /// The transforms, as short names.
    pub transforms: Vec<String>,
    pub digest: DigestAlgorithm,
}

/// What a verified signature is.
#[derive(Clone, Debug)]
pub struct Verified {
    /// The certificate whose key verified the signature value.
    pub signer_der: Vec<u8>,
    pub signer: CertificateFacts,
    pub signature: SignatureAlgorithm,
    /// How SignedInfo was canonicalised.
    pub c14n: Method,
    pub document: VerifiedReference,
    /// The XAdES signed properties, when they were signed too.
    pub properties: Option<VerifiedProperties>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedProperties {
    pub reference: VerifiedReference,
    /// xades:SigningTime as written.
    pub signing_time: Option<String>,
}

impl Verified {
    /// One line for a report: what was verified, with which algorithms.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} over SignedInfo ({}); Reference URI \"{}\" with {}, {} digest",
            self.signature.name(),
            self.c14n.name(),
            self.document.uri,
            self.document.transforms.join(" + "),
            self.document.digest.name()
        );
        if let Some(p) = &self.properties {
            s.push_str("; XAdES signed properties verified");
            if let Some(t) = &p.signing_time {
                s.push_str(&format!(" (signing time {t})"));
            }
        }
        s
    }
}

fn is_ds(n: Node<'_, '_>, name: &str) -> bool {
    n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(DSIG_NS)
}

fn is_xades(n: Node<'_, '_>, name: &str) -> bool {
    n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(XADES_NS)
}

fn elements<'a, 'i>(n: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(|c| c.is_element())
}

fn ds_child<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> Result<Node<'a, 'i>, DsigError> {
    elements(node)
        .find(|c| is_ds(*c, name))
        .ok_or(DsigError::Missing(name))
}

fn qualified_name(n: Node<'_, '_>) -> String {
    match n.tag_name().namespace() {
        Some(DSIG_NS) => format!("ds:{}", n.tag_name().name()),
        Some(XADES_NS) => format!("xades:{}", n.tag_name().name()),
        _ => n.tag_name().name().to_owned(),
    }
}

fn base64_text(node: Node<'_, '_>, what: &'static str) -> Result<Vec<u8>, DsigError> {
    let text: String = node
        .descendants()
        .filter_map(|d| d.is_text().then(|| d.text()).flatten())
        .collect();
    crate::pki::base64::decode(&text).ok_or(DsigError::BadBase64(what))
}

fn text_of(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter_map(|d| d.is_text().then(|| d.text()).flatten())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A canonicalisation method element (CanonicalizationMethod or a Transform), with its
/// InclusiveNamespaces parameter.
fn c14n_method(node: Node<'_, '_>, profile: &Profile) -> Result<Method, DsigError> {
    let uri = node.attribute("Algorithm").unwrap_or("");
    let mut method = Method::from_uri(uri).ok_or_else(|| DsigError::Unsupported {
        what: "canonicalisation",
        value: uri.to_owned(),
    })?;
    if !profile.c14n.contains(&method.algorithm) {
        return Err(DsigError::Unsupported {
            what: "canonicalisation",
            value: uri.to_owned(),
        });
    }
    for param in elements(node) {
        let inclusive = param.tag_name().name() == "InclusiveNamespaces"
            && param.tag_name().namespace() == Some(EXC_NS)
            && method.algorithm == Algorithm::Exclusive;
        if !inclusive {
            return Err(DsigError::Unsupported {
                what: "canonicalisation parameter",
                value: param.tag_name().name().to_owned(),
            });
        }
        method.inclusive_prefixes = param
            .attribute("PrefixList")
            .unwrap_or("")
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect();
    }
    Ok(method)
}

/// A Reference as written.
struct Reference<'a, 'i> {
    uri: String,
    kind: Option<String>,
    transforms: Vec<Node<'a, 'i>>,
    digest: DigestAlgorithm,
    value: Vec<u8>,
}

fn reference<'a, 'i>(
    node: Node<'a, 'i>,
    profile: &Profile,
) -> Result<Reference<'a, 'i>, DsigError> {
    let uri = node
        .attribute("URI")
        .ok_or_else(|| DsigError::ForeignReference("(no URI: the signer's choice)".into()))?
        .to_owned();
    let mut transforms = Vec::new();
    let mut digest = None;
    let mut value = None;
    for c in elements(node) {
        if is_ds(c, "Transforms") {
            for t in elements(c) {
                if !is_ds(t, "Transform") {
                    return Err(DsigError::Unexpected {
                        parent: "ds:Transforms",
                        element: qualified_name(t),
                    });
                }
                transforms.push(t);
            }
        } else if is_ds(c, "DigestMethod") {
            let uri = c.attribute("Algorithm").unwrap_or("");
            let alg = DigestAlgorithm::from_uri(uri)
                .filter(|a| profile.hashes.contains(a))
                .ok_or_else(|| DsigError::Unsupported {
                    what: "digest method",
                    value: uri.to_owned(),
                })?;
            digest = Some(alg);
        } else if is_ds(c, "DigestValue") {
            value = Some(base64_text(c, "DigestValue")?);
        } else {
            return Err(DsigError::Unexpected {
                parent: "ds:Reference",
                element: qualified_name(c),
            });
        }
    }
    Ok(Reference {
        uri,
        kind: node.attribute("Type").map(str::to_owned),
        transforms,
        digest: digest.ok_or(DsigError::Missing("DigestMethod"))?,
        value: value.ok_or(DsigError::Missing("DigestValue"))?,
    })
}

/// Every `Id` attribute must be unique, or "#id" could mean two things.
fn unique_ids(doc: &Document<'_>) -> Result<(), DsigError> {
    let mut seen = HashSet::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        if let Some(id) = n.attribute("Id")
            && !seen.insert(id)
        {
            return Err(DsigError::DuplicateId(id.to_owned()));
        }
    }
    Ok(())
}

/// The children of ds:Signature: SignedInfo, SignatureValue, KeyInfo and Objects, and (strict)
/// in the Objects only the XAdES qualifying properties of this signature.
fn signature_structure(sig: Node<'_, '_>, profile: &Profile) -> Result<(), DsigError> {
    for c in elements(sig) {
        let known = ["SignedInfo", "SignatureValue", "KeyInfo", "Object"]
            .iter()
            .any(|n| is_ds(c, n));
        if !known {
            return Err(DsigError::Unexpected {
                parent: "ds:Signature",
                element: qualified_name(c),
            });
        }
        if !profile.strict_content || !is_ds(c, "Object") {
            continue;
        }
        for o in elements(c) {
            if !(profile.xades && is_xades(o, "QualifyingProperties")) {
                return Err(DsigError::UnsignedContent(format!(
                    "<{}> in ds:Object",
                    qualified_name(o)
                )));
            }
            for p in elements(o) {
                if !(is_xades(p, "SignedProperties") || is_xades(p, "UnsignedProperties")) {
                    return Err(DsigError::UnsignedContent(format!(
                        "<{}> in xades:QualifyingProperties",
                        qualified_name(p)
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The node-set a whole-document reference selects: the document for "", the document
/// element for its own Id.
fn document_apex<'a, 'i>(doc: &'a Document<'i>, uri: &str) -> Option<Node<'a, 'i>> {
    if uri.is_empty() {
        return Some(doc.root());
    }
    let root = doc.root_element();
    let id = uri.strip_prefix('#')?;
    (root.attribute("Id") == Some(id)).then_some(root)
}

/// The XAdES SignedProperties of `sig` with the Id `uri` names.
fn signed_properties<'a, 'i>(sig: Node<'a, 'i>, uri: &str) -> Option<Node<'a, 'i>> {
    let id = uri.strip_prefix('#')?;
    elements(sig)
        .filter(|o| is_ds(*o, "Object"))
        .flat_map(elements)
        .filter(|q| is_xades(*q, "QualifyingProperties"))
        .flat_map(elements)
        .find(|p| is_xades(*p, "SignedProperties") && p.attribute("Id") == Some(id))
}

fn transform_names(transforms: &[Node<'_, '_>], profile: &Profile) -> Vec<String> {
    transforms
        .iter()
        .map(|t| match t.attribute("Algorithm") {
            Some(ENVELOPED) => "enveloped-signature".to_owned(),
            _ => c14n_method(*t, profile)
                .map(|m| m.name())
                .unwrap_or_else(|_| "(unknown)".into()),
        })
        .collect()
}

/// Verify the one enveloped signature of `doc` as `profile` allows.
pub fn verify(doc: &Document<'_>, profile: &Profile) -> Result<Verified, DsigError> {
    let sigs: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| is_ds(*n, "Signature"))
        .collect();
    let sig = match sigs.as_slice() {
        [] => return Err(DsigError::Unsigned),
        [one] => *one,
        more => return Err(DsigError::Several(more.len())),
    };
    if profile.placement == Placement::ChildOfRoot {
        let parent = sig.parent_element();
        if parent != Some(doc.root_element()) {
            return Err(DsigError::Misplaced {
                parent: parent.map_or_else(|| "(none)".into(), qualified_name),
            });
        }
    }
    unique_ids(doc)?;
    signature_structure(sig, profile)?;

    let info = ds_child(sig, "SignedInfo")?;
    let mut parts = elements(info);
    let c14n_node = parts
        .next()
        .filter(|n| is_ds(*n, "CanonicalizationMethod"))
        .ok_or(DsigError::Missing("CanonicalizationMethod"))?;
    let info_c14n = c14n_method(c14n_node, profile)?;
    let method_node = parts
        .next()
        .filter(|n| is_ds(*n, "SignatureMethod"))
        .ok_or(DsigError::Missing("SignatureMethod"))?;
    let method_uri = method_node.attribute("Algorithm").unwrap_or("");
    let signature = SignatureAlgorithm::from_uri(method_uri)
        .filter(|a| profile.schemes.contains(&a.scheme) && profile.hashes.contains(&a.hash))
        .ok_or_else(|| DsigError::Unsupported {
            what: "signature method",
            value: method_uri.to_owned(),
        })?;
    if let Some(p) = elements(method_node).next() {
        return Err(DsigError::Unsupported {
            what: "signature method parameter",
            value: p.tag_name().name().to_owned(),
        });
    }
    let mut refs = Vec::new();
    for r in parts {
        if !is_ds(r, "Reference") {
            return Err(DsigError::Unexpected {
                parent: "ds:SignedInfo",
                element: qualified_name(r),
            });
        }
        refs.push(reference(r, profile)?);
    }

    // Each Reference is the whole document or this signature's signed properties.
    let mut document = Vec::new();
    let mut properties = Vec::new();
    for r in &refs {
        if let Some(apex) = document_apex(doc, &r.uri) {
            document.push((r, apex));
        } else if profile.xades
            && r.kind.as_deref() == Some(SIGNED_PROPERTIES_TYPE)
            && let Some(sp) = signed_properties(sig, &r.uri)
        {
            properties.push((r, sp));
        } else {
            return Err(DsigError::ForeignReference(r.uri.clone()));
        }
    }
    let (doc_ref, apex) = match document.as_slice() {
        [] => return Err(DsigError::NoDocumentReference),
        [one] => *one,
        more => return Err(DsigError::SeveralDocumentReferences(more.len())),
    };
    if properties.len() > 1 {
        return Err(DsigError::Unsupported {
            what: "number of SignedProperties references",
            value: properties.len().to_string(),
        });
    }

    // The document: enveloped-signature, then at most one canonicalisation.
    let doc_c14n = match doc_ref.transforms.as_slice() {
        [env] if env.attribute("Algorithm") == Some(ENVELOPED) => Method::inclusive(),
        [env, c] if env.attribute("Algorithm") == Some(ENVELOPED) => c14n_method(*c, profile)?,
        _ => {
            return Err(DsigError::Transforms(
                transform_names(&doc_ref.transforms, profile).join(", "),
            ));
        }
    };
    let canonical = c14n::canonicalize(apex, Some(sig.id()), &doc_c14n.without_comments())?;
    if doc_ref.digest.digest(canonical.as_bytes()) != doc_ref.value {
        return Err(DsigError::DigestMismatch);
    }
    let document = VerifiedReference {
        uri: doc_ref.uri.clone(),
        transforms: transform_names(&doc_ref.transforms, profile),
        digest: doc_ref.digest,
    };

    let verified_properties = match properties.first() {
        None => None,
        Some((r, sp)) => {
            let method = match r.transforms.as_slice() {
                [] => Method::inclusive(),
                [c] => c14n_method(*c, profile)?,
                _ => {
                    return Err(DsigError::Unsupported {
                        what: "SignedProperties transforms",
                        value: transform_names(&r.transforms, profile).join(", "),
                    });
                }
            };
            let canonical = c14n::canonicalize(*sp, None, &method.without_comments())?;
            if r.digest.digest(canonical.as_bytes()) != r.value {
                return Err(DsigError::PropertiesDigestMismatch);
            }
            Some((r, *sp))
        }
    };

    // The signer: the KeyInfo certificate the signed properties name, else the only one.
    let key_info = ds_child(sig, "KeyInfo")?;
    let certs: Vec<Vec<u8>> = elements(key_info)
        .filter(|n| is_ds(*n, "X509Data"))
        .flat_map(elements)
        .filter(|n| is_ds(*n, "X509Certificate"))
        .map(|n| base64_text(n, "X509Certificate"))
        .collect::<Result<_, _>>()?;
    if certs.is_empty() {
        return Err(DsigError::Missing("X509Certificate"));
    }
    let named = match verified_properties {
        Some((_, sp)) => Some(signing_certificate_digests(sp)?),
        None => None,
    };
    let signer_der = match &named {
        Some(digests) => certs
            .iter()
            .find(|c| digests.iter().any(|(alg, d)| alg.digest(c) == *d))
            .cloned()
            .ok_or_else(|| {
                DsigError::SigningCertificate(
                    "name a signing certificate that is not the one in KeyInfo".into(),
                )
            })?,
        None if certs.len() == 1 => certs[0].clone(),
        None => {
            return Err(DsigError::Unsupported {
                what: "number of KeyInfo certificates without XAdES",
                value: certs.len().to_string(),
            });
        }
    };
    let signer = CertificateFacts::from_der(&signer_der)
        .map_err(|e| DsigError::BadCertificate(e.to_string()))?;

    let signature_value = base64_text(ds_child(sig, "SignatureValue")?, "SignatureValue")?;
    let signed = c14n::canonicalize(info, None, &info_c14n)?;
    signature
        .verify(
            &signer.key,
            &signer.public_key_raw,
            signed.as_bytes(),
            &signature_value,
        )
        .map_err(|e| match e {
            ValueError::KeyMismatch(why) => DsigError::KeyMismatch(why),
            ValueError::Invalid => DsigError::BadSignature,
        })?;

    let properties = verified_properties.map(|(r, sp)| VerifiedProperties {
        reference: VerifiedReference {
            uri: r.uri.clone(),
            transforms: transform_names(&r.transforms, profile),
            digest: r.digest,
        },
        signing_time: sp
            .descendants()
            .find(|n| is_xades(*n, "SigningTime"))
            .map(text_of),
    });
    Ok(Verified {
        signer_der,
        signer,
        signature,
        c14n: info_c14n,
        document,
        properties,
    })
}

/// The certificate digests of xades:SigningCertificateV2 (or the older SigningCertificate).
fn signing_certificate_digests(
    sp: Node<'_, '_>,
) -> Result<Vec<(DigestAlgorithm, Vec<u8>)>, DsigError> {
    let holder = sp
        .descendants()
        .find(|n| is_xades(*n, "SigningCertificateV2") || is_xades(*n, "SigningCertificate"))
        .ok_or_else(|| {
            DsigError::SigningCertificate(
                "name no signing certificate (XAdES SigningCertificateV2)".into(),
            )
        })?;
    let mut out = Vec::new();
    for digest in holder.descendants().filter(|n| is_xades(*n, "CertDigest")) {
        let method = ds_child(digest, "DigestMethod")?;
        let uri = method.attribute("Algorithm").unwrap_or("");
        let alg = DigestAlgorithm::from_uri(uri).ok_or_else(|| DsigError::Unsupported {
            what: "signing certificate digest",
            value: uri.to_owned(),
        })?;
        out.push((
            alg,
            base64_text(ds_child(digest, "DigestValue")?, "DigestValue")?,
        ));
    }
    if out.is_empty() {
        return Err(DsigError::SigningCertificate(
            "name no signing certificate digest".into(),
        ));
    }
    Ok(out)
}
