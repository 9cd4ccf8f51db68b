#![no_main]
// Any bytes as a .torrent: a clear error or a checked torrent, never a panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = bt2p_tui::source::from_torrent_bytes(bytes::Bytes::copy_from_slice(data), "fuzz");
});
