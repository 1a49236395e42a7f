//! Quiz points: +1 for a correct answer, +2 more for the first correct answer when the
//! meeting rewards the fastest. Awarded once, when the quiz closes.

use librekast_storage::{AttendeeId, ChoiceId};

pub const CORRECT_POINTS: i64 = 1;
pub const FASTEST_BONUS: i64 = 2;

/// One vote in arrival order: who, what, and the points already awarded (if scored before).
#[derive(Debug, Clone, Copy)]
pub struct ScoredVote {
    pub attendee: AttendeeId,
    pub choice: ChoiceId,
    pub points: Option<i64>,
}

/// Points for every vote not scored yet (0 for a wrong one). The fastest bonus goes to the
/// earliest correct vote overall, and only if that vote was not scored before (a quiz
/// revealed twice never pays the bonus twice).
pub fn quiz_awards(
    votes: &[ScoredVote],
    is_correct: impl Fn(ChoiceId) -> bool,
    reward_fastest: bool,
) -> Vec<(AttendeeId, i64)> {
    let first_correct = votes.iter().position(|v| is_correct(v.choice));
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
        }
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
