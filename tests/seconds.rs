//! piece_par in seconds of playback: the duration read from real containers (MP4 with its
//! index at the end or at the start, Matroska) made by ffmpeg, `--piece-par 8s` and
//! `GET /?piece_par=4s` turned into pieces through the file's bitrate, and the buffer ahead of
//! a player counted in the container's seconds.

mod common;

use std::process::Command;

use bt2p_tui::engine::{PiecePar, RateSource, TorrentState};
use bt2p_tui::wire::FileJson;
use common::*;

const FILMS: [&str; 3] = ["tail.mp4", "front.mp4", "film.mkv"];

fn file<'a>(st: &'a Status, path: &str) -> &'a FileJson<'static> {
    st.files
        .iter()
        .find(|f| f.file.path.ends_with(path))
        .unwrap_or_else(|| panic!("no {path} in {st:?}"))
}

/// Pieces that `secs` of playback take in a file of `len` bytes lasting `duration`.
fn pieces(secs: f64, len: f64, duration: f64, piece_len: f64) -> u64 {
    (secs * len / duration / piece_len).ceil() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piece_par_in_seconds_follows_the_containers_duration() {
    require("ffmpeg", "ffmpeg");
    require("mktorrent", "mktorrent");
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    let films = seed.join("films");
    std::fs::create_dir_all(&films).unwrap();
    // 24 s at 1.5 Mbit/s, then the same as Matroska and with the MP4 index at the front.
    let tail = films.join("tail.mp4");
    test_video(&tail, "320x240", 24, Some("1500k"));
    for (out, extra) in [
        ("films/front.mp4", &["-movflags", "+faststart"][..]),
        ("films/film.mkv", &[]),
    ] {
        let st = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&tail)
            .args(["-c", "copy"])
            .args(extra)
            .arg(seed.join(out))
            .status()
            .unwrap();
        assert!(st.success(), "ffmpeg could not write {out}");
    }
    let torrent = dir.path().join("films.torrent");
    mktorrent(&films, &torrent, 16);
    let seeder = Seeder::start(&seed, std::fs::read(&torrent).unwrap().into(), None)
        .await
        .unwrap();
    let c = client(
        &torrent,
        seeder.addr,
        &dir.path().join("dl"),
        &["--piece-par", "8s"],
    )
    .await;

    // Every container's duration, as ffprobe reads it, once the torrent is whole.
    let st = wait_typed(&c, "the torrent to be whole and every duration read", |st| {
        let known = FILMS.iter().all(|f| file(st, f).file.duration_secs.is_some());
        (st.state == TorrentState::Seeding && known).then(|| st.clone())
    })
    .await;
    for name in FILMS {
        let (want, err) = ffprobe_duration(films.join(name).to_str().unwrap()).await;
        let want = want.unwrap_or_else(|| panic!("ffprobe on {name}: {err}"));
        let got = file(&st, name).file.duration_secs.unwrap();
        assert!(
            (got - want).abs() < 0.1,
            "{name}: {got} s read, ffprobe says {want} s"
        );
    }

    // With nobody playing, piece_par is shown for the largest film, in pieces and seconds.
    let piece_len = st.piece_len as f64;
    let largest = FILMS
        .iter()
        .map(|f| &file(&st, f).file)
        .max_by_key(|f| f.length)
        .unwrap();
    let (len, duration) = (largest.length as f64, largest.duration_secs.unwrap());
    assert_eq!(st.piece_par_setting, PiecePar::Seconds(8));
    assert_eq!(u64::from(st.piece_par), pieces(8.0, len, duration, piece_len));
    assert_eq!(st.piece_par_secs_source, Some(RateSource::Container));
    let secs = st.piece_par_secs.unwrap();
    assert!(
        (8.0..8.0 + piece_len * duration / len + 0.01).contains(&secs),
        "{secs} s for 8s"
    );

    // Changed over HTTP: the same in 4 s.
    let r = http()
        .get(format!("{}/?piece_par=4s", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("set 4s"), "the index does not show the setting");
    let want = pieces(4.0, len, duration, piece_len);
    let st = wait_typed(&c, "piece_par 4s in status.json", |st| {
        (st.piece_par_setting == PiecePar::Seconds(4)).then(|| st.clone())
    })
    .await;
    assert_eq!(u64::from(st.piece_par), want);
    let r = http()
        .get(format!("{}/?piece_par=4x", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("like 30s"));

    // A player of the Matroska film: its window in its own file's seconds, and the buffer
    // ahead of it in the container's seconds.
    let mkv = file(&st, "film.mkv");
    let (mkv_len, mkv_duration) = (mkv.file.length as f64, mkv.file.duration_secs.unwrap());
    let _playing = hold(&mkv.url).await;
    let st = wait_typed(&c, "the player in status.json", |st| {
        st.streams
            .first()
            .filter(|s| s.piece_par_secs.is_some())
            .map(|_| st.clone())
    })
    .await;
    let player = &st.streams[0];
    assert_eq!(
        u64::from(player.piece_par),
        pieces(4.0, mkv_len, mkv_duration, piece_len)
    );
    let m = player.metrics.as_ref().expect("the player's figures");
    assert_eq!(m.buffer_ahead_source, Some(RateSource::Container));
    // What the player holds itself, at the same bitrate: served less played, never below 0.
    let held = m.player_buffer_secs;
    assert!(held.is_some_and(|s| s >= 0.0), "{player:?}");
    let ahead = m.buffer_ahead_secs.unwrap();
    let bytes = m.buffer_ahead_bytes as f64;
    assert!(
        (ahead - bytes * mkv_duration / mkv_len).abs() < 0.01,
        "{ahead} s for {bytes} bytes"
    );
    wait_text(
        "the status line with the setting",
        || c.stderr(),
        |t| t.contains("set 4s)"),
    )
    .await;
}

#[test]
fn bad_piece_par_values_are_refused_with_the_forms_accepted() {
    for bad in ["0", "4097", "0s", "25h", "30x"] {
        let out = Command::new(BIN)
            .args(["x.torrent", "--piece-par", bad])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("like 30s") && err.contains(bad), "{bad}: {err}");
    }
}
