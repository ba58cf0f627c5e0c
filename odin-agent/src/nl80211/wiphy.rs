//! What a wiphy is and can do, gathered from a GET_WIPHY split dump (the
//! kernel spreads one wiphy over many messages, bands and frequencies
//! included) and the interface list.

use odin_wire::ie::HtCapabilities;
use odin_wire::MacAddr;

use super::consts::*;
use super::msg::Attrs;
use super::request::freq_to_channel;

/// A wiphy as the backend needs it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wiphy {
    /// Index.
    pub index: u32,
    /// Name (`phy0`).
    pub name: String,
    /// Its first permanent address, if the kernel reports addresses.
    pub addr: Option<MacAddr>,
    /// Enabled channel frequencies, MHz, in the kernel's order.
    pub freqs: Vec<u32>,
    /// Some band has HT capabilities.
    pub ht: bool,
    /// Some band has VHT capabilities.
    pub vht: bool,
    /// The largest number of AP interfaces an interface combination allows.
    pub max_ap_interfaces: u32,
    /// HT capabilities per band (`enum nl80211_band`: 0 is 2.4 GHz, 1 is
    /// 5 GHz), as the band attributes give them.
    pub ht_bands: Vec<(u16, BandHt)>,
}

/// A band's HT capabilities, from its band attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BandHt {
    /// HT capability information.
    pub cap: u16,
    /// Supported MCS set.
    pub mcs_set: [u8; 16],
    /// Maximum A-MPDU length exponent.
    pub ampdu_factor: u8,
    /// Minimum MPDU start spacing.
    pub ampdu_density: u8,
}

impl BandHt {
    /// The HT Capabilities element an AP on this band advertises for a
    /// 20 MHz channel: the band's MCS set and A-MPDU parameters, and of
    /// its capability bits those that do not need configuration (LDPC,
    /// short GI for 20 MHz, STBC), SM power save disabled, as hostapd's
    /// defaults do; no 40 MHz, no greenfield.
    pub fn ap_capabilities(&self) -> HtCapabilities {
        let keep = HtCapabilities::CAP_LDPC
            | HtCapabilities::CAP_SHORT_GI_20
            | HtCapabilities::CAP_TX_STBC
            | HtCapabilities::CAP_RX_STBC_MASK;
        HtCapabilities {
            cap_info: (self.cap & keep) | HtCapabilities::CAP_SM_POWER_SAVE_MASK,
            ampdu_params: (self.ampdu_factor & 0x3) | ((self.ampdu_density & 0x7) << 2),
            mcs_set: self.mcs_set,
            ext_cap: 0,
            txbf: 0,
            asel: 0,
        }
    }
}

impl Wiphy {
    /// Folds one message of the dump in (messages of other wiphys are
    /// ignored once the index is known).
    pub fn absorb(&mut self, attrs: Attrs<'_>) {
        if let Some(name) = attrs.str(ATTR_WIPHY_NAME) {
            self.name = name;
        }
        if let Some(addrs) = attrs.nested(ATTR_MAC_ADDRS) {
            if self.addr.is_none() {
                self.addr = addrs.iter().find_map(|(_, a)| MacAddr::from_bytes(a));
            }
        }
        if let Some(bands) = attrs.nested(ATTR_WIPHY_BANDS) {
            for (index, band) in bands.iter() {
                let band = Attrs(band);
                if let Some(cap) = band.u16(BAND_ATTR_HT_CAPA) {
                    self.ht = true;
                    let mut ht = BandHt {
                        cap,
                        ..BandHt::default()
                    };
                    if let Some(mcs) = band
                        .get(BAND_ATTR_HT_MCS_SET)
                        .and_then(|m| m.try_into().ok())
                    {
                        ht.mcs_set = mcs;
                    }
                    ht.ampdu_factor = band.u8(BAND_ATTR_HT_AMPDU_FACTOR).unwrap_or(0);
                    ht.ampdu_density = band.u8(BAND_ATTR_HT_AMPDU_DENSITY).unwrap_or(0);
                    self.ht_bands.retain(|(i, _)| *i != index);
                    self.ht_bands.push((index, ht));
                }
                if band.has(BAND_ATTR_VHT_CAPA) {
                    self.vht = true;
                }
                if let Some(freqs) = band.nested(BAND_ATTR_FREQS) {
                    for (_, f) in freqs.iter() {
                        let f = Attrs(f);
                        if let (Some(freq), false) =
                            (f.u32(FREQUENCY_ATTR_FREQ), f.has(FREQUENCY_ATTR_DISABLED))
                        {
                            if !self.freqs.contains(&freq) {
                                self.freqs.push(freq);
                            }
                        }
                    }
                }
            }
        }
        if let Some(combs) = attrs.nested(ATTR_INTERFACE_COMBINATIONS) {
            for (_, comb) in combs.iter() {
                let comb = Attrs(comb);
                let maxnum = comb.u32(IFACE_COMB_MAXNUM).unwrap_or(u32::MAX);
                let mut ap = 0u32;
                for (_, limit) in comb.nested(IFACE_COMB_LIMITS).iter().flat_map(|l| l.iter()) {
                    let limit = Attrs(limit);
                    let allows_ap = limit
                        .nested(IFACE_LIMIT_TYPES)
                        .is_some_and(|t| t.iter().any(|(ty, _)| u32::from(ty) == IFTYPE_AP));
                    if allows_ap {
                        ap = ap.saturating_add(limit.u32(IFACE_LIMIT_MAX).unwrap_or(0));
                    }
                }
                self.max_ap_interfaces = self.max_ap_interfaces.max(ap.min(maxnum));
            }
        }
    }

    /// The HT capabilities of the band of `channel`, if it has HT.
    pub fn ht_for_channel(&self, channel: u8) -> Option<BandHt> {
        let band = if channel <= 14 { 0 } else { 1 };
        self.ht_bands
            .iter()
            .find(|(i, _)| *i == band)
            .map(|(_, ht)| *ht)
    }

    /// The enabled 2.4 and 5 GHz channel numbers.
    pub fn channels(&self) -> Vec<u8> {
        self.freqs
            .iter()
            .filter_map(|&f| freq_to_channel(f))
            .collect()
    }
}

/// Gathers the wiphys of a split dump (payloads of the reply messages:
/// generic netlink header then attributes).
pub fn parse_wiphy_dump(replies: &[Vec<u8>]) -> Vec<Wiphy> {
    let mut out: Vec<Wiphy> = Vec::new();
    for reply in replies {
        let Some(attrs) = reply.get(4..).map(Attrs) else {
            continue;
        };
        let Some(index) = attrs.u32(ATTR_WIPHY) else {
            continue;
        };
        let pos = match out.iter().position(|w| w.index == index) {
            Some(p) => p,
            None => {
                out.push(Wiphy {
                    index,
                    ..Wiphy::default()
                });
                out.len() - 1
            }
        };
        out[pos].absorb(attrs);
    }
    out
}

/// An interface from GET_INTERFACE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Index.
    pub ifindex: u32,
    /// Name.
    pub name: String,
    /// The wiphy it belongs to.
    pub wiphy: u32,
    /// Its type (enum nl80211_iftype).
    pub iftype: u32,
    /// Its address.
    pub mac: Option<MacAddr>,
    /// Its operating frequency, when it has one.
    pub freq: Option<u32>,
}

/// The interfaces of a GET_INTERFACE dump.
pub fn parse_interfaces(replies: &[Vec<u8>]) -> Vec<Interface> {
    replies
        .iter()
        .filter_map(|r| {
            let attrs = Attrs(r.get(4..)?);
            Some(Interface {
                ifindex: attrs.u32(ATTR_IFINDEX)?,
                name: attrs.str(ATTR_IFNAME).unwrap_or_default(),
                wiphy: attrs.u32(ATTR_WIPHY)?,
                iftype: attrs.u32(ATTR_IFTYPE).unwrap_or(0),
                mac: attrs.get(ATTR_MAC).and_then(MacAddr::from_bytes),
                freq: attrs.u32(ATTR_WIPHY_FREQ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::msg::NlMsg;
    use super::*;

    fn reply(m: &NlMsg) -> Vec<u8> {
        // The payload of a received message: genl header + attributes.
        m.finish(0, 1)[16..].to_vec()
    }

    #[test]
    fn split_dump_is_gathered() {
        let mut a = NlMsg::genl(0x1c, CMD_GET_WIPHY, "x");
        a.u32(ATTR_WIPHY, 0).str(ATTR_WIPHY_NAME, "phy0");
        let mut b = NlMsg::genl(0x1c, CMD_GET_WIPHY, "x");
        b.u32(ATTR_WIPHY, 0).nest(ATTR_WIPHY_BANDS, |n| {
            n.nest(0, |band| {
                band.u16(BAND_ATTR_HT_CAPA, 0x11ef)
                    .nest(BAND_ATTR_FREQS, |f| {
                        f.nest(0, |c| {
                            c.u32(FREQUENCY_ATTR_FREQ, 2412);
                        })
                        .nest(1, |c| {
                            c.u32(FREQUENCY_ATTR_FREQ, 2484)
                                .flag(FREQUENCY_ATTR_DISABLED);
                        });
                    });
            });
        });
        let mut c = NlMsg::genl(0x1c, CMD_GET_WIPHY, "x");
        c.u32(ATTR_WIPHY, 0).nest(ATTR_INTERFACE_COMBINATIONS, |n| {
            n.nest(1, |comb| {
                comb.nest(IFACE_COMB_LIMITS, |l| {
                    l.nest(1, |lim| {
                        lim.u32(IFACE_LIMIT_MAX, 1).nest(IFACE_LIMIT_TYPES, |t| {
                            t.flag(2);
                        });
                    })
                    .nest(2, |lim| {
                        lim.u32(IFACE_LIMIT_MAX, 2048).nest(IFACE_LIMIT_TYPES, |t| {
                            t.flag(3).flag(8);
                        });
                    });
                })
                .u32(IFACE_COMB_MAXNUM, 2048);
            });
        });
        let w = parse_wiphy_dump(&[reply(&a), reply(&b), reply(&c)]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].name, "phy0");
        assert_eq!(w[0].freqs, [2412]);
        assert_eq!(w[0].channels(), [1]);
        assert!(w[0].ht && !w[0].vht);
        assert_eq!(w[0].max_ap_interfaces, 2048);
    }
}
