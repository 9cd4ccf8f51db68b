//! The opt-in DLNA/UPnP MediaServer (`--dlna`): SSDP announces it on the LAN, control points
//! read its description and browse the torrent's folders and media files. The engine family's
//! `librqbit-upnp-serve` runs SSDP, the description and ConnectionManager; Browse is answered
//! here (every media kind, escaped names, pages, subtitles). Served under [`PREFIX`] on the
//! HTTP port, behind the same access checks as every other route.

pub mod didl;
mod tree;

use std::net::IpAddr;
use std::sync::Arc;

use librqbit_upnp_serve::services::content_directory::ContentDirectoryBrowseProvider;
use librqbit_upnp_serve::services::content_directory::browse::response::ItemOrContainer;
use librqbit_upnp_serve::{UpnpServer, UpnpServerOptions};
use tokio_util::sync::CancellationToken;

pub use self::didl::{Browse, CONTENT_FEATURES, no_such_object};
use self::tree::Tree;
use crate::access::AllowList;
use crate::engine::Engine;
use crate::error::Error;

/// Where the MediaServer's own routes live on the HTTP port.
pub use crate::links::DLNA as PREFIX;

/// The running MediaServer.
pub struct Dlna {
    /// The name control points show.
    pub name: String,
    tree: Tree,
    router: axum::Router,
    /// The base of item URLs when `--domain-name` fixes it; else the host the control point
    /// reached the server at.
    fixed_base: Option<String>,
    started: std::time::SystemTime,
}

impl Dlna {
    /// Checks that no interface SSDP would use lies outside `--allow`, then starts announcing.
    pub async fn start(
        name: String,
        port: u16,
        engine: &Engine,
        allow: &AllowList,
        fixed_base: Option<String>,
        cancel: &CancellationToken,
    ) -> Result<Arc<Dlna>, Error> {
        if let Some((iface, ip)) = announced_on().into_iter().find(|(_, ip)| !allow.permits(*ip)) {
            return Err(Error::Usage(format!(
                "--dlna would announce the server on {iface} ({ip}), which --allow does not admit: add --allow {ip} (or its network), or leave out --dlna"
            )));
        }
        let files = engine.files();
        let tree = Tree::new(
            &name,
            files
                .iter()
                .filter(|f| f.shown())
                .map(|f| (f.index, f.path.as_str(), f.length)),
        );
        let mut server = UpnpServer::new(UpnpServerOptions {
            // Written into the description as it is: escaped here.
            friendly_name: quick_xml::escape::escape(name.as_str()).into_owned(),
            http_listen_port: port,
            http_prefix: PREFIX.to_string(),
            browse_provider: Box::new(AnsweredBeforeTheRouter),
            cancellation_token: cancel.child_token(),
        })
        .await
        .map_err(|e| Error::Other(format!("cannot start the DLNA MediaServer: {e:#}. UDP port 1900 (SSDP) must be free to share, or leave out --dlna")))?;
        let router = server
            .take_router()
            .map_err(|e| Error::Other(format!("cannot start the DLNA MediaServer: {e:#}")))?;
        tokio::spawn(async move {
            if let Err(e) = server.run_ssdp_forever().await {
                tracing::warn!("DLNA: SSDP stopped: {e:#}");
            }
        });
        tracing::info!("DLNA MediaServer \"{name}\" announced on the LAN");
        Ok(Arc::new(Dlna {
            name,
            tree,
            router,
            fixed_base,
            started: std::time::SystemTime::now(),
        }))
    }

    /// The SOAP answer to a Browse; None when the object does not exist. `host` is the Host
    /// header the control point sent.
    pub fn browse(
        &self,
        b: &Browse,
        host: Option<&str>,
        fallback_base: &str,
        subtitles: &dyn Fn(usize) -> Vec<(String, String, Option<String>)>,
    ) -> Option<String> {
        let base = match (&self.fixed_base, host) {
            (Some(b), _) => b.clone(),
            (None, Some(h)) if h.parse::<warp::http::uri::Authority>().is_ok() => format!("http://{h}"),
            (None, _) => fallback_base.to_string(),
        };
        let links = crate::links::Links::new(&base);
        let url = |p: &str| links.file(p);
        let subs = |video: usize| subtitles(video);
        let update_id = self
            .started
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let cx = didl::Context {
            url: &url,
            subtitles: &subs,
            update_id,
        };
        didl::answer(&self.tree, b, &cx)
    }

    /// The engine family's router, for the description, ConnectionManager and the rest.
    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }
}

/// Browse is answered before a request reaches the crate's router, so its provider is never
/// asked.
struct AnsweredBeforeTheRouter;

impl ContentDirectoryBrowseProvider for AnsweredBeforeTheRouter {
    fn browse_direct_children(&self, _: usize, _: &str) -> Vec<ItemOrContainer> {
        Vec::new()
    }
    fn browse_metadata(&self, _: usize, _: &str) -> Vec<ItemOrContainer> {
        Vec::new()
    }
}

/// The interfaces and addresses SSDP joins and announces on: IPv4 private and loopback, IPv6
/// unique local (as librqbit-dualstack-sockets chooses them).
fn announced_on() -> Vec<(String, IpAddr)> {
    if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| match i.ip() {
            IpAddr::V4(a) => a.is_private() || a.is_loopback(),
            IpAddr::V6(a) => (a.segments()[0] & 0xfe00) == 0xfc00,
        })
        .map(|i| (i.name.clone(), i.ip()))
        .collect()
}
