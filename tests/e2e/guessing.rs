//! Guessing is throttled, honest crowds are not. Failed logins are throttled per address and
//! per (account, address), never account-wide; a burst of them neither grows memory nor
//! delays a real login; wrong join codes are throttled per address while a whole hall
//! joining from one NAT address is not; flag guesses are throttled per attendee across all
//! of their connections. Client addresses come from `X-Forwarded-For`, which the test
//! server believes from loopback (its default trusted proxy), as it would behind nginx.

use futures_util::future::join_all;
use librekast_tests::*;
use reqwest::StatusCode;
use serde_json::json;

async fn login_from(
    ts: &TestServer,
    ip: &str,
    user: &str,
    password: &str,
) -> anyhow::Result<(StatusCode, Option<u64>)> {
    let res = ts
        .http
        .post(ts.url("/api/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"username": user, "password": password}))
        .send()
        .await?;
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    Ok((res.status(), retry))
}

async fn join_from(
    ts: &TestServer,
    ip: &str,
    meeting: i64,
    code: &str,
    name: &str,
) -> anyhow::Result<StatusCode> {
    let res = ts
        .http
        .post(ts.url(&format!("/api/meetings/{meeting}/join")))
        .header("x-forwarded-for", ip)
        .json(&json!({"code": code, "name": name}))
        .send()
        .await?;
    Ok(res.status())
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_throttled_without_locking_anyone_out() -> anyhow::Result<()> {
    let ts = TestServer::start("logins").await?;
    let password = ts.server.admin_password.clone().unwrap_or_default();

    // One address trying many accounts: 10 free failures, then a lockout; the right
    // password is refused too.
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(login_from(&ts, "203.0.113.5", &format!("user{i}"), "guess").await?);
    }
    assert!(
        statuses[..10]
            .iter()
            .all(|s| s.0 == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    let (status, retry) = login_from(&ts, "203.0.113.5", "admin", &password).await?;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked out, even with the password"
    );
    assert!(retry.is_some_and(|s| s >= 1), "Retry-After");
    // Not account-wide: the real admin elsewhere logs in at once.
    assert_eq!(
        login_from(&ts, "198.51.100.7", "admin", &password).await?.0,
        StatusCode::OK
    );

    // One account from one address: 5 free failures, then that pair is locked.
    for _ in 0..6 {
        login_from(&ts, "203.0.113.20", "admin", "guess").await?;
    }
    let (status, _) = login_from(&ts, "203.0.113.20", "admin", &password).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // A burst of 200 failed logins at once from one address: refused before any password
    // work beyond a few, memory stays flat, and a real login elsewhere is not held up.
    let before = rss_kib();
    let burst = (0..200).map(|_| login_from(&ts, "203.0.113.99", "admin", "guess"));
    let results = join_all(burst).await;
    let limited = results
        .iter()
        .filter(|r| matches!(r, Ok((StatusCode::TOO_MANY_REQUESTS, _))))
        .count();
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    eprintln!("burst: {limited} of 200 refused before hashing; RSS grew {grown_mib} MiB");
    assert!(limited >= 190, "{limited} of 200 throttled");
    assert!(
        grown_mib < 100,
        "a burst of failed logins held {grown_mib} MiB"
    );
    assert_eq!(
        login_from(&ts, "198.51.100.8", "admin", &password).await?.0,
        StatusCode::OK
    );
    ts.server.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_codes_and_flags_are_throttled_crowds_are_not() -> anyhow::Result<()> {
    let ts = TestServer::start("joins").await?;
    let meeting = ts.demo_meeting().await?;

    // A hall of 300 phones behind one NAT address joins without a single refusal.
    for i in 0..300 {
        let status = join_from(&ts, "192.0.2.1", meeting, "Pour1nf0", &format!("p{i}")).await?;
        assert_eq!(status, StatusCode::OK);
    }
    // A guesser: 100 wrong codes, then 429 (with Retry-After), whatever the code.
    for i in 0..100 {
        let status = join_from(&ts, "203.0.113.50", meeting, &format!("guess{i}"), "g").await?;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let status = join_from(&ts, "203.0.113.50", meeting, "guess", "g").await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Others are not affected.
    assert_eq!(
        join_from(&ts, "192.0.2.1", meeting, "Pour1nf0", "late").await?,
        StatusCode::OK
    );

    // Flag guesses: one attendee on five connections shares one allowance.
    let (_, token) = ts.join(meeting, "Pour1nf0", "flagger").await?;
    let mut conns = Vec::new();
    for _ in 0..5 {
        conns.push(ts.connect(meeting, &token).await?);
    }
    let mut codes = Vec::new();
    for round in 0..8 {
        for c in conns.iter_mut() {
            codes.push(error_code(&c.flag(&format!("LK{{guess{round}}}")).await?).to_string());
        }
    }
    let limited = codes.iter().filter(|c| *c == "rate_limited").count();
    eprintln!("flag guesses: {limited} of {} refused", codes.len());
    assert!(limited >= 28, "{codes:?}");
    // Another attendee still has their own allowance.
    let (_, other) = ts.join(meeting, "Pour1nf0", "honest").await?;
    let mut honest = ts.connect(meeting, &other).await?;
    assert_eq!(error_code(&honest.flag("LK{nope}").await?), "not_found");
    ts.server.shutdown().await;
    Ok(())
}
