//! Parsers of option values, each saying what it wants when the value is wrong.

use std::time::Duration;

pub(super) fn parse_rate(s: &str) -> Result<u64, String> {
    let v = parse_size::Config::new()
        .with_default_factor(1)
        .parse_size(s.trim().trim_end_matches("/s"))
        .map_err(|e| format!("{e}: write a size such as 5MiB, 800KB or 1000000"))?;
    if v == 0 {
        return Err("must be more than 0".into());
    }
    Ok(v)
}

pub(super) fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(v > 0.0 && v < 1e9) {
        return Err("must be a positive number of seconds".into());
    }
    Ok(Duration::from_secs_f64(v))
}

pub(super) fn parse_auth(s: &str) -> Result<String, String> {
    match s.split_once(':') {
        Some((u, p)) if !u.is_empty() && !p.is_empty() => Ok(s.to_string()),
        _ => Err("write it as USER:PASS".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("5MiB"), Ok(5 * 1024 * 1024));
        assert_eq!(parse_rate("800KB"), Ok(800_000));
        assert_eq!(parse_rate("20MB/s"), Ok(20_000_000));
        assert_eq!(parse_rate("1000"), Ok(1000));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("fast").is_err());
    }

    #[test]
    fn auth() {
        assert!(parse_auth("a:b").is_ok());
        assert!(parse_auth("a:").is_err());
        assert!(parse_auth("ab").is_err());
    }
}
