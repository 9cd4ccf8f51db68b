//! Conditional requests on a file (RFC 9110 §13): its validators, and what `If-Match`,
//! `If-Unmodified-Since`, `If-None-Match`, `If-Modified-Since` and `If-Range` make of them.

use std::time::SystemTime;

use warp::http::{HeaderMap, header};

/// What a file is known by: its entity tag, and when it last changed, when that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// Strong: the bytes of a file of a torrent never change.
    pub etag: String,
    /// Whole seconds, as HTTP dates carry them.
    pub last_modified: Option<SystemTime>,
}

/// What the request's preconditions decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Answer as usual; `range` says whether a `Range` header may be honoured (`If-Range`).
    Proceed {
        range: bool,
    },
    NotModified,
    PreconditionFailed,
}

impl Validators {
    pub fn last_modified_header(&self) -> Option<String> {
        self.last_modified.map(httpdate::fmt_http_date)
    }

    /// The preconditions in RFC 9110's order (§13.2.2), for a GET or HEAD.
    pub fn evaluate(&self, headers: &HeaderMap) -> Verdict {
        let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let date = |name| text(name).and_then(|v| httpdate::parse_http_date(v).ok());
        if let Some(list) = text(header::IF_MATCH) {
            if !self.matches(list, false) {
                return Verdict::PreconditionFailed;
            }
        } else if let (Some(since), Some(lm)) = (date(header::IF_UNMODIFIED_SINCE), self.last_modified)
            && lm > since
        {
            return Verdict::PreconditionFailed;
        }
        if let Some(list) = text(header::IF_NONE_MATCH) {
            if self.matches(list, true) {
                return Verdict::NotModified;
            }
        } else if let (Some(since), Some(lm)) = (date(header::IF_MODIFIED_SINCE), self.last_modified)
            && lm <= since
        {
            return Verdict::NotModified;
        }
        let range = match text(header::IF_RANGE) {
            None => true,
            // An entity tag, compared strongly; else a date, which must be the file's own.
            Some(v) if v.ends_with('"') => !v.starts_with("W/") && v == self.etag,
            Some(v) => httpdate::parse_http_date(v).is_ok_and(|d| Some(d) == self.last_modified),
        };
        // With a bad If-Range header (RFC 9110 §13.1.5) the whole file is sent, as nginx does.
        Verdict::Proceed { range }
    }

    /// Whether an `If-Match` / `If-None-Match` list names this file: `*`, or one of its tags
    /// (a weak comparison ignores the `W/` prefix; a strong one never matches a weak tag).
    fn matches(&self, list: &str, weak: bool) -> bool {
        let list = list.trim();
        if list == "*" {
            return true;
        }
        list.split(',').map(str::trim).any(|tag| {
            let tag = match tag.strip_prefix("W/") {
                Some(t) if weak => t,
                Some(_) => return false,
                None => tag,
            };
            tag == self.etag
        })
    }
}

/// A time cut to the whole second, as an HTTP date carries it.
pub fn whole_seconds(t: SystemTime) -> SystemTime {
    httpdate::parse_http_date(&httpdate::fmt_http_date(t)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn preconditions_in_order() {
        let lm = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let v = Validators {
            etag: "\"abc-0\"".into(),
            last_modified: Some(lm),
        };
        let at = |secs: i64| {
            httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs((1_700_000_000 + secs) as u64))
        };
        use Verdict::*;
        let full = Proceed { range: false };
        let ranged = Proceed { range: true };
        let cases: Vec<(Vec<(&str, String)>, Verdict)> = vec![
            (vec![], ranged),
            (vec![("if-none-match", "\"abc-0\"".into())], NotModified),
            (vec![("if-none-match", "W/\"abc-0\"".into())], NotModified),
            (vec![("if-none-match", "\"x\", \"abc-0\"".into())], NotModified),
            (vec![("if-none-match", "*".into())], NotModified),
            (vec![("if-none-match", "\"abc-1\"".into())], ranged),
            (vec![("if-modified-since", at(0))], NotModified),
            (vec![("if-modified-since", at(1))], NotModified),
            (vec![("if-modified-since", at(-1))], ranged),
            (vec![("if-modified-since", "yesterday".into())], ranged),
            // If-None-Match decides alone when present.
            (
                vec![
                    ("if-none-match", "\"abc-0\"".into()),
                    ("if-modified-since", at(-9)),
                ],
                NotModified,
            ),
            (
                vec![("if-none-match", "\"no\"".into()), ("if-modified-since", at(9))],
                ranged,
            ),
            (vec![("if-match", "\"abc-0\"".into())], ranged),
            (vec![("if-match", "*".into())], ranged),
            (vec![("if-match", "W/\"abc-0\"".into())], PreconditionFailed),
            (vec![("if-match", "\"no\"".into())], PreconditionFailed),
            (vec![("if-unmodified-since", at(0))], ranged),
            (vec![("if-unmodified-since", at(-1))], PreconditionFailed),
            (
                vec![("if-match", "\"abc-0\"".into()), ("if-unmodified-since", at(-1))],
                ranged,
            ),
            (
                vec![
                    ("if-match", "\"no\"".into()),
                    ("if-none-match", "\"abc-0\"".into()),
                ],
                PreconditionFailed,
            ),
            (vec![("if-range", "\"abc-0\"".into())], ranged),
            (vec![("if-range", "W/\"abc-0\"".into())], full),
            (vec![("if-range", "\"old\"".into())], full),
            (vec![("if-range", at(0))], ranged),
            (vec![("if-range", at(1))], full),
            (vec![("if-range", "soon".into())], full),
        ];
        for (headers, want) in cases {
            let mut map = HeaderMap::new();
            for (k, val) in &headers {
                map.insert(*k, val.parse().unwrap());
            }
            assert_eq!(v.evaluate(&map), want, "{headers:?}");
        }
        let unknown = Validators {
            last_modified: None,
            ..v
        };
        let mut map = HeaderMap::new();
        map.insert("if-modified-since", at(5).parse().unwrap());
        map.insert("if-unmodified-since", at(-5).parse().unwrap());
        assert_eq!(
            unknown.evaluate(&map),
            ranged,
            "dates mean nothing without Last-Modified"
        );
    }

    #[test]
    fn whole_seconds_round_trip() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_750);
        assert_eq!(whole_seconds(t), UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    }
}
