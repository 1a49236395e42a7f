//! [`AdapterEnv`]: what every adapter of the process shares (storage, the platforms'
//! addresses and OAuth clients, HTTP clients, the YouTube adapters' shared parts).

use librekast_storage::Store;

use crate::AdapterError;
use crate::config::PlatformConfig;
use crate::twitch::auth::TwitchAuth;
use crate::youtube::env::YoutubeEnv;

pub struct AdapterEnv {
    pub store: Store,
    pub config: PlatformConfig,
    pub twitch: TwitchAuth,
    /// Google OAuth, the Data API client, pending dashboard connections, timings.
    pub youtube: YoutubeEnv,
}

impl AdapterEnv {
    pub fn new(store: Store, config: PlatformConfig) -> Result<AdapterEnv, AdapterError> {
        let twitch = TwitchAuth::new(&config)?;
        let youtube = YoutubeEnv::new(&config)?;
        Ok(AdapterEnv {
            store,
            config,
            twitch,
            youtube,
        })
    }
}
