//! Cross-site requests are refused: a page on another origin (even another port of the same
//! host) cannot ride the organizer's cookie, open the staff WebSocket, plant a participant
//! session or log anybody out. Scripts (no `Origin`), bearer tokens and `?token=` links are
//! not affected. Forwarded headers count only from trusted proxies; `Secure` cookies over
//! HTTPS; `LIBREKAST_ALLOWED_HOSTS` guards links and QR codes.

use librekast_tests::*;
use librekast_web::Config;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, HOST, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const EVIL: &str = "http://127.0.0.1:1";

/// A WebSocket upgrade with the given cookie and Origin: the HTTP status it got.
async fn upgrade(url: &str, cookie: Option<&str>, origin: &str) -> anyhow::Result<u16> {
    let mut request = url.into_client_request()?;
    if let Some(c) = cookie {
        request.headers_mut().insert("cookie", c.parse()?);
    }
    request.headers_mut().insert("origin", origin.parse()?);
    match tokio_tungstenite::connect_async(request).await {
        Ok((_ws, response)) => Ok(response.status().as_u16()),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Ok(r.status().as_u16()),
        Err(e) => Err(e.into()),
    }
}

async fn error_of(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body["error"].as_str().unwrap_or("").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_requests_are_refused() -> anyhow::Result<()> {
    let ts = TestServer::start("origin").await?;
    let meeting = ts.demo_meeting().await?;
    let own = format!("http://{}", ts.server.addr);
    let token = ts.admin_token().await?;
    let staff_cookie = format!("lk_staff={token}");
    let ws = format!("ws://{}/ws/meetings/{meeting}", ts.server.addr);

    // The staff WebSocket with the cookie: from another port refused, from our page fine.
    assert_eq!(upgrade(&ws, Some(&staff_cookie), EVIL).await?, 403);
    assert_eq!(upgrade(&ws, Some(&staff_cookie), &own).await?, 101);
    // A display or participant link carries its own token: cookies are not looked at.
    let (_, participant) = ts.join(meeting, "Pour1nf0", "ann").await?;
    let linked = format!("{ws}?token={participant}");
    assert_eq!(upgrade(&linked, Some(&staff_cookie), EVIL).await?, 101);

    // Logout by a cross-site form: refused, and the session still works.
    let res = ts
        .http
        .post(ts.url("/api/logout"))
        .header(COOKIE, &staff_cookie)
        .header(ORIGIN, EVIL)
        .send()
        .await?;
    assert_eq!(
        error_of(res).await,
        (StatusCode::FORBIDDEN, "forbidden_origin".into())
    );
    let (status, _) = ts.bearer(reqwest::Method::GET, "/api/me", &token).await?;
    assert_eq!(status, StatusCode::OK, "still logged in");

    // Planting a participant session: refused by Origin, and a form body is not JSON.
    let join = ts.url(&format!("/api/meetings/{meeting}/join"));
    let body = json!({"code": "Pour1nf0", "name": "planted"}).to_string();
    let res = ts
        .http
        .post(&join)
        .header(ORIGIN, EVIL)
        .header(CONTENT_TYPE, "application/json")
        .body(body.clone())
        .send()
        .await?;
    assert_eq!(
        error_of(res).await,
        (StatusCode::FORBIDDEN, "forbidden_origin".into())
    );
    let res = ts
        .http
        .post(&join)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("code=Pour1nf0&name=planted")
        .send()
        .await?;
    assert_eq!(
        error_of(res).await,
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type".into()
        )
    );
    // From our own page, and from a script (no Origin), joining works.
    let res = ts
        .http
        .post(&join)
        .header(ORIGIN, &own)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(body)
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::OK);
    // A bearer token ignores cookies, so a foreign Origin does not matter to it.
    let res = ts
        .http
        .get(ts.url("/api/me"))
        .bearer_auth(&token)
        .header(ORIGIN, EVIL)
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::OK);
    // Over plain HTTP, no `Secure` flag (a browser would drop the cookie).
    let cookie = res_cookie(&ts, &own).await?;
    assert!(!cookie.contains("Secure"), "{cookie}");
    ts.server.shutdown().await;
    Ok(())
}

/// The `Set-Cookie` of a login made with `X-Forwarded-Proto: https` from loopback.
async fn res_cookie(ts: &TestServer, origin: &str) -> anyhow::Result<String> {
    let password = ts.server.admin_password.clone().unwrap_or_default();
    let res = ts
        .http
        .post(ts.url("/api/login"))
        .header(ORIGIN, origin)
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": "admin", "password": password}))
        .send()
        .await?;
    Ok(res
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxies_allowed_origins_and_hosts() -> anyhow::Result<()> {
    // Loopback is a trusted proxy by default: its X-Forwarded-Proto makes cookies Secure.
    let ts = TestServer::start("proxy").await?;
    // Behind the proxy the browser's origin is https://…: the same host counts as ours.
    let https_origin = format!("https://{}", ts.server.addr);
    let cookie = res_cookie(&ts, &https_origin).await?;
    assert!(
        cookie.contains("; Secure"),
        "over HTTPS through a trusted proxy: {cookie}"
    );
    ts.server.shutdown().await;

    // Nobody trusted: the forwarded scheme is ignored; an allowed origin may use cookies;
    // links are only made for allowed hosts.
    let config = Config::for_tests(&temp_sqlite_url("hosts"))
        .with_trusted_proxies(Some(""))?
        .with_allowed_origins(Some("https://slides.example.org"))?
        .with_allowed_hosts(Some("quiz.example.org"))?;
    let ts = TestServer::start_with(config).await?;
    let meeting = ts.demo_meeting().await?;
    let token = ts.admin_token().await?;
    let cookie = res_cookie(&ts, &format!("http://{}", ts.server.addr)).await?;
    assert!(
        !cookie.contains("Secure"),
        "untrusted X-Forwarded-Proto: {cookie}"
    );
    let ws = format!("ws://{}/ws/meetings/{meeting}", ts.server.addr);
    let staff_cookie = format!("lk_staff={token}");
    assert_eq!(
        upgrade(&ws, Some(&staff_cookie), "https://slides.example.org").await?,
        101
    );
    assert_eq!(
        upgrade(&ws, Some(&staff_cookie), "https://other.example.org").await?,
        403
    );
    let invite = |host: &'static str| {
        ts.http
            .get(ts.url(&format!("/api/meetings/{meeting}/invite")))
            .bearer_auth(&token)
            .header(HOST, host)
            .send()
    };
    let res = invite("evil.example.org").await?;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res: Value = invite("quiz.example.org").await?.json().await?;
    assert_eq!(res["base"], "http://quiz.example.org");
    ts.server.shutdown().await;
    Ok(())
}
