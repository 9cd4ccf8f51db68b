//! Download speed over the last minutes, with the upload speed in the title.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::symbols;
use ratatui::widgets::Sparkline;

use super::app::App;
use super::theme::Theme;
use crate::fmt;

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let width = area.width.saturating_sub(2) as usize;
    let downs: Vec<u64> = app.history.iter().map(|(d, _)| *d).collect();
    let data = fit(&downs, width);
    let peak = downs.iter().copied().max().unwrap_or(0);
    let (down, up) = t.arrows();
    let last_up = app.history.back().map(|h| h.1).unwrap_or(0);
    let span = Duration::from_millis(downs.len() as u64 * 500);
    let title = format!(
        " Speed {down} peak {}, {up} {}, last {}{} ",
        fmt::speed(peak as f64),
        fmt::speed(last_up as f64),
        fmt::duration(span),
        if app.history_frozen { ", download done" } else { "" }
    );
    let spark = Sparkline::default()
        .block(t.block().title(title).border_style(t.dim()))
        .data(&data)
        .bar_set(if t.ascii {
            ascii_bars()
        } else {
            symbols::bar::NINE_LEVELS
        })
        .style(t.verified());
    f.render_widget(spark, area);
}

/// The samples in at most `width` bars: all of them, each bar the mean of as many consecutive
/// samples as it takes (the newest at the right).
fn fit(samples: &[u64], width: usize) -> Vec<u64> {
    if width == 0 {
        return Vec::new();
    }
    let per_bar = samples.len().div_ceil(width).max(1);
    // Whole groups end at the newest sample; the oldest group may be short.
    let first = samples.len() % per_bar;
    let mut bars: Vec<u64> = Vec::with_capacity(width);
    if first > 0 {
        bars.push(samples[..first].iter().sum::<u64>() / first as u64);
    }
    bars.extend(
        samples[first..]
            .chunks(per_bar)
            .map(|c| c.iter().sum::<u64>() / c.len() as u64),
    );
    bars
}

fn ascii_bars() -> symbols::bar::Set<'static> {
    symbols::bar::Set {
        full: "#",
        seven_eighths: "#",
        three_quarters: "=",
        five_eighths: "=",
        half: "-",
        three_eighths: "-",
        one_quarter: "_",
        one_eighth: "_",
        empty: " ",
    }
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn the_whole_history_fits_the_width() {
        assert_eq!(fit(&[1, 2, 3], 10), vec![1, 2, 3]);
        assert_eq!(fit(&[2, 4, 6, 8], 2), vec![3, 7]);
        // Five samples in two bars: the newest three, and the oldest two.
        assert_eq!(fit(&[9, 1, 2, 3, 6], 2), vec![5, 3]);
        assert_eq!(fit(&[], 5), Vec::<u64>::new());
        assert_eq!(fit(&[5; 480], 78).len(), 69);
        assert_eq!(fit(&[5; 7], 0), Vec::<u64>::new());
    }
}
