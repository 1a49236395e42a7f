//! The Twitch chat adapter: an actor in the meeting's tree that reads the channel over IRC
//! (twitch-irc, tags on), hands chat lines to the meeting in batches, and posts the
//! meeting's lines through a throttled outbox when an account is connected.
//!
//! - [`auth`]: Twitch OAuth (device flow, refresh, validation).
//! - [`session`]: one adapter run: credentials, the IRC client, statuses, the outbox.
//! - [`eventsub`]: follow, sub, gift and raid alerts over EventSub WebSocket (with an
//!   account); [`helix`]: the Helix calls they need.

pub mod auth;
pub mod eventsub;
pub mod helix;
pub mod session;

use std::sync::Arc;

use librekast_engine::extension::SpawnFuture;
use librekast_engine::{EngineError, Extension, ExtensionContext, ExtensionKind};
use librekast_storage::UserId;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef};
use tokio::task::JoinHandle;

use crate::env::AdapterEnv;

/// One meeting's Twitch source.
pub struct TwitchSource {
    pub channel: String,
    pub delay_secs: u32,
    /// Whose connected account reads and posts (`None`: read anonymously).
    pub account_user: Option<UserId>,
    pub env: Arc<AdapterEnv>,
}

impl Extension for TwitchSource {
    fn kind(&self) -> ExtensionKind {
        ExtensionKind::Adapter
    }

    fn name(&self) -> String {
        "twitch".into()
    }

    fn keeps_meeting_alive(&self) -> bool {
        true
    }

    fn spawn(&self, ctx: ExtensionContext, supervisor: ActorCell) -> SpawnFuture {
        let args = session::SessionArgs {
            channel: self.channel.clone(),
            delay_secs: self.delay_secs,
            account_user: self.account_user,
            env: self.env.clone(),
            ctx,
        };
        Box::pin(async move {
            let (actor, _) = Actor::spawn_linked(None, TwitchActor, args, supervisor)
                .await
                .map_err(|e| EngineError::Actor(e.to_string()))?;
            Ok(actor.get_cell())
        })
    }
}

pub enum TwitchMsg {
    /// The session ended: the actor fails with this, and the supervisor restarts it.
    Ended(String),
}

pub struct TwitchActor;

impl Actor for TwitchActor {
    type Msg = TwitchMsg;
    type State = JoinHandle<()>;
    type Arguments = session::SessionArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<TwitchMsg>,
        args: session::SessionArgs,
    ) -> Result<JoinHandle<()>, ActorProcessingErr> {
        Ok(tokio::spawn(async move {
            let reason = match session::run(args).await {
                Ok(()) => "session ended".to_string(),
                Err(e) => e.to_string(),
            };
            let _ = myself.send_message(TwitchMsg::Ended(reason));
        }))
    }

    async fn handle(
        &self,
        _myself: ActorRef<TwitchMsg>,
        msg: TwitchMsg,
        _task: &mut JoinHandle<()>,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            TwitchMsg::Ended(reason) => Err(reason.into()),
        }
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<TwitchMsg>,
        task: &mut JoinHandle<()>,
    ) -> Result<(), ActorProcessingErr> {
        // Dropping the session drops its IRC client, which closes the connection.
        task.abort();
        Ok(())
    }
}
