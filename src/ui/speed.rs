//! Download speed over the last minutes, with the upload speed in the title.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::symbols;
use ratatui::widgets::Sparkline;

use super::app::App;
use super::theme::Theme;
use crate::fmt;

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let width = area.width.saturating_sub(2) as usize;
    let data: Vec<u64> = app
        .history
        .iter()
        .rev()
        .take(width)
        .rev()
        .map(|(d, _)| *d)
        .collect();
    let peak = data.iter().copied().max().unwrap_or(0);
    let (down, up) = t.arrows();
    let last_up = app.history.back().map(|h| h.1).unwrap_or(0);
    let title = format!(
        " Speed {down} peak {}, {up} {}, last {} s ",
        fmt::speed(peak as f64),
        fmt::speed(last_up as f64),
        data.len() / 2
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
