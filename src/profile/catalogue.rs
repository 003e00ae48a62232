//! The rule catalogue: every check's stable ID, title, source, default remedy, and who enforces
//! it. This table is the one place these texts live; `tilicheck rules` prints it, and a broken
//! rule's status (fail or warn) follows from its [`Enforcement`] here and nowhere else.

use serde::Serialize;

macro_rules! catalogue {
    ($( $variant:ident => $id:literal, $enforcement:ident, $title:literal, $source:literal, $remedy:literal; )+) => {
        /// A rule of the catalogue. IDs are stable once released.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleId { $( $variant, )+ }

        impl RuleId {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [RuleId] = &[ $( RuleId::$variant, )+ ];

            pub fn rule(self) -> &'static Rule {
                match self { $( RuleId::$variant => &Rule {
                    id: RuleId::$variant,
                    enforcement: Enforcement::$enforcement,
                    title: $title,
                    source: $source,
                    remedy: $remedy,
                }, )+ }
            }

            pub fn as_str(self) -> &'static str {
                match self { $( RuleId::$variant => $id, )+ }
            }

            pub fn parse(id: &str) -> Option<RuleId> {
                match id { $( $id => Some(RuleId::$variant), )+ _ => None }
            }

            /// Who enforces the rule, and so what breaking it means.
            pub fn enforcement(self) -> Enforcement {
                self.rule().enforcement
            }
        }
    };
}

/// Who stands behind a rule: whether the receiving side (the register, the Vero API, the CA)
/// refuses input that breaks it, or it is data quality nobody is known to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enforcement {
    /// The receiving side rejects what breaks it (schema, tokens, certificate, size,
    /// authorisation): a failure.
    Enforced,
    /// Values that look wrong but that the register is not known to check (check digits,
    /// contradicting dates, records it does not want): a warning, a failure under `--strict`.
    DataQuality,
}

impl Enforcement {
    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Enforced => "enforced",
            Enforcement::DataQuality => "data-quality",
        }
    }

    /// What breaking the rule means, in a sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            Enforcement::Enforced => "enforced: the receiving side rejects it, so a breach fails",
            Enforcement::DataQuality => {
                "data quality: the register is not known to check it, so a breach warns (fails under --strict)"
            }
        }
    }
}

/// One rule: what it checks, who enforces it, where the requirement comes from, how to fix a
/// failure.
#[derive(Debug, Serialize)]
pub struct Rule {
    pub id: RuleId,
    pub enforcement: Enforcement,
    pub title: &'static str,
    pub source: &'static str,
    pub remedy: &'static str,
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

catalogue! {
    CertX509V3 => "CERT-X509V3", Enforced, "Certificate is a well-formed X.509 v3 end-entity certificate (RFC 5280)",
        "Customs update interface §3.1; RFC 5280 §4",
        "Order an X.509 v3 certificate that conforms to RFC 5280; v1/v2 certificates cannot carry the extensions the register needs.";
    CertValidity => "CERT-VALIDITY", Enforced, "Certificate is valid at the check time",
        "Customs update interface §3.1; deployment instructions §7.2",
        "Order a replacement in time: Customs must receive a new certificate at least one month before it is used.";
    CertIssuer => "CERT-ISSUER", Enforced, "Certificate chains to DVV or is an eIDAS QWAC",
        "Customs update interface §3.1 a) and b)",
        "Use a DVV service certificate (DVV Service Certificates - G5R/G5E) or an eIDAS qualified website authentication certificate.";
    CertRevocation => "CERT-REVOCATION", Enforced, "Certificate is not revoked",
        "Customs update interface §3.1; FINEID S2",
        "A revoked certificate is refused: order a new one and deliver it to Customs.";
    CertId => "CERT-ID", Enforced, "Subject carries the supplier's business ID or VAT number",
        "Customs update interface §3.1",
        "Order the certificate with subject serialNumber (DVV) or organizationIdentifier (QWAC) set to the supplier's business ID (1234567-8) or VAT number (FI12345678).";
    IdCheckDigit => "ID-CHECKDIGIT", Enforced, "Business ID check digit is right",
        "Finnish business ID rules (weights 7,9,10,5,8,4,2, mod 11)",
        "The identifier in the certificate is not a valid business ID; check it against the Business Information System (YTJ) and reorder.";
    CertKeyStrength => "CERT-KEY-STRENGTH", Enforced, "Key is strong enough (RSA ≥ 3072 bits, EC ≥ 256 bits)",
        "Customs update interface §3.1 note; Traficom ST IV (Dnro 190/651/2015)",
        "Generate a new key of at least the required size (DVV: order with a 4096-bit RSA key) and reorder the certificate.";
    CertKeyRs256 => "CERT-KEY-RS256", Enforced, "Signing certificate has an RSA key (tokens are RS256)",
        "Customs update interface §3.4",
        "The register verifies RS256 signatures only: the signing certificate needs an RSA key.";
    CertSigAlg => "CERT-SIG-ALG", Enforced, "Certificate is signed with SHA-256 or stronger",
        "Traficom ST IV (Dnro 190/651/2015)",
        "The issuer signed with a weak hash; ask the CA for a certificate signed with SHA-256 or stronger.";
    CertKuSign => "CERT-KU-SIGN", Enforced, "Signing certificate's key usage includes digitalSignature",
        "Customs update interface §3.1 note",
        "Order the signing certificate with key usage 'digital signature'.";
    CertEkuTls => "CERT-EKU-TLS", Enforced, "TLS certificate's extended key usage has clientAuth and serverAuth, and nothing a TLS certificate must not have",
        "Customs update interface §3.1 note (v3.0.3); CA/Browser Forum TLS BR §7.1.2.7.10",
        "Order the TLS certificate with both TLS Web Client Authentication and TLS Web Server Authentication.";
    CertQwac => "CERT-QWAC", Enforced, "Qualified certificate statements and policies are those of a QWAC (or, for signing, a qualified e-seal)",
        "Customs update interface §3.1 b) and note; ETSI EN 319 412-1/-4/-5, EN 319 411-2, TS 119 495; with trusted lists ETSI TS 119 612 and TS 119 615",
        "A QWAC carries QcCompliance, exactly one QcType (web), https PKI disclosure statements and a certificate-type policy that fits its subject (QEVCP-w for an EV subject, QNCP-w otherwise); ask the trust service provider for a conforming qualified website certificate.";
    CertKeypair => "CERT-KEYPAIR", Enforced, "Private key matches the certificate",
        "—",
        "Use the private key the certificate was issued for; a mismatched pair fails every handshake and signature.";
    CertSameId => "CERT-SAME-ID", Enforced, "One certificate for TLS and signing only with matching IDs",
        "Customs update interface §3.1",
        "Use one certificate for both uses only when its ID is the supplier's own; otherwise use a separate signing certificate with the supplier's ID.";
    CsrSignature => "CSR-SIGNATURE", Enforced, "Request is signed with its own key",
        "PKCS#10 (RFC 2986 §3)",
        "Make the request again with the key it is for; a CA refuses a request whose signature does not verify.";
    CsrSubject => "CSR-SUBJECT", Enforced, "Request subject has CN, O and C=FI, and the DNS name in subjectAltName",
        "DVV server certificate ordering; Customs update interface §3.1",
        "Make the request with CN = the server's DNS name, O = the organisation, C = FI and the DNS name in subjectAltName (tilicheck csr does this).";
    TlSignature => "TL-SIGNATURE", Enforced, "Trusted list's XAdES signature covers the whole list and its signer may sign it",
        "ETSI TS 119 612 §5.7 and Annex B; ETSI TS 119 615 §4.1; Commission Implementing Decision (EU) 2015/1505 (LOTL signers announced in the Official Journal)",
        "Use the list exactly as published (one changed byte breaks its signature): download it again from the TSLLocation the LOTL names, and give the LOTL (--lotl FILE) so its signer can be checked.";
    TlFresh => "TL-FRESH", Enforced, "Trusted list is current: the check time is before its NextUpdate",
        "ETSI TS 119 612 §5.3.14 (list issue date and time), §5.3.15 (next update); ETSI TS 119 615 §4.2",
        "Download the current list from its TSLLocation; a list past its NextUpdate no longer says what its scheme operator says now, and a closed list (no NextUpdate) is no basis for a verdict.";
    RegCert => "REG-CERT", Enforced, "Register's server certificate is genuine",
        "Customs update interface §3.1 (server certificate of the Account Register)",
        "Do not send: the endpoint did not present the Account Register's certificate. Check the address and any TLS-intercepting proxy.";
    TlsVersion => "TLS-VERSION", Enforced, "Only TLS 1.2 or later is negotiable",
        "Customs update interface §3.2",
        "Disable SSL 3.0, TLS 1.0 and TLS 1.1.";
    TlsFs => "TLS-FS", Enforced, "Every negotiable suite is forward-secret",
        "Customs update interface §3.2",
        "Offer only ECDHE or DHE suites; remove static RSA and static DH suites.";
    TlsStrength => "TLS-STRENGTH", Enforced, "Negotiable suites meet Traficom ST IV",
        "Customs update interface §3.2; Traficom Dnro 190/651/2015",
        "Offer only AEAD suites with AES ≥ 128 bits and SHA-256 or stronger, DH ≥ 3072 bits, ECDHE ≥ 256 bits.";
    TlsMutual => "TLS-MUTUAL", Enforced, "Client certificates are required: the supplier's is accepted, none or a foreign CA's is refused",
        "Customs update interface §3.2",
        "Configure the client to present the certificate delivered to Customs, with its chain.";
    TlsName => "TLS-NAME", DataQuality, "The endpoint's certificate is for the name connected to (the host or --sni)",
        "RFC 9110 §4.3.4 (https: the certificate must match the target host); RFC 6125 §6",
        "Every standard HTTPS client refuses a certificate that is not for the name it connects to. If you reach the endpoint by an address or another name, give the name the certificate is for with --sni NAME; if that is the register's published name, the server presents the wrong certificate.";
    HttpVersion => "HTTP-VERSION", Enforced, "HTTP/1.1 is used",
        "Customs update interface §3.3",
        "Force HTTP/1.1 in the client (disable HTTP/2 via ALPN).";
    JwsAlg => "JWS-ALG", Enforced, "Both tokens are RS256 with typ JWT",
        "Customs update interface §3.4",
        "Sign both tokens with RS256 and header {\"alg\":\"RS256\",\"typ\":\"JWT\"}.";
    JwsClaims => "JWS-CLAIMS", Enforced, "Tokens carry the claims the interface version needs",
        "Customs update interface §3.4",
        "Add the missing claims; the body token must carry exactly one report claim.";
    JwsSub => "JWS-SUB", Enforced, "sub equals the signing certificate's serialNumber",
        "Customs update interface §3.4 (v1.0.13)",
        "Copy sub character for character from the signing certificate's subject serialNumber.";
    JwsSig => "JWS-SIG", Enforced, "Token signature verifies with the signing certificate's key",
        "Customs update interface §3.4",
        "Sign with the private key of the certificate delivered to Customs; re-deliver the certificate if the key changed.";
    MsgSchema => "MSG-SCHEMA", Enforced, "Payload validates against the official schema",
        "Customs update interface §4.5",
        "Fix the fields the schema reports.";
    MsgSender => "MSG-SENDER", Enforced, "senderBusinessId is the supplier's; creationDateTime present",
        "Customs update interface §4.1",
        "Set senderBusinessId to the supplier's business ID and add creationDateTime.";
    MsgIds => "MSG-IDS", Enforced, "Record keys are UUIDv4 and references resolve",
        "Customs update interface §4.1",
        "Use random (v4) UUIDs as record keys and refer only to records in the message or sent earlier.";
    MsgSize => "MSG-SIZE", Enforced, "Message fits the interface's size limit in JWT form",
        "Customs update interface §3.6",
        "Split the report into smaller messages.";
    MsgContent => "MSG-CONTENT", Enforced, "Identifiers, dates and roles are written as the interface requires",
        "Customs update interface §4.1, §4.8; Finnish identifier rules",
        "Write the value exactly in the form reported: no spaces around it, the full length (a business ID has 7 digits, a hyphen and the check digit).";
    MsgQuality => "MSG-QUALITY", DataQuality, "Check digits and dates agree (the register is not known to check)",
        "Finnish identifier rules (business ID, IBAN ISO 13616, personal identity code); Customs update interface §4.8",
        "The register would accept this, but the value looks wrong: correct it in the system the report comes from.";
    SendSequential => "SEND-SEQUENTIAL", Enforced, "Messages are sent one at a time with X-Correlation-ID",
        "Customs update interface §3.6, §4.1",
        "Send the next message only after the previous one was answered 200; put a UUIDv4 in X-Correlation-ID.";
    SendAnswer => "SEND-ANSWER", Enforced, "The register's answer (only 200 means stored)",
        "Customs update interface §4.7 (answers)",
        "Read the answer's explanation: fix the message or the certificate for a 400/403, retry later for a 500 or a timeout.";
    DailyVanished => "DAILY-VANISHED", DataQuality, "Records the register holds are ended, not left out of the export",
        "Customs update interface §2.1, §4.1 (only new or changed records are sent; nothing deletes a record)",
        "Records are not deleted by omission: put each record listed back in the export with its end (an account's closingDate, a customership's or box's endDate, the roles' endDate) so the register learns it ended.";
    DisputeState => "DISPUTE-STATE", Enforced, "A disputable or incorrect report names an acknowledged record and a change §4.3 allows",
        "Customs update interface §4.3 and its state diagram",
        "Report only records the register acknowledged (their X-Correlation-ID is in the ledger); cancel only a dispute the register holds; a record reported incorrect can no longer change.";
    VeroIssuer => "VERO-ISSUER", Enforced, "Vero certificate is issued by the environment's Data Providers CA",
        "vero.fi Vero API technical guidance (environments and certificates)",
        "Production needs a certificate from \"Data Providers Issuing CA\", test one from \"Data Providers Test Issuing CA v1\": retrieve one for the right environment (tilicheck vero new --environment …).";
    VeroKey => "VERO-KEY", Enforced, "Vero certificate has an RSA 2048-bit key",
        "vero.fi Vero API quick guide to certificate creation",
        "The certificate service only supports RSA 2048-bit keys: make a new 2048-bit key and request again (tilicheck vero new does this).";
    VeroValidity => "VERO-VALIDITY", Enforced, "Vero certificate is valid now and for the service's 2 years",
        "vero.fi certificate service (validity 2 years)",
        "An expired certificate cannot be renewed: request a new one with new transfer IDs and retrieve it as the first time.";
    VeroRenewal => "VERO-RENEWAL", Enforced, "Renewal in the last 60 days, only while valid",
        "vero.fi certificate service, renewal of certificate",
        "Renew inside the 60-day window with tilicheck vero renew; once expired, request a new certificate instead.";
    VeroCustomerId => "VERO-CUSTOMER-ID", Enforced, "Certificate subject carries the customer ID",
        "vero.fi IR Q&A (the service sets the subject); third-party clients (CN = CustomerId, unconfirmed)",
        "Each customer organisation needs its own certificate: retrieve one with that organisation's customer ID.";
    VeroActivation => "VERO-ACTIVATION", Enforced, "New production certificate is already picked up for Vero API",
        "seed 000 (Vero API go-live): daily pick-up, office hours 8.00–16.15",
        "Plan the switch-over: Vero API answers calls made with a new production certificate only from the first working day after it was formed.";
    VeroTransferId => "VERO-TRANSFER-ID", Enforced, "Transfer ID is still inside its 14 days",
        "vero.fi retrieving a certificate; seed 000",
        "Transfer IDs work once and for 14 days: if they have expired, apply for a new certificate in the Incomes Register e-service to get new ones.";
    VeroKeypair => "VERO-KEYPAIR", Enforced, "Private key matches the Vero certificate",
        "—",
        "Use the key the certificate was issued for; renewal must be signed with it and Vero API's TLS handshake needs it.";
    VeroResponseSignature => "VERO-RESPONSE-SIGNATURE", Enforced, "Certificate service's answer carries a valid XML signature",
        "third-party clients (ds:Signature in every response, checked against the IR services CA): unconfirmed",
        "Do not use a certificate from an answer whose signature does not verify; check the service address and the --service-ca file.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for id in RuleId::ALL {
            assert!(seen.insert(id.as_str()), "duplicate id {id}");
            assert_eq!(RuleId::parse(id.as_str()), Some(*id));
            assert_eq!(id.rule().id, *id);
            assert!(!id.rule().title.is_empty());
        }
        assert_eq!(RuleId::parse("NOPE"), None);
    }
}
