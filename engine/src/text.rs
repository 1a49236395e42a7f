//! The one rule for text people type that others see (display names, cloud words): whitespace
//! trimmed and collapsed, and refused when it holds a character that hides or reorders what
//! is shown. A name that reverses the projector's line with a bidi override, looks empty
//! with zero-width characters only, or carries U+0000 into storage, is refused with a clear
//! error rather than cleaned in silence.

/// Characters that never belong in a name or a word.
pub fn refused(c: char) -> bool {
    c.is_control() // C0, C1 and DEL, including U+0000
        || matches!(c,
            '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{200E}' | '\u{200F}' | '\u{061C}' // directional marks
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
            | '\u{FFFE}' | '\u{FFFF}')
        || noncharacter(c)
        || matches!(u32::from(c), 0xE0000..=0xE007F) // tag characters
}

/// U+FDD0..U+FDEF and the last two code points of every plane.
fn noncharacter(c: char) -> bool {
    let n = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&n) || (n & 0xFFFE) == 0xFFFE
}

/// Invisible on their own: a string of only these (and spaces) looks empty.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' | '\u{034F}' | '\u{00AD}'
    ) || matches!(u32::from(c), 0xFE00..=0xFE0F) // variation selectors
}

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong,
    /// A control, bidi, noncharacter or tag character.
    Forbidden,
}

/// Trimmed, inner whitespace collapsed to one space, at most `max_chars` characters, no
/// refused character, not invisible-only.
pub fn check(raw: &str, max_chars: usize) -> Result<String, TextError> {
    // Whitespace (tabs and line breaks included) collapses to one space first; what is
    // refused is what remains.
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().any(refused) {
        return Err(TextError::Forbidden);
    }
    if text.chars().all(|c| invisible(c) || c == ' ') {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max_chars {
        return Err(TextError::TooLong);
    }
    Ok(text)
}

/// [`check`], as an option.
pub fn clean(raw: &str, max_chars: usize) -> Option<String> {
    check(raw, max_chars).ok()
}

/// Text from a platform we cannot refuse (an alert's user, a Super Chat's comment):
/// whitespace collapsed and every refused character dropped.
pub fn clean_line(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !refused(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_names_and_words() {
        assert_eq!(
            clean("  Ada   Lovelace ", 40).as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(clean("Zoë 🦊 李", 40).as_deref(), Some("Zoë 🦊 李"));
        assert_eq!(
            clean("👩‍💻", 40).as_deref(),
            Some("👩‍💻"),
            "ZWJ inside an emoji is fine"
        );
        for bad in [
            "a\u{0}b",
            "\u{202E}nimda",
            "x\u{2066}y",
            "\u{200F}x",
            "\u{FDD0}",
            "a\u{FFFF}",
            "a\u{1FFFE}",
            "\u{E0041}",
            "del\u{7F}",
            "c1\u{80}",
            "c1\u{9F}x",
        ] {
            assert_eq!(check(bad, 40), Err(TextError::Forbidden), "{bad:?}");
        }
        assert_eq!(
            check("\u{200B}\u{200C} \u{FEFF}", 40),
            Err(TextError::Empty)
        );
        assert_eq!(check("   ", 40), Err(TextError::Empty));
        assert_eq!(
            clean("tab\there\r\nnext", 40).as_deref(),
            Some("tab here next")
        );
        assert_eq!(check(&"x".repeat(41), 40), Err(TextError::TooLong));
    }
}
