//! The `.torrent` itself: its dictionaries in bencode, every key in byte order, and the info hash.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};

use super::scan::Content;

/// What a `.torrent` says besides the data itself.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub trackers: Vec<String>,
    pub comment: Option<String>,
    pub private: bool,
    pub web_seeds: Vec<String>,
    /// Seconds since the epoch; left out when `None`, which keeps the whole file reproducible.
    pub creation_date: Option<u64>,
}

/// A finished `.torrent`.
#[derive(Debug, Clone)]
pub struct Torrent {
    pub bytes: Vec<u8>,
    pub info_hash: [u8; 20],
}

impl Torrent {
    pub fn info_hash_hex(&self) -> String {
        self.info_hash.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The bencoded torrent and its info hash.
pub fn encode(content: &Content, name: &str, piece_len: u32, hashes: &[u8], meta: &Meta) -> Torrent {
    let mut info = Dict::new();
    if content.single {
        info.insert("length", Value::Int(content.total));
    } else {
        let files = content
            .files
            .iter()
            .map(|f| {
                Value::Dict(Dict::from([
                    ("length", Value::Int(f.len)),
                    (
                        "path",
                        Value::List(f.parts.iter().map(|p| Value::str(p)).collect()),
                    ),
                ]))
            })
            .collect();
        info.insert("files", Value::List(files));
    }
    info.insert("name", Value::str(name));
    info.insert("piece length", Value::Int(u64::from(piece_len)));
    info.insert("pieces", Value::Bytes(hashes.to_vec()));
    if meta.private {
        info.insert("private", Value::Int(1));
    }
    let info = Value::Dict(info).encode();
    let info_hash: [u8; 20] = Sha1::digest(&info).into();

    let mut top = Dict::new();
    if let Some(first) = meta.trackers.first() {
        top.insert("announce", Value::str(first));
        let tiers = meta.trackers.iter().map(|t| Value::List(vec![Value::str(t)]));
        top.insert("announce-list", Value::List(tiers.collect()));
    }
    if let Some(c) = &meta.comment {
        top.insert("comment", Value::str(c));
    }
    top.insert(
        "created by",
        Value::str(concat!("bt2p-tui ", env!("CARGO_PKG_VERSION"))),
    );
    if let Some(date) = meta.creation_date {
        top.insert("creation date", Value::Int(date));
    }
    top.insert("info", Value::Raw(info));
    if !meta.web_seeds.is_empty() {
        let seeds = meta.web_seeds.iter().map(|u| Value::str(u)).collect();
        top.insert("url-list", Value::List(seeds));
    }
    Torrent {
        bytes: Value::Dict(top).encode(),
        info_hash,
    }
}

/// A BTreeMap keeps every dictionary's keys in byte order, as bencode requires.
type Dict = BTreeMap<&'static str, Value>;

enum Value {
    Int(u64),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Dict(Dict),
    /// Already encoded (the info dictionary, whose exact bytes are hashed).
    Raw(Vec<u8>),
}

impl Value {
    fn str(s: &str) -> Value {
        Value::Bytes(s.as_bytes().to_vec())
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Value::Int(v) => {
                out.push(b'i');
                out.extend(v.to_string().bytes());
                out.push(b'e');
            }
            Value::Bytes(b) => bytes(out, b),
            Value::List(items) => {
                out.push(b'l');
                items.iter().for_each(|v| v.write(out));
                out.push(b'e');
            }
            Value::Dict(d) => {
                out.push(b'd');
                for (k, v) in d {
                    bytes(out, k.as_bytes());
                    v.write(out);
                }
                out.push(b'e');
            }
            Value::Raw(r) => out.extend(r),
        }
    }
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend(b.len().to_string().bytes());
    out.push(b':');
    out.extend(b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::create::testing::{B, TRACKER, build, decode, write};

    #[test]
    fn every_key_is_written_in_byte_order_and_the_reader_agrees_on_the_hash() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("show");
        write(&root, &[("a", 20000), ("b/c", 5000)]);
        let meta = Meta {
            trackers: vec![TRACKER.into(), "udp://127.0.0.1:6969".into()],
            comment: Some("a comment".into()),
            private: true,
            web_seeds: vec!["http://127.0.0.1:8000/files/".into()],
            creation_date: Some(1_700_000_000),
        };
        let t = build(&root, 16384, &meta);
        let top = decode(&t.bytes);
        let B::D(keys) = &top else { panic!() };
        let keys: Vec<_> = keys
            .iter()
            .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
            .collect();
        assert_eq!(
            keys,
            [
                "announce",
                "announce-list",
                "comment",
                "created by",
                "creation date",
                "info",
                "url-list"
            ]
        );
        assert_eq!(top.get("announce").unwrap().s(), TRACKER);
        assert_eq!(
            top.get("announce-list"),
            Some(&B::L(vec![
                B::L(vec![B::S(TRACKER.into())]),
                B::L(vec![B::S(b"udp://127.0.0.1:6969".to_vec())])
            ]))
        );
        assert_eq!(top.get("comment").unwrap().s(), "a comment");
        assert!(top.get("created by").unwrap().s().starts_with("bt2p-tui "));
        assert_eq!(top.get("creation date"), Some(&B::I(1_700_000_000)));
        assert_eq!(
            top.get("url-list"),
            Some(&B::L(vec![B::S(b"http://127.0.0.1:8000/files/".to_vec())]))
        );
        let info = top.get("info").unwrap();
        let B::D(info_keys) = info else { panic!() };
        let info_keys: Vec<_> = info_keys
            .iter()
            .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
            .collect();
        assert_eq!(info_keys, ["files", "name", "piece length", "pieces", "private"]);
        assert_eq!(info.get("private"), Some(&B::I(1)));
        assert_eq!(info.get("name").unwrap().s(), "show");

        let src = crate::source::from_torrent_bytes(t.bytes.clone().into(), "t").unwrap();
        assert_eq!(src.info_hash(), t.info_hash_hex());

        // Without the options, none of their keys.
        let plain = decode(&build(&root, 16384, &Meta::default()).bytes);
        for key in [
            "announce",
            "announce-list",
            "comment",
            "creation date",
            "url-list",
        ] {
            assert!(plain.get(key).is_none(), "{key}");
        }
        assert!(plain.get("info").unwrap().get("private").is_none());
    }
}
