//! The order legal persons are sent in. An organisation names other legal persons (its
//! beneficiaries, through the schema's role reference field); each must reach the register in
//! the same message or an earlier one. Legal persons that name each other, directly or round
//! a cycle, can only travel together, so they form one unit.
//!
//! The units are the strongly connected components of the reference graph, found with
//! Tarjan's algorithm (iteratively: a chain of 100,000 references must not exhaust the
//! stack). Tarjan completes a component only after every component it refers to, which is
//! exactly the sending order; starting from each legal person in input order keeps the
//! result deterministic and close to the input.

/// The legal persons of an input: their keys in input order, and whom each refers to.
#[derive(Debug, Default)]
pub struct ReferenceGraph {
    keys: Vec<u128>,
    /// Per legal person, the range of its references in `refs`.
    ranges: Vec<(u32, u32)>,
    refs: Vec<u128>,
}

const UNVISITED: u32 = u32::MAX;

impl ReferenceGraph {
    /// Add the next legal person, with the keys it refers to.
    pub fn push(&mut self, key: u128, refers_to: impl IntoIterator<Item = u128>) {
        let start = self.refs.len() as u32;
        self.refs.extend(refers_to);
        self.keys.push(key);
        self.ranges.push((start, self.refs.len() as u32 - start));
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn key(&self, index: u32) -> u128 {
        self.keys[index as usize]
    }

    /// The units in sending order; each unit lists legal persons by input index, ascending.
    /// References to keys not in the input (records sent earlier) are no constraint.
    pub fn units(&self) -> Vec<Vec<u32>> {
        let n = self.keys.len();
        let mut by_key: Vec<(u128, u32)> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, i as u32))
            .collect();
        by_key.sort_unstable();
        let lookup = |k: u128| {
            by_key
                .binary_search_by(|(key, _)| key.cmp(&k))
                .ok()
                .map(|i| by_key[i].1)
        };
        // Adjacency as input indices, in the order the record names them.
        let mut adjacency: Vec<u32> = Vec::with_capacity(self.refs.len());
        let mut spans: Vec<(u32, u32)> = Vec::with_capacity(n);
        for &(start, count) in &self.ranges {
            let from = adjacency.len() as u32;
            adjacency.extend(
                self.refs[start as usize..(start + count) as usize]
                    .iter()
                    .filter_map(|k| lookup(*k)),
            );
            spans.push((from, adjacency.len() as u32 - from));
        }

        let mut t = Tarjan {
            index: vec![UNVISITED; n],
            low: vec![0; n],
            on_stack: vec![false; n],
            stack: Vec::new(),
            calls: Vec::new(),
            counter: 0,
        };
        let mut units = Vec::new();
        for start in 0..n as u32 {
            if t.index[start as usize] != UNVISITED {
                continue;
            }
            t.visit(start);
            while let Some(&(v, edge)) = t.calls.last() {
                let (from, count) = spans[v as usize];
                if edge < count {
                    if let Some(top) = t.calls.last_mut() {
                        top.1 += 1;
                    }
                    let w = adjacency[(from + edge) as usize];
                    if t.index[w as usize] == UNVISITED {
                        t.visit(w);
                    } else if t.on_stack[w as usize] {
                        t.low[v as usize] = t.low[v as usize].min(t.index[w as usize]);
                    }
                    continue;
                }
                t.calls.pop();
                if let Some(&(parent, _)) = t.calls.last() {
                    t.low[parent as usize] = t.low[parent as usize].min(t.low[v as usize]);
                }
                if t.low[v as usize] == t.index[v as usize] {
                    let mut unit = Vec::new();
                    while let Some(w) = t.stack.pop() {
                        t.on_stack[w as usize] = false;
                        unit.push(w);
                        if w == v {
                            break;
                        }
                    }
                    unit.sort_unstable();
                    units.push(unit);
                }
            }
        }
        units
    }
}

/// Tarjan's bookkeeping, with an explicit call stack.
struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    stack: Vec<u32>,
    /// (node, next edge to follow)
    calls: Vec<(u32, u32)>,
    counter: u32,
}

impl Tarjan {
    fn visit(&mut self, v: u32) {
        self.index[v as usize] = self.counter;
        self.low[v as usize] = self.counter;
        self.counter += 1;
        self.stack.push(v);
        self.on_stack[v as usize] = true;
        self.calls.push((v, 0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[&[u128]]) -> ReferenceGraph {
        let mut g = ReferenceGraph::default();
        for (i, refs) in edges.iter().enumerate() {
            g.push(i as u128, refs.iter().copied());
        }
        g
    }

    /// Every reference points into the same unit or an earlier one, every person once.
    fn assert_ordered(edges: &[&[u128]], units: &[Vec<u32>]) {
        let mut unit_of = vec![usize::MAX; edges.len()];
        for (u, members) in units.iter().enumerate() {
            for m in members {
                assert_eq!(unit_of[*m as usize], usize::MAX, "{m} twice");
                unit_of[*m as usize] = u;
            }
        }
        assert!(unit_of.iter().all(|u| *u != usize::MAX));
        for (i, refs) in edges.iter().enumerate() {
            for r in refs.iter().filter(|r| (**r as usize) < edges.len()) {
                assert!(unit_of[*r as usize] <= unit_of[i], "{i} -> {r}: {units:?}");
            }
        }
    }

    #[test]
    fn referenced_persons_come_first_and_cycles_travel_together() {
        // 0 names 2 and 3; 1 names nobody; 2 names 4; 4 names 2 (a cycle); 5 names 99 (sent
        // earlier, not in the input).
        let edges: &[&[u128]] = &[&[2, 3], &[], &[4], &[], &[2], &[99]];
        let units = graph(edges).units();
        assert_ordered(edges, &units);
        assert_eq!(units, vec![vec![2, 4], vec![3], vec![0], vec![1], vec![5]]);
    }

    #[test]
    fn a_long_chain_does_not_exhaust_the_stack() {
        let n = 200_000u128;
        let mut g = ReferenceGraph::default();
        for i in 0..n {
            g.push(i, (i + 1 < n).then_some(i + 1));
        }
        let units = g.units();
        assert_eq!(units.len(), n as usize);
        assert_eq!(units[0], vec![(n - 1) as u32]);
        assert_eq!(units[n as usize - 1], vec![0]);
    }

    #[test]
    fn without_references_the_input_order_stays() {
        let edges: &[&[u128]] = &[&[], &[], &[]];
        assert_eq!(graph(edges).units(), vec![vec![0], vec![1], vec![2]]);
    }
}
