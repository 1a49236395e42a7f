//! [`Reporter`]: how an adapter tells staff (an `adapter` frame, the staff `state`) and the
//! log (with `meeting_id` and `adapter`) what state it is in. Only changes are reported.

use std::sync::Arc;

use librekast_engine::{AdapterStatus, MeetingHandle, Quota};
use librekast_storage::{MeetingId, Platform};

pub const CONNECTING: &str = "connecting";
pub const CONNECTED: &str = "connected";
pub const RECONNECTING: &str = "reconnecting";
pub const AUTH_REQUIRED: &str = "auth_required";
pub const QUOTA_EXHAUSTED: &str = "quota_exhausted";
pub const OFFLINE: &str = "offline";
pub const ERROR: &str = "error";

pub struct Reporter {
    handle: Arc<MeetingHandle>,
    meeting: MeetingId,
    platform: Platform,
    target: String,
    last: Option<(String, String)>,
    quota: Option<Quota>,
}

impl Reporter {
    pub fn new(
        handle: Arc<MeetingHandle>,
        meeting: MeetingId,
        platform: Platform,
        target: String,
    ) -> Reporter {
        Reporter {
            handle,
            meeting,
            platform,
            target,
            last: None,
            quota: None,
        }
    }

    pub fn status(&self) -> Option<&str> {
        self.last.as_ref().map(|(s, _)| s.as_str())
    }

    pub fn message(&self) -> Option<&str> {
        self.last.as_ref().map(|(_, m)| m.as_str())
    }

    pub fn set_target(&mut self, target: String) {
        self.target = target;
    }

    /// YouTube's quota meter, shown with the status.
    pub fn set_quota(&mut self, quota: Quota) {
        if self.quota != Some(quota) {
            self.quota = Some(quota);
            self.publish();
        }
    }

    pub fn set(&mut self, status: &str, message: impl Into<String>) {
        let message = message.into();
        if self
            .last
            .as_ref()
            .is_some_and(|(s, m)| s == status && *m == message)
        {
            return;
        }
        let adapter = self.platform.code();
        let meeting_id = self.meeting;
        match status {
            CONNECTED | CONNECTING => {
                tracing::info!(meeting_id = %meeting_id, actor = "adapter", adapter, status, message = %message, "adapter status")
            }
            _ => {
                tracing::warn!(meeting_id = %meeting_id, actor = "adapter", adapter, status, message = %message, "adapter status")
            }
        }
        self.last = Some((status.to_string(), message));
        self.publish();
    }

    fn publish(&self) {
        let Some((status, message)) = &self.last else {
            return;
        };
        self.handle.report_source(AdapterStatus {
            platform: self.platform.code(),
            status: status.clone(),
            message: message.clone(),
            target: Some(self.target.clone()),
            quota: self.quota,
        });
    }
}
