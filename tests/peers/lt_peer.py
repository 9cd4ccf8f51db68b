#!/usr/bin/python3
"""A libtorrent peer for the tests: seeds or leeches one torrent with the transports,
encryption and discovery the test asks for, and prints one JSON line of its state every
200 ms on stdout (progress, connected peers and how they connected).

Only loopback or addresses of namespaces the test made itself; stops on SIGTERM or when
--seconds run out."""

import argparse
import json
import signal
import sys
import time

import libtorrent as lt


def settings(a):
    s = {
        "listen_interfaces": a.listen,
        "enable_dht": a.dht,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_tcp": not a.no_tcp,
        "enable_outgoing_tcp": not a.no_tcp,
        "enable_incoming_utp": not a.no_utp,
        "enable_outgoing_utp": not a.no_utp,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.peer_notification,
        "user_agent": "lt_peer",
        "dht_bootstrap_nodes": a.dht_bootstrap or "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_extended_routing_table": False,
        "dht_aggressive_lookups": True,
        "dht_prefer_verified_node_ids": False,
        # A DHT of a few nodes on loopback: announce again soon, not every 15 minutes, so a
        # node that joined late still learns the torrent.
        "dht_announce_interval": 5,
    }
    policy = {
        "forced": lt.enc_policy.pe_forced,
        "enabled": lt.enc_policy.pe_enabled,
        "disabled": lt.enc_policy.pe_disabled,
    }[a.encryption]
    s["out_enc_policy"] = policy
    s["in_enc_policy"] = policy
    if a.rc4:
        # The whole stream RC4-encrypted, not only the handshake obfuscated.
        s["allowed_enc_level"] = lt.enc_level.rc4
        s["prefer_rc4"] = True
    if a.upload_rate:
        s["upload_rate_limit"] = a.upload_rate
    if a.download_rate:
        s["download_rate_limit"] = a.download_rate
    # Loopback counts as the local network, which libtorrent exempts from its limits.
    s["ignore_limits_on_local_network"] = False
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--torrent")
    p.add_argument("--magnet")
    p.add_argument("--save", default=".")
    p.add_argument("--listen", default="127.0.0.1:0")
    p.add_argument("--peer", action="append", default=[])
    p.add_argument("--no-tcp", action="store_true")
    p.add_argument("--no-utp", action="store_true")
    p.add_argument("--encryption", default="disabled", choices=["forced", "enabled", "disabled"])
    p.add_argument("--rc4", action="store_true")
    p.add_argument("--dht", action="store_true")
    p.add_argument("--dht-bootstrap")
    p.add_argument("--upload-rate", type=int, default=0)
    p.add_argument("--download-rate", type=int, default=0)
    p.add_argument("--seconds", type=float, default=300)
    # A seeder that rotates its unchoke slots the way busy swarms do: unchoked for ON seconds,
    # then every peer choked for OFF seconds, and again (e.g. 1.5,1.5).
    p.add_argument("--choke-cycle")
    # Drops a peer silent for this many seconds (libtorrent's peer_timeout, 120 by default).
    p.add_argument("--peer-timeout", type=int)
    # Counts the keep-alive and CANCEL messages each peer sends (libtorrent's peer log).
    p.add_argument("--peer-log", action="store_true")
    # Download nothing (libtorrent's upload mode): a leecher that is not interested.
    p.add_argument("--upload-mode", action="store_true")
    # The data on disk is known to be complete: seed at once instead of hashing it first.
    p.add_argument("--seed-mode", action="store_true")
    a = p.parse_args()

    ses = lt.session(settings(a))
    # Per peer ("ip:port"), how many of each message it sent us.
    received = {"<== KEEPALIVE": {}, "<== CANCEL": {}}
    if a.peer_timeout:
        ses.apply_settings({"peer_timeout": a.peer_timeout})
    if a.peer_log:
        ses.apply_settings({
            "alert_mask": ses.get_settings()["alert_mask"] | lt.alert.category_t.peer_log_notification,
        })
    if a.choke_cycle:
        # The choker runs every second instead of every 15, so a cycle's unchoke is quick.
        ses.apply_settings({"unchoke_interval": 1})
    h = None
    if a.torrent or a.magnet:
        atp = lt.add_torrent_params()
        if a.torrent:
            atp.ti = lt.torrent_info(a.torrent)
        else:
            atp = lt.parse_magnet_uri(a.magnet)
        atp.save_path = a.save
        atp.flags &= ~lt.torrent_flags.auto_managed
        atp.flags &= ~lt.torrent_flags.paused
        if a.seed_mode:
            atp.flags |= lt.torrent_flags.seed_mode
        if a.upload_mode:
            atp.flags |= lt.torrent_flags.upload_mode
        h = ses.add_torrent(atp)
        for peer in a.peer:
            host, port = peer.rsplit(":", 1)
            h.connect_peer((host.strip("[]"), int(port)))
    dht = {"dht.dht_nodes": 0, "dht.dht_peers": 0}

    cycle = None
    if a.choke_cycle:
        on, off = (float(x) for x in a.choke_cycle.split(","))
        cycle = {"on": on, "off": off, "choked": False, "next": time.monotonic() + on, "chokes": 0}

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    end = time.monotonic() + a.seconds
    while not stop and time.monotonic() < end:
        if cycle and time.monotonic() >= cycle["next"]:
            cycle["choked"] = not cycle["choked"]
            cycle["chokes"] += cycle["choked"]
            # No unchoke slots: libtorrent chokes every peer at once (and, without the Fast
            # extension, drops the requests they had sent).
            ses.apply_settings({"unchoke_slots_limit": 0 if cycle["choked"] else 8})
            cycle["next"] = time.monotonic() + (cycle["off"] if cycle["choked"] else cycle["on"])
        ses.post_session_stats()
        for alert in ses.pop_alerts():
            if isinstance(alert, lt.session_stats_alert):
                dht = {k: alert.values.get(k, 0) for k in dht}
            elif isinstance(alert, lt.peer_log_alert):
                msg = alert.message()
                print(msg, file=sys.stderr, flush=True)
                for kind, counts in received.items():
                    if kind in msg:
                        who = "%s:%d" % (alert.endpoint[0], alert.endpoint[1])
                        counts[who] = counts.get(who, 0) + 1
            elif alert.category() & lt.alert.category_t.error_notification:
                print(json.dumps({"alert": alert.message()}), flush=True)
        line = {
            "listen_port": ses.listen_port(),
            "dht_nodes": dht["dht.dht_nodes"],
            # Peers other nodes announced to this one's DHT store.
            "dht_peers": dht["dht.dht_peers"],
            "state": "none",
            "peers": [],
        }
        if cycle:
            line["chokes"] = cycle["chokes"]
        if a.peer_log:
            # Every CANCEL received so far, from peers connected or gone.
            line["cancels"] = sum(received["<== CANCEL"].values())
        if h is not None:
            st = h.status()
            peers = []
            for pi in h.get_peer_info():
                who = "%s:%d" % (pi.ip[0], pi.ip[1])
                peers.append({
                    "ip": "%s:%d" % (pi.ip[0], pi.ip[1]),
                    "client": pi.client.decode("utf-8", "replace") if isinstance(pi.client, bytes) else pi.client,
                    "utp": bool(pi.flags & getattr(lt.peer_info, "utp_socket", 0x20000)),
                    "encrypted": bool(pi.flags & (lt.peer_info.rc4_encrypted | lt.peer_info.plaintext_encrypted)),
                    "down": pi.total_download,
                    "keepalives": received["<== KEEPALIVE"].get(who, 0),
                    "cancels": received["<== CANCEL"].get(who, 0),
                    "up": pi.total_upload,
                })
            line.update({
                "state": str(st.state),
                "progress": st.progress,
                "seeding": st.is_seeding,
                "uploaded": st.total_payload_upload,
                "downloaded": st.total_payload_download,
                "peers": peers,
            })
        print(json.dumps(line), flush=True)
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
