//! The dashboard (ratatui): header, files, the window ahead of each player, peers, speed
//! history, log and keys. It reads snapshots and never holds a lock while drawing.

pub mod app;
mod files;
mod header;
pub mod keys;
mod overlay;
mod peers;
mod speed;
pub mod terminal;
pub mod theme;
mod window;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::player::PlayerCommand;

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::cast::Renderer;
use crate::engine::{Engine, Snapshot};
use crate::http::HttpState;
use app::{App, Effect, Overlay};
use theme::Theme;

/// Below this the dashboard says so instead of drawing.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// At most this many frames a second.
const MIN_FRAME: Duration = Duration::from_millis(100);

/// What the dashboard may ask of the engine.
pub trait Control: Send + Sync {
    /// Sets piece_par; a snapshot with its figures is published before this returns.
    fn set_piece_par(&self, n: u32);
    fn toggle_pause(&self);
    /// Starts the player on `url`, with `subtitle`.
    fn play(&self, url: String, subtitle: Option<String>);
    /// Searches the LAN for TVs; what it finds comes back through `casting`.
    fn search_renderers(&self) {}
    /// Casts file `file` to `renderer`.
    fn cast(&self, _renderer: Renderer, _file: usize) {}
    fn steer(&self, _steer: crate::cast::Steer) {}
    fn casting(&self) -> app::Casting {
        app::Casting::default()
    }
}

/// The engine, driven from the dashboard's thread; its work runs on the main runtime.
struct EngineControl {
    engine: Arc<Engine>,
    runtime: tokio::runtime::Handle,
    player: PlayerCommand,
    http: Arc<HttpState>,
    /// The last search for TVs: under way, and what it found.
    found: Arc<Mutex<(bool, Vec<Renderer>)>>,
}

impl Control for EngineControl {
    fn set_piece_par(&self, n: u32) {
        let p = self.engine.set_piece_par(crate::engine::PiecePar::Pieces(n));
        tracing::info!("piece_par set to {p}");
    }

    fn toggle_pause(&self) {
        let engine = self.engine.clone();
        self.runtime.spawn(async move {
            match Engine::toggle_pause(&engine).await {
                Ok(true) => tracing::info!("paused"),
                Ok(false) => tracing::info!("resumed"),
                Err(e) => tracing::error!("pause/resume failed: {e}"),
            }
        });
    }

    fn play(&self, url: String, subtitle: Option<String>) {
        let player = self.player.clone();
        self.runtime
            .spawn(async move { player.play(url, subtitle).await });
    }

    fn search_renderers(&self) {
        let (found, http) = (self.found.clone(), self.http.clone());
        if let Ok(mut f) = found.lock() {
            f.0 = true;
        }
        self.runtime.spawn(async move {
            let list = crate::http::cast::search(&http).await;
            tracing::info!("{} renderer(s) answered the search for TVs", list.len());
            if let Ok(mut f) = found.lock() {
                *f = (false, list);
            }
        });
    }

    fn cast(&self, r: Renderer, file: usize) {
        let http = self.http.clone();
        self.runtime.spawn(async move {
            if let Err(e) = crate::http::cast::cast_file(&http, r, file).await {
                tracing::error!("{}", e.message());
            }
        });
    }

    fn steer(&self, steer: crate::cast::Steer) {
        let http = self.http.clone();
        self.runtime.spawn(async move {
            if let Err(e) = http.cast.steer(steer).await {
                tracing::error!("the TV: {e}");
            }
        });
    }

    fn casting(&self) -> app::Casting {
        let (searching, renderers) = self.found.lock().map(|f| f.clone()).unwrap_or_default();
        app::Casting {
            searching,
            renderers,
            status: self.http.cast.status(),
        }
    }
}

/// Runs the dashboard on the real terminal until `q`, Ctrl-C or `cancel`.
///
/// It has a thread of its own: writing to a slow terminal (a stalled SSH link) blocks only
/// that thread, never the engine or the HTTP server.
pub async fn run(
    http: Arc<HttpState>,
    theme: Theme,
    player: PlayerCommand,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let (engine, base_url) = (http.engine.clone(), http.base_url.clone());
    let dlna_name = http.dlna.as_ref().map(|d| d.name.clone());
    let snaps = engine.snapshot();
    let control = EngineControl {
        engine,
        runtime: tokio::runtime::Handle::current(),
        player,
        http,
        found: Arc::default(),
    };
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("dashboard".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .and_then(|rt| {
                    rt.block_on(async {
                        let _guard = terminal::TerminalGuard::enter()?;
                        let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
                        let mut term = Terminal::new(backend)?;
                        let mut app = App::new(base_url);
                        app.dlna_name = dlna_name;
                        let events = crossterm::event::EventStream::new();
                        run_loop(&mut term, events, snaps, &control, theme, &mut app, &cancel).await
                    })
                });
            let _ = done_tx.send(result);
        })?;
    done_rx.await.unwrap_or_else(|_| {
        Err(std::io::Error::other(
            "it stopped on an internal error (see above)",
        ))
    })
}

/// The event loop, generic over the backend and the event source so tests can script it.
pub async fn run_loop<B, E>(
    term: &mut Terminal<B>,
    mut events: E,
    mut snaps: watch::Receiver<Snapshot>,
    control: &dyn Control,
    theme: Theme,
    app: &mut App,
    cancel: &CancellationToken,
) -> std::io::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    E: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let io = std::io::Error::other;
    let mut snap = snaps.borrow_and_update().clone();
    app.on_snapshot(&snap);
    let mut dirty = true;
    let mut last_frame: Option<Instant> = None;
    loop {
        let wait = last_frame
            .map(|t| MIN_FRAME.saturating_sub(t.elapsed()))
            .unwrap_or_default();
        if dirty && wait.is_zero() {
            term.draw(|f| draw(f, app, &snap, &theme)).map_err(io)?;
            last_frame = Some(Instant::now());
            dirty = false;
            fault_injected();
        }
        let frame_due = async {
            if dirty {
                tokio::time::sleep(wait).await
            } else {
                std::future::pending().await
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => break,
            ev = events.next() => match ev {
                None => break,
                Some(Err(e)) => return Err(e),
                Some(Ok(Event::Key(k))) => {
                    if on_key(k, app, (&mut snap, &mut snaps), control) {
                        cancel.cancel();
                        break;
                    }
                    dirty = true;
                }
                Some(Ok(Event::Resize(..))) => {
                    term.autoresize().map_err(io)?;
                    dirty = true;
                }
                Some(Ok(_)) => {}
            },
            r = snaps.changed() => {
                if r.is_err() {
                    break;
                }
                snap = snaps.borrow_and_update().clone();
                app.on_snapshot(&snap);
                app.casting = control.casting();
                app.on_errors(crate::logging::errors_logged());
                dirty = true;
            }
            _ = frame_due => {}
        }
    }
    Ok(())
}

/// Handles key `k`; returns whether it asks to quit. A setting the key changed is on the
/// screen at once: the engine publishes its figures before the key's effect returns.
fn on_key(
    k: crossterm::event::KeyEvent,
    app: &mut App,
    (snap, snaps): (&mut Snapshot, &mut watch::Receiver<Snapshot>),
    control: &dyn Control,
) -> bool {
    match keys::action_of(k).and_then(|a| app.apply(a, snap)) {
        Some(Effect::Quit) => return true,
        Some(e) => carry_out(e, control),
        None => {}
    }
    if snaps.has_changed().unwrap_or(false) {
        *snap = snaps.borrow_and_update().clone();
        app.on_snapshot(snap);
    }
    false
}

/// What a key asked of the rest of the program (Quit is the loop's own).
fn carry_out(effect: Effect, control: &dyn Control) {
    match effect {
        Effect::Quit => {}
        Effect::SetPiecePar(n) => control.set_piece_par(n),
        Effect::TogglePause => control.toggle_pause(),
        Effect::Copy(url) => terminal::copy_to_clipboard(&url),
        Effect::Play(url, subtitle) => control.play(url, subtitle),
        Effect::SearchRenderers => control.search_renderers(),
        Effect::Cast(renderer, file) => control.cast(renderer, file),
        Effect::Steer(steer) => control.steer(steer),
    }
}

/// Fault injection for the terminal-restore test: a panic with the screen taken.
#[expect(clippy::panic, reason = "the test of the panic hook needs a real panic")]
fn fault_injected() {
    if std::env::var_os("BT2P_FAULT").is_some_and(|v| v == "dashboard-panic") {
        panic!("fault injected (BT2P_FAULT=dashboard-panic)");
    }
}

/// One frame.
pub fn draw(f: &mut Frame, app: &App, s: &Snapshot, t: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small (needs {MIN_WIDTH}x{MIN_HEIGHT}, has {}x{})",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg)
                .wrap(Wrap { trim: true })
                .alignment(Alignment::Center),
            area,
        );
        return;
    }
    let log_h = if app.show_log { (area.height / 4).max(5) } else { 0 };
    let speed_h = if app.show_log && area.height < 30 { 3 } else { 4 };
    let rest = area.height.saturating_sub(header::HEIGHT + speed_h + log_h + 1);
    let lists_h = lists_height(s, rest);
    // The window as tall as its cells need, in what the lists leave; what is left over makes
    // the speed chart taller, up to a third of the screen, then goes to the window.
    let window_h = window::wanted_height(app, s, area.width).clamp(5, rest.saturating_sub(lists_h).max(5));
    let spare = rest.saturating_sub(lists_h + window_h);
    let speed_h = speed_h + spare.min((area.height / 3).saturating_sub(speed_h));
    let [header_a, lists, window_a, speed_a, log_a, status_a] = Layout::vertical([
        Constraint::Length(header::HEIGHT),
        Constraint::Length(lists_h),
        Constraint::Fill(1),
        Constraint::Length(speed_h),
        Constraint::Length(log_h),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(f, header_a, app, s, t);
    let [files_a, peers_a] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(lists);
    files::draw(f, files_a, app, s, t);
    peers::draw(f, peers_a, app, s, t);
    window::draw(f, window_a, app, s, t);
    speed::draw(f, speed_a, app, t);
    if app.show_log {
        log_panel(f, log_a, t);
    }
    status_bar(f, status_a, app, t);
    match app.overlay {
        Some(Overlay::Help) => overlay::help(f, area, t),
        Some(Overlay::Url) => overlay::url(f, area, app, s, t),
        Some(Overlay::Qr) => overlay::qr(f, area, app, s, t),
        Some(Overlay::Cast) => overlay::cast(f, area, app, s, t),
        None => {}
    }
}

/// The files and peers panels as tall as their content, leaving the window (of `rest` lines
/// for both) a label, its figures and a row of cells per player and a legend, up to half;
/// the window takes what is left, for more cells.
fn lists_height(s: &Snapshot, rest: u16) -> u16 {
    let files = s.files.iter().filter(|f| f.shown()).count();
    let content = (files + 2).max(s.peers.len() + 3).max(5);
    let players = s.streams.len().max(1);
    let window = (3 + 3 * players).min(usize::from(rest / 2)).max(5);
    let most = usize::from(rest).saturating_sub(window).max(5);
    u16::try_from(content.min(most)).unwrap_or(5)
}

fn log_panel(f: &mut Frame, area: Rect, t: &Theme) {
    let w = tui_logger::TuiLoggerWidget::default()
        .block(t.block().title(" Log (l hides) ").border_style(t.dim()))
        .output_timestamp(Some("%H:%M:%S".into()))
        .output_level(Some(tui_logger::TuiLoggerLevelOutput::Abbreviated))
        .output_target(false)
        .output_file(false)
        .output_line(false)
        .style_error(t.error())
        .style_warn(t.receiving());
    f.render_widget(w, area);
}

fn status_bar(f: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let mut spans: Vec<Span> = Vec::new();
    for (k, what) in keys::hints() {
        spans.push(Span::styled(format!(" {k}"), t.accent()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    if let Some(n) = &app.note {
        spans.push(Span::styled(format!(" {n}"), t.verified()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
