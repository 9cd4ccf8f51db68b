//! Small filters the routes share: exact paths, the decoded file path, the query, HEAD, the
//! state and the client's address.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use warp::Filter;
use warp::http::Method;
use warp::path::FullPath;
use warp::reject::Rejection;

use super::HttpState;

/// The client address of a connection, handed from the accept loop to the routes.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// The address of the client; `0.0.0.0:0`, which no allow-list admits by default, when the
/// accept loop did not say.
pub fn client() -> impl Filter<Extract = (SocketAddr,), Error = Infallible> + Copy {
    warp::ext::optional::<ClientAddr>()
        .map(|c: Option<ClientAddr>| c.map_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)), |ClientAddr(a)| a))
}

pub fn with_state(
    state: &Arc<HttpState>,
) -> impl Filter<Extract = (Arc<HttpState>,), Error = Infallible> + Clone + use<> {
    let state = state.clone();
    warp::any().map(move || state.clone())
}

/// Whether the request is a HEAD: answered like a GET, without a body.
pub fn head() -> impl Filter<Extract = (bool,), Error = Infallible> + Copy {
    warp::method().map(|m: Method| m == Method::HEAD)
}

/// Exactly this path. warp's own segment filters also take `/status.json/`, which names no
/// file here.
pub fn exact(path: &'static str) -> impl Filter<Extract = (), Error = Rejection> + Copy {
    warp::path::full()
        .and_then(move |full: FullPath| async move {
            match full.as_str() == path {
                true => Ok(()),
                false => Err(warp::reject::not_found()),
            }
        })
        .untuple_one()
}

/// One of `routes` under `prefix` (`/dlna` + `/description.xml`), exactly; gives the route.
pub fn exact_under(
    prefix: &'static str,
    routes: &'static [&'static str],
) -> impl Filter<Extract = (&'static str,), Error = Rejection> + Copy {
    warp::path::full().and_then(move |full: FullPath| async move {
        full.as_str()
            .strip_prefix(prefix)
            .and_then(|rest| routes.iter().copied().find(|r| *r == rest))
            .ok_or_else(warp::reject::not_found)
    })
}

/// The percent-decoded path of a file of the torrent; not found for paths no file can have.
pub fn file_path() -> impl Filter<Extract = (String,), Error = Rejection> + Copy {
    warp::path::full().and_then(|full: FullPath| async move {
        decode_path(full.as_str()).ok_or_else(warp::reject::not_found)
    })
}

/// The raw query string, empty when there is none.
pub fn raw_query() -> impl Filter<Extract = (String,), Error = Infallible> + Copy {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// `/a%20b/c.mkv` → `a b/c.mkv`; None for paths no file can have.
pub fn decode_path(path: &str) -> Option<String> {
    let p = path.strip_prefix('/')?;
    let s = percent_encoding::percent_decode_str(p).decode_utf8().ok()?;
    if s.is_empty() || s.contains('\0') || s.len() > 8192 {
        return None;
    }
    Some(s.into_owned())
}

/// The first value of `key` in a query string, percent-decoded (bt2p's `?piece_par=N`).
pub fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_routes_named_under_a_prefix() {
        let f = exact_under("/dlna", &["/description.xml", "/control/ContentDirectory"]);
        for (path, want) in [
            ("/dlna/description.xml", Some("/description.xml")),
            (
                "/dlna/control/ContentDirectory",
                Some("/control/ContentDirectory"),
            ),
            ("/dlna/description.xml/", None),
            ("/dlna/other.xml", None),
            ("/dlna", None),
            ("/description.xml", None),
            ("/dlnax/description.xml", None),
        ] {
            let got = warp::test::request().path(path).filter(&f).await.ok();
            assert_eq!(got, want, "{path}");
        }
    }

    #[test]
    fn decoded_paths() {
        let cases = [
            ("/Season%201/Ep%201.mkv", Some("Season 1/Ep 1.mkv")),
            ("/a+b.mkv", Some("a+b.mkv")),
            ("//etc/passwd", Some("/etc/passwd")),
            ("/status.json/", Some("status.json/")),
            ("/", None),
            ("/a%00b", None),
            ("/%ff", None),
            ("no-slash", None),
        ];
        for (path, want) in cases {
            assert_eq!(decode_path(path).as_deref(), want, "{path}");
        }
        assert_eq!(decode_path(&format!("/{}", "a".repeat(8193))), None);
    }

    #[test]
    fn query_params() {
        let cases = [
            ("a=1&piece_par=12", Some("12")),
            ("piece_par=1&piece_par=2", Some("1")),
            ("piece_par", Some("")),
            ("piece_par=%34+2", Some("4+2")),
            ("x=1", None),
            ("", None),
        ];
        for (query, want) in cases {
            assert_eq!(query_param(query, "piece_par").as_deref(), want, "{query}");
        }
    }
}
