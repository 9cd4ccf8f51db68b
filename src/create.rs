//! Making a `.torrent` from a file or a folder: entries in sorted order, exactly one hash per
//! piece, an `announce` key when trackers are given.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};
use tokio_util::sync::CancellationToken;

use crate::cli::CreateArgs;
use crate::error::Error;

/// `bt2p-tui create`.
pub async fn run(args: CreateArgs, cancel: CancellationToken) -> Result<(), Error> {
    let _ = (&args, &cancel);
    Err(Error::Other("create: not available yet".into()))
}

/// A bencoded `.torrent` for `path`, with pieces of `piece_len` bytes.
pub fn make_torrent(path: &Path, piece_len: u32, trackers: &[String]) -> std::io::Result<Vec<u8>> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| std::io::Error::other("the path has no usable name"))?
        .to_string();
    let meta = std::fs::metadata(path)?;
    let files: Vec<(Vec<String>, PathBuf, u64)> = if meta.is_dir() {
        let mut v = Vec::new();
        walk(path, &mut Vec::new(), &mut v)?;
        v
    } else {
        vec![(Vec::new(), path.to_path_buf(), meta.len())]
    };
    let mut hasher = PieceHasher::new(piece_len as usize);
    for (_, p, _) in &files {
        let mut f = std::fs::File::open(p)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    let pieces = hasher.finish();

    let mut info = Vec::new();
    info.push(b'd');
    if meta.is_dir() {
        bstr(&mut info, "files");
        info.push(b'l');
        for (parts, _, len) in &files {
            info.push(b'd');
            bstr(&mut info, "length");
            bint(&mut info, *len);
            bstr(&mut info, "path");
            info.push(b'l');
            for part in parts {
                bstr(&mut info, part);
            }
            info.extend(b"ee");
        }
        info.push(b'e');
    } else {
        bstr(&mut info, "length");
        bint(&mut info, meta.len());
    }
    bstr(&mut info, "name");
    bstr(&mut info, &name);
    bstr(&mut info, "piece length");
    bint(&mut info, u64::from(piece_len));
    bstr(&mut info, "pieces");
    bbytes(&mut info, &pieces);
    info.push(b'e');

    let mut t = vec![b'd'];
    if let Some(first) = trackers.first() {
        bstr(&mut t, "announce");
        bstr(&mut t, first);
        bstr(&mut t, "announce-list");
        t.push(b'l');
        for tr in trackers {
            t.push(b'l');
            bstr(&mut t, tr);
            t.push(b'e');
        }
        t.push(b'e');
    }
    bstr(&mut t, "created by");
    bstr(&mut t, concat!("bt2p-tui ", env!("CARGO_PKG_VERSION")));
    bstr(&mut t, "info");
    t.extend(info);
    t.push(b'e');
    Ok(t)
}

fn walk(
    dir: &Path,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, PathBuf, u64)>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let ft = e.file_type()?;
        prefix.push(name);
        if ft.is_dir() {
            walk(&e.path(), prefix, out)?;
        } else if ft.is_file() {
            out.push((prefix.clone(), e.path(), e.metadata()?.len()));
        }
        prefix.pop();
    }
    Ok(())
}

/// SHA-1 of each piece of a byte stream that crosses file boundaries.
struct PieceHasher {
    piece_len: usize,
    filled: usize,
    sha: Sha1,
    out: Vec<u8>,
}

impl PieceHasher {
    fn new(piece_len: usize) -> Self {
        PieceHasher {
            piece_len,
            filled: 0,
            sha: Sha1::new(),
            out: Vec::new(),
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (self.piece_len - self.filled).min(data.len());
            self.sha.update(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled == self.piece_len {
                self.out.extend(std::mem::take(&mut self.sha).finalize());
                self.filled = 0;
            }
        }
    }

    /// The hashes; a last, short piece only when there are bytes left.
    fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 {
            self.out.extend(self.sha.finalize());
        }
        self.out
    }
}

fn bstr(out: &mut Vec<u8>, s: &str) {
    bbytes(out, s.as_bytes());
}

fn bbytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend(b.len().to_string().bytes());
    out.push(b':');
    out.extend(b);
}

fn bint(out: &mut Vec<u8>, v: u64) {
    out.push(b'i');
    out.extend(v.to_string().bytes());
    out.push(b'e');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_multiple_gets_exactly_one_hash_per_piece() {
        for (len, pieces) in [(0usize, 0usize), (1, 1), (16384, 1), (16385, 2), (3 * 16384, 3)] {
            let mut h = PieceHasher::new(16384);
            h.update(&vec![7u8; len]);
            assert_eq!(h.finish().len(), pieces * 20, "{len}");
        }
    }

    #[test]
    fn folders_are_sorted_and_the_result_is_checked_by_the_reader() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("show");
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join("b/2.mkv"), vec![1u8; 40000]).unwrap();
        std::fs::write(root.join("a.srt"), b"1\n").unwrap();
        std::fs::write(root.join(".hidden"), b"x").unwrap();
        let t1 = make_torrent(&root, 16384, &["http://127.0.0.1:6969/announce".into()]).unwrap();
        let t2 = make_torrent(&root, 16384, &["http://127.0.0.1:6969/announce".into()]).unwrap();
        assert_eq!(t1, t2);
        assert!(crate::source::from_torrent_bytes(t1.clone().into(), "t").is_ok());
        let s = String::from_utf8_lossy(&t1);
        assert!(s.find("a.srt").unwrap() < s.find("2.mkv").unwrap());
        assert!(!s.contains(".hidden"));
        assert!(s.starts_with("d8:announce"));
    }
}
