use sea_orm::entity::prelude::*;

/// Where a staff session was opened (shown on the account page). One row per staff session,
/// deleted with it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_details")]
pub struct Model {
    /// The session's stored token hash ([`super::sessions::Model::token`]).
    #[sea_orm(primary_key, auto_increment = false)]
    pub token: String,
    /// The browser's `User-Agent` at login, cut to [`crate::queries::sessions::MAX_USER_AGENT`].
    pub user_agent: Option<String>,
    /// The client address at login (behind trusted proxies: the forwarded one).
    pub address: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sessions::Entity",
        from = "Column::Token",
        to = "super::sessions::Column::Token",
        on_delete = "Cascade"
    )]
    Session,
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
