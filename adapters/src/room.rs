//! The in-room source: chat lines pushed in-process (the meeting's own chat box, and the test
//! double for platform adapters). Bounded: when full, the oldest unread line is kept and the
//! new one is refused (`try_push` returns false), so a flood never grows memory.

use librekast_storage::Platform;
use tokio::sync::mpsc;

use crate::{AdapterError, ChatMessage, ChatSource};

pub const ROOM_CAPACITY: usize = 1024;

pub struct RoomSource {
    rx: mpsc::Receiver<ChatMessage>,
    /// Bot replies posted to the room, for whoever shows them.
    posted: mpsc::Sender<String>,
}

/// The sending half: where in-room chat lines enter.
#[derive(Clone)]
pub struct RoomInlet {
    tx: mpsc::Sender<ChatMessage>,
}

impl RoomInlet {
    /// False when the room's queue is full or closed (the line is dropped).
    pub fn try_push(&self, message: ChatMessage) -> bool {
        self.tx.try_send(message).is_ok()
    }
}

impl RoomSource {
    /// Returns the source, its inlet, and the receiver of bot replies.
    pub fn new() -> (RoomSource, RoomInlet, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(ROOM_CAPACITY);
        let (posted, replies) = mpsc::channel(ROOM_CAPACITY);
        (RoomSource { rx, posted }, RoomInlet { tx }, replies)
    }
}

impl ChatSource for RoomSource {
    fn platform(&self) -> Platform {
        Platform::Room
    }

    async fn next_message(&mut self) -> Result<ChatMessage, AdapterError> {
        self.rx.recv().await.ok_or(AdapterError::Closed)
    }

    async fn post(&mut self, text: &str) -> Result<(), AdapterError> {
        self.posted
            .try_send(text.to_string())
            .map_err(|e| AdapterError::Refused(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> ChatMessage {
        ChatMessage {
            platform: Platform::Room,
            id: None,
            user_id: "u1".into(),
            user_name: "Ann".into(),
            text: text.into(),
            at: 0,
            badges: Default::default(),
        }
    }

    #[tokio::test]
    async fn lines_flow_and_overflow_is_refused() {
        let (mut source, inlet, mut replies) = RoomSource::new();
        assert!(inlet.try_push(line("#a")));
        assert_eq!(
            source.next_message().await.ok().map(|m| m.text),
            Some("#a".to_string())
        );
        for _ in 0..ROOM_CAPACITY {
            assert!(inlet.try_push(line("x")));
        }
        assert!(!inlet.try_push(line("one too many")));
        assert!(source.post("🤖 hi").await.is_ok());
        assert_eq!(replies.recv().await.as_deref(), Some("🤖 hi"));
        drop(inlet);
        for _ in 0..ROOM_CAPACITY {
            assert!(source.next_message().await.is_ok());
        }
        assert!(matches!(
            source.next_message().await,
            Err(AdapterError::Closed)
        ));
    }
}
