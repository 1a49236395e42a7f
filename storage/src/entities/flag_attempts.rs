use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flag_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Indexed with `id` so the latest attempts of a meeting are one index range.
    pub meeting_id: i64,
    pub attendee_id: i64,
    pub submitted: String,
    /// The flag the submission matched, if any.
    pub flag_id: Option<i64>,
    pub outcome: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
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
    #[sea_orm(
        belongs_to = "super::flags::Entity",
        from = "Column::FlagId",
        to = "super::flags::Column::Id",
        on_delete = "Cascade"
    )]
    Flag,
}

impl Related<super::meetings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Meeting.def()
    }
}

impl Related<super::attendees::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Attendee.def()
    }
}

impl Related<super::flags::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Flag.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
