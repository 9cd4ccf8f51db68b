//! A peer that answers every request with garbage, next to a good seeder: the client drops
//! it, fetches the pieces again from the good one, and serves only the original bytes.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Counts {
    connections: AtomicU32,
    blocks_sent: AtomicU32,
}

/// Speaks just enough of the wire protocol (BEP 3) to be asked for blocks, and lies.
async fn bad_peer(listener: TcpListener, pieces: u32, counts: Arc<Counts>) {
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            return;
        };
        counts.connections.fetch_add(1, Ordering::Relaxed);
        let counts = counts.clone();
        tokio::spawn(async move {
            let _ = serve_lies(sock, pieces, &counts).await;
        });
    }
}

async fn serve_lies(mut s: TcpStream, pieces: u32, counts: &Counts) -> std::io::Result<()> {
    let mut hs = [0u8; 68];
    s.read_exact(&mut hs).await?;
    // Like every client, it hangs up on anything that is not a plaintext handshake (such as an
    // encrypted one): the client then dials it again in plaintext.
    if !hs.starts_with(b"\x13BitTorrent protocol") {
        return Ok(());
    }
    // Same protocol string and info hash back, a peer id of our own.
    let mut reply = hs;
    // No extensions (BEP 10 and the like): nothing more to negotiate before being asked.
    reply[20..28].fill(0);
    reply[48..68].copy_from_slice(b"-XX0001-liarliarliar");
    s.write_all(&reply).await?;
    let mut bitfield = vec![0u8; pieces.div_ceil(8) as usize];
    for p in 0..pieces {
        bitfield[p as usize / 8] |= 0x80 >> (p % 8);
    }
    let mut msg = ((bitfield.len() + 1) as u32).to_be_bytes().to_vec();
    msg.push(5);
    msg.extend(&bitfield);
    msg.extend(1u32.to_be_bytes());
    msg.push(1); // unchoke
    s.write_all(&msg).await?;
    loop {
        let len = s.read_u32().await? as usize;
        if len == 0 {
            continue; // keep-alive
        }
        let mut body = vec![0u8; len];
        s.read_exact(&mut body).await?;
        if body[0] == 6 && len == 13 {
            let index = &body[1..5];
            let begin = &body[5..9];
            let want = u32::from_be_bytes(body[9..13].try_into().unwrap()) as usize;
            let mut piece = ((9 + want) as u32).to_be_bytes().to_vec();
            piece.push(7);
            piece.extend(index);
            piece.extend(begin);
            piece.extend(std::iter::repeat_n(0xA5u8, want));
            s.write_all(&piece).await?;
            counts.blocks_sent.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_data_is_never_served_and_the_liar_is_dropped() {
    // Far more pieces than the good seeder can have requested at once (128 blocks of 16 KiB),
    // so some are left for the liar whichever peer is connected first.
    let len = 8 * 1024 * 1024 + 777;
    let piece_len = 64 * 1024;
    let s = swarm("t", &[("film.mkv", len)], piece_len, Some(512 * 1024)).await;
    let liar = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let liar_addr = liar.local_addr().unwrap();
    let counts = Arc::new(Counts::default());
    let pieces = (len as u32).div_ceil(piece_len);
    tokio::spawn(bad_peer(liar, pieces, counts.clone()));

    let save = s.dir.path().join("dl");
    let c = client(
        &s.torrent_path,
        s.seeder.addr,
        &save,
        &["--peer", &liar_addr.to_string()],
    )
    .await;
    let url = format!("{}/film.mkv", c.base);
    // A player from the start and one in the middle, while the liar is in the swarm.
    let (a, b) = tokio::join!(
        get(&url, None, Duration::from_secs(90)),
        get(&url, Some("bytes=1000000-1500000"), Duration::from_secs(90))
    );
    assert_eq!(a.0, 200);
    assert_eq!(
        sha(&a.2),
        sha(&s.files[0].1),
        "the whole file differs from the original"
    );
    assert_eq!(b.0, 206);
    assert_eq!(b.2, s.files[0].1[1_000_000..=1_500_000]);
    let sent = counts.blocks_sent.load(Ordering::Relaxed);
    let conns = counts.connections.load(Ordering::Relaxed);
    assert!(
        sent > 0,
        "the liar was never asked for data ({conns} connections): the test proves nothing"
    );
    // After its first bad piece the liar is disconnected; it may be tried again later, but
    // never keeps a connection for long.
    let st = status(&c).await;
    let liar_live = st["peers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["addr"] == liar_addr.to_string() && p["state"] == "live");
    eprintln!(
        "liar: {} connections, {sent} corrupt blocks sent; live at the end: {liar_live}",
        counts.connections.load(Ordering::Relaxed)
    );
    assert!(!liar_live, "the peer that sent corrupt data is still connected");
    assert_eq!(std::fs::read(save.join("film.mkv")).unwrap(), s.files[0].1);
}
