//! The elimination rounds: offer what remains, take out what the server chose, ask again
//! until it refuses. Then one hello with the server's first two choices swapped tells whether
//! the order was the server's own or the client's.
//!
//! TLS 1.3 hellos carry no key share: the server answers with a HelloRetryRequest that names
//! its suite and group, and never has to sign anything (a full ServerHello costs it a
//! CertificateVerify signature). Suite and group choices are independent in TLS 1.3, so each
//! elimination's second round also asks the other list's order: that list is offered with its
//! first choice last, and a server that picks it again follows its own order (one that follows
//! ours picks the first it supports). The swap hello is sent only for what that left open.

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

/// What an elimination found.
struct Eliminated {
    chosen: Vec<u16>,
    error: Option<String>,
    /// The server's pick from the other list in the round that asked its order, and the pick
    /// that round made from the eliminated list.
    answer: Option<(u16, u16)>,
}

/// `list` with `first` moved to the end.
fn last_of(list: &[u16], first: u16) -> Vec<u16> {
    let mut moved: Vec<u16> = list.iter().copied().filter(|x| *x != first).collect();
    moved.push(first);
    moved
}

fn name(pick: Pick, id: u16) -> String {
    match pick {
        Pick::Suite => Suite::name_of(id),
        Pick::Group | Pick::Curve => group_name(id),
    }
}

impl Prober<'_> {
    fn offer<'a>(&'a self, e: &'a Elimination<'a>, remaining: &'a [u16]) -> Offer<'a> {
        self.offer_with(e, remaining, None)
    }

    /// The round's hello; `fixed` replaces the list the elimination keeps fixed.
    fn offer_with<'a>(
        &'a self,
        e: &'a Elimination<'a>,
        remaining: &'a [u16],
        fixed: Option<&'a [u16]>,
    ) -> Offer<'a> {
        let (suites, groups) = match e.vary {
            Vary::Suites { groups } => (remaining, fixed.unwrap_or(groups)),
            Vary::Groups { suites } => (fixed.unwrap_or(suites), remaining),
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
        remaining: Vec<u16>,
        chosen: Vec<u16>,
        first: Option<&Answer>,
        found: &mut Found,
    ) -> (Vec<u16>, Option<String>) {
        let done = self.eliminate_asking(e, remaining, chosen, first, None, found);
        (done.chosen, done.error)
    }

    /// [`Prober::eliminate`], its first round asked here also asking the other list's order:
    /// `question` is that list with the server's first choice from it moved to the end. That
    /// round's key exchange is not recorded for its suite: it was made from a reordered list.
    fn eliminate_asking(
        &self,
        e: &Elimination<'_>,
        mut remaining: Vec<u16>,
        mut chosen: Vec<u16>,
        first: Option<&Answer>,
        question: Option<&[u16]>,
        found: &mut Found,
    ) -> Eliminated {
        let mut first = first.cloned();
        let mut question = question;
        let mut answer_to_question = None;
        let done = |chosen, error, answer| Eliminated {
            chosen,
            error,
            answer,
        };
        // At most one round per offered item, plus the refusal.
        while !remaining.is_empty() {
            let asking = if first.is_some() {
                None
            } else {
                question.take()
            };
            let answer = match first.take() {
                Some(a) => Ok(a),
                None => self.ask(&self.offer_with(e, &remaining, asking), e.until()),
            };
            let flight = match answer {
                Ok(Answer::Chose(flight)) => flight,
                Ok(Answer::Refused) => break,
                Err(err) => return done(chosen, Some(err.to_string()), answer_to_question),
            };
            let Some(hello) = flight.hello.as_ref() else {
                break;
            };
            // A lower version than offered means this one is not spoken.
            if hello.version != e.version.wire() {
                break;
            }
            if asking.is_none() {
                found.record(e.version, &flight);
            }
            let id = match e.pick {
                Pick::Suite => Some(hello.suite),
                Pick::Group => hello.group,
                Pick::Curve => flight.curve,
            };
            let Some(id) = id else {
                return done(
                    chosen,
                    Some("the server named no key-exchange group".to_owned()),
                    answer_to_question,
                );
            };
            if asking.is_some() {
                let other = match e.pick {
                    Pick::Suite => hello.group,
                    Pick::Group | Pick::Curve => Some(hello.suite),
                };
                answer_to_question = other.map(|o| (o, id));
            }
            let Some(pos) = remaining.iter().position(|x| *x == id) else {
                return done(
                    chosen,
                    Some(format!(
                        "the server chose {}, which was not offered: its answers cannot be trusted",
                        name(e.pick, id)
                    )),
                    answer_to_question,
                );
            };
            remaining.remove(pos);
            chosen.push(id);
        }
        done(chosen, None, answer_to_question)
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

    /// The TLS 1.3 suites; `first` is the hello that offered them all. The second round asks
    /// the group order.
    pub(super) fn suites_tls13(
        &self,
        first: &Answer,
        found: &mut Found,
    ) -> Tls13Round<VersionFacts> {
        let e = Elimination {
            version: Version::Tls13,
            vary: Vary::Suites { groups: ALL_GROUPS },
            pick: Pick::Suite,
        };
        let moved = first_pick(first, Pick::Group).map(|g| (last_of(ALL_GROUPS, g), g));
        let question = moved.as_ref().map(|(fixed, _)| fixed.as_slice());
        let done = self.eliminate_asking(
            &e,
            suites::tls13_suites(),
            Vec::new(),
            Some(first),
            question,
            found,
        );
        Tls13Round {
            facts: VersionFacts {
                version: Version::Tls13,
                suites: done.chosen,
                server_order: None,
                error: done.error,
            },
            other_first: moved.map(|(_, g)| g),
            answer: done.answer,
        }
    }

    /// The TLS 1.3 groups; `first` is the hello that offered them all. The second round asks
    /// the suite order.
    pub(super) fn groups_tls13(&self, first: &Answer) -> Tls13Round<Option<GroupFacts>> {
        let all = suites::tls13_suites();
        let e = Elimination {
            version: Version::Tls13,
            vary: Vary::Groups { suites: &all },
            pick: Pick::Group,
        };
        let moved = first_pick(first, Pick::Suite).map(|s| (last_of(&all, s), s));
        let question = moved.as_ref().map(|(fixed, _)| fixed.as_slice());
        let mut found = Found::default();
        let done = self.eliminate_asking(
            &e,
            ALL_GROUPS.to_vec(),
            Vec::new(),
            Some(first),
            question,
            &mut found,
        );
        Tls13Round {
            facts: group_facts(Version::Tls13, done.chosen, done.error),
            other_first: moved.map(|(_, s)| s),
            answer: done.answer,
        }
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

    /// TLS 1.1, TLS 1.0 and SSL 3.0, newest first, each hello also asking about the older
    /// ones: a server answers a hello with the newest version both speak (RFC 5246 E.1,
    /// RFC 2246 E.1), so a refused TLS 1.1 hello means none of the three is spoken, and a TLS
    /// 1.0 answer to it is the first round of TLS 1.0's elimination. A register that refuses
    /// them all costs one connection, not three.
    pub(super) fn legacy(&self, found: &mut Found) -> Vec<VersionFacts> {
        const LEGACY: [Version; 3] = [Version::Tls11, Version::Tls10, Version::Ssl3];
        let not_spoken = |version| VersionFacts {
            version,
            suites: Vec::new(),
            server_order: None,
            error: None,
        };
        let mut out = Vec::new();
        let mut next = 0;
        while let Some(&asked) = LEGACY.get(next) {
            let e = Elimination {
                version: asked,
                vary: Vary::Suites { groups: ALL_GROUPS },
                pick: Pick::Suite,
            };
            let first = match self.ask(&self.offer(&e, &suites::legacy_suites()), e.until()) {
                Ok(answer) => answer,
                Err(err) => {
                    // Unknown for this version; the older ones are asked on their own.
                    out.push(VersionFacts {
                        error: Some(err.to_string()),
                        ..not_spoken(asked)
                    });
                    next += 1;
                    continue;
                }
            };
            let spoken = match &first {
                Answer::Chose(Flight {
                    hello: Some(hello), ..
                }) => Version::from_wire(hello.version).filter(|v| LEGACY[next..].contains(v)),
                _ => None,
            };
            let Some(spoken) = spoken else {
                // Refused, or answered with a version that is not older: none of them.
                out.extend(LEGACY[next..].iter().map(|v| not_spoken(*v)));
                break;
            };
            while LEGACY[next] != spoken {
                out.push(not_spoken(LEGACY[next]));
                next += 1;
            }
            let e = Elimination {
                version: spoken,
                ..e
            };
            let (chosen, error) =
                self.eliminate(&e, suites::legacy_suites(), Vec::new(), Some(&first), found);
            let mut facts = VersionFacts {
                version: spoken,
                suites: chosen,
                server_order: None,
                error,
            };
            facts.server_order = self.suite_order(&facts);
            out.push(facts);
            next += 1;
        }
        out
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

    /// TLS 1.3 suite and group order: from the eliminations' second rounds where they could
    /// tell, else in one hello with both first pairs swapped.
    pub(super) fn order_tls13(
        &self,
        suite_round: Tls13Round<VersionFacts>,
        group_round: Tls13Round<Option<GroupFacts>>,
        found: &mut Found,
    ) -> (VersionFacts, Vec<GroupFacts>) {
        let mut suites = suite_round.facts;
        let mut groups = group_round.facts;
        let mut suite_pair = first_two(&suites.suites, &suites.error);
        let mut group_pair = groups.as_ref().and_then(|g| first_two(&g.groups, &g.error));
        // The group elimination's second round offered our suites with the first choice last.
        if let (Some((s1, _)), Some(asked), Some((picked, _))) =
            (suite_pair, group_round.other_first, group_round.answer)
            && asked == s1
        {
            suites.server_order = Some(picked == s1);
            suite_pair = None;
        }
        // The suite elimination's second round offered our groups with the first choice last.
        if let (Some((g1, _)), Some(asked), Some((picked, suite))) =
            (group_pair, suite_round.other_first, suite_round.answer)
            && asked == g1
            && let Some(g) = groups.as_mut()
        {
            g.server_order = Some(picked == g1);
            group_pair = None;
            // That round's suite was negotiated from a reordered list, so its group was not
            // recorded; offered ours in our order the server takes g1 either way: its own
            // first choice, or (a server following ours) the first of ours it supports.
            found.record_exchange(Version::Tls13, suite, Exchange::Group(g1));
        }
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

/// What a TLS 1.3 elimination found, with its answer to the other list's order question.
pub(super) struct Tls13Round<T> {
    facts: T,
    /// The other list's first choice, offered last in the second round.
    other_first: Option<u16>,
    /// (pick from the other list, pick from this one) in that round.
    answer: Option<(u16, u16)>,
}

/// The TLS 1.3 groups of a probe thread that failed.
pub(super) fn failed_groups(version: Version) -> Tls13Round<Option<GroupFacts>> {
    Tls13Round {
        facts: Some(GroupFacts {
            version,
            groups: Vec::new(),
            server_order: None,
            error: Some("the probe thread failed".to_owned()),
        }),
        other_first: None,
        answer: None,
    }
}

/// The server's pick from one list in an answer.
fn first_pick(answer: &Answer, pick: Pick) -> Option<u16> {
    let Answer::Chose(Flight {
        hello: Some(hello), ..
    }) = answer
    else {
        return None;
    };
    match pick {
        Pick::Suite => Some(hello.suite),
        Pick::Group | Pick::Curve => hello.group,
    }
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
