//! A LibreKast server in a child process, for tests that kill it, fill its disk or start a
//! second one on the same database: this test binary re-executes itself with
//! `LIBREKAST_CHILD_DB` set, which turns [`server_child`] into a server. A `wrapper` (e.g.
//! `unshare -m sh -c …`) may run in front of it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use librekast_tests::*;
use serde_json::{Value, json};

const CHILD_ENV: &str = "LIBREKAST_CHILD_DB";

/// Not a test on its own: the server process of the tests that need one.
#[test]
fn server_child() {
    let Ok(db) = std::env::var(CHILD_ENV) else {
        return;
    };
    let Ok(rt) = tokio::runtime::Runtime::new() else {
        return;
    };
    rt.block_on(async move {
        let server = match librekast_web::Server::start(librekast_web::Config::for_tests(&db)).await
        {
            Ok(s) => s,
            Err(e) => {
                println!("FAILED {e}");
                return;
            }
        };
        println!("LISTENING {}", server.addr);
        println!("ADMIN {}", server.admin_password.as_deref().unwrap_or("-"));
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            return;
        };
        term.recv().await;
        server.shutdown().await;
        println!("STOPPED");
        std::process::exit(0);
    });
}

pub struct ServerProcess {
    pub child: Child,
    pub addr: String,
    pub admin: Option<String>,
    pub lines: std::sync::mpsc::Receiver<String>,
}

/// A failing test must not leave its server running.
impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server on `db` and waits until it listens.
pub fn spawn_server(db: &str) -> anyhow::Result<ServerProcess> {
    spawn_server_in(&[], db)
}

/// Starts a server on `db` with `wrapper` in front of the command (the command and its
/// arguments are appended to it).
pub fn spawn_server_in(wrapper: &[&str], db: &str) -> anyhow::Result<ServerProcess> {
    let exe = std::env::current_exe()?;
    let exe = exe.to_string_lossy().into_owned();
    let mut args: Vec<String> = wrapper.iter().map(|s| s.to_string()).collect();
    args.extend(
        [
            exe.as_str(),
            "--exact",
            "child::server_child",
            "--nocapture",
            "--test-threads=1",
        ]
        .map(String::from),
    );
    let mut child = Command::new(&args[0])
        .args(&args[1..])
        .env(CHILD_ENV, db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (mut addr, mut admin) = (None, None);
    while admin.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .context("server child did not start")?;
        // libtest may print its own "test … " prefix on the same line.
        let after = |tag: &str| {
            line.find(tag)
                .map(|i| line[i + tag.len()..].trim().to_string())
        };
        if let Some(a) = after("LISTENING ") {
            addr = Some(a);
        } else if let Some(p) = after("ADMIN ") {
            admin = Some((p != "-").then_some(p));
        } else if line.contains("FAILED") {
            bail!("server child: {line}");
        }
    }
    let admin = admin.flatten();
    Ok(ServerProcess {
        child,
        addr: addr.context("no address")?,
        admin,
        lines: rx,
    })
}

impl ServerProcess {
    /// The first meeting listed (the demo meeting on a fresh database).
    pub async fn first_meeting(&self) -> anyhow::Result<i64> {
        let list: Value = reqwest::get(format!("http://{}/api/meetings", self.addr))
            .await?
            .json()
            .await?;
        list[0]["id"].as_i64().context("no meeting")
    }

    /// Logs in as `admin` with the password this start printed.
    pub async fn admin_token(&self) -> anyhow::Result<String> {
        let admin = self.admin.clone().context("no admin password")?;
        let v = post(
            &self.addr,
            "/api/login",
            json!({"username": "admin", "password": admin}),
        )
        .await?;
        Ok(v["token"].as_str().unwrap_or("").to_string())
    }
}

pub async fn post(addr: &str, path: &str, body: Value) -> anyhow::Result<Value> {
    let res = reqwest::Client::new()
        .post(format!("http://{addr}{path}"))
        .json(&body)
        .send()
        .await?;
    let status = res.status();
    let v: Value = res.json().await?;
    if !status.is_success() {
        bail!("{path}: {status} {v}");
    }
    Ok(v)
}

pub async fn connect(addr: &str, meeting: i64, token: &str) -> anyhow::Result<Client> {
    Client::connect(&format!("ws://{addr}/ws/meetings/{meeting}?token={token}")).await
}
