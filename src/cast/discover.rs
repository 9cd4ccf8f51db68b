//! Finding the renderers of the LAN: an SSDP search for MediaRenderers, then each one's
//! description for its name and its AVTransport control URL (the engine family's
//! `librqbit-upnp` does both).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use librqbit_upnp::{Device, discover_once, discover_services};

use super::soap::AV_TRANSPORT;

const MEDIA_RENDERER: &str = "urn:schemas-upnp-org:device:MediaRenderer:1";

/// How long a renderer's description may take.
const DESCRIPTION_WITHIN: Duration = Duration::from_secs(3);

/// A renderer that can be told to play a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renderer {
    pub name: String,
    /// Its AVTransport service's control URL, on the address that answered the search.
    pub control: String,
}

/// The renderers that answer a search within `wait`, from addresses `allowed` admits, sorted
/// by name. One that answers but gives no usable description is left out (and logged), and so
/// is one whose description or control URL is on another host than the one that answered: a
/// reply to a search must not send us to addresses `--allow` never admitted.
pub async fn discover(wait: Duration, allowed: impl Fn(IpAddr) -> bool) -> Vec<Renderer> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    if let Err(e) = discover_once(&tx, MEDIA_RENDERER, wait, None).await {
        tracing::warn!("cannot search for renderers: {e:#}");
        return Vec::new();
    }
    drop(tx);
    let mut locations = BTreeMap::new();
    while let Some(r) = rx.recv().await {
        let same_host = r.location.host_str().and_then(host_ip) == Some(r.received_from.ip());
        if allowed(r.received_from.ip()) && same_host {
            locations.insert(r.location.to_string(), (r.location, r.received_from.ip()));
        } else {
            tracing::debug!(
                "a renderer at {} is outside --allow, or describes itself elsewhere",
                r.received_from
            );
        }
    }
    let mut found = Vec::new();
    for (_, (location, addr)) in locations {
        let desc = match tokio::time::timeout(DESCRIPTION_WITHIN, discover_services(location.clone())).await {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                tracing::info!("the renderer at {location} gives no usable description: {e:#}");
                continue;
            }
            Err(_) => {
                tracing::info!("the renderer at {location} did not describe itself within 3 s");
                continue;
            }
        };
        for d in &desc.devices {
            if let Some((name, control)) = av_transport(d) {
                match location.join(&control) {
                    Ok(url) if url.host_str().and_then(host_ip) == Some(addr) => found.push(Renderer {
                        name,
                        control: url.to_string(),
                    }),
                    Ok(url) => tracing::info!(
                        "the renderer at {location} names a control URL on another host: {url}"
                    ),
                    Err(e) => tracing::info!("the renderer at {location} has a bad control URL: {e}"),
                }
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.control.cmp(&b.control)));
    found.dedup_by(|a, b| a.control == b.control);
    found
}

/// A URL's host as an address (`[::1]` included).
fn host_ip(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// The name and the AVTransport control URL of `d` or of a device inside it.
fn av_transport(d: &Device) -> Option<(String, String)> {
    let own = d.service_list.services.iter().find(|s| {
        s.service_type
            .starts_with(&AV_TRANSPORT[..AV_TRANSPORT.len() - 1])
    });
    match own {
        Some(s) => Some((d.name().to_string(), s.control_url.clone())),
        None => d.device_list.devices.iter().find_map(av_transport),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transport_is_found_in_the_description() {
        let xml = r#"<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion><device><deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType><friendlyName>Living room &amp; TV</friendlyName><serviceList><service><serviceType>urn:schemas-upnp-org:service:RenderingControl:1</serviceType><serviceId>urn:upnp-org:serviceId:RenderingControl</serviceId><SCPDURL>/rc.xml</SCPDURL><controlURL>/rc/control</controlURL></service><service><serviceType>urn:schemas-upnp-org:service:AVTransport:2</serviceType><serviceId>urn:upnp-org:serviceId:AVTransport</serviceId><SCPDURL>/avt.xml</SCPDURL><controlURL>/upnp/control/avt</controlURL></service></serviceList></device></root>"#;
        let desc: librqbit_upnp::RootDesc = quick_xml::de::from_str(xml).unwrap();
        let found = av_transport(&desc.devices[0]);
        assert_eq!(
            found,
            Some(("Living room & TV".to_string(), "/upnp/control/avt".to_string()))
        );
    }
}
