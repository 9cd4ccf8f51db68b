//! What the engine would trip over in a torrent's metadata, found before it sees it.

use librqbit::TorrentMetaV1Info;

/// The bencode reader panics on a piece length past u32 (debug) or wraps it to 0 (release):
/// look at every `piece length` integer before it does.
pub(super) fn check_piece_length_fits(bytes: &[u8]) -> Result<(), String> {
    const KEY: &[u8] = b"12:piece lengthi";
    let mut rest = bytes;
    while let Some(i) = rest.windows(KEY.len()).position(|w| w == KEY) {
        rest = &rest[i + KEY.len()..];
        let digits: Vec<u8> = rest
            .iter()
            .copied()
            .take_while(|b| *b == b'-' || b.is_ascii_digit())
            .collect();
        let ok = std::str::from_utf8(&digits)
            .ok()
            .and_then(|d| d.parse::<u32>().ok())
            .is_some_and(|v| v > 0);
        if !ok {
            return Err(format!(
                "its piece length {} is not a positive 32-bit number",
                String::from_utf8_lossy(&digits)
            ));
        }
    }
    Ok(())
}

/// Piece length, sizes and hash count must agree, or the engine divides by zero or
/// reads out of bounds.
pub fn check_info<B: AsRef<[u8]>>(info: &TorrentMetaV1Info<B>) -> Result<(), String> {
    let pl = u64::from(info.piece_length);
    if pl == 0 {
        return Err("its piece length is 0".into());
    }
    if !pl.is_power_of_two() || !(1024..=256 * 1024 * 1024).contains(&pl) {
        return Err(format!(
            "its piece length {pl} is not a power of two between 1 KiB and 256 MiB"
        ));
    }
    let total = total_len(info)?;
    if total == 0 {
        return Err("its files add up to 0 bytes: there is nothing to download".into());
    }
    if total > 1 << 50 {
        return Err(format!("its size {total} is absurd"));
    }
    let hashes = info.pieces.as_ref().len();
    if hashes % 20 != 0 {
        return Err(format!(
            "its piece hashes are {hashes} bytes, not a multiple of 20"
        ));
    }
    let want = total.div_ceil(pl);
    if (hashes / 20) as u64 != want {
        return Err(format!(
            "it has {} piece hashes but its {total} bytes in pieces of {pl} need {want}",
            hashes / 20
        ));
    }
    if info.name.as_ref().is_none_or(|n| n.as_ref().is_empty()) && info.files.is_none() {
        return Err("its single file has no name".into());
    }
    if let Some(name) = &info.name {
        check_component(name.as_ref()).map_err(|p| format!("its name {p}"))?;
    }
    check_paths(info)
}

/// The size of all files, added without overflow.
fn total_len<B: AsRef<[u8]>>(info: &TorrentMetaV1Info<B>) -> Result<u64, String> {
    match (&info.length, &info.files) {
        (Some(len), None) => Ok(*len),
        (None, Some(files)) => {
            if files.is_empty() {
                return Err("it lists no files".into());
            }
            let mut total: u64 = 0;
            for f in files {
                total = total
                    .checked_add(f.length)
                    .ok_or("its file lengths add up to more than 2^64 bytes")?;
            }
            Ok(total)
        }
        (Some(_), Some(_)) => Err("it has both 'length' and 'files'".into()),
        (None, None) => Err("it has neither 'length' nor 'files'".into()),
    }
}

/// Every file path a plain, relative name, listed once.
fn check_paths<B: AsRef<[u8]>>(info: &TorrentMetaV1Info<B>) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for f in info.files.iter().flatten() {
        if !seen.insert(f.path.iter().map(|c| c.as_ref()).collect::<Vec<&[u8]>>()) {
            let shown: Vec<String> = f
                .path
                .iter()
                .map(|c| String::from_utf8_lossy(c.as_ref()).into_owned())
                .collect();
            return Err(format!(
                "it lists the file {:?} twice, and both cannot be saved under one name",
                shown.join("/")
            ));
        }
        if f.path.is_empty() {
            return Err("one of its files has an empty path".into());
        }
        if f.path.len() > 64 {
            return Err(format!("a file path has {} levels of folders", f.path.len()));
        }
        for c in &f.path {
            check_component(c.as_ref()).map_err(|p| {
                let shown: Vec<String> = f
                    .path
                    .iter()
                    .map(|c| String::from_utf8_lossy(c.as_ref()).into_owned())
                    .collect();
                format!("the file path {:?} {p}", shown.join("/"))
            })?;
        }
    }
    Ok(())
}

/// One name of a file or folder must stay a plain name inside the save path on any system.
fn check_component(c: &[u8]) -> Result<(), String> {
    let why = if c.is_empty() {
        "has an empty part"
    } else if c == b"." || c == b".." {
        "has a '.' or '..' part that would leave its folder"
    } else if c.contains(&b'/') || c.contains(&b'\\') {
        "has a path separator inside a name"
    } else if c.contains(&0) {
        "has a NUL byte"
    } else if c.len() > 255 {
        "has a name longer than 255 bytes"
    } else if c.len() == 2 && c[0].is_ascii_alphabetic() && c[1] == b':' {
        "looks like a Windows drive"
    } else if c.iter().any(|b| *b < 0x20) {
        "has control characters"
    } else {
        return Ok(());
    };
    Err(why.to_string())
}

/// Where the top-level bencode value of `b` ends, if it is whole. Bytes after it (a newline
/// added by an editor or a web server) are not part of the torrent: libtorrent and
/// Transmission ignore them, and so does bt2p-tui. Bounded: no recursion, one pass.
pub(super) fn bencode_end(b: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    loop {
        match *b.get(i)? {
            b'd' | b'l' => {
                depth += 1;
                i += 1;
            }
            b'e' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            b'i' => i += b[i..].iter().position(|c| *c == b'e')? + 1,
            b'0'..=b'9' => {
                let colon = i + b[i..].iter().position(|c| *c == b':')?;
                let len: usize = std::str::from_utf8(&b[i..colon]).ok()?.parse().ok()?;
                i = colon.checked_add(1)?.checked_add(len)?;
                if i > b.len() {
                    return None;
                }
            }
            _ => return None,
        }
        if depth == 0 {
            return Some(i);
        }
    }
}

/// A BitTorrent v2-only torrent: its info has `meta version` 2 and no v1 `pieces`.
pub(super) fn is_v2_only(b: &[u8]) -> bool {
    let has = |needle: &[u8]| b.windows(needle.len()).any(|w| w == needle);
    has(b"12:meta versioni2e") && !has(b"6:pieces")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_the_top_level_value() {
        assert_eq!(bencode_end(b"d1:ai1ee\n"), Some(8));
        assert_eq!(bencode_end(b"d4:infod6:lengthi3eee"), Some(21));
        assert_eq!(bencode_end(b"l4:spam3:egge"), Some(13));
        assert_eq!(bencode_end(b"d1:a"), None);
        assert_eq!(bencode_end(b"d5:abc"), None);
        assert_eq!(bencode_end(b"x"), None);
        assert_eq!(bencode_end(b"e"), None);
        assert_eq!(bencode_end(b"d99999999999999999999:a"), None);
        let deep = [vec![b'l'; 100_000], vec![b'e'; 100_000]].concat();
        assert_eq!(bencode_end(&deep), Some(200_000));
    }

    #[test]
    fn v2_only() {
        assert!(is_v2_only(b"d4:infod12:meta versioni2e9:file treedeee"));
        assert!(!is_v2_only(b"d4:infod12:meta versioni2e6:pieces0:ee"));
        assert!(!is_v2_only(b"d4:infod6:pieces0:ee"));
    }
}
