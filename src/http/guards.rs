//! The checks in front of every route, in this order: the client's address, the password,
//! the method.

use std::net::SocketAddr;

use warp::Filter;
use warp::http::{HeaderValue, Method};
use warp::reject::Rejection;

use super::HttpError;
use super::filters::client;
use crate::access::AllowList;

/// The client's address and password only: the MediaServer's routes take other methods.
pub fn admitted(
    allow: AllowList,
    auth: Option<String>,
) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    allowed(allow).and(authorized(auth))
}

/// Only clients whose address the allow-list admits.
fn allowed(allow: AllowList) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    client()
        .and_then(move |addr: SocketAddr| {
            let ip = addr.ip();
            let permitted = allow.permits(ip);
            async move {
                match permitted {
                    true => Ok(()),
                    false => Err(Rejection::from(HttpError::Forbidden(format!(
                        "Your address {ip} may not use this server. Start bt2p-tui with --allow {ip}/32 (or a wider range such as --allow 0.0.0.0/0) to let it in."
                    )))),
                }
            }
        })
        .untuple_one()
}

/// With `--auth`, only requests that carry the expected `Authorization` header.
fn authorized(expected: Option<String>) -> impl Filter<Extract = (), Error = Rejection> + Clone {
    let given = warp::header::value("authorization")
        .map(Some)
        .or(warp::any().map(|| None))
        .unify();
    given
        .and_then(move |given: Option<HeaderValue>| {
            let ok = expected.as_ref().is_none_or(|expected| {
                given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes()))
            });
            async move {
                match ok {
                    true => Ok(()),
                    false => Err(Rejection::from(HttpError::Unauthorized)),
                }
            }
        })
        .untuple_one()
}

/// GET and HEAD only: nothing here changes state through a body.
pub fn get_or_head() -> impl Filter<Extract = (), Error = Rejection> + Copy {
    warp::method()
        .and_then(|m: Method| async move {
            match m == Method::GET || m == Method::HEAD {
                true => Ok(()),
                false => Err(Rejection::from(HttpError::MethodNotAllowed)),
            }
        })
        .untuple_one()
}

/// Compares without stopping at the first difference, so that timing tells nothing of the
/// password.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::super::error::recover;
    use super::super::filters::ClientAddr;
    use super::*;
    use crate::access::Cidr;

    /// The checks in front of the file routes, in order.
    fn access(
        allow: AllowList,
        auth: Option<String>,
    ) -> impl Filter<Extract = (), Error = Rejection> + Clone {
        admitted(allow, auth).and(get_or_head())
    }

    #[tokio::test]
    async fn address_then_password_then_method() {
        let allow = AllowList::new(&["10.0.0.0/8".parse::<Cidr>().unwrap()]);
        let guarded = access(allow, Some("Basic dTpw".into()))
            .map(|| "in")
            .recover(recover);
        let inside: SocketAddr = "10.1.2.3:5000".parse().unwrap();
        let outside: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        // address, method, Authorization, status
        let cases = [
            (outside, "GET", Some("Basic dTpw"), 403),
            (outside, "POST", None, 403),
            (inside, "POST", None, 401),
            (inside, "GET", None, 401),
            (inside, "GET", Some("Basic dTpX"), 401),
            (inside, "GET", Some("Basic dTpw "), 401),
            (inside, "POST", Some("Basic dTpw"), 405),
            (inside, "DELETE", Some("Basic dTpw"), 405),
            (inside, "GET", Some("Basic dTpw"), 200),
            (inside, "HEAD", Some("Basic dTpw"), 200),
        ];
        for (addr, method, auth, status) in cases {
            let mut req = warp::test::request()
                .method(method)
                .path("/x")
                .extension(ClientAddr(addr));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let r = req.reply(&guarded).await;
            assert_eq!(r.status().as_u16(), status, "{addr} {method} {auth:?}");
        }
        let r = warp::test::request().reply(&guarded).await;
        assert_eq!(r.status().as_u16(), 403, "no client address");
        let body = String::from_utf8_lossy(r.body()).into_owned();
        assert!(body.contains("--allow 0.0.0.0/32"), "{body}");
    }

    #[tokio::test]
    async fn without_auth_any_header_passes() {
        let open = access(AllowList::new(&[]), None).map(|| "in").recover(recover);
        let r = warp::test::request()
            .extension(ClientAddr("127.0.0.1:1".parse().unwrap()))
            .header("authorization", "Basic whatever")
            .reply(&open)
            .await;
        assert_eq!(r.status().as_u16(), 200);
    }

    #[test]
    fn constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
