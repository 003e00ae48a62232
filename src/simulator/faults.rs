//! Faults a supplier can ask for, to test its retry logic: a fixed delay before every answer,
//! 500 for every N-th request or a fraction of them, connections dropped without an answer
//! (before or after the message is stored), and a server certificate that has expired.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The faults to inject, parsed from `--fault` values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Wait this long before answering each request.
    pub latency: Option<Duration>,
    /// Answer every N-th request (1-based, counted over all requests) with 500.
    pub fail_every: Option<u64>,
    /// Answer this fraction of requests (0..=1) with 500; deterministic, spread evenly.
    pub fail_fraction: Option<f64>,
    /// Drop the connection instead of answering every N-th request.
    pub drop_every: Option<u64>,
    /// Handle every N-th request as usual (store it if acceptable), then drop the connection
    /// instead of sending the answer: the client cannot know the message was stored.
    pub lose_answer_every: Option<u64>,
    /// Present a server certificate whose validity has ended.
    pub expired_server_certificate: bool,
}

/// One `--fault` value.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    Latency(Duration),
    FailEvery(u64),
    FailFraction(f64),
    DropEvery(u64),
    LoseAnswerEvery(u64),
    ExpiredCert,
}

impl FromStr for Fault {
    type Err = String;

    /// `latency=200ms`, `fail-every=3`, `fail-fraction=0.25`, `drop-every=5`,
    /// `lose-answer-every=4`, `expired-cert`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, value) = s.split_once('=').unwrap_or((s, ""));
        let count = |v: &str| -> Result<u64, String> {
            match v.parse::<u64>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(format!(
                    "{name} needs a whole number ≥ 1, e.g. {name}=3; got {v:?}"
                )),
            }
        };
        match name {
            "latency" => {
                let ms = value
                    .strip_suffix("ms")
                    .map(|v| v.parse::<u64>().ok())
                    .unwrap_or_else(|| {
                        value
                            .strip_suffix('s')
                            .and_then(|v| v.parse::<u64>().ok())
                            .map(|s| s * 1000)
                    });
                match ms {
                    Some(ms) if ms <= 600_000 => Ok(Fault::Latency(Duration::from_millis(ms))),
                    _ => Err(format!(
                        "latency needs a duration up to 600s such as 200ms or 2s; got {value:?}"
                    )),
                }
            }
            "fail-every" => count(value).map(Fault::FailEvery),
            "drop-every" => count(value).map(Fault::DropEvery),
            "lose-answer-every" => count(value).map(Fault::LoseAnswerEvery),
            "fail-fraction" => match value.parse::<f64>() {
                Ok(f) if (0.0..=1.0).contains(&f) => Ok(Fault::FailFraction(f)),
                _ => Err(format!(
                    "fail-fraction needs a number from 0 to 1; got {value:?}"
                )),
            },
            "expired-cert" if value.is_empty() => Ok(Fault::ExpiredCert),
            _ => Err(format!(
                "unknown fault {s:?}; use latency=200ms, fail-every=N, fail-fraction=0.1, drop-every=N, lose-answer-every=N or expired-cert"
            )),
        }
    }
}

impl Faults {
    pub fn from_list(list: &[Fault]) -> Self {
        let mut f = Faults::default();
        for fault in list {
            match fault {
                Fault::Latency(d) => f.latency = Some(*d),
                Fault::FailEvery(n) => f.fail_every = Some(*n),
                Fault::FailFraction(x) => f.fail_fraction = Some(*x),
                Fault::DropEvery(n) => f.drop_every = Some(*n),
                Fault::LoseAnswerEvery(n) => f.lose_answer_every = Some(*n),
                Fault::ExpiredCert => f.expired_server_certificate = true,
            }
        }
        f
    }
}

/// What to do with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Injected {
    None,
    Fail,
    Drop,
    /// Handle the request, then drop the connection instead of answering.
    LoseAnswer,
}

/// Counts requests and decides which ones get a fault.
#[derive(Debug, Default)]
pub struct FaultPlan {
    faults: Faults,
    count: AtomicU64,
}

impl FaultPlan {
    pub fn new(faults: Faults) -> Self {
        FaultPlan {
            faults,
            count: AtomicU64::new(0),
        }
    }

    pub fn latency(&self) -> Option<Duration> {
        self.faults.latency
    }

    /// The fault for the next request.
    pub fn next(&self) -> Injected {
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        if self.faults.drop_every.is_some_and(|k| n.is_multiple_of(k)) {
            return Injected::Drop;
        }
        if self.faults.fail_every.is_some_and(|k| n.is_multiple_of(k)) {
            return Injected::Fail;
        }
        if self
            .faults
            .lose_answer_every
            .is_some_and(|k| n.is_multiple_of(k))
        {
            return Injected::LoseAnswer;
        }
        if let Some(f) = self.faults.fail_fraction {
            // Evenly spread: request n fails when floor(n·f) steps up.
            let before = ((n - 1) as f64 * f).floor();
            if (n as f64 * f).floor() > before {
                return Injected::Fail;
            }
        }
        Injected::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_plans() {
        assert_eq!(
            "latency=250ms".parse(),
            Ok(Fault::Latency(Duration::from_millis(250)))
        );
        assert_eq!(
            "latency=2s".parse(),
            Ok(Fault::Latency(Duration::from_secs(2)))
        );
        assert!("fail-every=0".parse::<Fault>().is_err());
        assert!("fail-fraction=2".parse::<Fault>().is_err());
        assert!("bogus".parse::<Fault>().is_err());
        assert_eq!("lose-answer-every=2".parse(), Ok(Fault::LoseAnswerEvery(2)));
        let plan = FaultPlan::new(Faults::from_list(&[Fault::LoseAnswerEvery(2)]));
        let got: Vec<Injected> = (0..4).map(|_| plan.next()).collect();
        assert_eq!(
            got,
            [
                Injected::None,
                Injected::LoseAnswer,
                Injected::None,
                Injected::LoseAnswer
            ]
        );
        let plan = FaultPlan::new(Faults::from_list(&[
            Fault::FailEvery(3),
            Fault::DropEvery(5),
        ]));
        let got: Vec<Injected> = (0..6).map(|_| plan.next()).collect();
        use Injected::*;
        assert_eq!(got, [None, None, Fail, None, Drop, Fail]);
        let plan = FaultPlan::new(Faults::from_list(&[Fault::FailFraction(0.25)]));
        let fails = (0..100).filter(|_| plan.next() == Fail).count();
        assert_eq!(fails, 25);
    }
}
