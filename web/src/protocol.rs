//! Client→server frames. A frame that is not a JSON object, has an unknown `type` or lacks a
//! field becomes `bad_request` (echoing its `ref` when one can be read); nothing here closes
//! the connection.

use std::collections::BTreeMap;

use librekast_engine::command::{PostAction, Rating};
use librekast_engine::{Command, Control, Expect};
use librekast_storage::{ActivityId, ActivityKind, ChoiceId, MeetingStatus};
use serde::Deserialize;
use serde_json::Value;

/// Longest `ref` echoed back (a longer one is dropped, the frame still handled).
const MAX_REF_CHARS: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    /// `choice_id` (one choice) or `choice_ids` (multi-select), not both.
    Vote {
        question_id: ActivityId,
        #[serde(default)]
        choice_id: Option<ChoiceId>,
        #[serde(default)]
        choice_ids: Option<Vec<ChoiceId>>,
    },
    /// `value` (a scale) or `ratings` by item id (a grid), not both.
    Rate {
        question_id: ActivityId,
        #[serde(default)]
        value: Option<i64>,
        #[serde(default)]
        ratings: Option<BTreeMap<String, i64>>,
    },
    Word {
        question_id: ActivityId,
        text: String,
    },
    Flag {
        code: String,
    },
    /// An open question's answer.
    Answer {
        question_id: ActivityId,
        text: String,
    },
    /// A Q&A question.
    Ask {
        question_id: ActivityId,
        text: String,
    },
    Upvote {
        question_id: ActivityId,
        item_id: u32,
    },
    /// Staff: approve, pin, unpin, answered or hide a post.
    Moderate {
        question_id: ActivityId,
        item_id: u32,
        action: PostAction,
    },
    /// Staff: the presenter's cues on or off.
    Sounds {
        on: bool,
    },
    Control {
        /// A [`Control`], or `add_time` (with `secs`).
        action: String,
        #[serde(default)]
        expect: Option<ExpectFrame>,
        #[serde(default)]
        secs: Option<u32>,
    },
}

/// `"expect": {"status": "ongoing", "position": 1}` on a control: apply it only if the
/// meeting is still there.
#[derive(Debug, Deserialize)]
struct ExpectFrame {
    status: String,
    position: usize,
}

/// A parsed frame: its `ref` (if readable) and the command, or why it is a bad request.
#[derive(Debug)]
pub struct Parsed {
    pub reference: Option<Value>,
    pub command: Option<Command>,
}

/// Frames up to this size still get their `ref` back when refused over the rate: reading
/// one costs next to nothing, and clients match acks by `ref`. Larger ones are not read.
pub const REF_READ_LIMIT: usize = 1024;

/// Only the `ref` of a frame refused before parsing (`None` for a frame over
/// [`REF_READ_LIMIT`]).
pub fn reference_only(text: &str) -> Option<Value> {
    #[derive(serde::Deserialize)]
    struct RefOnly {
        #[serde(rename = "ref")]
        reference: Option<Value>,
    }
    if text.len() > REF_READ_LIMIT {
        return None;
    }
    serde_json::from_str::<RefOnly>(text)
        .ok()?
        .reference
        .filter(valid_reference)
}

fn valid_reference(r: &Value) -> bool {
    match r {
        Value::String(s) => s.chars().count() <= MAX_REF_CHARS,
        Value::Number(_) => true,
        _ => false,
    }
}

pub fn parse(text: &str) -> Parsed {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Parsed {
            reference: None,
            command: None,
        };
    };
    let reference = value.get("ref").filter(|r| valid_reference(r)).cloned();
    let command = serde_json::from_value::<ClientFrame>(value)
        .ok()
        .and_then(|f| {
            Some(match f {
                ClientFrame::Vote {
                    question_id,
                    choice_id,
                    choice_ids,
                } => Command::Vote {
                    question_id,
                    choice_ids: match (choice_id, choice_ids) {
                        (Some(one), None) => vec![one],
                        (None, Some(many)) => many,
                        _ => return None,
                    },
                },
                ClientFrame::Rate {
                    question_id,
                    value,
                    ratings,
                } => Command::Rate {
                    question_id,
                    rating: match (value, ratings) {
                        (Some(v), None) => Rating::Value(v),
                        (None, Some(items)) => Rating::Items(
                            items
                                .into_iter()
                                .map(|(k, v)| Some((ChoiceId(k.parse().ok()?), v)))
                                .collect::<Option<Vec<_>>>()?,
                        ),
                        _ => return None,
                    },
                },
                ClientFrame::Word { question_id, text } => Command::Word { question_id, text },
                ClientFrame::Flag { code } => Command::Flag { code },
                ClientFrame::Answer { question_id, text } => Command::Post {
                    question_id,
                    text,
                    kind: ActivityKind::TextAnswer,
                },
                ClientFrame::Ask { question_id, text } => Command::Post {
                    question_id,
                    text,
                    kind: ActivityKind::Qna,
                },
                ClientFrame::Upvote {
                    question_id,
                    item_id,
                } => Command::Upvote {
                    question_id,
                    item_id,
                },
                ClientFrame::Moderate {
                    question_id,
                    item_id,
                    action,
                } => Command::ModeratePost {
                    question_id,
                    item_id,
                    action,
                },
                ClientFrame::Sounds { on } => Command::Sounds { on },
                ClientFrame::Control {
                    action,
                    secs: Some(secs),
                    ..
                } if action == "add_time" => Command::AddTime { secs },
                ClientFrame::Control { action, expect, .. } => {
                    let action: Control = serde_json::from_value(Value::String(action)).ok()?;
                    let expect = match expect {
                        None => None,
                        // An unknown status word is a malformed frame, like an unknown action.
                        Some(e) => Some(Expect {
                            status: MeetingStatus::ALL
                                .into_iter()
                                .find(|s| s.wire() == e.status)?,
                            position: e.position,
                        }),
                    };
                    Command::Control(action, expect)
                }
            })
        });
    Parsed { reference, command }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_frames() {
        let p = parse(r#"{"type":"vote","question_id":3,"choice_id":7,"ref":"r1"}"#);
        assert_eq!(p.reference, Some(Value::from("r1")));
        assert!(matches!(
            p.command,
            Some(Command::Vote {
                question_id: ActivityId(3),
                ref choice_ids,
            }) if choice_ids == &[ChoiceId(7)]
        ));
        assert!(matches!(
            parse(r#"{"type":"vote","question_id":3,"choice_ids":[7,9]}"#).command,
            Some(Command::Vote { ref choice_ids, .. }) if choice_ids == &[ChoiceId(7), ChoiceId(9)]
        ));
        for both_or_neither in [
            r#"{"type":"vote","question_id":3,"choice_id":7,"choice_ids":[7]}"#,
            r#"{"type":"vote","question_id":3}"#,
            r#"{"type":"rate","question_id":3}"#,
            r#"{"type":"rate","question_id":3,"value":4,"ratings":{"1":4}}"#,
            r#"{"type":"rate","question_id":3,"value":4.5}"#,
            r#"{"type":"rate","question_id":3,"ratings":{"x":4}}"#,
            r#"{"type":"rate","question_id":3,"ratings":{"1":"4"}}"#,
        ] {
            assert!(
                parse(both_or_neither).command.is_none(),
                "{both_or_neither}"
            );
        }
        assert!(matches!(
            parse(r#"{"type":"rate","question_id":3,"value":7}"#).command,
            Some(Command::Rate {
                rating: Rating::Value(7),
                ..
            })
        ));
        assert!(matches!(
            parse(r#"{"type":"rate","question_id":3,"ratings":{"12":4,"13":5}}"#).command,
            Some(Command::Rate { rating: Rating::Items(ref items), .. })
                if items == &[(ChoiceId(12), 4), (ChoiceId(13), 5)]
        ));
        assert!(matches!(
            parse(r#"{"type":"control","action":"add_time","secs":30}"#).command,
            Some(Command::AddTime { secs: 30 })
        ));
        assert!(
            parse(r#"{"type":"control","action":"add_time"}"#)
                .command
                .is_none()
        );
        assert!(
            parse(r#"{"type":"control","action":"add_time","secs":-5}"#)
                .command
                .is_none()
        );
        let p = parse(r#"{"type":"control","action":"next","ref":9}"#);
        assert!(matches!(
            p.command,
            Some(Command::Control(Control::Next, None))
        ));
        assert_eq!(p.reference, Some(Value::from(9)));
        let p = parse(
            r#"{"type":"control","action":"next","expect":{"status":"ongoing","position":2}}"#,
        );
        assert!(matches!(
            p.command,
            Some(Command::Control(
                Control::Next,
                Some(Expect {
                    status: MeetingStatus::Ongoing,
                    position: 2
                })
            ))
        ));
        let p =
            parse(r#"{"type":"control","action":"next","expect":{"status":"soon","position":2}}"#);
        assert!(p.command.is_none());
        assert!(matches!(
            parse(r#"{"type":"word","question_id":1,"text":"x"}"#).command,
            Some(Command::Word { .. })
        ));
        assert!(matches!(
            parse(r#"{"type":"flag","code":"x"}"#).command,
            Some(Command::Flag { .. })
        ));
    }

    #[test]
    fn bad_frames_keep_their_ref() {
        for bad in [
            r#"{"type":"vote","question_id":3,"ref":"r2"}"#,
            r#"{"type":"dance","ref":"r2"}"#,
            r#"{"type":"control","action":"explode","ref":"r2"}"#,
            r#"{"type":"vote","question_id":"3","choice_id":1,"ref":"r2"}"#,
        ] {
            let p = parse(bad);
            assert!(p.command.is_none(), "{bad}");
            assert_eq!(p.reference, Some(Value::from("r2")), "{bad}");
        }
        for bad in ["not json", "[1,2]", "\"x\"", "{", ""] {
            let p = parse(bad);
            assert!(p.command.is_none() && p.reference.is_none(), "{bad}");
        }
        assert!(
            parse(&format!(r#"{{"type":"x","ref":"{}"}}"#, "a".repeat(65)))
                .reference
                .is_none()
        );
    }

    /// Fuzzing the frame decoder (bounded, in every test run): any text, and JSON-shaped
    /// text built from the protocol's own words, never panics; a `ref` read back is always a
    /// valid one; and `reference_only` agrees with `parse` on small frames.
    mod fuzz {
        use proptest::prelude::*;

        use super::super::*;

        fn fragment() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("{".to_string()),
                Just("}".to_string()),
                Just("[".to_string()),
                Just("]".to_string()),
                Just(",".to_string()),
                Just(":".to_string()),
                Just("null".to_string()),
                Just("true".to_string()),
                Just("\"type\"".to_string()),
                Just("\"ref\"".to_string()),
                Just("\"vote\"".to_string()),
                Just("\"word\"".to_string()),
                Just("\"flag\"".to_string()),
                Just("\"control\"".to_string()),
                Just("\"question_id\"".to_string()),
                Just("\"choice_id\"".to_string()),
                Just("\"text\"".to_string()),
                Just("\"action\"".to_string()),
                any::<i64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|n| n.to_string()),
                "\\PC{0,12}".prop_map(|s| format!("{s:?}")),
            ]
        }

        fn check(text: &str) {
            let p = parse(text);
            if let Some(r) = &p.reference {
                assert!(valid_reference(r), "{r:?}");
            }
            if text.len() <= REF_READ_LIMIT && p.command.is_some() {
                assert_eq!(reference_only(text), p.reference);
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

            #[test]
            fn any_text(text in "\\PC{0,300}") {
                check(&text);
            }

            #[test]
            fn json_shaped(parts in proptest::collection::vec(fragment(), 0..40)) {
                check(&parts.concat());
            }

            #[test]
            fn well_formed_with_random_values(
                kind in prop_oneof![Just("vote"), Just("word"), Just("flag"), Just("control"), Just("x")],
                q in any::<i64>(),
                c in any::<i64>(),
                text in "\\PC{0,80}",
                reference in prop_oneof![
                    "\\PC{0,80}".prop_map(serde_json::Value::from),
                    any::<i64>().prop_map(serde_json::Value::from),
                    Just(serde_json::Value::Null),
                ],
            ) {
                let frame = serde_json::json!({
                    "type": kind, "question_id": q, "choice_id": c, "text": text,
                    "code": text, "action": text, "ref": reference,
                });
                check(&frame.to_string());
            }
        }
    }
}
