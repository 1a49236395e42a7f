//! Staff roles end to end: an organizer controls the meetings they own or that are shared
//! with them and nothing else (403 at the WebSocket upgrade, `forbidden` on routes); admins
//! control every meeting; scripts use `Authorization: Bearer`.

use librekast_storage::MeetingId;
use librekast_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;

async fn bearer_get(
    ts: &TestServer,
    path: &str,
    token: &str,
) -> anyhow::Result<(StatusCode, Value)> {
    ts.bearer(Method::GET, path, token).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizers_control_their_meetings_only() -> anyhow::Result<()> {
    let ts = TestServer::start("roles").await?;
    let demo = ts.demo_meeting().await?;
    let admin = ts.admin_token().await?;
    let store = ts.server.engine.store();
    let (olga_id, olga) = ts.organizer("olga").await?;
    let (otto_id, otto) = ts.organizer("otto").await?;
    let file = store.export_meeting(MeetingId(demo)).await?;
    let owned = store.import_meeting(&file).await?;
    store.set_meeting_owner(owned, Some(olga_id)).await?;
    let owned = owned.0;

    // Who am I, with a bearer token.
    let (status, me) = bearer_get(&ts, "/api/me", &olga).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (me["username"].as_str(), me["role"].as_str()),
        (Some("olga"), Some("organizer"))
    );
    let (_, me) = bearer_get(&ts, "/api/me", &admin).await?;
    assert_eq!(me["role"], "admin");

    // The demo belongs to no organizer: only admins control it.
    let refused = ts.connect(demo, &olga).await;
    assert!(
        refused
            .as_ref()
            .err()
            .is_some_and(|e| e.to_string().contains("403 forbidden")),
        "{:?}",
        refused.err()
    );
    let (status, body) = bearer_get(&ts, &format!("/api/meetings/{demo}/invite"), &olga).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let path = format!("/api/meetings/{demo}/display");
    let (status, _) = ts.bearer(Method::POST, &path, &olga).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Her own meeting: she watches, controls and invites.
    let mut own = ts.connect(owned, &olga).await?;
    assert_eq!(own.state["audience"], "staff");
    ok(&own.control("start").await?)?;
    let (status, invite) = bearer_get(&ts, &format!("/api/meetings/{owned}/invite"), &olga).await?;
    assert_eq!(
        (status, invite["code"].as_str()),
        (StatusCode::OK, Some("Pour1nf0"))
    );
    // Otto cannot, until it is shared with him.
    assert!(ts.connect(owned, &otto).await.is_err());
    store.share_meeting(MeetingId(owned), otto_id).await?;
    let mut shared = ts.connect(owned, &otto).await?;
    ok(&shared.control("next").await?)?;
    own.wait_state(|s| s["status"] == "waiting" && s["position"] == 1)
        .await?;
    // Admins control every meeting.
    let mut boss = ts.connect(owned, &admin).await?;
    ok(&boss.control("start").await?)?;
    let mut demo_admin = ts.connect(demo, &admin).await?;
    ok(&demo_admin.control("start").await?)?;

    // A participant is refused a control frame, whatever the meeting.
    let (_, p) = ts.join(owned, "Pour1nf0", "Ada").await?;
    let mut ada = ts.connect(owned, &p).await?;
    assert_eq!(error_code(&ada.control("next").await?), "forbidden");
    // Logging out with the bearer token ends that session only.
    let (status, _) = ts.bearer(Method::POST, "/api/logout", &otto).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        bearer_get(&ts, "/api/me", &otto).await?.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(bearer_get(&ts, "/api/me", &olga).await?.0, StatusCode::OK);
    ts.server.shutdown().await;
    Ok(())
}
