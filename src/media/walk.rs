//! Finding a container's header parts in bytes already downloaded: an MP4/MOV top-level box,
//! a Matroska Segment's child in the file's head.

use super::ebml;

/// Reads `len` bytes at `offset` of the file, or `None` while they are not all there.
pub type ReadAt<'a> = dyn FnMut(u64, usize) -> Option<Vec<u8>> + 'a;

/// A big-endian unsigned number.
pub fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

/// The top-level MP4 box `kind`, walking at most `max_boxes` boxes from the start: where it
/// starts, its size (within the file) and its header's length.
pub fn mp4_box(
    file_len: u64,
    read: &mut ReadAt,
    kind: &[u8; 4],
    max_boxes: usize,
) -> Option<(u64, u64, u64)> {
    let mut at = 0u64;
    for _ in 0..max_boxes {
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
        if &h[4..8] == kind {
            return Some((at, size.min(file_len - at), header));
        }
        at = at.checked_add(size)?;
    }
    None
}

/// An EBML element's ID and data size (None: unknown) at `at` of `b`, and where its data
/// starts; read even when its data runs past `b`, as a Segment's does in a file's head.
pub fn ebml_header(b: &[u8], at: usize) -> Option<(u32, Option<u64>, usize)> {
    let (id, id_len) = ebml::vint(b.get(at..)?, true)?;
    let (size, size_len) = ebml::vint(b.get(at + id_len..)?, false)?;
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    Some((
        u32::try_from(id).ok()?,
        (!unknown).then_some(size),
        at + id_len + size_len,
    ))
}

/// What a Matroska head holds of a Segment's child.
pub enum SegmentChild<'a> {
    /// Its data.
    Found(&'a [u8]),
    /// A Cluster comes first: the file has none of it before its media.
    NotBeforeMedia,
}

/// The Segment's child `id` in `head` (the first bytes of a Matroska file), looked for up to
/// the first Cluster; None where the head is cut short or broken.
pub fn segment_child(head: &[u8], id: u32) -> Option<SegmentChild<'_>> {
    let (_, size, data) = ebml_header(head, 0)?;
    let (segment, _, mut child) = ebml_header(head, data + usize::try_from(size?).ok()?)?;
    if segment != ebml::id::SEGMENT {
        return None;
    }
    while let Some((found, size, data)) = ebml_header(head, child) {
        if found == ebml::id::CLUSTER {
            return Some(SegmentChild::NotBeforeMedia);
        }
        let size = usize::try_from(size?).ok()?;
        if found == id {
            return head.get(data..data + size).map(SegmentChild::Found);
        }
        child = data + size;
    }
    None
}
