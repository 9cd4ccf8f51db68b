//! `GET /?play=N`: a page that plays file N in the browser, a `<video>` (or `<audio>`) with
//! each of its SRT, ASS and SSA subtitles as a WebVTT `<track>`, the first one shown.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use warp::http::StatusCode;

use super::{HttpState, Reply, simple};
use crate::links::Links;
use crate::media;

/// Media from this server only; no script.
const CSP: &str = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

/// The player page for file `idx`, or None when it is no audio or video file of the torrent.
pub fn page(state: &HttpState, idx: usize, head: bool) -> Option<Reply> {
    let files = state.engine.files();
    let f = files.get(idx).filter(|f| f.shown() && media::is_media(&f.path))?;
    let root = Links::root();
    let pairs = state.engine.subtitles();
    let mut tracks = String::new();
    for (n, sub) in pairs.of(idx).iter().enumerate() {
        let Some(vtt) = state.engine.listing().webvtt.get(&sub.key) else {
            continue;
        };
        let label = if sub.label.is_empty() {
            "Subtitles".to_string()
        } else {
            sub.label.clone()
        };
        // A two- or three-letter label (`en`, `fra`) is the language.
        let lang = match sub.label.len() {
            2 | 3 if sub.label.chars().all(|c| c.is_ascii_alphabetic()) => {
                format!(" srclang=\"{}\"", attr(&sub.label))
            }
            _ => String::new(),
        };
        tracks.push_str(&format!(
            "<track kind=subtitles src=\"{}\" label=\"{}\"{lang}{}>",
            attr(&root.file(vtt)),
            attr(&label),
            if n == 0 { " default" } else { "" },
        ));
    }
    let element = if media::is_video(&f.path) {
        "video"
    } else {
        "audio"
    };
    let name = text(&f.path);
    let html = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
<meta name=viewport content=\"width=device-width,initial-scale=1\"><title>{name} — bt2p-tui</title>\
<style>body{{font:15px/1.4 system-ui,sans-serif;margin:1.5em;background:#111;color:#eee}}\
a{{color:#8cf}}video,audio{{width:100%;max-height:85vh;background:#000}}</style></head><body>\
<p><a href=\"{}\">← {}</a></p><{element} id=player controls autoplay preload=auto src=\"{}\">{tracks}</{element}>\
<p>{name}</p></body></html>\n",
        attr(&root.index()),
        text(&state.engine.snapshot().borrow().name),
        attr(&root.file(&f.path)),
    );
    let mut r = simple(
        StatusCode::OK,
        "text/html; charset=utf-8",
        html.into_bytes(),
        head,
    );
    super::safety::page(r.headers_mut(), CSP);
    Some(r)
}
