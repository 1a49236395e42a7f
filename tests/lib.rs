//! Shared harness for LibreKast's end-to-end tests: a real server on a random loopback port
//! (its own SQLite file, or PostgreSQL when asked), HTTP helpers, and a WebSocket client
//! that speaks the JSON protocol and remembers what it was told.
//!
//! - [`browser`]: headless Chromium sessions at phone and projector size, waits, screenshots.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use librekast_web::{Config, Server};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub mod browser;

pub const TIMEOUT: Duration = Duration::from_secs(15);

/// A unique SQLite database file under the system temp dir.
pub fn temp_sqlite_url(tag: &str) -> String {
    let n: u64 = rand_u64();
    let path =
        std::env::temp_dir().join(format!("librekast-{tag}-{}-{n:x}.db", std::process::id()));
    format!("sqlite://{}?mode=rwc", path.display())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

pub struct TestServer {
    pub server: Server,
    pub http: reqwest::Client,
    pub database_url: String,
}

impl TestServer {
    pub async fn start(tag: &str) -> anyhow::Result<TestServer> {
        Self::start_on(temp_sqlite_url(tag)).await
    }

    pub async fn start_on(database_url: String) -> anyhow::Result<TestServer> {
        let server = Server::start(Config::for_tests(&database_url)).await?;
        Ok(TestServer {
            server,
            http: reqwest::Client::new(),
            database_url,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// The demo meeting created on first start.
    pub async fn demo_meeting(&self) -> anyhow::Result<i64> {
        let list: Value = self
            .http
            .get(self.url("/api/meetings"))
            .send()
            .await?
            .json()
            .await?;
        list.as_array()
            .and_then(|l| l.iter().find(|m| m["title"] == "LibreKast demo"))
            .and_then(|m| m["id"].as_i64())
            .ok_or_else(|| anyhow!("no demo meeting in {list}"))
    }

    /// Joins and returns (attendee_id, token).
    pub async fn join(
        &self,
        meeting: i64,
        code: &str,
        name: &str,
    ) -> anyhow::Result<(i64, String)> {
        let res = self
            .http
            .post(self.url(&format!("/api/meetings/{meeting}/join")))
            .json(&json!({"code": code, "name": name}))
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await?;
        if !status.is_success() {
            bail!("join failed: {status} {body}");
        }
        Ok((
            body["attendee_id"].as_i64().unwrap_or(-1),
            body["token"].as_str().unwrap_or("").to_string(),
        ))
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let res = self
            .http
            .post(self.url("/api/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await?;
        if !status.is_success() {
            bail!("login failed: {status} {body}");
        }
        Ok(body["token"].as_str().unwrap_or("").to_string())
    }

    /// What storage holds for a meeting: the ground truth an acknowledged answer must be in.
    pub async fn stored(&self, meeting: i64) -> anyhow::Result<librekast_storage::LoadedMeeting> {
        Ok(self
            .server
            .engine
            .store()
            .load_meeting(librekast_storage::MeetingId(meeting))
            .await?)
    }

    pub async fn admin_token(&self) -> anyhow::Result<String> {
        let password = self
            .server
            .admin_password
            .clone()
            .context("no admin password on this start")?;
        self.login("admin", &password).await
    }

    pub async fn connect(&self, meeting: i64, token: &str) -> anyhow::Result<Client> {
        let url = format!(
            "ws://{}/ws/meetings/{meeting}?token={token}",
            self.server.addr
        );
        Client::connect(&url).await
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A protocol client that keeps the latest state, tallies and words it received.
pub struct Client {
    pub socket: Socket,
    pub state: Value,
    /// question_id → latest counts (from `tally` frames and `state.results`).
    pub counts: HashMap<i64, Value>,
    pub words: HashMap<i64, Value>,
    pub score: Option<i64>,
    pub frames: Vec<Value>,
    seq: u64,
}

impl Client {
    pub async fn connect(url: &str) -> anyhow::Result<Client> {
        let (socket, _) =
            tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(url)).await??;
        let mut c = Client {
            socket,
            state: Value::Null,
            counts: HashMap::new(),
            words: HashMap::new(),
            score: None,
            frames: Vec::new(),
            seq: 0,
        };
        let first = c.recv().await?;
        if first["type"] != "state" {
            bail!("first frame is not a state snapshot: {first}");
        }
        Ok(c)
    }

    fn absorb(&mut self, v: &Value) {
        match v["type"].as_str() {
            Some("state") => {
                self.state = v.clone();
                if let Some(q) = v["results"]["question_id"].as_i64() {
                    self.counts.insert(q, v["results"]["counts"].clone());
                }
                if let (Some(q), false) = (v["question"]["id"].as_i64(), v["words"].is_null()) {
                    self.words.insert(q, v["words"].clone());
                }
                if let Some(s) = v["you"]["score"].as_i64() {
                    self.score = Some(s);
                }
            }
            Some("tally") => {
                if let Some(q) = v["question_id"].as_i64() {
                    self.counts.insert(q, v["counts"].clone());
                }
            }
            Some("words") => {
                if let Some(q) = v["question_id"].as_i64() {
                    self.words.insert(q, v["words"].clone());
                }
            }
            Some("score") => self.score = v["score"].as_i64(),
            _ => {}
        }
        self.frames.push(v.clone());
    }

    /// The next text frame (pings are skipped), parsed and remembered.
    pub async fn recv(&mut self) -> anyhow::Result<Value> {
        loop {
            let msg = tokio::time::timeout(TIMEOUT, self.socket.next())
                .await
                .context("timed out waiting for a frame")?
                .context("connection ended")??;
            match msg {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str())?;
                    self.absorb(&v);
                    return Ok(v);
                }
                Message::Close(frame) => bail!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// Reads until the close frame and returns its code.
    pub async fn close_code(&mut self) -> anyhow::Result<u16> {
        loop {
            match tokio::time::timeout(TIMEOUT, self.socket.next())
                .await
                .context("no close")?
            {
                Some(Ok(Message::Close(Some(f)))) => return Ok(f.code.into()),
                Some(Ok(Message::Close(None))) => return Ok(1005),
                Some(Ok(_)) => {}
                Some(Err(e)) => bail!("error before close: {e}"),
                None => bail!("ended without a close frame"),
            }
        }
    }

    pub async fn send_text(&mut self, text: String) -> anyhow::Result<()> {
        self.socket.send(Message::text(text)).await?;
        Ok(())
    }

    /// Sends a frame with a fresh `ref` and returns its ack (frames in between are absorbed).
    pub async fn call(&mut self, mut frame: Value) -> anyhow::Result<Value> {
        self.seq += 1;
        let reference = format!("r{}", self.seq);
        frame["ref"] = json!(reference);
        self.send_text(frame.to_string()).await?;
        self.wait_for(|v| v["type"] == "ack" && v["ref"] == json!(reference))
            .await
    }

    /// Reads frames until one matches.
    pub async fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let v = tokio::time::timeout_at(deadline, self.recv())
                .await
                .context("condition not met in time")??;
            if pred(&v) {
                return Ok(v);
            }
        }
    }

    /// Reads until the latest state has this status.
    pub async fn wait_status(&mut self, status: &str) -> anyhow::Result<Value> {
        if self.state["status"] == status {
            return Ok(self.state.clone());
        }
        self.wait_for(|v| v["type"] == "state" && v["status"] == status)
            .await
    }

    /// Reads until the latest state is `ongoing` on an activity of this kind.
    pub async fn wait_open(&mut self, kind: &str) -> anyhow::Result<Value> {
        let open = |v: &Value| v["status"] == "ongoing" && v["question"]["kind"] == kind;
        if open(&self.state) {
            return Ok(self.state.clone());
        }
        self.wait_for(|v| v["type"] == "state" && open(v)).await
    }

    /// Reads until this question's latest counts equal `expected`.
    pub async fn wait_counts(&mut self, question: i64, expected: &Value) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        while self.counts.get(&question) != Some(expected) {
            tokio::time::timeout_at(deadline, self.recv())
                .await
                .with_context(|| {
                    format!(
                        "counts {:?} never became {expected}",
                        self.counts.get(&question)
                    )
                })??;
        }
        Ok(())
    }

    pub async fn control(&mut self, action: &str) -> anyhow::Result<Value> {
        self.call(json!({"type": "control", "action": action}))
            .await
    }

    pub async fn vote(&mut self, question: i64, choice: i64) -> anyhow::Result<Value> {
        self.call(json!({"type": "vote", "question_id": question, "choice_id": choice}))
            .await
    }

    pub async fn word(&mut self, question: i64, text: &str) -> anyhow::Result<Value> {
        self.call(json!({"type": "word", "question_id": question, "text": text}))
            .await
    }

    pub async fn flag(&mut self, code: &str) -> anyhow::Result<Value> {
        self.call(json!({"type": "flag", "code": code})).await
    }

    /// Drains what already arrived, without waiting long.
    pub async fn drain(&mut self) {
        while let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(300), self.recv()).await {}
    }
}

/// The `ok` of an ack, or a readable failure.
pub fn ok(ack: &Value) -> anyhow::Result<()> {
    if ack["ok"] == true {
        Ok(())
    } else {
        Err(anyhow!("ack not ok: {ack}"))
    }
}

pub fn error_code(ack: &Value) -> &str {
    ack["error"].as_str().unwrap_or("")
}

/// Choice ids of the current question, in order.
pub fn choice_ids(state: &Value) -> Vec<i64> {
    state["question"]["choices"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["id"].as_i64()).collect())
        .unwrap_or_default()
}

/// Fails when CI requires every optional backend and this one is missing; otherwise prints a
/// loud skip message and returns false.
pub fn require(what: &str, available: bool, hint: &str) -> bool {
    if available {
        return true;
    }
    if std::env::var("LIBREKAST_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("LIBREKAST_REQUIRE_ALL=1 but {what} is not available: {hint}");
    }
    eprintln!("\n!!!!!!!! SKIPPED {what}: {hint} !!!!!!!!\n");
    false
}
