//! Server→client frames. Shared frames are serialized once per audience and handed to every
//! connection as `Arc<str>`; only the `you` part of a `state` frame is per connection.

use std::sync::Arc;

use librekast_storage::AttendeeId;
use serde::Serialize;

use crate::ErrorCode;

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

    pub fn render(&self, you: Option<&You>) -> String {
        let you = you
            .and_then(|y| serde_json::to_string(y).ok())
            .unwrap_or_else(|| "null".to_string());
        let mut out = String::with_capacity(self.prefix.len() + you.len() + 10);
        out.push_str(&self.prefix);
        out.push_str(",\"you\":");
        out.push_str(&you);
        out.push('}');
        out
    }
}

/// A participant's own seat, rendered into their `state` frames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct You {
    pub attendee_id: AttendeeId,
    pub name: String,
    pub score: i64,
}

/// What a connection needs to render on connect or after it lagged.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub state: Arc<StateFrame>,
    pub you: Option<You>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagAck {
    pub name: String,
    pub points: i64,
    pub first_blood: bool,
    pub score: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckOk {
    Plain,
    Flag(FlagAck),
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
    }
    let (ok, error, flag) = match result {
        Ok(AckOk::Plain) => (true, None, None),
        Ok(AckOk::Flag(f)) => (true, None, Some(f)),
        Err(code) => (false, Some(*code), None),
    };
    serde_json::to_string(&Ack {
        r#type: "ack",
        reference,
        ok,
        error,
        flag,
    })
    .unwrap_or_else(|_| r#"{"type":"ack","ok":false,"error":"bad_request"}"#.to_string())
}

pub fn score_frame(score: i64) -> String {
    format!(r#"{{"type":"score","score":{score}}}"#)
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A plain-text description as HTML: escaped, blank lines make paragraphs, single newlines
/// make line breaks.
pub fn description_html(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect()
}

#[cfg(test)]
mod tests {
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
        };
        let v: serde_json::Value = serde_json::from_str(&f.render(Some(&you))).unwrap_or_default();
        assert_eq!(v["you"]["name"], "a\"b");
        assert_eq!(v["status"], "before");
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

    #[test]
    fn descriptions_are_escaped() {
        assert_eq!(
            description_html("<b>hi</b>\nthere\n\nnext"),
            "<p>&lt;b&gt;hi&lt;/b&gt;<br>there</p><p>next</p>"
        );
    }
}
