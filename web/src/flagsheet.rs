//! The flags' QR sheet (docs/api.md, "Flag sheet"): for staff who control a meeting, each
//! flag with the link that claims it and that link as a QR code. `/flags.html` prints them
//! as cut-out cards; a phone that scans one opens the participant page, which submits the
//! flag (docs/web-app.md, "Flags sheet").

use std::net::SocketAddr;

use librekast_engine::Action;
use librekast_storage::{FlagFile, MeetingId};
use serde_json::{Value, json};
use warp::Reply;
use warp::http::{HeaderMap, header};
use warp::reply::Response;

use crate::account::{percent_encode, public_base, qr_code};
use crate::app::App;
use crate::principal;

/// What a participant types for a flag: `PREFIX{code}`.
pub fn typed_flag(prefix: &str, code: &str) -> String {
    format!("{prefix}{{{code}}}")
}

/// The link a flag's QR code opens: the join page with the meeting chosen and the flag to
/// claim (`/?meeting=ID&flag=PREFIX%7Bcode%7D`).
pub fn flag_url(base: &str, meeting: i64, typed: &str) -> String {
    format!("{base}/?meeting={meeting}&flag={}", percent_encode(typed))
}

/// One row of the sheet. `qr_svg` is `null` when the link is too long for a QR code (a
/// flag code of hundreds of characters); the sheet then shows the typed form only.
fn flag_row(base: &str, meeting: i64, prefix: &str, flag: &FlagFile) -> Value {
    let typed = typed_flag(prefix, &flag.code);
    let url = flag_url(base, meeting, &typed);
    json!({
        "id": flag.id,
        "name": flag.name,
        "points": flag.points,
        "first_blood": flag.first_blood,
        "flag": typed,
        "url": url,
        "qr_svg": qr_code(&url),
    })
}

/// `GET /api/meetings/{id}/flags` (staff who may control the meeting): `[{"id","name",
/// "points","first_blood","flag","url","qr_svg"}]` in the plan's order. Holds the flag
/// codes, so it is never cached.
pub async fn flags(id: i64, headers: HeaderMap, peer: Option<SocketAddr>, app: App) -> Response {
    let meeting = MeetingId(id);
    if let Err(r) = principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        return r;
    }
    let plan = match app.engine.store().plan(meeting).await {
        Ok(plan) => plan,
        Err(e) => return crate::app::storage_error(e),
    };
    let base = match public_base(&headers, peer, &app).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let rows: Vec<Value> = plan
        .flags
        .iter()
        .map(|f| flag_row(&base, id, &plan.flag_prefix, f))
        .collect();
    let reply = warp::reply::json(&rows);
    warp::reply::with_header(reply, header::CACHE_CONTROL, "no-store").into_response()
}

/// The flag sheet's route, boxed on its own.
pub fn routes(app: App) -> warp::filters::BoxedFilter<(Response,)> {
    use warp::Filter;
    warp::path!("api" / "meetings" / i64 / "flags")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(warp::ext::optional::<SocketAddr>())
        .and(crate::input::with_app(app))
        .then(flags)
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_links() {
        let typed = typed_flag("LibreKast", "hello-world");
        assert_eq!(typed, "LibreKast{hello-world}");
        assert_eq!(
            flag_url("http://10.0.0.2:8000", 7, &typed),
            "http://10.0.0.2:8000/?meeting=7&flag=LibreKast%7Bhello-world%7D"
        );
        // Spaces, ampersands and non-ASCII stay inside the one query value.
        assert_eq!(
            flag_url("https://q.example", 1, &typed_flag("CTF", "a b&c=é")),
            "https://q.example/?meeting=1&flag=CTF%7Ba%20b%26c%3D%C3%A9%7D"
        );
    }

    #[test]
    fn rows_carry_a_qr_code() {
        let flag = FlagFile {
            id: Some(3),
            name: "Sticker".into(),
            code: "under-the-desk".into(),
            points: 10,
            first_blood: 5,
        };
        let row = flag_row("http://127.0.0.1:8000", 2, "LibreKast", &flag);
        assert_eq!(row["flag"], "LibreKast{under-the-desk}");
        assert_eq!(row["points"], 10);
        assert!(row["qr_svg"].as_str().is_some_and(|s| s.contains("<svg")));
    }
}
