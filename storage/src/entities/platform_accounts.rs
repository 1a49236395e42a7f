use sea_orm::entity::prelude::*;

/// A staff user's connected Twitch or YouTube account. `sealed` holds the tokens encrypted
/// with the server's secret key ([`crate::vault`]); nothing else here is secret.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "platform_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub platform: String,
    /// Which OAuth client the tokens belong to (they refresh only with it).
    pub client: String,
    pub login: String,
    pub platform_user_id: String,
    pub sealed: String,
    pub expires_at: Option<i64>,
    pub scopes: String,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl ActiveModelBehavior for ActiveModel {}
