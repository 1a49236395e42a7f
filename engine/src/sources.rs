//! [`SourceBoard`]: the current status of each chat source of a meeting, and the outboxes
//! its adapters post from. Shared by the meeting's handle (adapters report and post through
//! it) and its actor (which renders the statuses into the staff `state`), so a dashboard
//! that connects later sees every source's status, even across a meeting-actor restart.

use std::collections::BTreeMap;
use std::sync::Mutex;

use librekast_storage::Platform;
use tokio::sync::mpsc;

use crate::event::AdapterStatus;

/// Lines waiting to be handed to one adapter's outbox. Full: the line is dropped and
/// counted (the adapter's own queue drops its oldest; see the adapters crate).
pub const OUTBOX: usize = 64;

#[derive(Debug, Default)]
pub struct SourceBoard {
    statuses: Mutex<BTreeMap<&'static str, AdapterStatus>>,
    /// Each adapter's outbox, and whether it can post right now (an anonymous Twitch
    /// reader or a read-only YouTube account cannot).
    outboxes: Mutex<BTreeMap<&'static str, (mpsc::Sender<String>, bool)>>,
    dropped: std::sync::atomic::AtomicU64,
    /// The meeting ended: its chat sources no longer keep it in memory (a finished
    /// meeting would otherwise read chat, and spend YouTube quota, forever).
    ended: std::sync::atomic::AtomicBool,
}

impl SourceBoard {
    /// Records a status; true when it differs from the last one of that platform.
    pub fn set(&self, status: AdapterStatus) -> bool {
        let Ok(mut map) = self.statuses.lock() else {
            return false;
        };
        if map.get(status.platform) == Some(&status) {
            return false;
        }
        map.insert(status.platform, status);
        true
    }

    /// Forgets the sources that are no longer configured.
    pub fn retain(&self, platforms: &[Platform]) {
        let keep = |p: &&'static str| platforms.iter().any(|x| x.code() == *p);
        if let Ok(mut map) = self.statuses.lock() {
            map.retain(|p, _| keep(p));
        }
        if let Ok(mut map) = self.outboxes.lock() {
            map.retain(|p, _| keep(p));
        }
    }

    /// Every source's status, by platform.
    pub fn all(&self) -> Vec<AdapterStatus> {
        self.statuses
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// An adapter (re)started: where lines for its chat go from now on.
    pub fn register_outbox(&self, platform: Platform, outbox: mpsc::Sender<String>) {
        if let Ok(mut map) = self.outboxes.lock() {
            map.insert(platform.code(), (outbox, false));
        }
    }

    /// Lines waiting in the platform's outbox, and its bound (none registered: `None`).
    pub fn outbox_depth(&self, platform: &str) -> Option<(usize, usize)> {
        let map = self.outboxes.lock().ok()?;
        let (tx, _) = map.get(platform)?;
        Some((tx.max_capacity() - tx.capacity(), tx.max_capacity()))
    }

    /// Whether the platform's adapter can post now (it says so whenever that changes).
    pub fn set_can_post(&self, platform: Platform, can: bool) {
        if let Ok(mut map) = self.outboxes.lock()
            && let Some(entry) = map.get_mut(platform.code())
        {
            entry.1 = can;
        }
    }

    pub fn set_ended(&self, ended: bool) {
        self.ended
            .store(ended, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_ended(&self) -> bool {
        self.ended.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Hands a line to every chat that can post it; returns how many took it.
    pub fn post(&self, text: &str) -> usize {
        let Ok(map) = self.outboxes.lock() else {
            return 0;
        };
        let mut sent = 0;
        for (outbox, _) in map.values().filter(|(_, can)| *can) {
            match outbox.try_send(text.to_string()) {
                Ok(()) => sent += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.dropped
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        sent
    }

    pub fn add_dropped(&self, lines: u64) {
        self.dropped
            .fetch_add(lines, std::sync::atomic::Ordering::Relaxed);
    }

    /// Lines dropped because an outbox was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }
}
