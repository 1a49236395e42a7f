//! The HTTP routes behind the pages: who is logged in, logout, a participant's seat, and the
//! invitation (join link and QR code) with and without `LIBREKAST_PUBLIC_URL`.

use librekast_tests::*;
use librekast_web::{Config, Server};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, HOST, SET_COOKIE};
use serde_json::Value;

async fn get(ts: &TestServer, path: &str, cookie: &str) -> anyhow::Result<(StatusCode, Value)> {
    let res = ts
        .http
        .get(ts.url(path))
        .header(COOKIE, cookie)
        .send()
        .await?;
    let status = res.status();
    Ok((status, res.json().await.unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_seats_and_invitations() -> anyhow::Result<()> {
    let ts = TestServer::start("account").await?;
    let meeting = ts.demo_meeting().await?;
    let staff = format!("lk_staff={}", ts.admin_token().await?);
    let (_, participant_token) = ts.join(meeting, "Pour1nf0", "Ada").await?;
    let participant = format!("lk_participant={participant_token}");

    // Who is logged in.
    let (status, body) = get(&ts, "/api/me", "").await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    assert_eq!(
        get(&ts, "/api/me", &participant).await?.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = get(&ts, "/api/me", &staff).await?;
    assert_eq!(
        (status, body["username"].as_str()),
        (StatusCode::OK, Some("admin"))
    );

    // A participant's seat, for this meeting only.
    let seat = format!("/api/meetings/{meeting}/seat");
    let (status, body) = get(&ts, &seat, &participant).await?;
    assert_eq!(
        (status, body["name"].as_str()),
        (StatusCode::OK, Some("Ada"))
    );
    assert_eq!(get(&ts, &seat, "").await?.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&ts, &seat, &staff).await?.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(
            &ts,
            &format!("/api/meetings/{}/seat", meeting + 1000),
            &participant
        )
        .await?
        .0,
        StatusCode::UNAUTHORIZED
    );

    // The invitation: staff only, built from the Host the presenter used.
    let invite = format!("/api/meetings/{meeting}/invite");
    assert_eq!(
        get(&ts, &invite, &participant).await?.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&ts, "/api/meetings/99999/invite", &staff).await?.0,
        StatusCode::NOT_FOUND
    );
    let res = ts
        .http
        .get(ts.url(&invite))
        .header(COOKIE, &staff)
        .header(HOST, "192.168.1.20:8000")
        .send()
        .await?;
    let body: Value = res.json().await?;
    assert_eq!(body["base"], "http://192.168.1.20:8000");
    assert_eq!(body["code"], "Pour1nf0");
    assert_eq!(
        body["url"],
        format!("http://192.168.1.20:8000/?meeting={meeting}&code=Pour1nf0")
    );
    let res = ts
        .http
        .get(ts.url(&invite))
        .header(COOKIE, &staff)
        .header(HOST, "evil\"><script>")
        .send()
        .await?;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "a hostile Host is not put in a QR code"
    );
    let qr = ts
        .http
        .get(ts.url(&format!("/api/meetings/{meeting}/qr.svg")))
        .header(COOKIE, &staff)
        .send()
        .await?;
    assert_eq!(qr.status(), StatusCode::OK);
    assert_eq!(
        qr.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("image/svg+xml")
    );
    let svg = qr.text().await?;
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg:.200}");
    assert_eq!(
        get(&ts, &format!("/api/meetings/{meeting}/qr.svg"), "")
            .await?
            .0,
        StatusCode::UNAUTHORIZED
    );

    // Logout ends the session at once and clears the cookie.
    let res = ts
        .http
        .post(ts.url("/api/logout"))
        .header(COOKIE, &staff)
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::OK);
    let cleared = res
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        cleared.starts_with("lk_staff=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert_eq!(
        get(&ts, "/api/me", &staff).await?.0,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        ts.connect(meeting, staff.trim_start_matches("lk_staff="))
            .await
            .is_err(),
        "a logged-out token opens no WebSocket"
    );
    let again = ts.http.post(ts.url("/api/logout")).send().await?;
    assert_eq!(again.status(), StatusCode::OK, "logging out twice is fine");
    ts.server.shutdown().await;

    // With LIBREKAST_PUBLIC_URL the link uses it, whatever the Host.
    let config = Config::for_tests(&temp_sqlite_url("account-public"))
        .with_public_url(Some("https://quiz.example.org/"))?;
    let server = Server::start(config).await?;
    let ts = TestServer {
        http: reqwest::Client::new(),
        database_url: String::new(),
        server,
    };
    let meeting = ts.demo_meeting().await?;
    let staff = format!("lk_staff={}", ts.admin_token().await?);
    let (_, body) = get(&ts, &format!("/api/meetings/{meeting}/invite"), &staff).await?;
    assert_eq!(
        body["url"],
        format!("https://quiz.example.org/?meeting={meeting}&code=Pour1nf0")
    );
    ts.server.shutdown().await;
    Ok(())
}
