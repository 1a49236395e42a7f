//! Alerts from the platforms end to end: Twitch follows, subs, gifted subs and raids over
//! EventSub WebSocket (the fake Twitch speaking the recorded frames of
//! `tests/fixtures/twitch-eventsub-ws.json`), YouTube members and Super Chats from the live
//! chat, as `alert` frames for staff and displays with ids that only increase. Also what
//! keeps EventSub alive: reconnects (dropped, closed, `session_reconnect`, silent) with the
//! subscriptions renewed each time, revocations, missing scopes, and no connection at all
//! for anonymous readers.

use std::time::Duration;

use anyhow::{Context, bail};
use librekast_adapters::accounts::save_twitch_tokens;
use librekast_adapters::twitch::auth::TwitchAuth;
use librekast_fakes::twitch::{DEFAULT_SCOPES, FakeTwitch, recorded_event};
use librekast_storage::{MeetingFile, MeetingId};
use librekast_tests::*;
use serde_json::{Value, json};

/// The five subscriptions the adapter makes.
const KINDS: [&str; 5] = [
    "channel.follow",
    "channel.subscribe",
    "channel.subscription.message",
    "channel.subscription.gift",
    "channel.raid",
];
/// What LibreKast asks Twitch for (chat and alerts).
const ALERT_SCOPES: &[&str] = &[
    "chat:read",
    "chat:edit",
    "moderator:read:followers",
    "channel:read:subscriptions",
];

/// A name no other test of this process uses, and a numeric user id to go with it.
fn unique(tag: &str) -> (String, String) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id() % 10_000;
    // A Twitch login has at most 25 characters.
    let name: String = format!("al{pid}n{n}_{tag}").chars().take(25).collect();
    (name, format!("7{pid:04}{n:04}"))
}

/// A streamer whose own account is connected for the admin (it reads its own channel).
struct Streamer {
    channel: String,
    id: String,
}

async fn streamer(
    ts: &TestServer,
    fake: &FakeTwitch,
    tag: &str,
    scopes: &[&str],
) -> anyhow::Result<Streamer> {
    let (channel, id) = unique(tag);
    let (access, refresh) = (format!("{channel}-access"), format!("{channel}-refresh"));
    fake.add_token_with_scopes(&access, Some(&refresh), &channel, &id, 14_400, scopes);
    let store = ts.server.engine.store();
    let admin = store.find_user("admin").await?.context("admin")?;
    let auth = TwitchAuth::new(&fake_platforms()?)?;
    save_twitch_tokens(store, &auth, admin.id, &access, Some(&refresh)).await?;
    Ok(Streamer { channel, id })
}

fn meeting_file(sources: Value) -> anyhow::Result<MeetingFile> {
    Ok(serde_json::from_value(json!({
        "title": "Alerts",
        "code": "al3rts",
        "activities": [{"kind": "poll", "title": "Pick", "choices": [
            {"text": "A", "slug": "a"}, {"text": "B", "slug": "b"}]}],
        "sources": sources,
    }))?)
}

/// A meeting whose sources the admin adds on the dashboard (so they use the admin's
/// accounts), and the admin's connection to it.
async fn meeting_with(
    ts: &TestServer,
    admin: &str,
    sources: Value,
) -> anyhow::Result<(i64, Client)> {
    let meeting = ts
        .server
        .engine
        .store()
        .import_meeting(&meeting_file(json!([]))?)
        .await?
        .0;
    let org = ts.connect(meeting, admin).await?;
    let res = ts
        .http
        .put(ts.url(&format!("/api/meetings/{meeting}/sources")))
        .header("Authorization", format!("Bearer {admin}"))
        .json(&json!({ "sources": sources }))
        .send()
        .await?;
    let status = res.status();
    if !status.is_success() {
        bail!("sources refused: {status} {}", res.text().await?);
    }
    Ok((meeting, org))
}

/// Waits until the meeting's `platform` source is `connected` with a message containing
/// `needle` (polling the handle: nothing can be missed).
async fn wait_status(
    ts: &TestServer,
    meeting: i64,
    platform: &str,
    needle: &str,
) -> anyhow::Result<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let all = ts
            .server
            .engine
            .running(MeetingId(meeting))
            .map(|h| h.source_statuses())
            .unwrap_or_default();
        if let Some(s) = all.iter().find(|s| {
            s.platform == platform && s.status == "connected" && s.message.contains(needle)
        }) {
            return Ok(s.message.clone());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the {platform} source never said {needle:?}: {all:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The recorded event of `kind`, about `s`'s channel, with `fields` changed.
fn event(kind: &str, s: &Streamer, fields: Value) -> Value {
    let mut e = recorded_event(kind);
    let prefix = if kind == "channel.raid" {
        "to_broadcaster"
    } else {
        "broadcaster"
    };
    e[format!("{prefix}_user_id")] = json!(s.id);
    e[format!("{prefix}_user_login")] = json!(s.channel);
    e[format!("{prefix}_user_name")] = json!(s.channel);
    if let (Some(e), Some(fields)) = (e.as_object_mut(), fields.as_object()) {
        for (k, v) in fields {
            e.insert(k.clone(), v.clone());
        }
    }
    e
}

/// The next `n` alert frames.
async fn alerts(client: &mut Client, n: usize) -> anyhow::Result<Vec<Value>> {
    let mut got = Vec::new();
    while got.len() < n {
        got.push(
            client
                .wait_for(|v| v["type"] == "alert")
                .await
                .with_context(|| format!("alert {} of {n}; got {got:?}", got.len() + 1))?,
        );
    }
    Ok(got)
}

fn summary(alerts: &[Value]) -> Vec<(String, String, String, Value, Value, Value)> {
    alerts
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or("").to_string(),
                a["platform"].as_str().unwrap_or("").to_string(),
                a["user"].as_str().unwrap_or("").to_string(),
                a["amount"].clone(),
                a["months"].clone(),
                a["text"].clone(),
            )
        })
        .collect()
}

fn assert_increasing(alerts: &[Value]) -> anyhow::Result<Vec<u64>> {
    let ids: Vec<u64> = alerts.iter().filter_map(|a| a["id"].as_u64()).collect();
    if ids.len() != alerts.len() || ids.windows(2).any(|w| w[0] >= w[1]) {
        bail!("alert ids must only increase: {ids:?}");
    }
    Ok(ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twitch_alerts_reach_staff_and_displays_once_each_in_order() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let ts = TestServer::start("alerts-twitch").await?;
    let admin = ts.admin_token().await?;
    let s = streamer(&ts, fake, "order", ALERT_SCOPES).await?;
    let (meeting, mut org) = meeting_with(
        &ts,
        &admin,
        json!([{"platform": "twitch", "channel": s.channel}]),
    )
    .await?;
    let display = ts.display_token(meeting).await?;
    let mut screen = ts.connect(meeting, &display).await?;

    let session = fake.wait_eventsub_session(&s.id, &KINDS, &[]).await;
    let requests = fake.wait_eventsub_requests(&session, 5).await;
    assert!(
        requests.iter().all(|r| r.status == 202),
        "every subscription created: {requests:?}"
    );
    let follow = requests
        .iter()
        .find(|r| r.kind == "channel.follow")
        .context("follow")?;
    assert_eq!(follow.version, "2");
    assert_eq!(
        follow.condition,
        json!({"broadcaster_user_id": s.id, "moderator_user_id": s.id})
    );
    wait_status(
        &ts,
        meeting,
        "twitch",
        "alerts: follows, subscriptions, resubscriptions, gifted subs and raids",
    )
    .await?;

    let fan = event(
        "channel.follow",
        &s,
        json!({"user_name": "Fan_One", "user_login": "fan_one"}),
    );
    let id = fake.eventsub_notify(&s.id, "channel.follow", &fan);
    // Twitch may deliver a notification twice, under the same id: one alert.
    assert_eq!(
        fake.eventsub_notify_with_id(&s.id, "channel.follow", &fan, &id),
        1
    );
    // A gifted sub's recipient: the gifter's event below reports it.
    fake.eventsub_notify(
        &s.id,
        "channel.subscribe",
        &event("channel.subscribe", &s, json!({"user_name": "Gifted_One"})),
    );
    fake.eventsub_notify(
        &s.id,
        "channel.subscription.gift",
        &event(
            "channel.subscription.gift",
            &s,
            json!({"user_name": "Generous", "total": 3}),
        ),
    );
    fake.eventsub_notify(
        &s.id,
        "channel.subscription.message",
        &event(
            "channel.subscription.message",
            &s,
            json!({"user_name": "Loyal"}),
        ),
    );
    fake.eventsub_notify(
        &s.id,
        "channel.subscribe",
        &event(
            "channel.subscribe",
            &s,
            json!({"user_name": "Newbie", "is_gift": false}),
        ),
    );
    fake.eventsub_notify(
        &s.id,
        "channel.raid",
        &event(
            "channel.raid",
            &s,
            json!({"from_broadcaster_user_name": "Raider", "viewers": 42}),
        ),
    );

    let staff = alerts(&mut org, 5).await?;
    let t = |k: &str, u: &str, amount: Value, months: Value, text: &str| {
        (
            k.to_string(),
            "twitch".to_string(),
            u.to_string(),
            amount,
            months,
            json!(text),
        )
    };
    assert_eq!(
        summary(&staff),
        vec![
            t("follow", "Fan_One", Value::Null, Value::Null, ""),
            t("gift", "Generous", json!(3.0), Value::Null, ""),
            // The recorded resub: 15 cumulative months and its message.
            t(
                "sub",
                "Loyal",
                Value::Null,
                json!(15),
                "Love the stream! FevziGG"
            ),
            t("sub", "Newbie", Value::Null, json!(1), ""),
            t("raid", "Raider", json!(42.0), Value::Null, ""),
        ]
    );
    let ids = assert_increasing(&staff)?;
    // The display (OBS overlay) gets the same alerts, same ids.
    let shown = alerts(&mut screen, 5).await?;
    assert_eq!(
        shown
            .iter()
            .filter_map(|a| a["id"].as_u64())
            .collect::<Vec<_>>(),
        ids
    );
    // Nothing came twice: the next alert is the next one raised.
    fake.eventsub_notify(
        &s.id,
        "channel.raid",
        &event(
            "channel.raid",
            &s,
            json!({"from_broadcaster_user_name": "Marker", "viewers": 1}),
        ),
    );
    let next = alerts(&mut org, 1).await?;
    assert_eq!(next[0]["user"], "Marker", "{next:?}");
    assert!(next[0]["id"].as_u64() > ids.last().copied());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eventsub_reconnects_and_renews_its_subscriptions_every_time() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let ts = TestServer::start("alerts-reconnect").await?;
    let admin = ts.admin_token().await?;
    let s = streamer(&ts, fake, "reconnect", ALERT_SCOPES).await?;
    let (meeting, mut org) = meeting_with(
        &ts,
        &admin,
        json!([{"platform": "twitch", "channel": s.channel}]),
    )
    .await?;
    let raid = |who: &str| {
        event(
            "channel.raid",
            &s,
            json!({"from_broadcaster_user_name": who, "viewers": 5}),
        )
    };

    // Dropped without a close frame: a new connection, every subscription made again.
    let first = fake.wait_eventsub_session(&s.id, &KINDS, &[]).await;
    assert_eq!(fake.eventsub_drop(&s.id), 1);
    let second = fake
        .wait_eventsub_session(&s.id, &KINDS, std::slice::from_ref(&first))
        .await;
    let made = fake.wait_eventsub_requests(&second, 5).await;
    assert!(made.iter().all(|r| r.status == 202), "{made:?}");
    fake.eventsub_notify(&s.id, "channel.raid", &raid("After drop"));
    assert_eq!(alerts(&mut org, 1).await?[0]["user"], "After drop");

    // session_reconnect: the client moves to the reconnect URL (the session and its
    // subscriptions move with it), closes the old connection and renews the subscriptions,
    // which Twitch says exist already.
    let before = made.len();
    assert_eq!(fake.eventsub_send_reconnect(&s.id), 1);
    let renewed = fake.wait_eventsub_requests(&second, before + 5).await;
    assert!(
        renewed[before..].iter().all(|r| r.status == 409),
        "{renewed:?}"
    );
    fake.wait_eventsub_connections(&second, 1).await;
    fake.eventsub_notify(&s.id, "channel.raid", &raid("After move"));
    assert_eq!(alerts(&mut org, 1).await?[0]["user"], "After move");

    // A close with one of Twitch's codes: a fresh session, subscribed again.
    assert_eq!(fake.eventsub_close(&s.id, 4000), 1);
    let third = fake
        .wait_eventsub_session(&s.id, &KINDS, &[first.clone(), second.clone()])
        .await;
    assert!(
        fake.wait_eventsub_requests(&third, 5)
            .await
            .iter()
            .all(|r| r.status == 202)
    );

    // A revocation: said in the status, the other alerts go on.
    assert_eq!(
        fake.eventsub_revoke(&s.id, "channel.follow", "authorization_revoked"),
        1
    );
    let status = wait_status(
        &ts,
        meeting,
        "twitch",
        "Twitch stopped follows (authorization_revoked): connect the Twitch account again",
    )
    .await?;
    assert!(status.starts_with("reading and posting in #"), "{status}");
    fake.eventsub_notify(&s.id, "channel.raid", &raid("After revoke"));
    let after = alerts(&mut org, 1).await?;
    assert_eq!(after[0]["user"], "After revoke");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_eventsub_connection_is_replaced() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    // A one-second keepalive (asked for in the URL, as Twitch allows) keeps the test short.
    let config = librekast_web::Config::for_tests(&temp_sqlite_url("alerts-keepalive"))
        .with_platforms(librekast_adapters::PlatformConfig {
            twitch_eventsub_url: format!("{}?keepalive_timeout_seconds=1", fake.eventsub_url()),
            ..fake_platforms()?
        })?;
    let ts = TestServer::start_with(config).await?;
    let admin = ts.admin_token().await?;
    let s = streamer(&ts, fake, "silent", ALERT_SCOPES).await?;
    let (_meeting, mut org) = meeting_with(
        &ts,
        &admin,
        json!([{"platform": "twitch", "channel": s.channel}]),
    )
    .await?;
    let first = fake.wait_eventsub_session(&s.id, &KINDS, &[]).await;
    assert_eq!(fake.eventsub_stop_keepalives(&s.id), 1);
    // The fake never closes a subscribed connection by itself: the client gave up on it.
    fake.wait_eventsub_connections(&first, 0).await;
    let second = fake
        .wait_eventsub_session(&s.id, &KINDS, std::slice::from_ref(&first))
        .await;
    assert!(
        fake.wait_eventsub_requests(&second, 5)
            .await
            .iter()
            .all(|r| r.status == 202)
    );
    fake.eventsub_notify(
        &s.id,
        "channel.follow",
        &event("channel.follow", &s, json!({"user_name": "Patient"})),
    );
    assert_eq!(alerts(&mut org, 1).await?[0]["user"], "Patient");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_scopes_leave_the_other_alerts_working() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let ts = TestServer::start("alerts-scopes").await?;
    let admin = ts.admin_token().await?;
    // Connected before the alert scopes existed: chat only.
    let s = streamer(&ts, fake, "scopes", DEFAULT_SCOPES).await?;
    let (meeting, mut org) = meeting_with(
        &ts,
        &admin,
        json!([{"platform": "twitch", "channel": s.channel}]),
    )
    .await?;
    let session = fake
        .wait_eventsub_session(&s.id, &["channel.raid"], &[])
        .await;
    let requests = fake.wait_eventsub_requests(&session, 5).await;
    for r in &requests {
        let expected = if r.kind == "channel.raid" { 202 } else { 403 };
        assert_eq!(r.status, expected, "{r:?}");
    }
    let status = wait_status(&ts, meeting, "twitch", "alerts: raids; Twitch refused follows, subscriptions, resubscriptions and gifted subs (subscription missing proper authorization): connect the Twitch account again to grant the alert scopes").await?;
    assert!(status.starts_with("reading and posting in #"), "{status}");
    fake.eventsub_notify(
        &s.id,
        "channel.raid",
        &event(
            "channel.raid",
            &s,
            json!({"from_broadcaster_user_name": "Still", "viewers": 7}),
        ),
    );
    let got = alerts(&mut org, 1).await?;
    assert_eq!(
        (got[0]["kind"].clone(), got[0]["user"].clone()),
        (json!("raid"), json!("Still"))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_reader_opens_no_eventsub_connection() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let (probe, _) = unique("probe");
    // Connections of this server only are told apart by the URL's query.
    let config = librekast_web::Config::for_tests(&temp_sqlite_url("alerts-anonymous"))
        .with_platforms(librekast_adapters::PlatformConfig {
            twitch_eventsub_url: format!("{}?probe={probe}", fake.eventsub_url()),
            ..fake_platforms()?
        })?;
    let ts = TestServer::start_with(config).await?;
    let admin = ts.admin_token().await?;

    // Read anonymously: a source from the meeting file, no owner, no account.
    let (anonymous, _) = unique("anon");
    let meeting = ts
        .server
        .engine
        .store()
        .import_meeting(&meeting_file(
            json!([{"platform": "twitch", "channel": anonymous, "delay_secs": 0}]),
        )?)
        .await?
        .0;
    let _org = ts.connect(meeting, &admin).await?;
    fake.wait_joined(&anonymous).await;
    wait_status(
        &ts,
        meeting,
        "twitch",
        "anonymously (connect a Twitch account to post and to get alerts)",
    )
    .await?;

    // A reader with an account, on the same server: its connection is the only one.
    let s = streamer(&ts, fake, "withaccount", ALERT_SCOPES).await?;
    let (_meeting, _org2) = meeting_with(
        &ts,
        &admin,
        json!([{"platform": "twitch", "channel": s.channel}]),
    )
    .await?;
    fake.wait_eventsub_session(&s.id, &KINDS, &[]).await;
    assert_eq!(fake.eventsub_accepted_with(&probe), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn youtube_super_chats_and_members_raise_alerts_once() -> anyhow::Result<()> {
    use librekast_fakes::youtube::YtMessage;

    let (ts, youtube) = server_with_fake_youtube("alerts-youtube").await?;
    let admin = ts.admin_token().await?;
    youtube_account(&ts, &youtube, "alerts").await?;
    // Read with streamList: a repeated object is then exactly the one before (the replay
    // below), where polling might have read empty pages in between.
    let (meeting, mut org) = meeting_with(&ts, &admin, json!([{"platform": "youtube"}])).await?;
    let display = ts.display_token(meeting).await?;
    let mut screen = ts.connect(meeting, &display).await?;
    wait_status(&ts, meeting, "youtube", "reading").await?;

    youtube.push_many(
        "alerts-chat",
        vec![
            YtMessage::new("LCC.sc1", "UCviewer1", "Viewer One", "Great stream #a")
                .super_chat(5_000_000, "USD"),
            YtMessage::new("LCC.m1", "UCmia", "Mia", "").new_member(),
            YtMessage::new("LCC.talk", "UCviewer2", "Viewer Two", "just chatting"),
            YtMessage::new("LCC.ms1", "UCold", "Old Friend", "seven months!").milestone(7),
            YtMessage::new("LCC.g1", "UCgen", "Generous", "").gifting(5),
            YtMessage::new("LCC.st1", "UCcat", "Cat Person", "A waving cat")
                .super_sticker(1_990_000, "EUR"),
        ],
    );
    // The alerts, and the Super Chat's comment as a chat line (it still counts as chat).
    let mut staff = Vec::new();
    let mut comment = false;
    while staff.len() < 5 || !comment {
        let v = org
            .wait_for(|v| v["type"] == "alert" || v["type"] == "chat")
            .await
            .with_context(|| format!("alerts so far {staff:?}, comment seen: {comment}"))?;
        if v["type"] == "alert" {
            staff.push(v);
        } else if v["text"] == "Great stream #a" {
            comment = true;
        }
    }
    let y = |k: &str, u: &str, amount: Value, months: Value, text: &str| {
        (
            k.to_string(),
            "youtube".to_string(),
            u.to_string(),
            amount,
            months,
            json!(text),
        )
    };
    assert_eq!(
        summary(&staff),
        vec![
            y(
                "superchat",
                "Viewer One",
                json!(5.0),
                Value::Null,
                "Great stream #a"
            ),
            y("member", "Mia", Value::Null, Value::Null, ""),
            y(
                "member",
                "Old Friend",
                Value::Null,
                json!(7),
                "seven months!"
            ),
            y("gift", "Generous", json!(5.0), Value::Null, ""),
            y(
                "superchat",
                "Cat Person",
                json!(1.99),
                Value::Null,
                "A waving cat"
            ),
        ]
    );
    assert_eq!(staff[0]["currency"], "USD");
    assert_eq!(staff[4]["currency"], "EUR");
    let ids = assert_increasing(&staff)?;
    let shown = alerts(&mut screen, 5).await?;
    assert_eq!(
        shown
            .iter()
            .filter_map(|a| a["id"].as_u64())
            .collect::<Vec<_>>(),
        ids
    );
    // YouTube sends a page again: its alerts are not raised again.
    youtube.replay_next_page();
    youtube.push(
        "alerts-chat",
        YtMessage::new("LCC.sc2", "UCviewer3", "Marker", "").super_chat(1_000_000, "USD"),
    );
    let next = alerts(&mut org, 1).await?;
    assert_eq!(next[0]["user"], "Marker", "{next:?}");
    Ok(())
}
