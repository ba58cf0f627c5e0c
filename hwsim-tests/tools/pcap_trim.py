#!/usr/bin/env python3
"""Trim a radiotap (link type 127) pcap to a small test fixture.

Keeps every management frame except repeated beacons and probes, keeps
EAPOL frames, and caps other data and control frames, preserving order and
timestamps. Standard library only (runs on the host and in the test VM).

    pcap_trim.py IN OUT [--beacons N] [--csa-beacons N] [--probes N]
                 [--data N] [--only-actions]
"""
import argparse
import struct
import sys
from collections import Counter

LINKTYPE_RADIOTAP = 127


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise SystemExit(f"{path}: too short for a pcap header")
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian = ">"
    else:
        raise SystemExit(f"{path}: not a classic microsecond pcap file")
    header = data[:24]
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    records = []
    off = 24
    while off + 16 <= len(data):
        ts_sec, ts_usec, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        body = data[off + 16:off + 16 + incl]
        if len(body) < incl:
            break  # truncated last record (capture stopped mid-write)
        records.append((data[off:off + 16], body))
        off += 16 + incl
    return header, linktype, endian, records


def elements(body, start):
    """Yield (id, payload) of the information elements from start."""
    i = start
    while i + 2 <= len(body):
        eid, ln = body[i], body[i + 1]
        if i + 2 + ln > len(body):
            return
        yield eid, body[i + 2:i + 2 + ln]
        i += 2 + ln


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--beacons", type=int, default=3, help="plain beacons kept per BSSID and channel")
    ap.add_argument("--csa-beacons", type=int, default=4,
                    help="beacons with a (E)CSA element kept per BSSID and channel")
    ap.add_argument("--probes", type=int, default=4,
                    help="probe requests kept per (source, SSID); responses per (BSSID, destination)")
    ap.add_argument("--data", type=int, default=6,
                    help="non-EAPOL data frames kept per (subtype, transmitter, receiver)")
    ap.add_argument("--only-actions", action="store_true", help="keep only action frames")
    args = ap.parse_args()

    header, linktype, endian, records = read_pcap(args.inp)
    if linktype != LINKTYPE_RADIOTAP:
        raise SystemExit(f"{args.inp}: link type {linktype}, expected {LINKTYPE_RADIOTAP}")

    seen = Counter()
    kept = []
    for rec_hdr, pkt in records:
        if len(pkt) < 4:
            continue
        rt_len = struct.unpack("<H", pkt[2:4])[0]
        f = pkt[rt_len:]
        if len(f) < 10:
            continue
        fc = f[0]
        ftype, subtype = (fc >> 2) & 3, fc >> 4
        protected = bool(f[1] & 0x40)
        a1 = f[4:10]
        a2 = f[10:16] if len(f) >= 16 else b""
        a3 = f[16:22] if len(f) >= 22 else b""
        keep = True
        if args.only_actions:
            keep = ftype == 0 and subtype in (13, 14)
        elif ftype == 0 and subtype == 8:  # beacon
            ies = dict(elements(f, 24 + 12))
            chan = ies.get(3, b"")  # DS Parameter Set: the current channel
            if 37 in ies or 60 in ies:
                key = ("csa", a3, chan)
                limit = args.csa_beacons
            else:
                key = ("beacon", a3, chan)
                limit = args.beacons
            seen[key] += 1
            keep = seen[key] <= limit
        elif ftype == 0 and subtype == 4:  # probe request
            ssid = dict(elements(f, 24)).get(0, b"")
            key = ("probereq", a2, ssid)
            seen[key] += 1
            keep = seen[key] <= args.probes
        elif ftype == 0 and subtype == 5:  # probe response
            key = ("proberesp", a2, a1)
            seen[key] += 1
            keep = seen[key] <= args.probes
        elif ftype == 1:  # control
            key = ("ctrl", subtype)
            seen[key] += 1
            keep = seen[key] <= 4
        elif ftype == 2:  # data
            hdr = 24
            if (f[1] & 3) == 3:
                hdr += 6
            if subtype & 8:
                hdr += 2
            llc = f[hdr:hdr + 8]
            eapol = not protected and llc[:3] == b"\xaa\xaa\x03" and llc[6:8] == b"\x88\x8e"
            if not eapol:
                key = ("data", subtype, a1, a2)
                seen[key] += 1
                keep = seen[key] <= args.data
        if keep:
            kept.append((rec_hdr, pkt))

    with open(args.out, "wb") as f:
        f.write(header)
        for rec_hdr, pkt in kept:
            f.write(rec_hdr)
            f.write(pkt)
    print(f"{args.inp}: {len(records)} frames -> {args.out}: {len(kept)} frames", file=sys.stderr)


if __name__ == "__main__":
    main()
