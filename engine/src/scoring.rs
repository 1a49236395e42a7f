//! Quiz points, awarded once, when the quiz closes. Two rules (the meeting's `scoring`):
//! - `first_bonus` (the original's): +1 for a correct answer, +2 more for the first correct
//!   answer when the meeting rewards the fastest;
//! - `speed` (Kahoot's): round(P × (1 − t / (2T))) for a correct answer, P the quiz's
//!   points, t the answer's time since the quiz opened (0 to T), T its time limit: from P
//!   for an instant answer down to P/2 at the buzzer; plus an optional streak bonus.
//!
//! A multi-select answer is right when it picks exactly the correct choices; with partial
//! credit it earns the share max(0, (right picks − wrong picks) / correct choices) of the
//! points (rounded), and only a fully right answer counts for the fastest bonus and streaks.

use std::collections::HashSet;

use librekast_storage::{AttendeeId, ChoiceId, Micros};

pub const CORRECT_POINTS: i64 = 1;
pub const FASTEST_BONUS: i64 = 2;
/// A streak bonus grows for this many correct answers in a row, then stays.
pub const STREAK_CAP: u32 = 5;

/// One vote in arrival order: who, what, when, and the points already awarded (if scored
/// before).
#[derive(Debug, Clone)]
pub struct ScoredVote {
    pub attendee: AttendeeId,
    /// The choices picked, in the order given (one unless the activity is multi-select).
    pub choices: Vec<ChoiceId>,
    pub points: Option<i64>,
    /// When it was given: a chat answer's arrival minus its stream's delay, so a viewer who
    /// saw the question 5 s late is not 5 s slower.
    pub at: Micros,
}

/// What a quiz counts as right.
#[derive(Debug, Clone, Default)]
pub struct AnswerKey {
    pub correct: HashSet<ChoiceId>,
    /// Several choices per answer: right means exactly the correct set.
    pub multi: bool,
    pub partial_credit: bool,
}

impl AnswerKey {
    /// How right `picked` is, from 0 to 1. A single-choice answer is right when its choice
    /// is one of the correct ones (a quiz may accept several).
    pub fn credit(&self, picked: &[ChoiceId]) -> f64 {
        let right = picked.iter().filter(|c| self.correct.contains(c)).count();
        let wrong = picked.len() - right;
        if !self.multi {
            return if right > 0 && wrong == 0 { 1.0 } else { 0.0 };
        }
        let needed = self.correct.len().max(1);
        if right == needed && wrong == 0 {
            1.0
        } else if self.partial_credit {
            (right as f64 - wrong as f64).max(0.0) / needed as f64
        } else {
            0.0
        }
    }

    pub fn is_right(&self, picked: &[ChoiceId]) -> bool {
        self.credit(picked) >= 1.0
    }
}

/// Points for every vote not scored yet (0 for a wrong one). The fastest bonus goes to the
/// earliest fully right vote overall by answer time (ties: arrival order), and only if that
/// vote was not scored before (a quiz revealed twice never pays the bonus twice).
pub fn quiz_awards(
    votes: &[ScoredVote],
    key: &AnswerKey,
    reward_fastest: bool,
) -> Vec<(AttendeeId, i64)> {
    let first_correct = votes
        .iter()
        .enumerate()
        .filter(|(_, v)| key.is_right(&v.choices))
        .min_by_key(|(i, v)| (v.at, *i))
        .map(|(i, _)| i);
    votes
        .iter()
        .enumerate()
        .filter(|(_, v)| v.points.is_none())
        .map(|(i, v)| {
            let credit = key.credit(&v.choices);
            let mut points = (CORRECT_POINTS as f64 * credit).round() as i64;
            if reward_fastest && credit >= 1.0 && Some(i) == first_correct {
                points += FASTEST_BONUS;
            }
            (v.attendee, points)
        })
        .collect()
}

/// Points for every vote not scored yet under speed scoring (0 for a wrong one). `opened`
/// is when the quiz opened, `limit_secs` its time limit (a quiz without one pays P).
pub fn speed_awards(
    votes: &[ScoredVote],
    key: &AnswerKey,
    opened: Micros,
    limit_secs: u32,
    points: u32,
) -> Vec<(AttendeeId, i64)> {
    let limit = Micros::from(limit_secs) * 1_000_000;
    votes
        .iter()
        .filter(|v| v.points.is_none())
        .map(|v| {
            let credit = key.credit(&v.choices);
            let share = if limit > 0 {
                let t = (v.at - opened).clamp(0, limit) as f64;
                1.0 - t / (2.0 * limit as f64)
            } else {
                1.0
            };
            (
                v.attendee,
                (f64::from(points) * share * credit).round() as i64,
            )
        })
        .collect()
}

/// The streak bonus of a right answer that makes `streak` right answers in a row (this
/// one included): nothing for the first, then `bonus` more for each, up to [`STREAK_CAP`].
pub fn streak_points(streak: u32, bonus: u32) -> i64 {
    i64::from(bonus) * i64::from(streak.saturating_sub(1).min(STREAK_CAP))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: i64, c: i64, points: Option<i64>) -> ScoredVote {
        ScoredVote {
            attendee: AttendeeId(a),
            choices: vec![ChoiceId(c)],
            points,
            at: a,
        }
    }

    fn key(correct: &[i64]) -> AnswerKey {
        AnswerKey {
            correct: correct.iter().map(|&c| ChoiceId(c)).collect(),
            ..AnswerKey::default()
        }
    }

    /// A chat answer that arrived later but was given earlier (stream delay) is the fastest.
    #[test]
    fn fastest_by_answer_time_not_arrival() {
        let votes = [
            ScoredVote {
                at: 500,
                ..v(1, 20, None)
            },
            ScoredVote {
                at: 300,
                ..v(2, 20, None)
            },
            ScoredVote {
                at: 300,
                ..v(3, 20, None)
            },
        ];
        let awards = quiz_awards(&votes, &key(&[20]), true);
        assert_eq!(
            awards,
            vec![(AttendeeId(1), 1), (AttendeeId(2), 3), (AttendeeId(3), 1)]
        );
    }

    #[test]
    fn correct_wrong_and_fastest() {
        let votes = [
            v(1, 10, None),
            v(2, 20, None),
            v(3, 20, None),
            v(4, 30, None),
        ];
        let correct = &key(&[20]);
        assert_eq!(
            quiz_awards(&votes, correct, true),
            vec![
                (AttendeeId(1), 0),
                (AttendeeId(2), 3),
                (AttendeeId(3), 1),
                (AttendeeId(4), 0)
            ]
        );
        assert_eq!(
            quiz_awards(&votes, correct, false),
            vec![
                (AttendeeId(1), 0),
                (AttendeeId(2), 1),
                (AttendeeId(3), 1),
                (AttendeeId(4), 0)
            ]
        );
    }

    #[test]
    fn second_reveal_scores_only_new_votes_and_no_second_bonus() {
        let votes = [v(2, 20, Some(3)), v(3, 20, None), v(5, 10, None)];
        let correct = &key(&[20]);
        assert_eq!(
            quiz_awards(&votes, correct, true),
            vec![(AttendeeId(3), 1), (AttendeeId(5), 0)]
        );
    }

    #[test]
    fn several_correct_choices() {
        let votes = [v(1, 10, None), v(2, 20, None)];
        let correct = &key(&[10, 20]);
        assert_eq!(
            quiz_awards(&votes, correct, true),
            vec![(AttendeeId(1), 3), (AttendeeId(2), 1)]
        );
    }

    #[test]
    fn speed_points_fall_from_p_to_half_p_at_the_buzzer() {
        const S: Micros = 1_000_000;
        let opened = 100 * S;
        let vote = |a: i64, c: i64, at: Micros| ScoredVote {
            at,
            ..v(a, c, None)
        };
        let votes = [
            vote(1, 20, opened),          // instantly: P
            vote(2, 20, opened + 5 * S),  // a quarter of 20 s: 1000 × (1 − 5/40)
            vote(3, 20, opened + 20 * S), // at the buzzer: P/2
            vote(4, 21, opened + S),      // wrong: 0
            vote(5, 20, opened + 30 * S), // after the limit (a held chat answer): P/2
            vote(6, 20, opened - 3 * S),  // before it opened (clock skew): P
        ];
        let awards = speed_awards(&votes, &key(&[20]), opened, 20, 1000);
        let points: Vec<i64> = awards.iter().map(|(_, p)| *p).collect();
        assert_eq!(points, [1000, 875, 500, 0, 500, 1000]);
        // round(): 1000 × (1 − 7/40) = 825; 1000 × (1 − 0.3/40) = 992.5 → 993
        let odd = [vote(1, 20, opened + 7 * S), vote(2, 20, opened + 300_000)];
        let points: Vec<i64> = speed_awards(&odd, &key(&[20]), opened, 20, 1000)
            .iter()
            .map(|(_, p)| *p)
            .collect();
        assert_eq!(points, [825, 993]);
        // Already scored votes are left alone (a quiz revealed twice).
        let scored = [ScoredVote {
            points: Some(900),
            ..vote(1, 20, opened)
        }];
        assert!(speed_awards(&scored, &key(&[20]), opened, 20, 1000).is_empty());
    }

    /// Exact match without partial credit; the documented share with it.
    #[test]
    fn multi_select_exact_and_partial() {
        let picks = |ids: &[i64]| ids.iter().map(|&c| ChoiceId(c)).collect::<Vec<_>>();
        let exact = AnswerKey {
            correct: picks(&[1, 3]).into_iter().collect(),
            multi: true,
            partial_credit: false,
        };
        assert_eq!(exact.credit(&picks(&[3, 1])), 1.0);
        assert_eq!(exact.credit(&picks(&[1])), 0.0);
        assert_eq!(exact.credit(&picks(&[1, 2, 3])), 0.0);
        let partial = AnswerKey {
            partial_credit: true,
            ..exact.clone()
        };
        assert_eq!(partial.credit(&picks(&[1, 3])), 1.0);
        assert_eq!(partial.credit(&picks(&[1])), 0.5);
        assert_eq!(partial.credit(&picks(&[1, 2, 3])), 0.5);
        assert_eq!(partial.credit(&picks(&[1, 2])), 0.0);
        assert_eq!(partial.credit(&picks(&[2, 4])), 0.0);
        // Speed points scale with the share; only a fully right answer gets the bonus.
        let vote = |a: i64, ids: &[i64]| ScoredVote {
            attendee: AttendeeId(a),
            choices: picks(ids),
            points: None,
            at: 0,
        };
        let votes = [vote(1, &[1]), vote(2, &[1, 3]), vote(3, &[2])];
        let points: Vec<i64> = speed_awards(&votes, &partial, 0, 20, 1000)
            .iter()
            .map(|(_, p)| *p)
            .collect();
        assert_eq!(points, [500, 1000, 0]);
        assert_eq!(
            quiz_awards(&votes, &partial, true),
            vec![(AttendeeId(1), 1), (AttendeeId(2), 3), (AttendeeId(3), 0)]
        );
    }

    #[test]
    fn streaks_grow_then_cap() {
        let points: Vec<i64> = (1..=8).map(|s| streak_points(s, 100)).collect();
        assert_eq!(points, [0, 100, 200, 300, 400, 500, 500, 500]);
        assert_eq!(streak_points(0, 100), 0);
    }
}
