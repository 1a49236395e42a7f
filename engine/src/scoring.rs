//! Quiz points, awarded once, when the quiz closes. Two rules (the meeting's `scoring`):
//! - `first_bonus` (the original's): +1 for a correct answer, +2 more for the first correct
//!   answer when the meeting rewards the fastest;
//! - `speed` (Kahoot's): round(P × (1 − t / (2T))) for a correct answer, P the quiz's
//!   points, t the answer's time since the quiz opened (0 to T), T its time limit: from P
//!   for an instant answer down to P/2 at the buzzer.

use librekast_storage::{AttendeeId, ChoiceId, Micros};

pub const CORRECT_POINTS: i64 = 1;
pub const FASTEST_BONUS: i64 = 2;

/// One vote in arrival order: who, what, when, and the points already awarded (if scored
/// before).
#[derive(Debug, Clone, Copy)]
pub struct ScoredVote {
    pub attendee: AttendeeId,
    pub choice: ChoiceId,
    pub points: Option<i64>,
    /// When it was given: a chat answer's arrival minus its stream's delay, so a viewer who
    /// saw the question 5 s late is not 5 s slower.
    pub at: Micros,
}

/// Points for every vote not scored yet (0 for a wrong one). The fastest bonus goes to the
/// earliest correct vote overall by answer time (ties: arrival order), and only if that
/// vote was not scored before (a quiz revealed twice never pays the bonus twice).
pub fn quiz_awards(
    votes: &[ScoredVote],
    is_correct: impl Fn(ChoiceId) -> bool,
    reward_fastest: bool,
) -> Vec<(AttendeeId, i64)> {
    let first_correct = votes
        .iter()
        .enumerate()
        .filter(|(_, v)| is_correct(v.choice))
        .min_by_key(|(i, v)| (v.at, *i))
        .map(|(i, _)| i);
    votes
        .iter()
        .enumerate()
        .filter(|(_, v)| v.points.is_none())
        .map(|(i, v)| {
            let points = if !is_correct(v.choice) {
                0
            } else if reward_fastest && Some(i) == first_correct {
                CORRECT_POINTS + FASTEST_BONUS
            } else {
                CORRECT_POINTS
            };
            (v.attendee, points)
        })
        .collect()
}

/// Points for every vote not scored yet under speed scoring (0 for a wrong one). `opened`
/// is when the quiz opened, `limit_secs` its time limit (a quiz without one pays P).
pub fn speed_awards(
    votes: &[ScoredVote],
    is_correct: impl Fn(ChoiceId) -> bool,
    opened: Micros,
    limit_secs: u32,
    points: u32,
) -> Vec<(AttendeeId, i64)> {
    let limit = Micros::from(limit_secs) * 1_000_000;
    votes
        .iter()
        .filter(|v| v.points.is_none())
        .map(|v| {
            if !is_correct(v.choice) {
                return (v.attendee, 0);
            }
            let share = if limit > 0 {
                let t = (v.at - opened).clamp(0, limit) as f64;
                1.0 - t / (2.0 * limit as f64)
            } else {
                1.0
            };
            (v.attendee, (f64::from(points) * share).round() as i64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: i64, c: i64, points: Option<i64>) -> ScoredVote {
        ScoredVote {
            attendee: AttendeeId(a),
            choice: ChoiceId(c),
            points,
            at: a,
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
        let awards = quiz_awards(&votes, |c| c == ChoiceId(20), true);
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
        let correct = |c: ChoiceId| c == ChoiceId(20);
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
        let correct = |c: ChoiceId| c == ChoiceId(20);
        assert_eq!(
            quiz_awards(&votes, correct, true),
            vec![(AttendeeId(3), 1), (AttendeeId(5), 0)]
        );
    }

    #[test]
    fn several_correct_choices() {
        let votes = [v(1, 10, None), v(2, 20, None)];
        let correct = |c: ChoiceId| c == ChoiceId(20) || c == ChoiceId(10);
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
        let awards = speed_awards(&votes, |c| c == ChoiceId(20), opened, 20, 1000);
        let points: Vec<i64> = awards.iter().map(|(_, p)| *p).collect();
        assert_eq!(points, [1000, 875, 500, 0, 500, 1000]);
        // round(): 1000 × (1 − 7/40) = 825; 1000 × (1 − 0.3/40) = 992.5 → 993
        let odd = [vote(1, 20, opened + 7 * S), vote(2, 20, opened + 300_000)];
        let points: Vec<i64> = speed_awards(&odd, |_| true, opened, 20, 1000)
            .iter()
            .map(|(_, p)| *p)
            .collect();
        assert_eq!(points, [825, 993]);
        // Already scored votes are left alone (a quiz revealed twice).
        let scored = [ScoredVote {
            points: Some(900),
            ..vote(1, 20, opened)
        }];
        assert!(speed_awards(&scored, |_| true, opened, 20, 1000).is_empty());
    }
}
