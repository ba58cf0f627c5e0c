use odin_wire::MacAddr;
use serde::{Deserialize, Serialize};

/// The association flags of a station, as nl80211 knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StationFlags {
    /// Open-system authentication completed.
    pub authenticated: bool,
    /// (Re)association completed.
    pub associated: bool,
    /// Allowed to send and receive data (open network: once the association
    /// response was acknowledged; RSN: after the 4-way handshake).
    pub authorized: bool,
    /// QoS (WMM) in use.
    pub wme: bool,
    /// Short preamble allowed.
    pub short_preamble: bool,
}

/// WMM state of a station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WmmStation {
    /// The QoS info octet of the station's WMM information element
    /// (U-APSD flags per access category and max service period).
    pub qos_info: u8,
}

/// Everything an AP must know to serve an associated station: what an
/// agent exports from its LVAP and another agent imports to take the
/// client over without the client noticing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationState {
    /// The client.
    pub sta: MacAddr,
    /// The LVAP's BSSID.
    pub bssid: MacAddr,
    /// The association ID (1-2007).
    pub aid: u16,
    /// Listen interval, in beacon intervals.
    pub listen_interval: u16,
    /// The capability information the station sent.
    pub capabilities: u16,
    /// The rates both sides support, in 500 kb/s units, basic bit (0x80)
    /// as in the LVAP's BSS.
    pub supported_rates: Vec<u8>,
    /// The station's HT capabilities element body (26 bytes), when both
    /// sides do HT.
    pub ht_capabilities: Option<Vec<u8>>,
    /// The station's VHT capabilities element body (12 bytes), when both
    /// sides do VHT.
    pub vht_capabilities: Option<Vec<u8>>,
    /// The station's extended capabilities element body, if it sent one.
    pub ext_capabilities: Option<Vec<u8>>,
    /// WMM state, when both sides do WMM.
    pub wmm: Option<WmmStation>,
    /// Association flags.
    pub flags: StationFlags,
    /// The sequence number of the last management frame received from the
    /// station (duplicate detection survives a move).
    pub last_rx_seq: Option<u16>,
    /// The elements of the station's last (re)association request, kept as
    /// sent (RSN, vendor elements), for later key and policy work.
    pub assoc_ies: Vec<u8>,
}

impl StationState {
    /// A station that has authenticated and nothing more: what the kernel
    /// is given at authentication (NEW_STATION), before the association
    /// brings the rest.
    pub fn unassociated(sta: MacAddr, bssid: MacAddr) -> StationState {
        StationState {
            sta,
            bssid,
            aid: 0,
            listen_interval: 0,
            capabilities: 0,
            supported_rates: Vec::new(),
            ht_capabilities: None,
            vht_capabilities: None,
            ext_capabilities: None,
            wmm: None,
            flags: StationFlags {
                authenticated: true,
                ..StationFlags::default()
            },
            last_rx_seq: None,
            assoc_ies: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let state = StationState {
            sta: MacAddr([2, 0, 0, 0, 1, 0]),
            bssid: MacAddr([0x06, 0, 0, 0, 0, 1]),
            aid: 1,
            listen_interval: 5,
            capabilities: 0x0431,
            supported_rates: vec![0x82, 0x84, 0x8b, 0x96, 12, 18, 24, 36],
            ht_capabilities: Some(vec![0; 26]),
            vht_capabilities: None,
            ext_capabilities: Some(vec![0, 0, 0, 0, 0, 0, 0, 0x40]),
            wmm: Some(WmmStation { qos_info: 0 }),
            flags: StationFlags {
                authenticated: true,
                associated: true,
                authorized: true,
                wme: true,
                short_preamble: true,
            },
            last_rx_seq: Some(17),
            assoc_ies: vec![0, 3, b'o', b'd', b'n'],
        };
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.contains("\"02:00:00:00:01:00\""));
        let back: StationState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
    }
}
