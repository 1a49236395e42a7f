//! The group-commit writer. Every change to every meeting is queued here and written in
//! batches, one transaction per batch; an answer's `ack` is sent only after its batch
//! committed ("durable before acknowledged").
//!
//! Queue: bounded ([`QUEUE_CAPACITY`] jobs). Overflow policy: backpressure, the meeting actor
//! waits for room, so a database slower than the audience slows acknowledgements and never
//! loses or reorders an answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use librekast_storage::{StorageError, Store, WriteOp};
use ractor::ActorRef;
use tokio::sync::{mpsc, oneshot};

use crate::actor::MeetingMsg;
use crate::{AckOk, AckResult, ErrorCode};

pub const QUEUE_CAPACITY: usize = 16_384;
/// Jobs gathered into one transaction at most.
pub const MAX_BATCH: usize = 4_096;
const RETRIES: [Duration; 3] = [
    Duration::from_millis(20),
    Duration::from_millis(200),
    Duration::from_secs(1),
];

/// One unit of work: ops that commit together, and whom to tell.
pub struct Job {
    pub ops: Vec<WriteOp>,
    /// Sent `ok` after the commit, an error code otherwise.
    pub reply: Option<oneshot::Sender<AckResult>>,
    pub ok: AckResult,
    /// Told when the write failed, so it rebuilds its state from storage.
    pub meeting: Option<ActorRef<MeetingMsg>>,
}

enum Item {
    Job(Job),
    /// Answered once everything queued before it is committed (or failed).
    Barrier(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Item>,
    stats: Arc<Stats>,
}

/// Counters since start (for metrics and tests).
#[derive(Debug, Default)]
pub struct Stats {
    /// Transactions attempted (one per batch, plus one per job when a batch is split).
    pub batches: AtomicU64,
    /// Jobs committed.
    pub committed: AtomicU64,
    /// Jobs failed.
    pub failed: AtomicU64,
}

impl Writer {
    pub fn spawn(store: Store) -> (Writer, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(Stats::default());
        let task = tokio::spawn(run(store, rx, stats.clone()));
        (Writer { tx, stats }, task)
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Waits for room when the queue is full (see the module's overflow policy).
    pub async fn submit(&self, job: Job) {
        if let Err(mpsc::error::SendError(Item::Job(job))) = self.tx.send(Item::Job(job)).await {
            fail(&self.stats, job, Err(ErrorCode::Unavailable));
        }
    }

    /// Resolves when every job submitted before it has been committed or failed.
    pub async fn barrier(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Item::Barrier(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

fn fail(stats: &Stats, job: Job, answer: AckResult) {
    stats.failed.fetch_add(1, Ordering::Relaxed);
    if let Some(reply) = job.reply {
        let _ = reply.send(answer);
    }
    if let Some(meeting) = job.meeting {
        let _ = meeting.send_message(MeetingMsg::WriteFailed);
    }
}

fn succeed(stats: &Stats, job: Job) {
    stats.committed.fetch_add(1, Ordering::Relaxed);
    if let Some(reply) = job.reply {
        let _ = reply.send(job.ok);
    }
}

/// What a refused write means to the client who sent it.
fn answer_for(ops: &[WriteOp], err: &StorageError) -> AckResult {
    match (err, ops.first()) {
        (StorageError::Duplicate(_), Some(WriteOp::Vote { .. })) => Err(ErrorCode::AlreadyVoted),
        (StorageError::Duplicate(_), Some(WriteOp::Capture { .. })) => {
            Err(ErrorCode::AlreadyFlagged)
        }
        // The same word again from the same attendee is acknowledged and ignored, even when
        // only the database noticed (memory was rebuilt in between).
        (StorageError::Duplicate(_), Some(WriteOp::Word { .. })) => Ok(AckOk::Plain),
        _ => Err(ErrorCode::Unavailable),
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Item>, stats: Arc<Stats>) {
    let mut items = Vec::with_capacity(MAX_BATCH);
    loop {
        if rx.recv_many(&mut items, MAX_BATCH).await == 0 {
            break;
        }
        let mut jobs = Vec::with_capacity(items.len());
        let mut barriers = Vec::new();
        for item in items.drain(..) {
            match item {
                Item::Job(j) => jobs.push(j),
                Item::Barrier(b) => barriers.push(b),
            }
        }
        if !jobs.is_empty() {
            commit(&store, &stats, jobs).await;
        }
        for b in barriers {
            let _ = b.send(());
        }
    }
    tracing::info!(actor = "writer", "writer stopped: queue closed");
}

/// Commits the jobs in one transaction. On a conflict (a unique index refusing one job) the
/// batch is bisected, so one bad job among n costs about 2·log2(n) transactions, and every
/// other job still commits.
fn commit<'a>(
    store: &'a Store,
    stats: &'a Stats,
    mut jobs: Vec<Job>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
    Box::pin(async move {
        let ops: Vec<WriteOp> = jobs.iter().flat_map(|j| j.ops.iter().cloned()).collect();
        if ops.is_empty() {
            jobs.into_iter().for_each(|j| succeed(stats, j));
            return;
        }
        stats.batches.fetch_add(1, Ordering::Relaxed);
        match apply_with_retry(store, &ops).await {
            Ok(()) => jobs.into_iter().for_each(|j| succeed(stats, j)),
            Err(err) if jobs.len() > 1 && matches!(err, StorageError::Duplicate(_)) => {
                let second = jobs.split_off(jobs.len() / 2);
                commit(store, stats, jobs).await;
                commit(store, stats, second).await;
            }
            Err(err) => {
                // A refused job, or an outage that outlasted the retries: nothing was written.
                tracing::warn!(actor = "writer", error = %err, jobs = jobs.len(), "write failed");
                for job in jobs {
                    let answer = answer_for(&job.ops, &err);
                    fail(stats, job, answer);
                }
            }
        }
    })
}

async fn apply_with_retry(store: &Store, ops: &[WriteOp]) -> Result<(), StorageError> {
    let mut last = match store.apply(ops).await {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    for delay in RETRIES {
        if matches!(last, StorageError::Duplicate(_)) {
            break;
        }
        tokio::time::sleep(delay).await;
        last = match store.apply(ops).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use librekast_storage::{
        ActivityFile, ActivityKind, ChoiceFile, MeetingFile, Platform, now_micros,
    };

    use super::*;

    fn poll() -> MeetingFile {
        let choice = |slug: &str| ChoiceFile {
            text: slug.into(),
            slug: slug.into(),
            correct: false,
        };
        MeetingFile {
            title: "t".into(),
            code: "c".into(),
            reward_fastest: false,
            flag_prefix: "LK".into(),
            activities: vec![ActivityFile {
                kind: ActivityKind::Poll,
                title: "p".into(),
                description: String::new(),
                choices: vec![choice("a"), choice("b")],
                word_limit: 3,
            }],
            flags: vec![],
        }
    }

    /// A burst of answers costs a handful of transactions, each answer is acknowledged only
    /// once committed, and a conflicting answer in a batch fails alone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bursts_are_group_committed() -> Result<(), Box<dyn std::error::Error>> {
        let store = Store::connect("sqlite::memory:").await?;
        let meeting = store.import_meeting(&poll()).await?;
        let loaded = store.load_meeting(meeting).await?;
        let activity = loaded.activities[0].id;
        let choice = loaded.activities[0].choices[0].id;
        let mut attendees = Vec::new();
        for i in 0..2_000 {
            attendees.push(
                store
                    .upsert_attendee(meeting, &format!("a{i}"), Platform::Room, &i.to_string())
                    .await?
                    .id,
            );
        }
        let (writer, _task) = Writer::spawn(store.clone());
        let mut acks = Vec::new();
        // The same attendee twice: the second conflicts with the unique index.
        for &attendee in attendees.iter().chain(attendees.first()) {
            let (tx, rx) = oneshot::channel();
            let ops = vec![WriteOp::Vote {
                activity,
                attendee,
                choice,
                at: now_micros(),
            }];
            writer
                .submit(Job {
                    ops,
                    reply: Some(tx),
                    ok: Ok(AckOk::Plain),
                    meeting: None,
                })
                .await;
            acks.push(rx);
        }
        let mut results = Vec::new();
        for rx in acks {
            results.push(rx.await?);
        }
        let oks = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(oks, 2_000);
        assert_eq!(results.last(), Some(&Err(ErrorCode::AlreadyVoted)));
        assert_eq!(store.load_meeting(meeting).await?.votes.len(), 2_000);
        let batches = writer.stats().batches.load(Ordering::Relaxed);
        eprintln!("group commit: {batches} transactions for 2,001 answers (one conflicting)");
        // Without batching this would be 2,001 transactions; the conflict costs a bisection.
        assert!(batches <= 60, "{batches} transactions for 2,001 answers");
        assert_eq!(writer.stats().committed.load(Ordering::Relaxed), 2_000);
        assert_eq!(writer.stats().failed.load(Ordering::Relaxed), 1);
        Ok(())
    }
}
