//! Restore's last step: the verified copy takes the place of the live database and data
//! files, and what it replaces is kept beside them under a `.before-restore-STAMP` name
//! (never deleted: a restore of the wrong archive must be undoable by hand).
//!
//! Every move is a rename within one directory (the staged database sits next to the
//! database, the staged data files inside the data directory), so each is atomic; the
//! names kept aside are checked free before the first one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The database file's companions that belong to it (SQLite finds them by name).
const DATABASE_SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];
/// The data directory's entries a restore replaces even when the archive lacks them: the
/// restored server must not pick up another server's media or key.
const DATA_OWNED: [&str; 2] = ["media", librekast_storage::vault::KEY_FILE];

/// `20261207T014455Z`: a file-name-safe UTC time.
pub fn stamp() -> String {
    librekast_storage::now_rfc3339()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Moves the staged database and data files into place; returns what was kept aside.
pub fn put_in_place(
    staged_db: &Path,
    staged_data: &Path,
    data_names: &BTreeSet<String>,
    db: &Path,
    data_dir: &Path,
    stamp: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    let aside = format!(".before-restore-{stamp}");
    // (live path, where it goes) for everything that exists and is replaced.
    let mut moves: Vec<(PathBuf, PathBuf)> = Vec::new();
    if db.exists() {
        moves.push((db.to_path_buf(), with_suffix(db, &aside)));
        for side in DATABASE_SIDE_FILES {
            let live = with_suffix(db, side);
            if live.exists() {
                // `X-wal` stays the WAL of `X`: the kept database opens with its last writes.
                moves.push((live, with_suffix(db, &format!("{aside}{side}"))));
            }
        }
    }
    let replaced: BTreeSet<&str> = data_names
        .iter()
        .map(String::as_str)
        .chain(DATA_OWNED)
        .collect();
    for name in &replaced {
        let live = data_dir.join(name);
        if live.symlink_metadata().is_ok() {
            moves.push((live.clone(), with_suffix(&live, &aside)));
        }
    }
    if let Some((_, taken)) = moves.iter().find(|(_, to)| to.symlink_metadata().is_ok()) {
        bail!(
            "{} already exists (a restore in the same second?): nothing was changed, try again",
            taken.display()
        );
    }
    let mut kept = Vec::new();
    for (from, to) in &moves {
        std::fs::rename(from, to).with_context(|| {
            format!(
                "keeping {} aside as {}{}",
                from.display(),
                to.display(),
                moved_so_far(&kept)
            )
        })?;
        kept.push(to.clone());
    }
    std::fs::rename(staged_db, db).with_context(|| {
        format!(
            "moving the restored database to {}{}",
            db.display(),
            moved_so_far(&kept)
        )
    })?;
    for name in data_names {
        let target = data_dir.join(name);
        std::fs::rename(staged_data.join(name), &target).with_context(|| {
            format!(
                "moving the restored {} into place{}",
                target.display(),
                moved_so_far(&kept)
            )
        })?;
    }
    // The renames are durable once their directories are.
    for dir in [db.parent(), Some(data_dir)].into_iter().flatten() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(kept)
}

fn moved_so_far(kept: &[PathBuf]) -> String {
    if kept.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
        format!(" (already kept aside: {})", list.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_keeps_aside() {
        let root = std::env::temp_dir().join(format!(
            "librekast-place-{}-{}",
            std::process::id(),
            librekast_storage::now_micros()
        ));
        let write = |p: &Path, text: &str| {
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(p, text).unwrap_or_else(|e| panic!("{e}"));
        };
        let db = root.join("lk.db");
        write(&db, "old db");
        write(&root.join("lk.db-wal"), "old wal");
        write(&root.join("media/a"), "old media");
        write(&root.join("secret.key"), "old key");
        write(&root.join("other.txt"), "not ours");
        let staged_db = root.join("lk.db.restore");
        write(&staged_db, "new db");
        let staging = root.join(".restore");
        write(&staging.join("media/b"), "new media");
        let names: BTreeSet<String> = ["media".to_string()].into();
        let kept = put_in_place(&staged_db, &staging, &names, &db, &root, "S")
            .unwrap_or_else(|e| panic!("{e}"));
        let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_default();
        assert_eq!(read("lk.db"), "new db");
        assert_eq!(read("media/b"), "new media");
        assert!(!root.join("media/a").exists());
        assert!(!root.join("secret.key").exists(), "no key in the archive");
        assert_eq!(read("lk.db.before-restore-S"), "old db");
        assert_eq!(read("lk.db.before-restore-S-wal"), "old wal");
        assert_eq!(read("media.before-restore-S/a"), "old media");
        assert_eq!(read("secret.key.before-restore-S"), "old key");
        assert_eq!(read("other.txt"), "not ours");
        assert_eq!(kept.len(), 4);

        // The same stamp again: refused before anything moves.
        write(&staged_db, "newer db");
        let again = put_in_place(&staged_db, &staging, &BTreeSet::new(), &db, &root, "S");
        assert!(again.is_err());
        assert_eq!(read("lk.db"), "new db");
        let _ = std::fs::remove_dir_all(root);
    }
}
