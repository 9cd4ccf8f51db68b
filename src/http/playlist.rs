//! `GET /playlist.m3u`: the media of the torrent, for players that take a list;
//! `?from=last` starts it at the file watched last.

use std::convert::Infallible;
use std::fmt::Write;
use std::sync::Arc;

use warp::Filter;
use warp::http::StatusCode;

use super::filters::{head, query_param, raw_query, with_state};
use super::{HttpState, Reply, simple};

pub fn route(state: &Arc<HttpState>) -> impl Filter<Extract = (Reply,), Error = Infallible> + Clone + use<> {
    with_state(state)
        .and(head())
        .and(raw_query())
        .map(|state: Arc<HttpState>, head, query: String| playlist(&state, head, &query))
}

fn playlist(state: &HttpState, head: bool, query: &str) -> Reply {
    let from_last = match query_param(query, "from").as_deref() {
        None => false,
        Some("last") => true,
        Some(other) => {
            let msg = format!(
                "from={other} is not known: /playlist.m3u lists every file, /playlist.m3u?from=last starts at the file watched last.\n"
            );
            return simple(
                StatusCode::BAD_REQUEST,
                "text/plain; charset=utf-8",
                msg.into_bytes(),
                head,
            );
        }
    };
    let name = state.engine.snapshot().borrow().name.clone();
    let files = state.engine.files();
    let mut paths: Vec<&str> = state
        .engine
        .listing()
        .playlist
        .iter()
        .filter_map(|i| files.get(*i).map(|f| f.path.as_str()))
        .collect();
    if from_last
        && let Some(last) = state.engine.last_watched()
        && let Some(at) = paths.iter().position(|p| *p == last)
    {
        paths.drain(..at);
    }
    let links = state.links();
    let body = m3u(&name, &paths, |p| links.file(p));
    simple(
        StatusCode::OK,
        "audio/x-mpegurl; charset=utf-8",
        body.into_bytes(),
        head,
    )
}

/// An extended M3U of `paths`, in that order, each titled with its file name without
/// extension.
fn m3u(name: &str, paths: &[&str], url: impl Fn(&str) -> String) -> String {
    let one_line = |t: &str| t.replace(['\n', '\r'], " ");
    let mut m = format!("#EXTM3U\n#PLAYLIST:{}\n", one_line(name));
    for path in paths {
        let file = path.rsplit('/').next().unwrap_or(path);
        let title = file.rsplit_once('.').map(|(t, _)| t).unwrap_or(file);
        let _ = write!(m, "#EXTINF:-1,{}\n{}\n", one_line(title), url(path));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{FileSnap, Snapshot};
    use crate::links::Links;

    fn file(index: usize, path: &str) -> FileSnap {
        FileSnap::new(index, path, 10 * index as u64, 10, 10)
    }

    #[test]
    fn natural_order_with_titles_and_absolute_urls() {
        let paths = [
            "Show/Season 10/Ep 1.mkv",
            "Show/Season 2/Ep 10.mkv",
            "Show/Season 2/Ep 2.mkv",
            "Show/Season 2/Ep 2.en.srt",
            "Show/Season 2/notes.txt",
            "Show/Extras/Making of.mp4",
            "Show/theme.flac",
            "Show/Season 2/odd\nname.avi",
        ];
        let mut s = Snapshot::default();
        s.set_files(paths.iter().enumerate().map(|(i, p)| file(i, p)).collect());
        let ordered: Vec<&str> = s.listing.playlist.iter().map(|i| paths[*i]).collect();
        let links = Links::new("http://media.lan:17580");
        let got = m3u("My Show", &ordered, |p| links.file(p));
        let want = "#EXTM3U\n#PLAYLIST:My Show\n\
#EXTINF:-1,Making of\nhttp://media.lan:17580/Show/Extras/Making%20of.mp4\n\
#EXTINF:-1,Ep 2\nhttp://media.lan:17580/Show/Season%202/Ep%202.mkv\n\
#EXTINF:-1,Ep 10\nhttp://media.lan:17580/Show/Season%202/Ep%2010.mkv\n\
#EXTINF:-1,odd name\nhttp://media.lan:17580/Show/Season%202/odd%0Aname.avi\n\
#EXTINF:-1,Ep 1\nhttp://media.lan:17580/Show/Season%2010/Ep%201.mkv\n\
#EXTINF:-1,theme\nhttp://media.lan:17580/Show/theme.flac\n";
        assert_eq!(got, want);
    }
}
