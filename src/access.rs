//! Who may talk to the HTTP server: source address ranges and the Host names it answers to.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// One `--allow` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(pub IpNet);

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(net) = s.parse::<IpNet>() {
            return Ok(Cidr(net.trunc()));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Cidr(IpNet::from(ip)));
        }
        Err(format!(
            "'{s}' is not an address range: write it as 192.168.1.0/24, 10.0.0.7 or 0.0.0.0/0"
        ))
    }
}

/// The ranges a home network uses: loopback, private, link-local, CGNAT, and their IPv6 kin.
pub fn default_allow() -> Vec<Cidr> {
    [
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect()
}

/// The source address policy of the HTTP server.
#[derive(Debug, Clone)]
pub struct AllowList(Vec<Cidr>);

impl AllowList {
    pub fn new(given: &[Cidr]) -> Self {
        if given.is_empty() {
            AllowList(default_allow())
        } else {
            AllowList(given.to_vec())
        }
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.0.iter().any(|c| c.0.contains(&ip))
    }
}

/// The names a request's `Host` header may carry for state-changing requests.
#[derive(Debug, Clone)]
pub struct HostNames(Vec<String>);

impl HostNames {
    pub fn new(domain_name: Option<&str>, addresses: &[IpAddr]) -> Self {
        let mut names: Vec<String> = vec!["localhost".into()];
        if let Some(d) = domain_name {
            names.push(d.to_ascii_lowercase());
        }
        if let Ok(h) = hostname() {
            names.push(h.to_ascii_lowercase());
        }
        for ip in addresses {
            names.push(ip.to_string());
        }
        HostNames(names)
    }

    /// Whether `host` (a Host header value, with or without port) names this server.
    pub fn accepts(&self, host: &str) -> bool {
        let name = strip_port(host).to_ascii_lowercase();
        let name = name.trim_end_matches('.');
        if let Ok(ip) = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return ip.is_loopback() || self.0.iter().any(|n| n.parse::<IpAddr>() == Ok(ip));
        }
        self.0.iter().any(|n| n == name)
    }
}

/// `host:port` → `host`, `[v6]:port` → `[v6]`.
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(i) => &host[..=i],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

fn hostname() -> std::io::Result<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ranges() {
        let a = AllowList::new(&[]);
        for ok in [
            "127.0.0.1",
            "192.168.1.20",
            "10.1.2.3",
            "172.20.0.1",
            "100.100.1.1",
            "::1",
            "fe80::1",
            "::ffff:192.168.0.2",
        ] {
            assert!(a.permits(ok.parse().unwrap()), "{ok}");
        }
        for no in ["8.8.8.8", "172.32.0.1", "2001:db8::1", "::ffff:1.1.1.1"] {
            assert!(!a.permits(no.parse().unwrap()), "{no}");
        }
    }

    #[test]
    fn given_ranges_replace_defaults() {
        let a = AllowList::new(&["203.0.113.0/24".parse().unwrap()]);
        assert!(a.permits("203.0.113.9".parse().unwrap()));
        assert!(!a.permits("127.0.0.1".parse().unwrap()));
        let all = AllowList::new(&["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()]);
        assert!(all.permits("8.8.8.8".parse().unwrap()));
        assert!("nonsense".parse::<Cidr>().is_err());
        assert_eq!("10.0.0.7".parse::<Cidr>().unwrap().0.prefix_len(), 32);
    }

    #[test]
    fn hosts() {
        let h = HostNames::new(Some("Media.lan"), &["192.168.1.20".parse().unwrap()]);
        for ok in [
            "localhost:17580",
            "media.lan",
            "MEDIA.LAN:17580",
            "192.168.1.20:17580",
            "127.0.0.1",
            "[::1]:17580",
        ] {
            assert!(h.accepts(ok), "{ok}");
        }
        for no in ["evil.example", "192.168.1.21:17580", "media.lan.evil.example"] {
            assert!(!h.accepts(no), "{no}");
        }
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("a:80"), "a");
    }
}
