#!/usr/bin/python3
"""One libtorrent peer of a benchmark swarm (benches/playback.py, swarm `choke`): a seeder in
seed mode or a leecher on an empty folder, with the upload limit and the choker settings given,
on loopback only (no DHT, LSD, UPnP or NAT-PMP). Run it with the Debian python
(/usr/bin/python3, python3-libtorrent), not a pyenv one.

Every --every seconds it prints one JSON line on stdout: its own totals and, per connected peer,
the peer id's first 8 bytes, how the connection was made, and the choke flags of both sides,
and the addresses it is dialing (still connecting or in the handshake):

  {"t": 1.5, "listen_port": 6881, "seeding": true, "progress": 1.0, "uploaded": 123,
   "downloaded": 0, "list_peers": 4, "list_seeds": 0, "dialing": ["127.0.0.1:6882"],
   "peers": [{"ip": "127.0.0.1:40000", "pid": "-TS0008-", "client": "...",
   "utp": false, "outgoing": false, "source": 32, "up": 456, "down": 0, "choked": true,
   "interested": true, "optimistic": false, "remote_choked": true, "seed": false}]}

`choked` is this peer choking that one; `interested` is that one interested in this one.
Stops on SIGTERM (at once, without the tracker's `stopped` announce) or after --seconds."""

import argparse
import json
import os
import signal
import sys
import time

import libtorrent as lt

UTP_SOCKET = getattr(lt.peer_info, "utp_socket", 0x20000)


def settings(a):
    s = {
        "listen_interfaces": f"127.0.0.1:{a.port}",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_tcp": not a.no_tcp,
        "enable_outgoing_tcp": not a.no_tcp,
        "enable_incoming_utp": True,
        "enable_outgoing_utp": True,
        # Every peer of the swarm is 127.0.0.1.
        "allow_multiple_connections_per_ip": True,
        # Loopback is the local network, which libtorrent otherwise exempts from the rate limits
        # and from the unchoke slots.
        "ignore_limits_on_local_network": False,
        "upload_rate_limit": a.upload_rate,
        "download_rate_limit": a.download_rate,
        "choking_algorithm": int(lt.choking_algorithm_t.fixed_slots_choker),
        "seed_choking_algorithm": int(lt.seed_choking_algorithm_t.round_robin),
        "unchoke_slots_limit": a.unchoke_slots,
        "seeding_piece_quota": a.piece_quota,
        "unchoke_interval": a.unchoke_interval,
        "optimistic_unchoke_interval": a.optimistic_interval,
        "stop_tracker_timeout": 1,
        "alert_mask": lt.alert.category_t.error_notification,
    }
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--torrent", required=True)
    p.add_argument("--save", required=True)
    p.add_argument("--port", type=int, required=True, help="listen port on 127.0.0.1 (TCP and UDP)")
    p.add_argument("--seed-mode", action="store_true",
                   help="the data in --save is complete: seed at once without hashing it first")
    p.add_argument("--no-tcp", action="store_true", help="uTP only, in and out")
    p.add_argument("--upload-rate", type=int, default=0, help="bytes/s, 0: unlimited")
    p.add_argument("--download-rate", type=int, default=0, help="bytes/s, 0: unlimited")
    p.add_argument("--unchoke-slots", type=int, default=8, help="unchoke_slots_limit (-1: all)")
    p.add_argument("--piece-quota", type=int, default=20, help="seeding_piece_quota")
    p.add_argument("--unchoke-interval", type=int, default=15, help="seconds between choker rounds")
    p.add_argument("--optimistic-interval", type=int, default=30,
                   help="seconds between optimistic unchoke rounds")
    p.add_argument("--every", type=float, default=0.5, help="seconds between state lines")
    p.add_argument("--seconds", type=float, default=900)
    a = p.parse_args()

    ses = lt.session(settings(a))
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(a.torrent)
    atp.save_path = a.save
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    if a.seed_mode:
        atp.flags |= lt.torrent_flags.seed_mode
    h = ses.add_torrent(atp)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    t0 = time.monotonic()
    end = t0 + a.seconds
    while not stop and time.monotonic() < end:
        for alert in ses.pop_alerts():
            if alert.category() & lt.alert.category_t.error_notification:
                print(json.dumps({"alert": alert.message()}), flush=True)
        st = h.status()
        peers = []
        dialing = []
        for pi in h.get_peer_info():
            if pi.flags & (lt.peer_info.connecting | lt.peer_info.handshake):
                if pi.flags & lt.peer_info.outgoing_connection:
                    dialing.append("%s:%d" % (pi.ip[0], pi.ip[1]))
                continue
            try:
                pid = pi.pid.to_bytes()[:8].decode("latin-1")
            except AttributeError:
                pid = ""
            client = pi.client
            if isinstance(client, bytes):
                client = client.decode("utf-8", "replace")
            peers.append({
                "ip": "%s:%d" % (pi.ip[0], pi.ip[1]),
                "pid": pid,
                "client": client,
                "utp": bool(pi.flags & UTP_SOCKET),
                "outgoing": bool(pi.flags & lt.peer_info.outgoing_connection),
                "source": int(pi.source),
                "up": pi.total_upload,
                "down": pi.total_download,
                "choked": bool(pi.flags & lt.peer_info.choked),
                "interested": bool(pi.flags & lt.peer_info.remote_interested),
                "optimistic": bool(pi.flags & lt.peer_info.optimistic_unchoke),
                "remote_choked": bool(pi.flags & lt.peer_info.remote_choked),
                "seed": bool(pi.flags & lt.peer_info.seed),
            })
        print(json.dumps({
            "t": round(time.monotonic() - t0, 2),
            "listen_port": ses.listen_port(),
            "state": str(st.state),
            "seeding": st.is_seeding,
            "progress": st.progress,
            "uploaded": st.total_payload_upload,
            "downloaded": st.total_payload_download,
            # Peers and seeds this one knows of (tracker, PEX, incoming), connected or not.
            "list_peers": st.list_peers,
            "list_seeds": st.list_seeds,
            "dialing": dialing,
            "peers": peers,
        }), flush=True)
        time.sleep(a.every)
    sys.stdout.flush()
    # The session's destructor would announce `stopped` and wait for the tracker: not needed.
    os._exit(0)


if __name__ == "__main__":
    main()
