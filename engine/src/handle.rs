//! [`MeetingHandle`]: a running meeting as seen from outside its tree. It survives actor
//! restarts: its event bus stays, and commands go to whichever actor currently runs the
//! meeting.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use std::collections::HashMap;

use librekast_storage::{
    ActivityId, AttendeeId, AttendeeRecord, MeetingFile, MeetingId, StorageError, UserId,
};
use ractor::RpcReplyPort;
use ractor::rpc::CallResult;
use tokio::sync::{broadcast, oneshot, watch};

use crate::access::Principal;
use crate::actor::{ActorSlot, MeetingMsg};
use crate::alerts::{Alert, AlertIn, AlertLog};
use crate::bus::Bus;
use crate::command::Command;
use crate::event::BotsStatus;
use crate::event::{AdapterStatus, Event};
use crate::meeting::ParticipantRow;
use crate::sources::SourceBoard;
use crate::view::{Audience, Published, Snapshot};
use crate::{AckResult, ChatMessage, ChatReport, EngineError, ErrorCode};
use librekast_storage::Bot;

/// What may be asked of a meeting's supervisor from outside its tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TreeRequest {
    /// Restart the extensions (the sources changed).
    ReloadExtensions,
    /// Stop the whole tree (the meeting is reset or deleted); connections may reconnect.
    Stop(&'static str),
}

/// Asks a meeting's supervisor something (set while the tree runs).
pub(crate) type Reloader = Arc<dyn Fn(TreeRequest) + Send + Sync>;

/// How long a plan edit may take (one transaction, then the plan read back).
const PLAN_EDIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Attempts, and the first delay (doubling), while a meeting's actor restarts: ~3 s in all.
const RETRIES: usize = 6;
const RETRY_DELAY: Duration = Duration::from_millis(50);

/// Where a meeting's tree is in its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Queued or loading ([`crate::meetings`]' start queue).
    Starting,
    Ready,
    /// No such meeting (deleted meanwhile).
    NotFound,
    /// The tree could not start (storage unavailable).
    Failed,
}

pub struct MeetingHandle {
    pub id: MeetingId,
    bus: Arc<Bus>,
    slot: Arc<ActorSlot>,
    ack_timeout: Duration,
    /// Set when the meeting's tree stops: the next request starts a new one.
    stopped: AtomicBool,
    ready: watch::Sender<Readiness>,
    /// The join code, so a join is checked without a database read; kept current by whoever
    /// changes it.
    code: std::sync::RwLock<Arc<str>>,
    /// The title, for the operations page (set with the code).
    title: std::sync::RwLock<Arc<str>>,
    /// Its tree's actors as operators see them.
    pub(crate) tree: crate::tree_board::TreeBoard,
    /// When its tree started (milliseconds since the epoch).
    started_at: i64,
    /// Chat sources' statuses and outboxes.
    pub(crate) sources: Arc<SourceBoard>,
    /// Restarts the meeting's extensions (set by its supervisor while the tree runs; a
    /// callback, so this module does not depend on the supervisor's).
    reload_extensions: std::sync::RwLock<Option<Reloader>>,
    /// Open participant connections per attendee: who is online, for moderators.
    online_attendees: std::sync::Mutex<HashMap<AttendeeId, u32>>,
    /// Alert ids and the latest alerts.
    alerts: AlertLog,
    /// The bots as last set (`None` until the bots actor first starts): edits reach the
    /// running bots without a restart.
    bots: watch::Sender<Option<Arc<Vec<Bot>>>>,
    /// The bots' live state for staff connections that open later.
    bots_status: std::sync::Mutex<Option<Arc<BotsStatus>>>,
    /// Whether a bots actor runs in the tree (else an edit asks the tree to start one).
    /// A count, not a flag: after a reload the old actor's stop may come after the new
    /// one's start.
    bots_running: std::sync::atomic::AtomicUsize,
}

impl MeetingHandle {
    pub(crate) fn new(
        id: MeetingId,
        bus: Arc<Bus>,
        slot: Arc<ActorSlot>,
        ack_timeout: Duration,
    ) -> MeetingHandle {
        MeetingHandle {
            id,
            bus,
            slot,
            ack_timeout,
            stopped: AtomicBool::new(false),
            ready: watch::channel(Readiness::Starting).0,
            code: std::sync::RwLock::new(Arc::from("")),
            title: std::sync::RwLock::new(Arc::from("")),
            tree: crate::tree_board::TreeBoard::default(),
            started_at: crate::journal::now_ms(),
            sources: Arc::default(),
            reload_extensions: std::sync::RwLock::new(None),
            online_attendees: std::sync::Mutex::default(),
            alerts: AlertLog::default(),
            bots: watch::channel(None).0,
            bots_status: std::sync::Mutex::new(None),
            bots_running: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    pub(crate) fn set_ready(&self, readiness: Readiness) {
        self.ready.send_replace(readiness);
    }

    pub fn readiness(&self) -> Readiness {
        *self.ready.borrow()
    }

    /// Waits until the tree started (or could not), at most `limit`.
    pub async fn wait_ready(&self, limit: Duration) -> Result<(), EngineError> {
        let mut rx = self.ready.subscribe();
        let waited = tokio::time::timeout(limit, rx.wait_for(|r| *r != Readiness::Starting)).await;
        match waited {
            Err(_) => Err(EngineError::Busy),
            Ok(Err(_)) => Err(EngineError::Unavailable),
            Ok(Ok(r)) => match *r {
                Readiness::Ready => Ok(()),
                Readiness::NotFound => Err(EngineError::MeetingNotFound),
                Readiness::Starting | Readiness::Failed => Err(EngineError::Unavailable),
            },
        }
    }

    /// Whether `code` is this meeting's join code (surrounding spaces ignored).
    pub fn code_matches(&self, code: &str) -> bool {
        self.code.read().is_ok_and(|c| c.as_ref() == code.trim())
    }

    /// Records the meeting's join code (at start, and whenever it changes).
    pub fn set_code(&self, code: &str) {
        if let Ok(mut c) = self.code.write() {
            *c = Arc::from(code);
        }
    }

    pub fn set_title(&self, title: &str) {
        if let Ok(mut t) = self.title.write() {
            *t = Arc::from(title);
        }
    }

    /// What the operations page shows of this meeting (its title as last set).
    pub fn operations(&self) -> crate::operations::MeetingOps {
        let sources = self.sources.all();
        let queued = self.slot.queued();
        crate::operations::MeetingOps {
            id: self.id.0,
            title: self.title.read().map(|t| t.to_string()).unwrap_or_default(),
            started_at: self.started_at,
            connections: crate::view::Audience::ALL
                .iter()
                .map(|&a| (a.as_str(), self.connections_of(a)))
                .collect(),
            actors: self.tree.rows(|kind, name| match kind {
                // Its mailbox is unbounded: commands are bounded where they come from.
                "meeting" => (Some(queued), None),
                "adapter" => match self.sources.outbox_depth(name) {
                    Some((depth, bound)) => (Some(depth), Some(bound)),
                    None => (None, None),
                },
                _ => (None, None),
            }),
            sources,
        }
    }

    pub(crate) fn mark_stopped(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    /// True once the meeting's tree stopped (idle, or its restart budget spent).
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    fn actor(&self) -> Option<ractor::ActorRef<MeetingMsg>> {
        self.slot.get()
    }

    /// Sends to the current actor (if any), counted in its mailbox's depth.
    fn send(&self, msg: MeetingMsg) {
        if let Some(actor) = self.actor() {
            self.slot.enqueued();
            if actor.send_message(msg).is_err() {
                self.slot.dequeued();
            }
        }
    }

    pub fn is_running(&self) -> bool {
        self.actor().is_some()
    }

    /// Every event of the meeting, for connections (which render them for their audience)
    /// and extensions (which read them typed). See [`Bus`] for the overflow policy.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.bus.subscribe()
    }

    /// Publishes an event from outside the actor (display links revoked).
    pub fn publish(&self, event: Event) {
        self.bus.publish(event);
    }

    /// Connected participants.
    pub fn online(&self) -> i64 {
        self.bus.participants()
    }

    /// Open connections of every audience.
    pub fn connections(&self) -> i64 {
        self.bus.connections()
    }

    /// Open connections of one audience.
    pub fn connections_of(&self, audience: Audience) -> i64 {
        self.bus.connections_of(audience)
    }

    /// Counts a connection in for as long as the returned guard lives: the participant count
    /// staff see, and what keeps the meeting from stopping as idle.
    pub fn connect(self: &Arc<Self>, audience: Audience) -> Presence {
        self.connect_as(audience, None)
    }

    /// [`MeetingHandle::connect`] for a participant's connection: also counts them online.
    pub fn connect_as(
        self: &Arc<Self>,
        audience: Audience,
        attendee: Option<AttendeeId>,
    ) -> Presence {
        self.bus.count(audience, 1);
        if let Some(a) = attendee
            && let Ok(mut online) = self.online_attendees.lock()
        {
            *online.entry(a).or_insert(0) += 1;
        }
        self.presence_changed();
        Presence {
            handle: self.clone(),
            audience,
            attendee,
        }
    }

    /// Whether the attendee has a connection open right now.
    pub fn is_online(&self, attendee: AttendeeId) -> bool {
        self.online_attendees
            .lock()
            .map(|o| o.contains_key(&attendee))
            .unwrap_or(false)
    }

    fn presence_changed(&self) {
        self.send(MeetingMsg::Presence);
    }

    /// Sends a command and waits for its ack. While the actor restarts, the command is retried
    /// a few times (it was not applied: an actor replies or dies before touching anything).
    pub async fn command(&self, principal: Principal, command: Command) -> AckResult {
        let mut delay = RETRY_DELAY;
        for _ in 0..RETRIES {
            if let Some(actor) = self.actor() {
                let (tx, rx) = oneshot::channel();
                let msg = MeetingMsg::Command {
                    principal: principal.clone(),
                    command: command.clone(),
                    reply: tx,
                };
                self.slot.enqueued();
                if actor.send_message(msg).is_err() {
                    self.slot.dequeued();
                } else {
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

    /// Hands a batch of chat lines to the meeting and returns what they did once their
    /// answers are stored (so a source may then move its cursor past them). Backpressure: a
    /// caller sends its next batch after this returns, so chat never piles up in the actor's
    /// mailbox.
    pub async fn chat(&self, lines: Vec<ChatMessage>) -> Result<ChatReport, EngineError> {
        let lines: Arc<[ChatMessage]> = lines.into();
        // Replaying a batch after a restart is safe: message ids are remembered, one vote
        // per viewer, one copy of a word.
        let (report, stored) = self
            .ask(|reply| MeetingMsg::Chat {
                lines: lines.clone(),
                reply,
            })
            .await?;
        if let Some(stored) = stored {
            match stored.await {
                Ok(Ok(_)) => {}
                // The batch failed: the actor rebuilds from storage; the caller retries.
                _ => return Err(EngineError::Unavailable),
            }
        }
        Ok(report)
    }

    /// A chat adapter reports its status: published to staff (`adapter` frame) when it
    /// changed, and kept for the staff `state` of later connections.
    pub fn report_source(&self, status: AdapterStatus) {
        if self.sources.set(status.clone()) {
            self.bus.publish(Event::Adapter(Arc::new(status)));
            self.send(MeetingMsg::SourcesChanged);
        }
    }

    /// The status of each chat source right now.
    pub fn source_statuses(&self) -> Vec<AdapterStatus> {
        self.sources.all()
    }

    /// Where an adapter takes lines to post from now on (it registers at every start).
    pub fn register_outbox(
        &self,
        platform: librekast_storage::Platform,
        outbox: tokio::sync::mpsc::Sender<String>,
    ) {
        self.sources.register_outbox(platform, outbox);
    }

    /// An adapter says whether it can post now (an account with the right to, or not).
    pub fn set_can_post(&self, platform: librekast_storage::Platform, can: bool) {
        self.sources.set_can_post(platform, can);
    }

    /// Posts a line to every connected chat (throttled by each adapter); returns how many
    /// chats took it.
    pub fn post(&self, text: &str) -> usize {
        self.sources.post(text)
    }

    /// Raises an on-stream alert: it gets its id and reaches staff, displays (the alerts
    /// overlay) and bots. `None`: an alert without a kind.
    pub fn alert(&self, alert: AlertIn) -> Option<Arc<Alert>> {
        let alert = self.alerts.raise(alert)?;
        self.bus.publish(Event::Alert(alert.clone()));
        Some(alert)
    }

    /// The latest alerts, oldest first (replayed to staff and displays that connect).
    pub fn recent_alerts(&self) -> Vec<Arc<Alert>> {
        self.alerts.recent()
    }

    /// The meeting's bots changed (the dashboard, the editor): the running bots follow at
    /// once, keeping the counts and cooldowns of the bots that stayed.
    pub fn set_bots(&self, bots: Vec<Bot>) {
        self.bots.send_replace(Some(Arc::new(bots)));
        if self.bots_running.load(Ordering::Relaxed) == 0 {
            self.ask_tree(TreeRequest::ReloadExtensions);
        }
    }

    /// The bots as last set, and their changes (for the bots actor). The first actor to
    /// start sets them from storage.
    pub fn watch_bots(&self, stored: &[Bot]) -> watch::Receiver<Option<Arc<Vec<Bot>>>> {
        self.bots.send_if_modified(|b| {
            if b.is_none() {
                *b = Some(Arc::new(stored.to_vec()));
                true
            } else {
                false
            }
        });
        self.bots.subscribe()
    }

    /// The bots actor started or stopped.
    pub fn set_bots_running(&self, running: bool) {
        if running {
            self.bots_running.fetch_add(1, Ordering::Relaxed);
        } else {
            let _ = self
                .bots_running
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        }
    }

    /// The bots' live state changed: published to staff (`bots` frame) and kept for staff
    /// connections that open later.
    pub fn report_bots(&self, status: BotsStatus) {
        let Ok(mut current) = self.bots_status.lock() else {
            return;
        };
        if current.as_deref() == Some(&status) {
            return;
        }
        let status = Arc::new(status);
        *current = Some(status.clone());
        drop(current);
        self.bus.publish(Event::Bots(status));
    }

    /// The bots' live state, if a bots actor runs.
    pub fn bots_status(&self) -> Option<Arc<BotsStatus>> {
        self.bots_status.lock().ok().and_then(|s| s.clone())
    }

    /// An adapter's own outgoing queue was full and dropped its oldest line.
    pub fn count_dropped(&self, lines: u64) {
        self.sources.add_dropped(lines);
    }

    /// Lines dropped because a chat's outgoing queue was full.
    pub fn dropped_lines(&self) -> u64 {
        self.sources.dropped()
    }

    pub(crate) fn set_reloader(&self, reloader: Option<Reloader>) {
        if let Ok(mut r) = self.reload_extensions.write() {
            *r = reloader;
        }
    }

    /// The meeting's sources or chat rules changed in storage: the actor reads them again
    /// and the adapters restart with the new set.
    pub fn reload_streams(&self) {
        self.send(MeetingMsg::ReloadStreams);
        self.ask_tree(TreeRequest::ReloadExtensions);
    }

    fn ask_tree(&self, request: TreeRequest) {
        if let Ok(r) = self.reload_extensions.read()
            && let Some(ask) = r.as_ref()
        {
            ask(request);
        }
    }

    /// Stops the meeting's tree (connections close with "try again"); see
    /// [`crate::Engine::stop_meeting`], which also waits for it.
    pub(crate) fn stop_tree(&self, reason: &'static str) {
        self.ask_tree(TreeRequest::Stop(reason));
    }

    /// Replaces the plan through the meeting's actor, which knows what it reached before
    /// storage does: see [`librekast_storage::Store::replace_plan`].
    pub async fn edit_plan(
        &self,
        file: MeetingFile,
        editor: Option<UserId>,
    ) -> Result<Result<MeetingFile, StorageError>, EngineError> {
        // Asked once, never retried: a retry after a timeout could add the new items twice.
        let actor = self.actor().ok_or(EngineError::Unavailable)?;
        let file = Arc::new(file);
        self.slot.enqueued();
        match actor
            .call(
                |reply| MeetingMsg::EditPlan {
                    file: file.clone(),
                    editor,
                    reply,
                },
                Some(PLAN_EDIT_TIMEOUT),
            )
            .await
        {
            Ok(CallResult::Success(result)) => Ok(result),
            Ok(_) => Err(EngineError::Unavailable),
            Err(_) => {
                self.slot.dequeued();
                Err(EngineError::Unavailable)
            }
        }
    }

    /// The plan changed in storage (edited while no actor ran): the actor reads it again,
    /// keeping what it already reached.
    pub fn reload_plan(&self) {
        self.send(MeetingMsg::ReloadPlan);
    }

    /// How many leading activities the meeting reached (locked for editing).
    pub async fn reached(&self) -> Result<usize, EngineError> {
        self.ask(|reply| MeetingMsg::Reached { reply }).await
    }

    /// Every participant (removed ones excepted), in scoreboard order.
    pub async fn participants(&self) -> Result<Vec<ParticipantRow>, EngineError> {
        self.ask(|reply| MeetingMsg::Participants { reply }).await
    }

    /// The meeting as it is now, typed (an extension starting mid-meeting).
    pub async fn view(&self) -> Result<Arc<crate::event::MeetingView>, EngineError> {
        self.ask(|reply| MeetingMsg::View { reply }).await
    }

    /// The words hidden from an activity's cloud; `None`: no such activity.
    pub async fn hidden_words(
        &self,
        activity: ActivityId,
    ) -> Result<Option<Vec<String>>, EngineError> {
        self.ask(|reply| MeetingMsg::HiddenWords { activity, reply })
            .await
    }

    /// Whether a name holds one of the meeting's blocked words.
    pub async fn name_blocked(&self, name: &str) -> Result<bool, EngineError> {
        let name: Arc<str> = Arc::from(name);
        self.ask(|reply| MeetingMsg::NameBlocked {
            name: name.clone(),
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
            if let Some(actor) = self.actor() {
                self.slot.enqueued();
                match actor.call(&message, Some(self.ack_timeout)).await {
                    Ok(CallResult::Success(answer)) => return Ok(answer),
                    Ok(_) => {}
                    // Never sent.
                    Err(_) => self.slot.dequeued(),
                }
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        Err(EngineError::Unavailable)
    }

    /// Tells the actor an attendee joined (so the organizer sees them before they answer).
    pub fn joined(&self, attendee: AttendeeRecord) {
        self.send(MeetingMsg::Joined(attendee));
    }

    /// Test seam: makes the current actor panic inside a handler, as a bug would.
    #[doc(hidden)]
    pub fn inject_panic(&self) {
        self.send(MeetingMsg::InjectPanic);
    }
}

/// One open connection, counted while it lives.
pub struct Presence {
    handle: Arc<MeetingHandle>,
    audience: Audience,
    attendee: Option<AttendeeId>,
}

impl Drop for Presence {
    fn drop(&mut self) {
        if let Some(a) = self.attendee
            && let Ok(mut online) = self.handle.online_attendees.lock()
            && let Some(n) = online.get_mut(&a)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                online.remove(&a);
            }
        }
        self.handle.bus.count(self.audience, -1);
        self.handle.presence_changed();
    }
}
