//! The elimination rounds: offer what remains, take out what the server chose, ask again
//! until it refuses. Then one hello with the server's first two choices swapped tells whether
//! the order was the server's own or the client's.
//!
//! TLS 1.3 hellos carry no key share: the server answers with a HelloRetryRequest that names
//! its suite and group, and never has to sign anything (a full ServerHello costs it a
//! CertificateVerify signature). Suite and group choices are independent in TLS 1.3, so one
//! hello swaps both pairs.

use crate::tls::client_hello::{ALL_GROUPS, Offer};
use crate::tls::facts::{Exchange, GroupFacts, Version, VersionFacts, group_is_ffdhe, group_name};
use crate::tls::probe::{Answer, Found, Prober, Target};
use crate::tls::server_hello::{Flight, Until};
use crate::tls::suites::{self, Suite};

/// A TLS 1.3 hello with no key share.
pub(super) fn tls13_offer<'a>(
    suites: &'a [u16],
    groups: &'a [u16],
    target: &'a Target,
) -> Offer<'a> {
    Offer {
        version: Version::Tls13,
        suites,
        groups,
        key_share: None,
        sni: target.sni.as_deref(),
    }
}

/// What a round varies; the other list stays fixed.
enum Vary<'a> {
    Suites { groups: &'a [u16] },
    Groups { suites: &'a [u16] },
}

/// What a round takes out of the remaining list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pick {
    Suite,
    /// The group a TLS 1.3 (retry) hello names.
    Group,
    /// The curve of a TLS 1.2 ServerKeyExchange.
    Curve,
}

struct Elimination<'a> {
    version: Version,
    vary: Vary<'a>,
    pick: Pick,
}

impl Elimination<'_> {
    fn until(&self) -> Until {
        match self.version {
            Version::Tls13 => Until::Hello,
            _ => Until::HelloDone,
        }
    }
}

fn name(pick: Pick, id: u16) -> String {
    match pick {
        Pick::Suite => Suite::name_of(id),
        Pick::Group | Pick::Curve => group_name(id),
    }
}

impl Prober<'_> {
    fn offer<'a>(&'a self, e: &'a Elimination<'a>, remaining: &'a [u16]) -> Offer<'a> {
        let (suites, groups) = match e.vary {
            Vary::Suites { groups } => (remaining, groups),
            Vary::Groups { suites } => (suites, remaining),
        };
        Offer {
            version: e.version,
            suites,
            groups,
            key_share: None,
            sni: self.target.sni.as_deref(),
        }
    }

    /// Run one elimination. `chosen` and `remaining` may start part-way (a round already
    /// made elsewhere); `first` answers the first round when it was already asked.
    fn eliminate(
        &self,
        e: &Elimination<'_>,
        mut remaining: Vec<u16>,
        mut chosen: Vec<u16>,
        first: Option<&Answer>,
        found: &mut Found,
    ) -> (Vec<u16>, Option<String>) {
        let mut first = first.cloned();
        // At most one round per offered item, plus the refusal.
        while !remaining.is_empty() {
            let answer = match first.take() {
                Some(a) => Ok(a),
                None => self.ask(&self.offer(e, &remaining), e.until()),
            };
            let flight = match answer {
                Ok(Answer::Chose(flight)) => flight,
                Ok(Answer::Refused) => break,
                Err(err) => return (chosen, Some(err.to_string())),
            };
            let Some(hello) = flight.hello.as_ref() else {
                break;
            };
            // A lower version than offered means this one is not spoken.
            if hello.version != e.version.wire() {
                break;
            }
            found.record(e.version, &flight);
            let id = match e.pick {
                Pick::Suite => Some(hello.suite),
                Pick::Group => hello.group,
                Pick::Curve => flight.curve,
            };
            let Some(id) = id else {
                return (
                    chosen,
                    Some("the server named no key-exchange group".to_owned()),
                );
            };
            let Some(pos) = remaining.iter().position(|x| *x == id) else {
                return (
                    chosen,
                    Some(format!(
                        "the server chose {}, which was not offered: its answers cannot be trusted",
                        name(e.pick, id)
                    )),
                );
            };
            remaining.remove(pos);
            chosen.push(id);
        }
        (chosen, None)
    }

    /// The suites of TLS 1.2 or older, by elimination over every suite the registry knows.
    pub(super) fn suites(&self, version: Version, found: &mut Found) -> VersionFacts {
        let e = Elimination {
            version,
            vary: Vary::Suites { groups: ALL_GROUPS },
            pick: Pick::Suite,
        };
        let (suites, error) = self.eliminate(&e, suites::legacy_suites(), Vec::new(), None, found);
        VersionFacts {
            version,
            suites,
            server_order: None,
            error,
        }
    }

    /// The TLS 1.3 suites; `first` is the hello that offered them all.
    pub(super) fn suites_tls13(&self, first: &Answer, found: &mut Found) -> VersionFacts {
        let e = Elimination {
            version: Version::Tls13,
            vary: Vary::Suites { groups: ALL_GROUPS },
            pick: Pick::Suite,
        };
        let (suites, error) =
            self.eliminate(&e, suites::tls13_suites(), Vec::new(), Some(first), found);
        VersionFacts {
            version: Version::Tls13,
            suites,
            server_order: None,
            error,
        }
    }

    /// The TLS 1.3 groups; `first` is the hello that offered them all.
    pub(super) fn groups_tls13(&self, first: &Answer) -> Option<GroupFacts> {
        let all = suites::tls13_suites();
        let e = Elimination {
            version: Version::Tls13,
            vary: Vary::Groups { suites: &all },
            pick: Pick::Group,
        };
        let mut found = Found::default();
        let (groups, error) =
            self.eliminate(&e, ALL_GROUPS.to_vec(), Vec::new(), Some(first), &mut found);
        group_facts(Version::Tls13, groups, error)
    }

    /// TLS 1.2 curves, over the ECDHE suites the server accepted. The suite rounds offered
    /// every curve, so the curve of the first ECDHE suite found is the first round's answer.
    pub(super) fn groups_tls12(
        &self,
        tls12: &VersionFacts,
        found: &mut Found,
    ) -> Option<GroupFacts> {
        let ecdhe = ecdhe_suites(tls12);
        if ecdhe.is_empty() {
            return None;
        }
        let mut remaining: Vec<u16> = ALL_GROUPS
            .iter()
            .copied()
            .filter(|g| !group_is_ffdhe(*g))
            .collect();
        let mut chosen = Vec::new();
        if let Some(Exchange::Group(first)) = found_exchange(found, ecdhe[0])
            && let Some(pos) = remaining.iter().position(|g| *g == first)
        {
            remaining.remove(pos);
            chosen.push(first);
        }
        let e = Elimination {
            version: Version::Tls12,
            vary: Vary::Groups { suites: &ecdhe },
            pick: Pick::Curve,
        };
        let (groups, error) = self.eliminate(&e, remaining, chosen, None, found);
        group_facts(Version::Tls12, groups, error)
    }

    /// Suite order of TLS 1.2 or older: the first two suites swapped.
    pub(super) fn suite_order(&self, facts: &VersionFacts) -> Option<bool> {
        let (first, second) = first_two(&facts.suites, &facts.error)?;
        let e = Elimination {
            version: facts.version,
            vary: Vary::Suites { groups: ALL_GROUPS },
            pick: Pick::Suite,
        };
        let offer = [second, first];
        match self.ask(&self.offer(&e, &offer), e.until()) {
            Ok(Answer::Chose(f)) => f.hello.map(|h| h.suite == first),
            _ => None,
        }
    }

    /// TLS 1.3 suite and group order in one hello: both first pairs swapped.
    pub(super) fn order_tls13(
        &self,
        mut suites: VersionFacts,
        mut groups: Option<GroupFacts>,
    ) -> (VersionFacts, Vec<GroupFacts>) {
        let suite_pair = first_two(&suites.suites, &suites.error);
        let group_pair = groups.as_ref().and_then(|g| first_two(&g.groups, &g.error));
        if suite_pair.is_some() || group_pair.is_some() {
            let offer_suites = match suite_pair {
                Some((a, b)) => vec![b, a],
                None => suites.suites.clone(),
            };
            let offer_groups = match (group_pair, &groups) {
                (Some((a, b)), _) => vec![b, a],
                (None, Some(g)) if !g.groups.is_empty() => g.groups.clone(),
                _ => ALL_GROUPS.to_vec(),
            };
            let offer = tls13_offer(&offer_suites, &offer_groups, self.target);
            if let Ok(Answer::Chose(Flight {
                hello: Some(hello), ..
            })) = self.ask(&offer, Until::Hello)
            {
                suites.server_order = suite_pair.map(|(a, _)| hello.suite == a);
                if let Some(g) = groups.as_mut() {
                    g.server_order = group_pair.map(|(a, _)| hello.group == Some(a));
                }
            }
        }
        (suites, groups.into_iter().collect())
    }

    /// TLS 1.2 suite and curve order: one hello when two ECDHE suites and two curves allow
    /// it (the first two ECDHE suites and curves swapped), else one for each.
    pub(super) fn order_tls12(
        &self,
        mut suites: VersionFacts,
        mut groups: Option<GroupFacts>,
    ) -> (VersionFacts, Vec<GroupFacts>) {
        let ecdhe = ecdhe_suites(&suites);
        let ecdhe_pair = first_two(&ecdhe, &suites.error);
        let curve_pair = groups.as_ref().and_then(|g| first_two(&g.groups, &g.error));
        let e = Elimination {
            version: Version::Tls12,
            vary: Vary::Groups { suites: &ecdhe },
            pick: Pick::Curve,
        };
        match (ecdhe_pair, curve_pair) {
            (Some((s1, s2)), Some((c1, c2))) => {
                let offer_suites = [s2, s1];
                let offer = Offer {
                    version: Version::Tls12,
                    suites: &offer_suites,
                    groups: &[c2, c1],
                    key_share: None,
                    sni: self.target.sni.as_deref(),
                };
                if let Ok(Answer::Chose(f)) = self.ask(&offer, Until::HelloDone) {
                    suites.server_order = f.hello.as_ref().map(|h| h.suite == s1);
                    if let Some(g) = groups.as_mut() {
                        g.server_order = f.curve.map(|c| c == c1);
                    }
                }
            }
            (_, curve_pair) => {
                suites.server_order = self.suite_order(&suites);
                if let (Some((c1, c2)), Some(g)) = (curve_pair, groups.as_mut()) {
                    let offer = [c2, c1];
                    if let Ok(Answer::Chose(f)) = self.ask(&self.offer(&e, &offer), e.until()) {
                        g.server_order = f.curve.map(|c| c == c1);
                    }
                }
            }
        }
        (suites, groups.into_iter().collect())
    }
}

/// The accepted ECDHE suites, in the order the server chose them.
fn ecdhe_suites(facts: &VersionFacts) -> Vec<u16> {
    facts
        .suites
        .iter()
        .copied()
        .filter(|s| Suite::by_id(*s).is_some_and(|s| s.kx == "ECDHE"))
        .collect()
}

fn found_exchange(found: &Found, suite: u16) -> Option<Exchange> {
    found.exchange_of(Version::Tls12, suite)
}

/// The first two items of a complete list.
fn first_two(items: &[u16], error: &Option<String>) -> Option<(u16, u16)> {
    match (items, error) {
        ([a, b, ..], None) => Some((*a, *b)),
        _ => None,
    }
}

fn group_facts(version: Version, groups: Vec<u16>, error: Option<String>) -> Option<GroupFacts> {
    (!groups.is_empty() || error.is_some()).then_some(GroupFacts {
        version,
        groups,
        server_order: None,
        error,
    })
}
