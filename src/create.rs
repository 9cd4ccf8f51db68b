//! Making a `.torrent` from a file or a folder: entries in sorted order, junk left out, exactly
//! one hash per piece, every dictionary's keys in byte order.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::{Digest, Sha1};
use tokio_util::sync::CancellationToken;

use crate::cli::CreateArgs;
use crate::error::Error;

pub const MIN_PIECE_LEN: u64 = 16 * 1024;
pub const MAX_PIECE_LEN: u64 = 64 * 1024 * 1024;
/// The chosen default stays below this: bigger pieces make a player wait longer for its first byte.
const MAX_DEFAULT_PIECE_LEN: u64 = 16 * 1024 * 1024;
/// At most this many pieces by default, so the default lands between 1000 and 2000 pieces
/// unless the clamp decides: a small .torrent, and pieces small enough to stream.
const DEFAULT_MAX_PIECES: u64 = 2000;

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

/// `bt2p-tui create`.
pub async fn run(args: CreateArgs, cancel: CancellationToken) -> Result<(), Error> {
    let chosen_piece_len = args.piece_size.map(check_piece_size).transpose()?;
    let trackers = check_urls(
        &args.trackers,
        "--tracker",
        &["http", "https", "udp", "ws", "wss"],
    )?;
    let web_seeds = check_urls(&args.web_seeds, "--web-seed", &["http", "https", "ftp"])?;
    let (path, own_name) = locate(&args.path)?;
    let name = match &args.name {
        Some(n) => check_name(n)?,
        None => own_name.clone(),
    };
    if args.serve && name != own_name {
        // The engine looks for the data at <parent>/<name>.
        return Err(usage(format!(
            "--name {name} cannot be used with --serve: the data would be looked for as '{name}' \
             next to {}, where it is called '{own_name}'. Leave out --name, or rename the file or folder",
            args.path.display()
        )));
    }
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{name}.torrent")));
    // The engine finds the data in place when it is given the folder holding PATH.
    let parent = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    refuse_existing(&output, args.serve.then_some(parent.as_path()))?;

    let content = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || scan(&path))
            .await
            .map_err(|e| Error::Other(format!("listing the files failed: {e}")))??
    };
    let piece_len = chosen_piece_len.unwrap_or_else(|| default_piece_len(content.total));
    let pieces = content.total.div_ceil(u64::from(piece_len));
    eprintln!(
        "{name}: {} file{}, {} in {pieces} pieces of {}{}",
        content.files.len(),
        if content.files.len() == 1 { "" } else { "s" },
        crate::fmt::size(content.total),
        crate::fmt::size(u64::from(piece_len)),
        if chosen_piece_len.is_some() {
            ""
        } else {
            " (chosen from the total size; --piece-size changes it)"
        }
    );

    let bar = progress_bar(content.total);
    let hashes = {
        let (content, bar, cancel) = (content.clone(), bar.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || hash_pieces(&content, piece_len, &bar, &cancel))
            .await
            .map_err(|e| Error::Other(format!("hashing failed: {e}")))??
    };
    bar.finish_and_clear();

    let meta = Meta {
        trackers,
        comment: args.comment.clone().filter(|c| !c.is_empty()),
        private: args.private,
        web_seeds,
        creation_date: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs()),
    };
    let torrent = encode(&content, &name, piece_len, &hashes, &meta);
    write_new(&output, &torrent.bytes)?;
    eprintln!("wrote {}", output.display());
    println!("info hash: {}", torrent.info_hash_hex());
    println!(
        "magnet: {}",
        magnet(&torrent.info_hash_hex(), &name, &meta.trackers)
    );

    if !args.serve {
        return Ok(());
    }
    let source = crate::source::from_torrent_bytes(torrent.bytes.into(), &output.display().to_string())?;
    let mut opts = crate::engine_options(&args.engine, &args.common);
    if opts.save_path != Path::new(".") && opts.save_path != parent {
        tracing::warn!(
            "--save-path {} is not used with create --serve: the data is seeded from {}",
            opts.save_path.display(),
            parent.display()
        );
    }
    opts.save_path = parent;
    crate::serve_torrent(&args.common, opts, source, cancel).await
}

/// A `.torrent` for `path` with pieces of `piece_len` bytes and no creation date, so the same
/// files always give the same bytes.
pub fn make_torrent(path: &Path, piece_len: u32, trackers: &[String]) -> std::io::Result<Vec<u8>> {
    let io = |e: Error| std::io::Error::other(e.to_string());
    let (path, name) = locate(path).map_err(io)?;
    let content = scan(&path).map_err(io)?;
    let hashes = hash_pieces(
        &content,
        piece_len,
        &ProgressBar::hidden(),
        &CancellationToken::new(),
    )
    .map_err(io)?;
    let meta = Meta {
        trackers: trackers.to_vec(),
        ..Default::default()
    };
    Ok(encode(&content, &name, piece_len, &hashes, &meta).bytes)
}

/// Errors in what the user asked for, as opposed to failures of the machine.
fn usage(message: String) -> Error {
    Error::Usage(message)
}

/// The smallest power of two that keeps the piece count at most [`DEFAULT_MAX_PIECES`],
/// within 16 KiB ..= 16 MiB.
pub fn default_piece_len(total: u64) -> u32 {
    let len = total
        .div_ceil(DEFAULT_MAX_PIECES)
        .max(1)
        .checked_next_power_of_two()
        .unwrap_or(MAX_DEFAULT_PIECE_LEN);
    len.clamp(MIN_PIECE_LEN, MAX_DEFAULT_PIECE_LEN) as u32
}

/// `--piece-size` as given: a power of two from 16 KiB to 64 MiB.
pub fn check_piece_size(size: u64) -> Result<u32, Error> {
    if size.is_power_of_two() && (MIN_PIECE_LEN..=MAX_PIECE_LEN).contains(&size) {
        return Ok(size as u32);
    }
    Err(usage(format!(
        "--piece-size {size} bytes is not a power of two from 16 KiB to 64 MiB. \
         Write e.g. --piece-size 1MiB (KiB and MiB, not KB and MB), \
         or leave it out to have it chosen from the total size"
    )))
}

/// The URLs as given, each checked to be absolute with a scheme clients understand; duplicates dropped.
fn check_urls(urls: &[String], option: &str, schemes: &[&str]) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for u in urls {
        let ok =
            reqwest::Url::parse(u).is_ok_and(|p| schemes.contains(&p.scheme()) && p.host_str().is_some());
        if !ok {
            return Err(usage(format!(
                "{option} {u} is not a usable URL: write a full URL starting with {}://, \
                 e.g. {option} {}://tracker.example:6969/announce",
                schemes.join("://, "),
                schemes[0]
            )));
        }
        if !out.contains(u) {
            out.push(u.clone());
        }
    }
    Ok(out)
}

/// `--name`: one path component that clients can use as a file or folder name.
fn check_name(name: &str) -> Result<String, Error> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(usage(format!(
            "--name '{name}' cannot be a file or folder name: give a name without / or \\, \
             other than . and .."
        )));
    }
    Ok(name.to_string())
}

/// The absolute path to publish and its name; `.` and `..` are resolved to the real folder.
fn locate(path: &Path) -> Result<(PathBuf, String), Error> {
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

/// Refuses an output path that exists; with `--serve`, says how to seed the one already there.
fn refuse_existing(output: &Path, serve_from: Option<&Path>) -> Result<(), Error> {
    if std::fs::symlink_metadata(output).is_err() {
        return Ok(());
    }
    Err(exists(output, serve_from))
}

fn exists(output: &Path, serve_from: Option<&Path>) -> Error {
    let hint = serve_from
        .map(|dir| {
            format!(
                " To seed that .torrent as it is: bt2p-tui {} --save-path {}",
                output.display(),
                dir.display()
            )
        })
        .unwrap_or_default();
    usage(format!(
        "{} already exists and is left alone: remove it, or write elsewhere with -o FILE.{hint}",
        output.display()
    ))
}

/// Writes `bytes` to a new file; never replaces one that appeared meanwhile.
fn write_new(output: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::AlreadyExists => exists(output, None),
        _ => usage(format!(
            "cannot write {}: {e}. Write it elsewhere with -o FILE",
            output.display()
        )),
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(output)
        .map_err(fail)?;
    if let Err(e) = f.write_all(bytes).and_then(|()| f.sync_all()) {
        drop(f);
        // A cut-off .torrent would be refused later with a less helpful message.
        let _ = std::fs::remove_file(output);
        return Err(fail(e));
    }
    Ok(())
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

fn unreadable(path: &Path, e: &std::io::Error) -> Error {
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

fn progress_bar(total: u64) -> ProgressBar {
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

/// `magnet:?xt=urn:btih:<hex>&dn=<name>&tr=<tracker>...`, each value percent-encoded.
pub fn magnet(info_hash_hex: &str, name: &str, trackers: &[String]) -> String {
    // RFC 3986 unreserved characters stay as they are.
    const VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let mut m = format!(
        "magnet:?xt=urn:btih:{info_hash_hex}&dn={}",
        utf8_percent_encode(name, VALUE)
    );
    for t in trackers {
        m.push_str("&tr=");
        m.extend(utf8_percent_encode(t, VALUE));
    }
    m
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

    const TRACKER: &str = "http://127.0.0.1:6969/announce";

    /// A decoded bencode value; decoding fails on keys out of byte order.
    #[derive(Debug, PartialEq)]
    enum B {
        I(u64),
        S(Vec<u8>),
        L(Vec<B>),
        D(Vec<(Vec<u8>, B)>),
    }

    impl B {
        fn get(&self, key: &str) -> Option<&B> {
            match self {
                B::D(d) => d.iter().find(|(k, _)| k == key.as_bytes()).map(|(_, v)| v),
                _ => None,
            }
        }
        fn s(&self) -> &str {
            match self {
                B::S(s) => std::str::from_utf8(s).unwrap(),
                other => panic!("not a string: {other:?}"),
            }
        }
    }

    fn decode(b: &[u8]) -> B {
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

    fn write(root: &Path, files: &[(&str, usize)]) {
        for (i, (rel, len)) in files.iter().enumerate() {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, vec![i as u8 + 1; *len]).unwrap();
        }
    }

    fn build(path: &Path, piece_len: u32, meta: &Meta) -> Torrent {
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

    fn paths(t: &B) -> Vec<String> {
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

    fn message(r: Result<impl std::fmt::Debug, Error>) -> String {
        r.unwrap_err().to_string()
    }

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
    fn default_piece_size_aims_at_1000_to_2000_pieces() {
        const K: u64 = 1024;
        const M: u64 = K * K;
        for (total, want) in [
            (1, 16 * K),
            (20 * M, 16 * K),
            (100 * M, 64 * K),
            (700 * M, 512 * K),
            (1000 * M, 512 * K),
            (1001 * M, M),
            (2000 * M, M),
            (2001 * M, 2 * M),
            (4_700_000_000, 4 * M),
            (50 * 1024 * M, 16 * M),
            (u64::MAX, 16 * M),
        ] {
            assert_eq!(u64::from(default_piece_len(total)), want, "total {total}");
        }
        for total in [40 * M, 333 * M, 8 * 1024 * M, 20 * 1024 * M] {
            let pieces = total.div_ceil(u64::from(default_piece_len(total)));
            assert!((1000..=2000).contains(&pieces), "{total}: {pieces} pieces");
        }
    }

    #[test]
    fn piece_size_must_be_a_power_of_two_within_bounds() {
        for ok in [16 * 1024, 256 * 1024, 64 * 1024 * 1024] {
            assert_eq!(check_piece_size(ok).unwrap() as u64, ok);
        }
        for bad in [8 * 1024, 1_000_000, 3 * 16 * 1024, 128 * 1024 * 1024, 1 << 40] {
            let m = message(check_piece_size(bad));
            assert!(m.contains("--piece-size") && m.contains("power of two"), "{m}");
        }
    }

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

    #[test]
    fn magnet_link_is_percent_encoded_and_parses() {
        let hash = "0123456789abcdef0123456789abcdef01234567";
        let trackers = vec![TRACKER.to_string(), "udp://t.example:1337/a?b=c&d".to_string()];
        let m = magnet(hash, "My Show & Co/ü", &trackers);
        assert_eq!(
            m,
            "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567\
             &dn=My%20Show%20%26%20Co%2F%C3%BC\
             &tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce\
             &tr=udp%3A%2F%2Ft.example%3A1337%2Fa%3Fb%3Dc%26d"
        );
        let parsed = librqbit::Magnet::parse(&m).unwrap();
        assert_eq!(parsed.as_id20().unwrap().as_string(), hash);
        assert_eq!(parsed.trackers, trackers);
        assert_eq!(parsed.name.as_deref(), Some("My Show & Co/ü"));
    }

    #[test]
    fn urls_and_names_are_checked() {
        let schemes = ["http", "https", "udp"];
        let ok = check_urls(
            &[TRACKER.into(), "udp://h:1".into(), TRACKER.into()],
            "--tracker",
            &schemes,
        );
        assert_eq!(ok.unwrap(), [TRACKER, "udp://h:1"]);
        for bad in ["127.0.0.1:6969", "ftp://h/x", "announce", "http://"] {
            let m = message(check_urls(&[bad.into()], "--tracker", &schemes));
            assert!(m.contains("--tracker") && m.contains(bad), "{m}");
        }
        assert_eq!(check_name("My Show").unwrap(), "My Show");
        for bad in ["", ".", "..", "a/b", "a\\b"] {
            assert!(message(check_name(bad)).contains("--name"), "{bad}");
        }
    }

    #[test]
    fn output_is_never_overwritten() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("x.torrent");
        write_new(&out, b"first").unwrap();
        let m = message(write_new(&out, b"second"));
        assert!(m.contains("already exists") && m.contains("-o FILE"), "{m}");
        assert_eq!(std::fs::read(&out).unwrap(), b"first");
        let m = message(refuse_existing(&out, Some(Path::new("/data"))));
        assert!(m.contains("--save-path /data"), "{m}");
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
