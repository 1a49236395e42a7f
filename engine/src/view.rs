//! The view layer: who sees what. A meeting publishes typed [`Event`]s; each is wrapped once
//! in a [`Published`], which renders it for an [`Audience`] the first time a connection of
//! that audience asks, and hands the same frame to every other connection of the audience.
//! So each event is serialized at most once per audience, never per connection, and not at
//! all for an audience nobody is watching as.
//!
//! The audiences (docs/protocol.md, "Visibility by audience"):
//! - `participant`: a phone in the room; its own seat (`you`) is added per connection.
//! - `staff`: organizers; everything, including the plan, quiz counts before the reveal and
//!   every flag attempt.
//! - `display`: a projector or an OBS browser source. What participants see (with
//!   `you: null`), plus the participant count and an `answered` count where participants
//!   see no counts; never a quiz's counts or correct choice before the reveal, a flag
//!   attempt, or the plan ahead.
//! - `prompter`: a teleprompter link. What displays see, plus the current activity's
//!   organizer `notes` in its `state` (notes often hold the answers: never for displays).

use std::sync::{Arc, OnceLock};

use librekast_storage::{ActivityKind, MeetingStatus};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::event::{
    ActivityView, Event, Items, MeetingView, RatingResults, Standings, Tally, WordCount, Words, You,
};
use crate::wire::{StateFrame, rfc3339_micros};

/// Rows of the scoreboard sent to participants and displays (staff get [`STAFF_SCOREBOARD`],
/// at most what a view carries).
pub const PARTICIPANT_SCOREBOARD: usize = 10;
pub const STAFF_SCOREBOARD: usize = crate::meeting::VIEW_SCOREBOARD;

/// Close code sent to display connections when their meeting's display links are revoked:
/// in the "do not reconnect" range (docs/protocol.md, close codes).
pub const CLOSE_DISPLAY_REVOKED: u16 = 4001;
/// Close code sent to a participant's connections when a moderator removes them.
pub const CLOSE_REMOVED: u16 = 4003;
/// Close code when a meeting's tree stops (idle): reconnecting starts it again.
pub const CLOSE_TRY_AGAIN: u16 = 1013;

/// Who a connection is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Participant,
    Staff,
    Display,
    Prompter,
}

impl Audience {
    pub const ALL: [Audience; 4] = [
        Audience::Participant,
        Audience::Staff,
        Audience::Display,
        Audience::Prompter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Participant => "participant",
            Audience::Staff => "staff",
            Audience::Display => "display",
            Audience::Prompter => "prompter",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Audience::Participant => 0,
            Audience::Staff => 1,
            Audience::Display => 2,
            Audience::Prompter => 3,
        }
    }
}

/// A frame ready for every connection of one audience.
#[derive(Debug, Clone)]
pub enum Frame {
    Text(Arc<str>),
    /// A `state` frame; a participant connection appends its own `you`.
    State(Arc<StateFrame>),
    /// Scores and ranks; each participant connection picks its own (and may send `score`).
    Standings(Arc<Standings>),
    /// Close the connection with this code and reason.
    Close {
        code: u16,
        reason: &'static str,
    },
}

/// One event as published on a meeting's channel, with its frames rendered on demand.
#[derive(Debug)]
pub struct Published {
    event: Event,
    frames: [OnceLock<Option<Frame>>; 4],
}

impl Published {
    pub fn new(event: Event) -> Arc<Published> {
        Arc::new(Published {
            event,
            frames: Default::default(),
        })
    }

    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The frame this audience gets for the event, if any; rendered once per audience.
    pub fn frame(&self, audience: Audience) -> Option<&Frame> {
        // A prompter sees what displays see but for its notes in `state`: the same frames.
        if audience == Audience::Prompter
            && !matches!(self.event, Event::State(_) | Event::Scoreboard(_))
        {
            return self.frame(Audience::Display);
        }
        self.frames[audience.index()]
            .get_or_init(|| render(&self.event, audience))
            .as_ref()
    }
}

/// What a connection needs to render on connect or after it lagged.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub state: Arc<StateFrame>,
    pub you: Option<You>,
}

fn text(value: Value) -> Option<Frame> {
    Some(Frame::Text(value.to_string().into()))
}

/// The frame an audience gets for an event (`None`: not for this audience).
pub fn render(event: &Event, audience: Audience) -> Option<Frame> {
    use Audience::*;
    match event {
        Event::State(view) => Some(Frame::State(Arc::new(StateFrame::from_object(state_json(
            view, audience,
        ))))),
        Event::Scoreboard(view) => {
            let shown = audience == Staff
                || matches!(
                    view.status,
                    MeetingStatus::Scoreboard | MeetingStatus::After
                );
            shown.then(|| {
                Frame::State(Arc::new(StateFrame::from_object(state_json(
                    view, audience,
                ))))
            })
        }
        Event::Tally(tally) => match (audience, tally.hidden) {
            (Participant, true) => None,
            (Display, true) => text(answered_json(tally)),
            (Staff, _) => text(tally_json(tally, true)),
            _ => text(tally_json(tally, false)),
        },
        Event::Words(words) => text(words_json(words)),
        Event::Items(items) => {
            let mut frame = items_json(items, audience);
            frame.as_object_mut()?.insert("type".into(), "items".into());
            text(frame)
        }
        Event::Lobby(lobby) => {
            (audience != Participant).then_some(())?;
            let mut frame = serde_json::to_value(lobby.as_ref()).ok()?;
            frame.as_object_mut()?.insert("type".into(), "lobby".into());
            text(frame)
        }
        Event::Standings(s) => (audience == Participant).then(|| Frame::Standings(s.clone())),
        Event::FlagAttempt(attempt) => {
            if audience != Staff {
                return None;
            }
            let mut frame = serde_json::to_value(attempt.as_ref()).ok()?;
            frame
                .as_object_mut()?
                .insert("type".into(), "flag_attempt".into());
            text(frame)
        }
        Event::Presence { participants } => {
            (audience != Participant).then_some(())?;
            text(json!({"type": "participants", "count": participants}))
        }
        Event::Chat(line) => {
            (audience != Participant).then_some(())?;
            text(
                json!({"type": "chat", "platform": line.platform, "user_name": line.user_name, "text": line.text, "badges": line.badges, "bot": line.bot}),
            )
        }
        Event::Heard(_) => None,
        Event::Alert(alert) => {
            (audience != Participant).then_some(())?;
            text(alert_json(alert))
        }
        Event::Bots(bots) => {
            (audience == Staff).then_some(())?;
            text(bots_json(bots))
        }
        Event::Adapter(a) => {
            (audience == Staff).then_some(())?;
            let mut frame = serde_json::to_value(a.as_ref()).ok()?;
            frame
                .as_object_mut()?
                .insert("type".into(), "adapter".into());
            text(frame)
        }
        Event::DisplaysRevoked => (audience == Display).then_some(Frame::Close {
            code: CLOSE_DISPLAY_REVOKED,
            reason: "display link revoked",
        }),
        Event::Stopping => Some(Frame::Close {
            code: CLOSE_TRY_AGAIN,
            reason: "meeting stopped",
        }),
        // Per connection, not per audience: each connection checks whether it is theirs.
        Event::Removed(_) | Event::Renamed(..) => None,
    }
}

/// An `alert` frame.
pub fn alert_json(alert: &crate::alerts::Alert) -> Value {
    let mut frame = serde_json::to_value(alert).unwrap_or_else(|_| json!({}));
    if let Some(o) = frame.as_object_mut() {
        o.insert("type".into(), "alert".into());
    }
    frame
}

/// A `bots` frame (staff).
pub fn bots_json(bots: &crate::event::BotsStatus) -> Value {
    json!({"type": "bots", "bots": bots.bots, "dropped": bots.dropped})
}

/// The `state` frame for an audience, without `you`.
pub fn state_json(v: &MeetingView, audience: Audience) -> String {
    use MeetingStatus::*;
    let staff = audience == Audience::Staff;
    let live = matches!(v.status, Ongoing | Results);
    let notes = staff || audience == Audience::Prompter;
    let question = v
        .current
        .as_ref()
        .filter(|_| staff || live)
        .map(|a| question_json(a, notes))
        .unwrap_or(Value::Null);
    let (mut results, mut words) = (Value::Null, Value::Null);
    if live {
        let revealed = v.status == Results;
        if let Some(t) = &v.results {
            match t.kind {
                // A poll that waits for its reveal is `hidden` until then, like a quiz.
                ActivityKind::Poll if !t.hidden || staff => results = results_json(t, false, staff),
                ActivityKind::Scale | ActivityKind::Grid => results = results_json(t, false, staff),
                ActivityKind::Quiz if revealed || staff => results = results_json(t, true, staff),
                _ => {}
            }
        }
        if let Some(w) = &v.words {
            words = words_array(w);
        }
    }
    let items = v
        .items
        .as_ref()
        .filter(|_| staff || live)
        .map_or(Value::Null, |i| items_json(i, audience));
    let scoreboard = if matches!(v.status, Scoreboard | After) || staff {
        let limit = if staff {
            STAFF_SCOREBOARD
        } else {
            PARTICIPANT_SCOREBOARD
        };
        json!(v.scoreboard.iter().take(limit).collect::<Vec<_>>())
    } else {
        Value::Null
    };
    let mut obj = json!({
        "type": "state",
        "audience": audience.as_str(),
        "meeting_id": v.meeting_id,
        "title": v.title,
        "status": v.status.wire(),
        "position": v.position,
        "activity_count": v.activity_count,
        "question": question,
        "results": results,
        "words": words,
        "scoreboard": scoreboard,
    });
    if let Some(map) = obj.as_object_mut() {
        // How to answer from chat, on every screen (the presenter shows "#a … #d").
        map.insert("chat".into(), json!(v.chat));
        // Closed for answers while the reveal waits for the streams' delay: phones stop
        // offering buttons.
        map.insert("closed".into(), json!(v.reveal_at.is_some()));
        // An open timer, on every screen (each corrects for its clock with `now`).
        map.insert("closes_at".into(), json!(v.closes_at.map(rfc3339_micros)));
        map.insert("items".into(), items);
        map.insert("sounds".into(), json!(v.sounds));
        map.insert("leaderboard".into(), json!(v.leaderboard));
        if audience != Audience::Participant {
            map.insert("lobby".into(), json!(v.lobby));
        }
        if staff {
            map.insert("plan".into(), json!(v.plan));
            map.insert("flag_attempts".into(), json!(v.flag_attempts));
            map.insert("sources".into(), json!(v.sources));
            map.insert("reveal_at".into(), json!(v.reveal_at.map(rfc3339_micros)));
        }
    }
    obj.to_string()
}

fn question_json(a: &ActivityView, notes: bool) -> Value {
    let mut q = json!({
        "id": a.id,
        "kind": a.kind.wire(),
        "title": a.title,
        "description_html": a.description_html,
        "word_limit": a.word_limit,
        "choices": a.choices,
        "time_limit_secs": a.time_limit_secs,
        "max_choices": a.max_choices,
        "partial_credit": a.partial_credit,
        "scale": a.scale,
        "prior_weight": a.prior_weight,
        "image": a.image.as_ref().map(|id| json!({"url": format!("/media/{id}"), "alt": a.alt})),
        "hide_results_until_reveal": a.hide_results,
        "auto_approve": a.auto_approve,
        "max_text_chars": librekast_storage::MAX_POST_CHARS,
    });
    if notes && let Some(o) = q.as_object_mut() {
        o.insert("notes".into(), json!(a.notes));
    }
    q
}

fn counts_json(t: &Tally) -> Map<String, Value> {
    t.counts
        .iter()
        .map(|(choice, n)| (choice.to_string(), json!(n)))
        .collect()
}

fn by_platform_json(t: &Tally) -> Value {
    let map: Map<String, Value> = t
        .by_platform
        .iter()
        .map(|(platform, counts)| {
            let counts: Map<String, Value> = counts
                .iter()
                .map(|(choice, n)| (choice.to_string(), json!(n)))
                .collect();
            (platform.code().to_string(), Value::Object(counts))
        })
        .collect();
    Value::Object(map)
}

fn results_json(t: &Tally, with_correct: bool, staff: bool) -> Value {
    let correct = if with_correct {
        t.correct.clone()
    } else {
        Vec::new()
    };
    let mut v = json!({
        "question_id": t.question_id,
        "counts": counts_json(t),
        "total": t.total,
        "correct": correct,
    });
    if let Some(map) = v.as_object_mut() {
        if staff && t.ratings.is_none() {
            map.insert("by_platform".into(), by_platform_json(t));
        }
        add_ratings(map, t);
    }
    v
}

fn tally_json(t: &Tally, staff: bool) -> Value {
    let mut v = json!({"type": "tally", "question_id": t.question_id, "counts": counts_json(t), "total": t.total});
    if let Some(map) = v.as_object_mut() {
        if staff && t.ratings.is_none() {
            map.insert("by_platform".into(), by_platform_json(t));
        }
        add_ratings(map, t);
    }
    v
}

/// A scale's `rating`, or a grid's `items`, `ranking`, `global_mean` and `prior_weight`.
fn add_ratings(map: &mut Map<String, Value>, t: &Tally) {
    match &t.ratings {
        Some(RatingResults::Scale(stats)) => {
            map.insert("rating".into(), json!(stats));
        }
        Some(RatingResults::Grid(grid)) => {
            if let Value::Object(fields) = json!(grid) {
                map.extend(fields);
            }
        }
        None => {}
    }
}

/// How many answered, without saying what: a display's view of a quiz before the reveal.
fn answered_json(t: &Tally) -> Value {
    json!({"type": "answered", "question_id": t.question_id, "total": t.total})
}

/// Posts a phone is sent: what a phone screen lists. Every phone gets each `items` frame,
/// so this bounds the bytes a busy Q&A costs (at 10,000 phones, each item is about 100
/// bytes × 10,000 per coalescing window).
pub const PHONE_ITEMS: usize = 20;

/// An open question's or Q&A's posts for an audience: every post for staff, the approved
/// ones for everyone else (fewer for phones); the counts for all.
fn items_json(i: &Items, audience: Audience) -> Value {
    let items = match audience {
        Audience::Staff => &i.staff[..],
        Audience::Participant => &i.public[..i.public.len().min(PHONE_ITEMS)],
        Audience::Display | Audience::Prompter => &i.public[..],
    };
    json!({
        "question_id": i.question_id,
        "kind": i.kind.wire(),
        "items": items,
        "counts": i.counts,
    })
}

fn words_array(words: &[WordCount]) -> Value {
    json!(words)
}

fn words_json(w: &Words) -> Value {
    json!({"type": "words", "question_id": w.question_id, "words": words_array(&w.words)})
}
