//! `GET /playlist.m3u`: the media of the torrent, for players that take a list.

use std::convert::Infallible;
use std::fmt::Write;
use std::sync::Arc;

use warp::Filter;
use warp::http::StatusCode;

use super::filters::{head, with_state};
use super::{HttpState, Reply, simple};
use crate::{media, subtitles};

pub fn route(state: &Arc<HttpState>) -> impl Filter<Extract = (Reply,), Error = Infallible> + Clone + use<> {
    with_state(state)
        .and(head())
        .map(|state: Arc<HttpState>, head| playlist(&state, head))
}

fn playlist(state: &HttpState, head: bool) -> Reply {
    let name = state.engine.snapshot().borrow().name.clone();
    let files = state.engine.files();
    let paths = files.iter().filter(|f| !f.padding).map(|f| f.path.as_str());
    let links = state.links();
    let body = m3u(&name, paths, |p| links.file(p));
    simple(
        StatusCode::OK,
        "audio/x-mpegurl; charset=utf-8",
        body.into_bytes(),
        head,
    )
}

/// An extended M3U of the media among `paths`, in natural order folder by folder (`Ep 2`
/// before `Ep 10`), each titled with its file name without extension.
fn m3u<'a>(name: &str, paths: impl Iterator<Item = &'a str>, url: impl Fn(&str) -> String) -> String {
    let one_line = |t: &str| t.replace(['\n', '\r'], " ");
    let mut listed: Vec<&str> = paths.filter(|p| media::is_media(p)).collect();
    listed.sort_by(|a, b| subtitles::natural_path(a, b));
    let mut m = format!("#EXTM3U\n#PLAYLIST:{}\n", one_line(name));
    for path in listed {
        let file = path.rsplit('/').next().unwrap_or(path);
        let title = file.rsplit_once('.').map(|(t, _)| t).unwrap_or(file);
        let _ = write!(m, "#EXTINF:-1,{}\n{}\n", one_line(title), url(path));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::Links;

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
        let links = Links::new("http://media.lan:17580");
        let got = m3u("My Show", paths.iter().copied(), |p| links.file(p));
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
