//! Files the server creates are private: data files `0600`, directories `0700`. A database
//! holds password hashes and every answer; nobody else on the machine needs to read it.

use std::fs::OpenOptions;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates `dir` (and missing parents) as `0700`; an existing directory is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Creates an empty `0600` file unless one exists, so SQLite opens a file that is private
/// from the start (its `-wal` and `-shm` files take their mode from it).
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn private_modes() {
        let base = std::env::temp_dir().join(format!("librekast-files-{}", std::process::id()));
        let file = base.join("a/b/lk.db");
        create_private_file(&file).unwrap_or_else(|e| panic!("{e}"));
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&base.join("a/b")), 0o700);
        assert_eq!(mode(&base.join("a")), 0o700);
        // An existing file is left alone, not truncated.
        std::fs::write(&file, b"data").unwrap_or_else(|e| panic!("{e}"));
        create_private_file(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&file).unwrap_or_default(), b"data");
        let _ = std::fs::remove_dir_all(&base);
    }
}
