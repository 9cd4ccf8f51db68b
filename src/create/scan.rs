//! What a torrent holds: the files under a path in sorted order, junk left out, so the same
//! files give the same torrent whatever order the disk lists them in.

use std::path::{Path, PathBuf};

use super::usage;
use crate::error::Error;

/// One file of the torrent: its path inside the torrent, where it is on disk, its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub parts: Vec<String>,
    pub disk: PathBuf,
    pub len: u64,
}

/// The files to publish, in torrent order.
#[derive(Debug, Clone)]
pub struct Content {
    /// A single-file torrent (`length`) rather than a folder (`files`).
    pub single: bool,
    pub files: Vec<Entry>,
    pub total: u64,
}

/// The absolute path to publish and its name; `.` and `..` are resolved to the real folder.
pub(super) fn locate(path: &Path) -> Result<(PathBuf, String), Error> {
    let missing = |e: std::io::Error| {
        usage(match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "{} does not exist: give the path of the file or folder to publish",
                path.display()
            ),
            _ => format!("cannot read {}: {e}. Check its permissions", path.display()),
        })
    };
    std::fs::metadata(path).map_err(missing)?;
    let abs = if path.file_name().is_some() {
        std::path::absolute(path)
    } else {
        std::fs::canonicalize(path)
    }
    .map_err(missing)?;
    let name = abs
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            usage(format!(
                "{} has no name usable in a torrent (the root folder, or not UTF-8): \
                 publish a folder below it, or rename it",
                path.display()
            ))
        })?;
    Ok((abs, name))
}

/// Names left out of folders, as BitTorrent's maketorrent does: hidden files, Windows' thumbnail
/// caches and folder settings (any case, as Windows writes them), CVS folders, and core dumps
/// (only files: a folder called `core` is usually source code).
pub fn is_junk(name: &str, is_dir: bool) -> bool {
    name.starts_with('.')
        || name.eq_ignore_ascii_case("Thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
        || name == "CVS"
        || (name == "core" && !is_dir)
}

/// The files under `path` (absolute), in sorted order.
pub fn scan(path: &Path) -> Result<Content, Error> {
    let meta = std::fs::metadata(path).map_err(|e| unreadable(path, &e))?;
    let files = if meta.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut Vec::new(), &mut vec![canonical(path)?], &mut files)?;
        if files.is_empty() {
            return Err(usage(format!(
                "{} holds no files to publish (hidden files, Thumbs.db, desktop.ini, CVS and core \
                 are left out): give a folder with files in it",
                path.display()
            )));
        }
        files
    } else if meta.is_file() {
        vec![Entry {
            parts: Vec::new(),
            disk: path.to_path_buf(),
            len: meta.len(),
        }]
    } else {
        return Err(usage(format!(
            "{} is neither a regular file nor a folder: give a file or a folder to publish",
            path.display()
        )));
    };
    let total = files
        .iter()
        .try_fold(0u64, |t, f| t.checked_add(f.len))
        .ok_or_else(|| {
            usage(format!(
                "the files under {} are too big to add up",
                path.display()
            ))
        })?;
    if total == 0 {
        return Err(usage(format!(
            "{} holds no data (only empty files): a torrent needs at least one byte",
            path.display()
        )));
    }
    Ok(Content {
        single: !meta.is_dir(),
        files,
        total,
    })
}

pub(super) fn unreadable(path: &Path, e: &std::io::Error) -> Error {
    usage(format!(
        "cannot read {}: {e}. Check its permissions, or move it out of the folder",
        path.display()
    ))
}

fn canonical(path: &Path) -> Result<PathBuf, Error> {
    std::fs::canonicalize(path).map_err(|e| unreadable(path, &e))
}

/// Depth first, each folder's entries sorted by name; symbolic links are followed, except
/// into a folder that holds them (a loop).
fn walk(
    dir: &Path,
    prefix: &mut Vec<String>,
    ancestors: &mut Vec<PathBuf>,
    out: &mut Vec<Entry>,
) -> Result<(), Error> {
    let mut entries = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| unreadable(dir, &e))? {
        let e = e.map_err(|e| unreadable(dir, &e))?;
        let path = e.path();
        let name = e.file_name().into_string().map_err(|_| {
            usage(format!(
                "{}: the name is not valid UTF-8, which torrent clients cannot show. Rename it",
                path.display()
            ))
        })?;
        entries.push((name, path));
    }
    entries.sort();
    for (name, path) in entries {
        let Ok(meta) = std::fs::metadata(&path) else {
            tracing::warn!("left out {}: a broken symbolic link", path.display());
            continue;
        };
        if is_junk(&name, meta.is_dir()) {
            tracing::debug!("left out {}", path.display());
            continue;
        }
        prefix.push(name);
        if meta.is_dir() {
            let real = canonical(&path)?;
            if ancestors.contains(&real) {
                tracing::warn!("left out {}: a link back to a folder above it", path.display());
            } else {
                ancestors.push(real);
                walk(&path, prefix, ancestors, out)?;
                ancestors.pop();
            }
        } else if meta.is_file() {
            out.push(Entry {
                parts: prefix.clone(),
                disk: path,
                len: meta.len(),
            });
        } else {
            tracing::warn!("left out {}: not a regular file", path.display());
        }
        prefix.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::create::testing::{TRACKER, build, decode, message, paths, write};
    use crate::create::{Meta, make_torrent};

    #[test]
    fn junk_is_left_out_of_folders() {
        for (name, dir, junk) in [
            (".hidden", false, true),
            (".git", true, true),
            ("Thumbs.db", false, true),
            ("thumbs.DB", false, true),
            ("Desktop.ini", false, true),
            ("CVS", true, true),
            ("core", false, true),
            ("core", true, false),
            ("cvs", true, false),
            ("Core", false, false),
            ("movie.mkv", false, false),
            ("a.hidden", false, false),
        ] {
            assert_eq!(is_junk(name, dir), junk, "{name} dir={dir}");
        }
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("show");
        write(
            &root,
            &[
                ("e1.mkv", 100),
                (".DS_Store", 10),
                ("Thumbs.db", 10),
                ("sub/desktop.ini", 10),
                ("sub/e2.mkv", 100),
                (".git/config", 10),
                ("CVS/Entries", 10),
                ("sub/core", 10),
                ("core/lib.rs", 10),
            ],
        );
        let t = build(&root, 16384, &Meta::default());
        assert_eq!(paths(&decode(&t.bytes)), ["core/lib.rs", "e1.mkv", "sub/e2.mkv"]);
    }

    #[test]
    fn nothing_to_publish_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let empty = d.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(message(scan(&empty)).contains("holds no files"));
        let junk = d.path().join("junk");
        write(&junk, &[(".x", 5), ("Thumbs.db", 5)]);
        assert!(message(scan(&junk)).contains("holds no files"));
        let zero = d.path().join("zero");
        write(&zero, &[("a", 0)]);
        assert!(message(scan(&zero)).contains("only empty files"));
        let m = message(locate(&d.path().join("nope")));
        assert!(m.contains("does not exist") && m.contains("nope"), "{m}");
    }

    #[test]
    fn same_folder_same_info_hash_whatever_the_disk_order() {
        let d = tempfile::tempdir().unwrap();
        let files = [
            ("b/2.mkv", 40000),
            ("a.srt", 2),
            ("b/1.mkv", 30000),
            ("c", 1),
            ("B", 3),
        ];
        let one = d.path().join("x/show");
        let two = d.path().join("y/show");
        write(&one, &files);
        // The other copy is created in reverse order, so the directory listing order differs.
        for (rel, len) in files.iter().rev() {
            let i = files.iter().position(|f| f.0 == *rel).unwrap();
            let p = two.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, vec![i as u8 + 1; *len]).unwrap();
        }
        let meta = Meta {
            trackers: vec![TRACKER.into()],
            ..Default::default()
        };
        let t1 = build(&one, 16384, &meta);
        let t2 = build(&two, 16384, &meta);
        assert_eq!(t1.bytes, t2.bytes);
        assert_eq!(
            paths(&decode(&t1.bytes)),
            ["B", "a.srt", "b/1.mkv", "b/2.mkv", "c"]
        );
        // Dates, comments and trackers are outside the info dictionary.
        let dated = Meta {
            creation_date: Some(1),
            comment: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(build(&one, 16384, &dated).info_hash, t1.info_hash);
        assert_ne!(build(&one, 32768, &meta).info_hash, t1.info_hash);
        assert_eq!(make_torrent(&one, 16384, &[TRACKER.into()]).unwrap(), t1.bytes);
    }
}
