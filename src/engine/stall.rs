//! Why nothing arrives: a torrent that needs data and has no connected peer says so, with the
//! likely cause, in the snapshot (status line, dashboard, index) and once in the log.

use std::time::{Duration, Instant};

use librqbit::EncryptionPolicy;

/// How long the torrent may have no connected peer before it is called stalled.
const AFTER: Duration = Duration::from_secs(8);

/// What the stall detector remembers between snapshots.
#[derive(Debug, Default)]
pub(super) struct Stall {
    alone_since: Option<Instant>,
    /// The kind of cause last logged: logged again only when it changes, not as its seconds
    /// count up.
    reported: Option<Kind>,
    /// Whether a peer was ever connected: when all are gone, that is the cause to name first.
    ever_connected: bool,
    /// The interface all peer traffic is bound to (`--interface`), a cause of its own.
    interface: Option<String>,
    /// `--encryption`: which peers it turns away.
    encryption: EncryptionPolicy,
    /// Whether uTP is on (`--no-utp` turns uTP-only peers away).
    utp: bool,
}

/// The counts a diagnosis is made from.
#[derive(Debug, Clone, Copy)]
pub(super) struct Peers {
    pub connected: u32,
    pub connecting: u32,
    pub seen: u32,
    pub needs_data: bool,
}

impl Stall {
    /// Why peers that are known may not answer, our own settings first.
    fn unreachable_because(&self) -> String {
        let mut why = Vec::new();
        match self.encryption {
            EncryptionPolicy::Require => why.push("not encrypt (--encryption require turns them away)"),
            EncryptionPolicy::Off => {
                why.push("accept only encrypted connections (--encryption off turns them away)")
            }
            EncryptionPolicy::Prefer => {}
        }
        if !self.utp {
            why.push("accept only uTP (--no-utp turns them away)");
        }
        why.push("be unreachable from here (a firewall, or no port open)");
        format!("{}, or be gone", why.join(", "))
    }

    /// A detector for a session whose peer traffic is bound to `interface`, if any, which
    /// encrypts as `encryption` says and speaks uTP if `utp`.
    pub(super) fn new(interface: Option<String>, encryption: EncryptionPolicy, utp: bool) -> Self {
        Stall {
            interface,
            encryption,
            utp,
            ..Default::default()
        }
    }

    /// The cause, while stalled; logs when a stall starts, changes cause, or ends.
    pub(super) fn update(&mut self, p: Peers, now: Instant) -> Option<String> {
        self.ever_connected |= p.connected > 0;
        let alone = p.connected == 0 && p.needs_data;
        let since = match alone {
            true => *self.alone_since.get_or_insert(now),
            false => {
                self.alone_since = None;
                if self.reported.take().is_some() {
                    tracing::info!("peers connected again: the stall is over");
                }
                return None;
            }
        };
        let waited = now.saturating_duration_since(since);
        if waited < AFTER {
            return None;
        }
        let kind = kind(p, self.ever_connected);
        let mut cause = cause(kind, p, waited, &self.unreachable_because());
        if let Some(name) = self.interface.as_deref().filter(|_| p.seen > 0) {
            cause.push_str(&format!(
                "; peers are dialled only through --interface {name}: check that they can be reached through it"
            ));
        }
        if self.reported != Some(kind) {
            tracing::warn!("stalled: {cause}");
            self.reported = Some(kind);
        }
        Some(cause)
    }
}

/// What a stall is put down to, the likeliest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NoPeerFound,
    /// Peers were connected, and all have gone.
    PeersGone,
    Connecting,
    /// Peers are known, and none has ever answered.
    NoneAnswers,
}

fn kind(p: Peers, ever_connected: bool) -> Kind {
    match (p.seen, p.connecting) {
        (0, _) => Kind::NoPeerFound,
        _ if ever_connected => Kind::PeersGone,
        (_, 0) => Kind::NoneAnswers,
        _ => Kind::Connecting,
    }
}

fn cause(kind: Kind, p: Peers, waited: Duration, unreachable_because: &str) -> String {
    let (secs, seen, connecting) = (waited.as_secs(), p.seen, p.connecting);
    match kind {
        Kind::PeersGone => format!(
            "all peers gone for {secs} s ({seen} known, {connecting} connecting): waiting for them or others"
        ),
        Kind::NoPeerFound => {
            format!("no peer found in {secs} s: check the trackers and the DHT, or give one with --peer ADDR")
        }
        Kind::NoneAnswers => format!(
            "{seen} peer{} seen, 0 connected for {secs} s: {} may {unreachable_because}",
            plural(seen),
            if seen == 1 { "it" } else { "they" },
        ),
        Kind::Connecting => format!(
            "{seen} peer{} seen, {connecting} connecting, 0 connected for {secs} s",
            plural(seen)
        ),
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers(connected: u32, connecting: u32, seen: u32, needs_data: bool) -> Peers {
        Peers {
            connected,
            connecting,
            seen,
            needs_data,
        }
    }

    #[test]
    fn a_bound_interface_is_named_when_peers_are_seen() {
        let t0 = Instant::now();
        let late = t0 + Duration::from_secs(9);
        let mut s = Stall::new(Some("wg0".into()), EncryptionPolicy::Prefer, true);
        s.update(peers(0, 1, 1, true), t0);
        let cause = s.update(peers(0, 1, 1, true), late).unwrap();
        assert!(
            cause.starts_with("1 peer seen, 1 connecting, 0 connected"),
            "{cause}"
        );
        assert!(cause.contains("only through --interface wg0"), "{cause}");
        // With no peer at all, the interface is not what is missing.
        let mut s = Stall::new(Some("wg0".into()), EncryptionPolicy::Prefer, true);
        s.update(peers(0, 0, 0, true), t0);
        let cause = s.update(peers(0, 0, 0, true), late).unwrap();
        assert!(!cause.contains("wg0"), "{cause}");
    }

    #[test]
    fn a_stall_is_named_after_a_while_and_ends_with_a_peer() {
        let t0 = Instant::now();
        let mut s = Stall::default();
        assert_eq!(s.update(peers(0, 0, 1, true), t0), None, "not at once");
        let cause = s
            .update(peers(0, 0, 1, true), t0 + Duration::from_secs(9))
            .unwrap();
        assert!(
            cause.starts_with("1 peer seen, 0 connected for 9 s: it may accept only"),
            "{cause}"
        );
        assert_eq!(s.update(peers(1, 0, 1, true), t0 + Duration::from_secs(10)), None);
        assert_eq!(
            s.update(peers(0, 0, 1, true), t0 + Duration::from_secs(11)),
            None,
            "the wait starts again"
        );
    }

    #[test]
    fn causes() {
        let t = Duration::from_secs(20);
        let why = Stall::new(None, EncryptionPolicy::Prefer, true).unreachable_because();
        let named = |p: Peers, ever: bool| cause(kind(p, ever), p, t, &why);
        assert!(named(peers(0, 0, 0, true), false).starts_with("no peer found in 20 s"));
        assert!(
            named(peers(0, 0, 3, true), false).starts_with("3 peers seen, 0 connected for 20 s: they may")
        );
        assert_eq!(
            named(peers(0, 2, 3, true), false),
            "3 peers seen, 2 connecting, 0 connected for 20 s"
        );
        // Peers that were there and left: not a question of encryption or transport.
        let gone = named(peers(0, 0, 1, true), true);
        assert!(gone.starts_with("all peers gone for 20 s"), "{gone}");
        assert!(!gone.contains("uTP"), "{gone}");
        // Encryption and uTP are named only where our own settings turn peers away.
        let unanswered = |e, utp| Stall::new(None, e, utp).unreachable_because();
        let default = unanswered(EncryptionPolicy::Prefer, true);
        assert!(
            !default.contains("encrypt") && !default.contains("uTP"),
            "{default}"
        );
        assert!(
            unanswered(EncryptionPolicy::Require, true)
                .starts_with("not encrypt (--encryption require turns them away), ")
        );
        assert!(unanswered(EncryptionPolicy::Off, true).contains("--encryption off turns them away"));
        assert!(
            unanswered(EncryptionPolicy::Prefer, false)
                .starts_with("accept only uTP (--no-utp turns them away), ")
        );
    }

    #[test]
    fn a_stall_is_logged_once_per_cause_not_per_second() {
        let t0 = Instant::now();
        let mut s = Stall::default();
        s.update(peers(1, 0, 1, true), t0);
        s.update(peers(0, 0, 1, true), t0);
        for secs in 9..12 {
            let cause = s.update(peers(0, 0, 1, true), t0 + Duration::from_secs(secs));
            assert!(cause.unwrap().contains(&format!("gone for {secs} s")));
            assert_eq!(s.reported, Some(Kind::PeersGone));
        }
        s.update(peers(0, 1, 1, true), t0 + Duration::from_secs(12));
        assert_eq!(
            s.reported,
            Some(Kind::PeersGone),
            "still gone while one reconnects"
        );
    }

    #[test]
    fn nothing_needed_is_no_stall() {
        let t0 = Instant::now();
        let mut s = Stall::default();
        s.update(peers(0, 0, 0, false), t0);
        assert_eq!(
            s.update(peers(0, 0, 0, false), t0 + Duration::from_secs(60)),
            None
        );
    }
}
