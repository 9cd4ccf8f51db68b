//! The MediaServer's routes under `/dlna` (with `--dlna`), and the DLNA headers renderers ask
//! of the files: `contentFeatures.dlna.org`, `transferMode.dlna.org`, `CaptionInfo.sec`.

use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use tower::ServiceExt as _;
use warp::Filter;
use warp::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use warp::reject::Rejection;

use super::filters::with_state;
use super::{HttpError, HttpState, Reply};
use crate::dlna::{Browse, CONTENT_FEATURES, Dlna, no_such_object};
use crate::media;

/// Largest SOAP or subscription request body read.
const MAX_BODY: usize = 64 * 1024;

const SOAP_XML: &str = "text/xml; charset=\"utf-8\"";

/// The MediaServer's answer to the route `path` gives (what follows `/dlna`, as the route
/// table names it); not found without `--dlna`.
pub fn route<P>(
    path: P,
    state: &Arc<HttpState>,
) -> impl Filter<Extract = (Reply,), Error = Rejection> + Clone + use<P>
where
    P: Filter<Extract = (&'static str,), Error = Rejection> + Clone + Send + Sync,
{
    path.and(with_state(state))
        .and_then(|rest: &'static str, state: Arc<HttpState>| async move {
            let dlna = state.dlna.clone().ok_or_else(warp::reject::not_found)?;
            Ok::<_, Rejection>((state, dlna, rest))
        })
        .untuple_one()
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .and_then(
            |state: Arc<HttpState>,
             dlna: Arc<Dlna>,
             rest: &'static str,
             method: Method,
             headers: HeaderMap,
             body| async move {
                // The path is the MediaServer's: its errors are answered here, not left to
                // the file routes behind.
                let r = match collect(body).await {
                    Ok(body) => answer(&state, &dlna, rest, method, headers, body).await,
                    Err(e) => Err(e),
                };
                Ok::<_, Rejection>(r.unwrap_or_else(|e| e.reply()))
            },
        )
}

async fn collect<B: Buf>(body: impl Stream<Item = Result<B, warp::Error>>) -> Result<Bytes, HttpError> {
    let mut out = BytesMut::new();
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| HttpError::BadRequest(format!("Unreadable request body: {e}.")))?;
        if out.len() + chunk.remaining() > MAX_BODY {
            return Err(HttpError::BadRequest("Request body over 64 KiB.".into()));
        }
        out.extend_from_slice(chunk.chunk());
    }
    Ok(out.freeze())
}

async fn answer(
    state: &HttpState,
    dlna: &Dlna,
    rest: &str,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Reply, HttpError> {
    let action = headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if rest == "/control/ContentDirectory" && method == Method::POST && action.contains("#Browse") {
        let soap = std::str::from_utf8(&body).ok();
        let b = soap
            .and_then(Browse::parse)
            .ok_or_else(|| HttpError::BadRequest("Not a Browse request.".into()))?;
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let subtitles = |video: usize| state.engine.subtitles_for(video);
        let (status, xml) = match dlna.browse(&b, host, &state.base_url, &subtitles) {
            Some(xml) => (StatusCode::OK, xml),
            None => (StatusCode::INTERNAL_SERVER_ERROR, no_such_object().to_string()),
        };
        return Ok(xml_reply(status, xml.into()));
    }
    let mut req = Request::new(axum::body::Body::from(body));
    *req.method_mut() = method;
    *req.uri_mut() = rest.parse().map_err(|_| HttpError::NotFound)?;
    *req.headers_mut() = headers;
    let resp = dlna.router().oneshot(req).await.unwrap_or_else(|e| match e {});
    let (parts, body) = resp.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .map_err(|e| HttpError::Internal(format!("The MediaServer failed: {e}.")))?;
    Ok(Response::from_parts(parts, body.into()))
}

fn xml_reply(status: StatusCode, body: Bytes) -> Reply {
    let mut r: Reply = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SOAP_XML));
    r
}

/// The DLNA headers of a file's answer, each when the renderer asks for it.
pub fn file_headers(state: &HttpState, idx: usize, path: &str, asked: &HeaderMap, h: &mut HeaderMap) {
    let asks = |name: &str| asked.get(name).is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
    if asks("getcontentfeatures.dlna.org") && media::lookup(path).is_some() {
        h.insert(
            "contentfeatures.dlna.org",
            HeaderValue::from_static(CONTENT_FEATURES),
        );
    }
    if let Some(mode) = asked.get("transfermode.dlna.org")
        && [&b"Streaming"[..], b"Interactive", b"Background"].contains(&mode.as_bytes())
    {
        h.insert("transfermode.dlna.org", mode.clone());
    }
    if asks("getcaptioninfo.sec") {
        let files = state.engine.files();
        let first = state.engine.subtitles().for_player(idx).first().map(|s| s.key);
        if let Some(key) = first
            && let Some(sub) = files.get(key)
            && let Ok(v) = HeaderValue::from_str(&state.links().file(&sub.path))
        {
            h.insert("captioninfo.sec", v);
        }
    }
}
