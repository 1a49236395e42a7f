//! The archive: a gzip-compressed tar file (readable with `tar -xzf` in an emergency) whose
//! entries are `database.sqlite`, `data/…` and, last, `manifest.json` with every other
//! entry's size and SHA-256. The manifest comes last because the hashes are taken while the
//! files stream into the archive, read once.
//!
//! [`ArchiveWriter`] writes one; [`unpack`] reads one into a staging place and checks it
//! against its manifest, so a restore touches the live files only with a verified copy.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::manifest::{
    DATA_PREFIX, DATABASE, FORMAT, FORMAT_VERSION, FileEntry, MANIFEST, Manifest,
};

/// A manifest lists a few hundred bytes per file; anything this large is not ours.
const MANIFEST_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// `data/media/ID` is two levels down; a little room for what later versions add.
const DATA_MAX_DEPTH: usize = 4;

/// Why an archive cannot be written or restored. The texts are what the operator reads.
#[derive(Debug, Error)]
pub enum ArchiveError {
    #[error("it is not a LibreKast backup ({0})")]
    NotABackup(String),
    #[error(
        "the archive is truncated or corrupt ({0}): make the backup again, or use an older one"
    )]
    Corrupt(String),
    #[error("the archive has no manifest.json: it is truncated, or not a LibreKast backup")]
    NoManifest,
    #[error("the archive's manifest.json is unreadable ({0})")]
    BadManifest(String),
    #[error(
        "the archive was written by LibreKast {librekast} in backup format {found}; this LibreKast reads format {FORMAT_VERSION} at most: restore it with LibreKast {librekast} or newer"
    )]
    NewerFormat { found: u32, librekast: String },
    #[error("the archive holds {0} twice")]
    Duplicate(String),
    #[error("the manifest lists {0}, but the archive does not hold it")]
    Missing(String),
    #[error("the archive holds {0}, which its manifest does not list")]
    Unlisted(String),
    #[error(
        "checksum mismatch for {path}: the manifest says {expected_size} bytes with SHA-256 {expected}, the archive holds {found_size} bytes with SHA-256 {found}; the archive is damaged"
    )]
    Checksum {
        path: String,
        expected: String,
        expected_size: u64,
        found: String,
        found_size: u64,
    },
    #[error("{path} changed while it was being copied ({expected} bytes expected, {found} read)")]
    Changed {
        path: String,
        expected: u64,
        found: u64,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> ArchiveError {
    let what = what.into();
    move |source| ArchiveError::Io { what, source }
}

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: Read> Hashing<R> {
    fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (u64, String) {
        (self.bytes, hex::encode(self.hash.finalize()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Writes an archive entry by entry; [`ArchiveWriter::finish`] appends the manifest.
pub struct ArchiveWriter<W: Write> {
    tar: tar::Builder<GzEncoder<W>>,
    files: Vec<FileEntry>,
    mtime: u64,
}

impl<W: Write> ArchiveWriter<W> {
    pub fn new(out: W) -> ArchiveWriter<W> {
        let mtime = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        // Level 1: the database shrinks about as much as at level 6, and media files
        // (already compressed video and images) would only cost CPU at a higher level.
        ArchiveWriter {
            tar: tar::Builder::new(GzEncoder::new(out, Compression::fast())),
            files: Vec::new(),
            mtime,
        }
    }

    /// Adds the file at `source` as entry `name`; `Ok(false)` when it does not exist (a
    /// media file deleted since the database snapshot).
    pub fn add_path(&mut self, name: &str, source: &Path) -> Result<bool, ArchiveError> {
        let file = match File::open(source) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io_err(format!("reading {}", source.display()))(e)),
        };
        let size = file
            .metadata()
            .map_err(io_err(format!("reading {}", source.display())))?
            .len();
        self.add(name, size, file)?;
        Ok(true)
    }

    /// Adds `size` bytes from `data` as entry `name`.
    pub fn add(&mut self, name: &str, size: u64, data: impl Read) -> Result<(), ArchiveError> {
        let mut header = tar::Header::new_gnu();
        header
            .set_path(name)
            .map_err(io_err(format!("naming entry {name}")))?;
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        // `take` keeps a file that grew from overrunning its header; one that shrank is
        // caught below (its entry would be short).
        let mut reader = Hashing::new(data.take(size));
        self.tar
            .append(&header, &mut reader)
            .map_err(io_err(format!("writing {name} into the archive")))?;
        let (bytes, sha256) = reader.finish();
        if bytes != size {
            return Err(ArchiveError::Changed {
                path: name.into(),
                expected: size,
                found: bytes,
            });
        }
        self.files.push(FileEntry {
            path: name.into(),
            size,
            sha256,
        });
        Ok(())
    }

    /// Appends the manifest `make` builds from the entries written, and closes the
    /// compression stream: the output is then a whole archive.
    pub fn finish(
        mut self,
        make: impl FnOnce(Vec<FileEntry>) -> Manifest,
    ) -> Result<(W, Manifest), ArchiveError> {
        let manifest = make(std::mem::take(&mut self.files));
        let mut json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| io_err("writing the manifest")(io::Error::other(e)))?;
        json.push(b'\n');
        let mut header = tar::Header::new_gnu();
        header
            .set_path(MANIFEST)
            .map_err(io_err("writing the manifest"))?;
        header.set_size(json.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        self.tar
            .append(&header, json.as_slice())
            .map_err(io_err("writing the manifest"))?;
        let gz = self
            .tar
            .into_inner()
            .map_err(io_err("finishing the archive"))?;
        let out = gz.finish().map_err(io_err("finishing the archive"))?;
        Ok((out, manifest))
    }
}

/// A verified archive, unpacked: the database at the `database` path given to [`unpack`],
/// the data files under its `data` directory.
#[derive(Debug)]
pub struct Unpacked {
    pub manifest: Manifest,
    /// The data directory's top-level names the archive holds (`media`, `secret.key`).
    pub data_names: BTreeSet<String>,
}

/// Reads an archive: `database.sqlite` to `database` (which must not exist), `data/…` under
/// `data` (an existing, empty directory), then checks every entry against the manifest.
/// On error the caller removes what was written; nothing else is touched.
pub fn unpack(input: impl Read, database: &Path, data: &Path) -> Result<Unpacked, ArchiveError> {
    let mut input = BufReader::new(input);
    let head = input
        .fill_buf()
        .map_err(|e| ArchiveError::NotABackup(format!("unreadable: {e}")))?;
    if head.is_empty() {
        return Err(ArchiveError::NotABackup("the file is empty".into()));
    }
    if !head.starts_with(&[0x1f, 0x8b]) {
        return Err(ArchiveError::NotABackup(
            "not a gzip-compressed tar archive".into(),
        ));
    }
    let gzip_failed = Rc::new(Cell::new(false));
    let mut archive = tar::Archive::new(Watched {
        inner: GzDecoder::new(input),
        failed: gzip_failed.clone(),
    });
    let mut found: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut data_names = BTreeSet::new();
    let mut manifest: Option<Vec<u8>> = None;
    let entries = archive
        .entries()
        .map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
    for (index, entry) in entries.enumerate() {
        let mut entry = entry.map_err(|e| {
            if index == 0 && !gzip_failed.get() {
                ArchiveError::NotABackup(format!("compressed, but no tar archive inside: {e}"))
            } else {
                ArchiveError::Corrupt(e.to_string())
            }
        })?;
        let name = entry
            .path()
            .map_err(|e| ArchiveError::Corrupt(e.to_string()))?
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| ArchiveError::NotABackup("an entry name is not UTF-8".into()))?;
        if !entry.header().entry_type().is_file() {
            return Err(ArchiveError::NotABackup(format!(
                "unexpected entry {name:?}: not a plain file"
            )));
        }
        if found.contains_key(&name) || (name == MANIFEST && manifest.is_some()) {
            return Err(ArchiveError::Duplicate(name));
        }
        if name == MANIFEST {
            let mut bytes = Vec::new();
            (&mut entry)
                .take(MANIFEST_MAX_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
            if bytes.len() as u64 > MANIFEST_MAX_BYTES {
                return Err(ArchiveError::BadManifest("larger than 64 MiB".into()));
            }
            manifest = Some(bytes);
            continue;
        }
        let target = if name == DATABASE {
            database.to_path_buf()
        } else if let Some(rel) = name.strip_prefix(DATA_PREFIX) {
            let rel = data_path(rel)
                .ok_or_else(|| ArchiveError::NotABackup(format!("unexpected entry {name:?}")))?;
            if let Some(Component::Normal(top)) = rel.components().next() {
                data_names.insert(top.to_string_lossy().into_owned());
            }
            data.join(rel)
        } else {
            return Err(ArchiveError::NotABackup(format!(
                "unexpected entry {name:?}"
            )));
        };
        let written = write_entry(&mut entry, &target)?;
        found.insert(name, written);
    }
    // The tar end blocks may come before the gzip trailer: reading on to the end makes the
    // decoder check the trailer's CRC and length, so a cut-off tail is noticed too.
    io::copy(&mut archive.into_inner(), &mut io::sink())
        .map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
    let manifest = manifest.ok_or(ArchiveError::NoManifest)?;
    let manifest = parse_manifest(&manifest)?;
    verify(&manifest, &found)?;
    Ok(Unpacked {
        manifest,
        data_names,
    })
}

/// The decompressing reader, noting whether it failed: a bad first entry is then a cut-off
/// or damaged archive rather than a gzip file with something else inside.
struct Watched<R> {
    inner: R,
    failed: Rc<Cell<bool>>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|_| self.failed.set(true))
    }
}

/// `media/ID` → a relative path of plain names only (no `..`, no root, not too deep).
fn data_path(rel: &str) -> Option<PathBuf> {
    let path = Path::new(rel);
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    let depth = path.components().count();
    (plain && (1..=DATA_MAX_DEPTH).contains(&depth)).then(|| path.to_path_buf())
}

/// Streams one entry into a new private file, flushed to disk: its size and SHA-256.
fn write_entry(entry: &mut impl Read, target: &Path) -> Result<(u64, String), ArchiveError> {
    let what = || format!("writing {}", target.display());
    if let Some(dir) = target.parent() {
        librekast_storage::files::create_private_dir(dir).map_err(io_err(what()))?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(target)
        .map_err(io_err(what()))?;
    let mut reader = Hashing::new(entry);
    // A read error is the archive's fault; a write error is this disk's.
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n]).map_err(io_err(what()))?;
    }
    file.sync_all().map_err(io_err(what()))?;
    Ok(reader.finish())
}

fn parse_manifest(bytes: &[u8]) -> Result<Manifest, ArchiveError> {
    // The format fields first: a newer format may have changed everything else.
    let head: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ArchiveError::BadManifest(e.to_string()))?;
    if head["format"] != FORMAT {
        return Err(ArchiveError::NotABackup(
            "its manifest.json is not a LibreKast backup manifest".into(),
        ));
    }
    let version = head["format_version"].as_u64().unwrap_or(0);
    if version > u64::from(FORMAT_VERSION) {
        return Err(ArchiveError::NewerFormat {
            found: u32::try_from(version).unwrap_or(u32::MAX),
            librekast: head["librekast_version"]
                .as_str()
                .unwrap_or("(unknown)")
                .to_string(),
        });
    }
    serde_json::from_value(head).map_err(|e| ArchiveError::BadManifest(e.to_string()))
}

/// Every listed entry present with its size and hash, and nothing unlisted.
fn verify(
    manifest: &Manifest,
    found: &BTreeMap<String, (u64, String)>,
) -> Result<(), ArchiveError> {
    if !manifest.files.iter().any(|f| f.path == DATABASE) {
        return Err(ArchiveError::BadManifest(format!("it lists no {DATABASE}")));
    }
    for f in &manifest.files {
        let Some((size, sha256)) = found.get(&f.path) else {
            return Err(ArchiveError::Missing(f.path.clone()));
        };
        if *size != f.size || !sha256.eq_ignore_ascii_case(&f.sha256) {
            return Err(ArchiveError::Checksum {
                path: f.path.clone(),
                expected: f.sha256.clone(),
                expected_size: f.size,
                found: sha256.clone(),
                found_size: *size,
            });
        }
    }
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    if let Some(extra) = found.keys().find(|k| !listed.contains(k.as_str())) {
        return Err(ArchiveError::Unlisted(extra.clone()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::manifest::{DatabaseInfo, KeyPlace};

    fn manifest(files: Vec<FileEntry>) -> Manifest {
        Manifest::new(
            DatabaseInfo {
                backend: "sqlite".into(),
                schema: "m1".into(),
                migrations: vec!["m1".into()],
                counts: Default::default(),
            },
            KeyPlace::None,
            files,
            "2026-12-07T00:00:00Z".into(),
        )
    }

    /// An archive of `entries`, with a manifest `edit` may change.
    fn archive(entries: &[(&str, &[u8])], edit: impl FnOnce(&mut Manifest)) -> Vec<u8> {
        let mut w = ArchiveWriter::new(Vec::new());
        for (name, bytes) in entries {
            w.add(name, bytes.len() as u64, *bytes)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let (out, _) = w
            .finish(|files| {
                let mut m = manifest(files);
                edit(&mut m);
                m
            })
            .unwrap_or_else(|e| panic!("{e}"));
        out
    }

    /// A fresh staging place: (database path, data dir).
    fn staging(tag: &str) -> (PathBuf, PathBuf, PathBuf) {
        let root = std::env::temp_dir().join(format!(
            "librekast-archive-{tag}-{}-{}",
            std::process::id(),
            librekast_storage::now_micros()
        ));
        let data = root.join("data");
        std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{e}"));
        (root.join("db"), data, root)
    }

    fn unpack_bytes(tag: &str, bytes: &[u8]) -> (Result<Unpacked, ArchiveError>, PathBuf) {
        let (db, data, root) = staging(tag);
        (unpack(bytes, &db, &data), root)
    }

    const GOOD: &[(&str, &[u8])] = &[
        ("database.sqlite", b"not really sqlite"),
        ("data/secret.key", b"00ff"),
        ("data/media/0123456789abcdef0123456789abcdef", b"\x89PNG..."),
    ];

    #[test]
    fn round_trip() {
        let bytes = archive(GOOD, |_| {});
        let (result, root) = unpack_bytes("ok", &bytes);
        let unpacked = result.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(unpacked.manifest.files.len(), 3);
        assert_eq!(unpacked.manifest.media_files(), 1);
        assert_eq!(
            unpacked.data_names.iter().collect::<Vec<_>>(),
            ["media", "secret.key"]
        );
        assert_eq!(
            std::fs::read(root.join("data/media/0123456789abcdef0123456789abcdef"))
                .unwrap_or_default(),
            b"\x89PNG..."
        );
        assert_eq!(
            std::fs::read(root.join("db")).unwrap_or_default(),
            b"not really sqlite"
        );
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn not_an_archive() {
        for (tag, bytes) in [
            ("empty", &b""[..]),
            ("text", &b"hello, this is a text file\n"[..]),
        ] {
            let (result, root) = unpack_bytes(tag, bytes);
            assert!(
                matches!(result, Err(ArchiveError::NotABackup(_))),
                "{tag}: {result:?}"
            );
            let _ = std::fs::remove_dir_all(root);
        }
        // A gzip file with no tar inside.
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        let _ = gz.write_all(&[7u8; 2000]);
        let bytes = gz.finish().unwrap_or_default();
        let (result, root) = unpack_bytes("gz", &bytes);
        assert!(
            matches!(result, Err(ArchiveError::NotABackup(_))),
            "{result:?}"
        );
        let _ = std::fs::remove_dir_all(root);
        // Someone else's tar.gz.
        let mut other = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
        let mut h = tar::Header::new_gnu();
        let _ = h.set_path("etc/passwd");
        h.set_size(3);
        h.set_cksum();
        let _ = other.append(&h, &b"abc"[..]);
        let bytes = other
            .into_inner()
            .and_then(|gz| gz.finish())
            .unwrap_or_default();
        let (result, root) = unpack_bytes("other", &bytes);
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("etc/passwd"), "{message}");
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn truncated_or_corrupt() {
        let bytes = archive(GOOD, |_| {});
        for cut in [bytes.len() / 2, bytes.len() - 10, 40] {
            let (result, root) = unpack_bytes("cut", &bytes[..cut]);
            assert!(
                matches!(
                    result,
                    Err(ArchiveError::Corrupt(_) | ArchiveError::NoManifest)
                ),
                "cut at {cut}: {result:?}"
            );
            let _ = std::fs::remove_dir_all(root);
        }
        // A flipped byte in the compressed stream: the gzip CRC or the deflate decoder
        // refuses it.
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0xff;
        let (result, root) = unpack_bytes("flip", &flipped);
        assert!(result.is_err(), "a flipped byte is noticed");
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn checksum_mismatch_missing_and_unlisted() {
        let bytes = archive(GOOD, |m| m.files[1].sha256 = "00".repeat(32));
        let (result, root) = unpack_bytes("sum", &bytes);
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("checksum mismatch for data/secret.key"),
            "{message}"
        );
        let _ = std::fs::remove_dir_all(root);

        let bytes = archive(GOOD, |m| m.files[0].size += 1);
        let (result, root) = unpack_bytes("size", &bytes);
        assert!(matches!(result, Err(ArchiveError::Checksum { .. })));
        let _ = std::fs::remove_dir_all(root);

        let bytes = archive(GOOD, |m| {
            m.files.push(FileEntry {
                path: "data/media/ffffffffffffffffffffffffffffffff".into(),
                size: 1,
                sha256: "00".repeat(32),
            })
        });
        let (result, root) = unpack_bytes("missing", &bytes);
        assert!(
            matches!(result, Err(ArchiveError::Missing(_))),
            "{result:?}"
        );
        let _ = std::fs::remove_dir_all(root);

        let bytes = archive(GOOD, |m| {
            m.files.pop();
        });
        let (result, root) = unpack_bytes("unlisted", &bytes);
        assert!(
            matches!(result, Err(ArchiveError::Unlisted(_))),
            "{result:?}"
        );
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn newer_format_and_bad_manifest() {
        let bytes = archive(GOOD, |m| {
            m.format_version = FORMAT_VERSION + 1;
            m.librekast_version = "9.0.0".into();
        });
        let (result, root) = unpack_bytes("newer", &bytes);
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("format 2") && message.contains("LibreKast 9.0.0"),
            "{message}"
        );
        let _ = std::fs::remove_dir_all(root);

        let bytes = archive(GOOD, |m| m.format = "something-else".into());
        let (result, root) = unpack_bytes("format", &bytes);
        assert!(
            matches!(result, Err(ArchiveError::NotABackup(_))),
            "{result:?}"
        );
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn unsafe_names_are_refused() {
        for name in ["data/../../etc/x", "/etc/x", "data/", "database.sqlite/x"] {
            let mut raw = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
            let mut h = tar::Header::new_gnu();
            // `set_path` refuses `..`; write the name bytes as an attacker would.
            let field = &mut h.as_old_mut().name;
            field[..name.len()].copy_from_slice(name.as_bytes());
            h.set_size(1);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_cksum();
            let _ = raw.append(&h, &b"x"[..]);
            let bytes = raw
                .into_inner()
                .and_then(|gz| gz.finish())
                .unwrap_or_default();
            let (result, root) = unpack_bytes("unsafe", &bytes);
            assert!(result.is_err(), "{name} refused");
            assert!(
                !root.join("etc").exists() && !std::env::temp_dir().join("etc/x").exists(),
                "{name} wrote nothing outside"
            );
            let _ = std::fs::remove_dir_all(root);
        }
    }
}
