//! What the live operations page shows: a [`Snapshot`] of every running meeting's tree,
//! its connections and sources, and the group-commit writer, with the writer's last minute
//! of commits ([`CommitWindow`]). Built on request ([`crate::Engine::operations`]), so it
//! costs nothing while nobody watches; the supervision events come from
//! [`crate::journal`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::event::AdapterStatus;
use crate::tree_board::{ActorRow, ActorState};

/// The span the writer's figures cover.
const WINDOW: Duration = Duration::from_secs(60);
/// Commits kept for that minute at most (a busy server commits a few hundred times a
/// second; beyond this the oldest of the minute are dropped, and the figures cover less).
const MAX_COMMITS_KEPT: usize = 16_384;

/// The writer's recent commits: when, how long, how many jobs.
#[derive(Debug, Default)]
pub struct CommitWindow {
    commits: Mutex<VecDeque<(Instant, f64, usize)>>,
}

impl CommitWindow {
    pub fn push(&self, seconds: f64, jobs: usize) {
        let now = Instant::now();
        if let Ok(mut c) = self.commits.lock() {
            while c
                .front()
                .is_some_and(|(at, _, _)| now.duration_since(*at) > WINDOW)
                || c.len() >= MAX_COMMITS_KEPT
            {
                c.pop_front();
            }
            c.push_back((now, seconds, jobs));
        }
    }

    /// The figures of the last minute.
    pub fn last_minute(&self) -> LastMinute {
        let now = Instant::now();
        let (mut ms, mut sizes): (Vec<f64>, Vec<usize>) = match self.commits.lock() {
            Ok(c) => c
                .iter()
                .filter(|(at, _, _)| now.duration_since(*at) <= WINDOW)
                .map(|(_, s, n)| (s * 1000.0, *n))
                .unzip(),
            Err(_) => (Vec::new(), Vec::new()),
        };
        ms.sort_by(f64::total_cmp);
        sizes.sort_unstable();
        LastMinute {
            commits: sizes.len(),
            jobs: sizes.iter().sum(),
            batch_p50: percentile(&sizes, 0.50).copied(),
            batch_p99: percentile(&sizes, 0.99).copied(),
            batch_max: sizes.last().copied(),
            commit_ms_p50: percentile(&ms, 0.50).map(|v| round2(*v)),
            commit_ms_p99: percentile(&ms, 0.99).map(|v| round2(*v)),
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile<T>(sorted: &[T], p: f64) -> Option<&T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastMinute {
    pub commits: usize,
    pub jobs: usize,
    pub batch_p50: Option<usize>,
    pub batch_p99: Option<usize>,
    pub batch_max: Option<usize>,
    pub commit_ms_p50: Option<f64>,
    pub commit_ms_p99: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WriterView {
    pub state: ActorState,
    pub restarts_last_hour: usize,
    pub last_error: Option<String>,
    pub queue_depth: usize,
    pub queue_capacity: usize,
    pub last_minute: LastMinute,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingOps {
    pub id: i64,
    /// Filled by the caller, which may read storage (the engine only knows ids).
    pub title: String,
    pub started_at: i64,
    pub connections: BTreeMap<&'static str, i64>,
    pub actors: Vec<ActorRow>,
    pub sources: Vec<AdapterStatus>,
}

/// Everything the operations page draws, at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub at: i64,
    pub started_at: i64,
    pub version: &'static str,
    pub connections: BTreeMap<&'static str, i64>,
    pub writer: WriterView,
    pub meetings: Vec<MeetingOps>,
    pub last_seq: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_of_the_last_minute() {
        let w = CommitWindow::default();
        assert_eq!(w.last_minute().commits, 0);
        assert_eq!(w.last_minute().commit_ms_p50, None);
        for i in 1..=100 {
            w.push(i as f64 / 1000.0, i);
        }
        let m = w.last_minute();
        assert_eq!((m.commits, m.jobs), (100, 5050));
        assert_eq!(
            (m.batch_p50, m.batch_p99, m.batch_max),
            (Some(50), Some(99), Some(100))
        );
        assert_eq!(m.commit_ms_p50, Some(50.0));
        assert_eq!(m.commit_ms_p99, Some(99.0));
    }
}
