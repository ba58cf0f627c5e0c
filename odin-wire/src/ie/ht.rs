//! HT Capabilities (IEEE 802.11-2020 9.4.2.55) and HT Operation
//! (9.4.2.56) elements.

use super::cursor::{Reader, Writer};
use crate::{Error, Result};

/// The SM power save mode of an HT station (HT capability bits 2-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SmPowerSave {
    /// Static: only one receive chain active.
    Static,
    /// Dynamic: extra chains woken by an RTS.
    Dynamic,
    /// The reserved value 2.
    Reserved,
    /// SM power save disabled.
    Disabled,
}

/// The HT Capabilities element: exactly 26 octets, all fields little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HtCapabilities {
    /// HT Capability Information (see the `CAP_*` constants).
    pub cap_info: u16,
    /// A-MPDU Parameters: bits 0-1 maximum A-MPDU length exponent, bits 2-4
    /// minimum MPDU start spacing.
    pub ampdu_params: u8,
    /// Supported MCS Set: bits 0-76 the Rx MCS bitmask, 80-89 the highest
    /// supported Rx data rate (Mb/s), 96-100 Tx MCS set information.
    pub mcs_set: [u8; 16],
    /// HT Extended Capabilities.
    pub ext_cap: u16,
    /// Transmit Beamforming Capabilities.
    pub txbf: u32,
    /// ASEL Capabilities.
    pub asel: u8,
}

impl HtCapabilities {
    /// Length of the element body.
    pub const LEN: usize = 26;

    /// LDPC coding capability.
    pub const CAP_LDPC: u16 = 1 << 0;
    /// Supported channel width set: 20 and 40 MHz.
    pub const CAP_40MHZ: u16 = 1 << 1;
    /// SM power save field (two bits).
    pub const CAP_SM_POWER_SAVE_MASK: u16 = 0b11 << 2;
    /// HT-greenfield.
    pub const CAP_GREENFIELD: u16 = 1 << 4;
    /// Short GI for 20 MHz.
    pub const CAP_SHORT_GI_20: u16 = 1 << 5;
    /// Short GI for 40 MHz.
    pub const CAP_SHORT_GI_40: u16 = 1 << 6;
    /// Tx STBC.
    pub const CAP_TX_STBC: u16 = 1 << 7;
    /// Rx STBC field (two bits: spatial streams).
    pub const CAP_RX_STBC_MASK: u16 = 0b11 << 8;
    /// Maximum A-MSDU length 7935 octets (else 3839).
    pub const CAP_MAX_AMSDU_7935: u16 = 1 << 11;
    /// DSSS/CCK mode in 40 MHz.
    pub const CAP_DSSS_CCK_40: u16 = 1 << 12;
    /// Forty MHz intolerant.
    pub const CAP_40MHZ_INTOLERANT: u16 = 1 << 14;
    /// L-SIG TXOP protection support.
    pub const CAP_LSIG_TXOP_PROT: u16 = 1 << 15;

    pub(crate) fn parse(data: &[u8]) -> Result<HtCapabilities> {
        if data.len() != Self::LEN {
            return Err(Error::BadLength);
        }
        let mut r = Reader::new(data);
        Ok(HtCapabilities {
            cap_info: r.u16_le()?,
            ampdu_params: r.u8()?,
            mcs_set: r.array()?,
            ext_cap: r.u16_le()?,
            txbf: r.u32_le()?,
            asel: r.u8()?,
        })
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u16_le(self.cap_info)?;
        w.u8(self.ampdu_params)?;
        w.put(&self.mcs_set)?;
        w.u16_le(self.ext_cap)?;
        w.u32_le(self.txbf)?;
        w.u8(self.asel)
    }

    const fn cap(&self, bit: u16) -> bool {
        self.cap_info & bit != 0
    }

    /// LDPC coding capability.
    pub const fn ldpc(&self) -> bool {
        self.cap(Self::CAP_LDPC)
    }

    /// Supports 40 MHz channels.
    pub const fn supports_40mhz(&self) -> bool {
        self.cap(Self::CAP_40MHZ)
    }

    /// SM power save mode.
    pub const fn sm_power_save(&self) -> SmPowerSave {
        match (self.cap_info & Self::CAP_SM_POWER_SAVE_MASK) >> 2 {
            0 => SmPowerSave::Static,
            1 => SmPowerSave::Dynamic,
            2 => SmPowerSave::Reserved,
            _ => SmPowerSave::Disabled,
        }
    }

    /// HT-greenfield support.
    pub const fn greenfield(&self) -> bool {
        self.cap(Self::CAP_GREENFIELD)
    }

    /// Short guard interval in 20 MHz.
    pub const fn short_gi_20(&self) -> bool {
        self.cap(Self::CAP_SHORT_GI_20)
    }

    /// Short guard interval in 40 MHz.
    pub const fn short_gi_40(&self) -> bool {
        self.cap(Self::CAP_SHORT_GI_40)
    }

    /// Can send STBC.
    pub const fn tx_stbc(&self) -> bool {
        self.cap(Self::CAP_TX_STBC)
    }

    /// Spatial streams receivable with STBC (0 = none, up to 3).
    pub const fn rx_stbc(&self) -> u8 {
        ((self.cap_info & Self::CAP_RX_STBC_MASK) >> 8) as u8
    }

    /// Maximum A-MSDU length in octets (3839 or 7935).
    pub const fn max_amsdu_len(&self) -> u16 {
        if self.cap(Self::CAP_MAX_AMSDU_7935) {
            7935
        } else {
            3839
        }
    }

    /// Forty MHz intolerant.
    pub const fn forty_mhz_intolerant(&self) -> bool {
        self.cap(Self::CAP_40MHZ_INTOLERANT)
    }

    /// Maximum A-MPDU length exponent (length = 2^(13 + e) - 1 octets).
    pub const fn max_ampdu_exponent(&self) -> u8 {
        self.ampdu_params & 0b11
    }

    /// Minimum MPDU start spacing code (0 = no restriction .. 7 = 16 µs).
    pub const fn min_mpdu_start_spacing(&self) -> u8 {
        (self.ampdu_params >> 2) & 0b111
    }

    /// The Rx MCS bitmask, bits 0-76 (bit n set: MCS n received).
    pub fn rx_mcs_bitmap(&self) -> u128 {
        let mut bytes = [0u8; 16];
        if let (Some(dst), Some(src)) = (bytes.get_mut(..10), self.mcs_set.get(..10)) {
            dst.copy_from_slice(src);
        }
        u128::from_le_bytes(bytes) & ((1u128 << 77) - 1)
    }

    /// True when MCS `mcs` (0..=76) is in the Rx MCS bitmask.
    pub fn supports_rx_mcs(&self, mcs: u8) -> bool {
        mcs < 77 && self.rx_mcs_bitmap() & (1u128 << mcs) != 0
    }

    /// Highest supported Rx data rate in Mb/s (0: not given).
    pub fn rx_highest_rate(&self) -> u16 {
        let [.., a, b, _, _, _, _] = self.mcs_set;
        u16::from_le_bytes([a, b]) & 0x03ff
    }

    /// Tx MCS set defined (MCS set bit 96).
    pub fn tx_mcs_set_defined(&self) -> bool {
        self.mcs_set.get(12).is_some_and(|b| b & 0x01 != 0)
    }

    /// Spatial streams with a non-empty Rx MCS set (counting the first four
    /// octets of the bitmask, MCS 0-31).
    pub fn rx_spatial_streams(&self) -> u8 {
        self.mcs_set.iter().take(4).take_while(|&&b| b != 0).count() as u8
    }
}

/// The secondary channel offset of an HT BSS (HT Operation information
/// bits 0-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SecondaryChannelOffset {
    /// No secondary channel (20 MHz).
    None,
    /// The secondary channel is above the primary.
    Above,
    /// The reserved value 2.
    Reserved,
    /// The secondary channel is below the primary.
    Below,
}

/// The HT Operation element: exactly 22 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HtOperation {
    /// The primary channel.
    pub primary_channel: u8,
    /// HT Operation Information, five octets (bit n is bit n % 8 of octet
    /// n / 8).
    pub info: [u8; 5],
    /// Basic HT-MCS set (same layout as the HT Capabilities MCS set).
    pub basic_mcs_set: [u8; 16],
}

impl HtOperation {
    /// Length of the element body.
    pub const LEN: usize = 22;

    pub(crate) fn parse(data: &[u8]) -> Result<HtOperation> {
        if data.len() != Self::LEN {
            return Err(Error::BadLength);
        }
        let mut r = Reader::new(data);
        Ok(HtOperation {
            primary_channel: r.u8()?,
            info: r.array()?,
            basic_mcs_set: r.array()?,
        })
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.primary_channel)?;
        w.put(&self.info)?;
        w.put(&self.basic_mcs_set)
    }

    fn info_bits(&self) -> u64 {
        let [a, b, c, d, e] = self.info;
        u64::from_le_bytes([a, b, c, d, e, 0, 0, 0])
    }

    /// Where the secondary 20 MHz channel is.
    pub fn secondary_channel_offset(&self) -> SecondaryChannelOffset {
        match self.info_bits() & 0b11 {
            0 => SecondaryChannelOffset::None,
            1 => SecondaryChannelOffset::Above,
            2 => SecondaryChannelOffset::Reserved,
            _ => SecondaryChannelOffset::Below,
        }
    }

    /// STA channel width: true when any width in the HT capabilities of the
    /// station may be used (40 MHz), false for 20 MHz only.
    pub fn sta_channel_width_any(&self) -> bool {
        self.info_bits() & (1 << 2) != 0
    }

    /// RIFS mode permitted.
    pub fn rifs(&self) -> bool {
        self.info_bits() & (1 << 3) != 0
    }

    /// HT protection mode (0 none, 1 non-member, 2 20 MHz, 3 non-HT mixed).
    pub fn ht_protection(&self) -> u8 {
        ((self.info_bits() >> 8) & 0b11) as u8
    }

    /// Non-greenfield HT stations present.
    pub fn nongreenfield_present(&self) -> bool {
        self.info_bits() & (1 << 10) != 0
    }

    /// OBSS non-HT stations present.
    pub fn obss_non_ht_present(&self) -> bool {
        self.info_bits() & (1 << 12) != 0
    }

    /// Channel center frequency segment 2 (bits 13-20), for VHT 80+80/160.
    pub fn center_freq_seg2(&self) -> u8 {
        ((self.info_bits() >> 13) & 0xff) as u8
    }

    /// Sets the secondary channel offset and the STA channel width bit the
    /// way an AP does for a 20 MHz (`None`) or 40 MHz BSS.
    pub fn set_secondary_channel(&mut self, offset: SecondaryChannelOffset) {
        let (code, any_width) = match offset {
            SecondaryChannelOffset::None => (0, false),
            SecondaryChannelOffset::Above => (1, true),
            SecondaryChannelOffset::Reserved => (2, false),
            SecondaryChannelOffset::Below => (3, true),
        };
        let [first, ..] = &mut self.info;
        *first = (*first & !0b111) | code | if any_width { 0b100 } else { 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ie::{Element, ElementRepr};

    // From a real 37C3 beacon (bins/frames/beacon.bin in the ieee80211-rs
    // crate, github.com/Frostie314159/ieee80211-rs): a 2x2 20 MHz AP on
    // channel 44.
    const HT_CAP_37C3: [u8; 28] = [
        0x2d, 0x1a, 0xad, 0x09, 0x03, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    const HT_OP_37C3: [u8; 24] = [
        0x3d, 0x16, 0x2c, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    fn parse(bytes: &[u8]) -> Result<ElementRepr<'_>> {
        ElementRepr::parse(Element::new(bytes[0], &bytes[2..]))
    }

    #[test]
    fn deconstruct_capabilities() {
        let Ok(ElementRepr::HtCapabilities(ht)) = parse(&HT_CAP_37C3) else {
            panic!()
        };
        assert_eq!(ht.cap_info, 0x09ad);
        assert!(ht.ldpc());
        assert!(!ht.supports_40mhz());
        assert_eq!(ht.sm_power_save(), SmPowerSave::Disabled);
        assert!(!ht.greenfield());
        assert!(ht.short_gi_20() && !ht.short_gi_40());
        assert!(ht.tx_stbc());
        assert_eq!(ht.rx_stbc(), 1);
        assert_eq!(ht.max_amsdu_len(), 7935);
        assert!(!ht.forty_mhz_intolerant());
        assert_eq!(
            (ht.max_ampdu_exponent(), ht.min_mpdu_start_spacing()),
            (3, 0)
        );
        assert_eq!(ht.rx_mcs_bitmap(), 0xffff_ffff);
        assert!(ht.supports_rx_mcs(31) && !ht.supports_rx_mcs(32) && !ht.supports_rx_mcs(200));
        assert_eq!(ht.rx_highest_rate(), 0);
        assert!(ht.tx_mcs_set_defined());
        assert_eq!(ht.rx_spatial_streams(), 4);
        assert_eq!((ht.ext_cap, ht.txbf, ht.asel), (0, 0, 0));
    }

    #[test]
    fn construct_capabilities() {
        let mut mcs_set = [0u8; 16];
        mcs_set[..4].copy_from_slice(&[0xff; 4]);
        mcs_set[12] = 0x01;
        let ht = HtCapabilities {
            cap_info: HtCapabilities::CAP_LDPC
                | HtCapabilities::CAP_SM_POWER_SAVE_MASK
                | HtCapabilities::CAP_SHORT_GI_20
                | HtCapabilities::CAP_TX_STBC
                | (1 << 8)
                | HtCapabilities::CAP_MAX_AMSDU_7935,
            ampdu_params: 0x03,
            mcs_set,
            ..HtCapabilities::default()
        };
        let mut buf = [0u8; 28];
        assert_eq!(ElementRepr::HtCapabilities(ht).emit(&mut buf), Ok(28));
        assert_eq!(buf, HT_CAP_37C3);
    }

    #[test]
    fn operation() {
        let Ok(ElementRepr::HtOperation(op)) = parse(&HT_OP_37C3) else {
            panic!()
        };
        assert_eq!(op.primary_channel, 44);
        assert_eq!(op.secondary_channel_offset(), SecondaryChannelOffset::None);
        assert!(!op.sta_channel_width_any() && !op.rifs());
        assert_eq!(op.ht_protection(), 1);
        assert!(op.nongreenfield_present() && !op.obss_non_ht_present());
        assert_eq!(op.center_freq_seg2(), 0);

        let mut built = HtOperation {
            primary_channel: 44,
            ..HtOperation::default()
        };
        built.info[1] = 0x05;
        let mut out = Vec::new();
        ElementRepr::HtOperation(built)
            .emit_to_vec(&mut out)
            .unwrap();
        assert_eq!(out, HT_OP_37C3);

        // 40 MHz with the secondary below (hostapd ht_capab=[HT40-]).
        built.set_secondary_channel(SecondaryChannelOffset::Below);
        assert_eq!(built.info[0], 0x07);
        assert_eq!(
            built.secondary_channel_offset(),
            SecondaryChannelOffset::Below
        );
        assert!(built.sta_channel_width_any());
        built.set_secondary_channel(SecondaryChannelOffset::None);
        assert_eq!(built.info[0], 0x00);
        built.info = [0x00, 0xe0, 0x1f, 0x00, 0x00];
        assert_eq!(built.center_freq_seg2(), 0xff);
    }

    #[test]
    fn wrong_lengths_are_bad_length() {
        assert_eq!(
            ElementRepr::parse(Element::new(45, &HT_CAP_37C3[2..27])),
            Err(Error::BadLength)
        );
        assert_eq!(
            ElementRepr::parse(Element::new(45, &[0; 27])),
            Err(Error::BadLength)
        );
        assert_eq!(
            ElementRepr::parse(Element::new(61, &HT_OP_37C3[2..23])),
            Err(Error::BadLength)
        );
        assert_eq!(
            ElementRepr::parse(Element::new(61, &[0; 23])),
            Err(Error::BadLength)
        );
    }
}
