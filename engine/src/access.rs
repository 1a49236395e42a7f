//! Who is asking and what they may do: one [`Principal`] and one [`Principal::can`], used by
//! every HTTP route and every WebSocket frame (docs/protocol.md, "Roles and permissions").
//!
//! - `admin`: everything, every meeting; manages users.
//! - `organizer`: the meetings they own or that are shared with them.
//! - participant of meeting M: watches M and answers in it.
//! - display of meeting M: watches M (a projector or OBS), nothing else.

use librekast_storage::{AttendeeId, MeetingAccess, MeetingId, Platform, Role, UserId};

use crate::view::Audience;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Participant {
        meeting: MeetingId,
        attendee: AttendeeId,
        name: String,
        platform: Platform,
    },
    Staff {
        user: UserId,
        username: String,
        role: Role,
    },
    Display {
        meeting: MeetingId,
        /// A teleprompter link: also gets the organizer's notes.
        prompter: bool,
    },
}

/// Everything a principal may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open the meeting's WebSocket and receive what its audience may see.
    Watch,
    /// Vote, give a word, submit a flag.
    Answer,
    /// Start, reveal, move and end the meeting.
    Control,
    /// Create and revoke the meeting's display links.
    ManageDisplays,
    /// Read the meeting's join link and QR code.
    Invite,
    /// Create, change and list staff accounts.
    ManageUsers,
    /// Delete the meeting, share it with other organizers: its owner (and admins) only.
    Manage,
    /// See the live operations page: every running meeting's actors (admins only).
    Operate,
}

/// A meeting as far as permissions go.
#[derive(Debug, Clone, Copy)]
pub struct MeetingRef<'a> {
    pub id: MeetingId,
    pub access: &'a MeetingAccess,
}

impl Principal {
    /// The one permission check. `meeting` is the meeting acted on (`None` for actions that
    /// concern no meeting, such as managing users).
    pub fn can(&self, action: Action, meeting: Option<MeetingRef<'_>>) -> bool {
        use Action::*;
        match self {
            Principal::Staff {
                role: Role::Admin, ..
            } => action != Answer,
            Principal::Staff {
                user,
                role: Role::Organizer,
                ..
            } => {
                let controls = meeting.is_some_and(|m| {
                    m.access.owner == Some(*user) || m.access.shared_with.contains(user)
                });
                let owns = meeting.is_some_and(|m| m.access.owner == Some(*user));
                match action {
                    Watch | Control | ManageDisplays | Invite => controls,
                    Manage => owns,
                    Answer | ManageUsers | Operate => false,
                }
            }
            Principal::Participant { meeting: own, .. } => {
                matches!(action, Watch | Answer) && meeting.is_some_and(|m| m.id == *own)
            }
            Principal::Display { meeting: own, .. } => {
                matches!(action, Watch | Invite) && meeting.is_some_and(|m| m.id == *own)
            }
        }
    }

    /// Which audience this principal's connections are rendered for.
    pub fn audience(&self) -> Audience {
        match self {
            Principal::Participant { .. } => Audience::Participant,
            Principal::Staff { .. } => Audience::Staff,
            Principal::Display {
                prompter: false, ..
            } => Audience::Display,
            Principal::Display { prompter: true, .. } => Audience::Prompter,
        }
    }

    /// The attendee behind a participant, who answers count for.
    pub fn attendee(&self) -> Option<AttendeeId> {
        match self {
            Principal::Participant { attendee, .. } => Some(*attendee),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: MeetingId = MeetingId(1);
    const OTHER: MeetingId = MeetingId(2);
    const ALL: [Action; 8] = [
        Action::Watch,
        Action::Answer,
        Action::Control,
        Action::ManageDisplays,
        Action::Invite,
        Action::ManageUsers,
        Action::Manage,
        Action::Operate,
    ];

    fn staff(id: i64, role: Role) -> Principal {
        Principal::Staff {
            user: UserId(id),
            username: format!("u{id}"),
            role,
        }
    }

    fn allowed(p: &Principal, meeting: Option<MeetingRef<'_>>) -> Vec<Action> {
        ALL.into_iter().filter(|a| p.can(*a, meeting)).collect()
    }

    #[test]
    fn the_permission_table() {
        use Action::*;
        let owned = MeetingAccess {
            owner: Some(UserId(10)),
            shared_with: vec![UserId(11)],
        };
        let m = Some(MeetingRef {
            id: M,
            access: &owned,
        });
        let other = Some(MeetingRef {
            id: OTHER,
            access: &owned,
        });
        let nobodys = MeetingAccess::default();
        let unowned = Some(MeetingRef {
            id: M,
            access: &nobodys,
        });
        let staff_rights = vec![Watch, Control, ManageDisplays, Invite];

        let admin = staff(1, Role::Admin);
        assert_eq!(
            allowed(&admin, unowned),
            vec![
                Watch,
                Control,
                ManageDisplays,
                Invite,
                ManageUsers,
                Manage,
                Operate
            ]
        );
        assert!(admin.can(ManageUsers, None));
        assert!(admin.can(Operate, None));

        let mut owner_rights = staff_rights.clone();
        owner_rights.push(Manage);
        assert_eq!(allowed(&staff(10, Role::Organizer), m), owner_rights);
        assert_eq!(
            allowed(&staff(11, Role::Organizer), m),
            staff_rights,
            "a co-organizer controls the meeting, but neither deletes nor shares it"
        );
        assert_eq!(allowed(&staff(12, Role::Organizer), m), vec![]);
        assert_eq!(
            allowed(&staff(10, Role::Organizer), unowned),
            vec![],
            "a meeting with no owner is for admins only"
        );
        assert!(!staff(10, Role::Organizer).can(ManageUsers, None));
        assert!(!staff(10, Role::Organizer).can(Operate, None));

        let participant = Principal::Participant {
            meeting: M,
            attendee: AttendeeId(5),
            name: "Ada".into(),
            platform: Platform::Room,
        };
        assert_eq!(allowed(&participant, m), vec![Watch, Answer]);
        assert_eq!(allowed(&participant, other), vec![]);

        let display = Principal::Display {
            meeting: M,
            prompter: false,
        };
        assert_eq!(allowed(&display, m), vec![Watch, Invite]);
        assert_eq!(allowed(&display, other), vec![]);
    }
}
