//! Differential: conditional requests (If-None-Match, If-Modified-Since, If-Match,
//! If-Unmodified-Since, If-Range) to bt2p-tui and to nginx (Debian) serving the same file, each
//! with its own validators; the statuses must agree, and a 304 must carry the validators and
//! no content. Needs nginx: `--features interop`.
#![cfg(feature = "interop")]

mod common;

use std::time::{Duration, SystemTime};

use common::*;

/// One request with `headers`; (status, headers, body length).
async fn ask(
    url: &str,
    method: &str,
    headers: &[(&str, String)],
) -> (u16, reqwest::header::HeaderMap, usize) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut req = http.request(method.parse().unwrap(), url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let r = req.send().await.unwrap();
    let (status, h) = (r.status().as_u16(), r.headers().clone());
    (status, h, r.bytes().await.unwrap().len())
}

/// A server's validators: its ETag and its Last-Modified date.
struct Tags {
    etag: String,
    lm: SystemTime,
}

impl Tags {
    fn date(&self, secs: i64) -> String {
        let t = match secs >= 0 {
            true => self.lm + Duration::from_secs(secs as u64),
            false => self.lm - Duration::from_secs((-secs) as u64),
        };
        httpdate::fmt_http_date(t)
    }
}

/// Waits until `url` answers with both validators.
async fn tags(url: &str) -> Tags {
    wait_for(
        &format!("{url} to answer with an ETag and Last-Modified"),
        DEADLINE,
        async || {
            let (_, h, _) = ask(url, "HEAD", &[]).await;
            let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
            match (get("etag"), get("last-modified")) {
                (Some(etag), Some(lm)) => {
                    let lm = httpdate::parse_http_date(&lm).expect("Last-Modified is an HTTP date");
                    Ok(Tags { etag, lm })
                }
                _ => Err(h),
            }
        },
    )
    .await
}

/// The Range header the ranged cases send.
fn range() -> (&'static str, String) {
    ("Range", "bytes=0-9".to_string())
}

type Case = (&'static str, fn(&Tags) -> Vec<(&'static str, String)>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditionals_are_answered_as_nginx_answers_them() {
    require("nginx", "nginx-light");
    let len = 100_001usize;
    let s = swarm("t", &[("clip.mkv", len)], 16 * 1024, None).await;
    let c = client(&s.torrent_path, s.seeder.addr, &s.dir.path().join("dl"), &[]).await;
    let (st, _, body) = get(&format!("{}/clip.mkv", c.base), None, Duration::from_secs(60)).await;
    assert_eq!((st, body.len()), (200, len));
    // `if_modified_since before`: a 304 for any date not before Last-Modified (RFC 9110 §13.1.3).
    let ngx = Nginx::start(
        s.dir.path(),
        &s.dir.path().join("seed"),
        "if_modified_since before;",
    )
    .await;
    let urls = [
        ("bt2p-tui", format!("{}/clip.mkv", c.base)),
        ("nginx", format!("{}/clip.mkv", ngx.base)),
    ];
    let mut validators = Vec::new();
    for (_, url) in &urls {
        validators.push(tags(url).await);
    }
    let cases: &[Case] = &[
        ("nothing", |_| vec![]),
        ("If-None-Match: own", |t| vec![("If-None-Match", t.etag.clone())]),
        ("If-None-Match: weak own", |t| {
            vec![("If-None-Match", format!("W/{}", t.etag))]
        }),
        ("If-None-Match: list", |t| {
            vec![("If-None-Match", format!("\"x\", {}", t.etag))]
        }),
        ("If-None-Match: *", |_| vec![("If-None-Match", "*".into())]),
        ("If-None-Match: other", |_| {
            vec![("If-None-Match", "\"other\"".into())]
        }),
        ("If-Modified-Since: same", |t| {
            vec![("If-Modified-Since", t.date(0))]
        }),
        ("If-Modified-Since: later", |t| {
            vec![("If-Modified-Since", t.date(1))]
        }),
        ("If-Modified-Since: earlier", |t| {
            vec![("If-Modified-Since", t.date(-1))]
        }),
        ("If-Modified-Since: garbage", |_| {
            vec![("If-Modified-Since", "yesterday".into())]
        }),
        ("If-None-Match: other, If-Modified-Since: same", |t| {
            vec![
                ("If-None-Match", "\"other\"".into()),
                ("If-Modified-Since", t.date(0)),
            ]
        }),
        ("If-None-Match: own, Range", |t| {
            vec![("If-None-Match", t.etag.clone()), range()]
        }),
        ("If-None-Match: other, Range", |_| {
            vec![("If-None-Match", "\"o\"".into()), range()]
        }),
        ("If-Modified-Since: same, Range", |t| {
            vec![("If-Modified-Since", t.date(0)), range()]
        }),
        ("If-Match: own", |t| vec![("If-Match", t.etag.clone())]),
        ("If-Match: *", |_| vec![("If-Match", "*".into())]),
        ("If-Match: other", |_| vec![("If-Match", "\"other\"".into())]),
        ("If-Match: weak own", |t| {
            vec![("If-Match", format!("W/{}", t.etag))]
        }),
        ("If-Match: other, Range", |_| {
            vec![("If-Match", "\"other\"".into()), range()]
        }),
        ("If-Unmodified-Since: same", |t| {
            vec![("If-Unmodified-Since", t.date(0))]
        }),
        ("If-Unmodified-Since: later", |t| {
            vec![("If-Unmodified-Since", t.date(1))]
        }),
        ("If-Unmodified-Since: earlier", |t| {
            vec![("If-Unmodified-Since", t.date(-1))]
        }),
        ("If-Range: own ETag", |t| {
            vec![("If-Range", t.etag.clone()), range()]
        }),
        ("If-Range: weak own ETag", |t| {
            vec![("If-Range", format!("W/{}", t.etag)), range()]
        }),
        ("If-Range: other ETag", |_| {
            vec![("If-Range", "\"other\"".into()), range()]
        }),
        ("If-Range: own date", |t| vec![("If-Range", t.date(0)), range()]),
        ("If-Range: earlier date", |t| {
            vec![("If-Range", t.date(-1)), range()]
        }),
    ];
    let mut compared = 0;
    for (name, headers) in cases {
        for method in ["GET", "HEAD"] {
            let mut answers = Vec::new();
            for ((_, url), t) in urls.iter().zip(&validators) {
                answers.push(ask(url, method, &headers(t)).await);
            }
            let (ours, theirs) = (&answers[0], &answers[1]);
            assert_eq!(ours.0, theirs.0, "{method} {name}: status (bt2p-tui, nginx)");
            if ours.0 == 304 {
                let t = &validators[0];
                assert_eq!(ours.1["etag"], t.etag.as_str(), "{method} {name}");
                assert_eq!(ours.1["last-modified"], t.date(0).as_str(), "{method} {name}");
                for h in ["content-type", "content-range", "accept-ranges"] {
                    assert!(!ours.1.contains_key(h), "{method} {name}: a 304 with {h}");
                }
                assert_eq!(ours.2, 0, "{method} {name}: a 304 with a body");
            }
            compared += 1;
        }
    }
    eprintln!("{compared} conditional exchanges compared with nginx");

    // Where nginx departs from RFC 9110 §13.2.2, which bt2p-tui follows: If-None-Match decides
    // without If-Modified-Since, and If-Match without If-Unmodified-Since.
    let departures: &[(Case, u16, u16)] = &[
        (
            ("If-None-Match: own, If-Modified-Since: earlier", |t| {
                vec![
                    ("If-None-Match", t.etag.clone()),
                    ("If-Modified-Since", t.date(-1)),
                ]
            }),
            304,
            200,
        ),
        (
            ("If-Match: own, If-Unmodified-Since: earlier", |t| {
                vec![("If-Match", t.etag.clone()), ("If-Unmodified-Since", t.date(-1))]
            }),
            200,
            412,
        ),
    ];
    for ((name, headers), want_ours, want_nginx) in departures {
        let ours = ask(&urls[0].1, "GET", &headers(&validators[0])).await;
        let theirs = ask(&urls[1].1, "GET", &headers(&validators[1])).await;
        assert_eq!((ours.0, theirs.0), (*want_ours, *want_nginx), "{name}");
    }
}
