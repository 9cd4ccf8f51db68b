//! A media file's duration from its container header, read from bytes already downloaded:
//! MP4/MOV (`moov/mvhd`, at the head or the tail) and Matroska/WebM (`Segment/Info/Duration`,
//! at the head). With the file's length it gives the bitrate that turns pieces into seconds.

use super::ebml::{
    self,
    id::{CLUSTER, DURATION, INFO, SEGMENT, TIMESTAMP_SCALE},
};

/// Reads `len` bytes at `offset` of the file, or `None` while they are not all there.
pub type ReadAt<'a> = dyn FnMut(u64, usize) -> Option<Vec<u8>> + 'a;

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

pub(super) fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

/// Walks the top-level boxes to `moov`, then its children to `mvhd`.
fn mp4(file_len: u64, read: &mut ReadAt) -> Option<f64> {
    let mut at = 0;
    for _ in 0..MAX_BOXES {
        if at + 8 > file_len {
            return None;
        }
        let h = read(at, 16.min((file_len - at) as usize))?;
        let (size, header) = match be(&h[..4]) {
            0 => (file_len - at, 8),
            1 if h.len() >= 16 => (be(&h[8..16]), 16),
            n => (n, 8),
        };
        if size < header {
            return None;
        }
        if &h[4..8] == b"moov" {
            return mvhd(at + header, (at + size).min(file_len), read);
        }
        at = at.checked_add(size)?;
    }
    None
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

/// An EBML element's ID and data size (None: unknown) at `at` of `b`, and where its data
/// starts; read even when its data runs past `b`, as a Segment's does in a file's head.
pub(super) fn ebml_header(b: &[u8], at: usize) -> Option<(u32, Option<u64>, usize)> {
    let (id, id_len) = ebml::vint(b.get(at..)?, true)?;
    let (size, size_len) = ebml::vint(b.get(at + id_len..)?, false)?;
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    Some((
        u32::try_from(id).ok()?,
        (!unknown).then_some(size),
        at + id_len + size_len,
    ))
}

/// Finds `Segment/Info` in the head and reads its `Duration` × `TimestampScale` (ns).
fn matroska(file_len: u64, read: &mut ReadAt) -> Option<f64> {
    let head = read(0, MKV_HEAD.min(file_len) as usize)?;
    let (_, size, data) = ebml_header(&head, 0)?;
    let (id, _, mut child) = ebml_header(&head, data + usize::try_from(size?).ok()?)?;
    if id != SEGMENT {
        return None;
    }
    // The Segment's children, up to the first Cluster.
    while let Some((id, size, data)) = ebml_header(&head, child) {
        if id == CLUSTER {
            return None;
        }
        let size = usize::try_from(size?).ok()?;
        if id == INFO {
            return info(head.get(data..data + size)?);
        }
        child = data + size;
    }
    None
}

fn info(b: &[u8]) -> Option<f64> {
    let scale = ebml::child(b, TIMESTAMP_SCALE).map_or(1_000_000, |e| ebml::uint(e.data));
    let duration = ebml::float(ebml::child(b, DURATION)?.data)?;
    Some(duration * scale as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

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
