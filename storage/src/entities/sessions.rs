use sea_orm::entity::prelude::*;

/// Which columns are set depends on `kind`: `staff` has `user_id`; `participant` has
/// `meeting_id` and `attendee_id`; `display` has `meeting_id`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// The SHA-256 of the token, hex: the token itself is never stored.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token: String,
    pub kind: String,
    pub user_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub attendee_id: Option<i64>,
    pub created_at: i64,
    /// Last use (refreshed at most once a minute): a staff session's idle limit.
    pub last_seen_at: i64,
    /// A participant session's end, set when its meeting ends (30 days later).
    pub expires_at: Option<i64>,
}

pub const KIND_STAFF: &str = "staff";
pub const KIND_PARTICIPANT: &str = "participant";
pub const KIND_DISPLAY: &str = "display";
/// A teleprompter link: a display that also gets the organizer's notes.
pub const KIND_PROMPTER: &str = "prompter";

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::meetings::Entity",
        from = "Column::MeetingId",
        to = "super::meetings::Column::Id",
        on_delete = "Cascade"
    )]
    Meeting,
    #[sea_orm(
        belongs_to = "super::attendees::Entity",
        from = "Column::AttendeeId",
        to = "super::attendees::Column::Id",
        on_delete = "Cascade"
    )]
    Attendee,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
