//! Text an organizer wrote, made safe to show as HTML: escaped, blank lines make paragraphs.

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
    fn descriptions_are_escaped() {
        assert_eq!(
            description_html("<b>hi</b>\nthere\n\nnext"),
            "<p>&lt;b&gt;hi&lt;/b&gt;<br>there</p><p>next</p>"
        );
    }
}
