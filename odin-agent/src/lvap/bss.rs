//! The access-point side of an LVAP: what its BSS advertises, and the
//! frames it sends (beacon template, probe response, authentication and
//! association responses).

use odin_wire::ie::{
    ChannelSwitch, ElementRepr, HtCapabilities, HtOperation, RateSet, VhtCapabilities,
    VhtOperation, Wmm, WmmParameter,
};

/// 802.11g rates in 500 kb/s units; 1, 2, 5.5 and 11 Mb/s basic (0x80).
const DEFAULT_RATES: [u8; 12] = [0x82, 0x84, 0x8b, 0x96, 12, 18, 24, 36, 48, 72, 96, 108];
use odin_wire::ieee80211::{
    action::ActionCategory, capability, ActionRepr, AssocRespRepr, AuthAlgorithm, AuthRepr,
    BeaconRepr, MgmtBody, MgmtHeader, MgmtRepr, ReasonCode, StatusCode,
};
use odin_wire::{MacAddr, Result};

/// What one LVAP's BSS advertises. Every LVAP of an agent usually shares
/// one of these per radio; only the BSSID differs.
#[derive(Debug, Clone, PartialEq)]
pub struct BssConfig {
    /// The network name, as bytes.
    pub ssid: Vec<u8>,
    /// The primary channel number.
    pub channel: u8,
    /// Beacon interval in TU.
    pub beacon_interval: u16,
    /// DTIM period in beacon intervals.
    pub dtim_period: u8,
    /// Rates in 500 kb/s units; the basic ones carry the 0x80 bit.
    pub rates: RateSet,
    /// Short preamble allowed (2.4 GHz).
    pub short_preamble: bool,
    /// Short slot time in use (2.4 GHz without 802.11b stations).
    pub short_slot_time: bool,
    /// HT (802.11n), when the radio does it.
    pub ht: Option<(HtCapabilities, HtOperation)>,
    /// VHT (802.11ac), when the radio does it (requires HT).
    pub vht: Option<(VhtCapabilities, VhtOperation)>,
    /// The WMM parameter element to advertise, when WMM is on.
    pub wmm: Option<Wmm>,
    /// Our extended capabilities element body, if any.
    pub extended_capabilities: Option<Vec<u8>>,
    /// Largest listen interval accepted at association.
    pub max_listen_interval: u16,
    /// Beacons carry an empty SSID element (as hostapd's
    /// `ignore_broadcast_ssid=1`); probe responses still name it. Every
    /// LVAP hides its SSID: its BSS is one client's, and another client
    /// that saw the SSID in its beacons would try to join it in vain.
    pub hide_ssid: bool,
}

/// A beacon split the way nl80211's START_AP wants it: the head (MAC
/// header, fixed fields, SSID, rates, DS parameter set) and the tail
/// (everything after the TIM, which the kernel inserts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeaconTemplate {
    /// Header through the DS parameter set.
    pub head: Vec<u8>,
    /// Elements after the TIM.
    pub tail: Vec<u8>,
}

impl BssConfig {
    /// An open 802.11g BSS on a 2.4 GHz `channel` with hostapd's defaults:
    /// beacon interval 100 TU, DTIM period 2, rates 1-54 Mb/s with 1, 2, 5.5
    /// and 11 basic, short preamble and slot time, WMM with hostapd's
    /// default parameters; no HT or VHT (the radio's capabilities add them).
    pub fn new(ssid: &[u8], channel: u8) -> BssConfig {
        BssConfig {
            ssid: ssid.to_vec(),
            channel,
            beacon_interval: 100,
            dtim_period: 2,
            // A constant that parses (tested below).
            rates: RateSet::from_bytes(&DEFAULT_RATES).unwrap_or_default(),
            short_preamble: true,
            short_slot_time: true,
            ht: None,
            vht: None,
            wmm: Some(Wmm::Parameter(WmmParameter::hostapd_default(0))),
            extended_capabilities: None,
            max_listen_interval: 65535,
            hide_ssid: false,
        }
    }

    /// With HT on a 20 MHz channel: `capabilities` (the radio's, see the
    /// nl80211 backend's `BandHt::ap_capabilities`) and the HT Operation
    /// element of a 20 MHz BSS without protection, on `channel`.
    pub fn with_ht(mut self, capabilities: HtCapabilities) -> BssConfig {
        let operation = HtOperation {
            primary_channel: self.channel,
            ..HtOperation::default()
        };
        self.ht = Some((capabilities, operation));
        self
    }

    /// The HT Operation element sent: the configured one on the current
    /// channel (the channel may change after configuration).
    fn ht_operation(&self, op: &HtOperation) -> HtOperation {
        HtOperation {
            primary_channel: self.channel,
            ..*op
        }
    }

    /// The capability information field we send.
    pub fn capabilities(&self) -> u16 {
        let mut caps = capability::ESS;
        if self.short_preamble {
            caps |= capability::SHORT_PREAMBLE;
        }
        if self.short_slot_time {
            caps |= capability::SHORT_SLOT_TIME;
        }
        caps
    }

    fn push(out: &mut Vec<u8>, element: Option<ElementRepr<'_>>) -> Result<()> {
        match element {
            Some(e) => e.emit_to_vec(out),
            None => Ok(()),
        }
    }

    /// SSID (empty in a beacon of a BSS that hides it), supported rates,
    /// DS parameter set: the elements before the TIM.
    fn head_elements(&self, out: &mut Vec<u8>, beacon: bool) -> Result<()> {
        let ssid: &[u8] = if beacon && self.hide_ssid {
            &[]
        } else {
            &self.ssid
        };
        ElementRepr::Ssid(ssid).emit_to_vec(out)?;
        Self::push(out, self.rates.supported_element())?;
        ElementRepr::DsParams {
            channel: self.channel,
        }
        .emit_to_vec(out)
    }

    /// Elements after the TIM: extended rates, HT, extended capabilities,
    /// VHT, WMM.
    fn tail_elements(&self, out: &mut Vec<u8>) -> Result<()> {
        Self::push(out, self.rates.extended_element())?;
        if let Some((cap, op)) = &self.ht {
            ElementRepr::HtCapabilities(*cap).emit_to_vec(out)?;
            ElementRepr::HtOperation(self.ht_operation(op)).emit_to_vec(out)?;
        }
        if let Some(ext) = &self.extended_capabilities {
            ElementRepr::ExtendedCapabilities(ext).emit_to_vec(out)?;
        }
        if let (Some(_), Some((cap, op))) = (&self.ht, &self.vht) {
            ElementRepr::VhtCapabilities(*cap).emit_to_vec(out)?;
            ElementRepr::VhtOperation(*op).emit_to_vec(out)?;
        }
        if let Some(wmm) = &self.wmm {
            ElementRepr::Wmm(*wmm).emit_to_vec(out)?;
        }
        Ok(())
    }

    /// The beacon for `bssid`, split into head and tail.
    pub fn beacon(&self, bssid: MacAddr) -> Result<BeaconTemplate> {
        let mut elements = Vec::with_capacity(64);
        self.head_elements(&mut elements, true)?;
        let repr = MgmtRepr {
            header: MgmtHeader::new(MacAddr::BROADCAST, bssid, bssid),
            body: MgmtBody::Beacon(BeaconRepr {
                timestamp: 0,
                beacon_interval: self.beacon_interval,
                capabilities: self.capabilities(),
                elements: &elements,
            }),
        };
        let head = repr.to_vec()?;
        let mut tail = Vec::with_capacity(96);
        self.tail_elements(&mut tail)?;
        Ok(BeaconTemplate { head, tail })
    }

    /// The beacon that announces a switch to `new_channel` in `count`
    /// beacon intervals: this BSS's beacon with a Channel Switch
    /// Announcement element first in its tail (where the standard's order
    /// puts it: after the TIM, Country and Power Constraint, before ERP
    /// and Extended Supported Rates), mode 1 with `block_tx` (the clients
    /// stop transmitting until the switch). With it, the offsets in the
    /// tail of the count octets, as nl80211's CHANNEL_SWITCH takes them.
    pub fn channel_switch_beacon(
        &self,
        bssid: MacAddr,
        new_channel: u8,
        count: u8,
        block_tx: bool,
    ) -> Result<(BeaconTemplate, Vec<u16>)> {
        let mut beacon = self.beacon(bssid)?;
        let mut tail = Vec::with_capacity(beacon.tail.len() + 5);
        ElementRepr::ChannelSwitch(ChannelSwitch {
            mode: u8::from(block_tx),
            new_channel,
            count,
        })
        .emit_to_vec(&mut tail)?;
        // Element ID, length, mode, new channel: the count is the fifth
        // octet.
        let offsets = vec![4];
        tail.extend_from_slice(&beacon.tail);
        beacon.tail = tail;
        Ok((beacon, offsets))
    }

    /// A probe response from `bssid` to `da`: the beacon's elements without
    /// the TIM.
    pub fn probe_response(&self, bssid: MacAddr, da: MacAddr) -> Result<Vec<u8>> {
        let mut elements = Vec::with_capacity(160);
        self.head_elements(&mut elements, false)?;
        self.tail_elements(&mut elements)?;
        MgmtRepr {
            header: MgmtHeader::new(da, bssid, bssid),
            body: MgmtBody::ProbeResp(BeaconRepr {
                timestamp: 0,
                beacon_interval: self.beacon_interval,
                capabilities: self.capabilities(),
                elements: &elements,
            }),
        }
        .to_vec()
    }

    /// An authentication response.
    pub fn auth_response(
        bssid: MacAddr,
        da: MacAddr,
        algorithm: AuthAlgorithm,
        transaction: u16,
        status: StatusCode,
    ) -> Result<Vec<u8>> {
        MgmtRepr {
            header: MgmtHeader::new(da, bssid, bssid),
            body: MgmtBody::Auth(AuthRepr {
                algorithm,
                transaction,
                status,
                rest: &[],
            }),
        }
        .to_vec()
    }

    /// A (re)association response. On success, `station` says what the
    /// client supports so that HT, VHT and WMM are answered only when both
    /// sides do them.
    pub fn assoc_response(
        &self,
        bssid: MacAddr,
        da: MacAddr,
        reassociation: bool,
        status: StatusCode,
        aid: u16,
        station: Option<&AssocFeatures>,
    ) -> Result<Vec<u8>> {
        let mut elements = Vec::with_capacity(96);
        Self::push(&mut elements, self.rates.supported_element())?;
        Self::push(&mut elements, self.rates.extended_element())?;
        if let Some(sta) = station {
            if let (true, Some((cap, op))) = (sta.ht, &self.ht) {
                ElementRepr::HtCapabilities(*cap).emit_to_vec(&mut elements)?;
                ElementRepr::HtOperation(self.ht_operation(op)).emit_to_vec(&mut elements)?;
            }
            if let Some(ext) = &self.extended_capabilities {
                ElementRepr::ExtendedCapabilities(ext).emit_to_vec(&mut elements)?;
            }
            if let (true, Some((cap, op))) = (sta.vht, &self.vht) {
                ElementRepr::VhtCapabilities(*cap).emit_to_vec(&mut elements)?;
                ElementRepr::VhtOperation(*op).emit_to_vec(&mut elements)?;
            }
            if let (true, Some(wmm)) = (sta.wmm, &self.wmm) {
                ElementRepr::Wmm(*wmm).emit_to_vec(&mut elements)?;
            }
        }
        let resp = AssocRespRepr {
            capabilities: self.capabilities(),
            status,
            aid,
            elements: &elements,
        };
        let body = if reassociation {
            MgmtBody::ReassocResp(resp)
        } else {
            MgmtBody::AssocResp(resp)
        };
        MgmtRepr {
            header: MgmtHeader::new(da, bssid, bssid),
            body,
        }
        .to_vec()
    }

    /// A deauthentication or disassociation frame from `bssid` to `da`.
    pub fn goodbye(
        bssid: MacAddr,
        da: MacAddr,
        deauth: bool,
        reason: ReasonCode,
    ) -> Result<Vec<u8>> {
        let body = if deauth {
            MgmtBody::Deauth {
                reason,
                elements: &[],
            }
        } else {
            MgmtBody::Disassoc {
                reason,
                elements: &[],
            }
        };
        MgmtRepr {
            header: MgmtHeader::new(da, bssid, bssid),
            body,
        }
        .to_vec()
    }

    /// A DELBA (Block Ack action 2, 9.6.4.4) from `bssid` to `da` ending
    /// the block-ack agreement of `tid` in which the receiver of this frame
    /// is the recipient (`initiator`: we speak as the originator) or the
    /// originator; reason 38, "the agreement must be set up again".
    pub fn delba(bssid: MacAddr, da: MacAddr, tid: u8, initiator: bool) -> Result<Vec<u8>> {
        let params = (u16::from(tid & 0x0f) << 12) | (u16::from(initiator) << 11);
        let [p0, p1] = params.to_le_bytes();
        let [r0, r1] = DELBA_REASON_SETUP_AGAIN.to_le_bytes();
        let body = [ACTION_DELBA, p0, p1, r0, r1];
        MgmtRepr {
            header: MgmtHeader::new(da, bssid, bssid),
            body: MgmtBody::Action(ActionRepr::Other {
                category: ActionCategory::BlockAck.into(),
                body: &body,
            }),
        }
        .to_vec()
    }
}

impl BssConfig {
    /// A Channel Switch Announcement action frame (Spectrum Management
    /// action 4, 9.6.2.6) from `bssid` to `da`: move to `new_channel`
    /// after `count` beacon intervals (0 or 1: at once); `block_tx`: stop
    /// transmitting until then (mode 1).
    pub fn channel_switch_action(
        bssid: MacAddr,
        da: MacAddr,
        new_channel: u8,
        count: u8,
        block_tx: bool,
    ) -> Result<Vec<u8>> {
        MgmtRepr {
            header: MgmtHeader::new(da, bssid, bssid),
            body: MgmtBody::Action(ActionRepr::ChannelSwitch {
                csa: ChannelSwitch {
                    mode: u8::from(block_tx),
                    new_channel,
                    count,
                },
                elements: &[],
            }),
        }
        .to_vec()
    }
}

/// Block Ack action code of a DELBA.
const ACTION_DELBA: u8 = 2;
/// Reason code 38: the block-ack agreement is unknown, set it up again.
const DELBA_REASON_SETUP_AGAIN: u16 = 38;

/// Which optional features both sides agreed on at association.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssocFeatures {
    /// HT in use.
    pub ht: bool,
    /// VHT in use.
    pub vht: bool,
    /// WMM in use.
    pub wmm: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bss_is_hostapd_like() {
        let bss = BssConfig::new(b"odin", 1);
        assert_eq!(bss.rates.as_bytes(), &DEFAULT_RATES);
        assert_eq!(bss.capabilities(), 0x0421);
        let beacon = bss.beacon(MacAddr([2, 0, 0, 0, 0, 1])).unwrap();
        // hostapd 2.10's WMM parameter element with its default parameters.
        let wmm = [
            0xdd, 0x18, 0x00, 0x50, 0xf2, 0x02, 0x01, 0x01, 0x00, 0x00, 0x03, 0xa4, 0x00, 0x00,
            0x27, 0xa4, 0x00, 0x00, 0x42, 0x43, 0x5e, 0x00, 0x62, 0x32, 0x2f, 0x00,
        ];
        assert_eq!(
            beacon.tail,
            [&[0x32, 0x04, 0x30, 0x48, 0x60, 0x6c][..], &wmm].concat()
        );
    }

    #[test]
    fn delba_frames_name_the_tid_and_the_role() {
        let (ap, sta) = (MacAddr([6, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 1, 0]));
        let f = BssConfig::delba(ap, sta, 5, true).unwrap();
        // Action, then DA, SA, BSSID, sequence; category 3, action 2,
        // parameters 0x5800 (TID 5, initiator), reason 38.
        assert_eq!(f[0], 0xd0);
        assert_eq!(&f[4..10], &sta.0);
        assert_eq!(&f[24..], &[3, 2, 0x00, 0x58, 38, 0]);
        let f = BssConfig::delba(ap, sta, 0, false).unwrap();
        assert_eq!(&f[24..], &[3, 2, 0x00, 0x00, 38, 0]);
    }

    #[test]
    fn channel_switch_action_carries_the_announcement() {
        let (ap, sta) = (MacAddr([6, 0, 0, 0, 0, 1]), MacAddr([2, 0, 0, 0, 1, 0]));
        let f = BssConfig::channel_switch_action(ap, sta, 6, 1, false).unwrap();
        assert_eq!(f[0], 0xd0);
        assert_eq!(&f[4..10], &sta.0);
        assert_eq!(&f[16..22], &ap.0);
        // Category 0 (spectrum management), action 4, then the element:
        // ID 37, length 3, mode 0, channel 6, count 1.
        assert_eq!(&f[24..], &[0, 4, 37, 3, 0, 6, 1]);
        let f = BssConfig::channel_switch_action(ap, sta, 11, 3, true).unwrap();
        assert_eq!(&f[26..], &[37, 3, 1, 11, 3]);
    }

    #[test]
    fn ht_is_advertised_on_the_current_channel() {
        let cap = HtCapabilities {
            cap_info: 0x002c,
            ampdu_params: 0x1b,
            mcs_set: [0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0],
            ext_cap: 0,
            txbf: 0,
            asel: 0,
        };
        let mut bss = BssConfig::new(b"odin", 1).with_ht(cap);
        bss.channel = 6;
        let tail = bss.beacon(MacAddr([6, 0, 0, 0, 0, 1])).unwrap().tail;
        let elems = odin_wire::ie::ParsedElements::parse(&tail).unwrap();
        assert_eq!(elems.ht_capabilities, Some(cap));
        let op = elems.ht_operation.expect("HT operation");
        assert_eq!(op.primary_channel, 6);
        assert_eq!(op.info, [0; 5], "20 MHz, no protection");
    }

    #[test]
    fn channel_switch_beacon_announces_in_the_tail() {
        let bss = BssConfig::new(b"odin", 1);
        let bssid = MacAddr([2, 0, 0, 0, 0, 1]);
        let plain = bss.beacon(bssid).unwrap();
        let (csa, offsets) = bss.channel_switch_beacon(bssid, 6, 5, false).unwrap();
        assert_eq!(csa.head, plain.head, "the head keeps the old channel");
        // As hostapd_eid_csa() writes it for `CHAN_SWITCH 5 2437`
        // (odin-wire's tests have the blocktx one, mode 1).
        assert_eq!(&csa.tail[..5], &[0x25, 3, 0, 6, 5]);
        assert_eq!(&csa.tail[5..], &plain.tail[..]);
        assert_eq!(offsets, [4]);
        assert_eq!(csa.tail[usize::from(offsets[0])], 5);
        let elems = odin_wire::ie::ParsedElements::parse(&csa.tail).unwrap();
        assert_eq!(
            elems.channel_switch,
            Some(ChannelSwitch {
                mode: 0,
                new_channel: 6,
                count: 5
            })
        );
        let (blocking, _) = bss.channel_switch_beacon(bssid, 6, 2, true).unwrap();
        assert_eq!(&blocking.tail[..5], &[0x25, 3, 1, 6, 2]);
    }

    #[test]
    fn an_ssid_too_long_to_send_is_an_error() {
        let bss = BssConfig::new(&[b'x'; 33], 1);
        assert_eq!(bss.beacon(MacAddr::ZERO), Err(odin_wire::Error::BadLength));
    }
}
