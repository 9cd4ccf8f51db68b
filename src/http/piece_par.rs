//! `GET /?piece_par=N` (bt2p compatible): sets piece_par, refused from other sites and from
//! unknown Host names.

use std::sync::Arc;

use warp::Filter;
use warp::http::{HeaderMap, header};
use warp::reject::Rejection;

use super::filters::{query_param, raw_query, with_state};
use super::{HttpError, HttpState};
use crate::access::HostNames;
use crate::engine::{BadPiecePar, PiecePar};

/// Applies the request's `piece_par`, when it has one, before the page is drawn.
pub fn apply(state: &Arc<HttpState>) -> impl Filter<Extract = (), Error = Rejection> + Clone + use<> {
    with_state(state)
        .and(raw_query())
        .and(warp::header::headers_cloned())
        .and_then(
            |state: Arc<HttpState>, query: String, headers: HeaderMap| async move {
                if let Some(value) = query_param(&query, "piece_par") {
                    same_site(&state.hosts, &headers, "piece_par")?;
                    let n = parse(&value)?;
                    tracing::info!("piece_par set to {n} over HTTP");
                    state.engine.set_piece_par(n);
                }
                Ok::<_, Rejection>(())
            },
        )
        .untuple_one()
}

/// Only requests through a name of this server, and not sent by another site: `what` (such
/// as `piece_par`) is named in the refusal.
pub(super) fn same_site(hosts: &HostNames, headers: &HeaderMap, what: &str) -> Result<(), HttpError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !hosts.accepts(host) {
        return Err(HttpError::Forbidden(format!(
            "{what} can only be changed through a name of this server; '{host}' is not one (set --domain-name to the name you use)."
        )));
    }
    let other_site = || HttpError::Forbidden(format!("{what} cannot be changed from another site."));
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Err(other_site());
    }
    for h in [header::ORIGIN, header::REFERER] {
        if let Some(v) = headers.get(&h).and_then(|v| v.to_str().ok())
            && (v == "null" || url_host(v).is_none_or(|oh| !oh.eq_ignore_ascii_case(host)))
        {
            return Err(other_site());
        }
    }
    Ok(())
}

/// Pieces (`12`, as in bt2p) or seconds of playback (`30s`, `2m`).
fn parse(value: &str) -> Result<PiecePar, HttpError> {
    value
        .parse()
        .map_err(|e: BadPiecePar| HttpError::BadRequest(format!("{e}.")))
}

/// `http://host:port/path` → `host:port`.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    Some(authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_site_only() {
        let hosts = HostNames::new(Some("media.lan"), &[]);
        let other = "piece_par cannot be changed from another site.";
        // headers, refusal (None: allowed)
        type Headers = &'static [(&'static str, &'static str)];
        let cases: [(Headers, Option<&str>); 9] = [
            (&[("host", "media.lan:17580")], None),
            (&[("host", "localhost")], None),
            (&[("host", "evil.example")], Some("'evil.example' is not one")),
            (&[], Some("'' is not one")),
            (
                &[("host", "media.lan"), ("sec-fetch-site", "cross-site")],
                Some(other),
            ),
            (&[("host", "media.lan"), ("sec-fetch-site", "same-origin")], None),
            (&[("host", "media.lan"), ("origin", "null")], Some(other)),
            (&[("host", "media.lan"), ("referer", "http://MEDIA.lan/x")], None),
            (
                &[("host", "media.lan"), ("origin", "http://evil.example")],
                Some(other),
            ),
        ];
        for (pairs, refusal) in cases {
            let mut headers = HeaderMap::new();
            for (k, v) in pairs {
                headers.insert(*k, v.parse().unwrap());
            }
            match (same_site(&hosts, &headers, "piece_par"), refusal) {
                (Ok(()), None) => {}
                (Err(HttpError::Forbidden(m)), Some(want)) => assert!(m.contains(want), "{m}"),
                (got, want) => panic!("{pairs:?}: {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn values() {
        let cases = [
            ("12", Some(PiecePar::Pieces(12))),
            (" 3 ", Some(PiecePar::Pieces(3))),
            ("1", Some(PiecePar::Pieces(1))),
            ("4096", Some(PiecePar::Pieces(4096))),
            ("30s", Some(PiecePar::Seconds(30))),
            ("2m", Some(PiecePar::Seconds(120))),
        ];
        for (v, want) in cases {
            assert_eq!(parse(v).ok(), want, "{v}");
        }
        for v in ["0", "4097", "-1", "x", "", "1.5", "0s", "30 s"] {
            let Err(HttpError::BadRequest(m)) = parse(v) else {
                panic!("{v}")
            };
            assert!(m.ends_with(&format!("not '{v}'.")), "{m}");
        }
    }

    #[test]
    fn hosts_of_urls() {
        let cases = [
            ("http://media.lan:17580/?x", Some("media.lan:17580")),
            ("http://u:p@h/", Some("h")),
            ("https://h#frag", Some("h")),
            ("garbage", None),
        ];
        for (url, want) in cases {
            assert_eq!(url_host(url), want, "{url}");
        }
    }
}
