//! Sign-ins under way, kept in memory (a restart forgets them; the user starts again):
//! Twitch device flows by staff user, and where Google's consent page sends the browser
//! back to, by OAuth state. Both bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use librekast_storage::{Platform, UserId};

/// Where a staff user's Twitch device flow is.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceFlow {
    /// `pending`, `connected`, `failed`.
    pub status: &'static str,
    pub verification_uri: String,
    pub user_code: String,
    pub expires_in: u64,
    pub login: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Default)]
pub struct DeviceFlows(Mutex<HashMap<(UserId, Platform), DeviceFlow>>);

impl DeviceFlows {
    pub(crate) fn set(&self, key: (UserId, Platform), flow: DeviceFlow) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(key, flow);
        }
    }

    pub(crate) fn update(&self, key: (UserId, Platform), f: impl FnOnce(&mut DeviceFlow)) {
        if let Ok(mut m) = self.0.lock()
            && let Some(flow) = m.get_mut(&key)
        {
            f(flow);
        }
    }

    pub(crate) fn get(&self, key: (UserId, Platform)) -> Option<DeviceFlow> {
        self.0.lock().ok().and_then(|m| m.get(&key).cloned())
    }
}

/// Where the browser goes back to after Google's consent page, by OAuth state (bounded:
/// states expire in ten minutes and the adapter keeps at most 1,024 pending ones).
#[derive(Debug, Default)]
pub struct OAuthReturns(Mutex<HashMap<String, (std::time::Instant, String)>>);

const OAUTH_RETURN_TTL: Duration = Duration::from_secs(600);
const OAUTH_RETURNS: usize = 1_024;

impl OAuthReturns {
    pub(crate) fn put(&self, state: String, path: String) {
        if let Ok(mut m) = self.0.lock() {
            let now = std::time::Instant::now();
            m.retain(|_, (at, _)| now.duration_since(*at) < OAUTH_RETURN_TTL);
            if m.len() < OAUTH_RETURNS {
                m.insert(state, (now, path));
            }
        }
    }

    pub(crate) fn take(&self, state: &str) -> Option<String> {
        self.0
            .lock()
            .ok()
            .and_then(|mut m| m.remove(state))
            .map(|(_, p)| p)
    }
}
