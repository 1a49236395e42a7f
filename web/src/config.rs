//! Configuration: one typed struct, filled from command-line flags or `LIBREKAST_*`
//! variables (see `docs/configuration.md`), validated with messages that say how to fix it.

use std::net::SocketAddr;

use crate::WebError;

pub const DEFAULT_BIND: &str = "127.0.0.1:8000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://librekast.db?mode=rwc";

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    /// Open connections (HTTP and WebSocket) at most; beyond it new ones wait.
    pub max_connections: usize,
}

impl Config {
    /// Validates raw values; every error names the variable and a working example.
    pub fn new(bind: &str, database_url: &str, max_connections: usize) -> Result<Config, WebError> {
        let bind: SocketAddr = bind.trim().parse().map_err(|_| {
            WebError::Config(format!(
                "LIBREKAST_BIND={bind:?} is not a socket address: use IP:PORT, e.g. 127.0.0.1:8000 or 0.0.0.0:8000"
            ))
        })?;
        let database_url = database_url.trim().to_string();
        let known = ["sqlite:", "postgres://", "postgresql://"];
        if !known.iter().any(|p| database_url.starts_with(p)) {
            return Err(WebError::Config(format!(
                "DATABASE_URL={database_url:?} is not supported: use {DEFAULT_DATABASE_URL} (the default) or postgres://USER:PASSWORD@HOST:5432/DATABASE"
            )));
        }
        if max_connections == 0 {
            return Err(WebError::Config(
                "LIBREKAST_MAX_CONNECTIONS must be at least 1 (default 20000)".into(),
            ));
        }
        Ok(Config {
            bind,
            database_url,
            max_connections,
        })
    }

    /// For tests: a random loopback port and the given database.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_string(),
            max_connections: 20_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_with_helpful_messages() {
        assert!(Config::new("127.0.0.1:8000", DEFAULT_DATABASE_URL, 10).is_ok());
        assert!(Config::new("0.0.0.0:9000", "postgres://u:p@localhost/db", 10).is_ok());
        let e = Config::new("localhost", DEFAULT_DATABASE_URL, 10)
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("LIBREKAST_BIND") && e.contains("127.0.0.1:8000")));
        let e = Config::new(DEFAULT_BIND, "mysql://x", 10)
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("DATABASE_URL") && e.contains("postgres://")));
        assert!(Config::new(DEFAULT_BIND, DEFAULT_DATABASE_URL, 0).is_err());
    }
}
