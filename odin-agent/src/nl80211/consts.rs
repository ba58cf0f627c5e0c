//! The netlink, generic netlink and nl80211 numbers we use.
//!
//! From include/uapi/linux/netlink.h, genetlink.h and nl80211.h of Linux
//! 6.1 (checked against linux-raw-sys 0.12's bindings of the same headers).
//! nl80211.h's command enum has aliases (NEW_BEACON = START_AP, ...): the
//! values below are the real ones, not positions in the enum.

// netlink.h
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_MULTI: u16 = 0x2;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_DUMP: u16 = 0x300;
/// The error message carries extended-ack attributes.
pub const NLM_F_ACK_TLVS: u16 = 0x200;
/// The error message does not repeat the request's payload.
pub const NLM_F_CAPPED: u16 = 0x100;
pub const NLMSGERR_ATTR_MSG: u16 = 1;
pub const NLA_F_NESTED: u16 = 0x8000;
pub const NLA_TYPE_MASK: u16 = 0x3fff;

// rtnetlink.h, if.h
pub const RTM_NEWLINK: u16 = 16;
pub const IFF_UP: u32 = 0x1;
pub const IFLA_ADDRESS: u16 = 1;
pub const IFLA_MASTER: u16 = 10;

// genetlink.h
pub const GENL_ID_CTRL: u16 = 0x10;
pub const CTRL_CMD_GETFAMILY: u8 = 3;
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;
pub const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
pub const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
pub const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;

// nl80211.h: commands
pub const CMD_GET_WIPHY: u8 = 1;
pub const CMD_SET_WIPHY: u8 = 2;
pub const CMD_GET_INTERFACE: u8 = 5;
pub const CMD_NEW_INTERFACE: u8 = 7;
pub const CMD_DEL_INTERFACE: u8 = 8;
pub const CMD_SET_BEACON: u8 = 14;
pub const CMD_START_AP: u8 = 15;
pub const CMD_STOP_AP: u8 = 16;
pub const CMD_GET_STATION: u8 = 17;
pub const CMD_SET_STATION: u8 = 18;
pub const CMD_NEW_STATION: u8 = 19;
pub const CMD_DEL_STATION: u8 = 20;
pub const CMD_GET_SURVEY: u8 = 50;
pub const CMD_NEW_SURVEY_RESULTS: u8 = 51;
pub const CMD_REGISTER_FRAME: u8 = 58;
pub const CMD_FRAME: u8 = 59;
pub const CMD_FRAME_TX_STATUS: u8 = 60;
pub const CMD_UNEXPECTED_FRAME: u8 = 83;
pub const CMD_PROBE_CLIENT: u8 = 84;
pub const CMD_CH_SWITCH_NOTIFY: u8 = 88;
pub const CMD_CHANNEL_SWITCH: u8 = 102;
pub const CMD_CH_SWITCH_STARTED_NOTIFY: u8 = 110;

// nl80211.h: attributes
pub const ATTR_WIPHY: u16 = 1;
pub const ATTR_WIPHY_NAME: u16 = 2;
pub const ATTR_IFINDEX: u16 = 3;
pub const ATTR_IFNAME: u16 = 4;
pub const ATTR_IFTYPE: u16 = 5;
pub const ATTR_MAC: u16 = 6;
pub const ATTR_BEACON_INTERVAL: u16 = 12;
pub const ATTR_DTIM_PERIOD: u16 = 13;
pub const ATTR_BEACON_HEAD: u16 = 14;
pub const ATTR_BEACON_TAIL: u16 = 15;
pub const ATTR_STA_AID: u16 = 16;
pub const ATTR_STA_LISTEN_INTERVAL: u16 = 18;
pub const ATTR_STA_SUPPORTED_RATES: u16 = 19;
pub const ATTR_STA_INFO: u16 = 21;
pub const ATTR_WIPHY_BANDS: u16 = 22;
pub const ATTR_HT_CAPABILITY: u16 = 31;
pub const ATTR_WIPHY_FREQ: u16 = 38;
pub const ATTR_WIPHY_CHANNEL_TYPE: u16 = 39;
pub const ATTR_FRAME: u16 = 51;
pub const ATTR_SSID: u16 = 52;
pub const ATTR_AUTH_TYPE: u16 = 53;
pub const ATTR_STA_FLAGS2: u16 = 67;
pub const ATTR_SURVEY_INFO: u16 = 84;
pub const ATTR_COOKIE: u16 = 88;
pub const ATTR_FRAME_MATCH: u16 = 91;
pub const ATTR_ACK: u16 = 92;
pub const ATTR_FRAME_TYPE: u16 = 101;
pub const ATTR_INTERFACE_COMBINATIONS: u16 = 120;
pub const ATTR_HIDDEN_SSID: u16 = 126;
pub const ATTR_STA_WME: u16 = 129;
pub const ATTR_DONT_WAIT_FOR_ACK: u16 = 142;
pub const ATTR_PROBE_RESP: u16 = 145;
pub const ATTR_RX_SIGNAL_DBM: u16 = 151;
pub const ATTR_VHT_CAPABILITY: u16 = 157;
pub const ATTR_MAC_ADDRS: u16 = 166;
pub const ATTR_STA_CAPABILITY: u16 = 171;
pub const ATTR_STA_EXT_CAPABILITY: u16 = 172;
pub const ATTR_SPLIT_WIPHY_DUMP: u16 = 174;
pub const ATTR_CH_SWITCH_COUNT: u16 = 183;
pub const ATTR_CH_SWITCH_BLOCK_TX: u16 = 184;
pub const ATTR_CSA_IES: u16 = 185;
/// NL80211_ATTR_CNTDWN_OFFS_BEACON since Linux 5.15.
pub const ATTR_CSA_C_OFF_BEACON: u16 = 186;
/// NL80211_ATTR_CNTDWN_OFFS_PRESP since Linux 5.15.
pub const ATTR_CSA_C_OFF_PRESP: u16 = 187;
pub const ATTR_SOCKET_OWNER: u16 = 204;

/// enum nl80211_iftype
pub const IFTYPE_AP: u32 = 3;
pub const IFTYPE_MONITOR: u32 = 6;
/// enum nl80211_channel_type
pub const CHAN_NO_HT: u32 = 0;
pub const CHAN_HT20: u32 = 1;
/// enum nl80211_auth_type
pub const AUTHTYPE_OPEN_SYSTEM: u32 = 0;
/// enum nl80211_hidden_ssid
pub const HIDDEN_SSID_NOT_IN_USE: u32 = 0;
pub const HIDDEN_SSID_ZERO_LEN: u32 = 1;

/// enum nl80211_sta_flags (bit numbers)
pub const STA_FLAG_AUTHORIZED: u32 = 1;
pub const STA_FLAG_SHORT_PREAMBLE: u32 = 2;
pub const STA_FLAG_WME: u32 = 3;
pub const STA_FLAG_AUTHENTICATED: u32 = 5;
pub const STA_FLAG_ASSOCIATED: u32 = 7;

/// enum nl80211_sta_info
pub const STA_INFO_INACTIVE_TIME: u16 = 1;
pub const STA_INFO_RX_BYTES: u16 = 2;
pub const STA_INFO_TX_BYTES: u16 = 3;
pub const STA_INFO_SIGNAL: u16 = 7;
pub const STA_INFO_TX_BITRATE: u16 = 8;
pub const STA_INFO_RX_BITRATE: u16 = 14;
pub const STA_INFO_RX_BYTES64: u16 = 23;
pub const STA_INFO_TX_BYTES64: u16 = 24;

// enum nl80211_rate_info (nested in STA_INFO_TX/RX_BITRATE); both in
// units of 100 kbit/s.
pub const RATE_INFO_BITRATE: u16 = 1;
pub const RATE_INFO_BITRATE32: u16 = 5;

/// enum nl80211_sta_wme_attr
pub const STA_WME_UAPSD_QUEUES: u16 = 1;
pub const STA_WME_MAX_SP: u16 = 2;

/// enum nl80211_survey_info
pub const SURVEY_INFO_FREQUENCY: u16 = 1;
pub const SURVEY_INFO_NOISE: u16 = 2;
pub const SURVEY_INFO_IN_USE: u16 = 3;
pub const SURVEY_INFO_TIME: u16 = 4;
pub const SURVEY_INFO_TIME_BUSY: u16 = 5;
pub const SURVEY_INFO_TIME_EXT_BUSY: u16 = 6;
pub const SURVEY_INFO_TIME_RX: u16 = 7;
pub const SURVEY_INFO_TIME_TX: u16 = 8;

/// enum nl80211_band_attr
pub const BAND_ATTR_FREQS: u16 = 1;
pub const BAND_ATTR_HT_MCS_SET: u16 = 3;
pub const BAND_ATTR_HT_CAPA: u16 = 4;
pub const BAND_ATTR_HT_AMPDU_FACTOR: u16 = 5;
pub const BAND_ATTR_HT_AMPDU_DENSITY: u16 = 6;
pub const BAND_ATTR_VHT_CAPA: u16 = 8;
/// enum nl80211_frequency_attr
pub const FREQUENCY_ATTR_FREQ: u16 = 1;
pub const FREQUENCY_ATTR_DISABLED: u16 = 2;
/// enum nl80211_if_combination_attrs
pub const IFACE_COMB_LIMITS: u16 = 1;
pub const IFACE_COMB_MAXNUM: u16 = 2;
/// enum nl80211_iface_limit_attrs
pub const IFACE_LIMIT_MAX: u16 = 1;
pub const IFACE_LIMIT_TYPES: u16 = 2;
