//! The SHA-1 of every piece, read from the files laid end to end.

use std::io::{IsTerminal, Read};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha1::{Digest, Sha1};
use tokio_util::sync::CancellationToken;

use super::scan::{Content, unreadable};
use super::usage;
use crate::error::Error;

pub(super) fn progress_bar(total: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) = ProgressStyle::with_template(
        "hashing [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// The SHA-1 of every piece of the files laid end to end; stops when `cancel` fires.
pub fn hash_pieces(
    content: &Content,
    piece_len: u32,
    bar: &ProgressBar,
    cancel: &CancellationToken,
) -> Result<Vec<u8>, Error> {
    let mut hasher = PieceHasher::new(piece_len as usize);
    let mut buf = vec![0u8; 1 << 20];
    for entry in &content.files {
        let file = std::fs::File::open(&entry.disk).map_err(|e| unreadable(&entry.disk, &e))?;
        let mut rest = file.take(entry.len);
        let mut read = 0u64;
        loop {
            if cancel.is_cancelled() {
                return Err(Error::Other("interrupted: no .torrent was written".into()));
            }
            let n = rest.read(&mut buf).map_err(|e| unreadable(&entry.disk, &e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            read += n as u64;
            bar.inc(n as u64);
        }
        // The length is already in the listing: a file that changed would give a torrent no
        // one can complete.
        let grew = rest
            .into_inner()
            .read(&mut buf[..1])
            .map(|n| n > 0)
            .unwrap_or(false);
        if read != entry.len || grew {
            return Err(usage(format!(
                "{} changed while it was read: run create again once nothing writes to it",
                entry.disk.display()
            )));
        }
    }
    Ok(hasher.finish())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::create::Meta;
    use crate::create::scan::scan;
    use crate::create::testing::{B, build, decode, message, write};

    #[test]
    fn exact_multiple_gets_exactly_one_hash_per_piece() {
        for (len, pieces) in [(0usize, 0usize), (1, 1), (16384, 1), (16385, 2), (3 * 16384, 3)] {
            let mut h = PieceHasher::new(16384);
            h.update(&vec![7u8; len]);
            assert_eq!(h.finish().len(), pieces * 20, "{len}");
        }
    }

    #[test]
    fn piece_counts_across_files_and_the_reader_agrees() {
        let d = tempfile::tempdir().unwrap();
        let cases: [(&[(&str, usize)], usize); 4] = [
            (&[("a", 16384), ("b", 16384)], 2),
            (&[("a", 16383), ("b", 1)], 1),
            (&[("a", 10000), ("b", 10000), ("c", 12768)], 2),
            (&[("a", 16384), ("b", 0), ("c", 1)], 2),
        ];
        for (i, (files, pieces)) in cases.iter().enumerate() {
            let root = d.path().join(format!("case{i}"));
            write(&root, files);
            let t = build(&root, 16384, &Meta::default());
            let top = decode(&t.bytes);
            let B::S(hashes) = top.get("info").unwrap().get("pieces").unwrap() else {
                panic!()
            };
            assert_eq!(hashes.len(), pieces * 20, "case {i}");
            assert!(
                crate::source::from_torrent_bytes(t.bytes.into(), "t").is_ok(),
                "case {i}"
            );
        }
        // A single file that is an exact multiple: the first hash is of the first piece's bytes.
        let one = d.path().join("one.bin");
        std::fs::write(&one, vec![9u8; 2 * 16384]).unwrap();
        let t = build(&one, 16384, &Meta::default());
        let info = decode(&t.bytes);
        let info = info.get("info").unwrap();
        let B::S(hashes) = info.get("pieces").unwrap() else {
            panic!()
        };
        let piece: [u8; 20] = Sha1::digest(vec![9u8; 16384]).into();
        assert_eq!(hashes.len(), 40);
        assert_eq!(&hashes[..20], &piece);
        assert_eq!(info.get("length"), Some(&B::I(2 * 16384)));
        assert_eq!(info.get("files"), None);
    }

    #[test]
    fn hashing_stops_when_cancelled() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("f");
        write(&root, &[("a", 100)]);
        let content = scan(&root).unwrap();
        let cancel = CancellationToken::new();
        cancel.cancel();
        assert!(
            message(hash_pieces(&content, 16384, &ProgressBar::hidden(), &cancel)).contains("interrupted")
        );
    }
}
