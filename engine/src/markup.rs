//! Text an organizer wrote, made safe to show as HTML: plain text (escaped, blank lines make
//! paragraphs) or CommonMark with raw HTML shown as text and only harmless links.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

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

/// CommonMark (with tables and strikethrough) as HTML that is safe to put in `innerHTML`.
///
/// The presenter screen runs with the organizer's session and is shown to a room, so the
/// output can neither run script nor load anything: raw HTML is shown as text, links keep
/// only `http:`, `https:`, `mailto:` or relative targets (others keep just their text), and
/// images become links to the picture rather than `<img>`.
pub fn markdown_html(text: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut events = Parser::new_ext(text, options).peekable();
    let mut out = Vec::new();
    // One entry per open link or image: whether it was written as an `<a>`, so its end
    // closes exactly what its start opened.
    let mut open: Vec<bool> = Vec::new();
    while let Some(event) = events.next() {
        match event {
            // An HTML block starts a block of its own; as escaped text it still needs one.
            Event::Start(Tag::HtmlBlock) => out.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => out.push(Event::End(TagEnd::Paragraph)),
            // `Text` is escaped by the renderer: the markup is seen, never interpreted.
            Event::Html(html) | Event::InlineHtml(html) => out.push(Event::Text(html)),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                ..
            }) => {
                let href = if link_type == LinkType::Email {
                    safe_href(&format!("mailto:{dest_url}"))
                } else {
                    safe_href(&dest_url)
                };
                // Anchors cannot nest in HTML; an inner one would be split by the browser.
                let written = href.is_some() && !open.contains(&true);
                if let (true, Some(href)) = (written, href) {
                    out.push(Event::InlineHtml(anchor(&href, &title).into()));
                }
                open.push(written);
            }
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                let href = safe_href(&dest_url);
                let written = href.is_some() && !open.contains(&true);
                if let (true, Some(href)) = (written, &href) {
                    out.push(Event::InlineHtml(anchor(href, &title).into()));
                }
                open.push(written);
                // Without alt text the link would be invisible; show where it points.
                if matches!(events.peek(), Some(Event::End(TagEnd::Image))) {
                    let shown = href.unwrap_or_else(|| dest_url.to_string());
                    out.push(Event::Text(CowStr::from(shown)));
                }
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if open.pop() == Some(true) {
                    out.push(Event::InlineHtml("</a>".into()));
                }
            }
            other => out.push(other),
        }
    }
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    html
}

/// An opening `<a>` for an already-checked href: opened in a new tab that cannot reach back
/// into the presenter page or learn where it came from.
fn anchor(href: &str, title: &str) -> String {
    let mut a = format!("<a href=\"{}\"", escape_html(href));
    if !title.is_empty() {
        a.push_str(&format!(" title=\"{}\"", escape_html(title)));
    }
    a.push_str(" rel=\"noopener noreferrer\" target=\"_blank\">");
    a
}

/// The link target as the browser will read it, if it is `http:`, `https:`, `mailto:` or
/// relative (including a fragment); `None` for any other scheme.
///
/// The scheme is found the way browsers (WHATWG URL) find it, after the same clean-up they
/// do, so `java&#9;script:` or a leading space cannot sneak a scheme past the check.
fn safe_href(url: &str) -> Option<String> {
    let cleaned: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let Some(colon) = cleaned.find(':') else {
        return Some(cleaned);
    };
    let scheme = &cleaned[..colon];
    let is_scheme = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !is_scheme {
        // Something like `./a:b` or `?q=a:b`: a path, not a scheme.
        return Some(cleaned);
    }
    let scheme = scheme.to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https" | "mailto").then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(text: &str) -> String {
        markdown_html(text)
    }

    #[test]
    fn headings() {
        assert_eq!(md("# Title\n\n## Sub"), "<h1>Title</h1>\n<h2>Sub</h2>\n");
    }

    #[test]
    fn lists() {
        assert_eq!(
            md("- one\n- two\n\n1. first\n2. second"),
            "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"
        );
    }

    #[test]
    fn emphasis_and_strikethrough() {
        assert_eq!(
            md("*a* **b** ~~c~~"),
            "<p><em>a</em> <strong>b</strong> <del>c</del></p>\n"
        );
    }

    #[test]
    fn code_is_escaped() {
        assert_eq!(md("`<b>`"), "<p><code>&lt;b&gt;</code></p>\n");
        assert_eq!(
            md("```rust\nlet a = 1 < 2;\n```"),
            "<pre><code class=\"language-rust\">let a = 1 &lt; 2;\n</code></pre>\n"
        );
    }

    #[test]
    fn tables() {
        let html = md("| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<td>2</td>"), "{html}");
    }

    #[test]
    fn script_block_is_shown_as_text() {
        let html = md("<script>alert(1)</script>");
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn inline_html_is_shown_as_text() {
        let html = md("hello <b onclick=x>there</b>");
        assert_eq!(html, "<p>hello &lt;b onclick=x&gt;there&lt;/b&gt;</p>\n");
        let html = md("<img src=x onerror=alert(1)>");
        assert!(!html.contains("<img"), "{html}");
    }

    #[test]
    fn javascript_links_lose_their_href() {
        assert_eq!(md("[x](javascript:alert(1))"), "<p>x</p>\n");
        for url in [
            "JavaScript:alert(1)",
            "java&#9;script:alert(1)",
            "&#32;javascript:alert(1)",
            "<java\tscript:alert(1)>",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
        ] {
            let html = md(&format!("[x]({url})"));
            assert!(!html.contains("href"), "{url}: {html}");
            assert!(html.contains('x'), "{url}: {html}");
        }
        assert_eq!(md("<javascript:alert(1)>"), "<p>javascript:alert(1)</p>\n");
    }

    #[test]
    fn safe_links_open_in_a_new_tab() {
        assert_eq!(
            md("[site](https://example.org/a?b=1&c=\"2\" \"Title <x>\")"),
            "<p><a href=\"https://example.org/a?b=1&amp;c=&quot;2&quot;\" title=\"Title &lt;x&gt;\" \
             rel=\"noopener noreferrer\" target=\"_blank\">site</a></p>\n"
        );
        for url in [
            "http://a.example",
            "MAILTO:a@b.example",
            "/slides",
            "#top",
            "notes.html",
            "./a:b",
        ] {
            let html = md(&format!("[x]({url})"));
            assert!(html.contains("href="), "{url}: {html}");
        }
    }

    #[test]
    fn autolinks() {
        assert_eq!(
            md("<https://example.org>"),
            "<p><a href=\"https://example.org\" rel=\"noopener noreferrer\" target=\"_blank\">https://example.org</a></p>\n"
        );
        assert_eq!(
            md("<someone@example.org>"),
            "<p><a href=\"mailto:someone@example.org\" rel=\"noopener noreferrer\" target=\"_blank\">someone@example.org</a></p>\n"
        );
    }

    #[test]
    fn images_become_links() {
        assert_eq!(
            md("![a cat](https://example.org/cat.png)"),
            "<p><a href=\"https://example.org/cat.png\" rel=\"noopener noreferrer\" target=\"_blank\">a cat</a></p>\n"
        );
        let html = md("![](https://example.org/cat.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains(">https://example.org/cat.png</a>"), "{html}");
        assert_eq!(md("![pic](javascript:alert(1))"), "<p>pic</p>\n");
        // A picture inside a link: one anchor, never a nested one.
        let html = md("[![pic](https://example.org/p.png)](https://example.org/)");
        assert_eq!(html.matches("<a ").count(), 1, "{html}");
        assert_eq!(html.matches("</a>").count(), 1, "{html}");
    }

    #[test]
    fn long_urls_stay_one_token() {
        let url = format!(
            "https://example.org/{}?q={}",
            "segment/".repeat(40),
            "x".repeat(200)
        );
        let html = md(&format!("see <{url}> and {url}"));
        assert_eq!(html.matches(url.as_str()).count(), 3, "{html}");
    }

    #[test]
    fn output_never_has_live_markup() {
        let nasty = [
            "<div><script>x</script></div>",
            "<!-- c --> <iframe src=x>",
            "[a](<javascript:x>)",
            "[a][r]\n\n[r]: javascript:x",
            "<style>body{}</style>",
            "`code` <svg onload=x>",
        ];
        for text in nasty {
            let html = md(text);
            for bad in [
                "<script",
                "<div",
                "<iframe",
                "<svg",
                "<style",
                "<!--",
                "javascript:x\"",
            ] {
                assert!(!html.contains(bad), "{text:?} gave {html}");
            }
        }
    }

    /// A tag's name and its attributes.
    type Tag = (String, Vec<(String, String)>);

    /// Every tag in `html`, or an error naming what does not parse.
    fn tags(html: &str) -> Result<Vec<Tag>, String> {
        let mut out = Vec::new();
        let mut rest = html;
        while let Some(lt) = rest.find('<') {
            let Some(gt) = rest[lt..].find('>') else {
                return Err(format!("unclosed tag in {html}"));
            };
            let body = rest[lt + 1..lt + gt]
                .trim_start_matches('/')
                .trim_end_matches('/')
                .trim_end();
            rest = &rest[lt + gt + 1..];
            let (name, mut attrs) = body.split_once(' ').unwrap_or((body, ""));
            let mut parsed = Vec::new();
            while !attrs.trim().is_empty() {
                let Some((key, value)) = attrs.trim_start().split_once("=\"") else {
                    return Err(format!("attribute without value in <{body}>"));
                };
                let Some((value, after)) = value.split_once('"') else {
                    return Err(format!("unclosed attribute in <{body}>"));
                };
                parsed.push((key.to_string(), value.to_string()));
                attrs = after;
            }
            out.push((name.to_string(), parsed));
        }
        Ok(out)
    }

    #[test]
    fn random_markdown_gives_only_known_tags_and_safe_links() {
        const PIECES: [&str; 30] = [
            "<",
            ">",
            "script",
            "<b onclick=x>",
            "</b>",
            "<img src=x>",
            "[",
            "]",
            "(",
            ")",
            "!",
            "javascript:",
            "https://a.example/",
            "data:",
            "&#9;",
            "&#58;",
            "*",
            "`",
            "\n",
            "\n\n",
            "- ",
            "# ",
            "| a |\n|---|\n",
            "\"",
            "'",
            "<!--",
            "~~",
            "x",
            " ",
            "<https://b.example>",
        ];
        const TAGS: [&str; 23] = [
            "p",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "ul",
            "ol",
            "li",
            "em",
            "strong",
            "del",
            "code",
            "pre",
            "a",
            "blockquote",
            "hr",
            "br",
            "table",
            "thead",
            "tbody",
            "tr",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..5_000 {
            let len = (next() % 30) as usize;
            let text: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let html = md(&text);
            let tags = match tags(&html) {
                Ok(tags) => tags,
                Err(e) => panic!("{text:?}: {e}"),
            };
            for (name, attrs) in tags {
                assert!(
                    TAGS.contains(&name.as_str()) || name == "th" || name == "td",
                    "{text:?} gave <{name}> in {html}"
                );
                for (key, value) in attrs {
                    match key.as_str() {
                        "href" => {
                            let href = value.replace("&amp;", "&");
                            assert_eq!(
                                safe_href(&href).as_deref(),
                                Some(href.as_str()),
                                "{text:?}"
                            );
                        }
                        "title" | "rel" | "target" | "class" | "style" | "start" => {}
                        _ => panic!("{text:?} gave attribute {key} in {html}"),
                    }
                }
            }
        }
    }

    #[test]
    fn descriptions_are_escaped() {
        assert_eq!(
            description_html("<b>hi</b>\nthere\n\nnext"),
            "<p>&lt;b&gt;hi&lt;/b&gt;<br>there</p><p>next</p>"
        );
    }
}
