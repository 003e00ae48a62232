//! The valid_policy_tree of RFC 5280 §6.1.2 (a), grown, mapped and pruned as §6.1.3 (d)-(e)
//! and §6.1.4 (b) say.

use std::collections::{BTreeMap, BTreeSet};

pub const ANY_POLICY: &str = "2.5.29.32.0";

#[derive(Clone, Debug)]
struct Node {
    policy: String,
    expected: BTreeSet<String>,
    /// Index of the parent in the level above (None for the root).
    parent: Option<usize>,
}

/// The tree, level by level: level 0 is the root, level i the nodes certificate i added.
/// `None` is the NULL tree.
#[derive(Clone, Debug)]
pub struct PolicyTree {
    levels: Vec<Vec<Option<Node>>>,
}

impl Default for PolicyTree {
    fn default() -> Self {
        PolicyTree {
            levels: vec![vec![Some(Node {
                policy: ANY_POLICY.into(),
                expected: BTreeSet::from([ANY_POLICY.to_owned()]),
                parent: None,
            })]],
        }
    }
}

impl PolicyTree {
    fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    fn live(&self, level: usize) -> impl Iterator<Item = (usize, &Node)> {
        self.levels[level]
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_ref().map(|n| (i, n)))
    }

    /// §6.1.3 (d): certificate `depth()+1` asserts `policies`. `any_allowed` is whether its
    /// anyPolicy counts ((d)(2): inhibit_any_policy > 0, or a self-issued intermediate).
    /// None when the tree became NULL.
    pub fn add_certificate(mut self, policies: &[String], any_allowed: bool) -> Option<Self> {
        let parent_level = self.depth();
        let mut level: Vec<Option<Node>> = Vec::new();
        for p in policies.iter().filter(|p| p.as_str() != ANY_POLICY) {
            let matching: Vec<usize> = self
                .live(parent_level)
                .filter(|(_, n)| n.expected.contains(p))
                .map(|(i, _)| i)
                .collect();
            let parents = if matching.is_empty() {
                self.live(parent_level)
                    .filter(|(_, n)| n.policy == ANY_POLICY)
                    .map(|(i, _)| i)
                    .collect()
            } else {
                matching
            };
            for parent in parents {
                level.push(Some(Node {
                    policy: p.clone(),
                    expected: BTreeSet::from([p.clone()]),
                    parent: Some(parent),
                }));
            }
        }
        if any_allowed && policies.iter().any(|p| p == ANY_POLICY) {
            for (i, n) in self.live(parent_level) {
                for e in &n.expected {
                    let present = level
                        .iter()
                        .flatten()
                        .any(|c| c.parent == Some(i) && &c.policy == e);
                    if !present {
                        level.push(Some(Node {
                            policy: e.clone(),
                            expected: BTreeSet::from([e.clone()]),
                            parent: Some(i),
                        }));
                    }
                }
            }
        }
        self.levels.push(level);
        self.prune()
    }

    /// §6.1.4 (b): the policy mappings of certificate `depth()`, issuer policy → subject
    /// policies. With `map` (policy_mapping > 0) they are applied; otherwise the mapped
    /// policies are deleted.
    pub fn apply_mappings(
        mut self,
        mappings: &BTreeMap<String, BTreeSet<String>>,
        map: bool,
    ) -> Option<Self> {
        let depth = self.depth();
        if map {
            for (issuer, subjects) in mappings {
                let mut found = false;
                for n in self.levels[depth].iter_mut().flatten() {
                    if &n.policy == issuer {
                        n.expected = subjects.clone();
                        found = true;
                    }
                }
                if found {
                    continue;
                }
                let any = self
                    .live(depth)
                    .find(|(_, n)| n.policy == ANY_POLICY)
                    .map(|(_, n)| n.parent);
                if let Some(parent) = any {
                    self.levels[depth].push(Some(Node {
                        policy: issuer.clone(),
                        expected: subjects.clone(),
                        parent,
                    }));
                }
            }
            Some(self)
        } else {
            for slot in self.levels[depth].iter_mut() {
                if slot
                    .as_ref()
                    .is_some_and(|n| mappings.contains_key(&n.policy))
                {
                    *slot = None;
                }
            }
            self.prune()
        }
    }

    /// Delete childless nodes above the deepest level until none is left; NULL when the root
    /// goes.
    fn prune(mut self) -> Option<Self> {
        let depth = self.depth();
        for level in (0..depth).rev() {
            let parents: BTreeSet<usize> = self.levels[level + 1]
                .iter()
                .flatten()
                .filter_map(|n| n.parent)
                .collect();
            for (i, slot) in self.levels[level].iter_mut().enumerate() {
                if !parents.contains(&i) {
                    *slot = None;
                }
            }
        }
        self.levels[0]
            .iter()
            .flatten()
            .next()
            .is_some()
            .then_some(self)
    }

    /// The policies of the deepest level (the authorities-constrained policy set).
    pub fn valid_policies(&self) -> BTreeSet<String> {
        self.live(self.depth())
            .map(|(_, n)| n.policy.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn policies_intersect_down_the_path() {
        let tree = PolicyTree::default()
            .add_certificate(&set(&["1", "2"]), true)
            .expect("tree")
            .add_certificate(&set(&["2", "3"]), true)
            .expect("tree");
        assert_eq!(tree.valid_policies(), BTreeSet::from(["2".to_owned()]));
        assert!(tree.add_certificate(&set(&["1"]), true).is_none());
    }

    #[test]
    fn any_policy_expands_and_mappings_rename() {
        let tree = PolicyTree::default()
            .add_certificate(&set(&[ANY_POLICY]), true)
            .expect("tree");
        let mappings = BTreeMap::from([("1".to_owned(), BTreeSet::from(["2".to_owned()]))]);
        let mapped = tree
            .clone()
            .apply_mappings(&mappings, true)
            .expect("tree")
            .add_certificate(&set(&["2"]), true)
            .expect("tree");
        assert_eq!(mapped.valid_policies(), BTreeSet::from(["2".to_owned()]));
        // anyPolicy not honoured (inhibited): a certificate with only anyPolicy ends the tree.
        assert!(tree.add_certificate(&set(&[ANY_POLICY]), false).is_none());
    }
}
