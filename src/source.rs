//! What the user asked to download: a `.torrent` file or URL, a magnet link, or a bare info hash,
//! read and checked before the engine sees it.

use std::path::Path;

mod check;

use librqbit::{Magnet, torrent_from_bytes};

pub use check::check_info;
use check::check_piece_length_fits;

use crate::error::Error;

/// The largest `.torrent` accepted; real ones are well under a few MB.
const MAX_TORRENT_FILE: u64 = 64 * 1024 * 1024;

/// A checked torrent source.
#[derive(Debug, Clone)]
pub enum Source {
    /// The bytes of a `.torrent` file, already validated.
    Torrent {
        bytes: bytes::Bytes,
        info_hash: String,
        /// The folder a one-file torrent in folder form keeps its file in (its name).
        folder: Option<String>,
    },
    /// A magnet URI (a bare info hash is turned into one); metadata comes from peers, among
    /// them those the link names (`x.pe`, as `host:port`).
    Magnet {
        uri: String,
        info_hash: String,
        peers: Vec<String>,
    },
}

impl Source {
    pub fn info_hash(&self) -> &str {
        match self {
            Source::Torrent { info_hash, .. } | Source::Magnet { info_hash, .. } => info_hash,
        }
    }
}

/// Reads SOURCE as the user wrote it.
pub async fn resolve(arg: &str) -> Result<Source, Error> {
    let arg = arg.trim();
    if arg.starts_with("magnet:") {
        return magnet(arg);
    }
    if arg.starts_with("http://") || arg.starts_with("https://") {
        let bytes = fetch(arg).await?;
        return from_torrent_bytes(bytes, arg);
    }
    if is_info_hash(arg) && !Path::new(arg).exists() {
        return magnet(&format!("magnet:?xt=urn:btih:{arg}"));
    }
    let path = Path::new(arg);
    let meta = std::fs::metadata(path).map_err(|e| Error::TorrentFile {
        path: arg.into(),
        problem: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".into(),
            std::io::ErrorKind::PermissionDenied => "permission denied".into(),
            _ => e.to_string(),
        },
        fix: "give the path of a .torrent file, a magnet link or an info hash",
        source: Some(e),
    })?;
    if meta.is_dir() {
        return Err(Error::TorrentFile {
            path: arg.into(),
            problem: "is a directory".into(),
            fix: "give the path of a .torrent file, not a folder",
            source: None,
        });
    }
    if meta.len() > MAX_TORRENT_FILE {
        return Err(Error::TorrentFile {
            path: arg.into(),
            problem: format!(
                "is {} long, too large for a .torrent",
                crate::fmt::size(meta.len())
            ),
            fix: "give the path of a .torrent file",
            source: None,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Error::TorrentFile {
        path: arg.into(),
        problem: e.to_string(),
        fix: "check that the file is readable",
        source: Some(e),
    })?;
    from_torrent_bytes(bytes.into(), arg)
}

fn is_info_hash(s: &str) -> bool {
    (s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        || (s.len() == 32
            && s.bytes()
                .all(|b| matches!(b.to_ascii_uppercase(), b'A'..=b'Z' | b'2'..=b'7')))
}

pub fn magnet(uri: &str) -> Result<Source, Error> {
    if uri.len() > 64 * 1024 {
        return Err(Error::BadMagnet {
            problem: format!("it is {} bytes long", uri.len()),
        });
    }
    let uri = without_select_only(uri);
    let m = Magnet::parse(&uri).map_err(|e| Error::BadMagnet {
        problem: format!("{e:#}"),
    })?;
    let Some(id) = m.as_id20() else {
        let problem = match uri.contains("urn:btmh:") {
            true => {
                "it names only a BitTorrent v2 hash (urn:btmh), and the engine (librqbit) cannot download v2-only torrents: use a magnet link with urn:btih (a v1 or hybrid torrent)"
            }
            false => "it carries no BitTorrent v1 info hash (xt=urn:btih:…)",
        };
        return Err(Error::BadMagnet {
            problem: problem.into(),
        });
    };
    let peers = magnet_peers(&uri);
    Ok(Source::Magnet {
        info_hash: id.as_string(),
        peers,
        uri,
    })
}

/// The peers a magnet link names with `x.pe=host:port` (BEP 9); the engine drops them.
fn magnet_peers(uri: &str) -> Vec<String> {
    let query = uri.split_once('?').map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| k.eq_ignore_ascii_case("x.pe"))
        .map(|(_, v)| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
        .take(64)
        .collect()
}

/// Drops `so=` (BEP 53 select-only) parameters: the engine expands a range such as
/// `so=0-9000000000` into a list of every index and runs out of memory. Every file is offered
/// anyway; players pick what they read.
fn without_select_only(uri: &str) -> String {
    let Some((head, query)) = uri.split_once('?') else {
        return uri.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| {
            let key = kv.split_once('=').map(|(k, _)| k).unwrap_or(kv);
            let drop = key.eq_ignore_ascii_case("so");
            if drop {
                tracing::warn!("the magnet link's file selection ({kv}) is ignored: every file is offered");
            }
            !drop
        })
        .collect();
    format!("{head}?{}", kept.join("&"))
}

async fn fetch(url: &str) -> Result<bytes::Bytes, Error> {
    let fail = |problem: String| Error::TorrentUrl {
        url: url.into(),
        problem,
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let resp = client.get(url).send().await.map_err(|e| fail(format!("{e}")))?;
    if !resp.status().is_success() {
        return Err(fail(format!("the server answered {}", resp.status())));
    }
    if resp.content_length().unwrap_or(0) > MAX_TORRENT_FILE {
        return Err(fail("the answer is too large for a .torrent".into()));
    }
    resp.bytes().await.map_err(|e| fail(e.to_string()))
}

/// Checks what the engine would trip over (see `check_info`), then keeps the bytes.
pub fn from_torrent_bytes(bytes: bytes::Bytes, origin: &str) -> Result<Source, Error> {
    let bad = |problem: String| Error::BadTorrent {
        origin: origin.into(),
        problem,
    };
    let bytes = match check::bencode_end(&bytes) {
        Some(end) if end < bytes.len() => {
            tracing::info!(
                "{origin}: {} bytes after the torrent's data are ignored",
                bytes.len() - end
            );
            bytes.slice(..end)
        }
        _ => bytes,
    };
    if check::is_v2_only(&bytes) {
        return Err(Error::V2Only {
            origin: origin.into(),
        });
    }
    check_piece_length_fits(&bytes).map_err(bad)?;
    // The bencode reader can still panic on numbers it did not expect: contain it.
    let parsed = std::panic::catch_unwind(|| torrent_from_bytes(&bytes))
        .map_err(|_| bad("its metadata holds numbers out of range".into()))?;
    let meta = parsed.map_err(|e| bad(format!("it is not a valid .torrent file ({e})")))?;
    check_info(&meta.info.data).map_err(bad)?;
    // A torrent in folder form keeps its files under its name, even when it has only one; the
    // engine does so only from two files on.
    let info = &meta.info.data;
    let folder = match (&info.files, &info.name) {
        (Some(files), Some(name)) if files.len() == 1 => {
            Some(String::from_utf8_lossy(name.as_ref()).into_owned())
        }
        _ => None,
    };
    Ok(Source::Torrent {
        info_hash: meta.info_hash.as_string(),
        folder,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn torrent(piece_len: u64, len: u64, hashes: usize) -> Vec<u8> {
        let mut v = b"d4:infod6:lengthi".to_vec();
        v.extend(
            format!(
                "{len}e4:name5:a.mkv12:piece lengthi{piece_len}e6:pieces{}:",
                hashes * 20
            )
            .bytes(),
        );
        v.extend(std::iter::repeat_n(0u8, hashes * 20));
        v.extend(b"ee");
        v
    }

    fn check(b: Vec<u8>) -> Result<Source, Error> {
        from_torrent_bytes(b.into(), "t.torrent")
    }

    #[test]
    fn good_torrent() {
        assert!(check(torrent(16384, 16384 * 3, 3)).is_ok());
        assert!(check(torrent(16384, 16384 * 3 - 1, 3)).is_ok());
    }

    #[test]
    fn crafted_torrents_are_refused() {
        for (b, needle) in [
            (torrent(0, 100, 1), "piece length 0"),
            (torrent(1 << 32, 100, 1), "piece length"),
            (torrent(30000, 100, 1), "power of two"),
            (torrent(16384, 16384 * 3, 4), "need 3"),
            (torrent(16384, 16384 * 3, 2), "need 3"),
            (b"not bencode".to_vec(), "not a valid .torrent file"),
            (b"d4:infod".to_vec(), "not a valid .torrent file"),
        ] {
            let e = check(b).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }

    fn multi(paths: &[&[&str]]) -> Vec<u8> {
        let mut v = b"d4:infod5:filesl".to_vec();
        for p in paths {
            v.extend(b"d6:lengthi10e4:pathl");
            for c in *p {
                v.extend(format!("{}:", c.len()).bytes());
                v.extend(c.bytes());
            }
            v.extend(b"ee");
        }
        let hashes = (paths.len() * 10).div_ceil(16384);
        v.extend(format!("e4:name4:show12:piece lengthi16384e6:pieces{}:", hashes * 20).bytes());
        v.extend(std::iter::repeat_n(0u8, hashes * 20));
        v.extend(b"ee");
        v
    }

    #[test]
    fn paths_that_could_leave_the_save_path_are_refused() {
        let long = "x".repeat(300);
        for (paths, needle) in [
            (vec![&["..", "etc", "passwd"][..]], "'..'"),
            (vec![&["a", "."][..]], "'.'"),
            (vec![&["a/b"][..]], "separator"),
            (vec![&["a\\b"][..]], "separator"),
            (vec![&["/etc"][..]], "separator"),
            (vec![&["C:", "x"][..]], "Windows drive"),
            (vec![&["a\0b"][..]], "NUL"),
            (vec![&[long.as_str()][..]], "255 bytes"),
            (vec![&[""][..]], "empty part"),
            (vec![&[][..]], "empty path"),
            (vec![&["tab\there"][..]], "control"),
        ] {
            let e = check(multi(&paths)).unwrap_err().to_string();
            assert!(e.contains(needle), "{paths:?}: {e}");
        }
        assert!(check(multi(&[&["Сезон 1", "エピソード 🎬.mkv"]])).is_ok());
        assert!(check(multi(&[&["Movie: Part 2.mkv"]])).is_ok());
    }

    #[test]
    fn hashes_and_magnets() {
        assert!(is_info_hash("0123456789abcdef0123456789ABCDEF01234567"));
        assert!(is_info_hash("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
        assert!(!is_info_hash("0123"));
        assert!(magnet("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567").is_ok());
        assert!(magnet("magnet:?dn=nothing").is_err());
        assert!(magnet("magnet:?xt=urn:btih:zz").is_err());
        // Found by fuzzing: the engine's parser expands `so=` ranges into every index (an
        // allocation of tens of GB). Dropped before it gets there.
        assert!(magnet("magnet:?so=0040000-009000200054").is_err());
        let m = magnet("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&so=0-99999999999&dn=x")
            .unwrap();
        match m {
            Source::Magnet { uri, .. } => assert!(!uri.contains("so=") && uri.contains("dn=x"), "{uri}"),
            Source::Torrent { .. } => panic!("not a magnet"),
        }
        let m = magnet("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=127.0.0.1:6881&x.pe=%5B%3A%3A1%5D%3A6882&x.pe=seed.lan:51413")
            .unwrap();
        match m {
            Source::Magnet { peers, .. } => {
                assert_eq!(peers, ["127.0.0.1:6881", "[::1]:6882", "seed.lan:51413"])
            }
            Source::Torrent { .. } => panic!("not a magnet"),
        }
    }
}
