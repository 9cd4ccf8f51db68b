//! Subtitle files matched to the video they belong to, by name and by folder.
//!
//! A subtitle belongs to a video when, from the video's folder:
//! - it is named after the video, alone or with a suffix: `movie.srt`, `movie.en.srt`,
//!   `movie.eng.forced.srt`, `movie_en.srt`;
//! - it is in a `Subs`/`Subtitles` folder there, named after the video (`Subs/movie.en.srt`),
//!   or in a folder named after the video (`Subs/movie/2_English.srt`);
//! - the video is the only one of its folder, and the subtitle is there or in its `Subs`
//!   folder under any name (`Subs/English.srt`).
//!
//! Names compare without regard to ASCII case. When several videos' names fit, the longest
//! wins (`Movie.Part2.en.srt` belongs to `Movie.Part2.mkv`, not to `Movie.mkv`).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use crate::media::{is_subtitle, is_video};

/// Folder names release groups put subtitles in.
const SUBS_FOLDERS: &[&str] = &["subs", "subtitles", "sub", "subtitle"];

/// What may follow a video's name in its subtitle's name.
const SEPARATORS: &[u8] = b"._- ";

/// `a/b/c.en.srt` → (`a/b`, `c.en`, `srt`); the folder is empty at the top.
fn split(path: &str) -> (&str, &str, &str) {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let (name, ext) = file.rsplit_once('.').unwrap_or((file, ""));
    (dir, name, ext)
}

/// `a/b` → (`a`, `b`); (``, `a`) at the top.
fn parent(dir: &str) -> (&str, &str) {
    dir.rsplit_once('/').unwrap_or(("", dir))
}

fn is_subs_folder(name: &str) -> bool {
    SUBS_FOLDERS.contains(&name.to_ascii_lowercase().as_str())
}

/// One subtitle of a video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subtitle {
    /// The key the file was given with (a file index).
    pub key: usize,
    /// What tells it apart from the video's other subtitles: `en`, `eng.forced`, `2_English`;
    /// empty when it bears the video's name alone.
    pub label: String,
    /// The extension, lower case: `srt`, `ass`…
    pub ext: String,
}

impl Subtitle {
    /// A short name for lists: `en.srt`, `2_English.srt`, or `srt`.
    pub fn short(&self) -> String {
        if self.label.is_empty() {
            self.ext.clone()
        } else {
            format!("{}.{}", self.label, self.ext)
        }
    }
}

struct Video<'a> {
    key: usize,
    stem: &'a str,
}

/// Which subtitles belong to which video.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pairs {
    by_video: BTreeMap<usize, Vec<Subtitle>>,
    video_of: HashMap<usize, usize>,
}

impl Pairs {
    /// Pairs the files given as (key, path in the torrent).
    pub fn new<'a>(files: impl IntoIterator<Item = (usize, &'a str)>) -> Pairs {
        let mut videos: HashMap<&str, Vec<Video>> = HashMap::new();
        let mut subs = Vec::new();
        for (key, path) in files {
            if is_video(path) {
                let (dir, stem, _) = split(path);
                videos.entry(dir).or_default().push(Video { key, stem });
            } else if is_subtitle(path) {
                subs.push((key, path));
            }
        }
        let mut pairs = Pairs::default();
        for (key, path) in subs {
            let (dir, name, ext) = split(path);
            if let Some((video, label)) = find_video(&videos, dir, name) {
                pairs.video_of.insert(key, video);
                pairs.by_video.entry(video).or_default().push(Subtitle {
                    key,
                    label,
                    ext: ext.to_ascii_lowercase(),
                });
            }
        }
        for list in pairs.by_video.values_mut() {
            list.sort_by(|a, b| natural(&a.label, &b.label).then(a.ext.cmp(&b.ext)));
        }
        pairs
    }

    /// The subtitles of `video`, in natural order of their labels.
    pub fn of(&self, video: usize) -> &[Subtitle] {
        self.by_video.get(&video).map(Vec::as_slice).unwrap_or_default()
    }

    /// The video `subtitle` belongs to.
    pub fn video_of(&self, subtitle: usize) -> Option<usize> {
        self.video_of.get(&subtitle).copied()
    }

    /// A subtitle that belongs to a video, by its key.
    pub fn subtitle(&self, key: usize) -> Option<&Subtitle> {
        let video = self.video_of(key)?;
        self.of(video).iter().find(|s| s.key == key)
    }

    /// The subtitles to hand a player: a VobSub `.sub` is left out when its `.idx` is there,
    /// as the player opens the `.sub` through it.
    pub fn for_player(&self, video: usize) -> Vec<&Subtitle> {
        let subs = self.of(video);
        subs.iter()
            .filter(|s| !(s.ext == "sub" && subs.iter().any(|o| o.ext == "idx" && o.label == s.label)))
            .collect()
    }

    /// `keys` in the order to list them: each video followed by its subtitles, the other
    /// files where they were.
    pub fn listing_order(&self, keys: impl IntoIterator<Item = usize>) -> Vec<usize> {
        let mut out = Vec::new();
        for k in keys {
            if self.video_of.contains_key(&k) {
                continue;
            }
            out.push(k);
            out.extend(self.of(k).iter().map(|s| s.key));
        }
        out
    }
}

/// The video a subtitle in `dir` named `name` (without extension) belongs to, and its label.
fn find_video(videos: &HashMap<&str, Vec<Video>>, dir: &str, name: &str) -> Option<(usize, String)> {
    let in_dir = |d: &str| videos.get(d).map(Vec::as_slice).unwrap_or_default();
    let lone = |d: &str| match in_dir(d) {
        [v] => Some(v.key),
        _ => None,
    };
    // Next to the video.
    if let Some(found) = by_name(in_dir(dir), name) {
        return Some(found);
    }
    let (up, folder) = parent(dir);
    if !dir.is_empty() && is_subs_folder(folder) {
        // `Subs/movie.en.srt`, then `Subs/English.srt` next to a lone video.
        return by_name(in_dir(up), name).or_else(|| lone(up).map(|v| (v, name.to_string())));
    }
    let (top, subs) = parent(up);
    if !dir.is_empty() && !up.is_empty() && is_subs_folder(subs) {
        // `Subs/movie/2_English.srt`, then `Subs/English/movie.srt`, then a lone video.
        let videos = in_dir(top);
        if let Some(v) = best(videos, folder).filter(|(_, rest)| rest.is_none()) {
            return Some((v.0, name.to_string()));
        }
        if let Some((v, label)) = by_name(videos, name) {
            let label = if label.is_empty() {
                folder.to_string()
            } else {
                format!("{folder}.{label}")
            };
            return Some((v, label));
        }
        return lone(top).map(|v| (v, format!("{folder}/{name}")));
    }
    lone(dir).map(|v| (v, name.to_string()))
}

/// The video whose name `name` is, or starts with before a separator; with the label.
fn by_name(videos: &[Video], name: &str) -> Option<(usize, String)> {
    best(videos, name).map(|(v, rest)| (v, rest.unwrap_or_default().to_string()))
}

/// The longest video name that `name` is or starts with, and what follows its separator.
fn best<'n>(videos: &[Video], name: &'n str) -> Option<(usize, Option<&'n str>)> {
    let mut found: Option<(usize, usize, Option<&str>)> = None;
    for v in videos {
        let n = v.stem.len();
        let rest = if name.eq_ignore_ascii_case(v.stem) {
            None
        } else if name.len() > n + 1
            && name.is_char_boundary(n)
            && name[..n].eq_ignore_ascii_case(v.stem)
            && SEPARATORS.contains(&name.as_bytes()[n])
        {
            Some(&name[n + 1..])
        } else {
            continue;
        };
        if found.is_none_or(|(_, len, _)| n > len) {
            found = Some((v.key, n, rest));
        }
    }
    found.map(|(k, _, rest)| (k, rest))
}

/// Natural order (`Ep 2` before `Ep 10`), ignoring case first.
pub fn natural(a: &str, b: &str) -> Ordering {
    natord::compare_ignore_case(a, b).then_with(|| natord::compare(a, b))
}

/// Natural order of paths, folder by folder: `Season 2/…` before `Season 10/…`, and a
/// folder's files together.
pub fn natural_path(a: &str, b: &str) -> Ordering {
    let mut x = a.split('/');
    let mut y = b.split('/');
    loop {
        match (x.next(), y.next()) {
            (Some(p), Some(q)) => match natural(p, q) {
                Ordering::Equal => continue,
                o => return o,
            },
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (files, expected (subtitle, video, label) for every paired subtitle).
    fn check(files: &[&str], want: &[(&str, &str, &str)]) {
        let pairs = Pairs::new(files.iter().enumerate().map(|(i, p)| (i, *p)));
        let key = |p: &str| files.iter().position(|f| *f == p).unwrap();
        let mut got: Vec<(String, String, String)> = Vec::new();
        for (v, subs) in &pairs.by_video {
            for s in subs {
                got.push((files[s.key].into(), files[*v].into(), s.label.clone()));
                assert_eq!(pairs.video_of(s.key), Some(*v));
            }
        }
        got.sort();
        let mut want: Vec<(String, String, String)> = want
            .iter()
            .map(|(s, v, l)| {
                key(s);
                key(v);
                (s.to_string(), v.to_string(), l.to_string())
            })
            .collect();
        want.sort();
        assert_eq!(got, want, "{files:?}");
    }

    #[test]
    fn pairing() {
        // (files, every (subtitle, video, label) expected)
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str, &'a str)]);
        let table: &[Case] = &[
            // Same name, with and without language suffixes; case does not matter.
            (
                &[
                    "movie.mkv",
                    "movie.srt",
                    "movie.en.srt",
                    "Movie.ENG.forced.ass",
                    "movie_fr.vtt",
                ],
                &[
                    ("movie.srt", "movie.mkv", ""),
                    ("movie.en.srt", "movie.mkv", "en"),
                    ("Movie.ENG.forced.ass", "movie.mkv", "ENG.forced"),
                    ("movie_fr.vtt", "movie.mkv", "fr"),
                ],
            ),
            // A Subs folder next to the video, by name.
            (
                &[
                    "Film/Film.2020.mkv",
                    "Film/Subs/Film.2020.en.srt",
                    "Film/subtitles/Film.2020.de.ssa",
                ],
                &[
                    ("Film/Subs/Film.2020.en.srt", "Film/Film.2020.mkv", "en"),
                    ("Film/subtitles/Film.2020.de.ssa", "Film/Film.2020.mkv", "de"),
                ],
            ),
            // The release layout Subs/<video name>/N_Language.srt, in a season pack.
            (
                &[
                    "S01/Show.S01E01.mkv",
                    "S01/Show.S01E02.mkv",
                    "S01/Subs/Show.S01E01/2_English.srt",
                    "S01/Subs/Show.S01E01/3_French.srt",
                    "S01/Subs/Show.S01E02/2_English.srt",
                ],
                &[
                    (
                        "S01/Subs/Show.S01E01/2_English.srt",
                        "S01/Show.S01E01.mkv",
                        "2_English",
                    ),
                    (
                        "S01/Subs/Show.S01E01/3_French.srt",
                        "S01/Show.S01E01.mkv",
                        "3_French",
                    ),
                    (
                        "S01/Subs/Show.S01E02/2_English.srt",
                        "S01/Show.S01E02.mkv",
                        "2_English",
                    ),
                ],
            ),
            // A lone video takes the folder's subtitles and its Subs folder's, whatever their names.
            (
                &[
                    "Movie (2001)/movie-1080p.mp4",
                    "Movie (2001)/Subs/English.srt",
                    "Movie (2001)/english.sub",
                    "Movie (2001)/english.idx",
                ],
                &[
                    (
                        "Movie (2001)/Subs/English.srt",
                        "Movie (2001)/movie-1080p.mp4",
                        "English",
                    ),
                    (
                        "Movie (2001)/english.sub",
                        "Movie (2001)/movie-1080p.mp4",
                        "english",
                    ),
                    (
                        "Movie (2001)/english.idx",
                        "Movie (2001)/movie-1080p.mp4",
                        "english",
                    ),
                ],
            ),
            // The longest name wins; Ep 1 does not take Ep 10's.
            (
                &[
                    "Movie.mkv",
                    "Movie.Part2.mkv",
                    "Movie.Part2.en.srt",
                    "Movie.en.srt",
                    "Ep 1.mkv",
                    "Ep 10.mkv",
                    "Ep 10.srt",
                ],
                &[
                    ("Movie.Part2.en.srt", "Movie.Part2.mkv", "en"),
                    ("Movie.en.srt", "Movie.mkv", "en"),
                    ("Ep 10.srt", "Ep 10.mkv", ""),
                ],
            ),
            // Nothing to pair: two videos and a subtitle named after neither; a subtitle in
            // another folder; audio files are not videos.
            (
                &["a.mkv", "b.mkv", "c.srt", "other/a.srt", "song.mp3", "song.srt"],
                &[],
            ),
            // Subs/<language>/<video name>.srt.
            (
                &["x/A.mkv", "x/B.mkv", "x/Subs/Spanish/B.srt"],
                &[("x/Subs/Spanish/B.srt", "x/B.mkv", "Spanish")],
            ),
            // At the top of the torrent, and a non-subtitle next to the video.
            (
                &["v.webm", "Subs/v.en.vtt", "v.nfo"],
                &[("Subs/v.en.vtt", "v.webm", "en")],
            ),
        ];
        for (files, want) in table {
            check(files, want);
        }
    }

    #[test]
    fn listing_puts_subtitles_under_their_video() {
        let files = [
            "a.en.srt",
            "a.mkv",
            "b.mkv",
            "notes.txt",
            "Subs/b.fr.srt",
            "Subs/b.de.srt",
            "z.srt",
        ];
        let pairs = Pairs::new(files.iter().enumerate().map(|(i, p)| (i, *p)));
        assert_eq!(pairs.listing_order(0..files.len()), vec![1, 0, 2, 5, 4, 3, 6]);
        assert_eq!(pairs.of(2)[0].short(), "de.srt");
        assert_eq!(pairs.of(1)[0].short(), "en.srt");
        assert!(pairs.of(3).is_empty());
        assert_eq!(pairs.video_of(6), None);
        assert_eq!(pairs.subtitle(4).map(|s| s.label.as_str()), Some("fr"));
        assert_eq!(pairs.subtitle(6), None);
    }

    #[test]
    fn players_get_the_vobsub_index_not_its_data() {
        let files = ["m.mkv", "m.idx", "m.sub", "m.en.sub"];
        let pairs = Pairs::new(files.iter().enumerate().map(|(i, p)| (i, *p)));
        let keys: Vec<usize> = pairs.for_player(0).iter().map(|s| s.key).collect();
        assert_eq!(keys, vec![1, 3]);
    }

    #[test]
    fn kinds_and_order() {
        assert!(is_subtitle("a/B.SRT") && is_subtitle("x.sub") && !is_subtitle("srt"));
        assert!(is_video("a.b/c.MKV") && !is_video("a.mkv/c") && !is_video("x.mp3"));
        assert!(
            crate::media::is_media("x.mp3")
                && crate::media::is_media("x.m2ts")
                && !crate::media::is_media("x.srt")
        );
        let mut v = vec![
            "S10/e1.mkv",
            "S2/e10.mkv",
            "S2/e2.mkv",
            "s2/E3.mkv",
            "S2 extra/a.mkv",
        ];
        v.sort_by(|a, b| natural_path(a, b));
        assert_eq!(
            v,
            vec![
                "S2/e2.mkv",
                "S2/e10.mkv",
                "s2/E3.mkv",
                "S2 extra/a.mkv",
                "S10/e1.mkv"
            ]
        );
    }
}
