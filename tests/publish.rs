//! Publishing a torrent's files: subtitles next to their videos on the index, served with
//! their types and fetched when their video is opened; the playlist.

mod common;

use std::time::Duration;

use common::*;

const T: Duration = Duration::from_secs(60);

const FILES: &[(&str, usize)] = &[
    ("Ep 1.en.srt", 200_003),
    ("Ep 1.mkv", 1_100_000),
    ("Ep 10.mkv", 300_001),
    ("Ep 10.vtt", 5_000),
    ("Ep 2.mkv", 700_000),
    ("Ep 2.sub", 4_000),
    ("Subs/Ep 1/2_English.srt", 210_000),
    ("Subs/Ep 2.fr.ass", 220_000),
    ("notes.txt", 1_000),
];

async fn file_progress(c: &Client) -> Vec<(String, u64, u64)> {
    let st = status(c).await;
    st["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["progress_bytes"].as_u64().unwrap(),
                f["length"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn complete(files: &[(String, u64, u64)], path: &str) -> bool {
    files.iter().any(|(p, have, len)| p == path && have == len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtitles_are_listed_typed_and_fetched_with_their_video() {
    let s = swarm("Show", FILES, 64 * 1024, None).await;
    let save = s.dir.path().join("dl");
    // On demand, nothing downloads but what players (and their subtitles) need.
    let c = client(
        &s.torrent_path,
        s.seeder.addr,
        &save,
        &["--on-demand", "--domain-name", "media.lan"],
    )
    .await;
    let base = format!("http://media.lan:{}", c.port);

    // The index, in the natural order the dashboard and the playlist use: each video, then its
    // subtitles, marked.
    let (st, _, page) = get(&format!("{}/", c.base), None, T).await;
    assert_eq!(st, 200);
    let page = String::from_utf8(page).unwrap();
    let at = |path: &str| {
        let link = format!("<a href=\"{base}/{}\">", bt2p_tui::http::encode_path(path));
        page.find(&link)
            .unwrap_or_else(|| panic!("no link {link} in {page}"))
    };
    let listed = [
        "Ep 1.mkv",
        "Subs/Ep 1/2_English.srt",
        "Ep 1.en.srt",
        "Ep 2.mkv",
        "Ep 2.sub",
        "Subs/Ep 2.fr.ass",
        "Ep 10.mkv",
        "Ep 10.vtt",
        "notes.txt",
    ];
    let places: Vec<usize> = listed.iter().map(|p| at(p)).collect();
    assert!(places.is_sorted(), "listed in this order: {listed:?}\n{page}");
    assert_eq!(page.matches("↳ subtitles: ").count(), 5, "{page}");
    assert!(page.contains("(2 subtitle files)"), "{page}");

    // The playlist: media only, natural order, absolute URLs on --domain-name.
    let (st, h, m3u) = get(&format!("{}/playlist.m3u", c.base), None, T).await;
    assert_eq!(st, 200);
    assert_eq!(h["content-type"], "audio/x-mpegurl; charset=utf-8");
    assert_eq!(
        String::from_utf8(m3u).unwrap(),
        format!(
            "#EXTM3U\n#PLAYLIST:Show\n#EXTINF:-1,Ep 1\n{base}/Ep%201.mkv\n#EXTINF:-1,Ep 2\n{base}/Ep%202.mkv\n#EXTINF:-1,Ep 10\n{base}/Ep%2010.mkv\n"
        )
    );

    // Types, asked with HEAD, which fetches nothing.
    let http = reqwest::Client::builder().timeout(T).build().unwrap();
    let types = [
        ("Ep 1.en.srt", "application/x-subrip"),
        ("Ep 10.vtt", "text/vtt"),
        ("Subs/Ep 2.fr.ass", "text/x-ssa"),
        ("Ep 2.sub", "text/plain"),
        ("Ep 1.mkv", "video/x-matroska"),
    ];
    for (path, want) in types {
        let url = format!("{}/{}", c.base, bt2p_tui::http::encode_path(path));
        let r = http.head(&url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], want, "{path}");
    }
    let before = file_progress(&c).await;
    assert!(!complete(&before, "Ep 1.en.srt") && !complete(&before, "Subs/Ep 1/2_English.srt"));

    // A player opens Ep 1 and holds its connection: both its subtitles arrive, unasked.
    let player = hold(&format!("{}/Ep%201.mkv", c.base)).await;
    assert_eq!(player.first[..], s.files[1].1[..player.first.len()]);
    let files = wait_for("Ep 1's subtitles to arrive", DEADLINE, async || {
        let files = file_progress(&c).await;
        match complete(&files, "Ep 1.en.srt") && complete(&files, "Subs/Ep 1/2_English.srt") {
            true => Ok(files),
            false => Err(files),
        }
    })
    .await;
    // Another video's subtitle waits for its own video.
    assert!(!complete(&files, "Subs/Ep 2.fr.ass"), "{files:?}");

    // Every subtitle is served whole, with its type.
    for (path, want) in types {
        let i = FILES.iter().position(|(p, _)| *p == path).unwrap();
        let url = format!("{}/{}", c.base, bt2p_tui::http::encode_path(path));
        let (st, h, body) = get(&url, None, T).await;
        assert_eq!((st, h["content-type"].to_str().unwrap()), (200, want), "{path}");
        assert_eq!(sha(&body), sha(&s.files[i].1), "{path}");
    }
    drop(player);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_of_one_file_is_seeded_from_inside_its_folder() {
    // `create` of a folder makes a torrent in folder form even for one file: its data is
    // <save path>/<name>/<file>, as every client keeps it.
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(&dir.path().join("Show"), &[("clip.mkv", 300_000)], 5);
    let torrent = dir.path().join("show.torrent");
    let out = std::process::Command::new(BIN)
        .arg("create")
        .arg(dir.path().join("Show"))
        .arg("-o")
        .arg(&torrent)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let c = lone_client(&torrent, dir.path(), &[]).await;
    wait_status(&c, "the data found where the torrent keeps it", |st| {
        (st["state"] == "seeding").then_some(())
    })
    .await;
    let (status, _, body) = get(&format!("{}/clip.mkv", c.base), None, T).await;
    assert_eq!((status, sha(&body)), (200, sha(&files[0].1)));
    assert!(
        !dir.path().join("clip.mkv").exists(),
        "a second copy was made beside the folder"
    );
}

/// An SRT or an ASS in the torrent is also served under its `.vtt` name, converted to WebVTT,
/// which browsers read in a `<track>`; the index links it beside the subtitle, and ffmpeg reads
/// it as WebVTT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_srt_or_an_ass_is_also_served_as_webvtt() {
    const SRT: &str = "1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> & welcome\r\n\r\n\
                       2\r\n00:00:03,000 --> 00:00:04,000\r\nsecond line\r\n";
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("seed").join("Film");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("Film.mkv"), data(300_000, 5)).unwrap();
    std::fs::write(root.join("Film.en.srt"), SRT).unwrap();
    let ass = "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n\
               Dialogue: 0,0:00:05.25,0:00:06.00,Default,,0,0,0,,{\\b1}Bonjour{\\b0}\\Nà tous\n";
    std::fs::write(root.join("Film.fr.ass"), ass).unwrap();
    let torrent = dir.path().join("film.torrent");
    mktorrent(&root, &torrent, 16);
    let lt = common::lt::seeding_lt(&torrent, &dir.path().join("seed"), "127.0.0.1", &[]).await;
    let peer = format!("127.0.0.1:{}", lt.port).parse().unwrap();
    let c = client(&torrent, peer, &dir.path().join("dl"), &[]).await;

    let url = format!("{}/Film.en.vtt", c.base);
    let (st, h, body) = get(&url, None, T).await;
    assert_eq!(st, 200);
    assert_eq!(h["content-type"], "text/vtt; charset=utf-8");
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\n<i>Hello</i> &amp; welcome\n\n\
         2\n00:00:03.000 --> 00:00:04.000\nsecond line\n"
    );
    require("ffprobe", "ffmpeg");
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
            &url,
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        "webvtt",
        "{probe:?}"
    );

    let (st, _, body) = get(&format!("{}/Film.fr.vtt", c.base), None, T).await;
    assert_eq!(st, 200);
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "WEBVTT\n\n00:00:05.250 --> 00:00:06.000\nBonjour\nà tous\n"
    );

    let (_, _, page) = get(&format!("{}/", c.base), None, T).await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("/Film.en.vtt\">WebVTT</a>"), "{page}");
    assert!(page.contains("/Film.fr.vtt\">WebVTT</a>"), "{page}");
    // Only an SRT has a WebVTT twin.
    let (st, _, _) = get(&format!("{}/Film.vtt", c.base), None, T).await;
    assert_eq!(st, 404);
}

/// A page that comes with a torrent is served sandboxed: opened in a browser, it runs in an
/// origin of its own, without script, and cannot act as the server's own pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_a_torrent_are_sandboxed() {
    let files = &[("page.html", 2_000), ("image.svg", 1_000), ("film.mkv", 50_000)];
    let s = swarm("Site", files, 16 * 1024, None).await;
    let c = client(&s.torrent_path, s.seeder.addr, &s.dir.path().join("dl"), &[]).await;
    for (path, sandboxed) in [("page.html", true), ("image.svg", true), ("film.mkv", false)] {
        let (st, h, _) = get(&format!("{}/{path}", c.base), None, T).await;
        assert_eq!(st, 200, "{path}");
        let csp = h
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(csp.as_deref() == Some("sandbox"), sandboxed, "{path}: {csp:?}");
    }
}

/// The subtitle tracks inside an MKV and an MP4 (made by ffmpeg) are read from their headers
/// and listed in status.json and the index, with language, format and the forced flag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtitle_tracks_inside_the_films_are_listed() {
    require("ffmpeg", "ffmpeg");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Films");
    std::fs::create_dir_all(&root).unwrap();
    let srt = dir.path().join("en.srt");
    std::fs::write(&srt, "1\n00:00:00,500 --> 00:00:01,500\nHello\n\n").unwrap();
    let ass = dir.path().join("fr.ass");
    std::fs::write(
        &ass,
        "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\nStyle: Default,Arial,20\n\n[Events]\nFormat: Layer, Start, End, Style, Text\nDialogue: 0,0:00:00.50,0:00:01.50,Default,Bonjour\n",
    )
    .unwrap();
    let (srt, ass) = (srt.to_str().unwrap(), ass.to_str().unwrap());
    let ffmpeg = |args: &[&str]| {
        let st = std::process::Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=160x120:rate=25:duration=2",
            ])
            .args(args)
            .status()
            .unwrap();
        assert!(st.success(), "ffmpeg {args:?}");
    };
    let mkv = root.join("film.mkv");
    ffmpeg(&[
        "-i",
        srt,
        "-i",
        ass,
        "-map",
        "0",
        "-map",
        "1",
        "-map",
        "2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:s:0",
        "srt",
        "-c:s:1",
        "ass",
        "-metadata:s:s:0",
        "language=eng",
        "-metadata:s:s:1",
        "language=fre",
        "-metadata:s:s:1",
        "title=Signs",
        "-disposition:s:1",
        "forced",
        mkv.to_str().unwrap(),
    ]);
    let mp4 = root.join("clip.mp4");
    ffmpeg(&[
        "-i",
        srt,
        "-map",
        "0",
        "-map",
        "1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:s",
        "mov_text",
        "-metadata:s:s:0",
        "language=jpn",
        mp4.to_str().unwrap(),
    ]);
    let torrent = dir.path().join("t.torrent");
    std::fs::write(&torrent, make_torrent(&root, 16 * 1024).await).unwrap();
    // The data is all there: bt2p-tui checks it, seeds, and reads the headers.
    let c = lone_client(&torrent, dir.path(), &[]).await;
    let tracks = |st: &serde_json::Value, path: &str| {
        let files = st["files"].as_array().unwrap();
        files.iter().find(|f| f["path"] == path).unwrap()["subtitle_tracks"].clone()
    };
    let st = wait_status(&c, "the tracks of both films", |st| {
        let both =
            tracks(st, "film.mkv").as_array()?.len() == 2 && tracks(st, "clip.mp4").as_array()?.len() == 1;
        both.then(|| st.clone())
    })
    .await;
    let mkv = tracks(&st, "film.mkv");
    assert_eq!(mkv[0]["codec"], "srt", "{mkv}");
    assert_eq!(mkv[0]["language"], "eng", "{mkv}");
    assert_eq!(mkv[0]["forced"], false, "{mkv}");
    assert_eq!(
        (&mkv[1]["codec"], &mkv[1]["language"]),
        (&"ass".into(), &"fre".into()),
        "{mkv}"
    );
    assert_eq!(
        (&mkv[1]["name"], &mkv[1]["forced"]),
        (&"Signs".into(), &true.into()),
        "{mkv}"
    );
    let mp4 = tracks(&st, "clip.mp4");
    assert_eq!(
        (&mp4[0]["codec"], &mp4[0]["language"]),
        (&"mov_text".into(), &"jpn".into()),
        "{mp4}"
    );
    let page = http()
        .get(format!("{}/", c.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("(subtitles inside: eng srt, Signs (fre ass, forced))"),
        "{page}"
    );
    assert!(page.contains("(subtitles inside: jpn mov_text)"), "{page}");
}
