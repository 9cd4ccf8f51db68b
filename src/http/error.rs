//! Every failure a request can meet, and the one place that turns it into an answer.

use std::convert::Infallible;

use warp::http::{Response, StatusCode, header};
use warp::hyper::body::Bytes;
use warp::reject::Rejection;

use super::Reply;

/// Why a request gets no content. Routes and guards reject with it; `recover` answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    Forbidden(String),
    Unauthorized,
    NotFound,
    BadRequest(String),
    MethodNotAllowed,
    PreconditionFailed,
    Busy,
    Unavailable(String),
    Internal(String),
    /// Something asked for is not there (not a file: those are `NotFound`).
    Missing(String),
    /// A device this server talks to (a renderer) failed.
    Gateway(String),
}

impl warp::reject::Reject for HttpError {}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            HttpError::Unauthorized => StatusCode::UNAUTHORIZED,
            HttpError::NotFound => StatusCode::NOT_FOUND,
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            HttpError::Busy | HttpError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HttpError::Missing(_) => StatusCode::NOT_FOUND,
            HttpError::Gateway(_) => StatusCode::BAD_GATEWAY,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            HttpError::Forbidden(m)
            | HttpError::BadRequest(m)
            | HttpError::Unavailable(m)
            | HttpError::Internal(m)
            | HttpError::Missing(m)
            | HttpError::Gateway(m) => m,
            HttpError::Unauthorized => "Authentication required.",
            HttpError::NotFound => "No such file in this torrent.",
            HttpError::MethodNotAllowed => "Only GET and HEAD are served.",
            HttpError::PreconditionFailed => {
                "The file is not the one the request's If-Match or If-Unmodified-Since names."
            }
            HttpError::Busy => {
                "Too many players are streaming at once; try again shortly (or raise --max-players)."
            }
        }
    }

    /// A plain-text answer saying what went wrong, with the header that tells a client what
    /// to do next where there is one.
    pub fn reply(&self) -> Reply {
        let mut r = Response::builder()
            .status(self.status())
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store");
        r = match self {
            HttpError::Unauthorized => r.header(
                header::WWW_AUTHENTICATE,
                "Basic realm=\"bt2p-tui\", charset=\"UTF-8\"",
            ),
            HttpError::Busy => r.header(header::RETRY_AFTER, "5"),
            HttpError::MethodNotAllowed => r.header(header::ALLOW, "GET, HEAD"),
            _ => r,
        };
        let body = Bytes::from(format!("{}\n", self.message()));
        r.body(body.into()).unwrap_or_default()
    }
}

/// Answers a rejection: ours carry their answer; a path no route took is not in the torrent.
pub async fn recover(rejection: Rejection) -> Result<Reply, Infallible> {
    let e = match rejection.find::<HttpError>() {
        Some(e) => e.clone(),
        None if rejection.is_not_found() => HttpError::NotFound,
        None => {
            tracing::warn!("unexpected HTTP rejection: {rejection:?}");
            HttpError::Internal("The request could not be handled.".into())
        }
    };
    Ok(e.reply())
}

#[cfg(test)]
mod tests {
    use warp::Filter;

    use super::*;

    /// The answer to a request that a route rejects with `rejection`.
    async fn answer(rejection: fn() -> Rejection) -> warp::http::Response<Bytes> {
        let route = warp::any()
            .and_then(move || async move { Err::<Reply, _>(rejection()) })
            .recover(recover);
        warp::test::request().reply(&route).await
    }

    /// A rejection, the status, body and extra header it is answered with.
    type Case = (
        fn() -> Rejection,
        u16,
        &'static str,
        Option<(&'static str, &'static str)>,
    );

    #[tokio::test]
    async fn each_error_has_its_status_body_and_headers() {
        let cases: [Case; 9] = [
            (|| HttpError::Forbidden("No.".into()).into(), 403, "No.\n", None),
            (
                || HttpError::Unauthorized.into(),
                401,
                "Authentication required.\n",
                Some(("www-authenticate", "Basic realm=\"bt2p-tui\", charset=\"UTF-8\"")),
            ),
            (
                || HttpError::NotFound.into(),
                404,
                "No such file in this torrent.\n",
                None,
            ),
            (
                || warp::reject::not_found(),
                404,
                "No such file in this torrent.\n",
                None,
            ),
            (
                || HttpError::BadRequest("Bad.".into()).into(),
                400,
                "Bad.\n",
                None,
            ),
            (
                || HttpError::MethodNotAllowed.into(),
                405,
                "Only GET and HEAD are served.\n",
                Some(("allow", "GET, HEAD")),
            ),
            (
                || HttpError::Busy.into(),
                503,
                "Too many players are streaming at once; try again shortly (or raise --max-players).\n",
                Some(("retry-after", "5")),
            ),
            (
                || HttpError::Unavailable("Shutting down.".into()).into(),
                503,
                "Shutting down.\n",
                None,
            ),
            (
                || HttpError::Internal("Oops.".into()).into(),
                500,
                "Oops.\n",
                None,
            ),
        ];
        for (rejection, status, body, extra) in cases {
            let r = answer(rejection).await;
            assert_eq!(r.status().as_u16(), status, "{body}");
            let h = r.headers();
            let names: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
            let mut want = vec!["content-type", "cache-control"];
            want.extend(extra.map(|(k, _)| k));
            assert_eq!(names, want, "{body}");
            assert_eq!(h["content-type"], "text/plain; charset=utf-8");
            assert_eq!(h["cache-control"], "no-store");
            if let Some((k, v)) = extra {
                assert_eq!(h[k], v);
            }
            assert_eq!(r.body(), body.as_bytes());
        }
    }
}
