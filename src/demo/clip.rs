//! The clip the demo video is made of, cut into the pieces each copy repeats.
//!
//! `assets/demo-clip.mkv` (3.2 s, 1280×720 H.264 at about 4.9 Mbit/s with a key frame every
//! 0.8 s, mono AAC at 32 kHz) was made once with
//! `ffmpeg -f lavfi -i testsrc=size=1280x720:rate=25:duration=3.2
//!  -f lavfi -i sine=frequency=440:sample_rate=32000:duration=3.2
//!  -filter_complex '[0:v]noise=alls=12:allf=t+u,format=yuv420p[v]' -map '[v]' -map 1:a
//!  -c:v libx264 -b:v 4500k -maxrate 4500k -bufsize 4500k
//!  -x264-params keyint=20:min-keyint=20:scenecut=0:bframes=0
//!  -c:a aac -b:a 96k -ac 1 -write_crc32 0 -fflags +bitexact -t 3.2 demo-clip.mkv`
//! (the noise makes the bitrate real picture data, not padding).

use crate::media::ebml::{self, id};

/// The clip looped to make the demo video.
pub const CLIP: &[u8] = include_bytes!("../../assets/demo-clip.mkv");
/// The clip's length: 80 video frames of 40 ms, 100 audio frames of 32 ms.
pub const CLIP_MS: u64 = 3200;
/// Matroska timestamps in milliseconds.
pub const TIMESTAMP_SCALE: u64 = 1_000_000;

/// What is wrong with a clip that cannot be looped.
#[derive(Debug, thiserror::Error)]
#[error("the embedded demo clip cannot be used: {0}")]
pub struct BadClip(&'static str);

/// The clip's blocks from one key frame to the next, as written in every copy.
pub struct ClusterTpl {
    /// Start within the clip, in ms.
    pub ts: u64,
    /// SimpleBlock elements, their timestamps relative to `ts`.
    pub blocks: Vec<u8>,
}

/// What each copy of the clip repeats.
pub struct Clip {
    /// The Tracks element, as it is.
    pub tracks: Vec<u8>,
    /// Tracks with a cue at every Cluster, the video first: a player seeking with only audio
    /// on (`mpv --no-video`, `cvlc --no-video`) finds its way too.
    pub cue_tracks: Vec<u64>,
    pub clusters: Vec<ClusterTpl>,
}

impl Clip {
    /// `clip` (a Matroska file), `clip_ms` long from its first key frame, one ClusterTpl per
    /// key frame.
    pub fn parse(clip: &[u8], clip_ms: u64) -> Result<Clip, BadClip> {
        let top = ebml::children(clip).ok_or(BadClip("not EBML"))?;
        let segment = top
            .iter()
            .find(|e| e.id == id::SEGMENT)
            .ok_or(BadClip("no Segment"))?;
        let parts = ebml::children(segment.data).ok_or(BadClip("a broken Segment"))?;
        let scale = parts
            .iter()
            .find(|e| e.id == id::INFO)
            .and_then(|info| ebml::child(info.data, id::TIMESTAMP_SCALE))
            .map_or(TIMESTAMP_SCALE, |e| ebml::uint(e.data));
        if scale != TIMESTAMP_SCALE {
            return Err(BadClip("timestamps not in milliseconds"));
        }
        let tracks = parts
            .iter()
            .find(|e| e.id == id::TRACKS)
            .ok_or(BadClip("no Tracks"))?;
        let (video_track, cue_tracks) = track_numbers(tracks)?;
        let blocks = blocks(&parts, video_track)?;
        Ok(Clip {
            tracks: tracks.raw.to_vec(),
            cue_tracks,
            clusters: cut(blocks, clip_ms)?,
        })
    }
}

/// The video track's number, and every track's with the video first.
fn track_numbers(tracks: &ebml::Element<'_>) -> Result<(u64, Vec<u64>), BadClip> {
    let entries: Vec<_> = ebml::children(tracks.data)
        .ok_or(BadClip("broken Tracks"))?
        .into_iter()
        .filter(|t| t.id == id::TRACK_ENTRY)
        .collect();
    let number = |t: &ebml::Element<'_>| ebml::child(t.data, id::TRACK_NUMBER).map(|n| ebml::uint(n.data));
    let video_track = entries
        .iter()
        .find(|t| ebml::child(t.data, id::TRACK_TYPE).is_some_and(|k| ebml::uint(k.data) == 1))
        .and_then(number)
        .ok_or(BadClip("no video track"))?;
    let mut cue_tracks: Vec<u64> = entries.iter().filter_map(number).collect();
    cue_tracks.sort_by_key(|&n| n != video_track);
    if cue_tracks.iter().any(|&n| n > 0xFF) {
        return Err(BadClip("track numbers above 255"));
    }
    Ok((video_track, cue_tracks))
}

/// A SimpleBlock of the clip.
struct Block<'a> {
    /// A video key frame.
    key: bool,
    /// Its timestamp in the clip, in ms.
    ts: i64,
    data: &'a [u8],
    /// Where its relative timestamp is in `data`.
    ts_at: usize,
}

/// Every SimpleBlock of the clip's Clusters, in order.
fn blocks<'a>(parts: &[ebml::Element<'a>], video_track: u64) -> Result<Vec<Block<'a>>, BadClip> {
    let mut blocks = Vec::new();
    for cluster in parts.iter().filter(|e| e.id == id::CLUSTER) {
        let els = ebml::children(cluster.data).ok_or(BadClip("a broken Cluster"))?;
        let base = els
            .iter()
            .find(|e| e.id == id::TIMESTAMP)
            .map(|e| ebml::uint(e.data))
            .ok_or(BadClip("a Cluster without Timestamp"))?;
        for block in els.iter().filter(|e| e.id == id::SIMPLE_BLOCK) {
            let (track, n) = ebml::vint(block.data, false).ok_or(BadClip("a broken block"))?;
            let head = block.data.get(n..n + 3).ok_or(BadClip("a short block"))?;
            blocks.push(Block {
                key: track == video_track && head[2] & 0x80 != 0,
                ts: base as i64 + i64::from(i16::from_be_bytes([head[0], head[1]])),
                data: block.data,
                ts_at: n,
            });
        }
    }
    Ok(blocks)
}

/// The blocks from the first key frame on, cut into one ClusterTpl per key frame. The audio
/// encoder's priming frame before that key frame is left out, and so is what lies past the
/// clip's length.
fn cut(blocks: Vec<Block<'_>>, clip_ms: u64) -> Result<Vec<ClusterTpl>, BadClip> {
    let origin = blocks
        .iter()
        .find(|b| b.key)
        .map(|b| b.ts)
        .ok_or(BadClip("no key frame"))?;
    let mut clusters: Vec<ClusterTpl> = Vec::new();
    for b in blocks {
        let ts = b.ts - origin;
        if !(0..clip_ms as i64).contains(&ts) {
            continue;
        }
        let ts = ts as u64;
        if b.key || clusters.is_empty() {
            clusters.push(ClusterTpl {
                ts,
                blocks: Vec::new(),
            });
        }
        let Some(current) = clusters.last_mut() else {
            continue;
        };
        let rel =
            i16::try_from(ts as i64 - current.ts as i64).map_err(|_| BadClip("key frames too far apart"))?;
        let mut data = b.data.to_vec();
        data[b.ts_at..b.ts_at + 2].copy_from_slice(&rel.to_be_bytes());
        current.blocks.extend(ebml::element(id::SIMPLE_BLOCK, &data));
    }
    if clusters.is_empty() {
        return Err(BadClip("no blocks"));
    }
    Ok(clusters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clip_is_cut_at_key_frames() {
        let c = Clip::parse(CLIP, CLIP_MS).unwrap();
        assert_eq!(c.cue_tracks, [1, 2]);
        let starts: Vec<u64> = c.clusters.iter().map(|c| c.ts).collect();
        assert_eq!(starts, [0, 800, 1600, 2400]);
        // 80 video and 100 audio blocks, the audio encoder's priming frame left out.
        let blocks: usize = c
            .clusters
            .iter()
            .map(|c| ebml::children(&c.blocks).unwrap().len())
            .sum();
        assert_eq!(blocks, 180);
    }

    #[test]
    fn bad_clips_are_refused() {
        assert!(Clip::parse(b"not a clip", CLIP_MS).is_err());
        assert!(Clip::parse(&CLIP[..1000], CLIP_MS).is_err());
        assert!(Clip::parse(&[], CLIP_MS).is_err());
    }
}
