use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub code: String,
    pub reward_fastest: bool,
    pub flag_prefix: String,
    /// [`crate::MeetingStatus::code`]: one seed letter.
    pub status: String,
    pub position: i32,
    pub created_at: i64,
    /// The organizer who owns it; `None`: only admins control it.
    pub owner_id: Option<i64>,
    /// [`crate::StoredSource`]s as JSON.
    pub sources: String,
    /// [`crate::ChatRules`] as JSON (`{}`: the defaults).
    pub chat: String,
    /// Words refused in names and word clouds (normalized), as a JSON array.
    #[sea_orm(column_type = "Text")]
    pub blocked_words: String,
    /// [`crate::Bot`]s as JSON (`[]`: none).
    #[sea_orm(column_type = "Text")]
    pub bots: String,
    /// [`crate::Scoring::code`].
    pub scoring: String,
    /// Next opens the next activity directly.
    pub auto_start: bool,
    /// Extra points per correct quiz in a row under speed scoring (0: none).
    pub streak_bonus: i32,
    /// The presenter plays its cues (start, reveal, podium).
    pub sounds: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::activities::Entity")]
    Activities,
    #[sea_orm(has_many = "super::attendees::Entity")]
    Attendees,
    #[sea_orm(has_many = "super::flags::Entity")]
    Flags,
}

impl Related<super::activities::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Activities.def()
    }
}

impl Related<super::attendees::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Attendees.def()
    }
}

impl Related<super::flags::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Flags.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
