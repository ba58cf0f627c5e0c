//! VHT Capabilities (IEEE 802.11-2020 9.4.2.157) and VHT Operation
//! (9.4.2.158) elements.

use super::cursor::{Reader, Writer};
use crate::{Error, Result};

/// What a VHT MCS map says for one spatial stream count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum VhtMcsSupport {
    /// MCS 0-7.
    Mcs0To7,
    /// MCS 0-8.
    Mcs0To8,
    /// MCS 0-9.
    Mcs0To9,
    /// This number of spatial streams is not supported.
    NotSupported,
}

impl VhtMcsSupport {
    /// Reads the two bits of a VHT MCS map for `nss` spatial streams
    /// (1..=8); `None` for any other `nss`.
    pub fn from_map(map: u16, nss: u8) -> Option<VhtMcsSupport> {
        if !(1..=8).contains(&nss) {
            return None;
        }
        Some(match (map >> (2 * (nss - 1))) & 0b11 {
            0 => VhtMcsSupport::Mcs0To7,
            1 => VhtMcsSupport::Mcs0To8,
            2 => VhtMcsSupport::Mcs0To9,
            _ => VhtMcsSupport::NotSupported,
        })
    }

    /// The largest `nss` with support in `map` (0 when none).
    pub fn max_nss(map: u16) -> u8 {
        (1..=8)
            .rev()
            .find(|&n| Self::from_map(map, n) != Some(VhtMcsSupport::NotSupported))
            .unwrap_or(0)
    }
}

/// The VHT Capabilities element: exactly 12 octets, all fields
/// little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VhtCapabilities {
    /// VHT Capabilities Information (see the `CAP_*` constants).
    pub cap_info: u32,
    /// Rx VHT-MCS map: two bits per spatial stream count.
    pub rx_mcs_map: u16,
    /// Rx highest supported long GI data rate (bits 0-12, Mb/s) and maximum
    /// NSTS total (bits 13-15).
    pub rx_highest: u16,
    /// Tx VHT-MCS map.
    pub tx_mcs_map: u16,
    /// Tx highest supported long GI data rate (bits 0-12), extended NSS BW
    /// capable (bit 13).
    pub tx_highest: u16,
}

impl VhtCapabilities {
    /// Length of the element body.
    pub const LEN: usize = 12;

    /// Maximum MPDU length field (two bits: 3895, 7991, 11454).
    pub const CAP_MAX_MPDU_MASK: u32 = 0b11;
    /// Supported channel width set field (two bits).
    pub const CAP_CHANNEL_WIDTH_MASK: u32 = 0b11 << 2;
    /// Rx LDPC.
    pub const CAP_RX_LDPC: u32 = 1 << 4;
    /// Short GI for 80 MHz.
    pub const CAP_SHORT_GI_80: u32 = 1 << 5;
    /// Short GI for 160 and 80+80 MHz.
    pub const CAP_SHORT_GI_160: u32 = 1 << 6;
    /// Tx STBC.
    pub const CAP_TX_STBC: u32 = 1 << 7;
    /// SU beamformer capable.
    pub const CAP_SU_BEAMFORMER: u32 = 1 << 11;
    /// SU beamformee capable.
    pub const CAP_SU_BEAMFORMEE: u32 = 1 << 12;
    /// MU beamformer capable.
    pub const CAP_MU_BEAMFORMER: u32 = 1 << 19;
    /// MU beamformee capable.
    pub const CAP_MU_BEAMFORMEE: u32 = 1 << 20;
    /// Maximum A-MPDU length exponent field (three bits).
    pub const CAP_MAX_AMPDU_EXP_MASK: u32 = 0b111 << 23;

    pub(crate) fn parse(data: &[u8]) -> Result<VhtCapabilities> {
        if data.len() != Self::LEN {
            return Err(Error::BadLength);
        }
        let mut r = Reader::new(data);
        Ok(VhtCapabilities {
            cap_info: r.u32_le()?,
            rx_mcs_map: r.u16_le()?,
            rx_highest: r.u16_le()?,
            tx_mcs_map: r.u16_le()?,
            tx_highest: r.u16_le()?,
        })
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u32_le(self.cap_info)?;
        w.u16_le(self.rx_mcs_map)?;
        w.u16_le(self.rx_highest)?;
        w.u16_le(self.tx_mcs_map)?;
        w.u16_le(self.tx_highest)
    }

    /// Maximum MPDU length in octets (3895, 7991 or 11454; the reserved
    /// value 3 reads as 3895).
    pub const fn max_mpdu_len(&self) -> u16 {
        match self.cap_info & Self::CAP_MAX_MPDU_MASK {
            1 => 7991,
            2 => 11454,
            _ => 3895,
        }
    }

    /// Supported channel width set: 0 = no 160 MHz, 1 = 160 MHz, 2 = 160 and
    /// 80+80 MHz.
    pub const fn supported_channel_width_set(&self) -> u8 {
        ((self.cap_info & Self::CAP_CHANNEL_WIDTH_MASK) >> 2) as u8
    }

    /// Rx LDPC.
    pub const fn rx_ldpc(&self) -> bool {
        self.cap_info & Self::CAP_RX_LDPC != 0
    }

    /// Short GI in 80 MHz.
    pub const fn short_gi_80(&self) -> bool {
        self.cap_info & Self::CAP_SHORT_GI_80 != 0
    }

    /// Short GI in 160 and 80+80 MHz.
    pub const fn short_gi_160(&self) -> bool {
        self.cap_info & Self::CAP_SHORT_GI_160 != 0
    }

    /// Tx STBC.
    pub const fn tx_stbc(&self) -> bool {
        self.cap_info & Self::CAP_TX_STBC != 0
    }

    /// SU beamformer.
    pub const fn su_beamformer(&self) -> bool {
        self.cap_info & Self::CAP_SU_BEAMFORMER != 0
    }

    /// SU beamformee.
    pub const fn su_beamformee(&self) -> bool {
        self.cap_info & Self::CAP_SU_BEAMFORMEE != 0
    }

    /// MU beamformer.
    pub const fn mu_beamformer(&self) -> bool {
        self.cap_info & Self::CAP_MU_BEAMFORMER != 0
    }

    /// MU beamformee.
    pub const fn mu_beamformee(&self) -> bool {
        self.cap_info & Self::CAP_MU_BEAMFORMEE != 0
    }

    /// Maximum A-MPDU length exponent (length = 2^(13 + e) - 1 octets).
    pub const fn max_ampdu_exponent(&self) -> u8 {
        ((self.cap_info & Self::CAP_MAX_AMPDU_EXP_MASK) >> 23) as u8
    }

    /// Rx MCS support for `nss` spatial streams (1..=8).
    pub fn rx_mcs(&self, nss: u8) -> Option<VhtMcsSupport> {
        VhtMcsSupport::from_map(self.rx_mcs_map, nss)
    }

    /// Tx MCS support for `nss` spatial streams (1..=8).
    pub fn tx_mcs(&self, nss: u8) -> Option<VhtMcsSupport> {
        VhtMcsSupport::from_map(self.tx_mcs_map, nss)
    }

    /// Extended NSS BW capable (bit 13 of the Tx highest rate field).
    pub const fn ext_nss_bw_capable(&self) -> bool {
        self.tx_highest & (1 << 13) != 0
    }
}

/// The VHT Operation element: exactly 5 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VhtOperation {
    /// Channel width: 0 = 20 or 40 MHz (per HT Operation), 1 = 80, 160 or
    /// 80+80 MHz, 2 = 160 MHz (deprecated), 3 = 80+80 MHz (deprecated).
    pub channel_width: u8,
    /// Channel center frequency segment 0 (a channel number).
    pub center_seg0: u8,
    /// Channel center frequency segment 1.
    pub center_seg1: u8,
    /// Basic VHT-MCS and NSS set (an MCS map).
    pub basic_mcs: u16,
}

impl VhtOperation {
    /// Length of the element body.
    pub const LEN: usize = 5;
    /// `channel_width`: 20 or 40 MHz.
    pub const WIDTH_20_40: u8 = 0;
    /// `channel_width`: 80, 160 or 80+80 MHz.
    pub const WIDTH_80_160: u8 = 1;

    pub(crate) fn parse(data: &[u8]) -> Result<VhtOperation> {
        if data.len() != Self::LEN {
            return Err(Error::BadLength);
        }
        let mut r = Reader::new(data);
        Ok(VhtOperation {
            channel_width: r.u8()?,
            center_seg0: r.u8()?,
            center_seg1: r.u8()?,
            basic_mcs: r.u16_le()?,
        })
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.channel_width)?;
        w.u8(self.center_seg0)?;
        w.u8(self.center_seg1)?;
        w.u16_le(self.basic_mcs)
    }

    /// The basic MCS requirement for `nss` spatial streams (1..=8).
    pub fn basic_mcs_for(&self, nss: u8) -> Option<VhtMcsSupport> {
        VhtMcsSupport::from_map(self.basic_mcs, nss)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ie::{Element, ElementRepr};

    // From a real 37C3 beacon (bins/frames/beacon.bin in the ieee80211-rs
    // crate, github.com/Frostie314159/ieee80211-rs).
    const VHT_CAP_37C3: [u8; 14] = [
        0xbf, 0x0c, 0x91, 0xf9, 0x8b, 0x33, 0xaa, 0xff, 0x00, 0x00, 0xaa, 0xff, 0x00, 0x20,
    ];
    const VHT_OP_37C3: [u8; 7] = [0xc0, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00];

    // Layout of IEEE 802.11-2020 Figure 9-590 as hostapd fills it for
    // vht_oper_chwidth=1, vht_oper_centr_freq_seg0_idx=42 (80 MHz on
    // channels 36-48), basic MCS map 0xfffc (1 stream, MCS 0-7).
    const VHT_OP_80MHZ: [u8; 7] = [0xc0, 0x05, 0x01, 0x2a, 0x00, 0xfc, 0xff];

    fn parse(bytes: &[u8]) -> Result<ElementRepr<'_>> {
        ElementRepr::parse(Element::new(bytes[0], &bytes[2..]))
    }

    #[test]
    fn deconstruct_capabilities() {
        let Ok(ElementRepr::VhtCapabilities(vht)) = parse(&VHT_CAP_37C3) else {
            panic!()
        };
        assert_eq!(vht.cap_info, 0x338b_f991);
        assert_eq!(vht.max_mpdu_len(), 7991);
        assert_eq!(vht.supported_channel_width_set(), 0);
        assert!(vht.rx_ldpc() && !vht.short_gi_80() && !vht.short_gi_160() && vht.tx_stbc());
        assert!(vht.su_beamformer() && vht.su_beamformee());
        assert!(vht.mu_beamformer() && !vht.mu_beamformee());
        assert_eq!(vht.max_ampdu_exponent(), 7);
        assert_eq!(vht.rx_mcs(1), Some(VhtMcsSupport::Mcs0To9));
        assert_eq!(vht.rx_mcs(4), Some(VhtMcsSupport::Mcs0To9));
        assert_eq!(vht.rx_mcs(5), Some(VhtMcsSupport::NotSupported));
        assert_eq!(vht.tx_mcs(9), None);
        assert_eq!(VhtMcsSupport::max_nss(vht.rx_mcs_map), 4);
        assert_eq!(VhtMcsSupport::max_nss(0xffff), 0);
        assert!(vht.ext_nss_bw_capable());
    }

    #[test]
    fn construct_capabilities() {
        let vht = VhtCapabilities {
            cap_info: 0x338b_f991,
            rx_mcs_map: 0xffaa,
            rx_highest: 0,
            tx_mcs_map: 0xffaa,
            tx_highest: 1 << 13,
        };
        let mut buf = [0u8; 14];
        assert_eq!(ElementRepr::VhtCapabilities(vht).emit(&mut buf), Ok(14));
        assert_eq!(buf, VHT_CAP_37C3);
    }

    #[test]
    fn operation() {
        let Ok(ElementRepr::VhtOperation(op)) = parse(&VHT_OP_37C3) else {
            panic!()
        };
        assert_eq!(op, VhtOperation::default());
        let Ok(ElementRepr::VhtOperation(op)) = parse(&VHT_OP_80MHZ) else {
            panic!()
        };
        assert_eq!(op.channel_width, VhtOperation::WIDTH_80_160);
        assert_eq!((op.center_seg0, op.center_seg1), (42, 0));
        assert_eq!(op.basic_mcs_for(1), Some(VhtMcsSupport::Mcs0To7));
        assert_eq!(op.basic_mcs_for(2), Some(VhtMcsSupport::NotSupported));
        let mut out = Vec::new();
        ElementRepr::VhtOperation(op).emit_to_vec(&mut out).unwrap();
        assert_eq!(out, VHT_OP_80MHZ);
    }

    #[test]
    fn wrong_lengths_are_bad_length() {
        for len in [0, 11, 13] {
            let data = [0u8; 13];
            assert_eq!(
                ElementRepr::parse(Element::new(191, &data[..len])),
                Err(Error::BadLength)
            );
        }
        for len in [0, 4, 6] {
            let data = [0u8; 6];
            assert_eq!(
                ElementRepr::parse(Element::new(192, &data[..len])),
                Err(Error::BadLength)
            );
        }
    }
}
