use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "choices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    /// File order within the activity.
    pub position: i32,
    pub text: String,
    /// Unique per activity: what chat users type to vote.
    pub slug: String,
    pub correct: bool,
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
}

impl Related<super::activities::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Activity.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
