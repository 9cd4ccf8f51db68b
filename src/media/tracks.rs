//! The subtitle tracks a container carries inside it, read from its header as the duration
//! is: Matroska/WebM (`Segment/Tracks`, in the head) and MP4/MOV (`moov/trak`, at the head or
//! the tail). No ffprobe: only the bytes already downloaded.

use serde::Serialize;

use super::ebml;
use super::walk::{self, ReadAt, SegmentChild};

/// One embedded subtitle track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SubtitleTrack {
    /// Its number in the container (Matroska's TrackNumber, MP4's track_ID).
    pub number: u64,
    /// ISO 639-2 (`eng`) or BCP 47 (`en-US`), when the container says.
    pub language: Option<String>,
    pub name: Option<String>,
    /// What it is: `srt`, `ass`, `webvtt`, `mov_text`, `pgs`, `vobsub`, `dvb`, or the
    /// container's own codec name.
    pub codec: String,
    pub forced: bool,
}

/// Matroska IDs of a track entry's fields.
mod id {
    pub const CODEC_ID: u32 = 0x86;
    pub const LANGUAGE: u32 = 0x22_B59C;
    pub const LANGUAGE_BCP47: u32 = 0x22_B59D;
    pub const NAME: u32 = 0x536E;
    pub const FLAG_FORCED: u32 = 0x55AA;
}

/// Matroska's TrackType of subtitles.
const SUBTITLE: u64 = 0x11;
/// Bytes of a Matroska head searched for the Tracks.
const MKV_HEAD: u64 = 256 * 1024;
/// The largest `moov` read.
const MAX_MOOV: u64 = 16 * 1024 * 1024;
const MAX_BOXES: usize = 256;

/// The subtitle tracks inside the file, once its header is readable (an empty list when it
/// has none); None while the header is missing or the file is no container known here.
pub fn subtitle_tracks(file_len: u64, read: &mut ReadAt) -> Option<Vec<SubtitleTrack>> {
    let head = read(0, 12.min(file_len as usize))?;
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        matroska(file_len, read)
    } else if head.len() >= 8 && super::duration::is_mp4_box(&head[4..8]) {
        mp4(file_len, read)
    } else {
        None
    }
}

fn matroska(file_len: u64, read: &mut ReadAt) -> Option<Vec<SubtitleTrack>> {
    let head = read(0, MKV_HEAD.min(file_len) as usize)?;
    match walk::segment_child(&head, ebml::id::TRACKS)? {
        SegmentChild::Found(tracks) => Some(mkv_tracks(tracks)),
        SegmentChild::NotBeforeMedia => Some(Vec::new()),
    }
}

fn mkv_tracks(b: &[u8]) -> Vec<SubtitleTrack> {
    let entries = ebml::children(b).unwrap_or_default();
    let text = |e: &[u8], id: u32| {
        ebml::child(e, id)
            .map(|c| String::from_utf8_lossy(c.data).trim_end_matches('\0').to_string())
            .filter(|s| !s.is_empty())
    };
    entries
        .iter()
        .filter(|e| e.id == ebml::id::TRACK_ENTRY)
        .filter(|e| ebml::child(e.data, ebml::id::TRACK_TYPE).is_some_and(|t| ebml::uint(t.data) == SUBTITLE))
        .map(|e| {
            let codec = text(e.data, id::CODEC_ID).unwrap_or_default();
            SubtitleTrack {
                number: ebml::child(e.data, ebml::id::TRACK_NUMBER).map_or(0, |n| ebml::uint(n.data)),
                language: text(e.data, id::LANGUAGE_BCP47).or_else(|| text(e.data, id::LANGUAGE)),
                name: text(e.data, id::NAME),
                codec: mkv_codec(&codec),
                forced: ebml::child(e.data, id::FLAG_FORCED).is_some_and(|f| ebml::uint(f.data) == 1),
            }
        })
        .collect()
}

fn mkv_codec(id: &str) -> String {
    match id {
        "S_TEXT/UTF8" | "S_TEXT/ASCII" => "srt",
        "S_TEXT/ASS" | "S_TEXT/SSA" | "S_ASS" | "S_SSA" => "ass",
        "S_TEXT/WEBVTT" | "D_WEBVTT/SUBTITLES" => "webvtt",
        "S_HDMV/PGS" => "pgs",
        "S_VOBSUB" => "vobsub",
        "S_DVBSUB" => "dvb",
        other => other,
    }
    .to_string()
}

/// An MP4 box at `at`: (type, where its body starts, where it ends).
fn mp4_box(b: &[u8], at: usize) -> Option<([u8; 4], usize, usize)> {
    let h = b.get(at..at + 8)?;
    let kind: [u8; 4] = h[4..8].try_into().ok()?;
    let (size, header) = match walk::be(&h[..4]) {
        0 => ((b.len() - at) as u64, 8),
        1 => (walk::be(b.get(at + 8..at + 16)?), 16),
        n => (n, 8),
    };
    let end = at.checked_add(usize::try_from(size).ok()?)?;
    (size >= header as u64 && end <= b.len()).then_some((kind, at + header, end))
}

/// The boxes directly inside `b[start..end]`.
fn boxes(b: &[u8], start: usize, end: usize) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end && out.len() < MAX_BOXES {
        let Some(found) = mp4_box(&b[..end], at) else {
            break;
        };
        at = found.2;
        out.push(found);
    }
    out
}

fn find(b: &[u8], start: usize, end: usize, kind: &[u8; 4]) -> Option<(usize, usize)> {
    boxes(b, start, end)
        .into_iter()
        .find(|(k, _, _)| k == kind)
        .map(|(_, s, e)| (s, e))
}

fn mp4(file_len: u64, read: &mut ReadAt) -> Option<Vec<SubtitleTrack>> {
    let (at, size, header) = walk::mp4_box(file_len, read, b"moov", MAX_BOXES)?;
    if size > MAX_MOOV {
        return None;
    }
    let moov = read(at, usize::try_from(size).ok()?)?;
    Some(mp4_tracks(&moov, header as usize))
}

fn mp4_tracks(moov: &[u8], body: usize) -> Vec<SubtitleTrack> {
    let traks: Vec<(usize, usize)> = boxes(moov, body, moov.len())
        .into_iter()
        .filter(|(k, _, _)| k == b"trak")
        .map(|(_, s, e)| (s, e))
        .collect();
    // QuickTime keeps chapter titles in text tracks that others name in `tref/chap`.
    let chapters: Vec<u64> = traks
        .iter()
        .filter_map(|(s, e)| find(moov, *s, *e, b"tref"))
        .filter_map(|(s, e)| find(moov, s, e, b"chap"))
        .flat_map(|(s, e)| moov[s..e].chunks_exact(4).map(walk::be).collect::<Vec<_>>())
        .collect();
    traks
        .into_iter()
        .filter_map(|(s, e)| mp4_track(moov, s, e))
        .filter(|t| !chapters.contains(&t.number))
        .collect()
}

fn mp4_track(b: &[u8], start: usize, end: usize) -> Option<SubtitleTrack> {
    let (mdia, mdia_end) = find(b, start, end, b"mdia")?;
    let (hdlr, _) = find(b, mdia, mdia_end, b"hdlr")?;
    let handler = b.get(hdlr + 8..hdlr + 12)?;
    if !matches!(handler, b"sbtl" | b"subt" | b"text" | b"clcp") {
        return None;
    }
    let number = find(b, start, end, b"tkhd").and_then(|(t, _)| match b.get(t)? {
        0 => Some(walk::be(b.get(t + 12..t + 16)?)),
        _ => Some(walk::be(b.get(t + 20..t + 24)?)),
    });
    let language = find(b, mdia, mdia_end, b"mdhd").and_then(|(m, _)| {
        let at = if *b.get(m)? == 0 { m + 20 } else { m + 32 };
        let packed = walk::be(b.get(at..at + 2)?) as u16;
        let code: String = [10u16, 5, 0]
            .iter()
            .map(|shift| char::from(((packed >> shift) & 0x1F) as u8 + 0x60))
            .collect();
        (code.chars().all(|c| c.is_ascii_lowercase()) && code != "und").then_some(code)
    });
    let codec = find(b, mdia, mdia_end, b"minf")
        .and_then(|(m, me)| find(b, m, me, b"stbl"))
        .and_then(|(s, se)| find(b, s, se, b"stsd"))
        .and_then(|(d, de)| boxes(b, d + 8, de).first().map(|(k, _, _)| *k));
    let codec = match codec.as_ref().map(|c| &c[..]) {
        Some(b"tx3g") | Some(b"text") => "mov_text".to_string(),
        Some(b"wvtt") => "webvtt".to_string(),
        Some(b"stpp") => "ttml".to_string(),
        Some(b"c608") => "cea608".to_string(),
        Some(other) => String::from_utf8_lossy(other).into_owned(),
        None => String::new(),
    };
    Some(SubtitleTrack {
        number: number.unwrap_or(0),
        language,
        name: None,
        codec,
        forced: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: &[u8]) -> impl FnMut(u64, usize) -> Option<Vec<u8>> + '_ {
        move |at, len| {
            let end = at as usize + len;
            (end <= bytes.len()).then(|| bytes[at as usize..end].to_vec())
        }
    }

    fn track(number: u8, kind: u8, codec: &str, lang: &str, forced: bool) -> Vec<u8> {
        let mut e = ebml::element(ebml::id::TRACK_NUMBER, &[number]);
        e.extend(ebml::element(ebml::id::TRACK_TYPE, &[kind]));
        e.extend(ebml::element(id::CODEC_ID, codec.as_bytes()));
        e.extend(ebml::element(id::LANGUAGE, lang.as_bytes()));
        if forced {
            e.extend(ebml::element(id::FLAG_FORCED, &[1]));
        }
        ebml::element(ebml::id::TRACK_ENTRY, &e)
    }

    #[test]
    fn matroska_subtitle_tracks_among_the_others() {
        let mut tracks = track(1, 1, "V_VP8", "und", false);
        tracks.extend(track(2, 2, "A_VORBIS", "eng", false));
        tracks.extend(track(3, 0x11, "S_TEXT/UTF8", "eng", false));
        tracks.extend(track(4, 0x11, "S_TEXT/ASS", "fre", true));
        let mut segment = ebml::element(ebml::id::INFO, &[]);
        segment.extend(ebml::element(ebml::id::TRACKS, &tracks));
        segment.extend(ebml::element(ebml::id::CLUSTER, &[0; 8]));
        let mut file = ebml::element(ebml::id::EBML, &[]);
        file.extend(ebml::element(ebml::id::SEGMENT, &segment));
        let got = subtitle_tracks(file.len() as u64, &mut reader(&file)).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].number, got[0].codec.as_str(), got[0].language.as_deref()),
            (3, "srt", Some("eng"))
        );
        assert_eq!((got[1].codec.as_str(), got[1].forced), ("ass", true));
        // No Tracks before the first Cluster: none inside.
        let mut file = ebml::element(ebml::id::EBML, &[]);
        file.extend(ebml::element(
            ebml::id::SEGMENT,
            &ebml::element(ebml::id::CLUSTER, &[0; 8]),
        ));
        assert_eq!(
            subtitle_tracks(file.len() as u64, &mut reader(&file)),
            Some(Vec::new())
        );
        // Cut short: not known yet.
        assert_eq!(subtitle_tracks(file.len() as u64, &mut |_, _| None), None);
    }

    fn b(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    fn trak(id: u32, handler: &[u8; 4], lang: &str, format: &[u8; 4]) -> Vec<u8> {
        let mut tkhd = vec![0u8; 84];
        tkhd[12..16].copy_from_slice(&id.to_be_bytes());
        let mut mdhd = vec![0u8; 24];
        let l: Vec<u16> = lang.bytes().map(|c| u16::from(c - 0x60)).collect();
        mdhd[20..22].copy_from_slice(&((l[0] << 10) | (l[1] << 5) | l[2]).to_be_bytes());
        let mut hdlr = vec![0u8; 24];
        hdlr[8..12].copy_from_slice(handler);
        let mut stsd = vec![0, 0, 0, 0, 0, 0, 0, 1];
        stsd.extend(b(format, &[0; 16]));
        let stbl = b(b"stbl", &b(b"stsd", &stsd));
        let minf = b(b"minf", &stbl);
        let mut mdia = b(b"mdhd", &mdhd);
        mdia.extend(b(b"hdlr", &hdlr));
        mdia.extend(minf);
        let mut t = b(b"tkhd", &tkhd);
        t.extend(b(b"mdia", &mdia));
        b(b"trak", &t)
    }

    #[test]
    fn mp4_text_tracks_at_the_tail() {
        let mut moov = b(b"mvhd", &[0; 100]);
        moov.extend(trak(1, b"vide", "und", b"avc1"));
        moov.extend(trak(2, b"sbtl", "eng", b"tx3g"));
        moov.extend(trak(3, b"text", "jpn", b"wvtt"));
        let mut file = b(b"ftyp", b"isom");
        file.extend(b(b"mdat", &[7; 300]));
        file.extend(b(b"moov", &moov));
        let got = subtitle_tracks(file.len() as u64, &mut reader(&file)).unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        // A text track that the video names as its chapters is no subtitle.
        let mut chaptered = b(b"mvhd", &[0; 100]);
        let mut video = trak(1, b"vide", "und", b"avc1");
        let tref = b(b"tref", &b(b"chap", &4u32.to_be_bytes()));
        let len = u32::from_be_bytes(video[..4].try_into().unwrap()) + tref.len() as u32;
        video[..4].copy_from_slice(&len.to_be_bytes());
        video.extend(tref);
        chaptered.extend(video);
        chaptered.extend(trak(2, b"sbtl", "eng", b"tx3g"));
        chaptered.extend(trak(4, b"text", "eng", b"text"));
        let mut f2 = b(b"ftyp", b"isom");
        f2.extend(b(b"moov", &chaptered));
        let only: Vec<u64> = subtitle_tracks(f2.len() as u64, &mut reader(&f2))
            .unwrap()
            .iter()
            .map(|t| t.number)
            .collect();
        assert_eq!(only, vec![2]);
        assert_eq!(
            (got[0].number, got[0].codec.as_str(), got[0].language.as_deref()),
            (2, "mov_text", Some("eng"))
        );
        assert_eq!(
            (got[1].number, got[1].codec.as_str(), got[1].language.as_deref()),
            (3, "webvtt", Some("jpn"))
        );
        let mut head_only =
            |at: u64, n: usize| (at as usize + n <= 320).then(|| file[at as usize..at as usize + n].to_vec());
        assert_eq!(
            subtitle_tracks(file.len() as u64, &mut head_only),
            None,
            "moov not there yet"
        );
    }
}
