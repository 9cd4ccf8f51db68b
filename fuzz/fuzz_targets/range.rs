#![no_main]
use bt2p_tui::http::range::{RangeAnswer, parse};

// Any Range header against any length: ranges inside the body, never more bytes than asked.
libfuzzer_sys::fuzz_target!(|input: (&str, u64, u8)| {
    let (header, len, max) = input;
    match parse(header, len, usize::from(max)) {
        RangeAnswer::Single { start, end } => assert!(start < end && end <= len),
        RangeAnswer::Multi(r) => {
            assert!(r.len() <= usize::from(max));
            assert!(r.iter().all(|(s, e)| s < e && *e <= len));
            assert!(r.iter().map(|(s, e)| e - s).sum::<u64>() <= len);
        }
        RangeAnswer::Full | RangeAnswer::Unsatisfiable => {}
    }
});
