//! The route table: the access checks in front, then each route by its path, and every
//! rejection answered in one place.

use std::convert::Infallible;
use std::sync::Arc;

use warp::Filter;
use warp::reject::Rejection;

use super::filters::{exact, exact_under};
use super::{
    HttpState, Reply, cast, dlna, error, files, guards, index, metrics, playlist, safety, status, torrent,
};
use crate::links::{CAST, DLNA, DLNA_ROUTES, INDEX, METRICS, PLAYLIST, STATUS};

/// Every answer the server gives.
pub fn table(
    state: &Arc<HttpState>,
) -> impl Filter<Extract = (Reply,), Error = Infallible> + Clone + Send + Sync + use<> {
    let routes = by_path(
        index::route(state),
        status::route(state),
        playlist::route(state),
        torrent::route(state).or(files::route(state)).unify(),
    );
    let routes = exact(METRICS).and(metrics::route(state)).or(routes).unify();
    let routes = dlna::route(exact_under(DLNA, DLNA_ROUTES), state)
        .or(exact(CAST).and(cast::route(state)))
        .unify()
        .or(guards::get_or_head().and(routes))
        .unify();
    guards::admitted(state.allow.clone(), state.auth.clone())
        .and(routes)
        .recover(error::recover)
        .unify()
        .map(safety::every_answer)
}

/// The server's own paths first, exactly as written; any other path names a file of the
/// torrent (or its `.torrent`), or nothing.
fn by_path<T: Send>(
    index: impl Filter<Extract = (T,), Error = Rejection> + Clone + Send + Sync,
    status: impl Filter<Extract = (T,), Error = Infallible> + Clone + Send + Sync,
    playlist: impl Filter<Extract = (T,), Error = Infallible> + Clone + Send + Sync,
    file: impl Filter<Extract = (T,), Error = Rejection> + Clone + Send + Sync,
) -> impl Filter<Extract = (T,), Error = Rejection> + Clone + Send + Sync {
    exact(INDEX)
        .and(index)
        .or(exact(STATUS).and(status))
        .unify()
        .or(exact(PLAYLIST).and(playlist))
        .unify()
        .or(file)
        .unify()
}

#[cfg(test)]
mod tests {
    use super::super::filters::file_path;
    use super::*;

    #[tokio::test]
    async fn paths_to_routes() {
        let table = by_path(
            warp::any().and_then(|| async { Ok::<_, Rejection>("index".to_string()) }),
            warp::any().map(|| "status".to_string()),
            warp::any().map(|| "playlist".to_string()),
            file_path().map(|p| format!("file {p}")),
        );
        let cases = [
            ("/", Some("index")),
            ("/?piece_par=3", Some("index")),
            ("/status.json", Some("status")),
            ("/status.json?x=1", Some("status")),
            ("/playlist.m3u", Some("playlist")),
            // Only the exact paths: anything else is looked up among the files.
            ("/status.json/", Some("file status.json/")),
            ("/status%2Ejson", Some("file status.json")),
            ("/playlist.m3u/", Some("file playlist.m3u/")),
            ("//status.json", Some("file /status.json")),
            ("/My%20Show.torrent", Some("file My Show.torrent")),
            (
                "/Season%201/Ep%201%20%5Bx%5D.mkv",
                Some("file Season 1/Ep 1 [x].mkv"),
            ),
            ("/notes.txt?piece_par=3", Some("file notes.txt")),
            ("/a+b", Some("file a+b")),
            ("/%ff", None),
            ("/a%00", None),
        ];
        for (path, want) in cases {
            let got = warp::test::request().path(path).filter(&table).await;
            match (got, want) {
                (Ok(got), Some(want)) => assert_eq!(got, want, "{path}"),
                (Err(r), None) => assert!(r.is_not_found(), "{path}: {r:?}"),
                (got, want) => panic!("{path}: {got:?}, want {want:?}"),
            }
        }
    }
}
