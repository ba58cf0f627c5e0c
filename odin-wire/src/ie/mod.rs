//! Information elements: the type-length-value records that fill the body
//! of beacons, probe requests and responses, association frames and some
//! action frames (IEEE 802.11-2020 9.4.2).
//!
//! Three layers:
//!
//! * [`Elements`] walks a region of elements and yields each raw [`Element`]
//!   (an id and its data), or one [`Error::Truncated`] and then nothing when
//!   an element runs past the end; [`validate`] checks a whole region that
//!   way.
//! * [`ElementRepr`] is the parsed form of one element, typed for the
//!   elements an access point reads or writes ([`Rsn`], [`HtCapabilities`],
//!   [`Wmm`], ...) and raw for the others. [`ElementRepr::emit`] writes it
//!   back: for anything [`ElementRepr::parse`] accepted, the same bytes.
//! * [`ParsedElements`] summarises a whole region, one field per known
//!   element.
//!
//! Builders for the AP side: [`RateSet`] (split into Supported and Extended
//! Supported Rates), [`VirtualBitmap`] (the TIM), [`Rsn::new`],
//! [`WmmParameter::hostapd_default`], and [`emit_all`] to write a list of
//! elements into a frame body.
//!
//! # Errors
//!
//! * [`Error::Truncated`]: an element header or data runs past the region.
//! * [`Error::BadLength`]: an element's length does not fit its layout (an
//!   SSID of 33 octets, HT Capabilities that are not 26 octets, an RSN count
//!   larger than the data), or data to emit does not fit in 255 octets.
//! * [`Error::Malformed`]: a field value the layout forbids (a rate of zero;
//!   on emit, an [`Rsn`] field present after an absent one).

mod country;
mod cursor;
mod ht;
mod rates;
mod rsn;
mod tim;
mod vht;
mod wmm;

pub use country::{Country, CountryTriplet, CountryTriplets};
pub use ht::{HtCapabilities, HtOperation, SecondaryChannelOffset, SmPowerSave};
pub use rates::{Rate, RateSet, Rates, RatesIter};
pub use rsn::{
    AkmSuite, CipherSuite, Pmkid, PmkidList, Rsn, Suite, SuiteIter, SuiteList, IEEE_OUI,
};
pub use tim::{Tim, VirtualBitmap};
pub use vht::{VhtCapabilities, VhtMcsSupport, VhtOperation};
pub use wmm::{
    Wmm, WmmAc, WmmParameter, WMM_OUI, WMM_OUI_TYPE, WMM_SUBTYPE_INFORMATION, WMM_SUBTYPE_PARAMETER,
};

use crate::{Error, Result};
use cursor::{Reader, Writer};

/// The most data one element can carry.
pub const MAX_DATA_LEN: usize = 255;
/// The longest SSID.
pub const MAX_SSID_LEN: usize = 32;

enum_with_unknown! {
    /// An element ID (IEEE 802.11-2020 Table 9-92).
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
    pub enum ElementId(u8) {
        /// SSID.
        Ssid = 0,
        /// Supported Rates and BSS Membership Selectors.
        SupportedRates = 1,
        /// DSSS Parameter Set (the current channel).
        DsParams = 3,
        /// CF Parameter Set.
        CfParams = 4,
        /// Traffic Indication Map.
        Tim = 5,
        /// IBSS Parameter Set.
        IbssParams = 6,
        /// Country.
        Country = 7,
        /// BSS Load.
        BssLoad = 11,
        /// EDCA Parameter Set.
        EdcaParams = 12,
        /// Challenge text (shared key authentication).
        ChallengeText = 16,
        /// Power Constraint.
        PowerConstraint = 32,
        /// Power Capability.
        PowerCapability = 33,
        /// TPC Request.
        TpcRequest = 34,
        /// TPC Report.
        TpcReport = 35,
        /// Supported Channels.
        SupportedChannels = 36,
        /// Channel Switch Announcement.
        ChannelSwitch = 37,
        /// Measurement Request.
        MeasurementRequest = 38,
        /// Measurement Report.
        MeasurementReport = 39,
        /// Quiet.
        Quiet = 40,
        /// ERP Information.
        ErpInfo = 42,
        /// HT Capabilities.
        HtCapabilities = 45,
        /// QoS Capability.
        QosCapability = 46,
        /// RSN.
        Rsn = 48,
        /// Extended Supported Rates and BSS Membership Selectors.
        ExtendedRates = 50,
        /// AP Channel Report.
        ApChannelReport = 51,
        /// Neighbor Report.
        NeighborReport = 52,
        /// Mobility Domain.
        MobilityDomain = 54,
        /// Fast BSS Transition.
        FastBssTransition = 55,
        /// Timeout Interval.
        TimeoutInterval = 56,
        /// Supported Operating Classes.
        SupportedOperatingClasses = 59,
        /// Extended Channel Switch Announcement.
        ExtendedChannelSwitch = 60,
        /// HT Operation.
        HtOperation = 61,
        /// Secondary Channel Offset.
        SecondaryChannelOffset = 62,
        /// RM Enabled Capabilities.
        RmEnabledCapabilities = 70,
        /// Multiple BSSID.
        MultipleBssid = 71,
        /// 20/40 BSS Coexistence.
        BssCoexistence = 72,
        /// Overlapping BSS Scan Parameters.
        OverlappingBssScanParams = 74,
        /// Interworking.
        Interworking = 107,
        /// Advertisement Protocol.
        AdvertisementProtocol = 108,
        /// Roaming Consortium.
        RoamingConsortium = 111,
        /// Mesh Configuration.
        MeshConfiguration = 113,
        /// Mesh ID.
        MeshId = 114,
        /// Extended Capabilities.
        ExtendedCapabilities = 127,
        /// VHT Capabilities.
        VhtCapabilities = 191,
        /// VHT Operation.
        VhtOperation = 192,
        /// Wide Bandwidth Channel Switch.
        WideBandwidthChannelSwitch = 194,
        /// Transmit Power Envelope.
        TransmitPowerEnvelope = 195,
        /// Channel Switch Wrapper.
        ChannelSwitchWrapper = 196,
        /// Operating Mode Notification.
        OperatingModeNotification = 199,
        /// Reduced Neighbor Report.
        ReducedNeighborReport = 201,
        /// Vendor Specific.
        Vendor = 221,
        /// Element ID Extension: the first data octet is the extension ID.
        Extension = 255,
    }
}

/// One raw element: its ID and its data (the octets after the length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Element<'a> {
    id: u8,
    data: &'a [u8],
}

impl<'a> Element<'a> {
    /// An element with the given ID and data. Nothing is checked here; an
    /// element longer than [`MAX_DATA_LEN`] cannot be emitted.
    pub const fn new(id: u8, data: &'a [u8]) -> Element<'a> {
        Element { id, data }
    }

    /// The element ID.
    pub fn id(&self) -> ElementId {
        ElementId::from(self.id)
    }

    /// The element ID octet.
    pub const fn raw_id(&self) -> u8 {
        self.id
    }

    /// The data, without the two-octet header.
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }

    /// For an [`ElementId::Extension`] element, the extension ID (first data
    /// octet).
    pub fn ext_id(&self) -> Option<u8> {
        if self.id == u8::from(ElementId::Extension) {
            self.data.first().copied()
        } else {
            None
        }
    }

    /// Length on the wire, header included.
    pub const fn buffer_len(&self) -> usize {
        2 + self.data.len()
    }

    /// Writes the element as it is ([`Error::BadLength`] for data over 255
    /// octets, [`Error::Truncated`] when `buf` is too short); returns the
    /// octets written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = u8::try_from(self.data.len()).map_err(|_| Error::BadLength)?;
        let mut w = Writer::new(buf.get_mut(..self.buffer_len()).ok_or(Error::Truncated)?);
        w.u8(self.id)?;
        w.u8(len)?;
        w.put(self.data)?;
        Ok(w.position())
    }
}

/// An iterator over the elements of a region.
///
/// Yields `Ok(element)` for each complete element; when the two-octet
/// header or the data of an element runs past the end of the region, yields
/// `Err(Error::Truncated)` once and then `None` forever, in the manner of
/// smoltcp's IPv6 option iterator. [`offset`](Elements::offset) tells where
/// it stands.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    bytes: &'a [u8],
    offset: usize,
    failed: bool,
}

impl<'a> Elements<'a> {
    /// Iterates over the elements in `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Elements<'a> {
        Elements {
            bytes,
            offset: 0,
            failed: false,
        }
    }

    /// The offset in the region of the next element to read: after the last
    /// element when iteration finished cleanly, at the start of the bad
    /// element after an error.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// True once the iterator has yielded an error.
    pub const fn failed(&self) -> bool {
        self.failed
    }

    /// The octets not read yet (from [`offset`](Self::offset) on).
    pub fn remaining(&self) -> &'a [u8] {
        self.bytes.get(self.offset..).unwrap_or(&[])
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<Element<'a>>;

    fn next(&mut self) -> Option<Result<Element<'a>>> {
        if self.failed {
            return None;
        }
        let rest = self.remaining();
        if rest.is_empty() {
            return None;
        }
        let element = (|| {
            let [id, len] = *rest.first_chunk::<2>()?;
            let data = rest.get(2..2 + usize::from(len))?;
            Some(Element { id, data })
        })();
        match element {
            Some(element) => {
                self.offset += element.buffer_len();
                Some(Ok(element))
            }
            None => {
                self.failed = true;
                Some(Err(Error::Truncated))
            }
        }
    }
}

impl core::iter::FusedIterator for Elements<'_> {}

/// Checks that `bytes` is a sequence of complete elements
/// ([`Error::Truncated`] otherwise). Only the framing is checked, not the
/// layout of each element: use [`ParsedElements::parse`] (or
/// [`ElementRepr::parse`] on each element) for that.
pub fn validate(bytes: &[u8]) -> Result<()> {
    Elements::new(bytes).try_for_each(|e| e.map(drop))
}

/// A Channel Switch Announcement (IEEE 802.11-2020 9.4.2.18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChannelSwitch {
    /// 1: stations stop transmitting until the switch; 0: no restriction.
    pub mode: u8,
    /// The channel the BSS moves to.
    pub new_channel: u8,
    /// Beacon intervals (TBTTs) until the switch; 0 = at any time now.
    pub count: u8,
}

/// An Extended Channel Switch Announcement (IEEE 802.11-2020 9.4.2.52), as
/// a stand-alone struct for [`ParsedElements`]; [`ElementRepr`] has the
/// same fields in its variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ExtendedChannelSwitch {
    /// Channel switch mode, as in [`ChannelSwitch::mode`].
    pub mode: u8,
    /// The operating class after the switch.
    pub new_operating_class: u8,
    /// The channel after the switch.
    pub new_channel: u8,
    /// TBTTs until the switch.
    pub count: u8,
}

/// A Power Capability element (IEEE 802.11-2020 9.4.2.14), as a stand-alone
/// struct for [`ParsedElements`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PowerCapability {
    /// Minimum transmit power, dBm.
    pub min_dbm: i8,
    /// Maximum transmit power, dBm.
    pub max_dbm: i8,
}

/// Bit numbers of the Extended Capabilities element (IEEE 802.11-2020
/// Table 9-153), for [`extended_capability`].
pub mod ext_cap {
    /// 20/40 BSS coexistence management support.
    pub const BSS_COEXISTENCE_MGMT: usize = 0;
    /// Extended channel switching.
    pub const EXTENDED_CHANNEL_SWITCHING: usize = 2;
    /// PSMP capability.
    pub const PSMP: usize = 4;
    /// Proxy ARP service.
    pub const PROXY_ARP: usize = 12;
    /// BSS transition (802.11v).
    pub const BSS_TRANSITION: usize = 19;
    /// Multiple BSSID.
    pub const MULTIPLE_BSSID: usize = 22;
    /// Interworking.
    pub const INTERWORKING: usize = 31;
    /// QoS Map.
    pub const QOS_MAP: usize = 32;
    /// TDLS support.
    pub const TDLS_SUPPORT: usize = 37;
    /// Operating mode notification.
    pub const OPERATING_MODE_NOTIFICATION: usize = 62;
    /// FTM responder.
    pub const FTM_RESPONDER: usize = 70;
    /// FTM initiator.
    pub const FTM_INITIATOR: usize = 71;
    /// TWT requester support.
    pub const TWT_REQUESTER: usize = 77;
    /// TWT responder support.
    pub const TWT_RESPONDER: usize = 78;
}

/// Tests bit `bit` (numbered from bit 0 of the first octet) of the data of
/// an Extended Capabilities element; bits past the end read as 0.
pub fn extended_capability(caps: &[u8], bit: usize) -> bool {
    caps.get(bit / 8)
        .is_some_and(|octet| octet & (1 << (bit % 8)) != 0)
}

/// One parsed element.
///
/// [`parse`](ElementRepr::parse) types the elements listed here and checks
/// their layout; any other ID is [`Unknown`](ElementRepr::Unknown) and
/// carried as it is. [`emit`](ElementRepr::emit) of a parsed value gives
/// back the original octets.
///
/// A value built by hand can hold what the wire cannot: `emit` refuses it
/// with the error `parse` would give (an SSID over 32 octets is
/// [`Error::BadLength`], ...). `Unknown` with the ID of a typed element, or
/// `Vendor` holding a WMM Information or Parameter element, emit fine but
/// parse back as the typed variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementRepr<'a> {
    /// SSID: 0 to 32 octets, not necessarily UTF-8; empty is the wildcard.
    Ssid(&'a [u8]),
    /// Supported Rates (at most 8 by the standard; more are accepted).
    SupportedRates(Rates<'a>),
    /// Extended Supported Rates.
    ExtendedRates(Rates<'a>),
    /// DSSS Parameter Set: 1 octet.
    DsParams {
        /// The current channel.
        channel: u8,
    },
    /// Traffic Indication Map.
    Tim(Tim<'a>),
    /// Country.
    Country(Country<'a>),
    /// Power Capability: 2 octets.
    PowerCapability {
        /// Minimum transmit power, dBm.
        min_dbm: i8,
        /// Maximum transmit power, dBm.
        max_dbm: i8,
    },
    /// Channel Switch Announcement: 3 octets.
    ChannelSwitch(ChannelSwitch),
    /// Extended Channel Switch Announcement: 4 octets.
    ExtendedChannelSwitch {
        /// Channel switch mode.
        mode: u8,
        /// The operating class after the switch.
        new_operating_class: u8,
        /// The channel after the switch.
        new_channel: u8,
        /// TBTTs until the switch.
        count: u8,
    },
    /// HT Capabilities: 26 octets.
    HtCapabilities(HtCapabilities),
    /// HT Operation: 22 octets.
    HtOperation(HtOperation),
    /// VHT Capabilities: 12 octets.
    VhtCapabilities(VhtCapabilities),
    /// VHT Operation: 5 octets.
    VhtOperation(VhtOperation),
    /// RSN.
    Rsn(Rsn<'a>),
    /// Extended Capabilities: a bit field of any length; see
    /// [`extended_capability`] and [`ext_cap`].
    ExtendedCapabilities(&'a [u8]),
    /// A WMM Information or Parameter element (vendor OUI 00:50:f2, type 2,
    /// subtype 0 or 1).
    Wmm(Wmm),
    /// Any other vendor-specific element: at least the 3-octet OUI.
    Vendor {
        /// The OUI.
        oui: [u8; 3],
        /// The data after the OUI.
        data: &'a [u8],
    },
    /// An Element ID Extension element: at least the extension ID.
    Extension {
        /// The extension ID.
        ext_id: u8,
        /// The data after the extension ID.
        data: &'a [u8],
    },
    /// Any element not typed above.
    Unknown {
        /// The element ID.
        id: u8,
        /// The data.
        data: &'a [u8],
    },
}

fn exact<const N: usize>(data: &[u8]) -> Result<[u8; N]> {
    data.try_into().map_err(|_| Error::BadLength)
}

impl<'a> ElementRepr<'a> {
    /// Parses one element, checking its layout.
    pub fn parse(element: Element<'a>) -> Result<ElementRepr<'a>> {
        let data = element.data;
        Ok(match element.id() {
            ElementId::Ssid => {
                if data.len() > MAX_SSID_LEN {
                    return Err(Error::BadLength);
                }
                ElementRepr::Ssid(data)
            }
            ElementId::SupportedRates => ElementRepr::SupportedRates(Rates::new(data)?),
            ElementId::ExtendedRates => ElementRepr::ExtendedRates(Rates::new(data)?),
            ElementId::DsParams => {
                let [channel] = exact(data)?;
                ElementRepr::DsParams { channel }
            }
            ElementId::Tim => ElementRepr::Tim(Tim::parse(data)?),
            ElementId::Country => ElementRepr::Country(Country::parse(data)?),
            ElementId::PowerCapability => {
                let [min, max] = exact(data)?;
                ElementRepr::PowerCapability {
                    min_dbm: i8::from_le_bytes([min]),
                    max_dbm: i8::from_le_bytes([max]),
                }
            }
            ElementId::ChannelSwitch => {
                let [mode, new_channel, count] = exact(data)?;
                ElementRepr::ChannelSwitch(ChannelSwitch {
                    mode,
                    new_channel,
                    count,
                })
            }
            ElementId::ExtendedChannelSwitch => {
                let [mode, new_operating_class, new_channel, count] = exact(data)?;
                ElementRepr::ExtendedChannelSwitch {
                    mode,
                    new_operating_class,
                    new_channel,
                    count,
                }
            }
            ElementId::HtCapabilities => ElementRepr::HtCapabilities(HtCapabilities::parse(data)?),
            ElementId::HtOperation => ElementRepr::HtOperation(HtOperation::parse(data)?),
            ElementId::VhtCapabilities => {
                ElementRepr::VhtCapabilities(VhtCapabilities::parse(data)?)
            }
            ElementId::VhtOperation => ElementRepr::VhtOperation(VhtOperation::parse(data)?),
            ElementId::Rsn => ElementRepr::Rsn(Rsn::parse(data)?),
            ElementId::ExtendedCapabilities => ElementRepr::ExtendedCapabilities(data),
            ElementId::Vendor => {
                let mut r = Reader::new(data);
                let oui = r.array()?;
                let data = r.take_rest();
                match oui {
                    WMM_OUI => match Wmm::parse_vendor(data) {
                        Some(wmm) => ElementRepr::Wmm(wmm?),
                        None => ElementRepr::Vendor { oui, data },
                    },
                    _ => ElementRepr::Vendor { oui, data },
                }
            }
            ElementId::Extension => {
                let (&ext_id, data) = data.split_first().ok_or(Error::BadLength)?;
                ElementRepr::Extension { ext_id, data }
            }
            _ => ElementRepr::Unknown {
                id: element.id,
                data,
            },
        })
    }

    /// The element ID this value is emitted with.
    pub fn id(&self) -> ElementId {
        match self {
            ElementRepr::Ssid(_) => ElementId::Ssid,
            ElementRepr::SupportedRates(_) => ElementId::SupportedRates,
            ElementRepr::ExtendedRates(_) => ElementId::ExtendedRates,
            ElementRepr::DsParams { .. } => ElementId::DsParams,
            ElementRepr::Tim(_) => ElementId::Tim,
            ElementRepr::Country(_) => ElementId::Country,
            ElementRepr::PowerCapability { .. } => ElementId::PowerCapability,
            ElementRepr::ChannelSwitch(_) => ElementId::ChannelSwitch,
            ElementRepr::ExtendedChannelSwitch { .. } => ElementId::ExtendedChannelSwitch,
            ElementRepr::HtCapabilities(_) => ElementId::HtCapabilities,
            ElementRepr::HtOperation(_) => ElementId::HtOperation,
            ElementRepr::VhtCapabilities(_) => ElementId::VhtCapabilities,
            ElementRepr::VhtOperation(_) => ElementId::VhtOperation,
            ElementRepr::Rsn(_) => ElementId::Rsn,
            ElementRepr::ExtendedCapabilities(_) => ElementId::ExtendedCapabilities,
            ElementRepr::Wmm(_) | ElementRepr::Vendor { .. } => ElementId::Vendor,
            ElementRepr::Extension { .. } => ElementId::Extension,
            ElementRepr::Unknown { id, .. } => ElementId::from(*id),
        }
    }

    /// Length of the data (what the length octet says), header excluded.
    pub fn data_len(&self) -> usize {
        match self {
            ElementRepr::Ssid(d)
            | ElementRepr::ExtendedCapabilities(d)
            | ElementRepr::Unknown { data: d, .. } => d.len(),
            ElementRepr::SupportedRates(r) | ElementRepr::ExtendedRates(r) => r.len(),
            ElementRepr::DsParams { .. } => 1,
            ElementRepr::Tim(t) => t.data_len(),
            ElementRepr::Country(c) => c.data_len(),
            ElementRepr::PowerCapability { .. } => 2,
            ElementRepr::ChannelSwitch(_) => 3,
            ElementRepr::ExtendedChannelSwitch { .. } => 4,
            ElementRepr::HtCapabilities(_) => HtCapabilities::LEN,
            ElementRepr::HtOperation(_) => HtOperation::LEN,
            ElementRepr::VhtCapabilities(_) => VhtCapabilities::LEN,
            ElementRepr::VhtOperation(_) => VhtOperation::LEN,
            ElementRepr::Rsn(r) => r.data_len(),
            ElementRepr::Wmm(w) => w.data_len(),
            ElementRepr::Vendor { data, .. } => 3 + data.len(),
            ElementRepr::Extension { data, .. } => 1 + data.len(),
        }
    }

    /// Length on the wire, the two-octet header included. (For a value
    /// [`emit`](Self::emit) refuses, the length it would have.)
    pub fn buffer_len(&self) -> usize {
        2 + self.data_len()
    }

    /// Checks what the wire format cannot carry, with the error `parse`
    /// would give.
    fn check(&self) -> Result<()> {
        match self {
            ElementRepr::Ssid(s) if s.len() > MAX_SSID_LEN => Err(Error::BadLength),
            ElementRepr::SupportedRates(r) | ElementRepr::ExtendedRates(r) if r.is_empty() => {
                Err(Error::BadLength)
            }
            ElementRepr::Tim(t) => t.check(),
            ElementRepr::Country(c) => c.check(),
            ElementRepr::Rsn(r) => r.check(),
            _ => Ok(()),
        }?;
        if self.data_len() > MAX_DATA_LEN {
            return Err(Error::BadLength);
        }
        Ok(())
    }

    /// Writes the element (header included) at the start of `buf` and
    /// returns the octets written, [`buffer_len`](Self::buffer_len).
    ///
    /// [`Error::BadLength`] or [`Error::Malformed`] when the value cannot be
    /// put on the wire (data over 255 octets, an SSID over 32, an empty rate
    /// list, an RSN with a gap); [`Error::Truncated`] when `buf` is too
    /// short. On error `buf` may have been partly written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        self.check()?;
        let len = u8::try_from(self.data_len()).map_err(|_| Error::BadLength)?;
        let total = self.buffer_len();
        let mut w = Writer::new(buf.get_mut(..total).ok_or(Error::Truncated)?);
        w.u8(self.id().into())?;
        w.u8(len)?;
        match self {
            ElementRepr::Ssid(d)
            | ElementRepr::ExtendedCapabilities(d)
            | ElementRepr::Unknown { data: d, .. } => w.put(d)?,
            ElementRepr::SupportedRates(r) | ElementRepr::ExtendedRates(r) => {
                w.put(r.as_bytes())?
            }
            ElementRepr::DsParams { channel } => w.u8(*channel)?,
            ElementRepr::Tim(t) => t.emit(&mut w)?,
            ElementRepr::Country(c) => c.emit(&mut w)?,
            ElementRepr::PowerCapability { min_dbm, max_dbm } => {
                w.put(&min_dbm.to_le_bytes())?;
                w.put(&max_dbm.to_le_bytes())?;
            }
            ElementRepr::ChannelSwitch(c) => w.put(&[c.mode, c.new_channel, c.count])?,
            ElementRepr::ExtendedChannelSwitch {
                mode,
                new_operating_class,
                new_channel,
                count,
            } => w.put(&[*mode, *new_operating_class, *new_channel, *count])?,
            ElementRepr::HtCapabilities(h) => h.emit(&mut w)?,
            ElementRepr::HtOperation(h) => h.emit(&mut w)?,
            ElementRepr::VhtCapabilities(v) => v.emit(&mut w)?,
            ElementRepr::VhtOperation(v) => v.emit(&mut w)?,
            ElementRepr::Rsn(r) => r.emit(&mut w)?,
            ElementRepr::Wmm(wmm) => wmm.emit(&mut w)?,
            ElementRepr::Vendor { oui, data } => {
                w.put(oui)?;
                w.put(data)?;
            }
            ElementRepr::Extension { ext_id, data } => {
                w.u8(*ext_id)?;
                w.put(data)?;
            }
        }
        debug_assert_eq!(w.position(), total);
        Ok(total)
    }

    /// Appends the element to `out`. On error `out` is left as it was.
    pub fn emit_to_vec(&self, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.resize(start + self.buffer_len(), 0);
        let result = out
            .get_mut(start..)
            .ok_or(Error::Truncated)
            .and_then(|tail| self.emit(tail));
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }
}

/// Total length of `elements` on the wire.
pub fn buffer_len_all(elements: &[ElementRepr<'_>]) -> usize {
    elements.iter().map(ElementRepr::buffer_len).sum()
}

/// Writes `elements` one after the other at the start of `buf`; returns the
/// octets written ([`buffer_len_all`]). Stops at the first error (see
/// [`ElementRepr::emit`]), leaving `buf` partly written.
pub fn emit_all(elements: &[ElementRepr<'_>], buf: &mut [u8]) -> Result<usize> {
    let mut offset = 0;
    for element in elements {
        let tail = buf.get_mut(offset..).ok_or(Error::Truncated)?;
        offset += element.emit(tail)?;
    }
    Ok(offset)
}

/// A summary of an element region: one field per element an access point
/// acts on.
///
/// # Duplicates and unknown elements
///
/// The **first** occurrence of an element fills its field, as Linux
/// mac80211 does. Later occurrences are still parsed and checked (a
/// malformed duplicate fails the parse) but otherwise ignored. Vendor
/// elements other than WMM, extension elements and unknown IDs are checked
/// for their minimal layout and skipped; they stay in
/// [`region`](Self::region) for [`elements`](Self::elements),
/// [`find`](Self::find) and [`vendor`](Self::vendor).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParsedElements<'a> {
    /// The whole region parsed.
    pub region: &'a [u8],
    /// SSID.
    pub ssid: Option<&'a [u8]>,
    /// Supported Rates.
    pub supported_rates: Option<Rates<'a>>,
    /// Extended Supported Rates.
    pub extended_rates: Option<Rates<'a>>,
    /// The channel of the DSSS Parameter Set.
    pub ds_channel: Option<u8>,
    /// TIM.
    pub tim: Option<Tim<'a>>,
    /// Country.
    pub country: Option<Country<'a>>,
    /// Power Capability.
    pub power_capability: Option<PowerCapability>,
    /// Channel Switch Announcement.
    pub channel_switch: Option<ChannelSwitch>,
    /// Extended Channel Switch Announcement.
    pub extended_channel_switch: Option<ExtendedChannelSwitch>,
    /// HT Capabilities.
    pub ht_capabilities: Option<HtCapabilities>,
    /// HT Operation.
    pub ht_operation: Option<HtOperation>,
    /// VHT Capabilities.
    pub vht_capabilities: Option<VhtCapabilities>,
    /// VHT Operation.
    pub vht_operation: Option<VhtOperation>,
    /// RSN.
    pub rsn: Option<Rsn<'a>>,
    /// Extended Capabilities data.
    pub extended_capabilities: Option<&'a [u8]>,
    /// WMM Information or Parameter element.
    pub wmm: Option<Wmm>,
}

impl<'a> ParsedElements<'a> {
    /// Parses every element of `bytes` with [`ElementRepr::parse`] and
    /// fills in the fields; the first error (framing or layout) is returned.
    pub fn parse(bytes: &'a [u8]) -> Result<ParsedElements<'a>> {
        let mut p = ParsedElements {
            region: bytes,
            ..ParsedElements::default()
        };
        for element in Elements::new(bytes) {
            match ElementRepr::parse(element?)? {
                ElementRepr::Ssid(s) => {
                    p.ssid.get_or_insert(s);
                }
                ElementRepr::SupportedRates(r) => {
                    p.supported_rates.get_or_insert(r);
                }
                ElementRepr::ExtendedRates(r) => {
                    p.extended_rates.get_or_insert(r);
                }
                ElementRepr::DsParams { channel } => {
                    p.ds_channel.get_or_insert(channel);
                }
                ElementRepr::Tim(t) => {
                    p.tim.get_or_insert(t);
                }
                ElementRepr::Country(c) => {
                    p.country.get_or_insert(c);
                }
                ElementRepr::PowerCapability { min_dbm, max_dbm } => {
                    p.power_capability
                        .get_or_insert(PowerCapability { min_dbm, max_dbm });
                }
                ElementRepr::ChannelSwitch(c) => {
                    p.channel_switch.get_or_insert(c);
                }
                ElementRepr::ExtendedChannelSwitch {
                    mode,
                    new_operating_class,
                    new_channel,
                    count,
                } => {
                    p.extended_channel_switch
                        .get_or_insert(ExtendedChannelSwitch {
                            mode,
                            new_operating_class,
                            new_channel,
                            count,
                        });
                }
                ElementRepr::HtCapabilities(h) => {
                    p.ht_capabilities.get_or_insert(h);
                }
                ElementRepr::HtOperation(h) => {
                    p.ht_operation.get_or_insert(h);
                }
                ElementRepr::VhtCapabilities(v) => {
                    p.vht_capabilities.get_or_insert(v);
                }
                ElementRepr::VhtOperation(v) => {
                    p.vht_operation.get_or_insert(v);
                }
                ElementRepr::Rsn(r) => {
                    p.rsn.get_or_insert(r);
                }
                ElementRepr::ExtendedCapabilities(e) => {
                    p.extended_capabilities.get_or_insert(e);
                }
                ElementRepr::Wmm(w) => {
                    p.wmm.get_or_insert(w);
                }
                ElementRepr::Vendor { .. }
                | ElementRepr::Extension { .. }
                | ElementRepr::Unknown { .. } => {}
            }
        }
        Ok(p)
    }

    /// Every element of the region, raw.
    pub fn elements(&self) -> Elements<'a> {
        Elements::new(self.region)
    }

    /// The first element with ID `id`, raw.
    pub fn find(&self, id: ElementId) -> Option<Element<'a>> {
        self.elements()
            .filter_map(Result::ok)
            .find(|e| e.id() == id)
    }

    /// The data (after the OUI) of each vendor element with OUI `oui`, WMM
    /// included.
    pub fn vendor(&self, oui: [u8; 3]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.elements().filter_map(Result::ok).filter_map(move |e| {
            let (head, rest) = e.data().split_first_chunk::<3>()?;
            (e.id() == ElementId::Vendor && *head == oui).then_some(rest)
        })
    }

    /// The rates of Supported Rates followed by Extended Supported Rates.
    pub fn rate_set(&self) -> RateSet {
        RateSet::from_elements(self.supported_rates, self.extended_rates)
    }

    /// True when the extended capability bit `bit` is set (see
    /// [`ext_cap`]); false when the element is absent.
    pub fn extended_capability(&self, bit: usize) -> bool {
        self.extended_capabilities
            .is_some_and(|caps| extended_capability(caps, bit))
    }
}

#[cfg(test)]
mod tests;
