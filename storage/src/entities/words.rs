use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "words")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// (activity_id, attendee_id, normalized) is unique: the same word once per attendee.
    pub activity_id: i64,
    pub attendee_id: i64,
    pub text: String,
    pub normalized: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::activities::Entity",
        from = "Column::ActivityId",
        to = "super::activities::Column::Id",
        on_delete = "Cascade"
    )]
    Activity,
    #[sea_orm(
        belongs_to = "super::attendees::Entity",
        from = "Column::AttendeeId",
        to = "super::attendees::Column::Id",
        on_delete = "Cascade"
    )]
    Attendee,
}

impl Related<super::activities::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Activity.def()
    }
}

impl Related<super::attendees::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Attendee.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
