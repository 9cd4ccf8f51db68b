//! The URLs the program hands out (index, files, playlist, `.torrent`, status.json, magnet
//! links) and the percent-encoding they use.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What a path segment or a query value keeps as it is: RFC 3986's unreserved characters.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The server's own paths, beside the files of the torrent; `http::routes` routes each.
pub const INDEX: &str = "/";
pub const PLAYLIST: &str = "/playlist.m3u";
pub const STATUS: &str = "/status.json";
pub const CAST: &str = "/cast";
pub const METRICS: &str = "/metrics";
/// Where the MediaServer's own routes live (with `--dlna`).
pub const DLNA: &str = "/dlna";
/// The MediaServer's routes under [`DLNA`]; any other path there names a file.
pub const DLNA_ROUTES: &[&str] = &[
    "/description.xml",
    "/scpd/ContentDirectory.xml",
    "/scpd/ConnectionManager.xml",
    "/control/ContentDirectory",
    "/control/ConnectionManager",
    "/subscribe/ContentDirectory",
    "/subscribe/ConnectionManager",
];

/// Percent-encodes one path segment or query value; a `/` in it is encoded too.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// The magnet link of a torrent: `magnet:?xt=urn:btih:<hex>&dn=<name>&tr=<tracker>...`, each value percent-encoded.
pub fn magnet(info_hash_hex: &str, name: &str, trackers: &[String]) -> String {
    let mut m = format!(
        "magnet:?xt=urn:btih:{info_hash_hex}&dn={}",
        encode_component(name)
    );
    for t in trackers {
        m.push_str("&tr=");
        m.push_str(&encode_component(t));
    }
    m
}

/// Percent-encodes each segment of a path, keeping the `/` between them.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_component)
        .collect::<Vec<_>>()
        .join("/")
}

/// The name the torrent's `.torrent` file is served under.
pub fn torrent_name(name: &str) -> String {
    format!("{name}.torrent")
}

/// The server's URLs under one base, `http://host:port`. An empty base gives links relative
/// to the server's root (`/playlist.m3u`), as the index page uses.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    base: &'a str,
}

impl<'a> Links<'a> {
    pub fn new(base: &'a str) -> Self {
        Links { base }
    }

    /// Links from the server's root, without scheme and host.
    pub fn root() -> Links<'static> {
        Links { base: "" }
    }

    pub fn index(&self) -> String {
        format!("{}{INDEX}", self.base)
    }

    /// The URL of a file of the torrent, each path segment percent-encoded.
    pub fn file(&self, path: &str) -> String {
        format!("{}/{}", self.base, encode_path(path))
    }

    pub fn playlist(&self) -> String {
        format!("{}{PLAYLIST}", self.base)
    }

    pub fn status(&self) -> String {
        format!("{}{STATUS}", self.base)
    }

    /// The `.torrent` of the torrent called `name`.
    pub fn torrent(&self, name: &str) -> String {
        self.file(&torrent_name(name))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn magnet_link_is_percent_encoded_and_parses() {
        let hash = "0123456789abcdef0123456789abcdef01234567";
        let trackers = vec![
            "http://127.0.0.1:6969/announce".to_string(),
            "udp://t.example:1337/a?b=c&d".to_string(),
        ];
        let m = magnet(hash, "My Show & Co/ü", &trackers);
        assert_eq!(
            m,
            "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567\
             &dn=My%20Show%20%26%20Co%2F%C3%BC\
             &tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce\
             &tr=udp%3A%2F%2Ft.example%3A1337%2Fa%3Fb%3Dc%26d"
        );
        let parsed = librqbit::Magnet::parse(&m).unwrap();
        assert_eq!(parsed.as_id20().unwrap().as_string(), hash);
        assert_eq!(parsed.trackers, trackers);
        assert_eq!(parsed.name.as_deref(), Some("My Show & Co/ü"));
    }

    use super::*;

    #[test]
    fn encodings() {
        let cases = [
            ("Season 1/Ep 1 [x].mkv", "Season%201/Ep%201%20%5Bx%5D.mkv"),
            ("a-b_c.d~e", "a-b_c.d~e"),
            ("Ünï/ß & ?#%.srt", "%C3%9Cn%C3%AF/%C3%9F%20%26%20%3F%23%25.srt"),
            ("", ""),
            ("a//b/", "a//b/"),
        ];
        for (path, want) in cases {
            assert_eq!(encode_path(path), want, "{path}");
        }
        assert_eq!(encode_component("My Show/ü"), "My%20Show%2F%C3%BC");
    }

    #[test]
    fn urls_under_a_base_and_from_the_root() {
        let urls = |l: Links| {
            [
                l.index(),
                l.file("Show/Ep 1.mkv"),
                l.playlist(),
                l.status(),
                l.torrent("My Show"),
            ]
        };
        assert_eq!(
            urls(Links::new("http://media.lan:17580")),
            [
                "http://media.lan:17580/",
                "http://media.lan:17580/Show/Ep%201.mkv",
                "http://media.lan:17580/playlist.m3u",
                "http://media.lan:17580/status.json",
                "http://media.lan:17580/My%20Show.torrent",
            ]
        );
        assert_eq!(
            urls(Links::root()),
            [
                "/",
                "/Show/Ep%201.mkv",
                "/playlist.m3u",
                "/status.json",
                "/My%20Show.torrent"
            ]
        );
    }
}
