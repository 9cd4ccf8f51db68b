//! `GET /<name>.torrent`: the torrent's metainfo, for other clients.

use std::sync::Arc;

use warp::Filter;
use warp::http::StatusCode;
use warp::reject::Rejection;

use super::filters::{file_path, head, with_state};
use super::{HttpState, Reply, simple};
use crate::links::torrent_name;
use crate::media::TORRENT_MIME;

/// Answers the torrent's own name with `.torrent`, before any file of the same name.
pub fn route(state: &Arc<HttpState>) -> impl Filter<Extract = (Reply,), Error = Rejection> + Clone + use<> {
    file_path().and(with_state(state)).and(head()).and_then(
        |path: String, state: Arc<HttpState>, head| async move {
            let name = state.engine.snapshot().borrow().name.clone();
            if path != torrent_name(&name) {
                return Err(warp::reject::not_found());
            }
            let bytes = state.engine.torrent_bytes().to_vec();
            Ok(simple(StatusCode::OK, TORRENT_MIME, bytes, head))
        },
    )
}
