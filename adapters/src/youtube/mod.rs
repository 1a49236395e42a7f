//! The YouTube live-chat adapter: an actor in the meeting's tree that finds the broadcast's
//! live chat with the connected account, reads it (`streamList`, or `list` polling where
//! streaming is unavailable), hands chat lines to the meeting in batches, remembers where it
//! is (the page token, stored after each batch is committed), keeps a quota meter, and
//! posts the meeting's lines with `insert` when the account may.
//!
//! - [`auth`]: Google OAuth (redirect flow, device flow, refresh) and dashboard states.
//! - [`accounts`]: connecting a YouTube account and keeping its token fresh.
//! - [`alerts`]: members, Super Chats and Super Stickers as the meeting's alerts.
//! - [`api`]: the Data API calls (google-youtube3's hub; our own streamList request).
//! - [`stream`]: splitting the streamList body into objects as it arrives.
//! - [`quota`]: the quota meter and Pacific-time days.
//! - [`session`]: one adapter run.

pub mod accounts;
pub mod alerts;
pub mod api;
pub mod auth;
pub mod env;
pub mod quota;
pub mod session;
pub mod stream;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use librekast_engine::extension::SpawnFuture;
use librekast_engine::{EngineError, Extension, ExtensionContext, ExtensionKind};
use librekast_storage::UserId;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef};
use tokio::task::JoinHandle;

use crate::env::AdapterEnv;

pub use crate::config::YoutubeTiming;
pub use env::YoutubeEnv;

/// One meeting's YouTube source.
pub struct YoutubeSource {
    /// The live video; `None`: the account's active broadcast.
    pub video_id: Option<String>,
    pub delay_secs: u32,
    /// Whose connected account reads and posts (YouTube has no anonymous reading).
    pub account_user: Option<UserId>,
    pub env: Arc<AdapterEnv>,
}

impl Extension for YoutubeSource {
    fn kind(&self) -> ExtensionKind {
        ExtensionKind::Adapter
    }

    fn name(&self) -> String {
        "youtube".into()
    }

    fn keeps_meeting_alive(&self) -> bool {
        true
    }

    fn spawn(&self, ctx: ExtensionContext, supervisor: ActorCell) -> SpawnFuture {
        let args = session::SessionArgs {
            video_id: self.video_id.clone(),
            delay_secs: self.delay_secs,
            account_user: self.account_user,
            env: self.env.clone(),
            ctx,
        };
        Box::pin(async move {
            let (actor, _) = Actor::spawn_linked(None, YoutubeActor, args, supervisor)
                .await
                .map_err(|e| EngineError::Actor(e.to_string()))?;
            Ok(actor.get_cell())
        })
    }
}

pub enum YoutubeMsg {
    /// The session ended: the actor fails with this, and the supervisor restarts it.
    Ended(String),
}

pub struct YoutubeActor;

impl Actor for YoutubeActor {
    type Msg = YoutubeMsg;
    type State = JoinHandle<()>;
    type Arguments = session::SessionArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<YoutubeMsg>,
        args: session::SessionArgs,
    ) -> Result<JoinHandle<()>, ActorProcessingErr> {
        Ok(tokio::spawn(async move {
            // A panic in the session (or in a library under it) must still end the actor,
            // or the supervisor would never restart it.
            let reason = match AssertUnwindSafe(session::run(args)).catch_unwind().await {
                Ok(Ok(())) => "session ended".to_string(),
                Ok(Err(e)) => e.to_string(),
                Err(_) => "session panicked".to_string(),
            };
            let _ = myself.send_message(YoutubeMsg::Ended(reason));
        }))
    }

    async fn handle(
        &self,
        _myself: ActorRef<YoutubeMsg>,
        msg: YoutubeMsg,
        _task: &mut JoinHandle<()>,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            YoutubeMsg::Ended(reason) => Err(reason.into()),
        }
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<YoutubeMsg>,
        task: &mut JoinHandle<()>,
    ) -> Result<(), ActorProcessingErr> {
        // Dropping the session closes its stream and HTTP connections.
        task.abort();
        Ok(())
    }
}
