//! Web-layer errors. HTTP answers carry a stable snake_case `error` code, never raw causes.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum WebError {
    #[error("configuration: {0}")]
    Config(String),
    #[error(
        "could not listen on {addr}: {source} (is another server running? set LIBREKAST_BIND to another address)"
    )]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Storage(#[from] librekast_storage::StorageError),
    #[error(transparent)]
    Engine(#[from] librekast_engine::EngineError),
    #[error("password hashing: {0}")]
    Password(String),
}
