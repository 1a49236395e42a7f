//! LibreKast's protocol client, shared by the end-to-end tests and `librekast loadtest`
//! (one client instead of one per tool).
//!
//! - [`http`]: [`Http`], a pooled HTTP/1.1 client for login and join.
//! - [`socket`]: opening and closing a meeting WebSocket with small buffers, readable errors.
//! - [`wire`]: typed, allocation-light views of server frames (counts, refs, staff frames).
//! - [`client`]: [`Client`], a WebSocket client that matches acks to `ref`s and keeps the
//!   latest state it was sent.

pub mod client;
pub mod http;
pub mod socket;
pub mod wire;

pub use client::{Client, TIMEOUT, choice_ids, error_code, ok};
pub use http::Http;
