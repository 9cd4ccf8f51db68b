//! The dashboard drawn from fixed snapshots into ratatui's TestBackend, and its event loop
//! driven by scripted keys.

mod common;

use std::sync::Arc;
use std::sync::Mutex;

use bt2p_tui::engine::{FileSnap, Have, PeerSnap, Prefetch, Snapshot, StreamSnap};
use bt2p_tui::ui::app::App;
use bt2p_tui::ui::theme::Theme;
use bt2p_tui::ui::{Control, draw, run_loop};
use common::{DEADLINE, wait_for};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::Color;

const KIB: u64 = 1024;

/// A torrent of two files, 1 MiB pieces, one player waiting on a piece, a few peers, and every
/// cell state in the player's window: verified, receiving, missing, blocked.
fn snapshot() -> Snapshot {
    let piece = 1024 * KIB;
    let files = vec![
        FileSnap {
            index: 0,
            path: "bbb.mkv".into(),
            length: 200 * piece,
            offset: 0,
            progress_bytes: 61 * piece,
            first_piece: 0,
            end_piece: 200,
            padding: false,
            players: 1,
            duration_secs: Some(600.0),
            prefetch: None,
            subtitle_tracks: Vec::new(),
        },
        FileSnap {
            index: 1,
            path: "Subs/bbb.en.srt".into(),
            length: 40 * KIB,
            offset: 200 * piece,
            progress_bytes: 0,
            first_piece: 200,
            end_piece: 201,
            padding: false,
            players: 0,
            duration_secs: None,
            prefetch: None,
            subtitle_tracks: Vec::new(),
        },
    ];
    // Pieces 0..=49 and 60..=70 verified; 50 is where the player waits; 51, 52 receiving.
    let mut bits = vec![0u8; 26];
    for p in (0..50).chain(60..=70) {
        bits[p / 8] |= 0x80 >> (p % 8);
    }
    let mut s = Snapshot {
        name: "Big Buck Bunny".into(),
        info_hash: "c20fbb0fd7a205ad84745afed2a8118acc6240c6".into(),
        state: bt2p_tui::engine::TorrentState::Downloading,
        piece_len: piece,
        piece_count: 201,
        piece_par: 16,
        effective_window_pieces: 32,
        progress_bytes: 61 * piece,
        total_bytes: 200 * piece + 40 * KIB,
        download_bps: 20.0 * 1024.0 * 1024.0,
        upload_bps: 512.0 * 1024.0,
        eta_secs: Some(7),
        peers_connected: 3,
        seeders: 2,
        leechers: 1,
        peers_connecting: 1,
        peers: vec![
            PeerSnap {
                addr: "192.168.1.7:51413".into(),
                client: Some("Transmission 4.0".into()),
                state: "live".into(),
                download_bps: 12.0 * 1024.0 * 1024.0,
                upload_bps: 0.0,
                fetched_bytes: 40 * piece,
                uploaded_bytes: 0,
                transport: Some("tcp".into()),
                encrypted: true,
                requests_in_flight: 96,
                request_window: 128,
            },
            PeerSnap {
                addr: "10.0.0.3:6881".into(),
                client: Some("qBittorrent 4.5".into()),
                state: "live".into(),
                download_bps: 8.0 * 1024.0 * 1024.0,
                upload_bps: 512.0 * 1024.0,
                fetched_bytes: 21 * piece,
                uploaded_bytes: 3 * piece,
                transport: Some("utp".into()),
                encrypted: false,
                requests_in_flight: 12,
                request_window: 40,
            },
        ],
        streams: vec![StreamSnap {
            id: 1,
            client: "192.168.1.20:50312".into(),
            file: 0,
            position: 50 * piece + 1000,
            end: 200 * piece,
            file_len: 200 * piece,
            piece: 50,
            window_end_piece: 82,
            window_pieces: 32,
            piece_par: 16,
            piece_par_secs: None,
            waiting_ms: Some(1500),
            stalled_now: true,
            window_streams: 1,
            peers_with_piece: Some(2),
            piece_fetchers: vec!["10.0.0.3:6881".into()],
            piece_asked_ms: Some(1400),
            age_secs: 30,
            metrics: None,
        }],
        receiving: vec![(51, 512 * KIB as u32), (52, 100 * KIB as u32)],
        have: Arc::new(Have { bits, len: 201 }),
        ..Default::default()
    };
    s.set_files(files);
    s
}

fn app(s: &Snapshot) -> App {
    let mut a = App::new("http://192.168.1.20:17580".into());
    for i in 0..60 {
        let mut s2 = s.clone();
        s2.download_bps = (i % 20) as f64 * 1024.0 * 1024.0;
        a.on_snapshot(&s2);
    }
    a
}

fn render(w: u16, h: u16, app: &App, s: &Snapshot, theme: Theme) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app, s, &theme)).unwrap();
    t
}

fn lines(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    let w = buf.area.width;
    (0..buf.area.height)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect())
        .collect()
}

const UTF8: Theme = Theme {
    color: true,
    ascii: false,
};

const ASCII: Theme = Theme {
    color: true,
    ascii: true,
};

#[test]
fn dashboard_80x24() {
    let s = snapshot();
    let t = render(80, 24, &app(&s), &s, UTF8);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn dashboard_120x40_with_log() {
    let s = snapshot();
    let mut a = app(&s);
    a.show_log = true;
    let t = render(120, 40, &a, &s, UTF8);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn window_row_cells_in_every_state() {
    let s = snapshot();
    let t = render(80, 24, &app(&s), &s, UTF8);
    let rows = lines(&t);
    // Blocked on 50, 51 half received, 52 a tenth, missing until 60, verified 60..=70; the
    // piece_par boundary after 16 cells, the engine window's after 32.
    let cells = rows.iter().find(|r| r.starts_with("│!")).expect("no window row");
    assert!(
        cells.starts_with("│!▅▁·······██████│█████···········│"),
        "{cells}"
    );
    let label = rows
        .iter()
        .find(|r| r.contains("bbb.mkv 50M 25.0%"))
        .expect("no player label");
    assert!(label.contains("waits 1.5 s on #50 (≥2 peers have it)"), "{label}");
    assert!(label.contains("192.168.1.20:50312"), "{label}");
}

/// A player reading at the download's edge with its own buffer full waits for each piece, but
/// it plays on: no `!`, no wait in its label.
#[test]
fn a_player_waiting_with_a_full_buffer_is_no_alarm() {
    let mut s = snapshot();
    s.streams[0].stalled_now = false;
    let t = render(80, 24, &app(&s), &s, UTF8);
    let rows = lines(&t);
    assert!(!rows.iter().any(|r| r.starts_with("│!")), "{rows:#?}");
    let label = rows
        .iter()
        .find(|r| r.contains("bbb.mkv 50M 25.0%"))
        .expect("no player label");
    assert!(!label.contains("waits"), "{label}");
}

#[test]
fn no_player_shows_what_a_player_would_get() {
    let mut s = snapshot();
    s.streams.clear();
    let t = render(80, 24, &app(&s), &s, UTF8);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn help_and_url_overlays() {
    let s = snapshot();
    let mut a = app(&s);
    a.overlay = Some(bt2p_tui::ui::app::Overlay::Help);
    insta::assert_snapshot!("help", render(80, 24, &a, &s, UTF8).backend());
    a.overlay = Some(bt2p_tui::ui::app::Overlay::Url);
    insta::assert_snapshot!("url", render(80, 24, &a, &s, UTF8).backend());
}

#[test]
fn no_color_has_no_colours_and_ascii_has_no_unicode() {
    let s = snapshot();
    let t = render(
        80,
        24,
        &app(&s),
        &s,
        Theme {
            color: false,
            ascii: true,
        },
    );
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "coloured cell {cell:?}"
        );
    }
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    let rows = lines(&t);
    let window = rows.iter().find(|r| r.starts_with("|!")).expect("no window row");
    assert!(
        window.starts_with("|!50.......######|#####...........|"),
        "{window}"
    );
    assert!(text.is_ascii(), "{text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn every_small_size_renders_without_panic() {
    let s = snapshot();
    let a = app(&s);
    for w in 0..=70 {
        for h in 0..=20 {
            render(w, h, &a, &s, UTF8);
        }
    }
    render(500, 200, &a, &s, UTF8);
    let small = render(40, 10, &a, &s, UTF8);
    let text: String = small
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(text.contains("terminal too small (needs 60x16"), "{text}");
}

#[derive(Default)]
struct Recorder {
    piece_par: Mutex<Vec<u32>>,
    /// Where a new piece_par is published, as the engine does before `set_piece_par` returns.
    publish: Option<Arc<tokio::sync::watch::Sender<Snapshot>>>,
    pauses: Mutex<u32>,
    played: Mutex<Vec<(String, Option<String>)>>,
}

impl Control for Recorder {
    fn set_piece_par(&self, n: u32) {
        self.piece_par.lock().unwrap().push(n);
        if let Some(tx) = &self.publish {
            tx.send_modify(|s| s.piece_par = n);
        }
    }
    fn toggle_pause(&self) {
        *self.pauses.lock().unwrap() += 1;
    }
    fn play(&self, url: String, subtitle: Option<String>) {
        self.played.lock().unwrap().push((url, subtitle));
    }
}

/// A TestBackend that the test reads while the event loop draws on it.
#[derive(Clone)]
struct Shared(Arc<Mutex<TestBackend>>);

impl Shared {
    fn text(&self) -> String {
        let b = self.0.lock().unwrap();
        b.buffer().content().iter().map(|c| c.symbol()).collect()
    }
}

impl Backend for Shared {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(&mut self, content: I) -> Result<(), Self::Error> {
        self.0.lock().unwrap().draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.0.lock().unwrap().hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.0.lock().unwrap().show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.0.lock().unwrap().get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.0.lock().unwrap().set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.0.lock().unwrap().clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.0.lock().unwrap().clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.0.lock().unwrap().size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.0.lock().unwrap().window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.0.lock().unwrap().flush()
    }
}

#[tokio::test]
async fn event_loop_follows_scripted_keys_and_snapshots() {
    let s = snapshot();
    let (tx, rx) = tokio::sync::watch::channel(s.clone());
    let tx = Arc::new(tx);
    let (ktx, krx) = tokio::sync::mpsc::unbounded_channel::<std::io::Result<Event>>();
    let events = tokio_stream_from(krx);
    let key = |c: KeyCode| Ok(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    let rec = Recorder {
        publish: Some(tx.clone()),
        ..Default::default()
    };
    let screen = Shared(Arc::new(Mutex::new(TestBackend::new(80, 24))));
    let mut term = Terminal::new(screen.clone()).unwrap();
    let mut a = App::new("http://h:1".into());
    let cancel = tokio_util::sync::CancellationToken::new();
    let script = async {
        ktx.send(key(KeyCode::Char('+'))).unwrap();
        ktx.send(key(KeyCode::Char('*'))).unwrap();
        ktx.send(key(KeyCode::Char('p'))).unwrap();
        wait_for("the three keys to be handled", DEADLINE, async || {
            let seen = (rec.piece_par.lock().unwrap().clone(), *rec.pauses.lock().unwrap());
            if seen.0.len() == 2 && seen.1 == 1 {
                Ok(())
            } else {
                Err(seen)
            }
        })
        .await;
        let mut s2 = s.clone();
        s2.piece_par = 5;
        tx.send(s2).unwrap();
        wait_for("the new snapshot on the screen", DEADLINE, async || {
            let text = screen.text();
            if text.contains("piece_par 5 ") {
                Ok(())
            } else {
                Err(text)
            }
        })
        .await;
        ktx.send(key(KeyCode::Char('-'))).unwrap();
        ktx.send(Ok(Event::Resize(40, 10))).unwrap();
        ktx.send(key(KeyCode::Char('q'))).unwrap();
    };
    let (r, _) = tokio::join!(
        tokio::time::timeout(
            DEADLINE,
            run_loop(&mut term, events, rx, &rec, UTF8, &mut a, &cancel)
        ),
        script
    );
    r.expect("the loop did not end on q").unwrap();
    // 16+1, then doubled from what is in force (17), then 5-1 from the new snapshot.
    assert_eq!(*rec.piece_par.lock().unwrap(), vec![17, 34, 4]);
    assert_eq!(*rec.pauses.lock().unwrap(), 1);
    assert!(cancel.is_cancelled(), "q asks the whole program to stop");
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<std::io::Result<Event>>,
) -> impl futures::Stream<Item = std::io::Result<Event>> + Unpin {
    Box::pin(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

/// A season with subtitles beside, under and in a Subs folder of its videos.
fn season() -> Snapshot {
    let mut s = snapshot();
    let base = s.files[0].clone();
    let paths = [
        ("Show/Ep 1.en.srt", 30 * KIB),
        ("Show/Ep 1.mkv", 90 * 1024 * KIB),
        ("Show/Ep 10.mkv", 60 * 1024 * KIB),
        ("Show/Ep 2.mkv", 50 * 1024 * KIB),
        ("Show/Subs/Ep 1/2_English.srt", 41 * KIB),
        ("Show/Subs/Ep 2.fr.ass", 52 * KIB),
        ("Show/info.nfo", 2 * KIB),
    ];
    let mut offset = 0;
    let files: Vec<FileSnap> = paths
        .iter()
        .enumerate()
        .map(|(i, (p, len))| {
            let f = FileSnap {
                index: i,
                path: p.to_string(),
                length: *len,
                offset,
                progress_bytes: if p.ends_with(".mkv") { 0 } else { *len },
                players: u32::from(i == 1),
                ..base.clone()
            };
            offset += len;
            f
        })
        .collect();
    s.set_files(files);
    s.streams[0].file = 1;
    s
}

#[test]
fn subtitles_sit_under_their_video_and_reach_the_player_lines() {
    let s = season();
    let mut a = app(&s);
    // The first video is selected at start, its subtitles listed under it.
    assert_eq!(a.selected, 1);
    insta::assert_snapshot!("season_80x24", render(80, 24, &a, &s, UTF8).backend());
    a.overlay = Some(bt2p_tui::ui::app::Overlay::Url);
    let t = render(80, 24, &a, &s, UTF8);
    let text = lines(&t).join("\n");
    assert!(
        text.contains("--sub-file='http://192.168.1.20:17580/Show/Ep%201.en.srt'"),
        "{text}"
    );
    assert!(
        text.contains("playlist: http://192.168.1.20:17580/playlist.m3u"),
        "{text}"
    );
    insta::assert_snapshot!("season_url_80x24", t.backend());
}

/// The next episode fetched ahead is marked in the files panel: `»` (`+` in ASCII), in the
/// receiving colour while its start comes, in the verified colour once it is there.
#[test]
fn the_header_names_the_dlna_server_when_there_is_one() {
    let s = snapshot();
    let mut a = app(&s);
    let title = |a: &App| lines(&render(100, 30, a, &s, UTF8))[0].clone();
    assert!(!title(&a).contains("DLNA"), "{}", title(&a));
    a.dlna_name = Some("Living room".into());
    assert!(title(&a).contains("DLNA: Living room"), "{}", title(&a));
}

#[test]
fn the_next_file_fetched_ahead_is_marked() {
    let mut s = season();
    let mut files = s.files.as_ref().clone();
    files[3].prefetch = Some(Prefetch::Ready);
    files[2].prefetch = Some(Prefetch::Fetching);
    s.files = Arc::new(files);
    let a = app(&s);
    for (theme, mark) in [(UTF8, "»"), (ASCII, "+")] {
        let t = render(80, 24, &a, &s, theme);
        let text = lines(&t);
        for name in ["Ep 2.mkv", "Ep 10.mkv"] {
            let line = text.iter().find(|l| l.contains(name)).unwrap();
            let cells: Vec<&str> = line.trim_start_matches(['│', '|']).split_whitespace().collect();
            assert_eq!(cells[0], mark, "{name}: {line}");
        }
        let ep1 = text.iter().find(|l| l.contains("Ep 1.mkv")).unwrap();
        assert!(
            !ep1.contains(mark),
            "the file being played keeps its own mark: {ep1}"
        );
    }
    let t = render(80, 24, &a, &s, UTF8);
    let buf = t.backend().buffer();
    let colour_of = |name: &str| {
        let y = (0..buf.area.height)
            .find(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, *y)].symbol())
                    .collect::<String>()
                    .contains(name)
            })
            .unwrap();
        let x = (0..buf.area.width)
            .find(|x| buf[(*x, y)].symbol() == "»")
            .unwrap();
        buf[(x, y)].fg
    };
    assert_ne!(
        colour_of("Ep 2.mkv"),
        colour_of("Ep 10.mkv"),
        "ready and fetching look alike"
    );
}

/// The cells drawn white on black, read back as modules (a cell holds two, one above the
/// other: light where its half is drawn), scaled up to an image and decoded.
fn decode_qr(t: &Terminal<TestBackend>) -> Vec<String> {
    const PX: usize = 4;
    let buf = t.backend().buffer();
    let code: Vec<(u16, u16)> = buf
        .content()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.bg == Color::Black)
        .map(|(i, _)| buf.pos_of(i))
        .collect();
    let xs = code.iter().map(|p| p.0).min().unwrap()..=code.iter().map(|p| p.0).max().unwrap();
    let ys = code.iter().map(|p| p.1).min().unwrap()..=code.iter().map(|p| p.1).max().unwrap();
    let halves = |symbol: &str| match symbol {
        "█" => [true, true],
        "▀" => [true, false],
        "▄" => [false, true],
        _ => [false, false],
    };
    let modules: Vec<Vec<bool>> = ys
        .flat_map(|y| {
            let cells: Vec<[bool; 2]> = xs.clone().map(|x| halves(buf[(x, y)].symbol())).collect();
            [0, 1].map(|half| cells.iter().map(|c| c[half]).collect::<Vec<bool>>())
        })
        .collect();
    let (w, h) = (modules[0].len(), modules.len());
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w * PX, h * PX, |x, y| {
        if modules[y / PX][x / PX] { 255 } else { 0 }
    });
    img.detect_grids()
        .iter()
        .map(|g| g.decode().map(|(_, s)| s).unwrap_or_default())
        .collect()
}

#[test]
fn qr_overlay_scans_back_to_the_selected_url() {
    let s = season();
    let mut a = app(&s);
    a.overlay = Some(bt2p_tui::ui::app::Overlay::Qr);
    let t = render(80, 24, &a, &s, UTF8);
    assert_eq!(
        decode_qr(&t),
        vec!["http://192.168.1.20:17580/Show/Ep%201.mkv".to_string()]
    );
    insta::assert_snapshot!("qr_80x24", t.backend());
    // The next row, a longer URL: a bigger code, still on screen.
    a.apply(bt2p_tui::ui::app::Action::Down, &s);
    let t = render(80, 24, &a, &s, UTF8);
    assert_eq!(
        decode_qr(&t),
        vec!["http://192.168.1.20:17580/Show/Subs/Ep%201/2_English.srt".to_string()]
    );
}

#[test]
fn qr_overlay_says_when_it_cannot_be_drawn() {
    let s = season();
    let mut a = app(&s);
    a.overlay = Some(bt2p_tui::ui::app::Overlay::Qr);
    for w in 0..=90 {
        for h in 0..=30 {
            render(w, h, &a, &s, UTF8);
        }
    }
    let text = lines(&render(60, 16, &a, &s, UTF8)).join("\n");
    assert!(text.contains("needs a terminal of 35x20"), "{text}");
    let ascii = Theme {
        color: false,
        ascii: true,
    };
    let text = lines(&render(80, 24, &a, &s, ascii)).join("\n");
    assert!(text.contains("A QR code needs a UTF-8 terminal"), "{text}");
    assert!(text.is_ascii(), "{text}");
}

/// `t` lists the TVs a search found; ↑ ↓ and Enter cast the selected file to one; then Space,
/// `[ ] { }` and `s` steer it, and the header follows it.
#[test]
fn a_tv_is_picked_cast_to_and_steered_from_the_keys() {
    use bt2p_tui::cast::{CastStatus, Steer};
    use bt2p_tui::ui::app::{Action, Casting, Effect, Overlay};
    let s = snapshot();
    let mut a = app(&s);
    assert_eq!(a.apply(Action::CastPause, &s), None, "nothing is cast yet");
    assert!(a.note.as_deref().unwrap().contains("t casts"), "{:?}", a.note);
    assert_eq!(a.apply(Action::Cast, &s), Some(Effect::SearchRenderers));
    assert_eq!(a.overlay, Some(Overlay::Cast));
    let text = lines(&render(80, 24, &a, &s, UTF8)).join("\n");
    assert!(text.contains("searching the LAN for TVs"), "{text}");

    a.casting = Casting {
        searching: false,
        renderers: ["Kitchen", "Living room & Ünï"]
            .map(|n| bt2p_tui::cast::Renderer {
                name: n.into(),
                control: format!("http://10.0.0.9/{n}"),
            })
            .to_vec(),
        status: None,
    };
    let text = lines(&render(80, 24, &a, &s, UTF8)).join("\n");
    assert!(
        text.contains("▶ Kitchen") && text.contains("  Living room & Ünï"),
        "{text}"
    );
    assert!(text.contains("bbb.mkv"), "the file to cast is named: {text}");
    a.apply(Action::Down, &s);
    let file = a.selected;
    let picked = a.casting.renderers[1].clone();
    assert_eq!(a.apply(Action::ShowUrl, &s), Some(Effect::Cast(picked, file)));
    assert_eq!(a.overlay, None);

    a.casting.status = Some(CastStatus {
        renderer: "Living room & Ünï".into(),
        path: "bbb.mkv".into(),
        state: "PLAYING".into(),
        position_secs: Some(62.0),
        duration_secs: Some(600.0),
        error: None,
    });
    let text = lines(&render(100, 30, &a, &s, UTF8)).join("\n");
    assert!(
        text.contains(" TV Living room & Ünï playing 0:01:02 / 0:10:00"),
        "{text}"
    );
    assert_eq!(a.apply(Action::CastPause, &s), Some(Effect::Steer(Steer::Pause)));
    assert_eq!(
        a.apply(Action::CastSeek(30), &s),
        Some(Effect::Steer(Steer::SeekBy(30.0)))
    );
    assert_eq!(a.apply(Action::CastStop, &s), Some(Effect::Steer(Steer::Stop)));
    a.casting.status.as_mut().unwrap().state = "PAUSED_PLAYBACK".into();
    assert_eq!(a.apply(Action::CastPause, &s), Some(Effect::Steer(Steer::Resume)));
    a.casting.status.as_mut().unwrap().error = Some("the renderer did not answer Pause within 5 s".into());
    let text = lines(&render(100, 30, &a, &s, UTF8)).join("\n");
    assert!(
        text.contains("paused 0:01:02 / 0:10:00  the renderer did not answer Pause"),
        "{text}"
    );
}
