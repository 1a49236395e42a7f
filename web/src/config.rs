//! Configuration: one typed struct, filled from command-line flags or `LIBREKAST_*`
//! variables (see `docs/configuration.md`), validated with messages that say how to fix it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::WebError;
use crate::net::Cidr;

pub const DEFAULT_BIND: &str = "127.0.0.1:8000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://librekast.db?mode=rwc";
/// `LIBREKAST_IDLE_SECS`' default.
pub const DEFAULT_IDLE_SECS: u64 = 600;
/// `LIBREKAST_SESSION_IDLE_SECS`' default: a staff session unused for 12 hours ends.
pub const DEFAULT_SESSION_IDLE_SECS: u64 = 12 * 3_600;
/// `LIBREKAST_SESSION_MAX_SECS`' default: a staff session ends 7 days after login.
pub const DEFAULT_SESSION_MAX_SECS: u64 = 7 * 86_400;
/// `LIBREKAST_MEDIA_MAX_BYTES`' default: 20 MiB, a few seconds of HD alert video.
pub const DEFAULT_MEDIA_MAX_BYTES: u64 = 20 * 1024 * 1024;
/// The largest `LIBREKAST_MEDIA_MAX_BYTES` accepted: past it, host the file elsewhere.
pub const MEDIA_MAX_BYTES_CEILING: u64 = 1024 * 1024 * 1024;
/// A media upload must arrive whole within this (20 MiB at 1 Mbit/s takes under three
/// minutes); between two parts of it, no longer than the body timeout.
pub const MEDIA_TIMEOUT: Duration = Duration::from_secs(300);

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
    /// Open connections from one client address at most (`LIBREKAST_MAX_CONNECTIONS_PER_IP`,
    /// default: `max_connections`, as a venue's phones often share one NAT address).
    pub max_connections_per_ip: usize,
    /// The server's own files (`LIBREKAST_DATA_DIR`; default: the SQLite file's directory;
    /// required with PostgreSQL). Created `0700`.
    pub data_dir: Option<PathBuf>,
    /// Other origins whose pages may use a staff cookie, join, log in or out
    /// (`LIBREKAST_ALLOWED_ORIGINS`), as `scheme://host[:port]`.
    pub allowed_origins: Vec<String>,
    /// Peers whose `X-Forwarded-For`/`-Proto`/`-Host` headers count
    /// (`LIBREKAST_TRUSTED_PROXIES`, default loopback).
    pub trusted_proxies: Vec<Cidr>,
    /// `Host` values accepted for links and QR codes (`LIBREKAST_ALLOWED_HOSTS`); `None`: any
    /// host name that is well formed.
    pub allowed_hosts: Option<Vec<String>>,
    /// A staff session unused for this long ends (`LIBREKAST_SESSION_IDLE_SECS`).
    pub session_idle: Duration,
    /// A staff session ends this long after login, used or not (`LIBREKAST_SESSION_MAX_SECS`).
    pub session_max: Duration,
    /// A connection's first request head must arrive within this of accept.
    pub header_timeout: Duration,
    /// A keep-alive connection with no request for this long is closed.
    pub keepalive_idle: Duration,
    /// A request body must arrive whole within this.
    pub body_timeout: Duration,
    /// Twitch and YouTube: OAuth clients and addresses (`LIBREKAST_TWITCH_*`,
    /// `LIBREKAST_GOOGLE_*`, `LIBREKAST_YOUTUBE_API_URL`).
    pub platforms: librekast_adapters::PlatformConfig,
    /// `LIBREKAST_SECRET_KEY`: seals platform tokens at rest (SQLite: generated into the
    /// data directory when unset; PostgreSQL: required once tokens are stored).
    pub secret_key: Option<String>,
    /// The largest file `POST /api/media` takes (`LIBREKAST_MEDIA_MAX_BYTES`).
    pub media_max_bytes: u64,
    /// A media upload must arrive whole within this ([`MEDIA_TIMEOUT`]).
    pub media_timeout: Duration,
    /// Where `GET /metrics` (Prometheus) listens (`LIBREKAST_METRICS_BIND`); `None`: off.
    pub metrics_bind: Option<SocketAddr>,
}

/// Request head deadline from accept.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle keep-alive connections are closed after this.
pub const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
/// A request body must arrive whole within this (a body trickled a byte at a time would
/// otherwise hold its connection for as long as the client likes).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

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
        Ok(Config::with_defaults(bind, database_url, max_connections))
    }

    /// Every other setting at its default.
    fn with_defaults(bind: SocketAddr, database_url: String, max_connections: usize) -> Config {
        Config {
            data_dir: default_data_dir(&database_url),
            bind,
            database_url,
            max_connections,
            public_url: None,
            idle: Duration::from_secs(DEFAULT_IDLE_SECS),
            max_connections_per_ip: max_connections,
            allowed_origins: Vec::new(),
            trusted_proxies: Cidr::loopback(),
            allowed_hosts: None,
            session_idle: Duration::from_secs(DEFAULT_SESSION_IDLE_SECS),
            session_max: Duration::from_secs(DEFAULT_SESSION_MAX_SECS),
            header_timeout: HEADER_TIMEOUT,
            keepalive_idle: KEEPALIVE_IDLE,
            body_timeout: BODY_TIMEOUT,
            platforms: librekast_adapters::PlatformConfig::default(),
            secret_key: None,
            media_max_bytes: DEFAULT_MEDIA_MAX_BYTES,
            media_timeout: MEDIA_TIMEOUT,
            metrics_bind: None,
        }
    }

    /// The platforms' OAuth clients and addresses; the IRC address is checked here.
    pub fn with_platforms(
        mut self,
        platforms: librekast_adapters::PlatformConfig,
    ) -> Result<Config, WebError> {
        librekast_adapters::IrcTarget::parse(&platforms.twitch_irc_url)
            .map_err(WebError::Config)?;
        for (name, url) in [
            ("LIBREKAST_TWITCH_ID_URL", &platforms.twitch_id_url),
            ("LIBREKAST_TWITCH_API_URL", &platforms.twitch_api_url),
            ("LIBREKAST_YOUTUBE_API_URL", &platforms.youtube_api_url),
            ("LIBREKAST_GOOGLE_AUTH_URL", &platforms.google_auth_url),
            ("LIBREKAST_GOOGLE_TOKEN_URL", &platforms.google_token_url),
            ("LIBREKAST_GOOGLE_DEVICE_URL", &platforms.google_device_url),
        ] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(WebError::Config(format!(
                    "{name}={url:?} is not a web address: use https://… (the default points at the real service)"
                )));
            }
        }
        let eventsub = &platforms.twitch_eventsub_url;
        if !(eventsub.starts_with("wss://") || eventsub.starts_with("ws://")) {
            return Err(WebError::Config(format!(
                "LIBREKAST_TWITCH_EVENTSUB_URL={eventsub:?} is not a WebSocket address: use wss://… (default wss://eventsub.wss.twitch.tv/ws)"
            )));
        }
        let mut platforms = platforms;
        if platforms.public_url.is_none() {
            platforms.public_url = self.public_url.clone();
        }
        self.platforms = platforms;
        Ok(self)
    }

    /// `LIBREKAST_SECRET_KEY` (checked when the server starts).
    pub fn with_secret_key(mut self, key: Option<&str>) -> Config {
        self.secret_key = key.map(str::to_owned).filter(|k| !k.trim().is_empty());
        self
    }

    /// Caps open connections per client address; 0 keeps the default (the global limit).
    pub fn with_max_connections_per_ip(mut self, n: Option<usize>) -> Config {
        self.max_connections_per_ip = match n {
            Some(n) if n > 0 => n.min(self.max_connections),
            _ => self.max_connections,
        };
        self
    }

    /// Sets the data directory; without one, SQLite's directory (PostgreSQL requires one).
    pub fn with_data_dir(mut self, dir: Option<&str>) -> Result<Config, WebError> {
        if let Some(dir) = dir.map(str::trim).filter(|d| !d.is_empty()) {
            self.data_dir = Some(PathBuf::from(dir));
        }
        if self.data_dir.is_none() && self.database_url.starts_with("postgres") {
            return Err(WebError::Config(
                "LIBREKAST_DATA_DIR is required with PostgreSQL: the directory for the server's own files, e.g. /var/lib/librekast".into(),
            ));
        }
        Ok(self)
    }

    /// `https://a.example.org, http://localhost:3000`: origins allowed besides our own.
    pub fn with_allowed_origins(mut self, list: Option<&str>) -> Result<Config, WebError> {
        self.allowed_origins = Vec::new();
        for item in split_list(list) {
            match normalize_origin(item) {
                Some(o) => self.allowed_origins.push(o),
                None => {
                    return Err(WebError::Config(format!(
                        "LIBREKAST_ALLOWED_ORIGINS: {item:?} is not an origin: use scheme://host[:port], e.g. https://slides.example.org"
                    )));
                }
            }
        }
        Ok(self)
    }

    /// `10.0.0.0/8, ::1`: proxies whose forwarding headers are believed; `none` or empty:
    /// nobody.
    pub fn with_trusted_proxies(mut self, list: Option<&str>) -> Result<Config, WebError> {
        let Some(list) = list else {
            return Ok(self);
        };
        self.trusted_proxies = Vec::new();
        // `none` (or an empty value) trusts nobody.
        for item in split_list(Some(list)).filter(|i| !i.eq_ignore_ascii_case("none")) {
            match Cidr::parse(item) {
                Some(c) => self.trusted_proxies.push(c),
                None => {
                    return Err(WebError::Config(format!(
                        "LIBREKAST_TRUSTED_PROXIES: {item:?} is not an address or CIDR range, e.g. 127.0.0.1/32 or 10.0.0.0/8"
                    )));
                }
            }
        }
        Ok(self)
    }

    /// `quiz.example.org, 192.168.1.20:8000`: the only `Host` values used in links.
    pub fn with_allowed_hosts(mut self, list: Option<&str>) -> Result<Config, WebError> {
        let hosts: Vec<String> = split_list(list).map(|h| h.to_ascii_lowercase()).collect();
        if hosts.iter().any(|h| h.contains(['/', ' ', '@'])) {
            return Err(WebError::Config(
                "LIBREKAST_ALLOWED_HOSTS lists host names (with an optional :port), e.g. quiz.example.org,192.168.1.20:8000".into(),
            ));
        }
        self.allowed_hosts = (!hosts.is_empty()).then_some(hosts);
        Ok(self)
    }

    /// Staff session limits, in seconds: idle (refreshed by use) and absolute.
    pub fn with_session_limits(mut self, idle: u64, max: u64) -> Result<Config, WebError> {
        if idle == 0 || max == 0 {
            return Err(WebError::Config(format!(
                "LIBREKAST_SESSION_IDLE_SECS and LIBREKAST_SESSION_MAX_SECS must be at least 1 (defaults {DEFAULT_SESSION_IDLE_SECS} and {DEFAULT_SESSION_MAX_SECS})"
            )));
        }
        self.session_idle = Duration::from_secs(idle);
        self.session_max = Duration::from_secs(max.max(idle));
        Ok(self)
    }

    /// The media store's size limit, in bytes (1 byte to 1 GiB).
    pub fn with_media_max_bytes(mut self, bytes: u64) -> Result<Config, WebError> {
        if bytes == 0 || bytes > MEDIA_MAX_BYTES_CEILING {
            return Err(WebError::Config(format!(
                "LIBREKAST_MEDIA_MAX_BYTES={bytes} is out of range: give bytes from 1 to {MEDIA_MAX_BYTES_CEILING} (1 GiB), e.g. 52428800 for 50 MiB (default {DEFAULT_MEDIA_MAX_BYTES}: 20 MiB)"
            )));
        }
        self.media_max_bytes = bytes;
        Ok(self)
    }

    /// `LIBREKAST_METRICS_BIND`: the address of the separate metrics listener (absent or
    /// empty: no metrics listener).
    pub fn with_metrics_bind(mut self, bind: Option<&str>) -> Result<Config, WebError> {
        self.metrics_bind = match bind.map(str::trim).filter(|b| !b.is_empty()) {
            None => None,
            Some(b) => Some(b.parse().map_err(|_| {
                WebError::Config(format!(
                    "LIBREKAST_METRICS_BIND={b:?} is not a socket address: use IP:PORT, e.g. 127.0.0.1:9100 (keep it off the public interface)"
                ))
            })?),
        };
        Ok(self)
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

    /// For tests: a random loopback port and the given database (PostgreSQL: a private
    /// data directory under the system temp dir).
    pub fn for_tests(database_url: &str) -> Config {
        let mut config = Config::with_defaults(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url.to_string(),
            20_000,
        );
        if config.data_dir.is_none() {
            config.data_dir =
                Some(std::env::temp_dir().join(format!("librekast-data-{}", std::process::id())));
        }
        config
    }
}

fn split_list(list: Option<&str>) -> impl Iterator<Item = &str> {
    list.unwrap_or("")
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `HTTPS://Quiz.Example.org:443/` → `https://quiz.example.org`; `None` when not an origin.
pub fn normalize_origin(text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = text.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains(['/', '@', ' ']) {
        return None;
    }
    let rest = match (scheme, rest.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host,
        _ => rest,
    };
    Some(format!("{scheme}://{rest}"))
}

/// The directory of a SQLite database file; `None` for memory and PostgreSQL.
fn default_data_dir(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite:")?;
    if rest.contains(":memory:") || rest.contains("mode=memory") {
        return None;
    }
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    let dir = std::path::Path::new(path).parent()?;
    Some(if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    })
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

    #[test]
    fn security_settings() {
        let c = Config::new(DEFAULT_BIND, "sqlite://data/lk.db?mode=rwc", 100).unwrap();
        assert_eq!(c.data_dir.as_deref(), Some(std::path::Path::new("data")));
        assert_eq!(c.max_connections_per_ip, 100);
        assert_eq!(
            c.clone()
                .with_max_connections_per_ip(Some(10))
                .max_connections_per_ip,
            10
        );
        let pg = Config::new(DEFAULT_BIND, "postgres://u:p@h/db", 10).unwrap();
        let e = pg.clone().with_data_dir(None).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("LIBREKAST_DATA_DIR")));
        assert!(pg.with_data_dir(Some("/var/lib/librekast")).is_ok());
        let c = c
            .with_allowed_origins(Some(
                "HTTPS://Slides.example.org:443/, http://localhost:3000",
            ))
            .unwrap();
        assert_eq!(
            c.allowed_origins,
            vec!["https://slides.example.org", "http://localhost:3000"]
        );
        let e = c
            .clone()
            .with_allowed_origins(Some("slides.example.org"))
            .err();
        assert!(e.is_some_and(|e| e.to_string().contains("LIBREKAST_ALLOWED_ORIGINS")));
        let e = c
            .clone()
            .with_trusted_proxies(Some("10.0.0.0/8, nope"))
            .err();
        assert!(e.is_some_and(|e| e.to_string().contains("LIBREKAST_TRUSTED_PROXIES")));
        let c = c
            .with_allowed_hosts(Some("Quiz.example.org, 10.0.0.5:8000"))
            .unwrap();
        assert_eq!(
            c.allowed_hosts,
            Some(vec!["quiz.example.org".into(), "10.0.0.5:8000".into()])
        );
        assert!(c.with_session_limits(0, 10).is_err());
    }

    #[test]
    fn media_limit() {
        let c = Config::new(DEFAULT_BIND, DEFAULT_DATABASE_URL, 1).unwrap();
        assert_eq!(c.media_max_bytes, 20 * 1024 * 1024);
        assert_eq!(
            c.clone()
                .with_media_max_bytes(1024)
                .unwrap()
                .media_max_bytes,
            1024
        );
        for bad in [0, MEDIA_MAX_BYTES_CEILING + 1] {
            let e = c
                .clone()
                .with_media_max_bytes(bad)
                .err()
                .map(|e| e.to_string());
            assert!(e.is_some_and(|e| e.contains("LIBREKAST_MEDIA_MAX_BYTES")));
        }
    }
}
