//! DEMO trusted lists: a DEMO LOTL and DEMO national lists in the ETSI TS 119 612 shape of
//! the real ones, XAdES-signed by DEMO signers, so that qualification can be tried (and
//! tested) end to end offline with the DEMO PKI. Every name says DEMO; the signers are
//! self-signed and trusted only where `--lotl-signers` names them.

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;

use crate::pki::load::pem::ToPem;
use crate::pki::trusted_list::model::{
    CA_QC, EU_GENERIC_TYPE, EXT_PREFIX, LOTL_TYPE, STATUS_PREFIX, TSL_MIME, TSL_NS,
};
use crate::pki::xmldsig::c14n::{Method, escape_attr, escape_text};
use crate::pki::xmldsig::{DigestAlgorithm, SignOptions, SignatureAlgorithm, SigningKey, Xades};
use crate::time_arg::format_time;

use super::DemoError;

const ADDITIONAL_TYPES_NS: &str = "http://uri.etsi.org/02231/v2/additionaltypes#";
const SIE_NS: &str = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#";
const XADES_NS: &str = "http://uri.etsi.org/01903/v1.3.2#";
const FILE: &str = "DEMO trusted list";

/// The key a DEMO signer has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Rsa2048,
    EcP256,
    EcP384,
}

/// A DEMO list signer: a self-signed certificate and its key.
#[derive(Debug)]
pub struct Signer {
    pub key: SigningKey,
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
}

fn rcgen_error(e: rcgen::Error) -> DemoError {
    DemoError::Rcgen {
        file: FILE,
        reason: e.to_string(),
    }
}

impl Signer {
    /// A fresh key of `kind` and a self-signed certificate "DEMO … " valid in the window.
    pub fn generate(
        common_name: &str,
        kind: KeyKind,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Signer, DemoError> {
        let pair = match kind {
            KeyKind::Rsa2048 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            }
            KeyKind::EcP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyKind::EcP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384),
        }
        .map_err(|e| DemoError::Key {
            file: FILE,
            reason: e.to_string(),
        })?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_error)?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "FI");
        dn.push(
            DnType::OrganizationName,
            "DEMO Trusted List Scheme Operator",
        );
        dn.push(DnType::CommonName, common_name);
        params.distinguished_name = dn;
        params.not_before = not_before;
        params.not_after = not_after;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let cert = params.self_signed(&pair).map_err(rcgen_error)?;
        let key = SigningKey::from_der(&PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            pair.serialize_der(),
        )))
        .map_err(|e| DemoError::Key {
            file: FILE,
            reason: e.to_string(),
        })?;
        Ok(Signer {
            key,
            cert_der: cert.der().to_vec(),
            cert_pem: cert.to_pem(),
        })
    }
}

/// A Sie qualification: qualifiers for the certificates that assert `policy` (all of them
/// when None).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QualificationSpec {
    /// Qualifier names, e.g. "QCForWSA", "NotQualified".
    pub qualifiers: Vec<&'static str>,
    pub policy: Option<String>,
}

/// A CA/QC service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    pub provider: String,
    pub name: String,
    /// The CA certificate that identifies the service.
    pub ca_der: Vec<u8>,
    /// Its statuses, newest first: ("granted" or "withdrawn", since when).
    pub statuses: Vec<(&'static str, OffsetDateTime)>,
    /// AdditionalServiceInformation names: "ForWebSiteAuthentication", "ForeSignatures", …
    pub purposes: Vec<&'static str>,
    pub qualifications: Vec<QualificationSpec>,
}

/// The LOTL's pointer to a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointerSpec {
    pub territory: String,
    pub location: String,
    pub signers: Vec<Vec<u8>>,
}

/// A list to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListSpec {
    pub territory: String,
    pub operator: String,
    pub sequence: u32,
    pub issued: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
    /// Write the EU list of trusted lists (pointers) instead of a national list (services).
    pub lotl: bool,
    pub pointers: Vec<PointerSpec>,
    pub services: Vec<ServiceSpec>,
}

/// How to sign a list.
#[derive(Clone, Debug)]
pub struct SignSpec {
    pub signature: SignatureAlgorithm,
    pub digest: DigestAlgorithm,
    pub c14n: Method,
    /// Reference the document element's Id instead of URI "".
    pub by_id: bool,
}

impl Default for SignSpec {
    /// What the real lists use: RSA-SHA512, SHA-512, exclusive c14n, URI "".
    fn default() -> Self {
        SignSpec {
            signature: SignatureAlgorithm {
                scheme: crate::pki::xmldsig::Scheme::RsaPkcs1,
                hash: DigestAlgorithm::Sha512,
            },
            digest: DigestAlgorithm::Sha512,
            c14n: Method::exclusive(),
            by_id: false,
        }
    }
}

impl SignSpec {
    /// What the real lists use, with the signature method the signer's key can make (ECDSA
    /// with its curve's own hash for an EC key).
    pub fn fitting(signer: &Signer) -> SignSpec {
        let hash = match &signer.key {
            SigningKey::Rsa(_) => return SignSpec::default(),
            SigningKey::Ecdsa { curve: "P-384", .. } => DigestAlgorithm::Sha384,
            SigningKey::Ecdsa { .. } => DigestAlgorithm::Sha256,
        };
        SignSpec {
            signature: SignatureAlgorithm {
                scheme: crate::pki::xmldsig::Scheme::Ecdsa,
                hash,
            },
            digest: hash,
            ..SignSpec::default()
        }
    }
}

fn t(s: &str) -> String {
    let mut out = String::new();
    escape_text(s, &mut out);
    out
}

fn a(s: &str) -> String {
    let mut out = String::new();
    escape_attr(s, &mut out);
    out
}

fn b64(der: &[u8]) -> String {
    crate::pki::base64::encode(der)
}

fn root_id(territory: &str) -> String {
    format!("DEMO-TL-{territory}")
}

/// The list's XML, unsigned.
pub fn write_list(spec: &ListSpec) -> String {
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<TrustServiceStatusList xmlns=\"{TSL_NS}\" xmlns:tie=\"{ADDITIONAL_TYPES_NS}\" xmlns:ecc=\"{SIE_NS}\" xmlns:xades=\"{XADES_NS}\" Id=\"{}\" TSLTag=\"http://uri.etsi.org/19612/TSLTag\">\n",
        a(&root_id(&spec.territory))
    ));
    x.push_str("  <SchemeInformation>\n    <TSLVersionIdentifier>6</TSLVersionIdentifier>\n");
    x.push_str(&format!(
        "    <TSLSequenceNumber>{}</TSLSequenceNumber>\n    <TSLType>{}</TSLType>\n",
        spec.sequence,
        if spec.lotl {
            LOTL_TYPE
        } else {
            EU_GENERIC_TYPE
        }
    ));
    x.push_str(&format!(
        "    <SchemeOperatorName><Name xml:lang=\"en\">{}</Name></SchemeOperatorName>\n",
        t(&spec.operator)
    ));
    x.push_str(&format!(
        "    <SchemeTerritory>{}</SchemeTerritory>\n",
        t(&spec.territory)
    ));
    if !spec.pointers.is_empty() {
        x.push_str("    <PointersToOtherTSL>\n");
        for p in &spec.pointers {
            x.push_str("      <OtherTSLPointer>\n        <ServiceDigitalIdentities>\n");
            for s in &p.signers {
                x.push_str(&format!(
                    "          <ServiceDigitalIdentity><DigitalId><X509Certificate>{}</X509Certificate></DigitalId></ServiceDigitalIdentity>\n",
                    b64(s)
                ));
            }
            x.push_str("        </ServiceDigitalIdentities>\n");
            x.push_str(&format!(
                "        <TSLLocation>{}</TSLLocation>\n",
                t(&p.location)
            ));
            x.push_str(&format!(
                "        <AdditionalInformation>\n          <OtherInformation><TSLType>{EU_GENERIC_TYPE}</TSLType></OtherInformation>\n          <OtherInformation><SchemeTerritory>{}</SchemeTerritory></OtherInformation>\n          <OtherInformation><tie:MimeType>{TSL_MIME}</tie:MimeType></OtherInformation>\n        </AdditionalInformation>\n",
                t(&p.territory)
            ));
            x.push_str("      </OtherTSLPointer>\n");
        }
        x.push_str("    </PointersToOtherTSL>\n");
    }
    x.push_str(&format!(
        "    <ListIssueDateTime>{}</ListIssueDateTime>\n",
        format_time(spec.issued)
    ));
    match spec.next_update {
        Some(n) => x.push_str(&format!(
            "    <NextUpdate><dateTime>{}</dateTime></NextUpdate>\n",
            format_time(n)
        )),
        None => x.push_str("    <NextUpdate/>\n"),
    }
    x.push_str("  </SchemeInformation>\n");
    if !spec.lotl {
        x.push_str("  <TrustServiceProviderList>\n");
        let mut providers: Vec<&str> = Vec::new();
        for s in &spec.services {
            if !providers.contains(&s.provider.as_str()) {
                providers.push(&s.provider);
            }
        }
        for provider in providers {
            x.push_str(&format!(
                "    <TrustServiceProvider>\n      <TSPInformation><TSPName><Name xml:lang=\"en\">{}</Name></TSPName></TSPInformation>\n      <TSPServices>\n",
                t(provider)
            ));
            for s in spec.services.iter().filter(|s| s.provider == provider) {
                service(&mut x, s);
            }
            x.push_str("      </TSPServices>\n    </TrustServiceProvider>\n");
        }
        x.push_str("  </TrustServiceProviderList>\n");
    }
    x.push_str("</TrustServiceStatusList>\n");
    x
}

fn service(x: &mut String, s: &ServiceSpec) {
    let state = |x: &mut String, element: &str, status: &str, since: OffsetDateTime| {
        x.push_str(&format!(
            "          <{element}>\n            <ServiceTypeIdentifier>{CA_QC}</ServiceTypeIdentifier>\n            <ServiceName><Name xml:lang=\"en\">{}</Name></ServiceName>\n            <ServiceDigitalIdentity><DigitalId><X509Certificate>{}</X509Certificate></DigitalId></ServiceDigitalIdentity>\n            <ServiceStatus>{STATUS_PREFIX}{status}</ServiceStatus>\n            <StatusStartingTime>{}</StatusStartingTime>\n",
            t(&s.name),
            b64(&s.ca_der),
            format_time(since)
        ));
        if !s.purposes.is_empty() || !s.qualifications.is_empty() {
            x.push_str("            <ServiceInformationExtensions>\n");
            for purpose in &s.purposes {
                x.push_str(&format!(
                    "              <Extension Critical=\"true\"><AdditionalServiceInformation><URI xml:lang=\"en\">{EXT_PREFIX}{purpose}</URI></AdditionalServiceInformation></Extension>\n"
                ));
            }
            if !s.qualifications.is_empty() {
                x.push_str("              <Extension Critical=\"true\"><ecc:Qualifications>\n");
                for q in &s.qualifications {
                    x.push_str("                <ecc:QualificationElement><ecc:Qualifiers>");
                    for name in &q.qualifiers {
                        x.push_str(&format!("<ecc:Qualifier uri=\"{EXT_PREFIX}{name}\"/>"));
                    }
                    x.push_str("</ecc:Qualifiers>");
                    match &q.policy {
                        Some(oid) => x.push_str(&format!(
                            "<ecc:CriteriaList assert=\"all\"><ecc:PolicySet><ecc:PolicyIdentifier><xades:Identifier Qualifier=\"OIDAsURN\">urn:oid:{}</xades:Identifier></ecc:PolicyIdentifier></ecc:PolicySet></ecc:CriteriaList>",
                            t(oid)
                        )),
                        // A criterion every certificate meets: no key usage bit is required.
                        None => x.push_str("<ecc:CriteriaList assert=\"all\"/>"),
                    }
                    x.push_str("</ecc:QualificationElement>\n");
                }
                x.push_str("              </ecc:Qualifications></Extension>\n");
            }
            x.push_str("            </ServiceInformationExtensions>\n");
        }
        x.push_str(&format!("          </{element}>\n"));
    };
    x.push_str("        <TSPService>\n");
    let mut statuses = s.statuses.iter();
    if let Some((status, since)) = statuses.next() {
        state(x, "ServiceInformation", status, *since);
    }
    let rest: Vec<_> = statuses.collect();
    if !rest.is_empty() {
        x.push_str("          <ServiceHistory>\n");
        for (status, since) in rest {
            let mut inner = String::new();
            state(&mut inner, "ServiceHistoryInstance", status, *since);
            x.push_str(&inner);
        }
        x.push_str("          </ServiceHistory>\n");
    }
    x.push_str("        </TSPService>\n");
}

/// Sign a list written by [`write_list`] (or any list) with `signer`.
pub fn sign_list(
    xml: &str,
    signer: &Signer,
    how: &SignSpec,
    signing_time: OffsetDateTime,
) -> Result<String, DemoError> {
    let sign_err = |e: crate::pki::xmldsig::DsigError| DemoError::Rcgen {
        file: FILE,
        reason: e.to_string(),
    };
    let id = crate::xml::parse(xml)
        .ok()
        .and_then(|d| d.root_element().attribute("Id").map(str::to_owned))
        .unwrap_or_default();
    let uri = if how.by_id {
        format!("#{id}")
    } else {
        String::new()
    };
    let opts = SignOptions {
        signature: how.signature,
        digest: how.digest,
        c14n: how.c14n.clone(),
        reference_uri: &uri,
        signature_id: Some("DEMO-signature"),
        xades: Some(Xades {
            signing_time: format_time(signing_time),
        }),
    };
    crate::pki::xmldsig::sign::sign_enveloped(
        xml,
        "</TrustServiceStatusList>",
        &signer.key,
        &signer.cert_der,
        &opts,
    )
    .map_err(sign_err)
}

/// The usual DEMO set: a LOTL signed by `lotl_signer` that points at one national list for
/// `national.territory` signed by `tl_signer`.
pub struct DemoLists {
    pub lotl: String,
    pub national: String,
}

/// Write and sign the LOTL and the national list; the LOTL's pointer names
/// `national_location` and `tl_signer`.
pub fn demo_lists(
    national: &ListSpec,
    national_location: &str,
    lotl_signer: &Signer,
    tl_signer: &Signer,
) -> Result<DemoLists, DemoError> {
    let lotl = ListSpec {
        territory: "EU".into(),
        operator: "DEMO European Commission".into(),
        sequence: 1,
        issued: national.issued,
        next_update: national.next_update,
        lotl: true,
        pointers: vec![PointerSpec {
            territory: national.territory.clone(),
            location: national_location.to_owned(),
            signers: vec![tl_signer.cert_der.clone()],
        }],
        services: Vec::new(),
    };
    Ok(DemoLists {
        lotl: sign_list(
            &write_list(&lotl),
            lotl_signer,
            &SignSpec::fitting(lotl_signer),
            national.issued,
        )?,
        national: sign_list(
            &write_list(national),
            tl_signer,
            &SignSpec::fitting(tl_signer),
            national.issued,
        )?,
    })
}
