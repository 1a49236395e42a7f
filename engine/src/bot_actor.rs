//! The bots actor: one per meeting tree (when the meeting reads a chat or has bots), beside
//! the chat adapters. It runs every bot's rules ([`crate::bots`]) on the meeting's typed
//! events (`Heard` commands and line counts, `State` for the current activity, `Alert`s)
//! and a quarter-second tick, and posts through the adapters' throttled outboxes
//! ([`MeetingHandle::post`]) with the meeting's bot prefix.
//!
//! One actor for all the bots of a meeting, not one per bot: they share one subscription to
//! the meeting's events (each event is looked at once) and one clock, and an edit from the
//! dashboard reaches them through [`MeetingHandle::set_bots`] without a restart, keeping the
//! cooldowns and counts of the bots that did not change. A failure restarts the actor (with
//! the extension policy): counts and cooldowns start again, nothing else is lost.
//!
//! Overflow: an event subscription that lags skips what it missed (a revolution may miss a
//! chant; nothing waits on bots); lines go to bounded outboxes that drop their oldest line
//! and count it (shown on the dashboard as `dropped`).

use std::sync::Arc;
use std::time::Duration;

use librekast_storage::{Bot, ChatRules, MeetingRecord, MeetingStatus, Micros, now_micros};
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::EngineError;
use crate::alerts::{Alert, AlertIn, AlertKind};
use crate::bots::{Chant, Cooldowns, Periodic, ReplyContext, Revolution, render};
use crate::event::{BotStatus, BotsStatus, ChatLine, Commanded, Event, Heard, MeetingView};
use crate::extension::{Extension, ExtensionContext, ExtensionFactory, ExtensionKind, SpawnFuture};
use crate::handle::MeetingHandle;

/// How often periodic bots and revolution windows are looked at.
pub const TICK: Duration = Duration::from_millis(250);
/// Longest line a bot posts (Twitch takes 500 characters; the prefix comes on top).
pub const MAX_BOT_LINE: usize = 450;
/// `!score` and `!help`: once per viewer per 30 s, once every 3 s in all.
const BUILT_IN_USER_COOLDOWN: u32 = 30;
const BUILT_IN_GLOBAL_COOLDOWN: u32 = 3;

/// Gives a meeting its bots actor when it reads a chat or has bots.
pub struct BotsFactory;

impl ExtensionFactory for BotsFactory {
    fn extensions(&self, meeting: &MeetingRecord) -> Vec<Arc<dyn Extension>> {
        if meeting.sources.is_empty() && meeting.bots.is_empty() {
            return Vec::new();
        }
        vec![Arc::new(BotsExtension {
            bots: meeting.bots.clone(),
            rules: meeting.chat.clone(),
        })]
    }
}

pub struct BotsExtension {
    /// As stored when the tree started (later edits arrive through the handle).
    pub bots: Vec<Bot>,
    pub rules: ChatRules,
}

impl Extension for BotsExtension {
    fn kind(&self) -> ExtensionKind {
        ExtensionKind::Bot
    }

    fn name(&self) -> String {
        "bots".into()
    }

    fn spawn(&self, ctx: ExtensionContext, supervisor: ActorCell) -> SpawnFuture {
        let args = (ctx.handle, self.bots.clone(), self.rules.clone());
        Box::pin(async move {
            let (actor, _) = Actor::spawn_linked(None, BotsActor, args, supervisor)
                .await
                .map_err(|e| EngineError::Actor(e.to_string()))?;
            Ok(actor.get_cell())
        })
    }
}

pub enum BotsMsg {
    /// The run ended (it only does when it failed): the actor fails with this reason.
    Ended(String),
}

pub struct BotsActor;

pub struct BotsTask {
    handle: Arc<MeetingHandle>,
    run: tokio::task::AbortHandle,
    watch: JoinHandle<()>,
}

impl Actor for BotsActor {
    type Msg = BotsMsg;
    type State = BotsTask;
    type Arguments = (Arc<MeetingHandle>, Vec<Bot>, ChatRules);

    async fn pre_start(
        &self,
        myself: ActorRef<BotsMsg>,
        (handle, bots, rules): Self::Arguments,
    ) -> Result<BotsTask, ActorProcessingErr> {
        handle.set_bots_running(true);
        let run = tokio::spawn(run(handle.clone(), bots, rules));
        let abort = run.abort_handle();
        // A panic in a bot's rules ends the run: the actor fails, the supervisor restarts it.
        let watch = tokio::spawn(async move {
            let reason = match run.await {
                Ok(()) => "the meeting's events ended".to_string(),
                Err(e) if e.is_panic() => "a bot panicked".to_string(),
                Err(e) => e.to_string(),
            };
            let _ = myself.send_message(BotsMsg::Ended(reason));
        });
        Ok(BotsTask {
            handle,
            run: abort,
            watch,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<BotsMsg>,
        msg: BotsMsg,
        _state: &mut BotsTask,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            BotsMsg::Ended(reason) => Err(reason.into()),
        }
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<BotsMsg>,
        state: &mut BotsTask,
    ) -> Result<(), ActorProcessingErr> {
        state.watch.abort();
        state.run.abort();
        state.handle.set_bots_running(false);
        Ok(())
    }
}

/// One bot's live state next to its configuration.
#[derive(Debug)]
enum Live {
    Periodic(Periodic),
    Command(Cooldowns),
    Revolution(Revolution),
    Thanks,
}

#[derive(Debug)]
struct Running {
    bot: Bot,
    live: Live,
    posted: u64,
}

impl Running {
    fn new(bot: Bot, now: Micros) -> Running {
        let live = match &bot {
            Bot::Periodic {
                every_secs,
                min_chat,
                ..
            } => Live::Periodic(Periodic::new(*every_secs, *min_chat, now)),
            Bot::Command {
                user_cooldown_secs,
                global_cooldown_secs,
                ..
            } => Live::Command(Cooldowns::new(*user_cooldown_secs, *global_cooldown_secs)),
            Bot::Revolution {
                threshold,
                window_secs,
                cooldown_secs,
                ..
            } => Live::Revolution(Revolution::new(*threshold, *window_secs, *cooldown_secs)),
            Bot::Thanks { .. } => Live::Thanks,
        };
        Running {
            bot,
            live,
            posted: 0,
        }
    }
}

/// Two configurations of the same bot, `enabled` aside (turning a bot off and on keeps its
/// cooldowns; changing a threshold starts it afresh).
fn same_bot(a: &Bot, b: &Bot) -> bool {
    fn off(bot: &Bot) -> Bot {
        let mut bot = bot.clone();
        match &mut bot {
            Bot::Periodic { enabled, .. }
            | Bot::Command { enabled, .. }
            | Bot::Revolution { enabled, .. }
            | Bot::Thanks { enabled, .. } => *enabled = false,
        }
        bot
    }
    off(a) == off(b)
}

/// Every bot of a meeting with its live state, and what they know of the meeting.
pub struct Bots {
    bots: Vec<Running>,
    rules: ChatRules,
    /// `!score` and `!help`, each with its own cooldowns.
    score: Cooldowns,
    help: Cooldowns,
    /// Whether the meeting runs (periodic bots talk only then).
    running: bool,
    activity: Option<String>,
}

/// What the bots want done.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Post this line (without the prefix) in every chat.
    Say(String),
    /// Raise this alert (a revolution fired).
    Alert(AlertIn),
}

impl Bots {
    pub fn new(bots: &[Bot], rules: ChatRules, now: Micros) -> Bots {
        Bots {
            bots: bots.iter().map(|b| Running::new(b.clone(), now)).collect(),
            rules,
            score: Cooldowns::new(BUILT_IN_USER_COOLDOWN, BUILT_IN_GLOBAL_COOLDOWN),
            help: Cooldowns::new(BUILT_IN_USER_COOLDOWN, BUILT_IN_GLOBAL_COOLDOWN),
            running: true,
            activity: None,
        }
    }

    /// New configuration: bots that did not change keep their state.
    pub fn reconfigure(&mut self, bots: &[Bot], now: Micros) {
        let mut old: Vec<Option<Running>> = std::mem::take(&mut self.bots)
            .into_iter()
            .map(Some)
            .collect();
        self.bots = bots
            .iter()
            .map(|bot| {
                let kept = old
                    .iter_mut()
                    .find(|r| r.as_ref().is_some_and(|r| same_bot(&r.bot, bot)))
                    .and_then(Option::take);
                match kept {
                    Some(mut r) => {
                        r.bot = bot.clone();
                        r
                    }
                    None => Running::new(bot.clone(), now),
                }
            })
            .collect();
    }

    /// The meeting moved.
    pub fn saw(&mut self, view: &MeetingView) {
        self.running = !matches!(
            view.status,
            MeetingStatus::Before | MeetingStatus::After | MeetingStatus::Undefined
        );
        self.activity = view
            .current
            .as_ref()
            .filter(|_| self.running)
            .map(|a| a.title.clone());
    }

    /// A chat batch: line counts for periodic bots, commands for the others.
    pub fn heard(&mut self, heard: &Heard, now: Micros) -> Vec<Effect> {
        for r in &mut self.bots {
            if let Live::Periodic(p) = &mut r.live {
                p.heard(heard.lines);
            }
        }
        let mut out = Vec::new();
        for c in &heard.commands {
            self.command(c, now, &mut out);
        }
        out
    }

    fn context<'a>(&'a self, c: &'a Commanded) -> ReplyContext<'a> {
        ReplyContext {
            user: &c.user_name,
            platform: c.platform.code(),
            score: c.score,
            rank: c.rank,
            activity: self.activity.as_deref(),
        }
    }

    fn command(&mut self, c: &Commanded, now: Micros, out: &mut Vec<Effect>) {
        match c.name.as_str() {
            "score" => {
                if self.score.allow(c.platform, &c.user_id, now) {
                    let template = if c.score.is_some() {
                        "{user}: {score} points, rank {rank}"
                    } else {
                        "{user}: no points yet. Answer the questions on screen to score!"
                    };
                    out.push(Effect::Say(render(template, &self.context(c))));
                }
                return;
            }
            "help" => {
                if self.help.allow(c.platform, &c.user_id, now) {
                    out.push(Effect::Say(self.help()));
                }
                return;
            }
            _ => {}
        }
        let ctx_activity = self.activity.clone();
        for r in self.bots.iter_mut().filter(|r| r.bot.is_enabled()) {
            let spoke = match (&r.bot, &mut r.live) {
                (Bot::Command { name, reply, .. }, Live::Command(cooldowns))
                    if name.eq_ignore_ascii_case(&c.name) =>
                {
                    if !cooldowns.allow(c.platform, &c.user_id, now) {
                        continue;
                    }
                    let ctx = ReplyContext {
                        user: &c.user_name,
                        platform: c.platform.code(),
                        score: c.score,
                        rank: c.rank,
                        activity: ctx_activity.as_deref(),
                    };
                    out.push(Effect::Say(render(reply, &ctx)));
                    true
                }
                (
                    Bot::Revolution {
                        name,
                        message,
                        media,
                        ..
                    },
                    Live::Revolution(rev),
                ) if name.eq_ignore_ascii_case(&c.name) => {
                    if rev.chant(c.platform, &c.user_id, now) != Chant::Fired {
                        continue;
                    }
                    out.push(Effect::Say(message.clone()));
                    out.push(Effect::Alert(AlertIn {
                        media: media.clone(),
                        text: message.clone(),
                        ..AlertIn::new(AlertKind::Revolution, None, &format!("!{name}"))
                    }));
                    true
                }
                _ => false,
            };
            if spoke {
                r.posted += 1;
            }
        }
    }

    /// `!help`: the commands viewers may send, and how to answer.
    fn help(&self) -> String {
        let prefix = self.rules.command_char();
        let mut commands: Vec<String> = vec![format!("{prefix}score")];
        commands.extend(
            self.bots
                .iter()
                .filter(|r| r.bot.is_enabled())
                .filter_map(|r| r.bot.command())
                .map(|name| format!("{prefix}{name}")),
        );
        format!(
            "Commands: {}. Answer the question on screen with {}a, {}b…",
            commands.join(", "),
            self.rules.vote_char(),
            self.rules.vote_char()
        )
    }

    /// An alert came: the thank-you bot of its kind answers (test alerts excepted: they
    /// try the overlay, not the chat).
    pub fn alerted(&mut self, alert: &Alert) -> Vec<Effect> {
        if alert.test {
            return Vec::new();
        }
        let mut out = Vec::new();
        for r in self.bots.iter_mut().filter(|r| r.bot.is_enabled()) {
            if let Bot::Thanks {
                alert: kind, reply, ..
            } = &r.bot
                && kind == alert.kind.code()
            {
                let ctx = ReplyContext {
                    user: &alert.user,
                    platform: alert.platform.unwrap_or("-"),
                    ..ReplyContext::default()
                };
                let amount = alert.amount.map_or("-".to_string(), |a| {
                    if a.fract() == 0.0 {
                        format!("{a:.0}")
                    } else {
                        format!("{a:.2}")
                    }
                });
                let months = alert.months.map_or("-".to_string(), |m| m.to_string());
                let line = render(reply, &ctx)
                    .replace("{amount}", &amount)
                    .replace("{months}", &months);
                out.push(Effect::Say(line));
                r.posted += 1;
            }
        }
        out
    }

    /// Time passed: periodic bots whose turn came speak (while the meeting runs).
    pub fn tick(&mut self, now: Micros) -> Vec<Effect> {
        let mut out = Vec::new();
        if !self.running {
            return out;
        }
        for r in self.bots.iter_mut().filter(|r| r.bot.is_enabled()) {
            if let (Bot::Periodic { lines, .. }, Live::Periodic(p)) = (&r.bot, &mut r.live)
                && let Some(i) = p.due(now, lines.len())
                && let Some(line) = lines.get(i)
            {
                out.push(Effect::Say(line.clone()));
                r.posted += 1;
            }
        }
        out
    }

    /// The dashboard's view; `epoch_offset` turns the bots' clock into epoch microseconds.
    pub fn status(&mut self, now: Micros, epoch_offset: Micros, dropped: u64) -> BotsStatus {
        let bots = self
            .bots
            .iter_mut()
            .enumerate()
            .map(|(index, r)| {
                let (kind, name) = match &r.bot {
                    Bot::Periodic { lines, .. } => {
                        ("periodic", lines.first().cloned().unwrap_or_default())
                    }
                    Bot::Command { name, .. } => ("command", name.clone()),
                    Bot::Revolution { name, .. } => ("revolution", name.clone()),
                    Bot::Thanks { alert, .. } => ("thanks", alert.clone()),
                };
                let mut status = BotStatus {
                    index,
                    kind,
                    name: name.chars().take(80).collect(),
                    enabled: r.bot.is_enabled(),
                    posted: r.posted,
                    count: None,
                    threshold: None,
                    cooling_until: None,
                };
                if let (Bot::Revolution { threshold, .. }, Live::Revolution(rev)) =
                    (&r.bot, &mut r.live)
                {
                    status.count = Some(rev.count(now));
                    status.threshold = Some(*threshold);
                    status.cooling_until = rev.cooling_until(now).map(|t| t + epoch_offset);
                }
                status
            })
            .collect();
        BotsStatus { bots, dropped }
    }
}

/// The line as posted: the meeting's bot prefix (so the meeting never counts it, nor do
/// other bots), then the text, cut to what a chat takes.
fn prefixed(rules: &ChatRules, text: &str) -> String {
    let text: String = text.chars().take(MAX_BOT_LINE).collect();
    format!("{}{text}", rules.bot_prefix)
}

fn apply(handle: &MeetingHandle, rules: &ChatRules, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::Say(text) => {
                handle.post(&prefixed(rules, &text));
                // Staff and the chat overlay see bot lines once, from here (the platforms'
                // echoes carry the prefix and are skipped by the meeting).
                handle.publish(Event::Chat(Arc::new(ChatLine {
                    platform: "bot",
                    user_name: "LibreKast".into(),
                    text: text.chars().take(MAX_BOT_LINE).collect(),
                    badges: Vec::new(),
                    bot: true,
                })));
            }
            Effect::Alert(alert) => {
                handle.alert(alert);
            }
        }
    }
}

/// The bots of one meeting, until the meeting's events end.
pub async fn run(handle: Arc<MeetingHandle>, stored: Vec<Bot>, rules: ChatRules) {
    let mut events = handle.subscribe();
    let mut config = handle.watch_bots(&stored);
    let start = Instant::now();
    let epoch_at_start = now_micros();
    let clock = move || Micros::try_from(start.elapsed().as_micros()).unwrap_or(Micros::MAX);
    let initial = config.borrow_and_update().clone().unwrap_or_default();
    let mut bots = Bots::new(&initial, rules.clone(), clock());
    // Started mid-meeting (a restart, a reload): learn where it is.
    if handle.is_running()
        && let Ok(view) = handle.view().await
    {
        bots.saw(&view);
    }
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let effects = tokio::select! {
            event = events.recv() => match event {
                Ok(published) => match published.event() {
                    Event::State(view) | Event::Scoreboard(view) => {
                        bots.saw(view);
                        Vec::new()
                    }
                    Event::Heard(heard) => bots.heard(heard, clock()),
                    Event::Alert(alert) => bots.alerted(alert),
                    _ => continue,
                },
                // Missed events are not replayed: a chant or two may be lost, never the meeting.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
            changed = config.changed() => {
                if changed.is_err() {
                    return;
                }
                let new = config.borrow_and_update().clone().unwrap_or_default();
                bots.reconfigure(&new, clock());
                Vec::new()
            }
            _ = tick.tick() => bots.tick(clock()),
        };
        apply(&handle, &rules, effects);
        let status = bots.status(clock(), epoch_at_start, handle.dropped_lines());
        handle.report_bots(status);
    }
}

#[cfg(test)]
mod tests {
    //! The bots on a paused clock: time moves only when a test advances it, so intervals,
    //! windows and cooldowns are exact and nothing sleeps for real.

    use super::*;
    use crate::actor::ActorSlot;
    use crate::bus::Bus;
    use crate::event::ActivityView;
    use librekast_storage::{ActivityId, ActivityKind, MeetingId, Platform};
    use tokio::sync::mpsc;

    fn handle() -> Arc<MeetingHandle> {
        Arc::new(MeetingHandle::new(
            MeetingId(1),
            Arc::new(Bus::new(256)),
            Arc::new(ActorSlot::default()),
            Duration::from_secs(1),
        ))
    }

    /// A chat that takes every line the bots post.
    fn chat(handle: &MeetingHandle, platform: Platform, capacity: usize) -> mpsc::Receiver<String> {
        let (tx, rx) = mpsc::channel(capacity);
        handle.register_outbox(platform, tx);
        handle.set_can_post(platform, true);
        rx
    }

    fn bots(json: &str) -> Vec<Bot> {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    fn start(handle: &Arc<MeetingHandle>, bots: Vec<Bot>) -> JoinHandle<()> {
        tokio::spawn(run(handle.clone(), bots, ChatRules::default()))
    }

    /// Lets the bots handle what was published, `secs` of the paused clock later.
    async fn after(secs: f64) {
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    }

    fn lines(rx: &mut mpsc::Receiver<String>) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(line) = rx.try_recv() {
            out.push(line);
        }
        out
    }

    fn heard(lines: u32, commands: &[(Platform, &str, &str)]) -> Event {
        Event::Heard(Arc::new(Heard {
            lines,
            commands: commands
                .iter()
                .map(|(platform, user, name)| Commanded {
                    platform: *platform,
                    user_id: user.to_string(),
                    user_name: user.to_string(),
                    name: name.to_string(),
                    args: String::new(),
                    score: (*user == "ada").then_some(12),
                    rank: (*user == "ada").then_some(3),
                })
                .collect(),
        }))
    }

    fn view(status: MeetingStatus, title: &str) -> Event {
        Event::State(Arc::new(MeetingView {
            meeting_id: MeetingId(1),
            title: "m".into(),
            status,
            position: 0,
            activity_count: 1,
            current: Some(ActivityView {
                id: ActivityId(1),
                kind: ActivityKind::Poll,
                title: title.into(),
                description_html: String::new(),
                word_limit: 3,
                choices: vec![],
                notes: Arc::from(""),
                time_limit_secs: 0,
                max_choices: 1,
                partial_credit: false,
                scale: None,
                prior_weight: 5,
                image: None,
                alt: String::new(),
                auto_approve: false,
                hide_results: false,
            }),
            results: None,
            words: None,
            scoreboard: vec![],
            plan: vec![],
            flag_attempts: vec![],
            sources: vec![],
            chat: None,
            reveal_at: None,
            closes_at: None,
            items: None,
            lobby: Arc::default(),
            leaderboard: None,
            sounds: true,
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn periodic_lines_rotate_while_the_room_talks_and_the_meeting_runs() {
        let h = handle();
        let mut twitch = chat(&h, Platform::Twitch, 64);
        let mut shown = h.subscribe();
        let task = start(
            &h,
            bots(
                r#"[{"kind": "periodic", "lines": ["one", "two"], "every_secs": 60, "min_chat": 2}]"#,
            ),
        );
        after(61.0).await;
        assert_eq!(
            lines(&mut twitch),
            Vec::<String>::new(),
            "an empty room hears nothing"
        );
        h.publish(heard(2, &[]));
        after(1.0).await;
        assert_eq!(lines(&mut twitch), ["🤖 one"]);
        h.publish(heard(2, &[]));
        after(30.0).await;
        assert_eq!(
            lines(&mut twitch),
            Vec::<String>::new(),
            "not before its interval"
        );
        after(31.0).await;
        assert_eq!(lines(&mut twitch), ["🤖 two"]);
        // Staff and the chat overlay see the bot's line, marked as a bot's.
        let mut bot_lines = Vec::new();
        while let Ok(p) = shown.try_recv() {
            if let Event::Chat(line) = p.event() {
                bot_lines.push((line.text.clone(), line.bot, line.platform));
            }
        }
        assert_eq!(bot_lines[0], ("one".to_string(), true, "bot"));
        // The meeting ended: the bot is quiet.
        h.publish(view(MeetingStatus::After, "Q"));
        h.publish(heard(5, &[]));
        after(200.0).await;
        assert_eq!(lines(&mut twitch), Vec::<String>::new());
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn commands_answer_with_placeholders_and_cooldowns_and_the_built_ins() {
        let h = handle();
        let mut twitch = chat(&h, Platform::Twitch, 64);
        let mut youtube = chat(&h, Platform::Youtube, 64);
        let task = start(
            &h,
            bots(
                r#"[{"kind": "command", "name": "discord", "reply": "{user} on {platform}: {score} pts, #{rank}, now {activity}", "user_cooldown_secs": 30, "global_cooldown_secs": 5},
                    {"kind": "revolution", "name": "hype", "threshold": 3, "window_secs": 60, "message": "HYPE"}]"#,
            ),
        );
        after(0.1).await;
        h.publish(view(MeetingStatus::Ongoing, "Which year?"));
        h.publish(heard(1, &[(Platform::Twitch, "ada", "discord")]));
        after(0.5).await;
        let expected = "🤖 ada on twitch: 12 pts, #3, now Which year?";
        assert_eq!(lines(&mut twitch), [expected]);
        assert_eq!(lines(&mut youtube), [expected], "every chat hears it");
        h.publish(heard(1, &[(Platform::Youtube, "bob", "discord")]));
        after(1.0).await;
        assert_eq!(lines(&mut twitch), Vec::<String>::new(), "global cooldown");
        after(5.0).await;
        h.publish(heard(1, &[(Platform::Youtube, "bob", "discord")]));
        after(0.5).await;
        assert_eq!(
            lines(&mut twitch),
            ["🤖 bob on youtube: - pts, #-, now Which year?"]
        );
        after(10.0).await;
        h.publish(heard(1, &[(Platform::Twitch, "ada", "discord")]));
        after(0.5).await;
        assert_eq!(
            lines(&mut twitch),
            Vec::<String>::new(),
            "ada's own cooldown"
        );
        h.publish(heard(
            2,
            &[
                (Platform::Twitch, "ada", "score"),
                (Platform::Twitch, "cy", "help"),
            ],
        ));
        after(0.5).await;
        assert_eq!(
            lines(&mut twitch),
            [
                "🤖 ada: 12 points, rank 3",
                "🤖 Commands: !score, !discord, !hype. Answer the question on screen with #a, #b…"
            ]
        );
        lines(&mut youtube);
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_revolution_needs_distinct_viewers_across_platforms_then_cools_down() {
        let h = handle();
        let mut twitch = chat(&h, Platform::Twitch, 64);
        let mut events = h.subscribe();
        let task = start(
            &h,
            bots(
                r#"[{"kind": "revolution", "name": "hype", "threshold": 3, "window_secs": 60, "message": "The chat rises!", "media": "vid123", "cooldown_secs": 300}]"#,
            ),
        );
        after(0.1).await;
        h.publish(heard(
            3,
            &[
                (Platform::Twitch, "ada", "hype"),
                (Platform::Twitch, "ada", "hype"),
                (Platform::Youtube, "ada", "hype"),
            ],
        ));
        after(0.5).await;
        let status = h.bots_status().expect("a status");
        assert_eq!(
            (status.bots[0].count, status.bots[0].threshold),
            (Some(2), Some(3)),
            "a viewer repeating counts once; the same name on another platform is another viewer"
        );
        assert_eq!(lines(&mut twitch), Vec::<String>::new());
        h.publish(heard(1, &[(Platform::Twitch, "bob", "hype")]));
        after(0.5).await;
        assert_eq!(lines(&mut twitch), ["🤖 The chat rises!"]);
        let mut alerts = Vec::new();
        while let Ok(p) = events.try_recv() {
            if let Event::Alert(a) = p.event() {
                alerts.push(a.clone());
            }
        }
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::Revolution);
        assert_eq!(alerts[0].media.as_deref(), Some("vid123"));
        assert_eq!(alerts[0].text, "The chat rises!");
        let status = h.bots_status().expect("a status");
        assert_eq!(status.bots[0].count, Some(0));
        assert!(status.bots[0].cooling_until.is_some());
        // Cooling down: chants are ignored.
        h.publish(heard(
            3,
            &[
                (Platform::Twitch, "c1", "hype"),
                (Platform::Twitch, "c2", "hype"),
                (Platform::Twitch, "c3", "hype"),
            ],
        ));
        after(0.5).await;
        assert_eq!(lines(&mut twitch), Vec::<String>::new());
        after(300.0).await;
        h.publish(heard(1, &[(Platform::Twitch, "c1", "hype")]));
        after(0.5).await;
        let status = h.bots_status().expect("a status");
        assert_eq!(status.bots[0].count, Some(1));
        assert_eq!(status.bots[0].cooling_until, None);
        // The window slides: a chant older than 60 s no longer counts.
        after(61.0).await;
        assert_eq!(h.bots_status().and_then(|s| s.bots[0].count), Some(0));
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn bots_follow_live_edits_thank_alerts_and_count_dropped_lines() {
        let h = handle();
        // A chat that takes one line and never posts it: the rest are dropped and counted.
        let mut slow = chat(&h, Platform::Youtube, 1);
        let task = start(
            &h,
            bots(
                r#"[{"kind": "command", "name": "discord", "reply": "Join us", "user_cooldown_secs": 0, "global_cooldown_secs": 0},
                    {"kind": "thanks", "alert": "follow", "reply": "Thanks {user} for the follow on {platform}!"},
                    {"kind": "thanks", "alert": "gift", "reply": "{user} gifted {amount} subs"}]"#,
            ),
        );
        after(0.1).await;
        h.alert(AlertIn::new(
            AlertKind::Follow,
            Some(Platform::Twitch),
            "Zed",
        ));
        after(0.5).await;
        assert_eq!(
            lines(&mut slow),
            ["🤖 Thanks Zed for the follow on twitch!"]
        );
        h.alert(AlertIn {
            test: true,
            ..AlertIn::new(AlertKind::Follow, Some(Platform::Twitch), "Tester")
        });
        after(0.5).await;
        assert_eq!(
            lines(&mut slow),
            Vec::<String>::new(),
            "test alerts are not thanked in chat"
        );
        h.alert(AlertIn {
            amount: Some(5.0),
            ..AlertIn::new(AlertKind::Gift, Some(Platform::Twitch), "Gifter")
        });
        after(0.5).await;
        assert_eq!(lines(&mut slow), ["🤖 Gifter gifted 5 subs"]);

        // Turned off from the dashboard: silent at once; back on: answers again.
        let mut edited = bots(
            r#"[{"kind": "command", "name": "discord", "reply": "Join us", "user_cooldown_secs": 0, "global_cooldown_secs": 0, "enabled": false}]"#,
        );
        h.set_bots(edited.clone());
        after(0.5).await;
        h.publish(heard(1, &[(Platform::Twitch, "ada", "discord")]));
        after(0.5).await;
        assert_eq!(lines(&mut slow), Vec::<String>::new());
        if let Bot::Command { enabled, .. } = &mut edited[0] {
            *enabled = true;
        }
        h.set_bots(edited);
        after(0.5).await;
        h.publish(heard(
            3,
            &[
                (Platform::Twitch, "a", "discord"),
                (Platform::Twitch, "b", "discord"),
                (Platform::Twitch, "c", "discord"),
            ],
        ));
        after(0.5).await;
        assert_eq!(
            h.dropped_lines(),
            2,
            "the chat's queue took one line of three"
        );
        assert_eq!(h.bots_status().map(|s| s.dropped), Some(2));
        assert_eq!(lines(&mut slow), ["🤖 Join us"]);
        task.abort();
    }
}
