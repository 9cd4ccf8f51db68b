//! The safety headers, set here only: `nosniff` on every answer the server gives, and on its
//! own HTML pages a content security policy, no referrer beyond the server and no framing.

use warp::http::{HeaderMap, HeaderValue, header};

use super::Reply;

/// Every answer: its declared type is the one a browser uses.
pub fn every_answer(mut r: Reply) -> Reply {
    r.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The server's own pages (the index, the play page): `csp` says what they may load.
pub fn page(h: &mut HeaderMap, csp: &'static str) {
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}
