//! The HTML index at `/` and the M3U playlist.

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use warp::http::{HeaderValue, StatusCode, header};

use super::{HttpState, Reply, simple};
use crate::fmt;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const MEDIA: &[&str] = &[
    "mkv", "mp4", "m4v", "avi", "webm", "mov", "wmv", "mpg", "mpeg", "ts", "m2ts", "flv", "ogv", "mp3",
    "flac", "ogg", "opus", "m4a", "aac", "wav", "mka",
];

pub fn is_media(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, e)| MEDIA.contains(&e.to_ascii_lowercase().as_str()))
}

pub fn page(state: &HttpState, head: bool) -> Reply {
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
progress{{width:8em}}</style></head><body><h1>{title}</h1>"
    );
    let pct = fmt::percent(s.progress_bytes, s.total_bytes);
    let _ = write!(
        h,
        "<table><tr><th>State</th><td>{}</td></tr>\
<tr><th>Info hash</th><td><code>{}</code></td></tr>\
<tr><th>Size</th><td>{} in {} files</td></tr>\
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
        s.files.iter().filter(|f| !f.padding).count(),
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
    let magnet = format!(
        "magnet:?xt=urn:btih:{}&dn={}",
        s.info_hash,
        super::encode_path(&s.name)
    );
    let _ = write!(
        h,
        "<p><a href=\"/playlist.m3u\">Playlist (M3U)</a> · <a href=\"/{}\">.torrent</a> · <a href=\"{}\">Magnet link</a> · <a href=\"/status.json\">status.json</a></p>",
        attr(&super::encode_path(&format!("{}.torrent", s.name))),
        attr(&magnet),
    );
    h.push_str("<table><tr><th>#</th><th>File</th><th>Size</th><th>Progress</th></tr>");
    for f in s.files.iter().filter(|f| !f.padding) {
        let url = state.file_url(&f.path);
        let _ = write!(
            h,
            "<tr><td class=n>{}</td><td><a href=\"{}\">{}</a>{}</td><td class=n>{}</td><td class=n>{:.1}%</td></tr>",
            f.index,
            attr(&url),
            text(&f.path),
            if f.players > 0 { " ▶" } else { "" },
            fmt::size(f.length),
            fmt::percent(f.progress_bytes, f.length),
        );
    }
    h.push_str("</table><p>Open a file's link in mpv, VLC or Kodi. bt2p-tui</p></body></html>\n");
    let mut r = simple(StatusCode::OK, "text/html; charset=utf-8", h.into_bytes(), head);
    let hd = r.headers_mut();
    hd.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    hd.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    hd.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// Every media file in natural order (`Ep 2` before `Ep 10`), with absolute URLs.
pub fn playlist(state: &HttpState, head: bool) -> Reply {
    let mut files: Vec<_> = state
        .engine
        .files()
        .iter()
        .filter(|f| !f.padding && is_media(&f.path))
        .cloned()
        .collect();
    files.sort_by(|a, b| natord::compare(&a.path, &b.path));
    let mut m = String::from("#EXTM3U\n");
    for f in files {
        let title = f.path.rsplit('/').next().unwrap_or(&f.path);
        let title = title.rsplit_once('.').map(|(t, _)| t).unwrap_or(title);
        let _ = write!(
            m,
            "#EXTINF:-1,{}\n{}\n",
            title.replace(['\n', '\r'], " "),
            state.file_url(&f.path)
        );
    }
    simple(
        StatusCode::OK,
        "audio/x-mpegurl; charset=utf-8",
        m.into_bytes(),
        head,
    )
}
