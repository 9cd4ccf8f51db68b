//! A media file's duration from its container header, read from bytes already downloaded:
//! MP4/MOV (`moov/mvhd`, at the head or the tail) and Matroska/WebM (`Segment/Info/Duration`,
//! at the head). With the file's length it gives the bitrate that turns pieces into seconds.

use super::ebml::{
    self,
    id::{DURATION, INFO, TIMESTAMP_SCALE},
};
pub use super::walk::ReadAt;
use super::walk::{self, SegmentChild, be};

/// Top-level MP4 boxes walked at most before giving up.
const MAX_BOXES: usize = 64;
/// Bytes of a Matroska head searched for the segment's Info.
const MKV_HEAD: u64 = 64 * 1024;

/// The duration in seconds the container declares, when its header is readable now.
pub fn container_duration(file_len: u64, read: &mut ReadAt) -> Option<f64> {
    let head = read(0, 12.min(file_len as usize))?;
    let secs = if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        matroska(file_len, read)?
    } else if head.len() >= 8 && is_mp4_box(&head[4..8]) {
        mp4(file_len, read)?
    } else {
        return None;
    };
    (secs.is_finite() && secs > 0.0).then_some(secs)
}

pub(super) fn is_mp4_box(kind: &[u8]) -> bool {
    matches!(
        kind,
        b"ftyp" | b"moov" | b"mdat" | b"free" | b"skip" | b"wide" | b"pnot"
    )
}

/// Walks the top-level boxes to `moov`, then its children to `mvhd`.
fn mp4(file_len: u64, read: &mut ReadAt) -> Option<f64> {
    let (at, size, header) = walk::mp4_box(file_len, read, b"moov", MAX_BOXES)?;
    mvhd(at + header, at + size, read)
}

fn mvhd(mut at: u64, end: u64, read: &mut ReadAt) -> Option<f64> {
    for _ in 0..MAX_BOXES {
        if at + 8 > end {
            return None;
        }
        let h = read(at, 8)?;
        let size = be(&h[..4]);
        if &h[4..8] == b"mvhd" {
            let body = read(at + 8, 32.min((end - at - 8) as usize))?;
            let (scale, duration) = match body.first()? {
                0 if body.len() >= 20 => (be(&body[12..16]), be(&body[16..20])),
                1 if body.len() >= 32 => (be(&body[20..24]), be(&body[24..32])),
                _ => return None,
            };
            // All ones: the duration is not known.
            let unknown = duration == u64::from(u32::MAX) || duration == u64::MAX;
            return (scale > 0 && !unknown).then(|| duration as f64 / scale as f64);
        }
        if size < 8 {
            return None;
        }
        at += size;
    }
    None
}

/// Finds `Segment/Info` in the head and reads its `Duration` × `TimestampScale` (ns).
fn matroska(file_len: u64, read: &mut ReadAt) -> Option<f64> {
    let head = read(0, MKV_HEAD.min(file_len) as usize)?;
    match walk::segment_child(&head, INFO)? {
        SegmentChild::Found(info) => self::info(info),
        SegmentChild::NotBeforeMedia => None,
    }
}

fn info(b: &[u8]) -> Option<f64> {
    let scale = ebml::child(b, TIMESTAMP_SCALE).map_or(1_000_000, |e| ebml::uint(e.data));
    let duration = ebml::float(ebml::child(b, DURATION)?.data)?;
    Some(duration * scale as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::ebml::id::{CLUSTER, SEGMENT};

    fn reader(bytes: &[u8], have: std::ops::Range<u64>) -> impl FnMut(u64, usize) -> Option<Vec<u8>> + '_ {
        move |at, len| {
            let end = at + len as u64;
            (have.start <= at && end <= have.end && end <= bytes.len() as u64)
                .then(|| bytes[at as usize..end as usize].to_vec())
        }
    }

    fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    fn mvhd_v0(scale: u32, duration: u32) -> Vec<u8> {
        let mut body = vec![0u8; 100];
        body[12..16].copy_from_slice(&scale.to_be_bytes());
        body[16..20].copy_from_slice(&duration.to_be_bytes());
        mp4_box(b"mvhd", &body)
    }

    #[test]
    fn mp4_with_moov_at_the_tail() {
        let mut file = mp4_box(b"ftyp", b"isom\0\0\x02\0");
        file.extend(mp4_box(b"mdat", &[7u8; 5000]));
        let moov_at = file.len() as u64;
        let mut moov = mvhd_v0(1000, 90_500);
        moov.extend(mp4_box(b"trak", &[0; 40]));
        file.extend(mp4_box(b"moov", &moov));
        let len = file.len() as u64;
        assert_eq!(container_duration(len, &mut reader(&file, 0..len)), Some(90.5));
        // Only the head and the tail are there: enough.
        let mut only_ends = |at: u64, n: usize| {
            let end = at + n as u64;
            (end <= 64 || (at >= moov_at && end <= len)).then(|| file[at as usize..end as usize].to_vec())
        };
        assert_eq!(container_duration(len, &mut only_ends), Some(90.5));
        // Without the tail: not yet.
        assert_eq!(container_duration(len, &mut reader(&file, 0..moov_at)), None);
    }

    #[test]
    fn mp4_version_1_and_unknown_durations() {
        let mut body = vec![1u8, 0, 0, 0];
        body.extend([0u8; 16]);
        body.extend(90_000u32.to_be_bytes());
        body.extend((90_000u64 * 3600).to_be_bytes());
        body.extend([0u8; 80]);
        let mut file = mp4_box(b"ftyp", b"isom");
        file.extend(mp4_box(b"moov", &mp4_box(b"mvhd", &body)));
        let len = file.len() as u64;
        assert_eq!(container_duration(len, &mut reader(&file, 0..len)), Some(3600.0));
        let mut file = mp4_box(b"ftyp", b"isom");
        file.extend(mp4_box(b"moov", &mvhd_v0(1000, u32::MAX)));
        let len = file.len() as u64;
        assert_eq!(container_duration(len, &mut reader(&file, 0..len)), None);
    }

    #[test]
    fn matroska_duration_with_its_scale() {
        let mut info = ebml::element(TIMESTAMP_SCALE, &1_000_000u32.to_be_bytes());
        info.extend(ebml::element(DURATION, &125_250.0f64.to_be_bytes()));
        let mut segment = ebml::element(ebml::id::SEEK_HEAD, &[0xEC, 0x80]); // a SeekHead
        segment.extend(ebml::element(INFO, &info));
        segment.extend(ebml::element(CLUSTER, &[0; 10]));
        let mut file = ebml::element(
            ebml::id::EBML,
            &[0x42, 0x82, 0x88, b'm', b'a', b't', b'r', b'o', b's', b'k', b'a'],
        );
        file.extend(ebml::element(SEGMENT, &segment));
        let len = file.len() as u64;
        assert_eq!(container_duration(len, &mut reader(&file, 0..len)), Some(125.25));
        // A float of 4 bytes and a scale of 1 ms per 1000 ticks.
        let mut info = ebml::element(TIMESTAMP_SCALE, &1000u16.to_be_bytes());
        info.extend(ebml::element(DURATION, &2_000_000.0f32.to_be_bytes()));
        let mut file = ebml::element(ebml::id::EBML, &[]);
        file.extend(ebml::element(SEGMENT, &ebml::element(INFO, &info)));
        let len = file.len() as u64;
        assert_eq!(container_duration(len, &mut reader(&file, 0..len)), Some(2.0));
        // Cut short, or not a container at all.
        assert_eq!(container_duration(len, &mut reader(&file, 0..20)), None);
        let text = b"just some text, not a film";
        assert_eq!(container_duration(26, &mut reader(text, 0..26)), None);
    }
}
