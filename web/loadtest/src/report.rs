//! The load test's figures, printed as an aligned table or as one JSON object (the same
//! fields, snake_case).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use librekast_client::wire::Counts;

/// Nearest-rank percentile of an ascending slice: the smallest value with at least `p`
/// percent of the values at or below it. Nearest rank reports a latency that some request
/// actually had, never an interpolation between two.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[derive(Debug, Default, Serialize)]
pub struct Stats {
    pub count: usize,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Stats {
    pub fn of(mut values: Vec<f64>) -> Stats {
        values.sort_unstable_by(f64::total_cmp);
        Stats {
            count: values.len(),
            p50: percentile(&values, 50.0),
            p90: percentile(&values, 90.0),
            p95: percentile(&values, 95.0),
            p99: percentile(&values, 99.0),
            max: values.last().copied(),
        }
    }

    fn line(&self, unit: &str) -> String {
        match (self.p50, self.p90, self.p95, self.p99, self.max) {
            (Some(a), Some(b), Some(e), Some(c), Some(d)) => {
                format!("p50 {a:.1}  p90 {b:.1}  p95 {e:.1}  p99 {c:.1}  max {d:.1} {unit}")
            }
            _ => "-".into(),
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct ConnectReport {
    pub participants: usize,
    /// Join phase: every participant `POST`s its join; then the connect phase opens the
    /// WebSockets.
    pub joined: usize,
    /// `None`: as fast as the server answered (at most 256 in flight).
    pub join_target_rate_per_s: Option<f64>,
    /// From the start to the last join answered.
    pub join_duration_s: f64,
    /// Joins per second reached.
    pub join_rate_per_s: f64,
    /// WebSocket connections per second asked for.
    pub target_rate_per_s: f64,
    pub opened: usize,
    pub failed: usize,
    pub failure_reasons: BTreeMap<String, usize>,
    /// From the start of the connect phase to the last WebSocket's first `state`.
    pub duration_s: f64,
    pub connect_rate_per_s: f64,
    /// `POST /join` round trip.
    pub join_ms: Stats,
    /// Upgrade until the first `state`.
    pub handshake_ms: Stats,
    /// What the organizer's `participants` frame said once everyone was connected.
    pub server_participant_count: Option<u64>,
    /// Connections lost after opening, before the final close.
    pub dropped: usize,
    pub drop_reasons: BTreeMap<String, usize>,
    pub closed_cleanly: usize,
    /// Why close handshakes did not complete (the organizer's included).
    pub close_errors: BTreeMap<String, usize>,
    /// Text frames and bytes each participant received after its first `state`, on average
    /// over those that closed cleanly: what the server's fan-out cost each connection.
    pub frames_per_participant: Option<f64>,
    pub bytes_per_participant: Option<f64>,
    /// The same frames by type, per participant.
    pub frames_by_type: BTreeMap<String, f64>,
}

#[derive(Debug, Serialize)]
pub struct BurstReport {
    pub kind: &'static str,
    pub question_id: i64,
    pub choices: usize,
    pub votes_sent: usize,
    pub acks_ok: usize,
    pub ack_errors: BTreeMap<String, usize>,
    pub ack_latency_ms: Stats,
    /// First to last vote sent: how simultaneous the burst was on the generator's side.
    pub send_spread_ms: Option<f64>,
    pub first_vote_to_last_ack_ms: Option<f64>,
    pub expected_counts: Counts,
    /// What `exact_after_ms` counts from: `last_ack` (poll) or `results_ack` (quiz).
    pub exact_reference: &'static str,
    /// Per participant: from the reference until its view held the expected counts
    /// (0 when it already did).
    pub exact_after_ms: Stats,
    /// What caused the final counts: `first_vote_sent` (poll) or `results_sent` (quiz).
    pub cause: &'static str,
    /// From the cause until the last participant's view became exact.
    pub cause_to_all_exact_ms: Option<f64>,
    pub checked_views: usize,
    pub exact_views: usize,
    pub exact_share: f64,
}

/// The server's resources from `/proc` (for the floor: the CPU of its own threads, and no
/// memory figures).
#[derive(Debug, Serialize)]
pub struct ServerReport {
    pub pid: u32,
    pub rss_before_mib: Option<f64>,
    /// After the join phase.
    pub rss_joined_mib: Option<f64>,
    pub rss_connected_mib: Option<f64>,
    pub rss_end_mib: Option<f64>,
    pub rss_per_participant_kib: Option<f64>,
    /// CPU of the join phase, and per join.
    pub cpu_join_s: f64,
    pub cpu_per_join_ms: Option<f64>,
    /// CPU of the connect phase (WebSocket upgrades and first states).
    pub cpu_handshake_s: f64,
    /// Join and connect phases together.
    pub cpu_connect_s: f64,
    pub cpu_bursts_s: f64,
    /// Bursts' CPU per acknowledged answer.
    pub cpu_per_answer_ms: Option<f64>,
    /// File writes and bytes the server made during the bursts (its database: the WAL),
    /// per acknowledged answer, from `/proc/…/io` (socket sends are not counted there).
    pub file_writes_per_answer: Option<f64>,
    pub file_bytes_per_answer: Option<f64>,
    pub cpu_total_s: f64,
}

/// This run against the floor's: how many times the floor's figure the server needed
/// (1.0: as cheap as a server that stores nothing and has no meeting logic).
#[derive(Debug, Default, Serialize)]
pub struct VersusFloor {
    pub poll_first_vote_to_last_ack: Option<f64>,
    pub quiz_first_vote_to_last_ack: Option<f64>,
    pub poll_cause_to_all_exact: Option<f64>,
    pub cpu_per_answer: Option<f64>,
    pub cpu_per_join: Option<f64>,
    pub join_round_trip_p50: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub url: String,
    pub meeting: i64,
    pub passed: bool,
    pub error: Option<String>,
    /// From asking for the organizer's WebSocket to its first `state`: includes starting the
    /// meeting when it was not in memory.
    pub organizer_connect_ms: f64,
    pub connect: ConnectReport,
    pub poll: Option<BurstReport>,
    pub quiz: Option<BurstReport>,
    pub server: Option<ServerReport>,
    /// With `--floor`: the same scenario against the in-process null server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<Box<Report>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_floor: Option<VersusFloor>,
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some((a / b * 100.0).round() / 100.0),
        _ => None,
    }
}

impl VersusFloor {
    pub fn of(server: &Report, floor: &Report) -> VersusFloor {
        let burst = |r: &Report, quiz: bool| {
            if quiz {
                r.quiz.as_ref()
            } else {
                r.poll.as_ref()
            }
            .and_then(|b| b.first_vote_to_last_ack_ms)
        };
        let cpu = |r: &Report, f: fn(&ServerReport) -> Option<f64>| r.server.as_ref().and_then(f);
        VersusFloor {
            poll_first_vote_to_last_ack: ratio(burst(server, false), burst(floor, false)),
            quiz_first_vote_to_last_ack: ratio(burst(server, true), burst(floor, true)),
            poll_cause_to_all_exact: ratio(
                server.poll.as_ref().and_then(|b| b.cause_to_all_exact_ms),
                floor.poll.as_ref().and_then(|b| b.cause_to_all_exact_ms),
            ),
            cpu_per_answer: ratio(
                cpu(server, |s| s.cpu_per_answer_ms),
                cpu(floor, |s| s.cpu_per_answer_ms),
            ),
            cpu_per_join: ratio(
                cpu(server, |s| s.cpu_per_join_ms),
                cpu(floor, |s| s.cpu_per_join_ms),
            ),
            join_round_trip_p50: ratio(server.connect.join_ms.p50, floor.connect.join_ms.p50),
        }
    }
}

fn row(out: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "  {label:<34} {value}");
}

fn reasons(map: &BTreeMap<String, usize>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    let mut v: Vec<_> = map.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| format!("{n}× {k}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1} ms"))
}

impl Report {
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "LibreKast load test: meeting {} at {}: {}",
            self.meeting,
            self.url,
            if self.passed { "PASSED" } else { "FAILED" }
        );
        if let Some(e) = &self.error {
            let _ = writeln!(out, "  error: {e}");
        }
        let c = &self.connect;
        let _ = writeln!(out, "\nconnect");
        row(
            &mut out,
            "organizer connected (meeting start)",
            format!("{:.1} ms", self.organizer_connect_ms),
        );
        row(&mut out, "participants", c.participants);
        row(&mut out, "connections opened", c.opened);
        row(&mut out, "connections failed", c.failed);
        if c.failed > 0 {
            row(&mut out, "  why", reasons(&c.failure_reasons));
        }
        row(&mut out, "joined", c.joined);
        row(
            &mut out,
            "joins per second (reached / asked)",
            format!(
                "{:.0}/s / {}",
                c.join_rate_per_s,
                c.join_target_rate_per_s
                    .map_or_else(|| "as fast as answered".into(), |r| format!("{r:.0}/s"))
            ),
        );
        row(
            &mut out,
            "time to join all",
            format!("{:.2} s", c.join_duration_s),
        );
        row(&mut out, "join round trip", c.join_ms.line("ms"));
        row(
            &mut out,
            "connect rate (reached / asked)",
            format!(
                "{:.0}/s / {:.0}/s",
                c.connect_rate_per_s, c.target_rate_per_s
            ),
        );
        row(
            &mut out,
            "time to connect all",
            format!("{:.2} s", c.duration_s),
        );
        row(
            &mut out,
            "upgrade to first state",
            c.handshake_ms.line("ms"),
        );
        row(
            &mut out,
            "server participant count",
            c.server_participant_count
                .map_or_else(|| "-".into(), |n| n.to_string()),
        );
        row(&mut out, "dropped during the run", c.dropped);
        if c.dropped > 0 {
            row(&mut out, "  why", reasons(&c.drop_reasons));
        }
        row(
            &mut out,
            "closed cleanly at the end",
            format!("{}/{}", c.closed_cleanly, c.opened),
        );
        if !c.close_errors.is_empty() {
            row(&mut out, "  why not", reasons(&c.close_errors));
        }
        if let (Some(f), Some(b)) = (c.frames_per_participant, c.bytes_per_participant) {
            row(
                &mut out,
                "received per participant",
                format!("{f:.1} frames, {b:.0} bytes"),
            );
            let types: Vec<String> = c
                .frames_by_type
                .iter()
                .map(|(t, n)| format!("{t} {n:.1}"))
                .collect();
            row(&mut out, "  by type", types.join(", "));
        }
        for b in [&self.poll, &self.quiz].into_iter().flatten() {
            let _ = writeln!(
                out,
                "\n{} burst (question {}, {} choices)",
                b.kind, b.question_id, b.choices
            );
            row(&mut out, "votes sent", b.votes_sent);
            row(&mut out, "acks ok", b.acks_ok);
            row(&mut out, "ack errors", reasons(&b.ack_errors));
            row(&mut out, "ack latency", b.ack_latency_ms.line("ms"));
            row(&mut out, "first → last vote sent", ms(b.send_spread_ms));
            row(
                &mut out,
                "first vote sent → last ack",
                ms(b.first_vote_to_last_ack_ms),
            );
            let expected = serde_json::to_string(&b.expected_counts).unwrap_or_default();
            row(&mut out, "expected counts", expected);
            let from = match b.exact_reference {
                "results_ack" => "results ack",
                _ => "last ack",
            };
            row(
                &mut out,
                &format!("{from} → all views exact"),
                ms(b.exact_after_ms.max),
            );
            row(
                &mut out,
                &format!("{from} → view exact"),
                b.exact_after_ms.line("ms"),
            );
            let cause = match b.cause {
                "results_sent" => "results sent",
                _ => "first vote sent",
            };
            row(
                &mut out,
                &format!("{cause} → all views exact"),
                ms(b.cause_to_all_exact_ms),
            );
            row(
                &mut out,
                "exact final views",
                format!(
                    "{}/{} ({:.1}%)",
                    b.exact_views,
                    b.checked_views,
                    b.exact_share * 100.0
                ),
            );
        }
        if let Some(s) = &self.server {
            let _ = writeln!(out, "\nserver (pid {})", s.pid);
            let mib = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.1}"));
            row(
                &mut out,
                "RSS before / joined / connected / end",
                format!(
                    "{} / {} / {} / {} MiB",
                    mib(s.rss_before_mib),
                    mib(s.rss_joined_mib),
                    mib(s.rss_connected_mib),
                    mib(s.rss_end_mib)
                ),
            );
            row(
                &mut out,
                "RSS per connected participant",
                s.rss_per_participant_kib
                    .map_or_else(|| "-".into(), |v| format!("{v:.1} KiB")),
            );
            row(
                &mut out,
                "CPU join / connect / bursts / total",
                format!(
                    "{:.2} / {:.2} / {:.2} / {:.2} s",
                    s.cpu_join_s, s.cpu_handshake_s, s.cpu_bursts_s, s.cpu_total_s
                ),
            );
            let per =
                |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{:.1} µs", v * 1e3));
            row(&mut out, "CPU per join", per(s.cpu_per_join_ms));
            row(
                &mut out,
                "CPU per answer (bursts)",
                per(s.cpu_per_answer_ms),
            );
        }
        if let Some(v) = &self.vs_floor {
            let _ = writeln!(out, "\nversus the floor (server ÷ null server, same run)");
            let x = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.2}×"));
            row(
                &mut out,
                "poll: first vote → last ack",
                x(v.poll_first_vote_to_last_ack),
            );
            row(
                &mut out,
                "quiz: first vote → last ack",
                x(v.quiz_first_vote_to_last_ack),
            );
            row(
                &mut out,
                "poll: first vote → all views exact",
                x(v.poll_cause_to_all_exact),
            );
            row(&mut out, "CPU per answer", x(v.cpu_per_answer));
            row(&mut out, "CPU per join", x(v.cpu_per_join));
            row(&mut out, "join round trip p50", x(v.join_round_trip_p50));
        }
        if let Some(f) = &self.floor {
            let _ = writeln!(out, "\n--- the floor's own run ---");
            out.push_str(&f.table());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_uses_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 90.0), Some(90.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn stats_sort_their_input() {
        let s = Stats::of(vec![5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!(
            (s.count, s.p50, s.p95, s.p99, s.max),
            (5, Some(3.0), Some(5.0), Some(5.0), Some(5.0))
        );
        let s = Stats::of((1..=100).rev().map(f64::from).collect());
        assert_eq!((s.p90, s.p95), (Some(90.0), Some(95.0)));
    }
}
