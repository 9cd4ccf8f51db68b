//! The files as every front end lists them, decided once when the files are known: the
//! dashboard, the index page, the headless URLs and `--qr`, the playlist and the next episode
//! fetched ahead all read this.

use std::collections::{BTreeMap, HashSet};

use crate::media;
use crate::subtitles::{self, Pairs};
use serde::Serialize;

/// A file of the torrent as every front end shows it: where it lies in the pieces, how much is
/// verified, who plays it, what its container says.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FileSnap {
    pub index: usize,
    pub path: String,
    pub length: u64,
    pub offset: u64,
    pub progress_bytes: u64,
    pub first_piece: u32,
    /// One past the last piece.
    pub end_piece: u32,
    /// BEP 47 padding files are kept for their index but never shown or served.
    pub padding: bool,
    pub players: u32,
    /// What the container declares, once its header has been downloaded.
    pub duration_secs: Option<f64>,
    /// Fetched ahead as the next file of the playlist: `fetching`, then `ready`.
    pub prefetch: Option<Prefetch>,
    /// The subtitle tracks inside the file, once its container's header has been read.
    pub subtitle_tracks: Vec<crate::media::tracks::SubtitleTrack>,
}

impl FileSnap {
    /// File `index` at `path`, `length` bytes from `offset` in a torrent of `piece_len`-byte
    /// pieces, with nothing downloaded, played or read yet.
    pub fn new(index: usize, path: &str, offset: u64, length: u64, piece_len: u64) -> FileSnap {
        let piece_len = piece_len.max(1);
        FileSnap {
            index,
            path: path.to_string(),
            length,
            offset,
            progress_bytes: 0,
            first_piece: (offset / piece_len) as u32,
            end_piece: (offset + length).div_ceil(piece_len) as u32,
            padding: false,
            players: 0,
            duration_secs: None,
            prefetch: None,
            subtitle_tracks: Vec::new(),
        }
    }

    /// Listed, played and served: every file but BEP 47's padding.
    pub fn shown(&self) -> bool {
        !self.padding
    }
}

/// Where a file fetched ahead stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prefetch {
    /// Its head or tail is still missing.
    Fetching,
    /// Its head and tail are verified.
    Ready,
}

#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Every file shown (no padding): natural order folder by folder (`Ep 2` before `Ep 10`),
    /// each video followed by its subtitles.
    pub order: Vec<usize>,
    /// The video and audio files in that order: the playlist.
    pub playlist: Vec<usize>,
    /// What the user came for: the first video or audio file, else the first file.
    pub first_to_play: Option<usize>,
    /// The path each SRT, ASS and SSA file is also served under as WebVTT, by file index: its
    /// stem's `.vtt` unless a file of the torrent or another twin has that name.
    pub webvtt: BTreeMap<usize, String>,
}

impl Listing {
    pub fn new(files: &[FileSnap], pairs: &Pairs) -> Listing {
        let mut shown: Vec<&FileSnap> = files.iter().filter(|f| f.shown()).collect();
        shown.sort_by(|a, b| subtitles::natural_path(&a.path, &b.path));
        let order = pairs.listing_order(shown.into_iter().map(|f| f.index));
        let is_media = |i: &usize| files.get(*i).is_some_and(|f| media::is_media(&f.path));
        let playlist: Vec<usize> = order.iter().copied().filter(is_media).collect();
        let first_to_play = playlist.first().or(order.first()).copied();
        Listing {
            order,
            playlist,
            first_to_play,
            webvtt: webvtt_twins(files),
        }
    }

    /// The subtitle file whose WebVTT twin is at `path`.
    pub fn webvtt_of(&self, path: &str) -> Option<usize> {
        self.webvtt.iter().find(|(_, p)| *p == path).map(|(i, _)| *i)
    }

    /// The file after `file` in the playlist.
    pub fn next_in_playlist(&self, file: usize) -> Option<usize> {
        let at = self.playlist.iter().position(|i| *i == file)?;
        self.playlist.get(at + 1).copied()
    }
}

fn webvtt_twins(files: &[FileSnap]) -> BTreeMap<usize, String> {
    let shown = || files.iter().filter(|f| f.shown());
    let mut taken: HashSet<String> = shown().map(|f| f.path.clone()).collect();
    let mut twins = BTreeMap::new();
    for f in shown() {
        let Some(names) = crate::webvtt::twin_names(&f.path) else {
            continue;
        };
        if let Some(name) = names.into_iter().find(|n| !taken.contains(n)) {
            taken.insert(name.clone());
            twins.insert(f.index, name);
        }
    }
    twins
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> Vec<FileSnap> {
        paths
            .iter()
            .enumerate()
            .map(|(i, p)| FileSnap {
                padding: p.starts_with(".pad/"),
                ..FileSnap::new(i, p, 10 * i as u64, 10, 10)
            })
            .collect()
    }

    fn listing(paths: &[&str]) -> Listing {
        let f = files(paths);
        let pairs = Pairs::new(f.iter().filter(|f| f.shown()).map(|f| (f.index, f.path.as_str())));
        Listing::new(&f, &pairs)
    }

    #[test]
    fn natural_order_with_subtitles_under_their_video() {
        // As a torrent lists them: byte order, Ep 10 before Ep 2.
        let l = listing(&[
            "Show/Ep 1.mkv",
            "Show/Ep 10.mkv",
            "Show/Ep 2.en.srt",
            "Show/Ep 2.mkv",
            ".pad/1",
            "Show/notes.txt",
        ]);
        assert_eq!(l.order, vec![0, 3, 2, 1, 5]);
        assert_eq!(l.playlist, vec![0, 3, 1]);
        assert_eq!(l.first_to_play, Some(0));
        assert_eq!(l.next_in_playlist(0), Some(3));
        assert_eq!(l.next_in_playlist(3), Some(1));
        assert_eq!(l.next_in_playlist(1), None);
        assert_eq!(l.next_in_playlist(2), None, "a subtitle is no episode");
    }

    #[test]
    fn each_subtitle_has_a_webvtt_twin_of_its_own() {
        let l = listing(&["m.mkv", "m.srt", "m.ass", "n.srt", "n.vtt", "o.sub"]);
        assert_eq!(l.webvtt.get(&1).map(String::as_str), Some("m.vtt"));
        assert_eq!(
            l.webvtt.get(&2).map(String::as_str),
            Some("m.ass.vtt"),
            "m.vtt is the SRT's"
        );
        assert_eq!(
            l.webvtt.get(&3).map(String::as_str),
            Some("n.srt.vtt"),
            "n.vtt is a real file"
        );
        assert_eq!(l.webvtt.get(&5), None, "VobSub is not converted");
        assert_eq!(l.webvtt_of("m.ass.vtt"), Some(2));
        assert_eq!(l.webvtt_of("n.vtt"), None);
    }

    #[test]
    fn the_first_to_play_is_the_first_video_in_natural_order() {
        let l = listing(&["Ep 10.mkv", "Ep 2.mkv", "a.nfo"]);
        assert_eq!(l.first_to_play, Some(1), "Ep 2, not Ep 10 (the torrent's first)");
        let l = listing(&["b.txt", "a.txt"]);
        assert_eq!(l.first_to_play, Some(1), "no media: the first file listed");
        assert_eq!(listing(&[]).first_to_play, None);
    }
}
