//! [`TreeBoard`]: the children of one meeting's supervision tree as operators see them —
//! each actor's state, since when, its restarts in the last hour and its last error. Kept by
//! the meeting's supervisor as things happen, read by the operations page; shared through
//! the meeting's handle, so it outlives a restart of the meeting actor.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Restarts counted for the page: those of the last hour.
const WINDOW: Duration = Duration::from_secs(3600);
/// At most this many restart times kept per actor (a restart budget spends far fewer).
const MAX_RESTARTS_KEPT: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorState {
    Running,
    /// Failed; a restart is scheduled.
    Restarting,
    Stopped,
    /// Failed once too often: left stopped.
    Failed,
}

#[derive(Debug, Clone)]
struct Entry {
    kind: &'static str,
    name: String,
    state: ActorState,
    since: i64,
    restarts: VecDeque<Instant>,
    last_error: Option<String>,
}

/// One actor of the tree, as the operations page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActorRow {
    /// `meeting`, `adapter` or `bot`.
    pub kind: &'static str,
    pub name: String,
    pub state: ActorState,
    /// When it entered that state (milliseconds since the epoch).
    pub since: i64,
    pub restarts_last_hour: usize,
    /// Messages or lines waiting for it, where they are counted.
    pub queue: Option<usize>,
    /// The bound of that queue (`None`: unbounded).
    pub queue_capacity: Option<usize>,
    pub last_error: Option<String>,
}

#[derive(Debug, Default)]
pub struct TreeBoard {
    actors: Mutex<Vec<Entry>>,
}

impl TreeBoard {
    fn with<R>(&self, kind: &'static str, name: &str, f: impl FnOnce(&mut Entry) -> R) -> R {
        let mut actors = match self.actors.lock() {
            Ok(a) => a,
            Err(poisoned) => poisoned.into_inner(),
        };
        let index = match actors.iter().position(|e| e.kind == kind && e.name == name) {
            Some(i) => i,
            None => {
                actors.push(Entry {
                    kind,
                    name: name.to_string(),
                    state: ActorState::Stopped,
                    since: crate::journal::now_ms(),
                    restarts: VecDeque::new(),
                    last_error: None,
                });
                actors.len() - 1
            }
        };
        f(&mut actors[index])
    }

    fn set_state(&self, kind: &'static str, name: &str, state: ActorState) {
        self.with(kind, name, |e| {
            if e.state != state {
                e.state = state;
                e.since = crate::journal::now_ms();
            }
        });
    }

    pub fn spawned(&self, kind: &'static str, name: &str) {
        self.set_state(kind, name, ActorState::Running);
    }

    pub fn restarted(&self, kind: &'static str, name: &str) {
        self.with(kind, name, |e| {
            e.restarts.push_back(Instant::now());
            if e.restarts.len() > MAX_RESTARTS_KEPT {
                e.restarts.pop_front();
            }
        });
        self.set_state(kind, name, ActorState::Running);
    }

    /// Failed; `restarting` when a restart is scheduled, else it is left stopped.
    pub fn failed(&self, kind: &'static str, name: &str, error: &str, restarting: bool) {
        self.with(kind, name, |e| e.last_error = Some(error.to_string()));
        let state = if restarting {
            ActorState::Restarting
        } else {
            ActorState::Failed
        };
        self.set_state(kind, name, state);
    }

    pub fn stopped(&self, kind: &'static str, name: &str) {
        self.with(kind, name, |e| {
            // A failed actor stays shown as failed, not merely stopped.
            if e.state != ActorState::Failed {
                e.state = ActorState::Stopped;
                e.since = crate::journal::now_ms();
            }
        });
    }

    /// Forgets every extension (their set is being replaced).
    pub fn forget_extensions(&self) {
        if let Ok(mut actors) = self.actors.lock() {
            actors.retain(|e| e.kind == "meeting");
        }
    }

    /// Every actor, the meeting's first; `queue` gives an actor's queue and its bound.
    pub fn rows(
        &self,
        queue: impl Fn(&'static str, &str) -> (Option<usize>, Option<usize>),
    ) -> Vec<ActorRow> {
        let now = Instant::now();
        let Ok(actors) = self.actors.lock() else {
            return Vec::new();
        };
        let mut rows: Vec<ActorRow> = actors
            .iter()
            .map(|e| {
                let (queue, queue_capacity) = queue(e.kind, &e.name);
                ActorRow {
                    kind: e.kind,
                    name: e.name.clone(),
                    state: e.state,
                    since: e.since,
                    restarts_last_hour: e
                        .restarts
                        .iter()
                        .filter(|t| now.duration_since(**t) < WINDOW)
                        .count(),
                    queue,
                    queue_capacity,
                    last_error: e.last_error.clone(),
                }
            })
            .collect();
        rows.sort_by_key(|r| (r.kind != "meeting", r.kind != "adapter", r.name.clone()));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_an_actor_through_a_failure_and_a_restart() {
        let b = TreeBoard::default();
        b.spawned("adapter", "twitch");
        b.spawned("meeting", "meeting");
        b.failed("meeting", "meeting", "boom", true);
        let rows = b.rows(|_, _| (None, None));
        assert_eq!(rows[0].kind, "meeting");
        assert_eq!(rows[0].state, ActorState::Restarting);
        assert_eq!(rows[0].last_error.as_deref(), Some("boom"));
        b.restarted("meeting", "meeting");
        b.failed("adapter", "twitch", "gone", false);
        b.stopped("adapter", "twitch");
        let rows = b.rows(|kind, _| (Some(usize::from(kind == "adapter")), None));
        assert_eq!(rows[0].state, ActorState::Running);
        assert_eq!(rows[0].restarts_last_hour, 1);
        assert_eq!(rows[1].state, ActorState::Failed);
        assert_eq!(rows[1].queue, Some(1));
        b.forget_extensions();
        assert_eq!(b.rows(|_, _| (None, None)).len(), 1);
    }
}
