//! The group-commit writer. Every change to every meeting is queued here and written in
//! batches, one transaction per batch; an answer's `ack` is sent only after its batch
//! committed ("durable before acknowledged").
//!
//! Queue: bounded ([`QUEUE_CAPACITY`] jobs). Overflow policy: backpressure, the meeting actor
//! waits for room, so a database slower than the audience slows acknowledgements and never
//! loses or reorders an answer.
//!
//! Under a steady stream of small writes from several clients a batch waits up to 8 ms for
//! company (a commit delay), so a thousand joins a second share transactions; a lone client,
//! or a write after a quiet spell, goes at once.
//!
//! Supervised: the batches run in a worker task; if it panics, every job it held is answered
//! `unavailable` (a [`Job`] that is dropped unresolved answers so itself, and calls its
//! failure hook), and a new worker takes over the same queue after the
//! [`RestartPolicy::WRITER`] delay. The writer knows nothing of who submits: failures are
//! reported through the job's hook.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use librekast_storage::{StorageError, Store, WriteOp};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::journal::{Entry, Level, Step};
use crate::restart::{Decision, RestartPolicy, Restarts};
use crate::{AckOk, AckResult, ErrorCode};

pub const QUEUE_CAPACITY: usize = 16_384;
/// Jobs gathered into one transaction at most.
pub const MAX_BATCH: usize = 4_096;
/// Commit delay: a batch smaller than this, while several clients write (see `run`), waits
/// up to [`LINGER`] for more jobs.
const LINGER_BELOW: usize = 32;
const LINGER: Duration = Duration::from_millis(8);
const BUSY_WITHIN: Duration = Duration::from_millis(20);
const RETRIES: [Duration; 3] = [
    Duration::from_millis(20),
    Duration::from_millis(200),
    Duration::from_secs(1),
];

/// Called when a job's write failed, so its submitter can rebuild from storage (memory may
/// be ahead of it).
pub type FailureHook = Arc<dyn Fn() + Send + Sync>;

/// One unit of work: ops that commit together, and whom to tell.
pub struct Job {
    pub ops: Vec<WriteOp>,
    /// Sent `ok` after the commit, an error code otherwise.
    pub reply: Option<oneshot::Sender<AckResult>>,
    pub ok: AckResult,
    pub on_failure: Option<FailureHook>,
    resolved: bool,
}

impl Job {
    pub fn new(
        ops: Vec<WriteOp>,
        reply: Option<oneshot::Sender<AckResult>>,
        ok: AckResult,
        on_failure: Option<FailureHook>,
    ) -> Job {
        Job {
            ops,
            reply,
            ok,
            on_failure,
            resolved: false,
        }
    }

    fn succeed(mut self) {
        self.resolved = true;
        if let Some(reply) = self.reply.take() {
            let ok = std::mem::replace(&mut self.ok, Ok(AckOk::Plain));
            let _ = reply.send(ok);
        }
    }

    fn fail(mut self, answer: AckResult) {
        self.resolve_failed(answer);
    }

    fn resolve_failed(&mut self, answer: AckResult) {
        self.resolved = true;
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(answer);
        }
        if let Some(hook) = self.on_failure.take() {
            hook();
        }
    }
}

impl Drop for Job {
    /// A job dropped before it was resolved (its worker panicked, the queue closed) was not
    /// written: never a false ack.
    fn drop(&mut self) {
        if !self.resolved {
            self.resolve_failed(Err(ErrorCode::Unavailable));
        }
    }
}

enum Item {
    Job(Job),
    /// Answered once everything queued before it is committed (or failed).
    Barrier(oneshot::Sender<()>),
    /// Test seam: the worker panics on it, as a bug would.
    Panic,
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
    /// Times the worker was restarted after a panic.
    pub restarts: AtomicU64,
    /// Where commit times, batch sizes and restarts are also counted for operators.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl Writer {
    /// Starts the writer and its supervisor; they stop once every `Writer` clone is dropped
    /// and the queue is drained.
    pub fn spawn(store: Store) -> Writer {
        Writer::spawn_with(store, Arc::default())
    }

    /// [`Writer::spawn`], counting into the engine's `metrics`.
    pub fn spawn_with(store: Store, metrics: Arc<crate::metrics::Metrics>) -> Writer {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(Stats {
            metrics,
            ..Stats::default()
        });
        stats.metrics.writer.spawned("writer", "writer");
        tokio::spawn(supervise(store, Arc::new(Mutex::new(rx)), stats.clone()));
        Writer { tx, stats }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Where the engine's metrics are counted.
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.stats.metrics
    }

    /// Jobs waiting in the queue right now.
    pub fn queue_depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// The queue's bound.
    pub fn queue_capacity(&self) -> usize {
        self.tx.max_capacity()
    }

    /// Waits for room when the queue is full (see the module's overflow policy).
    pub async fn submit(&self, job: Job) {
        if let Err(mpsc::error::SendError(Item::Job(job))) = self.tx.send(Item::Job(job)).await {
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
            job.fail(Err(ErrorCode::Unavailable));
        }
    }

    /// Resolves when every job submitted before it has been committed or failed.
    pub async fn barrier(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Item::Barrier(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Test seam: makes the worker panic once it reaches this point of the queue.
    #[doc(hidden)]
    pub async fn inject_panic(&self) {
        let _ = self.tx.send(Item::Panic).await;
    }
}

/// Runs workers one after the other on the same queue: a worker that panicked is replaced
/// after the policy's delay (after the budget is spent, at its longest delay: without a
/// writer nothing can be stored, so it never gives up).
async fn supervise(store: Store, rx: Arc<Mutex<mpsc::Receiver<Item>>>, stats: Arc<Stats>) {
    let mut restarts = Restarts::new(RestartPolicy::WRITER);
    loop {
        let worker = tokio::spawn(run(store.clone(), rx.clone(), stats.clone()));
        match worker.await {
            Ok(()) => return,
            Err(e) if e.is_panic() => {
                stats.restarts.fetch_add(1, Ordering::Relaxed);
                let error = panic_message(e.into_panic());
                let m = &stats.metrics;
                m.writer.failed("writer", "writer", &error, true);
                m.journal.record(
                    Entry::new(Level::Error, "writer", Step::Failed, "failed").error(&error),
                );
                let delay = match restarts.on_failure(Instant::now(), 0.0) {
                    Decision::RestartAfter(d) => d,
                    Decision::GiveUp => {
                        m.journal.record(
                            Entry::new(
                                Level::Error,
                                "writer",
                                Step::GaveUp,
                                "restart budget spent, restarting at the longest delay",
                            )
                            .budget(RestartPolicy::WRITER.budget),
                        );
                        RestartPolicy::WRITER.max
                    }
                };
                m.journal.record(
                    Entry::new(
                        Level::Info,
                        "writer",
                        Step::RestartScheduled,
                        "restart scheduled",
                    )
                    .delay(delay),
                );
                tokio::time::sleep(delay).await;
                m.restarted("writer");
                m.writer.restarted("writer", "writer");
                m.journal.record(Entry::new(
                    Level::Info,
                    "writer",
                    Step::Restarted,
                    "restarted",
                ));
            }
            // Cancelled: the runtime is shutting down.
            Err(_) => return,
        }
    }
}

fn succeed(stats: &Stats, job: Job) {
    stats.committed.fetch_add(1, Ordering::Relaxed);
    job.succeed();
}

fn fail(stats: &Stats, job: Job, answer: AckResult) {
    stats.failed.fetch_add(1, Ordering::Relaxed);
    job.fail(answer);
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
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

async fn run(store: Store, rx: Arc<Mutex<mpsc::Receiver<Item>>>, stats: Arc<Stats>) {
    // Held for the worker's life; tokio's mutex does not poison, so after a panic the next
    // worker takes the queue where this one left it.
    let mut rx = rx.lock().await;
    let mut items = Vec::with_capacity(MAX_BATCH);
    // When the last batch ended, and how many jobs it had.
    let mut last_commit: Option<(Instant, usize)> = None;
    loop {
        if rx.recv_many(&mut items, MAX_BATCH).await == 0 {
            break;
        }
        // Commit delay (as PostgreSQL's commit_delay): while writes from several clients
        // keep coming (more than one job now or in the last batch, which ended moments ago),
        // a small batch waits a little for company, so a steady stream (a hall joining at
        // 1,000 per second) shares transactions instead of paying one each. A lone client
        // writing one thing after another, or a write after a quiet spell, goes at once.
        let busy = items.len() > 1
            || last_commit.is_some_and(|(t, jobs)| jobs > 1 && t.elapsed() < BUSY_WITHIN);
        if busy && items.len() < LINGER_BELOW {
            let until = tokio::time::Instant::now() + LINGER;
            while items.len() < LINGER_BELOW {
                let room = MAX_BATCH - items.len();
                match tokio::time::timeout_at(until, rx.recv_many(&mut items, room)).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        let mut jobs = Vec::with_capacity(items.len());
        let mut barriers = Vec::new();
        let mut panic = false;
        for item in items.drain(..) {
            match item {
                Item::Job(j) => jobs.push(j),
                Item::Barrier(b) => barriers.push(b),
                Item::Panic => panic = true,
            }
        }
        if panic {
            // Unwinding drops `jobs` unresolved: each answers `unavailable`.
            panic!(
                "injected panic in the writer with {} jobs in hand",
                jobs.len()
            );
        }
        if !jobs.is_empty() {
            let n = jobs.len();
            let started = Instant::now();
            commit(&store, &stats, jobs).await;
            stats.metrics.committed(started.elapsed().as_secs_f64(), n);
            last_commit = Some((Instant::now(), n));
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
            id: None,
            text: slug.into(),
            slug: slug.into(),
            correct: false,
        };
        MeetingFile {
            scoring: Default::default(),
            auto_start: false,
            streak_bonus: 0,
            sounds: true,
            blocked_words: vec![],
            bots: vec![],
            title: "t".into(),
            code: "c".into(),
            reward_fastest: false,
            flag_prefix: "LK".into(),
            activities: vec![ActivityFile {
                time_limit_secs: 0,
                points: None,
                max_choices: 1,
                partial_credit: false,
                scale: None,
                prior_weight: None,
                image: None,
                alt: String::new(),
                auto_approve: false,
                hide_results_until_reveal: false,
                id: None,
                markup: Default::default(),
                kind: ActivityKind::Poll,
                title: "p".into(),
                description: String::new(),
                choices: vec![choice("a"), choice("b")],
                word_limit: 3,
                notes: String::new(),
            }],
            flags: vec![],
            sources: vec![],
            chat: Default::default(),
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
        let writer = Writer::spawn(store.clone());
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
                .submit(Job::new(ops, Some(tx), Ok(AckOk::Plain), None))
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

    /// A panicking writer answers what it held `unavailable` (never `ok`), tells the
    /// submitter through its hook, and is replaced: the next answers commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicked_writer_is_restarted_and_never_acks_falsely()
    -> Result<(), Box<dyn std::error::Error>> {
        let store = Store::connect("sqlite::memory:").await?;
        let meeting = store.import_meeting(&poll()).await?;
        let loaded = store.load_meeting(meeting).await?;
        let (activity, choice) = (loaded.activities[0].id, loaded.activities[0].choices[0].id);
        let a = store
            .upsert_attendee(meeting, "a", Platform::Room, "a")
            .await?
            .id;
        let b = store
            .upsert_attendee(meeting, "b", Platform::Room, "b")
            .await?
            .id;
        let writer = Writer::spawn(store.clone());
        let vote_by = |attendee| {
            vec![WriteOp::Vote {
                activity,
                attendee,
                choice,
                at: now_micros(),
            }]
        };
        let vote = || vote_by(a);

        // A job dropped unresolved (as a panicking worker drops what it holds).
        let hooked = Arc::new(AtomicU64::new(0));
        let hook: FailureHook = {
            let hooked = hooked.clone();
            Arc::new(move || {
                hooked.fetch_add(1, Ordering::Relaxed);
            })
        };
        let (tx, rx) = oneshot::channel();
        drop(Job::new(
            vote(),
            Some(tx),
            Ok(AckOk::Plain),
            Some(hook.clone()),
        ));
        assert_eq!(rx.await?, Err(ErrorCode::Unavailable));
        assert_eq!(hooked.load(Ordering::Relaxed), 1);

        // The worker panics; the next job is committed by its replacement.
        writer.inject_panic().await;
        let (tx, rx) = oneshot::channel();
        writer
            .submit(Job::new(vote(), Some(tx), Ok(AckOk::Plain), Some(hook)))
            .await;
        let answer = rx.await?;
        // Either caught in the panicking batch (unavailable, hook called) or committed by the
        // new worker; never `ok` without the row.
        let stored = store.load_meeting(meeting).await?.votes.len();
        match answer {
            Ok(_) => assert_eq!(stored, 1),
            Err(code) => {
                assert_eq!(code, ErrorCode::Unavailable);
                assert_eq!(stored, 0);
                assert_eq!(hooked.load(Ordering::Relaxed), 2);
            }
        }
        // Whatever happened to that one, the restarted writer commits the next.
        let (tx, rx) = oneshot::channel();
        writer
            .submit(Job::new(vote_by(b), Some(tx), Ok(AckOk::Plain), None))
            .await;
        assert_eq!(rx.await?, Ok(AckOk::Plain));
        assert_eq!(store.load_meeting(meeting).await?.votes.len(), stored + 1);
        assert_eq!(writer.stats().restarts.load(Ordering::Relaxed), 1);
        Ok(())
    }
}
