//! The media files on disk: `{LIBREKAST_DATA_DIR}/media/{id}`, private (`0600` files in a
//! `0700` directory, like the database). An upload is written to a `.upload-…` file in the
//! same directory, flushed to disk, then renamed to its id, so a file under an id is always
//! whole; an upload that fails or is abandoned removes its temporary file ([`Upload`]'s
//! `Drop`), and one left by a crash is swept by a later upload.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rand::RngCore;
use tokio::io::AsyncWriteExt;

/// Length of a media id: 128 random bits as lowercase hex.
pub const ID_CHARS: usize = 32;
const TEMP_PREFIX: &str = ".upload-";
/// A temporary file untouched this long belongs to no upload still running.
const STALE_TEMP: Duration = Duration::from_secs(3_600);

/// A new id: 128 random bits, so an id cannot be guessed from another or walked.
pub fn new_id() -> String {
    let mut bytes = [0u8; ID_CHARS / 2];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `id` has the shape of one of ours. Checked before any lookup, so a path such
/// as `../x` never reaches the file system.
pub fn valid_id(id: &str) -> bool {
    id.len() == ID_CHARS && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The media directory under the data directory.
#[derive(Debug, Clone)]
pub struct MediaDir {
    dir: PathBuf,
}

impl MediaDir {
    pub fn new(data_dir: &Path) -> MediaDir {
        MediaDir {
            dir: data_dir.join("media"),
        }
    }

    /// Where the file with this (valid) id lives.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// A fresh temporary file for an upload (the directory created if needed).
    pub async fn start_upload(&self) -> std::io::Result<Upload> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            librekast_storage::files::create_private_dir(&dir)?;
            sweep_stale(&dir);
            Ok::<_, std::io::Error>(())
        })
        .await
        .map_err(std::io::Error::other)??;
        let path = self.dir.join(format!("{TEMP_PREFIX}{}", new_id()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .await?;
        Ok(Upload {
            file,
            temp: Some(path),
        })
    }

    /// Removes a stored file; one already gone is not an error.
    pub async fn remove(&self, id: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(id)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Removes temporary files a crash left behind (best effort: a failure only leaves them).
fn sweep_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_TEMP);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// An upload being written. Dropped before [`Upload::finish`], it removes its file.
pub struct Upload {
    file: tokio::fs::File,
    temp: Option<PathBuf>,
}

impl Upload {
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes).await
    }

    /// Flushes the file to disk and moves it to `target` (durable before acknowledged).
    pub async fn finish(mut self, target: &Path) -> std::io::Result<()> {
        self.file.flush().await?;
        self.file.sync_all().await?;
        let Some(temp) = self.temp.clone() else {
            return Err(std::io::Error::other("upload already finished"));
        };
        tokio::fs::rename(&temp, target).await?;
        self.temp = None;
        // The rename is durable once the directory is.
        if let Some(dir) = target.parent() {
            let dir = dir.to_path_buf();
            let synced =
                tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all()).await;
            if let Ok(Err(e)) = synced {
                tracing::warn!(error = %e, "could not sync the media directory");
            }
        }
        Ok(())
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn ids() {
        let a = new_id();
        assert!(valid_id(&a), "{a}");
        assert_ne!(a, new_id());
        assert!(!valid_id("../../etc/passwd"));
        assert!(!valid_id(&a.to_uppercase()));
        assert!(!valid_id(&a[1..]));
        assert!(!valid_id(&format!("{a}0")));
    }

    #[tokio::test]
    async fn finished_uploads_are_private_and_abandoned_ones_vanish() {
        let base = std::env::temp_dir().join(format!("librekast-media-{}", new_id()));
        let store = MediaDir::new(&base);
        let mut upload = store.start_upload().await.unwrap_or_else(|e| panic!("{e}"));
        upload.write(b"abc").await.unwrap_or_else(|e| panic!("{e}"));
        let id = new_id();
        upload
            .finish(&store.path(&id))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert_eq!(mode(&store.path(&id)), 0o600);
        assert_eq!(mode(&base.join("media")), 0o700);
        assert_eq!(std::fs::read(store.path(&id)).unwrap_or_default(), b"abc");
        let mut abandoned = store.start_upload().await.unwrap_or_else(|e| panic!("{e}"));
        abandoned
            .write(b"half")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        drop(abandoned);
        let names: Vec<String> = std::fs::read_dir(base.join("media"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(names, vec![id.clone()]);
        store.remove(&id).await.unwrap_or_else(|e| panic!("{e}"));
        store.remove(&id).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(!store.path(&id).exists());
        let _ = std::fs::remove_dir_all(&base);
    }
}
