//! The nl80211 (and two rtnetlink) requests the backend sends, as pure
//! functions from parameters to messages, so that tests check their bytes.
//! The attributes follow hostapd 2.10's driver_nl80211.c.

use odin_proto::{StationFlags, StationState};
use odin_wire::MacAddr;

use super::consts::*;
use super::msg::NlMsg;

pub use crate::radio::{channel_to_freq, freq_to_channel};

/// Frame types an AP interface registers for: (re)association request,
/// probe request, disassociation, authentication, deauthentication, action
/// (management type 0, subtype in bits 4-7 of the frame control).
pub const AP_FRAME_TYPES: [(u16, &str); 7] = [
    (0x0000, "assoc req"),
    (0x0020, "reassoc req"),
    (0x0040, "probe req"),
    (0x00a0, "disassoc"),
    (0x00b0, "auth"),
    (0x00c0, "deauth"),
    (0x00d0, "action"),
];

/// CTRL_CMD_GETFAMILY for `name`.
pub fn get_family(name: &str) -> NlMsg {
    let mut m = NlMsg::raw(GENL_ID_CTRL, &[CTRL_CMD_GETFAMILY, 2, 0, 0], "GETFAMILY");
    m.str(CTRL_ATTR_FAMILY_NAME, name);
    m
}

/// GET_WIPHY for one wiphy, as a split dump.
pub fn get_wiphy(family: u16, wiphy: Option<u32>) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_GET_WIPHY, "GET_WIPHY");
    if let Some(w) = wiphy {
        m.u32(ATTR_WIPHY, w);
    }
    m.flag(ATTR_SPLIT_WIPHY_DUMP);
    m
}

/// GET_INTERFACE (dump).
pub fn get_interfaces(family: u16) -> NlMsg {
    NlMsg::genl(family, CMD_GET_INTERFACE, "GET_INTERFACE")
}

/// NEW_INTERFACE of type AP with address `mac`, owned by the socket that
/// sends it (the kernel deletes it if that socket closes).
pub fn new_ap_interface(family: u16, wiphy: u32, name: &str, mac: MacAddr) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_NEW_INTERFACE, "NEW_INTERFACE");
    m.u32(ATTR_WIPHY, wiphy)
        .str(ATTR_IFNAME, name)
        .u32(ATTR_IFTYPE, IFTYPE_AP)
        .put(ATTR_MAC, &mac.0)
        .flag(ATTR_SOCKET_OWNER);
    m
}

/// NEW_INTERFACE of type monitor (default flags: other BSSs and control
/// frames too), owned by the socket that sends it.
pub fn new_monitor_interface(family: u16, wiphy: u32, name: &str) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_NEW_INTERFACE, "NEW_INTERFACE (monitor)");
    m.u32(ATTR_WIPHY, wiphy)
        .str(ATTR_IFNAME, name)
        .u32(ATTR_IFTYPE, IFTYPE_MONITOR)
        .flag(ATTR_SOCKET_OWNER);
    m
}

/// SET_WIPHY on a monitor interface: the channel it listens on (20 MHz,
/// no HT), as `iw dev mon0 set freq` does.
pub fn set_monitor_channel(family: u16, ifindex: u32, freq: u32) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_SET_WIPHY, "SET_WIPHY (monitor channel)");
    m.u32(ATTR_IFINDEX, ifindex)
        .u32(ATTR_WIPHY_FREQ, freq)
        .u32(ATTR_WIPHY_CHANNEL_TYPE, CHAN_NO_HT);
    m
}

/// SET_WIPHY: the radio's channel (20 MHz, no HT), named through one of
/// its interfaces. cfg80211 takes it only while no interface but monitors
/// runs on the radio (else EBUSY): with LVAPs beaconing, see
/// [`channel_switch`].
pub fn set_wiphy_channel(family: u16, ifindex: u32, freq: u32) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_SET_WIPHY, "SET_WIPHY (channel)");
    m.u32(ATTR_IFINDEX, ifindex)
        .u32(ATTR_WIPHY_FREQ, freq)
        .u32(ATTR_WIPHY_CHANNEL_TYPE, CHAN_NO_HT);
    m
}

/// GET_SURVEY, a dump: one NEW_SURVEY_RESULTS per channel the driver
/// measured, answered for the radio of interface `ifindex`.
pub fn get_survey(family: u16, ifindex: u32) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_GET_SURVEY, "GET_SURVEY");
    m.u32(ATTR_IFINDEX, ifindex);
    m
}

/// A beacon as START_AP and CHANNEL_SWITCH take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beacon<'a> {
    /// Header through the DS parameter set.
    pub head: &'a [u8],
    /// Elements after the TIM.
    pub tail: &'a [u8],
}

/// What CHANNEL_SWITCH needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSwitch<'a> {
    /// The AP interface.
    pub ifindex: u32,
    /// The new channel's centre frequency, MHz.
    pub freq: u32,
    /// 20 MHz HT on the new channel (else no HT), as START_AP says it.
    pub ht20: bool,
    /// Beacon intervals until the switch.
    pub count: u8,
    /// The clients stop transmitting until the switch.
    pub block_tx: bool,
    /// The beacon on the new channel.
    pub beacon_after: Beacon<'a>,
    /// The beacon during the announcement (with the Channel Switch
    /// Announcement element).
    pub beacon_csa: Beacon<'a>,
    /// Offsets of the announcement's count octets in `beacon_csa.tail`.
    pub counter_offsets_beacon: &'a [u16],
    /// For a driver that answers probes itself (probe response offload):
    /// the probe response during the announcement and the offsets of its
    /// count octets. `None` when user space answers probes, as ours does.
    pub probe_resp: Option<(&'a [u8], &'a [u16])>,
}

/// u16 values as the kernel reads an array attribute: native byte order.
fn u16_array(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

/// CHANNEL_SWITCH on an AP interface, as hostapd 2.10 sends it: the count,
/// the new channel (WIPHY_FREQ and the channel type, as START_AP), the
/// beacon after the switch at the top level, and in the nested CSA_IES
/// the beacon during the announcement with the offsets of its counters
/// (cfg80211 reads CSA_C_OFF_BEACON and CSA_C_OFF_PRESP inside CSA_IES,
/// and refuses offsets past the tail or not holding `count`).
pub fn channel_switch(family: u16, p: &ChannelSwitch<'_>) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_CHANNEL_SWITCH, "CHANNEL_SWITCH");
    m.u32(ATTR_IFINDEX, p.ifindex)
        .u32(ATTR_CH_SWITCH_COUNT, u32::from(p.count))
        .u32(ATTR_WIPHY_FREQ, p.freq)
        .u32(
            ATTR_WIPHY_CHANNEL_TYPE,
            if p.ht20 { CHAN_HT20 } else { CHAN_NO_HT },
        );
    if p.block_tx {
        m.flag(ATTR_CH_SWITCH_BLOCK_TX);
    }
    m.put(ATTR_BEACON_HEAD, p.beacon_after.head)
        .put(ATTR_BEACON_TAIL, p.beacon_after.tail);
    m.nest(ATTR_CSA_IES, |n| {
        n.put(ATTR_BEACON_HEAD, p.beacon_csa.head)
            .put(ATTR_BEACON_TAIL, p.beacon_csa.tail);
        if let Some((presp, _)) = p.probe_resp {
            n.put(ATTR_PROBE_RESP, presp);
        }
        n.put(ATTR_CSA_C_OFF_BEACON, &u16_array(p.counter_offsets_beacon));
        if let Some((_, offsets)) = p.probe_resp {
            n.put(ATTR_CSA_C_OFF_PRESP, &u16_array(offsets));
        }
    });
    m
}

/// SET_BEACON: a new beacon for a running AP interface (head and tail;
/// nothing else changes).
pub fn set_beacon(family: u16, ifindex: u32, beacon: &Beacon<'_>) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_SET_BEACON, "SET_BEACON");
    m.u32(ATTR_IFINDEX, ifindex)
        .put(ATTR_BEACON_HEAD, beacon.head)
        .put(ATTR_BEACON_TAIL, beacon.tail);
    m
}

/// DEL_INTERFACE.
pub fn del_interface(family: u16, ifindex: u32) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_DEL_INTERFACE, "DEL_INTERFACE");
    m.u32(ATTR_IFINDEX, ifindex);
    m
}

/// REGISTER_FRAME for management frames of type `frame_type`, any content.
pub fn register_frame(family: u16, ifindex: u32, frame_type: u16) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_REGISTER_FRAME, "REGISTER_FRAME");
    m.u32(ATTR_IFINDEX, ifindex)
        .u16(ATTR_FRAME_TYPE, frame_type)
        .put(ATTR_FRAME_MATCH, &[]);
    m
}

/// What START_AP needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartAp<'a> {
    /// The interface.
    pub ifindex: u32,
    /// Beacon head (header to the DS parameter set).
    pub head: &'a [u8],
    /// Beacon tail (after the TIM).
    pub tail: &'a [u8],
    /// Beacon interval, TU.
    pub beacon_interval: u16,
    /// DTIM period.
    pub dtim_period: u8,
    /// SSID.
    pub ssid: &'a [u8],
    /// Channel centre frequency, MHz.
    pub freq: u32,
    /// 20 MHz HT (else no HT).
    pub ht20: bool,
    /// The beacons carry an empty SSID element (hidden SSID, zero
    /// length): NL80211_HIDDEN_SSID_ZERO_LEN.
    pub hidden: bool,
}

/// START_AP of an open BSS.
pub fn start_ap(family: u16, p: &StartAp<'_>) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_START_AP, "START_AP");
    m.u32(ATTR_IFINDEX, p.ifindex)
        .put(ATTR_BEACON_HEAD, p.head)
        .put(ATTR_BEACON_TAIL, p.tail)
        .u32(ATTR_BEACON_INTERVAL, u32::from(p.beacon_interval))
        .u32(ATTR_DTIM_PERIOD, u32::from(p.dtim_period))
        .put(ATTR_SSID, p.ssid)
        .u32(
            ATTR_HIDDEN_SSID,
            if p.hidden {
                HIDDEN_SSID_ZERO_LEN
            } else {
                HIDDEN_SSID_NOT_IN_USE
            },
        )
        .u32(ATTR_AUTH_TYPE, AUTHTYPE_OPEN_SYSTEM)
        .u32(ATTR_WIPHY_FREQ, p.freq)
        .u32(
            ATTR_WIPHY_CHANNEL_TYPE,
            if p.ht20 { CHAN_HT20 } else { CHAN_NO_HT },
        );
    m
}

/// STOP_AP.
pub fn stop_ap(family: u16, ifindex: u32) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_STOP_AP, "STOP_AP");
    m.u32(ATTR_IFINDEX, ifindex);
    m
}

/// NL80211_CMD_FRAME: transmit a management frame. Without
/// `want_status` the kernel neither reports its status nor gives a
/// cookie.
pub fn frame(family: u16, ifindex: u32, frame: &[u8], want_status: bool) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_FRAME, "FRAME");
    m.u32(ATTR_IFINDEX, ifindex).put(ATTR_FRAME, frame);
    if !want_status {
        m.flag(ATTR_DONT_WAIT_FOR_ACK);
    }
    m
}

/// PROBE_CLIENT: a null frame to `sta`, answered with a cookie.
pub fn probe_client(family: u16, ifindex: u32, sta: MacAddr) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_PROBE_CLIENT, "PROBE_CLIENT");
    m.u32(ATTR_IFINDEX, ifindex).put(ATTR_MAC, &sta.0);
    m
}

/// struct nl80211_sta_flag_update { mask, set } for our five flags: all
/// of them in the mask, the true ones set.
pub fn sta_flags2(flags: &StationFlags) -> [u8; 8] {
    let bits = [
        (STA_FLAG_AUTHORIZED, flags.authorized),
        (STA_FLAG_SHORT_PREAMBLE, flags.short_preamble),
        (STA_FLAG_WME, flags.wme),
        (STA_FLAG_AUTHENTICATED, flags.authenticated),
        (STA_FLAG_ASSOCIATED, flags.associated),
    ];
    let mut mask = 0u32;
    let mut set = 0u32;
    for (bit, on) in bits {
        mask |= 1 << bit;
        if on {
            set |= 1 << bit;
        }
    }
    let mut out = [0; 8];
    out[..4].copy_from_slice(&mask.to_ne_bytes());
    out[4..].copy_from_slice(&set.to_ne_bytes());
    out
}

/// The basic rates of 802.11b, given for a station that has told us no
/// rates yet (hostapd does the same at authentication).
const UNASSOC_RATES: [u8; 4] = [0x02, 0x04, 0x0b, 0x16];

/// The association parameters of NEW_STATION and of the SET_STATION that
/// associates a station: rates (basic bit masked off, as hostapd passes
/// them), capability, HT, VHT, extended capabilities, AID, listen
/// interval.
fn put_assoc_params(m: &mut NlMsg, s: &StationState) {
    let rates: Vec<u8> = if s.supported_rates.is_empty() {
        UNASSOC_RATES.to_vec()
    } else {
        s.supported_rates.iter().map(|r| r & 0x7f).collect()
    };
    m.put(ATTR_STA_SUPPORTED_RATES, &rates)
        .u16(ATTR_STA_CAPABILITY, s.capabilities);
    if let Some(ht) = &s.ht_capabilities {
        m.put(ATTR_HT_CAPABILITY, ht);
    }
    if let Some(vht) = &s.vht_capabilities {
        m.put(ATTR_VHT_CAPABILITY, vht);
    }
    if let Some(ext) = &s.ext_capabilities {
        m.put(ATTR_STA_EXT_CAPABILITY, ext);
    }
    // cfg80211 refuses AID 0; an unassociated station gets 1, as hostapd's
    // "UNASSOC_STA workaround" does.
    m.u16(ATTR_STA_AID, s.aid.max(1))
        .u16(ATTR_STA_LISTEN_INTERVAL, s.listen_interval);
}

/// NL80211_ATTR_STA_WME from the WMM QoS info octet: U-APSD queues (bits
/// 0-3) and max service period (bits 5-6).
fn put_wme(m: &mut NlMsg, s: &StationState) {
    if let (Some(wmm), true) = (s.wmm, s.flags.wme) {
        m.nest(ATTR_STA_WME, |n| {
            n.u8(STA_WME_UAPSD_QUEUES, wmm.qos_info & 0x0f)
                .u8(STA_WME_MAX_SP, (wmm.qos_info >> 5) & 0x03);
        });
    }
}

/// NEW_STATION with the full state (an unassociated station at
/// authentication, or an imported associated one).
pub fn new_station(family: u16, ifindex: u32, s: &StationState) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_NEW_STATION, "NEW_STATION");
    m.u32(ATTR_IFINDEX, ifindex).put(ATTR_MAC, &s.sta.0);
    put_assoc_params(&mut m, s);
    m.put(ATTR_STA_FLAGS2, &sta_flags2(&s.flags));
    put_wme(&mut m, s);
    m
}

/// SET_STATION with the association parameters (the station is not yet
/// associated in the kernel: mac80211 refuses rates and capabilities for
/// an associated one).
pub fn update_station(family: u16, ifindex: u32, s: &StationState) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_SET_STATION, "SET_STATION");
    m.u32(ATTR_IFINDEX, ifindex).put(ATTR_MAC, &s.sta.0);
    put_assoc_params(&mut m, s);
    m.put(ATTR_STA_FLAGS2, &sta_flags2(&s.flags));
    put_wme(&mut m, s);
    m
}

/// SET_STATION with flags only.
pub fn set_station_flags(family: u16, ifindex: u32, sta: MacAddr, flags: &StationFlags) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_SET_STATION, "SET_STATION");
    m.u32(ATTR_IFINDEX, ifindex)
        .put(ATTR_MAC, &sta.0)
        .put(ATTR_STA_FLAGS2, &sta_flags2(flags));
    m
}

/// DEL_STATION (nothing is sent to the station).
pub fn del_station(family: u16, ifindex: u32, sta: MacAddr) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_DEL_STATION, "DEL_STATION");
    m.u32(ATTR_IFINDEX, ifindex).put(ATTR_MAC, &sta.0);
    m
}

/// GET_STATION.
pub fn get_station(family: u16, ifindex: u32, sta: MacAddr) -> NlMsg {
    let mut m = NlMsg::genl(family, CMD_GET_STATION, "GET_STATION");
    m.u32(ATTR_IFINDEX, ifindex).put(ATTR_MAC, &sta.0);
    m
}

/// struct ifinfomsg for `ifindex` with `flags` changed under `change`.
fn ifinfomsg(ifindex: u32, flags: u32, change: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    // family (AF_UNSPEC), pad, type: zero.
    b[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    b[8..12].copy_from_slice(&flags.to_ne_bytes());
    b[12..16].copy_from_slice(&change.to_ne_bytes());
    b
}

/// RTM_NEWLINK setting an interface up or down.
pub fn link_set_up(ifindex: u32, up: bool) -> NlMsg {
    let flags = if up { IFF_UP } else { 0 };
    NlMsg::raw(
        RTM_NEWLINK,
        &ifinfomsg(ifindex, flags, IFF_UP),
        "RTM_NEWLINK (up)",
    )
}

/// RTM_NEWLINK setting an interface's address (it must be down).
pub fn link_set_address(ifindex: u32, mac: MacAddr) -> NlMsg {
    let mut m = NlMsg::raw(
        RTM_NEWLINK,
        &ifinfomsg(ifindex, 0, 0),
        "RTM_NEWLINK (address)",
    );
    m.put(IFLA_ADDRESS, &mac.0);
    m
}

/// RTM_NEWLINK making `master` (a bridge) the interface's master.
pub fn link_set_master(ifindex: u32, master: u32) -> NlMsg {
    let mut m = NlMsg::raw(
        RTM_NEWLINK,
        &ifinfomsg(ifindex, 0, 0),
        "RTM_NEWLINK (master)",
    );
    m.put(IFLA_MASTER, &master.to_ne_bytes());
    m
}
