//! Configuration: one typed struct, filled from command-line flags or `LIBREKAST_*`
//! variables (see `docs/configuration.md`), validated with messages that say how to fix it.

use std::net::SocketAddr;
use std::time::Duration;

use crate::WebError;

pub const DEFAULT_BIND: &str = "127.0.0.1:8000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://librekast.db?mode=rwc";
/// `LIBREKAST_IDLE_SECS`' default.
pub const DEFAULT_IDLE_SECS: u64 = 600;

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    /// Open connections (HTTP and WebSocket) at most; beyond it new ones wait.
    pub max_connections: usize,
    /// The address participants type or scan (`LIBREKAST_PUBLIC_URL`), without a trailing
    /// slash. `None`: the `Host` the presenter screen was opened with.
    pub public_url: Option<String>,
    /// A meeting with no connection and no running chat source for this long stops and
    /// frees its memory (`LIBREKAST_IDLE_SECS`).
    pub idle: Duration,
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
            public_url: None,
            idle: Duration::from_secs(DEFAULT_IDLE_SECS),
        })
    }

    /// Sets the idle time after which a meeting's tree stops (at least one second).
    pub fn with_idle_secs(mut self, secs: u64) -> Result<Config, WebError> {
        if secs == 0 {
            return Err(WebError::Config(format!(
                "LIBREKAST_IDLE_SECS must be at least 1 (default {DEFAULT_IDLE_SECS}: ten minutes)"
            )));
        }
        self.idle = Duration::from_secs(secs);
        Ok(self)
    }

    /// Sets the public address; an empty value keeps the default.
    pub fn with_public_url(mut self, url: Option<&str>) -> Result<Config, WebError> {
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        self.public_url = match url {
            None => None,
            Some(u)
                if (u.starts_with("http://") || u.starts_with("https://"))
                    && !u.contains(char::is_whitespace) =>
            {
                Some(u.trim_end_matches('/').to_string())
            }
            Some(u) => {
                return Err(WebError::Config(format!(
                    "LIBREKAST_PUBLIC_URL={u:?} is not a web address: use the address phones open, e.g. https://quiz.example.org or http://192.168.1.20:8000"
                )));
            }
        };
        Ok(self)
    }

    /// For tests: a random loopback port and the given database.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_string(),
            max_connections: 20_000,
            public_url: None,
            idle: Duration::from_secs(DEFAULT_IDLE_SECS),
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
        let c = Config::new(DEFAULT_BIND, DEFAULT_DATABASE_URL, 1)
            .and_then(|c| c.with_public_url(Some("https://quiz.example.org/")));
        assert_eq!(
            c.ok().and_then(|c| c.public_url),
            Some("https://quiz.example.org".to_string())
        );
        let e = Config::new(DEFAULT_BIND, DEFAULT_DATABASE_URL, 1)
            .and_then(|c| c.with_public_url(Some("quiz.example.org")))
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("LIBREKAST_PUBLIC_URL")));
        let c = Config::new(DEFAULT_BIND, DEFAULT_DATABASE_URL, 1);
        assert_eq!(
            c.as_ref().map(|c| c.idle.as_secs()).ok(),
            Some(DEFAULT_IDLE_SECS)
        );
        let e = c
            .and_then(|c| c.with_idle_secs(0))
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("LIBREKAST_IDLE_SECS")));
    }
}
