//! Twitch audiences end to end, against the fake Twitch of this process (IRCv3 chat and
//! OAuth on loopback): a source per meeting, adapters in the meeting's tree, chat votes in
//! the same tally and scoreboard as the room, statuses for staff, accounts with refreshed
//! tokens, posting, sources changed while the meeting runs.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use librekast_adapters::accounts::save_twitch_tokens;
use librekast_adapters::twitch::auth::TwitchAuth;
use librekast_fakes::twitch::ChatLine;
use librekast_storage::{MeetingFile, MeetingId, Platform, UserId};
use librekast_tests::*;
use serde_json::{Value, json};

/// A channel name no other test of this process uses.
fn channel(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "lk_{tag}_{}_{}",
        std::process::id() % 10_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A poll (a/b/c), a quiz (a wrong, b right) and a word cloud, reading `#channel`.
fn meeting_file(channel: Option<&str>) -> anyhow::Result<MeetingFile> {
    let sources = match channel {
        Some(c) => json!([{"platform": "twitch", "channel": c, "delay_secs": 0}]),
        None => json!([]),
    };
    Ok(serde_json::from_value(json!({
        "title": "Streamed",
        "code": "str3am",
        "reward_fastest": true,
        "activities": [
            {"kind": "poll", "title": "Pick", "choices": [
                {"text": "A", "slug": "a"}, {"text": "B", "slug": "b"}, {"text": "C", "slug": "c"}]},
            {"kind": "quiz", "title": "Right?", "choices": [
                {"text": "No", "slug": "a"}, {"text": "Yes", "slug": "b", "correct": true}]},
            {"kind": "wordcloud", "title": "Words", "word_limit": 2}
        ],
        "sources": sources,
    }))?)
}

async fn import(ts: &TestServer, file: &MeetingFile) -> anyhow::Result<i64> {
    Ok(ts.server.engine.store().import_meeting(file).await?.0)
}

/// Waits until the meeting's Twitch source reports `status` (polling the handle: no frame
/// can be missed).
async fn wait_source(ts: &TestServer, meeting: i64, status: &str) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(h) = ts.server.engine.running(MeetingId(meeting)) {
            let all = h.source_statuses();
            if let Some(s) = all
                .iter()
                .find(|s| s.platform == "twitch" && s.status == status)
            {
                return Ok(serde_json::to_value(s)?);
            }
            if tokio::time::Instant::now() > deadline {
                bail!("the Twitch source never became {status}: {all:?}");
            }
        } else if tokio::time::Instant::now() > deadline {
            bail!("meeting {meeting} is not running");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn line(id: &str, user: &str, text: &str) -> ChatLine {
    ChatLine::new(id, user, format!("viewer{user}"), text).display_name(&format!("Viewer {user}"))
}

/// A fresh staff connection's view of the meeting (its first `state`).
async fn staff_state(ts: &TestServer, meeting: i64, token: &str) -> anyhow::Result<Value> {
    let client = ts.connect(meeting, token).await?;
    Ok(client.state.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twitch_votes_count_with_the_room_in_one_tally() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let ts = TestServer::start("twitch-votes").await?;
    let chan = channel("votes");
    let meeting = import(&ts, &meeting_file(Some(&chan))?).await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    fake.wait_joined(&chan).await;
    let status = wait_source(&ts, meeting, "connected").await?;
    assert!(
        status["message"]
            .as_str()
            .is_some_and(|m| m.contains("anonymously")),
        "{status}"
    );
    // A dashboard that connects later sees the status in its state.
    let later = staff_state(&ts, meeting, &admin).await?;
    assert_eq!(
        later["sources"][0]["status"], "connected",
        "{}",
        later["sources"]
    );
    assert_eq!(later["chat"]["platforms"][0], "twitch");

    ok(&org.control("start").await?)?;
    org.wait_open("poll").await?;
    let poll = org.state["question"]["id"].as_i64().context("poll id")?;
    let choices = choice_ids(&org.state);
    let (_, token) = ts.join(meeting, "str3am", "Room person").await?;
    let mut room = ts.connect(meeting, &token).await?;
    ok(&room.vote(poll, choices[0]).await?)?;
    fake.privmsg_many(
        &chan,
        &[
            line("m1", "1", "#a"),
            line("m2", "2", "#B with a comment"),
            line("m3", "3", "#c"),
            line("m4", "1", "#b"),           // a second vote: refused
            line("m2", "2", "#B again"),     // the same message id again: skipped
            line("m5", "4", "hello stream"), // talk
            line("m6", "5", "🤖 #a wins"),   // a bot line
            line("m7", "6", "#zz"),          // no such choice
        ],
    );
    let expected = json!({
        choices[0].to_string(): 2, choices[1].to_string(): 1, choices[2].to_string(): 1});
    org.wait_counts(poll, &expected).await?;
    let st = staff_state(&ts, meeting, &admin).await?;
    let by = &st["results"]["by_platform"];
    assert_eq!(by["room"][choices[0].to_string()], 1, "{by}");
    assert_eq!(by["twitch"][choices[0].to_string()], 1, "{by}");
    assert_eq!(by["twitch"][choices[1].to_string()], 1, "{by}");
    assert_eq!(by["twitch"][choices[2].to_string()], 1, "{by}");
    // Participants never see the split.
    assert!(room.state["results"].get("by_platform").is_none());

    // Viewers are on the scoreboard with their platform, once each.
    let stored = ts.stored(meeting).await?;
    let viewers: Vec<_> = stored
        .attendees
        .iter()
        .filter(|a| a.platform == Platform::Twitch)
        .collect();
    assert_eq!(viewers.len(), 3, "the three who voted: {viewers:?}");
    let rows = st["scoreboard"].as_array().context("scoreboard")?;
    assert!(
        rows.iter()
            .any(|r| r["platform"] == "twitch" && r["name"] == "Viewer 1"),
        "{rows:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drops_and_renames_lose_nothing_and_count_nothing_twice() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let ts = TestServer::start("twitch-drops").await?;
    let chan = channel("drops");
    let meeting = import(&ts, &meeting_file(Some(&chan))?).await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    fake.wait_joined(&chan).await;
    wait_source(&ts, meeting, "connected").await?;
    for action in ["start", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    org.wait_open("quiz").await?;
    let choices = choice_ids(&org.state);
    let mut total = 0;
    for round in 0..3 {
        let joins = fake.joins_of(&chan);
        // Each viewer answers once; half of them are said twice, under the same id.
        let lines: Vec<ChatLine> = (0..20)
            .map(|i| {
                let user = format!("{}", round * 20 + i);
                let slug = if i % 2 == 0 { "#b" } else { "#a" };
                line(&format!("r{round}-{i}"), &user, slug)
            })
            .collect();
        fake.privmsg_many(&chan, &lines);
        fake.privmsg_many(&chan, &lines[..10]);
        total += 20;
        org.wait_for(|v| v["type"] == "tally" && v["total"] == total)
            .await
            .with_context(|| format!("round {round}: {total} votes"))?;
        // The connection drops (a RECONNECT in the middle round): the adapter rejoins.
        if round == 1 {
            fake.send_reconnect_in(&chan);
        } else {
            fake.drop_channel(&chan);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while fake.joins_of(&chan) <= joins {
            if tokio::time::Instant::now() > deadline {
                bail!("the adapter never rejoined #{chan}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    // A viewer who renamed on Twitch keeps one seat; their new name shows.
    fake.privmsg(
        &chan,
        &ChatLine::new("late-1", "0", "viewer0", "#a").display_name("Renamed Zero"),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let stored = ts.stored(meeting).await?;
        let zero: Vec<_> = stored
            .attendees
            .iter()
            .filter(|a| a.platform == Platform::Twitch && a.platform_user_id == "0")
            .collect();
        if zero.len() == 1 && zero[0].name == "Renamed Zero" {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            bail!("viewer 0 was not renamed in place: {zero:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ok(&org.control("results").await?)?;
    let st = org.wait_status("results").await?;
    assert_eq!(st["results"]["total"], 60, "{}", st["results"]);
    assert_eq!(st["results"]["counts"][choices[1].to_string()], 30);
    let stored = ts.stored(meeting).await?;
    let twitch = stored
        .attendees
        .iter()
        .filter(|a| a.platform == Platform::Twitch)
        .count();
    assert_eq!(twitch, 60, "one seat per viewer");
    let scored: i64 = stored.attendees.iter().map(|a| a.score).sum();
    assert_eq!(scored, 30 + 2, "30 right answers and one fastest bonus");
    Ok(())
}

/// Stores a Twitch account for the admin (validated against the fake).
async fn connect_admin(ts: &TestServer, access: &str, refresh: &str) -> anyhow::Result<UserId> {
    let store = ts.server.engine.store();
    let admin = store.find_user("admin").await?.context("admin")?;
    let auth = TwitchAuth::new(&fake_platforms()?)?;
    save_twitch_tokens(store, &auth, admin.id, access, Some(refresh)).await?;
    Ok(admin.id)
}

async fn put_sources(
    ts: &TestServer,
    meeting: i64,
    token: &str,
    body: Value,
) -> anyhow::Result<(u16, Value)> {
    let res = ts
        .http
        .put(ts.url(&format!("/api/meetings/{meeting}/sources")))
        .header("Authorization", format!("Bearer {token}"))
        .json(&body)
        .send()
        .await?;
    let status = res.status().as_u16();
    Ok((status, res.json().await.unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_posts_its_token_is_refreshed_and_a_refused_one_reads_anonymously()
-> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let ts = TestServer::start("twitch-account").await?;
    let admin = ts.admin_token().await?;
    let tag = channel("acct");
    let (access, refresh) = (format!("{tag}-access"), format!("{tag}-refresh"));
    // Expires in 301 s: due for refresh (5 minutes before expiry) within a second.
    fake.add_token(&access, Some(&refresh), &tag, "4242", 301);
    connect_admin(&ts, &access, &refresh).await?;

    // Sources added from the dashboard use the accounts of whoever added them.
    let chan = channel("posting");
    let meeting = import(&ts, &meeting_file(None)?).await?;
    let _org = ts.connect(meeting, &admin).await?;
    let refreshes = fake.refreshes();
    let (status, body) = put_sources(
        &ts,
        meeting,
        &admin,
        json!({"sources": [{"platform": "twitch", "channel": format!("#{}", chan.to_uppercase())}]}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["sources"][0]["channel"], chan,
        "stored as the lowercase login"
    );
    fake.wait_joined(&chan).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while fake.refreshes() == refreshes || wait_source(&ts, meeting, "connected").await.is_err() {
        if tokio::time::Instant::now() > deadline {
            bail!("the token was never refreshed");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let st = wait_source(&ts, meeting, "connected").await?;
    assert!(
        st["message"].as_str().is_some_and(|m| m.contains(&tag)),
        "{st}"
    );
    // Posting goes through the account, with the bot prefix.
    let res = ts
        .http
        .post(ts.url(&format!("/api/meetings/{meeting}/chat")))
        .header("Authorization", format!("Bearer {admin}"))
        .json(&json!({"text": "Vote with #a or #b"}))
        .send()
        .await?;
    let body: Value = res.json().await?;
    assert_eq!(body["sent"], 1, "{body}");
    let posted = fake.wait_posted_in(&chan, 1).await;
    assert_eq!(posted[0].1, tag);
    assert_eq!(posted[0].2, "🤖 Vote with #a or #b");
    let stored = ts
        .server
        .engine
        .store()
        .account(UserId(1), Platform::Twitch)
        .await?;
    assert_ne!(
        stored.map(|a| a.tokens.access_token),
        Some(access.clone()),
        "the refreshed token is stored"
    );

    // A token whose refresh Twitch refuses: auth_required, and the chat is still read.
    let (access2, refresh2) = (format!("{tag}-b-access"), format!("{tag}-b-refresh"));
    fake.add_token(&access2, Some(&refresh2), &tag, "4242", 301);
    fake.revoke_refresh(&refresh2);
    connect_admin(&ts, &access2, &refresh2).await?;
    // The adapter notices the new account (another process could have stored it).
    wait_source(&ts, meeting, "auth_required").await?;
    let mut org = ts.connect(meeting, &admin).await?;
    ok(&org.control("start").await?)?;
    org.wait_open("poll").await?;
    let poll = org.state["question"]["id"].as_i64().context("poll")?;
    let choices = choice_ids(&org.state);
    let joins = fake.joins_of(&chan);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while fake.joins_of(&chan) <= joins
        && fake
            .logins()
            .last()
            .is_none_or(|l| !l.starts_with("justinfan"))
    {
        if tokio::time::Instant::now() > deadline {
            bail!("never rejoined anonymously");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    fake.wait_joined(&chan).await;
    fake.privmsg(&chan, &line("anon-1", "77", "#c"));
    org.wait_counts(
        poll,
        &json!({choices[0].to_string(): 0, choices[1].to_string(): 0, choices[2].to_string(): 1}),
    )
    .await
    .map_err(|e| anyhow!("{e}: the chat was not read anonymously"))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_change_while_the_meeting_runs() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let ts = TestServer::start("twitch-sources").await?;
    let admin = ts.admin_token().await?;
    let meeting = import(&ts, &meeting_file(None)?).await?;
    let mut org = ts.connect(meeting, &admin).await?;
    assert_eq!(org.state["sources"], json!([]));
    assert_eq!(org.state["chat"], Value::Null);
    // Bad input: a clear refusal, nothing changed.
    let (status, body) = put_sources(
        &ts,
        meeting,
        &admin,
        json!({"sources": [{"platform": "twitch", "channel": "not a channel"}]}),
    )
    .await?;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("login name")),
        "{body}"
    );
    let (status, _) = put_sources(
        &ts,
        meeting,
        &admin,
        json!({"sources": [{"platform": "kick"}]}),
    )
    .await?;
    assert_eq!(status, 400);

    let chan = channel("live");
    let (status, body) = put_sources(
        &ts,
        meeting,
        &admin,
        json!({"sources": [{"platform": "twitch", "channel": chan, "delay_secs": 4}],
               "chat": {"vote_prefix": "?"}}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    fake.wait_joined(&chan).await;
    org.wait_for(|v| {
        v["type"] == "adapter" && v["platform"] == "twitch" && v["status"] == "connected"
    })
    .await?;
    let st = org.wait_state(|s| s["chat"]["vote_prefix"] == "?").await?;
    assert_eq!(st["chat"]["platforms"][0], "twitch");
    // The new rules apply at once: `?a` votes, `#a` is talk.
    ok(&org.control("start").await?)?;
    org.wait_open("poll").await?;
    let poll = org.state["question"]["id"].as_i64().context("poll")?;
    let choices = choice_ids(&org.state);
    fake.privmsg_many(&chan, &[line("q1", "1", "#a"), line("q2", "2", "?a")]);
    org.wait_counts(
        poll,
        &json!({choices[0].to_string(): 1, choices[1].to_string(): 0, choices[2].to_string(): 0}),
    )
    .await?;
    let (status, body) = put_sources(&ts, meeting, &admin, json!({"sources": []})).await?;
    assert_eq!(status, 200, "{body}");
    let st = org.wait_state(|s| s["sources"] == json!([])).await?;
    assert_eq!(st["chat"], Value::Null);
    // An organizer who may not control the meeting may not change its sources either.
    let (status, _) = put_sources(&ts, meeting, "nope", json!({"sources": []})).await?;
    assert_eq!(status, 401);
    Ok(())
}

/// The dashboard's Twitch device flow: the server shows the URL and code, waits for the
/// approval and stores the account; accounts are listed without tokens and removable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_connects_a_twitch_account_with_the_device_flow() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let ts = TestServer::start("twitch-device").await?;
    let admin = ts.admin_token().await?;
    let call = |method: reqwest::Method, path: &str| {
        ts.http
            .request(method, ts.url(path))
            .header("Authorization", format!("Bearer {admin}"))
    };
    let accounts: Value = call(reqwest::Method::GET, "/api/accounts")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(accounts["accounts"], json!([]));
    assert_eq!(accounts["platforms"]["twitch"]["configured"], true);
    let start: Value = call(reqwest::Method::POST, "/api/accounts/twitch/device")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(start["status"], "pending", "{start}");
    let code = start["user_code"]
        .as_str()
        .context("user code")?
        .to_string();
    assert!(
        start["verification_uri"]
            .as_str()
            .is_some_and(|u| u.contains(&code))
    );
    let login = channel("dash");
    fake.approve_device(&code, &login, "5150");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let done = loop {
        let flow: Value = call(reqwest::Method::GET, "/api/accounts/twitch/device")
            .send()
            .await?
            .json()
            .await?;
        if flow["status"] != "pending" {
            break flow;
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the device flow never finished: {flow}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done["status"], "connected", "{done}");
    assert_eq!(done["login"], login.as_str());
    let accounts: Value = call(reqwest::Method::GET, "/api/accounts")
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(accounts["accounts"][0]["login"], login.as_str());
    assert!(
        !accounts.to_string().contains("token"),
        "no token in {accounts}"
    );
    let res = call(reqwest::Method::DELETE, "/api/accounts/twitch")
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    let res = call(reqwest::Method::DELETE, "/api/accounts/twitch")
        .send()
        .await?;
    assert_eq!(res.status(), 404);
    let res = call(reqwest::Method::DELETE, "/api/accounts/room")
        .send()
        .await?;
    assert_eq!(res.status(), 404);
    // Not logged in: refused.
    let res = ts.http.get(ts.url("/api/accounts")).send().await?;
    assert_eq!(res.status(), 401);
    Ok(())
}

/// The whole audience at once: a quiz answered by 1,000 Twitch viewers, 1,000 YouTube
/// viewers and 50 room participants, one exact tally (by platform too) and exact scores.
/// The YouTube account is connected through the dashboard's Google sign-in (state checked);
/// YouTube replays a page and the quota runs out, which the dashboard shows, then comes
/// back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twitch_youtube_and_the_room_in_one_quiz() -> anyhow::Result<()> {
    use librekast_fakes::youtube::{DEFAULT_ACCOUNT, YtMessage};
    let twitch = fake_twitch()?;
    let (ts, youtube) = server_with_fake_youtube("all-platforms").await?;
    let admin = ts.admin_token().await?;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    // Google sign-in from the dashboard: our state goes out and must come back.
    let res = no_redirects
        .get(ts.url("/oauth/youtube/start?meeting=1"))
        .header("Authorization", format!("Bearer {admin}"))
        .send()
        .await?;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str()?.to_string();
    assert!(to.starts_with(&youtube.auth_url()), "{to}");
    let state = to
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("state="))
        .context("state")?
        .to_string();
    // A forged state is refused.
    let res = no_redirects
        .get(ts.url("/oauth/youtube/callback?state=forged&code=x"))
        .send()
        .await?;
    assert!(
        res.headers()["location"]
            .to_str()?
            .contains("account_error")
    );
    let code = youtube.authorize(&state);
    let res = no_redirects
        .get(ts.url(&format!(
            "/oauth/youtube/callback?state={state}&code={code}"
        )))
        .send()
        .await?;
    let back = res.headers()["location"].to_str()?.to_string();
    assert!(
        back.starts_with("/organize.html?meeting=1&account_connected="),
        "{back}"
    );
    // The same state cannot be used twice.
    let res = no_redirects
        .get(ts.url(&format!(
            "/oauth/youtube/callback?state={state}&code={code}"
        )))
        .send()
        .await?;
    assert!(
        res.headers()["location"]
            .to_str()?
            .contains("account_error")
    );

    // A meeting reading both platforms; the YouTube source uses the admin's account.
    let chan = channel("all");
    let meeting = import(&ts, &meeting_file(None)?).await?;
    youtube.set_broadcast("live-video", "chat-1", DEFAULT_ACCOUNT);
    // Read by polling `list` (streamList answers 501 here; the adapter's own tests cover
    // the stream): every poll meets the quota, so its exhaustion shows at once.
    youtube.set_stream_list(false);
    let mut org = ts.connect(meeting, &admin).await?;
    let (status, body) = put_sources(
        &ts,
        meeting,
        &admin,
        json!({"sources": [
            {"platform": "twitch", "channel": chan},
            {"platform": "youtube"}
        ]}),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    twitch.wait_joined(&chan).await;
    let connected = |p: &'static str| {
        move |v: &Value| {
            (v["type"] == "adapter" && v["platform"] == p && v["status"] == "connected")
                || (v["type"] == "state"
                    && v["sources"].as_array().is_some_and(|s| {
                        s.iter()
                            .any(|x| x["platform"] == p && x["status"] == "connected")
                    }))
        }
    };
    org.wait_for(connected("youtube"))
        .await
        .context("YouTube connected")?;

    let mut room = Vec::new();
    for p in 0..50 {
        let (_, token) = ts.join(meeting, "str3am", &format!("Room {p}")).await?;
        room.push(ts.connect(meeting, &token).await?);
    }
    for action in ["start", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    org.wait_open("quiz").await?;
    let quiz = org.state["question"]["id"].as_i64().context("quiz")?;
    let choices = choice_ids(&org.state);
    let (wrong, right) = (choices[0], choices[1]);
    let room_votes = async {
        for (p, client) in room.iter_mut().enumerate() {
            client.wait_open("quiz").await?;
            ok(&client
                .vote(quiz, if p % 2 == 0 { right } else { wrong })
                .await?)?;
        }
        anyhow::Ok(())
    };
    let chats = async {
        for chunk in 0..4 {
            let range = chunk * 250..(chunk + 1) * 250;
            let lines: Vec<ChatLine> = range
                .clone()
                .map(|i| {
                    line(
                        &format!("all-t{i}"),
                        &format!("{}", 20_000 + i),
                        if i % 3 == 0 { "#a" } else { "#b" },
                    )
                })
                .collect();
            twitch.privmsg_many(&chan, &lines);
            let msgs: Vec<YtMessage> = range
                .map(|i| {
                    YtMessage::new(
                        format!("all-y{i}"),
                        format!("UC{i:06}"),
                        format!("Tuber {i}"),
                        if i % 4 == 0 { "#A" } else { "#b yes" },
                    )
                })
                .collect();
            youtube.push_many("chat-1", msgs);
            if chunk == 1 {
                // YouTube sends the last page again: nothing may count twice.
                youtube.replay_next_page();
            }
            tokio::task::yield_now().await;
        }
    };
    let (r, ()) = tokio::join!(room_votes, chats);
    r?;
    let twitch_right = (0..1000).filter(|i| i % 3 != 0).count() as u64;
    let youtube_right = (0..1000).filter(|i| i % 4 != 0).count() as u64;
    org.wait_for(|v| v["type"] == "tally" && v["total"] == 2050)
        .await
        .context("2,050 answers")?;

    // Quota runs out: the dashboard shows it; when it is back, so is the source.
    youtube.set_quota_exhausted(true);
    org.wait_for(|v| {
        v["type"] == "adapter" && v["platform"] == "youtube" && v["status"] == "quota_exhausted"
    })
    .await
    .context("quota_exhausted shown")?;
    youtube.set_quota_exhausted(false);
    org.wait_for(connected("youtube"))
        .await
        .context("YouTube back")?;

    ok(&org.control("results").await?)?;
    let st = org.wait_status("results").await?;
    let counts = &st["results"]["counts"];
    assert_eq!(
        counts[right.to_string()],
        twitch_right + youtube_right + 25,
        "{counts}"
    );
    assert_eq!(
        counts[wrong.to_string()],
        2000 - twitch_right - youtube_right + 25,
        "{counts}"
    );
    let by = &st["results"]["by_platform"];
    assert_eq!(by["room"][right.to_string()], 25, "{by}");
    assert_eq!(by["twitch"][right.to_string()], twitch_right, "{by}");
    assert_eq!(by["youtube"][right.to_string()], youtube_right, "{by}");
    assert_eq!(
        by["youtube"][wrong.to_string()],
        1000 - youtube_right,
        "{by}"
    );
    let stored = ts.stored(meeting).await?;
    assert_eq!(stored.votes.len(), 2050);
    let total: i64 = stored.attendees.iter().map(|a| a.score).sum();
    assert_eq!(total, (twitch_right + youtube_right + 25) as i64 + 2);
    assert_eq!(stored.attendees.iter().filter(|a| a.score == 3).count(), 1);
    let youtube_seats = stored
        .attendees
        .iter()
        .filter(|a| a.platform == Platform::Youtube)
        .count();
    assert_eq!(youtube_seats, 1000);
    Ok(())
}
