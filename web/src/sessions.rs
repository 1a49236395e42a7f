//! [`Sessions`]: the open WebSockets of every session, so a session can be capped (at most
//! [`MAX_SOCKETS_PER_SESSION`] at once; for a staff session, per meeting: an operator's
//! script may watch a thousand meetings with one login) and a staff session revoked: logout, a password
//! change or the removal of a user close its sockets with 4001 `session revoked`.
//! Revocations made in another process (the CLI) are found by [`sweep`], which asks storage
//! every [`SWEEP_EVERY`] which open staff sessions are still valid.
//!
//! Kept small, because a keynote holds 10,000 participant sessions: an entry is a counter
//! under a 64-bit key (a keyed hash of the token); only staff sessions, a handful, carry a
//! revocation channel and their stored hash.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use librekast_storage::Store;
use tokio::sync::watch;

/// Open WebSockets per session (staff: per session and meeting) at most; beyond it the
/// upgrade is refused (`429`).
pub const MAX_SOCKETS_PER_SESSION: u32 = 8;
/// How often open staff sessions are checked against storage (a change made with the CLI
/// reaches a running server within this, plus one query).
pub const SWEEP_EVERY: Duration = Duration::from_secs(3);

/// A staff session's revocation: its stored hash (for the sweep) and the signal its
/// sockets wait on.
struct Staff {
    stored: String,
    revoked: watch::Sender<bool>,
    /// Open sockets per meeting (the cap applies to each).
    by_meeting: HashMap<i64, u32>,
}

struct Entry {
    open: u32,
    staff: Option<Staff>,
}

#[derive(Default)]
pub struct Sessions {
    hasher: std::collections::hash_map::RandomState,
    open: Mutex<HashMap<u64, Entry>>,
}

/// Held by a connection; dropping it frees its place.
pub struct SessionGuard {
    sessions: Arc<Sessions>,
    key: u64,
    meeting: i64,
    /// Becomes `true` when the (staff) session is revoked; `None` for other sessions.
    pub revoked: Option<watch::Receiver<bool>>,
}

impl Sessions {
    fn key(&self, token: &str) -> u64 {
        self.hasher.hash_one(token)
    }

    /// Registers one more socket of the session of `token` on `meeting`; `None` past the cap.
    pub fn open(self: &Arc<Self>, token: &str, staff: bool, meeting: i64) -> Option<SessionGuard> {
        let key = self.key(token);
        let mut open = self.open.lock().ok()?;
        let entry = open.entry(key).or_insert_with(|| Entry {
            open: 0,
            staff: staff.then(|| Staff {
                stored: Store::session_key(token),
                revoked: watch::channel(false).0,
                by_meeting: HashMap::new(),
            }),
        });
        if let Some(staff) = &mut entry.staff {
            let here = staff.by_meeting.entry(meeting).or_insert(0);
            if *here >= MAX_SOCKETS_PER_SESSION {
                return None;
            }
            *here += 1;
        } else if entry.open >= MAX_SOCKETS_PER_SESSION {
            return None;
        }
        entry.open += 1;
        let revoked = entry.staff.as_ref().map(|s| s.revoked.subscribe());
        Some(SessionGuard {
            sessions: self.clone(),
            key,
            meeting,
            revoked,
        })
    }

    /// Closes every socket of the session of `token` (code 4001).
    pub fn revoke(&self, token: &str) {
        self.revoke_key(self.key(token));
    }

    /// Closes every socket of the staff session stored as `stored` (its token's hash, as
    /// storage names it when it ends sessions of another browser), code 4001.
    pub fn revoke_stored(&self, stored: &str) {
        if let Ok(open) = self.open.lock() {
            for s in open.values().filter_map(|e| e.staff.as_ref()) {
                if s.stored == stored {
                    let _ = s.revoked.send(true);
                }
            }
        }
    }

    fn revoke_key(&self, key: u64) {
        if let Ok(open) = self.open.lock()
            && let Some(Entry { staff: Some(s), .. }) = open.get(&key)
        {
            let _ = s.revoked.send(true);
        }
    }

    /// (key, stored hash) of every staff session with an open socket.
    fn staff(&self) -> Vec<(u64, String)> {
        self.open
            .lock()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, e)| e.staff.as_ref().map(|s| (*k, s.stored.clone())))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn open_count(&self, token: &str) -> u32 {
        let key = self.key(token);
        self.open
            .lock()
            .ok()
            .and_then(|o| o.get(&key).map(|e| e.open))
            .unwrap_or(0)
    }
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if let Ok(mut open) = self.sessions.open.lock()
            && let Some(e) = open.get_mut(&self.key)
        {
            e.open -= 1;
            if let Some(staff) = &mut e.staff
                && let Some(here) = staff.by_meeting.get_mut(&self.meeting)
            {
                *here -= 1;
                if *here == 0 {
                    staff.by_meeting.remove(&self.meeting);
                }
            }
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
        let staff = sessions.staff();
        if staff.is_empty() {
            continue;
        }
        let stored: Vec<String> = staff.iter().map(|(_, s)| s.clone()).collect();
        match store.live_staff_sessions(&stored).await {
            Ok(live) => {
                for (key, _) in staff.iter().filter(|(_, s)| !live.contains(s)) {
                    tracing::info!("staff session ended elsewhere: closing its connections");
                    sessions.revoke_key(*key);
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
            .filter_map(|_| s.open("k", true, 1))
            .collect();
        assert_eq!(guards.len(), MAX_SOCKETS_PER_SESSION as usize);
        assert!(s.open("k", true, 1).is_none(), "capped");
        // Staff: the cap is per meeting; the other meeting's socket is revoked with the rest.
        let elsewhere = s.open("k", true, 2);
        assert!(elsewhere.is_some());
        let participant = s.open("other", false, 1);
        assert!(participant.as_ref().is_some_and(|g| g.revoked.is_none()));
        let more: Vec<_> = (0..MAX_SOCKETS_PER_SESSION)
            .filter_map(|i| s.open("other", false, i64::from(i) + 2))
            .collect();
        assert_eq!(
            more.len(),
            MAX_SOCKETS_PER_SESSION as usize - 1,
            "a participant session is capped in all"
        );
        let by_hash = s.open("h", true, 1);
        s.revoke_stored(&Store::session_key("h"));
        assert!(
            by_hash
                .as_ref()
                .is_some_and(|g| g.revoked.as_ref().is_some_and(|r| *r.borrow())),
            "revoked by its stored hash"
        );
        drop(by_hash);
        s.revoke("k");
        assert!(
            guards
                .iter()
                .all(|g| g.revoked.as_ref().is_some_and(|r| *r.borrow()))
        );
        assert!(
            elsewhere
                .as_ref()
                .is_some_and(|g| g.revoked.as_ref().is_some_and(|r| *r.borrow()))
        );
        drop(guards);
        assert_eq!(s.open_count("k"), 1);
        drop(elsewhere);
        assert_eq!(s.open_count("k"), 0);
    }
}
