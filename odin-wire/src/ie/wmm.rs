//! The WMM (Wi-Fi Multimedia) Information and Parameter elements: vendor
//! elements under the Microsoft OUI 00:50:f2, OUI type 2 (Wi-Fi Alliance
//! WMM Specification 1.2, sections 2.2.1 and 2.2.2).

use super::cursor::{Reader, Writer};
use crate::{Error, Result};

/// The OUI of WMM (and WPA1, WPS) elements.
pub const WMM_OUI: [u8; 3] = [0x00, 0x50, 0xf2];
/// The OUI type of WMM elements.
pub const WMM_OUI_TYPE: u8 = 2;
/// OUI subtype of the WMM Information element.
pub const WMM_SUBTYPE_INFORMATION: u8 = 0;
/// OUI subtype of the WMM Parameter element.
pub const WMM_SUBTYPE_PARAMETER: u8 = 1;

/// A WMM Information or Parameter element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Wmm {
    /// The WMM Information element (subtype 0): what a station sends, and
    /// what an AP may send in place of the Parameter element.
    Information {
        /// WMM version (1).
        version: u8,
        /// QoS Info: from an AP, bits 0-3 the parameter set count and bit 7
        /// U-APSD; from a station, bits 0-3 the per-AC U-APSD flags (VO, VI,
        /// BK, BE) and bits 5-6 the maximum service period length.
        qos_info: u8,
    },
    /// The WMM Parameter element (subtype 1), sent by an AP.
    Parameter(WmmParameter),
}

/// The body of a WMM Parameter element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WmmParameter {
    /// WMM version (1).
    pub version: u8,
    /// QoS Info (bits 0-3 parameter set count, bit 7 U-APSD).
    pub qos_info: u8,
    /// The reserved octet, kept as it was.
    pub reserved: u8,
    /// The four AC parameter records, in wire order (normally BE, BK, VI,
    /// VO; each record names its own ACI).
    pub ac: [WmmAc; 4],
}

/// One AC parameter record of a WMM Parameter element: 4 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WmmAc {
    /// ACI/AIFSN: bits 0-3 AIFSN, bit 4 ACM, bits 5-6 ACI, bit 7 reserved.
    pub aci_aifsn: u8,
    /// ECWmin (bits 0-3) and ECWmax (bits 4-7).
    pub ecw: u8,
    /// TXOP limit in units of 32 µs.
    pub txop_limit: u16,
}

impl WmmAc {
    /// ACI of best effort.
    pub const ACI_BE: u8 = 0;
    /// ACI of background.
    pub const ACI_BK: u8 = 1;
    /// ACI of video.
    pub const ACI_VI: u8 = 2;
    /// ACI of voice.
    pub const ACI_VO: u8 = 3;

    /// A record from its fields (each masked to its width).
    pub const fn new(
        aci: u8,
        aifsn: u8,
        acm: bool,
        ecw_min: u8,
        ecw_max: u8,
        txop_limit: u16,
    ) -> WmmAc {
        WmmAc {
            aci_aifsn: (aifsn & 0x0f) | if acm { 0x10 } else { 0 } | ((aci & 0b11) << 5),
            ecw: (ecw_min & 0x0f) | ((ecw_max & 0x0f) << 4),
            txop_limit,
        }
    }

    /// AIFSN.
    pub const fn aifsn(&self) -> u8 {
        self.aci_aifsn & 0x0f
    }

    /// Admission control mandatory.
    pub const fn acm(&self) -> bool {
        self.aci_aifsn & 0x10 != 0
    }

    /// The access category this record is for (see the `ACI_*` constants).
    pub const fn aci(&self) -> u8 {
        (self.aci_aifsn >> 5) & 0b11
    }

    /// ECWmin: CWmin = 2^ECWmin - 1.
    pub const fn ecw_min(&self) -> u8 {
        self.ecw & 0x0f
    }

    /// ECWmax: CWmax = 2^ECWmax - 1.
    pub const fn ecw_max(&self) -> u8 {
        self.ecw >> 4
    }

    /// CWmin in slots.
    pub const fn cw_min(&self) -> u16 {
        (1 << self.ecw_min()) - 1
    }

    /// CWmax in slots.
    pub const fn cw_max(&self) -> u16 {
        (1 << self.ecw_max()) - 1
    }

    /// TXOP limit in microseconds.
    pub const fn txop_limit_us(&self) -> u32 {
        self.txop_limit as u32 * 32
    }

    fn parse(r: &mut Reader<'_>) -> Result<WmmAc> {
        Ok(WmmAc {
            aci_aifsn: r.u8()?,
            ecw: r.u8()?,
            txop_limit: r.u16_le()?,
        })
    }

    fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.aci_aifsn)?;
        w.u8(self.ecw)?;
        w.u16_le(self.txop_limit)
    }
}

impl WmmParameter {
    /// Octets after the OUI: type, subtype, version, QoS info, reserved,
    /// four 4-octet records.
    pub const BODY_LEN: usize = 4 + 1 + 16;

    /// hostapd's default EDCA parameters for an AP (hostapd.conf
    /// `wmm_ac_*`: BE AIFSN 3 CW 15-1023; BK AIFSN 7 CW 15-1023; VI AIFSN 2
    /// CW 7-15 TXOP 3.008 ms; VO AIFSN 2 CW 3-7 TXOP 1.504 ms).
    pub const fn hostapd_default(qos_info: u8) -> WmmParameter {
        WmmParameter {
            version: 1,
            qos_info,
            reserved: 0,
            ac: [
                WmmAc::new(WmmAc::ACI_BE, 3, false, 4, 10, 0),
                WmmAc::new(WmmAc::ACI_BK, 7, false, 4, 10, 0),
                WmmAc::new(WmmAc::ACI_VI, 2, false, 3, 4, 94),
                WmmAc::new(WmmAc::ACI_VO, 2, false, 2, 3, 47),
            ],
        }
    }

    /// The record whose ACI is `aci`, if any.
    pub fn record(&self, aci: u8) -> Option<&WmmAc> {
        self.ac.iter().find(|r| r.aci() == aci)
    }
}

impl Wmm {
    /// Reads the data of a vendor element after the OUI 00:50:f2. `None`
    /// when it is not a WMM Information or Parameter element (another OUI
    /// type, or another WMM subtype such as TSPEC); `Some(Err(BadLength))`
    /// when it is one but its length is wrong.
    pub(crate) fn parse_vendor(after_oui: &[u8]) -> Option<Result<Wmm>> {
        let mut r = Reader::new(after_oui);
        let oui_type = r.u8().ok()?;
        let subtype = r.u8().ok()?;
        if oui_type != WMM_OUI_TYPE {
            return None;
        }
        let expected = match subtype {
            WMM_SUBTYPE_INFORMATION => 2,
            WMM_SUBTYPE_PARAMETER => 2 + 1 + 16,
            _ => return None,
        };
        if r.remaining() != expected {
            return Some(Err(Error::BadLength));
        }
        Some(Self::parse_body(subtype, &mut r))
    }

    fn parse_body(subtype: u8, r: &mut Reader<'_>) -> Result<Wmm> {
        let version = r.u8()?;
        let qos_info = r.u8()?;
        if subtype == WMM_SUBTYPE_INFORMATION {
            return Ok(Wmm::Information { version, qos_info });
        }
        let reserved = r.u8()?;
        let ac = [
            WmmAc::parse(r)?,
            WmmAc::parse(r)?,
            WmmAc::parse(r)?,
            WmmAc::parse(r)?,
        ];
        Ok(Wmm::Parameter(WmmParameter {
            version,
            qos_info,
            reserved,
            ac,
        }))
    }

    /// Length of the element data, OUI included.
    pub(crate) const fn data_len(&self) -> usize {
        3 + match self {
            Wmm::Information { .. } => 4,
            Wmm::Parameter(_) => WmmParameter::BODY_LEN,
        }
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        w.put(&WMM_OUI)?;
        w.u8(WMM_OUI_TYPE)?;
        match self {
            Wmm::Information { version, qos_info } => {
                w.u8(WMM_SUBTYPE_INFORMATION)?;
                w.u8(*version)?;
                w.u8(*qos_info)
            }
            Wmm::Parameter(p) => {
                w.u8(WMM_SUBTYPE_PARAMETER)?;
                w.u8(p.version)?;
                w.u8(p.qos_info)?;
                w.u8(p.reserved)?;
                p.ac.iter().try_for_each(|ac| ac.emit(w))
            }
        }
    }

    /// The QoS Info octet.
    pub const fn qos_info(&self) -> u8 {
        match self {
            Wmm::Information { qos_info, .. } => *qos_info,
            Wmm::Parameter(p) => p.qos_info,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ie::{Element, ElementRepr};

    fn parse(bytes: &[u8]) -> Result<ElementRepr<'_>> {
        ElementRepr::parse(Element::new(bytes[0], &bytes[2..]))
    }

    // From a real 37C3 beacon (bins/frames/beacon.bin in the ieee80211-rs
    // crate, github.com/Frostie314159/ieee80211-rs): version 1, U-APSD off,
    // parameter set count 15, hostapd's default EDCA values.
    const WMM_PARAM_37C3: [u8; 26] = [
        0xdd, 0x18, 0x00, 0x50, 0xf2, 0x02, 0x01, 0x01, 0x0f, 0x00, 0x03, 0xa4, 0x00, 0x00, 0x27,
        0xa4, 0x00, 0x00, 0x42, 0x43, 0x5e, 0x00, 0x62, 0x32, 0x2f, 0x00,
    ];

    // Layout of WMM Specification 1.2 Figure 5 (WMM Information element) as
    // a station sends it in an association request: version 1, QoS info 0
    // (no U-APSD).
    const WMM_INFO_STA: [u8; 9] = [0xdd, 0x07, 0x00, 0x50, 0xf2, 0x02, 0x00, 0x01, 0x00];

    #[test]
    fn deconstruct_parameter() {
        let Ok(ElementRepr::Wmm(Wmm::Parameter(p))) = parse(&WMM_PARAM_37C3) else {
            panic!()
        };
        assert_eq!((p.version, p.qos_info, p.reserved), (1, 0x0f, 0));
        let be = p.record(WmmAc::ACI_BE).unwrap();
        assert_eq!(
            (
                be.aifsn(),
                be.acm(),
                be.cw_min(),
                be.cw_max(),
                be.txop_limit
            ),
            (3, false, 15, 1023, 0)
        );
        let vi = p.record(WmmAc::ACI_VI).unwrap();
        assert_eq!(
            (vi.aifsn(), vi.ecw_min(), vi.ecw_max(), vi.txop_limit_us()),
            (2, 3, 4, 3008)
        );
        let vo = p.record(WmmAc::ACI_VO).unwrap();
        assert_eq!((vo.cw_min(), vo.cw_max(), vo.txop_limit), (3, 7, 47));
        assert_eq!(p.ac.map(|r| r.aci()), [0, 1, 2, 3]);
    }

    #[test]
    fn construct_parameter() {
        let repr = ElementRepr::Wmm(Wmm::Parameter(WmmParameter::hostapd_default(0x0f)));
        let mut buf = [0u8; 26];
        assert_eq!(repr.emit(&mut buf), Ok(26));
        assert_eq!(buf, WMM_PARAM_37C3);
        assert_eq!(repr.buffer_len(), 26);
        let acm = WmmAc::new(WmmAc::ACI_VO, 2, true, 2, 3, 47);
        assert!(acm.acm() && acm.aci() == 3 && acm.aifsn() == 2);
    }

    #[test]
    fn information() {
        let Ok(ElementRepr::Wmm(w)) = parse(&WMM_INFO_STA) else {
            panic!()
        };
        assert_eq!(
            w,
            Wmm::Information {
                version: 1,
                qos_info: 0
            }
        );
        assert_eq!(w.qos_info(), 0);
        let mut out = Vec::new();
        ElementRepr::Wmm(w).emit_to_vec(&mut out).unwrap();
        assert_eq!(out, WMM_INFO_STA);
    }

    #[test]
    fn other_wmm_subtypes_stay_vendor() {
        // hostapd's ieee802_11_parse_tests (src/common/common_module_tests.c):
        // a WMM TSPEC (subtype 2), a bare OUI type 2 and OUI type 0xff.
        for v in [
            &b"\xdd\x05\x00\x50\xf2\x02\x02"[..],
            b"\xdd\x05\x00\x50\xf2\x02\xff",
            b"\xdd\x04\x00\x50\xf2\x02",
            b"\xdd\x04\x00\x50\xf2\xff",
        ] {
            let repr = parse(v).unwrap();
            assert!(
                matches!(repr, ElementRepr::Vendor { oui: WMM_OUI, .. }),
                "{repr:?}"
            );
            let mut out = Vec::new();
            repr.emit_to_vec(&mut out).unwrap();
            assert_eq!(out, v);
        }
    }

    #[test]
    fn wrong_lengths() {
        assert_eq!(
            parse(b"\xdd\x06\x00\x50\xf2\x02\x00\x01"),
            Err(Error::BadLength)
        );
        assert_eq!(
            parse(b"\xdd\x08\x00\x50\xf2\x02\x00\x01\x00\x00"),
            Err(Error::BadLength)
        );
        assert_eq!(parse(&WMM_PARAM_37C3[..25]), Err(Error::BadLength));
    }
}
