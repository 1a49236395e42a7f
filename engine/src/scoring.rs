//! Quiz points: +1 for a correct answer, +2 more for the first correct answer when the
//! meeting rewards the fastest. Awarded once, when the quiz closes.

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
}
