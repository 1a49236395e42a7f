//! Ratings, rating grids, multi-select polls and quizzes, partial credit and streaks.

use librekast_storage::*;

use super::tests::{A1, A2, A3, activity, choice, meeting_record, room_attendees, state};
use super::*;
use crate::view::Audience;

const SEC: Micros = 1_000_000;

fn scale(min: i32, max: i32) -> Option<Scale> {
    Some(Scale {
        min,
        max,
        labels: vec![],
    })
}

/// scale 0–10 (10), grid a/b/c on 1–5 (20), poll a–d up to 2 (30), quiz a–d up to 3 with
/// b and d right (40, partial credit as given), a single-choice quiz (50: b right).
fn meeting(partial_credit: bool, scoring: Scoring, streak_bonus: u32) -> Meeting {
    let attendees = room_attendees(&[A1, A2, A3]);
    let mut activities = vec![
        ActivityRecord {
            scale: scale(0, 10),
            ..activity(10, ActivityKind::Scale, vec![])
        },
        ActivityRecord {
            scale: scale(1, 5),
            prior_weight: Some(2),
            ..activity(
                20,
                ActivityKind::Grid,
                vec![
                    choice(21, "a", false),
                    choice(22, "b", false),
                    choice(23, "c2", false),
                ],
            )
        },
        ActivityRecord {
            max_choices: 2,
            ..activity(
                30,
                ActivityKind::Poll,
                (31..=34)
                    .zip(["a", "b", "c", "d"])
                    .map(|(id, s)| choice(id, s, false))
                    .collect(),
            )
        },
        ActivityRecord {
            max_choices: 3,
            partial_credit,
            time_limit_secs: 20,
            ..activity(
                40,
                ActivityKind::Quiz,
                vec![
                    choice(41, "a", false),
                    choice(42, "b", true),
                    choice(43, "c", false),
                    choice(44, "d", true),
                ],
            )
        },
        ActivityRecord {
            time_limit_secs: 20,
            ..activity(
                50,
                ActivityKind::Quiz,
                vec![choice(51, "a", false), choice(52, "b", true)],
            )
        },
    ];
    for a in &mut activities {
        a.points = Some(1000);
    }
    Meeting::from_loaded(LoadedMeeting {
        meeting: MeetingRecord {
            scoring,
            streak_bonus,
            ..meeting_record()
        },
        activities,
        attendees,
        votes: vec![],
        words: vec![],
        ratings: vec![],
        posts: Vec::new(),
        upvotes: Vec::new(),
        flags: vec![],
        captures: vec![],
        recent_attempts: vec![],
    })
}

/// Opens the activity at `position` (from `before`: Start opens the first one), at `t`.
fn open_at(m: &mut Meeting, position: usize, t: Micros) {
    m.control_at(Control::Start, None, t)
        .unwrap_or_else(|e| panic!("{e}"));
    if position == 0 {
        return;
    }
    for _ in 0..position {
        m.control_at(Control::Next, None, t)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    m.control_at(Control::Start, None, t)
        .unwrap_or_else(|e| panic!("{e}"));
}

fn ids(ids: &[i64]) -> Vec<ChoiceId> {
    ids.iter().map(|&c| ChoiceId(c)).collect()
}

#[test]
fn a_scale_takes_one_value_in_range_and_shows_mean_and_median() {
    let mut m = meeting(false, Scoring::FirstBonus, 0);
    open_at(&mut m, 0, 0);
    let q = ActivityId(10);
    assert_eq!(
        m.rate(A1, q, &Rating::Value(11), 0),
        Err(ErrorCode::OutOfRange)
    );
    assert_eq!(
        m.rate(A1, q, &Rating::Value(-1), 0),
        Err(ErrorCode::OutOfRange)
    );
    assert_eq!(
        m.rate(A1, q, &Rating::Items(vec![(ChoiceId(21), 3)]), 0),
        Err(ErrorCode::BadRequest)
    );
    assert_eq!(
        m.vote(A1, q, &[ChoiceId(21)], 0),
        Err(ErrorCode::BadRequest)
    );
    let ops = m.rate(A1, q, &Rating::Value(7), 5).unwrap_or_default();
    assert_eq!(
        ops,
        vec![WriteOp::Rating {
            activity: q,
            attendee: A1,
            item: None,
            value: 7,
            at: 5
        }]
    );
    assert_eq!(
        m.rate(A1, q, &Rating::Value(3), 0),
        Err(ErrorCode::AlreadyVoted)
    );
    assert!(m.rate(A2, q, &Rating::Value(10), 0).is_ok());
    assert!(m.rate(A3, q, &Rating::Value(2), 0).is_ok());
    let s = state(&m, Audience::Participant);
    assert_eq!(s["question"]["kind"], "scale");
    assert_eq!(s["question"]["scale"]["min"], 0);
    assert_eq!(s["question"]["scale"]["max"], 10);
    assert_eq!(s["results"]["total"], 3);
    let r = &s["results"]["rating"];
    assert_eq!(r["count"], 3);
    assert_eq!(r["mean"], 6.33);
    assert_eq!(r["median"], 7.0);
    assert_eq!(r["distribution"].as_array().map(Vec::len), Some(11));
    assert_eq!(r["distribution"][7], 1);
    // The participant's own answer.
    let you = m.you(A1).and_then(|y| y.answer);
    assert_eq!(you.and_then(|a| a.value), Some(7));
    // Displays see the same statistics.
    assert_eq!(
        state(&m, Audience::Display)["results"]["rating"]["mean"],
        6.33
    );
}

#[test]
fn a_grid_ranks_items_by_bayesian_average() {
    let mut m = meeting(false, Scoring::FirstBonus, 0);
    open_at(&mut m, 1, 0);
    let q = ActivityId(20);
    let rate = |items: &[(i64, i64)]| {
        Rating::Items(items.iter().map(|&(c, v)| (ChoiceId(c), v)).collect())
    };
    assert_eq!(
        m.rate(A1, q, &rate(&[(21, 6)]), 0),
        Err(ErrorCode::OutOfRange)
    );
    assert_eq!(
        m.rate(A1, q, &rate(&[(99, 3)]), 0),
        Err(ErrorCode::UnknownChoice)
    );
    assert_eq!(
        m.rate(A1, q, &rate(&[(21, 3), (21, 4)]), 0),
        Err(ErrorCode::BadRequest)
    );
    assert_eq!(m.rate(A1, q, &rate(&[]), 0), Err(ErrorCode::BadRequest));
    assert_eq!(
        m.rate(A1, q, &Rating::Value(3), 0),
        Err(ErrorCode::BadRequest)
    );
    // One 5 for a; three people rate b 4; c 2 and 1.
    assert_eq!(
        m.rate(A1, q, &rate(&[(21, 5), (22, 4), (23, 2)]), 0)
            .map(|ops| ops.len()),
        Ok(3)
    );
    assert!(m.rate(A2, q, &rate(&[(22, 4)]), 0).is_ok());
    // A phone rates every item at once: an item rated before refuses the whole frame.
    assert_eq!(
        m.rate(A2, q, &rate(&[(22, 5), (23, 1)]), 0),
        Err(ErrorCode::AlreadyVoted)
    );
    assert!(m.rate(A2, q, &rate(&[(23, 1)]), 0).is_ok());
    assert!(m.rate(A3, q, &rate(&[(22, 4)]), 0).is_ok());
    let s = state(&m, Audience::Participant);
    let r = &s["results"];
    assert_eq!(r["total"], 3, "raters");
    assert_eq!(r["counts"]["22"], 3);
    assert_eq!(r["prior_weight"], 2);
    // m = (5 + 12 + 3) / 6 = 3.33; a: (2·3.33 + 5) / 3 = 3.89; b: (6.67 + 12) / 5 = 3.73.
    assert_eq!(r["global_mean"], 3.33);
    assert_eq!(r["items"][0]["mean"], 5.0);
    assert_eq!(r["items"][0]["bayes"], 3.89);
    assert_eq!(r["items"][1]["bayes"], 3.73);
    assert_eq!(r["ranking"], serde_json::json!([21, 22, 23]));
    let you = m
        .you(A2)
        .and_then(|y| y.answer)
        .unwrap_or_else(|| Answer::empty(q));
    assert_eq!(
        you.ratings.into_iter().collect::<Vec<_>>(),
        vec![(ChoiceId(22), 4), (ChoiceId(23), 1)]
    );
}

#[test]
fn multi_select_up_to_max_choices() {
    let mut m = meeting(false, Scoring::FirstBonus, 0);
    open_at(&mut m, 2, 0);
    let q = ActivityId(30);
    assert_eq!(
        m.vote(A1, q, &ids(&[31, 32, 33]), 0),
        Err(ErrorCode::TooManyChoices)
    );
    assert_eq!(
        m.vote(A1, q, &ids(&[31, 31]), 0),
        Err(ErrorCode::BadRequest)
    );
    assert_eq!(m.vote(A1, q, &[], 0), Err(ErrorCode::BadRequest));
    assert_eq!(
        m.vote(A1, q, &ids(&[31, 99]), 0),
        Err(ErrorCode::UnknownChoice)
    );
    assert_eq!(m.vote(A1, q, &ids(&[31, 33]), 0).map(|o| o.len()), Ok(2));
    assert_eq!(m.vote(A1, q, &ids(&[32]), 0), Err(ErrorCode::AlreadyVoted));
    assert!(m.vote(A2, q, &ids(&[33]), 0).is_ok());
    let s = state(&m, Audience::Participant);
    assert_eq!(s["question"]["max_choices"], 2);
    assert_eq!(s["results"]["total"], 2, "voters, not choices");
    assert_eq!(s["results"]["counts"]["31"], 1);
    assert_eq!(s["results"]["counts"]["33"], 2);
    let you = m.you(A1).and_then(|y| y.answer);
    assert_eq!(you.map(|a| a.choice_ids), Some(ids(&[31, 33])));
}

/// Exact match without partial credit; with it, (right − wrong) / correct of the points.
#[test]
fn multi_select_quiz_scoring() {
    for (partial, expected) in [(false, [1000, 0, 0]), (true, [1000, 500, 0])] {
        let mut m = meeting(partial, Scoring::Speed, 0);
        open_at(&mut m, 3, 0);
        let q = ActivityId(40);
        assert!(m.vote(A1, q, &ids(&[42, 44]), 0).is_ok());
        assert!(m.vote(A2, q, &ids(&[42]), 0).is_ok());
        assert!(m.vote(A3, q, &ids(&[41, 43]), 0).is_ok());
        let out = m
            .control_at(Control::Results, None, SEC)
            .unwrap_or_else(|e| panic!("{e}"));
        let points: Vec<i64> = out.awards.iter().map(|(_, _, p)| *p).collect();
        assert_eq!(points, expected, "partial credit {partial}");
        assert_eq!(
            m.you(A2).and_then(|y| y.answer).and_then(|a| a.points),
            Some(expected[1])
        );
    }
}

/// A multi-select vote is one stored row per choice: reloaded, it is one vote again and
/// scores the same.
#[test]
fn stored_rows_rebuild_multi_votes_and_ratings() {
    let loaded = |votes: Vec<VoteRecord>, ratings: Vec<RatingRecord>| {
        let m = meeting(true, Scoring::Speed, 0);
        let mut l = LoadedMeeting {
            meeting: MeetingRecord {
                scoring: m.scoring,
                status: MeetingStatus::Ongoing,
                position: 3,
                ..meeting_record()
            },
            activities: vec![],
            attendees: vec![],
            votes,
            words: vec![],
            ratings,
            posts: Vec::new(),
            upvotes: Vec::new(),
            flags: vec![],
            captures: vec![],
            recent_attempts: vec![],
        };
        let fresh = meeting(true, Scoring::Speed, 0);
        l.activities = fresh
            .activities
            .iter()
            .map(|a| ActivityRecord {
                scale: Some(a.scale.clone()),
                max_choices: a.max_choices,
                partial_credit: a.partial_credit,
                prior_weight: Some(a.prior_weight),
                time_limit_secs: a.time_limit,
                points: Some(a.points),
                state: if a.id == ActivityId(40) {
                    ActivityState::Open
                } else {
                    ActivityState::Pending
                },
                ..activity(a.id.0, a.kind, vec![])
            })
            .zip(fresh.activities.iter())
            .map(|(mut r, a)| {
                r.choices = a.choices.clone();
                r
            })
            .collect();
        l.attendees = room_attendees(&[A1, A2]);
        Meeting::from_loaded(l)
    };
    let vote = |a: AttendeeId, c: i64| VoteRecord {
        activity_id: ActivityId(40),
        attendee_id: a,
        choice_id: ChoiceId(c),
        points: None,
        at: 0,
    };
    let rating = |a: AttendeeId, item: Option<i64>, value: i32| RatingRecord {
        activity_id: ActivityId(if item.is_some() { 20 } else { 10 }),
        attendee_id: a,
        choice_id: item.map(ChoiceId),
        value,
        at: 0,
    };
    let mut m = loaded(
        vec![vote(A1, 42), vote(A1, 44), vote(A2, 42)],
        vec![
            rating(A1, None, 4),
            rating(A2, None, 8),
            rating(A1, Some(21), 5),
            rating(A1, Some(22), 3),
        ],
    );
    let quiz = &m.activities[3];
    assert_eq!(quiz.total_votes(), 2);
    assert_eq!(
        m.vote(A1, ActivityId(40), &ids(&[41]), 0),
        Err(ErrorCode::AlreadyVoted)
    );
    assert_eq!(m.activities[0].rating_tally().total, 2);
    assert_eq!(m.activities[1].rated.len(), 1);
    let out = m
        .control_at(Control::Results, None, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut points: Vec<(AttendeeId, i64)> = out.awards.iter().map(|(a, _, p)| (*a, *p)).collect();
    points.sort();
    assert_eq!(points, vec![(A1, 1000), (A2, 500)]);
}

/// Each right answer in a row adds the bonus once more (capped); a wrong answer or none
/// ends the streak.
#[test]
fn streak_bonus_under_speed_scoring() {
    let mut m = meeting(false, Scoring::Speed, 100);
    // Two quizzes: 40 (multi, b+d) then 50 (single, b). A1 right twice, A2 right then
    // wrong, A3 skips the first.
    open_at(&mut m, 3, 0);
    assert!(m.vote(A1, ActivityId(40), &ids(&[42, 44]), 0).is_ok());
    assert!(m.vote(A2, ActivityId(40), &ids(&[42, 44]), 0).is_ok());
    let first = m
        .control_at(Control::Results, None, SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    let points: Vec<i64> = first.awards.iter().map(|(_, _, p)| *p).collect();
    assert_eq!(points, [1000, 1000], "no bonus for the first right answer");
    m.control_at(Control::Next, None, SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    m.control_at(Control::Start, None, 2 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(m.vote(A1, ActivityId(50), &ids(&[52]), 2 * SEC).is_ok());
    assert!(m.vote(A2, ActivityId(50), &ids(&[51]), 2 * SEC).is_ok());
    assert!(m.vote(A3, ActivityId(50), &ids(&[52]), 2 * SEC).is_ok());
    let second = m
        .control_at(Control::Results, None, 3 * SEC)
        .unwrap_or_else(|e| panic!("{e}"));
    let by: std::collections::HashMap<AttendeeId, i64> =
        second.awards.iter().map(|(a, _, p)| (*a, *p)).collect();
    assert_eq!(by.get(&A1), Some(&1100), "two in a row");
    assert_eq!(by.get(&A2), Some(&0));
    assert_eq!(by.get(&A3), Some(&1000), "a first right answer");
    assert_eq!(m.streaks.get(&A1), Some(&2));
    assert_eq!(m.streaks.get(&A2).copied().unwrap_or(0), 0);
}

#[test]
fn chat_reads_each_kind() {
    let mut m = meeting(false, Scoring::FirstBonus, 0);
    open_at(&mut m, 0, 0);
    assert_eq!(
        m.chat_reading("7 great talk", 0),
        Some(ChatAnswer::Rating(Rating::Value(7)))
    );
    assert_eq!(m.chat_reading("11", 0), None, "off the scale");
    assert_eq!(m.chat_reading("seven", 0), None);
    m.control_at(Control::Next, None, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    m.control_at(Control::Start, None, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    // Grid: `#b4`, several per message, `#` before each optional, `=`/`:` allowed; the
    // slug `c2` wins over `c` + 2 when the value still fits.
    assert_eq!(
        m.chat_reading("a5 #B4 c2=3 what a talk #a1", 0),
        Some(ChatAnswer::Rating(Rating::Items(vec![
            (ChoiceId(21), 5),
            (ChoiceId(22), 4),
            (ChoiceId(23), 3)
        ])))
    );
    assert_eq!(
        m.chat_reading("a9", 0),
        None,
        "off the scale is not a rating"
    );
    // Already rated items are skipped, the rest counts.
    let Some(first) = m.chat_reading("a5", 0) else {
        panic!("a5")
    };
    assert!(m.chat_answer(A1, first, 0).is_ok());
    let Some(again) = m.chat_reading("a4 b2", 0) else {
        panic!("a4 b2")
    };
    assert_eq!(m.chat_answer(A1, again, 0).map(|o| o.len()), Ok(1));
    let Some(only_a) = m.chat_reading("a1", 0) else {
        panic!("a1")
    };
    assert_eq!(m.chat_answer(A1, only_a, 0), Err(ErrorCode::AlreadyVoted));
    m.control_at(Control::Next, None, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    m.control_at(Control::Start, None, 0)
        .unwrap_or_else(|e| panic!("{e}"));
    // Multi-select poll (up to 2): `#a #c`, a repeat counts once; three is too many.
    assert_eq!(
        m.chat_reading("a #c #a yes", 0),
        Some(ChatAnswer::Choices(ids(&[31, 33])))
    );
    assert_eq!(m.chat_reading("a b c", 0), None);
    assert_eq!(m.chat_reading("zz", 0), None);
}

#[test]
fn removing_a_rater_takes_their_ratings_out() {
    let mut m = meeting(false, Scoring::FirstBonus, 0);
    open_at(&mut m, 0, 0);
    assert!(m.rate(A1, ActivityId(10), &Rating::Value(2), 0).is_ok());
    assert!(m.rate(A2, ActivityId(10), &Rating::Value(8), 0).is_ok());
    assert!(m.remove_attendee(A1).is_ok());
    let s = state(&m, Audience::Staff);
    assert_eq!(s["results"]["rating"]["count"], 1);
    assert_eq!(s["results"]["rating"]["mean"], 8.0);
}
