//! [`Journal`]: the supervision events of the engine (an actor spawned, failed, restarted,
//! stopped), each written once to the tracing log and kept, the last [`KEPT`], for the live
//! operations page. One function does both, so the page and the log never disagree.
//!
//! Keeping an event costs a lock and a push (supervision events are rare: starts, failures,
//! restarts); watchers are woken through a `watch` channel, which costs nothing when nobody
//! watches.

use std::collections::VecDeque;
use std::sync::Mutex;

use librekast_storage::MeetingId;
use serde::Serialize;
use tokio::sync::watch;

/// Events kept in memory; older ones are dropped (the tracing log keeps everything).
pub const KEPT: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// What happened to the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// A supervisor (the root, a meeting's tree) began.
    Started,
    Spawned,
    Failed,
    RestartScheduled,
    Restarted,
    Stopped,
    /// Failed once too often: left stopped (an extension) or the tree stopped (a meeting).
    GaveUp,
    /// A tree's extensions were started again (their configuration changed).
    Reloaded,
}

/// One supervision event, as the operations page receives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupervisionEvent {
    /// Increasing from 1 for the life of the engine.
    pub seq: u64,
    /// Milliseconds since the epoch.
    pub at: i64,
    pub level: Level,
    pub meeting_id: Option<i64>,
    /// `meeting`, `adapter`, `bot`, `writer`, `meeting_supervisor` or `meetings`.
    pub actor: &'static str,
    /// The adapter's platform (`twitch`, `youtube`) or the bot's name (`bots`).
    pub name: Option<String>,
    pub event: Step,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The restart budget that was spent (with `gave_up`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<usize>,
    /// The log line's message.
    pub message: String,
}

/// An event being described, before it is numbered and logged.
#[derive(Debug, Clone)]
pub struct Entry {
    level: Level,
    meeting_id: Option<MeetingId>,
    actor: &'static str,
    name: Option<String>,
    step: Step,
    error: Option<String>,
    delay_ms: Option<u64>,
    reason: Option<String>,
    budget: Option<usize>,
    message: String,
}

impl Entry {
    /// An event of `actor` (with its level and message as in the log).
    pub fn new(level: Level, actor: &'static str, step: Step, message: impl Into<String>) -> Entry {
        Entry {
            level,
            meeting_id: None,
            actor,
            name: None,
            step,
            error: None,
            delay_ms: None,
            reason: None,
            budget: None,
            message: message.into(),
        }
    }

    pub fn meeting(mut self, id: MeetingId) -> Entry {
        self.meeting_id = Some(id);
        self
    }

    pub fn name(mut self, name: impl Into<String>) -> Entry {
        self.name = Some(name.into());
        self
    }

    pub fn error(mut self, error: impl Into<String>) -> Entry {
        self.error = Some(error.into());
        self
    }

    pub fn delay(mut self, delay: std::time::Duration) -> Entry {
        self.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    pub fn budget(mut self, budget: usize) -> Entry {
        self.budget = Some(budget);
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Entry {
        let reason = reason.into();
        if !reason.is_empty() {
            self.reason = Some(reason);
        }
        self
    }
}

/// Writes one entry to the tracing log with the fields operators filter on (an absent
/// field is left out of the line, as `Option` values are in `tracing`).
macro_rules! log_entry {
    ($level:expr, $e:expr) => {{
        let e = $e;
        let (adapter, bot) = match e.actor {
            "adapter" => (e.name.as_deref(), None),
            "bot" => (None, e.name.as_deref()),
            _ => (None, None),
        };
        tracing::event!(
            $level,
            meeting_id = e.meeting_id.map(tracing::field::display),
            actor = e.actor,
            adapter,
            bot,
            error = e.error.as_deref(),
            delay_ms = e.delay_ms,
            reason = e.reason.as_deref(),
            budget = e.budget,
            "{}",
            e.message
        )
    }};
}

#[derive(Debug)]
pub struct Journal {
    kept: Mutex<VecDeque<SupervisionEvent>>,
    /// The newest event's `seq`; watchers wait on it.
    last: watch::Sender<u64>,
}

impl Default for Journal {
    fn default() -> Journal {
        Journal {
            kept: Mutex::new(VecDeque::with_capacity(64)),
            last: watch::channel(0).0,
        }
    }
}

impl Journal {
    /// Logs the entry and keeps it.
    pub fn record(&self, entry: Entry) {
        match entry.level {
            Level::Info => log_entry!(tracing::Level::INFO, &entry),
            Level::Warn => log_entry!(tracing::Level::WARN, &entry),
            Level::Error => log_entry!(tracing::Level::ERROR, &entry),
        }
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        let seq = kept.back().map_or(0, |e| e.seq) + 1;
        if kept.len() >= KEPT {
            kept.pop_front();
        }
        kept.push_back(SupervisionEvent {
            seq,
            at: now_ms(),
            level: entry.level,
            meeting_id: entry.meeting_id.map(|m| m.0),
            actor: entry.actor,
            name: entry.name,
            event: entry.step,
            error: entry.error,
            delay_ms: entry.delay_ms,
            reason: entry.reason,
            budget: entry.budget,
            message: entry.message,
        });
        drop(kept);
        self.last.send_replace(seq);
    }

    /// The kept events after `seq`, oldest first.
    pub fn since(&self, seq: u64) -> Vec<SupervisionEvent> {
        let Ok(kept) = self.kept.lock() else {
            return Vec::new();
        };
        let start = kept.partition_point(|e| e.seq <= seq);
        kept.range(start..).cloned().collect()
    }

    /// The newest event's `seq` (0: none yet).
    pub fn last_seq(&self) -> u64 {
        *self.last.borrow()
    }

    /// Changes when an event is recorded.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.last.subscribe()
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_thousand_in_order_and_resumes_after_a_seq() {
        let j = Journal::default();
        for i in 0..(KEPT + 5) {
            j.record(
                Entry::new(Level::Info, "meeting", Step::Spawned, "spawned")
                    .meeting(MeetingId(i as i64)),
            );
        }
        assert_eq!(j.last_seq(), (KEPT + 5) as u64);
        let all = j.since(0);
        assert_eq!(all.len(), KEPT);
        assert_eq!(all.first().map(|e| e.seq), Some(6));
        let tail = j.since((KEPT + 3) as u64);
        assert_eq!(
            tail.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![(KEPT + 4) as u64, (KEPT + 5) as u64]
        );
        assert!(j.since((KEPT + 5) as u64).is_empty());
    }

    /// An adapter's failure and the writer's scheduled restart.
    fn record_two(j: &Journal) {
        j.record(
            Entry::new(Level::Warn, "adapter", Step::Failed, "failed")
                .meeting(MeetingId(3))
                .name("twitch")
                .error("connection reset"),
        );
        j.record(
            Entry::new(
                Level::Info,
                "writer",
                Step::RestartScheduled,
                "restart scheduled",
            )
            .delay(std::time::Duration::from_millis(250)),
        );
    }

    /// Set in the child process of [`the_log_line_carries_what_the_page_shows`].
    const CHILD: &str = "LIBREKAST_JOURNAL_LOG_CHILD";

    /// Writes two entries through a real fmt subscriber on standard output. Runs alone in
    /// a child process: tracing caches each call site's interest process-wide, and tests
    /// running beside it would race that cache.
    #[test]
    fn journal_log_child() {
        if std::env::var_os(CHILD).is_none() {
            return;
        }
        let _ = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(std::io::stdout)
            .try_init();
        record_two(&Journal::default());
    }

    #[test]
    fn the_log_line_carries_what_the_page_shows() {
        let Ok(exe) = std::env::current_exe() else {
            panic!("no test executable");
        };
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "journal::tests::journal_log_child",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output();
        let text = out
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let line = |needle: &str| {
            text.lines()
                .find(|l| l.contains(needle))
                .unwrap_or_default()
                .to_string()
        };
        let first = line("librekast_engine::journal: failed");
        assert!(first.contains("WARN"), "{text}");
        assert!(
            first.ends_with(
                "failed meeting_id=3 actor=\"adapter\" adapter=\"twitch\" error=\"connection reset\""
            ),
            "{text}"
        );
        let second = line("restart scheduled");
        assert!(
            second.ends_with("restart scheduled actor=\"writer\" delay_ms=250"),
            "absent fields are left out: {text}"
        );
    }

    #[test]
    fn an_event_serializes_as_the_page_reads_it() {
        let j = Journal::default();
        record_two(&j);
        let e = j.since(0);
        let json = serde_json::to_value(&e[0]).unwrap_or_default();
        assert_eq!(json["level"], "warn");
        assert_eq!(json["event"], "failed");
        assert_eq!(json["meeting_id"], 3);
        assert_eq!(json["name"], "twitch");
        assert_eq!(json["error"], "connection reset");
        assert!(json.get("delay_ms").is_none());
    }
}
