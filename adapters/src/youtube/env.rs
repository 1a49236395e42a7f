//! [`YoutubeEnv`]: what the YouTube adapters of the process share (Google OAuth, the Data
//! API client, sign-ins under way, the waits). Its own module so that the crate's
//! [`crate::env::AdapterEnv`] can hold it without the YouTube adapter's modules and the
//! environment importing each other.

use crate::AdapterError;
use crate::config::{PlatformConfig, YoutubeTiming};

use super::{api, auth};

/// What the YouTube adapters of the process share.
pub struct YoutubeEnv {
    pub auth: auth::GoogleAuth,
    pub api: api::YoutubeApi,
    /// Dashboard connections under way.
    pub states: auth::OAuthStates,
    pub timing: YoutubeTiming,
}

impl YoutubeEnv {
    pub fn new(config: &PlatformConfig) -> Result<YoutubeEnv, AdapterError> {
        Ok(YoutubeEnv {
            auth: auth::GoogleAuth::new(config)?,
            api: api::YoutubeApi::new(config)?,
            states: auth::OAuthStates::default(),
            timing: config.youtube_timing,
        })
    }
}
