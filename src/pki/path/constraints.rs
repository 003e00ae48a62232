//! Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)-(c), §6.1.4 (g)) for every name form a
//! certificate carries: directoryName, rfc822Name (and emailAddress in the subject),
//! dNSName, uniformResourceIdentifier and iPAddress. A constraint on any other form, with a
//! name of that form below it, cannot be checked, so the path is rejected (§4.2.1.10).

use der::Decode;
use der::Encode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{NameConstraints as NcExt, SubjectAltName};

use super::name::Dn;
use crate::pki::conformance::dns_name_syntax;

/// One subtree, decoded for matching.
#[derive(Clone, Debug)]
enum Subtree {
    Directory(Dn),
    Email(String),
    Dns(String),
    Uri(String),
    Ip {
        address: Vec<u8>,
        mask: Vec<u8>,
    },
    /// A form not processed here (otherName, ediPartyName, registeredID), by its tag number.
    Other(u8),
}

/// A name of a certificate, decoded for matching.
#[derive(Clone, Debug)]
pub enum Name {
    Directory(Dn),
    Email(String),
    Dns(String),
    Uri(String),
    Ip(Vec<u8>),
    Other(u8),
}

impl Name {
    fn form(&self) -> u8 {
        match self {
            Name::Email(_) => 1,
            Name::Dns(_) => 2,
            Name::Directory(_) => 4,
            Name::Uri(_) => 6,
            Name::Ip(_) => 7,
            Name::Other(t) => *t,
        }
    }

    fn show(&self) -> String {
        match self {
            Name::Directory(dn) => format!("the directory name \"{dn}\""),
            Name::Email(e) => format!("e-mail address {e}"),
            Name::Dns(d) => format!("DNS name {d}"),
            Name::Uri(u) => format!("URI {u}"),
            Name::Ip(ip) => format!("IP address {}", show_ip(ip)),
            Name::Other(t) => format!("a name of form [{t}]"),
        }
    }
}

impl Subtree {
    fn form(&self) -> u8 {
        match self {
            Subtree::Email(_) => 1,
            Subtree::Dns(_) => 2,
            Subtree::Directory(_) => 4,
            Subtree::Uri(_) => 6,
            Subtree::Ip { .. } => 7,
            Subtree::Other(t) => *t,
        }
    }
}

fn show_ip(ip: &[u8]) -> String {
    match ip.len() {
        4 => std::net::Ipv4Addr::from([ip[0], ip[1], ip[2], ip[3]]).to_string(),
        16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(ip);
            std::net::Ipv6Addr::from(b).to_string()
        }
        _ => format!("({} bytes)", ip.len()),
    }
}

/// Why a name constraints extension cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MalformedConstraints {
    #[error("has name constraints that cannot be decoded")]
    Undecodable,
    #[error(
        "has empty name constraints (neither permitted nor excluded subtrees), which RFC 5280 forbids"
    )]
    Empty,
    #[error("has name constraints with minimum or maximum, which RFC 5280 forbids")]
    MinimumMaximum,
    #[error("has an iPAddress name constraint that is not an address and a mask")]
    BadIpSubtree,
    #[error("has a directoryName name constraint that cannot be read")]
    BadDirectory,
}

/// Why a certificate's names are not allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("has {0}, outside the subtrees its issuers permit")]
    NotPermitted(String),
    #[error("has {0}, in a subtree its issuers exclude")]
    Excluded(String),
    #[error("has {0}, under a name constraint of a form this validator does not process")]
    Unprocessable(String),
    #[error("has {0}, which breaks its syntax, so its issuers' name constraints cannot be checked")]
    Malformed(String),
    #[error("has a subjectAltName that cannot be decoded")]
    BadSubjectAltName,
    #[error("has an empty subjectAltName")]
    EmptySubjectAltName,
}

/// The permitted and excluded subtrees gathered along the path.
#[derive(Clone, Debug, Default)]
pub struct Constraints {
    /// One entry per certificate that permitted subtrees: a name of a form listed there must
    /// be within one of them (so the permitted set is the intersection of all).
    permitted: Vec<Vec<Subtree>>,
    excluded: Vec<Subtree>,
}

fn subtree(base: &GeneralName) -> Result<Subtree, MalformedConstraints> {
    Ok(match base {
        GeneralName::Rfc822Name(s) => Subtree::Email(s.to_string()),
        GeneralName::DnsName(s) => Subtree::Dns(s.to_string().to_ascii_lowercase()),
        GeneralName::UniformResourceIdentifier(s) => {
            Subtree::Uri(s.to_string().to_ascii_lowercase())
        }
        GeneralName::DirectoryName(n) => {
            let der = n.to_der().map_err(|_| MalformedConstraints::BadDirectory)?;
            Subtree::Directory(Dn::from_der(&der).ok_or(MalformedConstraints::BadDirectory)?)
        }
        GeneralName::IpAddress(o) => {
            let b = o.as_bytes();
            if b.len() != 8 && b.len() != 32 {
                return Err(MalformedConstraints::BadIpSubtree);
            }
            let (address, mask) = b.split_at(b.len() / 2);
            Subtree::Ip {
                address: address.to_vec(),
                mask: mask.to_vec(),
            }
        }
        GeneralName::OtherName(_) => Subtree::Other(0),
        GeneralName::EdiPartyName(_) => Subtree::Other(5),
        GeneralName::RegisteredId(_) => Subtree::Other(8),
    })
}

impl Constraints {
    /// §6.1.4 (g): add a certificate's name constraints extension (its DER value).
    pub fn add(&mut self, value: &[u8]) -> Result<(), MalformedConstraints> {
        let nc = NcExt::from_der(value).map_err(|_| MalformedConstraints::Undecodable)?;
        let permitted = nc.permitted_subtrees.unwrap_or_default();
        let excluded = nc.excluded_subtrees.unwrap_or_default();
        if permitted.is_empty() && excluded.is_empty() {
            return Err(MalformedConstraints::Empty);
        }
        let decode = |subtrees: &[x509_cert::ext::pkix::constraints::name::GeneralSubtree]| {
            subtrees
                .iter()
                .map(|s| {
                    if s.minimum != 0 || s.maximum.is_some() {
                        return Err(MalformedConstraints::MinimumMaximum);
                    }
                    subtree(&s.base)
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let permitted = decode(&permitted)?;
        let excluded = decode(&excluded)?;
        if !permitted.is_empty() {
            self.permitted.push(permitted);
        }
        self.excluded.extend(excluded);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.permitted.is_empty() && self.excluded.is_empty()
    }

    /// §6.1.3 (b)-(c): are the names allowed?
    pub fn check(&self, names: &[Name]) -> Result<(), Violation> {
        for name in names {
            let form = name.form();
            let constrained = self
                .permitted
                .iter()
                .flatten()
                .chain(&self.excluded)
                .any(|s| s.form() == form);
            if !constrained {
                continue;
            }
            if matches!(name, Name::Other(_)) {
                return Err(Violation::Unprocessable(name.show()));
            }
            // A name that breaks its syntax could slip past an excluded subtree.
            if !well_formed(name) {
                return Err(Violation::Malformed(name.show()));
            }
            for set in &self.permitted {
                let of_form: Vec<&Subtree> = set.iter().filter(|s| s.form() == form).collect();
                if !of_form.is_empty() && !of_form.iter().any(|s| matches(name, s)) {
                    return Err(Violation::NotPermitted(name.show()));
                }
            }
            if self
                .excluded
                .iter()
                .any(|s| s.form() == form && matches(name, s))
            {
                return Err(Violation::Excluded(name.show()));
            }
        }
        Ok(())
    }
}

/// The names name constraints apply to: the subject (when not empty), its emailAddress
/// attributes, and every subjectAltName entry.
pub fn names_of(subject: &Dn, san: Option<&[u8]>) -> Result<Vec<Name>, Violation> {
    let mut names = Vec::new();
    if !subject.is_empty() {
        names.push(Name::Directory(subject.clone()));
    }
    names.extend(subject.emails().iter().map(|e| Name::Email(e.clone())));
    if let Some(value) = san {
        let san = SubjectAltName::from_der(value).map_err(|_| Violation::BadSubjectAltName)?;
        if san.0.is_empty() {
            return Err(Violation::EmptySubjectAltName);
        }
        for g in &san.0 {
            names.push(match g {
                GeneralName::Rfc822Name(s) => Name::Email(s.to_string()),
                GeneralName::DnsName(s) => Name::Dns(s.to_string()),
                GeneralName::UniformResourceIdentifier(s) => Name::Uri(s.to_string()),
                GeneralName::IpAddress(o) => Name::Ip(o.as_bytes().to_vec()),
                GeneralName::DirectoryName(n) => {
                    let der = n.to_der().map_err(|_| Violation::BadSubjectAltName)?;
                    Name::Directory(Dn::from_der(&der).ok_or(Violation::BadSubjectAltName)?)
                }
                GeneralName::OtherName(_) => Name::Other(0),
                GeneralName::EdiPartyName(_) => Name::Other(5),
                GeneralName::RegisteredId(_) => Name::Other(8),
            });
        }
    }
    Ok(names)
}

/// Is the name written as its form requires (RFC 5280 §4.2.1.6)?
fn well_formed(name: &Name) -> bool {
    match name {
        Name::Dns(d) => dns_name_syntax(d).is_ok(),
        Name::Email(e) => e.rsplit_once('@').is_some_and(|(local, host)| {
            !local.is_empty() && !local.contains('@') && dns_name_syntax(host).is_ok()
        }),
        Name::Uri(u) => uri_host(u).is_some(),
        Name::Ip(ip) => ip.len() == 4 || ip.len() == 16,
        Name::Directory(_) => true,
        Name::Other(_) => false,
    }
}

fn matches(name: &Name, subtree: &Subtree) -> bool {
    match (name, subtree) {
        (Name::Directory(n), Subtree::Directory(base)) => n.within(base),
        (Name::Email(e), Subtree::Email(base)) => email_within(e, base),
        (Name::Dns(d), Subtree::Dns(base)) => dns_within(&d.to_ascii_lowercase(), base),
        (Name::Uri(u), Subtree::Uri(base)) => {
            uri_host(u).is_some_and(|host| host_within(&host, base))
        }
        (Name::Ip(ip), Subtree::Ip { address, mask }) => {
            ip.len() == address.len()
                && ip
                    .iter()
                    .zip(address)
                    .zip(mask)
                    .all(|((a, b), m)| a & m == b & m)
        }
        _ => false,
    }
}

/// DNS: the base and any name made by adding labels on its left; "" is every name.
fn dns_within(name: &str, base: &str) -> bool {
    let name = name.trim_end_matches('.');
    let base = base.trim_end_matches('.');
    if base.is_empty() {
        return true;
    }
    if let Some(sub) = base.strip_prefix('.') {
        return name.ends_with(base) && name.len() > sub.len() + 1;
    }
    name == base || name.ends_with(&format!(".{base}"))
}

/// rfc822Name: a mailbox ("a@b"), every mailbox on a host ("b") or in a domain (".b").
fn email_within(email: &str, base: &str) -> bool {
    let Some((local, host)) = email.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || host.is_empty() {
        return false;
    }
    let host = host.to_ascii_lowercase();
    // The local part is case-sensitive, the host is not.
    if let Some((base_local, base_host)) = base.rsplit_once('@') {
        return local == base_local && host == base_host.to_ascii_lowercase();
    }
    host_within(&host, &base.to_ascii_lowercase())
}

/// A host against an rfc822Name or URI base: exactly the host, or (".b") any host below it.
fn host_within(host: &str, base: &str) -> bool {
    if base.starts_with('.') {
        host.ends_with(base)
    } else {
        host == base
    }
}

/// The host of a URI with an authority ("scheme://[user@]host[:port]/…"), lower-cased.
fn uri_host(uri: &str) -> Option<String> {
    let (_, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_match_as_rfc_5280_says() {
        assert!(dns_within("a.example.com", "example.com"));
        assert!(dns_within("example.com", "example.com"));
        assert!(!dns_within("badexample.com", "example.com"));
        assert!(dns_within("x.y", ""));
        assert!(email_within("u@host.test", "host.test"));
        assert!(!email_within("u@sub.host.test", "host.test"));
        assert!(email_within("u@sub.host.test", ".host.test"));
        assert!(!email_within("u@host.test", ".host.test"));
        assert!(email_within("u@host.test", "u@host.test"));
        assert!(!email_within("v@host.test", "u@host.test"));
        assert_eq!(
            uri_host("http://u@Host.Test:80/x").as_deref(),
            Some("host.test")
        );
        assert_eq!(uri_host("urn:x:y"), None);
        let ip = Name::Ip(vec![192, 168, 1, 7]);
        let net = Subtree::Ip {
            address: vec![192, 168, 0, 0],
            mask: vec![255, 255, 0, 0],
        };
        assert!(matches(&ip, &net));
        assert!(!matches(&Name::Ip(vec![10, 0, 0, 1]), &net));
        // Under a constraint of its form, a name that breaks its syntax is refused, so that
        // it cannot slip past an excluded subtree.
        let mut c = Constraints::default();
        c.excluded.push(Subtree::Dns("bad.test".into()));
        assert!(c.check(&[Name::Dns("ok.test".into())]).is_ok());
        assert_eq!(
            c.check(&[Name::Dns("x..bad.test".into())]),
            Err(Violation::Malformed("DNS name x..bad.test".into()))
        );
        assert!(
            c.check(&[Name::Email("no-at-sign".into())]).is_ok(),
            "no e-mail constraint"
        );
    }
}
