//! Human-readable sizes, speeds and durations.

use std::time::Duration;

use humansize::{BINARY, format_size};

pub fn size(bytes: u64) -> String {
    format_size(bytes, BINARY)
}

pub fn speed(bytes_per_sec: f64) -> String {
    if !bytes_per_sec.is_finite() || bytes_per_sec < 1.0 {
        return "0 B/s".into();
    }
    format!("{}/s", format_size(bytes_per_sec as u64, BINARY))
}

/// A size in at most 6 characters: `999B`, `12.3K`, `160K`, `1.5M`, `12G` (binary units).
pub fn compact(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes}B")
    } else if v < 10.0 {
        format!("{v:.1}{}", UNITS[u])
    } else {
        format!("{v:.0}{}", UNITS[u])
    }
}

/// `1h02m`, `4m05s`, `12s`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Seconds in at most 5 characters: `0.42s`, `2.1s`, `12s`.
pub fn secs(secs: f64) -> String {
    match secs {
        s if s < 1.0 => format!("{s:.2}s"),
        s if s < 10.0 => format!("{s:.1}s"),
        s => format!("{s:.0}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1536), "1.50 KiB");
        assert_eq!(size(512 * 1024 * 1024), "512 MiB");
        assert_eq!(speed(0.0), "0 B/s");
        assert_eq!(speed(f64::NAN), "0 B/s");
        assert_eq!(speed(20.0 * 1024.0 * 1024.0), "20 MiB/s");
        assert_eq!(duration(Duration::from_secs(5)), "5s");
        assert_eq!(duration(Duration::from_secs(245)), "4m05s");
        assert_eq!(duration(Duration::from_secs(3720)), "1h02m");
        assert_eq!(percent(1, 4), 25.0);
        assert_eq!(percent(0, 0), 100.0);
        assert_eq!(compact(999), "999B");
        assert_eq!(compact(1536), "1.5K");
        assert_eq!(compact(163_840), "160K");
        assert_eq!(compact(20 * 1024 * 1024), "20M");
    }
}
