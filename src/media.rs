//! The file types the program knows, in one table: the MIME type it serves them with, what
//! they are (video, audio, subtitles), and whether players read an index at their end first.

pub mod duration;
pub mod ebml;
pub mod tracks;
pub mod walk;

/// What a file is to a player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Video,
    Audio,
    Subtitle,
    Other,
}

/// One file type, by extension (lower case, without the dot).
#[derive(Debug)]
pub struct Media {
    pub ext: &'static str,
    pub mime: &'static str,
    pub kind: Kind,
    /// A container whose index (MP4's moov, MKV's cues, AVI's idx1) players read from the end
    /// of the file right after its head.
    pub tail_index: bool,
}

pub const TORRENT_MIME: &str = "application/x-bittorrent";

const fn m(ext: &'static str, mime: &'static str, kind: Kind, tail_index: bool) -> Media {
    Media {
        ext,
        mime,
        kind,
        tail_index,
    }
}

use Kind::{Audio, Other, Subtitle, Video};

const TABLE: &[Media] = &[
    m("mkv", "video/x-matroska", Video, true),
    m("mp4", "video/mp4", Video, true),
    m("m4v", "video/mp4", Video, true),
    m("mov", "video/quicktime", Video, true),
    m("3gp", "video/3gpp", Video, true),
    m("webm", "video/webm", Video, true),
    m("avi", "video/x-msvideo", Video, true),
    m("wmv", "video/x-ms-wmv", Video, true),
    m("asf", "video/x-ms-asf", Video, true),
    // MPEG transport and program streams carry no index: players read them from the start.
    m("ts", "video/mp2t", Video, false),
    m("m2ts", "video/mp2t", Video, false),
    m("mpg", "video/mpeg", Video, false),
    m("mpeg", "video/mpeg", Video, false),
    m("flv", "video/x-flv", Video, false),
    m("ogv", "video/ogg", Video, false),
    m("mka", "audio/x-matroska", Audio, true),
    m("m4a", "audio/m4a", Audio, true),
    m("mp3", "audio/mpeg", Audio, false),
    m("flac", "audio/flac", Audio, false),
    m("ogg", "audio/ogg", Audio, false),
    m("opus", "audio/opus", Audio, false),
    m("aac", "audio/aac", Audio, false),
    m("wav", "audio/wav", Audio, false),
    // Subtitle formats players load from a URL.
    m("srt", "application/x-subrip", Subtitle, false),
    m("vtt", "text/vtt", Subtitle, false),
    m("ass", "text/x-ssa", Subtitle, false),
    m("ssa", "text/x-ssa", Subtitle, false),
    // MicroDVD text or VobSub data (with its `.idx` index): players look at the bytes, and a
    // browser shows the text. The generic tables say DVB subtitles, which these are not.
    m("sub", "text/plain", Subtitle, false),
    m("idx", "text/plain", Subtitle, false),
    m("torrent", TORRENT_MIME, Other, false),
];

/// The extension of the file a path names: `a.b/c.MKV` → `MKV`; none for `a.mkv/c`.
fn extension(path: &str) -> Option<&str> {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.').map(|(_, ext)| ext)
}

/// The table's entry for the file a path names, by its extension in any case.
pub fn lookup(path: &str) -> Option<&'static Media> {
    let ext = extension(path)?;
    TABLE.iter().find(|m| m.ext.eq_ignore_ascii_case(ext))
}

pub fn kind(path: &str) -> Kind {
    lookup(path).map_or(Kind::Other, |m| m.kind)
}

/// The Content-Type of a file: the table's, else the generic table's, else bytes.
pub fn mime_type(path: &str) -> &'static str {
    lookup(path)
        .map(|m| m.mime)
        .or_else(|| mime_guess::from_path(path).first_raw())
        .unwrap_or("application/octet-stream")
}

/// Containers whose players read an index at the end of the file before playing.
pub fn has_tail_index(path: &str) -> bool {
    lookup(path).is_some_and(|m| m.tail_index)
}

pub fn is_video(path: &str) -> bool {
    kind(path) == Kind::Video
}

/// Video or audio: what a playlist lists and a player is first pointed at.
pub fn is_media(path: &str) -> bool {
    matches!(kind(path), Kind::Video | Kind::Audio)
}

pub fn is_subtitle(path: &str) -> bool {
    kind(path) == Kind::Subtitle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_extension_in_lower_case() {
        for (i, a) in TABLE.iter().enumerate() {
            assert_eq!(a.ext, a.ext.to_ascii_lowercase());
            assert!(TABLE[i + 1..].iter().all(|b| b.ext != a.ext), "{}", a.ext);
        }
    }

    #[test]
    fn mime_types() {
        let cases = [
            ("a/B.MKV", "video/x-matroska"),
            ("x.mka", "audio/x-matroska"),
            ("x.mp4", "video/mp4"),
            ("x.m4v", "video/mp4"),
            ("x.webm", "video/webm"),
            ("x.avi", "video/x-msvideo"),
            ("x.ts", "video/mp2t"),
            ("x.m2ts", "video/mp2t"),
            ("x.mov", "video/quicktime"),
            ("x.mp3", "audio/mpeg"),
            ("x.flac", "audio/flac"),
            ("x.opus", "audio/opus"),
            ("x.srt", "application/x-subrip"),
            ("x.vtt", "text/vtt"),
            ("Subs/x.en.ASS", "text/x-ssa"),
            ("x.ssa", "text/x-ssa"),
            ("x.sub", "text/plain"),
            ("x.idx", "text/plain"),
            ("t.torrent", "application/x-bittorrent"),
            // Not in the table: the generic one answers, or nobody does.
            ("notes.txt", "text/plain"),
            ("cover.jpg", "image/jpeg"),
            ("noext", "application/octet-stream"),
            ("a.mkv/noext", "application/octet-stream"),
        ];
        for (path, want) in cases {
            assert_eq!(mime_type(path), want, "{path}");
        }
    }

    #[test]
    fn kinds_and_tail_indexes() {
        // path, video, media, subtitle, tail index
        let cases = [
            ("Show/S01E01.MKV", true, true, false, true),
            ("a.mp4", true, true, false, true),
            ("a.b/c.m2ts", true, true, false, false),
            ("x.mp3", false, true, false, false),
            ("x.m4a", false, true, false, true),
            ("a/B.SRT", false, false, true, false),
            ("x.sub", false, false, true, false),
            ("t.torrent", false, false, false, false),
            ("srt", false, false, false, false),
            ("a.mkv/c", false, false, false, false),
            ("noext", false, false, false, false),
        ];
        for (path, video, media, subtitle, tail) in cases {
            assert_eq!(is_video(path), video, "{path}");
            assert_eq!(is_media(path), media, "{path}");
            assert_eq!(is_subtitle(path), subtitle, "{path}");
            assert_eq!(has_tail_index(path), tail, "{path}");
        }
    }
}
