//! [`Engine`]: what the web layer and the chat adapters talk to. It finds (or starts) a
//! meeting's tree and hands out its [`MeetingHandle`].
//!
//! The tree (see [`crate::meetings`] and [`crate::supervisor`]):
//!
//! ```text
//! Engine
//!  ├─ Writer (group commit; supervised task, reports failures by callback)
//!  └─ Meetings (root)
//!       └─ MeetingSupervisor(id) … one per running meeting
//!            ├─ MeetingActor(id)
//!            └─ extensions (adapters, bots)
//! ```

use std::sync::Arc;
use std::time::Duration;

use librekast_storage::{MeetingId, Store};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef};

use crate::EngineError;
use crate::config::EngineConfig;
use crate::handle::MeetingHandle;
use crate::meetings::{Meetings, MeetingsArgs, MeetingsMsg, Registry};
use crate::writer::Writer;

/// How long a request waits for its meeting's tree to start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The running engine: storage, the writer and the meetings' supervision tree.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    writer: Writer,
    registry: Registry,
    root: ActorRef<MeetingsMsg>,
}

impl Engine {
    /// Starts the writer and the supervision root, then resumes every meeting that was
    /// running.
    pub async fn start(store: Store, config: EngineConfig) -> Result<Engine, EngineError> {
        let writer = Writer::spawn(store.clone());
        let registry: Registry = Arc::default();
        let args = MeetingsArgs {
            store: store.clone(),
            writer: writer.clone(),
            registry: registry.clone(),
            config,
        };
        let (root, _) = Actor::spawn(None, Meetings, args)
            .await
            .map_err(|e| EngineError::Actor(e.to_string()))?;
        let engine = Engine {
            store,
            writer,
            registry,
            root,
        };
        for id in engine.store.running_meeting_ids().await? {
            if let Err(e) = engine.meeting(id).await {
                tracing::error!(meeting_id = %id, error = %e, "could not resume meeting");
            }
        }
        Ok(engine)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// The handle of a meeting, starting its tree if needed.
    pub async fn meeting(&self, id: MeetingId) -> Result<Arc<MeetingHandle>, EngineError> {
        let cached = self.registry.read().ok().and_then(|r| r.get(&id).cloned());
        if let Some(h) = cached
            && !h.is_stopped()
        {
            return Ok(h);
        }
        let reply = self
            .root
            .call(
                |reply| MeetingsMsg::Ensure { id, reply },
                Some(START_TIMEOUT),
            )
            .await
            .map_err(|e| EngineError::Actor(e.to_string()))?;
        match reply {
            CallResult::Success(result) => result,
            _ => Err(EngineError::Unavailable),
        }
    }

    /// The handle of a meeting if its tree runs right now (never starts one).
    pub fn running(&self, id: MeetingId) -> Option<Arc<MeetingHandle>> {
        self.registry
            .read()
            .ok()
            .and_then(|r| r.get(&id).cloned())
            .filter(|h| !h.is_stopped())
    }

    /// Meetings whose tree is in memory now.
    pub fn running_count(&self) -> usize {
        self.registry.read().map(|r| r.len()).unwrap_or(0)
    }

    /// Stops every meeting's tree, then waits until every queued write is committed.
    pub async fn shutdown(&self) {
        self.root.stop(None);
        self.writer.barrier().await;
    }
}
