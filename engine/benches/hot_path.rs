//! The engine's hot path: answers per second through one meeting actor, each acknowledged
//! only after the group-commit writer stored it. A regression guard, not a target: no timing
//! is asserted (docs/performance.md records the figures).
//!
//! `cargo bench -p librekast-engine --bench hot_path` measures; `cargo test` runs it once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use librekast_engine::{Command, Control, Engine, EngineConfig, MeetingHandle, Principal};
use librekast_storage::{
    ActivityFile, ActivityKind, AttendeeRecord, ChoiceFile, MeetingFile, Platform, Store,
};

const VOTERS: usize = 1_000;

fn poll() -> MeetingFile {
    let choice = |slug: &str| ChoiceFile {
        id: None,
        text: slug.into(),
        slug: slug.into(),
        correct: false,
    };
    MeetingFile {
        scoring: Default::default(),
        auto_start: false,
        streak_bonus: 0,
        sounds: true,
        blocked_words: vec![],
        bots: vec![],
        title: "bench".into(),
        code: "bench".into(),
        reward_fastest: false,
        flag_prefix: "LK".into(),
        activities: vec![ActivityFile {
            time_limit_secs: 0,
            points: None,
            max_choices: 1,
            partial_credit: false,
            scale: None,
            prior_weight: None,
            image: None,
            alt: String::new(),
            auto_approve: false,
            hide_results_until_reveal: false,
            id: None,
            notes: String::new(),
            markup: Default::default(),
            kind: ActivityKind::Poll,
            title: "p".into(),
            description: String::new(),
            choices: vec![choice("a"), choice("b"), choice("c"), choice("d")],
            word_limit: 3,
        }],
        flags: vec![],
        sources: vec![],
        chat: Default::default(),
    }
}

/// A meeting with an open poll and its voters, ready for a burst.
async fn prepare(
    engine: &Engine,
) -> (
    Arc<MeetingHandle>,
    Vec<AttendeeRecord>,
    librekast_storage::LoadedMeeting,
) {
    let store = engine.store();
    let id = store
        .import_meeting(&poll())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut voters = Vec::with_capacity(VOTERS);
    for i in 0..VOTERS {
        let a = store
            .upsert_attendee(id, &format!("v{i}"), Platform::Room, &i.to_string())
            .await;
        voters.push(a.unwrap_or_else(|e| panic!("{e}")));
    }
    let handle = engine.meeting(id).await.unwrap_or_else(|e| panic!("{e}"));
    let staff = Principal::Staff {
        user: librekast_storage::UserId(1),
        username: "bench".into(),
        role: librekast_storage::Role::Admin,
    };
    let started = handle
        .command(staff, Command::Control(Control::Start, None))
        .await;
    assert!(started.is_ok(), "{started:?}");
    let loaded = store
        .load_meeting(id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (handle, voters, loaded)
}

/// Every voter answers at once; returns when every ack arrived.
async fn burst(
    handle: &Arc<MeetingHandle>,
    voters: &[AttendeeRecord],
    loaded: &librekast_storage::LoadedMeeting,
) {
    let activity = &loaded.activities[0];
    let mut tasks = Vec::with_capacity(voters.len());
    for (i, v) in voters.iter().enumerate() {
        let handle = handle.clone();
        let sender = Principal::Participant {
            meeting: v.meeting_id,
            attendee: v.id,
            name: v.name.clone(),
            platform: v.platform,
        };
        let command = Command::Vote {
            question_id: activity.id,
            choice_ids: vec![activity.choices[i % activity.choices.len()].id],
        };
        tasks.push(tokio::spawn(async move {
            handle.command(sender, command).await
        }));
    }
    for t in tasks {
        let acked = t.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(acked.is_ok(), "{acked:?}");
    }
}

fn answers(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let path = std::env::temp_dir().join(format!("librekast-bench-{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let engine = rt.block_on(async {
        let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        Engine::start(store, EngineConfig::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    });
    let mut group = c.benchmark_group("meeting_actor");
    group.throughput(Throughput::Elements(VOTERS as u64));
    group.sample_size(10);
    group.bench_function("1000_concurrent_votes_sqlite_file", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (handle, voters, loaded) = prepare(&engine).await;
                    let start = Instant::now();
                    burst(&handle, &voters, &loaded).await;
                    total += start.elapsed();
                }
                total
            })
        })
    });
    group.finish();
    rt.block_on(engine.shutdown());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

criterion_group!(benches, answers);
criterion_main!(benches);
