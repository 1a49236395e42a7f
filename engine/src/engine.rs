//! [`Engine`]: what the web layer and the chat adapters talk to. It finds (or starts) a
//! meeting's tree and hands out its [`MeetingHandle`].
//!
//! The tree (see [`crate::meetings`] and [`crate::supervisor`]):
//!
//! ```text
//! Engine
//!  ├─ Writer (group commit; supervised task, reports failures by callback)
//!  └─ Meetings (root)
//!       └─ MeetingSupervisor(id) … one per running meeting
//!            ├─ MeetingActor(id)
//!            └─ extensions (adapters, bots)
//! ```

use std::sync::Arc;
use std::time::Duration;

use librekast_storage::{
    AttendeeRecord, JoinSeat, MeetingId, Platform, Store, WriteOp, now_micros, token_hash,
};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef};

use crate::AckOk;
use crate::EngineError;
use crate::config::EngineConfig;
use crate::handle::{MeetingHandle, Readiness};
use crate::meetings::{Meetings, MeetingsArgs, MeetingsMsg, Registry};
use crate::writer::{Job, Writer};

/// How long a request waits for the root to answer (it only registers: starting is queued).
const ROOT_TIMEOUT: Duration = Duration::from_secs(10);

/// The running engine: storage, the writer and the meetings' supervision tree.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    writer: Writer,
    registry: Registry,
    root: ActorRef<MeetingsMsg>,
    start_wait: Duration,
    /// Meetings being reset or deleted: nobody may start them meanwhile.
    paused: Arc<std::sync::Mutex<std::collections::HashSet<MeetingId>>>,
}

/// While held, the meeting cannot start (requests get `Unavailable` and retry); see
/// [`Engine::stop_meeting`].
pub struct Paused {
    paused: Arc<std::sync::Mutex<std::collections::HashSet<MeetingId>>>,
    id: MeetingId,
}

impl Drop for Paused {
    fn drop(&mut self) {
        if let Ok(mut p) = self.paused.lock() {
            p.remove(&self.id);
        }
    }
}

/// How long [`Engine::stop_meeting`] waits for a tree to stop.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// Open connections per audience over `running` meetings.
fn connections(running: &[Arc<MeetingHandle>]) -> Vec<(&'static str, i64)> {
    crate::view::Audience::ALL
        .iter()
        .map(|&a| {
            (
                a.as_str(),
                running.iter().map(|h| h.connections_of(a)).sum(),
            )
        })
        .collect()
}

impl Engine {
    /// Starts the writer and the supervision root, then resumes every meeting that was
    /// running.
    pub async fn start(store: Store, config: EngineConfig) -> Result<Engine, EngineError> {
        let writer = Writer::spawn_with(store.clone(), Arc::default());
        let registry: Registry = Arc::default();
        let start_wait = config.start_wait;
        let args = MeetingsArgs {
            store: store.clone(),
            writer: writer.clone(),
            registry: registry.clone(),
            config,
        };
        let (root, _) = Actor::spawn(None, Meetings, args)
            .await
            .map_err(|e| EngineError::Actor(e.to_string()))?;
        let engine = Engine {
            store,
            writer,
            registry,
            root,
            start_wait,
            paused: Arc::default(),
        };
        // All queued first, then waited for: they load side by side, in order.
        let mut resuming = Vec::new();
        for id in engine.store.running_meeting_ids().await? {
            match engine.ensure(id).await {
                Ok(h) => resuming.push(h),
                Err(e) => tracing::error!(meeting_id = %id, error = %e, "could not resume meeting"),
            }
        }
        for h in resuming {
            if let Err(e) = h.wait_ready(engine.start_wait).await {
                tracing::error!(meeting_id = %h.id, error = %e, "could not resume meeting");
            }
        }
        Ok(engine)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Where everything countable is counted ([`crate::metrics`]).
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        self.writer.metrics()
    }

    /// The Prometheus text exposition, with the state gauges read now: connections per
    /// audience, running meetings, the writer's queue and the chat sources connected.
    pub fn metrics_text(&self) -> Result<String, std::fmt::Error> {
        let running = self.running_meetings();
        let snapshot = crate::metrics::Snapshot {
            connections: connections(&running),
            meetings_running: running.len() as i64,
            writer_queue_depth: self.writer.queue_depth() as i64,
            adapters_up: [Platform::Twitch, Platform::Youtube]
                .iter()
                .map(|p| {
                    let up = running
                        .iter()
                        .flat_map(|h| h.source_statuses())
                        .filter(|s| s.platform == p.code() && s.status == "connected")
                        .count();
                    (p.code(), up as i64)
                })
                .collect(),
        };
        self.metrics().encode(&snapshot)
    }

    /// What the live operations page shows now: every running meeting's tree, connections
    /// and sources, and the writer. Titles are as last set on each meeting's handle.
    pub fn operations(&self) -> crate::operations::Snapshot {
        let running = self.running_meetings();
        let mut meetings: Vec<crate::operations::MeetingOps> =
            running.iter().map(|h| h.operations()).collect();
        meetings.sort_by_key(|m| m.id);
        let metrics = self.metrics();
        let writer = metrics.writer.rows(|_, _| (None, None));
        let writer = writer.first();
        crate::operations::Snapshot {
            at: crate::journal::now_ms(),
            started_at: metrics.started_at,
            version: env!("CARGO_PKG_VERSION"),
            connections: connections(&running).into_iter().collect(),
            writer: crate::operations::WriterView {
                state: writer.map_or(crate::tree_board::ActorState::Running, |w| w.state),
                restarts_last_hour: writer.map_or(0, |w| w.restarts_last_hour),
                last_error: writer.and_then(|w| w.last_error.clone()),
                queue_depth: self.writer.queue_depth(),
                queue_capacity: self.writer.queue_capacity(),
                last_minute: metrics.commits.last_minute(),
            },
            meetings,
            last_seq: metrics.journal.last_seq(),
        }
    }

    /// The handle of a meeting, starting its tree if needed: the start waits in the fair
    /// start queue ([`crate::meetings`]), this request at most
    /// [`EngineConfig::start_wait`](crate::EngineConfig::start_wait).
    pub async fn meeting(&self, id: MeetingId) -> Result<Arc<MeetingHandle>, EngineError> {
        let handle = self.ensure(id).await?;
        if handle.readiness() != Readiness::Ready {
            handle.wait_ready(self.start_wait).await?;
        }
        Ok(handle)
    }

    /// The meeting's handle, its start queued if it is not running (not waited for).
    async fn ensure(&self, id: MeetingId) -> Result<Arc<MeetingHandle>, EngineError> {
        if self.paused.lock().map(|p| p.contains(&id)).unwrap_or(false) {
            return Err(EngineError::Unavailable);
        }
        let cached = self.registry.read().ok().and_then(|r| r.get(&id).cloned());
        if let Some(h) = cached
            && !h.is_stopped()
        {
            return Ok(h);
        }
        let reply = self
            .root
            .call(
                |reply| MeetingsMsg::Ensure { id, reply },
                Some(ROOT_TIMEOUT),
            )
            .await
            .map_err(|e| EngineError::Actor(e.to_string()))?;
        match reply {
            CallResult::Success(result) => result,
            _ => Err(EngineError::Unavailable),
        }
    }

    /// The handle of a meeting if its tree runs right now (never starts one, nor waits for
    /// one starting).
    pub fn running(&self, id: MeetingId) -> Option<Arc<MeetingHandle>> {
        self.registry
            .read()
            .ok()
            .and_then(|r| r.get(&id).cloned())
            .filter(|h| !h.is_stopped() && h.readiness() == Readiness::Ready)
    }

    /// Meetings whose tree is in memory now.
    /// Every meeting running now.
    pub fn running_meetings(&self) -> Vec<Arc<MeetingHandle>> {
        self.registry
            .read()
            .map(|r| r.values().filter(|h| !h.is_stopped()).cloned().collect())
            .unwrap_or_default()
    }

    pub fn running_count(&self) -> usize {
        self.registry.read().map(|r| r.len()).unwrap_or(0)
    }

    /// Seats a participant of a running meeting: their attendee (new with `platform_user_id`,
    /// or the `kept` seat their browser already had, renamed if need be) and their session
    /// (`token`) are written by the group commit like an answer, durable before this returns.
    /// Then the meeting learns of them. The caller checked the join code and the name.
    pub async fn join(
        &self,
        handle: &MeetingHandle,
        name: String,
        kept: Option<AttendeeRecord>,
        platform_user_id: String,
        token: &str,
    ) -> Result<AttendeeRecord, EngineError> {
        let (record, seat) = match kept {
            Some(a) => {
                let seat = JoinSeat::Kept {
                    renamed: a.name != name,
                };
                (AttendeeRecord { name, ..a }, seat)
            }
            None => {
                let id = self.store.allocate_attendee_id().await?;
                let record = AttendeeRecord {
                    id,
                    meeting_id: handle.id,
                    name,
                    platform: Platform::Room,
                    platform_user_id: platform_user_id.clone(),
                    score: 0,
                    removed: false,
                };
                (record, JoinSeat::New { platform_user_id })
            }
        };
        let op = WriteOp::Join {
            meeting: handle.id,
            attendee: record.id,
            name: record.name.clone(),
            seat,
            session_hash: token_hash(token),
            at: now_micros(),
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.writer
            .submit(Job::new(vec![op], Some(tx), Ok(AckOk::Plain), None))
            .await;
        match rx.await {
            Ok(Ok(_)) => {
                self.metrics().joined();
                handle.joined(record.clone());
                Ok(record)
            }
            _ => Err(EngineError::Unavailable),
        }
    }

    /// Stops the meeting's tree if it runs, waits until it stopped and every write it
    /// queued is stored, and keeps it from starting again until the returned guard drops:
    /// storage may then be changed under it (a reset, a delete). Connections close with
    /// "try again" and come back to the new state.
    pub async fn stop_meeting(&self, id: MeetingId) -> Result<Paused, EngineError> {
        let guard = match self.paused.lock() {
            Ok(mut p) => {
                if !p.insert(id) {
                    return Err(EngineError::Unavailable);
                }
                Paused {
                    paused: self.paused.clone(),
                    id,
                }
            }
            Err(_) => return Err(EngineError::Unavailable),
        };
        let handle = self.registry.read().ok().and_then(|r| r.get(&id).cloned());
        if let Some(handle) = handle.filter(|h| !h.is_stopped()) {
            // A tree still starting takes requests once ready.
            let _ = handle.wait_ready(self.start_wait).await;
            handle.stop_tree("reset or deleted");
            let deadline = tokio::time::Instant::now() + STOP_WAIT;
            // The supervisor marks the handle stopped in its handler; this waits a few
            // milliseconds at most (an admin action, not a hot path).
            while !handle.is_stopped() {
                if tokio::time::Instant::now() > deadline {
                    return Err(EngineError::Unavailable);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        self.writer.barrier().await;
        Ok(guard)
    }

    /// Stops every meeting's tree, then waits until every queued write is committed.
    pub async fn shutdown(&self) {
        self.root.stop(None);
        self.writer.barrier().await;
    }
}
