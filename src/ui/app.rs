//! Dashboard state and what keys do to it. Pure: no terminal, no engine.

use std::collections::VecDeque;

use crate::engine::{Snapshot, pieces_clamped};
use crate::links::Links;

/// Samples kept for the speed history: 2 per second, 4 minutes.
pub const HISTORY: usize = 480;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Files,
    Peers,
    Window,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Url,
    Qr,
    /// The TVs of the LAN, to cast the selected file to.
    Cast,
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    PieceParAdd(i32),
    PieceParDouble,
    PieceParHalve,
    Up,
    Down,
    ShowUrl,
    ShowQr,
    CopyUrl,
    Play,
    /// Lists the TVs of the LAN to cast the selected file to.
    Cast,
    /// The TV playing: pause or resume, seek by seconds, stop.
    CastPause,
    CastSeek(i32),
    CastStop,
    TogglePause,
    ToggleLog,
    NextFocus,
    Help,
    Close,
    Quit,
}

/// What an action asks of the world outside the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    SetPiecePar(u32),
    TogglePause,
    Copy(String),
    /// Start the player on a URL, with a subtitle's.
    Play(String, Option<String>),
    /// Search the LAN for TVs (the answer comes back in `Casting`).
    SearchRenderers,
    /// Cast file (index) to that renderer.
    Cast(crate::cast::Renderer, usize),
    Steer(crate::cast::Steer),
    Quit,
}

/// What the dashboard knows of casting: the TVs a search found, and the cast now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Casting {
    pub searching: bool,
    pub renderers: Vec<crate::cast::Renderer>,
    pub status: Option<crate::cast::CastStatus>,
}

/// Everything the dashboard remembers between frames.
#[derive(Debug)]
pub struct App {
    /// The selected file's index in the torrent (never a padding file's).
    pub selected: usize,
    pub focus: Focus,
    pub overlay: Option<Overlay>,
    pub show_log: bool,
    /// Download and upload rates, oldest first.
    pub history: VecDeque<(u64, u64)>,
    /// The download is done and nothing moves: the history is kept as it was.
    pub history_frozen: bool,
    /// A short note in the status bar (e.g. "URL copied").
    pub note: Option<String>,
    pub peers_offset: usize,
    /// Errors logged so far; a new one opens the log panel.
    pub errors_seen: u64,
    pub base_url: String,
    /// Indices of the visible files in the order they are listed: each video followed by its
    /// subtitles (paired by the engine, carried in the snapshot).
    pub order: Vec<usize>,
    pub casting: Casting,
    /// The renderer picked in the cast overlay.
    pub cast_pick: usize,
    /// The name the DLNA MediaServer is announced under (`--dlna`).
    pub dlna_name: Option<String>,
}

impl App {
    pub fn new(base_url: String) -> Self {
        App {
            selected: 0,
            focus: Focus::Files,
            overlay: None,
            show_log: false,
            history: VecDeque::with_capacity(HISTORY),
            history_frozen: false,
            note: None,
            peers_offset: 0,
            errors_seen: 0,
            base_url,
            order: Vec::new(),
            casting: Casting::default(),
            cast_pick: 0,
            dlna_name: None,
        }
    }

    pub fn on_snapshot(&mut self, s: &Snapshot) {
        // Once the download is done and nothing moves, the graph keeps how it went.
        let idle = s.download_bps < 1.0 && s.upload_bps < 1.0;
        self.history_frozen = s.state == crate::engine::TorrentState::Seeding && idle;
        if !self.history_frozen {
            if self.history.len() == HISTORY {
                self.history.pop_front();
            }
            self.history
                .push_back((s.download_bps as u64, s.upload_bps as u64));
        }
        self.refresh_listing(s);
        if !self.order.contains(&self.selected) {
            self.selected = self.order.first().copied().unwrap_or(0);
        }
        self.peers_offset = self.peers_offset.min(s.peers.len().saturating_sub(1));
    }

    /// Takes the snapshot's listing when the files are new. The first time, the first video or
    /// audio file is selected, as that is what the user came for.
    fn refresh_listing(&mut self, s: &Snapshot) {
        if self.order == s.listing.order {
            return;
        }
        let first = self.order.is_empty();
        self.order = s.listing.order.clone();
        if first {
            self.selected = s.listing.first_to_play.unwrap_or(0);
        }
    }

    /// A new error was logged: show the log, once per error.
    pub fn on_errors(&mut self, total: u64) {
        if total > self.errors_seen {
            self.errors_seen = total;
            self.show_log = true;
        }
    }

    /// The URL of the selected file.
    pub fn selected_url(&self, s: &Snapshot) -> Option<String> {
        let f = s.files.get(self.selected).filter(|f| f.shown())?;
        Some(Links::new(&self.base_url).file(&f.path))
    }

    /// The URLs of the selected video's subtitles, as players should be given them.
    pub fn selected_subtitle_urls(&self, s: &Snapshot) -> Vec<String> {
        s.subtitles
            .for_player(self.selected)
            .iter()
            .filter_map(|sub| s.files.get(sub.key))
            .map(|f| Links::new(&self.base_url).file(&f.path))
            .collect()
    }

    pub fn playlist_url(&self) -> String {
        Links::new(&self.base_url).playlist()
    }

    pub fn apply(&mut self, a: Action, s: &Snapshot) -> Option<Effect> {
        self.note = None;
        let pp = s.piece_par;
        let set = |n: u64| Some(Effect::SetPiecePar(pieces_clamped(n)));
        match a {
            Action::Quit => return Some(Effect::Quit),
            Action::Close => self.overlay = None,
            Action::Help => self.toggle(Overlay::Help),
            Action::ShowUrl if self.overlay == Some(Overlay::Cast) => return self.cast_picked(),
            Action::Up | Action::Down if self.overlay == Some(Overlay::Cast) => {
                let max = self.casting.renderers.len().saturating_sub(1);
                self.cast_pick = step(self.cast_pick, a == Action::Down, max);
            }
            Action::Cast => {
                self.toggle(Overlay::Cast);
                if self.overlay == Some(Overlay::Cast) {
                    self.cast_pick = 0;
                    self.casting.searching = true;
                    return Some(Effect::SearchRenderers);
                }
            }
            Action::CastPause | Action::CastSeek(_) | Action::CastStop => return self.steer(a),
            Action::ShowUrl => self.toggle(Overlay::Url),
            Action::ShowQr => self.toggle(Overlay::Qr),
            Action::PieceParAdd(d) => return set((i64::from(pp) + i64::from(d)).max(1) as u64),
            Action::PieceParDouble => return set(u64::from(pp) * 2),
            Action::PieceParHalve => return set(u64::from(pp) / 2),
            Action::TogglePause => return Some(Effect::TogglePause),
            Action::ToggleLog => self.show_log = !self.show_log,
            Action::NextFocus => {
                self.focus = match self.focus {
                    Focus::Files => Focus::Peers,
                    Focus::Peers => Focus::Window,
                    Focus::Window => Focus::Files,
                }
            }
            Action::Up | Action::Down => {
                let down = a == Action::Down;
                if self.focus == Focus::Peers {
                    let max = s.peers.len().saturating_sub(1);
                    self.peers_offset = step(self.peers_offset, down, max);
                } else {
                    // Through the files as listed, subtitles under their video.
                    self.refresh_listing(s);
                    let at = self.order.iter().position(|i| *i == self.selected).unwrap_or(0);
                    let to = step(at, down, self.order.len().saturating_sub(1));
                    self.selected = self.order.get(to).copied().unwrap_or(self.selected);
                }
            }
            Action::CopyUrl => {
                let url = self.selected_url(s)?;
                self.note = Some("URL copied to the clipboard (OSC 52)".into());
                return Some(Effect::Copy(url));
            }
            Action::Play => {
                let url = self.selected_url(s)?;
                let subtitle = self.selected_subtitle_urls(s).into_iter().next();
                self.note = Some("starting the player on this machine (--player; l shows its log)".into());
                return Some(Effect::Play(url, subtitle));
            }
        }
        None
    }

    /// Enter in the cast overlay: the selected file to the renderer picked.
    fn cast_picked(&mut self) -> Option<Effect> {
        let renderer = self.casting.renderers.get(self.cast_pick)?.clone();
        self.overlay = None;
        self.note = Some(format!("casting to {}…", renderer.name));
        Some(Effect::Cast(renderer, self.selected))
    }

    /// A key for the TV playing; a note when nothing is cast.
    fn steer(&mut self, a: Action) -> Option<Effect> {
        use crate::cast::Steer;
        let Some(status) = &self.casting.status else {
            self.note = Some("nothing is cast: t casts the selected file to a TV".into());
            return None;
        };
        let steer = match a {
            Action::CastPause if status.state == "PLAYING" => Steer::Pause,
            Action::CastPause => Steer::Resume,
            Action::CastSeek(by) => Steer::SeekBy(f64::from(by)),
            _ => Steer::Stop,
        };
        Some(Effect::Steer(steer))
    }

    fn toggle(&mut self, o: Overlay) {
        self.overlay = if self.overlay == Some(o) { None } else { Some(o) };
    }
}

fn step(v: usize, down: bool, max: usize) -> usize {
    if down {
        (v + 1).min(max)
    } else {
        v.saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(pp: u32) -> Snapshot {
        let file = |i: usize, p: &str| crate::engine::FileSnap {
            index: i,
            path: p.into(),
            length: 10,
            offset: 0,
            progress_bytes: 0,
            first_piece: 0,
            end_piece: 1,
            padding: false,
            players: 0,
            duration_secs: None,
            prefetch: None,
            subtitle_tracks: Vec::new(),
        };
        let mut s = Snapshot {
            piece_par: pp,
            ..Default::default()
        };
        s.set_files(vec![file(0, "a b.mkv"), file(1, "c.srt")]);
        s
    }

    fn files(paths: &[&str]) -> Snapshot {
        let mut s = snap(16);
        let mut v = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let mut f = s.files[0].clone();
            (f.index, f.path) = (i, p.to_string());
            v.push(f);
        }
        s.set_files(v);
        s
    }

    #[test]
    fn selection_follows_the_listing_and_starts_on_a_video() {
        // Listed in natural order, subtitles under their video: a.mkv, a.en.srt, a.fr.srt,
        // b.mkv, info.nfo.
        let s = files(&["info.nfo", "a.en.srt", "a.mkv", "a.fr.srt", "b.mkv"]);
        let mut app = App::new("http://h:1".into());
        app.on_snapshot(&s);
        assert_eq!(app.order, vec![2, 1, 3, 4, 0]);
        assert_eq!(app.selected, 2, "the first video");
        assert_eq!(
            app.selected_subtitle_urls(&s),
            vec!["http://h:1/a.en.srt", "http://h:1/a.fr.srt"]
        );
        let mut seen = vec![app.selected];
        for _ in 0..5 {
            app.apply(Action::Down, &s);
            seen.push(app.selected);
        }
        assert_eq!(seen, vec![2, 1, 3, 4, 0, 0]);
        app.apply(Action::Up, &s);
        assert_eq!(app.selected, 4);
        app.on_snapshot(&s);
        assert_eq!(app.selected, 4, "a new snapshot keeps the selection");
        assert_eq!(app.apply(Action::ShowQr, &s), None);
        assert_eq!(app.overlay, Some(Overlay::Qr));
        app.apply(Action::ShowQr, &s);
        assert_eq!(app.overlay, None);
        assert_eq!(app.playlist_url(), "http://h:1/playlist.m3u");
    }

    #[test]
    fn actions() {
        let mut app = App::new("http://h:1".into());
        let s = snap(16);
        assert_eq!(
            app.apply(Action::PieceParAdd(1), &s),
            Some(Effect::SetPiecePar(17))
        );
        assert_eq!(
            app.apply(Action::PieceParAdd(-1), &snap(1)),
            Some(Effect::SetPiecePar(1))
        );
        assert_eq!(
            app.apply(Action::PieceParDouble, &s),
            Some(Effect::SetPiecePar(32))
        );
        assert_eq!(
            app.apply(Action::PieceParHalve, &snap(1)),
            Some(Effect::SetPiecePar(1))
        );
        assert_eq!(
            app.apply(Action::PieceParDouble, &snap(4096)),
            Some(Effect::SetPiecePar(4096))
        );
        assert_eq!(app.apply(Action::Down, &s), None);
        assert_eq!(app.selected, 1);
        app.apply(Action::Down, &s);
        assert_eq!(app.selected, 1, "stays on the last file");
        app.apply(Action::Up, &s);
        assert_eq!(
            app.apply(Action::CopyUrl, &s),
            Some(Effect::Copy("http://h:1/a%20b.mkv".into()))
        );
        app.apply(Action::Help, &s);
        assert_eq!(app.overlay, Some(Overlay::Help));
        app.apply(Action::Close, &s);
        assert_eq!(app.overlay, None);
        app.apply(Action::NextFocus, &s);
        assert_eq!(app.focus, Focus::Peers);
        assert_eq!(app.apply(Action::Quit, &s), Some(Effect::Quit));
        app.on_errors(2);
        assert!(app.show_log);
        app.apply(Action::ToggleLog, &s);
        app.on_errors(2);
        assert!(!app.show_log, "the same errors do not reopen the log");
    }
}
