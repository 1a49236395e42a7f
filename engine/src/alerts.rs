//! On-stream alerts: follows, subs, gifted subs, raids, YouTube members and Super Chats,
//! revolutions. Platforms and bots raise them through [`crate::MeetingHandle::alert`]; each
//! gets an `id` that only increases, also across server restarts (it is at least the time
//! it was raised, in microseconds), so an overlay that reconnects resumes after the last id
//! it showed and never shows an alert twice. The latest [`RECENT_ALERTS`] are kept for the
//! staff and display connections that open later (they are replayed after the `state`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use librekast_storage::{Platform, now_micros};
use serde::{Deserialize, Serialize};

/// Alerts replayed to a connection that opens (the overlay skips those it already showed).
pub const RECENT_ALERTS: usize = 20;
/// Longest text an alert carries (a Super Chat's comment, a revolution's message).
pub const MAX_ALERT_TEXT: usize = 500;
const MAX_ALERT_USER: usize = 100;

/// What happened. Stable snake_case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Twitch: a new follower.
    Follow,
    /// Twitch: a subscription or resubscription (`months`: cumulative months).
    Sub,
    /// Twitch: gifted subscriptions (`amount`: how many).
    Gift,
    /// Twitch: a raid (`amount`: viewers).
    Raid,
    /// YouTube: a new channel member (or a membership milestone, with `months`).
    Member,
    /// YouTube: a Super Chat (`amount` in `currency`, `text` the viewer's comment).
    Superchat,
    /// Enough viewers chanted a revolution bot's command.
    Revolution,
}

impl AlertKind {
    pub const ALL: [AlertKind; 7] = [
        AlertKind::Follow,
        AlertKind::Sub,
        AlertKind::Gift,
        AlertKind::Raid,
        AlertKind::Member,
        AlertKind::Superchat,
        AlertKind::Revolution,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AlertKind::Follow => "follow",
            AlertKind::Sub => "sub",
            AlertKind::Gift => "gift",
            AlertKind::Raid => "raid",
            AlertKind::Member => "member",
            AlertKind::Superchat => "superchat",
            AlertKind::Revolution => "revolution",
        }
    }

    pub fn parse(code: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// An alert as a platform adapter or a bot raises it (the handle gives it its id).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertIn {
    pub kind: Option<AlertKind>,
    /// Where it happened; `None` for a revolution (every platform) or a test.
    pub platform: Option<Platform>,
    /// Who: the follower, the subscriber, the gifter, the raiding channel, the member.
    pub user: String,
    /// Gifted subs, raiding viewers, or a Super Chat's amount in `currency`.
    pub amount: Option<f64>,
    /// ISO 4217 code of a Super Chat's amount.
    pub currency: Option<String>,
    /// Cumulative months of a sub or membership.
    pub months: Option<u32>,
    /// A media store id to play (a revolution's video).
    pub media: Option<String>,
    /// What to show besides the name: a resub or Super Chat message, a revolution's line.
    pub text: String,
    /// Raised from the dashboard's "test alert" button.
    pub test: bool,
}

impl AlertIn {
    pub fn new(kind: AlertKind, platform: Option<Platform>, user: &str) -> AlertIn {
        AlertIn {
            kind: Some(kind),
            platform,
            user: user.to_string(),
            ..AlertIn::default()
        }
    }
}

/// The `alert` frame: `{"type":"alert","id","kind","platform","user","amount","months",
/// "media","text"}` (plus `currency` and `test`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: u64,
    pub kind: AlertKind,
    pub platform: Option<&'static str>,
    pub user: String,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub months: Option<u32>,
    pub media: Option<String>,
    pub text: String,
    pub test: bool,
}

/// A meeting's alert ids and its latest alerts.
#[derive(Debug, Default)]
pub struct AlertLog {
    inner: Mutex<(u64, VecDeque<Arc<Alert>>)>,
}

fn cut(text: &str, max: usize) -> String {
    crate::text::clean_line(text).chars().take(max).collect()
}

impl AlertLog {
    /// Gives the alert its id (greater than every earlier one, and at least the time now)
    /// and keeps it among the recent ones. `None`: an alert without a kind.
    pub fn raise(&self, alert: AlertIn) -> Option<Arc<Alert>> {
        let kind = alert.kind?;
        let Ok(mut inner) = self.inner.lock() else {
            return None;
        };
        let now = u64::try_from(now_micros()).unwrap_or(0);
        let id = now.max(inner.0 + 1);
        inner.0 = id;
        let alert = Arc::new(Alert {
            id,
            kind,
            platform: alert.platform.map(Platform::code),
            user: cut(&alert.user, MAX_ALERT_USER),
            amount: alert.amount.filter(|a| a.is_finite()),
            currency: alert.currency.map(|c| cut(&c, 8)),
            months: alert.months,
            media: alert.media,
            text: cut(&alert.text, MAX_ALERT_TEXT),
            test: alert.test,
        });
        if inner.1.len() >= RECENT_ALERTS {
            inner.1.pop_front();
        }
        inner.1.push_back(alert.clone());
        Some(alert)
    }

    /// The latest alerts, oldest first.
    pub fn recent(&self) -> Vec<Arc<Alert>> {
        self.inner
            .lock()
            .map(|i| i.1.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_only_increase_and_the_latest_are_kept() {
        let log = AlertLog::default();
        let mut last = 0;
        for i in 0..RECENT_ALERTS + 5 {
            let a = log
                .raise(AlertIn::new(
                    AlertKind::Follow,
                    Some(Platform::Twitch),
                    &format!("v{i}"),
                ))
                .expect("a kind");
            assert!(a.id > last);
            assert!(a.id >= 1_700_000_000_000_000, "at least the time now");
            last = a.id;
        }
        let recent = log.recent();
        assert_eq!(recent.len(), RECENT_ALERTS);
        assert_eq!(recent[0].user, "v5");
        assert!(log.raise(AlertIn::default()).is_none());
        let odd = log
            .raise(AlertIn {
                text: "x\u{202e}y".repeat(400),
                amount: Some(f64::NAN),
                ..AlertIn::new(AlertKind::Superchat, Some(Platform::Youtube), "a\nb")
            })
            .expect("a kind");
        assert_eq!(odd.text.chars().count(), MAX_ALERT_TEXT);
        assert!(!odd.text.contains('\u{202e}'));
        assert_eq!(odd.amount, None);
        assert_eq!(AlertKind::parse("raid"), Some(AlertKind::Raid));
    }
}
