//! The help overlay, the large URL view with player command lines, and the QR code.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::app::App;
use super::keys::BINDINGS;
use super::theme::Theme;
use crate::engine::Snapshot;

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

pub fn help(f: &mut Frame, area: Rect, t: &Theme) {
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            let k = if t.ascii {
                b.label.replace("↑ ↓", "Up Dn")
            } else {
                b.label.to_string()
            };
            Line::from(vec![
                Span::styled(format!(" {k:<11}"), t.accent()),
                Span::raw(b.help),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    let ge = if t.ascii { ">=" } else { "≥" };
    let figures = [
        (
            " 2S 1L",
            "connected seeders and leechers   201x1.0M: pieces x piece size".to_string(),
        ),
        (
            " piece_par",
            "16 (31s): pieces ahead of each player, and seconds of playback".into(),
        ),
        (" ~", "seconds estimated from the player's read rate".into()),
        (
            " ttfb",
            format!("time to first byte; seeks: p50 / p95 wait; stalls: reads {ge}1 s"),
        ),
        (
            " ahead",
            "verified data past its position; player: held by the player".into(),
        ),
    ];
    for (name, what) in figures {
        lines.push(Line::from(vec![
            Span::styled(format!("{name:<12}"), t.accent()),
            Span::raw(what),
        ]));
    }
    lines.push(Line::styled(
        " Cells: one per piece from the player's position onward.",
        t.dim(),
    ));
    let r = centered(area, 76, lines.len() as u16 + 2);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(t.block().title(" Keys (Esc closes) ")),
        r,
    );
}

pub fn url(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    let Some(url) = app.selected_url(s) else { return };
    let w = area.width.saturating_sub(2);
    let inner = usize::from(w.saturating_sub(2));
    let subs = app.selected_subtitle_urls(s);
    let mut mpv = vec!["mpv --cache=yes".to_string()];
    mpv.extend(subs.iter().map(|u| format!("--sub-file='{u}'")));
    mpv.push(format!("'{url}'"));
    // VLC takes a single subtitle file on its command line.
    let mut vlc = vec!["vlc --network-caching=10000".to_string()];
    vlc.extend(subs.first().map(|u| format!("--sub-file='{u}'")));
    vlc.push(format!("'{url}'"));
    let mut lines = vec![
        Line::raw(""),
        Line::styled(url.clone(), t.accent()),
        Line::from(vec![
            Span::styled("playlist: ", t.dim()),
            Span::raw(app.playlist_url()),
        ]),
        Line::raw(""),
        Line::styled("mpv:", t.dim()),
    ];
    lines.extend(command(&mpv, inner).into_iter().map(Line::raw));
    lines.push(Line::styled("VLC:", t.dim()));
    lines.extend(command(&vlc, inner).into_iter().map(Line::raw));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "y copies the URL, c shows it as a QR code, Esc closes",
        t.dim(),
    ));
    let p = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(t.block().title(" Open in a player "));
    let h = p.line_count(w.saturating_sub(2)).min(usize::from(u16::MAX)) as u16;
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    f.render_widget(p, r);
}

/// A command on one line when it fits, else an argument a line with shell continuations, so
/// that the lines pasted together still run as one command.
fn command(parts: &[String], width: usize) -> Vec<String> {
    let one = parts.join(" ");
    if one.chars().count() <= width {
        return vec![one];
    }
    let last = parts.len().saturating_sub(1);
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let indent = if i == 0 { "" } else { "  " };
            let more = if i < last { " \\" } else { "" };
            format!("{indent}{p}{more}")
        })
        .collect()
}

/// The selected file's URL as a QR code, white on black, sized to the terminal.
pub fn qr(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    use crate::qr::{MIN_QUIET, QUIET, Qr};
    let Some(url) = app.selected_url(s) else { return };
    let title = " Scan (Esc closes) ";
    let code = Qr::new(&url);
    // The widest quiet zone that fits, with the border and the caption line.
    let fits = |c: &Qr, q: usize| {
        let (w, h) = c.size(q);
        w + 2 <= usize::from(area.width) && h + 3 <= usize::from(area.height)
    };
    let problem = match &code {
        _ if t.ascii => "A QR code needs a UTF-8 terminal (the locale is not).".to_string(),
        None => "This URL is too long for a QR code.".to_string(),
        Some(c) if !fits(c, MIN_QUIET) => {
            let (w, h) = c.size(MIN_QUIET);
            format!("This URL's QR code needs a terminal of {}x{}.", w + 2, h + 3)
        }
        Some(c) => {
            let quiet = (MIN_QUIET..=QUIET)
                .rev()
                .find(|q| fits(c, *q))
                .unwrap_or(MIN_QUIET);
            return draw_code(f, area, c, quiet, url, title, t);
        }
    };
    let lines = vec![
        Line::raw(""),
        Line::raw(problem),
        Line::raw(""),
        Line::styled(url, t.accent()),
    ];
    let w = area.width.saturating_sub(4);
    let p = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(t.block().title(title));
    let h = p.line_count(w.saturating_sub(2)).min(usize::from(u16::MAX)) as u16;
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    f.render_widget(p, r);
}

fn draw_code(
    f: &mut Frame,
    area: Rect,
    code: &crate::qr::Qr,
    quiet: usize,
    url: String,
    title: &str,
    t: &Theme,
) {
    // Light modules are drawn in the foreground: white on black whatever the terminal's
    // colours, or in the terminal's own (light on dark, most often) under NO_COLOR.
    let style = if t.color {
        Style::default().fg(Color::White).bg(Color::Black)
    } else {
        Style::default()
    };
    let (w, h) = code.size(quiet);
    let mut lines: Vec<Line> = code
        .lines(quiet)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect();
    let caption = if url.chars().count() > w {
        format!("{}…", url.chars().take(w.saturating_sub(1)).collect::<String>())
    } else {
        url
    };
    lines.push(Line::styled(caption, t.dim()).centered());
    let r = centered(area, (w + 2) as u16, (h + 3) as u16);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(t.block().title(title).title_alignment(Alignment::Center)),
        r,
    );
}

/// The TVs a search of the LAN found, to cast the selected file to.
pub fn cast(f: &mut Frame, area: Rect, app: &App, s: &Snapshot, t: &Theme) {
    let w = area.width.saturating_sub(4).min(72);
    let file = s.files.get(app.selected).map_or("", |f| f.path.as_str());
    let mut lines = vec![
        Line::raw(""),
        Line::from(vec![
            Span::styled(" cast ", t.dim()),
            Span::styled(file.to_string(), t.accent()),
        ]),
        Line::raw(""),
    ];
    let c = &app.casting;
    if c.renderers.is_empty() {
        lines.push(Line::raw(match c.searching {
            true => " searching the LAN for TVs (3 s)…",
            false => " no TV answered: is it on, on this LAN, within --allow? t searches again",
        }));
    }
    let mark = if t.ascii { ">" } else { "▶" };
    for (i, name) in c.renderers.iter().map(|r| &r.name).enumerate() {
        let picked = i == app.cast_pick;
        let style = if picked { t.selected() } else { t.accent() };
        let m = if picked { mark } else { " " };
        lines.push(Line::styled(format!(" {m} {name}"), style));
    }
    if c.searching && !c.renderers.is_empty() {
        lines.push(Line::styled(" (searching again…)", t.dim()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" ↑ ↓ pick, Enter casts, Esc closes", t.dim()));
    let p = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(t.block().title(" Cast to a TV "));
    let h = p.line_count(w.saturating_sub(2)).min(usize::from(u16::MAX)) as u16;
    let r = centered(area, w, h);
    f.render_widget(Clear, r);
    f.render_widget(p, r);
}
