//! The YouTube Data API quota meter: units spent per project (the OAuth client id) and
//! Pacific-time day, kept in storage so every adapter of the process (and a restart) adds
//! to the same count, and shown to staff with the adapter's status.
//!
//! Costs, as documented (checked December 2026):
//! - `liveChatMessages.list`: 5 units, `liveChatMessages.streamList`: 5 units per call
//!   (a call is one streaming connection), `liveChatMessages.insert`: 20 units —
//!   developers.google.com/youtube/data/live/reference/rest/v3/liveChatMessages/{list,streamList,insert}
//!   ("Quota impact").
//! - `videos.list`, `channels.list`: 1 unit — developers.google.com/youtube/v3/determine_quota_cost.
//! - `liveBroadcasts.list`: 1 unit — not in that table any more; 1 as for every other list
//!   method (an assumption; it is called once per broadcast found).
//! - 10,000 units a day by default, reset at midnight Pacific Time (same page). Every
//!   request counts, invalid ones included, so calls are counted when made.

use librekast_engine::Quota;
use librekast_storage::{MeetingId, Store};

pub const DAILY_LIMIT: i64 = crate::config::YOUTUBE_DAILY_LIMIT;
pub const COST_LIST: i64 = 5;
pub const COST_STREAM: i64 = 5;
pub const COST_INSERT: i64 = 20;
pub const COST_BROADCASTS: i64 = 1;
pub const COST_VIDEOS: i64 = 1;
pub const COST_CHANNELS: i64 = 1;
/// Posting stops while less than this share (percent) of the day's units is left, so the
/// chat can still be read until the reset.
pub const READ_RESERVE_PERCENT: i64 = 20;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The first Sunday on or after a day number (1970-01-01 was a Thursday).
fn sunday_on_or_after(day: i64) -> i64 {
    let weekday = (day + 4).rem_euclid(7); // 0 = Sunday
    day + (7 - weekday) % 7
}

/// Pacific Time's offset from UTC at `utc` (seconds since the epoch): -7 h in daylight
/// time (second Sunday of March, 2:00 PST, to first Sunday of November, 2:00 PDT, the US
/// rule since 2007), -8 h otherwise. Written out because the tz database is not worth a
/// dependency for one zone.
pub fn pacific_offset(utc: i64) -> i64 {
    let (year, _, _) = civil_from_days(utc.div_euclid(DAY));
    let march = sunday_on_or_after(days_from_civil(year, 3, 1)) + 7;
    let november = sunday_on_or_after(days_from_civil(year, 11, 1));
    let start = march * DAY + 10 * HOUR;
    let end = november * DAY + 9 * HOUR;
    if (start..end).contains(&utc) {
        -7 * HOUR
    } else {
        -8 * HOUR
    }
}

/// The quota day at `utc`: the Pacific date, `YYYY-MM-DD`.
pub fn pacific_day(utc: i64) -> String {
    let (y, m, d) = civil_from_days((utc + pacific_offset(utc)).div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// When the quota resets next: the next midnight Pacific, in seconds since the epoch.
pub fn next_reset(utc: i64) -> i64 {
    let offset = pacific_offset(utc);
    let midnight = ((utc + offset).div_euclid(DAY) + 1) * DAY;
    // DST switches at 2:00, so the offset at the coming midnight may differ from now's
    // only when now is between midnight and 2:00 of a switching day.
    midnight - pacific_offset(midnight - offset)
}

/// `HH:MM` UTC of an instant, for people.
pub fn hhmm_utc(utc: i64) -> String {
    let s = utc.rem_euclid(DAY);
    format!("{:02}:{:02}", s / HOUR, s % HOUR / 60)
}

pub fn now_secs() -> i64 {
    librekast_storage::now_micros().div_euclid(1_000_000)
}

/// The day's units spent by one project, as stored.
pub struct QuotaMeter {
    store: Store,
    /// For the log.
    meeting: MeetingId,
    project: String,
    limit: i64,
    used: i64,
    day: String,
}

impl QuotaMeter {
    /// The meter of `project` with today's count from storage.
    pub async fn load(store: Store, meeting: MeetingId, project: String, limit: i64) -> QuotaMeter {
        let day = pacific_day(now_secs());
        let used = match store.quota_spent(&project, &day).await {
            Ok(used) => used,
            Err(e) => {
                tracing::warn!(meeting_id = %meeting, actor = "adapter", adapter = "youtube", error = %e, "cannot read the quota spent today; counting from 0");
                0
            }
        };
        QuotaMeter {
            store,
            meeting,
            project,
            limit,
            used,
            day,
        }
    }

    /// Counts a call about to be made. A storage failure is logged, never fatal: the meter
    /// informs, Google enforces.
    pub async fn spend(&mut self, units: i64) {
        let day = pacific_day(now_secs());
        if day != self.day {
            self.day = day;
            self.used = 0;
        }
        match self
            .store
            .spend_quota(&self.project, &self.day, units)
            .await
        {
            Ok(total) => self.used = total,
            Err(e) => {
                self.used += units;
                tracing::warn!(meeting_id = %self.meeting, actor = "adapter", adapter = "youtube", error = %e, "cannot store the quota spent");
            }
        }
    }

    pub fn quota(&self) -> Quota {
        Quota {
            used: self.used,
            limit: self.limit,
        }
    }

    /// Whether a post leaves at least the reading reserve.
    pub fn may_post(&self) -> bool {
        may_post(self.used, self.limit)
    }
}

/// Whether a post (20 units) at `used` of `limit` leaves at least the reading reserve.
pub fn may_post(used: i64, limit: i64) -> bool {
    used + COST_INSERT <= limit - limit * READ_RESERVE_PERCENT / 100
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i64, m: i64, d: i64, h: i64, min: i64) -> i64 {
        days_from_civil(y, m, d) * DAY + h * HOUR + min * 60
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for day in [-1, 0, 59, 11_016, 20_000, 20_513, 30_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }

    #[test]
    fn pacific_time_follows_the_us_dst_rule() {
        // 2026: DST from Sunday 8 March 10:00 UTC to Sunday 1 November 09:00 UTC.
        assert_eq!(pacific_offset(utc(2026, 3, 8, 9, 59)), -8 * HOUR);
        assert_eq!(pacific_offset(utc(2026, 3, 8, 10, 0)), -7 * HOUR);
        assert_eq!(pacific_offset(utc(2026, 11, 1, 8, 59)), -7 * HOUR);
        assert_eq!(pacific_offset(utc(2026, 11, 1, 9, 0)), -8 * HOUR);
        // 2025: 9 March and 2 November.
        assert_eq!(pacific_offset(utc(2025, 3, 9, 10, 0)), -7 * HOUR);
        assert_eq!(pacific_offset(utc(2025, 3, 2, 12, 0)), -8 * HOUR);
        assert_eq!(pacific_offset(utc(2025, 11, 2, 9, 0)), -8 * HOUR);
    }

    #[test]
    fn the_quota_day_and_its_reset() {
        // Summer: midnight PDT is 07:00 UTC.
        let t = utc(2026, 7, 1, 12, 0);
        assert_eq!(pacific_day(t), "2026-07-01");
        assert_eq!(next_reset(t), utc(2026, 7, 2, 7, 0));
        assert_eq!(hhmm_utc(next_reset(t)), "07:00");
        // Winter, 23:30 PST on 14 January is 07:30 UTC on the 15th: still the 14th.
        let t = utc(2026, 1, 15, 7, 30);
        assert_eq!(pacific_day(t), "2026-01-14");
        assert_eq!(next_reset(t), utc(2026, 1, 15, 8, 0));
        assert_eq!(hhmm_utc(next_reset(t)), "08:00");
        // Just after midnight on the day DST starts: the next midnight is in PDT.
        let t = utc(2026, 3, 8, 8, 30); // 00:30 PST
        assert_eq!(pacific_day(t), "2026-03-08");
        assert_eq!(next_reset(t), utc(2026, 3, 9, 7, 0));
        // ... and on the day it ends: the next midnight is in PST.
        let t = utc(2026, 11, 1, 7, 30); // 00:30 PDT
        assert_eq!(pacific_day(t), "2026-11-01");
        assert_eq!(next_reset(t), utc(2026, 11, 2, 8, 0));
    }

    #[test]
    fn posting_keeps_a_reserve_for_reading() {
        assert!(may_post(0, DAILY_LIMIT));
        assert!(may_post(7_980, DAILY_LIMIT));
        assert!(!may_post(7_981, DAILY_LIMIT));
        assert!(!may_post(10_000, DAILY_LIMIT));
    }
}
