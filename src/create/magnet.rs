//! The magnet link printed next to the `.torrent`, for clients that take a link instead.

use crate::links::encode_component;

/// `magnet:?xt=urn:btih:<hex>&dn=<name>&tr=<tracker>...`, each value percent-encoded.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::create::testing::TRACKER;

    #[test]
    fn magnet_link_is_percent_encoded_and_parses() {
        let hash = "0123456789abcdef0123456789abcdef01234567";
        let trackers = vec![TRACKER.to_string(), "udp://t.example:1337/a?b=c&d".to_string()];
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
}
