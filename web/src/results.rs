//! A meeting's results for its staff (docs/api.md, "Results"):
//!
//! - `GET /api/meetings/{id}/results.json`: [`MeetingResults`] (`?answers=0` leaves the
//!   `answers` array out: what the results page loads);
//! - `GET /api/meetings/{id}/results.csv`: one row per vote, word and flag capture.
//!
//! The CSV writer and the text summary are shared with `librekast meeting results`, so the
//! command prints exactly what the route sends.

use std::collections::HashMap;
use std::fmt::Write as _;

use librekast_engine::Action;
use librekast_storage::queries::results::MeetingResults;
use librekast_storage::{ActivityKind, MeetingId, Micros, StorageError};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, HeaderValue, header};
use warp::reply::Response;

use crate::api_error::ApiError;
use crate::app::{App, internal};
use crate::principal;

/// The CSV's first line (after the byte order mark).
pub const CSV_HEADER: &str = "time,activity,kind,attendee_id,name,platform,answer,correct,points";

/// UTF-8's byte order mark: without it Excel reads a CSV file as the local legacy code page
/// and garbles every accent. Other readers skip it (or should be told to, e.g. Python's
/// `encoding="utf-8-sig"`).
const BOM: char = '\u{feff}';

pub fn routes(app: App) -> BoxedFilter<(Response,)> {
    let with_app = warp::any().map(move || app.clone());
    let json = warp::path!("api" / "meetings" / i64 / "results.json")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(warp::query::<HashMap<String, String>>())
        .and(with_app.clone())
        .then(results_json);
    let csv = warp::path!("api" / "meetings" / i64 / "results.csv")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app)
        .then(results_csv);
    json.or(csv).unify().boxed()
}

/// The results, for staff who may control the meeting (`401`, `403`, `404` otherwise).
async fn load(app: &App, headers: &HeaderMap, id: i64) -> Result<MeetingResults, Response> {
    let meeting = MeetingId(id);
    principal::staff_allowed(app, headers, Action::Control, meeting).await?;
    match app.engine.store().meeting_results(meeting).await {
        Ok(r) => Ok(r),
        Err(StorageError::NotFound) => Err(ApiError::NotFound.reply(Some("no such meeting"))),
        Err(e) => Err(internal(e)),
    }
}

/// A body built off the async workers (a 10,000-person meeting makes megabytes of it).
async fn build<F>(make: F) -> Result<Vec<u8>, Response>
where
    F: FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
{
    match tokio::task::spawn_blocking(make).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => Err(internal(e)),
        Err(e) => Err(internal(e)),
    }
}

fn reply(body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = Response::new(body.into());
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Personal data that changes while the meeting runs: never cached.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn results_json(
    id: i64,
    headers: HeaderMap,
    query: HashMap<String, String>,
    app: App,
) -> Response {
    let mut results = match load(&app, &headers, id).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let answers = !matches!(
        query.get("answers").map(String::as_str),
        Some("0" | "false" | "no")
    );
    let body = build(move || {
        if answers {
            return serde_json::to_vec(&results).map_err(|e| e.to_string());
        }
        results.answers = Vec::new();
        let mut value = serde_json::to_value(&results).map_err(|e| e.to_string())?;
        if let Some(map) = value.as_object_mut() {
            map.remove("answers");
        }
        serde_json::to_vec(&value).map_err(|e| e.to_string())
    })
    .await;
    match body {
        Ok(body) => reply(body, "application/json"),
        Err(r) => r,
    }
}

async fn results_csv(id: i64, headers: HeaderMap, app: App) -> Response {
    let results = match load(&app, &headers, id).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    match build(move || Ok(csv(&results).into_bytes())).await {
        Ok(body) => {
            let mut response = reply(body, "text/csv; charset=utf-8");
            let disposition = format!("attachment; filename=\"meeting-{id}-results.csv\"");
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(r) => r,
    }
}

/// `2026-12-06T07:37:03.250Z`: RFC 3339, UTC, milliseconds.
pub fn rfc3339_millis(at: Micros) -> String {
    let seconds = librekast_storage::rfc3339(at);
    let millis = at.rem_euclid(1_000_000) / 1_000;
    format!("{}.{millis:03}Z", seconds.trim_end_matches('Z'))
}

/// Appends a text cell: neutralised when a spreadsheet would read it as a formula (a
/// leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'` before it, as OWASP's "CSV
/// injection" advises), then quoted as RFC 4180 says when it holds a comma, a quote, CR or
/// LF (quotes doubled). Numbers we write ourselves are never text cells.
fn text_cell(out: &mut String, cell: &str) {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = cell.contains([',', '"', '\r', '\n']);
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    if quoted {
        for ch in cell.chars() {
            if ch == '"' {
                out.push('"');
            }
            out.push(ch);
        }
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

/// Every answer as CSV: a UTF-8 byte order mark, [`CSV_HEADER`], then one row per vote,
/// word and flag capture in time order, CRLF line endings. `activity` is the 1-based
/// position (empty for a flag), `answer` the choice's slug, the word, or the flag's name,
/// `correct` `true`/`false` for quizzes (empty otherwise), `points` empty when none apply.
pub fn csv(results: &MeetingResults) -> String {
    let mut out = String::with_capacity(128 + results.answers.len() * 96);
    out.push(BOM);
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for a in &results.answers {
        out.push_str(&rfc3339_millis(a.at));
        out.push(',');
        if let Some(n) = a.activity {
            let _ = write!(out, "{n}");
        }
        out.push(',');
        out.push_str(a.kind.wire());
        out.push(',');
        let _ = write!(out, "{}", a.attendee_id);
        out.push(',');
        text_cell(&mut out, &a.name);
        out.push(',');
        out.push_str(a.platform.code());
        out.push(',');
        text_cell(&mut out, &a.answer);
        out.push(',');
        out.push_str(match a.correct {
            Some(true) => "true",
            Some(false) => "false",
            None => "",
        });
        out.push(',');
        if let Some(points) = a.points {
            let _ = write!(out, "{points}");
        }
        out.push_str("\r\n");
    }
    out
}

/// Text from people, safe to print on a terminal: control characters (escape sequences)
/// become spaces.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn kind_name(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Text => "Slide",
        ActivityKind::Poll => "Poll",
        ActivityKind::Quiz => "Quiz",
        ActivityKind::Wordcloud => "Word cloud",
        ActivityKind::Scale => "Rating",
        ActivityKind::Grid => "Rating grid",
        ActivityKind::TextAnswer => "Open question",
        ActivityKind::Qna => "Q&A",
    }
}

/// `mean 6.40, median 7 (12 ratings)`.
fn rating_line(r: &librekast_storage::RatingStats) -> String {
    match (r.mean, r.median) {
        (Some(mean), Some(median)) => {
            format!("mean {mean:.2}, median {median} ({} ratings)", r.count)
        }
        _ => "no ratings".to_string(),
    }
}

/// Words shown per cloud and rows of the scoreboard in [`summary`].
const SUMMARY_WORDS: usize = 10;
const SUMMARY_ROWS: usize = 10;

/// The results as text for a terminal: per activity the counts (the correct choice marked
/// `✓`) or the top words, the flags, the scoreboard's top 10, participation by platform.
pub fn summary(r: &MeetingResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Meeting {}: {} ({})",
        r.meeting_id,
        printable(&r.title),
        r.status.wire()
    );
    for a in &r.activities {
        let _ = write!(
            out,
            "\n{}. {}: {}",
            a.position,
            kind_name(a.kind),
            printable(&a.title)
        );
        if a.kind == ActivityKind::Text {
            out.push('\n');
            continue;
        }
        let _ = write!(out, " ({} answered", a.answered);
        if a.answered_by_platform.len() > 1 {
            let parts: Vec<String> = a
                .answered_by_platform
                .iter()
                .map(|p| format!("{} {}", p.platform.code(), p.count))
                .collect();
            let _ = write!(out, ": {}", parts.join(", "));
        }
        out.push_str(")\n");
        let width = a
            .choices
            .iter()
            .map(|c| printable(&c.text).chars().count())
            .max()
            .unwrap_or(0);
        let slugs = a
            .choices
            .iter()
            .map(|c| c.slug.chars().count())
            .max()
            .unwrap_or(0);
        for c in a.choices.iter().filter(|_| a.kind.has_choices()) {
            let pct = (c.count * 100).checked_div(a.answered).unwrap_or(0);
            let mark = if c.correct { "✓" } else { " " };
            let _ = writeln!(
                out,
                "  {mark} {:<slugs$}  {:<width$}  {:>5}  {pct:>3}%",
                printable(&c.slug),
                printable(&c.text),
                c.count
            );
        }
        if let Some(r) = &a.rating {
            let _ = writeln!(out, "    {}", rating_line(r));
        }
        if let Some(g) = &a.grid {
            for (rank, id) in g.ranking.iter().enumerate() {
                let (Some(item), Some(c)) = (
                    g.items.iter().find(|i| i.choice_id == *id),
                    a.choices.iter().find(|c| c.id == *id),
                ) else {
                    continue;
                };
                let bayes = item.bayes.map_or("–".to_string(), |b| format!("{b:.2}"));
                let _ = writeln!(
                    out,
                    "  {}. {:<slugs$}  {:<width$}  {bayes:>6}  ({})",
                    rank + 1,
                    printable(&c.slug),
                    printable(&c.text),
                    rating_line(&item.stats)
                );
            }
        }
        if a.kind.takes_posts() {
            let items = a.items.as_deref().unwrap_or_default();
            let shown = items
                .iter()
                .filter(|i| i.status == librekast_storage::PostStatus::Approved)
                .count();
            let _ = writeln!(
                out,
                "    {} {}, {shown} shown",
                items.len(),
                if a.kind == ActivityKind::Qna {
                    "questions"
                } else {
                    "answers"
                }
            );
            let mut top: Vec<&librekast_storage::queries::results::ItemResults> =
                items.iter().collect();
            top.sort_by_key(|i| (std::cmp::Reverse(i.votes), i.id));
            for i in top.iter().take(SUMMARY_WORDS) {
                let _ = writeln!(
                    out,
                    "  #{:<4} {:>4}  {}  [{}]",
                    i.id,
                    i.votes,
                    printable(&i.text),
                    i.status_word()
                );
            }
        }
        if a.kind == ActivityKind::Wordcloud {
            if a.words.is_empty() {
                out.push_str("    (no words)\n");
            } else {
                let top: Vec<String> = a
                    .words
                    .iter()
                    .take(SUMMARY_WORDS)
                    .map(|w| format!("{} {}", printable(&w.text), w.count))
                    .collect();
                let _ = writeln!(out, "    {}", top.join(", "));
                if a.words.len() > SUMMARY_WORDS {
                    let _ = writeln!(out, "    … {} more", a.words.len() - SUMMARY_WORDS);
                }
            }
        }
    }
    if !r.flags.is_empty() {
        out.push_str("\nFlags\n");
        for f in &r.flags {
            let _ = writeln!(
                out,
                "  {} ({} points, +{} first): found by {}",
                printable(&f.name),
                f.points,
                f.first_blood,
                f.captures
            );
        }
    }
    let _ = writeln!(
        out,
        "\nScoreboard (top {} of {})",
        SUMMARY_ROWS.min(r.scoreboard.len()),
        r.scoreboard.len()
    );
    if r.scoreboard.is_empty() {
        out.push_str("  (nobody joined)\n");
    }
    let width = r
        .scoreboard
        .iter()
        .take(SUMMARY_ROWS)
        .map(|s| printable(&s.name).chars().count())
        .max()
        .unwrap_or(0);
    for s in r.scoreboard.iter().take(SUMMARY_ROWS) {
        let _ = writeln!(
            out,
            "  {:>3}. {:<width$}  {:>6}  {}",
            s.rank,
            printable(&s.name),
            s.score,
            s.platform.code()
        );
    }
    out.push_str("\nParticipation\n");
    for p in &r.participation {
        let _ = writeln!(
            out,
            "  {:<8} {} attendees, {} answered",
            p.platform.code(),
            p.attendees,
            p.answered
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use librekast_storage::queries::results::{AnswerKind, AnswerRow};
    use librekast_storage::{AttendeeId, MeetingStatus, Platform};

    fn cell(text: &str) -> String {
        let mut out = String::new();
        text_cell(&mut out, text);
        out
    }

    #[test]
    fn formulas_are_neutralised_and_quoting_follows_rfc_4180() {
        assert_eq!(cell("Ada"), "Ada");
        assert_eq!(cell(""), "");
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("+33 6"), "'+33 6");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("\rx"), "\"'\rx\"");
        assert_eq!(cell("a=b"), "a=b", "only a leading sign is a formula");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("Smith, \"Bob\"\nJr"), "\"Smith, \"\"Bob\"\"\nJr\"");
        assert_eq!(cell("é 日本"), "é 日本");
    }

    #[test]
    fn times_are_utc_with_milliseconds() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_796_542_623_250_999),
            "2026-12-06T07:37:03.250Z"
        );
    }

    fn results(answers: Vec<AnswerRow>) -> MeetingResults {
        MeetingResults {
            meeting_id: MeetingId(7),
            title: "T".into(),
            status: MeetingStatus::After,
            activities: vec![],
            flags: vec![],
            scoreboard: vec![],
            participation: vec![],
            answers,
        }
    }

    #[test]
    fn csv_rows() {
        let row = |kind, activity, answer: &str, correct, points| AnswerRow {
            at: 1_796_542_623_000_000,
            activity,
            kind,
            attendee_id: AttendeeId(42),
            name: "=cmd|' /C calc'!A0".into(),
            platform: Platform::Twitch,
            answer: answer.into(),
            correct,
            points,
            status: None,
        };
        let text = csv(&results(vec![
            row(AnswerKind::Poll, Some(2), "a", None, None),
            row(AnswerKind::Quiz, Some(3), "b", Some(true), Some(3)),
            row(AnswerKind::Wordcloud, Some(4), "-rust", None, None),
            row(AnswerKind::Flag, None, "Welcome, friend", None, Some(8)),
            AnswerRow {
                status: Some("pinned"),
                ..row(AnswerKind::Qna, Some(5), "Why, Rust?", None, None)
            },
            row(AnswerKind::Upvote, Some(5), "+1", None, None),
        ]));
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], format!("\u{feff}{CSV_HEADER}"));
        assert_eq!(
            lines[1],
            "2026-12-06T07:37:03.000Z,2,poll,42,'=cmd|' /C calc'!A0,twitch,a,,"
        );
        assert_eq!(
            lines[2],
            "2026-12-06T07:37:03.000Z,3,quiz,42,'=cmd|' /C calc'!A0,twitch,b,true,3"
        );
        assert!(lines[3].ends_with(",twitch,'-rust,,"), "{}", lines[3]);
        assert!(
            lines[4].ends_with(",,flag,42,'=cmd|' /C calc'!A0,twitch,\"Welcome, friend\",,8"),
            "{}",
            lines[4]
        );
        assert!(
            lines[5].ends_with(",5,qna,42,'=cmd|' /C calc'!A0,twitch,\"Why, Rust?\",,"),
            "{}",
            lines[5]
        );
        assert!(
            lines[6].ends_with(",5,upvote,42,'=cmd|' /C calc'!A0,twitch,'+1,,"),
            "{}",
            lines[6]
        );
        assert_eq!(lines[7], "", "the last row ends with CRLF too");
        assert_eq!(lines.len(), 8);
    }

    #[test]
    fn summary_of_an_empty_meeting() {
        let text = summary(&results(vec![]));
        assert!(text.starts_with("Meeting 7: T (after)\n"), "{text}");
        assert!(text.contains("(nobody joined)"), "{text}");
    }
}
