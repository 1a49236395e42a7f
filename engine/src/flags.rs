//! Flag codes: `PREFIX{code}` or the bare code.

/// Extracts the code from `PREFIX{code}` (prefix compared case-insensitively) or returns the
/// bare input trimmed. Codes themselves compare exactly.
pub fn extract_code<'a>(prefix: &str, submitted: &'a str) -> &'a str {
    let s = submitted.trim();
    if let Some(rest) = s.strip_suffix('}')
        && let Some(open) = rest.find('{')
        && rest[..open].eq_ignore_ascii_case(prefix)
    {
        return &rest[open + 1..];
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_and_bare() {
        assert_eq!(extract_code("LibreKast", "LibreKast{abc}"), "abc");
        assert_eq!(extract_code("LibreKast", "  librekast{abc} "), "abc");
        assert_eq!(extract_code("LibreKast", "abc"), "abc");
        assert_eq!(extract_code("LibreKast", "Other{abc}"), "Other{abc}");
        assert_eq!(extract_code("LibreKast", "LibreKast{}"), "");
    }
}
