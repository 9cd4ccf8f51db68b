//! Helpers shared by the tests of `create` and its parts: a strict bencode reader and a way to
//! build a torrent from files written on the spot.

use std::path::Path;

use indicatif::ProgressBar;
use tokio_util::sync::CancellationToken;

use super::{Meta, Torrent, encode, hash_pieces, locate, scan};
use crate::error::Error;

pub(super) const TRACKER: &str = "http://127.0.0.1:6969/announce";

/// A decoded bencode value; decoding fails on keys out of byte order.
#[derive(Debug, PartialEq)]
pub(super) enum B {
    I(u64),
    S(Vec<u8>),
    L(Vec<B>),
    D(Vec<(Vec<u8>, B)>),
}

impl B {
    pub(super) fn get(&self, key: &str) -> Option<&B> {
        match self {
            B::D(d) => d.iter().find(|(k, _)| k == key.as_bytes()).map(|(_, v)| v),
            _ => None,
        }
    }
    pub(super) fn s(&self) -> &str {
        match self {
            B::S(s) => std::str::from_utf8(s).unwrap(),
            other => panic!("not a string: {other:?}"),
        }
    }
}

pub(super) fn decode(b: &[u8]) -> B {
    let (v, rest) = dec(b);
    assert!(rest.is_empty(), "trailing bytes");
    v
}

fn dec(b: &[u8]) -> (B, &[u8]) {
    match b[0] {
        b'i' => {
            let end = b.iter().position(|c| *c == b'e').unwrap();
            (
                B::I(std::str::from_utf8(&b[1..end]).unwrap().parse().unwrap()),
                &b[end + 1..],
            )
        }
        b'l' => {
            let (mut items, mut rest) = (Vec::new(), &b[1..]);
            while rest[0] != b'e' {
                let (v, r) = dec(rest);
                items.push(v);
                rest = r;
            }
            (B::L(items), &rest[1..])
        }
        b'd' => {
            let (mut items, mut rest): (Vec<(Vec<u8>, B)>, _) = (Vec::new(), &b[1..]);
            while rest[0] != b'e' {
                let (B::S(k), r) = dec(rest) else {
                    panic!("key is not a string")
                };
                if let Some((last, _)) = items.last() {
                    assert!(
                        *last < k,
                        "key {:?} after {:?}",
                        String::from_utf8_lossy(&k),
                        String::from_utf8_lossy(last)
                    );
                }
                let (v, r) = dec(r);
                items.push((k, v));
                rest = r;
            }
            (B::D(items), &rest[1..])
        }
        _ => {
            let colon = b.iter().position(|c| *c == b':').unwrap();
            let n: usize = std::str::from_utf8(&b[..colon]).unwrap().parse().unwrap();
            (B::S(b[colon + 1..colon + 1 + n].to_vec()), &b[colon + 1 + n..])
        }
    }
}

pub(super) fn write(root: &Path, files: &[(&str, usize)]) {
    for (i, (rel, len)) in files.iter().enumerate() {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, vec![i as u8 + 1; *len]).unwrap();
    }
}

pub(super) fn build(path: &Path, piece_len: u32, meta: &Meta) -> Torrent {
    let (abs, name) = locate(path).unwrap();
    let content = scan(&abs).unwrap();
    let hashes = hash_pieces(
        &content,
        piece_len,
        &ProgressBar::hidden(),
        &CancellationToken::new(),
    )
    .unwrap();
    encode(&content, &name, piece_len, &hashes, meta)
}

pub(super) fn paths(t: &B) -> Vec<String> {
    let Some(B::L(files)) = t.get("info").unwrap().get("files") else {
        panic!("no files")
    };
    files
        .iter()
        .map(|f| {
            let B::L(parts) = f.get("path").unwrap() else {
                panic!()
            };
            parts.iter().map(B::s).collect::<Vec<_>>().join("/")
        })
        .collect()
}

pub(super) fn message(r: Result<impl std::fmt::Debug, Error>) -> String {
    r.unwrap_err().to_string()
}
