//! `GET /status.json`: the engine's snapshot, with each file's URL and the verified pieces
//! (`wire::StatusJson`).

use std::convert::Infallible;
use std::sync::Arc;

use warp::Filter;
use warp::http::StatusCode;

use super::filters::{head, with_state};
use super::{HttpState, Reply, simple};
use crate::wire::StatusJson;

pub fn route(state: &Arc<HttpState>) -> impl Filter<Extract = (Reply,), Error = Infallible> + Clone + use<> {
    with_state(state).and(head()).map(|state: Arc<HttpState>, head| {
        let snap = state.engine.snapshot().borrow().clone();
        let mut json = StatusJson::new(&snap, state.links());
        json.cast = state.cast.status();
        let body = serde_json::to_vec_pretty(&json).unwrap_or_default();
        simple(StatusCode::OK, "application/json", body, head)
    })
}
