//! ContentDirectory's Browse: the SOAP request read, the answer written as DIDL-Lite, every
//! name and URL escaped (the markup is escaped once more inside the SOAP `Result`).

use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::tree::{Node, Tree, What};
use crate::media::Kind;

/// DLNA's fourth protocolInfo field for the files: byte seeks (OP=01), not transcoded
/// (CI=0), streaming and background transfer, DLNA 1.5.
pub const CONTENT_FEATURES: &str =
    "DLNA.ORG_OP=01;DLNA.ORG_CI=0;DLNA.ORG_FLAGS=01700000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browse {
    pub object: String,
    pub children: bool,
    pub start: usize,
    /// 0: all.
    pub count: usize,
}

impl Browse {
    /// The arguments of a Browse action; None when ObjectID or BrowseFlag is missing or wrong.
    pub fn parse(soap: &str) -> Option<Browse> {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(soap);
        let (mut object, mut flag, mut start, mut count) = (None, None, 0, 0);
        let mut current = Vec::new();
        // Bounded: a SOAP body is at most a few KiB, and each event consumes some of it.
        for _ in 0..10_000 {
            match reader.read_event().ok()? {
                Event::Start(e) => current = e.local_name().as_ref().to_vec(),
                Event::End(_) => current.clear(),
                Event::Text(t) => {
                    let text = t.decode().ok()?.trim().to_string();
                    match current.as_slice() {
                        b"ObjectID" => object = Some(text),
                        b"BrowseFlag" => flag = Some(text),
                        b"StartingIndex" => start = text.parse().ok()?,
                        b"RequestedCount" => count = text.parse().ok()?,
                        _ => {}
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let children = match flag?.as_str() {
            "BrowseDirectChildren" => true,
            "BrowseMetadata" => false,
            _ => return None,
        };
        Some(Browse {
            object: object?,
            children,
            start,
            count,
        })
    }
}

/// What the answer needs besides the tree: the file URLs, and a video's subtitles.
pub struct Context<'a> {
    pub url: &'a dyn Fn(&str) -> String,
    /// (path, extension, WebVTT twin's path) of the subtitles of a video, by its file index.
    pub subtitles: &'a dyn Fn(usize) -> Vec<(String, String, Option<String>)>,
    pub update_id: u64,
}

/// The SOAP body answering `b`; None when the object does not exist.
pub fn answer(tree: &Tree, b: &Browse, cx: &Context) -> Option<String> {
    let id: usize = b.object.parse().ok()?;
    let node = tree.get(id)?;
    let (ids, total): (Vec<usize>, usize) = match (&node.what, b.children) {
        (What::Folder(c), true) => {
            let end = if b.count == 0 {
                c.len()
            } else {
                b.start.saturating_add(b.count).min(c.len())
            };
            (
                c.get(b.start.min(c.len())..end).unwrap_or_default().to_vec(),
                c.len(),
            )
        }
        (What::Item { .. }, true) => (Vec::new(), 0),
        (_, false) => (vec![id], 1),
    };
    let mut didl = String::from(DIDL_OPEN);
    for &i in &ids {
        if let Some(n) = tree.get(i) {
            object(&mut didl, i, n, cx);
        }
    }
    didl.push_str("</DIDL-Lite>");
    Some(format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:BrowseResponse xmlns:u="urn:schemas-upnp-org:service:ContentDirectory:1"><Result>{}</Result><NumberReturned>{}</NumberReturned><TotalMatches>{total}</TotalMatches><UpdateID>{}</UpdateID></u:BrowseResponse></s:Body></s:Envelope>"#,
        escape(didl.as_str()),
        ids.len(),
        cx.update_id,
    ))
}

const DIDL_OPEN: &str = r#"<DIDL-Lite xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" xmlns:dlna="urn:schemas-dlna-org:metadata-1-0/" xmlns:sec="http://www.sec.co.kr/">"#;

/// The DIDL-Lite of one file, as a renderer is told what it is asked to play: its title, its
/// `res` with the MIME type, and a video's subtitles.
pub fn lone_item(file: usize, path: &str, size: u64, cx: &Context) -> String {
    let title = path.rsplit('/').next().unwrap_or(path);
    let kind = crate::media::kind(path);
    let mut didl = String::from(DIDL_OPEN);
    item(&mut didl, ("0", "-1"), title, (file, path, kind, size), cx);
    didl.push_str("</DIDL-Lite>");
    didl
}

/// UPnP's fault for an object that does not exist (error 701), sent with status 500.
pub fn no_such_object() -> &'static str {
    r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>701</errorCode><errorDescription>No such object</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>"#
}

fn object(out: &mut String, id: usize, n: &Node, cx: &Context) {
    let parent = n.parent.map_or(-1, |p| p as i64);
    let title = escape(n.title.as_str());
    match &n.what {
        What::Folder(c) => {
            let _ = write!(
                out,
                r#"<container id="{id}" parentID="{parent}" restricted="1" childCount="{}"><dc:title>{title}</dc:title><upnp:class>object.container.storageFolder</upnp:class></container>"#,
                c.len()
            );
        }
        What::Item {
            file,
            path,
            kind,
            size,
        } => item(
            out,
            (&id.to_string(), &parent.to_string()),
            &n.title,
            (*file, path, *kind, *size),
            cx,
        ),
    }
}

/// An `item` element: `ids` are its id and its parent's, `of` the file (index, path, kind,
/// size); a video's subtitles are listed in it.
fn item(out: &mut String, ids: (&str, &str), title: &str, of: (usize, &str, Kind, u64), cx: &Context) {
    let (id, parent) = ids;
    let (file, path, kind, size) = of;
    let title = escape(title);
    let class = match kind {
        Kind::Video => "object.item.videoItem",
        Kind::Audio => "object.item.audioItem.musicTrack",
        _ => "object.item.textItem",
    };
    let mime = crate::media::mime_type(path);
    let url = escape((cx.url)(path));
    let _ = write!(
        out,
        r#"<item id="{id}" parentID="{parent}" restricted="1"><dc:title>{title}</dc:title><upnp:class>{class}</upnp:class><res protocolInfo="http-get:*:{mime}:{CONTENT_FEATURES}" size="{size}">{url}</res>"#
    );
    if kind == Kind::Video {
        for (sub, ext, twin) in (cx.subtitles)(file) {
            let sub_url = escape((cx.url)(&sub));
            let sub_mime = subtitle_mime(&ext, &sub);
            let _ = write!(
                out,
                r#"<res protocolInfo="http-get:*:{sub_mime}:*">{sub_url}</res><sec:CaptionInfoEx sec:type="{}">{sub_url}</sec:CaptionInfoEx>"#,
                escape(ext.as_str())
            );
            // Its WebVTT twin, for renderers that read only that.
            if let Some(vtt) = twin {
                let vtt_url = escape((cx.url)(&vtt));
                let _ = write!(
                    out,
                    r#"<res protocolInfo="http-get:*:text/vtt:*">{vtt_url}</res>"#
                );
            }
        }
    }
    out.push_str("</item>");
}

/// The MIME type renderers expect of a subtitle: `text/srt` for SubRip, else the table's.
fn subtitle_mime(ext: &str, path: &str) -> &'static str {
    match ext {
        "srt" => "text/srt",
        _ => crate::media::mime_type(path),
    }
}

#[cfg(test)]
mod tests;
