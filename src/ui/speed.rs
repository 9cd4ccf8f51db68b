//! Download speed over the last minutes, with the upload speed in the title.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::symbols;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::widgets::Sparkline;

use super::app::App;
use super::theme::Theme;
use crate::fmt;

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let downs: Vec<u64> = app.history.iter().map(|(d, _)| *d).collect();
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
    let block = t.block().title(title).border_style(t.dim());
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    // A scale at the left: the round figure the bars are drawn against, and 0.
    let top = scale(peak);
    let label = format!("{}/s", fmt::compact(top));
    let [axis, bars] =
        Layout::horizontal([Constraint::Length(label.len() as u16 + 1), Constraint::Fill(1)]).areas(inner);
    let mut marks = vec![Line::styled(label, t.dim())];
    marks.resize(usize::from(inner.height.saturating_sub(1)), Line::default());
    marks.push(Line::styled("0", t.dim()));
    f.render_widget(Paragraph::new(marks).alignment(Alignment::Right), axis);
    let bars = bars_right(bars);
    let data = fit(&downs, usize::from(bars.width));
    let spark = Sparkline::default()
        .data(&data)
        .max(top)
        .bar_set(if t.ascii {
            ascii_bars()
        } else {
            symbols::bar::NINE_LEVELS
        })
        .style(t.verified());
    f.render_widget(spark, bars);
}

/// The bars' area less its first column (a gap after the scale).
fn bars_right(bars: Rect) -> Rect {
    Rect {
        x: bars.x.saturating_add(1).min(bars.right()),
        width: bars.width.saturating_sub(1),
        ..bars
    }
}

/// The scale's top: the first round figure (10, 15, 20, 25, 30, 40, 50, 60 or 80 tenths of a
/// power of ten, in bytes, KiB, MiB…) a tenth above the peak, so a steady rate does not fill
/// the panel.
fn scale(peak: u64) -> u64 {
    let want = peak.saturating_add(peak / 10).max(1);
    let mut unit: u64 = 1;
    while want / unit >= 1000 && unit < 1 << 40 {
        unit *= 1024;
    }
    for step in [1, 10, 100] {
        for tenths in [10, 15, 20, 25, 30, 40, 50, 60, 80] {
            let top = tenths * step * unit / 10;
            if top >= want {
                return top;
            }
        }
    }
    unit * 1024
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
    use super::{fit, scale};

    #[test]
    fn the_scale_is_a_round_figure_above_the_peak() {
        const M: u64 = 1024 * 1024;
        assert_eq!(scale(0), 1);
        assert_eq!(scale(900), 1024);
        assert_eq!(scale(M), 3 * M / 2);
        assert_eq!(scale(19 * M), 25 * M);
        assert_eq!(scale(3 * M), 4 * M);
        assert_eq!(scale(600 * M), 800 * M);
        assert_eq!(scale(800 * M), 1024 * M);
        assert_eq!(scale(20 * 1024), 25 * 1024);
    }

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
