//! Where the platforms are and who we are to them: OAuth clients and the platforms'
//! addresses, each with its real default. The binary fills this from `LIBREKAST_*`
//! variables (docs/configuration.md); tests point the addresses at fake servers on loopback,
//! operators may point them at a proxy.

use std::time::Duration;

/// A YouTube Data API project's default daily quota, in units (resets at midnight Pacific).
pub const YOUTUBE_DAILY_LIMIT: i64 = 10_000;

/// The real addresses.
pub const TWITCH_IRC_URL: &str = "tls://irc.chat.twitch.tv:6697";
pub const TWITCH_ID_URL: &str = "https://id.twitch.tv";
pub const TWITCH_API_URL: &str = "https://api.twitch.tv/helix";
pub const TWITCH_EVENTSUB_URL: &str = "wss://eventsub.wss.twitch.tv/ws";
pub const YOUTUBE_API_URL: &str = "https://youtube.googleapis.com/";
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_DEVICE_URL: &str = "https://oauth2.googleapis.com/device/code";

/// An OAuth client: its id and, for confidential clients, its secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct OAuthClient {
    pub id: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("OAuthClient")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "…"))
            .finish()
    }
}

/// How long the adapter waits in its quiet states. The defaults are the production values;
/// tests shorten them (nothing in a test waits for real time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YoutubeTiming {
    /// No account, or Google refused it: look for a (re)connected account this often.
    pub account_poll: Duration,
    /// No live broadcast, or the chat ended: look for one again after this long.
    pub offline_retry: Duration,
    /// Quota exhausted: wait this long instead of until the reset at midnight Pacific
    /// (`None`, the default).
    pub quota_retry: Option<Duration>,
    /// The shortest wait between two list calls, whatever `pollingIntervalMillis` says
    /// (each costs 5 units).
    pub poll_floor: Duration,
    /// The shortest wait before reopening a stream that closed without news, doubled while
    /// streams keep closing empty (up to a minute).
    pub reconnect_floor: Duration,
    /// The project's daily quota (units).
    pub daily_limit: i64,
}

impl Default for YoutubeTiming {
    fn default() -> Self {
        YoutubeTiming {
            account_poll: Duration::from_secs(30),
            offline_retry: Duration::from_secs(60),
            quota_retry: None,
            poll_floor: Duration::from_secs(1),
            reconnect_floor: Duration::from_secs(1),
            daily_limit: YOUTUBE_DAILY_LIMIT,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformConfig {
    /// `LIBREKAST_TWITCH_CLIENT_ID` (and `LIBREKAST_TWITCH_CLIENT_SECRET` for a confidential
    /// client): the app that connects Twitch accounts. Not needed to read chat anonymously.
    pub twitch: Option<OAuthClient>,
    /// `LIBREKAST_GOOGLE_CLIENT_ID`/`_SECRET`: a "Web application" client (dashboard
    /// redirect flow, posting, refreshing).
    pub google_web: Option<OAuthClient>,
    /// `LIBREKAST_GOOGLE_DEVICE_CLIENT_ID`/`_SECRET`: a "TVs and Limited Input devices"
    /// client (the CLI's device flow, read-only).
    pub google_device: Option<OAuthClient>,
    /// `LIBREKAST_PUBLIC_URL`: where Google sends the browser back to.
    pub public_url: Option<String>,
    pub twitch_irc_url: String,
    pub twitch_id_url: String,
    pub twitch_api_url: String,
    pub twitch_eventsub_url: String,
    pub youtube_api_url: String,
    pub google_auth_url: String,
    pub google_token_url: String,
    pub google_device_url: String,
    /// The least time between two connections of one Twitch client (twitch-irc's
    /// `new_connection_every`; Twitch limits connection attempts). Tests shorten it.
    pub twitch_reconnect_every: std::time::Duration,
    /// How often an adapter without a working account looks for a newly connected one
    /// (`librekast connect` runs in another process).
    pub account_recheck: std::time::Duration,
    /// The YouTube adapter's waits (production values by default; tests shorten them).
    pub youtube_timing: YoutubeTiming,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        PlatformConfig {
            twitch: None,
            google_web: None,
            google_device: None,
            public_url: None,
            twitch_irc_url: TWITCH_IRC_URL.into(),
            twitch_id_url: TWITCH_ID_URL.into(),
            twitch_api_url: TWITCH_API_URL.into(),
            twitch_eventsub_url: TWITCH_EVENTSUB_URL.into(),
            youtube_api_url: YOUTUBE_API_URL.into(),
            google_auth_url: GOOGLE_AUTH_URL.into(),
            google_token_url: GOOGLE_TOKEN_URL.into(),
            google_device_url: GOOGLE_DEVICE_URL.into(),
            twitch_reconnect_every: std::time::Duration::from_secs(2),
            account_recheck: std::time::Duration::from_secs(60),
            youtube_timing: YoutubeTiming::default(),
        }
    }
}

impl PlatformConfig {
    /// The redirect URI registered with Google for the dashboard's flow.
    pub fn youtube_redirect_uri(&self) -> Option<String> {
        self.public_url
            .as_ref()
            .map(|u| format!("{}/oauth/youtube/callback", u.trim_end_matches('/')))
    }
}

/// Where to open the IRC connection: `tls://HOST:PORT` or `tcp://HOST:PORT` (plain TCP,
/// for fakes and local proxies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IrcTarget {
    pub tls: bool,
    pub host: String,
    pub port: u16,
}

impl IrcTarget {
    pub fn parse(url: &str) -> Result<IrcTarget, String> {
        let help = || {
            format!(
                "LIBREKAST_TWITCH_IRC_URL={url:?}: use tls://HOST:PORT (default {TWITCH_IRC_URL}) or tcp://HOST:PORT for plain TCP"
            )
        };
        let (tls, rest) = if let Some(r) = url.strip_prefix("tls://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("tcp://") {
            (false, r)
        } else {
            return Err(help());
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = rest.rsplit_once(':').ok_or_else(help)?;
        let port: u16 = port.parse().map_err(|_| help())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(help());
        }
        Ok(IrcTarget {
            tls,
            host: host.to_string(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irc_targets() {
        let t = IrcTarget::parse(TWITCH_IRC_URL).unwrap();
        assert_eq!(
            (t.tls, t.host.as_str(), t.port),
            (true, "irc.chat.twitch.tv", 6697)
        );
        let t = IrcTarget::parse("tcp://127.0.0.1:4567").unwrap();
        assert_eq!((t.tls, t.port), (false, 4567));
        let e = IrcTarget::parse("irc.chat.twitch.tv:6697").unwrap_err();
        assert!(e.contains("tls://HOST:PORT"));
        assert!(IrcTarget::parse("tcp://host").is_err());
        assert_eq!(
            PlatformConfig {
                public_url: Some("https://q.example.org/".into()),
                ..PlatformConfig::default()
            }
            .youtube_redirect_uri()
            .as_deref(),
            Some("https://q.example.org/oauth/youtube/callback")
        );
    }
}
