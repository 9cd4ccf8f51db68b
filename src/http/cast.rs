//! `POST /cast`: casting from a script. `?renderer=NAME[&file=N]` finds the renderer named NAME
//! (as it calls itself, any case) and has it play file N (else the first file to play);
//! `?action=pause|resume|stop`, or `?action=seek&by=SECONDS` (negative: back), steers the one
//! playing. Same access rules as every route, and refused from other sites. The answer is the
//! cast's status as JSON, or one line saying what went wrong.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use warp::Filter;
use warp::http::{HeaderMap, Method, StatusCode};

use super::filters::{query_param, raw_query, with_state};
use super::piece_par::same_site;
use super::{HttpError, HttpState, Reply, simple};
use crate::cast::{self, CastStatus, Renderer, Steer, SteerError};

/// How long a search for renderers waits for answers.
pub const SEARCH_FOR: Duration = Duration::from_secs(3);

pub fn route(state: &Arc<HttpState>) -> impl Filter<Extract = (Reply,), Error = Infallible> + Clone + use<> {
    warp::method()
        .and(with_state(state))
        .and(raw_query())
        .and(warp::header::headers_cloned())
        .then(
            |method: Method, state: Arc<HttpState>, query: String, headers: HeaderMap| async move {
                if method != Method::POST {
                    return post_only();
                }
                answer(&state, &query, &headers)
                    .await
                    .unwrap_or_else(|e| e.reply())
            },
        )
}

async fn answer(state: &HttpState, query: &str, headers: &HeaderMap) -> Result<Reply, HttpError> {
    same_site(&state.hosts, headers, "casting")?;
    let status = match query_param(query, "action").as_deref() {
        None | Some("play") => {
            let name = query_param(query, "renderer").ok_or_else(|| {
                HttpError::BadRequest(
                    "POST /cast needs ?renderer=NAME (the TV's name as it announces itself).".into(),
                )
            })?;
            let file = match query_param(query, "file") {
                Some(f) => f.parse().map_err(|_| {
                    HttpError::BadRequest(format!("file={f} is not a file number: the index lists them."))
                })?,
                None => state
                    .engine
                    .listing()
                    .first_to_play
                    .ok_or_else(|| HttpError::BadRequest("This torrent has no file to cast.".into()))?,
            };
            let found = find(state, &name).await?;
            cast_file(state, found, file).await?
        }
        Some(action) => {
            let steer = steer_of(action, query_param(query, "by").as_deref())?;
            state.cast.steer(steer).await.map_err(|e| match e {
                SteerError::NothingCast => HttpError::BadRequest("Nothing is being cast.".into()),
                SteerError::Renderer(e) => HttpError::Gateway(format!("{e}.")),
            })?;
            state.cast.status().unwrap_or_default()
        }
    };
    let body = serde_json::to_vec_pretty(&status).unwrap_or_default();
    Ok(simple(StatusCode::OK, "application/json", body, false))
}

/// Any other method than POST on `/cast`.
fn post_only() -> Reply {
    let msg = "Casting is asked for with POST /cast?renderer=NAME (or ?action=pause, resume, stop, seek&by=SECONDS).\n";
    let mut r = simple(
        StatusCode::METHOD_NOT_ALLOWED,
        "text/plain; charset=utf-8",
        msg.as_bytes().to_vec(),
        false,
    );
    r.headers_mut().insert(
        warp::http::header::ALLOW,
        warp::http::HeaderValue::from_static("POST"),
    );
    r
}

fn steer_of(action: &str, by: Option<&str>) -> Result<Steer, HttpError> {
    Ok(match action {
        "pause" => Steer::Pause,
        "resume" => Steer::Resume,
        "stop" => Steer::Stop,
        "seek" => {
            let by = by.and_then(|b| b.parse::<f64>().ok()).filter(|b| b.is_finite());
            Steer::SeekBy(by.ok_or_else(|| {
                HttpError::BadRequest("action=seek needs by=SECONDS (negative to go back).".into())
            })?)
        }
        other => {
            return Err(HttpError::BadRequest(format!(
                "action={other} is not known: play (the default), pause, resume, stop or seek."
            )));
        }
    })
}

/// `--cast NAME`: once the first file to play has its first piece (a TV gives up on a URL
/// that answers nothing for long), searches every 5 s until the renderer called `name`
/// answers, then casts that file to it, once.
pub async fn when_found(state: Arc<HttpState>, name: String, cancel: tokio_util::sync::CancellationToken) {
    let Some(file) = state.engine.listing().first_to_play else {
        return;
    };
    if !state.engine.first_piece_verified(file, &cancel).await {
        return;
    }
    let mut said = String::new();
    loop {
        match find(&state, &name).await {
            Ok(renderer) => {
                if let Err(e) = cast_file(&state, renderer, file).await {
                    tracing::error!("{}", e.message());
                }
                return;
            }
            Err(e) if e.message() != said => {
                said = e.message().to_string();
                tracing::info!("{said} Searching again every 5 s.");
            }
            Err(_) => {}
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}

/// The renderers that answer a search now, within `--allow`.
pub async fn search(state: &HttpState) -> Vec<Renderer> {
    cast::discover(SEARCH_FOR, |ip| state.allow.permits(ip)).await
}

/// The renderer called `name` (any case) among those that answer a search now.
pub async fn find(state: &HttpState, name: &str) -> Result<Renderer, HttpError> {
    let found = search(state).await;
    if let Some(r) = found.iter().find(|r| r.name.eq_ignore_ascii_case(name)) {
        return Ok(r.clone());
    }
    let names: Vec<&str> = found.iter().map(|r| r.name.as_str()).collect();
    Err(HttpError::Missing(match names.is_empty() {
        true => format!(
            "No renderer named '{name}' answered, nor any other, within 3 s: is it on, and on this LAN (within --allow)?"
        ),
        false => format!(
            "No renderer named '{name}' answered; these did: {}.",
            names.join(", ")
        ),
    }))
}

/// The DIDL-Lite a renderer is told of `path`: title, MIME type, URL, and a video's subtitles.
fn metadata(state: &HttpState, file: usize, path: &str, size: u64) -> String {
    let links = state.links();
    let url = |p: &str| links.file(p);
    let subs = |video: usize| state.engine.subtitles_for(video);
    let cx = crate::dlna::didl::Context {
        url: &url,
        subtitles: &subs,
        update_id: 0,
    };
    crate::dlna::didl::lone_item(file, path, size, &cx)
}

/// Has `renderer` play file `file` of the torrent from this server, with its subtitles.
pub async fn cast_file(state: &HttpState, renderer: Renderer, file: usize) -> Result<CastStatus, HttpError> {
    let f = state
        .engine
        .files()
        .get(file)
        .filter(|f| f.shown())
        .ok_or_else(|| {
            HttpError::BadRequest(format!("No file {file} in this torrent: the index lists them."))
        })?;
    if !crate::media::is_media(&f.path) {
        return Err(HttpError::BadRequest(format!(
            "{} is no video or audio file: a TV plays only those.",
            f.path
        )));
    }
    let didl = metadata(state, file, &f.path, f.length);
    let links = state.links();
    let name = renderer.name.clone();
    state
        .cast
        .cast(renderer, &f.path, &links.file(&f.path), &didl)
        .await
        .map_err(|e| HttpError::Gateway(format!("Cannot cast to {name}: {e}.")))?;
    Ok(state.cast.status().unwrap_or_default())
}
