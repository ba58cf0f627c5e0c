//! Supported Rates and BSS Membership Selectors (IEEE 802.11-2020 9.4.2.3),
//! Extended Supported Rates (9.4.2.13), and an owned [`RateSet`] for
//! building them.

use super::ElementRepr;
use crate::{Error, Result};

/// One octet of a Supported Rates or Extended Supported Rates element.
///
/// The low seven bits are a rate in units of 500 kb/s (or, with the basic
/// bit set and a value from 121 to 127, a BSS membership selector); the top
/// bit marks a basic rate, one every station in the BSS must support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rate {
    /// The rate in units of 500 kb/s (1..=127).
    pub units_500k: u8,
    /// Whether the rate belongs to the BSS basic rate set.
    pub basic: bool,
}

impl Rate {
    /// The basic-rate bit of a rate octet.
    pub const BASIC: u8 = 0x80;
    /// Membership selector: HT PHY (802.11n) required.
    pub const SELECTOR_HT_PHY: u8 = 127;
    /// Membership selector: VHT PHY (802.11ac) required.
    pub const SELECTOR_VHT_PHY: u8 = 126;
    /// Membership selector: GLK required.
    pub const SELECTOR_GLK: u8 = 125;
    /// Membership selector: EPD required.
    pub const SELECTOR_EPD: u8 = 124;
    /// Membership selector: SAE hash-to-element only.
    pub const SELECTOR_SAE_H2E_ONLY: u8 = 123;
    /// Membership selector: HE PHY (802.11ax) required.
    pub const SELECTOR_HE_PHY: u8 = 122;
    /// Membership selector: EHT PHY (802.11be) required.
    pub const SELECTOR_EHT_PHY: u8 = 121;

    /// A rate of `units_500k` × 500 kb/s (the top bit of `units_500k` is
    /// ignored).
    pub const fn new(units_500k: u8, basic: bool) -> Rate {
        Rate {
            units_500k: units_500k & 0x7f,
            basic,
        }
    }

    /// Reads a rate octet.
    pub const fn from_byte(byte: u8) -> Rate {
        Rate {
            units_500k: byte & 0x7f,
            basic: byte & Self::BASIC != 0,
        }
    }

    /// The rate octet as sent on the wire.
    pub const fn to_byte(self) -> u8 {
        (self.units_500k & 0x7f) | if self.basic { Self::BASIC } else { 0 }
    }

    /// The rate in kb/s (`units_500k * 500`). Meaningless for a membership
    /// selector; see [`is_selector`](Self::is_selector).
    pub const fn kbps(self) -> u32 {
        (self.units_500k & 0x7f) as u32 * 500
    }

    /// True for a BSS membership selector (basic bit set, value 121..=127)
    /// rather than a data rate. No data rate of any PHY falls in that range.
    pub const fn is_selector(self) -> bool {
        self.basic && (self.units_500k & 0x7f) >= Self::SELECTOR_EHT_PHY
    }
}

/// The body of a Supported Rates or Extended Supported Rates element: a
/// borrowed, non-empty list of rate octets with no zero rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rates<'a> {
    bytes: &'a [u8],
}

impl<'a> Rates<'a> {
    /// Wraps rate octets, checking them: 1 to 255 octets
    /// ([`Error::BadLength`] otherwise), none with a rate of zero
    /// ([`Error::Malformed`]).
    pub fn new(bytes: &'a [u8]) -> Result<Rates<'a>> {
        if bytes.is_empty() || bytes.len() > super::MAX_DATA_LEN {
            return Err(Error::BadLength);
        }
        if bytes.iter().any(|b| b & 0x7f == 0) {
            return Err(Error::Malformed);
        }
        Ok(Rates { bytes })
    }

    /// The rate octets as on the wire.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Number of rates (and selectors).
    pub const fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false for a value made by [`Rates::new`]; here for symmetry
    /// with [`len`](Self::len).
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The rates, in wire order.
    pub fn iter(&self) -> RatesIter<'a> {
        RatesIter {
            bytes: self.bytes.iter(),
        }
    }

    /// True when a rate of `units_500k` is listed (basic or not).
    pub fn contains(&self, units_500k: u8) -> bool {
        self.iter().any(|r| r.units_500k == units_500k)
    }
}

impl<'a> IntoIterator for Rates<'a> {
    type Item = Rate;
    type IntoIter = RatesIter<'a>;
    fn into_iter(self) -> RatesIter<'a> {
        self.iter()
    }
}

/// Iterator over the [`Rate`]s of a [`Rates`] or a [`RateSet`].
#[derive(Debug, Clone)]
pub struct RatesIter<'a> {
    bytes: core::slice::Iter<'a, u8>,
}

impl Iterator for RatesIter<'_> {
    type Item = Rate;
    fn next(&mut self) -> Option<Rate> {
        self.bytes.next().map(|&b| Rate::from_byte(b))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.bytes.size_hint()
    }
}

impl ExactSizeIterator for RatesIter<'_> {}

/// An owned rate set: what a station or an AP supports, gathered from (or
/// split into) a Supported Rates element holding the first
/// [`RateSet::SUPPORTED_MAX`] rates and an Extended Supported Rates element
/// holding the rest.
///
/// Rates are kept as wire octets (units of 500 kb/s, `0x80` for basic), in
/// insertion order, duplicates and membership selectors included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RateSet {
    rates: Vec<u8>,
}

impl RateSet {
    /// Rates that go in the Supported Rates element; the rest go in
    /// Extended Supported Rates.
    pub const SUPPORTED_MAX: usize = 8;
    /// The most rates two elements can carry (8 + 255).
    pub const CAPACITY: usize = Self::SUPPORTED_MAX + super::MAX_DATA_LEN;

    /// An empty set.
    pub const fn new() -> RateSet {
        RateSet { rates: Vec::new() }
    }

    /// Reads wire octets (`0x80` = basic): [`Error::Malformed`] for a rate of
    /// zero, [`Error::BadLength`] for more than [`CAPACITY`](Self::CAPACITY).
    pub fn from_bytes(bytes: &[u8]) -> Result<RateSet> {
        let mut set = RateSet::new();
        for &b in bytes {
            if b & 0x7f == 0 {
                return Err(Error::Malformed);
            }
            set.push(Rate::from_byte(b))?;
        }
        Ok(set)
    }

    /// The rates of a Supported Rates element followed by those of an
    /// Extended Supported Rates element, as a peer advertised them. Rates
    /// past [`CAPACITY`](Self::CAPACITY) are dropped.
    pub fn from_elements(supported: Option<Rates<'_>>, extended: Option<Rates<'_>>) -> RateSet {
        let rates = supported
            .iter()
            .chain(extended.iter())
            .flat_map(|r| r.as_bytes().iter().copied())
            .take(Self::CAPACITY)
            .collect();
        RateSet { rates }
    }

    /// Appends a rate: [`Error::Malformed`] for a rate of zero,
    /// [`Error::BadLength`] when the set is full.
    pub fn push(&mut self, rate: Rate) -> Result<()> {
        if rate.units_500k & 0x7f == 0 {
            return Err(Error::Malformed);
        }
        if self.rates.len() >= Self::CAPACITY {
            return Err(Error::BadLength);
        }
        self.rates.push(rate.to_byte());
        Ok(())
    }

    /// Number of rates.
    pub fn len(&self) -> usize {
        self.rates.len()
    }

    /// True when there are no rates.
    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    /// The wire octets, in order.
    pub fn as_bytes(&self) -> &[u8] {
        &self.rates
    }

    /// The rates, in order.
    pub fn iter(&self) -> RatesIter<'_> {
        RatesIter {
            bytes: self.rates.iter(),
        }
    }

    /// The basic rates (membership selectors excluded).
    pub fn basic(&self) -> impl Iterator<Item = Rate> + '_ {
        self.iter().filter(|r| r.basic && !r.is_selector())
    }

    /// True when a rate of `units_500k` is in the set (basic or not;
    /// selectors count only if they are the thing asked for).
    pub fn contains(&self, units_500k: u8) -> bool {
        self.iter().any(|r| r.units_500k == units_500k)
    }

    /// The highest data rate (selectors excluded).
    pub fn max_rate(&self) -> Option<Rate> {
        self.iter()
            .filter(|r| !r.is_selector())
            .max_by_key(|r| r.units_500k)
    }

    /// The rates of `self` that `other` also lists (compared by value, the
    /// basic bit ignored), in `self`'s order and with `self`'s basic flags:
    /// what an AP can use with a client, keeping the AP's basic set.
    /// Membership selectors of `self` are kept only if `other` lists them.
    pub fn intersect(&self, other: &RateSet) -> RateSet {
        let rates = self
            .iter()
            .filter(|r| other.contains(r.units_500k))
            .map(Rate::to_byte)
            .collect();
        RateSet { rates }
    }

    /// True when `client` lists every basic rate of `self` (compared by
    /// value). Membership selectors are not rates and are skipped: whether a
    /// client supports HT, VHT or SAE-H2E is told by other elements.
    pub fn contains_all_basic(&self, client: &RateSet) -> bool {
        self.basic().all(|r| client.contains(r.units_500k))
    }

    /// The Supported Rates element: the first
    /// [`SUPPORTED_MAX`](Self::SUPPORTED_MAX) rates, or `None` for an empty
    /// set.
    pub fn supported_element(&self) -> Option<ElementRepr<'_>> {
        let head = self.rates.get(..Self::SUPPORTED_MAX).unwrap_or(&self.rates);
        Rates::new(head).ok().map(ElementRepr::SupportedRates)
    }

    /// The Extended Supported Rates element: the rates after the first
    /// [`SUPPORTED_MAX`](Self::SUPPORTED_MAX), or `None` when there are none.
    pub fn extended_element(&self) -> Option<ElementRepr<'_>> {
        let tail = self.rates.get(Self::SUPPORTED_MAX..)?;
        Rates::new(tail).ok().map(ElementRepr::ExtendedRates)
    }
}

impl<'a> IntoIterator for &'a RateSet {
    type Item = Rate;
    type IntoIter = RatesIter<'a>;
    fn into_iter(self) -> RatesIter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ie::{Element, ElementRepr};

    // From a real association response (bins/frames/assoc.bin in the
    // ieee80211-rs crate, github.com/Frostie314159/ieee80211-rs): an 802.11g
    // AP with 1, 2, 5.5 and 11 Mb/s basic.
    const ASSOC_RESP_SUPPORTED: [u8; 10] =
        [0x01, 0x08, 0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24];
    const ASSOC_RESP_EXTENDED: [u8; 6] = [0x32, 0x04, 0x30, 0x48, 0x60, 0x6c];

    // From a real 37C3 beacon (bins/frames/beacon.bin in ieee80211-rs): a
    // 5 GHz AP with 6, 12 and 24 Mb/s basic.
    const BEACON_37C3_SUPPORTED: [u8; 8] = [0x01, 0x06, 0x98, 0x24, 0xb0, 0x48, 0x60, 0x6c];

    fn parse(bytes: &[u8]) -> ElementRepr<'_> {
        let (&id, rest) = bytes.split_first().unwrap();
        ElementRepr::parse(Element::new(id, &rest[1..])).unwrap()
    }

    #[test]
    fn deconstruct_supported_rates() {
        let ElementRepr::SupportedRates(rates) = parse(&ASSOC_RESP_SUPPORTED) else {
            panic!("not supported rates");
        };
        let kbps: Vec<(u32, bool)> = rates.iter().map(|r| (r.kbps(), r.basic)).collect();
        assert_eq!(
            kbps,
            [
                (1000, true),
                (2000, true),
                (5500, true),
                (11000, true),
                (6000, false),
                (9000, false),
                (12000, false),
                (18000, false)
            ]
        );
        assert!(rates.contains(22) && !rates.contains(108));
    }

    #[test]
    fn construct_and_emit_round_trip() {
        for vector in [
            &ASSOC_RESP_SUPPORTED[..],
            &ASSOC_RESP_EXTENDED,
            &BEACON_37C3_SUPPORTED,
        ] {
            let repr = parse(vector);
            assert_eq!(repr.buffer_len(), vector.len());
            let mut buf = vec![0; vector.len()];
            assert_eq!(repr.emit(&mut buf), Ok(vector.len()));
            assert_eq!(buf, vector);
        }
        let rates = Rates::new(&[0x98, 0x24, 0xb0, 0x48, 0x60, 0x6c]).unwrap();
        assert_eq!(
            parse(&BEACON_37C3_SUPPORTED),
            ElementRepr::SupportedRates(rates)
        );
    }

    #[test]
    fn bad_rates() {
        assert_eq!(Rates::new(&[]), Err(Error::BadLength));
        assert_eq!(Rates::new(&[0x82, 0x80]), Err(Error::Malformed));
        assert_eq!(Rates::new(&[0x02, 0x00]), Err(Error::Malformed));
        assert_eq!(Rates::new(&[0x02; 256]), Err(Error::BadLength));
        assert_eq!(
            ElementRepr::parse(Element::new(1, &[])),
            Err(Error::BadLength)
        );
        assert_eq!(
            ElementRepr::parse(Element::new(50, &[])),
            Err(Error::BadLength)
        );
        assert_eq!(
            ElementRepr::parse(Element::new(50, &[0x80])),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn selectors() {
        // hostapd advertises the HT PHY membership selector as 0xff when
        // require_ht=1 (IEEE 802.11-2020 Table 9-78).
        let ht = Rate::from_byte(0xff);
        assert!(ht.is_selector());
        assert_eq!(ht.units_500k, Rate::SELECTOR_HT_PHY);
        assert!(!Rate::from_byte(0x7f).is_selector());
        assert!(!Rate::from_byte(0xec).is_selector()); // 0x6c | 0x80: 54 Mb/s basic
        assert_eq!(Rate::new(0x96, true).to_byte(), 0x96);
    }

    #[test]
    fn rate_set_split_and_merge() {
        let ElementRepr::SupportedRates(s) = parse(&ASSOC_RESP_SUPPORTED) else {
            panic!()
        };
        let ElementRepr::ExtendedRates(e) = parse(&ASSOC_RESP_EXTENDED) else {
            panic!()
        };
        let set = RateSet::from_elements(Some(s), Some(e));
        assert_eq!(set.len(), 12);
        assert_eq!(set.max_rate(), Some(Rate::new(108, false)));
        let mut out = Vec::new();
        set.supported_element()
            .unwrap()
            .emit_to_vec(&mut out)
            .unwrap();
        set.extended_element()
            .unwrap()
            .emit_to_vec(&mut out)
            .unwrap();
        assert_eq!(
            out,
            [&ASSOC_RESP_SUPPORTED[..], &ASSOC_RESP_EXTENDED].concat()
        );

        let small = RateSet::from_bytes(&[0x82, 0x84]).unwrap();
        assert!(small.supported_element().is_some());
        assert!(small.extended_element().is_none());
        assert!(RateSet::new().supported_element().is_none());
        assert_eq!(RateSet::from_elements(None, None), RateSet::new());
        assert_eq!(RateSet::from_bytes(&[0x82, 0x00]), Err(Error::Malformed));
        assert_eq!(RateSet::from_bytes(&[0x02; 264]), Err(Error::BadLength));
        assert_eq!(RateSet::from_bytes(&[0x02; 263]).unwrap().len(), 263);
        assert_eq!(
            RateSet::new().push(Rate::new(0, true)),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn rate_set_intersect_and_basic() {
        // AP: 802.11g with b rates basic. Client: 802.11b only.
        let ap = RateSet::from_bytes(&[0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24]).unwrap();
        let b_client = RateSet::from_bytes(&[0x02, 0x04, 0x0b, 0x16]).unwrap();
        let common = ap.intersect(&b_client);
        assert_eq!(common.as_bytes(), &[0x82, 0x84, 0x8b, 0x96]);
        assert!(ap.contains_all_basic(&b_client));

        // A client missing 11 Mb/s fails the basic-rate check.
        let weak = RateSet::from_bytes(&[0x02, 0x04, 0x0b]).unwrap();
        assert!(!ap.contains_all_basic(&weak));

        // Selectors are skipped by the basic check.
        let ht_only = RateSet::from_bytes(&[0x8c, 0x18, 0xff]).unwrap();
        let client = RateSet::from_bytes(&[0x0c, 0x18]).unwrap();
        assert!(ht_only.contains_all_basic(&client));
        assert_eq!(ht_only.basic().count(), 1);
        assert_eq!(ht_only.intersect(&client).as_bytes(), &[0x8c, 0x18]);
        assert_eq!(ht_only.max_rate(), Some(Rate::new(0x18, false)));
        assert_eq!((&ht_only).into_iter().count(), 3);
    }

    #[test]
    fn rate_set_extended_overflow_is_refused_by_emit_not_split() {
        let set = RateSet::from_bytes(&[0x02; 263]).unwrap();
        let ext = set.extended_element().unwrap();
        assert_eq!(ext.buffer_len(), 257);
        assert!(ext.emit(&mut [0u8; 257]).is_ok());
    }
}
