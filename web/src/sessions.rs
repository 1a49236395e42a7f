//! [`Sessions`]: the open WebSockets of every session, so a session can be capped (at most
//! [`MAX_SOCKETS_PER_SESSION`] at once) and revoked: logout, a password change or the
//! removal of a user close that session's sockets with 4001 `session revoked`. Revocations
//! made in another process (the CLI) are found by [`sweep`], which asks storage every
//! [`SWEEP_EVERY`] which open staff sessions are still valid.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use librekast_storage::Store;
use tokio::sync::watch;

/// Open WebSockets per session at most; beyond it the upgrade is refused (`429`).
pub const MAX_SOCKETS_PER_SESSION: usize = 8;
/// How often open staff sessions are checked against storage (a change made with the CLI
/// reaches a running server within this, plus one query).
pub const SWEEP_EVERY: Duration = Duration::from_secs(3);

struct Entry {
    open: usize,
    staff: bool,
    revoked: watch::Sender<bool>,
}

#[derive(Default)]
pub struct Sessions {
    open: Mutex<HashMap<String, Entry>>,
}

/// Held by a connection; dropping it frees its place.
pub struct SessionGuard {
    sessions: Arc<Sessions>,
    key: String,
    /// Becomes `true` when the session is revoked.
    pub revoked: watch::Receiver<bool>,
}

impl Sessions {
    /// Registers one more socket of the session `key` (its token's hash); `None` past the
    /// cap.
    pub fn open(self: &Arc<Self>, key: String, staff: bool) -> Option<SessionGuard> {
        let mut open = self.open.lock().ok()?;
        let entry = open.entry(key.clone()).or_insert_with(|| Entry {
            open: 0,
            staff,
            revoked: watch::channel(false).0,
        });
        if entry.open >= MAX_SOCKETS_PER_SESSION {
            return None;
        }
        entry.open += 1;
        let revoked = entry.revoked.subscribe();
        Some(SessionGuard {
            sessions: self.clone(),
            key,
            revoked,
        })
    }

    /// Closes every socket of the session (code 4001).
    pub fn revoke(&self, key: &str) {
        if let Ok(open) = self.open.lock()
            && let Some(e) = open.get(key)
        {
            let _ = e.revoked.send(true);
        }
    }

    fn staff_keys(&self) -> Vec<String> {
        self.open
            .lock()
            .map(|o| {
                o.iter()
                    .filter(|(_, e)| e.staff)
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn open_count(&self, key: &str) -> usize {
        self.open
            .lock()
            .ok()
            .and_then(|o| o.get(key).map(|e| e.open))
            .unwrap_or(0)
    }
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if let Ok(mut open) = self.sessions.open.lock()
            && let Some(e) = open.get_mut(&self.key)
        {
            e.open -= 1;
            if e.open == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Runs until `shutdown`: revokes the sockets of staff sessions that storage no longer
/// holds (logged out elsewhere, password changed or user removed by the CLI, expired), and
/// keeps the others' idle limit fresh (an open dashboard is use).
pub async fn sweep(sessions: Arc<Sessions>, store: Store, mut shutdown: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.changed() => return,
        }
        let keys = sessions.staff_keys();
        if keys.is_empty() {
            continue;
        }
        match store.live_staff_sessions(&keys).await {
            Ok(live) => {
                for key in keys.iter().filter(|k| !live.contains(*k)) {
                    tracing::info!("staff session ended elsewhere: closing its connections");
                    sessions.revoke(key);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not check staff sessions"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_and_revocable() {
        let s = Arc::new(Sessions::default());
        let guards: Vec<_> = (0..MAX_SOCKETS_PER_SESSION)
            .filter_map(|_| s.open("k".into(), true))
            .collect();
        assert_eq!(guards.len(), MAX_SOCKETS_PER_SESSION);
        assert!(s.open("k".into(), true).is_none(), "capped");
        assert!(s.open("other".into(), false).is_some());
        s.revoke("k");
        assert!(guards.iter().all(|g| *g.revoked.borrow()));
        drop(guards);
        assert_eq!(s.open_count("k"), 0);
    }
}
