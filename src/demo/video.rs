//! The demo video: the embedded clip (see `clip`) played over and over, written once into one
//! long Matroska file with continuous timestamps, so that the video is several engine windows
//! long while the program stays small. Every copy of the clip gets one Cluster per key frame,
//! and the file starts with a SeekHead, an Info holding the whole Duration, the clip's Tracks
//! and Cues for every Cluster: players know the length and seek at once, without reading the
//! end of the file.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::clip::{BadClip, CLIP, CLIP_MS, Clip, ClusterTpl, TIMESTAMP_SCALE};
use crate::media::ebml::{self, id};

/// Copies of the clip in the demo video: 5 min 20 s, about 190 MiB.
pub const LOOPS: u64 = 100;

/// The demo video's length.
pub const DURATION_MS: u64 = LOOPS * CLIP_MS;

/// Written into Info; no version, so that an upgrade keeps the cached video.
const APP: &str = "bt2p-tui demo";
/// Fixed widths, so that every element's length is known before positions are.
const CLUSTER_SIZE_WIDTH: usize = 8;
const CLUSTER_TIMESTAMP_WIDTH: usize = 4;
const POSITION_WIDTH: usize = 8;

fn cluster_len(tpl: &ClusterTpl) -> u64 {
    (4 + CLUSTER_SIZE_WIDTH + 2 + CLUSTER_TIMESTAMP_WIDTH + tpl.blocks.len()) as u64
}

/// The layout of the looped video, computed from the clip without writing anything.
pub struct Video {
    clip: Clip,
    loops: u64,
}

impl Video {
    /// The demo video made of `loops` copies of `clip`, `clip_ms` long each.
    pub fn from_clip(clip: &[u8], clip_ms: u64, loops: u64) -> Result<Video, BadClip> {
        Ok(Video {
            clip: Clip::parse(clip, clip_ms)?,
            loops,
        })
    }

    /// The demo video made of the embedded clip.
    pub fn demo() -> Result<Video, BadClip> {
        Video::from_clip(CLIP, CLIP_MS, LOOPS)
    }

    pub fn duration_ms(&self) -> u64 {
        self.loops * CLIP_MS
    }

    fn loop_len(&self) -> u64 {
        self.clip.clusters.iter().map(cluster_len).sum()
    }

    /// Everything before the first Cluster: EBML header, Segment header, SeekHead, Info,
    /// Tracks, Cues.
    pub fn header(&self) -> Vec<u8> {
        let info = self.info();
        let seek_head_len = self.seek_head(0, 0, 0).len() as u64;
        let info_at = seek_head_len;
        let tracks_at = info_at + info.len() as u64;
        let cues_at = tracks_at + self.clip.tracks.len() as u64;
        let first_cluster = cues_at + self.cues(0).len() as u64;
        let segment_len = first_cluster + self.loops * self.loop_len();

        let mut out = self.ebml_header();
        ebml::put_id(&mut out, id::SEGMENT);
        ebml::put_size(&mut out, segment_len, 8);
        out.extend(self.seek_head(info_at, tracks_at, cues_at));
        out.extend(info);
        out.extend_from_slice(&self.clip.tracks);
        out.extend(self.cues(first_cluster));
        out
    }

    /// The file's length in bytes.
    pub fn size(&self) -> u64 {
        self.header().len() as u64 + self.loops * self.loop_len()
    }

    fn ebml_header(&self) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend(ebml::uint_element(id::EBML_VERSION, 1, 1));
        h.extend(ebml::uint_element(id::EBML_READ_VERSION, 1, 1));
        h.extend(ebml::uint_element(id::EBML_MAX_ID_LENGTH, 4, 1));
        h.extend(ebml::uint_element(id::EBML_MAX_SIZE_LENGTH, 8, 1));
        h.extend(ebml::element(id::DOC_TYPE, b"matroska"));
        h.extend(ebml::uint_element(id::DOC_TYPE_VERSION, 4, 1));
        h.extend(ebml::uint_element(id::DOC_TYPE_READ_VERSION, 2, 1));
        ebml::element(id::EBML, &h)
    }

    fn seek_head(&self, info: u64, tracks: u64, cues: u64) -> Vec<u8> {
        let mut s = Vec::new();
        for (target, at) in [(id::INFO, info), (id::TRACKS, tracks), (id::CUES, cues)] {
            let mut seek = ebml::element(id::SEEK_ID, &target.to_be_bytes());
            seek.extend(ebml::uint_element(id::SEEK_POSITION, at, POSITION_WIDTH));
            s.extend(ebml::element(id::SEEK, &seek));
        }
        ebml::element(id::SEEK_HEAD, &s)
    }

    fn info(&self) -> Vec<u8> {
        let mut i = ebml::uint_element(id::TIMESTAMP_SCALE, TIMESTAMP_SCALE, 3);
        i.extend(ebml::float_element(id::DURATION, self.duration_ms() as f64));
        i.extend(ebml::element(id::MUXING_APP, APP.as_bytes()));
        i.extend(ebml::element(id::WRITING_APP, APP.as_bytes()));
        ebml::element(id::INFO, &i)
    }

    /// One CuePoint per Cluster; `first_cluster` is the first one's offset in the Segment.
    fn cues(&self, first_cluster: u64) -> Vec<u8> {
        let mut c = Vec::new();
        let mut at = first_cluster;
        for k in 0..self.loops {
            for tpl in &self.clip.clusters {
                let mut point = ebml::uint_element(id::CUE_TIME, k * CLIP_MS + tpl.ts, POSITION_WIDTH);
                for &track in &self.clip.cue_tracks {
                    let mut pos = ebml::uint_element(id::CUE_TRACK, track, 1);
                    pos.extend(ebml::uint_element(id::CUE_CLUSTER_POSITION, at, POSITION_WIDTH));
                    point.extend(ebml::element(id::CUE_TRACK_POSITIONS, &pos));
                }
                c.extend(ebml::element(id::CUE_POINT, &point));
                at += cluster_len(tpl);
            }
        }
        ebml::element(id::CUES, &c)
    }

    /// The Cluster made from `tpl` in copy `k`.
    fn cluster(&self, k: u64, tpl: &ClusterTpl) -> Vec<u8> {
        let mut out = Vec::with_capacity(cluster_len(tpl) as usize);
        ebml::put_id(&mut out, id::CLUSTER);
        let body = 2 + CLUSTER_TIMESTAMP_WIDTH + tpl.blocks.len();
        ebml::put_size(&mut out, body as u64, CLUSTER_SIZE_WIDTH);
        out.extend(ebml::uint_element(
            id::TIMESTAMP,
            k * CLIP_MS + tpl.ts,
            CLUSTER_TIMESTAMP_WIDTH,
        ));
        out.extend_from_slice(&tpl.blocks);
        out
    }

    /// The last Cluster of the file.
    fn last_cluster(&self) -> Vec<u8> {
        let last = self
            .clip
            .clusters
            .last()
            .map(|tpl| self.cluster(self.loops - 1, tpl));
        last.unwrap_or_default()
    }

    /// Writes the whole file.
    pub fn write(&self, w: &mut impl Write) -> std::io::Result<()> {
        w.write_all(&self.header())?;
        for k in 0..self.loops {
            for tpl in &self.clip.clusters {
                w.write_all(&self.cluster(k, tpl))?;
            }
        }
        w.flush()
    }

    /// Whether `path` already holds this video: its length, everything up to the first
    /// Cluster (which records every Cluster's position) and its last Cluster are checked.
    pub fn is_at(&self, path: &Path) -> bool {
        let check = || -> std::io::Result<bool> {
            let mut f = std::fs::File::open(path)?;
            if f.metadata()?.len() != self.size() {
                return Ok(false);
            }
            let head = self.header();
            let mut got = vec![0; head.len()];
            f.read_exact(&mut got)?;
            if got != head {
                return Ok(false);
            }
            let tail = self.last_cluster();
            f.seek(SeekFrom::End(-(tail.len() as i64)))?;
            let mut got = vec![0; tail.len()];
            f.read_exact(&mut got)?;
            Ok(got == tail)
        };
        check().unwrap_or(false)
    }

    /// Makes the video at `path` unless it is already there; true when it was written.
    pub fn ensure(&self, path: &Path) -> std::io::Result<bool> {
        if self.is_at(path) {
            return Ok(false);
        }
        let part = path.with_extension("part");
        let written = (|| {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&part)?);
            self.write(&mut w)?;
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            std::fs::rename(&part, path)
        })();
        if written.is_err() {
            // A full disk leaves no partial video behind.
            let _ = std::fs::remove_file(&part);
        }
        written.map(|()| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole video file.
    fn written(v: &Video) -> Vec<u8> {
        let mut out = Vec::new();
        v.write(&mut out).unwrap();
        out
    }

    #[test]
    fn the_clip_loops() {
        let v = Video::from_clip(CLIP, CLIP_MS, 3).unwrap();
        let bytes = written(&v);
        assert_eq!(bytes.len() as u64, v.size());

        let top = ebml::children(&bytes).unwrap();
        assert_eq!(top.len(), 2);
        let seg_start = top[1].raw.len() - top[1].data.len() + top[0].raw.len();
        let parts = ebml::children(top[1].data).unwrap();
        let info = parts.iter().find(|e| e.id == id::INFO).unwrap();
        let duration = ebml::child(info.data, id::DURATION).unwrap();
        assert_eq!(ebml::float(duration.data), Some(9600.0));

        // Cues point at Clusters whose timestamps match, and Clusters run on without gaps.
        let cues = parts.iter().find(|e| e.id == id::CUES).unwrap();
        let points = ebml::children(cues.data).unwrap();
        assert_eq!(points.len(), 12);
        for (i, p) in points.iter().enumerate() {
            let time = ebml::uint(ebml::child(p.data, id::CUE_TIME).unwrap().data);
            assert_eq!(time, i as u64 * 800);
            let pos = ebml::child(p.data, id::CUE_TRACK_POSITIONS).unwrap();
            let at = ebml::uint(ebml::child(pos.data, id::CUE_CLUSTER_POSITION).unwrap().data);
            let cluster = &ebml::children(&bytes[seg_start + at as usize..]).unwrap()[0];
            assert_eq!(cluster.id, id::CLUSTER);
            let ts = ebml::child(cluster.data, id::TIMESTAMP).unwrap();
            assert_eq!(ebml::uint(ts.data), time);
        }
        assert_eq!(parts.iter().filter(|e| e.id == id::CLUSTER).count(), 12);
        assert_eq!(&bytes[..v.header().len()], &v.header()[..]);
    }

    #[test]
    fn seek_head_points_at_its_elements() {
        let v = Video::from_clip(CLIP, CLIP_MS, 2).unwrap();
        let bytes = written(&v);
        let top = ebml::children(&bytes).unwrap();
        let seg = top[1].data;
        let head = ebml::children(seg).unwrap()[0];
        assert_eq!(head.id, id::SEEK_HEAD);
        for seek in ebml::children(head.data).unwrap() {
            let target = ebml::child(seek.data, id::SEEK_ID).unwrap().data;
            let at = ebml::uint(ebml::child(seek.data, id::SEEK_POSITION).unwrap().data);
            let (found, _) = ebml::vint(&seg[at as usize..], true).unwrap();
            assert_eq!(found, ebml::uint(target));
        }
    }

    #[test]
    fn the_demo_is_long_and_cached() {
        let v = Video::demo().unwrap();
        assert_eq!(v.duration_ms(), 320_000);
        let mib = v.size() as f64 / (1024.0 * 1024.0);
        assert!((160.0..256.0).contains(&mib), "{mib} MiB");

        let small = Video::from_clip(CLIP, CLIP_MS, 2).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.mkv");
        assert!(small.ensure(&path).unwrap());
        assert!(!small.ensure(&path).unwrap(), "a good file is kept");
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(small.ensure(&path).unwrap(), "a damaged tail is rewritten");
        std::fs::write(&path, b"short").unwrap();
        assert!(small.ensure(&path).unwrap(), "a short file is rewritten");
        assert!(small.is_at(&path));
        assert!(!dir.path().join("v.part").exists());
    }
}
