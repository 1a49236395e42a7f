use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "flags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub meeting_id: i64,
    pub name: String,
    /// Unique per meeting, so a submission names at most one flag.
    pub code: String,
    pub points: i64,
    pub first_blood: i64,
    /// File order.
    pub position: i32,
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
    #[sea_orm(has_many = "super::flag_captures::Entity")]
    Captures,
}

impl Related<super::meetings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Meeting.def()
    }
}

impl Related<super::flag_captures::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Captures.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
