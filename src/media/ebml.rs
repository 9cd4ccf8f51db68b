//! The little of EBML (the binary format under Matroska) the program needs: reading a
//! container's head for its duration, walking the elements of the demo's embedded clip, and
//! writing elements whose sizes are known in advance.

/// Element IDs, with their length marker bits kept, as the Matroska specification lists them.
pub mod id {
    pub const EBML: u32 = 0x1A45_DFA3;
    pub const EBML_VERSION: u32 = 0x4286;
    pub const EBML_READ_VERSION: u32 = 0x42F7;
    pub const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
    pub const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
    pub const DOC_TYPE: u32 = 0x4282;
    pub const DOC_TYPE_VERSION: u32 = 0x4287;
    pub const DOC_TYPE_READ_VERSION: u32 = 0x4285;
    pub const SEGMENT: u32 = 0x1853_8067;
    pub const SEEK_HEAD: u32 = 0x114D_9B74;
    pub const SEEK: u32 = 0x4DBB;
    pub const SEEK_ID: u32 = 0x53AB;
    pub const SEEK_POSITION: u32 = 0x53AC;
    pub const INFO: u32 = 0x1549_A966;
    pub const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
    pub const DURATION: u32 = 0x4489;
    pub const MUXING_APP: u32 = 0x4D80;
    pub const WRITING_APP: u32 = 0x5741;
    pub const TRACKS: u32 = 0x1654_AE6B;
    pub const TRACK_ENTRY: u32 = 0xAE;
    pub const TRACK_NUMBER: u32 = 0xD7;
    pub const TRACK_TYPE: u32 = 0x83;
    pub const CLUSTER: u32 = 0x1F43_B675;
    pub const TIMESTAMP: u32 = 0xE7;
    pub const SIMPLE_BLOCK: u32 = 0xA3;
    pub const CUES: u32 = 0x1C53_BB6B;
    pub const CUE_POINT: u32 = 0xBB;
    pub const CUE_TIME: u32 = 0xB3;
    pub const CUE_TRACK_POSITIONS: u32 = 0xB7;
    pub const CUE_TRACK: u32 = 0xF7;
    pub const CUE_CLUSTER_POSITION: u32 = 0xF1;
}

/// One element found in a buffer: its ID, its payload, and where it began.
#[derive(Debug, Clone, Copy)]
pub struct Element<'a> {
    pub id: u32,
    pub data: &'a [u8],
    /// The whole element, header included.
    pub raw: &'a [u8],
}

/// A variable-length integer at the start of `b`: (value, length). With `marker`, the length
/// bits are kept (element IDs); without, they are masked off (sizes, track numbers).
pub fn vint(b: &[u8], marker: bool) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 || b.len() < len {
        return None;
    }
    let mut v = if marker {
        u64::from(first)
    } else {
        u64::from(first) & (0xFF >> len)
    };
    for &byte in &b[1..len] {
        v = (v << 8) | u64::from(byte);
    }
    Some((v, len))
}

/// The elements one after another in `b` (one level, not descending); `None` at the first
/// malformed one.
pub fn children(b: &[u8]) -> Option<Vec<Element<'_>>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let (id, id_len) = vint(&b[at..], true)?;
        let (size, size_len) = vint(&b[at + id_len..], false)?;
        let start = at + id_len + size_len;
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        if end > b.len() {
            return None;
        }
        out.push(Element {
            id: u32::try_from(id).ok()?,
            data: &b[start..end],
            raw: &b[at..end],
        });
        at = end;
    }
    Some(out)
}

/// The first child of `b` with ID `id`.
pub fn child<'a>(b: &'a [u8], id: u32) -> Option<Element<'a>> {
    children(b)?.into_iter().find(|e| e.id == id)
}

/// An unsigned integer element's value.
pub fn uint(data: &[u8]) -> u64 {
    data.iter().fold(0, |v, &b| (v << 8) | u64::from(b))
}

/// A float element's value (4 or 8 bytes).
pub fn float(data: &[u8]) -> Option<f64> {
    match data.len() {
        4 => Some(f64::from(f32::from_be_bytes(data.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(data.try_into().ok()?)),
        _ => None,
    }
}

/// Appends the ID `id` (marker bits included, so 1 to 4 bytes).
pub fn put_id(out: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = (id.leading_zeros() / 8) as usize;
    out.extend_from_slice(&bytes[skip.min(3)..]);
}

/// Appends `size` as a `width`-byte vint: a fixed width keeps an element's length the same
/// whatever its value, so positions can be computed before anything is written.
pub fn put_size(out: &mut Vec<u8>, size: u64, width: usize) {
    debug_assert!((1..=8).contains(&width) && size < (1u64 << (7 * width)) - 1);
    let marked = size | (1u64 << (7 * width));
    out.extend_from_slice(&marked.to_be_bytes()[8 - width..]);
}

/// The fewest bytes a size vint needs (all-ones is reserved for "unknown").
fn size_width(size: u64) -> usize {
    (1..=8).find(|&w| size < (1u64 << (7 * w)) - 1).unwrap_or(8)
}

/// A whole element: ID, the shortest size, payload.
pub fn element(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 12);
    put_id(&mut out, id);
    put_size(&mut out, payload.len() as u64, size_width(payload.len() as u64));
    out.extend_from_slice(payload);
    out
}

/// An unsigned integer element written on exactly `width` bytes.
pub fn uint_element(id: u32, v: u64, width: usize) -> Vec<u8> {
    element(id, &v.to_be_bytes()[8 - width..])
}

/// An 8-byte float element.
pub fn float_element(id: u32, v: f64) -> Vec<u8> {
    element(id, &v.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vints_round_trip() {
        for (size, width) in [(0u64, 1usize), (126, 1), (127, 2), (5000, 2), (1 << 40, 8)] {
            let mut b = Vec::new();
            put_size(&mut b, size, width);
            assert_eq!(b.len(), width);
            assert_eq!(vint(&b, false), Some((size, width)));
        }
        assert_eq!((size_width(126), size_width(127), size_width(1 << 40)), (1, 2, 6));
        assert_eq!(vint(&[0x1A, 0x45, 0xDF, 0xA3], true), Some((0x1A45_DFA3, 4)));
        assert_eq!(vint(&[0x00], false), None);
        assert_eq!(vint(&[0x40], false), None);
    }

    #[test]
    fn elements_round_trip() {
        let mut b = uint_element(id::TIMESTAMP, 3200, 4);
        b.extend(float_element(id::DURATION, 320_000.0));
        b.extend(element(id::SEGMENT, b"xyz"));
        let els = children(&b).unwrap();
        assert_eq!(els.len(), 3);
        assert_eq!(
            (els[0].id, uint(els[0].data), els[0].raw.len()),
            (id::TIMESTAMP, 3200, 6)
        );
        assert_eq!(float(els[1].data), Some(320_000.0));
        assert_eq!((els[2].id, els[2].data), (id::SEGMENT, &b"xyz"[..]));
        assert!(children(&b[..b.len() - 1]).is_none());
        assert_eq!(child(&b, id::DURATION).map(|e| e.raw.len()), Some(11));
    }
}
