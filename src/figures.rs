//! The engine's figures in words, as the dashboard, the status lines and the index page show
//! them: piece_par in pieces and seconds, and a viewer's line.

use crate::engine::{RateSource, Snapshot, StreamMetrics};
use crate::fmt::{compact, secs};

/// `~` before seconds that a player's read rate gave, nothing before the container's.
fn estimated(source: Option<RateSource>) -> &'static str {
    if source == Some(RateSource::Container) {
        ""
    } else {
        "~"
    }
}

/// piece_par in pieces and seconds of playback: `16 (31s)`, `16 (~31s)` when a player's read
/// rate stands for the bitrate, `16` while it is not known. `long` adds what was set, when it
/// was set in seconds: `8 (32s, set 30s)`.
pub fn piece_par(s: &Snapshot, long: bool) -> String {
    use crate::engine::PiecePar;
    let at = s
        .piece_par_secs
        .map(|x| format!("{}{}", estimated(s.piece_par_secs_source), secs(x)));
    let set = match s.piece_par_setting {
        PiecePar::Seconds(_) if long => Some(format!("set {}", s.piece_par_setting)),
        _ => None,
    };
    match (at, set) {
        (Some(at), Some(set)) => format!("{} ({at}, {set})", s.piece_par),
        (Some(at), None) => format!("{} ({at})", s.piece_par),
        (None, Some(set)) => format!("{} ({set}, bitrate not known yet)", s.piece_par),
        (None, None) => s.piece_par.to_string(),
    }
}

/// One viewer's figures in a line: time to first byte, seeks (median and 95th percentile
/// wait), stalls (total time) and the verified data ahead, `~` marking estimated seconds.
pub fn viewing(m: &StreamMetrics) -> String {
    viewing_in(m, usize::MAX)
}

/// `viewing` in at most `width` characters: the seek and stall details go first, then the time
/// to first byte, then the player's own buffer; what stays is whole.
pub fn viewing_in(m: &StreamMetrics, width: usize) -> String {
    let v = &m.viewing;
    let ms = |ms: u64| secs(ms as f64 / 1000.0);
    let ttfb = format!("ttfb {}", v.ttfb_ms.map(ms).unwrap_or_else(|| "-".into()));
    let seeks = match (v.seek_p50_ms, v.seek_p95_ms) {
        (Some(p50), Some(p95)) => format!("seeks {} (p50 {} p95 {})", v.seeks, ms(p50), ms(p95)),
        _ => format!("seeks {}", v.seeks),
    };
    let stalls = match v.stalls {
        0 => "stalls 0".to_string(),
        n => format!("stalls {n} ({})", ms(v.stall_total_ms)),
    };
    let ahead = match m.buffer_ahead_secs {
        Some(s) => format!(
            "ahead {}{} ({})",
            estimated(m.buffer_ahead_source),
            secs(s),
            compact(m.buffer_ahead_bytes)
        ),
        None => format!("ahead {}", compact(m.buffer_ahead_bytes)),
    };
    let player = m.player_buffer_secs.map(|held| format!("player ~{}", secs(held)));
    let mut fields = vec![Some(ttfb), Some(seeks), Some(stalls), Some(ahead), player];
    let line = |f: &[Option<String>]| f.iter().flatten().cloned().collect::<Vec<_>>().join("  ");
    for step in 0..4 {
        if line(&fields).chars().count() <= width {
            break;
        }
        match step {
            0 => fields[1] = Some(format!("seeks {}", v.seeks)),
            1 => fields[2] = Some(format!("stalls {}", v.stalls)),
            2 => fields[0] = None,
            _ => fields[4] = None,
        }
    }
    line(&fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Viewing;

    #[test]
    fn viewing_lines_fit_their_width() {
        let mut m = StreamMetrics {
            buffer_ahead_bytes: 24 * 1024 * 1024,
            buffer_ahead_secs: Some(12.3),
            buffer_ahead_source: Some(RateSource::Container),
            player_buffer_secs: Some(21.0),
            ..Default::default()
        };
        m.viewing = Viewing {
            ttfb_ms: Some(420),
            seeks: 2,
            seek_p50_ms: Some(310),
            seek_p95_ms: Some(800),
            stalls: 1,
            stall_total_ms: 2100,
            ..Default::default()
        };
        let full = "ttfb 0.42s  seeks 2 (p50 0.31s p95 0.80s)  stalls 1 (2.1s)  ahead 12s (24M)  player ~21s";
        assert_eq!(viewing(&m), full);
        assert_eq!(
            viewing_in(&m, 76),
            "ttfb 0.42s  seeks 2  stalls 1 (2.1s)  ahead 12s (24M)  player ~21s"
        );
        assert_eq!(viewing_in(&m, 40), "seeks 2  stalls 1  ahead 12s (24M)");
    }

    #[test]
    fn viewing_lines() {
        let mut m = StreamMetrics {
            buffer_ahead_bytes: 20 * 1024 * 1024,
            ..Default::default()
        };
        assert_eq!(viewing(&m), "ttfb -  seeks 0  stalls 0  ahead 20M");
        m.viewing = Viewing {
            ttfb_ms: Some(420),
            seeks: 2,
            seek_p50_ms: Some(310),
            seek_p95_ms: Some(12_400),
            stalls: 1,
            stall_total_ms: 2100,
            ..Default::default()
        };
        m.buffer_ahead_secs = Some(12.3);
        assert_eq!(
            viewing(&m),
            "ttfb 0.42s  seeks 2 (p50 0.31s p95 12s)  stalls 1 (2.1s)  ahead ~12s (20M)"
        );
    }

    #[test]
    fn piece_par_in_pieces_and_seconds() {
        use crate::engine::{PiecePar, Snapshot};
        let mut s = Snapshot {
            piece_par: 16,
            ..Default::default()
        };
        assert_eq!(piece_par(&s, true), "16");
        s.piece_par_secs = Some(31.2);
        s.piece_par_secs_source = Some(RateSource::Estimated);
        assert_eq!(piece_par(&s, false), "16 (~31s)");
        s.piece_par_secs_source = Some(RateSource::Container);
        assert_eq!(piece_par(&s, true), "16 (31s)");
        s.piece_par_setting = PiecePar::Seconds(30);
        assert_eq!(piece_par(&s, true), "16 (31s, set 30s)");
        assert_eq!(piece_par(&s, false), "16 (31s)");
        s.piece_par_secs = None;
        assert_eq!(piece_par(&s, true), "16 (set 30s, bitrate not known yet)");
    }
}
