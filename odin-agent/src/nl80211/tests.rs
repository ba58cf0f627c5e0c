//! Requests and answers checked against what the kernel sent and accepted
//! in the hwsim VM (testdata/hwsim-6.1.txt and hwsim-6.1-channel.txt say
//! how they were captured).

use odin_proto::{StationFlags, StationState, WmmStation};
use odin_wire::MacAddr;

use super::consts::*;
use super::msg::{messages, parse_error, Attrs, Transaction};
use super::radio::{parse_family, parse_station_info};
use super::request::{self, StartAp};
use super::survey::{mark_in_use, parse_survey_dump};
use super::wiphy::{parse_interfaces, parse_wiphy_dump};
use crate::lvap::BssConfig;
use crate::radio::SurveyEntry;

const CAPTURE: &str = include_str!("testdata/hwsim-6.1.txt");
const CHANNEL_CAPTURE: &str = include_str!("testdata/hwsim-6.1-channel.txt");
const FAMILY: u16 = 32;
const IFINDEX: u32 = 6;
const BSSID: MacAddr = MacAddr([0x02, 0x0d, 0x1e, 0, 0, 0x01]);
const CLIENT: MacAddr = MacAddr([0x02, 0, 0, 0, 0x01, 0]);

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The captured datagrams in one direction for one command.
fn captured(direction: &str, command: &str) -> Vec<Vec<u8>> {
    captured_in(CAPTURE, direction, command)
}

fn captured_in(capture: &str, direction: &str, command: &str) -> Vec<Vec<u8>> {
    capture
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(' ');
            let (d, c, h) = (f.next()?, f.next()?, f.next()?);
            (d == direction && c == command).then(|| hex(h))
        })
        .collect()
}

/// The captured request with this sequence number.
fn sent(command: &str, seq: u32) -> Vec<u8> {
    captured("send", command)
        .into_iter()
        .find(|m| messages(m).next().unwrap().seq == seq)
        .unwrap()
}

/// The answer the kernel gave to a request, as the driver collects it.
fn answer(command: &'static str, seq: u32, dump: bool) -> Vec<Vec<u8>> {
    let mut t = Transaction::new(seq, dump, command);
    for d in captured("recv", command) {
        if let Some(r) = t.feed(&d) {
            return r.unwrap();
        }
    }
    panic!("no complete answer to {command}");
}

const ACK: u16 = NLM_F_REQUEST | NLM_F_ACK;

#[test]
fn family_and_mlme_group() {
    assert_eq!(
        parse_family(&answer("GETFAMILY", 1, false)).unwrap(),
        (32, 12)
    );
    assert_eq!(
        sent("GETFAMILY", 1),
        request::get_family("nl80211").finish(ACK, 1)
    );
}

#[test]
fn wiphy_dump_of_two_hwsim_radios() {
    assert_eq!(
        sent("GET_WIPHY", 2),
        request::get_wiphy(FAMILY, None).finish(NLM_F_REQUEST | NLM_F_DUMP, 2)
    );
    let wiphys = parse_wiphy_dump(&answer("GET_WIPHY", 2, true));
    // phy1 was in the client's network namespace already.
    assert_eq!(wiphys.len(), 1);
    let phy0 = &wiphys[0];
    assert_eq!(phy0.name, "phy0");
    assert_eq!(phy0.addr, Some(MacAddr([2, 0, 0, 0, 0, 0])));
    assert!(phy0.ht && phy0.vht);
    assert_eq!(phy0.max_ap_interfaces, 2048);
    let channels = phy0.channels();
    assert_eq!(
        &channels[..14],
        &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    );
    assert!(channels.contains(&36));
    // mac80211_hwsim's HT capabilities (drivers/net/wireless/mac80211_hwsim.c):
    // 20/40 MHz, greenfield, short GI 20 and 40, DSSS/CCK in 40 MHz, and
    // SM power save disabled (mac80211 sets it for drivers without SMPS);
    // A-MPDU 64 KiB and 8 us; MCS 0-15, TX MCS set defined.
    let ht = phy0.ht_for_channel(1).expect("2.4 GHz has HT");
    assert_eq!(ht.cap, 0x107e);
    assert_eq!((ht.ampdu_factor, ht.ampdu_density), (3, 6));
    assert_eq!(ht.mcs_set[..4], [0xff, 0xff, 0, 0]);
    assert_eq!(ht.mcs_set[12], 0x01);
    assert!(phy0.ht_for_channel(36).is_some());
    // What an LVAP advertises on it: 20 MHz only, short GI 20, SMPS off.
    let ap = ht.ap_capabilities();
    assert_eq!(ap.cap_info, 0x002c);
    assert_eq!(ap.ampdu_params, 0x1b);
    assert_eq!(ap.mcs_set, ht.mcs_set);
}

#[test]
fn interfaces_and_new_interface() {
    let ifaces = parse_interfaces(&answer("GET_INTERFACE", 3, true));
    assert_eq!(ifaces.len(), 1);
    assert_eq!((ifaces[0].name.as_str(), ifaces[0].wiphy), ("wlan0", 0));
    assert_eq!(
        sent("NEW_INTERFACE", 1),
        request::new_ap_interface(FAMILY, 0, "odin0", BSSID).finish(ACK, 1)
    );
    let created = parse_interfaces(&answer("NEW_INTERFACE", 1, false));
    assert_eq!(created[0].ifindex, IFINDEX);
    assert_eq!(created[0].name, "odin0");
    assert_eq!(created[0].iftype, IFTYPE_AP);
    assert_eq!(created[0].mac, Some(BSSID));
}

#[test]
fn link_up_and_frame_registrations() {
    assert_eq!(
        sent("RTM_NEWLINK", 1),
        request::link_set_up(IFINDEX, true).finish(ACK, 1)
    );
    for (i, (ty, _)) in request::AP_FRAME_TYPES.iter().enumerate() {
        let seq = i as u32 + 1;
        assert_eq!(
            sent("REGISTER_FRAME", seq),
            request::register_frame(FAMILY, IFINDEX, *ty).finish(ACK, seq)
        );
    }
}

#[test]
fn joining_a_bridge_is_rtm_newlink_with_ifla_master() {
    // nlmsghdr (len 40, RTM_NEWLINK, flags, seq 3, pid 0), ifinfomsg for
    // ifindex 9 changing no flags, IFLA_MASTER (10) = 4 as u32.
    let mut want = Vec::new();
    want.extend_from_slice(&40u32.to_ne_bytes());
    want.extend_from_slice(&16u16.to_ne_bytes());
    want.extend_from_slice(&ACK.to_ne_bytes());
    want.extend_from_slice(&3u32.to_ne_bytes());
    want.extend_from_slice(&0u32.to_ne_bytes());
    want.extend_from_slice(&[0, 0, 0, 0]);
    want.extend_from_slice(&9u32.to_ne_bytes());
    want.extend_from_slice(&[0; 8]);
    want.extend_from_slice(&8u16.to_ne_bytes());
    want.extend_from_slice(&10u16.to_ne_bytes());
    want.extend_from_slice(&4u32.to_ne_bytes());
    assert_eq!(request::link_set_master(9, 4).finish(ACK, 3), want);
}

#[test]
fn start_ap_of_the_default_bss() {
    let beacon = BssConfig::new(b"odin", 1).beacon(BSSID).unwrap();
    let msg = request::start_ap(
        FAMILY,
        &StartAp {
            ifindex: IFINDEX,
            head: &beacon.head,
            tail: &beacon.tail,
            beacon_interval: 100,
            dtim_period: 2,
            ssid: b"odin",
            freq: 2412,
            ht20: false,
            hidden: false,
        },
    );
    assert_eq!(sent("START_AP", 2), msg.finish(ACK, 2));
}

#[test]
fn an_lvap_hides_its_ssid_in_its_beacons() {
    let mut bss = BssConfig::new(b"odin", 1);
    bss.hide_ssid = true;
    let beacon = bss.beacon(BSSID).unwrap();
    // The SSID element (after the header and fixed fields) is empty...
    assert_eq!(&beacon.head[36..38], &[0, 0]);
    // ... and START_AP says so (NL80211_ATTR_HIDDEN_SSID = ZERO_LEN),
    // while naming the SSID.
    let p = StartAp {
        ifindex: IFINDEX,
        head: &beacon.head,
        tail: &beacon.tail,
        beacon_interval: 100,
        dtim_period: 2,
        ssid: b"odin",
        freq: 2412,
        ht20: false,
        hidden: true,
    };
    let msg = request::start_ap(FAMILY, &p).finish(ACK, 2);
    let attrs = Attrs(&msg[20..]);
    assert_eq!(attrs.u32(ATTR_HIDDEN_SSID), Some(1));
    assert_eq!(attrs.get(ATTR_SSID), Some(&b"odin"[..]));
    // Its probe responses name it.
    let resp = bss.probe_response(BSSID, CLIENT).unwrap();
    assert_eq!(&resp[36..42], &[0, 4, b'o', b'd', b'i', b'n']);
}

fn unassociated() -> StationState {
    StationState::unassociated(CLIENT, BSSID)
}

#[test]
fn new_station_at_authentication() {
    // AID 1 for AID 0, 802.11b rates for none, flags mask 0xae set 0x20.
    assert_eq!(
        sent("NEW_STATION", 4),
        request::new_station(FAMILY, IFINDEX, &unassociated()).finish(ACK, 4)
    );
}

#[test]
fn set_station_at_association_then_authorized() {
    // wpa_supplicant 2.10's association request to our default BSS.
    let flags = StationFlags {
        authenticated: true,
        associated: true,
        authorized: false,
        wme: true,
        short_preamble: true,
    };
    let state = StationState {
        aid: 1,
        listen_interval: 5,
        capabilities: 0x0421,
        supported_rates: vec![0x82, 0x84, 0x8b, 0x96, 12, 18, 24, 36, 48, 72, 96, 108],
        ext_capabilities: Some(hex("04004a0201404040000120")),
        wmm: Some(WmmStation { qos_info: 0 }),
        flags,
        ..unassociated()
    };
    assert_eq!(
        sent("SET_STATION", 6),
        request::update_station(FAMILY, IFINDEX, &state).finish(ACK, 6)
    );
    let authorized = StationFlags {
        authorized: true,
        ..flags
    };
    assert_eq!(
        sent("SET_STATION", 8),
        request::set_station_flags(FAMILY, IFINDEX, CLIENT, &authorized).finish(ACK, 8)
    );
}

#[test]
fn frames_and_their_cookie() {
    // The authentication response, sent without waiting for a status.
    let auth = sent("FRAME", 5);
    let (_, attrs) = messages(&auth).next().unwrap().genl().unwrap();
    let frame = attrs.get(ATTR_FRAME).unwrap();
    assert_eq!(frame[0], 0xb0);
    assert_eq!(
        auth,
        request::frame(FAMILY, IFINDEX, frame, false).finish(ACK, 5)
    );
    // The association response, with a status: the kernel answers with a
    // cookie before the acknowledgement.
    let replies = answer("FRAME", 7, false);
    assert_eq!(replies.len(), 1);
    let (cmd, attrs) = (replies[0][0], Attrs(&replies[0][4..]));
    assert_eq!(cmd, CMD_FRAME);
    assert!(attrs.u64(ATTR_COOKIE).is_some());
}

#[test]
fn station_info() {
    assert_eq!(
        sent("GET_STATION", 9),
        request::get_station(FAMILY, IFINDEX, CLIENT).finish(ACK, 9)
    );
    let replies = answer("GET_STATION", 9, false);
    let info = parse_station_info(&replies[0][4..]).unwrap();
    assert_eq!(info.signal_dbm, Some(-30));
    assert!(info.inactive.as_millis() > 0);
    assert!(info.rx_bytes > 0 && info.tx_bytes > 0);
    // The recorded reply's STA_INFO_TX/RX_BITRATE (BITRATE32, 100 kbit/s).
    assert_eq!(
        (info.tx_rate_kbps, info.rx_rate_kbps),
        (Some(18_000), Some(54_000))
    );
}

#[test]
fn teardown_requests_and_every_ack() {
    assert_eq!(
        sent("DEL_STATION", 10),
        request::del_station(FAMILY, IFINDEX, CLIENT).finish(ACK, 10)
    );
    assert_eq!(
        sent("STOP_AP", 11),
        request::stop_ap(FAMILY, IFINDEX).finish(ACK, 11)
    );
    assert_eq!(
        sent("DEL_INTERFACE", 12),
        request::del_interface(FAMILY, IFINDEX).finish(ACK, 12)
    );
    // Every acknowledgement of the run parses as success.
    let mut acks = 0;
    for line in CAPTURE.lines().filter(|l| l.starts_with("recv ")) {
        let d = hex(line.rsplit(' ').next().unwrap());
        for m in messages(&d).filter(|m| m.ty == NLMSG_ERROR) {
            assert_eq!(parse_error(&m).unwrap().0, 0, "{line}");
            acks += 1;
        }
    }
    assert!(acks > 20);
}

#[test]
fn transmit_status_matches_the_frame_cookie() {
    let replies = answer("FRAME", 7, false);
    let cookie = Attrs(&replies[0][4..]).u64(ATTR_COOKIE).unwrap();
    let status = captured("recv", "MLME")
        .into_iter()
        .find_map(|d| {
            let m = messages(&d).next()?;
            let (cmd, attrs) = m.genl()?;
            (m.ty == FAMILY && cmd == CMD_FRAME_TX_STATUS).then(|| {
                (
                    attrs.u64(ATTR_COOKIE),
                    attrs.has(ATTR_ACK),
                    attrs.u32(ATTR_IFINDEX),
                )
            })
        })
        .unwrap();
    assert_eq!(status, (Some(cookie), true, Some(IFINDEX)));
}

// ---- channel: SET_WIPHY, GET_SURVEY, CHANNEL_SWITCH ----------------------

/// The answer to a request of the channel capture.
fn channel_answer(command: &'static str, seq: u32, dump: bool) -> Vec<Vec<u8>> {
    let mut t = Transaction::new(seq, dump, command);
    for d in captured_in(CHANNEL_CAPTURE, "recv", command) {
        if let Some(r) = t.feed(&d) {
            return r.unwrap();
        }
    }
    panic!("no complete answer to {command}");
}

fn channel_sent(command: &str) -> Vec<u8> {
    let mut sent = captured_in(CHANNEL_CAPTURE, "send", command);
    assert_eq!(sent.len(), 1, "{command}");
    sent.remove(0)
}

#[test]
fn set_wiphy_channel_through_the_monitor() {
    // SET_WIPHY, ifindex 6 (odinmon0), WIPHY_FREQ 2437, channel type no HT.
    let mut want = Vec::new();
    want.extend_from_slice(&44u32.to_ne_bytes());
    want.extend_from_slice(&FAMILY.to_ne_bytes());
    want.extend_from_slice(&ACK.to_ne_bytes());
    want.extend_from_slice(&3u32.to_ne_bytes());
    want.extend_from_slice(&0u32.to_ne_bytes());
    want.extend_from_slice(&[CMD_SET_WIPHY, 1, 0, 0]);
    for (ty, v) in [
        (ATTR_IFINDEX, 6u32),
        (ATTR_WIPHY_FREQ, 2437),
        (ATTR_WIPHY_CHANNEL_TYPE, 0),
    ] {
        want.extend_from_slice(&8u16.to_ne_bytes());
        want.extend_from_slice(&ty.to_ne_bytes());
        want.extend_from_slice(&v.to_ne_bytes());
    }
    let msg = request::set_wiphy_channel(FAMILY, 6, 2437);
    assert_eq!(msg.name, "SET_WIPHY (channel)");
    assert_eq!(msg.finish(ACK, 3), want);
    assert_eq!(channel_sent("SET_WIPHY"), want);
    // Acknowledged.
    assert!(channel_answer("SET_WIPHY", 3, false).is_empty());
}

#[test]
fn survey_of_a_hwsim_radio() {
    // A dump on the monitor's ifindex.
    let sent = channel_sent("GET_SURVEY");
    assert_eq!(
        sent,
        request::get_survey(FAMILY, 6).finish(NLM_F_REQUEST | NLM_F_DUMP, 6)
    );
    assert_eq!(
        sent,
        hex("1c000000200001030600000000000000320100000800030006000000")
    );
    // mac80211_hwsim's survey: the channels it scanned, noise -92 dBm,
    // busy an eighth of the dwell, no in-use flag.
    let mut entries = parse_survey_dump(&channel_answer("GET_SURVEY", 6, true));
    let ms = |n| Some(std::time::Duration::from_millis(n));
    let entry = |freq, time, busy| SurveyEntry {
        freq,
        noise_dbm: Some(-92),
        in_use: false,
        time: ms(time),
        busy: ms(busy),
        ..SurveyEntry::default()
    };
    assert_eq!(
        entries,
        [entry(2412, 64, 8), entry(2437, 64, 8), entry(2462, 80, 10)]
    );
    // The driver marks the radio's channel (2437 then) in use.
    assert!(mark_in_use(&mut entries, 2437));
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.in_use)
            .map(|e| e.freq)
            .collect::<Vec<_>>(),
        [2437]
    );
}

#[test]
fn channel_switch_as_the_kernel_took_it() {
    // The probe's LVAP on channel 6 moved to 11 in 5 beacons.
    let bss = BssConfig::new(b"odin", 6);
    let (csa, offsets) = bss.channel_switch_beacon(BSSID, 11, 5, false).unwrap();
    let after = BssConfig { channel: 11, ..bss }.beacon(BSSID).unwrap();
    let msg = request::channel_switch(
        FAMILY,
        &request::ChannelSwitch {
            ifindex: 7,
            freq: 2462,
            ht20: false,
            count: 5,
            block_tx: false,
            beacon_after: request::Beacon {
                head: &after.head,
                tail: &after.tail,
            },
            beacon_csa: request::Beacon {
                head: &csa.head,
                tail: &csa.tail,
            },
            counter_offsets_beacon: &offsets,
            probe_resp: None,
        },
    );
    assert_eq!(channel_sent("CHANNEL_SWITCH"), msg.finish(ACK, 20));
    assert!(channel_answer("CHANNEL_SWITCH", 20, false).is_empty());

    // The kernel's notifications on the mlme group: started (with the
    // count), then done, both naming ifindex 7 and 2462 MHz.
    type Notify = (u8, Option<u32>, Option<u32>, Option<u32>);
    let events: Vec<Notify> = captured_in(CHANNEL_CAPTURE, "recv", "MLME")
        .iter()
        .map(|d| {
            let m = messages(d).next().unwrap();
            assert_eq!(m.ty, FAMILY);
            let (cmd, attrs) = m.genl().unwrap();
            (
                cmd,
                attrs.u32(ATTR_IFINDEX),
                attrs.u32(ATTR_WIPHY_FREQ),
                attrs.u32(ATTR_CH_SWITCH_COUNT),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            (CMD_CH_SWITCH_STARTED_NOTIFY, Some(7), Some(2462), Some(5)),
            (CMD_CH_SWITCH_NOTIFY, Some(7), Some(2462), None),
        ]
    );
}

#[test]
fn channel_switch_layout_byte_by_byte() {
    // Tiny beacons so that every byte can be written out: the attributes
    // in hostapd's order, the counter offsets inside CSA_IES, the probe
    // response and its offsets only with a probe response.
    let p = request::ChannelSwitch {
        ifindex: 7,
        freq: 2437,
        ht20: true,
        count: 3,
        block_tx: true,
        beacon_after: request::Beacon {
            head: &[0xa1],
            tail: &[0xa2, 0xa3],
        },
        beacon_csa: request::Beacon {
            head: &[0xc1],
            tail: &[0x25, 3, 1, 6, 3],
        },
        counter_offsets_beacon: &[4],
        probe_resp: Some((&[0x50, 0, 3], &[2, 0x0102])),
    };
    let msg = request::channel_switch(FAMILY, &p);
    assert_eq!(msg.name, "CHANNEL_SWITCH");
    let u32a =
        |ty: u16, v: u32| [&8u16.to_ne_bytes()[..], &ty.to_ne_bytes(), &v.to_ne_bytes()].concat();
    let raw = |ty: u16, data: &[u8]| {
        let mut a = [
            &((4 + data.len()) as u16).to_ne_bytes()[..],
            &ty.to_ne_bytes(),
            data,
        ]
        .concat();
        a.resize((a.len() + 3) & !3, 0);
        a
    };
    let nest = [
        raw(ATTR_BEACON_HEAD, &[0xc1]),
        raw(ATTR_BEACON_TAIL, &[0x25, 3, 1, 6, 3]),
        raw(ATTR_PROBE_RESP, &[0x50, 0, 3]),
        raw(ATTR_CSA_C_OFF_BEACON, &4u16.to_ne_bytes()),
        raw(
            ATTR_CSA_C_OFF_PRESP,
            &[2u16.to_ne_bytes(), 0x0102u16.to_ne_bytes()].concat(),
        ),
    ]
    .concat();
    let attrs = [
        u32a(ATTR_IFINDEX, 7),
        u32a(ATTR_CH_SWITCH_COUNT, 3),
        u32a(ATTR_WIPHY_FREQ, 2437),
        u32a(ATTR_WIPHY_CHANNEL_TYPE, CHAN_HT20),
        raw(ATTR_CH_SWITCH_BLOCK_TX, &[]),
        raw(ATTR_BEACON_HEAD, &[0xa1]),
        raw(ATTR_BEACON_TAIL, &[0xa2, 0xa3]),
        raw(ATTR_CSA_IES | NLA_F_NESTED, &nest),
    ]
    .concat();
    assert_eq!(msg.genl_attrs(), &attrs[..]);
    assert_eq!(u16::from_ne_bytes([attrs[2], attrs[3]]), 3, "IFINDEX first");

    // Without a probe response (ours): neither it nor its offsets; no
    // BLOCK_TX flag unless asked for.
    let msg = request::channel_switch(
        FAMILY,
        &request::ChannelSwitch {
            probe_resp: None,
            block_tx: false,
            ..p
        },
    );
    let attrs = Attrs(msg.genl_attrs());
    assert!(!attrs.has(ATTR_CH_SWITCH_BLOCK_TX));
    let csa = attrs.nested(ATTR_CSA_IES).unwrap();
    assert_eq!(
        csa.get(ATTR_CSA_C_OFF_BEACON),
        Some(&4u16.to_ne_bytes()[..])
    );
    assert!(!csa.has(ATTR_PROBE_RESP) && !csa.has(ATTR_CSA_C_OFF_PRESP));
    assert_eq!(attrs.get(ATTR_BEACON_TAIL), Some(&[0xa2, 0xa3][..]));
}
