//! `MeetingSupervisor`: starts one `MeetingActor` per running meeting and restarts a failed
//! one with exponential backoff and a restart budget. Policy:
//! - a panic or error in a meeting actor → `failed` (warn), restart after
//!   `100 ms × 2^(n-1)` (at most 5 s), n = restarts of that meeting in the last minute;
//! - more than [`RESTART_BUDGET`] restarts in a minute → give up (error) until the next
//!   request for that meeting starts it afresh;
//! - a clean stop → the meeting is dropped from the registry.
//!
//! Every event is logged with the fields `meeting_id` and `actor`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use librekast_storage::{MeetingId, Store};
use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

use crate::EngineError;
use crate::actor::{MeetingActor, MeetingArgs};
use crate::hub::{EngineConfig, MeetingHandle, Registry};
use crate::writer::Writer;

pub const RESTART_BUDGET: usize = 10;
const BUDGET_WINDOW: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub enum SupervisorMsg {
    /// Start the meeting's actor unless it runs; reply with its handle.
    Ensure {
        id: MeetingId,
        reply: RpcReplyPort<Result<Arc<MeetingHandle>, EngineError>>,
    },
    Respawn(MeetingId),
}

pub struct SupervisorArgs {
    pub store: Store,
    pub writer: Writer,
    pub registry: Registry,
    pub config: EngineConfig,
}

pub struct SupervisorState {
    args: SupervisorArgs,
    by_actor: HashMap<ActorId, MeetingId>,
    restarts: HashMap<MeetingId, VecDeque<Instant>>,
}

pub struct MeetingSupervisor;

impl SupervisorState {
    fn handle(&self, id: MeetingId) -> Option<Arc<MeetingHandle>> {
        self.args
            .registry
            .read()
            .ok()
            .and_then(|r| r.get(&id).cloned())
    }

    async fn spawn(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
        handle: Arc<MeetingHandle>,
    ) -> Result<(), EngineError> {
        let args = MeetingArgs {
            handle: handle.clone(),
            store: self.args.store.clone(),
            writer: self.args.writer.clone(),
            flush_interval: self.args.config.flush_interval,
            interaction: self.args.config.interaction,
            bot_prefix: self.args.config.bot_prefix.clone(),
        };
        let (actor, _) = Actor::spawn_linked(None, MeetingActor, args, myself.get_cell())
            .await
            .map_err(|e| EngineError::Actor(e.to_string()))?;
        self.by_actor.insert(actor.get_id(), handle.id);
        handle.set_actor(Some(actor));
        Ok(())
    }

    /// Records a restart; `None` when the budget is spent.
    fn backoff(&mut self, id: MeetingId) -> Option<Duration> {
        let now = Instant::now();
        let log = self.restarts.entry(id).or_default();
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) > BUDGET_WINDOW)
        {
            log.pop_front();
        }
        if log.len() >= RESTART_BUDGET {
            return None;
        }
        log.push_back(now);
        let n = log.len() as u32;
        Some((Duration::from_millis(100) * 2u32.saturating_pow(n - 1)).min(MAX_BACKOFF))
    }

    fn schedule_restart(&mut self, myself: &ActorRef<SupervisorMsg>, id: MeetingId) {
        match self.backoff(id) {
            Some(delay) => {
                tracing::info!(meeting_id = %id, actor = "meeting", delay_ms = delay.as_millis() as u64, "restart scheduled");
                myself.send_after(delay, move || SupervisorMsg::Respawn(id));
            }
            None => {
                tracing::error!(meeting_id = %id, actor = "meeting", budget = RESTART_BUDGET, "restart budget spent, meeting stopped until requested again");
            }
        }
    }
}

impl Actor for MeetingSupervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = SupervisorArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<SupervisorMsg>,
        args: SupervisorArgs,
    ) -> Result<SupervisorState, ActorProcessingErr> {
        tracing::info!(actor = "supervisor", "meeting supervisor started");
        Ok(SupervisorState {
            args,
            by_actor: HashMap::new(),
            restarts: HashMap::new(),
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<SupervisorMsg>,
        msg: SupervisorMsg,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            SupervisorMsg::Ensure { id, reply } => {
                let result = match state.handle(id) {
                    Some(h) if h.is_running() => Ok(h),
                    existing => {
                        let known = match existing {
                            Some(_) => true,
                            None => state
                                .args
                                .store
                                .meeting(id)
                                .await
                                .map(|m| m.is_some())
                                .unwrap_or(false),
                        };
                        if !known {
                            Err(EngineError::MeetingNotFound)
                        } else {
                            let handle = existing.unwrap_or_else(|| {
                                Arc::new(MeetingHandle::new(id, &state.args.config))
                            });
                            if let Ok(mut r) = state.args.registry.write() {
                                r.insert(id, handle.clone());
                            }
                            state.restarts.remove(&id);
                            match state.spawn(&myself, handle.clone()).await {
                                Ok(()) => {
                                    tracing::info!(meeting_id = %id, actor = "meeting", "spawned");
                                    Ok(handle)
                                }
                                Err(e) => {
                                    tracing::error!(meeting_id = %id, actor = "meeting", error = %e, "spawn failed");
                                    Err(EngineError::Unavailable)
                                }
                            }
                        }
                    }
                };
                let _ = reply.send(result);
            }
            SupervisorMsg::Respawn(id) => {
                let Some(handle) = state.handle(id) else {
                    return Ok(());
                };
                if handle.is_running() {
                    return Ok(());
                }
                match state.spawn(&myself, handle).await {
                    Ok(()) => tracing::info!(meeting_id = %id, actor = "meeting", "restarted"),
                    Err(e) => {
                        tracing::warn!(meeting_id = %id, actor = "meeting", error = %e, "restart failed");
                        state.schedule_restart(&myself, id);
                    }
                }
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<SupervisorMsg>,
        event: SupervisionEvent,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorFailed(cell, err) => {
                let Some(id) = state.by_actor.remove(&cell.get_id()) else {
                    return Ok(());
                };
                tracing::warn!(meeting_id = %id, actor = "meeting", error = %err, "failed");
                if let Some(h) = state.handle(id) {
                    h.set_actor(None);
                }
                state.schedule_restart(&myself, id);
            }
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                let Some(id) = state.by_actor.remove(&cell.get_id()) else {
                    return Ok(());
                };
                tracing::info!(meeting_id = %id, actor = "meeting", reason = reason.as_deref().unwrap_or(""), "stopped");
                if let Some(h) = state.handle(id) {
                    h.set_actor(None);
                }
            }
            _ => {}
        }
        Ok(())
    }
}
