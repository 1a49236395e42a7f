//! `Meetings`: the root of the engine's supervision tree. It starts one
//! [`MeetingSupervisor`] per running meeting on request, keeps the registry of their handles,
//! and forgets a meeting once its tree stopped (idle, or its restart budget spent), so the
//! next request starts it afresh from storage.
//!
//! Starting is queued: the root registers a handle at once (so every request for the meeting
//! shares it) and puts the start in a bounded FIFO queue ([`START_QUEUE`] starts by default;
//! overflow: refused with [`EngineError::Busy`]). At most [`START_CONCURRENCY`] trees load at
//! a time, in the order they were first asked for, so a thousand meetings starting together
//! share the database fairly instead of each holding the root while it loads. Requests wait
//! on the handle's readiness, at most [`START_WAIT`] (see [`EngineConfig`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use librekast_storage::{MeetingId, Store};
use ractor::{
    Actor, ActorCell, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent,
};
use tokio::sync::{Semaphore, mpsc};

use crate::EngineError;
use crate::actor::ActorSlot;
use crate::bus::Bus;
use crate::config::EngineConfig;
#[cfg(doc)]
use crate::config::{START_CONCURRENCY, START_QUEUE, START_WAIT};
use crate::handle::{MeetingHandle, Readiness};
use crate::journal::{Entry, Level, Step};
use crate::supervisor::{MeetingSupervisor, SupervisorArgs};
use crate::writer::Writer;

pub(crate) type Registry = Arc<RwLock<HashMap<MeetingId, Arc<MeetingHandle>>>>;

pub enum MeetingsMsg {
    /// Register the meeting (queueing its start) unless it runs; reply with its handle, which
    /// may still be starting (see [`MeetingHandle::wait_ready`]).
    Ensure {
        id: MeetingId,
        reply: RpcReplyPort<Result<Arc<MeetingHandle>, EngineError>>,
    },
    /// A queued start spawned this tree.
    Started {
        tree: ActorCell,
        handle: Arc<MeetingHandle>,
    },
}

/// One queued start. Dropped unstarted (the engine stopping with starts still queued), it
/// tells its waiters at once rather than letting them wait out their limit.
struct Start {
    handle: Arc<MeetingHandle>,
    args: Option<SupervisorArgs>,
}

impl Drop for Start {
    fn drop(&mut self) {
        if self.handle.readiness() == Readiness::Starting {
            self.handle.mark_stopped();
            self.handle.set_ready(Readiness::Failed);
        }
    }
}

pub struct MeetingsArgs {
    pub store: Store,
    pub writer: Writer,
    pub registry: Registry,
    pub config: EngineConfig,
}

pub struct MeetingsState {
    args: MeetingsArgs,
    trees: HashMap<ActorId, Arc<MeetingHandle>>,
    starts: mpsc::Sender<Start>,
}

pub struct Meetings;

impl MeetingsState {
    fn running(&self, id: MeetingId) -> Option<Arc<MeetingHandle>> {
        self.args
            .registry
            .read()
            .ok()
            .and_then(|r| r.get(&id).cloned())
            // A tree that is stopping is replaced, not reused.
            .filter(|h| !h.is_stopped())
    }

    /// Registers a handle for the meeting and queues the start of its tree.
    fn start(&mut self, id: MeetingId) -> Result<Arc<MeetingHandle>, EngineError> {
        let config = &self.args.config;
        let bus = Arc::new(Bus::new(config.broadcast_capacity));
        let slot = Arc::new(ActorSlot::default());
        let handle = Arc::new(MeetingHandle::new(
            id,
            bus.clone(),
            slot.clone(),
            config.ack_timeout,
        ));
        let args = SupervisorArgs {
            id,
            bus,
            slot,
            handle: handle.clone(),
            store: self.args.store.clone(),
            writer: self.args.writer.clone(),
            config: config.clone(),
        };
        let start = Start {
            handle: handle.clone(),
            args: Some(args),
        };
        if self.starts.try_send(start).is_err() {
            tracing::warn!(meeting_id = %id, actor = "meetings", queue = config.start_queue, "start queue full: request refused");
            return Err(EngineError::Busy);
        }
        if let Ok(mut r) = self.args.registry.write() {
            r.insert(id, handle.clone());
        }
        Ok(handle)
    }

    /// Drops a stopped tree's handle from the registry, unless a newer tree of the same
    /// meeting already replaced it.
    fn forget(&mut self, tree: ActorId) {
        if let Some(handle) = self.trees.remove(&tree)
            && let Ok(mut r) = self.args.registry.write()
            && r.get(&handle.id).is_some_and(|h| Arc::ptr_eq(h, &handle))
        {
            r.remove(&handle.id);
        }
    }
}

impl Actor for Meetings {
    type Msg = MeetingsMsg;
    type State = MeetingsState;
    type Arguments = MeetingsArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<MeetingsMsg>,
        args: MeetingsArgs,
    ) -> Result<MeetingsState, ActorProcessingErr> {
        args.writer.metrics().journal.record(Entry::new(
            Level::Info,
            "meetings",
            Step::Started,
            "meeting supervision started",
        ));
        let (starts, queue) = mpsc::channel(args.config.start_queue.max(1));
        tokio::spawn(run_starts(
            queue,
            args.config.start_concurrency,
            myself,
            args.store.clone(),
            args.registry.clone(),
        ));
        Ok(MeetingsState {
            args,
            trees: HashMap::new(),
            starts,
        })
    }

    async fn post_stop(
        &self,
        myself: ActorRef<MeetingsMsg>,
        _state: &mut MeetingsState,
    ) -> Result<(), ActorProcessingErr> {
        myself.stop_children(Some("engine stopping".to_string()));
        Ok(())
    }

    async fn handle(
        &self,
        _myself: ActorRef<MeetingsMsg>,
        msg: MeetingsMsg,
        state: &mut MeetingsState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            MeetingsMsg::Ensure { id, reply } => {
                let result = match state.running(id) {
                    Some(h) => Ok(h),
                    None => state.start(id),
                };
                let _ = reply.send(result);
            }
            MeetingsMsg::Started { tree, handle } => {
                // A tree that already stopped (its events came first) is not kept.
                if !handle.is_stopped() {
                    state.trees.insert(tree.get_id(), handle);
                }
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _myself: ActorRef<MeetingsMsg>,
        event: SupervisionEvent,
        state: &mut MeetingsState,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorFailed(cell, err) => {
                if let Some(h) = state.trees.get(&cell.get_id()) {
                    state.args.writer.metrics().journal.record(
                        Entry::new(Level::Error, "meeting_supervisor", Step::Failed, "failed")
                            .meeting(h.id)
                            .error(err.to_string()),
                    );
                }
                state.forget(cell.get_id());
            }
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                if let Some(h) = state.trees.get(&cell.get_id()) {
                    state.args.writer.metrics().journal.record(
                        Entry::new(Level::Info, "meeting_supervisor", Step::Stopped, "stopped")
                            .meeting(h.id)
                            .reason(reason.unwrap_or_default()),
                    );
                }
                state.forget(cell.get_id());
            }
            _ => {}
        }
        Ok(())
    }
}

/// Serves the start queue in order, [`START_CONCURRENCY`] at a time (tokio's semaphore is
/// FIFO, so no meeting is overtaken). Ends when the root stops.
async fn run_starts(
    mut queue: mpsc::Receiver<Start>,
    concurrency: usize,
    root: ActorRef<MeetingsMsg>,
    store: Store,
    registry: Registry,
) {
    // 0 starts nothing (a test seam: the queue can then be seen filling up).
    let slots = Arc::new(Semaphore::new(concurrency));
    while let Some(start) = queue.recv().await {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (root, store, registry) = (root.clone(), store.clone(), registry.clone());
        tokio::spawn(async move {
            start_tree(start, root, store, registry).await;
            drop(permit);
        });
    }
}

async fn start_tree(
    mut start: Start,
    root: ActorRef<MeetingsMsg>,
    store: Store,
    registry: Registry,
) {
    let handle = start.handle.clone();
    let Some(args) = start.args.take() else {
        return;
    };
    let id = handle.id;
    // Out of the registry before the waiters wake: what they see next is consistent.
    let failed = |readiness: Readiness| {
        if let Ok(mut r) = registry.write()
            && r.get(&id).is_some_and(|h| Arc::ptr_eq(h, &handle))
        {
            r.remove(&id);
        }
        handle.mark_stopped();
        handle.set_ready(readiness);
    };
    if root.get_status() != ractor::ActorStatus::Running {
        failed(Readiness::Failed);
        return;
    }
    let metrics = args.writer.metrics().clone();
    match store.meeting(id).await {
        Ok(Some(m)) => {
            handle.set_code(&m.code);
            handle.set_title(&m.title);
        }
        Ok(None) => return failed(Readiness::NotFound),
        Err(e) => {
            metrics.journal.record(
                Entry::new(
                    Level::Error,
                    "meeting_supervisor",
                    Step::Failed,
                    "could not read the meeting",
                )
                .meeting(id)
                .error(e.to_string()),
            );
            return failed(Readiness::Failed);
        }
    }
    match Actor::spawn_linked(None, MeetingSupervisor, args, root.get_cell()).await {
        Ok((tree, _)) => {
            let _ = root.cast(MeetingsMsg::Started {
                tree: tree.get_cell(),
                handle: handle.clone(),
            });
            handle.set_ready(Readiness::Ready);
        }
        Err(e) => {
            metrics.journal.record(
                Entry::new(
                    Level::Error,
                    "meeting_supervisor",
                    Step::Failed,
                    "spawn failed",
                )
                .meeting(id)
                .error(e.to_string()),
            );
            failed(Readiness::Failed);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::test_support::text_meeting;
    use crate::{Engine, EngineConfig};

    async fn meetings(
        store: &Store,
        n: usize,
    ) -> Result<Vec<MeetingId>, Box<dyn std::error::Error>> {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            ids.push(
                store
                    .import_meeting(&text_meeting(&format!("class {i}")))
                    .await?,
            );
        }
        Ok(ids)
    }

    /// Hundreds of meetings asked for at the same moment all start (a few at a time) and
    /// every request gets its running meeting; an unknown one is `MeetingNotFound`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_meetings_starting_at_once_all_start() -> Result<(), Box<dyn std::error::Error>> {
        let store = Store::connect("sqlite::memory:").await?;
        let ids = meetings(&store, 300).await?;
        let config = EngineConfig {
            start_concurrency: 4,
            ..EngineConfig::default()
        };
        let engine = Engine::start(store, config).await?;
        let mut set = tokio::task::JoinSet::new();
        // Two requests per meeting: they share one start.
        for &id in ids.iter().chain(&ids) {
            let engine = engine.clone();
            set.spawn(async move { engine.meeting(id).await.map(|h| (id, h)) });
        }
        let mut started = std::collections::HashSet::new();
        while let Some(joined) = set.join_next().await {
            let (id, handle) = joined??;
            assert!(handle.is_running(), "meeting {id} runs");
            assert!(handle.code_matches(" c "));
            started.insert(id);
        }
        assert_eq!(started.len(), 300);
        assert_eq!(engine.running_count(), 300);
        assert!(matches!(
            engine.meeting(MeetingId(1_000_000)).await,
            Err(EngineError::MeetingNotFound)
        ));
        assert_eq!(
            engine.running_count(),
            300,
            "an unknown meeting is not kept"
        );
        Ok(())
    }

    /// The queue is bounded: past it a request is refused at once with `Busy`; a request in
    /// the queue waits for its start at most `start_wait`, then gets `Busy` too. (No start
    /// runs here: `start_concurrency` 0.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_start_queue_refuses_at_once() -> Result<(), Box<dyn std::error::Error>> {
        let store = Store::connect("sqlite::memory:").await?;
        let ids = meetings(&store, 3).await?;
        let config = EngineConfig {
            start_queue: 2,
            start_concurrency: 0,
            start_wait: Duration::from_millis(200),
            ..EngineConfig::default()
        };
        let engine = Engine::start(store, config).await?;
        let waiting: Vec<_> = ids[..2]
            .iter()
            .map(|&id| {
                let engine = engine.clone();
                tokio::spawn(async move { engine.meeting(id).await })
            })
            .collect();
        // Both are queued once the registry holds them.
        while engine.running_count() < 2 {
            tokio::task::yield_now().await;
        }
        let refused = engine.meeting(ids[2]).await;
        assert!(matches!(refused, Err(EngineError::Busy)));
        for w in waiting {
            assert!(matches!(w.await?, Err(EngineError::Busy)));
        }
        Ok(())
    }
}
