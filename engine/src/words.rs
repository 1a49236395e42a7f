//! Word-cloud rules: normalisation, grouping and the displayed spelling.

use std::collections::HashMap;

/// The longest word (in characters, after normalisation).
pub const MAX_WORD_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedWord {
    /// Trimmed, inner whitespace collapsed to one space: what is displayed.
    pub text: String,
    /// `text` lower-cased: the grouping key.
    pub key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordError {
    Empty,
    TooLong,
    /// A control, bidi, noncharacter or tag character (see [`crate::text`]).
    Forbidden,
}

/// The shared text rule ([`crate::text`]), then lower-cased for grouping.
pub fn normalize(raw: &str) -> Result<NormalizedWord, WordError> {
    let text = crate::text::check(raw, MAX_WORD_CHARS).map_err(|e| match e {
        crate::text::TextError::TooLong => WordError::TooLong,
        crate::text::TextError::Empty => WordError::Empty,
        crate::text::TextError::Forbidden => WordError::Forbidden,
    })?;
    let key = text.to_lowercase();
    Ok(NormalizedWord { text, key })
}

/// Words a meeting refuses (its `blocked_words`), compared by whole words, case-insensitively:
/// `ass` blocks "ass" and "Kick ass" but not "class" (no Scunthorpe problem); a phrase of
/// several words blocks text holding those words in a row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blocklist {
    /// Each blocked entry as its lower-cased words joined by one space, padded with spaces.
    phrases: Vec<String>,
}

impl Blocklist {
    pub fn new(words: &[String]) -> Blocklist {
        Blocklist {
            phrases: words
                .iter()
                .map(|w| tokens(w))
                .filter(|t| !t.trim().is_empty())
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Whether `text` holds a blocked word or phrase.
    pub fn blocks(&self, text: &str) -> bool {
        if self.phrases.is_empty() {
            return false;
        }
        let text = tokens(text);
        self.phrases.iter().any(|p| text.contains(p.as_str()))
    }
}

/// ` word word `: lower-cased alphanumeric runs, space-separated and padded.
fn tokens(text: &str) -> String {
    let mut out = String::from(" ");
    for word in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push_str(word);
        out.push(' ');
    }
    out
}

/// One group of words sharing a key: its count and the spellings seen.
#[derive(Debug, Clone, Default)]
struct Group {
    count: u64,
    /// Spelling → (count, first seen order).
    spellings: HashMap<String, (u64, u64)>,
}

/// The live cloud of one activity.
#[derive(Debug, Clone, Default)]
pub struct Cloud {
    groups: HashMap<String, Group>,
    seen: u64,
}

impl Cloud {
    pub fn add(&mut self, word: &NormalizedWord) {
        self.seen += 1;
        let group = self.groups.entry(word.key.clone()).or_default();
        group.count += 1;
        let seen = self.seen;
        group
            .spellings
            .entry(word.text.clone())
            .or_insert((0, seen))
            .0 += 1;
    }

    /// One word fewer under `key` (its author was removed by a moderator).
    pub fn discount(&mut self, key: &str) {
        if let Some(group) = self.groups.get_mut(key) {
            group.count = group.count.saturating_sub(1);
            if group.count == 0 {
                self.groups.remove(key);
            }
        }
    }

    /// Words by count (highest first), then alphabetically; each in its most frequent
    /// spelling (the earliest seen among equals).
    pub fn top(&self, limit: usize) -> Vec<(String, u64)> {
        self.top_except(limit, &std::collections::HashSet::new())
    }

    /// [`Cloud::top`] without the words whose key is in `hidden` (hidden by a moderator).
    pub fn top_except(
        &self,
        limit: usize,
        hidden: &std::collections::HashSet<String>,
    ) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = self
            .groups
            .iter()
            .filter(|(key, _)| !hidden.contains(*key))
            .map(|(_, g)| {
                let spelling = g
                    .spellings
                    .iter()
                    .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
                    .map(|(s, _)| s.clone())
                    .unwrap_or_default();
                (spelling, g.count)
            })
            .collect();
        out.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| a.0.to_lowercase().cmp(&b.0.to_lowercase()))
        });
        out.truncate(limit);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocklists_match_whole_words() {
        let list = Blocklist::new(&["ass".into(), "Bad Word".into(), "  ".into()]);
        assert!(list.blocks("ass"));
        assert!(list.blocks("Kick ASS!"));
        assert!(!list.blocks("class"));
        assert!(list.blocks("a bad   word here"));
        assert!(!list.blocks("bad"));
        assert!(!Blocklist::new(&[]).blocks("anything"));
    }

    #[test]
    fn hidden_and_discounted_words_leave_the_cloud() {
        let mut c = Cloud::default();
        for w in ["rust", "Rust", "go", "zig"] {
            c.add(&n(w));
        }
        let hidden: std::collections::HashSet<String> = ["go".to_string()].into();
        assert_eq!(
            c.top_except(10, &hidden),
            vec![("rust".to_string(), 2), ("zig".to_string(), 1)]
        );
        c.discount("zig");
        c.discount("rust");
        assert_eq!(
            c.top(10),
            vec![("go".to_string(), 1), ("rust".to_string(), 1)]
        );
    }

    fn n(s: &str) -> NormalizedWord {
        normalize(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
    }

    #[test]
    fn refuses_what_hides_or_reorders_text() {
        assert_eq!(normalize("\u{202E}olleh"), Err(WordError::Forbidden));
        assert_eq!(normalize("\u{200B}"), Err(WordError::Empty));
        assert_eq!(normalize("a\u{0}b"), Err(WordError::Forbidden));
    }

    #[test]
    fn trims_and_collapses() {
        assert_eq!(n("  Rust \t  lang \n").text, "Rust lang");
        assert_eq!(n("  Rust \t  lang \n").key, "rust lang");
    }

    #[test]
    fn rejects_empty_and_long() {
        assert_eq!(normalize("   "), Err(WordError::Empty));
        assert_eq!(normalize(""), Err(WordError::Empty));
        assert_eq!(normalize(&"a".repeat(41)), Err(WordError::TooLong));
        assert!(
            normalize(&"é".repeat(40)).is_ok(),
            "counts characters, not bytes"
        );
    }

    #[test]
    fn groups_case_insensitively_in_most_frequent_spelling() {
        let mut cloud = Cloud::default();
        for w in ["rust", "Rust", "Rust", "RUST", "go", "Go"] {
            cloud.add(&n(w));
        }
        assert_eq!(
            cloud.top(10),
            vec![("Rust".to_string(), 4), ("go".to_string(), 2)]
        );
    }
}
