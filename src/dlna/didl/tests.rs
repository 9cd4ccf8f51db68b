use super::*;

const REQUEST: &str = r#"<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
<s:Body><u:Browse xmlns:u="urn:schemas-upnp-org:service:ContentDirectory:1">
<ObjectID>3</ObjectID><BrowseFlag>BrowseDirectChildren</BrowseFlag><Filter>*</Filter>
<StartingIndex>1</StartingIndex><RequestedCount>2</RequestedCount><SortCriteria></SortCriteria>
</u:Browse></s:Body></s:Envelope>"#;

#[test]
fn browse_requests() {
    let b = Browse::parse(REQUEST).unwrap();
    assert_eq!(
        b,
        Browse {
            object: "3".into(),
            children: true,
            start: 1,
            count: 2
        }
    );
    let meta = REQUEST.replace("BrowseDirectChildren", "BrowseMetadata");
    assert!(!Browse::parse(&meta).unwrap().children);
    assert_eq!(
        Browse::parse(&REQUEST.replace("BrowseDirectChildren", "Nope")),
        None
    );
    assert_eq!(
        Browse::parse(&REQUEST.replace("<ObjectID>3</ObjectID>", "")),
        None
    );
    assert_eq!(Browse::parse("<not xml"), None);
}

fn tree() -> Tree {
    let files = [
        (0, "a<b>&\"c\"/Ünïcödé 映画.mkv", 5),
        (1, "a<b>&\"c\"/Ünïcödé 映画.srt", 1),
        (2, "song.mp3", 3),
    ];
    Tree::new("T & <x>", files.iter().map(|(i, p, s)| (*i, *p, *s)))
}

fn browse(object: &str, children: bool, start: usize, count: usize) -> Option<String> {
    let url = |p: &str| format!("http://h:1/{}", crate::links::encode_path(p));
    let subs = |video: usize| match video {
        0 => vec![("a<b>&\"c\"/Ünïcödé 映画.srt".to_string(), "srt".to_string(), None)],
        _ => vec![],
    };
    let cx = Context {
        url: &url,
        subtitles: &subs,
        update_id: 7,
    };
    answer(
        &tree(),
        &Browse {
            object: object.into(),
            children,
            start,
            count,
        },
        &cx,
    )
}

/// The DIDL-Lite inside a SOAP answer, unescaped once, and checked to be well-formed.
fn didl(soap: &str) -> String {
    let start = soap.find("<Result>").unwrap() + "<Result>".len();
    let end = soap.find("</Result>").unwrap();
    let inner = quick_xml::escape::unescape(&soap[start..end])
        .unwrap()
        .into_owned();
    let mut r = quick_xml::Reader::from_str(&inner);
    for _ in 0..1000 {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => return inner,
            Ok(_) => {}
            Err(e) => panic!("not well-formed: {e}: {inner}"),
        }
    }
    panic!("too long")
}

#[test]
fn names_come_back_escaped() {
    let root = browse("0", false, 0, 0).unwrap();
    assert!(root.contains("<NumberReturned>1</NumberReturned>"), "{root}");
    let d = didl(&root);
    assert!(d.contains(r#"<container id="0" parentID="-1" restricted="1" childCount="2"><dc:title>T &amp; &lt;x&gt;</dc:title>"#), "{d}");

    let top = browse("0", true, 0, 0).unwrap();
    let d = didl(&top);
    assert!(
        d.contains("<dc:title>a&lt;b&gt;&amp;&quot;c&quot;</dc:title>"),
        "{d}"
    );
    assert!(d.contains("object.item.audioItem.musicTrack"), "{d}");
    assert!(
        d.contains(r#"protocolInfo="http-get:*:audio/mpeg:DLNA.ORG_OP=01;"#),
        "{d}"
    );

    let folder = browse("1", true, 0, 0).unwrap();
    let d = didl(&folder);
    assert!(d.contains("<dc:title>Ünïcödé 映画.mkv</dc:title>"), "{d}");
    assert!(d.contains(r#"size="5">http://h:1/a%3Cb%3E%26%22c%22/%C3%9Cn%C3%AFc%C3%B6d%C3%A9%20%E6%98%A0%E7%94%BB.mkv</res>"#), "{d}");
    assert!(d.contains(r#"<res protocolInfo="http-get:*:text/srt:*">"#), "{d}");
    assert!(
        d.contains(r#"<sec:CaptionInfoEx sec:type="srt">http://h:1/"#),
        "{d}"
    );
    assert!(
        d.contains("object.item.textItem"),
        "the subtitle is an item too: {d}"
    );
}

#[test]
fn pages_and_missing_objects() {
    let page = browse("1", true, 1, 1).unwrap();
    assert!(
        page.contains("<NumberReturned>1</NumberReturned><TotalMatches>2</TotalMatches>"),
        "{page}"
    );
    assert!(didl(&page).contains("映画.srt"));
    let past = browse("1", true, 9, 5).unwrap();
    assert!(
        past.contains("<NumberReturned>0</NumberReturned><TotalMatches>2</TotalMatches>"),
        "{past}"
    );
    assert_eq!(browse("99", true, 0, 0), None);
    assert_eq!(browse("-1", true, 0, 0), None);
    assert_eq!(browse("x", false, 0, 0), None);
}

/// What a renderer is told of a file it is cast: well-formed DIDL-Lite whatever the name
/// holds, with the title, the MIME type, the URL and the subtitle as a second `res`.
#[test]
fn a_lone_item_for_a_renderer() {
    let url = |p: &str| format!("http://h:1/{}", crate::links::encode_path(p));
    let subs = |video: usize| match video {
        4 => vec![(
            "Show/Ep 1 & <Ünï> 映画.srt".to_string(),
            "srt".to_string(),
            Some("Show/Ep 1 & <Ünï> 映画.vtt".to_string()),
        )],
        _ => vec![],
    };
    let cx = Context {
        url: &url,
        subtitles: &subs,
        update_id: 0,
    };
    let d = lone_item(4, "Show/Ep 1 & <Ünï> 映画.mkv", 1234, &cx);
    let mut reader = quick_xml::Reader::from_str(&d);
    let mut texts = Vec::new();
    loop {
        match reader.read_event().expect("well-formed DIDL-Lite") {
            quick_xml::events::Event::Text(t) => texts.push(t.decode().unwrap().into_owned()),
            quick_xml::events::Event::GeneralRef(r) => {
                let entity = format!("&{};", r.decode().unwrap());
                texts.push(quick_xml::escape::unescape(&entity).unwrap().into_owned());
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    let all = texts.concat();
    assert!(all.starts_with("Ep 1 & <Ünï> 映画.mkv"), "{all}");
    assert!(d.contains(r#"protocolInfo="http-get:*:video/x-matroska:"#), "{d}");
    assert!(d.contains(r#"size="1234""#), "{d}");
    assert!(
        d.contains("http://h:1/Show/Ep%201%20%26%20%3C%C3%9Cn%C3%AF%3E%20%E6%98%A0%E7%94%BB.mkv</res>"),
        "{d}"
    );
    assert!(d.contains(r#"<res protocolInfo="http-get:*:text/srt:*">"#), "{d}");
    assert!(d.contains(r#"<sec:CaptionInfoEx sec:type="srt">"#), "{d}");
    assert!(
        d.contains(r#"<res protocolInfo="http-get:*:text/vtt:*">http://h:1/Show/Ep%201%20%26%20%3C%C3%9Cn%C3%AF%3E%20%E6%98%A0%E7%94%BB.vtt</res>"#),
        "{d}"
    );
}
