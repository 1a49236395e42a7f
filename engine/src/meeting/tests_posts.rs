//! Open questions, Q&A with upvotes, moderation, hidden poll results, the lobby and the
//! leaderboard after a speed-scored quiz.

use std::sync::Arc;

use librekast_storage::*;
use serde_json::{Value, json};

use super::tests::{A1, A2, A3, activity, choice, meeting_record, room_attendees, seen, state};
use super::*;
use crate::command::PostAction;
use crate::event::Event;
use crate::view::Audience;

const SEC: Micros = 1_000_000;
const OPEN: ActivityId = ActivityId(10);
const QNA: ActivityId = ActivityId(20);

/// text_answer (10), qna (20), a poll hiding its results (30: a, b), a speed quiz (40:
/// b right, 20 s).
fn loaded(posts: Vec<PostRecord>, upvotes: Vec<UpvoteRecord>) -> LoadedMeeting {
    LoadedMeeting {
        meeting: MeetingRecord {
            scoring: Scoring::Speed,
            ..meeting_record()
        },
        activities: vec![
            ActivityRecord {
                image: Some("0123456789abcdef0123456789abcdef".into()),
                alt: "A diagram".into(),
                ..activity(10, ActivityKind::TextAnswer, vec![])
            },
            activity(20, ActivityKind::Qna, vec![]),
            ActivityRecord {
                hide_results: true,
                ..activity(
                    30,
                    ActivityKind::Poll,
                    vec![choice(31, "a", false), choice(32, "b", false)],
                )
            },
            ActivityRecord {
                time_limit_secs: 20,
                points: Some(1000),
                ..activity(
                    40,
                    ActivityKind::Quiz,
                    vec![choice(41, "a", false), choice(42, "b", true)],
                )
            },
        ],
        attendees: room_attendees(&[A1, A2, A3]),
        votes: vec![],
        words: vec![],
        ratings: vec![],
        posts,
        upvotes,
        flags: vec![],
        captures: vec![],
        recent_attempts: vec![],
    }
}

fn meeting() -> Meeting {
    Meeting::from_loaded(loaded(vec![], vec![]))
}

/// Opens the activity at `position` at `t`.
fn open_at(m: &mut Meeting, position: usize, t: Micros) {
    m.control_at(Control::Start, None, t)
        .unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..position {
        m.control_at(Control::Next, None, t)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    if position > 0 {
        m.control_at(Control::Start, None, t)
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

fn ids(items: &Value) -> Vec<u64> {
    items["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_u64()).collect())
        .unwrap_or_default()
}

fn items_frame(m: &Meeting, audience: Audience) -> Value {
    let items = m.items().unwrap_or_else(|| panic!("no items"));
    seen(&Event::Items(Arc::new(items)), audience)
}

#[test]
fn an_open_question_takes_one_answer_each_and_shows_it_once_approved() {
    let mut m = meeting();
    open_at(&mut m, 0, 0);
    let kind = ActivityKind::TextAnswer;
    let (n, op) = m
        .post(A1, OPEN, kind, "  I think so  ", SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 1);
    assert_eq!(
        op,
        WriteOp::Post {
            activity: OPEN,
            number: 1,
            attendee: A1,
            text: "I think so".into(),
            status: PostStatus::Pending,
            at: SEC,
        }
    );
    assert_eq!(
        m.post(A1, OPEN, kind, "again", SEC).map(|_| ()),
        Err(ErrorCode::AlreadyVoted)
    );
    assert_eq!(
        m.post(A2, OPEN, ActivityKind::Qna, "wrong frame", SEC)
            .map(|_| ()),
        Err(ErrorCode::BadRequest),
        "an `ask` frame on an open question"
    );
    for bad in ["", "   ", &"x".repeat(281)] {
        assert_eq!(
            m.post(A2, OPEN, kind, bad, SEC).map(|_| ()),
            Err(ErrorCode::BadRequest)
        );
    }
    let (n, _) = m
        .post(A2, OPEN, kind, &"é".repeat(280), SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 2, "280 characters, not bytes");
    m.set_blocked_words(vec!["spam".into()]);
    assert_eq!(
        m.post(A3, OPEN, kind, "Buy SPAM now", SEC).map(|_| ()),
        Err(ErrorCode::BlockedWord)
    );

    // Staff see both at once; everyone else nothing until approved.
    let staff = items_frame(&m, Audience::Staff);
    assert_eq!(ids(&staff), [1, 2]);
    assert_eq!(staff["items"][0]["status"], "pending");
    assert_eq!(staff["items"][0]["name"], "p1");
    assert_eq!(
        staff["counts"],
        json!({"pending": 2, "approved": 0, "hidden": 0, "answered": 0})
    );
    for audience in [Audience::Participant, Audience::Display] {
        assert_eq!(ids(&items_frame(&m, audience)), Vec::<u64>::new());
        assert_eq!(items_frame(&m, audience)["counts"]["pending"], 2);
    }
    let op = m
        .moderate_post(OPEN, 1, PostAction::Approve)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        op,
        Some(WriteOp::Moderate {
            activity: OPEN,
            number: 1,
            status: PostStatus::Approved,
            pinned: false,
            answered: false,
        })
    );
    assert_eq!(m.moderate_post(OPEN, 1, PostAction::Approve), Ok(None));
    assert_eq!(
        m.moderate_post(OPEN, 9, PostAction::Approve),
        Err(ErrorCode::NotFound)
    );
    let shown = items_frame(&m, Audience::Display);
    assert_eq!(ids(&shown), [1]);
    assert_eq!(shown["items"][0]["text"], "I think so");
    // On the phone and in state: the question's image, the answer given.
    let phone = state(&m, Audience::Participant);
    assert_eq!(
        phone["question"]["image"],
        json!({"url": "/media/0123456789abcdef0123456789abcdef", "alt": "A diagram"})
    );
    assert_eq!(phone["question"]["max_text_chars"], 280);
    assert_eq!(ids(&phone["items"]), [1]);
    let you = m.you(A1).unwrap_or_else(|| panic!("no seat"));
    let answer = you.answer.unwrap_or_else(|| panic!("no answer"));
    assert_eq!(
        (answer.text.as_deref(), answer.items),
        (Some("I think so"), vec![1])
    );
    // Newest first on screen.
    m.moderate_post(OPEN, 2, PostAction::Approve)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&items_frame(&m, Audience::Display)), [2, 1]);
}

#[test]
fn qna_questions_are_upvoted_once_each_sorted_and_moderated() {
    let mut m = meeting();
    open_at(&mut m, 1, 0);
    let kind = ActivityKind::Qna;
    for i in 0..QUESTIONS_PER_ATTENDEE {
        let (n, _) = m
            .post(A1, QNA, kind, &format!("question {i}"), SEC)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n as usize, i + 1);
    }
    assert_eq!(
        m.post(A1, QNA, kind, "one more", SEC).map(|_| ()),
        Err(ErrorCode::LimitReached)
    );
    // Pending questions cannot be upvoted (nobody but staff sees them).
    assert_eq!(
        m.upvote(A2, QNA, 1, SEC).map(|_| ()),
        Err(ErrorCode::NotFound)
    );
    for n in 1..=4 {
        m.moderate_post(QNA, n, PostAction::Approve)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(
        m.upvote(A2, QNA, 3, SEC),
        Ok(WriteOp::Upvote {
            activity: QNA,
            number: 3,
            attendee: A2,
            at: SEC
        })
    );
    assert_eq!(m.upvote(A2, QNA, 3, SEC), Err(ErrorCode::AlreadyVoted));
    assert_eq!(m.upvote(A2, QNA, 99, SEC), Err(ErrorCode::NotFound));
    m.upvote(A3, QNA, 3, SEC).unwrap_or_else(|e| panic!("{e}"));
    m.upvote(A3, QNA, 2, SEC).unwrap_or_else(|e| panic!("{e}"));
    // By votes, then by number; pinned on top; answered last; hidden gone.
    assert_eq!(ids(&items_frame(&m, Audience::Participant)), [3, 2, 1, 4]);
    m.moderate_post(QNA, 4, PostAction::Pin)
        .unwrap_or_else(|e| panic!("{e}"));
    m.moderate_post(QNA, 3, PostAction::Answered)
        .unwrap_or_else(|e| panic!("{e}"));
    m.moderate_post(QNA, 1, PostAction::Hide)
        .unwrap_or_else(|e| panic!("{e}"));
    let public = items_frame(&m, Audience::Display);
    assert_eq!(ids(&public), [4, 2, 3]);
    assert_eq!(public["items"][0]["pinned"], true);
    assert_eq!(public["items"][2]["answered"], true);
    assert_eq!(public["items"][2]["votes"], 2);
    assert_eq!(
        public["counts"],
        json!({"pending": 1, "approved": 3, "hidden": 1, "answered": 1})
    );
    // Staff: the queue first (5 is pending), then the screen's order, then hidden.
    assert_eq!(ids(&items_frame(&m, Audience::Staff)), [5, 4, 2, 3, 1]);
    assert_eq!(
        m.upvote(A2, QNA, 1, SEC),
        Err(ErrorCode::NotFound),
        "hidden"
    );
    let you = m
        .you(A2)
        .and_then(|y| y.answer)
        .unwrap_or_else(|| panic!("no answer"));
    assert_eq!((you.items, you.upvoted, you.text), (vec![], vec![3], None));

    // A removed attendee's upvotes stop counting and their questions leave every screen.
    m.remove_attendee(A3).unwrap_or_else(|e| panic!("{e}"));
    let public = items_frame(&m, Audience::Display);
    assert_eq!(public["items"][2]["votes"], 1);
    m.remove_attendee(A1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&items_frame(&m, Audience::Staff)), Vec::<u64>::new());
    assert_eq!(
        m.moderate_post(QNA, 2, PostAction::Approve),
        Err(ErrorCode::NotFound)
    );
}

#[test]
fn posts_and_upvotes_come_back_from_storage() {
    let post = |number, attendee, status, pinned, answered| PostRecord {
        activity_id: QNA,
        number,
        attendee_id: attendee,
        text: format!("q{number}"),
        status,
        pinned,
        answered,
        at: SEC,
    };
    let mut m = Meeting::from_loaded(loaded(
        vec![
            post(1, A1, PostStatus::Approved, false, false),
            post(2, A2, PostStatus::Approved, true, false),
            post(3, A1, PostStatus::Pending, false, false),
        ],
        vec![UpvoteRecord {
            activity_id: QNA,
            number: 1,
            attendee_id: A3,
            at: SEC,
        }],
    ));
    open_at(&mut m, 1, 0);
    let public = items_frame(&m, Audience::Participant);
    assert_eq!(ids(&public), [2, 1]);
    assert_eq!(public["items"][1]["votes"], 1);
    assert_eq!(m.upvote(A3, QNA, 1, SEC), Err(ErrorCode::AlreadyVoted));
    let (n, _) = m
        .post(A3, QNA, ActivityKind::Qna, "next", SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 4, "numbering goes on after the stored posts");
    let mine = m.you(A1).and_then(|y| y.answer).map(|a| a.items);
    assert_eq!(mine, Some(vec![1, 3]));
}

#[test]
fn chat_answers_questions_and_upvotes() {
    let mut m = meeting();
    open_at(&mut m, 0, 0);
    assert_eq!(
        m.chat_reading("I think so", SEC),
        Some(ChatAnswer::Post(ChatPost::Text("I think so".into())))
    );
    assert_eq!(
        m.chat_reading("+12", SEC),
        Some(ChatAnswer::Post(ChatPost::Text("+12".into()))),
        "an open question takes `+12` as an answer"
    );
    let ops = m
        .chat_answer(A1, ChatAnswer::Post(ChatPost::Text("yes".into())), SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(ops[..], [WriteOp::Post { number: 1, .. }]));

    m.control_at(Control::Next, None, SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    m.control_at(Control::Start, None, SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        m.chat_reading("+12", SEC),
        Some(ChatAnswer::Post(ChatPost::Upvote(12)))
    );
    assert_eq!(
        m.chat_reading("Why Rust?", SEC),
        Some(ChatAnswer::Post(ChatPost::Text("Why Rust?".into())))
    );
    m.chat_answer(
        A1,
        ChatAnswer::Post(ChatPost::Text("Why Rust?".into())),
        SEC,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        m.chat_answer(A2, ChatAnswer::Post(ChatPost::Upvote(1)), SEC),
        Err(ErrorCode::NotFound),
        "pending"
    );
    m.moderate_post(QNA, 1, PostAction::Approve)
        .unwrap_or_else(|e| panic!("{e}"));
    let ops = m
        .chat_answer(A2, ChatAnswer::Post(ChatPost::Upvote(1)), SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(ops[..], [WriteOp::Upvote { number: 1, .. }]));
}

#[test]
fn a_poll_can_hide_its_counts_until_the_reveal() {
    let mut m = meeting();
    open_at(&mut m, 2, 0);
    m.vote(A1, ActivityId(30), &[ChoiceId(31)], SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    let tally = Event::Tally(Arc::new(m.tally().unwrap_or_else(|| panic!("no tally"))));
    assert_eq!(seen(&tally, Audience::Participant), Value::Null);
    assert_eq!(
        seen(&tally, Audience::Display),
        json!({"type": "answered", "question_id": 30, "total": 1})
    );
    assert_eq!(seen(&tally, Audience::Staff)["counts"]["31"], 1);
    assert_eq!(state(&m, Audience::Participant)["results"], Value::Null);
    assert_eq!(state(&m, Audience::Display)["results"], Value::Null);
    assert_eq!(state(&m, Audience::Staff)["results"]["counts"]["31"], 1);
    assert_eq!(
        state(&m, Audience::Participant)["question"]["hide_results_until_reveal"],
        true
    );
    m.control_at(Control::Results, None, 2 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        state(&m, Audience::Participant)["results"]["counts"]["31"],
        1
    );
    let tally = Event::Tally(Arc::new(m.tally().unwrap_or_else(|| panic!("no tally"))));
    assert_eq!(seen(&tally, Audience::Participant)["counts"]["31"], 1);
}

#[test]
fn a_speed_quiz_shows_the_top_five_with_their_rank_before_it() {
    let mut m = meeting();
    // Before the quiz: A3 leads (a flag's points), A1 and A2 have none.
    if let Some(a) = m.attendees.get_mut(&A3) {
        a.score = 800;
    }
    open_at(&mut m, 3, 0);
    assert_eq!(state(&m, Audience::Display)["leaderboard"], Value::Null);
    m.vote(A1, ActivityId(40), &[ChoiceId(42)], SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    m.vote(A2, ActivityId(40), &[ChoiceId(41)], SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    m.control_at(Control::Results, None, 2 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    let board = state(&m, Audience::Participant)["leaderboard"].clone();
    let rows: Vec<(u64, u64, u64, i64)> = board
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    (
                        r["attendee_id"].as_u64().unwrap_or(0),
                        r["rank"].as_u64().unwrap_or(0),
                        r["previous_rank"].as_u64().unwrap_or(0),
                        r["gained"].as_i64().unwrap_or(-1),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // A1 earned 975 (right at 1 s of 20) and passes A3; A2's wrong answer paid nothing.
    assert_eq!(rows, [(1, 1, 2, 975), (3, 2, 1, 0), (2, 3, 3, 0)]);
    m.control_at(Control::Next, None, 3 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state(&m, Audience::Display)["leaderboard"], Value::Null);
}

#[test]
fn the_lobby_lists_the_latest_names_for_staff_and_displays() {
    let mut m = meeting();
    for i in 10..50 {
        m.ensure_attendee(AttendeeId(i), &format!("p{i}"), Platform::Room);
    }
    let lobby = m.lobby();
    assert_eq!(lobby.count, 43);
    assert_eq!(lobby.names.len(), LOBBY_NAMES);
    assert_eq!(lobby.names.last().map(|n| n.name.as_str()), Some("p49"));
    assert_eq!(lobby.names[0].name, "p20");
    m.remove_attendee(AttendeeId(49))
        .unwrap_or_else(|e| panic!("{e}"));
    m.moderator_rename(AttendeeId(48), "Renamed")
        .unwrap_or_else(|e| panic!("{e}"));
    let after = m.lobby();
    assert_eq!(after.count, 42);
    assert_eq!(
        after.names.last().map(|n| n.name.as_str()),
        Some("Renamed"),
        "the removed one left, the renamed one follows"
    );
    assert!(state(&m, Audience::Participant).get("lobby").is_none());
    assert_eq!(state(&m, Audience::Display)["lobby"]["count"], 42);
    let frame = seen(&Event::Lobby(Arc::new(lobby)), Audience::Display);
    assert_eq!(frame["type"], "lobby");
    assert_eq!(
        seen(&Event::Lobby(Arc::new(m.lobby())), Audience::Participant),
        Value::Null
    );
    // Sounds: on by default, switched off once.
    assert_eq!(state(&m, Audience::Display)["sounds"], true);
    assert!(m.set_sounds(false).is_some());
    assert!(m.set_sounds(false).is_none());
    assert_eq!(state(&m, Audience::Participant)["sounds"], false);
}

#[test]
fn phones_get_the_top_twenty_displays_fifty_staff_everything() {
    let mut m = meeting();
    open_at(&mut m, 1, 0);
    for i in 0..12 {
        m.ensure_attendee(AttendeeId(100 + i), &format!("p{i}"), Platform::Room);
    }
    let mut n = 0;
    for i in 0..12 {
        for q in 0..5 {
            n = m
                .post(
                    AttendeeId(100 + i),
                    QNA,
                    ActivityKind::Qna,
                    &format!("q{i}.{q}"),
                    SEC,
                )
                .unwrap_or_else(|e| panic!("{e}"))
                .0;
        }
    }
    assert_eq!(n, 60);
    for item in 1..=60 {
        m.moderate_post(QNA, item, PostAction::Approve)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(ids(&items_frame(&m, Audience::Participant)).len(), 20);
    assert_eq!(ids(&items_frame(&m, Audience::Display)).len(), 50);
    assert_eq!(ids(&items_frame(&m, Audience::Staff)).len(), 60);
    assert_eq!(
        items_frame(&m, Audience::Participant)["counts"]["approved"],
        60
    );
    assert_eq!(ids(&state(&m, Audience::Participant)["items"]).len(), 20);
}
