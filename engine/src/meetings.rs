//! `Meetings`: the root of the engine's supervision tree. It starts one
//! [`MeetingSupervisor`] per running meeting on request, keeps the registry of their handles,
//! and forgets a meeting once its tree stopped (idle, or its restart budget spent), so the
//! next request starts it afresh from storage.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use librekast_storage::{MeetingId, Store};
use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use crate::EngineError;
use crate::actor::ActorSlot;
use crate::bus::Bus;
use crate::config::EngineConfig;
use crate::handle::MeetingHandle;
use crate::supervisor::{MeetingSupervisor, SupervisorArgs};
use crate::writer::Writer;

pub(crate) type Registry = Arc<RwLock<HashMap<MeetingId, Arc<MeetingHandle>>>>;

pub enum MeetingsMsg {
    /// Start the meeting's tree unless it runs; reply with its handle.
    Ensure {
        id: MeetingId,
        reply: RpcReplyPort<Result<Arc<MeetingHandle>, EngineError>>,
    },
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

    async fn start(
        &mut self,
        myself: &ActorRef<MeetingsMsg>,
        id: MeetingId,
    ) -> Result<Arc<MeetingHandle>, EngineError> {
        if self.args.store.meeting(id).await?.is_none() {
            return Err(EngineError::MeetingNotFound);
        }
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
        let (tree, _) = Actor::spawn_linked(None, MeetingSupervisor, args, myself.get_cell())
            .await
            .map_err(|e| {
                tracing::error!(meeting_id = %id, actor = "meeting", error = %e, "spawn failed");
                EngineError::Unavailable
            })?;
        self.trees.insert(tree.get_id(), handle.clone());
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
        _myself: ActorRef<MeetingsMsg>,
        args: MeetingsArgs,
    ) -> Result<MeetingsState, ActorProcessingErr> {
        tracing::info!(actor = "meetings", "meeting supervision started");
        Ok(MeetingsState {
            args,
            trees: HashMap::new(),
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
        myself: ActorRef<MeetingsMsg>,
        msg: MeetingsMsg,
        state: &mut MeetingsState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            MeetingsMsg::Ensure { id, reply } => {
                let result = match state.running(id) {
                    Some(h) => Ok(h),
                    None => state.start(&myself, id).await,
                };
                let _ = reply.send(result);
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
                    tracing::error!(meeting_id = %h.id, actor = "meeting_supervisor", error = %err, "failed");
                }
                state.forget(cell.get_id());
            }
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                if let Some(h) = state.trees.get(&cell.get_id()) {
                    tracing::info!(meeting_id = %h.id, actor = "meeting_supervisor", reason = reason.as_deref().unwrap_or(""), "stopped");
                }
                state.forget(cell.get_id());
            }
            _ => {}
        }
        Ok(())
    }
}
