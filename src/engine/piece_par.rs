//! piece_par as the user gives it: a number of pieces (as in bt2p) or seconds of playback,
//! which become pieces through the bitrate of the file a player reads.

use std::fmt;
use std::str::FromStr;

use super::options::{DEFAULT_PIECE_PAR, MAX_PIECE_PAR};

/// The longest window that can be asked for in seconds: a whole day of film.
pub const MAX_PIECE_PAR_SECS: u32 = 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PiecePar {
    Pieces(u32),
    Seconds(u32),
}

impl Default for PiecePar {
    fn default() -> Self {
        PiecePar::Pieces(DEFAULT_PIECE_PAR)
    }
}

impl PiecePar {
    /// Pieces of `piece_len` bytes for a file played at `bytes_per_sec`; a setting in seconds
    /// falls back to the default piece count while the bitrate is not known.
    pub fn pieces(self, bytes_per_sec: Option<f64>, piece_len: u64) -> u32 {
        match self {
            PiecePar::Pieces(n) => pieces_clamped(u64::from(n)),
            PiecePar::Seconds(s) => match bytes_per_sec.filter(|b| *b > 0.0) {
                Some(bps) => pieces_clamped((f64::from(s) * bps / piece_len.max(1) as f64).ceil() as u64),
                None => DEFAULT_PIECE_PAR,
            },
        }
    }

    /// Seconds of playback that `pieces` hold at `bytes_per_sec`.
    pub fn seconds_of(pieces: u32, bytes_per_sec: Option<f64>, piece_len: u64) -> Option<f64> {
        let bps = bytes_per_sec.filter(|b| *b > 0.0)?;
        Some(f64::from(pieces) * piece_len as f64 / bps)
    }

    /// The same setting, limited to what the program accepts.
    pub fn clamped(self) -> PiecePar {
        match self {
            PiecePar::Pieces(n) => PiecePar::Pieces(pieces_clamped(u64::from(n))),
            PiecePar::Seconds(s) => PiecePar::Seconds(s.clamp(1, MAX_PIECE_PAR_SECS)),
        }
    }
}

/// A count of pieces limited to what piece_par accepts (1 to `MAX_PIECE_PAR`).
pub fn pieces_clamped(n: u64) -> u32 {
    n.clamp(1, u64::from(MAX_PIECE_PAR)) as u32
}

impl fmt::Display for PiecePar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PiecePar::Pieces(n) => write!(f, "{n}"),
            PiecePar::Seconds(s) => write!(f, "{s}s"),
        }
    }
}

impl serde::Serialize for PiecePar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// As written: `16` or `30s`.
impl<'de> serde::Deserialize<'de> for PiecePar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e: BadPiecePar| serde::de::Error::custom(e.0))
    }
}

/// Why a piece_par value was refused: the whole message, naming the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPiecePar(pub String);

impl fmt::Display for BadPiecePar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "piece_par must be a number of pieces from 1 to {MAX_PIECE_PAR} (like 16), or seconds of playback from 1 s to 24 h (like 30s, 2m or 1m30s), not '{}'",
            self.0
        )
    }
}

impl std::error::Error for BadPiecePar {}

impl FromStr for PiecePar {
    type Err = BadPiecePar;

    /// `16` (pieces), `30s`, `2m`, `1m30s` or `1h` (seconds of playback).
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let bad = || BadPiecePar(value.to_string());
        let v = value.trim();
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            let n: u32 = v.parse().map_err(|_| bad())?;
            return (1..=MAX_PIECE_PAR)
                .contains(&n)
                .then_some(PiecePar::Pieces(n))
                .ok_or_else(bad);
        }
        let mut secs: u64 = 0;
        let mut digits = String::new();
        let mut units = 0;
        for c in v.chars() {
            match c {
                '0'..='9' => digits.push(c),
                'h' | 'm' | 's' if !digits.is_empty() => {
                    let n: u64 = digits.parse().map_err(|_| bad())?;
                    let unit = match c {
                        'h' => 3600,
                        'm' => 60,
                        _ => 1,
                    };
                    secs = secs.saturating_add(n.saturating_mul(unit));
                    digits.clear();
                    units += 1;
                }
                _ => return Err(bad()),
            }
        }
        if units == 0 || !digits.is_empty() || !(1..=u64::from(MAX_PIECE_PAR_SECS)).contains(&secs) {
            return Err(bad());
        }
        Ok(PiecePar::Seconds(secs as u32))
    }
}

/// The engine's fixed per-stream readahead.
pub const ENGINE_READAHEAD: u64 = 32 * 1024 * 1024;

/// Pieces the engine really fetches first for a player: piece_par, or the engine's floor.
pub fn effective_window(piece_par: u32, piece_len: u64) -> u32 {
    let floor = ENGINE_READAHEAD.div_ceil(piece_len.max(1));
    (u64::from(piece_par).max(floor)).min(u64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pieces_and_seconds() {
        let ok = [
            ("16", PiecePar::Pieces(16)),
            ("4096", PiecePar::Pieces(4096)),
            ("30s", PiecePar::Seconds(30)),
            ("2m", PiecePar::Seconds(120)),
            ("1m30s", PiecePar::Seconds(90)),
            ("1h", PiecePar::Seconds(3600)),
            (" 45s ", PiecePar::Seconds(45)),
        ];
        for (text, want) in ok {
            assert_eq!(text.parse::<PiecePar>(), Ok(want), "{text}");
        }
        for bad in [
            "", "0", "4097", "0s", "25h", "s", "30x", "-1", "1.5s", "30 s", "m30",
        ] {
            let e = bad.parse::<PiecePar>().unwrap_err();
            assert!(e.to_string().contains("like 30s"), "{bad}: {e}");
        }
        assert_eq!(PiecePar::Seconds(90).to_string(), "90s");
        assert_eq!(PiecePar::Pieces(7).to_string(), "7");
    }

    #[test]
    fn seconds_become_pieces_through_the_bitrate() {
        let mib = 1024 * 1024;
        // 1 MiB/s, 4 MiB pieces: 30 s is 7.5 pieces, so 8.
        assert_eq!(PiecePar::Seconds(30).pieces(Some(mib as f64), 4 * mib), 8);
        assert_eq!(PiecePar::Seconds(1).pieces(Some(1.0), 4 * mib), 1);
        assert_eq!(
            PiecePar::Seconds(86_400).pieces(Some(1e9), 16 * 1024),
            MAX_PIECE_PAR
        );
        assert_eq!(PiecePar::Seconds(30).pieces(None, mib), DEFAULT_PIECE_PAR);
        assert_eq!(PiecePar::Pieces(5).pieces(Some(1.0), mib), 5);
        assert_eq!(PiecePar::seconds_of(8, Some(mib as f64), 4 * mib), Some(32.0));
        assert_eq!(PiecePar::seconds_of(8, None, mib), None);
    }
}
