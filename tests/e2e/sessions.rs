//! Sessions that end. Logout closes that session's open WebSockets (4001 `session
//! revoked`); a password change or a user removal made by another process (the CLI) reaches
//! the running server and closes them too; old and idle staff sessions end; participant
//! sessions end 30 days after their meeting; one session cannot open sockets without limit.

use librekast_storage::{MeetingId, Store};
use librekast_tests::*;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_and_their_sockets_close() -> anyhow::Result<()> {
    let ts = TestServer::start("sessions").await?;
    let meeting = ts.demo_meeting().await?;

    // Logout: this session's sockets close with 4001, the other session's stay open.
    let first = ts.admin_token().await?;
    let second = ts.admin_token().await?;
    let mut a = ts.connect(meeting, &first).await?;
    let mut b = ts.connect(meeting, &second).await?;
    let (status, _) = ts.bearer(Method::POST, "/api/logout", &first).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(a.close_code().await?, 4001);
    ok(&b.control("start").await?)?;

    // The CLI, another process, changes the password: the running server notices and
    // closes the account's sockets (the sweep runs every 3 s).
    let cli = Store::connect(&ts.database_url).await?;
    let admin = cli.find_user("admin").await?.map(|u| u.id);
    let admin = admin.ok_or_else(|| anyhow::anyhow!("no admin"))?;
    let started = std::time::Instant::now();
    let ended = cli
        .change_password(admin, "$argon2id$changed", None)
        .await?;
    assert!(ended >= 1);
    assert_eq!(b.close_code().await?, 4001);
    eprintln!(
        "password change reached the server in {:?}",
        started.elapsed()
    );
    let (status, _) = ts.bearer(Method::GET, "/api/me", &second).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        librekast_web::sessions::SWEEP_EVERY <= std::time::Duration::from_secs(4),
        "a CLI change must reach a running server within 5 s"
    );

    // Staff sessions that are too old or idle too long end.
    let store = ts.server.engine.store();
    store
        .put_user("ops", &librekast_web::auth::hash_password("ops password")?)
        .await?;
    let old = ts.login("ops", "ops password").await?;
    let idle = ts.login("ops", "ops password").await?;
    let limits = store.session_limits();
    store.age_session(&old, limits.staff_max + 1, 0).await?;
    store.age_session(&idle, 0, limits.staff_idle + 1).await?;
    for token in [&old, &idle] {
        let (status, _) = ts.bearer(Method::GET, "/api/me", token).await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    // Removing the user ends its sessions, open sockets included.
    let token = ts.login("ops", "ops password").await?;
    let mut c = ts.connect(meeting, &token).await?;
    assert!(cli.remove_user("ops").await?);
    assert_eq!(c.close_code().await?, 4001);

    // At most 8 sockets per session.
    let (_, participant) = ts.join(meeting, "Pour1nf0", "tabs").await?;
    let mut tabs = Vec::new();
    for _ in 0..8 {
        tabs.push(ts.connect(meeting, &participant).await?);
    }
    let ninth = ts
        .connect(meeting, &participant)
        .await
        .err()
        .map(|e| e.to_string());
    assert!(
        ninth.is_some_and(|e| e.contains("429")),
        "the 9th socket is refused"
    );
    drop(tabs.pop());
    // Its place is free again once the server saw the socket go.
    let mut again = None;
    for _ in 0..100 {
        if let Ok(c) = ts.connect(meeting, &participant).await {
            again = Some(c);
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "a closed tab frees its place");

    // A participant session lasts until 30 days after the meeting ended.
    let cookie = format!("lk_participant={participant}");
    let seat = |cookie: String| {
        ts.http
            .get(ts.url(&format!("/api/meetings/{meeting}/seat")))
            .header("cookie", cookie)
            .send()
    };
    let hash = librekast_web::auth::hash_password("boss password")?;
    store.put_user("boss", &hash).await?;
    let org_token = ts.login("boss", "boss password").await?;
    let mut org = ts.connect(meeting, &org_token).await?;
    ok(&org.control("end").await?)?;
    org.wait_status("after").await?;
    assert_eq!(
        seat(cookie.clone()).await?.status(),
        StatusCode::OK,
        "still valid"
    );
    // 31 days later (moved back in the database: the test cannot wait a month).
    let backend = store.connection().get_database_backend();
    let month = 31 * 86_400 * 1_000_000_i64;
    store
        .connection()
        .execute_raw(Statement::from_string(
            backend,
            format!(
                "UPDATE sessions SET expires_at = expires_at - {month} WHERE meeting_id = {}",
                MeetingId(meeting).0
            ),
        ))
        .await?;
    assert_eq!(seat(cookie).await?.status(), StatusCode::UNAUTHORIZED);
    ts.server.shutdown().await;
    Ok(())
}
