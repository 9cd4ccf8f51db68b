//! `GET /` (and `GET /?piece_par=N`): the HTML index of the torrent.

use std::fmt::Write;
use std::sync::Arc;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use warp::Filter;
use warp::http::{HeaderValue, StatusCode, header};
use warp::reject::Rejection;

use super::filters::{head, with_state};
use super::{HttpState, Reply, piece_par, simple};
use crate::engine::FileSnap;
use crate::fmt;
use crate::links::Links;
use crate::subtitles::Pairs;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn route(state: &Arc<HttpState>) -> impl Filter<Extract = (Reply,), Error = Rejection> + Clone + use<> {
    piece_par::apply(state)
        .and(with_state(state))
        .and(head())
        .map(|state: Arc<HttpState>, head| page(&state, head))
}

fn page(state: &HttpState, head: bool) -> Reply {
    let s = state.engine.snapshot_now();
    let mut h = String::with_capacity(4096);
    let title = text(&s.name);
    let _ = write!(
        h,
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
<meta name=viewport content=\"width=device-width,initial-scale=1\">\
<meta http-equiv=refresh content=\"5; url=/\"><title>{title} — bt2p-tui</title>\
<style>body{{font:15px/1.4 system-ui,sans-serif;margin:1.5em;max-width:70em}}\
table{{border-collapse:collapse;width:100%}}td,th{{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left}}\
td.n{{text-align:right;white-space:nowrap}}code{{word-break:break-all}}\
progress{{width:8em}}.sub{{margin-left:1.5em}}</style></head><body><h1>{title}</h1>"
    );
    let pct = fmt::percent(s.progress_bytes, s.total_bytes);
    let _ = write!(
        h,
        "<table><tr><th>State</th><td>{}</td></tr>\
<tr><th>Info hash</th><td><code>{}</code></td></tr>\
<tr><th>Size</th><td>{} in {}</td></tr>\
<tr><th>Pieces</th><td>{} × {}</td></tr>\
<tr><th>Progress</th><td><progress max=100 value=\"{pct:.1}\"></progress> {pct:.1}% ({})</td></tr>\
<tr><th>Speed</th><td>↓ {} ↑ {}</td></tr>\
<tr><th>Peers</th><td>{} seeders, {} leechers connected</td></tr>\
<tr><th>piece_par</th><td>{} pieces ({}); the engine fetches {} pieces ({}) ahead of each player\
<form method=get action=\"/\" style=\"display:inline;margin-left:1em\"><input name=piece_par type=number min=1 max={} value=\"{}\" style=\"width:6em\"> <button>Set</button></form></td></tr>\
<tr><th>Players</th><td>{}</td></tr></table>",
        text(&s.state),
        text(&s.info_hash),
        fmt::size(s.total_bytes),
        match s.files.iter().filter(|f| !f.padding).count() {
            1 => "1 file".to_string(),
            n => format!("{n} files"),
        },
        s.piece_count,
        fmt::size(s.piece_len),
        fmt::size(s.progress_bytes),
        fmt::speed(s.download_bps),
        fmt::speed(s.upload_bps),
        s.seeders,
        s.leechers,
        s.piece_par,
        fmt::size(u64::from(s.piece_par) * s.piece_len),
        s.effective_window_pieces,
        fmt::size(u64::from(s.effective_window_pieces) * s.piece_len),
        crate::engine::MAX_PIECE_PAR,
        s.piece_par,
        s.streams.len(),
    );
    let root = Links::root();
    let magnet = crate::create::magnet(&s.info_hash, &s.name, &[]);
    let _ = write!(
        h,
        "<p><a href=\"{}\">Playlist (M3U)</a> · <a href=\"{}\">.torrent</a> · <a href=\"{}\">Magnet link</a> · <a href=\"{}\">status.json</a></p>",
        attr(&root.playlist()),
        attr(&root.torrent(&s.name)),
        attr(&magnet),
        attr(&root.status()),
    );
    h.push_str("<table><tr><th>#</th><th>File</th><th>Size</th><th>Progress</th></tr>");
    let pairs = state.engine.subtitles();
    let visible = s.files.iter().filter(|f| !f.padding).map(|f| f.index);
    let links = state.links();
    // Each video's subtitles right under it, marked as such.
    for f in pairs
        .listing_order(visible)
        .into_iter()
        .filter_map(|i| s.files.get(i))
    {
        file_row(&mut h, links, pairs, f);
    }
    h.push_str("</table><p>Open a file's link in mpv, VLC or Kodi. bt2p-tui</p></body></html>\n");
    let mut r = simple(StatusCode::OK, "text/html; charset=utf-8", h.into_bytes(), head);
    let hd = r.headers_mut();
    hd.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    hd.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    hd.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

fn file_row(h: &mut String, links: Links, pairs: &Pairs, f: &FileSnap) {
    let link = format!("<a href=\"{}\">{}</a>", attr(&links.file(&f.path)), text(&f.path));
    let playing = if f.players > 0 { " ▶" } else { "" };
    let name = match pairs.video_of(f.index) {
        Some(_) => format!("<span class=sub>↳ subtitles: {link}{playing}</span>"),
        None => {
            let note = match pairs.of(f.index).len() {
                0 => String::new(),
                1 => " <small>(1 subtitle file)</small>".into(),
                n => format!(" <small>({n} subtitle files)</small>"),
            };
            format!("{link}{playing}{note}")
        }
    };
    let _ = write!(
        h,
        "<tr><td class=n>{}</td><td>{name}</td><td class=n>{}</td><td class=n>{:.1}%</td></tr>",
        f.index,
        fmt::size(f.length),
        fmt::percent(f.progress_bytes, f.length),
    );
}
