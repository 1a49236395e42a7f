//! `MeetingSupervisor`: the small supervision tree of one running meeting, its
//! `MeetingActor` plus its extensions (chat adapters, bots). Policy:
//! - a failed child is restarted after the delay its [`RestartPolicy`] gives (the meeting
//!   actor: [`RestartPolicy::MEETING`]; extensions: [`RestartPolicy::EXTENSION`], with jitter);
//! - the meeting actor's budget spent → the whole tree stops (connections are told to
//!   reconnect; the next request starts it afresh from storage); an extension's budget
//!   spent → that extension stays stopped, the meeting runs on;
//! - no connection and no extension that keeps it alive for the idle time
//!   ([`crate::EngineConfig::idle`]) → the tree stops and its memory is freed.
//!
//! Every event is logged with `meeting_id` and `actor` (`meeting`, `adapter`, `bot`), and
//! extensions with `adapter` / `bot` = their name.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use librekast_storage::{MeetingId, Store};
use ractor::{Actor, ActorCell, ActorId, ActorProcessingErr, ActorRef, SupervisionEvent};

use crate::actor::{ActorSlot, MeetingActor, MeetingArgs};
use crate::bus::Bus;
use crate::config::EngineConfig;
use crate::event::Event;
use crate::extension::{Extension, ExtensionContext, ExtensionKind};
use crate::handle::{MeetingHandle, TreeRequest};
use crate::journal::{Entry, Level, Step};
use crate::restart::{Decision, RestartPolicy, Restarts};
use crate::tree_board::TreeBoard;
use crate::writer::Writer;

pub enum SupervisorMsg {
    IdleCheck,
    RespawnMeeting,
    /// Restart extension `index` of generation `generation` (a reload starts a new one, so
    /// restarts scheduled for the old set are ignored).
    RespawnExtension {
        generation: u64,
        index: usize,
    },
    /// The meeting's sources changed: stop every extension and start the new set.
    ReloadExtensions,
    /// Stop the tree (the meeting is reset or deleted).
    Stop(&'static str),
}

pub struct SupervisorArgs {
    pub id: MeetingId,
    pub bus: Arc<Bus>,
    pub slot: Arc<ActorSlot>,
    pub handle: Arc<MeetingHandle>,
    pub store: Store,
    pub writer: Writer,
    pub config: EngineConfig,
}

/// Which child an actor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Child {
    Meeting,
    Extension(usize),
}

pub struct SupervisorState {
    args: SupervisorArgs,
    extensions: Vec<Arc<dyn Extension>>,
    children: HashMap<ActorId, (Child, ActorCell)>,
    meeting_restarts: Restarts,
    extension_restarts: Vec<Restarts>,
    /// Bumped by every reload of the extensions.
    generation: u64,
    idle_since: Option<Instant>,
}

pub struct MeetingSupervisor;

/// How often idleness is checked: a quarter of the idle time, between 50 ms and 30 s.
fn idle_check_period(idle: Duration) -> Duration {
    (idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(30))
}

fn extension_fields(ext: &dyn Extension) -> (&'static str, String) {
    let actor = match ext.kind() {
        ExtensionKind::Adapter => "adapter",
        ExtensionKind::Bot => "bot",
    };
    (actor, ext.name())
}

/// A supervision event of an extension (`actor` = `adapter` or `bot`, `name` = its name).
fn extension_entry(ext: &dyn Extension, level: Level, step: Step, message: &str) -> Entry {
    let (actor, name) = extension_fields(ext);
    Entry::new(level, actor, step, message).name(name)
}

impl SupervisorState {
    /// Logs and keeps a supervision event of this meeting.
    fn note(&self, entry: Entry) {
        self.args
            .writer
            .metrics()
            .journal
            .record(entry.meeting(self.args.id));
    }

    fn board(&self) -> &TreeBoard {
        &self.args.handle.tree
    }

    async fn spawn_meeting(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
    ) -> Result<(), ActorProcessingErr> {
        let a = &self.args;
        let args = MeetingArgs {
            id: a.id,
            bus: a.bus.clone(),
            store: a.store.clone(),
            writer: a.writer.clone(),
            flush_interval: a.config.flush_interval,
            sources: a.handle.sources.clone(),
            queued: a.slot.counter(),
        };
        let (actor, _) = Actor::spawn_linked(None, MeetingActor, args, myself.get_cell()).await?;
        self.children
            .insert(actor.get_id(), (Child::Meeting, actor.get_cell()));
        self.args.slot.set(Some(actor));
        Ok(())
    }

    async fn spawn_extension(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
        index: usize,
    ) -> Result<(), ActorProcessingErr> {
        let Some(ext) = self.extensions.get(index).cloned() else {
            return Ok(());
        };
        let ctx = ExtensionContext {
            meeting: self.args.id,
            handle: self.args.handle.clone(),
        };
        let cell = ext.spawn(ctx, myself.get_cell()).await?;
        self.children
            .insert(cell.get_id(), (Child::Extension(index), cell));
        Ok(())
    }

    fn running_keeps_alive(&self) -> bool {
        if self.args.handle.sources.is_ended() {
            return false;
        }
        self.children.values().any(|(child, _)| match child {
            Child::Extension(i) => self
                .extensions
                .get(*i)
                .is_some_and(|e| e.keeps_meeting_alive()),
            Child::Meeting => false,
        })
    }

    fn stop_tree(&mut self, myself: &ActorRef<SupervisorMsg>, reason: &str) {
        self.args.handle.mark_stopped();
        self.args.slot.set(None);
        // Connections close with "try again": a reconnect starts the meeting afresh.
        self.args.bus.publish(Event::Stopping);
        myself.stop(Some(reason.to_string()));
    }

    fn on_child_failed(&mut self, myself: &ActorRef<SupervisorMsg>, child: Child, error: &str) {
        match child {
            Child::Meeting => {
                self.args.slot.set(None);
                self.note(Entry::new(Level::Warn, "meeting", Step::Failed, "failed").error(error));
                match self.meeting_restarts.on_failure(Instant::now(), 0.0) {
                    Decision::RestartAfter(delay) => {
                        self.board().failed("meeting", "meeting", error, true);
                        self.note(
                            Entry::new(
                                Level::Info,
                                "meeting",
                                Step::RestartScheduled,
                                "restart scheduled",
                            )
                            .delay(delay),
                        );
                        myself.send_after(delay, || SupervisorMsg::RespawnMeeting);
                    }
                    Decision::GiveUp => {
                        self.board().failed("meeting", "meeting", error, false);
                        self.note(
                            Entry::new(
                                Level::Error,
                                "meeting",
                                Step::GaveUp,
                                "restart budget spent, meeting stopped until requested again",
                            )
                            .budget(RestartPolicy::MEETING.budget)
                            .error(error),
                        );
                        self.stop_tree(myself, "restart budget spent");
                    }
                }
            }
            Child::Extension(i) => {
                let Some(ext) = self.extensions.get(i).cloned() else {
                    return;
                };
                let (actor, name) = extension_fields(ext.as_ref());
                let decision = match self.extension_restarts.get_mut(i) {
                    Some(r) => r.on_failure(Instant::now(), rand::random::<f64>()),
                    None => Decision::GiveUp,
                };
                match decision {
                    Decision::RestartAfter(d) => {
                        self.board().failed(actor, &name, error, true);
                        self.note(
                            extension_entry(ext.as_ref(), Level::Warn, Step::Failed, "failed")
                                .error(error),
                        );
                        self.note(
                            extension_entry(
                                ext.as_ref(),
                                Level::Info,
                                Step::RestartScheduled,
                                "restart scheduled",
                            )
                            .delay(d),
                        );
                        let generation = self.generation;
                        myself.send_after(d, move || SupervisorMsg::RespawnExtension {
                            generation,
                            index: i,
                        });
                    }
                    Decision::GiveUp => {
                        self.board().failed(actor, &name, error, false);
                        self.note(
                            extension_entry(
                                ext.as_ref(),
                                Level::Error,
                                Step::GaveUp,
                                "failed; restart budget spent, left stopped",
                            )
                            .error(error),
                        );
                    }
                }
            }
        }
    }
}

/// The meeting's extensions as its factories see it now (none when it cannot be read: the
/// meeting runs without them and the next reload tries again).
async fn extensions_of(args: &SupervisorArgs) -> Vec<Arc<dyn Extension>> {
    if args.config.extensions.is_empty() {
        return Vec::new();
    }
    match args.store.meeting(args.id).await {
        Ok(Some(record)) => args.config.extensions.for_meeting(&record),
        Ok(None) => Vec::new(),
        Err(e) => {
            args.writer.metrics().journal.record(
                Entry::new(
                    Level::Warn,
                    "meeting_supervisor",
                    Step::Failed,
                    "could not read the meeting's sources; starting without its extensions",
                )
                .meeting(args.id)
                .error(e.to_string()),
            );
            Vec::new()
        }
    }
}

impl SupervisorState {
    async fn spawn_extensions(&mut self, myself: &ActorRef<SupervisorMsg>) {
        for i in 0..self.extensions.len() {
            match self.spawn_extension(myself, i).await {
                Ok(()) => {
                    if let Some(ext) = self.extensions.get(i).cloned() {
                        let (actor, name) = extension_fields(ext.as_ref());
                        self.board().spawned(actor, &name);
                        self.note(extension_entry(
                            ext.as_ref(),
                            Level::Info,
                            Step::Spawned,
                            "spawned",
                        ));
                    }
                }
                Err(e) => {
                    let e = e.to_string();
                    self.on_child_failed(myself, Child::Extension(i), &e);
                }
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
        myself: ActorRef<SupervisorMsg>,
        args: SupervisorArgs,
    ) -> Result<SupervisorState, ActorProcessingErr> {
        let extensions = extensions_of(&args).await;
        let me = myself.clone();
        args.handle
            .set_reloader(Some(std::sync::Arc::new(move |request| {
                let _ = me.send_message(match request {
                    TreeRequest::ReloadExtensions => SupervisorMsg::ReloadExtensions,
                    TreeRequest::Stop(reason) => SupervisorMsg::Stop(reason),
                });
            })));
        let mut state = SupervisorState {
            extension_restarts: extensions
                .iter()
                .map(|_| Restarts::new(RestartPolicy::EXTENSION))
                .collect(),
            extensions,
            children: HashMap::new(),
            meeting_restarts: Restarts::new(RestartPolicy::MEETING),
            generation: 0,
            idle_since: None,
            args,
        };
        state.spawn_meeting(&myself).await?;
        state.board().spawned("meeting", "meeting");
        state.note(Entry::new(Level::Info, "meeting", Step::Spawned, "spawned"));
        state.spawn_extensions(&myself).await;
        myself.send_interval(idle_check_period(state.args.config.idle), || {
            SupervisorMsg::IdleCheck
        });
        Ok(state)
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<SupervisorMsg>,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        state.args.handle.mark_stopped();
        state.args.handle.set_reloader(None);
        state.args.slot.set(None);
        for (_, (_, cell)) in state.children.drain() {
            cell.stop(Some("meeting stopped".to_string()));
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<SupervisorMsg>,
        msg: SupervisorMsg,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            SupervisorMsg::Stop(reason) => {
                state.note(
                    Entry::new(Level::Info, "meeting_supervisor", Step::Stopped, "stopping")
                        .reason(reason),
                );
                state.stop_tree(&myself, reason);
            }
            SupervisorMsg::IdleCheck => {
                let busy = state.args.bus.connections() > 0 || state.running_keeps_alive();
                if busy {
                    state.idle_since = None;
                } else {
                    let since = *state.idle_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= state.args.config.idle {
                        state.note(
                            Entry::new(Level::Info, "meeting", Step::Stopped, "stopping: idle")
                                .reason("idle"),
                        );
                        state.stop_tree(&myself, "idle");
                    }
                }
            }
            SupervisorMsg::RespawnMeeting => {
                if state.args.slot.get().is_some() {
                    return Ok(());
                }
                match state.spawn_meeting(&myself).await {
                    Ok(()) => {
                        state.args.writer.metrics().restarted("meeting");
                        state.board().restarted("meeting", "meeting");
                        state.note(Entry::new(
                            Level::Info,
                            "meeting",
                            Step::Restarted,
                            "restarted",
                        ));
                    }
                    Err(e) => state.on_child_failed(&myself, Child::Meeting, &e.to_string()),
                }
            }
            SupervisorMsg::RespawnExtension { generation, index } => {
                if generation != state.generation {
                    return Ok(());
                }
                match state.spawn_extension(&myself, index).await {
                    Ok(()) => {
                        if let Some(ext) = state.extensions.get(index).cloned() {
                            let (actor, name) = extension_fields(ext.as_ref());
                            state.args.writer.metrics().restarted(actor);
                            state.board().restarted(actor, &name);
                            state.note(extension_entry(
                                ext.as_ref(),
                                Level::Info,
                                Step::Restarted,
                                "restarted",
                            ));
                        }
                    }
                    Err(e) => {
                        state.on_child_failed(&myself, Child::Extension(index), &e.to_string())
                    }
                }
            }
            SupervisorMsg::ReloadExtensions => {
                let old: Vec<ActorId> = state
                    .children
                    .iter()
                    .filter(|(_, (child, _))| matches!(child, Child::Extension(_)))
                    .map(|(id, _)| *id)
                    .collect();
                for actor in old {
                    if let Some((_, cell)) = state.children.remove(&actor) {
                        cell.stop(Some("sources changed".to_string()));
                    }
                }
                state.generation += 1;
                state.board().forget_extensions();
                state.extensions = extensions_of(&state.args).await;
                state.extension_restarts = state
                    .extensions
                    .iter()
                    .map(|_| Restarts::new(RestartPolicy::EXTENSION))
                    .collect();
                state.note(Entry::new(
                    Level::Info,
                    "meeting_supervisor",
                    Step::Reloaded,
                    format!("extensions reloaded ({})", state.extensions.len()),
                ));
                state.spawn_extensions(&myself).await;
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
                if let Some((child, _)) = state.children.remove(&cell.get_id()) {
                    state.on_child_failed(&myself, child, &err.to_string());
                }
            }
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                let Some((child, _)) = state.children.remove(&cell.get_id()) else {
                    return Ok(());
                };
                let reason = reason.unwrap_or_default();
                match child {
                    Child::Meeting => {
                        state.board().stopped("meeting", "meeting");
                        state.note(
                            Entry::new(Level::Info, "meeting", Step::Stopped, "stopped")
                                .reason(reason),
                        );
                        state.args.slot.set(None);
                    }
                    Child::Extension(i) => {
                        if let Some(ext) = state.extensions.get(i).cloned() {
                            let (actor, name) = extension_fields(ext.as_ref());
                            state.board().stopped(actor, &name);
                            state.note(
                                extension_entry(
                                    ext.as_ref(),
                                    Level::Info,
                                    Step::Stopped,
                                    "stopped",
                                )
                                .reason(reason),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use ractor::ActorStatus;

    use super::*;
    use crate::extension::{ExtensionFactory, Extensions, SpawnFuture};
    use crate::{Engine, EngineConfig};

    /// A bot that panics on any message, as a buggy one would.
    struct Flaky;

    impl Actor for Flaky {
        type Msg = ();
        type State = ();
        type Arguments = ();
        async fn pre_start(&self, _: ActorRef<()>, _: ()) -> Result<(), ActorProcessingErr> {
            Ok(())
        }
        async fn handle(
            &self,
            _: ActorRef<()>,
            _: (),
            _: &mut (),
        ) -> Result<(), ActorProcessingErr> {
            panic!("a bot bug");
        }
    }

    #[derive(Clone, Default)]
    struct Seen {
        spawns: Arc<AtomicUsize>,
        last: Arc<Mutex<Option<ActorRef<()>>>>,
    }

    struct FlakyBot(Seen);

    impl Extension for FlakyBot {
        fn kind(&self) -> ExtensionKind {
            ExtensionKind::Bot
        }
        fn name(&self) -> String {
            "flaky".into()
        }
        fn spawn(&self, _ctx: ExtensionContext, supervisor: ActorCell) -> SpawnFuture {
            let seen = self.0.clone();
            Box::pin(async move {
                let (actor, _) = Actor::spawn_linked(None, Flaky, (), supervisor)
                    .await
                    .map_err(|e| crate::EngineError::Actor(e.to_string()))?;
                seen.spawns.fetch_add(1, Ordering::SeqCst);
                let cell = actor.get_cell();
                if let Ok(mut last) = seen.last.lock() {
                    *last = Some(actor);
                }
                Ok(cell)
            })
        }
    }

    struct Factory(Seen);

    impl ExtensionFactory for Factory {
        fn extensions(&self, _: &librekast_storage::MeetingRecord) -> Vec<Arc<dyn Extension>> {
            vec![Arc::new(FlakyBot(self.0.clone()))]
        }
    }

    async fn until(what: &str, cond: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cond() {
            assert!(Instant::now() < deadline, "never: {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// An extension starts with its meeting, is restarted after it panics (the meeting runs
    /// on), and stops with the meeting's tree when the meeting is idle.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn extensions_live_and_die_with_their_meeting() -> Result<(), Box<dyn std::error::Error>>
    {
        let store = Store::connect("sqlite::memory:").await?;
        let id = store
            .import_meeting(&crate::test_support::text_meeting("t"))
            .await?;
        let seen = Seen::default();
        let config = EngineConfig {
            idle: Duration::from_millis(300),
            extensions: Extensions(vec![Arc::new(Factory(seen.clone()))]),
            ..EngineConfig::default()
        };
        let engine = Engine::start(store, config).await?;
        // A connection keeps the meeting up while the bot crashes and comes back.
        let handle = engine.meeting(id).await?;
        let presence = handle.connect(crate::Audience::Staff);
        until("the bot started", || {
            seen.spawns.load(Ordering::SeqCst) == 1
        })
        .await;
        let first = seen.last.lock().ok().and_then(|l| l.clone());
        if let Some(bot) = &first {
            bot.send_message(())?;
        }
        until("the bot restarted", || {
            seen.spawns.load(Ordering::SeqCst) == 2
        })
        .await;
        assert!(handle.is_running(), "the meeting ran on");
        assert!(engine.running(id).is_some());

        // Nobody left: the tree stops, the bot with it, and the meeting leaves memory.
        drop(presence);
        until("the idle meeting stopped", || engine.running(id).is_none()).await;
        let second = seen.last.lock().ok().and_then(|l| l.clone());
        until("the bot stopped", || {
            second
                .as_ref()
                .is_some_and(|b| b.get_status() == ActorStatus::Stopped)
        })
        .await;
        assert!(handle.is_stopped());
        Ok(())
    }
}
