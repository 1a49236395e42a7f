//! [`Client`]: a protocol client for tests and tools. It sends frames with fresh `ref`s,
//! matches their acks, and keeps the latest `state`, tallies, words and score it was sent,
//! so a caller waits for the condition it needs instead of for time.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::socket::{self, Ws};

/// The longest any single wait of a [`Client`] lasts.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// A protocol client that keeps the latest state, tallies and words it received.
pub struct Client {
    pub socket: Ws,
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
        let socket = tokio::time::timeout(TIMEOUT, socket::open(url))
            .await
            .context("timed out opening the WebSocket")?
            .map_err(|e| anyhow!(socket::ws_error(&e)))?;
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

    /// Reads until the latest `state` satisfies `pred` (checked on the one already held first).
    /// A control's ack and the `state` it caused travel separately, so a test that needs the
    /// new state waits for it here instead of reading `self.state` right after the ack.
    pub async fn wait_state(&mut self, pred: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        if pred(&self.state) {
            return Ok(self.state.clone());
        }
        self.wait_for(|v| v["type"] == "state" && pred(v)).await
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

    /// Reads until this question's latest words (from `words` frames or a `state`) satisfy
    /// `pred`, checked first on what is already held: the frame that completes them may
    /// have arrived while this client waited for an ack.
    pub async fn wait_words(
        &mut self,
        question: i64,
        pred: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if let Some(w) = self.words.get(&question).filter(|w| pred(w)) {
                return Ok(w.clone());
            }
            tokio::time::timeout_at(deadline, self.recv())
                .await
                .with_context(|| {
                    format!("words {:?} never matched", self.words.get(&question))
                })??;
        }
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
