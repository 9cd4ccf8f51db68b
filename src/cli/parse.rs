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

/// The demo seeder's rate: at least one 16 KiB block per second, the most its limiter lets
/// through at once.
pub(super) fn parse_demo_rate(s: &str) -> Result<u64, String> {
    let v = parse_rate(s)?;
    if v < 16 * 1024 {
        return Err("must be at least 16KiB (one block per second)".into());
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

/// `socks5://[user:pass@]host:port` or `socks5h://…`, the proxies the engine speaks.
pub(super) fn parse_proxy(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("socks5://")
        .or_else(|| s.strip_prefix("socks5h://"))
        .ok_or("only SOCKS5 proxies are supported: write socks5://[user:pass@]host:port")?;
    let host_port = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    parse_host_port(host_port.trim_end_matches('/'))
        .map_err(|e| format!("{e} (socks5://[user:pass@]host:port)"))?;
    Ok(s.to_string())
}

/// `host:port` or `[v6]:port`, with a port from 1 to 65535.
pub(super) fn parse_host_port(s: &str) -> Result<String, String> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("'{s}' has no port: write HOST:PORT"))?;
    let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
    if host.is_empty() || !port_ok {
        return Err(format!("'{s}' is not HOST:PORT with a port from 1 to 65535"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_and_host_ports() {
        assert!(parse_proxy("socks5://127.0.0.1:1080").is_ok());
        assert!(parse_proxy("socks5h://u:p@proxy.lan:1080/").is_ok());
        assert!(parse_proxy("http://127.0.0.1:3128").is_err());
        assert!(parse_proxy("socks5://127.0.0.1").is_err());
        assert!(parse_host_port("[::1]:6881").is_ok());
        assert!(parse_host_port("router.lan:6881").is_ok());
        assert!(parse_host_port("router.lan").is_err());
        assert!(parse_host_port(":6881").is_err());
        assert!(parse_host_port("h:0").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("5MiB"), Ok(5 * 1024 * 1024));
        assert_eq!(parse_rate("800KB"), Ok(800_000));
        assert_eq!(parse_rate("20MB/s"), Ok(20_000_000));
        assert_eq!(parse_rate("1000"), Ok(1000));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("fast").is_err());
        assert_eq!(parse_demo_rate("16KiB"), Ok(16 * 1024));
        assert!(parse_demo_rate("16KB").is_err());
    }

    #[test]
    fn auth() {
        assert!(parse_auth("a:b").is_ok());
        assert!(parse_auth("a:").is_err());
        assert!(parse_auth("ab").is_err());
    }
}
