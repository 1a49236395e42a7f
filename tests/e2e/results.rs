//! Results after the meeting (`GET /api/meetings/{id}/results.json` and `results.csv`): a
//! scripted meeting (a poll, a quiz, a word cloud and a flag, answered by participants
//! whose names look like spreadsheet formulas or hold commas and quotes), then the JSON's
//! numbers against what was acknowledged, the CSV read back with an RFC 4180 reader
//! (formulas neutralised, everything else round-trips), and who may read either. The
//! `librekast meeting results --csv` command is compared with the route in
//! web/tests/results_cli.rs (it needs the built binary).

use std::collections::HashMap;

use librekast_storage::{MeetingFile, MeetingId};
use librekast_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Joins in this order; index 0 answers the quiz right first.
const NAMES: [&str; 7] = [
    "=HYPERLINK(\"x\")",
    "+1",
    "@x",
    "-5",
    "Smith, \"Bob\" Jr.",
    "Ann",
    "Ünïcödé 日本",
];

/// What a spreadsheet shows for each name once the CSV is read back.
fn in_csv(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@']) {
        format!("'{name}")
    } else {
        name.to_string()
    }
}

fn meeting_file() -> anyhow::Result<MeetingFile> {
    Ok(serde_json::from_value(json!({
        "title": "Results, \"quoted\"",
        "code": "r3sults",
        "reward_fastest": true,
        "flag_prefix": "LK",
        "activities": [
            {"kind": "text", "title": "Welcome"},
            {"kind": "poll", "title": "Pick one", "choices": [
                {"text": "Red", "slug": "a"}, {"text": "Green", "slug": "b"}, {"text": "Blue", "slug": "c"}]},
            {"kind": "quiz", "title": "2 + 2?", "choices": [
                {"text": "3", "slug": "a"}, {"text": "4", "slug": "b", "correct": true}, {"text": "5", "slug": "c"}]},
            {"kind": "wordcloud", "title": "One word", "word_limit": 2}
        ],
        "flags": [{"name": "Hidden, flag", "code": "s3cret", "points": 5, "first_blood": 3}]
    }))?)
}

/// RFC 4180: fields separated by commas, records by CRLF; a quoted field may hold commas,
/// CR, LF and doubled quotes.
fn read_csv(text: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            '"' => anyhow::bail!("a quote inside an unquoted field: {field:?}"),
            ',' => {
                record.push(std::mem::take(&mut field));
                at_start = true;
            }
            '\r' => {
                anyhow::ensure!(chars.next() == Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                at_start = true;
            }
            '\n' => anyhow::bail!("a bare LF ends a record"),
            c => {
                field.push(c);
                at_start = false;
            }
        }
    }
    anyhow::ensure!(!quoted, "unterminated quoted field");
    anyhow::ensure!(
        field.is_empty() && record.is_empty(),
        "the last record does not end with CRLF"
    );
    Ok(records)
}

#[test]
fn the_csv_reader_reads_rfc_4180() -> anyhow::Result<()> {
    let rows = read_csv("a,\"b,\"\"c\"\"\r\nd\",\r\n,x\r\n")?;
    assert_eq!(rows, vec![vec!["a", "b,\"c\"\r\nd", ""], vec!["", "x"]]);
    assert!(read_csv("a\nb\r\n").is_err());
    assert!(read_csv("a").is_err());
    Ok(())
}

async fn get(
    ts: &TestServer,
    path: &str,
    token: Option<&str>,
) -> anyhow::Result<reqwest::Response> {
    let mut req = ts.http.get(ts.url(path));
    if let Some(token) = token {
        req = req.header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    Ok(req.send().await?)
}

async fn everyone_open(people: &mut [Client], kind: &str) -> anyhow::Result<()> {
    for p in people.iter_mut() {
        p.wait_open(kind).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_json_and_csv_after_a_meeting() -> anyhow::Result<()> {
    let ts = TestServer::start("results").await?;
    let store = ts.server.engine.store();
    let meeting = store.import_meeting(&meeting_file()?).await?.0;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;

    let mut ids = Vec::new();
    let mut people = Vec::new();
    let mut first_token = String::new();
    for name in NAMES {
        let (id, token) = ts.join(meeting, "r3sults", name).await?;
        people.push(ts.connect(meeting, &token).await?);
        ids.push(id);
        if first_token.is_empty() {
            first_token = token;
        }
    }
    let n = NAMES.len();

    // 1. The slide, 2. the poll: person i picks choice i % 3.
    ok(&org.control("start").await?)?;
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    everyone_open(&mut people, "poll").await?;
    let poll = people[0].state["question"]["id"].as_i64().unwrap_or(-1);
    let choices = choice_ids(&people[0].state);
    let mut poll_counts = [0u64; 3];
    for (i, p) in people.iter_mut().enumerate() {
        ok(&p.vote(poll, choices[i % 3]).await?)?;
        poll_counts[i % 3] += 1;
    }
    ok(&org.control("results").await?)?;

    // 3. The quiz: even people answer right (person 0 first: the fastest bonus), odd wrong.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    everyone_open(&mut people, "quiz").await?;
    let quiz = people[0].state["question"]["id"].as_i64().unwrap_or(-1);
    let q = choice_ids(&people[0].state);
    let (wrong, right) = (q[0], q[1]);
    let mut points: HashMap<i64, i64> = HashMap::new();
    for (i, p) in people.iter_mut().enumerate() {
        ok(&p.vote(quiz, if i % 2 == 0 { right } else { wrong }).await?)?;
        points.insert(
            ids[i],
            match i {
                0 => 3,
                i if i % 2 == 0 => 1,
                _ => 0,
            },
        );
    }
    ok(&org.control("results").await?)?;
    org.wait_status("results").await?;

    // 4. The cloud: everyone says Rust (in two spellings); person 1 also "x, y", person 3
    // a word that looks like a formula.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    everyone_open(&mut people, "wordcloud").await?;
    let cloud = people[0].state["question"]["id"].as_i64().unwrap_or(-1);
    for (i, p) in people.iter_mut().enumerate() {
        ok(&p
            .word(cloud, if i % 2 == 0 { "Rust" } else { "rust" })
            .await?)?;
    }
    ok(&people[1].word(cloud, "x, y").await?)?;
    ok(&people[3].word(cloud, "=1+2").await?)?;

    // 5. The flag: first blood for person 4, plain points for person 5.
    let ack = people[4].flag("LK{s3cret}").await?;
    assert_eq!(ack["flag"]["points"], 8, "{ack}");
    let ack = people[5].flag("s3cret").await?;
    assert_eq!(ack["flag"]["points"], 5, "{ack}");
    *points.entry(ids[4]).or_default() += 8;
    *points.entry(ids[5]).or_default() += 5;

    // 6. The scoreboard, then the end.
    ok(&org.control("scoreboard").await?)?;
    ok(&org.control("next").await?)?;
    org.wait_status("after").await?;

    // --- results.json
    let res = get(
        &ts,
        &format!("/api/meetings/{meeting}/results.json"),
        Some(&admin),
    )
    .await?;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"].to_str()?, "application/json");
    assert_eq!(res.headers()["cache-control"].to_str()?, "no-store");
    let r: Value = res.json().await?;
    assert_eq!(r["meeting_id"], meeting);
    assert_eq!(r["title"], "Results, \"quoted\"");
    assert_eq!(r["status"], "after");
    let acts = r["activities"].as_array().cloned().unwrap_or_default();
    assert_eq!(acts.len(), 4);
    assert_eq!(
        acts.iter()
            .map(|a| a["position"].clone())
            .collect::<Vec<_>>(),
        vec![json!(1), json!(2), json!(3), json!(4)]
    );
    assert_eq!(acts[0]["kind"], "text");
    assert_eq!(acts[0]["answered"], 0);

    let poll_r = &acts[1];
    assert_eq!(
        (poll_r["id"].as_i64(), poll_r["kind"].as_str()),
        (Some(poll), Some("poll"))
    );
    assert_eq!(poll_r["answered"], n);
    for (i, c) in poll_r["choices"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        assert_eq!(c["id"], choices[i]);
        assert_eq!(c["count"], poll_counts[i], "poll choice {i}");
        assert_eq!(c["correct"], false);
        assert_eq!(
            c["by_platform"],
            json!([{"platform": "room", "count": poll_counts[i]}])
        );
    }
    assert_eq!(
        poll_r["answered_by_platform"],
        json!([{"platform": "room", "count": n}])
    );

    let quiz_r = &acts[2];
    let quiz_choices: Vec<(i64, bool, u64)> = quiz_r["choices"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["id"].as_i64().unwrap_or(-1),
                c["correct"].as_bool().unwrap_or(false),
                c["count"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        quiz_choices,
        vec![(wrong, false, 3), (right, true, 4), (q[2], false, 0)]
    );

    let cloud_r = &acts[3];
    assert_eq!(cloud_r["answered"], n);
    assert_eq!(
        cloud_r["words"],
        json!([
            {"text": "Rust", "count": 7},
            {"text": "=1+2", "count": 1},
            {"text": "x, y", "count": 1}
        ])
    );
    assert_eq!(
        r["flags"],
        json!([{"name": "Hidden, flag", "points": 5, "first_blood": 3, "captures": 2}])
    );
    assert_eq!(
        r["participation"],
        json!([{"platform": "room", "attendees": n, "answered": n}])
    );

    // The scoreboard: what storage holds, best first, equal scores sharing a rank.
    let stored = ts.stored(meeting).await?;
    let board = r["scoreboard"].as_array().cloned().unwrap_or_default();
    assert_eq!(board.len(), n);
    for row in &board {
        let id = row["attendee_id"].as_i64().unwrap_or(-1);
        let a = stored
            .attendees
            .iter()
            .find(|a| a.id.0 == id)
            .ok_or_else(|| anyhow::anyhow!("no attendee {id}"))?;
        assert_eq!(row["score"], a.score, "stored score of {}", a.name);
        assert_eq!(row["score"], points[&id], "expected score of {}", a.name);
        assert_eq!(row["name"], a.name.as_str());
        assert_eq!(row["platform"], "room");
    }
    // Scores: person 4 8+1=9, 5 5+0=5, 0 3, 2 1, 6 1, 1 0, 3 0.
    let ranked: Vec<(i64, i64)> = board
        .iter()
        .map(|r| {
            (
                r["rank"].as_i64().unwrap_or(-1),
                r["score"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        ranked,
        vec![(1, 9), (2, 5), (3, 3), (4, 1), (4, 1), (6, 0), (6, 0)]
    );
    assert_eq!(board[0]["name"], NAMES[4]);

    // Every acknowledged answer is a row: 7 poll votes, 7 quiz votes, 9 words, 2 captures.
    let answers = r["answers"].as_array().cloned().unwrap_or_default();
    assert_eq!(answers.len(), 2 * n + n + 2 + 2);
    assert_eq!(
        stored.votes.len() + stored.words.len() + stored.captures.len(),
        answers.len()
    );
    assert!(
        answers
            .windows(2)
            .all(|w| w[0]["at"].as_i64() <= w[1]["at"].as_i64()),
        "in time order"
    );
    let kinds = |k: &str| answers.iter().filter(|a| a["kind"] == k).count();
    assert_eq!(
        (
            kinds("poll"),
            kinds("quiz"),
            kinds("wordcloud"),
            kinds("flag")
        ),
        (n, n, n + 2, 2)
    );
    for a in &answers {
        let id = a["attendee_id"].as_i64().unwrap_or(-1);
        let i = ids.iter().position(|x| *x == id).unwrap_or(usize::MAX);
        assert_eq!(a["name"], NAMES[i]);
        match a["kind"].as_str() {
            Some("quiz") => {
                let correct = i % 2 == 0;
                assert_eq!(a["activity"], 3);
                assert_eq!(a["answer"], if correct { "b" } else { "a" });
                assert_eq!(a["correct"], correct);
                assert_eq!(
                    a["points"],
                    points[&id]
                        - if i == 4 {
                            8
                        } else if i == 5 {
                            5
                        } else {
                            0
                        }
                );
            }
            Some("poll") => {
                assert_eq!(a["activity"], 2);
                assert_eq!(a["answer"], ["a", "b", "c"][i % 3]);
                assert!(a["correct"].is_null() && a["points"].is_null(), "{a}");
            }
            Some("wordcloud") => {
                assert_eq!(a["activity"], 4);
                assert!(a["correct"].is_null() && a["points"].is_null(), "{a}");
            }
            Some("flag") => {
                assert!(a["activity"].is_null(), "{a}");
                assert_eq!(a["answer"], "Hidden, flag");
                assert_eq!(a["points"], if i == 4 { 8 } else { 5 });
            }
            other => panic!("unexpected kind {other:?}"),
        }
    }

    // Without the answers: what the results page loads.
    let res = get(
        &ts,
        &format!("/api/meetings/{meeting}/results.json?answers=0"),
        Some(&admin),
    )
    .await?;
    let lean: Value = res.json().await?;
    assert!(lean.get("answers").is_none());
    assert_eq!(lean["scoreboard"], r["scoreboard"]);

    // --- results.csv
    let res = get(
        &ts,
        &format!("/api/meetings/{meeting}/results.csv"),
        Some(&admin),
    )
    .await?;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"].to_str()?,
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        res.headers()["content-disposition"].to_str()?,
        format!("attachment; filename=\"meeting-{meeting}-results.csv\"")
    );
    let body = res.text().await?;
    let text = body
        .strip_prefix('\u{feff}')
        .ok_or_else(|| anyhow::anyhow!("no byte order mark"))?;
    assert!(text.ends_with("\r\n"));
    let rows = read_csv(text)?;
    assert_eq!(
        rows[0].join(","),
        "time,activity,kind,attendee_id,name,platform,answer,correct,points"
    );
    assert_eq!(rows.len(), answers.len() + 1);
    for (row, a) in rows[1..].iter().zip(&answers) {
        assert_eq!(row.len(), 9, "{row:?}");
        // 2026-12-06T07:37:03.250Z
        let t = &row[0];
        assert!(
            t.len() == 24 && t.ends_with('Z') && &t[10..11] == "T" && &t[19..20] == ".",
            "time {t:?}"
        );
        let opt = |v: &Value| match v {
            Value::Null => String::new(),
            v => v.to_string(),
        };
        assert_eq!(row[1], opt(&a["activity"]));
        assert_eq!(row[2], a["kind"].as_str().unwrap_or_default());
        assert_eq!(row[3], a["attendee_id"].to_string());
        assert_eq!(row[4], in_csv(a["name"].as_str().unwrap_or_default()));
        assert_eq!(row[5], "room");
        assert_eq!(row[6], in_csv(a["answer"].as_str().unwrap_or_default()));
        assert_eq!(row[7], opt(&a["correct"]));
        assert_eq!(row[8], opt(&a["points"]));
    }
    let names: Vec<&str> = rows[1..].iter().map(|r| r[4].as_str()).collect();
    for expected in [
        "'=HYPERLINK(\"x\")",
        "'+1",
        "'@x",
        "'-5",
        "Smith, \"Bob\" Jr.",
        "Ünïcödé 日本",
    ] {
        assert!(names.contains(&expected), "{expected:?} not in {names:?}");
    }
    assert!(
        body.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "quoted, quotes doubled, neutralised inside the quotes"
    );
    assert!(
        rows.iter().any(|r| r[6] == "'=1+2"),
        "a word like a formula"
    );
    assert!(rows.iter().any(|r| r[6] == "x, y"));

    // --- who may read them
    let path = format!("/api/meetings/{meeting}/results.csv");
    assert_eq!(
        get(&ts, &path, None).await?.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = ts.bearer(Method::GET, &path, &first_token).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a participant: {body}");
    let (olga, olga_token) = ts.organizer("olga").await?;
    for path in [
        format!("/api/meetings/{meeting}/results.csv"),
        format!("/api/meetings/{meeting}/results.json"),
    ] {
        let (status, body) = ts.bearer(Method::GET, &path, &olga_token).await?;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"], "forbidden");
    }
    store
        .set_meeting_owner(MeetingId(meeting), Some(olga))
        .await?;
    let res = get(&ts, &path, Some(&olga_token)).await?;
    assert_eq!(res.status(), StatusCode::OK, "the owner may");
    assert_eq!(res.text().await?, body_of(&ts, &path, &admin).await?);
    let (status, body) = ts
        .bearer(Method::GET, "/api/meetings/987654/results.json", &admin)
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    ts.server.shutdown().await;
    Ok(())
}

async fn body_of(ts: &TestServer, path: &str, token: &str) -> anyhow::Result<String> {
    Ok(get(ts, path, Some(token)).await?.text().await?)
}

/// A meeting nobody joined: empty lists, and a CSV that is only its header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_of_an_empty_meeting() -> anyhow::Result<()> {
    let ts = TestServer::start("results-empty").await?;
    let meeting = ts
        .server
        .engine
        .store()
        .import_meeting(&meeting_file()?)
        .await?
        .0;
    let admin = ts.admin_token().await?;
    let (status, r) = ts
        .bearer(
            Method::GET,
            &format!("/api/meetings/{meeting}/results.json"),
            &admin,
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(r["status"], "before");
    assert_eq!(r["answers"], json!([]));
    assert_eq!(r["scoreboard"], json!([]));
    assert_eq!(
        r["participation"],
        json!([{"platform": "room", "attendees": 0, "answered": 0}])
    );
    assert_eq!(r["activities"][3]["words"], json!([]));
    let csv = body_of(&ts, &format!("/api/meetings/{meeting}/results.csv"), &admin).await?;
    assert_eq!(
        csv,
        "\u{feff}time,activity,kind,attendee_id,name,platform,answer,correct,points\r\n"
    );
    ts.server.shutdown().await;
    Ok(())
}
