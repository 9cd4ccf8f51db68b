#![no_main]
// Any request path and query: decoding never panics, and never yields a NUL or an empty path.
libfuzzer_sys::fuzz_target!(|input: (&str, &str)| {
    let (path, query) = input;
    if let Some(p) = bt2p_tui::http::decode_path(path) {
        assert!(!p.is_empty() && !p.contains('\0'));
    }
    let _ = bt2p_tui::http::query_param(query, "piece_par");
});
