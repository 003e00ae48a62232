//! The endpoint checks: TLS-VERSION, TLS-FS, TLS-STRENGTH, TLS-MUTUAL, TLS-NAME and HTTP-VERSION, on
//! the facts the prober and the real handshake gathered.

use crate::findings::{Finding, Subject, SubjectFacts};
use crate::pki::facts::CertificateFacts;
use crate::profile::{Confidence, RegisterProfile, RuleId};
use crate::tls::client_auth::{AuthMode, ClientAuth, Layer, TrialVerdict, classify};
use crate::tls::facts::{
    EndpointFacts, Exchange, HandshakeFacts, HandshakeOutcome, HttpCertRefusal, Offered,
    ProbeFacts, Version, group_bits, group_is_ffdhe, group_name,
};
use crate::tls::report::EndpointView;
use crate::tls::server_name::covers;
use crate::tls::suites::{Secrecy, Suite};

/// The role every report gives the endpoint.
pub const ROLE: &str = "endpoint";

/// Every accepted (version, suite), newest version first, each in server order.
fn accepted(p: &ProbeFacts) -> impl Iterator<Item = (Version, u16)> + '_ {
    p.versions
        .iter()
        .flat_map(|v| v.suites.iter().map(move |s| (v.version, *s)))
}

/// Versions whose enumeration stopped early, with why.
fn incomplete(p: &ProbeFacts) -> Vec<String> {
    p.versions
        .iter()
        .filter_map(|v| v.error.as_ref().map(|e| format!("{}: {e}", v.version)))
        .collect()
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

/// TLS-VERSION: nothing older than the profile's minimum is negotiable.
pub fn check_version(p: &ProbeFacts, profile: &RegisterProfile) -> Finding {
    let rule = RuleId::TlsVersion;
    let min = profile.tls.min_version;
    let accepted: Vec<Version> = p
        .versions
        .iter()
        .filter(|v| v.accepted())
        .map(|v| v.version)
        .collect();
    let old: Vec<String> = accepted
        .iter()
        .filter(|v| v.wire() < min.value)
        .map(|v| v.to_string())
        .collect();
    let names: Vec<String> = accepted.iter().map(|v| v.to_string()).collect();
    let unsure: Vec<String> = p
        .versions
        .iter()
        .filter(|v| v.version.wire() < min.value && v.error.is_some() && !v.accepted())
        .filter_map(|v| v.error.as_ref().map(|e| format!("{}: {e}", v.version)))
        .collect();
    let finding = if !old.is_empty() {
        Finding::fail(
            rule,
            format!(
                "the server accepts {} (all accepted: {})",
                list(&old),
                list(&names)
            ),
        )
        .with_remedy(format!("Disable {} on the server.", list(&old)))
    } else if accepted.is_empty() {
        Finding::error(
            rule,
            "the server accepted no protocol version from SSL 3.0 to TLS 1.3",
        )
    } else if !unsure.is_empty() {
        Finding::error(
            rule,
            format!(
                "accepts {}; could not tell about older versions ({})",
                list(&names),
                unsure.join("; ")
            ),
        )
    } else {
        Finding::pass(rule, format!("accepts only {}", list(&names)))
    };
    finding.with_assumption(min.assumption())
}

/// TLS-FS: every accepted suite uses ephemeral, authenticated (EC)DH.
pub fn check_forward_secrecy(p: &ProbeFacts) -> Finding {
    let rule = RuleId::TlsFs;
    let mut bad = Vec::new();
    let mut count = 0;
    for (v, id) in accepted(p) {
        count += 1;
        match Suite::by_id(id) {
            Some(s) if s.secrecy == Secrecy::Forward => {}
            Some(s) if s.secrecy == Secrecy::Anonymous => bad.push(format!(
                "{v} {} (anonymous: no server authentication)",
                s.name
            )),
            Some(s) => bad.push(format!("{v} {} ({} key exchange)", s.name, s.kx)),
            None => bad.push(format!("{v} {}", Suite::name_of(id))),
        }
    }
    let gaps = incomplete(p);
    if !bad.is_empty() {
        Finding::fail(
            rule,
            format!(
                "{} of {count} accepted suites are not forward-secret: {}",
                bad.len(),
                bad.join("; ")
            ),
        )
    } else if count == 0 {
        Finding::error(rule, "no accepted cipher suite was found")
    } else if !gaps.is_empty() {
        Finding::error(
            rule,
            format!(
                "all {count} suites found are forward-secret, but the list may be incomplete ({})",
                gaps.join("; ")
            ),
        )
    } else {
        Finding::pass(
            rule,
            format!("all {count} accepted suites use ephemeral (EC)DHE"),
        )
    }
}

/// TLS-STRENGTH: every accepted suite and key-exchange group meets the profile's values.
pub fn check_strength(p: &ProbeFacts, profile: &RegisterProfile) -> Finding {
    let rule = RuleId::TlsStrength;
    let t = &profile.tls;
    let mut problems: Vec<String> = Vec::new();
    // Which profile values a verdict rested on, by name, for the assumption note.
    let mut used: Vec<(&'static str, Confidence)> = Vec::new();
    let mut note =
        |problems: &mut Vec<String>, text: String, value: Option<(&'static str, Confidence)>| {
            problems.push(text);
            if let Some(v) = value
                && !used.iter().any(|(n, _)| *n == v.0)
            {
                used.push(v);
            }
        };
    let mut count = 0;
    for (v, id) in accepted(p) {
        count += 1;
        let Some(s) = Suite::by_id(id) else {
            note(
                &mut problems,
                format!("{v} {}: cannot be classified", Suite::name_of(id)),
                None,
            );
            continue;
        };
        if s.key_bits < t.min_cipher_bits.value {
            note(
                &mut problems,
                format!(
                    "{v} {}: {}-bit {} key (minimum {})",
                    s.name, s.key_bits, s.cipher, t.min_cipher_bits.value
                ),
                Some(("tls_min_cipher_bits", t.min_cipher_bits.confidence)),
            );
        }
        if t.aead_required.value && !s.aead {
            note(
                &mut problems,
                format!(
                    "{v} {}: not AEAD ({} with {})",
                    s.name,
                    s.mode_or_stream(),
                    s.mac
                ),
                Some(("tls_aead_required", t.aead_required.confidence)),
            );
        }
        if s.hash_bits < t.min_hash_bits.value {
            note(
                &mut problems,
                format!(
                    "{v} {}: {}-bit hash (minimum {})",
                    s.name, s.hash_bits, t.min_hash_bits.value
                ),
                Some(("tls_min_hash_bits", t.min_hash_bits.confidence)),
            );
        }
    }
    for kx in &p.key_exchanges {
        if let Exchange::Dh { bits, .. } = kx.exchange
            && bits < t.min_dh_bits.value
        {
            note(
                &mut problems,
                format!(
                    "{} {}: {bits}-bit DH prime (minimum {})",
                    kx.version,
                    Suite::name_of(kx.suite),
                    t.min_dh_bits.value
                ),
                Some(("tls_min_dh_bits", t.min_dh_bits.confidence)),
            );
        }
    }
    let mut groups: Vec<u16> = Vec::new();
    let seen = p
        .groups
        .iter()
        .flat_map(|g| g.groups.iter().copied())
        .chain(p.key_exchanges.iter().filter_map(|k| match k.exchange {
            Exchange::Group(g) => Some(g),
            Exchange::Dh { .. } => None,
        }));
    for g in seen {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    for g in groups {
        let (min, name, value) = if group_is_ffdhe(g) {
            (t.min_dh_bits.value, "tls_min_dh_bits", &t.min_dh_bits)
        } else {
            (
                t.min_ecdhe_bits.value,
                "tls_min_ecdhe_bits",
                &t.min_ecdhe_bits,
            )
        };
        match group_bits(g) {
            Some(bits) if bits < min => note(
                &mut problems,
                format!("group {}: {bits} bits (minimum {min})", group_name(g)),
                Some((name, value.confidence)),
            ),
            Some(_) => {}
            None => note(
                &mut problems,
                format!("group {}: unknown strength", group_name(g)),
                None,
            ),
        }
    }
    let gaps = incomplete(p);
    if !problems.is_empty() {
        return Finding::fail(
            rule,
            format!("{} weakness(es): {}", problems.len(), problems.join("; ")),
        )
        .with_assumption(assumption_note(&used));
    }
    let all = [
        ("tls_min_cipher_bits", t.min_cipher_bits.confidence),
        ("tls_aead_required", t.aead_required.confidence),
        ("tls_min_hash_bits", t.min_hash_bits.confidence),
        ("tls_min_dh_bits", t.min_dh_bits.confidence),
        ("tls_min_ecdhe_bits", t.min_ecdhe_bits.confidence),
    ];
    let assumption = assumption_note(&all);
    if count == 0 {
        Finding::error(rule, "no accepted cipher suite was found")
    } else if !gaps.is_empty() {
        Finding::error(
            rule,
            format!(
                "the {count} suites found are strong enough, but the list may be incomplete ({})",
                gaps.join("; ")
            ),
        )
    } else {
        Finding::pass(
            rule,
            format!(
                "all {count} accepted suites are AEAD with keys ≥ {} bits and hashes ≥ {} bits; DH ≥ {} bits, curves ≥ {} bits",
                t.min_cipher_bits.value, t.min_hash_bits.value, t.min_dh_bits.value, t.min_ecdhe_bits.value
            ),
        )
        .with_assumption(assumption)
    }
}

/// One note for several profile values: which are assumed, and why (each reason once).
fn assumption_note(values: &[(&'static str, Confidence)]) -> Option<String> {
    let mut names = Vec::new();
    let mut whys: Vec<&str> = Vec::new();
    for (name, confidence) in values {
        if let Confidence::Assumed { why } = confidence {
            names.push(*name);
            if !whys.contains(why) {
                whys.push(why);
            }
        }
    }
    (!names.is_empty()).then(|| {
        format!(
            "{} {} assumed: {} (`tilicheck rules` lists the sources)",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" },
            whys.join("; ")
        )
    })
}

impl Suite {
    fn mode_or_stream(&self) -> String {
        if self.mode.is_empty() {
            format!("{} stream cipher", self.cipher)
        } else {
            format!("{}-{}", self.cipher, self.mode)
        }
    }
}

/// TLS-MUTUAL: client authentication is required (a client without a certificate and one
/// with a foreign CA's are refused) and the user's certificate is accepted.
pub fn check_mutual(e: &EndpointFacts) -> Finding {
    let rule = RuleId::TlsMutual;
    let h = &e.handshake;
    if let HandshakeOutcome::NotUsable { reason, own_limit } = &h.outcome {
        return Finding::error(rule, not_usable_text(reason, *own_limit));
    }
    let auth = classify(e);
    let mode = match &auth.mode {
        Ok(mode) => *mode,
        Err(why) => {
            return Finding::error(
                rule,
                format!("could not tell whether the server requires a client certificate: {why}"),
            );
        }
    };
    let anonymous = auth
        .anonymous
        .as_ref()
        .map_or_else(String::new, TrialVerdict::describe);
    match mode {
        AuthMode::None => {
            return Finding::fail(
                rule,
                format!(
                    "the server does not ask for a client certificate: anyone can connect (without a certificate: {anonymous})"
                ),
            )
            .with_remedy("Require client certificates on the server (mutual TLS).");
        }
        AuthMode::Optional => {
            return Finding::fail(
                rule,
                format!(
                    "client authentication is optional: the server asks for a certificate ({}) but a client without one gets through: {anonymous}",
                    ca_text(&auth)
                ),
            )
            .with_remedy(
                "Make the client certificate required, not optional (nginx: ssl_verify_client on; Apache: SSLVerifyClient require; openssl s_server: -Verify), verified against the CA of the certificates Customs was given.",
            );
        }
        AuthMode::Required => {}
    }
    let required = match auth.refused_by {
        Some(Layer::Http) => format!(
            "a certificate is required, enforced at the HTTP level (without one: {anonymous})"
        ),
        _ => format!("a certificate is required (without one: {anonymous})"),
    };
    let foreign = auth
        .foreign
        .as_ref()
        .map_or_else(|| "not tested".to_owned(), TrialVerdict::describe);
    if let Some(TrialVerdict::Refused { how, layer }) = &auth.supplier {
        let subject = h.offered.subject().unwrap_or_default();
        let text = match layer {
            Layer::Http => format!("the server refused {subject}: {how}"),
            Layer::Tls => format!("the server refused {subject} {how}"),
        };
        return supplier_refused(
            Finding::fail(rule, format!("{text} ({})", ca_text(&auth))),
            h,
        );
    }
    if auth.foreign.as_ref().is_some_and(TrialVerdict::is_accepted) {
        return Finding::fail(
            rule,
            format!(
                "{required}, but a certificate from a foreign CA ({}) was {foreign}: any certificate gets in",
                crate::tls::foreign::SUBJECT
            ),
        )
        .with_remedy(
            "Verify client certificates against the issuing CA of the certificates Customs was given (DVV or the QWAC's CA) and refuse any other (openssl: -verify_return_error; nginx: ssl_client_certificate with only those CAs).",
        );
    }
    let Some(supplier) = &auth.supplier else {
        return Finding::skip(
            rule,
            format!(
                "{required}; a foreign CA's certificate: {foreign}; {}; give --cert and --key to test a handshake with yours",
                ca_text(&auth)
            ),
        );
    };
    let subject = h.offered.subject().unwrap_or_default();
    match (supplier, &auth.foreign) {
        (TrialVerdict::Accepted { status }, Some(TrialVerdict::Refused { .. })) => Finding::pass(
            rule,
            format!(
                "{subject} accepted ({}; HTTP {status}); {required}; a foreign CA's certificate: {foreign}",
                negotiated(h)
            ),
        ),
        (TrialVerdict::Unknown { why }, _) => Finding::error(
            rule,
            format!("the handshake with {subject} proved nothing: {why}"),
        ),
        (_, _) => Finding::error(
            rule,
            format!(
                "{subject} {}; {required}; but whether a foreign CA's certificate is refused is not known: {foreign}",
                supplier.describe()
            ),
        ),
    }
}

/// The remedy for a refused user certificate.
fn supplier_refused(finding: Finding, h: &HandshakeFacts) -> Finding {
    let refusal = h.http.as_ref().and_then(|http| http.refusal);
    // The most common cause in practice: a client that sends its leaf without the CA below
    // the root, which the server then cannot chain.
    let leaf_only = matches!(h.offered, Offered::Supplier { chain_len: 1, .. });
    match refusal {
        Some(HttpCertRefusal::NoCertificate) => finding.with_remedy(
            "The server says no certificate arrived: check that the client is configured to send the certificate delivered to Customs whenever the server asks.",
        ),
        _ if leaf_only => finding.with_remedy(
            "Your certificate file holds only the leaf: give a PEM with the leaf followed by its intermediate CA certificates, issued under a CA the server names.",
        ),
        _ => finding,
    }
}

/// A handshake the client could not complete: never evidence against the certificate, and
/// only evidence against the server when the server's own choice is weak.
fn not_usable_text(reason: &str, own_limit: bool) -> String {
    if own_limit {
        format!(
            "the mutual-TLS handshake could not be tested: {reason}. This is a limit of tilicheck, not a fault of the server or of your certificate"
        )
    } else {
        format!(
            "the mutual-TLS handshake could not be tested: {reason}. The server's choice is weak (see TLS-STRENGTH); your certificate was not judged"
        )
    }
}

fn ca_text(auth: &ClientAuth) -> String {
    if auth.ca_names.is_empty() {
        "no acceptable CAs named".to_owned()
    } else {
        format!("acceptable CAs: {}", auth.ca_names.join(" | "))
    }
}

fn negotiated(h: &HandshakeFacts) -> String {
    let version = h.version.map(|v| v.to_string());
    [version.as_deref(), h.suite.as_deref(), h.group.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}

/// TLS-NAME: the endpoint's certificate is for the name connected to. A warning: the
/// register does not judge it, but the supplier's HTTPS client will refuse the connection.
pub fn check_name(e: &EndpointFacts) -> Finding {
    let rule = RuleId::TlsName;
    let Some(leaf) = e.leaf() else {
        return Finding::skip(rule, "no certificate from the endpoint was seen");
    };
    let names = CertificateFacts::from_der(leaf).map_or_else(
        |_| Vec::new(),
        |f| {
            f.dns_names
                .iter()
                .cloned()
                .chain(f.ip_addresses.iter().cloned())
                .collect::<Vec<_>>()
        },
    );
    let listed = if names.is_empty() {
        "no names in subjectAltName".to_owned()
    } else {
        names.join(", ")
    };
    match covers(leaf, &e.name) {
        Ok(true) => Finding::pass(
            rule,
            format!("the certificate is for {} ({listed})", e.name),
        ),
        Ok(false) => {
            let remedy = match names.first() {
                Some(first) => format!(
                    "HTTPS clients refuse a certificate that is not for the name they connect to. If you reached the endpoint by an address or another name, give the name it is for: --sni {first} (it covers {listed}); if {} is the register's published name, the server presents the wrong certificate.",
                    e.name
                ),
                None => "The certificate carries no subjectAltName: no current HTTPS client accepts it for any name; the server needs a certificate with the register's DNS name.".to_owned(),
            };
            Finding::violation(
                rule,
                format!("the certificate is not for {}: it is for {listed}", e.name),
            )
            .with_remedy(remedy)
        }
        Err(why) => Finding::error(rule, format!("cannot check the name {}: {why}", e.name)),
    }
}

/// HTTP-VERSION: the server answers `GET /` with HTTP/1.1.
pub fn check_http(h: &HandshakeFacts) -> Finding {
    let rule = RuleId::HttpVersion;
    match (&h.http, &h.outcome) {
        (Some(http), _) if http.version == "HTTP/1.1" => Finding::pass(
            rule,
            format!("HTTP/1.1 request answered {} {}", http.version, http.status),
        ),
        (Some(http), _) => Finding::fail(
            rule,
            format!(
                "an HTTP/1.1 request was answered in {} (status {})",
                http.version, http.status
            ),
        )
        .with_remedy("Serve HTTP/1.1 on the endpoint."),
        (None, HandshakeOutcome::HttpFailed(err)) => {
            Finding::error(rule, format!("no HTTP answer: {err}"))
        }
        (None, HandshakeOutcome::RejectedAfterHandshake { .. }) => Finding::skip(
            rule,
            "no HTTP exchange: the server refused the client certificate first",
        ),
        (None, _) => Finding::skip(rule, "no HTTP exchange: the TLS handshake failed"),
    }
}

/// The endpoint's subject: summary lines and the six TLS findings.
pub fn endpoint_subject(e: &EndpointFacts, profile: &RegisterProfile) -> Subject {
    let mut s = Subject::new(ROLE, e.endpoint.clone());
    let view = EndpointView::of(e);
    s.summary = summary(e, &view);
    s.facts = Some(SubjectFacts::Endpoint(Box::new(view)));
    s.findings = vec![
        check_version(&e.probe, profile),
        check_forward_secrecy(&e.probe),
        check_strength(&e.probe, profile),
        check_mutual(e),
        check_name(e),
        check_http(&e.handshake),
    ];
    s
}

mod summary;
use summary::summary;

#[cfg(test)]
mod tests;
