//! [`Engine`]: what the web layer and the chat adapters talk to. It finds (or starts) a
//! meeting's actor and hands out a [`MeetingHandle`], which survives actor restarts: its
//! broadcast channels stay, and commands go to whichever actor currently runs the meeting.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use librekast_storage::{
    ActivityId, AttendeeId, AttendeeRecord, ChoiceId, MeetingId, Platform, Store,
};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef, RpcReplyPort};
use tokio::sync::{broadcast, oneshot};

use crate::actor::MeetingMsg;
use crate::meeting::Expect;
use crate::supervisor::{MeetingSupervisor, SupervisorArgs, SupervisorMsg};
use crate::wire::Standings;
use crate::wire::{Snapshot, StateFrame};
use crate::writer::Writer;
use crate::{AckResult, ChatMessage, ChatReport, Control, EngineError, ErrorCode};

/// Who receives a frame: participants or staff (organizers, presenter screens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    Participant,
    Staff,
}

/// What the meeting broadcasts. Frames are serialized once; connections share them.
#[derive(Debug, Clone)]
pub enum Outbound {
    Frame(Arc<str>),
    State(Arc<StateFrame>),
    /// New scores and ranks by attendee; each participant connection picks its own.
    Standings(Arc<Standings>),
}

/// Who sent a command.
#[derive(Debug, Clone)]
pub enum Sender {
    Attendee {
        id: AttendeeId,
        name: String,
        platform: Platform,
    },
    Staff {
        username: String,
    },
}

#[derive(Debug, Clone)]
pub enum Command {
    Vote {
        question_id: ActivityId,
        choice_id: ChoiceId,
    },
    Word {
        question_id: ActivityId,
        text: String,
    },
    Flag {
        code: String,
    },
    /// A staff control, applied only if the meeting is still where `Expect` says (if given).
    Control(Control, Option<Expect>),
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Frames kept per audience for a slow connection before it must resync from a snapshot.
    pub broadcast_capacity: usize,
    /// At most this often are tallies and word clouds published (coalescing window).
    pub flush_interval: Duration,
    /// How long a connection waits for its ack.
    pub ack_timeout: Duration,
    /// The character that marks an answer in chat (`#a`, `#rust`).
    pub interaction: char,
    /// What our bots put before their messages; such lines are never counted.
    pub bot_prefix: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            broadcast_capacity: 256,
            flush_interval: Duration::from_millis(100),
            ack_timeout: Duration::from_secs(10),
            interaction: '#',
            bot_prefix: "🤖 ".to_string(),
        }
    }
}

/// Attempts, and the first delay (doubling), while a meeting's actor restarts: ~3 s in all.
const RETRIES: usize = 6;
const RETRY_DELAY: Duration = Duration::from_millis(50);

/// A running meeting as seen from outside its actor.
pub struct MeetingHandle {
    pub id: MeetingId,
    participants: broadcast::Sender<Outbound>,
    staff: broadcast::Sender<Outbound>,
    actor: RwLock<Option<ActorRef<MeetingMsg>>>,
    online: AtomicI64,
    ack_timeout: Duration,
}

impl MeetingHandle {
    pub(crate) fn new(id: MeetingId, config: &EngineConfig) -> MeetingHandle {
        MeetingHandle {
            id,
            participants: broadcast::channel(config.broadcast_capacity).0,
            staff: broadcast::channel(config.broadcast_capacity).0,
            actor: RwLock::new(None),
            online: AtomicI64::new(0),
            ack_timeout: config.ack_timeout,
        }
    }

    pub(crate) fn set_actor(&self, actor: Option<ActorRef<MeetingMsg>>) {
        if let Ok(mut slot) = self.actor.write() {
            *slot = actor;
        }
    }

    pub(crate) fn actor(&self) -> Option<ActorRef<MeetingMsg>> {
        self.actor.read().ok().and_then(|a| a.clone())
    }

    pub fn is_running(&self) -> bool {
        self.actor().is_some()
    }

    pub(crate) fn publish(&self, audience: Audience, frame: Outbound) {
        let tx = match audience {
            Audience::Participant => &self.participants,
            Audience::Staff => &self.staff,
        };
        // No receiver is not an error: nobody is watching right now.
        let _ = tx.send(frame);
    }

    pub fn subscribe(&self, audience: Audience) -> broadcast::Receiver<Outbound> {
        match audience {
            Audience::Participant => self.participants.subscribe(),
            Audience::Staff => self.staff.subscribe(),
        }
    }

    /// Connected participants; connections report themselves with [`Self::presence`].
    pub fn online(&self) -> i64 {
        self.online.load(Ordering::Relaxed)
    }

    pub fn presence(&self, delta: i64) {
        self.online.fetch_add(delta, Ordering::Relaxed);
        if let Some(actor) = self.actor() {
            let _ = actor.send_message(MeetingMsg::Presence);
        }
    }

    /// Sends a command and waits for its ack. While the actor restarts, the command is retried
    /// a few times (it was not applied: an actor replies or dies before touching anything).
    pub async fn command(&self, sender: Sender, command: Command) -> AckResult {
        let mut delay = RETRY_DELAY;
        for _ in 0..RETRIES {
            if let Some(actor) = self.actor() {
                let (tx, rx) = oneshot::channel();
                let msg = MeetingMsg::Command {
                    sender: sender.clone(),
                    command: command.clone(),
                    reply: tx,
                };
                if actor.send_message(msg).is_ok() {
                    match tokio::time::timeout(self.ack_timeout, rx).await {
                        Ok(Ok(result)) => return result,
                        Ok(Err(_)) => {} // dropped unanswered: the actor died; retry on the next one
                        Err(_) => return Err(ErrorCode::Unavailable),
                    }
                }
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        Err(ErrorCode::Unavailable)
    }

    /// The current snapshot for an audience (and the attendee's own seat).
    pub async fn snapshot(
        &self,
        audience: Audience,
        attendee: Option<AttendeeRecord>,
    ) -> Result<Snapshot, EngineError> {
        self.ask(|reply| MeetingMsg::Snapshot {
            audience,
            attendee: attendee.clone(),
            reply,
        })
        .await
    }

    /// Hands a batch of chat lines to the meeting and returns what they did once the
    /// answers are queued for storage. Backpressure: a caller sends its next batch after this
    /// returns, so chat never piles up in the actor's mailbox.
    pub async fn chat(&self, lines: Vec<ChatMessage>) -> Result<ChatReport, EngineError> {
        let lines: Arc<[ChatMessage]> = lines.into();
        // Replaying a batch after a restart is safe: one vote per viewer, one copy of a word.
        self.ask(|reply| MeetingMsg::Chat {
            lines: lines.clone(),
            reply,
        })
        .await
    }

    /// Asks the current actor a question, retrying with backoff while the meeting restarts.
    async fn ask<T: Send + 'static>(
        &self,
        message: impl Fn(RpcReplyPort<T>) -> MeetingMsg,
    ) -> Result<T, EngineError> {
        let mut delay = RETRY_DELAY;
        for _ in 0..RETRIES {
            if let Some(actor) = self.actor()
                && let Ok(CallResult::Success(answer)) =
                    actor.call(&message, Some(self.ack_timeout)).await
            {
                return Ok(answer);
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        Err(EngineError::Unavailable)
    }

    /// Tells the actor an attendee joined (so the organizer sees them before they answer).
    pub fn joined(&self, attendee: AttendeeRecord) {
        if let Some(actor) = self.actor() {
            let _ = actor.send_message(MeetingMsg::Joined(attendee));
        }
    }

    /// Test seam: makes the current actor panic inside a handler, as a bug would.
    #[doc(hidden)]
    pub fn inject_panic(&self) {
        if let Some(actor) = self.actor() {
            let _ = actor.send_message(MeetingMsg::InjectPanic);
        }
    }
}

pub(crate) type Registry = Arc<RwLock<HashMap<MeetingId, Arc<MeetingHandle>>>>;

/// The running engine: storage, the writer and the meeting supervisor.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    writer: Writer,
    registry: Registry,
    supervisor: ActorRef<SupervisorMsg>,
}

impl Engine {
    /// Starts the writer and the supervisor, then resumes every meeting that was running.
    pub async fn start(store: Store, config: EngineConfig) -> Result<Engine, EngineError> {
        let (writer, _task) = Writer::spawn(store.clone());
        let registry: Registry = Arc::default();
        let args = SupervisorArgs {
            store: store.clone(),
            writer: writer.clone(),
            registry: registry.clone(),
            config,
        };
        let (supervisor, _) = Actor::spawn(None, MeetingSupervisor, args)
            .await
            .map_err(|e| EngineError::Actor(e.to_string()))?;
        let engine = Engine {
            store,
            writer,
            registry,
            supervisor,
        };
        for id in engine.store.running_meeting_ids().await? {
            if let Err(e) = engine.meeting(id).await {
                tracing::error!(meeting_id = %id, error = %e, "could not resume meeting");
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

    /// The handle of a meeting, starting its actor if needed.
    pub async fn meeting(&self, id: MeetingId) -> Result<Arc<MeetingHandle>, EngineError> {
        let cached = self.registry.read().ok().and_then(|r| r.get(&id).cloned());
        if let Some(h) = cached
            && h.is_running()
        {
            return Ok(h);
        }
        let reply = self
            .supervisor
            .call(
                |reply| SupervisorMsg::Ensure { id, reply },
                Some(Duration::from_secs(30)),
            )
            .await
            .map_err(|e| EngineError::Actor(e.to_string()))?;
        match reply {
            CallResult::Success(result) => result,
            _ => Err(EngineError::Unavailable),
        }
    }

    /// Stops every meeting actor, then waits until every queued write is committed.
    pub async fn shutdown(&self) {
        self.supervisor.stop(None);
        self.writer.barrier().await;
    }
}
