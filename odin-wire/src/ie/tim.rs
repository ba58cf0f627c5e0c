//! The Traffic Indication Map element (IEEE 802.11-2020 9.4.2.5) and an
//! owned [`VirtualBitmap`] an AP fills in to build it.

use super::cursor::{Reader, Writer};
use crate::{Error, Result};

/// A TIM element: DTIM count and period, bitmap control and the partial
/// virtual bitmap (1 to 251 octets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tim<'a> {
    /// Beacons (including this one) before the next DTIM; 0 means this
    /// beacon is a DTIM.
    pub dtim_count: u8,
    /// Beacon intervals between DTIMs.
    pub dtim_period: u8,
    /// Bit 0: group-addressed traffic buffered (AID 0); bits 1-7: the
    /// bitmap offset, in units of two octets.
    pub bitmap_control: u8,
    /// Octets N1..=N2 of the 251-octet traffic indication virtual bitmap.
    pub partial_virtual_bitmap: &'a [u8],
}

impl<'a> Tim<'a> {
    /// Largest partial virtual bitmap: 2008 AIDs, 251 octets.
    pub const MAX_BITMAP_LEN: usize = VirtualBitmap::LEN;

    pub(crate) fn parse(data: &'a [u8]) -> Result<Tim<'a>> {
        if data.len() < 4 || data.len() > 3 + Self::MAX_BITMAP_LEN {
            return Err(Error::BadLength);
        }
        let mut r = Reader::new(data);
        Ok(Tim {
            dtim_count: r.u8()?,
            dtim_period: r.u8()?,
            bitmap_control: r.u8()?,
            partial_virtual_bitmap: r.take_rest(),
        })
    }

    pub(crate) fn check(&self) -> Result<()> {
        let len = self.partial_virtual_bitmap.len();
        if len == 0 || len > Self::MAX_BITMAP_LEN {
            return Err(Error::BadLength);
        }
        Ok(())
    }

    pub(crate) fn data_len(&self) -> usize {
        3 + self.partial_virtual_bitmap.len()
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u8(self.dtim_count)?;
        w.u8(self.dtim_period)?;
        w.u8(self.bitmap_control)?;
        w.put(self.partial_virtual_bitmap)
    }

    /// True when group-addressed frames are buffered (bitmap control bit 0,
    /// meaningful in a DTIM beacon).
    pub const fn multicast(&self) -> bool {
        self.bitmap_control & 0x01 != 0
    }

    /// N1: the index in the full virtual bitmap of the first octet carried.
    pub const fn bitmap_offset(&self) -> usize {
        (self.bitmap_control & 0xfe) as usize
    }

    /// True when the bitmap shows traffic buffered for association ID `aid`.
    pub fn has_traffic(&self, aid: u16) -> bool {
        let aid = usize::from(aid);
        (aid / 8)
            .checked_sub(self.bitmap_offset())
            .and_then(|i| self.partial_virtual_bitmap.get(i))
            .is_some_and(|octet| octet & (1 << (aid % 8)) != 0)
    }

    /// The AIDs with buffered traffic, in increasing order.
    pub fn aids(&self) -> impl Iterator<Item = u16> + 'a {
        let base = self.bitmap_offset();
        self.partial_virtual_bitmap
            .iter()
            .enumerate()
            .flat_map(move |(i, &octet)| {
                (0..8u16)
                    .filter(move |bit| octet & (1 << bit) != 0)
                    .map(move |bit| ((base + i) as u16) * 8 + bit)
            })
    }
}

/// The full traffic indication virtual bitmap of an AP: one bit per
/// association ID (1..=2007) with frames buffered. [`VirtualBitmap::tim`]
/// compresses it into a [`Tim`] as IEEE 802.11-2020 9.4.2.5 prescribes
/// (N1 the largest even octet index before the first set bit, N2 the last
/// octet with a set bit; a single zero octet when nothing is buffered).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VirtualBitmap {
    octets: [u8; VirtualBitmap::LEN],
}

impl core::fmt::Debug for VirtualBitmap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set().entries(self.aids()).finish()
    }
}

impl Default for VirtualBitmap {
    fn default() -> Self {
        Self::new()
    }
}

impl VirtualBitmap {
    /// Octets in the full bitmap.
    pub const LEN: usize = 251;
    /// The largest association ID.
    pub const MAX_AID: u16 = 2007;

    /// Nothing buffered.
    pub const fn new() -> VirtualBitmap {
        VirtualBitmap {
            octets: [0; Self::LEN],
        }
    }

    /// Marks traffic buffered for `aid`; false (and nothing done) when
    /// `aid` is 0 or above [`MAX_AID`](Self::MAX_AID).
    pub fn set(&mut self, aid: u16) -> bool {
        self.update(aid, true)
    }

    /// Clears the mark for `aid`; false when `aid` is out of range.
    pub fn clear(&mut self, aid: u16) -> bool {
        self.update(aid, false)
    }

    fn update(&mut self, aid: u16, on: bool) -> bool {
        if aid == 0 || aid > Self::MAX_AID {
            return false;
        }
        let aid = usize::from(aid);
        match self.octets.get_mut(aid / 8) {
            Some(octet) if on => *octet |= 1 << (aid % 8),
            Some(octet) => *octet &= !(1 << (aid % 8)),
            None => return false,
        }
        true
    }

    /// True when `aid` is marked.
    pub fn get(&self, aid: u16) -> bool {
        let aid = usize::from(aid);
        self.octets
            .get(aid / 8)
            .is_some_and(|o| o & (1 << (aid % 8)) != 0)
    }

    /// True when no AID is marked.
    pub fn is_empty(&self) -> bool {
        self.octets.iter().all(|&o| o == 0)
    }

    /// The marked AIDs, in increasing order.
    pub fn aids(&self) -> impl Iterator<Item = u16> + '_ {
        (1..=Self::MAX_AID).filter(|&aid| self.get(aid))
    }

    /// The TIM element for this bitmap.
    pub fn tim(&self, dtim_count: u8, dtim_period: u8, multicast: bool) -> Tim<'_> {
        let first = self.octets.iter().position(|&o| o != 0);
        let last = self.octets.iter().rposition(|&o| o != 0);
        let (n1, n2) = match (first, last) {
            (Some(first), Some(last)) => (first & !1, last),
            _ => (0, 0),
        };
        let partial_virtual_bitmap = self.octets.get(n1..=n2).unwrap_or(&[0]);
        Tim {
            dtim_count,
            dtim_period,
            bitmap_control: (n1 as u8 & 0xfe) | u8::from(multicast),
            partial_virtual_bitmap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ie::{Element, ElementRepr};

    // The TIM of a real 37C3 beacon (bins/frames/beacon.bin in the
    // ieee80211-rs crate, github.com/Frostie314159/ieee80211-rs): DTIM count
    // 0, period 1, offset 1 (N1 = 2), traffic for AIDs 20, 83, 175 and 185.
    const TIM_37C3: [u8; 27] = [
        0x05, 0x19, 0x00, 0x01, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x02,
    ];
    // The TIM of the 37C3-open beacon in the same crate: nothing buffered.
    const TIM_EMPTY: [u8; 6] = [0x05, 0x04, 0x00, 0x01, 0x00, 0x00];

    fn parse(bytes: &[u8]) -> Result<ElementRepr<'_>> {
        ElementRepr::parse(Element::new(bytes[0], &bytes[2..]))
    }

    #[test]
    fn deconstruct() {
        let Ok(ElementRepr::Tim(tim)) = parse(&TIM_37C3) else {
            panic!()
        };
        assert_eq!(
            (tim.dtim_count, tim.dtim_period, tim.bitmap_control),
            (0, 1, 2)
        );
        assert_eq!(tim.bitmap_offset(), 2);
        assert!(!tim.multicast());
        assert_eq!(tim.partial_virtual_bitmap.len(), 22);
        assert_eq!(tim.aids().collect::<Vec<_>>(), [20, 83, 175, 185]);
        assert!(tim.has_traffic(20) && tim.has_traffic(185));
        assert!(!tim.has_traffic(1) && !tim.has_traffic(21) && !tim.has_traffic(2007));
        assert!(!tim.has_traffic(u16::MAX));

        let Ok(ElementRepr::Tim(empty)) = parse(&TIM_EMPTY) else {
            panic!()
        };
        assert_eq!(empty.aids().count(), 0);
    }

    #[test]
    fn construct_from_bitmap() {
        let mut bitmap = VirtualBitmap::new();
        for aid in [185, 20, 175, 83] {
            assert!(bitmap.set(aid));
        }
        assert_eq!(format!("{bitmap:?}"), "{20, 83, 175, 185}");
        let repr = ElementRepr::Tim(bitmap.tim(0, 1, false));
        let mut buf = [0u8; 27];
        assert_eq!(repr.emit(&mut buf), Ok(27));
        assert_eq!(buf, TIM_37C3);
        assert_eq!(parse(&TIM_37C3), Ok(repr));

        let empty = VirtualBitmap::default();
        assert!(empty.is_empty());
        let mut out = Vec::new();
        ElementRepr::Tim(empty.tim(0, 1, false))
            .emit_to_vec(&mut out)
            .unwrap();
        assert_eq!(out, TIM_EMPTY);

        // An odd first octet: N1 is rounded down to an even octet, and the
        // multicast bit goes in bitmap control bit 0.
        let mut odd = VirtualBitmap::new();
        odd.set(8 * 3 + 1);
        let tim = odd.tim(2, 3, true);
        assert_eq!(tim.bitmap_control, 0x03);
        assert_eq!(tim.partial_virtual_bitmap, &[0x00, 0x02]);
        assert!(tim.multicast() && tim.has_traffic(25));

        assert!(!odd.set(0) && !odd.set(2008) && !odd.clear(2008));
        assert!(odd.set(2007) && odd.get(2007));
        assert_eq!(odd.tim(0, 1, false).partial_virtual_bitmap.len(), 251 - 2);
        assert!(odd.clear(2007) && odd.clear(25) && odd.is_empty());
    }

    #[test]
    fn bad_lengths() {
        for len in 0..4 {
            let data = [0u8; 4];
            assert_eq!(
                ElementRepr::parse(Element::new(5, &data[..len])),
                Err(Error::BadLength)
            );
        }
        assert!(ElementRepr::parse(Element::new(5, &[0u8; 254])).is_ok());
        assert_eq!(
            ElementRepr::parse(Element::new(5, &[0u8; 255])),
            Err(Error::BadLength)
        );
        let tim = Tim {
            dtim_count: 0,
            dtim_period: 1,
            bitmap_control: 0,
            partial_virtual_bitmap: &[],
        };
        assert_eq!(
            ElementRepr::Tim(tim).emit(&mut [0u8; 16]),
            Err(Error::BadLength)
        );
    }
}
