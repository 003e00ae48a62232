//! The robustness suite: valid inputs, mutated at random (proptest, bounded case counts), fed
//! to every reader. Each case must end in a result or an error that names the input, within
//! a time guard, and never in a panic. `testdata/hostile/` holds the files that found bugs,
//! replayed on every run.
//!
//! Most targets are called in-process (the crate is a library); the network ones talk to
//! loopback servers that feed the mutated bytes.

mod corpus;
mod documents;
mod files;
mod network;

use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::Config;

/// One change to a valid input. Positions are taken modulo the input's length.
#[derive(Clone, Debug)]
pub enum Mutation {
    Flip { at: usize, bit: u8 },
    Set { at: usize, byte: u8 },
    Truncate { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
    Duplicate { at: usize, len: usize },
}

/// Bytes that matter to DER, PEM, XML, JSON and HTTP parsers more than random ones do.
fn telling_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(0x00u8),
        Just(0xff),
        Just(0x80),
        Just(0x81),
        Just(0x84),
        Just(0x30),
        Just(b'<'),
        Just(b'>'),
        Just(b'"'),
        Just(b'{'),
        Just(b'\r'),
        Just(b'\n'),
        any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), telling_byte()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), prop::collection::vec(telling_byte(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Remove { at, len }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

pub fn apply(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for m in mutations {
        let len = out.len().max(1);
        match m {
            Mutation::Flip { at, bit } => {
                if let Some(b) = out.get_mut(at % len) {
                    *b ^= 1 << bit;
                }
            }
            Mutation::Set { at, byte } => {
                if let Some(b) = out.get_mut(at % len) {
                    *b = *byte;
                }
            }
            Mutation::Truncate { at } => out.truncate(at % len),
            Mutation::Insert { at, bytes } => {
                let at = at % (out.len() + 1);
                out.splice(at..at, bytes.iter().copied());
            }
            Mutation::Remove { at, len: n } => {
                let at = at % len;
                let end = (at + n).min(out.len());
                if at < end {
                    out.drain(at..end);
                }
            }
            Mutation::Duplicate { at, len: n } => {
                let at = at % len;
                let end = (at + n).min(out.len());
                if at < end {
                    let copy = out[at..end].to_vec();
                    out.splice(end..end, copy);
                }
            }
        }
    }
    out
}

/// `seed` with one to five mutations.
pub fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(mutation(), 1..6).prop_map(move |ms| apply(&seed, &ms))
}

/// A bounded run: `cases` cases, short shrinking, nothing written to the source tree, and
/// the same cases every run (`TILICHECK_PROPTEST_SEED=N` explores others; a case that fails
/// there belongs in `testdata/hostile/`).
pub fn config(cases: u32) -> Config {
    let seed = std::env::var("TILICHECK_PROPTEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7111_c4ec);
    Config {
        cases,
        max_shrink_iters: 64,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        ..Config::default()
    }
}

/// Run `f` on its own thread and fail if it has not finished within `limit` (a hang guard,
/// not a speed target: the limits are many times what a case takes).
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("no answer within {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the reader panicked"),
    }
}

/// Parser messages that must never reach a user.
pub fn assert_no_jargon(message: &str) {
    for jargon in ["nom error", "BER error", "Unexpected Tag", "panicked"] {
        assert!(!message.contains(jargon), "jargon in: {message}");
    }
}

#[test]
fn mutations_stay_in_bounds() {
    let seed = b"0123456789".to_vec();
    let all = [
        Mutation::Flip { at: 99, bit: 7 },
        Mutation::Set { at: 3, byte: 0 },
        Mutation::Truncate { at: 25 },
        Mutation::Insert {
            at: 1000,
            bytes: vec![1, 2],
        },
        Mutation::Remove { at: 4, len: 60 },
        Mutation::Duplicate { at: 0, len: 3 },
    ];
    let out = apply(&seed, &all);
    assert!(!out.is_empty() && out.len() < 20, "{out:?}");
    assert!(apply(b"", &all).len() <= 2, "an empty input stays small");
}
