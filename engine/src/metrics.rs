//! What operators scrape: one [`Metrics`] per engine, in Prometheus's text exposition
//! (OpenMetrics) format. Counters and histograms are moved where things happen (an answer
//! accepted, a batch committed, an actor restarted); gauges that describe a state
//! (connections, meetings, queue depth, adapters) are read when scraped, so they cost
//! nothing between scrapes. docs/operations.md lists every family.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A metric's labels: `(name, value)` pairs.
pub type Labels = Vec<(&'static str, String)>;

/// Every family LibreKast exports (all named `librekast_…`; counters end in `_total`).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    connections: Family<Labels, Gauge>,
    meetings_running: Gauge,
    answers: Family<Labels, Counter>,
    acks: Family<Labels, Counter>,
    commit_seconds: Histogram,
    commit_batch_size: Histogram,
    writer_queue_depth: Gauge,
    actor_restarts: Family<Labels, Counter>,
    adapter_up: Family<Labels, Gauge>,
    joins: Counter,
    http_requests: Family<Labels, Counter>,
    /// The supervision events, logged and kept for the operations page.
    pub journal: crate::journal::Journal,
    /// The writer's last minute of commits, for the operations page.
    pub commits: crate::operations::CommitWindow,
    /// The writer as a supervised actor: its state, restarts and last error.
    pub writer: crate::tree_board::TreeBoard,
    /// When this engine started (milliseconds since the epoch).
    pub started_at: i64,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("librekast");
        let connections = Family::<Labels, Gauge>::default();
        registry.register(
            "connections",
            "Open WebSocket connections, by audience (participant, staff, display, prompter)",
            connections.clone(),
        );
        let meetings_running = Gauge::default();
        registry.register(
            "meetings_running",
            "Meetings whose supervision tree is running",
            meetings_running.clone(),
        );
        let answers = Family::<Labels, Counter>::default();
        registry.register(
            "answers",
            "Answers accepted (votes, ratings, words, posts, upvotes), by activity kind and platform",
            answers.clone(),
        );
        let acks = Family::<Labels, Counter>::default();
        registry.register(
            "acks",
            "Acks sent to WebSocket clients, by code (ok or the error code)",
            acks.clone(),
        );
        // 0.5 ms to about 4 s: a commit is a few milliseconds, a slow disk shows up high.
        let commit_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        registry.register(
            "commit_seconds",
            "Time to commit one group-commit batch",
            commit_seconds.clone(),
        );
        // 1 to 4,096 jobs: one lone click to a hall voting at once.
        let commit_batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 13));
        registry.register(
            "commit_batch_size",
            "Jobs (answers, joins, controls) per committed batch",
            commit_batch_size.clone(),
        );
        let writer_queue_depth = Gauge::default();
        registry.register(
            "writer_queue_depth",
            "Jobs waiting for the group-commit writer",
            writer_queue_depth.clone(),
        );
        let actor_restarts = Family::<Labels, Counter>::default();
        registry.register(
            "actor_restarts",
            "Actors restarted by their supervisor after a failure, by actor kind",
            actor_restarts.clone(),
        );
        let adapter_up = Family::<Labels, Gauge>::default();
        registry.register(
            "adapter_up",
            "Chat sources connected and reading, by platform",
            adapter_up.clone(),
        );
        let joins = Counter::default();
        registry.register(
            "joins",
            "Participants who joined a meeting from the room",
            joins.clone(),
        );
        let http_requests = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route (ids replaced by {id}) and status",
            http_requests.clone(),
        );
        // Every actor kind at 0 from the start: an alert on `increase(…[10m]) > 0` needs the
        // series before the first restart.
        for actor in ["meeting", "adapter", "bot", "writer"] {
            drop(actor_restarts.get_or_create(&vec![("actor", actor.to_string())]));
        }
        Metrics {
            registry,
            connections,
            meetings_running,
            answers,
            acks,
            commit_seconds,
            commit_batch_size,
            writer_queue_depth,
            actor_restarts,
            adapter_up,
            joins,
            http_requests,
            journal: crate::journal::Journal::default(),
            commits: crate::operations::CommitWindow::default(),
            writer: crate::tree_board::TreeBoard::default(),
            started_at: crate::journal::now_ms(),
        }
    }

    pub fn answer(&self, kind: &str, platform: &str) {
        self.answers
            .get_or_create(&vec![
                ("kind", kind.to_string()),
                ("platform", platform.to_string()),
            ])
            .inc();
    }

    pub fn ack(&self, code: &str) {
        self.acks
            .get_or_create(&vec![("code", code.to_string())])
            .inc();
    }

    pub fn committed(&self, seconds: f64, jobs: usize) {
        self.commit_seconds.observe(seconds);
        self.commit_batch_size.observe(jobs as f64);
        self.commits.push(seconds, jobs);
    }

    pub fn restarted(&self, actor: &str) {
        self.actor_restarts
            .get_or_create(&vec![("actor", actor.to_string())])
            .inc();
    }

    pub fn joined(&self) {
        self.joins.inc();
    }

    pub fn http(&self, route: &str, status: u16) {
        self.http_requests
            .get_or_create(&vec![
                ("route", route.to_string()),
                ("status", status.to_string()),
            ])
            .inc();
    }

    /// The text exposition, with the state gauges as given now.
    pub fn encode(&self, now: &Snapshot) -> Result<String, std::fmt::Error> {
        for (audience, n) in &now.connections {
            self.connections
                .get_or_create(&vec![("audience", (*audience).to_string())])
                .set(*n);
        }
        self.meetings_running.set(now.meetings_running);
        self.writer_queue_depth.set(now.writer_queue_depth);
        for (platform, n) in &now.adapters_up {
            self.adapter_up
                .get_or_create(&vec![("platform", (*platform).to_string())])
                .set(*n);
        }
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The state gauges at a scrape.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub connections: Vec<(&'static str, i64)>,
    pub meetings_running: i64,
    pub writer_queue_depth: i64,
    pub adapters_up: Vec<(&'static str, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_exported_with_its_help() {
        let m = Metrics::new();
        m.answer("poll", "room");
        m.answer("poll", "room");
        m.ack("ok");
        m.ack("already_voted");
        m.committed(0.002, 3);
        m.restarted("meeting");
        m.joined();
        m.http("/api/meetings/{id}/join", 200);
        let text = m
            .encode(&Snapshot {
                connections: vec![("participant", 2), ("staff", 1)],
                meetings_running: 1,
                writer_queue_depth: 0,
                adapters_up: vec![("twitch", 1), ("youtube", 0)],
            })
            .unwrap_or_default();
        for line in [
            "librekast_answers_total{kind=\"poll\",platform=\"room\"} 2",
            "librekast_acks_total{code=\"already_voted\"} 1",
            "librekast_connections{audience=\"participant\"} 2",
            "librekast_meetings_running 1",
            "librekast_writer_queue_depth 0",
            "librekast_actor_restarts_total{actor=\"meeting\"} 1",
            "librekast_adapter_up{platform=\"twitch\"} 1",
            "librekast_joins_total 1",
            "librekast_http_requests_total{route=\"/api/meetings/{id}/join\",status=\"200\"} 1",
            "librekast_commit_seconds_count 1",
            "librekast_commit_batch_size_sum 3.0",
            "# HELP librekast_commit_seconds Time to commit one group-commit batch.",
            "# EOF",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
