//! A meeting's one event channel, and who is connected to it.
//!
//! The channel is a bounded broadcast ring ([`crate::EngineConfig::broadcast_capacity`]
//! events). Overflow policy: a subscriber that falls a full ring behind loses the oldest
//! events and is told so (`Lagged`); connections then resync from a fresh snapshot, so a
//! slow browser never slows the meeting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::broadcast;

use crate::event::Event;
use crate::view::{Audience, Published};

#[derive(Debug)]
pub struct Bus {
    tx: broadcast::Sender<Arc<Published>>,
    /// Connected participants (shown to staff and displays).
    participants: AtomicI64,
    /// Every open connection, any audience (an idle meeting has none).
    connections: AtomicI64,
    /// Open connections per audience (in [`Audience::ALL`]'s order), for operators.
    by_audience: [AtomicI64; Audience::ALL.len()],
}

impl Bus {
    pub fn new(capacity: usize) -> Bus {
        Bus {
            tx: broadcast::channel(capacity).0,
            participants: AtomicI64::new(0),
            connections: AtomicI64::new(0),
            by_audience: Default::default(),
        }
    }

    /// Publishes an event; returns it wrapped (its frames render on demand). The participant
    /// frame is rendered here, before anyone receives it: thousands of participant
    /// connections wake at once, and none should block on another rendering it. Staff and
    /// display frames render on first use (few connections; nothing if nobody watches).
    pub fn publish(&self, event: Event) -> Arc<Published> {
        let published = Published::new(event);
        let _ = published.frame(Audience::Participant);
        // No receiver is not an error: nobody is watching right now.
        let _ = self.tx.send(published.clone());
        published
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.tx.subscribe()
    }

    pub fn participants(&self) -> i64 {
        self.participants.load(Ordering::Relaxed)
    }

    pub fn connections(&self) -> i64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Open connections of one audience.
    pub fn connections_of(&self, audience: Audience) -> i64 {
        self.by_audience[audience.index()].load(Ordering::Relaxed)
    }

    /// Counts a connection in (`+1`) or out (`-1`).
    pub fn count(&self, audience: Audience, delta: i64) {
        self.connections.fetch_add(delta, Ordering::Relaxed);
        self.by_audience[audience.index()].fetch_add(delta, Ordering::Relaxed);
        if audience == Audience::Participant {
            self.participants.fetch_add(delta, Ordering::Relaxed);
        }
    }
}
