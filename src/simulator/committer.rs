//! Group commit: one writer thread owns the database connection and commits whatever writes
//! queued up while it was busy in one transaction. Each caller blocks until the transaction that
//! holds its write has committed, so a 200 still goes out only after its data is on disk.
//! With a retention period the same thread prunes old tokens, at start and then hourly, between
//! batches (never while one is being written).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::store::{Outcome, Store, StoreError, Write};

/// Most writes committed together.
const MAX_BATCH: usize = 64;

/// How often tokens past the retention period are looked for.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

type Job = (Write, mpsc::SyncSender<Outcome>);

pub struct Committer {
    jobs: mpsc::Sender<Job>,
}

impl Committer {
    /// Start the writer thread; it ends when the committer is dropped. `retain_days`: prune
    /// the tokens of messages older than that many days.
    pub fn start(mut store: Store, retain_days: Option<u32>) -> std::io::Result<Committer> {
        let (jobs, queue) = mpsc::channel::<Job>();
        // 15 characters at most: the name the kernel shows (ps, /proc) is cut there.
        std::thread::Builder::new()
            .name("tilicheck-store".into())
            .spawn(move || {
                let mut pruned_at: Option<Instant> = None;
                loop {
                    if let Some(days) = retain_days
                        && pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_EVERY)
                    {
                        prune(&mut store, days);
                        pruned_at = Some(Instant::now());
                    }
                    let first = match queue.recv_timeout(PRUNE_EVERY) {
                        Ok(job) => job,
                        Err(mpsc::RecvTimeoutError::Timeout) => continue,
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    };
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match queue.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    let (writes, replies): (Vec<Write>, Vec<_>) = batch.into_iter().unzip();
                    for (reply, outcome) in replies.into_iter().zip(store.write_batch(writes)) {
                        let _ = reply.send(outcome);
                    }
                }
            })?;
        Ok(Committer { jobs })
    }

    /// Queue a write and wait until it is committed (or failed). Blocking.
    pub fn write(&self, write: Write) -> Outcome {
        let (reply, answer) = mpsc::sync_channel(1);
        self.jobs
            .send((write, reply))
            .map_err(|_| StoreError::Commit("the database writer has stopped".into()))?;
        answer
            .recv()
            .unwrap_or_else(|_| Err(StoreError::Commit("the database writer has stopped".into())))
    }
}

fn prune(store: &mut Store, days: u32) {
    let cutoff = OffsetDateTime::now_utc() - time::Duration::days(i64::from(days));
    let Ok(cutoff) = cutoff.format(&Rfc3339) else {
        return;
    };
    if let Err(e) = store.prune(&cutoff) {
        eprintln!("tilicheck serve: could not prune tokens older than {days} days: {e}");
    }
}
