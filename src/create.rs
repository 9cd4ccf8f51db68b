//! Making a `.torrent` from a file or a folder: entries in sorted order, junk left out, exactly
//! one hash per piece, every dictionary's keys in byte order.

use std::io::Write;
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use tokio_util::sync::CancellationToken;

use crate::cli::CreateArgs;
use crate::error::Error;

mod bencode;
mod hash;
mod scan;
#[cfg(test)]
mod testing;

use crate::links::magnet;
pub use bencode::{Meta, Torrent, encode};
pub use hash::hash_pieces;
use scan::locate;
pub use scan::{Content, Entry, is_junk, scan};

pub const MIN_PIECE_LEN: u64 = 16 * 1024;
pub const MAX_PIECE_LEN: u64 = 64 * 1024 * 1024;
/// The chosen default stays below this: bigger pieces make a player wait longer for its first byte.
const MAX_DEFAULT_PIECE_LEN: u64 = 16 * 1024 * 1024;
/// At most this many pieces by default, so the default lands between 1000 and 2000 pieces
/// unless the clamp decides: a small .torrent, and pieces small enough to stream.
const DEFAULT_MAX_PIECES: u64 = 2000;

/// What `create` was asked for, checked before any file is read.
struct Plan {
    piece_len: Option<u32>,
    trackers: Vec<String>,
    web_seeds: Vec<String>,
    /// The file or folder, and the folder holding it (where the engine finds the data).
    path: PathBuf,
    parent: PathBuf,
    name: String,
    output: PathBuf,
}

/// `bt2p-tui create`.
pub async fn run(args: CreateArgs, cancel: CancellationToken) -> Result<(), Error> {
    let plan = plan(&args)?;
    let content = {
        let path = plan.path.clone();
        tokio::task::spawn_blocking(move || scan(&path))
            .await
            .map_err(|e| Error::Other(format!("listing the files failed: {e}")))??
    };
    let piece_len = plan.piece_len.unwrap_or_else(|| default_piece_len(content.total));
    announce(&plan, &content, piece_len);
    let hashes = hash_all(&content, piece_len, &cancel).await?;
    let meta = Meta {
        trackers: plan.trackers.clone(),
        comment: args.comment.clone().filter(|c| !c.is_empty()),
        private: args.private,
        web_seeds: plan.web_seeds.clone(),
        creation_date: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs()),
    };
    let torrent = encode(&content, &plan.name, piece_len, &hashes, &meta);
    write_new(&plan.output, &torrent.bytes)?;
    eprintln!("wrote {}", plan.output.display());
    println!("info hash: {}", torrent.info_hash_hex());
    println!(
        "magnet: {}",
        magnet(&torrent.info_hash_hex(), &plan.name, &meta.trackers)
    );
    if !args.serve {
        return Ok(());
    }
    serve_created(&args, torrent, plan, cancel).await
}

/// Every option checked, and the output refused if it exists, before anything is read.
fn plan(args: &CreateArgs) -> Result<Plan, Error> {
    let piece_len = args.piece_size.map(check_piece_size).transpose()?;
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
    Ok(Plan {
        piece_len,
        trackers,
        web_seeds,
        path,
        parent,
        name,
        output,
    })
}

/// One line on what is about to be hashed.
fn announce(plan: &Plan, content: &Content, piece_len: u32) {
    let pieces = content.total.div_ceil(u64::from(piece_len));
    eprintln!(
        "{}: {} file{}, {} in {pieces} pieces of {}{}",
        plan.name,
        content.files.len(),
        if content.files.len() == 1 { "" } else { "s" },
        crate::fmt::size(content.total),
        crate::fmt::size(u64::from(piece_len)),
        if plan.piece_len.is_some() {
            ""
        } else {
            " (chosen from the total size; --piece-size changes it)"
        }
    );
}

/// Every piece's hash, off the runtime, with a progress bar.
async fn hash_all(content: &Content, piece_len: u32, cancel: &CancellationToken) -> Result<Vec<u8>, Error> {
    let bar = hash::progress_bar(content.total);
    let hashes = {
        let (content, bar, cancel) = (content.clone(), bar.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || hash_pieces(&content, piece_len, &bar, &cancel))
            .await
            .map_err(|e| Error::Other(format!("hashing failed: {e}")))??
    };
    bar.finish_and_clear();
    Ok(hashes)
}

/// `create --serve`: the new torrent seeded from the data where it lies.
async fn serve_created(
    args: &CreateArgs,
    torrent: Torrent,
    plan: Plan,
    cancel: CancellationToken,
) -> Result<(), Error> {
    let output = plan.output.display().to_string();
    let source = crate::source::from_torrent_bytes(torrent.bytes.into(), &output)?;
    let mut opts = crate::serve::engine_options(&args.engine, &args.common);
    if opts.save_path != Path::new(".") && opts.save_path != plan.parent {
        tracing::warn!(
            "--save-path {} is not used with create --serve: the data is seeded from {}",
            opts.save_path.display(),
            plan.parent.display()
        );
    }
    opts.save_path = plan.parent;
    crate::serve::serve(&args.common, opts, source, cancel).await
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

#[cfg(test)]
mod tests {
    use super::testing::{TRACKER, message};
    use super::*;

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
}
