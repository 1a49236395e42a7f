use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flag_captures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// (flag_id, attendee_id) is unique: a flag counts once per attendee.
    pub flag_id: i64,
    pub attendee_id: i64,
    pub points: i64,
    pub first_blood: bool,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::flags::Entity",
        from = "Column::FlagId",
        to = "super::flags::Column::Id",
        on_delete = "Cascade"
    )]
    Flag,
    #[sea_orm(
        belongs_to = "super::attendees::Entity",
        from = "Column::AttendeeId",
        to = "super::attendees::Column::Id",
        on_delete = "Cascade"
    )]
    Attendee,
}

impl Related<super::flags::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Flag.def()
    }
}

impl Related<super::attendees::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Attendee.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
