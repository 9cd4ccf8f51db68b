//! `GET /metrics`: the torrent and what its viewers went through, in Prometheus text format
//! (version 0.0.4), encoded from the snapshot at each scrape.

use std::convert::Infallible;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::prometheus_text::{CONTENT_TYPE, encode};
use prometheus_client::encoding::{DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use warp::Filter;
use warp::http::StatusCode;

use super::filters::{head, with_state};
use super::{HttpState, Reply, simple};
use crate::engine::{SEEK_BUCKETS_SECS, Snapshot, Viewing};

pub fn route(state: &Arc<HttpState>) -> impl Filter<Extract = (Reply,), Error = Infallible> + Clone + use<> {
    with_state(state).and(head()).map(|state: Arc<HttpState>, head| {
        let body = text(&state.engine.snapshot().borrow().clone());
        simple(StatusCode::OK, CONTENT_TYPE, body.into_bytes(), head)
    })
}

/// The snapshot as Prometheus text.
pub fn text(s: &Snapshot) -> String {
    let mut registry = Registry::with_prefix("bt2p");
    registry.register_collector(Box::new(Scrape(s.clone())));
    let mut out = String::new();
    // Writing into a String does not fail.
    let _ = encode(&mut out, &registry);
    out
}

#[derive(Debug)]
struct Scrape(Snapshot);

/// The labels of one player connection.
type Player<'a> = [(&'static str, &'a str); 3];

impl Collector for Scrape {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = &self.0;
        torrent(&mut enc, s)?;
        totals(&mut enc, &s.viewing)?;
        players(&mut enc, s)
    }
}

/// The torrent's own figures: progress, speeds, peers, piece_par, players.
fn torrent(enc: &mut DescriptorEncoder, s: &Snapshot) -> Result<(), std::fmt::Error> {
    gauge(
        enc,
        "progress_bytes",
        "Verified bytes of all files",
        s.progress_bytes,
    )?;
    gauge(enc, "size_bytes", "Size of all files", s.total_bytes)?;
    counter(enc, "uploaded_bytes", "Bytes sent to peers", s.uploaded_bytes)?;
    gauge(enc, "download_bytes_per_second", "Download speed", s.download_bps)?;
    gauge(enc, "upload_bytes_per_second", "Upload speed", s.upload_bps)?;
    gauge(enc, "peers_connected", "Connected peers", s.peers_connected)?;
    gauge(enc, "seeders", "Connected peers that have every piece", s.seeders)?;
    gauge(enc, "leechers", "Connected peers still downloading", s.leechers)?;
    gauge(
        enc,
        "piece_par",
        "Pieces fetched ahead of each player",
        s.piece_par,
    )?;
    if let Some(secs) = s.piece_par_secs {
        gauge(
            enc,
            "piece_par_seconds",
            "Seconds of playback those pieces hold, at the file's bitrate",
            secs,
        )?;
    }
    gauge(enc, "players", "Open player connections", s.streams.len() as u64)?;
    gauge(
        enc,
        "players_stalled",
        "Players that have had nothing to play for 1 s or more, now",
        s.streams.iter().filter(|st| st.stalled_now).count() as u64,
    )?;
    gauge(
        enc,
        "snapshot_build_seconds",
        "Time the last snapshot of the engine took to build",
        s.snapshot_build_ms / 1000.0,
    )?;
    Ok(())
}

/// What every viewer went through since start.
fn totals(enc: &mut DescriptorEncoder, v: &Viewing) -> Result<(), std::fmt::Error> {
    counter(
        enc,
        "player_connections",
        "Player connections opened",
        v.connections,
    )?;
    counter(enc, "served_bytes", "Bytes sent to players", v.bytes_served)?;
    counter(
        enc,
        "stalls",
        "Times a player had nothing to play for 1 s or more after playback started, counted as they begin",
        v.stalls,
    )?;
    counter(
        enc,
        "stall_seconds",
        "Time spent in stalls, growing while one lasts",
        secs(v.stall_total_ms),
    )?;
    let m = enc.encode_descriptor(
        "seek_wait_seconds",
        "From a seek's request to its first byte",
        None,
        MetricType::Histogram,
    )?;
    let buckets: Vec<(f64, u64)> = SEEK_BUCKETS_SECS
        .iter()
        .copied()
        .zip(v.seek_wait_buckets.iter().copied())
        .collect();
    let mut m = m;
    m.encode_histogram::<prometheus_client::encoding::NoLabelSet>(
        secs(v.seek_wait_sum_ms),
        v.seeks,
        &buckets,
        None,
    )
}

/// One series per open player connection, labelled by its id, client and file.
fn players(enc: &mut DescriptorEncoder, s: &Snapshot) -> Result<(), std::fmt::Error> {
    let ids: Vec<String> = s.streams.iter().map(|st| st.id.to_string()).collect();
    let rows: Vec<(Player, _)> = s
        .streams
        .iter()
        .zip(&ids)
        .filter_map(|(st, id)| {
            let file = s.files.get(st.file)?;
            let m = st.metrics.as_ref()?;
            let labels = [
                ("player", id.as_str()),
                ("client", st.client.as_str()),
                ("file", file.path.as_str()),
            ];
            Some((labels, m))
        })
        .collect();
    type Value<'a> = fn(&crate::engine::StreamMetrics) -> Option<f64>;
    let series: [(&str, &str, Value); 8] = [
        ("player_ttfb_seconds", "The viewer's time to first byte", |m| {
            m.viewing.ttfb_ms.map(secs)
        }),
        ("player_seeks", "The viewer's seeks", |m| {
            Some(m.viewing.seeks as f64)
        }),
        (
            "player_seek_wait_p95_seconds",
            "95th percentile of the viewer's seek waits",
            |m| m.viewing.seek_p95_ms.map(secs),
        ),
        ("player_stalls", "The viewer's stalls", |m| {
            Some(m.viewing.stalls as f64)
        }),
        ("player_stall_seconds", "The viewer's time in stalls", |m| {
            Some(secs(m.viewing.stall_total_ms))
        }),
        ("player_served_bytes", "Bytes sent to the viewer", |m| {
            Some(m.viewing.bytes_served as f64)
        }),
        (
            "player_buffer_ahead_bytes",
            "Verified bytes ahead of the read position",
            |m| Some(m.buffer_ahead_bytes as f64),
        ),
        (
            "player_buffer_ahead_seconds",
            "Verified playback ahead of the read position, at the viewer's read rate",
            |m| m.buffer_ahead_secs,
        ),
    ];
    for (name, help, value) in series {
        let mut m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
        for (labels, metrics) in &rows {
            if let Some(v) = value(metrics) {
                ConstGauge::new(v).encode(m.encode_family(labels)?)?;
            }
        }
    }
    Ok(())
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn gauge(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    v: impl EncodeGaugeValue,
) -> Result<(), std::fmt::Error> {
    let m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    ConstGauge::new(v).encode(m)
}

fn counter(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    v: impl EncodeCounterValue,
) -> Result<(), std::fmt::Error> {
    let m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    ConstCounter::new(v).encode(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_gauges_and_the_seek_histogram() {
        let s = Snapshot {
            progress_bytes: 10,
            total_bytes: 20,
            snapshot_build_ms: 2.5,
            viewing: Viewing {
                seeks: 3,
                seek_wait_sum_ms: 1600,
                seek_wait_buckets: vec![1, 0, 0, 1, 0, 1, 0, 0, 0, 0],
                stalls: 2,
                stall_total_ms: 2500,
                ..Default::default()
            },
            ..Default::default()
        };
        let t = text(&s);
        for line in [
            "# TYPE bt2p_progress_bytes gauge",
            "bt2p_progress_bytes 10",
            "bt2p_size_bytes 20",
            "bt2p_snapshot_build_seconds 0.0025",
            "# TYPE bt2p_stalls_total counter",
            "bt2p_stalls_total 2",
            "bt2p_stall_seconds_total 2.5",
            "# TYPE bt2p_seek_wait_seconds histogram",
            "bt2p_seek_wait_seconds_bucket{le=\"0.05\"} 1",
            "bt2p_seek_wait_seconds_bucket{le=\"0.5\"} 2",
            "bt2p_seek_wait_seconds_bucket{le=\"2.5\"} 3",
            "bt2p_seek_wait_seconds_bucket{le=\"+Inf\"} 3",
            "bt2p_seek_wait_seconds_sum 1.6",
            "bt2p_seek_wait_seconds_count 3",
        ] {
            assert!(t.lines().any(|l| l == line), "{line} not in\n{t}");
        }
    }
}
