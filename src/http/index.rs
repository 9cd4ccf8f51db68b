//! `GET /` (and `GET /?piece_par=N`): the HTML index of the torrent; `GET /?play=N`, the page
//! that plays file N in the browser (`watch`).

use std::fmt::Write;
use std::sync::Arc;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use warp::Filter;
use warp::http::StatusCode;
use warp::reject::Rejection;

use super::filters::{head, query_param, raw_query, with_state};
use super::{HttpState, Reply, piece_par, simple, watch};
use crate::engine::{FileSnap, Snapshot};
use crate::fmt;
use crate::links::Links;
use crate::subtitles::Pairs;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn route(state: &Arc<HttpState>) -> impl Filter<Extract = (Reply,), Error = Rejection> + Clone + use<> {
    piece_par::apply(state)
        .and(with_state(state))
        .and(head())
        .and(raw_query())
        .map(|state: Arc<HttpState>, head, query: String| {
            let Some(play) = query_param(&query, "play") else {
                return page(&state, head);
            };
            play.parse()
                .ok()
                .and_then(|idx| watch::page(&state, idx, head))
                .unwrap_or_else(|| {
                    let msg =
                        format!("No audio or video file {play} in this torrent: the index lists them.\n");
                    simple(
                        StatusCode::NOT_FOUND,
                        "text/plain; charset=utf-8",
                        msg.into_bytes(),
                        head,
                    )
                })
        })
}

fn page(state: &HttpState, head: bool) -> Reply {
    let s = state.engine.snapshot().borrow().clone();
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
progress{{width:8em}}.sub{{margin-left:1.5em}}</style></head><body><h1>{title}</h1><table>"
    );
    for (name, value) in summary(&s) {
        let _ = write!(h, "<tr><th>{name}</th><td>{value}</td></tr>");
    }
    let root = Links::root();
    let magnet = crate::links::magnet(&s.info_hash, &s.name, &[]);
    let _ = write!(
        h,
        "</table><p><a href=\"{}\">Playlist (M3U)</a> · <a href=\"{}\">.torrent</a> · <a href=\"{}\">Magnet link</a> · <a href=\"{}\">status.json</a></p>",
        attr(&root.playlist()),
        attr(&root.torrent(&s.name)),
        attr(&magnet),
        attr(&root.status()),
    );
    h.push_str("<table><tr><th>#</th><th>File</th><th>Size</th><th>Progress</th></tr>");
    let pairs = state.engine.subtitles();
    let links = state.links();
    // As the dashboard lists them: each video's subtitles right under it, marked as such.
    for f in s.listing.order.iter().filter_map(|i| s.files.get(*i)) {
        file_row(&mut h, links, pairs, &s.listing.webvtt, f);
    }
    h.push_str("</table><p>Open a file's link in mpv, VLC or Kodi. bt2p-tui</p></body></html>\n");
    let mut r = simple(StatusCode::OK, "text/html; charset=utf-8", h.into_bytes(), head);
    super::safety::page(r.headers_mut(), CSP);
    r
}

/// The rows of the table at the top: a name, and its value as HTML.
fn summary(s: &Snapshot) -> [(&'static str, String); 9] {
    let pct = fmt::percent(s.progress_bytes, s.total_bytes);
    let files = match s.files.iter().filter(|f| f.shown()).count() {
        1 => "1 file".to_string(),
        n => format!("{n} files"),
    };
    let window = |pieces: u32| fmt::size(u64::from(pieces) * s.piece_len);
    [
        ("State", s.state.to_string()),
        ("Info hash", format!("<code>{}</code>", text(&s.info_hash))),
        ("Size", format!("{} in {files}", fmt::size(s.total_bytes))),
        (
            "Pieces",
            format!("{} × {}", s.piece_count, fmt::size(s.piece_len)),
        ),
        (
            "Progress",
            format!(
                "<progress max=100 value=\"{pct:.1}\"></progress> {pct:.1}% ({})",
                fmt::size(s.progress_bytes)
            ),
        ),
        (
            "Speed",
            format!("↓ {} ↑ {}", fmt::speed(s.download_bps), fmt::speed(s.upload_bps)),
        ),
        (
            "Peers",
            format!("{} seeders, {} leechers connected", s.seeders, s.leechers),
        ),
        (
            "piece_par",
            format!(
                "{} — {}; the engine fetches {ew} pieces ({}) ahead of each player\
<form method=get action=\"/\" style=\"display:inline;margin-left:1em\"><input name=piece_par value=\"{}\" pattern=\"[0-9]+|([0-9]+[hms])+\" title=\"pieces (16) or seconds of playback (30s, 2m)\" style=\"width:6em\"> <button>Set</button></form>",
                text(&crate::figures::piece_par(s, true)),
                window(s.piece_par),
                window(s.effective_window_pieces),
                s.piece_par_setting,
                ew = s.effective_window_pieces,
            ),
        ),
        ("Players", s.streams.len().to_string()),
    ]
}

/// An embedded track as the index names it: `eng srt`, `fre ass, forced`, `English (eng srt)`.
fn track_label(t: &crate::media::tracks::SubtitleTrack) -> String {
    let mut what = [t.language.as_deref().unwrap_or(""), t.codec.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if t.forced {
        what.push_str(", forced");
    }
    match &t.name {
        Some(name) => format!("{name} ({what})"),
        None => what,
    }
}

fn file_row(
    h: &mut String,
    links: Links,
    pairs: &Pairs,
    webvtt: &std::collections::BTreeMap<usize, String>,
    f: &FileSnap,
) {
    let link = format!("<a href=\"{}\">{}</a>", attr(&links.file(&f.path)), text(&f.path));
    let playing = match (f.players, f.prefetch) {
        (1.., _) => " ▶",
        (0, Some(crate::engine::Prefetch::Ready)) => " <small>» next, ready to play</small>",
        (0, Some(crate::engine::Prefetch::Fetching)) => " <small>» next, its start coming</small>",
        (0, None) => "",
    };
    let name = match pairs.video_of(f.index) {
        Some(_) => {
            // Browsers read subtitles only as WebVTT: SRT, ASS and SSA are offered that way too.
            let vtt = match webvtt.get(&f.index) {
                Some(v) => format!(" (<a href=\"{}\">WebVTT</a>)", attr(&links.file(v))),
                None => String::new(),
            };
            format!("<span class=sub>↳ subtitles: {link}{vtt}{playing}</span>")
        }
        None => {
            let mut note = match pairs.of(f.index).len() {
                0 => String::new(),
                1 => " <small>(1 subtitle file)</small>".into(),
                n => format!(" <small>({n} subtitle files)</small>"),
            };
            if !f.subtitle_tracks.is_empty() {
                let tracks: Vec<String> = f.subtitle_tracks.iter().map(track_label).collect();
                let _ = write!(
                    note,
                    " <small>(subtitles inside: {})</small>",
                    text(&tracks.join(", "))
                );
            }
            let watch = match crate::media::is_media(&f.path) {
                true => format!(" · <a href=\"/?play={}\">play here</a>", f.index),
                false => String::new(),
            };
            format!("{link}{playing}{watch}{note}")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_rows() {
        let s = Snapshot {
            name: "Show".into(),
            info_hash: "<ab>".into(),
            state: crate::engine::TorrentState::Seeding,
            piece_len: 1 << 20,
            piece_count: 3,
            piece_par: 2,
            piece_par_setting: crate::engine::PiecePar::Pieces(2),
            piece_par_secs: Some(5.0),
            piece_par_secs_source: Some(crate::engine::RateSource::Container),
            effective_window_pieces: 32,
            total_bytes: 3 << 20,
            progress_bytes: 3 << 20,
            seeders: 4,
            leechers: 1,
            ..Default::default()
        };
        let rows = summary(&s);
        let names: Vec<&str> = rows.iter().map(|(n, _)| *n).collect();
        let want = [
            "State",
            "Info hash",
            "Size",
            "Pieces",
            "Progress",
            "Speed",
            "Peers",
            "piece_par",
            "Players",
        ];
        assert_eq!(names, want);
        let value = |name: &str| rows.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(value("Info hash"), Some("<code>&lt;ab&gt;</code>"));
        assert_eq!(
            value("Size"),
            Some(format!("{} in 0 files", fmt::size(3 << 20)).as_str())
        );
        assert_eq!(value("Peers"), Some("4 seeders, 1 leechers connected"));
        assert_eq!(value("Players"), Some("0"));
        let pp = value("piece_par").unwrap_or_default();
        assert!(pp.starts_with("2 (5.0s) — 2"), "{pp}");
        assert!(
            pp.contains("fetches 32 pieces") && pp.contains("value=\"2\""),
            "{pp}"
        );
    }
}
