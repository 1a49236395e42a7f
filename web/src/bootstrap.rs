//! First start on an empty database: the demo meeting and an `admin` account with a random
//! password, logged once. Nothing here runs again once the tables hold rows.

use librekast_storage::{MeetingFile, Store};

use crate::{WebError, assets, auth};

/// The join code of the demo meeting.
pub const DEMO_CODE: &str = "Pour1nf0";

/// Returns the new admin password when it created the account.
pub async fn run(store: &Store) -> Result<Option<String>, WebError> {
    if store.meeting_count().await? == 0 {
        let file = demo_file()?;
        let id = store.import_meeting(&file).await?;
        tracing::info!(meeting_id = %id, code = DEMO_CODE, "created the demo meeting");
    }
    if store.user_count().await? > 0 {
        return Ok(None);
    }
    let password = auth::new_password();
    let hash = tokio::task::spawn_blocking({
        let password = password.clone();
        move || auth::hash_password(&password)
    })
    .await
    .map_err(|e| WebError::Password(e.to_string()))??;
    store.put_user("admin", &hash).await?;
    // The login page points here until someone logs in (`/api/setup`): keep the words
    // "admin password" in the line, they are what it tells people to search for.
    tracing::warn!(
        username = "admin",
        "first start: created the staff account 'admin'; admin password: {password} (shown only this once: log in, then change it on the account page /account.html, or set one with `librekast user passwd admin --password-stdin`)"
    );
    Ok(Some(password))
}

pub fn demo_file() -> Result<MeetingFile, WebError> {
    serde_json::from_str(assets::DEMO_MEETING)
        .map_err(|e| WebError::Config(format!("demo meeting: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_valid_and_has_every_kind() {
        let file = demo_file().unwrap_or_else(|e| panic!("{e}"));
        assert!(file.validate().is_ok());
        assert_eq!(file.code, DEMO_CODE);
        for kind in librekast_storage::ActivityKind::ALL {
            assert!(
                file.activities.iter().any(|a| a.kind == kind),
                "{kind:?} missing"
            );
        }
        assert!(!file.flags.is_empty());
    }

    #[test]
    fn demo_secrets_are_not_served() {
        for path in ["demo/meeting.json", "demo-meeting.json"] {
            assert_eq!(
                assets::serve(path).status(),
                warp::http::StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        assert_eq!(assets::serve("").status(), warp::http::StatusCode::OK);
    }
}
