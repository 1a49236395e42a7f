//! Storage tests. Every body is an `async fn(Store)` run twice: on a fresh SQLite file and on
//! a fresh PostgreSQL database (`LIBREKAST_TEST_POSTGRES`, see `run_postgres`).

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::path::Path;

use librekast_storage::*;
use sea_orm::{ConnectionTrait, Database, Statement};

// ---------------------------------------------------------------- harness

/// Declares `<name>::sqlite` and `<name>::postgres` tests running the body `<name>`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::run_sqlite(super::$name).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::run_postgres(super::$name).await;
            }
        }
    )*};
}

on_both!(
    import_export_round_trip,
    invalid_files_are_refused,
    upsert_attendee_is_idempotent,
    bulk_upsert_of_chat_viewers,
    second_vote_is_duplicate_and_rolls_back_batch,
    duplicate_inside_one_batch,
    word_duplicates,
    capture_adds_score,
    award_sets_points_and_adds_score,
    progress_updates_meeting_and_activities,
    progress_for_unknown_rows_is_not_found,
    sessions_round_trip,
    put_user_replaces_hash,
    roles_are_set_only_when_given,
    display_sessions_are_per_meeting_and_revocable,
    meeting_owner_and_shares,
    load_meeting_ordering,
    recent_attempts_are_latest_fifty,
    running_meeting_ids_by_status,
    five_thousand_votes_in_one_batch,
    migrations_go_down_and_up,
    roles_migration_keeps_accounts_and_meetings,
    joins_are_written_in_one_batch,
    plan_edits_keep_ids_and_lock_what_was_used,
    reset_delete_and_moderation_writes,
    ratings_and_multi_select,
    posts_upvotes_and_moderation,
);

fn unique_suffix() -> String {
    format!("{}_{:016x}", std::process::id(), rand::random::<u64>())
}

/// Runs `body` on its own SQLite file, then deletes the file whether the body passed or not.
async fn run_sqlite<F, Fut>(body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let path = std::env::temp_dir().join(format!("librekast-test-{}.db", unique_suffix()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let store = Store::connect(&url).await.expect("connect sqlite");
    assert_eq!(store.backend(), Backend::Sqlite);
    let outcome = tokio::spawn(body(store.clone())).await;
    store
        .connection()
        .clone()
        .close()
        .await
        .expect("close sqlite");
    remove_sqlite_files(&path);
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

fn remove_sqlite_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.to_path_buf().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}

/// Runs `body` on a new database created through `LIBREKAST_TEST_POSTGRES` (a URL whose
/// role may CREATE DATABASE), dropped afterwards whether the body passed or not.
async fn run_postgres<F, Fut>(body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(admin_url) = std::env::var("LIBREKAST_TEST_POSTGRES") else {
        if std::env::var("LIBREKAST_REQUIRE_ALL").as_deref() == Ok("1") {
            panic!("LIBREKAST_REQUIRE_ALL=1 but LIBREKAST_TEST_POSTGRES is not set");
        }
        eprintln!(
            "\n*** SKIPPED PostgreSQL: set LIBREKAST_TEST_POSTGRES=postgres://librekast:librekast@127.0.0.1:5432/postgres \
             (a role with CREATEDB) to run this test on PostgreSQL too ***\n"
        );
        return;
    };
    let name = format!("lk_test_{}", unique_suffix());
    let admin = Database::connect(admin_url.as_str())
        .await
        .expect("connect to LIBREKAST_TEST_POSTGRES");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");

    let store = Store::connect(&with_database(&admin_url, &name))
        .await
        .expect("connect postgres");
    assert_eq!(store.backend(), Backend::Postgres);
    let outcome = tokio::spawn(body(store.clone())).await;
    store
        .connection()
        .clone()
        .close()
        .await
        .expect("close postgres");
    drop_database(&admin, &name).await;
    admin.close().await.expect("close admin connection");
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// Plain DROP DATABASE, not `WITH (FORCE)`: the store's pool is closed by now, and FORCE
/// fails for a non-superuser when an autovacuum worker (run as another role) is busy in the
/// database, which the big-batch test makes likely. Plain DROP cancels autovacuum itself.
async fn drop_database(admin: &sea_orm::DatabaseConnection, name: &str) {
    let mut last = None;
    for _ in 0..10 {
        match admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
        {
            Ok(_) => return,
            Err(err) => last = Some(err),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("could not drop test database {name}: {last:?}");
}

// ---------------------------------------------------------------- fixtures

fn choice(text: &str, slug: &str, correct: bool) -> ChoiceFile {
    ChoiceFile {
        id: None,
        text: text.into(),
        slug: slug.into(),
        correct,
    }
}

fn activity(kind: ActivityKind, title: &str, choices: Vec<ChoiceFile>) -> ActivityFile {
    ActivityFile {
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
        kind,
        title: title.into(),
        description: String::new(),
        choices,
        word_limit: 3,
    }
}

/// One activity of each kind plus two flags: activities[1] is a poll, [2] a quiz, [3] a cloud.
fn sample_meeting(title: &str) -> MeetingFile {
    MeetingFile {
        scoring: Default::default(),
        auto_start: false,
        streak_bonus: 0,
        sounds: true,
        blocked_words: vec![],
        bots: vec![],
        title: title.into(),
        code: "JOIN-42".into(),
        reward_fastest: true,
        flag_prefix: "LK".into(),
        activities: vec![
            ActivityFile {
                id: None,
                markup: Default::default(),
                description: "Welcome!\nSecond line, ünïcödé.".into(),
                ..activity(ActivityKind::Text, "Intro", vec![])
            },
            activity(
                ActivityKind::Poll,
                "Favourite colour?",
                vec![
                    choice("Red", "red", false),
                    choice("Green", "green", false),
                    choice("Blue", "b", false),
                ],
            ),
            activity(
                ActivityKind::Quiz,
                "2 + 2?",
                vec![
                    choice("3", "a", false),
                    choice("4", "b", true),
                    choice("5", "c", false),
                ],
            ),
            ActivityFile {
                id: None,
                markup: Default::default(),
                word_limit: 5,
                ..activity(ActivityKind::Wordcloud, "One word", vec![])
            },
        ],
        flags: vec![
            FlagFile {
                id: None,
                name: "Hidden".into(),
                code: "h1dd3n".into(),
                points: 50,
                first_blood: 25,
            },
            FlagFile {
                id: None,
                name: "Easy".into(),
                code: "easy".into(),
                points: 10,
                first_blood: 0,
            },
        ],
        sources: vec![Source::Twitch {
            channel: "librekast".into(),
            delay_secs: 3,
        }],
        chat: ChatRules::default(),
    }
}

struct Fixture {
    meeting: MeetingId,
    loaded: LoadedMeeting,
}

impl Fixture {
    fn activity(&self, index: usize) -> ActivityId {
        self.loaded.activities[index].id
    }
    fn choice(&self, activity: usize, index: usize) -> ChoiceId {
        self.loaded.activities[activity].choices[index].id
    }
    fn flag(&self, index: usize) -> FlagId {
        self.loaded.flags[index].id
    }
}

async fn fixture(store: &Store) -> Fixture {
    let meeting = store
        .import_meeting(&sample_meeting("Fixture"))
        .await
        .expect("import");
    let loaded = store.load_meeting(meeting).await.expect("load");
    Fixture { meeting, loaded }
}

async fn attendee(store: &Store, meeting: MeetingId, user: &str) -> AttendeeId {
    store
        .upsert_attendee(meeting, user, Platform::Room, user)
        .await
        .expect("upsert")
        .id
}

fn vote(activity: ActivityId, attendee: AttendeeId, choice: ChoiceId, at: Micros) -> WriteOp {
    WriteOp::Vote {
        activity,
        attendee,
        choice,
        at,
    }
}

fn word(activity: ActivityId, attendee: AttendeeId, text: &str, at: Micros) -> WriteOp {
    WriteOp::Word {
        activity,
        attendee,
        text: text.into(),
        normalized: text.to_lowercase(),
        at,
    }
}

fn score_of(loaded: &LoadedMeeting, attendee: AttendeeId) -> i64 {
    loaded
        .attendees
        .iter()
        .find(|a| a.id == attendee)
        .expect("attendee loaded")
        .score
}

#[track_caller]
fn assert_duplicate<T: std::fmt::Debug>(result: Result<T, StorageError>) {
    match result {
        Err(StorageError::Duplicate(_)) => {}
        other => panic!("expected StorageError::Duplicate, got {other:?}"),
    }
}

// ---------------------------------------------------------------- bodies

async fn import_export_round_trip(store: Store) {
    let file = sample_meeting("Round trip");
    let first = store.import_meeting(&file).await.unwrap();
    let exported = store.export_meeting(first).await.unwrap();
    assert_eq!(exported, file);

    // Through JSON, as `meeting export` / `meeting import` do.
    let json = serde_json::to_string_pretty(&exported).unwrap();
    let reparsed: MeetingFile = serde_json::from_str(&json).unwrap();
    let second = store.import_meeting(&reparsed).await.unwrap();
    assert_ne!(first, second);
    assert_eq!(store.export_meeting(second).await.unwrap(), file);

    let record = store.meeting(second).await.unwrap().unwrap();
    assert_eq!(record.title, "Round trip");
    assert_eq!(record.code, "JOIN-42");
    assert!(record.reward_fastest);
    assert_eq!(record.flag_prefix, "LK");
    assert_eq!(record.status, MeetingStatus::Before);
    assert_eq!(record.position, 0);

    let loaded = store.load_meeting(second).await.unwrap();
    assert!(
        loaded
            .activities
            .iter()
            .all(|a| a.state == ActivityState::Pending)
    );
    assert_eq!(loaded.activities[3].word_limit, 5);

    assert_eq!(store.meeting_count().await.unwrap(), 2);
    assert!(store.meeting(MeetingId(i64::MAX)).await.unwrap().is_none());
    assert!(matches!(
        store.export_meeting(MeetingId(i64::MAX)).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        store.load_meeting(MeetingId(i64::MAX)).await,
        Err(StorageError::NotFound)
    ));

    // The defaults a hand-written file leaves out come back explicitly and stable.
    let minimal: MeetingFile = serde_json::from_str(
        r#"{"title":"Min","code":"m","activities":[{"kind":"text","title":"Hi"}]}"#,
    )
    .unwrap();
    let id = store.import_meeting(&minimal).await.unwrap();
    assert_eq!(store.export_meeting(id).await.unwrap(), minimal);
}

/// Makes a valid file invalid in one place.
type Breakage = fn(&mut MeetingFile);

async fn invalid_files_are_refused(store: Store) {
    let cases: Vec<(Breakage, &str)> = vec![
        (|f| f.title = "  ".into(), "title"),
        (|f| f.title = "x".repeat(201), "title"),
        (|f| f.code = "has space".into(), "code"),
        (|f| f.code = String::new(), "code"),
        (|f| f.code = "c".repeat(65), "code"),
        (|f| f.flag_prefix = "L K".into(), "flag_prefix"),
        (|f| f.activities.clear(), "activities"),
        (
            |f| f.activities[0].title = String::new(),
            "activities[0].title",
        ),
        (
            |f| f.activities[1].choices.truncate(1),
            "activities[1].choices",
        ),
        (
            |f| f.activities[1].choices[0].slug = "a b".into(),
            r#"activities[1].choices[0].slug "a b""#,
        ),
        (
            |f| f.activities[1].choices[0].slug = "s".repeat(33),
            "activities[1].choices[0].slug",
        ),
        (
            |f| f.activities[1].choices[2].slug = "red".into(),
            "activities[1].choices[2].slug",
        ),
        (
            |f| f.activities[1].choices[1].text = " ".into(),
            "activities[1].choices[1].text",
        ),
        (
            |f| f.activities[2].choices[1].correct = false,
            "activities[2].choices",
        ),
        (
            |f| f.activities[0].choices = vec![choice("x", "x", false)],
            "activities[0].choices",
        ),
        (
            |f| f.activities[3].word_limit = 0,
            "activities[3].word_limit",
        ),
        (
            |f| f.activities[3].word_limit = 51,
            "activities[3].word_limit",
        ),
        (|f| f.flags[1].code = "h1dd3n".into(), "flags[1].code"),
        (|f| f.flags[0].name = String::new(), "flags[0].name"),
        (|f| f.flags[0].code = String::new(), "flags[0].code"),
        (|f| f.flags[0].points = -1, "flags[0].points"),
        (|f| f.flags[0].first_blood = -1, "flags[0].first_blood"),
    ];
    for (break_it, place) in cases {
        let mut file = sample_meeting("Broken");
        break_it(&mut file);
        match store.import_meeting(&file).await {
            Err(StorageError::InvalidMeeting(msg)) => {
                assert!(
                    msg.starts_with(place),
                    "message {msg:?} should start with {place:?}"
                )
            }
            other => panic!("{place}: expected InvalidMeeting, got {other:?}"),
        }
    }
    let mut slug = sample_meeting("Slug");
    slug.activities[1].choices[0].slug = "a b".into();
    let Err(StorageError::InvalidMeeting(msg)) = slug.validate() else {
        panic!("slug accepted")
    };
    assert_eq!(
        msg,
        r#"activities[1].choices[0].slug "a b": use letters, digits, '-' or '_'"#
    );

    assert!(sample_meeting("Fine").validate().is_ok());

    // A choice without a slug gets the first free one of a, b, c, … in its activity.
    let mut unnamed = sample_meeting("Unnamed");
    for c in &mut unnamed.activities[1].choices {
        c.slug = String::new();
    }
    unnamed.activities[1].choices[1].slug = "a".into();
    let id = store.import_meeting(&unnamed).await.unwrap();
    let slugs: Vec<String> = store.export_meeting(id).await.unwrap().activities[1]
        .choices
        .iter()
        .map(|c| c.slug.clone())
        .collect();
    assert_eq!(slugs[..2], ["b".to_string(), "a".to_string()]);
    assert!(
        slugs[2..]
            .iter()
            .all(|s| s != "a" && s != "b" && !s.is_empty())
    );
    store.delete_meeting(id).await.unwrap();
    assert_eq!(
        store.meeting_count().await.unwrap(),
        0,
        "nothing of a refused file is stored"
    );
}

async fn upsert_attendee_is_idempotent(store: Store) {
    let f = fixture(&store).await;
    let first = store
        .upsert_attendee(f.meeting, "Ann", Platform::Twitch, "tw-1")
        .await
        .unwrap();
    assert_eq!(first.score, 0);
    assert_eq!(first.meeting_id, f.meeting);
    assert_eq!(first.platform, Platform::Twitch);
    assert_eq!(first.platform_user_id, "tw-1");

    let again = store
        .upsert_attendee(f.meeting, "Ann", Platform::Twitch, "tw-1")
        .await
        .unwrap();
    assert_eq!(again, first);

    let renamed = store
        .upsert_attendee(f.meeting, "Annie", Platform::Twitch, "tw-1")
        .await
        .unwrap();
    assert_eq!(renamed.id, first.id);
    assert_eq!(renamed.name, "Annie");

    // Same user id on another platform, or in another meeting, is someone else.
    let youtube = store
        .upsert_attendee(f.meeting, "Ann", Platform::Youtube, "tw-1")
        .await
        .unwrap();
    assert_ne!(youtube.id, first.id);
    let other_meeting = store
        .import_meeting(&sample_meeting("Other"))
        .await
        .unwrap();
    let elsewhere = store
        .upsert_attendee(other_meeting, "Ann", Platform::Twitch, "tw-1")
        .await
        .unwrap();
    assert_ne!(elsewhere.id, first.id);

    // A score survives a rename.
    store
        .apply(&[WriteOp::Capture {
            flag: f.flag(1),
            attendee: first.id,
            points: 10,
            first_blood: false,
            at: 1,
        }])
        .await
        .unwrap();
    let renamed = store
        .upsert_attendee(f.meeting, "Ann again", Platform::Twitch, "tw-1")
        .await
        .unwrap();
    assert_eq!(renamed.score, 10);

    let loaded = store.load_meeting(f.meeting).await.unwrap();
    assert_eq!(loaded.attendees.len(), 2);
    assert_eq!(store.attendee(first.id).await.unwrap(), Some(renamed));
    assert_eq!(store.attendee(AttendeeId(i64::MAX)).await.unwrap(), None);

    assert!(matches!(
        store
            .upsert_attendee(MeetingId(i64::MAX), "Nobody", Platform::Room, "x")
            .await,
        Err(StorageError::NotFound)
    ));
}

async fn second_vote_is_duplicate_and_rolls_back_batch(store: Store) {
    let f = fixture(&store).await;
    let ann = attendee(&store, f.meeting, "ann").await;
    let bob = attendee(&store, f.meeting, "bob").await;
    let poll = f.activity(1);

    store
        .apply(&[vote(poll, ann, f.choice(1, 0), 10)])
        .await
        .unwrap();

    // Bob's vote and word sit in the same batch as Ann's second vote: none of it may stay.
    let batch = [
        vote(poll, bob, f.choice(1, 1), 20),
        word(f.activity(3), bob, "hello", 21),
        vote(poll, ann, f.choice(1, 0), 22),
        WriteOp::Capture {
            flag: f.flag(0),
            attendee: bob,
            points: 50,
            first_blood: true,
            at: 23,
        },
    ];
    assert_duplicate(store.apply(&batch).await);

    let loaded = store.load_meeting(f.meeting).await.unwrap();
    assert_eq!(loaded.votes.len(), 1);
    assert_eq!(loaded.votes[0].attendee_id, ann);
    assert_eq!(loaded.votes[0].choice_id, f.choice(1, 0));
    assert!(loaded.words.is_empty());
    assert!(loaded.captures.is_empty());
    assert_eq!(score_of(&loaded, bob), 0);

    // A vote in another activity is fine, and so is Bob's once retried alone.
    store
        .apply(&[
            vote(f.activity(2), ann, f.choice(2, 1), 30),
            vote(poll, bob, f.choice(1, 1), 31),
        ])
        .await
        .unwrap();
    assert_eq!(store.load_meeting(f.meeting).await.unwrap().votes.len(), 3);
}

async fn duplicate_inside_one_batch(store: Store) {
    let f = fixture(&store).await;
    let ann = attendee(&store, f.meeting, "ann").await;
    let bob = attendee(&store, f.meeting, "bob").await;
    let poll = f.activity(1);
    let batch = [
        vote(poll, bob, f.choice(1, 0), 1),
        vote(poll, ann, f.choice(1, 0), 2),
        vote(poll, ann, f.choice(1, 0), 3),
    ];
    assert_duplicate(store.apply(&batch).await);
    assert!(
        store
            .load_meeting(f.meeting)
            .await
            .unwrap()
            .votes
            .is_empty()
    );

    let batch = [
        word(f.activity(3), ann, "Rust", 1),
        word(f.activity(3), ann, "rust", 2),
    ];
    assert_duplicate(store.apply(&batch).await);
    assert!(
        store
            .load_meeting(f.meeting)
            .await
            .unwrap()
            .words
            .is_empty()
    );
}

async fn word_duplicates(store: Store) {
    let f = fixture(&store).await;
    let ann = attendee(&store, f.meeting, "ann").await;
    let bob = attendee(&store, f.meeting, "bob").await;
    let cloud = f.activity(3);

    store
        .apply(&[word(cloud, ann, "Rust", 1), word(cloud, ann, "Tokio", 2)])
        .await
        .unwrap();
    // Same normalized word from the same attendee.
    assert_duplicate(store.apply(&[word(cloud, ann, "RUST", 3)]).await);
    // Another attendee may send it.
    store.apply(&[word(cloud, bob, "rust", 4)]).await.unwrap();

    let loaded = store.load_meeting(f.meeting).await.unwrap();
    let words: Vec<(AttendeeId, &str, &str)> = loaded
        .words
        .iter()
        .map(|w| (w.attendee_id, w.text.as_str(), w.normalized.as_str()))
        .collect();
    assert_eq!(
        words,
        vec![
            (ann, "Rust", "rust"),
            (ann, "Tokio", "tokio"),
            (bob, "rust", "rust")
        ]
    );
    assert_eq!(loaded.words[2].activity_id, cloud);
    assert_eq!(loaded.words[2].at, 4);
}

async fn capture_adds_score(store: Store) {
    let f = fixture(&store).await;
    let ann = attendee(&store, f.meeting, "ann").await;
    let bob = attendee(&store, f.meeting, "bob").await;

    store
        .apply(&[
            WriteOp::FlagAttempt {
                meeting: f.meeting,
                attendee: ann,
                submitted: "LK{h1dd3n}".into(),
                flag: Some(f.flag(0)),
                outcome: "captured".into(),
                at: 1,
            },
            WriteOp::Capture {
                flag: f.flag(0),
                attendee: ann,
                points: 75,
                first_blood: true,
                at: 1,
            },
            WriteOp::Capture {
                flag: f.flag(1),
                attendee: ann,
                points: 10,
                first_blood: false,
                at: 2,
            },
            WriteOp::Capture {
                flag: f.flag(0),
                attendee: bob,
                points: 50,
                first_blood: false,
                at: 3,
            },
        ])
        .await
        .unwrap();

    let loaded = store.load_meeting(f.meeting).await.unwrap();
    assert_eq!(score_of(&loaded, ann), 85);
    assert_eq!(score_of(&loaded, bob), 50);
    assert_eq!(
        loaded.captures,
        vec![
            CaptureRecord {
                flag_id: f.flag(0),
                attendee_id: ann,
                points: 75,
                first_blood: true,
                at: 1
            },
            CaptureRecord {
                flag_id: f.flag(1),
                attendee_id: ann,
                points: 10,
                first_blood: false,
                at: 2
            },
            CaptureRecord {
                flag_id: f.flag(0),
                attendee_id: bob,
                points: 50,
                first_blood: false,
                at: 3
            },
        ]
    );
    assert_eq!(loaded.recent_attempts.len(), 1);
    assert_eq!(loaded.recent_attempts[0].flag_id, Some(f.flag(0)));
    assert_eq!(loaded.recent_attempts[0].outcome, "captured");

    // The same flag twice: refused, and the score is not touched.
    assert_duplicate(
        store
            .apply(&[WriteOp::Capture {
                flag: f.flag(0),
                attendee: ann,
                points: 50,
                first_blood: false,
                at: 4,
            }])
            .await,
    );
    let loaded = store.load_meeting(f.meeting).await.unwrap();
    assert_eq!(score_of(&loaded, ann), 85);
    assert_eq!(loaded.captures.len(), 3);
}

async fn award_sets_points_and_adds_score(store: Store) {
    let f = fixture(&store).await;
    let ann = attendee(&store, f.meeting, "ann").await;
    let bob = attendee(&store, f.meeting, "bob").await;
    let cat = attendee(&store, f.meeting, "cat").await;
    let quiz = f.activity(2);

    store
        .apply(&[
            vote(quiz, ann, f.choice(2, 1), 1),
            vote(quiz, bob, f.choice(2, 0), 2),
            vote(quiz, cat, f.choice(2, 1), 3),
            WriteOp::Capture {
                flag: f.flag(1),
                attendee: ann,
                points: 10,
                first_blood: false,
                at: 4,
            },
        ])
        .await
        .unwrap();
    store
        .apply(&[WriteOp::Award {
            activity: quiz,
            awards: vec![(ann, 100), (bob, 0), (cat, 80)],
        }])
        .await
        .unwrap();

    let loaded = store.load_meeting(f.meeting).await.unwrap();
    let points: Vec<(AttendeeId, Option<i64>)> = loaded
        .votes
        .iter()
        .map(|v| (v.attendee_id, v.points))
        .collect();
    assert_eq!(
        points,
        vec![(ann, Some(100)), (bob, Some(0)), (cat, Some(80))]
    );
    assert_eq!(score_of(&loaded, ann), 110);
    assert_eq!(score_of(&loaded, bob), 0);
    assert_eq!(score_of(&loaded, cat), 80);

    // Awards add up; a vote in another activity keeps its points unset.
    store
        .apply(&[vote(f.activity(1), ann, f.choice(1, 0), 5)])
        .await
        .unwrap();
    store
        .apply(&[WriteOp::Award {
            activity: quiz,
            awards: vec![(ann, 5)],
        }])
        .await
        .unwrap();
    let loaded = store.load_meeting(f.meeting).await.unwrap();
    assert_eq!(score_of(&loaded, ann), 115);
    let poll_vote = loaded
        .votes
        .iter()
        .find(|v| v.activity_id == f.activity(1))
        .unwrap();
    assert_eq!(poll_vote.points, None);
    let quiz_vote = loaded
        .votes
        .iter()
        .find(|v| v.activity_id == quiz && v.attendee_id == ann)
        .unwrap();
    assert_eq!(quiz_vote.points, Some(5));
}

async fn progress_updates_meeting_and_activities(store: Store) {
    let f = fixture(&store).await;
    store
        .apply(&[WriteOp::Progress {
            meeting: f.meeting,
            status: MeetingStatus::Ongoing,
            position: 1,
            activities: vec![
                (f.activity(0), ActivityState::Done),
                (f.activity(1), ActivityState::Open),
            ],
        }])
        .await
        .unwrap();
    let record = store.meeting(f.meeting).await.unwrap().unwrap();
    assert_eq!(
        (record.status, record.position),
        (MeetingStatus::Ongoing, 1)
    );
    let states: Vec<ActivityState> = store
        .load_meeting(f.meeting)
        .await
        .unwrap()
        .activities
        .iter()
        .map(|a| a.state)
        .collect();
    assert_eq!(
        states,
        vec![
            ActivityState::Done,
            ActivityState::Open,
            ActivityState::Pending,
            ActivityState::Pending
        ]
    );

    // Status only, no activities; then several progress ops in one batch, last one wins.
    store
        .apply(&[
            WriteOp::Progress {
                meeting: f.meeting,
                status: MeetingStatus::Results,
                position: 1,
                activities: vec![],
            },
            WriteOp::Progress {
                meeting: f.meeting,
                status: MeetingStatus::Scoreboard,
                position: 3,
                activities: vec![
                    (f.activity(1), ActivityState::Closed),
                    (f.activity(1), ActivityState::Done),
                    (f.activity(3), ActivityState::Closed),
                ],
            },
        ])
        .await
        .unwrap();
    let loaded = store.load_meeting(f.meeting).await.unwrap();
    assert_eq!(
        (loaded.meeting.status, loaded.meeting.position),
        (MeetingStatus::Scoreboard, 3)
    );
    let states: Vec<ActivityState> = loaded.activities.iter().map(|a| a.state).collect();
    assert_eq!(
        states,
        vec![
            ActivityState::Done,
            ActivityState::Done,
            ActivityState::Pending,
            ActivityState::Closed
        ]
    );
}

async fn progress_for_unknown_rows_is_not_found(store: Store) {
    let f = fixture(&store).await;
    let other = fixture(&store).await;
    let result = store
        .apply(&[WriteOp::Progress {
            meeting: MeetingId(i64::MAX),
            status: MeetingStatus::Ongoing,
            position: 0,
            activities: vec![],
        }])
        .await;
    assert!(matches!(result, Err(StorageError::NotFound)), "{result:?}");

    // An activity of another meeting: refused, and the status change is rolled back with it.
    let result = store
        .apply(&[WriteOp::Progress {
            meeting: f.meeting,
            status: MeetingStatus::Ongoing,
            position: 1,
            activities: vec![(other.activity(0), ActivityState::Open)],
        }])
        .await;
    assert!(matches!(result, Err(StorageError::NotFound)), "{result:?}");
    let record = store.meeting(f.meeting).await.unwrap().unwrap();
    assert_eq!((record.status, record.position), (MeetingStatus::Before, 0));
    let other_loaded = store.load_meeting(other.meeting).await.unwrap();
    assert_eq!(other_loaded.activities[0].state, ActivityState::Pending);
}

async fn sessions_round_trip(store: Store) {
    let f = fixture(&store).await;
    let ann = attendee(&store, f.meeting, "ann").await;
    let admin = store.put_user("admin", "$argon2id$hash").await.unwrap();

    let staff = SessionSubject::Staff {
        user_id: admin,
        username: "admin".into(),
        role: Role::Admin,
    };
    let participant = SessionSubject::Participant {
        meeting_id: f.meeting,
        attendee_id: ann,
    };
    store.create_session("staff-token", &staff).await.unwrap();
    store
        .create_session("participant-token", &participant)
        .await
        .unwrap();

    assert_eq!(
        store.find_session("staff-token").await.unwrap(),
        Some(staff.clone())
    );
    assert_eq!(
        store.find_session("participant-token").await.unwrap(),
        Some(participant)
    );
    assert_eq!(store.find_session("no-such-token").await.unwrap(), None);

    assert_duplicate(store.create_session("staff-token", &staff).await);
    // A session for a user that does not exist.
    let ghost = SessionSubject::Staff {
        user_id: UserId(i64::MAX),
        username: "ghost".into(),
        role: Role::Admin,
    };
    assert!(matches!(
        store.create_session("ghost", &ghost).await,
        Err(StorageError::NotFound)
    ));

    // Tokens are stored hashed: the table never holds one.
    let raw = store
        .connection()
        .query_all_raw(Statement::from_string(
            store.connection().get_database_backend(),
            "SELECT token FROM sessions",
        ))
        .await
        .unwrap();
    for row in raw {
        let stored: String = row.try_get("", "token").unwrap();
        assert_eq!(stored.len(), 64);
        assert_ne!(stored, "staff-token");
        assert_ne!(stored, "participant-token");
    }

    // Logout ends one session only; ending an unknown one is not an error.
    store.create_session("second", &staff).await.unwrap();
    store.delete_session("staff-token").await.unwrap();
    assert_eq!(
        store.find_session("second").await.unwrap(),
        Some(staff.clone())
    );
    assert_eq!(store.find_session("staff-token").await.unwrap(), None);
    assert!(
        store
            .find_session("participant-token")
            .await
            .unwrap()
            .is_some()
    );
    store.delete_session("staff-token").await.unwrap();

    // A new password ends every session of the account (participants keep theirs).
    store.put_user("admin", "$argon2id$other").await.unwrap();
    assert_eq!(store.find_session("second").await.unwrap(), None);
    assert!(
        store
            .find_session("participant-token")
            .await
            .unwrap()
            .is_some()
    );

    // change_password keeps the session that asked for it, and only that one.
    let user = store.find_user("admin").await.unwrap().unwrap().id;
    store.create_session("keep", &staff).await.unwrap();
    store.create_session("other", &staff).await.unwrap();
    let ended = store
        .change_password(user, "$argon2id$third", Some("keep"))
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert!(store.find_session("keep").await.unwrap().is_some());
    assert_eq!(store.find_session("other").await.unwrap(), None);

    // Staff sessions end when idle too long or too old; use refreshes the idle limit.
    let limits = store.session_limits();
    store
        .age_session("keep", 0, limits.staff_idle + 1_000_000)
        .await
        .unwrap();
    assert_eq!(store.find_session("keep").await.unwrap(), None, "idle");
    store.create_session("old", &staff).await.unwrap();
    store
        .age_session("old", limits.staff_max + 1_000_000, 0)
        .await
        .unwrap();
    assert_eq!(store.find_session("old").await.unwrap(), None, "too old");
    store.create_session("used", &staff).await.unwrap();
    store
        .age_session("used", limits.staff_idle, limits.staff_idle - 5_000_000)
        .await
        .unwrap();
    assert!(store.find_session("used").await.unwrap().is_some());
    let live = store
        .live_staff_sessions(&[Store::session_key("used"), Store::session_key("gone")])
        .await
        .unwrap();
    assert_eq!(live.len(), 1);
    assert!(live.contains(&Store::session_key("used")));

    // Removing the account ends its sessions.
    assert!(store.remove_user("admin").await.unwrap());
    assert_eq!(store.find_session("used").await.unwrap(), None);
    assert!(!store.remove_user("admin").await.unwrap());
}

async fn put_user_replaces_hash(store: Store) {
    assert_eq!(store.user_count().await.unwrap(), 0);
    assert_eq!(store.find_user("admin").await.unwrap(), None);

    let id = store.put_user("admin", "hash-1").await.unwrap();
    let again = store.put_user("admin", "hash-2").await.unwrap();
    assert_eq!(id, again);
    assert_eq!(store.user_count().await.unwrap(), 1);
    assert_eq!(
        store.find_user("admin").await.unwrap(),
        Some(UserRecord {
            id,
            username: "admin".into(),
            password_hash: "hash-2".into(),
            role: Role::Admin,
            last_login_at: None,
        })
    );

    let other = store.put_user("Admin", "hash-3").await.unwrap();
    assert_ne!(other, id, "usernames are case-sensitive");
    assert_eq!(store.user_count().await.unwrap(), 2);
}

async fn roles_are_set_only_when_given(store: Store) {
    // No role given: a new account is an admin (scripts from before roles keep working).
    store.put_user("ada", "h1").await.unwrap();
    assert_eq!(
        store.find_user("ada").await.unwrap().map(|u| u.role),
        Some(Role::Admin)
    );
    let org = store
        .put_user_with_role("olga", "h1", Some(Role::Organizer))
        .await
        .unwrap();
    assert_eq!(
        store.user(org).await.unwrap().map(|u| u.role),
        Some(Role::Organizer)
    );
    // A new password without a role keeps the role; with one, changes it.
    store.put_user("olga", "h2").await.unwrap();
    let olga = store.find_user("olga").await.unwrap().unwrap();
    assert_eq!(
        (olga.role, olga.password_hash.as_str()),
        (Role::Organizer, "h2")
    );
    store
        .put_user_with_role("olga", "h3", Some(Role::Admin))
        .await
        .unwrap();
    assert_eq!(
        store.find_user("olga").await.unwrap().map(|u| u.role),
        Some(Role::Admin)
    );
    // Sessions carry the role as it is now.
    store
        .create_session(
            "t",
            &SessionSubject::Staff {
                user_id: org,
                username: "olga".into(),
                role: Role::Organizer,
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        store.find_session("t").await.unwrap(),
        Some(SessionSubject::Staff {
            role: Role::Admin,
            ..
        })
    ));
}

async fn display_sessions_are_per_meeting_and_revocable(store: Store) {
    let a = fixture(&store).await.meeting;
    let b = store
        .import_meeting(&sample_meeting("Other"))
        .await
        .unwrap();
    for (token, meeting) in [("d1", a), ("d2", a), ("d3", b)] {
        store
            .create_session(
                token,
                &SessionSubject::Display {
                    meeting_id: meeting,
                    // A teleprompter link is revoked with the display links.
                    prompter: token == "d2",
                },
            )
            .await
            .unwrap();
    }
    assert_eq!(
        store.find_session("d1").await.unwrap(),
        Some(SessionSubject::Display {
            meeting_id: a,
            prompter: false
        })
    );
    assert_eq!(
        store.find_session("d2").await.unwrap(),
        Some(SessionSubject::Display {
            meeting_id: a,
            prompter: true
        })
    );
    assert_eq!(store.delete_display_sessions(a).await.unwrap(), 2);
    assert_eq!(store.find_session("d1").await.unwrap(), None);
    assert_eq!(store.find_session("d2").await.unwrap(), None);
    assert!(
        store.find_session("d3").await.unwrap().is_some(),
        "other meeting kept"
    );
    assert_eq!(store.delete_display_sessions(a).await.unwrap(), 0);
}

async fn meeting_owner_and_shares(store: Store) {
    let m = fixture(&store).await.meeting;
    let olga = store
        .put_user_with_role("olga", "h", Some(Role::Organizer))
        .await
        .unwrap();
    let otto = store
        .put_user_with_role("otto", "h", Some(Role::Organizer))
        .await
        .unwrap();
    assert_eq!(
        store.meeting_access(m).await.unwrap(),
        Some(MeetingAccess::default()),
        "imported meetings belong to no organizer"
    );
    store.set_meeting_owner(m, Some(olga)).await.unwrap();
    store.share_meeting(m, otto).await.unwrap();
    store.share_meeting(m, otto).await.unwrap();
    assert_eq!(
        store.meeting_access(m).await.unwrap(),
        Some(MeetingAccess {
            owner: Some(olga),
            shared_with: vec![otto],
        })
    );
    assert_eq!(
        store.meeting_access(MeetingId(i64::MAX)).await.unwrap(),
        None
    );
    assert!(matches!(
        store.set_meeting_owner(MeetingId(i64::MAX), None).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        store.share_meeting(m, UserId(i64::MAX)).await,
        Err(StorageError::NotFound)
    ));
}

async fn load_meeting_ordering(store: Store) {
    let mut file = sample_meeting("Ordering");
    // Slugs out of alphabetical order: choices must come back in file order.
    file.activities[1].choices = vec![
        choice("Zed", "z", false),
        choice("Alpha", "a", false),
        choice("Mid", "m", false),
    ];
    let id = store.import_meeting(&file).await.unwrap();
    let loaded = store.load_meeting(id).await.unwrap();

    let titles: Vec<&str> = loaded.activities.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        vec!["Intro", "Favourite colour?", "2 + 2?", "One word"]
    );
    let kinds: Vec<ActivityKind> = loaded.activities.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ActivityKind::Text,
            ActivityKind::Poll,
            ActivityKind::Quiz,
            ActivityKind::Wordcloud
        ]
    );
    let slugs: Vec<&str> = loaded.activities[1]
        .choices
        .iter()
        .map(|c| c.slug.as_str())
        .collect();
    assert_eq!(slugs, vec!["z", "a", "m"]);
    assert_eq!(
        loaded.activities[0].description,
        "Welcome!\nSecond line, ünïcödé."
    );
    assert!(loaded.activities[2].choices[1].correct);
    assert!(!loaded.activities[2].choices[0].correct);
    let flags: Vec<&str> = loaded.flags.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(flags, vec!["h1dd3n", "easy"]);
    assert_eq!(
        (loaded.flags[0].points, loaded.flags[0].first_blood),
        (50, 25)
    );

    let ann = attendee(&store, id, "ann").await;
    let bob = attendee(&store, id, "bob").await;
    let cat = attendee(&store, id, "cat").await;
    let poll = loaded.activities[1].id;
    let quiz = loaded.activities[2].id;
    let c = |a: usize, i: usize| loaded.activities[a].choices[i].id;
    // Written out of time order, across batches; ties on time fall back to insertion order.
    store
        .apply(&[vote(poll, cat, c(1, 2), 300), vote(quiz, cat, c(2, 0), 100)])
        .await
        .unwrap();
    store
        .apply(&[vote(poll, ann, c(1, 0), 200), vote(poll, bob, c(1, 1), 100)])
        .await
        .unwrap();
    store.apply(&[vote(quiz, ann, c(2, 1), 100)]).await.unwrap();

    let loaded = store.load_meeting(id).await.unwrap();
    let order: Vec<(ActivityId, AttendeeId, Micros)> = loaded
        .votes
        .iter()
        .map(|v| (v.activity_id, v.attendee_id, v.at))
        .collect();
    assert_eq!(
        order,
        vec![
            (quiz, cat, 100),
            (poll, bob, 100),
            (quiz, ann, 100),
            (poll, ann, 200),
            (poll, cat, 300)
        ]
    );
    let attendees: Vec<&str> = loaded.attendees.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(attendees, vec!["ann", "bob", "cat"]);

    // Another meeting's answers never leak in.
    let other = fixture(&store).await;
    let dan = attendee(&store, other.meeting, "dan").await;
    store
        .apply(&[vote(other.activity(1), dan, other.choice(1, 0), 1)])
        .await
        .unwrap();
    assert_eq!(store.load_meeting(id).await.unwrap().votes.len(), 5);
    assert_eq!(
        store.load_meeting(other.meeting).await.unwrap().votes.len(),
        1
    );
}

async fn recent_attempts_are_latest_fifty(store: Store) {
    let f = fixture(&store).await;
    let ann = attendee(&store, f.meeting, "ann").await;
    let attempts: Vec<WriteOp> = (0..60)
        .map(|i| WriteOp::FlagAttempt {
            meeting: f.meeting,
            attendee: ann,
            submitted: format!("LK{{guess{i}}}"),
            flag: None,
            outcome: "wrong".into(),
            at: 1_000 + i,
        })
        .collect();
    store.apply(&attempts).await.unwrap();
    let loaded = store.load_meeting(f.meeting).await.unwrap();
    assert_eq!(loaded.recent_attempts.len(), 50);
    assert_eq!(loaded.recent_attempts[0].submitted, "LK{guess10}");
    assert_eq!(loaded.recent_attempts[49].submitted, "LK{guess59}");
    assert!(loaded.recent_attempts.windows(2).all(|w| w[0].at < w[1].at));
}

async fn running_meeting_ids_by_status(store: Store) {
    let mut ids = Vec::new();
    for status in MeetingStatus::ALL {
        let id = store
            .import_meeting(&sample_meeting(status.wire()))
            .await
            .unwrap();
        store
            .apply(&[WriteOp::Progress {
                meeting: id,
                status,
                position: 0,
                activities: vec![],
            }])
            .await
            .unwrap();
        ids.push((status, id));
    }
    let expected: Vec<MeetingId> = ids
        .iter()
        .filter(|(s, _)| {
            matches!(
                s,
                MeetingStatus::Waiting
                    | MeetingStatus::Ongoing
                    | MeetingStatus::Results
                    | MeetingStatus::Scoreboard
            )
        })
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(expected.len(), 4);
    assert_eq!(store.running_meeting_ids().await.unwrap(), expected);

    // Newest first; created in ALL order, so the listing is that order reversed.
    let listed: Vec<(MeetingId, MeetingStatus)> = store
        .list_meetings()
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.id, m.status))
        .collect();
    let mut newest_first: Vec<(MeetingId, MeetingStatus)> =
        ids.iter().map(|(s, id)| (*id, *s)).collect();
    newest_first.reverse();
    assert_eq!(listed, newest_first);
    assert_eq!(store.list_meetings().await.unwrap()[0].title, "undefined");
}

async fn five_thousand_votes_in_one_batch(store: Store) {
    let f = fixture(&store).await;
    // 2,500 attendees each answering the poll and the quiz: 5,000 votes in one apply.
    let mut attendees = Vec::new();
    for i in 0..2_500 {
        attendees.push(attendee(&store, f.meeting, &format!("user{i}")).await);
    }
    let mut ops = Vec::new();
    for (i, who) in attendees.iter().enumerate() {
        let at = i as Micros;
        ops.push(vote(f.activity(1), *who, f.choice(1, i % 3), at));
        ops.push(vote(f.activity(2), *who, f.choice(2, i % 3), at));
    }
    assert_eq!(ops.len(), 5_000);
    // Interleave other kinds so the batch is split into several multi-row inserts.
    ops.insert(1_234, word(f.activity(3), attendees[0], "interleaved", 0));
    ops.insert(
        3_000,
        WriteOp::Capture {
            flag: f.flag(1),
            attendee: attendees[1],
            points: 10,
            first_blood: true,
            at: 0,
        },
    );

    let started = std::time::Instant::now();
    store.apply(&ops).await.unwrap();
    eprintln!(
        "{:?}: applied {} ops in {:?}",
        store.backend(),
        ops.len(),
        started.elapsed()
    );

    let loaded = store.load_meeting(f.meeting).await.unwrap();
    assert_eq!(loaded.votes.len(), 5_000);
    assert_eq!(loaded.words.len(), 1);
    assert_eq!(loaded.captures.len(), 1);

    // As with reward_fastest: a different amount for nearly everyone.
    let points = |i: usize| 1_000 - (i as i64 % 700);
    let awards: Vec<(AttendeeId, i64)> = attendees
        .iter()
        .enumerate()
        .map(|(i, a)| (*a, points(i)))
        .collect();
    let started = std::time::Instant::now();
    store
        .apply(&[WriteOp::Award {
            activity: f.activity(2),
            awards,
        }])
        .await
        .unwrap();
    eprintln!(
        "{:?}: awarded 2,500 attendees in {:?}",
        store.backend(),
        started.elapsed()
    );
    let loaded = store.load_meeting(f.meeting).await.unwrap();
    for (i, who) in attendees.iter().enumerate() {
        let bonus = if i == 1 { 10 } else { 0 };
        assert_eq!(score_of(&loaded, *who), points(i) + bonus, "attendee {i}");
    }
    for v in &loaded.votes {
        let i = attendees.iter().position(|a| *a == v.attendee_id).unwrap();
        let expected = (v.activity_id == f.activity(2)).then(|| points(i));
        assert_eq!(v.points, expected);
    }
}

async fn migrations_go_down_and_up(store: Store) {
    use librekast_storage::migrations::Migrator;
    use sea_orm_migration::MigratorTrait;

    fixture(&store).await;
    Migrator::down(store.connection(), None)
        .await
        .expect("down");
    assert!(
        matches!(store.meeting_count().await, Err(StorageError::Database(_))),
        "tables dropped"
    );
    Migrator::up(store.connection(), None)
        .await
        .expect("up again");
    assert_eq!(store.meeting_count().await.unwrap(), 0);
    fixture(&store).await;
    assert_eq!(store.meeting_count().await.unwrap(), 1);
}

/// A database from before roles (only the first migration) migrates without loss: its
/// accounts become admins, its meetings belong to no organizer, its sessions (stored in
/// clear then) keep working, now stored hashed.
async fn roles_migration_keeps_accounts_and_meetings(store: Store) {
    use librekast_storage::migrations::Migrator;
    use sea_orm_migration::MigratorTrait;

    let m = fixture(&store).await.meeting;
    let ann = attendee(&store, m, "ann").await;
    let veteran_id = store.put_user("veteran", "h").await.unwrap();
    // Every migration after the initial one, however many later ones there are.
    let after_initial = u32::try_from(Migrator::migrations().len() - 1).unwrap();
    Migrator::down(store.connection(), Some(after_initial))
        .await
        .expect("back to the schema before roles");
    let backend = store.connection().get_database_backend();
    // A meeting that had already ended, with a participant's session.
    for sql in [
        format!(
            "UPDATE meetings SET status = '{}' WHERE id = {}",
            MeetingStatus::After.code(),
            m.0
        ),
        format!(
            "INSERT INTO sessions (token, kind, meeting_id, attendee_id, created_at) VALUES ('ann-token', 'participant', {}, {}, {})",
            m.0,
            ann.0,
            now_micros()
        ),
    ] {
        store
            .connection()
            .execute_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
    }
    store
        .connection()
        .execute_raw(Statement::from_string(
            backend,
            format!(
                "INSERT INTO sessions (token, kind, user_id, created_at) VALUES ('legacy-token', 'staff', {}, {})",
                veteran_id.0,
                now_micros()
            ),
        ))
        .await
        .unwrap();
    Migrator::up(store.connection(), None)
        .await
        .expect("migrate forward");
    let veteran = store.find_user("veteran").await.unwrap().unwrap();
    assert_eq!(
        (veteran.role, veteran.password_hash.as_str()),
        (Role::Admin, "h")
    );
    assert_eq!(store.meeting_count().await.unwrap(), 1);
    assert_eq!(
        store.meeting_access(m).await.unwrap(),
        Some(MeetingAccess::default())
    );
    assert!(!store.load_meeting(m).await.unwrap().attendees.is_empty());
    // The ended meeting's participants keep their sessions 30 days from the migration.
    let row = store
        .connection()
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT expires_at FROM sessions WHERE kind = 'participant'",
        ))
        .await
        .unwrap()
        .unwrap();
    let expires: Option<i64> = row.try_get("", "expires_at").unwrap();
    assert!(expires.is_some_and(|e| e > now_micros() + 29 * 86_400 * 1_000_000));
    assert!(store.find_session("ann-token").await.unwrap().is_some());
    // The session from before still opens, now through its hash.
    let found = store.find_session("legacy-token").await.unwrap();
    assert!(
        matches!(found, Some(SessionSubject::Staff { user_id, .. }) if user_id == veteran_id),
        "{found:?}"
    );
}

// ---------------------------------------------------------------- SQLite only

#[tokio::test]
async fn sqlite_file_uses_wal_and_survives_reconnect() {
    let path = std::env::temp_dir().join(format!("librekast-test-{}.db", unique_suffix()));
    // `sqlite:path` with no mode still creates the file.
    let url = format!("sqlite:{}", path.display());
    let store = Store::connect(&url).await.unwrap();
    assert!(path.exists());

    let pragma = |name: &'static str| {
        let store = store.clone();
        async move {
            let row = store
                .connection()
                .query_one_raw(Statement::from_string(
                    store.connection().get_database_backend(),
                    format!("PRAGMA {name}"),
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap()
        }
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("foreign_keys").await, "1");
    assert_eq!(pragma("synchronous").await, "2", "FULL");
    assert_eq!(pragma("busy_timeout").await, "5000");

    let id = store
        .import_meeting(&sample_meeting("Persisted"))
        .await
        .unwrap();
    store.connection().clone().close().await.unwrap();

    // Migrations are idempotent and the data is still there.
    let store = Store::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    assert_eq!(
        store.export_meeting(id).await.unwrap(),
        sample_meeting("Persisted")
    );
    store.connection().clone().close().await.unwrap();
    remove_sqlite_files(&path);
}

#[tokio::test]
async fn sqlite_memory_is_one_shared_database() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let id = store
        .import_meeting(&sample_meeting("Memory"))
        .await
        .unwrap();
    let clone = store.clone();
    let (a, b) = tokio::join!(store.load_meeting(id), clone.export_meeting(id));
    assert_eq!(a.unwrap().meeting.title, "Memory");
    assert_eq!(b.unwrap().title, "Memory");
    assert_eq!(clone.meeting_count().await.unwrap(), 1);
}

#[tokio::test]
async fn bad_urls_say_what_to_use() {
    for url in [
        "",
        "mysql://user:secret@host/db",
        "librekast.db",
        "http://x",
        "sqlite://x.db?mode=bogus",
        "postgres://user:secret@host:notaport/db",
    ] {
        match Store::connect(url).await {
            Err(StorageError::BadUrl(msg)) => {
                assert!(
                    msg.contains("sqlite://") && msg.contains("postgres://"),
                    "{url:?}: {msg}"
                );
                assert!(
                    !msg.contains("secret"),
                    "the password must not be echoed: {msg}"
                );
            }
            other => panic!("{url:?}: expected BadUrl, got {other:?}"),
        }
    }
}

async fn bulk_upsert_of_chat_viewers(store: Store) {
    let f = fixture(&store).await;
    let known = store
        .upsert_attendee(f.meeting, "old name", Platform::Youtube, "yt-7")
        .await
        .unwrap();
    let viewers: Vec<(String, String)> = (0..1_200)
        .map(|i| (format!("yt-{i}"), format!("viewer {i}")))
        .collect();
    let got = store
        .upsert_attendees(f.meeting, Platform::Youtube, &viewers)
        .await
        .unwrap();
    assert_eq!(got.len(), 1_200);
    let seven = got.iter().find(|a| a.platform_user_id == "yt-7").unwrap();
    assert_eq!(seven.id, known.id, "an existing viewer keeps its seat");
    assert_eq!(seven.name, "viewer 7", "and gets its new name");
    let again = store
        .upsert_attendees(f.meeting, Platform::Youtube, &viewers[..10])
        .await
        .unwrap();
    assert_eq!(again.len(), 10);
    let loaded = store.load_meeting(f.meeting).await.unwrap();
    assert_eq!(
        loaded
            .attendees
            .iter()
            .filter(|a| a.platform == Platform::Youtube)
            .count(),
        1_200
    );
    assert!(matches!(
        store
            .upsert_attendees(MeetingId(999_999), Platform::Twitch, &viewers[..1])
            .await,
        Err(StorageError::NotFound)
    ));
}

/// Joins written by `apply` (the group commit's path): new seats with allocated ids that
/// continue after the stored rows, chat viewers after them, a kept seat renamed in place,
/// and a session for each.
async fn joins_are_written_in_one_batch(store: Store) {
    let f = fixture(&store).await;
    let chat = store
        .upsert_attendees(
            f.meeting,
            Platform::Twitch,
            &[("t1".into(), "viewer".into())],
        )
        .await
        .unwrap();
    let kept = attendee(&store, f.meeting, "ann").await;
    assert!(kept.0 > chat[0].id.0);
    let join_to =
        |meeting: MeetingId, attendee: AttendeeId, name: &str, seat: JoinSeat, token: &str| {
            WriteOp::Join {
                meeting,
                attendee,
                name: name.into(),
                seat,
                session_hash: token_hash(token),
                at: now_micros(),
            }
        };
    let join =
        |attendee, name: &str, seat, token: &str| join_to(f.meeting, attendee, name, seat, token);
    let first = store.allocate_attendee_ids(3).await.unwrap();
    assert_eq!(first.0, kept.0 + 1, "ids continue after the stored ones");
    let mut ops = Vec::new();
    for i in 0..3 {
        ops.push(join(
            AttendeeId(first.0 + i),
            &format!("new {i}"),
            JoinSeat::New {
                platform_user_id: format!("u{i}"),
            },
            &format!("token {i}"),
        ));
    }
    ops.push(join(
        kept,
        "Ann B.",
        JoinSeat::Kept { renamed: true },
        "token ann",
    ));
    store.apply(&ops).await.unwrap();

    let loaded = store.load_meeting(f.meeting).await.unwrap();
    let names: Vec<&str> = loaded.attendees.iter().map(|a| a.name.as_str()).collect();
    for name in ["viewer", "Ann B.", "new 0", "new 1", "new 2"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(loaded.attendees.len(), 5);
    for (i, token) in ["token 0", "token 1", "token 2"].iter().enumerate() {
        assert_eq!(
            store.find_session(token).await.unwrap(),
            Some(SessionSubject::Participant {
                meeting_id: f.meeting,
                attendee_id: AttendeeId(first.0 + i as i64),
            })
        );
    }
    assert_eq!(
        store.find_session("token ann").await.unwrap(),
        Some(SessionSubject::Participant {
            meeting_id: f.meeting,
            attendee_id: kept,
        })
    );
    // A chat viewer created afterwards takes an id past the allocated ones.
    let later = store
        .upsert_attendees(
            f.meeting,
            Platform::Youtube,
            &[("y1".into(), "late".into())],
        )
        .await
        .unwrap();
    assert!(later[0].id.0 > first.0 + 2);
    // A kept seat of another meeting is not renamed: the batch fails whole.
    let other = store
        .import_meeting(&sample_meeting("Other"))
        .await
        .unwrap();
    let wrong = join_to(
        other,
        kept,
        "x",
        JoinSeat::Kept { renamed: true },
        "token x",
    );
    assert!(matches!(
        store.apply(&[wrong]).await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(store.find_session("token x").await.unwrap(), None);
}

// ---------------------------------------------------------------- editing

async fn plan_edits_keep_ids_and_lock_what_was_used(store: Store) {
    let f = fixture(&store).await;
    let plan = store.plan(f.meeting).await.unwrap();
    let ids: Vec<i64> = plan.activities.iter().map(|a| a.id.unwrap()).collect();
    assert_eq!(
        ids,
        f.loaded
            .activities
            .iter()
            .map(|a| a.id.0)
            .collect::<Vec<_>>(),
        "the plan carries the stored ids"
    );
    assert!(plan.activities[1].choices.iter().all(|c| c.id.is_some()));
    assert!(plan.flags.iter().all(|f| f.id.is_some()));

    // Before the meeting starts everything can change: reorder, edit, add, delete.
    let mut edit = plan.clone();
    edit.title = "Renamed".into();
    edit.activities.swap(1, 2);
    edit.activities[1].title = "2 + 2 = ?".into();
    edit.activities[1].choices.remove(0);
    edit.activities[1].choices.push(ChoiceFile {
        id: None,
        text: "22".into(),
        slug: String::new(),
        correct: false,
    });
    edit.activities.remove(3);
    edit.bots = serde_json::from_str(
        r#"[{"kind": "command", "name": "discord", "reply": "Join us, {user}"},
            {"kind": "revolution", "name": "hype", "threshold": 5, "window_secs": 60, "message": "HYPE"}]"#,
    )
    .unwrap();
    edit.activities.push(ActivityFile {
        notes: "Say thanks to the sponsors".into(),
        description: "**bye**".into(),
        markup: Markup::Markdown,
        ..activity(ActivityKind::Text, "Thanks", vec![])
    });
    let saved = store.replace_plan(f.meeting, &edit, 0, None).await.unwrap();
    assert_eq!(saved.title, "Renamed");
    assert_eq!(saved.bots, edit.bots, "bots are stored with the plan");
    assert_eq!(
        store.export_meeting(f.meeting).await.unwrap().bots.len(),
        2,
        "and exported"
    );
    let saved_ids: Vec<Option<i64>> = saved.activities.iter().map(|a| a.id).collect();
    assert_eq!(saved_ids[..3], [Some(ids[0]), Some(ids[2]), Some(ids[1])]);
    assert!(saved_ids[3].is_some() && !ids.contains(&saved_ids[3].unwrap()));
    assert_eq!(saved.activities[3].markup, Markup::Markdown);
    assert_eq!(saved.activities[3].notes, "Say thanks to the sponsors");
    let quiz = &saved.activities[1];
    assert_eq!(quiz.choices.len(), 3);
    assert_eq!(
        quiz.choices[..2].iter().map(|c| c.id).collect::<Vec<_>>(),
        plan.activities[2].choices[1..]
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        "kept choices keep their ids"
    );
    assert_eq!(
        quiz.choices[2].slug, "a",
        "a new choice gets the first free slug"
    );
    assert_eq!(
        store
            .load_meeting(f.meeting)
            .await
            .unwrap()
            .activities
            .len(),
        4,
        "the word cloud left out was deleted"
    );

    // Every problem at once, each with its field.
    let mut broken = saved.clone();
    broken.title = " ".into();
    broken.activities[1].choices[0].text = String::new();
    match store.replace_plan(f.meeting, &broken, 0, None).await {
        Err(StorageError::InvalidPlan(errors)) => {
            let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(fields, ["title", "activities[1].choices[0].text"]);
        }
        other => panic!("expected InvalidPlan, got {other:?}"),
    }
    let mut foreign = saved.clone();
    foreign.activities[2].id = Some(999_999);
    match store.replace_plan(f.meeting, &foreign, 0, None).await {
        Err(StorageError::InvalidPlan(errors)) => assert_eq!(errors[0].field, "activities[2].id"),
        other => panic!("expected InvalidPlan, got {other:?}"),
    }

    // Two activities reached: they come back unchanged, or the edit is refused.
    let mut changed = saved.clone();
    changed.activities[1].title = "Changed after it was shown".into();
    match store.replace_plan(f.meeting, &changed, 2, None).await {
        Err(StorageError::PlanLocked { field, .. }) => assert_eq!(field, "activities[1]"),
        other => panic!("expected PlanLocked, got {other:?}"),
    }
    // Notes stay editable on what was reached (the speaker's own text).
    let mut noted = saved.clone();
    noted.activities[0].notes = "The answer is 4".into();
    let renoted = store
        .replace_plan(f.meeting, &noted, 2, None)
        .await
        .unwrap();
    assert_eq!(renoted.activities[0].notes, "The answer is 4");
    let mut deleted = saved.clone();
    deleted.activities.remove(0);
    match store.replace_plan(f.meeting, &deleted, 2, None).await {
        Err(StorageError::PlanLocked { field, .. }) => assert_eq!(field, "activities[0]"),
        other => panic!("expected PlanLocked, got {other:?}"),
    }
    let mut moved = saved.clone();
    moved.activities.swap(1, 2);
    assert!(matches!(
        store.replace_plan(f.meeting, &moved, 2, None).await,
        Err(StorageError::PlanLocked { .. })
    ));
    let mut later = saved.clone();
    later.activities[3].title = "Thank you".into();
    later.activities.swap(2, 3);
    let after = store
        .replace_plan(f.meeting, &later, 2, None)
        .await
        .unwrap();
    assert_eq!(after.activities[2].title, "Thank you");

    // A captured flag keeps its code and points; its name may change.
    let ann = attendee(&store, f.meeting, "ann").await;
    store
        .apply(&[WriteOp::Capture {
            flag: f.flag(0),
            attendee: ann,
            points: 75,
            first_blood: true,
            at: 1,
        }])
        .await
        .unwrap();
    let mut recoded = after.clone();
    recoded.flags[0].code = "other".into();
    match store.replace_plan(f.meeting, &recoded, 2, None).await {
        Err(StorageError::PlanLocked { field, .. }) => assert_eq!(field, "flags[0]"),
        other => panic!("expected PlanLocked, got {other:?}"),
    }
    let mut renamed = after.clone();
    renamed.flags[0].name = "The hidden one".into();
    renamed.flags.swap(0, 1);
    let stored = store
        .replace_plan(f.meeting, &renamed, 2, None)
        .await
        .unwrap();
    assert_eq!(stored.flags[1].name, "The hidden one");
    assert_eq!(
        store.load_meeting(f.meeting).await.unwrap().captures.len(),
        1,
        "the capture is still there"
    );
}

async fn reset_delete_and_moderation_writes(store: Store) {
    let f = fixture(&store).await;
    let ann = attendee(&store, f.meeting, "ann").await;
    let bob = attendee(&store, f.meeting, "bob").await;
    store
        .apply(&[
            vote(f.activity(1), ann, f.choice(1, 0), 1),
            vote(f.activity(1), bob, f.choice(1, 1), 2),
            WriteOp::Remove { attendee: bob },
            WriteOp::HideWords {
                activity: f.activity(3),
                words: vec!["rude".into()],
            },
            WriteOp::BlockedWords {
                meeting: f.meeting,
                words: vec!["spam".into()],
            },
            WriteOp::Progress {
                meeting: f.meeting,
                status: MeetingStatus::Ongoing,
                position: 1,
                activities: vec![(f.activity(1), ActivityState::Open)],
            },
        ])
        .await
        .unwrap();
    let loaded = store.load_meeting(f.meeting).await.unwrap();
    assert!(loaded.attendees.iter().any(|a| a.id == bob && a.removed));
    assert_eq!(loaded.activities[3].hidden_words, ["rude"]);
    assert_eq!(loaded.meeting.blocked_words, ["spam"]);
    assert_eq!(store.reached_activities(f.meeting).await.unwrap(), 2);
    // A removed attendee's answers no longer count in the results either.
    let results = store.meeting_results(f.meeting).await.unwrap();
    assert_eq!(results.activities[1].answered, 1);
    assert!(results.scoreboard.iter().all(|r| r.name != "bob"));
    assert_eq!(results.answers.len(), 1, "{:?}", results.answers);

    let listing = store.meeting_listing().await.unwrap();
    let row = listing.iter().find(|m| m.id == f.meeting).unwrap();
    assert_eq!((row.activities, row.attendees), (4, 2));

    store.reset_meeting(f.meeting).await.unwrap();
    let reset = store.load_meeting(f.meeting).await.unwrap();
    assert_eq!(reset.meeting.status, MeetingStatus::Before);
    assert!(reset.attendees.is_empty() && reset.votes.is_empty());
    assert!(
        reset
            .activities
            .iter()
            .all(|a| a.state == ActivityState::Pending)
    );
    assert!(reset.activities[3].hidden_words.is_empty());
    assert_eq!(reset.activities.len(), 4, "the plan stays");
    assert_eq!(store.reached_activities(f.meeting).await.unwrap(), 0);

    store.delete_meeting(f.meeting).await.unwrap();
    assert!(store.meeting(f.meeting).await.unwrap().is_none());
    assert!(matches!(
        store.delete_meeting(f.meeting).await,
        Err(StorageError::NotFound)
    ));
}

/// Scales, grids, multi-select and their options: the file round trip, ratings and votes
/// of several rows, their duplicates, the results (statistics and one CSV row each) and a
/// reset that clears them.
async fn ratings_and_multi_select(store: Store) {
    let file: MeetingFile = serde_json::from_value(serde_json::json!({
        "title": "Kinds", "code": "kinds", "scoring": "speed", "streak_bonus": 100,
        "activities": [
            {"kind": "scale", "title": "Rate", "scale": {"min": 0, "max": 10, "labels": ["Low", "High"]}},
            {"kind": "grid", "title": "Grid", "prior_weight": 3,
             "scale": {"min": 1, "max": 5, "labels": []},
             "choices": [{"text": "One"}, {"text": "Two"}]},
            {"kind": "poll", "title": "Many", "max_choices": 2,
             "choices": [{"text": "A"}, {"text": "B"}, {"text": "C"}]},
            {"kind": "quiz", "title": "Primes", "max_choices": 3, "partial_credit": true,
             "time_limit_secs": 20,
             "choices": [{"text": "2", "correct": true}, {"text": "4"}, {"text": "5", "correct": true}]},
            {"kind": "scale", "title": "Stars"}
        ]
    }))
    .unwrap();
    let mut expected = file.clone();
    expected.fill_slugs();
    expected.validate().unwrap();
    let meeting = store.import_meeting(&expected).await.unwrap();
    assert_eq!(store.export_meeting(meeting).await.unwrap(), expected);
    let json = serde_json::to_value(store.export_meeting(meeting).await.unwrap()).unwrap();
    assert_eq!(json["streak_bonus"], 100);
    assert_eq!(json["activities"][2]["max_choices"], 2);
    assert!(
        json["activities"][4].get("scale").is_none(),
        "defaults stay out"
    );
    assert!(json["activities"][0].get("max_choices").is_none());

    let loaded = store.load_meeting(meeting).await.unwrap();
    assert_eq!(loaded.meeting.streak_bonus, 100);
    let (scale, grid, poll, quiz) = (
        &loaded.activities[0],
        &loaded.activities[1],
        &loaded.activities[2],
        &loaded.activities[3],
    );
    assert_eq!(scale.scale.as_ref().map(|s| (s.min, s.max)), Some((0, 10)));
    assert_eq!(grid.prior_weight, Some(3));
    assert_eq!((quiz.max_choices, quiz.partial_credit), (3, true));
    let ann = attendee(&store, meeting, "ann").await;
    let bob = attendee(&store, meeting, "bob").await;
    let rating =
        |activity: ActivityId, attendee, item: Option<ChoiceId>, value, at| WriteOp::Rating {
            activity,
            attendee,
            item,
            value,
            at,
        };
    store
        .apply(&[
            rating(scale.id, ann, None, 7, 1),
            rating(scale.id, bob, None, 2, 2),
            rating(grid.id, ann, Some(grid.choices[0].id), 5, 3),
            rating(grid.id, ann, Some(grid.choices[1].id), 2, 3),
            rating(grid.id, bob, Some(grid.choices[1].id), 4, 4),
            vote(poll.id, ann, poll.choices[0].id, 5),
            vote(poll.id, ann, poll.choices[2].id, 5),
            vote(poll.id, bob, poll.choices[2].id, 6),
            vote(quiz.id, ann, quiz.choices[0].id, 7),
            vote(quiz.id, ann, quiz.choices[2].id, 7),
            vote(quiz.id, bob, quiz.choices[0].id, 8),
            WriteOp::Award {
                activity: quiz.id,
                awards: vec![(ann, 1000), (bob, 500)],
            },
        ])
        .await
        .unwrap();
    // The same grid item twice, the same choice twice: refused, nothing of the batch kept.
    assert_duplicate(
        store
            .apply(&[
                rating(scale.id, bob, None, 3, 9),
                rating(grid.id, bob, Some(grid.choices[1].id), 1, 9),
            ])
            .await,
    );
    assert_duplicate(
        store
            .apply(&[vote(poll.id, bob, poll.choices[2].id, 9)])
            .await,
    );
    let reloaded = store.load_meeting(meeting).await.unwrap();
    assert_eq!(reloaded.ratings.len(), 5);
    assert_eq!(reloaded.votes.len(), 6);
    assert_eq!(score_of(&reloaded, ann), 1000);
    assert!(
        reloaded
            .votes
            .iter()
            .filter(|v| v.attendee_id == ann && v.activity_id == quiz.id)
            .all(|v| v.points == Some(1000)),
        "every row of a multi-select vote carries its points"
    );

    let results = store.meeting_results(meeting).await.unwrap();
    let r = &results.activities;
    let stats = r[0].rating.as_ref().unwrap();
    assert_eq!(
        (stats.count, stats.mean, stats.median),
        (2, Some(4.5), Some(4.5))
    );
    assert_eq!(r[0].answered, 2);
    let g = r[1].grid.as_ref().unwrap();
    assert_eq!(g.prior_weight, 3);
    assert_eq!(g.items[1].stats.count, 2);
    assert_eq!(g.ranking[0], grid.choices[0].id);
    assert_eq!(r[1].answered, 2);
    assert_eq!(r[2].answered, 2, "voters, not choices");
    assert_eq!(r[2].choices[2].count, 2);
    let json = serde_json::to_value(&results).unwrap();
    assert!(json["activities"][1]["ranking"].is_array(), "{json}");
    assert!(json["activities"][2].get("rating").is_none());
    let rows: Vec<(String, &str, Option<bool>, Option<i64>)> = results
        .answers
        .iter()
        .map(|a| (a.answer.clone(), a.kind.wire(), a.correct, a.points))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("7".into(), "scale", None, None),
            ("2".into(), "scale", None, None),
            ("a=5;b=2".into(), "grid", None, None),
            ("b=4".into(), "grid", None, None),
            ("a;c".into(), "poll", None, None),
            ("c".into(), "poll", None, None),
            ("a;c".into(), "quiz", Some(true), Some(1000)),
            ("a".into(), "quiz", Some(false), Some(500)),
        ]
    );

    store.reset_meeting(meeting).await.unwrap();
    let reset = store.load_meeting(meeting).await.unwrap();
    assert!(reset.ratings.is_empty() && reset.votes.is_empty());

    // Rules each option must follow.
    let broken = |change: fn(&mut serde_json::Value)| {
        let mut v = serde_json::to_value(&expected).unwrap();
        change(&mut v);
        let f: MeetingFile = serde_json::from_value(v).unwrap();
        f.validate().unwrap_err().to_string()
    };
    for (change, says) in [
        (
            (|v: &mut serde_json::Value| v["activities"][0]["scale"]["min"] = 10.into())
                as fn(&mut serde_json::Value),
            "must be below max",
        ),
        (
            |v| v["activities"][0]["scale"]["max"] = 200.into(),
            "between -100 and 100",
        ),
        (
            |v| v["activities"][0]["scale"]["labels"] = serde_json::json!(["a", "b", "c"]),
            "give none, 2",
        ),
        (|v| v["activities"][2]["max_choices"] = 4.into(), "use 1"),
        (
            |v| v["activities"][3]["max_choices"] = 1.into(),
            "partial credit needs several",
        ),
        (
            |v| v["activities"][1]["choices"][0]["correct"] = true.into(),
            "none is correct",
        ),
        (
            |v| v["activities"][0]["prior_weight"] = 5.into(),
            "only grids",
        ),
        (
            |v| v["scoring"] = "first_bonus".into(),
            "streak bonus adds to speed",
        ),
        (
            |v| v["activities"][2]["scale"] = serde_json::json!({"min": 1, "max": 5}),
            "only scales and grids",
        ),
    ] {
        let message = broken(change);
        assert!(message.contains(says), "{message}");
    }
}

/// Open questions and Q&A: the file round trip (image, alt, sounds, options), posts and
/// upvotes written in batches, their duplicates refused, moderation decisions, the
/// results (items with votes, CSV rows) and a reset that clears them.
async fn posts_upvotes_and_moderation(store: Store) {
    let image = "0123456789abcdef0123456789abcdef";
    let file: MeetingFile = serde_json::from_value(serde_json::json!({
        "title": "Posts", "code": "posts", "sounds": false,
        "activities": [
            {"kind": "text", "title": "Slide", "image": image, "alt": "A chart"},
            {"kind": "text_answer", "title": "Open", "auto_approve": true},
            {"kind": "qna", "title": "Q&A"},
            {"kind": "poll", "title": "P", "hide_results_until_reveal": true,
             "choices": [{"text": "a"}, {"text": "b"}]}
        ]
    }))
    .unwrap();
    let mut expected = file.clone();
    expected.fill_slugs();
    expected.validate().unwrap();
    let meeting = store.import_meeting(&expected).await.unwrap();
    assert_eq!(store.export_meeting(meeting).await.unwrap(), expected);
    let loaded = store.load_meeting(meeting).await.unwrap();
    assert!(!loaded.meeting.sounds);
    let a = &loaded.activities;
    assert_eq!(
        (a[0].image.as_deref(), a[0].alt.as_str()),
        (Some(image), "A chart")
    );
    assert_eq!(
        (a[1].kind, a[1].auto_approve),
        (ActivityKind::TextAnswer, true)
    );
    assert_eq!(a[2].kind, ActivityKind::Qna);
    assert!(a[3].hide_results);
    let (open, qna) = (a[1].id, a[2].id);
    let ann = attendee(&store, meeting, "ann").await;
    let bob = attendee(&store, meeting, "bob").await;
    let post = |activity, number, attendee, text: &str, at| WriteOp::Post {
        activity,
        number,
        attendee,
        text: text.into(),
        status: PostStatus::Pending,
        at,
    };
    let upvote = |number, attendee, at| WriteOp::Upvote {
        activity: qna,
        number,
        attendee,
        at,
    };
    store
        .apply(&[
            post(open, 1, ann, "Yes, \"quoted\", =1+1", 1),
            post(qna, 1, ann, "Why?", 2),
            post(qna, 2, bob, "How?", 3),
            upvote(1, bob, 4),
            upvote(2, ann, 5),
            upvote(2, bob, 6),
            WriteOp::Moderate {
                activity: qna,
                number: 2,
                status: PostStatus::Approved,
                pinned: true,
                answered: false,
            },
            WriteOp::Sounds { meeting, on: true },
        ])
        .await
        .unwrap();
    assert_duplicate(store.apply(&[post(qna, 2, ann, "again", 7)]).await);
    assert_duplicate(store.apply(&[upvote(1, bob, 8)]).await);
    let reloaded = store.load_meeting(meeting).await.unwrap();
    assert!(reloaded.meeting.sounds);
    assert_eq!(reloaded.posts.len(), 3);
    let pinned = reloaded
        .posts
        .iter()
        .find(|p| p.activity_id == qna && p.number == 2)
        .unwrap();
    assert_eq!(
        (pinned.status, pinned.pinned, pinned.attendee_id),
        (PostStatus::Approved, true, bob)
    );
    assert_eq!(reloaded.upvotes.len(), 3);

    let results = store.meeting_results(meeting).await.unwrap();
    let items = results.activities[2].items.as_deref().unwrap();
    assert_eq!(
        items.iter().map(|i| (i.id, i.votes)).collect::<Vec<_>>(),
        [(1, 1), (2, 2)]
    );
    assert_eq!(items[1].status_word(), "pinned");
    assert_eq!(
        results.activities[1].items.as_deref().unwrap()[0].text,
        "Yes, \"quoted\", =1+1"
    );
    assert_eq!(results.activities[2].answered, 2);
    assert_eq!(results.activities[0].image.as_deref(), Some(image));
    let rows: Vec<(&str, String, Option<&str>)> = results
        .answers
        .iter()
        .map(|r| (r.kind.wire(), r.answer.clone(), r.status))
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "text_answer",
                "Yes, \"quoted\", =1+1".into(),
                Some("pending")
            ),
            ("qna", "Why?".into(), Some("pending")),
            ("qna", "How?".into(), Some("pinned")),
            ("upvote", "+1".into(), None),
            ("upvote", "+2".into(), None),
            ("upvote", "+2".into(), None),
        ]
    );

    store.reset_meeting(meeting).await.unwrap();
    let reset = store.load_meeting(meeting).await.unwrap();
    assert!(reset.posts.is_empty() && reset.upvotes.is_empty());

    // Rules of the new fields.
    let broken = |change: fn(&mut serde_json::Value)| {
        let mut v = serde_json::to_value(&expected).unwrap();
        change(&mut v);
        let f: MeetingFile = serde_json::from_value(v).unwrap();
        f.validate().unwrap_err().to_string()
    };
    for (change, says) in [
        (
            (|v: &mut serde_json::Value| v["activities"][0]["alt"] = "".into())
                as fn(&mut serde_json::Value),
            "activities[0].alt is empty",
        ),
        (
            |v| v["activities"][0]["alt"] = "x".repeat(301).into(),
            "at most 300",
        ),
        (
            |v| v["activities"][0]["image"] = "logo.png".into(),
            "32 hex digits",
        ),
        (
            |v| {
                v["activities"][3]["alt"] = "stray".into();
            },
            "no image to describe",
        ),
        (
            |v| v["activities"][2]["choices"] = serde_json::json!([{"text": "x", "slug": "a"}]),
            "takes no choices",
        ),
        (
            |v| v["activities"][3]["auto_approve"] = true.into(),
            "activities[3].auto_approve",
        ),
        (
            |v| v["activities"][2]["hide_results_until_reveal"] = true.into(),
            "only polls",
        ),
    ] {
        let message = broken(change);
        assert!(message.contains(says), "{message}");
    }
}
