use std::sync::Arc;

use librekast_storage::*;
use serde_json::Value;

use super::*;
use crate::event::Event;
use crate::view::{Audience, Frame, render, state_json};

pub(super) const A1: AttendeeId = AttendeeId(1);
pub(super) const A2: AttendeeId = AttendeeId(2);
pub(super) const A3: AttendeeId = AttendeeId(3);

/// A single-choice chat vote (what `#a` reads as).
fn chat_vote(
    m: &mut Meeting,
    attendee: AttendeeId,
    choice: ChoiceId,
    at: Micros,
) -> Result<Vec<WriteOp>, ErrorCode> {
    m.chat_answer(attendee, ChatAnswer::Choices(vec![choice]), at)
}

pub(super) fn choice(id: i64, slug: &str, correct: bool) -> ChoiceRecord {
    ChoiceRecord {
        id: ChoiceId(id),
        text: format!("choice {slug}"),
        slug: slug.into(),
        correct,
    }
}

pub(super) fn activity(id: i64, kind: ActivityKind, choices: Vec<ChoiceRecord>) -> ActivityRecord {
    ActivityRecord {
        time_limit_secs: 0,
        points: None,
        closes_at: None,
        max_choices: 1,
        partial_credit: false,
        scale: None,
        prior_weight: None,
        image: None,
        alt: String::new(),
        auto_approve: false,
        hide_results: false,
        id: ActivityId(id),
        kind,
        title: format!("activity {id}"),
        description: "<b>desc</b>".into(),
        markup: Default::default(),
        word_limit: 2,
        state: ActivityState::Pending,
        choices,
        hidden_words: vec![],
        notes: String::new(),
    }
}

/// Room participants `p1`, `p2`, … of meeting 1, with no score.
pub(super) fn room_attendees(ids: &[AttendeeId]) -> Vec<AttendeeRecord> {
    ids.iter()
        .map(|&id| AttendeeRecord {
            id,
            meeting_id: MeetingId(1),
            name: format!("p{}", id.0),
            platform: Platform::Room,
            platform_user_id: id.0.to_string(),
            score: 0,
            removed: false,
        })
        .collect()
}

/// Meeting 1 as stored before it starts, every option at its default.
pub(super) fn meeting_record() -> MeetingRecord {
    MeetingRecord {
        scoring: Default::default(),
        auto_start: false,
        streak_bonus: 0,
        sounds: true,
        id: MeetingId(1),
        title: "t".into(),
        code: "c".into(),
        reward_fastest: false,
        flag_prefix: "LK".into(),
        status: MeetingStatus::Before,
        position: 0,
        sources: vec![],
        chat: Default::default(),
        owner: None,
        blocked_words: vec![],
        bots: vec![],
    }
}

/// text(10), poll(20: a/b), quiz(30: a wrong, b right), wordcloud(40); one flag.
fn meeting(reward_fastest: bool) -> Meeting {
    let attendees = room_attendees(&[A1, A2, A3]);
    Meeting::from_loaded(LoadedMeeting {
        meeting: MeetingRecord {
            reward_fastest,
            ..meeting_record()
        },
        activities: vec![
            activity(10, ActivityKind::Text, vec![]),
            activity(
                20,
                ActivityKind::Poll,
                vec![choice(21, "a", false), choice(22, "b", false)],
            ),
            activity(
                30,
                ActivityKind::Quiz,
                vec![choice(31, "a", false), choice(32, "b", true)],
            ),
            activity(40, ActivityKind::Wordcloud, vec![]),
        ],
        attendees,
        votes: vec![],
        words: vec![],
        ratings: vec![],
        posts: Vec::new(),
        upvotes: Vec::new(),
        flags: vec![FlagRecord {
            id: FlagId(7),
            name: "f".into(),
            code: "s3cret".into(),
            points: 5,
            first_blood: 3,
        }],
        captures: vec![],
        recent_attempts: vec![],
    })
}

fn go(m: &mut Meeting, controls: &[Control]) {
    for c in controls {
        m.control(*c).unwrap_or_else(|e| panic!("{c:?}: {e}"));
    }
}

/// From `before` to the quiz (position 2), open.
fn open_quiz(m: &mut Meeting) {
    go(
        m,
        &[Control::Start, Control::Next, Control::Next, Control::Start],
    );
}

/// From `before` to the word cloud (position 3), open.
fn open_word_cloud(m: &mut Meeting) {
    go(
        m,
        &[
            Control::Start,
            Control::Next,
            Control::Next,
            Control::Next,
            Control::Start,
        ],
    );
}

pub(super) fn state(m: &Meeting, audience: Audience) -> Value {
    serde_json::from_str(&state_json(&m.view(), audience)).unwrap_or_default()
}

/// The frame an audience gets for an event, as JSON (`Null`: nothing for them).
pub(super) fn seen(event: &Event, audience: Audience) -> Value {
    match render(event, audience) {
        Some(Frame::Text(t)) => serde_json::from_str(&t).unwrap_or_default(),
        Some(Frame::State(s)) => serde_json::from_str(&s.render(None)).unwrap_or_default(),
        Some(Frame::Standings(_)) => serde_json::json!({"type": "standings"}),
        Some(Frame::Close { code, .. }) => serde_json::json!({"type": "close", "code": code}),
        None => Value::Null,
    }
}

#[test]
fn votes_only_on_the_open_activity() {
    let mut m = meeting(false);
    assert_eq!(
        m.vote(A1, ActivityId(20), &[ChoiceId(21)], 0),
        Err(ErrorCode::NotOpen)
    );
    assert!(
        matches!(m.control(Control::Next), Err(ErrorCode::InvalidControl)),
        "start comes first"
    );
    go(&mut m, &[Control::Start, Control::Next]);
    assert_eq!(m.status, MeetingStatus::Waiting);
    assert_eq!(
        m.vote(A1, ActivityId(20), &[ChoiceId(21)], 0),
        Err(ErrorCode::NotOpen),
        "waiting"
    );
    go(&mut m, &[Control::Start]);
    assert!(m.vote(A1, ActivityId(20), &[ChoiceId(21)], 0).is_ok());
    assert_eq!(
        m.vote(A1, ActivityId(20), &[ChoiceId(22)], 0),
        Err(ErrorCode::AlreadyVoted)
    );
    assert_eq!(
        m.vote(A2, ActivityId(20), &[ChoiceId(99)], 0),
        Err(ErrorCode::UnknownChoice)
    );
    assert_eq!(
        m.vote(A2, ActivityId(30), &[ChoiceId(31)], 0),
        Err(ErrorCode::NotOpen),
        "not the open one"
    );
    assert_eq!(
        m.vote(A2, ActivityId(20), &[ChoiceId(31)], 0),
        Err(ErrorCode::UnknownChoice),
        "other activity's choice"
    );
    assert!(m.vote(A2, ActivityId(20), &[ChoiceId(22)], 0).is_ok());
    let Some(tally) = m.tally() else {
        panic!("no tally")
    };
    assert!(!tally.hidden);
    assert_eq!(
        tally.counts,
        vec![(ChoiceId(21), 1), (ChoiceId(22), 1)],
        "every choice, in order"
    );
    assert_eq!(tally.total, 2);
    go(&mut m, &[Control::Results]);
    assert_eq!(
        m.vote(A3, ActivityId(20), &[ChoiceId(21)], 0),
        Err(ErrorCode::NotOpen),
        "closed at results"
    );
}

#[test]
fn quiz_points_awarded_at_close_with_fastest_bonus() {
    let mut m = meeting(true);
    open_quiz(&mut m);
    assert_eq!(m.current().map(|a| a.kind), Some(ActivityKind::Quiz));
    for (a, c) in [(A1, 31), (A2, 32), (A3, 32)] {
        assert!(m.vote(a, ActivityId(30), &[ChoiceId(c)], 0).is_ok());
    }
    assert_eq!(
        m.tally().map(|t| t.hidden),
        Some(true),
        "quiz tally is staff-only while open"
    );
    let p = state(&m, Audience::Participant);
    assert_eq!(
        p["results"],
        Value::Null,
        "no counts leak to participants before the reveal"
    );
    assert_eq!(m.attendees[&A2].score, 0, "nothing awarded before close");
    let out = m.control(Control::Results).unwrap_or_default();
    assert_eq!(m.attendees[&A1].score, 0);
    assert_eq!(m.attendees[&A2].score, 3);
    assert_eq!(m.attendees[&A3].score, 1);
    assert_eq!(
        out.awards,
        vec![
            (A1, ActivityId(30), 0),
            (A2, ActivityId(30), 3),
            (A3, ActivityId(30), 1)
        ]
    );
    assert!(matches!(out.ops.first(), Some(WriteOp::Award { .. })));
    let p = state(&m, Audience::Participant);
    assert_eq!(p["results"]["correct"], serde_json::json!([32]));
    assert_eq!(p["results"]["counts"]["32"], 2);
    // Back and reveal again: nobody is paid twice.
    go(
        &mut m,
        &[
            Control::Back,
            Control::Next,
            Control::Start,
            Control::Results,
        ],
    );
    assert_eq!(m.attendees[&A2].score, 3);
    assert_eq!(m.attendees[&A3].score, 1);
}

#[test]
fn quiz_without_fastest_reward() {
    let mut m = meeting(false);
    open_quiz(&mut m);
    assert!(m.vote(A2, ActivityId(30), &[ChoiceId(32)], 0).is_ok());
    go(&mut m, &[Control::Next]);
    assert_eq!(m.attendees[&A2].score, 1, "closing with next awards too");
}

#[test]
fn word_cloud_rules() {
    let mut m = meeting(false);
    open_word_cloud(&mut m);
    let q = ActivityId(40);
    assert!(matches!(m.word(A1, q, "  Rust  ", 0), Ok(Some(_))));
    assert!(
        matches!(m.word(A1, q, "rust", 0), Ok(None)),
        "same word again is ignored"
    );
    assert!(matches!(m.word(A1, q, "Go", 0), Ok(Some(_))));
    assert_eq!(m.word(A1, q, "Zig", 0), Err(ErrorCode::LimitReached));
    assert_eq!(m.word(A2, q, "   ", 0), Err(ErrorCode::BadRequest));
    assert_eq!(
        m.word(A2, q, &"x".repeat(41), 0),
        Err(ErrorCode::BadRequest)
    );
    assert!(matches!(m.word(A2, q, "Rust", 0), Ok(Some(_))));
    assert!(matches!(m.word(A3, q, "Rust", 0), Ok(Some(_))));
    assert_eq!(
        m.vote(A3, q, &[ChoiceId(21)], 0),
        Err(ErrorCode::BadRequest)
    );
    let Some(words) = m.words() else {
        panic!("no words")
    };
    let words = seen(&Event::Words(Arc::new(words)), Audience::Display);
    assert_eq!(
        words["words"][0],
        serde_json::json!({"text": "Rust", "count": 3})
    );
    assert_eq!(
        words["words"][1],
        serde_json::json!({"text": "Go", "count": 1})
    );
}

/// Guessing is throttled per attendee (whatever connection the attempts come from), and
/// the allowance comes back with time; other attendees are not affected.
#[test]
fn flag_guessing_is_throttled_per_attendee() {
    let mut m = meeting(false);
    for i in 0..10 {
        assert_eq!(
            m.flag(A1, &format!("guess{i}"), 0).result,
            Err(ErrorCode::NotFound)
        );
    }
    let refused = m.flag(A1, "s3cret", 1_000);
    assert_eq!(refused.result, Err(ErrorCode::RateLimited));
    assert!(refused.ops.is_empty() && refused.attempt.is_none());
    assert_eq!(m.flag(A2, "nope", 1_000).result, Err(ErrorCode::NotFound));
    // Two seconds later: one more attempt.
    assert!(m.flag(A1, "s3cret", 2_001_000).result.is_ok());
    assert_eq!(
        m.flag(A1, "nope", 2_002_000).result,
        Err(ErrorCode::RateLimited)
    );
}

#[test]
fn flags_first_blood_and_repeats() {
    let mut m = meeting(false);
    let first = m.flag(A1, "LK{s3cret}", 0);
    assert_eq!(
        first.result,
        Ok(FlagAck {
            name: "f".into(),
            points: 8,
            first_blood: true,
            score: 8
        })
    );
    assert_eq!(first.ops.len(), 2);
    let second = m.flag(A2, "s3cret", 0);
    assert_eq!(
        second.result,
        Ok(FlagAck {
            name: "f".into(),
            points: 5,
            first_blood: false,
            score: 5
        })
    );
    assert_eq!(
        m.flag(A1, "s3cret", 0).result,
        Err(ErrorCode::AlreadyFlagged)
    );
    assert_eq!(m.flag(A1, "nope", 0).result, Err(ErrorCode::NotFound));
    assert_eq!(m.flag(A1, "LK{}", 0).result, Err(ErrorCode::BadRequest));
    assert_eq!(m.recent_attempts.len(), 4);
    go(&mut m, &[Control::End]);
    assert_eq!(
        m.flag(A3, "s3cret", 0).result,
        Err(ErrorCode::NotOpen),
        "no flags after the end"
    );
}

#[test]
fn snapshots_per_audience() {
    let mut m = meeting(false);
    let p = state(&m, Audience::Participant);
    let s = state(&m, Audience::Staff);
    assert_eq!(p["status"], "before");
    assert_eq!(
        p["question"],
        Value::Null,
        "participants see nothing before the start"
    );
    assert_eq!(s["question"]["id"], 10, "staff see the upcoming activity");
    assert!(s["plan"].is_array());
    assert!(p.get("plan").is_none());
    go(&mut m, &[Control::Start]);
    let p = state(&m, Audience::Participant);
    assert_eq!(p["question"]["kind"], "text");
    assert_eq!(
        p["question"]["description_html"],
        "<p>&lt;b&gt;desc&lt;/b&gt;</p>"
    );
    go(&mut m, &[Control::Next, Control::Start]);
    assert!(m.vote(A1, ActivityId(20), &[ChoiceId(21)], 0).is_ok());
    let p = state(&m, Audience::Participant);
    assert_eq!(
        p["results"]["counts"],
        serde_json::json!({"21": 1, "22": 0}),
        "zeros included"
    );
    go(&mut m, &[Control::Scoreboard]);
    let p = state(&m, Audience::Participant);
    assert_eq!(p["question"], Value::Null);
    assert_eq!(p["scoreboard"].as_array().map(Vec::len), Some(3));
    for (audience, name) in [
        (Audience::Participant, "participant"),
        (Audience::Staff, "staff"),
        (Audience::Display, "display"),
    ] {
        assert_eq!(state(&m, audience)["audience"], name);
    }
}

/// A display (projector, OBS) sees what participants see, plus counts where they are safe;
/// never a quiz's counts or correct choice before the reveal, a flag attempt, or the plan.
#[test]
fn a_display_sees_only_what_a_projector_may() {
    let mut m = meeting(true);
    let d = state(&m, Audience::Display);
    assert_eq!(d["question"], Value::Null, "nothing ahead is shown");
    assert!(d.get("plan").is_none() && d.get("flag_attempts").is_none());
    assert_eq!(d["scoreboard"], Value::Null);
    open_quiz(&mut m);
    assert!(m.vote(A1, ActivityId(30), &[ChoiceId(32)], 0).is_ok());
    let d = state(&m, Audience::Display);
    assert_eq!(d["question"]["id"], 30);
    assert_eq!(
        d["results"],
        Value::Null,
        "no quiz counts before the reveal"
    );
    assert!(
        !d.to_string().contains("correct\":true"),
        "choices carry no correct flag"
    );
    let tally = Event::Tally(Arc::new(m.tally().unwrap_or_else(|| panic!("tally"))));
    assert_eq!(
        seen(&tally, Audience::Display),
        serde_json::json!({"type": "answered", "question_id": 30, "total": 1})
    );
    assert_eq!(seen(&tally, Audience::Participant), Value::Null);
    assert_eq!(seen(&tally, Audience::Staff)["counts"]["32"], 1);
    let attempt = m.flag(A2, "nope", 0).attempt.map(Arc::new);
    let attempt = Event::FlagAttempt(attempt.unwrap_or_else(|| panic!("attempt")));
    assert_eq!(seen(&attempt, Audience::Display), Value::Null);
    assert_eq!(seen(&attempt, Audience::Participant), Value::Null);
    assert_eq!(seen(&attempt, Audience::Staff)["type"], "flag_attempt");
    let presence = Event::Presence { participants: 7 };
    assert_eq!(seen(&presence, Audience::Display)["count"], 7);
    assert_eq!(seen(&presence, Audience::Participant), Value::Null);
    let standings = Event::Standings(Arc::new(m.standings(&[])));
    assert_eq!(seen(&standings, Audience::Display), Value::Null);
    assert_eq!(
        seen(&Event::DisplaysRevoked, Audience::Display)["code"],
        crate::view::CLOSE_DISPLAY_REVOKED
    );
    assert_eq!(seen(&Event::DisplaysRevoked, Audience::Staff), Value::Null);
    go(&mut m, &[Control::Results]);
    let d = state(&m, Audience::Display);
    assert_eq!(d["results"]["correct"], serde_json::json!([32]), "revealed");
    let tally = Event::Tally(Arc::new(m.tally().unwrap_or_else(|| panic!("tally"))));
    assert_eq!(seen(&tally, Audience::Display)["type"], "tally");
    // The scoreboard changed outside the scoreboard screen: only staff get a new state.
    let board = Event::Scoreboard(Arc::new(m.view()));
    assert_eq!(seen(&board, Audience::Display), Value::Null);
    assert_eq!(seen(&board, Audience::Staff)["type"], "state");
    go(&mut m, &[Control::Scoreboard]);
    let board = Event::Scoreboard(Arc::new(m.view()));
    assert_eq!(seen(&board, Audience::Display)["scoreboard"][0]["score"], 3);
}

#[test]
fn next_after_last_ends_cleanly_and_controls_are_refused_after() {
    let mut m = meeting(false);
    go(
        &mut m,
        &[
            Control::Start,
            Control::Next,
            Control::Next,
            Control::Next,
            Control::Start,
            Control::Next,
        ],
    );
    assert_eq!(m.status, MeetingStatus::After);
    assert_eq!(m.position, 3);
    for c in Control::ALL {
        assert!(
            matches!(m.control(c), Err(ErrorCode::InvalidControl)),
            "{c:?}"
        );
    }
    assert_eq!(m.activities[3].state, ActivityState::Done);
    let p = state(&m, Audience::Participant);
    assert_eq!(p["status"], "after");
}

#[test]
fn rebuild_from_storage_restores_answers_and_scores() {
    let mut m = meeting(true);
    go(&mut m, &[Control::Start, Control::Next, Control::Start]);
    let mut ops = Vec::new();
    ops.push(
        m.vote(A1, ActivityId(20), &[ChoiceId(21)], 5)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    // What storage would hand back after a crash.
    let mut loaded = LoadedMeeting {
        meeting: MeetingRecord {
            reward_fastest: true,
            status: MeetingStatus::Ongoing,
            position: 1,
            ..meeting_record()
        },
        activities: vec![],
        attendees: vec![],
        votes: vec![],
        words: vec![],
        ratings: vec![],
        posts: Vec::new(),
        upvotes: Vec::new(),
        flags: vec![],
        captures: vec![],
        recent_attempts: vec![],
    };
    let mut poll = activity(
        20,
        ActivityKind::Poll,
        vec![choice(21, "a", false), choice(22, "b", false)],
    );
    poll.state = ActivityState::Open;
    loaded.activities = vec![activity(10, ActivityKind::Text, vec![]), poll];
    loaded.votes = vec![VoteRecord {
        activity_id: ActivityId(20),
        attendee_id: A1,
        choice_id: ChoiceId(21),
        points: None,
        at: 5,
    }];
    let mut r = Meeting::from_loaded(loaded);
    assert_eq!(
        r.vote(A1, ActivityId(20), &[ChoiceId(22)], 6),
        Err(ErrorCode::AlreadyVoted)
    );
    r.ensure_attendee(A2, "late", Platform::Room);
    assert!(r.vote(A2, ActivityId(20), &[ChoiceId(22)], 6).is_ok());
    assert_eq!(r.current().map(Activity::total_votes), Some(2));
    assert_eq!(ops.len(), 1);
}

#[test]
fn a_seat_carries_rank_answer_and_quiz_points() {
    let mut m = meeting(true);
    open_quiz(&mut m);
    for (a, c) in [(A1, 31), (A2, 32)] {
        assert!(m.vote(a, ActivityId(30), &[ChoiceId(c)], 0).is_ok());
    }
    // Before the reveal: the answer is there (a reloaded page shows it), no points yet, and
    // everyone still ties at 0, ranked by who joined first.
    let you = m.you(A2).unwrap_or_else(|| panic!("A2 is known"));
    assert_eq!(you.rank, 2);
    let answer = you.answer.unwrap_or_else(|| panic!("A2 voted"));
    assert_eq!(
        (answer.question_id, answer.choice_id, answer.points),
        (ActivityId(30), Some(ChoiceId(32)), None)
    );
    assert_eq!(m.you(A3).and_then(|y| y.answer), None, "A3 did not answer");
    let out = m.control(Control::Results).unwrap_or_default();
    assert_eq!(
        out.awards,
        vec![(A1, ActivityId(30), 0), (A2, ActivityId(30), 3)],
        "wrong answers are awarded 0, so their page can say so"
    );
    let a2 = m.you(A2).unwrap_or_else(|| panic!("A2 is known"));
    assert_eq!((a2.score, a2.rank), (3, 1));
    assert_eq!(a2.answer.and_then(|a| a.points), Some(3));
    assert_eq!(
        m.you(A1).and_then(|y| y.answer).and_then(|a| a.points),
        Some(0)
    );
    // The published standings agree with the per-seat ranks.
    let st = m.standings(&out.awards);
    assert_eq!(st.ranks[&A2], (3, 1));
    assert_eq!(st.ranks[&A1], (0, 2));
    assert_eq!(st.ranks[&A3], (0, 3));
    assert_eq!(st.awards[&A1], (ActivityId(30), 0));
    for id in [A1, A2, A3] {
        assert_eq!(m.you(id).map(|y| y.rank), Some(st.ranks[&id].1));
    }
}

#[test]
fn a_seat_lists_its_words() {
    let mut m = meeting(true);
    open_word_cloud(&mut m);
    assert!(m.word(A1, ActivityId(40), "Rust", 0).is_ok());
    assert!(m.word(A1, ActivityId(40), "  fun ", 0).is_ok());
    let answer = m.you(A1).and_then(|y| y.answer);
    assert_eq!(
        answer.map(|a| (a.question_id, a.choice_id, a.words)),
        Some((ActivityId(40), None, vec!["rust".into(), "fun".into()]))
    );
}

#[test]
fn a_control_with_a_stale_expectation_changes_nothing() {
    let mut m = meeting(true);
    go(&mut m, &[Control::Start]);
    let here = Expect {
        status: MeetingStatus::Ongoing,
        position: 0,
    };
    // Two dashboards press "next" from the same screen: the first moves, the second is stale.
    assert!(m.control_if(Control::Next, Some(here)).is_ok());
    assert_eq!(
        m.control_if(Control::Next, Some(here)).map(|_| ()),
        Err(ErrorCode::StaleControl)
    );
    assert_eq!((m.status, m.position), (MeetingStatus::Waiting, 1));
    // Without an expectation a control applies wherever the meeting is.
    assert!(m.control_if(Control::Next, None).is_ok());
    assert_eq!(m.position, 2);
}

/// The meeting of [`meeting`] reading a Twitch channel seen 5 s late, A3 a Twitch viewer.
fn streamed(reward_fastest: bool) -> Meeting {
    let mut m = meeting(reward_fastest);
    m.set_streams(
        vec![StoredSource {
            source: Source::Twitch {
                channel: "chan".into(),
                delay_secs: 5,
            },
            added_by: None,
        }],
        ChatRules::default(),
    );
    if let Some(a) = m.attendees.get_mut(&A3) {
        a.platform = Platform::Twitch;
    }
    m
}

const SEC: Micros = 1_000_000;

/// With `delay_secs: 5`, `results` closes the quiz for the room and holds the reveal 5 s; a
/// chat answer arriving 3 s after the close (given 2 s before it) counts, one arriving 7 s
/// after (given 2 s after it) does not; the first correct answer is decided on answer
/// times, so the viewer who answered before the room's fastest gets the bonus.
#[test]
fn stream_delay_holds_the_reveal_and_counts_answers_given_before_the_close() {
    let mut m = streamed(true);
    let t0 = 1_000 * SEC;
    for c in [Control::Start, Control::Next, Control::Next] {
        m.control_at(c, None, t0).unwrap_or_else(|e| panic!("{e}"));
    }
    m.control_at(Control::Start, None, t0)
        .unwrap_or_else(|e| panic!("{e}"));
    let quiz = ActivityId(30);
    // The room answers right at 10 s; the close is at 20 s.
    m.vote(A1, quiz, &[ChoiceId(32)], t0 + 10 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    let close = t0 + 20 * SEC;
    let out = m
        .control_at(Control::Results, None, close)
        .unwrap_or_else(|e| panic!("{e}"));
    let held = out.held.unwrap_or_else(|| panic!("the reveal is held"));
    assert_eq!(held.reveal_at, close + 5 * SEC);
    assert_eq!(m.status, MeetingStatus::Ongoing, "not revealed yet");
    assert!(out.awards.is_empty(), "nothing scored before the reveal");
    assert_eq!(
        m.vote(A2, quiz, &[ChoiceId(32)], close + SEC),
        Err(ErrorCode::NotOpen),
        "closed for the room"
    );
    assert_eq!(state(&m, Audience::Participant)["results"], Value::Null);
    assert_eq!(
        state(&m, Audience::Participant)["closed"],
        true,
        "phones stop offering answers"
    );
    assert!(state(&m, Audience::Participant).get("reveal_at").is_none());
    assert!(state(&m, Audience::Staff)["reveal_at"].is_string());
    // Arrived 7 s after the close: given 2 s after it.
    let late = close + 7 * SEC - 5 * SEC;
    assert_eq!(
        chat_vote(&mut m, A3, ChoiceId(32), late),
        Err(ErrorCode::NotOpen)
    );
    // Arrived 3 s after the close: given 2 s before it (after the room's 10 s answer).
    let given = close + 3 * SEC - 5 * SEC;
    assert!(given < close);
    assert!(chat_vote(&mut m, A3, ChoiceId(31), given).is_ok(), "counts");
    assert_eq!(
        chat_vote(&mut m, A3, ChoiceId(32), given),
        Err(ErrorCode::AlreadyVoted)
    );
    // The reveal comes due: scored now, A1's 10 s answer is the fastest correct one.
    let out = m
        .control_at(Control::Results, None, held.reveal_at)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.status, MeetingStatus::Results);
    assert!(out.held.is_none());
    assert_eq!(state(&m, Audience::Participant)["closed"], false);
    let points: HashMap<AttendeeId, i64> = out.awards.iter().map(|a| (a.0, a.2)).collect();
    assert_eq!(points.get(&A1), Some(&3));
    assert_eq!(points.get(&A3), Some(&0));
    let tally = m.tally().unwrap_or_else(|| panic!("a tally"));
    let twitch = tally
        .by_platform
        .iter()
        .find(|(p, _)| *p == Platform::Twitch)
        .map(|(_, c)| c.clone());
    assert_eq!(twitch, Some(vec![(ChoiceId(31), 1), (ChoiceId(32), 0)]));
}

/// A viewer who answered before the room's fastest (by answer time) takes the bonus, even
/// though their answer arrived later; an answer is never timed before the activity opened.
#[test]
fn the_fastest_is_decided_on_answer_times_across_room_and_chat() {
    let mut m = streamed(true);
    let t0 = 1_000 * SEC;
    open_quiz(&mut m);
    // `open_quiz` opened it "now"; reopen the timeline at t0 for a controlled clock.
    if let Some(a) = m.activities.get_mut(2) {
        a.opened_at = t0;
    }
    m.vote(A1, ActivityId(30), &[ChoiceId(32)], t0 + 4 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    // Arrived at 7 s with a 5 s delay: given at 2 s, before the room's 4 s.
    chat_vote(&mut m, A3, ChoiceId(32), t0 + 2 * SEC).unwrap_or_else(|e| panic!("{e}"));
    let out = m
        .control_at(Control::Next, None, t0 + 30 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    let points: HashMap<AttendeeId, i64> = out.awards.iter().map(|a| (a.0, a.2)).collect();
    assert_eq!(points.get(&A3), Some(&3));
    assert_eq!(points.get(&A1), Some(&1));
}

/// Without a stream delay `results` reveals at once, as before chat sources existed.
#[test]
fn no_delay_no_hold() {
    let mut m = meeting(true);
    open_quiz(&mut m);
    let out = m
        .control(Control::Results)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.held.is_none());
    assert_eq!(m.status, MeetingStatus::Results);
}

/// A held reveal is settled by any control (here `next`): the quiz is scored exactly once.
#[test]
fn a_control_during_the_hold_settles_it() {
    let mut m = streamed(true);
    open_quiz(&mut m);
    m.vote(A1, ActivityId(30), &[ChoiceId(32)], 5)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = m
        .control(Control::Results)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.held.is_some());
    let out = m.control(Control::Next).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.awards.len(), 1);
    assert!(m.pending_reveal.is_none());
    assert_eq!(m.attendees.get(&A1).map(|a| a.score), Some(3));
}

/// Staff see the counts split by platform; participants never do.
#[test]
fn by_platform_counts_are_for_staff() {
    let mut m = streamed(false);
    go(&mut m, &[Control::Start, Control::Next, Control::Start]);
    m.vote(A1, ActivityId(20), &[ChoiceId(21)], 1)
        .unwrap_or_else(|e| panic!("{e}"));
    chat_vote(&mut m, A3, ChoiceId(22), 2).unwrap_or_else(|e| panic!("{e}"));
    let tally = Event::Tally(Arc::new(m.tally().unwrap_or_else(|| panic!("tally"))));
    let staff = seen(&tally, Audience::Staff);
    assert_eq!(staff["by_platform"]["room"]["21"], 1);
    assert_eq!(staff["by_platform"]["twitch"]["22"], 1);
    assert_eq!(staff["by_platform"]["twitch"]["21"], 0);
    assert!(staff["by_platform"].get("youtube").is_none());
    assert!(
        seen(&tally, Audience::Participant)
            .get("by_platform")
            .is_none()
    );
    assert!(seen(&tally, Audience::Display).get("by_platform").is_none());
    let st = state(&m, Audience::Staff);
    assert_eq!(st["results"]["by_platform"]["twitch"]["22"], 1);
    assert_eq!(st["chat"]["vote_prefix"], "#");
    assert_eq!(
        state(&m, Audience::Participant)["chat"]["platforms"][0],
        "twitch"
    );
    assert!(state(&m, Audience::Participant).get("sources").is_none());
}

/// A chat viewer's new display name follows them; their seat and score stay.
#[test]
fn a_renamed_viewer_keeps_their_seat() {
    let mut m = streamed(false);
    assert!(m.rename(A3, "p3").is_none(), "same name: nothing to write");
    let op = m.rename(A3, "New Name");
    assert_eq!(
        op,
        Some(WriteOp::Rename {
            attendee: A3,
            name: "New Name".into()
        })
    );
    assert_eq!(
        m.attendees.get(&A3).map(|a| a.name.as_str()),
        Some("New Name")
    );
    assert_eq!(m.attendees.len(), 3);
}

#[test]
fn a_removed_participant_stops_counting() {
    let mut m = meeting(false);
    go(&mut m, &[Control::Start, Control::Next, Control::Start]);
    m.vote(A1, ActivityId(20), &[ChoiceId(21)], 1)
        .unwrap_or_else(|e| panic!("{e}"));
    m.vote(A2, ActivityId(20), &[ChoiceId(21)], 2)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        m.remove_attendee(A2).ok(),
        Some(WriteOp::Remove { attendee: A2 })
    );
    let tally = m.tally().unwrap_or_else(|| panic!("a tally"));
    assert_eq!(tally.counts, vec![(ChoiceId(21), 1), (ChoiceId(22), 0)]);
    assert!(m.participants().iter().all(|p| p.attendee_id != A2));
    assert!(m.scoreboard(10).iter().all(|r| r.attendee_id != A2));
    assert_eq!(
        m.vote(A2, ActivityId(20), &[ChoiceId(22)], 3),
        Err(ErrorCode::Removed)
    );
    assert_eq!(
        m.flag(A2, "LK{s3cret}", 4).result.err(),
        Some(ErrorCode::Removed)
    );
    assert!(!m.ensure_attendee(A2, "back again", Platform::Room));
    assert_eq!(m.remove_attendee(A2), Err(ErrorCode::Removed));
    assert_eq!(m.remove_attendee(AttendeeId(99)), Err(ErrorCode::NotFound));
}

#[test]
fn blocked_and_hidden_words() {
    let mut m = meeting(false);
    m.block_words(vec!["spam".into()]);
    open_word_cloud(&mut m);
    assert_eq!(
        m.word(A1, ActivityId(40), "buy SPAM now", 1),
        Err(ErrorCode::BlockedWord)
    );
    assert!(
        m.word(A1, ActivityId(40), "spammer", 2).is_ok(),
        "whole words only"
    );
    m.word(A2, ActivityId(40), "rust", 3)
        .unwrap_or_else(|e| panic!("{e}"));
    let op = m
        .hide_word(ActivityId(40), "RUST", true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        op,
        WriteOp::HideWords {
            activity: ActivityId(40),
            words: vec!["rust".into()]
        }
    );
    let words = m.words().unwrap_or_else(|| panic!("words"));
    assert_eq!(words.words.len(), 1, "rust is hidden: {:?}", words.words);
    m.hide_word(ActivityId(40), "rust", false)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.words().map(|w| w.words.len()), Some(2));
    assert!(m.is_blocked("Spam Lord"));
    assert_eq!(m.moderator_rename(A3, "spam"), Err(ErrorCode::BlockedWord));
}

#[test]
fn an_edited_plan_keeps_what_was_reached() {
    let mut m = meeting(false);
    go(&mut m, &[Control::Start, Control::Next, Control::Start]);
    m.vote(A1, ActivityId(20), &[ChoiceId(22)], 1)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.reached(), 2);
    let record = MeetingRecord {
        scoring: Default::default(),
        auto_start: false,
        streak_bonus: 0,
        sounds: true,
        id: MeetingId(1),
        title: "Edited".into(),
        code: "new".into(),
        reward_fastest: false,
        flag_prefix: "LK".into(),
        status: MeetingStatus::Ongoing,
        position: 1,
        sources: vec![],
        chat: Default::default(),
        owner: None,
        blocked_words: vec!["nope".into()],
        bots: vec![],
    };
    // Storage's view: the first two as they were, then a new quiz and nothing else.
    let activities = vec![
        activity(10, ActivityKind::Text, vec![]),
        activity(
            20,
            ActivityKind::Poll,
            vec![choice(21, "a", false), choice(22, "b", false)],
        ),
        activity(
            50,
            ActivityKind::Quiz,
            vec![choice(51, "a", true), choice(52, "b", false)],
        ),
    ];
    m.apply_plan(record, activities, vec![], 2);
    assert_eq!(m.title, "Edited");
    assert_eq!(m.activities.len(), 3);
    assert_eq!(m.activities[2].id, ActivityId(50));
    assert_eq!(
        m.tally().map(|t| t.counts),
        Some(vec![(ChoiceId(21), 0), (ChoiceId(22), 1)]),
        "the open poll keeps its votes"
    );
    assert!(m.is_blocked("nope"));
    assert!(!m.has_flag("s3cret"), "flags follow the plan");
}

#[test]
fn a_chat_viewer_with_a_blocked_name_is_shown_under_another() {
    let mut m = meeting(false);
    m.block_words(vec!["slur".into()]);
    assert_eq!(
        m.viewer_name(Platform::Twitch, "123456789", "xXslur Xx"),
        "xXslur Xx",
        "whole words only"
    );
    assert_eq!(
        m.viewer_name(Platform::Twitch, "123456789", "the SLUR guy"),
        "Twitch viewer 6789"
    );
    assert_eq!(m.viewer_name(Platform::Youtube, "ab", "Ann"), "Ann");
}

/// The quiz (position 2) with a 20 s timer, opened at `t0` on the caller's clock.
fn timed_quiz(scoring: Scoring, t0: Micros) -> Meeting {
    let mut m = meeting(true);
    m.scoring = scoring;
    m.activities[2].time_limit = 20;
    m.activities[2].points = 1000;
    for c in [Control::Start, Control::Next, Control::Next] {
        m.control_at(c, None, t0 - SEC)
            .unwrap_or_else(|e| panic!("{c:?}: {e}"));
    }
    let out = m
        .control_at(Control::Start, None, t0)
        .unwrap_or_else(|e| panic!("start: {e}"));
    assert_eq!(out.deadline, Some((ActivityId(30), t0 + 20 * SEC)));
    assert!(out.ops.contains(&WriteOp::Deadline {
        activity: ActivityId(30),
        closes_at: Some(t0 + 20 * SEC)
    }));
    m
}

#[test]
fn a_timer_closes_answers_at_its_deadline_and_takes_added_time() {
    let t0 = 1_000 * SEC;
    let mut m = timed_quiz(Scoring::FirstBonus, t0);
    assert_eq!(m.deadline(), Some((ActivityId(30), t0 + 20 * SEC)));
    let s = state(&m, Audience::Participant);
    assert!(
        s["closes_at"].as_str().is_some_and(|c| c.ends_with('Z')),
        "{s}"
    );
    assert_eq!(s["question"]["time_limit_secs"], 20);
    // In time, then too late (the close is on its way: the answer is refused already).
    assert!(
        m.vote(A1, ActivityId(30), &[ChoiceId(32)], t0 + 19 * SEC)
            .is_ok()
    );
    assert_eq!(
        m.vote(A2, ActivityId(30), &[ChoiceId(32)], t0 + 21 * SEC)
            .err(),
        Some(ErrorCode::NotOpen)
    );
    // Time added before the end moves the deadline; after it, it cannot be given back.
    let (_, closes, op) = m
        .add_time(30, t0 + 10 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(closes, t0 + 50 * SEC);
    assert!(matches!(op, WriteOp::Deadline { closes_at: Some(c), .. } if c == closes));
    assert!(
        m.vote(A2, ActivityId(30), &[ChoiceId(31)], t0 + 40 * SEC)
            .is_ok()
    );
    assert_eq!(
        m.add_time(30, t0 + 60 * SEC).err(),
        Some(ErrorCode::InvalidControl)
    );
    assert_eq!(
        m.add_time(0, t0 + 11 * SEC).err(),
        Some(ErrorCode::InvalidControl)
    );
    // Closing ends the timer: no deadline, none in the state, stored as none.
    let out = m
        .control_at(Control::Results, None, t0 + 50 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.ops.contains(&WriteOp::Deadline {
        activity: ActivityId(30),
        closes_at: None
    }));
    assert_eq!(m.deadline(), None);
    assert_eq!(state(&m, Audience::Participant)["closes_at"], Value::Null);
    assert_eq!(
        m.add_time(10, t0 + 51 * SEC).err(),
        Some(ErrorCode::InvalidControl)
    );
    // An untimed activity has no deadline.
    let mut plain = meeting(false);
    open_quiz(&mut plain);
    assert_eq!(plain.deadline(), None);
}

#[test]
fn speed_scoring_pays_by_answer_time() {
    let t0 = 1_000 * SEC;
    let mut m = timed_quiz(Scoring::Speed, t0);
    assert!(m.vote(A1, ActivityId(30), &[ChoiceId(32)], t0).is_ok());
    assert!(
        m.vote(A2, ActivityId(30), &[ChoiceId(32)], t0 + 10 * SEC)
            .is_ok()
    );
    assert!(
        m.vote(A3, ActivityId(30), &[ChoiceId(31)], t0 + SEC)
            .is_ok()
    );
    let out = m
        .control_at(Control::Results, None, t0 + 20 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut awards = out.awards.clone();
    awards.sort();
    assert_eq!(
        awards,
        [
            (A1, ActivityId(30), 1000),
            (A2, ActivityId(30), 750),
            (A3, ActivityId(30), 0)
        ]
    );
    assert_eq!(m.attendees[&A1].score, 1000);
}

#[test]
fn auto_start_opens_the_next_activity_on_next() {
    let mut m = meeting(false);
    m.auto_start = true;
    m.activities[1].time_limit = 30;
    go(&mut m, &[Control::Start]);
    assert_eq!(m.status, MeetingStatus::Ongoing, "the first slide is shown");
    let out = m
        .control_at(Control::Next, None, 5 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.status, m.position), (MeetingStatus::Ongoing, 1));
    assert_eq!(m.activities[1].state, ActivityState::Open);
    assert_eq!(out.deadline, Some((ActivityId(20), 35 * SEC)));
    assert!(
        out.ops.iter().any(|op| matches!(
            op,
            WriteOp::Progress {
                status: MeetingStatus::Ongoing,
                position: 1,
                ..
            }
        )),
        "{:?}",
        out.ops
    );
    // Without it, Next waits for Start.
    let mut manual = meeting(false);
    go(&mut manual, &[Control::Start, Control::Next]);
    assert_eq!(manual.status, MeetingStatus::Waiting);
}

#[test]
fn a_timer_left_running_by_a_stopped_server_is_resumed_from_storage() {
    let mut loaded = activity(30, ActivityKind::Quiz, vec![choice(31, "a", false)]);
    loaded.state = ActivityState::Open;
    loaded.time_limit_secs = 20;
    loaded.closes_at = Some(500 * SEC);
    let a = Activity::new(loaded);
    assert_eq!(a.closes_at, Some(500 * SEC));
    assert_eq!(
        a.opened_at,
        480 * SEC,
        "speed scoring counts from the timer's start"
    );
    let mut closed = activity(31, ActivityKind::Quiz, vec![]);
    closed.state = ActivityState::Closed;
    closed.closes_at = Some(500 * SEC);
    assert_eq!(
        Activity::new(closed).closes_at,
        None,
        "a stale deadline is ignored"
    );
}
