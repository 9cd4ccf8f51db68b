//! QR codes of URLs drawn as text with half blocks: each character cell holds two modules,
//! one above the other. Light modules are drawn (`█`, `▀`, `▄`) and dark ones left blank, inside
//! a light quiet zone, so the code reads right on a terminal with light text on a dark
//! background; the dashboard sets white on black itself.

use qrcode::{Color, EcLevel, QrCode};

/// The smallest quiet zone phones still read reliably; the standard asks for 4.
pub const MIN_QUIET: usize = 2;
pub const QUIET: usize = 4;

/// The modules of one code.
#[derive(Debug, Clone)]
pub struct Qr {
    width: usize,
    dark: Vec<bool>,
}

impl Qr {
    /// None when the text is too long for any QR code.
    pub fn new(text: &str) -> Option<Qr> {
        // A screen is neither torn nor stained: the lowest error correction keeps the code
        // smallest, so it fits a small terminal.
        let code = QrCode::with_error_correction_level(text, EcLevel::L).ok()?;
        Some(Qr {
            width: code.width(),
            dark: code.to_colors().into_iter().map(|c| c == Color::Dark).collect(),
        })
    }

    /// Modules on a side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Columns and rows of text the code takes with a quiet zone of `quiet` modules.
    pub fn size(&self, quiet: usize) -> (usize, usize) {
        let n = self.width + 2 * quiet;
        (n, n.div_ceil(2))
    }

    fn light(&self, x: usize, y: usize, quiet: usize) -> bool {
        let (Some(x), Some(y)) = (x.checked_sub(quiet), y.checked_sub(quiet)) else {
            return true;
        };
        x >= self.width || y >= self.width || !self.dark[y * self.width + x]
    }

    /// The code as lines of text, quiet zone included.
    pub fn lines(&self, quiet: usize) -> Vec<String> {
        let (cols, rows) = self.size(quiet);
        (0..rows)
            .map(|r| {
                (0..cols)
                    .map(
                        |x| match (self.light(x, 2 * r, quiet), self.light(x, 2 * r + 1, quiet)) {
                            (true, true) => '█',
                            (true, false) => '▀',
                            (false, true) => '▄',
                            (false, false) => ' ',
                        },
                    )
                    .collect()
            })
            .collect()
    }
}

/// The text of `url`'s code with the standard quiet zone, or why there is none.
pub fn text(url: &str) -> Result<String, String> {
    let qr = Qr::new(url).ok_or_else(|| format!("{url} is too long for a QR code"))?;
    Ok(qr.lines(QUIET).join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads half-block text back as an image (light = white, 4 pixels a module) and decodes it.
    fn decode(lines: &[String]) -> Vec<String> {
        const PX: usize = 4;
        let cells: Vec<Vec<char>> = lines.iter().map(|l| l.chars().collect()).collect();
        let w = cells.iter().map(Vec::len).max().unwrap_or(0) * PX;
        let h = cells.len() * 2 * PX;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            let c = cells[y / (2 * PX)].get(x / PX).copied().unwrap_or(' ');
            let top = (y / PX).is_multiple_of(2);
            let light = match c {
                '█' => true,
                '▀' => top,
                '▄' => !top,
                _ => false,
            };
            if light { 255 } else { 0 }
        });
        img.detect_grids()
            .iter()
            .map(|g| g.decode().map(|(_, s)| s).unwrap_or_default())
            .collect()
    }

    #[test]
    fn decodes_back_to_the_url() {
        for url in [
            "http://192.168.1.20:17580/bbb.mkv",
            "http://media.lan:17580/Season%201/Ep%2010%20%5B1080p%5D.mkv",
            "http://[fd00::1]:17580/a",
        ] {
            let qr = Qr::new(url).unwrap();
            for quiet in [MIN_QUIET, QUIET] {
                assert_eq!(decode(&qr.lines(quiet)), vec![url.to_string()], "quiet {quiet}");
            }
        }
    }

    #[test]
    fn shape() {
        // 33 bytes need version 3 at level L: 29 modules, 37 with the quiet zone, 19 rows.
        let qr = Qr::new("http://192.168.1.20:17580/bbb.mkv").unwrap();
        assert_eq!(qr.width(), 29);
        assert_eq!(qr.size(QUIET), (37, 19));
        let lines = qr.lines(QUIET);
        assert_eq!(lines.len(), 19);
        assert!(lines.iter().all(|l| l.chars().count() == 37));
        // The quiet zone is light all round: two full rows on top, the last row's lower half.
        assert!(lines[0].chars().all(|c| c == '█') && lines[1].chars().all(|c| c == '█'));
        assert!(lines[18].chars().all(|c| c == '█'));
        assert!(lines.iter().all(|l| l.starts_with("████") && l.ends_with("████")));
        assert!(text(&"x".repeat(3000)).is_err());
    }
}
