//! The few fields of server frames the load test reads. Thousands of participants each parse
//! every broadcast, so participant frames borrow their strings and skip everything else
//! (`question`, `scoreboard`, …) without building it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// Vote counts as `(choice id, votes)`, kept sorted by choice id so that two views compare
/// with `==` whatever order the server wrote the keys in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(i64, u64)>);

impl Counts {
    /// Every choice at zero: the server lists all choices, so an expected view must too.
    pub fn zeros(choices: &[i64]) -> Counts {
        let mut v: Vec<(i64, u64)> = choices.iter().map(|&c| (c, 0)).collect();
        v.sort_unstable();
        Counts(v)
    }

    pub fn add(&mut self, choice: i64, votes: u64) {
        match self.0.binary_search_by_key(&choice, |&(c, _)| c) {
            Ok(i) => self.0[i].1 += votes,
            Err(i) => self.0.insert(i, (choice, votes)),
        }
    }

    pub fn total(&self) -> u64 {
        self.0.iter().map(|&(_, n)| n).sum()
    }
}

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(c, n)| (c.to_string(), n)))
    }
}

impl<'de> Deserialize<'de> for Counts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Counts, D::Error> {
        struct CountsVisitor;
        impl<'de> Visitor<'de> for CountsVisitor {
            type Value = Counts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of choice id → count")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Counts, A::Error> {
                let mut v = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some((ChoiceKey(c), n)) = map.next_entry::<ChoiceKey, u64>()? {
                    v.push((c, n));
                }
                v.sort_unstable();
                Ok(Counts(v))
            }
        }
        d.deserialize_map(CountsVisitor)
    }
}

/// A choice id written as an object key (`"3"`), parsed without an intermediate `String`.
struct ChoiceKey(i64);

impl<'de> Deserialize<'de> for ChoiceKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ChoiceKey, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = ChoiceKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a choice id")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ChoiceKey, E> {
                v.parse().map(ChoiceKey).map_err(E::custom)
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// The `ref` of an ack. The load test only sends numeric refs; any other value is not ours
/// and reads as `None` rather than failing the whole frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ref(pub Option<u64>);

impl<'de> Deserialize<'de> for Ref {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ref, D::Error> {
        struct RefVisitor;
        impl<'de> Visitor<'de> for RefVisitor {
            type Value = Ref;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a ref")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ref, E> {
                Ok(Ref(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Ref, E> {
                Ok(Ref(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Ref, E> {
                Ok(Ref(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Ref, E> {
                Ok(Ref(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Ref, E> {
                Ok(Ref(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Ref, E> {
                Ok(Ref(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ref, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Ref(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Ref, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Ref(None))
            }
        }
        d.deserialize_any(RefVisitor)
    }
}

#[derive(Debug, Deserialize)]
pub struct Results {
    pub question_id: i64,
    pub counts: Counts,
}

/// What a participant connection needs from any server frame.
#[derive(Debug, Deserialize)]
pub struct ParticipantFrame<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(rename = "ref", default)]
    pub reference: Ref,
    pub ok: Option<bool>,
    #[serde(borrow)]
    pub error: Option<Cow<'a, str>>,
    /// `tally`.
    pub question_id: Option<i64>,
    pub counts: Option<Counts>,
    /// `state`.
    pub results: Option<Results>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Choice {
    pub id: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub id: i64,
    pub kind: String,
    #[serde(default)]
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PlanItem {
    pub kind: String,
    pub state: String,
}

/// What the organizer's (staff) connection reads. It sees a handful of frames per second,
/// so owning the strings is fine here.
#[derive(Debug, Deserialize)]
pub struct StaffFrame {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "ref", default)]
    pub reference: Ref,
    pub ok: Option<bool>,
    pub error: Option<String>,
    /// `state`.
    pub status: Option<String>,
    pub position: Option<i64>,
    pub question: Option<Question>,
    pub results: Option<Results>,
    pub plan: Option<Vec<PlanItem>>,
    /// `tally`.
    pub question_id: Option<i64>,
    pub counts: Option<Counts>,
    /// `participants`.
    pub count: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_sorted_and_compare_by_value() -> Result<(), serde_json::Error> {
        let a: Counts = serde_json::from_str(r#"{"10":1,"2":3,"3":0}"#)?;
        let b: Counts = serde_json::from_str(r#"{"3":0,"10":1,"2":3}"#)?;
        assert_eq!(a, b);
        assert_eq!(a.0, vec![(2, 3), (3, 0), (10, 1)]);
        let mut c = Counts::zeros(&[10, 3, 2]);
        c.add(2, 3);
        c.add(10, 1);
        assert_eq!(c, a);
        assert_eq!(c.total(), 4);
        Ok(())
    }

    #[test]
    fn participant_frames_tolerate_foreign_refs_and_unknown_fields() -> Result<(), serde_json::Error>
    {
        let f: ParticipantFrame = serde_json::from_str(
            r#"{"type":"ack","ref":"r1","ok":false,"error":"already_voted","extra":[1,{"a":2}]}"#,
        )?;
        assert_eq!(f.reference, Ref(None));
        assert_eq!(f.error.as_deref(), Some("already_voted"));
        let f: ParticipantFrame = serde_json::from_str(r#"{"type":"ack","ref":7,"ok":true}"#)?;
        assert_eq!(f.reference, Ref(Some(7)));
        let f: ParticipantFrame = serde_json::from_str(
            r#"{"type":"state","question":{"id":2,"choices":[]},"results":{"correct":[],"counts":{"1":4,"2":1},"question_id":2,"total":5},"status":"ongoing"}"#,
        )?;
        let r = f.results.map(|r| (r.question_id, r.counts.total()));
        assert_eq!(r, Some((2, 5)));
        Ok(())
    }
}
