//! The chat-scale entry point Twitch and YouTube use: 1,000,000 synthetic chat messages from
//! 100,000 distinct viewers (votes on a poll, then words on a word cloud, with talk and
//! repeated votes mixed in), fed through `MeetingHandle::chat` in batches. Prints the
//! sustained rate and checks every vote was counted exactly once, in memory and in storage.
//!
//! `cargo bench -p librekast-engine --bench chat_scale` runs the full million; under
//! `cargo test` it runs 20,000 messages from 2,000 viewers as a smoke test.

use std::collections::HashMap;
use std::time::Instant;

use librekast_engine::{
    ChatMessage, ChatReport, Command, Control, Engine, EngineConfig, Principal,
};
use librekast_storage::{ActivityFile, ActivityKind, ChoiceFile, MeetingFile, Platform, Store};

const BATCH: usize = 1_000;
const SLUGS: [&str; 4] = ["a", "b", "c", "d"];

fn meeting() -> MeetingFile {
    let choice = |slug: &str| ChoiceFile {
        id: None,
        text: slug.into(),
        slug: slug.into(),
        correct: false,
    };
    let activity = |kind, choices| ActivityFile {
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
        markup: Default::default(),
        kind,
        title: "t".into(),
        description: String::new(),
        choices,
        word_limit: 3,
        notes: String::new(),
    };
    MeetingFile {
        scoring: Default::default(),
        auto_start: false,
        streak_bonus: 0,
        sounds: true,
        blocked_words: vec![],
        bots: vec![],
        title: "chat scale".into(),
        code: "chat".into(),
        reward_fastest: false,
        flag_prefix: "LK".into(),
        activities: vec![
            activity(
                ActivityKind::Poll,
                SLUGS.iter().map(|s| choice(s)).collect(),
            ),
            activity(ActivityKind::Wordcloud, vec![]),
        ],
        flags: vec![],
        sources: vec![],
        chat: Default::default(),
    }
}

/// A cheap deterministic generator (xorshift), so runs are replayable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn line(viewer: u64, text: String) -> ChatMessage {
    let platform = if viewer.is_multiple_of(3) {
        Platform::Youtube
    } else {
        Platform::Twitch
    };
    ChatMessage {
        platform,
        id: None,
        user_id: format!("u{viewer}"),
        user_name: format!("viewer{viewer}"),
        text,
        at: 0,
        badges: Default::default(),
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (messages, viewers) = if full {
        (1_000_000usize, 100_000u64)
    } else {
        (20_000, 2_000)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let rt = rt.unwrap_or_else(|e| panic!("{e}"));
    let path = std::env::temp_dir().join(format!("librekast-chat-{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    rt.block_on(async {
        let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let id = store
            .import_meeting(&meeting())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let engine = Engine::start(store.clone(), EngineConfig::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let handle = engine.meeting(id).await.unwrap_or_else(|e| panic!("{e}"));
        let staff = || Principal::Staff {
            user: librekast_storage::UserId(1),
            username: "bench".into(),
            role: librekast_storage::Role::Admin,
        };
        let control = |c| {
            let handle = handle.clone();
            async move {
                assert!(
                    handle
                        .command(staff(), Command::Control(c, None))
                        .await
                        .is_ok()
                )
            }
        };
        control(Control::Start).await;

        // 60 % of the messages on the poll, 40 % on the word cloud; 1 in 10 is plain talk.
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let poll_messages = messages * 6 / 10;
        let mut first_vote: HashMap<u64, usize> = HashMap::new();
        let mut total = ChatReport::default();
        let started = Instant::now();
        let mut sent = 0;
        let mut batch = Vec::with_capacity(BATCH);
        while sent < messages {
            if sent == poll_messages {
                control(Control::Next).await;
                control(Control::Start).await;
            }
            let end = if sent < poll_messages {
                poll_messages
            } else {
                messages
            };
            while batch.len() < BATCH && sent + batch.len() < end {
                let viewer = rng.next() % viewers;
                let roll = rng.next() % 10;
                let text = if roll == 0 {
                    "hello chat".to_string()
                } else if sent < poll_messages {
                    let slug = (rng.next() % 4) as usize;
                    first_vote.entry(viewer).or_insert(slug);
                    format!("#{}", SLUGS[slug])
                } else {
                    format!("#word{}", rng.next() % 50)
                };
                batch.push(line(viewer, text));
            }
            sent += batch.len();
            let report = handle
                .chat(std::mem::take(&mut batch))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            total.lines += report.lines;
            total.votes += report.votes;
            total.words += report.words;
            total.refused += report.refused;
            total.other += report.other;
        }
        engine.writer().barrier().await;
        let elapsed = started.elapsed();
        let rate = messages as f64 / elapsed.as_secs_f64();

        // Every first vote of a viewer counted once, nothing else.
        let loaded = store
            .load_meeting(id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut expected = [0usize; 4];
        first_vote.values().for_each(|&s| expected[s] += 1);
        let poll = &loaded.activities[0];
        let mut stored = [0usize; 4];
        for v in &loaded.votes {
            if let Some(i) = poll.choices.iter().position(|c| c.id == v.choice_id) {
                stored[i] += 1;
            }
        }
        let exact = stored == expected && total.votes == first_vote.len();
        println!("chat_scale: {messages} messages from {viewers} viewers in batches of {BATCH}");
        println!(
            "  elapsed (until the last answer is stored)  {:.2} s",
            elapsed.as_secs_f64()
        );
        println!("  sustained rate                             {rate:.0} messages/s");
        println!(
            "  votes counted / distinct voters            {} / {}",
            total.votes,
            first_vote.len()
        );
        println!("  stored votes per choice / expected         {stored:?} / {expected:?}");
        println!(
            "  words added, refused answers, other lines  {} / {} / {}",
            total.words, total.refused, total.other
        );
        println!(
            "  attendees stored                           {}",
            loaded.attendees.len()
        );
        println!(
            "  every vote counted exactly once            {}",
            if exact { "yes" } else { "NO" }
        );
        assert!(exact, "votes were lost or counted twice");
        assert_eq!(total.lines, messages);
        engine.shutdown().await;
    });
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
