//! The meeting status machine: `apply` is pure and is tested as a table.

use librekast_storage::MeetingStatus;
use serde::Deserialize;

use MeetingStatus::*;

/// An organizer control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    Start,
    Results,
    Next,
    Back,
    Scoreboard,
    End,
}

impl Control {
    pub const ALL: [Control; 6] = [
        Self::Start,
        Self::Results,
        Self::Next,
        Self::Back,
        Self::Scoreboard,
        Self::End,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Results => "results",
            Self::Next => "next",
            Self::Back => "back",
            Self::Scoreboard => "scoreboard",
            Self::End => "end",
        }
    }
}

/// What a control does: the new status and position, and what happens to activities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub status: MeetingStatus,
    pub position: usize,
    /// Close the activity at the old position if it is open.
    pub close_current: bool,
    /// Mark the activity at the old position done.
    pub done_current: bool,
    /// Open the activity at the new position.
    pub open_new: bool,
}

/// Refused: the control is not allowed in this status. Nothing changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidControl;

/// `count` is the number of activities (at least 1 for an imported meeting).
pub fn apply(
    status: MeetingStatus,
    position: usize,
    count: usize,
    control: Control,
) -> Result<Transition, InvalidControl> {
    let stay = |status| Transition {
        status,
        position,
        close_current: true,
        done_current: false,
        open_new: false,
    };
    match (control, status) {
        (Control::Start, Before | Waiting) if count > 0 => Ok(Transition {
            open_new: true,
            close_current: false,
            ..stay(Ongoing)
        }),
        (Control::Results, Ongoing) => Ok(stay(Results)),
        (Control::Next, Waiting | Ongoing | Results | Scoreboard) => {
            let last = position + 1 >= count;
            Ok(Transition {
                status: if last { After } else { Waiting },
                position: if last { position } else { position + 1 },
                done_current: true,
                ..stay(Waiting)
            })
        }
        (Control::Back, Waiting | Ongoing | Results | Scoreboard) => Ok(Transition {
            position: position.saturating_sub(1),
            ..stay(Waiting)
        }),
        (Control::Scoreboard, Waiting | Ongoing | Results) => Ok(stay(Scoreboard)),
        (Control::End, Before | Waiting | Ongoing | Results | Scoreboard) => Ok(stay(After)),
        _ => Err(InvalidControl),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Control as C;

    /// (from, control, position before, expected status or None when refused, position after)
    const TABLE: &[(MeetingStatus, Control, usize, Option<MeetingStatus>, usize)] = &[
        (Before, C::Start, 0, Some(Ongoing), 0),
        (Waiting, C::Start, 1, Some(Ongoing), 1),
        (Ongoing, C::Start, 1, None, 1),
        (Results, C::Start, 1, None, 1),
        (Scoreboard, C::Start, 1, None, 1),
        (After, C::Start, 1, None, 1),
        (Undefined, C::Start, 1, None, 1),
        (Ongoing, C::Results, 1, Some(Results), 1),
        (Before, C::Results, 0, None, 0),
        (Waiting, C::Results, 1, None, 1),
        (Results, C::Results, 1, None, 1),
        (Scoreboard, C::Results, 1, None, 1),
        (After, C::Results, 1, None, 1),
        (Before, C::Next, 0, None, 0),
        (Waiting, C::Next, 0, Some(Waiting), 1),
        (Ongoing, C::Next, 0, Some(Waiting), 1),
        (Results, C::Next, 1, Some(Waiting), 2),
        (Scoreboard, C::Next, 1, Some(Waiting), 2),
        (Results, C::Next, 3, Some(After), 3),
        (Waiting, C::Next, 3, Some(After), 3),
        (After, C::Next, 3, None, 3),
        (Before, C::Back, 0, None, 0),
        (Waiting, C::Back, 2, Some(Waiting), 1),
        (Ongoing, C::Back, 2, Some(Waiting), 1),
        (Results, C::Back, 2, Some(Waiting), 1),
        (Scoreboard, C::Back, 2, Some(Waiting), 1),
        (Waiting, C::Back, 0, Some(Waiting), 0),
        (After, C::Back, 2, None, 2),
        (Waiting, C::Scoreboard, 1, Some(Scoreboard), 1),
        (Ongoing, C::Scoreboard, 1, Some(Scoreboard), 1),
        (Results, C::Scoreboard, 1, Some(Scoreboard), 1),
        (Before, C::Scoreboard, 0, None, 0),
        (Scoreboard, C::Scoreboard, 1, None, 1),
        (After, C::Scoreboard, 1, None, 1),
        (Before, C::End, 0, Some(After), 0),
        (Waiting, C::End, 1, Some(After), 1),
        (Ongoing, C::End, 1, Some(After), 1),
        (Results, C::End, 1, Some(After), 1),
        (Scoreboard, C::End, 1, Some(After), 1),
        (After, C::End, 1, None, 1),
        (Undefined, C::End, 1, None, 1),
    ];

    #[test]
    fn transition_table() {
        for &(from, control, pos, expected, pos_after) in TABLE {
            let got = apply(from, pos, 4, control);
            match expected {
                None => assert_eq!(got, Err(InvalidControl), "{from:?} {control:?}"),
                Some(status) => {
                    let t = got.unwrap_or_else(|_| panic!("{from:?} {control:?} refused"));
                    assert_eq!(t.status, status, "{from:?} {control:?}");
                    assert_eq!(t.position, pos_after, "{from:?} {control:?}");
                }
            }
        }
    }

    #[test]
    fn every_pair_is_in_the_table() {
        for from in MeetingStatus::ALL {
            for control in Control::ALL {
                assert!(
                    TABLE.iter().any(|r| r.0 == from && r.1 == control)
                        || matches!(from, Undefined),
                    "missing row {from:?} {control:?}"
                );
            }
        }
    }

    #[test]
    fn effects() {
        let Ok(t) = apply(Ongoing, 1, 4, C::Results) else {
            panic!()
        };
        assert!(t.close_current && !t.open_new);
        let Ok(t) = apply(Waiting, 1, 4, C::Start) else {
            panic!()
        };
        assert!(t.open_new && !t.close_current);
        let Ok(t) = apply(Ongoing, 1, 4, C::Next) else {
            panic!()
        };
        assert!(t.close_current && t.done_current);
        let Ok(t) = apply(Ongoing, 1, 4, C::Back) else {
            panic!()
        };
        assert!(t.close_current && !t.done_current);
        assert_eq!(apply(Before, 0, 0, C::Start), Err(InvalidControl));
    }
}
