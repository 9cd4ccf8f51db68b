#![no_main]
// Any text as a magnet link.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = bt2p_tui::source::magnet(s);
        let _ = bt2p_tui::source::magnet(&format!("magnet:?{s}"));
    }
});
