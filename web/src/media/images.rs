//! Images shown with activities: each must be a picture of the media store, small enough
//! for every phone in the room to load it.

use librekast_storage::{FieldError, MeetingFile, Store};

/// The largest image an activity may show: phones load it over the venue's Wi-Fi, all at
/// once (10 MiB shown to 2,000 phones is 20 GB of traffic).
pub const IMAGE_MAX_BYTES: u64 = 5 * 1024 * 1024;

/// What is wrong with the images a meeting file names (ids are checked by the file's own
/// validation; this checks what they point to).
pub async fn image_problems(store: &Store, file: &MeetingFile) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (i, activity) in file.activities.iter().enumerate() {
        let Some(id) = activity.image.as_deref() else {
            continue;
        };
        if !librekast_storage::meeting_file::is_media_id(id) {
            continue;
        }
        let at = format!("activities[{i}].image");
        let message = match store.media(id).await {
            Ok(None) => Some(format!(
                "{at} {id:?}: no such file in the media store; upload the image on the Media page (or in the editor) first"
            )),
            Ok(Some(m)) if !m.content_type.starts_with("image/") => Some(format!(
                "{at}: this file is {}, not an image; use a PNG, JPEG, WebP or GIF",
                m.content_type
            )),
            Ok(Some(m)) if m.size > IMAGE_MAX_BYTES => Some(format!(
                "{at}: this image is {:.1} MiB; an activity's image may be at most {} MiB (phones load it all at once)",
                m.size as f64 / 1_048_576.0,
                IMAGE_MAX_BYTES / 1_048_576
            )),
            Ok(Some(_)) => None,
            Err(e) => Some(format!("{at}: could not be checked ({e})")),
        };
        if let Some(message) = message {
            out.push(FieldError::from_message(message));
        }
    }
    out
}
