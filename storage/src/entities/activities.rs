use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub meeting_id: i64,
    /// Order within the meeting, 0-based; unique per meeting.
    pub position: i32,
    /// [`crate::ActivityKind::code`].
    pub kind: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub word_limit: i32,
    /// [`crate::ActivityState::code`].
    pub state: String,
    /// [`crate::Markup::code`]: how `description` is rendered.
    pub markup: String,
    /// Normalized words a moderator hid from the cloud, as a JSON array.
    #[sea_orm(column_type = "Text")]
    pub hidden_words: String,
    /// The organizer's notes (teleprompter, dashboard); never sent to participants.
    #[sea_orm(column_type = "Text")]
    pub notes: String,
    /// Seconds an opened activity stays open (0: until staff close it).
    pub time_limit_secs: i32,
    /// A quiz's points under speed scoring (`None`: the default).
    pub points: Option<i32>,
    /// When the open timer closes (microseconds since the epoch), honoured on resume.
    pub closes_at: Option<i64>,
    /// How many choices an attendee may pick (1: a single-choice poll or quiz).
    pub max_choices: i32,
    /// A multi-select quiz pays a share of its points for a partly right answer.
    pub partial_credit: bool,
    /// A scale's or grid's [`crate::Scale`] as JSON (`None`: the default scale).
    #[sea_orm(column_type = "Text", nullable)]
    pub scale: Option<String>,
    /// A grid's Bayesian prior weight (`None`: the default).
    pub prior_weight: Option<i32>,
    /// The id of an image of the media store shown with the activity.
    pub image: Option<String>,
    /// The image's alt text (empty without an image).
    pub alt: String,
    /// Text answers and questions are shown without a moderator's approval.
    pub auto_approve: bool,
    /// A poll's counts stay hidden from the audience until the reveal.
    pub hide_results: bool,
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
    #[sea_orm(has_many = "super::choices::Entity")]
    Choices,
}

impl Related<super::meetings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Meeting.def()
    }
}

impl Related<super::choices::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Choices.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
