#!/usr/bin/env python3
"""Print a Markdown frame list of radiotap pcaps (for odin-wire/tests/data/README.md).

Needs tshark (apt-get install tshark). Usage: pcap_listing.py FILE.pcap...
"""
import subprocess
import sys

SUBTYPES = {
    0x00: "Association Request", 0x01: "Association Response",
    0x02: "Reassociation Request", 0x03: "Reassociation Response",
    0x04: "Probe Request", 0x05: "Probe Response", 0x08: "Beacon",
    0x0a: "Disassociation", 0x0b: "Authentication", 0x0c: "Deauthentication",
    0x0d: "Action", 0x0e: "Action No Ack",
    0x18: "Block Ack Request", 0x19: "Block Ack", 0x1b: "RTS", 0x1c: "CTS", 0x1d: "ACK",
    0x20: "Data", 0x24: "Null", 0x28: "QoS Data", 0x2c: "QoS Null",
}
ELEMENTS = {
    0: "SSID", 1: "Rates", 3: "DS", 5: "TIM", 7: "Country", 11: "BSS Load",
    32: "PowerConstraint", 33: "PowerCap", 36: "SuppChannels", 37: "CSA",
    42: "ERP", 45: "HTCap", 48: "RSN", 50: "ExtRates", 52: "NeighborReport",
    38: "MeasReq", 39: "MeasReport", 59: "SuppOpClasses", 60: "ECSA",
    61: "HTOp", 62: "SecChanOffset", 70: "RMEnabledCaps", 74: "OBSSScan", 90: "BSSMaxIdle",
    107: "Interworking", 114: "MeshID", 127: "ExtCaps", 191: "VHTCap", 192: "VHTOp",
    195: "TxPowerEnvelope", 199: "OpModeNotif", 221: "Vendor",
}
EXT_ELEMENTS = {35: "HECap", 36: "HEOp", 38: "MU-EDCA", 39: "SpatialReuse", 59: "HE6GCap",
                108: "EHTCap", 106: "EHTOp"}
VENDOR_OUI = {"00:50:f2": "MS", "50:6f:9a": "WFA", "00:90:4c": "Broadcom", "00:10:18": "Broadcom"}
ACTIONS = {
    (3, 0): "Block Ack: ADDBA Request", (3, 1): "Block Ack: ADDBA Response", (3, 2): "Block Ack: DELBA",
    (5, 0): "Radio Measurement: Request", (5, 1): "Radio Measurement: Report",
    (5, 4): "Radio Measurement: Neighbor Report Request", (5, 5): "Radio Measurement: Neighbor Report Response",
    (10, 6): "WNM: BSS Transition Mgmt Query", (10, 7): "WNM: BSS Transition Mgmt Request",
    (10, 8): "WNM: BSS Transition Mgmt Response", (8, 0): "SA Query Request", (8, 1): "SA Query Response",
}
RADIOTAP_BITS = {0: "TSFT", 1: "Flags", 2: "Rate", 3: "Channel", 5: "dBmSignal", 11: "Antenna",
                 14: "RXFlags", 19: "MCS", 20: "A-MPDU", 21: "VHT", 23: "HE"}
FIELDS = ["frame.number", "frame.len", "radiotap.present.word", "wlan_radio.frequency",
          "radiotap.dbm_antsignal", "wlan.fc.type_subtype", "wlan.fc.protected", "wlan.ta", "wlan.ra",
          "wlan.tag.number", "wlan.ext_tag.number", "wlan.tag.oui", "wlan.fixed.reason_code",
          "wlan.fixed.status_code", "wlan.fixed.category_code", "wlan.fixed.action_code",
          "wlan.fixed.auth.alg", "wlan.fixed.auth_seq", "wlan_rsna_eapol.keydes.msgnr",
          "wlan.ssid", "wlan.csa.channel_switch.count", "wlan.fixed.publicact"]


def short(mac):
    """Last two octets of unicast hwsim addresses, group addresses in full."""
    if not mac:
        return "-"
    if mac == "ff:ff:ff:ff:ff:ff":
        return "bcast"
    return mac if int(mac[:2], 16) & 1 else mac[-5:]


def oui_name(o):
    o = f"{int(o, 0):06x}" if not ":" in o else o.replace(":", "")
    o = ":".join(o[i:i + 2] for i in range(0, 6, 2))
    return VENDOR_OUI.get(o, o)


def listing(path):
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-E", "separator=\t",
                          "-E", "occurrence=a", "-E", "aggregator=,"]
                         + sum((["-e", f] for f in FIELDS), []),
                         capture_output=True, text=True, check=True).stdout
    print("| # | len | frame | TA > RA | freq | signal | radiotap | elements / details |")
    print("|---|---|---|---|---|---|---|---|")
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        st = int(v["wlan.fc.type_subtype"], 0) if v["wlan.fc.type_subtype"] else -1
        name = SUBTYPES.get(st, hex(st))
        word = int(v["radiotap.present.word"].split(",")[0], 0)
        rt = "+".join(n for b, n in RADIOTAP_BITS.items() if word & (1 << b))
        det = []
        if v["wlan.fc.protected"] in ("1", "True"):
            det.append("protected")
        tags = [t for t in v["wlan.tag.number"].split(",") if t]
        exts = [int(t) for t in v["wlan.ext_tag.number"].split(",") if t]
        ouis = [o for o in v["wlan.tag.oui"].split(",") if o]
        if tags:
            names, ei = [], 0
            for t in map(int, tags):
                if t == 255:
                    e = exts[ei] if ei < len(exts) else None
                    ei += 1
                    names.append("Ext:" + EXT_ELEMENTS.get(e, str(e)))
                else:
                    names.append(ELEMENTS.get(t, str(t)))
            det.append(" ".join(names))
        if v["wlan.ssid"] and st in (0, 2, 4, 5, 8):
            ssid = bytes.fromhex(v["wlan.ssid"].split(",")[0].replace(":", "")).decode(errors="replace") \
                if all(c in "0123456789abcdef:" for c in v["wlan.ssid"].split(",")[0]) else v["wlan.ssid"]
            det.append(f'SSID "{ssid}"' if ssid and ssid != "<MISSING>" else "SSID wildcard")
        elif st == 4 and "0" in tags:
            det.append("SSID wildcard")
        if v["wlan.fixed.auth.alg"]:
            det.append(f"alg {v['wlan.fixed.auth.alg']} seq {v['wlan.fixed.auth_seq']}")
        if v["wlan.fixed.status_code"]:
            det.append(f"status {int(v['wlan.fixed.status_code'], 0)}")
        if v["wlan.fixed.reason_code"]:
            det.append(f"reason {int(v['wlan.fixed.reason_code'], 0)}")
        if v["wlan.fixed.category_code"]:
            cat = int(v["wlan.fixed.category_code"])
            act = v["wlan.fixed.action_code"].split(",")[0] or v["wlan.fixed.publicact"]
            act = int(act, 0) if act else -1
            det.append(ACTIONS.get((cat, act), f"category {cat} action {act}"))
        if v["wlan_rsna_eapol.keydes.msgnr"]:
            det.append(f"EAPOL-Key msg {v['wlan_rsna_eapol.keydes.msgnr']}/4")
        if v["wlan.csa.channel_switch.count"]:
            det.append(f"CSA count {v['wlan.csa.channel_switch.count']}")
        if ouis and st in (0, 1, 2, 3, 4, 5, 8):
            det.append("vendor OUIs " + ",".join(sorted(set(oui_name(o) for o in ouis))))
        sig = v["radiotap.dbm_antsignal"].split(",")[0] or "-"
        print(f"| {v['frame.number']} | {v['frame.len']} | {name} | {short(v['wlan.ta'])} > {short(v['wlan.ra'])} "
              f"| {v['wlan_radio.frequency']} | {sig} | {rt} | {'; '.join(det)} |")


for p in sys.argv[1:]:
    print(f"\n#### {p.rsplit('/', 1)[-1]}\n")
    listing(p)
