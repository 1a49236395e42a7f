//! LibreKast web layer: the thin warp front of the engine, and the `librekast` binary.
//!
//! - [`config`]: the typed, validated configuration (flags and `LIBREKAST_*` variables).
//! - [`server`]: [`Server`]: start-up, the accept loop (connection limit, graceful shutdown).
//! - [`metrics`]: the separate Prometheus listener (`GET /metrics`) and the HTTP route label.
//! - [`app`]: [`app::App`], what every route and connection shares.
//! - [`results`]: a meeting's results as JSON and CSV (`/api/meetings/{id}/results.…`).
//! - [`editor`]: the meeting editor's API (meetings, the plan with ids, duplicate, reset,
//!   delete, sharing, the Markdown preview, GIFT import).
//! - [`moderation`]: participants (rename, remove), hidden words, blocked words.
//! - [`bots`]: a meeting's bots from the dashboard (applied live) and test alerts.
//! - [`flagsheet`]: the flags with their claiming links and QR codes, for the printable
//!   flag sheet (`/api/meetings/{id}/flags`).
//! - [`media`]: the media store: uploads checked by content, listed and deleted by staff,
//!   served with byte ranges under unguessable ids (`/api/media`, `/media/{id}`).
//! - [`input`]: what routes read from a request (the app, bounded JSON bodies, the caller's
//!   address, path segments, names); a leaf, so handler modules never import [`routes`].
//! - [`routes`]: HTTP routes (`/api/…`, static assets) as warp filters.
//! - [`account`]: `/api/me`, logout, a participant's seat, the join link and its QR code,
//!   display links.
//! - [`auth`]: passwords (argon2id), session tokens and cookies.
//! - [`net`]: CIDR ranges and the client address and scheme behind trusted proxies.
//! - [`site`]: our own address (links, QR codes) and the cross-site guard (`Origin`,
//!   JSON bodies) in front of every route.
//! - [`sessions`]: open WebSockets per session (capped, revocable with close 4001).
//! - [`pending`]: sign-ins under way (Twitch device flows, Google consent states).
//! - [`streams`]: chat sources and platform accounts from the dashboard; the secret key
//!   and the chat adapters' environment at start-up.
//! - [`operations`]: the live operations page for admins (`/operate.html`, a snapshot and
//!   its Server-Sent Events stream under `/api/operations`).
//! - [`users`]: staff accounts from the browser (`/api/users…`, admins), one's own sessions
//!   (`/api/me/sessions…`) and the first-start hint (`/api/setup`).
//! - [`throttle`]: guessing throttles (failed logins, wrong join codes) in bounded memory.
//! - [`principal`]: who is asking (cookie, `?token=`, bearer token) and the one permission
//!   check every route and frame goes through.
//! - [`ws`]: the WebSocket upgrade and one task per connection.
//! - [`protocol`]: parsing client frames into engine commands.
//! - [`assets`]: the embedded `assets/` folder.
//! - [`bootstrap`]: the demo meeting and the first staff account on an empty database.
//! - [`error`]: the [`WebError`] enum.
//! - [`api_error`]: [`ApiError`], every HTTP error answer with its status and stable code.

pub mod account;
pub mod api_error;
pub mod app;
pub mod assets;
pub mod auth;
pub mod bootstrap;
pub mod bots;
pub mod config;
pub mod editor;
pub mod error;
pub mod flagsheet;
pub mod input;
pub mod media;
pub mod metrics;
pub mod moderation;
pub mod net;
pub mod operations;
pub mod pending;
pub mod principal;
pub mod protocol;
pub mod results;
pub mod routes;
pub mod server;
pub mod sessions;
pub mod site;
pub mod streams;
pub mod throttle;
pub mod users;
pub mod ws;

pub use api_error::ApiError;
pub use config::Config;
pub use error::WebError;
pub use server::Server;
