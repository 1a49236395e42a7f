//! Staff accounts over the API, as the users and account pages use it (docs/api.md, "Users
//! and sessions"): admins add, re-role, reset and remove accounts, organizers are refused,
//! the last admin stays; a reset or a removal ends the target's sessions and closes their
//! WebSockets; everyone lists and ends their own sessions; `/api/setup` says where the first
//! admin password is until someone logged in. Each scenario runs on SQLite, and all of them
//! again on PostgreSQL when `LIBREKAST_TEST_POSTGRES` is set.

use anyhow::{Context, anyhow, ensure};
use librekast_tests::*;
use reqwest::header::USER_AGENT;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Logs in with a given `User-Agent` (as a browser would send it).
async fn login_from(
    ts: &TestServer,
    username: &str,
    password: &str,
    user_agent: &str,
) -> anyhow::Result<String> {
    let res = ts
        .http
        .post(ts.url("/api/login"))
        .header(USER_AGENT, user_agent)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await?;
    let status = res.status();
    let body: Value = res.json().await?;
    ensure!(status.is_success(), "login failed: {status} {body}");
    body["token"]
        .as_str()
        .map(str::to_owned)
        .context("no token")
}

/// `POST /api/users` by `admin`; the password of the answer.
async fn add(
    ts: &TestServer,
    admin: &str,
    username: &str,
    role: &str,
    password: Option<&str>,
) -> anyhow::Result<String> {
    let mut body = json!({"username": username, "role": role});
    if let Some(p) = password {
        body["password"] = json!(p);
    }
    let (status, answer) = ts
        .call(Method::POST, "/api/users", admin, Some(body))
        .await?;
    ensure!(
        status == StatusCode::CREATED,
        "add {username}: {status} {answer}"
    );
    answer["password"]
        .as_str()
        .map(str::to_owned)
        .context("no password in the answer")
}

fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}

fn row<'a>(list: &'a Value, username: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|u| u["username"] == username)
}

async fn status_of(ts: &TestServer, token: &str) -> anyhow::Result<StatusCode> {
    Ok(ts.call(Method::GET, "/api/me", token, None).await?.0)
}

// ---------------------------------------------------------------- scenarios

/// Add (generated and given passwords), list, change a role, remove; the answers' errors.
async fn admins_manage_accounts(ts: &TestServer) -> anyhow::Result<()> {
    let admin = ts.admin_token().await?;
    let (status, list) = ts.call(Method::GET, "/api/users", &admin, None).await?;
    ensure!(status == StatusCode::OK, "{status} {list}");
    let me = row(&list, "admin").context("admin listed")?;
    ensure!(
        me["role"] == "admin" && me["sessions"].as_u64() >= Some(1),
        "{me}"
    );
    ensure!(
        me["last_login"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{me}"
    );

    // A generated password: readable groups, shown once, and it works.
    let generated = add(ts, &admin, "olga", "organizer", None).await?;
    ensure!(
        generated.len() == 19 && generated.split('-').all(|g| g.len() == 4),
        "{generated}"
    );
    let olga = ts.login("olga", &generated).await?;
    let (_, list) = ts.call(Method::GET, "/api/users", &admin, None).await?;
    let row_olga = row(&list, "olga").context("olga listed")?;
    ensure!(
        row_olga["role"] == "organizer" && row_olga["sessions"] == 1,
        "{row_olga}"
    );
    ensure!(
        !list.to_string().contains(&generated),
        "passwords are never listed"
    );
    // A given password, a name with a space and an accent.
    add(ts, &admin, "Zoé Martin", "admin", Some("zoé's password")).await?;
    ts.login("Zoé Martin", "zoé's password").await?;

    // Refusals, each with its code.
    let refused = [
        (
            json!({"username": "olga", "role": "admin"}),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            json!({"username": "  ", "role": "admin"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({"username": "a  b", "role": "admin"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({"username": "x".repeat(65), "role": "admin"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({"username": "bidi\u{202e}", "role": "admin"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({"username": "otto", "role": "owner"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({"username": "otto", "role": "admin", "password": "short"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            json!({"name": "otto"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    for (body, want, code) in refused {
        let (status, answer) = ts
            .call(Method::POST, "/api/users", &admin, Some(body.clone()))
            .await?;
        ensure!(
            (status, error(&answer)) == (want, code),
            "{body}: {status} {answer}"
        );
    }

    // Promote, then demote: the demotion ends her sessions (she keeps no admin rights).
    let (status, answer) = ts
        .call(
            Method::PUT,
            "/api/users/olga",
            &admin,
            Some(json!({"role": "admin"})),
        )
        .await?;
    ensure!(
        status == StatusCode::OK && answer["role"] == "admin" && answer["ended"] == 0,
        "{status} {answer}"
    );
    let (_, me) = ts.call(Method::GET, "/api/me", &olga, None).await?;
    ensure!(me["role"] == "admin", "a promotion applies at once: {me}");
    let (status, answer) = ts
        .call(
            Method::PUT,
            "/api/users/olga",
            &admin,
            Some(json!({"role": "organizer"})),
        )
        .await?;
    ensure!(
        status == StatusCode::OK && answer["ended"] == 1,
        "{status} {answer}"
    );
    ensure!(status_of(ts, &olga).await? == StatusCode::UNAUTHORIZED);
    // A name in the path is percent-decoded.
    let (status, answer) = ts
        .call(
            Method::PUT,
            "/api/users/Zo%C3%A9%20Martin",
            &admin,
            Some(json!({"role": "organizer"})),
        )
        .await?;
    ensure!(status == StatusCode::OK, "{status} {answer}");
    for (method, path, body) in [
        (
            Method::PUT,
            "/api/users/nobody",
            Some(json!({"role": "admin"})),
        ),
        (Method::DELETE, "/api/users/nobody", None),
        (Method::POST, "/api/users/nobody/password", Some(json!({}))),
    ] {
        let (status, answer) = ts.call(method.clone(), path, &admin, body).await?;
        ensure!(
            (status, error(&answer)) == (StatusCode::NOT_FOUND, "not_found"),
            "{method} {path}: {status} {answer}"
        );
    }
    let (status, answer) = ts
        .call(
            Method::PUT,
            "/api/users/olga",
            &admin,
            Some(json!({"role": "root"})),
        )
        .await?;
    ensure!(status == StatusCode::BAD_REQUEST, "{status} {answer}");

    // Remove: she cannot log in any more, and is no longer listed.
    let olga = ts.login("olga", &generated).await?;
    let (status, answer) = ts
        .call(Method::DELETE, "/api/users/olga", &admin, None)
        .await?;
    ensure!(
        status == StatusCode::OK && answer["ended"] == 1,
        "{status} {answer}"
    );
    ensure!(status_of(ts, &olga).await? == StatusCode::UNAUTHORIZED);
    ensure!(ts.login("olga", &generated).await.is_err());
    let (_, list) = ts.call(Method::GET, "/api/users", &admin, None).await?;
    ensure!(row(&list, "olga").is_none(), "{list}");
    Ok(())
}

/// Organizers get `403 forbidden` on every users route; nobody logged in gets `401`.
async fn organizers_are_refused(ts: &TestServer) -> anyhow::Result<()> {
    let admin = ts.admin_token().await?;
    let password = add(ts, &admin, "otto", "organizer", None).await?;
    let otto = ts.login("otto", &password).await?;
    let routes = [
        (Method::GET, "/api/users", None),
        (
            Method::POST,
            "/api/users",
            Some(json!({"username": "x", "role": "admin"})),
        ),
        (
            Method::PUT,
            "/api/users/otto",
            Some(json!({"role": "admin"})),
        ),
        (Method::POST, "/api/users/admin/password", Some(json!({}))),
        (Method::DELETE, "/api/users/admin", None),
    ];
    for (method, path, body) in routes.iter().cloned() {
        let (status, answer) = ts.call(method.clone(), path, &otto, body).await?;
        ensure!(
            (status, error(&answer)) == (StatusCode::FORBIDDEN, "forbidden"),
            "{method} {path}: {status} {answer}"
        );
    }
    for (method, path, body) in routes {
        let (status, answer) = ts.call(method.clone(), path, "not-a-token", body).await?;
        ensure!(
            (status, error(&answer)) == (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{method} {path}: {status} {answer}"
        );
    }
    // Nothing changed; his own sessions are his to see.
    let (_, me) = ts.call(Method::GET, "/api/me", &otto, None).await?;
    ensure!(me["role"] == "organizer", "{me}");
    let (status, list) = ts
        .call(Method::GET, "/api/me/sessions", &otto, None)
        .await?;
    ensure!(
        status == StatusCode::OK && list.as_array().map(Vec::len) == Some(1),
        "{list}"
    );
    Ok(())
}

/// The last admin can be neither demoted nor removed; with a second one, either can go.
async fn the_last_admin_stays(ts: &TestServer) -> anyhow::Result<()> {
    let admin = ts.admin_token().await?;
    for (method, body) in [
        (Method::PUT, Some(json!({"role": "organizer"}))),
        (Method::DELETE, None),
    ] {
        let (status, answer) = ts
            .call(method.clone(), "/api/users/admin", &admin, body)
            .await?;
        ensure!(
            (status, error(&answer)) == (StatusCode::CONFLICT, "last_admin"),
            "{method}: {status} {answer}"
        );
    }
    ensure!(
        status_of(ts, &admin).await? == StatusCode::OK,
        "still admin"
    );
    let password = add(ts, &admin, "backup", "admin", None).await?;
    let backup = ts.login("backup", &password).await?;
    let (status, answer) = ts
        .call(
            Method::PUT,
            "/api/users/admin",
            &backup,
            Some(json!({"role": "organizer"})),
        )
        .await?;
    ensure!(status == StatusCode::OK, "{status} {answer}");
    // Now `backup` is the last admin: it cannot remove itself.
    let (status, answer) = ts
        .call(Method::DELETE, "/api/users/backup", &backup, None)
        .await?;
    ensure!(
        (status, error(&answer)) == (StatusCode::CONFLICT, "last_admin"),
        "{status} {answer}"
    );
    Ok(())
}

/// A reset ends every session of the target (open WebSockets close with 4001) and hands
/// out a new password; an admin resetting themselves keeps the session that asked.
async fn a_reset_ends_the_targets_sessions(ts: &TestServer) -> anyhow::Result<()> {
    let meeting = ts.demo_meeting().await?;
    let admin = ts.admin_token().await?;
    let old = add(ts, &admin, "ada", "admin", Some("ada's first password")).await?;
    let ada = ts.login("ada", &old).await?;
    let mut socket = ts.connect(meeting, &ada).await?;
    let (status, answer) = ts
        .call(
            Method::POST,
            "/api/users/ada/password",
            &admin,
            Some(json!({})),
        )
        .await?;
    ensure!(
        status == StatusCode::OK && answer["ended"] == 1,
        "{status} {answer}"
    );
    // At once, not on the next sweep for changes made elsewhere (every 3 s, so without the
    // direct revocation this wait would mostly be longer than a second).
    let answered = std::time::Instant::now();
    ensure!(
        socket.close_code().await? == 4001,
        "her dashboard is closed"
    );
    let waited = answered.elapsed();
    eprintln!("her socket closed {waited:?} after the answer");
    ensure!(
        waited < std::time::Duration::from_secs(1),
        "closed by the sweep, not by the reset: {waited:?}"
    );
    ensure!(status_of(ts, &ada).await? == StatusCode::UNAUTHORIZED);
    let new = answer["password"].as_str().context("a new password")?;
    ensure!(new != old);
    ensure!(
        ts.login("ada", &old).await.is_err(),
        "the old password is gone"
    );
    ts.login("ada", new).await?;

    // A chosen password, with the same rules as everywhere.
    let (status, answer) = ts
        .call(
            Method::POST,
            "/api/users/ada/password",
            &admin,
            Some(json!({"password": "short"})),
        )
        .await?;
    ensure!(status == StatusCode::BAD_REQUEST, "{status} {answer}");
    let (status, _) = ts
        .call(
            Method::POST,
            "/api/users/ada/password",
            &admin,
            Some(json!({"password": "ada's third password"})),
        )
        .await?;
    ensure!(status == StatusCode::OK);
    ts.login("ada", "ada's third password").await?;

    // Resetting oneself: the other sessions end, this one stays.
    let other = ts.admin_token().await?;
    let (status, answer) = ts
        .call(
            Method::POST,
            "/api/users/admin/password",
            &admin,
            Some(json!({"password": "the admin's new password"})),
        )
        .await?;
    ensure!(status == StatusCode::OK, "{status} {answer}");
    ensure!(answer["ended"].as_u64() >= Some(1), "{answer}");
    ensure!(status_of(ts, &admin).await? == StatusCode::OK);
    ensure!(status_of(ts, &other).await? == StatusCode::UNAUTHORIZED);
    Ok(())
}

/// Everyone lists their own sessions (ids, not tokens; where each was opened) and ends one
/// (its socket closes, its token stops working) or all the others.
async fn own_sessions_are_listed_and_ended(ts: &TestServer) -> anyhow::Result<()> {
    let meeting = ts.demo_meeting().await?;
    let admin = ts.admin_token().await?;
    add(ts, &admin, "mia", "admin", Some("mia's password")).await?;
    let laptop = login_from(
        ts,
        "mia",
        "mia's password",
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0",
    )
    .await?;
    let phone = login_from(
        ts,
        "mia",
        "mia's password",
        "Mozilla/5.0 (iPhone) Safari/605.1",
    )
    .await?;
    let script = ts.login("mia", "mia's password").await?;

    let (status, list) = ts
        .call(Method::GET, "/api/me/sessions", &laptop, None)
        .await?;
    ensure!(status == StatusCode::OK, "{status} {list}");
    let sessions = list.as_array().context("a list")?;
    ensure!(sessions.len() == 3, "{list}");
    let text = list.to_string();
    for token in [&laptop, &phone, &script] {
        ensure!(!text.contains(token.as_str()), "a token in the list");
    }
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    ensure!(current.len() == 1, "{list}");
    ensure!(
        current[0]["user_agent"]
            .as_str()
            .is_some_and(|u| u.contains("Linux")),
        "{list}"
    );
    ensure!(current[0]["address"] == "127.0.0.1", "{list}");
    for s in sessions {
        let id = s["id"].as_str().context("an id")?;
        ensure!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{s}"
        );
        ensure!(
            s["created_at"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{s}"
        );
        ensure!(s["last_seen_at"].as_str().is_some(), "{s}");
    }
    let phone_id = sessions
        .iter()
        .find(|s| {
            s["user_agent"]
                .as_str()
                .is_some_and(|u| u.contains("iPhone"))
        })
        .and_then(|s| s["id"].as_str())
        .context("the phone's session")?
        .to_owned();

    // Nobody else can end it; its owner can, from another session.
    let path = format!("/api/me/sessions/{phone_id}");
    let (status, _) = ts.call(Method::DELETE, &path, &admin, None).await?;
    ensure!(status == StatusCode::NOT_FOUND, "not the admin's session");
    ensure!(status_of(ts, &phone).await? == StatusCode::OK);
    let mut socket = ts.connect(meeting, &phone).await?;
    let (status, answer) = ts.call(Method::DELETE, &path, &laptop, None).await?;
    ensure!(
        status == StatusCode::OK && answer["current"] == false,
        "{status} {answer}"
    );
    ensure!(socket.close_code().await? == 4001, "its dashboard closes");
    ensure!(status_of(ts, &phone).await? == StatusCode::UNAUTHORIZED);
    let (status, _) = ts.call(Method::DELETE, &path, &laptop, None).await?;
    ensure!(status == StatusCode::NOT_FOUND, "gone already");
    for junk in ["zz", "0123456789abcdef0", "..%2Fusers"] {
        let (status, _) = ts
            .call(
                Method::DELETE,
                &format!("/api/me/sessions/{junk}"),
                &laptop,
                None,
            )
            .await?;
        ensure!(status == StatusCode::NOT_FOUND, "{junk}: {status}");
    }

    // Everywhere else: the script's session ends, this one stays.
    let again = ts.login("mia", "mia's password").await?;
    let (status, answer) = ts
        .call(Method::DELETE, "/api/me/sessions", &laptop, None)
        .await?;
    ensure!(
        status == StatusCode::OK && answer["ended"] == 2,
        "{status} {answer}"
    );
    for token in [&script, &again] {
        ensure!(status_of(ts, token).await? == StatusCode::UNAUTHORIZED);
    }
    let (_, list) = ts
        .call(Method::GET, "/api/me/sessions", &laptop, None)
        .await?;
    ensure!(
        list.as_array().map(Vec::len) == Some(1) && list[0]["current"] == true,
        "{list}"
    );
    let (status, _) = ts
        .call(Method::GET, "/api/me/sessions", "nope", None)
        .await?;
    ensure!(status == StatusCode::UNAUTHORIZED);

    // Ending one's own current session is a logout.
    let id = list[0]["id"].as_str().context("id")?.to_owned();
    let (status, answer) = ts
        .call(
            Method::DELETE,
            &format!("/api/me/sessions/{id}"),
            &laptop,
            None,
        )
        .await?;
    ensure!(
        status == StatusCode::OK && answer["current"] == true,
        "{answer}"
    );
    ensure!(status_of(ts, &laptop).await? == StatusCode::UNAUTHORIZED);
    Ok(())
}

/// `/api/setup` points at the log until the first login, and the log line says the words.
async fn setup_hint_until_the_first_login(ts: &TestServer) -> anyhow::Result<()> {
    let setup = || async {
        let res = ts.http.get(ts.url("/api/setup")).send().await?;
        anyhow::Ok(res.json::<Value>().await?)
    };
    let first = setup().await?;
    ensure!(first["first_run"] == true, "{first}");
    ensure!(
        first["hint"]
            .as_str()
            .is_some_and(|h| h.contains("admin password")
                && h.contains("librekast user passwd admin --password-stdin")),
        "{first}"
    );
    ts.admin_token().await?;
    let after = setup().await?;
    ensure!(
        after["first_run"] == false && after["hint"].is_null(),
        "{after}"
    );
    Ok(())
}

// ---------------------------------------------------------------- runs

/// One test per scenario on its own SQLite file.
macro_rules! scenario {
    ($name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() -> anyhow::Result<()> {
            let ts = TestServer::start(stringify!($name)).await?;
            let outcome = super::$name(&ts).await;
            ts.server.shutdown().await;
            outcome
        }
    };
}

mod sqlite {
    use super::*;
    scenario!(admins_manage_accounts);
    scenario!(organizers_are_refused);
    scenario!(the_last_admin_stays);
    scenario!(a_reset_ends_the_targets_sessions);
    scenario!(own_sessions_are_listed_and_ended);
    scenario!(setup_hint_until_the_first_login);
}

/// Every scenario again, each on a fresh PostgreSQL database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_on_postgres() -> anyhow::Result<()> {
    for name in [
        "setup",
        "manage",
        "refused",
        "last_admin",
        "reset",
        "sessions",
    ] {
        let Some(pg) = PgDatabase::create(&format!("users_{name}")).await? else {
            return Ok(());
        };
        let ts = TestServer::start_on(pg.url.clone()).await?;
        let outcome = match name {
            "setup" => setup_hint_until_the_first_login(&ts).await,
            "manage" => admins_manage_accounts(&ts).await,
            "refused" => organizers_are_refused(&ts).await,
            "last_admin" => the_last_admin_stays(&ts).await,
            "reset" => a_reset_ends_the_targets_sessions(&ts).await,
            "sessions" => own_sessions_are_listed_and_ended(&ts).await,
            other => Err(anyhow!("no scenario {other}")),
        };
        ts.server.shutdown().await;
        pg.drop_database().await?;
        outcome.with_context(|| format!("{name} on PostgreSQL"))?;
    }
    Ok(())
}
