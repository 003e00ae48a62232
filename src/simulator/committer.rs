//! Group commit: one writer thread owns the database connection and commits whatever writes
//! queued up while it was busy in one transaction. Each caller blocks until the transaction that
//! holds its write has committed, so a 200 still goes out only after its data is on disk.

use std::sync::mpsc;

use super::store::{Outcome, Store, StoreError, Write};

/// Most writes committed together.
const MAX_BATCH: usize = 64;

type Job = (Write, mpsc::SyncSender<Outcome>);

pub struct Committer {
    jobs: mpsc::Sender<Job>,
}

impl Committer {
    /// Start the writer thread; it ends when the committer is dropped.
    pub fn start(mut store: Store) -> std::io::Result<Committer> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("tilicheck-serve-store".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
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
