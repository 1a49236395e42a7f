//! `MeetingActor`: the only writer of one meeting's live state. Answers, controls and chat
//! commands all pass through its mailbox, so every client sees changes in the order they
//! happened. It validates in memory, hands the rows to the [`Writer`] (which acks after the
//! commit) and publishes typed [`Event`]s on the meeting's [`Bus`]; tallies, word clouds,
//! standings and presence are coalesced.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use librekast_storage::{
    ActivityId, AttendeeId, AttendeeRecord, MeetingFile, MeetingId, Micros, Platform, StorageError,
    Store, UserId, WriteOp, now_micros,
};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::sync::oneshot;

use crate::access::Principal;
use crate::bus::Bus;
use crate::chat::{ChatMessage, ChatReport, Intent, parse_intent};
use crate::command::{Command, Moderation};
use crate::event::Event;
use crate::event::{ChatLine, Commanded, Heard, MeetingView};
use crate::meeting::Meeting;
use crate::meeting::ParticipantRow;
use crate::meeting::PendingReveal;
use crate::seen::SeenIds;
use crate::sources::SourceBoard;
use crate::transition::Control;
use crate::view::{Audience, Frame, Published, Snapshot};
use crate::wire::AckOk;
use crate::writer::{FailureHook, Job, Writer};
use crate::{AckResult, ErrorCode};

/// Where a meeting's current actor can be reached; empty while it restarts. Shared by the
/// meeting's handle (which sends to it) and its supervisor (which fills it).
/// It also counts the messages sent from outside waiting in the actor's mailbox (ractor's
/// mailbox does not tell its length), for the operations page.
#[derive(Debug, Default)]
pub struct ActorSlot {
    actor: RwLock<Option<ActorRef<MeetingMsg>>>,
    queued: Arc<AtomicUsize>,
}

impl ActorSlot {
    pub fn get(&self) -> Option<ActorRef<MeetingMsg>> {
        self.actor.read().ok().and_then(|a| a.clone())
    }

    pub fn set(&self, actor: Option<ActorRef<MeetingMsg>>) {
        if let Ok(mut slot) = self.actor.write() {
            // What waited for the previous actor died with it.
            if actor.is_some() {
                self.queued.store(0, Ordering::Relaxed);
            }
            *slot = actor;
        }
    }

    /// Messages from outside waiting in the current actor's mailbox.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Counts a message about to be sent (see [`MeetingMsg::counted`]).
    pub(crate) fn enqueued(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    /// A counted message that could not be sent, or that the actor took.
    pub(crate) fn dequeued(&self) {
        dequeue(&self.queued);
    }

    pub(crate) fn counter(&self) -> Arc<AtomicUsize> {
        self.queued.clone()
    }
}

fn dequeue(queued: &AtomicUsize) {
    let _ = queued.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
}

pub enum MeetingMsg {
    Command {
        principal: Principal,
        command: Command,
        reply: oneshot::Sender<AckResult>,
    },
    Snapshot {
        audience: Audience,
        attendee: Option<AttendeeRecord>,
        reply: RpcReplyPort<Snapshot>,
    },
    /// A batch of chat lines (see [`crate::MeetingHandle::chat`]). The reply carries what
    /// the lines did and, when they wrote anything, where their commit is acknowledged.
    Chat {
        lines: Arc<[ChatMessage]>,
        reply: RpcReplyPort<(ChatReport, Option<oneshot::Receiver<AckResult>>)>,
    },
    /// A chat source's status changed: the staff `state` must show it.
    SourcesChanged,
    /// The meeting's sources or chat rules changed in storage.
    ReloadStreams,
    /// A held reveal is due (the streams' delay after the close).
    Reveal(ActivityId),
    /// An activity's timer may have run out (staff may have added time since).
    Deadline(ActivityId),
    /// Replace the plan in storage, keeping what the meeting reached, then take it.
    EditPlan {
        file: Arc<MeetingFile>,
        editor: Option<UserId>,
        reply: RpcReplyPort<Result<MeetingFile, StorageError>>,
    },
    /// The plan changed in storage: take it, keeping what the meeting reached.
    ReloadPlan,
    /// How many leading activities the meeting reached (locked for editing).
    Reached {
        reply: RpcReplyPort<usize>,
    },
    Participants {
        reply: RpcReplyPort<Vec<ParticipantRow>>,
    },
    /// The meeting as it is now, typed (for extensions starting mid-meeting).
    View {
        reply: RpcReplyPort<Arc<MeetingView>>,
    },
    HiddenWords {
        activity: ActivityId,
        reply: RpcReplyPort<Option<Vec<String>>>,
    },
    NameBlocked {
        name: Arc<str>,
        reply: RpcReplyPort<bool>,
    },
    Joined(AttendeeRecord),
    /// Publish coalesced tallies, words and presence.
    Flush,
    Presence,
    /// A write of this meeting failed: memory may be ahead of storage, rebuild from storage.
    WriteFailed,
    #[doc(hidden)]
    InjectPanic,
}

impl MeetingMsg {
    /// Sent from outside (through the meeting's handle) and so counted in
    /// [`ActorSlot::queued`]; the actor's own timers are not.
    fn counted(&self) -> bool {
        !matches!(
            self,
            MeetingMsg::Reveal(_)
                | MeetingMsg::Deadline(_)
                | MeetingMsg::Flush
                | MeetingMsg::WriteFailed
        )
    }
}

pub struct MeetingArgs {
    pub id: MeetingId,
    pub bus: Arc<Bus>,
    pub store: Store,
    pub writer: Writer,
    pub flush_interval: Duration,
    /// The chat sources' statuses (shared with the handle).
    pub sources: Arc<SourceBoard>,
    /// Messages from outside waiting in its mailbox ([`ActorSlot::queued`]).
    pub queued: Arc<AtomicUsize>,
}

pub struct MeetingState {
    meeting: Meeting,
    args: MeetingArgs,
    tally_dirty: bool,
    words_dirty: bool,
    items_dirty: bool,
    /// People joined since the last `lobby` frame.
    lobby_dirty: bool,
    scoreboard_dirty: bool,
    /// Scores changed since the last standings were published (a flag capture).
    standings_dirty: bool,
    flush_scheduled: bool,
    last_online: i64,
    /// The current state, rendered per audience on demand; valid until the next change.
    cache: Option<Arc<Published>>,
    /// Tells this actor (whichever runs) that one of its writes failed.
    on_write_failure: FailureHook,
    /// Chat message ids already handled.
    seen: SeenIds,
}

pub struct MeetingActor;

/// How much a large audience widens the coalescing window (see [`coalescing_window`]).
const MAX_WIDENING: Duration = Duration::from_millis(400);

/// The coalescing window of tallies, words and presence. Each publication costs one write per
/// connected participant, so it widens with the audience: `base` (100 ms by default) alone,
/// +40 ms per 1,000 participants, at most +400 ms. A burst then pays for a few fan-outs
/// instead of one every 100 ms, and the final tally still reaches everyone well within a
/// second. (The load test's floor uses the same window.)
pub fn coalescing_window(base: Duration, participants: u64) -> Duration {
    base + Duration::from_micros(participants.saturating_mul(40)).min(MAX_WIDENING)
}

/// `!commands` of one batch whose viewer's rank is looked up (a linear pass each); later
/// ones carry neither (replies read `-`): a flood of `!score` never stalls the meeting.
const RANKED_COMMANDS: usize = 32;

/// Chat lines of one batch shown to staff and displays at most (the latest): at thousands
/// of messages a second the dashboard shows a sample, not a flood.
pub const CHAT_SHOWN_PER_BATCH: usize = 20;

/// The chat ids counted in the last 24 hours (a failed read only loses deduplication of
/// replays older than this start: one vote per viewer still holds).
async fn load_seen(args: &MeetingArgs) -> SeenIds {
    let mut seen = SeenIds::default();
    let since = now_micros() - librekast_storage::CHAT_SEEN_MICROS;
    match args.store.chat_seen_since(args.id, since).await {
        Ok(rows) => rows
            .into_iter()
            .for_each(|(p, id, at)| seen.counted(p, &id, at)),
        Err(e) => {
            tracing::warn!(meeting_id = %args.id, actor = "meeting", error = %e, "could not load the chat ids already counted")
        }
    }
    seen
}

/// Loads the meeting after every write queued before now has landed, so a restarted actor
/// never misses an answer that was acknowledged by its predecessor.
async fn load(args: &MeetingArgs) -> Result<Meeting, ActorProcessingErr> {
    args.writer.barrier().await;
    let loaded = args.store.load_meeting(args.id).await?;
    Ok(Meeting::from_loaded(loaded))
}

impl Actor for MeetingActor {
    type Msg = MeetingMsg;
    type State = MeetingState;
    type Arguments = MeetingArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<MeetingMsg>,
        args: MeetingArgs,
    ) -> Result<MeetingState, ActorProcessingErr> {
        let meeting = load(&args).await?;
        let seen = load_seen(&args).await;
        let me = myself.clone();
        let on_write_failure: FailureHook = Arc::new(move || {
            let _ = me.send_message(MeetingMsg::WriteFailed);
        });
        let mut state = MeetingState {
            meeting,
            args,
            tally_dirty: false,
            words_dirty: false,
            items_dirty: false,
            lobby_dirty: false,
            scoreboard_dirty: false,
            standings_dirty: false,
            flush_scheduled: false,
            last_online: -1,
            cache: None,
            on_write_failure,
            seen,
        };
        // The server stopped while a reveal waited for the streams: reveal now.
        if state.meeting.interrupted_reveal()
            && let Some(a) = state.meeting.current()
        {
            let activity = a.id;
            state.meeting.pending_reveal = Some(PendingReveal {
                activity,
                closed_at: 0,
                reveal_at: 0,
            });
            let _ = myself.send_message(MeetingMsg::Reveal(activity));
        }
        // A timer that ran while the server was down closes now; one still running is
        // scheduled again (`closes_at` is stored).
        state.schedule_deadline(&myself);
        // Connections that outlived a crashed predecessor converge on the rebuilt state.
        state.publish_everything();
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<MeetingMsg>,
        msg: MeetingMsg,
        state: &mut MeetingState,
    ) -> Result<(), ActorProcessingErr> {
        if msg.counted() {
            dequeue(&state.args.queued);
        }
        match msg {
            MeetingMsg::Command {
                principal,
                command,
                reply,
            } => {
                state.command(&myself, principal, command, reply).await;
            }
            MeetingMsg::Snapshot {
                audience,
                attendee,
                reply,
            } => {
                let you = attendee.map(|a| {
                    if state.meeting.know_attendee(a.id, &a.name, a.platform) {
                        state.cache = None;
                    }
                    a.id
                });
                let snapshot = state.snapshot(audience, you);
                let _ = reply.send(snapshot);
            }
            MeetingMsg::Chat { lines, reply } => {
                let outcome = state.chat(&myself, &lines).await;
                let _ = reply.send(outcome);
            }
            MeetingMsg::SourcesChanged => state.cache = None,
            MeetingMsg::ReloadStreams => match state.args.store.meeting(state.meeting.id).await {
                Ok(Some(m)) => {
                    state.meeting.set_streams(m.sources, m.chat);
                    let platforms = state.meeting.source_platforms();
                    state.args.sources.retain(&platforms);
                    state.cache = None;
                    state.publish_state();
                    state.publish_tally_and_words();
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(meeting_id = %state.meeting.id, actor = "meeting", error = %e, "could not reload the chat sources")
                }
            },
            MeetingMsg::EditPlan {
                file,
                editor,
                reply,
            } => {
                let reached = state.meeting.reached();
                let result = state
                    .args
                    .store
                    .replace_plan(state.meeting.id, &file, reached, editor)
                    .await;
                if result.is_ok() {
                    tracing::info!(meeting_id = %state.meeting.id, actor = "meeting", reached, activities = file.activities.len(), "plan edited");
                    state.reload_plan(reached).await;
                }
                let _ = reply.send(result);
            }
            MeetingMsg::ReloadPlan => {
                let reached = state.meeting.reached();
                state.reload_plan(reached).await;
            }
            MeetingMsg::Reached { reply } => {
                let _ = reply.send(state.meeting.reached());
            }
            MeetingMsg::Participants { reply } => {
                let _ = reply.send(state.meeting.participants());
            }
            MeetingMsg::View { reply } => {
                let _ = reply.send(state.current_view());
            }
            MeetingMsg::HiddenWords { activity, reply } => {
                let _ = reply.send(state.meeting.hidden_words(activity));
            }
            MeetingMsg::NameBlocked { name, reply } => {
                let _ = reply.send(state.meeting.is_blocked(&name));
            }
            MeetingMsg::Reveal(activity) => {
                if state
                    .meeting
                    .pending_reveal
                    .is_some_and(|p| p.activity == activity)
                {
                    let (tx, _rx) = oneshot::channel();
                    state
                        .apply_control(&myself, Control::Results, None, tx)
                        .await;
                }
            }
            MeetingMsg::Deadline(activity) => match state.meeting.deadline() {
                Some((open, closes_at)) if open == activity => {
                    if closes_at <= now_micros() {
                        tracing::info!(meeting_id = %state.meeting.id, actor = "meeting", activity = %activity, "time is up");
                        let expect = crate::meeting::Expect {
                            status: state.meeting.status,
                            position: state.meeting.position,
                        };
                        let (tx, _rx) = oneshot::channel();
                        state
                            .apply_control(&myself, Control::Results, Some(expect), tx)
                            .await;
                    } else {
                        // Staff added time: look again when the new deadline comes.
                        state.schedule_deadline(&myself);
                    }
                }
                _ => {}
            },
            MeetingMsg::Joined(a) => {
                // A new attendee changes the scoreboard: drop the cached snapshot (no
                // broadcast to participants: a join must not cost a frame to everyone; the
                // lobby reaches staff and displays once per coalescing window).
                if state.meeting.ensure_attendee(a.id, &a.name, a.platform) {
                    state.cache = None;
                    state.lobby_dirty = true;
                }
                state.mark(&myself, Dirty::Presence);
            }
            MeetingMsg::Presence => state.mark(&myself, Dirty::Presence),
            MeetingMsg::Flush => state.flush(),
            MeetingMsg::WriteFailed => {
                tracing::warn!(meeting_id = %state.meeting.id, actor = "meeting", "rebuilding from storage after a failed write");
                state.meeting = load(&state.args).await?;
                state.publish_everything();
            }
            MeetingMsg::InjectPanic => {
                panic!("injected panic in meeting {}", state.meeting.id);
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Dirty {
    Tally,
    Words,
    /// Posts or upvotes of the current open question or Q&A.
    Items,
    /// The scoreboard changed (a flag capture): whoever sees it gets a new state.
    Scoreboard,
    Presence,
}

impl MeetingState {
    fn bus(&self) -> &Bus {
        &self.args.bus
    }

    /// The meeting's view with each configured chat source's latest status.
    fn view(&self) -> crate::event::MeetingView {
        let mut view = self.meeting.view();
        let reported = self.args.sources.all();
        view.sources = self
            .meeting
            .sources
            .iter()
            .map(|s| {
                let platform = s.source.platform().code();
                reported
                    .iter()
                    .find(|r| r.platform == platform)
                    .cloned()
                    .unwrap_or_else(|| crate::event::AdapterStatus {
                        platform,
                        status: "connecting".into(),
                        message: String::new(),
                        target: Some(s.source.target()),
                        quota: None,
                    })
            })
            .collect();
        view
    }

    async fn command(
        &mut self,
        myself: &ActorRef<MeetingMsg>,
        principal: Principal,
        command: Command,
        reply: oneshot::Sender<AckResult>,
    ) {
        let now = now_micros();
        // Permissions were checked by the caller (`Principal::can`); here only participants
        // can answer and only staff can control, whoever forgot to check.
        let attendee = match &principal {
            Principal::Participant {
                attendee,
                name,
                platform,
                ..
            } => {
                if self.meeting.know_attendee(*attendee, name, *platform) {
                    self.cache = None;
                }
                Some(*attendee)
            }
            Principal::Staff { .. } => None,
            Principal::Display { .. } => return refuse(reply, ErrorCode::Forbidden),
        };
        let (ops, ok) = match (command, attendee) {
            (Command::Control(control, expect), None) => {
                return self.apply_control(myself, control, expect, reply).await;
            }
            (Command::Control(..), Some(_)) => return refuse(reply, ErrorCode::Forbidden),
            (Command::Moderate(m), None) => {
                return self.moderate(&principal, m, reply).await;
            }
            (Command::Moderate(..), Some(_)) => return refuse(reply, ErrorCode::Forbidden),
            (Command::AddTime { secs }, None) => match self.meeting.add_time(secs, now) {
                Ok((activity, closes_at, op)) => {
                    self.cache = None;
                    self.publish_state();
                    self.schedule_deadline(myself);
                    tracing::info!(meeting_id = %self.meeting.id, actor = "meeting", activity = %activity, secs, closes_at, "time added");
                    (vec![op], AckOk::Plain)
                }
                Err(code) => return refuse(reply, code),
            },
            (Command::AddTime { .. }, Some(_)) => return refuse(reply, ErrorCode::Forbidden),
            (
                Command::ModeratePost {
                    question_id,
                    item_id,
                    action,
                },
                None,
            ) => match self.meeting.moderate_post(question_id, item_id, action) {
                Ok(op) => {
                    let by = match &principal {
                        Principal::Staff { username, .. } => username.as_str(),
                        _ => "",
                    };
                    tracing::info!(meeting_id = %self.meeting.id, actor = "meeting", by, action = action.as_str(), activity = question_id.0, item = item_id, "moderation");
                    if op.is_some() {
                        // A moderator waits for this one: no coalescing window.
                        self.cache = None;
                        self.publish_items();
                    }
                    (op.into_iter().collect(), AckOk::Plain)
                }
                Err(code) => return refuse(reply, code),
            },
            (Command::Sounds { on }, None) => match self.meeting.set_sounds(on) {
                Some(op) => {
                    tracing::info!(meeting_id = %self.meeting.id, actor = "meeting", sounds = on, "sounds");
                    self.publish_state();
                    (vec![op], AckOk::Plain)
                }
                None => return acknowledge(reply),
            },
            (Command::ModeratePost { .. } | Command::Sounds { .. }, Some(_)) => {
                return refuse(reply, ErrorCode::Forbidden);
            }
            (_, None) => return refuse(reply, ErrorCode::Forbidden),
            (
                Command::Post {
                    question_id,
                    text,
                    kind,
                },
                Some(a),
            ) => match self.meeting.post(a, question_id, kind, &text, now) {
                Ok((number, op)) => {
                    self.mark(myself, Dirty::Items);
                    let answer = self
                        .meeting
                        .current()
                        .is_some_and(|a| a.kind == librekast_storage::ActivityKind::TextAnswer);
                    (vec![op], AckOk::Item { id: number, answer })
                }
                Err(code) => return refuse(reply, code),
            },
            (
                Command::Upvote {
                    question_id,
                    item_id,
                },
                Some(a),
            ) => match self.meeting.upvote(a, question_id, item_id, now) {
                Ok(op) => {
                    self.mark(myself, Dirty::Items);
                    (vec![op], AckOk::Plain)
                }
                Err(code) => return refuse(reply, code),
            },
            (
                Command::Vote {
                    question_id,
                    choice_ids,
                },
                Some(a),
            ) => match self.meeting.vote(a, question_id, &choice_ids, now) {
                Ok(ops) => {
                    self.mark(myself, Dirty::Tally);
                    (ops, AckOk::Plain)
                }
                Err(code) => return refuse(reply, code),
            },
            (
                Command::Rate {
                    question_id,
                    rating,
                },
                Some(a),
            ) => match self.meeting.rate(a, question_id, &rating, now) {
                Ok(ops) => {
                    self.mark(myself, Dirty::Tally);
                    (ops, AckOk::Plain)
                }
                Err(code) => return refuse(reply, code),
            },
            (Command::Word { question_id, text }, Some(a)) => {
                match self.meeting.word(a, question_id, &text, now) {
                    Ok(Some(op)) => {
                        self.mark(myself, Dirty::Words);
                        (vec![op], AckOk::Plain)
                    }
                    Ok(None) => return acknowledge(reply),
                    Err(code) => return refuse(reply, code),
                }
            }
            (Command::Flag { code }, Some(a)) => {
                let outcome = self.meeting.flag(a, &code, now);
                if let Some(attempt) = outcome.attempt {
                    self.bus().publish(Event::FlagAttempt(Arc::new(attempt)));
                }
                match outcome.result {
                    Ok(ack) => {
                        // The capturer learns its score from the ack; everyone's rank follows
                        // within one coalescing window, and so does the scoreboard of
                        // whoever sees it.
                        self.standings_dirty = true;
                        self.mark(myself, Dirty::Scoreboard);
                        (outcome.ops, AckOk::Flag(ack))
                    }
                    Err(code) => {
                        // The attempt is still logged; the ack does not wait for it.
                        self.write(outcome.ops, None, Ok(AckOk::Plain)).await;
                        return refuse(reply, code);
                    }
                }
            }
        };
        if attendee.is_some() && !ops.is_empty() {
            self.count_answer(attendee, &ops);
        }
        self.write(ops, Some(reply), Ok(ok)).await;
    }

    /// Counts an accepted answer for operators: its activity's kind and where the attendee
    /// is (a flag capture counts as `flag`).
    fn count_answer(&self, attendee: Option<AttendeeId>, ops: &[WriteOp]) {
        let kind = match ops.first() {
            Some(WriteOp::Capture { .. }) => "flag",
            _ => self.meeting.current().map_or("none", |a| a.kind.wire()),
        };
        let platform = attendee
            .and_then(|a| self.meeting.attendees.get(&a))
            .map_or("room", |a| a.platform.code());
        self.args.writer.metrics().answer(kind, platform);
    }

    /// A moderation action: applied in memory, seen on every screen, acked once stored.
    async fn moderate(
        &mut self,
        principal: &Principal,
        action: Moderation,
        reply: oneshot::Sender<AckResult>,
    ) {
        let by = match principal {
            Principal::Staff { username, .. } => username.as_str(),
            _ => "",
        };
        let meeting_id = self.meeting.id;
        let what = action.as_str();
        let op = match action {
            Moderation::Rename { attendee, name } => {
                match self.meeting.moderator_rename(attendee, &name) {
                    Ok(Some(op)) => {
                        tracing::info!(meeting_id = %meeting_id, actor = "meeting", by, action = what, attendee = attendee.0, name = %name, "moderation");
                        self.bus()
                            .publish(Event::Renamed(attendee, Arc::from(name.as_str())));
                        self.publish_state();
                        op
                    }
                    Ok(None) => return acknowledge(reply),
                    Err(code) => return refuse(reply, code),
                }
            }
            Moderation::Remove { attendee } => match self.meeting.remove_attendee(attendee) {
                Ok(op) => {
                    tracing::info!(meeting_id = %meeting_id, actor = "meeting", by, action = what, attendee = attendee.0, "moderation");
                    self.bus().publish(Event::Removed(attendee));
                    self.publish_everything();
                    op
                }
                Err(code) => return refuse(reply, code),
            },
            Moderation::HideWord {
                activity,
                word,
                hide,
            } => match self.meeting.hide_word(activity, &word, hide) {
                Ok(op) => {
                    tracing::info!(meeting_id = %meeting_id, actor = "meeting", by, action = what, activity = activity.0, word = %word, "moderation");
                    self.cache = None;
                    self.publish_tally_and_words();
                    op
                }
                Err(code) => return refuse(reply, code),
            },
            Moderation::BlockWords { words } => {
                tracing::info!(meeting_id = %meeting_id, actor = "meeting", by, action = what, words = words.len(), "moderation");
                self.meeting.block_words(words)
            }
        };
        self.write(vec![op], Some(reply), Ok(AckOk::Plain)).await;
    }

    /// Takes the stored plan, keeping the first `reached` activities as they are in memory.
    async fn reload_plan(&mut self, reached: usize) {
        match self.args.store.plan_records(self.meeting.id).await {
            Ok(plan) => {
                self.meeting
                    .apply_plan(plan.meeting, plan.activities, plan.flags, reached);
                let platforms = self.meeting.source_platforms();
                self.args.sources.retain(&platforms);
                self.publish_everything();
            }
            Err(e) => {
                tracing::warn!(meeting_id = %self.meeting.id, actor = "meeting", error = %e, "could not reload the plan");
            }
        }
    }

    /// Applies a control (from staff, or a held reveal coming due) and acks it once written.
    /// Wakes this actor when the open activity's timer runs out (a message checks it then:
    /// added time or a control meanwhile make it a no-op).
    fn schedule_deadline(&self, myself: &ActorRef<MeetingMsg>) {
        if let Some((activity, closes_at)) = self.meeting.deadline() {
            let wait = Duration::from_micros(u64::try_from(closes_at - now_micros()).unwrap_or(0));
            myself.send_after(wait, move || MeetingMsg::Deadline(activity));
        }
    }

    async fn apply_control(
        &mut self,
        myself: &ActorRef<MeetingMsg>,
        control: Control,
        expect: Option<crate::meeting::Expect>,
        reply: oneshot::Sender<AckResult>,
    ) {
        match self.meeting.control_if(control, expect) {
            Ok(outcome) => {
                self.cache = None;
                // Standings first: connections render `you` in the state frame from them.
                if !outcome.awards.is_empty() {
                    self.publish_standings(&outcome.awards, true);
                }
                self.publish_state();
                self.publish_tally_and_words();
                if outcome.deadline.is_some() {
                    self.schedule_deadline(myself);
                }
                if let Some(held) = outcome.held {
                    let wait = Duration::from_micros(
                        u64::try_from(held.reveal_at - held.closed_at).unwrap_or(0),
                    );
                    myself.send_after(wait, move || MeetingMsg::Reveal(held.activity));
                    tracing::info!(meeting_id = %self.meeting.id, actor = "meeting", control = control.as_str(), delay_ms = wait.as_millis() as u64, "closed; reveal held for the streams' delay");
                } else {
                    tracing::info!(meeting_id = %self.meeting.id, actor = "meeting", control = control.as_str(), status = self.meeting.status.wire(), position = self.meeting.position, "control applied");
                }
                self.write(outcome.ops, Some(reply), Ok(AckOk::Plain)).await;
            }
            Err(code) => refuse(reply, code),
        }
    }

    /// Applies a batch of chat lines: lines seen before are skipped; new viewers who answer
    /// become attendees (one bulk upsert); `#slug` votes on the open poll or quiz, `#word`
    /// adds to the open word cloud, `PREFIX{code}` captures a flag. All the answers of the
    /// batch, and the ids of the lines that counted, go to the writer as one job.
    async fn chat(
        &mut self,
        myself: &ActorRef<MeetingMsg>,
        lines: &[ChatMessage],
    ) -> (ChatReport, Option<oneshot::Receiver<AckResult>>) {
        let mut report = ChatReport {
            lines: lines.len(),
            ..ChatReport::default()
        };
        let now = now_micros();
        self.seen.prune(now);
        let (rules, flag_prefix) = (self.meeting.chat.clone(), self.meeting.flag_prefix.clone());
        // Lines not seen before (within the batch too), with what they ask for.
        let mut fresh: Vec<(&ChatMessage, Intent, Micros)> = Vec::with_capacity(lines.len());
        let mut batch_ids = HashSet::new();
        for line in lines {
            if let Some(id) = &line.id
                && (self.seen.contains(line.platform, id)
                    || !batch_ids.insert((line.platform, id.as_str())))
            {
                report.duplicates += 1;
                continue;
            }
            let at = if line.at > 0 { line.at } else { now };
            fresh.push((line, parse_intent(&line.text, &rules, &flag_prefix), at));
        }
        {
            let mut new: HashMap<Platform, Vec<(String, String)>> = HashMap::new();
            let mut seen = HashSet::new();
            for (line, intent, at) in &fresh {
                // Only viewers whose answer can count get a seat (not `#zz`, not too late).
                let wanted = match intent {
                    Intent::Answer(answer) => self.meeting.chat_reading(answer, *at).is_some(),
                    // A wrong flag from chat gives no seat (no scoreboard row at 0 points).
                    Intent::Flag(code) => self.meeting.has_flag(code),
                    _ => false,
                };
                if wanted
                    && self.meeting.viewer(line.platform, &line.user_id).is_none()
                    && seen.insert((line.platform, line.user_id.as_str()))
                {
                    let name =
                        self.meeting
                            .viewer_name(line.platform, &line.user_id, &line.user_name);
                    new.entry(line.platform)
                        .or_default()
                        .push((line.user_id.clone(), name));
                }
            }
            for (platform, viewers) in new {
                match self
                    .args
                    .store
                    .upsert_attendees(self.meeting.id, platform, &viewers)
                    .await
                {
                    Ok(records) => {
                        records.iter().for_each(|r| self.meeting.add_viewer(r));
                        self.lobby_dirty |= !records.is_empty();
                    }
                    // Their answers are refused below; the next batch tries again.
                    Err(e) => {
                        tracing::warn!(meeting_id = %self.meeting.id, actor = "meeting", error = %e, "could not record chat viewers")
                    }
                }
                self.cache = None;
            }
        }
        let mut ops = Vec::new();
        // The ids of the lines that counted go after all the answers, in the same job (so
        // in the same transaction): interleaved, answer and id would each be a one-row
        // INSERT instead of two multi-row ones (measured: 22,000 → 33,000 messages/s
        // through the Twitch adapter).
        let mut seen_ops = Vec::new();
        let mut shown: VecDeque<ChatLine> = VecDeque::new();
        let mut heard = Heard::default();
        for (line, intent, at) in fresh {
            if intent == Intent::Bot {
                // Our bots' own lines (their echo): the bots actor showed them already.
                report.other += 1;
                if let Some(id) = &line.id {
                    self.seen.talk(line.platform, id);
                }
                continue;
            }
            heard.lines += 1;
            if let Intent::Command { name, args } = &intent {
                let seat = self
                    .meeting
                    .viewer(line.platform, &line.user_id)
                    .filter(|_| heard.commands.len() < RANKED_COMMANDS)
                    .and_then(|a| self.meeting.you(a));
                heard.commands.push(Commanded {
                    platform: line.platform,
                    user_id: line.user_id.clone(),
                    user_name: line.user_name.clone(),
                    name: name.clone(),
                    args: args.clone(),
                    score: seat.as_ref().map(|y| y.score),
                    rank: seat.map(|y| y.rank),
                });
            }
            let viewer = self.meeting.viewer(line.platform, &line.user_id);
            let name = self
                .meeting
                .viewer_name(line.platform, &line.user_id, &line.user_name);
            if let Some(a) = viewer
                && let Some(op) = self.meeting.rename(a, &name)
            {
                ops.push(op);
                self.cache = None;
            }
            // A line with a blocked word never reaches a screen: the chat overlay is on
            // stream. A vote in it still counts (words are checked where they are added).
            let hidden = self.meeting.is_blocked(&line.text);
            if !hidden {
                shown.push_back(ChatLine {
                    platform: line.platform.code(),
                    user_name: name,
                    text: line
                        .text
                        .chars()
                        .take(crate::chat::MAX_CHAT_CHARS)
                        .collect(),
                    badges: line.badges.names(),
                    bot: false,
                });
            }
            if shown.len() > CHAT_SHOWN_PER_BATCH {
                shown.pop_front();
            }
            let flag_line = matches!(intent, Intent::Flag(_));
            let counted = match (intent, viewer) {
                (Intent::Answer(answer), Some(attendee)) => {
                    let result = match self.meeting.chat_reading(&answer, at) {
                        Some(reading) => self.meeting.chat_answer(attendee, reading, at),
                        None => Err(ErrorCode::NotOpen),
                    };
                    match result {
                        Ok(new) if !new.is_empty() => {
                            match new[0] {
                                WriteOp::Word { .. } => report.words += 1,
                                WriteOp::Post { .. } | WriteOp::Upvote { .. } => report.posts += 1,
                                _ => report.votes += 1,
                            }
                            ops.extend(new);
                            true
                        }
                        Ok(_) | Err(_) => {
                            report.refused += 1;
                            false
                        }
                    }
                }
                (Intent::Flag(code), Some(attendee)) => {
                    let outcome = self.meeting.flag(attendee, &code, at);
                    match outcome.result {
                        Ok(_) => {
                            if let Some(attempt) = outcome.attempt {
                                self.bus().publish(Event::FlagAttempt(Arc::new(attempt)));
                            }
                            ops.extend(outcome.ops);
                            report.flags += 1;
                            self.standings_dirty = true;
                            self.mark(myself, Dirty::Scoreboard);
                            true
                        }
                        Err(_) => {
                            // Wrong flags from chat are not reported to staff one by one
                            // (a stream's chat would flood the list), nor logged.
                            if outcome.attempt.is_some() {
                                self.meeting.recent_attempts.pop_back();
                            }
                            report.refused += 1;
                            false
                        }
                    }
                }
                (Intent::Answer(_) | Intent::Flag(_), None) => {
                    report.refused += 1;
                    false
                }
                _ => {
                    report.other += 1;
                    false
                }
            };
            if counted {
                let kind = if flag_line {
                    "flag"
                } else {
                    self.meeting.current().map_or("none", |a| a.kind.wire())
                };
                self.args
                    .writer
                    .metrics()
                    .answer(kind, line.platform.code());
            }
            if let Some(id) = &line.id {
                if counted {
                    self.seen.counted(line.platform, id, at);
                    seen_ops.push(WriteOp::ChatSeen {
                        meeting: self.meeting.id,
                        platform: line.platform,
                        message_id: id.clone(),
                        at,
                    });
                } else {
                    self.seen.talk(line.platform, id);
                }
            }
        }
        ops.append(&mut seen_ops);
        for line in shown {
            self.bus().publish(Event::Chat(Arc::new(line)));
        }
        if heard.lines > 0 {
            self.bus().publish(Event::Heard(Arc::new(heard)));
        }
        if report.votes > 0 {
            self.mark(myself, Dirty::Tally);
        }
        if report.words > 0 {
            self.mark(myself, Dirty::Words);
        }
        if report.posts > 0 {
            self.mark(myself, Dirty::Items);
        }
        if ops.is_empty() {
            return (report, None);
        }
        let (tx, rx) = oneshot::channel();
        self.write(ops, Some(tx), Ok(AckOk::Plain)).await;
        (report, Some(rx))
    }

    async fn write(
        &self,
        ops: Vec<WriteOp>,
        reply: Option<oneshot::Sender<AckResult>>,
        ok: AckResult,
    ) {
        if ops.is_empty() {
            if let Some(r) = reply {
                let _ = r.send(ok);
            }
            return;
        }
        let job = Job::new(ops, reply, ok, Some(self.on_write_failure.clone()));
        self.args.writer.submit(job).await;
    }

    fn mark(&mut self, myself: &ActorRef<MeetingMsg>, what: Dirty) {
        match what {
            Dirty::Tally => self.tally_dirty = true,
            Dirty::Words => self.words_dirty = true,
            Dirty::Items => self.items_dirty = true,
            Dirty::Scoreboard => self.scoreboard_dirty = true,
            Dirty::Presence => {}
        }
        if !matches!(what, Dirty::Presence) {
            self.cache = None;
        }
        if !self.flush_scheduled {
            self.flush_scheduled = true;
            myself.send_after(self.flush_delay(), || MeetingMsg::Flush);
        }
    }

    fn flush_delay(&self) -> Duration {
        let online = self.bus().participants().max(0) as u64;
        coalescing_window(self.args.flush_interval, online)
    }

    fn flush(&mut self) {
        self.flush_scheduled = false;
        if self.standings_dirty {
            self.publish_standings(&[], false);
        }
        if self.scoreboard_dirty {
            self.scoreboard_dirty = false;
            let view = Arc::new(self.view());
            self.cache = Some(Published::new(Event::State(view.clone())));
            self.bus().publish(Event::Scoreboard(view));
        }
        if self.tally_dirty || self.words_dirty || self.items_dirty {
            self.publish_tally_and_words();
        }
        if self.lobby_dirty {
            self.lobby_dirty = false;
            self.bus()
                .publish(Event::Lobby(Arc::new(self.meeting.lobby())));
        }
        let online = self.bus().participants();
        if online != self.last_online {
            self.last_online = online;
            self.bus().publish(Event::Presence {
                participants: online,
            });
        }
    }

    fn publish_state(&mut self) {
        self.args
            .sources
            .set_ended(self.meeting.status == librekast_storage::MeetingStatus::After);
        // A capture's new ranks must reach connections before the state that shows them.
        if self.standings_dirty {
            self.publish_standings(&[], true);
        }
        self.scoreboard_dirty = false;
        let published = self.bus().publish(Event::State(Arc::new(self.view())));
        self.cache = Some(published);
    }

    fn publish_tally_and_words(&mut self) {
        self.tally_dirty = false;
        self.words_dirty = false;
        if let Some(tally) = self.meeting.tally() {
            self.bus().publish(Event::Tally(Arc::new(tally)));
        }
        if let Some(words) = self.meeting.words() {
            self.bus().publish(Event::Words(Arc::new(words)));
        }
        self.publish_items();
    }

    fn publish_items(&mut self) {
        self.items_dirty = false;
        if let Some(items) = self.meeting.items() {
            self.bus().publish(Event::Items(Arc::new(items)));
        }
    }

    /// Everyone's score and rank (one sort of the attendees), with the awards of the quiz
    /// that just closed. Published before the `state` that shows them, when one follows.
    fn publish_standings(&mut self, awards: &[(AttendeeId, ActivityId, i64)], state_follows: bool) {
        self.standings_dirty = false;
        let mut standings = self.meeting.standings(awards);
        standings.state_follows = state_follows;
        self.bus().publish(Event::Standings(Arc::new(standings)));
    }

    fn publish_everything(&mut self) {
        self.cache = None;
        self.publish_standings(&[], true);
        self.publish_state();
        self.publish_tally_and_words();
    }

    fn current_state(&mut self) -> Arc<Published> {
        match &self.cache {
            Some(c) => c.clone(),
            None => {
                let c = Published::new(Event::State(Arc::new(self.view())));
                self.cache = Some(c.clone());
                c
            }
        }
    }

    fn current_view(&mut self) -> Arc<MeetingView> {
        match self.current_state().event() {
            Event::State(v) => v.clone(),
            _ => Arc::new(self.view()),
        }
    }

    fn snapshot(&mut self, audience: Audience, you: Option<AttendeeId>) -> Snapshot {
        let current = self.current_state();
        let state = match current.frame(audience) {
            Some(Frame::State(s)) => s.clone(),
            // A `State` event always renders as a state frame; keep the type system honest.
            _ => Arc::new(crate::wire::StateFrame::from_object(String::from("{}"))),
        };
        Snapshot {
            state,
            you: you.and_then(|id| self.meeting.you(id)),
        }
    }
}

fn refuse(reply: oneshot::Sender<AckResult>, code: ErrorCode) {
    let _ = reply.send(Err(code));
}

fn acknowledge(reply: oneshot::Sender<AckResult>) {
    let _ = reply.send(Ok(AckOk::Plain));
}
