//! Addresses: the HTTP listener, and the address written into URLs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::error::Error;

pub async fn bind_http(ip: IpAddr, port: u16) -> Result<tokio::net::TcpListener, Error> {
    let addr = SocketAddr::new(ip, port);
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let fix = match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "Another program (perhaps another bt2p-tui) already uses port {port}: stop it, or choose another port with --port N"
            ),
            std::io::ErrorKind::PermissionDenied => {
                "Ports below 1024 need privileges: choose another with --port N (default 17580)".to_string()
            }
            std::io::ErrorKind::AddrNotAvailable => {
                format!("{ip} is not an address of this machine: fix --bind ADDR")
            }
            _ => "Check --bind and --port".into(),
        };
        Error::HttpPort {
            addr: addr.to_string(),
            fix,
            source: e,
        }
    })
}

/// Addresses of this machine's interfaces.
pub fn local_addresses() -> Vec<IpAddr> {
    if_addrs::get_if_addrs()
        .map(|v| v.into_iter().map(|i| i.ip()).collect())
        .unwrap_or_default()
}

/// The address a player on another machine should use: the bound one, or when bound to all
/// interfaces, the first private IPv4 address (else any non-loopback one, else loopback).
pub fn advertised_ip(bind: IpAddr) -> IpAddr {
    if !bind.is_unspecified() {
        return bind;
    }
    let addrs: Vec<IpAddr> = local_addresses()
        .into_iter()
        .filter(|a| !a.is_loopback())
        .collect();
    let private_v4 = addrs
        .iter()
        .find(|a| matches!(a, IpAddr::V4(v4) if v4.is_private()));
    let any_v4 = addrs.iter().find(|a| a.is_ipv4());
    private_v4
        .or(any_v4)
        .copied()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// An address as it goes into a URL (IPv6 in brackets).
pub fn url_host(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => format!("[{v6}]"),
        IpAddr::V4(v4) => v4.to_string(),
    }
}
