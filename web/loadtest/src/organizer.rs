//! The organizer: one staff WebSocket that drives the meeting. A task keeps reading it (a
//! staff connection that stops reading would be dropped after 10 s) and publishes the latest
//! snapshot; the coordinator sends controls through it and waits for their acks.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;

use librekast_client::socket::{Ws, close, ws_error};
use librekast_client::wire::{Counts, PlanItem, Question, Ref, StaffFrame};

/// The organizer's picture of the meeting, from its latest `state`, `tally` and
/// `participants` frames.
#[derive(Debug, Clone, Default)]
pub struct StaffView {
    pub status: String,
    pub position: i64,
    pub question: Option<Question>,
    /// Live counts of the current poll/quiz (staff see quiz counts while it is open).
    pub counts: Option<(i64, Counts)>,
    pub plan: Vec<PlanItem>,
    pub participants: Option<u64>,
}

impl StaffView {
    fn apply(&mut self, f: StaffFrame) {
        match f.kind.as_str() {
            "state" => {
                self.status = f.status.unwrap_or_default();
                self.position = f.position.unwrap_or(0);
                self.question = f.question;
                self.counts = f.results.map(|r| (r.question_id, r.counts));
                if let Some(plan) = f.plan {
                    self.plan = plan;
                }
            }
            "tally" => {
                if let (Some(q), Some(c)) = (f.question_id, f.counts) {
                    self.counts = Some((q, c));
                }
            }
            "participants" => self.participants = f.count,
            _ => {}
        }
    }
}

enum Command {
    Control {
        action: &'static str,
        reply: oneshot::Sender<Result<Instant, String>>,
    },
    Close {
        reply: oneshot::Sender<Result<(), String>>,
    },
}

pub struct Organizer {
    commands: mpsc::Sender<Command>,
    view: watch::Receiver<StaffView>,
    timeout: Duration,
}

impl Organizer {
    pub async fn connect(url: &str, limit: Duration) -> anyhow::Result<Organizer> {
        let mut ws = timeout(limit, librekast_client::socket::open(url))
            .await
            .context("organizer WebSocket: timed out")?
            .map_err(|e| anyhow!("organizer WebSocket: {}", ws_error(&e)))?;
        let mut view = StaffView::default();
        let first = timeout(limit, ws.next())
            .await
            .context("organizer WebSocket: no first frame")?;
        match first {
            Some(Ok(Message::Text(t))) => {
                let f: StaffFrame = serde_json::from_str(t.as_str())
                    .context("organizer WebSocket: first frame is not a state")?;
                if f.kind != "state" {
                    bail!(
                        "organizer WebSocket: first frame is a {:?}, not a state",
                        f.kind
                    );
                }
                view.apply(f);
            }
            other => bail!("organizer WebSocket: unexpected first frame {other:?}"),
        }
        let (view_tx, view_rx) = watch::channel(view);
        let (commands, commands_rx) = mpsc::channel(8);
        tokio::spawn(drive(ws, view_tx, commands_rx));
        Ok(Organizer {
            commands,
            view: view_rx,
            timeout: limit,
        })
    }

    pub fn view(&self) -> StaffView {
        self.view.borrow().clone()
    }

    /// Sends a control and returns when its ack arrived; a refused control is an error.
    pub async fn control(&self, action: &'static str) -> anyhow::Result<Instant> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Control { action, reply })
            .await
            .map_err(|_| anyhow!("the organizer connection ended"))?;
        match timeout(self.timeout, answer).await {
            Err(_) => bail!("no ack for control {action:?} within {:?}", self.timeout),
            Ok(Err(_)) => bail!("the organizer connection ended before the ack of {action:?}"),
            Ok(Ok(Err(code))) => bail!("control {action:?} refused: {code}"),
            Ok(Ok(Ok(at))) => Ok(at),
        }
    }

    /// Waits until the organizer's view satisfies `ready` (acks and broadcasts travel
    /// separately, so the `state` a control caused may come after its ack).
    pub async fn wait(
        &mut self,
        what: &str,
        ready: impl FnMut(&StaffView) -> bool,
    ) -> anyhow::Result<StaffView> {
        match timeout(self.timeout, self.view.wait_for(ready)).await {
            Err(_) => bail!("the meeting did not reach {what} within {:?}", self.timeout),
            Ok(Err(_)) => bail!("the organizer connection ended while waiting for {what}"),
            Ok(Ok(v)) => Ok(v.clone()),
        }
    }

    pub async fn close(self) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Close { reply }).await.is_err() {
            return Err("the organizer connection had already ended".into());
        }
        answer
            .await
            .unwrap_or_else(|_| Err("the organizer connection ended".into()))
    }
}

async fn drive(mut ws: Ws, view: watch::Sender<StaffView>, mut commands: mpsc::Receiver<Command>) {
    let mut seq = 0u64;
    let mut pending: HashMap<u64, oneshot::Sender<Result<Instant, String>>> = HashMap::new();
    loop {
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                };
                let Ok(f) = serde_json::from_str::<StaffFrame>(text.as_str()) else {
                    continue;
                };
                if f.kind == "ack" {
                    if let Ref(Some(r)) = f.reference
                        && let Some(reply) = pending.remove(&r)
                    {
                        let answer = if f.ok == Some(true) {
                            Ok(Instant::now())
                        } else {
                            Err(f.error.unwrap_or_else(|| "no error code".into()))
                        };
                        let _ = reply.send(answer);
                    }
                } else {
                    view.send_modify(|v| v.apply(f));
                }
            }
            cmd = commands.recv() => match cmd {
                Some(Command::Control { action, reply }) => {
                    seq += 1;
                    let text = format!(r#"{{"type":"control","action":"{action}","ref":{seq}}}"#);
                    if ws.send(Message::text(text)).await.is_err() {
                        return;
                    }
                    pending.insert(seq, reply);
                }
                Some(Command::Close { reply }) => {
                    let _ = reply.send(close(&mut ws).await);
                    return;
                }
                None => return,
            },
        }
    }
}
