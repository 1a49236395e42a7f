//! Extensions: the actors a meeting's tree runs beside its `MeetingActor` (chat adapters,
//! bots). The binary hands [`ExtensionFactory`]s to the engine at start-up, so the engine
//! never depends on the crates that implement them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use librekast_storage::{MeetingId, MeetingRecord};
use ractor::ActorCell;

use crate::EngineError;
use crate::handle::MeetingHandle;

/// Named in supervision logs as `adapter = …` or `bot = …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionKind {
    Adapter,
    Bot,
}

/// What an extension gets when it starts: its meeting (commands, chat, events).
#[derive(Clone)]
pub struct ExtensionContext {
    pub meeting: MeetingId,
    pub handle: Arc<MeetingHandle>,
}

pub type SpawnFuture = Pin<Box<dyn Future<Output = Result<ActorCell, EngineError>> + Send>>;

pub trait Extension: Send + Sync + 'static {
    fn kind(&self) -> ExtensionKind;
    /// For logs: `twitch`, `youtube`, `periodic:hello`…
    fn name(&self) -> String;
    /// Starts the extension's actor, linked to `supervisor` (which restarts it with the
    /// extension policy when it fails). Called again for every restart.
    fn spawn(&self, ctx: ExtensionContext, supervisor: ActorCell) -> SpawnFuture;
    /// Whether a running instance keeps its meeting from stopping as idle (a connected chat
    /// source does: viewers answer without any WebSocket open).
    fn keeps_meeting_alive(&self) -> bool {
        false
    }
}

/// Gives each meeting its extensions when its tree starts, and again when its sources
/// change ([`crate::MeetingHandle::reload_streams`]).
pub trait ExtensionFactory: Send + Sync + 'static {
    fn extensions(&self, meeting: &MeetingRecord) -> Vec<Arc<dyn Extension>>;
}

/// The factories the binary installed.
#[derive(Clone, Default)]
pub struct Extensions(pub Vec<Arc<dyn ExtensionFactory>>);

impl Extensions {
    pub fn for_meeting(&self, meeting: &MeetingRecord) -> Vec<Arc<dyn Extension>> {
        self.0.iter().flat_map(|f| f.extensions(meeting)).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Extensions({} factories)", self.0.len())
    }
}
