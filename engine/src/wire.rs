//! Frame serialization shared by every audience: the `state` frame with its per-connection
//! `you`, acks and `score` frames.

use serde::Serialize;

use crate::ErrorCode;
use crate::event::{FlagAck, You};

/// The part of a `state` snapshot that is the same for a whole audience: the JSON object
/// without its closing brace, so a connection appends its own `"you"` cheaply.
#[derive(Debug)]
pub struct StateFrame {
    prefix: String,
}

impl StateFrame {
    /// `full` must be a JSON object (it comes from `serde_json`).
    pub fn from_object(mut full: String) -> StateFrame {
        if full.ends_with('}') {
            full.pop();
        }
        StateFrame { prefix: full }
    }

    /// The frame for one connection: its `you`, and `now` (the server's time as it is
    /// sent, so clients correct a countdown for their own clock).
    pub fn render(&self, you: Option<&You>) -> String {
        let you = you
            .and_then(|y| serde_json::to_string(y).ok())
            .unwrap_or_else(|| "null".to_string());
        let now = rfc3339_micros(librekast_storage::now_micros());
        let mut out = String::with_capacity(self.prefix.len() + you.len() + now.len() + 20);
        out.push_str(&self.prefix);
        out.push_str(",\"you\":");
        out.push_str(&you);
        out.push_str(",\"now\":\"");
        out.push_str(&now);
        out.push_str("\"}");
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckOk {
    Plain,
    Flag(FlagAck),
    /// A new post: its id; `answer`: an open question's answer (not a Q&A question).
    Item {
        id: u32,
        answer: bool,
    },
}

pub type AckResult = Result<AckOk, ErrorCode>;

/// `{"type":"ack","ref":…,"ok":…}`; `reference` is echoed as the client sent it.
pub fn ack_frame(reference: Option<&serde_json::Value>, result: &AckResult) -> String {
    #[derive(Serialize)]
    struct Ack<'a> {
        r#type: &'static str,
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        reference: Option<&'a serde_json::Value>,
        ok: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<ErrorCode>,
        #[serde(skip_serializing_if = "Option::is_none")]
        flag: Option<&'a FlagAck>,
        #[serde(skip_serializing_if = "Option::is_none")]
        item_id: Option<u32>,
    }
    let (ok, error, flag, item_id) = match result {
        Ok(AckOk::Plain) => (true, None, None, None),
        Ok(AckOk::Flag(f)) => (true, None, Some(f), None),
        Ok(AckOk::Item { id, .. }) => (true, None, None, Some(*id)),
        Err(code) => (false, Some(*code), None, None),
    };
    serde_json::to_string(&Ack {
        r#type: "ack",
        reference,
        ok,
        error,
        flag,
        item_id,
    })
    .unwrap_or_else(|_| r#"{"type":"ack","ok":false,"error":"bad_request"}"#.to_string())
}

/// RFC 3339 with milliseconds, UTC: precise enough for a countdown.
pub fn rfc3339_micros(at: librekast_storage::Micros) -> String {
    let whole = librekast_storage::rfc3339(at);
    let millis = at.rem_euclid(1_000_000) / 1_000;
    match whole.strip_suffix('Z') {
        Some(head) => format!("{head}.{millis:03}Z"),
        None => whole,
    }
}

pub fn score_frame(score: i64, rank: u32) -> String {
    format!(r#"{{"type":"score","score":{score},"rank":{rank}}}"#)
}

#[cfg(test)]
mod tests {
    use librekast_storage::AttendeeId;

    use super::*;

    #[test]
    fn state_frame_appends_you() {
        let f = StateFrame::from_object(r#"{"type":"state","status":"before"}"#.to_string());
        let v: serde_json::Value = serde_json::from_str(&f.render(None)).unwrap_or_default();
        assert_eq!(v["you"], serde_json::Value::Null);
        let you = You {
            attendee_id: AttendeeId(3),
            name: "a\"b".into(),
            score: 4,
            rank: 1,
            answer: None,
        };
        let v: serde_json::Value = serde_json::from_str(&f.render(Some(&you))).unwrap_or_default();
        assert_eq!(v["you"]["name"], "a\"b");
        assert_eq!(v["status"], "before");
        assert_eq!(v["you"]["rank"], 1);
    }

    #[test]
    fn acks() {
        let r = serde_json::json!("r1");
        assert_eq!(
            ack_frame(Some(&r), &Ok(AckOk::Plain)),
            r#"{"type":"ack","ref":"r1","ok":true}"#
        );
        assert_eq!(
            ack_frame(None, &Err(ErrorCode::BadRequest)),
            r#"{"type":"ack","ok":false,"error":"bad_request"}"#
        );
    }
}
