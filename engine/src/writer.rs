//! The group-commit writer. Every change to every meeting is queued here and written in
//! batches, one transaction per batch; an answer's `ack` is sent only after its batch
//! committed ("durable before acknowledged").
//!
//! Queue: bounded ([`QUEUE_CAPACITY`] jobs). Overflow policy: backpressure, the meeting actor
//! waits for room, so a database slower than the audience slows acknowledgements and never
//! loses or reorders an answer.

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
}

impl Writer {
    pub fn spawn(store: Store) -> (Writer, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let task = tokio::spawn(run(store, rx));
        (Writer { tx }, task)
    }

    /// Waits for room when the queue is full (see the module's overflow policy).
    pub async fn submit(&self, job: Job) {
        if let Err(mpsc::error::SendError(Item::Job(job))) = self.tx.send(Item::Job(job)).await {
            fail(job, ErrorCode::Unavailable);
        }
    }

    /// Resolves when every job submitted before it has been committed or failed.
    pub async fn barrier(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Item::Barrier(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Jobs waiting in the queue (for metrics and tests).
    pub fn queued(&self) -> usize {
        QUEUE_CAPACITY - self.tx.capacity()
    }
}

fn fail(job: Job, code: ErrorCode) {
    // The same word again from the same attendee is acknowledged and ignored, even when only
    // the database noticed (memory was rebuilt in between).
    let duplicate_word =
        matches!(job.ops.first(), Some(WriteOp::Word { .. })) && code == ErrorCode::AlreadyVoted;
    if let Some(reply) = job.reply {
        let _ = reply.send(if duplicate_word {
            Ok(AckOk::Plain)
        } else {
            Err(code)
        });
    }
    if let Some(meeting) = job.meeting {
        let _ = meeting.send_message(MeetingMsg::WriteFailed);
    }
}

fn succeed(job: Job) {
    if let Some(reply) = job.reply {
        let _ = reply.send(job.ok);
    }
}

/// What a refused write means to the client who sent it.
fn code_for(ops: &[WriteOp], err: &StorageError) -> ErrorCode {
    match err {
        StorageError::Duplicate(_) => match ops.first() {
            // For a word, `fail` turns this into the ok ack of an ignored repeat.
            Some(WriteOp::Vote { .. } | WriteOp::Word { .. }) => ErrorCode::AlreadyVoted,
            Some(WriteOp::Capture { .. }) => ErrorCode::AlreadyFlagged,
            _ => ErrorCode::Unavailable,
        },
        _ => ErrorCode::Unavailable,
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Item>) {
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
        commit(&store, jobs).await;
        for b in barriers {
            let _ = b.send(());
        }
    }
    tracing::info!(actor = "writer", "writer stopped: queue closed");
}

async fn commit(store: &Store, jobs: Vec<Job>) {
    if jobs.is_empty() {
        return;
    }
    let ops: Vec<WriteOp> = jobs.iter().flat_map(|j| j.ops.iter().cloned()).collect();
    if ops.is_empty() {
        jobs.into_iter().for_each(succeed);
        return;
    }
    match apply_with_retry(store, &ops).await {
        Ok(()) => jobs.into_iter().for_each(succeed),
        Err(err) if jobs.len() == 1 || !matches!(err, StorageError::Duplicate(_)) => {
            // An outage after retries: every job in the batch fails; nothing was written.
            tracing::error!(actor = "writer", error = %err, jobs = jobs.len(), "write failed");
            for job in jobs {
                let code = code_for(&job.ops, &err);
                fail(job, code);
            }
        }
        Err(err) => {
            // A conflict in one job must not sink the batch: isolate it by writing each job alone.
            tracing::warn!(actor = "writer", error = %err, jobs = jobs.len(), "batch failed, writing jobs one by one");
            for job in jobs {
                match apply_with_retry(store, &job.ops).await {
                    Ok(()) => succeed(job),
                    Err(err) => {
                        let code = code_for(&job.ops, &err);
                        tracing::warn!(actor = "writer", error = %err, code = %code, "write refused");
                        fail(job, code);
                    }
                }
            }
        }
    }
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
