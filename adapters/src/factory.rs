//! [`StreamsFactory`]: the engine asks it for a meeting's adapters when the meeting's tree
//! starts and whenever its sources change. A source reads and posts with the accounts of
//! the meeting's owner, or, for a meeting without an owner, of the admin who added it.

use std::sync::Arc;

use librekast_engine::{Extension, ExtensionFactory};
use librekast_storage::{MeetingRecord, Source, UserId};

use crate::env::AdapterEnv;
use crate::twitch::TwitchSource;
use crate::youtube::YoutubeSource;

pub struct StreamsFactory {
    pub env: Arc<AdapterEnv>,
}

impl ExtensionFactory for StreamsFactory {
    fn extensions(&self, meeting: &MeetingRecord) -> Vec<Arc<dyn Extension>> {
        meeting
            .sources
            .iter()
            .map(|stored| -> Arc<dyn Extension> {
                let account_user = meeting.owner.or(stored.added_by.map(UserId));
                match &stored.source {
                    Source::Twitch {
                        channel,
                        delay_secs,
                    } => Arc::new(TwitchSource {
                        channel: channel.clone(),
                        delay_secs: *delay_secs,
                        account_user,
                        env: self.env.clone(),
                    }),
                    Source::Youtube {
                        video_id,
                        delay_secs,
                    } => Arc::new(YoutubeSource {
                        video_id: video_id.clone(),
                        delay_secs: *delay_secs,
                        account_user,
                        env: self.env.clone(),
                    }),
                }
            })
            .collect()
    }
}
