use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attendees")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub meeting_id: i64,
    pub name: String,
    /// [`crate::Platform::code`]; (meeting_id, platform, platform_user_id) is unique.
    pub platform: String,
    pub platform_user_id: String,
    /// Only ever changed with `score = score + n` so concurrent batches cannot lose points.
    pub score: i64,
    pub created_at: i64,
    /// Removed by a moderator: their answers stop counting and the seat cannot rejoin.
    pub removed: bool,
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
}

impl Related<super::meetings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Meeting.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
