//! The trait every chat platform implements.

use std::future::Future;

use librekast_storage::Platform;

use crate::{AdapterError, ChatMessage};

/// A live chat: messages in, bot replies out. Implementations own their reconnection within
/// one session; a returned `Closed` hands the decision to the adapter's supervisor.
pub trait ChatSource: Send {
    fn platform(&self) -> Platform;

    /// The next chat line; `Err(Closed)` when the source ended.
    fn next_message(&mut self) -> impl Future<Output = Result<ChatMessage, AdapterError>> + Send;

    /// Posts a bot message to the chat (already prefixed by the caller).
    fn post(&mut self, text: &str) -> impl Future<Output = Result<(), AdapterError>> + Send;
}
