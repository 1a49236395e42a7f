//! GIFT import: Moodle's plain-text question format turned into meeting activities.
//!
//! Multiple choice becomes a quiz (or a poll when no answer is right), true/false a quiz with
//! "True" and "False", short answer a word cloud (its answers stay secret), and text without
//! an answer block a slide. Question types LibreKast has no activity for (matching, numerical,
//! essay, several blanks) are skipped with a warning naming the line, so an organizer can
//! import a Moodle quiz bank and see what was left out.
//!
//! The rules follow Moodle's own importer (`question/format/gift/format.php`): questions are
//! separated by blank lines, the answer block is the first `{` … `}`, text after it turns the
//! question into the missing-word form with `_____` in place of the braces.

use thiserror::Error;

use crate::meeting_file::{ActivityFile, ChoiceFile};
use crate::model::{ActivityKind, Markup};

/// What a GIFT file gave: activities in file order, and the questions left out.
#[derive(Debug, Clone, PartialEq)]
pub struct GiftImport {
    pub activities: Vec<ActivityFile>,
    pub skipped: Vec<GiftWarning>,
}

/// A question that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftWarning {
    /// 1-based line where the question starts.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for GiftWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A file that cannot be imported: the first syntax error, or no question at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {message}")]
pub struct GiftError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Attendees pick a choice by typing its slug, so a question stops at `z`.
const MAX_CHOICES: usize = 26;
/// Longer titles do not fit the presenter screen; the full text goes to the description.
const MAX_TITLE: usize = 200;
// The limits of `MeetingFile::validate`, checked here so that an import either fails with a
// line number or gives activities that validate (the tests hold both to that).
const MAX_ACTIVITIES: usize = 500;
const MAX_DESCRIPTION: usize = 20_000;
const MAX_CHOICE_TEXT: usize = 300;
const BLANK: &str = "_____";
/// Words per attendee for a short-answer question shown as a word cloud. Every activity
/// carries it (the meeting file's default), since validation checks it on all kinds.
const WORDCLOUD_WORDS: u32 = 3;

/// Parses a GIFT file into activities.
///
/// Fails on the first syntax error (with its line and how to fix it), or when the file holds
/// no question that can be imported.
pub fn parse_gift(text: &str) -> Result<GiftImport, GiftError> {
    // One line ending for all: files come from Windows and old Mac editors alike.
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n")
        .replace('\r', "\n");

    let mut activities = Vec::new();
    let mut skipped = Vec::new();
    let mut questions = 0;
    for block in blocks(&text) {
        let parsed = question(&block)?;
        if matches!(parsed, Parsed::Slide(_) | Parsed::Question(_))
            && activities.len() == MAX_ACTIVITIES
        {
            return Err(GiftError {
                line: block.first().map_or(1, |(line, _)| *line),
                message: format!(
                    "more than {MAX_ACTIVITIES} questions: a meeting holds at most \
                     {MAX_ACTIVITIES}; split the file"
                ),
            });
        }
        match parsed {
            Parsed::Nothing => {}
            Parsed::Slide(activity) => activities.push(activity),
            Parsed::Question(activity) => {
                questions += 1;
                activities.push(activity);
            }
            Parsed::Skipped(warning) => skipped.push(warning),
        }
    }

    if questions == 0 {
        let message = match skipped.first() {
            Some(first) => format!(
                "no question could be imported: {} skipped, the first on line {}: {}",
                skipped.len(),
                first.line,
                first.message
            ),
            None => "no GIFT question found: write a question followed by its answers in \
                     braces, e.g. `Capital of France? {=Paris ~Lyon}`, and separate questions \
                     with a blank line"
                .to_string(),
        };
        let line = skipped.first().map_or(1, |w| w.line);
        return Err(GiftError { line, message });
    }
    Ok(GiftImport {
        activities,
        skipped,
    })
}

/// Lines of the file grouped into questions (blank lines separate them), with 1-based line
/// numbers. Comment lines stay inside their question, as in Moodle, and are dropped later.
fn blocks(text: &str) -> Vec<Vec<(usize, &str)>> {
    let mut blocks = Vec::new();
    let mut current = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        } else {
            current.push((i + 1, line));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

/// A character of a question after escapes are resolved. An escaped character is always
/// text, never GIFT syntax, which is what lets `\{` or `\~` appear in a question.
#[derive(Debug, Clone, Copy)]
struct Ch {
    c: char,
    line: usize,
    escaped: bool,
}

impl Ch {
    fn is(&self, c: char) -> bool {
        self.c == c && !self.escaped
    }
}

enum Parsed {
    /// Only comments, or a `$CATEGORY:` line: nothing to show.
    Nothing,
    /// Text without an answer block (Moodle's "description").
    Slide(ActivityFile),
    Question(ActivityFile),
    Skipped(GiftWarning),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `[plain]`, `[moodle]` or none: the text is shown as written.
    Text,
    /// `[markdown]`: shown as written in titles and choices; a long question keeps its line
    /// breaks in a Markdown description.
    Markdown,
    /// `[html]`: tags are removed, entities decoded.
    Html,
}

fn question(lines: &[(usize, &str)]) -> Result<Parsed, GiftError> {
    let chars = unescape(lines);
    let text = trim(&chars);
    let Some(first) = text.first() else {
        return Ok(Parsed::Nothing);
    };
    let start = first.line;
    if starts_with(text, "$CATEGORY:") {
        return Ok(Parsed::Nothing);
    }
    let skip = |message: String| {
        Ok(Parsed::Skipped(GiftWarning {
            line: start,
            message,
        }))
    };

    let (name, rest) = split_name(text)?;
    let open = position(rest, '{');
    let close = position(rest, '}');
    let (open, close) = match (open, close) {
        (None, None) => {
            let (format, body) = split_format(rest);
            return Ok(match titled(body, format, &name)? {
                Some((title, description)) => Parsed::Slide(activity(
                    ActivityKind::Text,
                    title,
                    description,
                    format,
                    Vec::new(),
                )),
                None => Parsed::Nothing,
            });
        }
        (Some(open), None) => {
            return Err(GiftError {
                line: rest[open].line,
                message: "the answer block opened with `{` is never closed: end it with `}` \
                          (a literal brace is written `\\{`)"
                    .into(),
            });
        }
        (None, Some(close)) => return Err(stray_close(&rest[close])),
        (Some(open), Some(close)) if close < open => return Err(stray_close(&rest[close])),
        (Some(open), Some(close)) => (open, close),
    };
    if let Some(inner) = position(&rest[open + 1..close], '{') {
        return Err(GiftError {
            line: rest[open + 1 + inner].line,
            message: format!(
                "`{{` inside the answer block opened on line {}: close that block with `}}` \
                 first, or write a literal brace as `\\{{`",
                rest[open].line
            ),
        });
    }
    let after = &rest[close + 1..];
    if position(after, '{').is_some() {
        return skip(
            "more than one answer block `{…}`: a question can have one blank only; \
             split it into separate questions"
                .into(),
        );
    }
    if let Some(stray) = position(after, '}') {
        return Err(stray_close(&after[stray]));
    }

    // Text after the answers makes the missing-word form: the braces become a blank.
    let mut body: Vec<Ch> = rest[..open].to_vec();
    if !trim(after).is_empty() {
        let line = rest[open].line;
        body.extend(BLANK.chars().map(|c| Ch {
            c,
            line,
            escaped: true,
        }));
        body.extend_from_slice(after);
    }
    let (format, body) = split_format(trim(&body));
    let Some((title, description)) = titled(body, format, &name)? else {
        return skip("the question has no text and no `::title::`: write its question".into());
    };

    let block = without_general_feedback(trim(&rest[open + 1..close]));
    Ok(match answers(block, rest[open].line, format)? {
        Answers::Activity(kind, choices) => {
            Parsed::Question(activity(kind, title, description, format, choices))
        }
        Answers::MultipleAnswer(choices) => {
            // Moodle's multiple-answer question: tick any number, each right one worth
            // its share, each wrong one taking some back.
            let n = u32::try_from(choices.len()).unwrap_or(1);
            Parsed::Question(ActivityFile {
                max_choices: n,
                partial_credit: true,
                ..activity(ActivityKind::Quiz, title, description, format, choices)
            })
        }
        Answers::Unsupported(message) => Parsed::Skipped(GiftWarning {
            line: start,
            message: message.into(),
        }),
    })
}

/// What an answer block asks for.
enum Answers {
    Activity(ActivityKind, Vec<ChoiceFile>),
    /// Several weighted right answers and no `=`: a multi-select quiz with partial credit.
    MultipleAnswer(Vec<ChoiceFile>),
    /// A question type LibreKast has no activity for: why, and what to write instead.
    Unsupported(&'static str),
}

/// The question type of an answer block (the braces' content), told apart as Moodle does.
fn answers(block: &[Ch], open_line: usize, format: Format) -> Result<Answers, GiftError> {
    if block.is_empty() {
        return Ok(Answers::Unsupported(
            "essay question (empty `{}`) skipped: LibreKast has no free-text answers; \
             list accepted answers as `{=…}` to make it a word cloud",
        ));
    }
    if block[0].is('#') {
        return Ok(Answers::Unsupported(
            "numerical question (`{#…}`) skipped: numeric answers are not supported; \
             write the answers as choices (`{=right ~wrong}`) to make it a quiz",
        ));
    }
    if position(block, '~').is_some() {
        let choices = choices(block, open_line, format)?;
        let right = choices.iter().filter(|c| c.correct).count();
        if right > 1 && position(block, '=').is_none() {
            return Ok(Answers::MultipleAnswer(choices));
        }
        let kind = if choices.iter().any(|c| c.correct) {
            ActivityKind::Quiz
        } else {
            ActivityKind::Poll
        };
        return Ok(Answers::Activity(kind, choices));
    }
    if position(block, '=').is_some() && contains(block, "->") {
        return Ok(Answers::Unsupported(
            "matching question (`=… -> …`) skipped: matching is not supported; \
             ask each pair as its own multiple-choice question",
        ));
    }
    let verdict = to_string(trim(until(block, '#'))).to_ascii_uppercase();
    let truth = match verdict.as_str() {
        "T" | "TRUE" => true,
        "F" | "FALSE" => false,
        // Short answer. The accepted answers are not kept: the word cloud is how the room
        // answers, and showing them would give the answer away.
        _ => return Ok(Answers::Activity(ActivityKind::Wordcloud, Vec::new())),
    };
    let choices = vec![
        choice(0, "True".into(), truth),
        choice(1, "False".into(), !truth),
    ];
    Ok(Answers::Activity(ActivityKind::Quiz, choices))
}

fn stray_close(ch: &Ch) -> GiftError {
    GiftError {
        line: ch.line,
        message: "`}` closes no answer block: remove it, or write a literal brace as `\\}`".into(),
    }
}

/// The lines of one question as characters, comment lines blanked and escapes resolved
/// (`\\`, `\~`, `\=`, `\#`, `\{`, `\}`, `\:`, and `\n` for a line break).
fn unescape(lines: &[(usize, &str)]) -> Vec<Ch> {
    let mut out = Vec::new();
    let mut previous = None;
    for &(line, text) in lines {
        if let Some(previous) = previous {
            out.push(Ch {
                c: '\n',
                line: previous,
                escaped: false,
            });
        }
        previous = Some(line);
        if text.trim_start().starts_with("//") {
            continue;
        }
        let mut it = text.chars().peekable();
        while let Some(c) = it.next() {
            let escaped = match (c, it.peek()) {
                ('\\', Some(&n @ ('\\' | '~' | '=' | '#' | '{' | '}' | ':'))) => Some(n),
                ('\\', Some('n')) => Some('\n'),
                _ => None,
            };
            match escaped {
                Some(n) => {
                    it.next();
                    out.push(Ch {
                        c: n,
                        line,
                        escaped: true,
                    });
                }
                None => out.push(Ch {
                    c,
                    line,
                    escaped: false,
                }),
            }
        }
    }
    out
}

fn trim(chars: &[Ch]) -> &[Ch] {
    let start = chars
        .iter()
        .position(|ch| !ch.c.is_whitespace())
        .unwrap_or(chars.len());
    let end = chars
        .iter()
        .rposition(|ch| !ch.c.is_whitespace())
        .map_or(start, |i| i + 1);
    &chars[start..end.max(start)]
}

/// Index of the first unescaped `c`.
fn position(chars: &[Ch], c: char) -> Option<usize> {
    chars.iter().position(|ch| ch.is(c))
}

/// The part before the first unescaped `c` (all of it when there is none).
fn until(chars: &[Ch], c: char) -> &[Ch] {
    &chars[..position(chars, c).unwrap_or(chars.len())]
}

fn find(chars: &[Ch], pattern: &str) -> Option<usize> {
    let pattern: Vec<char> = pattern.chars().collect();
    if pattern.is_empty() {
        return Some(0);
    }
    chars
        .windows(pattern.len())
        .position(|w| w.iter().zip(&pattern).all(|(ch, &p)| ch.is(p)))
}

fn contains(chars: &[Ch], pattern: &str) -> bool {
    find(chars, pattern).is_some()
}

fn starts_with(chars: &[Ch], pattern: &str) -> bool {
    let mut it = chars.iter();
    pattern
        .chars()
        .all(|p| it.next().is_some_and(|ch| ch.is(p)))
}

fn to_string(chars: &[Ch]) -> String {
    chars.iter().map(|ch| ch.c).collect()
}

/// Splits off a leading `::title::`. The title only stands in for an empty question text.
fn split_name(text: &[Ch]) -> Result<(String, &[Ch]), GiftError> {
    if !starts_with(text, "::") {
        return Ok((String::new(), text));
    }
    let Some(end) = find(&text[2..], "::") else {
        return Err(GiftError {
            line: text[0].line,
            message: "the question title opened with `::` is never closed: end it with `::` \
                      (a literal colon is written `\\:`)"
                .into(),
        });
    };
    let name = collapse(&to_string(&text[2..2 + end]));
    Ok((name, trim(&text[2 + end + 2..])))
}

/// Splits off a leading `[html]`, `[moodle]`, `[plain]` or `[markdown]`. Any other bracket
/// is part of the text, as in Moodle.
fn split_format(text: &[Ch]) -> (Format, &[Ch]) {
    if !text.first().is_some_and(|ch| ch.is('[')) {
        return (Format::Text, text);
    }
    let Some(end) = position(text, ']') else {
        return (Format::Text, text);
    };
    let format = match to_string(&text[1..end]).to_ascii_lowercase().as_str() {
        "html" => Format::Html,
        "moodle" | "plain" => Format::Text,
        "markdown" => Format::Markdown,
        _ => return (Format::Text, text),
    };
    (format, trim(&text[end + 1..]))
}

/// Drops the general feedback after the last `####`.
fn without_general_feedback(answers: &[Ch]) -> &[Ch] {
    let mut cut = None;
    let mut from = 0;
    while let Some(i) = find(&answers[from..], "####") {
        cut = Some(from + i);
        from += i + 1;
    }
    match cut {
        Some(cut) => trim(&answers[..cut]),
        None => answers,
    }
}

/// The text as it will be shown: source line breaks are spaces (except in Markdown, where
/// they are part of the syntax), `\n` stays a line break, HTML is reduced to its text, and
/// control characters, which would only make a title look empty, are spaces.
fn plain(text: &[Ch], format: Format) -> String {
    let text: String = text
        .iter()
        .map(|ch| match ch.c {
            '\n' if ch.escaped || format == Format::Markdown => '\n',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    match format {
        Format::Text | Format::Markdown => text,
        Format::Html => strip_html(&text),
    }
}

/// Collapses every run of whitespace to one space.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each line's whitespace collapsed, at most one blank line in a row (a paragraph break).
fn tidy(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.split('\n').map(collapse) {
        let blank = line.is_empty();
        if blank && lines.last().is_none_or(String::is_empty) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.join("\n")
}

/// The title and description for a question text, falling back to the `::title::` when the
/// text is empty; `None` when both are. The description is empty unless the title had to be
/// shortened.
fn titled(text: &[Ch], format: Format, name: &str) -> Result<Option<(String, String)>, GiftError> {
    let shown = plain(text, format);
    let full = match format {
        Format::Markdown => shown.trim().to_string(),
        Format::Text | Format::Html => tidy(&shown),
    };
    let full = if full.is_empty() { tidy(name) } else { full };
    if full.is_empty() {
        return Ok(None);
    }
    let title = collapse(&full);
    if title.chars().count() <= MAX_TITLE {
        return Ok(Some((title, String::new())));
    }
    let len = full.chars().count();
    if len > MAX_DESCRIPTION {
        return Err(GiftError {
            line: text.first().map_or(1, |ch| ch.line),
            message: format!(
                "the question is {len} characters long: use at most {MAX_DESCRIPTION} (is a \
                 blank line missing between two questions?)"
            ),
        });
    }
    Ok(Some((short_title(&title), full)))
}

/// The first sentence if it fits, else the words that fit followed by an ellipsis.
fn short_title(title: &str) -> String {
    let chars: Vec<char> = title.chars().collect();
    let sentence_end = (0..MAX_TITLE.min(chars.len())).find(|&i| {
        matches!(chars[i], '.' | '?' | '!') && chars.get(i + 1).is_some_and(|c| *c == ' ')
    });
    if let Some(end) = sentence_end {
        return chars[..=end].iter().collect();
    }
    let room = MAX_TITLE - 1;
    let cut = (1..=room).rev().find(|&i| chars[i] == ' ').unwrap_or(room);
    let mut short: String = chars[..cut].iter().collect();
    short.truncate(short.trim_end().len());
    short.push('…');
    short
}

/// The choices of a multiple-choice answer block.
fn choices(answers: &[Ch], open_line: usize, format: Format) -> Result<Vec<ChoiceFile>, GiftError> {
    // (marker, line of the marker, text after it)
    let mut pieces: Vec<(Option<char>, usize, &[Ch])> = Vec::new();
    let mut marker = None;
    let mut line = open_line;
    let mut start = 0;
    for (i, ch) in answers.iter().enumerate() {
        if ch.is('~') || ch.is('=') {
            pieces.push((marker, line, &answers[start..i]));
            marker = Some(ch.c);
            line = ch.line;
            start = i + 1;
        }
    }
    pieces.push((marker, line, &answers[start..]));
    // Text before the first marker is an answer too (Moodle counts it as wrong), unless empty.
    if pieces
        .first()
        .is_some_and(|(m, _, text)| m.is_none() && trim(text).is_empty())
    {
        pieces.remove(0);
    }

    if pieces.len() < 2 {
        return Err(GiftError {
            line: open_line,
            message: format!(
                "a multiple-choice question needs at least 2 answers, found {}: add one \
                 with `~wrong` or `=right`",
                pieces.len()
            ),
        });
    }
    if pieces.len() > MAX_CHOICES {
        return Err(GiftError {
            line: open_line,
            message: format!(
                "{} answers: a question can have at most {MAX_CHOICES} (a to z); \
                 remove some or split the question",
                pieces.len()
            ),
        });
    }

    let mut choices = Vec::with_capacity(pieces.len());
    for (i, (marker, line, text)) in pieces.into_iter().enumerate() {
        let (weight, text) = split_weight(trim(text));
        let (answer_format, text) = split_format(trim(until(text, '#')));
        let format = if answer_format == Format::Html {
            Format::Html
        } else {
            format
        };
        let text = collapse(&plain(text, format));
        let len = text.chars().count();
        if len > MAX_CHOICE_TEXT {
            return Err(GiftError {
                line,
                message: format!(
                    "answer {} is {len} characters long: use at most {MAX_CHOICE_TEXT}",
                    i + 1
                ),
            });
        }
        if text.is_empty() {
            return Err(GiftError {
                line,
                message: format!(
                    "answer {} is empty: write its text after the `~` or `=`, or remove \
                     the extra marker",
                    i + 1
                ),
            });
        }
        // `=` is right and `~` wrong unless a weight says otherwise; any credit counts as
        // right, as partial credit does in Moodle's multiple-answer questions.
        let correct = match weight {
            Some(weight) => weight > 0.0,
            None => marker == Some('='),
        };
        choices.push(choice(i, text, correct));
    }
    Ok(choices)
}

/// Splits off a leading `%50%` weight. Text that only looks like one stays text.
fn split_weight(text: &[Ch]) -> (Option<f64>, &[Ch]) {
    if !text.first().is_some_and(|ch| ch.is('%')) {
        return (None, text);
    }
    let Some(end) = position(&text[1..], '%') else {
        return (None, text);
    };
    let inner = to_string(&text[1..1 + end]);
    let numeric = !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
    match inner.parse::<f64>() {
        Ok(weight) if numeric => (Some(weight), trim(&text[end + 2..])),
        _ => (None, text),
    }
}

fn choice(index: usize, text: String, correct: bool) -> ChoiceFile {
    ChoiceFile {
        id: None,
        text,
        slug: slug(index),
        correct,
    }
}

/// `a` … `z`, then `aa`, `ab` … (bijective base 26).
fn slug(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(char::from(b'a' + (index % 26) as u8));
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.iter().rev().collect()
}

fn activity(
    kind: ActivityKind,
    title: String,
    description: String,
    format: Format,
    choices: Vec<ChoiceFile>,
) -> ActivityFile {
    let markup = if format == Format::Markdown && !description.is_empty() {
        Markup::Markdown
    } else {
        Markup::Text
    };
    ActivityFile {
        id: None,
        kind,
        title,
        description,
        markup,
        choices,
        word_limit: WORDCLOUD_WORDS,
        notes: String::new(),
        time_limit_secs: 0,
        points: None,
        max_choices: 1,
        partial_credit: false,
        scale: None,
        prior_weight: None,
        image: None,
        alt: String::new(),
        auto_approve: false,
        hide_results_until_reveal: false,
    }
}

/// HTML reduced to its text: tags removed (block tags become line breaks), entities decoded.
/// A `<` not followed by a tag name is text, as a browser would show it.
fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        let is_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        match after.find('>') {
            Some(gt) if is_tag => {
                let name: String = after[..gt]
                    .trim_start_matches('/')
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                if matches!(
                    name.as_str(),
                    "br" | "p"
                        | "div"
                        | "li"
                        | "tr"
                        | "ul"
                        | "ol"
                        | "table"
                        | "blockquote"
                        | "pre"
                        | "h1"
                        | "h2"
                        | "h3"
                        | "h4"
                        | "h5"
                        | "h6"
                ) {
                    out.push('\n');
                }
                rest = &after[gt + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after
            .find(';')
            .filter(|&semi| semi <= 10)
            .and_then(|semi| entity(&after[..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    let numeric = |digits: &str, radix| u32::from_str_radix(digits, radix).ok();
    let code = match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        "nbsp" => return Some(' '),
        _ => match name.strip_prefix('#')? {
            hex if hex.starts_with(['x', 'X']) => numeric(&hex[1..], 16)?,
            dec => numeric(dec, 10)?,
        },
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting_file::MeetingFile;

    fn import(text: &str) -> GiftImport {
        match parse_gift(text) {
            Ok(imported) => imported,
            Err(e) => panic!("{text:?} failed: {e}"),
        }
    }

    fn error(text: &str) -> GiftError {
        match parse_gift(text) {
            Ok(imported) => panic!("{text:?} imported: {imported:?}"),
            Err(e) => e,
        }
    }

    fn texts(activity: &ActivityFile) -> Vec<(&str, &str, bool)> {
        activity
            .choices
            .iter()
            .map(|c| (c.slug.as_str(), c.text.as_str(), c.correct))
            .collect()
    }

    /// Moodle's documented examples, with a comment header, titles and feedback.
    const SAMPLE: &str = "\
// question: 1 name: Grant's tomb
// Moodle's examples from its GIFT documentation.
::Q1:: Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}

Grant is {~buried =entombed ~living} in Grant's tomb.

Grant is buried in Grant's tomb.{F}

The sun rises in the east.{T}

Two plus two equals {=four =4}

Who's buried in Grant's tomb?{=no one =nobody}

When was Ulysses S. Grant born?{#1822:5}

Match the following countries with their corresponding capitals. {
   =Canada -> Ottawa
   =Italy  -> Rome
   =Japan  -> Tokyo
}

::Q2:: What's between orange and green in the spectrum?
{
=yellow # right; good!
~red # wrong, it's yellow
~blue # wrong, it's yellow
}

What two people are entombed in Grant's tomb? {
   ~%-100%No one
   ~%50%Grant
   ~%50%Grant's wife
   ~%-100%Grant's father
}

Write a short biography of Dag Hammarskjöld. {}

Which editor do you prefer? {~vim ~emacs ~nano}

You can use your pencil and paper for these next math questions.
";

    #[test]
    fn moodle_examples() {
        let imported = import(SAMPLE);
        let a = &imported.activities;
        assert_eq!(a.len(), 10, "{a:#?}");

        assert_eq!(a[0].kind, ActivityKind::Quiz);
        assert_eq!(a[0].title, "Who's buried in Grant's tomb?");
        assert_eq!(
            texts(&a[0]),
            [
                ("a", "Grant", false),
                ("b", "Jefferson", false),
                ("c", "no one", true)
            ]
        );

        // Missing word: the braces become a blank.
        assert_eq!(a[1].title, "Grant is _____ in Grant's tomb.");
        assert_eq!(
            texts(&a[1]),
            [
                ("a", "buried", false),
                ("b", "entombed", true),
                ("c", "living", false)
            ]
        );

        assert_eq!(a[2].kind, ActivityKind::Quiz);
        assert_eq!(a[2].title, "Grant is buried in Grant's tomb.");
        assert_eq!(texts(&a[2]), [("a", "True", false), ("b", "False", true)]);
        assert_eq!(texts(&a[3]), [("a", "True", true), ("b", "False", false)]);

        // Short answers: word clouds that keep the answers secret.
        assert_eq!(a[4].kind, ActivityKind::Wordcloud);
        assert_eq!(a[4].title, "Two plus two equals");
        assert_eq!(a[4].description, "");
        assert!(a[4].choices.is_empty());
        assert_eq!(a[4].word_limit, 3);
        assert_eq!(a[5].kind, ActivityKind::Wordcloud);
        assert!(!format!("{:?}", a[5]).contains("nobody"));

        assert_eq!(
            a[6].title,
            "What's between orange and green in the spectrum?"
        );
        assert_eq!(
            texts(&a[6]),
            [
                ("a", "yellow", true),
                ("b", "red", false),
                ("c", "blue", false)
            ]
        );

        // Moodle's multiple-answer question (weights, no `=`): tick any number, with
        // partial credit.
        assert_eq!(a[7].kind, ActivityKind::Quiz);
        assert_eq!((a[7].max_choices, a[7].partial_credit), (4, true));
        assert_eq!((a[6].max_choices, a[6].partial_credit), (1, false));
        assert_eq!(
            texts(&a[7]),
            [
                ("a", "No one", false),
                ("b", "Grant", true),
                ("c", "Grant's wife", true),
                ("d", "Grant's father", false)
            ]
        );

        // No right answer: a poll.
        assert_eq!(a[8].kind, ActivityKind::Poll);
        assert_eq!(a[8].choices.len(), 3);

        // No answer block: a slide.
        assert_eq!(a[9].kind, ActivityKind::Text);
        assert_eq!(
            a[9].title,
            "You can use your pencil and paper for these next math questions."
        );

        let skipped: Vec<(usize, &str)> = imported
            .skipped
            .iter()
            .map(|w| (w.line, w.message.split(' ').next().unwrap_or("")))
            .collect();
        assert_eq!(
            skipped,
            [(15, "numerical"), (17, "matching"), (37, "essay")]
        );
    }

    #[test]
    fn every_activity_validates() {
        assert_valid(SAMPLE, meeting(import(SAMPLE).activities));
    }

    /// A meeting titled "x" with code "x" holding the activities.
    fn meeting(activities: Vec<ActivityFile>) -> MeetingFile {
        let mut meeting: MeetingFile = match serde_json::from_value(
            serde_json::json!({"title": "x", "code": "x", "activities": []}),
        ) {
            Ok(meeting) => meeting,
            Err(e) => panic!("{e}"),
        };
        meeting.activities = activities;
        meeting
    }

    #[test]
    fn crlf_line_endings() {
        let unix = import(SAMPLE);
        let windows = import(&SAMPLE.replace('\n', "\r\n"));
        assert_eq!(unix, windows);
        let bom = import(&format!("\u{feff}{}", SAMPLE.replace('\n', "\r")));
        assert_eq!(unix, bom);
    }

    #[test]
    fn escapes() {
        let imported = import(
            "Is 1 \\= 2 \\{really\\}\\: a\\~b\\#c\\\\d?\\nSecond line {~yes \\~maybe =no \\= never}",
        );
        let a = &imported.activities[0];
        assert_eq!(a.title, "Is 1 = 2 {really}: a~b#c\\d? Second line");
        assert_eq!(
            texts(a),
            [("a", "yes ~maybe", false), ("b", "no = never", true)]
        );
    }

    #[test]
    fn comments_and_titles() {
        let imported = import(
            "// a comment line\n  // an indented one\n::Title only::{=right ~wrong}\n\n\
             ::Named:: Real text? {T}",
        );
        assert_eq!(imported.activities[0].title, "Title only");
        assert_eq!(imported.activities[1].title, "Real text?");
    }

    #[test]
    fn feedback_and_weights_are_dropped() {
        let imported = import(
            "Q? {=%100%right#well done ~%0%wrong#no ~%-50%worse ####General feedback}\n\n\
             Sky is blue {TRUE#wrong feedback#right feedback}\n\n\
             Short {=%50%half =full#yes}",
        );
        let a = &imported.activities;
        assert_eq!(
            texts(&a[0]),
            [
                ("a", "right", true),
                ("b", "wrong", false),
                ("c", "worse", false)
            ]
        );
        assert_eq!(texts(&a[1]), [("a", "True", true), ("b", "False", false)]);
        assert_eq!(a[2].kind, ActivityKind::Wordcloud);
    }

    #[test]
    fn formats() {
        let imported = import(
            "[html]<p>What is <b>bold</b>&nbsp;&amp; 1 &lt; 2?</p>{=<i>yes</i> ~[plain]no}\n\n\
             [markdown]Is *this* kept? {T}\n\n\
             [other] stays {T}",
        );
        let a = &imported.activities;
        assert_eq!(a[0].title, "What is bold & 1 < 2?");
        assert_eq!(texts(&a[0]), [("a", "yes", true), ("b", "no", false)]);
        assert_eq!(a[1].title, "Is *this* kept?");
        assert_eq!(a[2].title, "[other] stays");
    }

    #[test]
    fn long_questions_keep_the_full_text_as_description() {
        let long = format!("First sentence here. {}", "word ".repeat(60));
        let imported = import(&format!("{long}{{T}}"));
        let a = &imported.activities[0];
        assert_eq!(a.title, "First sentence here.");
        assert_eq!(a.description, long.trim());

        let run_on = "word ".repeat(60);
        let imported = import(&format!("{run_on}{{=a}}"));
        let a = &imported.activities[0];
        assert_eq!(a.kind, ActivityKind::Wordcloud);
        assert!(a.title.chars().count() <= MAX_TITLE, "{}", a.title);
        assert!(a.title.ends_with("word…"), "{}", a.title);
        assert_eq!(a.description, run_on.trim());
    }

    #[test]
    fn slugs() {
        assert_eq!(slug(0), "a");
        assert_eq!(slug(25), "z");
        assert_eq!(slug(26), "aa");
        assert_eq!(slug(27), "ab");
        assert_eq!(slug(26 + 26 * 26), "aaa");
        let many: String = (1..26).map(|i| format!(" ~c{i}")).collect();
        let imported = import(&format!("Many? {{=first{many}}}"));
        let choices = &imported.activities[0].choices;
        assert_eq!(choices.len(), 26);
        assert_eq!(choices[25].slug, "z");
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = error("Fine? {T}\n\nBroken? {=yes\n~no\n");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("never closed"), "{e}");

        let e = error("Fine? {T}\n\n\nStray } here {T}");
        assert_eq!(e.line, 4);
        assert!(e.message.contains("`}`"), "{e}");

        let e = error("::Unclosed title {T}");
        assert_eq!(e.line, 1);

        let e = error("Nested? {=a\n{b}");
        assert_eq!(e.line, 2);

        let e = error("One? {~only}");
        assert!(e.message.contains("at least 2"), "{e}");

        let e = error("Empty? {=yes ~ ~no}");
        assert!(e.message.contains("answer 2 is empty"), "{e}");

        let many: String = (0..27).map(|i| format!(" ~c{i}")).collect();
        let e = error(&format!("Too many? {{=x{many}}}"));
        assert!(e.message.contains("at most 26"), "{e}");
        assert_eq!(e.to_string(), format!("line 1: {}", e.message));
    }

    #[test]
    fn meeting_limits_are_errors_not_invalid_meetings() {
        let e = error(&format!("Long? {{=yes ~{}}}", "n".repeat(301)));
        assert!(e.message.contains("at most 300"), "{e}");
        let e = error(&format!("{} {{T}}", "word ".repeat(4_001)));
        assert!(e.message.contains("at most 20000"), "{e}");
        let e = error(&"Q? {T}\n\n".repeat(501));
        assert_eq!(e.line, 1 + 500 * 2);

        let fits = import(&format!(
            "{} {{=yes ~{}}}\n\n{}",
            "word ".repeat(3_999),
            "n".repeat(300),
            "Q? {T}\n\n".repeat(499)
        ));
        assert_eq!(fits.activities.len(), 500);
        assert_valid("500 questions", meeting(fits.activities));
    }

    #[test]
    fn markdown_keeps_its_lines_in_long_descriptions() {
        // A GIFT question has no blank line, so the list follows the paragraph directly.
        let text = format!(
            "[markdown]Read this first.\n- {}\n- b {{T}}",
            "item ".repeat(50)
        );
        let imported = import(&text);
        let a = &imported.activities[0];
        assert_eq!(a.title, "Read this first.");
        assert_eq!(a.markup, Markup::Markdown);
        assert!(a.description.contains("\n- b"), "{:?}", a.description);
    }

    #[test]
    fn nothing_importable_is_an_error() {
        assert_eq!(error("").line, 1);
        assert!(
            error("// just a comment\n\n$CATEGORY: $course$/Quiz")
                .message
                .contains("no GIFT question")
        );
        assert!(
            error("Only a slide of text.")
                .message
                .contains("no GIFT question")
        );
        let e = error("Intro\n\nWhen? {#1822:5}\n\nMatch {=a -> b =c -> d}");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("2 skipped"), "{e}");
    }

    #[test]
    fn other_unsupported_questions_are_skipped() {
        let imported = import("Two {~a =b} blanks {=c ~d}\n\nKept {T}");
        assert_eq!(imported.activities.len(), 1);
        assert_eq!(imported.skipped.len(), 1);
        assert_eq!(imported.skipped[0].line, 1);
        assert!(
            imported.skipped[0]
                .message
                .contains("more than one answer block")
        );
    }

    #[test]
    fn arbitrary_text_never_panics() {
        // A fixed-seed generator over GIFT's own syntax, so the odd corners get hit often.
        const PIECES: [&str; 24] = [
            "{", "}", "~", "=", "#", "####", "%", "%50%", "%-100%", "::", "\\", "\\n", "->",
            "[html]", "<b>", "&amp;", "\n", "\n\n", "\r\n", "// ", "T", "text ", "é", " ",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut imports = 0;
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let text: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            if let Ok(imported) = parse_gift(&text) {
                imports += 1;
                check_valid(&text, imported);
            }
        }
        // Most random texts are errors; enough must import for the validity check to count.
        assert!(imports > 300, "only {imports} imports");
    }

    fn assert_valid(text: &str, meeting: MeetingFile) {
        if let Err(e) = meeting.validate() {
            panic!("{text:?} imported an invalid meeting: {e}");
        }
    }

    fn check_valid(text: &str, imported: GiftImport) {
        let meeting = meeting(imported.activities);
        assert_valid(text, meeting.clone());
        for a in &meeting.activities {
            assert!(a.title.chars().count() <= MAX_TITLE, "{text:?}");
        }
    }

    mod fuzz {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

            #[test]
            fn any_text(text in "\\PC{0,400}") {
                if let Ok(imported) = parse_gift(&text) {
                    check_valid(&text, imported);
                }
            }

            #[test]
            fn gift_like_text(text in "([a-z ]{0,8}|[{}~=#%:\\\\\\[\\]<>&;\n-]|\r\n|T|\\[html\\]){0,60}") {
                if let Ok(imported) = parse_gift(&text) {
                    check_valid(&text, imported);
                }
            }
        }
    }
}
