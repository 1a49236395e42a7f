//! Server→client frames. Shared frames are serialized once per audience and handed to every
//! connection as `Arc<str>`; only the `you` part of a `state` frame is per connection.

use std::sync::Arc;

use std::collections::HashMap;

use librekast_storage::{ActivityId, AttendeeId, ChoiceId};
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
    /// 1-based place in the scoreboard order (score, then who joined first).
    pub rank: u32,
    /// What this participant gave to the current activity, if anything.
    pub answer: Option<Answer>,
}

/// A participant's answer to one activity: the choice of a poll or quiz (with the points a
/// closed quiz paid for it), or the words given to a word cloud. It lets a page that was
/// reloaded show "your answer" and the quiz correction again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub question_id: ActivityId,
    pub choice_id: Option<ChoiceId>,
    pub words: Vec<String>,
    /// Quiz points paid for this answer once the quiz closed; `None` while open and for polls.
    pub points: Option<i64>,
}

impl You {
    /// Folds this connection's own accepted vote into its seat.
    pub fn voted(&mut self, question_id: ActivityId, choice_id: ChoiceId) {
        self.answer = Some(Answer {
            question_id,
            choice_id: Some(choice_id),
            words: Vec::new(),
            points: None,
        });
    }

    /// Folds this connection's own accepted word (its normalised key) into its seat.
    pub fn gave_word(&mut self, question_id: ActivityId, key: String) {
        match &mut self.answer {
            Some(a) if a.question_id == question_id => {
                if !a.words.contains(&key) {
                    a.words.push(key);
                }
            }
            _ => {
                self.answer = Some(Answer {
                    question_id,
                    choice_id: None,
                    words: vec![key],
                    points: None,
                })
            }
        }
    }

    /// Takes this participant's score, rank and quiz award from new standings. True when the
    /// score or the rank changed (the connection then sends a `score` frame): someone else's
    /// points move this participant's rank too, and a stale rank next to a fresh score reads
    /// as a bug ("9 points, #2" beside "8 points, 1st").
    pub fn apply(&mut self, standings: &Standings) -> bool {
        let Some(&(score, rank)) = standings.ranks.get(&self.attendee_id) else {
            return false;
        };
        let moved = rank != self.rank;
        self.rank = rank;
        if let (Some(&(question, points)), Some(answer)) = (
            standings.awards.get(&self.attendee_id),
            self.answer.as_mut(),
        ) && answer.question_id == question
        {
            answer.points = Some(points);
        }
        let changed = score != self.score || moved;
        self.score = score;
        changed
    }
}

/// Everyone's score and rank, published when scores changed; each participant connection
/// picks its own. `awards` holds the points of the quiz that just closed (0 for a wrong
/// answer), by voter.
#[derive(Debug, Clone, Default)]
pub struct Standings {
    pub ranks: HashMap<AttendeeId, (i64, u32)>,
    pub awards: HashMap<AttendeeId, (ActivityId, i64)>,
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

pub fn score_frame(score: i64, rank: u32) -> String {
    format!(r#"{{"type":"score","score":{score},"rank":{rank}}}"#)
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
            rank: 1,
            answer: None,
        };
        let v: serde_json::Value = serde_json::from_str(&f.render(Some(&you))).unwrap_or_default();
        assert_eq!(v["you"]["name"], "a\"b");
        assert_eq!(v["status"], "before");
        assert_eq!(v["you"]["rank"], 1);
    }

    #[test]
    fn a_seat_follows_its_own_answers_and_the_standings() {
        let mut you = You {
            attendee_id: AttendeeId(3),
            name: "Ada".into(),
            score: 4,
            rank: 2,
            answer: None,
        };
        you.voted(ActivityId(7), ChoiceId(70));
        let mut st = Standings::default();
        st.ranks.insert(AttendeeId(3), (7, 1));
        st.awards.insert(AttendeeId(3), (ActivityId(7), 3));
        assert!(you.apply(&st));
        assert_eq!((you.score, you.rank), (7, 1));
        assert_eq!(you.answer.as_ref().and_then(|a| a.points), Some(3));
        // Same standings again: nothing new to send.
        assert!(!you.apply(&st));
        // Someone else scored: same points, lower rank, still a frame to send.
        st.ranks.insert(AttendeeId(3), (7, 2));
        assert!(you.apply(&st));
        assert_eq!((you.score, you.rank), (7, 2));
        st.ranks.insert(AttendeeId(3), (7, 1));
        assert!(you.apply(&st));
        // An award for another quiz does not touch this answer.
        you.voted(ActivityId(8), ChoiceId(80));
        assert!(!you.apply(&st));
        assert_eq!(you.answer.as_ref().and_then(|a| a.points), None);
        you.gave_word(ActivityId(9), "rust".into());
        you.gave_word(ActivityId(9), "rust".into());
        you.gave_word(ActivityId(9), "fun".into());
        assert_eq!(
            you.answer.as_ref().map(|a| a.words.clone()),
            Some(vec!["rust".to_string(), "fun".to_string()])
        );
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
