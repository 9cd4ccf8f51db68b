//! The `Range` header, answered the way nginx answers it (RFC 9110 single and multiple ranges).

/// What to send for a `Range` header against a body of a given length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeAnswer {
    /// 200 with the whole body: no usable Range header, or ranges that would amplify the body.
    Full,
    /// 206 with one range, `start..end` (end exclusive).
    Single { start: u64, end: u64 },
    /// 206 multipart/byteranges, each `start..end` (end exclusive), in request order.
    Multi(Vec<(u64, u64)>),
    /// 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Parses `value` (the Range header) for a body of `len` bytes. `max_ranges` bounds how many
/// ranges are honoured; past it the whole body is sent, as nginx's `max_ranges` does.
pub fn parse(value: &str, len: u64, max_ranges: usize) -> RangeAnswer {
    let v = value.as_bytes();
    if v.len() < 7 || !v[..6].eq_ignore_ascii_case(b"bytes=") {
        return RangeAnswer::Full;
    }
    let mut p = Cursor { s: &v[6..], i: 0 };
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    let mut total: u64 = 0;
    loop {
        let Some((start, end)) = p.range(len) else {
            return RangeAnswer::Unsatisfiable;
        };
        if start < end {
            ranges.push((start, end));
            total = total.saturating_add(end - start);
            if ranges.len() > max_ranges {
                return RangeAnswer::Full;
            }
        } else if start == 0 {
            return RangeAnswer::Full;
        }
        if p.next() != Some(b',') {
            break;
        }
    }
    if ranges.is_empty() {
        return RangeAnswer::Unsatisfiable;
    }
    if total > len {
        return RangeAnswer::Full;
    }
    if ranges.len() == 1 {
        let (start, end) = ranges[0];
        RangeAnswer::Single { start, end }
    } else {
        RangeAnswer::Multi(ranges)
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// One range-spec, `first-last`, `first-` or `-suffix`, as `start..end` within `len`
    /// (empty where it lies past the end); None where it is not one.
    fn range(&mut self, len: u64) -> Option<(u64, u64)> {
        self.skip_spaces();
        let suffix = self.peek() == Some(b'-');
        let mut start = 0;
        if suffix {
            self.i += 1;
        } else {
            start = self.number()?;
            self.skip_spaces();
            if self.next() != Some(b'-') {
                return None;
            }
            self.skip_spaces();
        }
        if !suffix && matches!(self.peek(), Some(b',') | None) {
            return Some((start, len));
        }
        let n = self.number()?;
        self.skip_spaces();
        if !matches!(self.peek(), Some(b',') | None) {
            return None;
        }
        Some(match (suffix, n) {
            (true, 0) => (len, len),
            (true, n) => (len.saturating_sub(n), len),
            (false, n) => (start, if n >= len { len } else { n + 1 }),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.i += 1;
        c
    }
    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    /// Decimal digits; None when there are none or the value overflows (nginx: 416).
    fn number(&mut self) -> Option<u64> {
        let first = self.i;
        let mut n: u64 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            if n > i64::MAX as u64 {
                return None;
            }
            self.i += 1;
        }
        (self.i > first).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::RangeAnswer::*;
    use super::*;

    #[test]
    fn table() {
        let len = 1000;
        let cases: &[(&str, RangeAnswer)] = &[
            ("bytes=0-499", Single { start: 0, end: 500 }),
            (
                "bytes=500-999",
                Single {
                    start: 500,
                    end: 1000,
                },
            ),
            (
                "bytes=500-",
                Single {
                    start: 500,
                    end: 1000,
                },
            ),
            (
                "bytes=-200",
                Single {
                    start: 800,
                    end: 1000,
                },
            ),
            ("bytes=-2000", Single { start: 0, end: 1000 }),
            (
                "bytes=900-5000",
                Single {
                    start: 900,
                    end: 1000,
                },
            ),
            ("bytes=0-0", Single { start: 0, end: 1 }),
            (
                "bytes=999-",
                Single {
                    start: 999,
                    end: 1000,
                },
            ),
            ("BYTES=1-2", Single { start: 1, end: 3 }),
            ("bytes= 1 - 2 ", Single { start: 1, end: 3 }),
            ("bytes=1000-", Unsatisfiable),
            ("bytes=1000-2000", Unsatisfiable),
            ("bytes=-0", Unsatisfiable),
            ("bytes=5-1", Unsatisfiable),
            ("bytes=abc", Unsatisfiable),
            ("bytes=1-2x", Unsatisfiable),
            ("bytes=--1", Unsatisfiable),
            ("bytes=99999999999999999999-", Unsatisfiable),
            ("bytes=", Full),
            ("items=0-1", Full),
            ("", Full),
            ("bytes=0-", Single { start: 0, end: 1000 }),
            ("bytes=0-1,5-9", Multi(vec![(0, 2), (5, 10)])),
            ("bytes=0-1, -1", Multi(vec![(0, 2), (999, 1000)])),
            ("bytes=0-999,0-999", Full),
            ("bytes=2000-3000,0-1", Single { start: 0, end: 2 }),
            ("bytes=0-1,", Unsatisfiable),
        ];
        for (h, want) in cases {
            assert_eq!(&parse(h, len, 100), want, "{h}");
        }
    }

    #[test]
    fn empty_body_and_limits() {
        assert_eq!(parse("bytes=0-", 0, 100), Full);
        assert_eq!(parse("bytes=0-10", 0, 100), Full);
        assert_eq!(parse("bytes=-10", 0, 100), Full);
        assert_eq!(parse("bytes=1-", 0, 100), Unsatisfiable);
        assert_eq!(parse("bytes=0-1,3-4,6-7", 100, 2), Full);
        let many = format!("bytes={}", vec!["0-0"; 1000].join(","));
        assert_eq!(parse(&many, 100, 100), Full);
    }
}
