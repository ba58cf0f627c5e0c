//! Radiotap: the per-frame radio metadata a monitor interface puts in front
//! of every 802.11 frame, and that an injecting program puts in front of
//! every frame it sends.
//!
//! ```text
//!  0        1        2                 4                                  8
//! +--------+--------+-----------------+----------------------------------+
//! | version|  pad   | length (LE u16) | present (LE u32) [bit 31: more]  |
//! +--------+--------+-----------------+----------------------------------+
//! | [more presence words, each LE u32, while bit 31 is set ...]          |
//! +-----------------------------------------------------------------------+
//! | fields, in bit order, each aligned to its natural alignment counted   |
//! | from the first byte of the header (zero padding in between)           |
//! +-----------------------------------------------------------------------+
//! | the 802.11 frame starts at `length`                                   |
//! ```
//!
//! Presence bits 0..=28 name fields ([`bits`]); bit 31 chains another
//! presence word; bit 29 makes the next word start over in a fresh
//! radiotap namespace; bit 30 enters a vendor namespace, whose 6-byte
//! header (OUI, sub-namespace, `skip_length`) sits in the data and whose
//! `skip_length` bytes of data are skipped, along with every bit of the
//! presence words that follow in that namespace.
//!
//! Layouts come from the table of defined fields on radiotap.org (as
//! implemented by Linux's `net/wireless/radiotap.c`). A set bit this code has
//! no layout for (bit 25, HE-MU-other-user; bit 28, the TLV list; any bit
//! beyond 28 in a chained word of the same namespace) hides where every later
//! field is, so parsing stops there and keeps what came before
//! ([`RadiotapRepr::stopped_at_bit`]); the header length still tells where the
//! 802.11 frame begins.
//!
//! mac80211 reports per-antenna signal strength by repeating the radiotap
//! namespace: the first one holds the combined values, each later one a
//! dBm signal and an antenna index for one receive chain. Those land in
//! [`RadiotapRepr::chains`].
//!
//! ```
//! use odin_wire::radiotap::{Radiotap, RadiotapRepr, TxFlags};
//! # fn main() -> odin_wire::Result<()> {
//! // Received: version 0, 11 bytes, rate + TX power + antenna.
//! let bytes = [0, 0, 11, 0, 0x04, 0x0c, 0, 0, 0x6c, 0x0c, 0x01];
//! let repr = RadiotapRepr::parse(&Radiotap::new_checked(&bytes[..])?)?;
//! assert_eq!(repr.rate, Some(0x6c)); // 54 Mb/s
//!
//! // To inject: 1 Mb/s, no ACK expected.
//! let tx = RadiotapRepr::injection(TxFlags::NOACK).with_rate(2);
//! let mut buf = vec![0; tx.buffer_len()];
//! tx.emit(&mut Radiotap::new_unchecked(&mut buf[..]))?;
//! assert_eq!(buf, [0, 0, 12, 0, 0x04, 0x80, 0, 0, 2, 0, 0x08, 0]);
//! # Ok(())
//! # }
//! ```

use crate::{Error, Result};

/// Bit 29 of every presence word: the next word starts a fresh radiotap
/// namespace.
const RADIOTAP_NAMESPACE: u32 = 29;
/// Bit 30 of every presence word: the next word belongs to a vendor
/// namespace described by a 6-byte header in the data.
const VENDOR_NAMESPACE: u32 = 30;
/// Bit 31 of every presence word: another presence word follows.
const EXT: u32 = 31;

/// Length of the fixed part of the header (version, pad, length, first
/// presence word): the smallest valid radiotap header.
pub const HEADER_LEN: usize = 8;

/// The most per-chain signals kept (mac80211's `IEEE80211_MAX_CHAINS`).
pub const MAX_CHAINS: usize = 4;

/// Presence-bit numbers of the fields of the radiotap namespace.
pub mod bits {
    /// TSFT: u64 microseconds, MAC time of the first bit.
    pub const TSFT: u32 = 0;
    /// Flags: u8 bitmap ([`super::Flags`]).
    pub const FLAGS: u32 = 1;
    /// Rate: u8, 500 kb/s units.
    pub const RATE: u32 = 2;
    /// Channel: u16 MHz, u16 flags.
    pub const CHANNEL: u32 = 3;
    /// FHSS: u8 hop set, u8 hop pattern.
    pub const FHSS: u32 = 4;
    /// Antenna signal: i8 dBm.
    pub const DBM_ANTENNA_SIGNAL: u32 = 5;
    /// Antenna noise: i8 dBm.
    pub const DBM_ANTENNA_NOISE: u32 = 6;
    /// Lock quality: u16.
    pub const LOCK_QUALITY: u32 = 7;
    /// TX attenuation: u16, distance from maximum power.
    pub const TX_ATTENUATION: u32 = 8;
    /// dB TX attenuation: u16 dB.
    pub const DB_TX_ATTENUATION: u32 = 9;
    /// dBm TX power: i8.
    pub const DBM_TX_POWER: u32 = 10;
    /// Antenna: u8 index.
    pub const ANTENNA: u32 = 11;
    /// dB antenna signal: u8, dB from an arbitrary reference.
    pub const DB_ANTENNA_SIGNAL: u32 = 12;
    /// dB antenna noise: u8, dB from an arbitrary reference.
    pub const DB_ANTENNA_NOISE: u32 = 13;
    /// RX flags: u16 bitmap ([`super::RxFlags`]).
    pub const RX_FLAGS: u32 = 14;
    /// TX flags: u16 bitmap ([`super::TxFlags`]).
    pub const TX_FLAGS: u32 = 15;
    /// RTS retries: u8.
    pub const RTS_RETRIES: u32 = 16;
    /// Data retries: u8.
    pub const DATA_RETRIES: u32 = 17;
    /// XChannel: u32 flags, u16 MHz, u8 channel, u8 max power.
    pub const XCHANNEL: u32 = 18;
    /// MCS: u8 known, u8 flags, u8 index.
    pub const MCS: u32 = 19;
    /// A-MPDU status: u32 reference, u16 flags, u8 delimiter CRC, u8.
    pub const AMPDU_STATUS: u32 = 20;
    /// VHT: 12 bytes.
    pub const VHT: u32 = 21;
    /// Timestamp: u64, u16 accuracy, u8 unit/position, u8 flags.
    pub const TIMESTAMP: u32 = 22;
    /// HE: six u16.
    pub const HE: u32 = 23;
    /// HE-MU: u16, u16, two `[u8; 4]`.
    pub const HE_MU: u32 = 24;
    /// HE-MU-other-user (not interpreted: parsing stops there).
    pub const HE_MU_OTHER_USER: u32 = 25;
    /// 0-length PSDU: u8 type.
    pub const ZERO_LENGTH_PSDU: u32 = 26;
    /// L-SIG: two u16.
    pub const LSIG: u32 = 27;
    /// A list of TLVs fills the rest of the header (not interpreted:
    /// parsing stops there).
    pub const TLV: u32 = 28;
}

/// Where and how big one field of the radiotap namespace is.
#[derive(Debug, Clone, Copy)]
struct Layout {
    name: &'static str,
    align: usize,
    size: usize,
}

const fn known(name: &'static str, align: usize, size: usize) -> Option<Layout> {
    Some(Layout { name, align, size })
}

/// Every field of the radiotap namespace this code can step over, indexed by
/// presence bit: alignment and size from radiotap.org's defined fields.
/// `None` (and every bit past the end) stops parsing.
const LAYOUT: [Option<Layout>; 28] = [
    /*  0 */ known("TSFT", 8, 8),
    /*  1 */ known("Flags", 1, 1),
    /*  2 */ known("Rate", 1, 1),
    /*  3 */ known("Channel", 2, 4),
    /*  4 */ known("FHSS", 2, 2),
    /*  5 */ known("dBm antenna signal", 1, 1),
    /*  6 */ known("dBm antenna noise", 1, 1),
    /*  7 */ known("Lock quality", 2, 2),
    /*  8 */ known("TX attenuation", 2, 2),
    /*  9 */ known("dB TX attenuation", 2, 2),
    /* 10 */ known("dBm TX power", 1, 1),
    /* 11 */ known("Antenna", 1, 1),
    /* 12 */ known("dB antenna signal", 1, 1),
    /* 13 */ known("dB antenna noise", 1, 1),
    /* 14 */ known("RX flags", 2, 2),
    /* 15 */ known("TX flags", 2, 2),
    /* 16 */ known("RTS retries", 1, 1),
    /* 17 */ known("data retries", 1, 1),
    /* 18 */ known("XChannel", 4, 8),
    /* 19 */ known("MCS", 1, 3),
    /* 20 */ known("A-MPDU status", 4, 8),
    /* 21 */ known("VHT", 2, 12),
    /* 22 */ known("timestamp", 8, 12),
    /* 23 */ known("HE", 2, 12),
    /* 24 */ known("HE-MU", 2, 12),
    /* 25 */ None, // HE-MU-other-user: not in Linux's table either
    /* 26 */ known("0-length PSDU", 1, 1),
    /* 27 */ known("L-SIG", 2, 4),
    // 28, TLVs: variable length, the rest of the header.
];

fn layout(bit: u32) -> Option<Layout> {
    LAYOUT.get(usize::try_from(bit).ok()?).copied().flatten()
}

/// The radiotap.org name of a field of the radiotap namespace, if this code
/// knows its layout (for logs and debugging tools).
pub fn field_name(bit: u32) -> Option<&'static str> {
    layout(bit).map(|layout| layout.name)
}

const fn align_up(offset: usize, align: usize) -> usize {
    // Every alignment in the table is a power of two.
    (offset + align - 1) & !(align - 1)
}

fn array<const N: usize>(data: &[u8]) -> Option<[u8; N]> {
    data.get(..N)?.try_into().ok()
}

fn put<const N: usize>(out: &mut [u8], bytes: [u8; N]) {
    if let Some(out) = out.get_mut(..N) {
        out.copy_from_slice(&bytes);
    }
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    array(data.get(at..)?).map(u32::from_le_bytes)
}

/// A value with a fixed little-endian wire layout.
trait Codec: Sized {
    const ALIGN: usize;
    const SIZE: usize;
    /// Reads the value from the first `SIZE` bytes of `data`.
    fn read(data: &[u8]) -> Option<Self>;
    /// Writes the value into the first `SIZE` bytes of `out`.
    fn write(&self, out: &mut [u8]);
}

macro_rules! int_codec {
    ($($ty:ty),+) => {$(
        impl Codec for $ty {
            const ALIGN: usize = core::mem::size_of::<$ty>();
            const SIZE: usize = core::mem::size_of::<$ty>();
            fn read(data: &[u8]) -> Option<Self> {
                array(data).map(<$ty>::from_le_bytes)
            }
            fn write(&self, out: &mut [u8]) {
                put(out, self.to_le_bytes());
            }
        }
    )+};
}

int_codec!(u8, i8, u16, u32, u64);

/// A bitmap newtype with named bits; the raw value stays public so that
/// unnamed bits survive a round trip.
macro_rules! flag_set {
    (
        $(#[$attr:meta])*
        pub struct $name:ident($ty:ty) {
            $( $(#[$bit_attr:meta])* const $bit:ident = $value:expr; )+
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub struct $name(pub $ty);

        impl $name {
            $( $(#[$bit_attr])* pub const $bit: $name = $name($value); )+

            /// No bit set.
            pub const fn empty() -> Self {
                $name(0)
            }

            /// The raw bitmap.
            pub const fn bits(self) -> $ty {
                self.0
            }

            /// True when every bit of `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// Both sets of bits.
            pub const fn union(self, other: Self) -> Self {
                $name(self.0 | other.0)
            }
        }

        impl core::ops::BitOr for $name {
            type Output = Self;
            fn bitor(self, other: Self) -> Self {
                self.union(other)
            }
        }

        impl core::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, other: Self) {
                *self = self.union(other);
            }
        }

        impl Codec for $name {
            const ALIGN: usize = <$ty as Codec>::ALIGN;
            const SIZE: usize = <$ty as Codec>::SIZE;
            fn read(data: &[u8]) -> Option<Self> {
                <$ty>::read(data).map($name)
            }
            fn write(&self, out: &mut [u8]) {
                self.0.write(out)
            }
        }
    };
}

flag_set! {
    /// The Flags field (bit 1): properties of a frame sent or received.
    pub struct Flags(u8) {
        /// Sent or received during the contention-free period.
        const CFP = 0x01;
        /// Sent or received with a short preamble.
        const SHORT_PREAMBLE = 0x02;
        /// Sent or received with WEP encryption.
        const WEP = 0x04;
        /// Sent or received with fragmentation (on injection: fragment if
        /// longer than the fragmentation threshold).
        const FRAGMENTATION = 0x08;
        /// The frame ends with its 4-byte FCS (on injection: mac80211 strips
        /// and recomputes it).
        const FCS = 0x10;
        /// Padding between the 802.11 header and the payload (to 32 bits).
        const DATA_PAD = 0x20;
        /// The frame failed its FCS check.
        const BAD_FCS = 0x40;
        /// Sent or received with a short guard interval (HT).
        const SHORT_GI = 0x80;
    }
}

flag_set! {
    /// The flags half of the Channel field (bit 3).
    pub struct ChannelFlags(u16) {
        /// Turbo channel.
        const TURBO = 0x0010;
        /// CCK channel.
        const CCK = 0x0020;
        /// OFDM channel.
        const OFDM = 0x0040;
        /// 2 GHz spectrum channel.
        const SPECTRUM_2GHZ = 0x0080;
        /// 5 GHz spectrum channel.
        const SPECTRUM_5GHZ = 0x0100;
        /// Only passive scan allowed.
        const PASSIVE = 0x0200;
        /// Dynamic CCK-OFDM channel.
        const DYNAMIC = 0x0400;
        /// GFSK channel (FHSS PHY).
        const GFSK = 0x0800;
        /// GSM channel.
        const GSM = 0x1000;
        /// Static turbo channel.
        const STATIC_TURBO = 0x2000;
        /// Half-rate (10 MHz) channel.
        const HALF = 0x4000;
        /// Quarter-rate (5 MHz) channel.
        const QUARTER = 0x8000;
    }
}

flag_set! {
    /// The RX flags field (bit 14).
    pub struct RxFlags(u16) {
        /// The PLCP CRC check failed.
        const BAD_PLCP = 0x0002;
    }
}

flag_set! {
    /// The TX flags field (bit 15).
    pub struct TxFlags(u16) {
        /// Transmission failed (excessive retries).
        const FAIL = 0x0001;
        /// Sent with CTS-to-self protection.
        const CTS = 0x0002;
        /// Sent with RTS/CTS protection.
        const RTS = 0x0004;
        /// Do not wait for an ACK, even for a unicast frame (honoured by
        /// mac80211 on injection).
        const NOACK = 0x0008;
        /// The sequence number is already set: do not overwrite it.
        const NO_SEQNO = 0x0010;
        /// Do not reorder against other frames.
        const ORDER = 0x0020;
    }
}

/// The Channel field (bit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Channel {
    /// Centre frequency, MHz.
    pub freq: u16,
    /// Band and modulation.
    pub flags: ChannelFlags,
}

impl Codec for Channel {
    const ALIGN: usize = 2;
    const SIZE: usize = 4;
    fn read(data: &[u8]) -> Option<Self> {
        let [f0, f1, g0, g1] = array(data)?;
        Some(Channel {
            freq: u16::from_le_bytes([f0, f1]),
            flags: ChannelFlags(u16::from_le_bytes([g0, g1])),
        })
    }
    fn write(&self, out: &mut [u8]) {
        let [f0, f1] = self.freq.to_le_bytes();
        let [g0, g1] = self.flags.0.to_le_bytes();
        put(out, [f0, f1, g0, g1]);
    }
}

/// The MCS field (bit 19): an HT rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Mcs {
    /// Which parts of `flags` and `index` are valid (`KNOWN_*`).
    pub known: u8,
    /// Bandwidth, guard interval, format, FEC, STBC (`FLAG_*`).
    pub flags: u8,
    /// The MCS index.
    pub index: u8,
}

impl Mcs {
    /// `known`: the bandwidth bits of `flags` are valid.
    pub const KNOWN_BANDWIDTH: u8 = 0x01;
    /// `known`: `index` is valid.
    pub const KNOWN_MCS: u8 = 0x02;
    /// `known`: the guard-interval bit is valid.
    pub const KNOWN_GI: u8 = 0x04;
    /// `known`: the format bit is valid.
    pub const KNOWN_FORMAT: u8 = 0x08;
    /// `known`: the FEC bit is valid.
    pub const KNOWN_FEC: u8 = 0x10;
    /// `known`: the STBC bits are valid.
    pub const KNOWN_STBC: u8 = 0x20;
    /// `flags`: bandwidth mask (0: 20, 1: 40, 2: 20L, 3: 20U).
    pub const FLAG_BANDWIDTH_MASK: u8 = 0x03;
    /// `flags`: short guard interval.
    pub const FLAG_SHORT_GI: u8 = 0x04;
    /// `flags`: greenfield format.
    pub const FLAG_GREENFIELD: u8 = 0x08;
    /// `flags`: LDPC coding.
    pub const FLAG_LDPC: u8 = 0x10;
    /// `flags`: number of STBC streams, mask.
    pub const FLAG_STBC_MASK: u8 = 0x60;
}

impl Codec for Mcs {
    const ALIGN: usize = 1;
    const SIZE: usize = 3;
    fn read(data: &[u8]) -> Option<Self> {
        let [known, flags, index] = array(data)?;
        Some(Mcs {
            known,
            flags,
            index,
        })
    }
    fn write(&self, out: &mut [u8]) {
        put(out, [self.known, self.flags, self.index]);
    }
}

/// The A-MPDU status field (bit 20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AmpduStatus {
    /// Identifies the A-MPDU the frame was part of.
    pub reference: u32,
    /// Flags (last subframe, delimiter CRC error, ...).
    pub flags: u16,
    /// The delimiter CRC value.
    pub delimiter_crc: u8,
    /// Reserved.
    pub reserved: u8,
}

impl Codec for AmpduStatus {
    const ALIGN: usize = 4;
    const SIZE: usize = 8;
    fn read(data: &[u8]) -> Option<Self> {
        let [r0, r1, r2, r3, f0, f1, delimiter_crc, reserved] = array(data)?;
        Some(AmpduStatus {
            reference: u32::from_le_bytes([r0, r1, r2, r3]),
            flags: u16::from_le_bytes([f0, f1]),
            delimiter_crc,
            reserved,
        })
    }
    fn write(&self, out: &mut [u8]) {
        let [r0, r1, r2, r3] = self.reference.to_le_bytes();
        let [f0, f1] = self.flags.to_le_bytes();
        put(
            out,
            [r0, r1, r2, r3, f0, f1, self.delimiter_crc, self.reserved],
        );
    }
}

/// The VHT field (bit 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Vht {
    /// Which of the other parts are valid.
    pub known: u16,
    /// STBC, TXOP PS, guard interval, LDPC, beamformed.
    pub flags: u8,
    /// Bandwidth code (0: 20 MHz, 1: 40, 4: 80, 11: 160, ...).
    pub bandwidth: u8,
    /// Per user: MCS in the high nibble, number of streams in the low.
    pub mcs_nss: [u8; 4],
    /// Per user: LDPC coding bit.
    pub coding: u8,
    /// Group ID.
    pub group_id: u8,
    /// Partial AID.
    pub partial_aid: u16,
}

impl Codec for Vht {
    const ALIGN: usize = 2;
    const SIZE: usize = 12;
    fn read(data: &[u8]) -> Option<Self> {
        let [k0, k1, flags, bandwidth, m0, m1, m2, m3, coding, group_id, p0, p1] = array(data)?;
        Some(Vht {
            known: u16::from_le_bytes([k0, k1]),
            flags,
            bandwidth,
            mcs_nss: [m0, m1, m2, m3],
            coding,
            group_id,
            partial_aid: u16::from_le_bytes([p0, p1]),
        })
    }
    fn write(&self, out: &mut [u8]) {
        let [k0, k1] = self.known.to_le_bytes();
        let [m0, m1, m2, m3] = self.mcs_nss;
        let [p0, p1] = self.partial_aid.to_le_bytes();
        let (flags, bandwidth, coding, group_id) =
            (self.flags, self.bandwidth, self.coding, self.group_id);
        put(
            out,
            [
                k0, k1, flags, bandwidth, m0, m1, m2, m3, coding, group_id, p0, p1,
            ],
        );
    }
}

/// The timestamp field (bit 22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Timestamp {
    /// The timestamp, in the unit given by `unit_position`.
    pub timestamp: u64,
    /// Accuracy, in the same unit.
    pub accuracy: u16,
    /// Unit (low nibble) and sampling position (high nibble).
    pub unit_position: u8,
    /// Flags (32-bit counter, accuracy known).
    pub flags: u8,
}

impl Codec for Timestamp {
    const ALIGN: usize = 8;
    const SIZE: usize = 12;
    fn read(data: &[u8]) -> Option<Self> {
        let [t0, t1, t2, t3, t4, t5, t6, t7, a0, a1, unit_position, flags] = array(data)?;
        Some(Timestamp {
            timestamp: u64::from_le_bytes([t0, t1, t2, t3, t4, t5, t6, t7]),
            accuracy: u16::from_le_bytes([a0, a1]),
            unit_position,
            flags,
        })
    }
    fn write(&self, out: &mut [u8]) {
        let [t0, t1, t2, t3, t4, t5, t6, t7] = self.timestamp.to_le_bytes();
        let [a0, a1] = self.accuracy.to_le_bytes();
        let (unit_position, flags) = (self.unit_position, self.flags);
        put(
            out,
            [t0, t1, t2, t3, t4, t5, t6, t7, a0, a1, unit_position, flags],
        );
    }
}

fn read_u16s<const N: usize>(data: &[u8]) -> Option<[u16; N]> {
    let mut words = [0u16; N];
    let mut chunks = data.chunks_exact(2);
    for word in &mut words {
        *word = u16::read(chunks.next()?)?;
    }
    Some(words)
}

fn write_u16s(words: &[u16], out: &mut [u8]) {
    for (word, out) in words.iter().zip(out.chunks_exact_mut(2)) {
        word.write(out);
    }
}

/// The HE field (bit 23): six words of HE PPDU information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct He {
    /// `data1` to `data6`, as radiotap.org defines them.
    pub data: [u16; 6],
}

impl Codec for He {
    const ALIGN: usize = 2;
    const SIZE: usize = 12;
    fn read(data: &[u8]) -> Option<Self> {
        read_u16s(data.get(..Self::SIZE)?).map(|data| He { data })
    }
    fn write(&self, out: &mut [u8]) {
        write_u16s(&self.data, out);
    }
}

/// The HE-MU field (bit 24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HeMu {
    /// `flags1`.
    pub flags1: u16,
    /// `flags2`.
    pub flags2: u16,
    /// RU allocation, first channel.
    pub ru_channel1: [u8; 4],
    /// RU allocation, second channel.
    pub ru_channel2: [u8; 4],
}

impl Codec for HeMu {
    const ALIGN: usize = 2;
    const SIZE: usize = 12;
    fn read(data: &[u8]) -> Option<Self> {
        let [f0, f1, g0, g1, a0, a1, a2, a3, b0, b1, b2, b3] = array(data)?;
        Some(HeMu {
            flags1: u16::from_le_bytes([f0, f1]),
            flags2: u16::from_le_bytes([g0, g1]),
            ru_channel1: [a0, a1, a2, a3],
            ru_channel2: [b0, b1, b2, b3],
        })
    }
    fn write(&self, out: &mut [u8]) {
        let [f0, f1] = self.flags1.to_le_bytes();
        let [g0, g1] = self.flags2.to_le_bytes();
        let [a0, a1, a2, a3] = self.ru_channel1;
        let [b0, b1, b2, b3] = self.ru_channel2;
        put(out, [f0, f1, g0, g1, a0, a1, a2, a3, b0, b1, b2, b3]);
    }
}

/// The L-SIG field (bit 27).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LSig {
    /// `data1`: which of rate and length are known.
    pub data1: u16,
    /// `data2`: rate and length.
    pub data2: u16,
}

impl Codec for LSig {
    const ALIGN: usize = 2;
    const SIZE: usize = 4;
    fn read(data: &[u8]) -> Option<Self> {
        read_u16s(data.get(..Self::SIZE)?).map(|[data1, data2]| LSig { data1, data2 })
    }
    fn write(&self, out: &mut [u8]) {
        write_u16s(&[self.data1, self.data2], out);
    }
}

/// The signal of one receive chain, from a later radiotap namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChainSignal {
    /// The chain's Antenna field, when its namespace had one.
    pub antenna: Option<u8>,
    /// The chain's dBm antenna signal.
    pub signal_dbm: i8,
}

/// Up to [`MAX_CHAINS`] per-chain signals, in header order, without heap
/// allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChainSignals {
    len: u8,
    // Unused entries stay at their default, so the derived equality holds.
    entries: [ChainSignal; MAX_CHAINS],
}

impl ChainSignals {
    /// No chain.
    pub const fn new() -> Self {
        ChainSignals {
            len: 0,
            entries: [ChainSignal {
                antenna: None,
                signal_dbm: 0,
            }; MAX_CHAINS],
        }
    }

    /// Appends a chain; false (and nothing stored) when already full.
    pub fn push(&mut self, chain: ChainSignal) -> bool {
        match self.entries.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = chain;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Removes every chain.
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// The chains, in header order.
    pub fn as_slice(&self) -> &[ChainSignal] {
        self.entries
            .get(..usize::from(self.len))
            .unwrap_or(&self.entries)
    }

    /// How many chains.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True when there is no chain.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Iterates over the chains, in header order.
    pub fn iter(&self) -> core::slice::Iter<'_, ChainSignal> {
        self.as_slice().iter()
    }
}

impl core::fmt::Debug for ChainSignals {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<'a> IntoIterator for &'a ChainSignals {
    type Item = &'a ChainSignal;
    type IntoIter = core::slice::Iter<'a, ChainSignal>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A zero-copy view of a radiotap header and the frame behind it.
///
/// [`Radiotap::new_checked`] validates the version, the length and the chain
/// of presence words; the getters never panic, whatever the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Radiotap<T: AsRef<[u8]>> {
    buffer: T,
}

mod field {
    pub const VERSION: usize = 0;
    pub const PAD: usize = 1;
    pub const LENGTH: usize = 2;
    pub const PRESENT: usize = 4;
}

impl<T: AsRef<[u8]>> Radiotap<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Radiotap<T> {
        Radiotap { buffer }
    }

    /// Wraps a buffer after [`Radiotap::check_len`].
    pub fn new_checked(buffer: T) -> Result<Radiotap<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the fixed header and the presence-word chain:
    ///
    /// * [`Error::Truncated`]: fewer than 8 bytes, or fewer than the length
    ///   field says;
    /// * [`Error::Malformed`]: a version other than 0, or presence words
    ///   that chain on past the header length;
    /// * [`Error::BadLength`]: a length field below 8.
    ///
    /// Fields are checked by [`Radiotap::fields`] and [`RadiotapRepr::parse`].
    pub fn check_len(&self) -> Result<()> {
        self.data_start().map(|_| ())
    }

    /// Where the field data begins: after the last presence word.
    fn data_start(&self) -> Result<usize> {
        let data = self.buffer.as_ref();
        if data.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if self.version() != 0 {
            return Err(Error::Malformed);
        }
        let len = usize::from(self.header_len());
        if len < HEADER_LEN {
            return Err(Error::BadLength);
        }
        if len > data.len() {
            return Err(Error::Truncated);
        }
        let header = data.get(..len).ok_or(Error::Truncated)?;
        let mut word_at = field::PRESENT;
        let mut word = self.present();
        while word & (1 << EXT) != 0 {
            word_at += 4;
            word = read_u32(header, word_at).ok_or(Error::Malformed)?;
        }
        Ok(word_at + 4)
    }

    /// Gives back the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn byte(&self, at: usize) -> u8 {
        self.buffer.as_ref().get(at).copied().unwrap_or(0)
    }

    /// The version (0 is the only one defined).
    pub fn version(&self) -> u8 {
        self.byte(field::VERSION)
    }

    /// The pad byte.
    pub fn pad(&self) -> u8 {
        self.byte(field::PAD)
    }

    /// The length of the whole radiotap header, fields included: where the
    /// 802.11 frame starts.
    pub fn header_len(&self) -> u16 {
        u16::from_le_bytes([self.byte(field::LENGTH), self.byte(field::LENGTH + 1)])
    }

    /// The first presence word.
    pub fn present(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::PRESENT).unwrap_or(0)
    }

    /// Every presence word, up to the first without bit 31 (or the end of
    /// the header).
    pub fn present_words(&self) -> impl Iterator<Item = u32> + '_ {
        let words = self.header().get(field::PRESENT..).unwrap_or_default();
        let mut more = true;
        words
            .chunks_exact(4)
            .filter_map(u32::read)
            .take_while(move |word| core::mem::replace(&mut more, word & (1 << EXT) != 0))
    }

    /// The radiotap header: the first `header_len` bytes (fewer if the
    /// buffer is shorter).
    pub fn header(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        data.get(..usize::from(self.header_len())).unwrap_or(data)
    }

    /// What follows the header: the 802.11 frame, with its FCS when
    /// [`Flags::FCS`] is set (see [`Radiotap::frame_without_fcs`]).
    pub fn payload(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        data.get(usize::from(self.header_len())..)
            .unwrap_or_default()
    }

    /// The fields, in header order, across namespaces.
    pub fn fields(&self) -> Result<Fields<'_>> {
        let offset = self.data_start()?;
        Ok(Fields {
            header: self.header(),
            word_at: field::PRESENT,
            word: self.present(),
            next_bit: 0,
            offset,
            vendor: false,
            switch_to: None,
            base: 0,
            namespace: 0,
            done: false,
        })
    }

    /// The Flags field (the first one, in whichever radiotap namespace).
    pub fn flags(&self) -> Result<Option<Flags>> {
        for field in self.fields()? {
            if let Field::Standard {
                bit: bits::FLAGS,
                data,
                ..
            } = field?
            {
                return Ok(Flags::read(data));
            }
        }
        Ok(None)
    }

    /// The 802.11 frame, without its 4-byte FCS when the Flags field says it
    /// ends with one ([`Error::Truncated`] if it is shorter than 4 bytes).
    pub fn frame_without_fcs(&self) -> Result<&[u8]> {
        let has_fcs = self
            .flags()?
            .is_some_and(|flags| flags.contains(Flags::FCS));
        strip_fcs(self.payload(), has_fcs)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Radiotap<T> {
    fn set_bytes<const N: usize>(&mut self, at: usize, bytes: [u8; N]) {
        if let Some(out) = self.buffer.as_mut().get_mut(at..) {
            put(out, bytes);
        }
    }

    /// Sets the version. Like every setter, does nothing on a buffer too
    /// short for the field.
    pub fn set_version(&mut self, version: u8) {
        self.set_bytes(field::VERSION, [version]);
    }

    /// Sets the pad byte.
    pub fn set_pad(&mut self, pad: u8) {
        self.set_bytes(field::PAD, [pad]);
    }

    /// Sets the header length.
    pub fn set_header_len(&mut self, len: u16) {
        self.set_bytes(field::LENGTH, len.to_le_bytes());
    }

    /// Sets the first presence word.
    pub fn set_present(&mut self, present: u32) {
        self.set_bytes(field::PRESENT, present.to_le_bytes());
    }

    /// What follows the header, mutably.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = usize::from(self.header_len());
        self.buffer.as_mut().get_mut(start..).unwrap_or_default()
    }
}

fn strip_fcs(frame: &[u8], has_fcs: bool) -> Result<&[u8]> {
    if !has_fcs {
        return Ok(frame);
    }
    let end = frame.len().checked_sub(4).ok_or(Error::Truncated)?;
    frame.get(..end).ok_or(Error::Truncated)
}

/// One item of [`Fields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field<'a> {
    /// A field of a radiotap namespace.
    Standard {
        /// Which radiotap namespace: 0 for the first, counting up each time
        /// bit 29 starts a fresh one.
        namespace: u32,
        /// The presence bit ([`bits`]).
        bit: u32,
        /// The field's bytes (alignment padding excluded).
        data: &'a [u8],
    },
    /// A vendor namespace starts; its data is not interpreted.
    Vendor {
        /// The vendor's OUI.
        oui: [u8; 3],
        /// The vendor's sub-namespace.
        sub_namespace: u8,
        /// The `skip_length` bytes of vendor data.
        data: &'a [u8],
    },
    /// A set bit of a radiotap namespace with no known layout: nothing after
    /// it can be located, and the iteration ends here.
    Unknown {
        /// Which radiotap namespace.
        namespace: u32,
        /// The presence bit, counted from the start of its namespace.
        bit: u32,
    },
}

#[derive(Debug, Clone, Copy)]
enum Switch {
    Radiotap,
    Vendor,
}

/// Iterator over the fields of a radiotap header, from
/// [`Radiotap::fields`]. Yields an error (and then stops) when a field or a
/// vendor namespace runs past the header length ([`Error::BadLength`]) or
/// a presence word sets both namespace bits ([`Error::Malformed`]).
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    /// The header, `header_len` bytes.
    header: &'a [u8],
    /// Offset of the current presence word.
    word_at: usize,
    word: u32,
    /// The next bit of `word` to look at, 0..=32.
    next_bit: u32,
    /// The next byte of field data.
    offset: usize,
    /// In a vendor namespace: field bits are skipped.
    vendor: bool,
    /// The namespace the next presence word belongs to, if it changes.
    switch_to: Option<Switch>,
    /// The radiotap bit number of bit 0 of `word`.
    base: u32,
    /// Index of the current radiotap namespace.
    namespace: u32,
    done: bool,
}

impl<'a> Fields<'a> {
    fn take(&mut self, align: usize, size: usize) -> Result<&'a [u8]> {
        let start = align_up(self.offset, align);
        let data = self
            .header
            .get(start..start + size)
            .ok_or(Error::BadLength)?;
        self.offset = start + size;
        Ok(data)
    }

    fn vendor_namespace(&mut self) -> Result<Field<'a>> {
        let [o0, o1, o2, sub_namespace, s0, s1] =
            array(self.take(2, 6)?).ok_or(Error::BadLength)?;
        let data = self.take(1, usize::from(u16::from_le_bytes([s0, s1])))?;
        self.switch_to = Some(Switch::Vendor);
        Ok(Field::Vendor {
            oui: [o0, o1, o2],
            sub_namespace,
            data,
        })
    }

    fn step(&mut self) -> Result<Option<Field<'a>>> {
        loop {
            if self.next_bit == 32 {
                if self.word & (1 << EXT) == 0 {
                    return Ok(None);
                }
                self.word_at += 4;
                self.word = read_u32(self.header, self.word_at).ok_or(Error::Malformed)?;
                self.next_bit = 0;
                match self.switch_to.take() {
                    Some(Switch::Radiotap) => {
                        self.vendor = false;
                        self.namespace = self.namespace.saturating_add(1);
                        self.base = 0;
                    }
                    Some(Switch::Vendor) => self.vendor = true,
                    None => self.base = self.base.saturating_add(32),
                }
                continue;
            }
            let bit = self.next_bit;
            self.next_bit += 1;
            if self.word & (1 << bit) == 0 {
                continue;
            }
            match bit {
                RADIOTAP_NAMESPACE => {
                    if self.word & (1 << VENDOR_NAMESPACE) != 0 {
                        return Err(Error::Malformed);
                    }
                    self.switch_to = Some(Switch::Radiotap);
                }
                VENDOR_NAMESPACE => return self.vendor_namespace().map(Some),
                EXT => {}
                // A vendor namespace's data went with its skip_length.
                _ if self.vendor => {}
                _ => {
                    let (namespace, bit) = (self.namespace, self.base.saturating_add(bit));
                    let Some(layout) = layout(bit) else {
                        return Ok(Some(Field::Unknown { namespace, bit }));
                    };
                    let data = self.take(layout.align, layout.size)?;
                    return Ok(Some(Field::Standard {
                        namespace,
                        bit,
                        data,
                    }));
                }
            }
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.step();
        if !matches!(
            item,
            Ok(Some(Field::Standard { .. } | Field::Vendor { .. }))
        ) {
            self.done = true;
        }
        item.transpose()
    }
}

/// A parsed radiotap header: every field of the radiotap namespace that this
/// code knows, plus per-chain signals.
///
/// Fields of the first radiotap namespace fill the options. A later radiotap
/// namespace describes one receive chain with its dBm antenna signal (and
/// Antenna), kept in [`RadiotapRepr::chains`]; its other fields fill only the
/// options still empty. FHSS and XChannel are stepped over, vendor namespaces
/// skipped.
///
/// [`RadiotapRepr::emit`] writes every option that is `Some`, in bit order,
/// in one presence word, followed by one radiotap namespace per chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RadiotapRepr {
    /// TSFT (bit 0): MAC timestamp of the first bit, in microseconds.
    pub tsft: Option<u64>,
    /// Flags (bit 1).
    pub flags: Option<Flags>,
    /// Rate (bit 2), in 500 kb/s units (2: 1 Mb/s, 0x6c: 54 Mb/s).
    pub rate: Option<u8>,
    /// Channel (bit 3).
    pub channel: Option<Channel>,
    /// Antenna signal (bit 5), dBm: the combined signal.
    pub antenna_signal: Option<i8>,
    /// Antenna noise (bit 6), dBm.
    pub antenna_noise: Option<i8>,
    /// Lock quality (bit 7).
    pub lock_quality: Option<u16>,
    /// TX attenuation (bit 8), unitless distance from maximum power.
    pub tx_attenuation: Option<u16>,
    /// dB TX attenuation (bit 9).
    pub db_tx_attenuation: Option<u16>,
    /// dBm TX power (bit 10).
    pub dbm_tx_power: Option<i8>,
    /// Antenna (bit 11) index.
    pub antenna: Option<u8>,
    /// dB antenna signal (bit 12), from an arbitrary reference.
    pub db_antenna_signal: Option<u8>,
    /// dB antenna noise (bit 13), from an arbitrary reference.
    pub db_antenna_noise: Option<u8>,
    /// RX flags (bit 14).
    pub rx_flags: Option<RxFlags>,
    /// TX flags (bit 15).
    pub tx_flags: Option<TxFlags>,
    /// RTS retries (bit 16).
    pub rts_retries: Option<u8>,
    /// Data retries (bit 17).
    pub data_retries: Option<u8>,
    /// MCS (bit 19).
    pub mcs: Option<Mcs>,
    /// A-MPDU status (bit 20).
    pub ampdu_status: Option<AmpduStatus>,
    /// VHT (bit 21).
    pub vht: Option<Vht>,
    /// Timestamp (bit 22).
    pub timestamp: Option<Timestamp>,
    /// HE (bit 23).
    pub he: Option<He>,
    /// HE-MU (bit 24).
    pub he_mu: Option<HeMu>,
    /// 0-length PSDU (bit 26): why there was no PSDU.
    pub zero_length_psdu: Option<u8>,
    /// L-SIG (bit 27).
    pub lsig: Option<LSig>,
    /// Per-chain signals, from the radiotap namespaces after the first.
    pub chains: ChainSignals,
    /// Set by `parse` when it met a presence bit with no known layout
    /// (counted from the start of its radiotap namespace; 28 for a TLV
    /// list): every field after it is absent from this representation.
    /// Ignored by `emit`.
    pub stopped_at_bit: Option<u32>,
}

/// Ties the options of [`RadiotapRepr`] to their presence bits, checking at
/// compile time that each type's layout matches [`LAYOUT`] and that bits
/// ascend (the order `emit` writes them in).
macro_rules! standard_fields {
    ($($bit:literal => $field:ident: $ty:ty),+ $(,)?) => {
        const _: () = {
            let mut previous = -1i64;
            $(
                assert!($bit > previous, "fields must be listed in bit order");
                previous = $bit;
                match LAYOUT[$bit] {
                    Some(layout) => assert!(
                        layout.align == <$ty as Codec>::ALIGN && layout.size == <$ty as Codec>::SIZE,
                        "field type disagrees with the layout table"
                    ),
                    None => panic!("field without a layout"),
                }
            )+
            let _ = previous;
        };

        impl RadiotapRepr {
            /// Stores a field of the radiotap namespace unless already set.
            fn store(&mut self, bit: u32, data: &[u8]) {
                match bit {
                    $( $bit if self.$field.is_none() => self.$field = <$ty as Codec>::read(data), )+
                    _ => {}
                }
            }

            /// The presence bits of the options that are set.
            fn present_bits(&self) -> u32 {
                0 $( | if self.$field.is_some() { 1u32 << $bit } else { 0 } )+
            }

            fn write_fields(&self, writer: &mut Writer<'_>) {
                $( if let Some(value) = &self.$field { writer.field(value); } )+
            }
        }
    };
}

standard_fields! {
    0 => tsft: u64,
    1 => flags: Flags,
    2 => rate: u8,
    3 => channel: Channel,
    5 => antenna_signal: i8,
    6 => antenna_noise: i8,
    7 => lock_quality: u16,
    8 => tx_attenuation: u16,
    9 => db_tx_attenuation: u16,
    10 => dbm_tx_power: i8,
    11 => antenna: u8,
    12 => db_antenna_signal: u8,
    13 => db_antenna_noise: u8,
    14 => rx_flags: RxFlags,
    15 => tx_flags: TxFlags,
    16 => rts_retries: u8,
    17 => data_retries: u8,
    19 => mcs: Mcs,
    20 => ampdu_status: AmpduStatus,
    21 => vht: Vht,
    22 => timestamp: Timestamp,
    23 => he: He,
    24 => he_mu: HeMu,
    26 => zero_length_psdu: u8,
    27 => lsig: LSig,
}

/// Lays out fields one after the other with alignment padding; counts only
/// when it has no buffer, so `buffer_len` and `emit` cannot disagree.
struct Writer<'a> {
    buffer: Option<&'a mut [u8]>,
    offset: usize,
}

impl Writer<'_> {
    fn field<C: Codec>(&mut self, value: &C) {
        let start = align_up(self.offset, C::ALIGN);
        let end = start + C::SIZE;
        if let Some(buffer) = self.buffer.as_deref_mut() {
            if let Some(padding) = buffer.get_mut(self.offset..start) {
                padding.fill(0);
            }
            if let Some(out) = buffer.get_mut(start..end) {
                value.write(out);
            }
        }
        self.offset = end;
    }
}

/// A receive chain being assembled from one later radiotap namespace.
#[derive(Default)]
struct PendingChain {
    namespace: u32,
    antenna: Option<u8>,
    signal_dbm: Option<i8>,
}

impl PendingChain {
    fn finish(self, chains: &mut ChainSignals) {
        if let Some(signal_dbm) = self.signal_dbm {
            // Beyond MAX_CHAINS, chains are dropped.
            let _ = chains.push(ChainSignal {
                antenna: self.antenna,
                signal_dbm,
            });
        }
    }
}

impl RadiotapRepr {
    /// Parses a radiotap header (see the type's documentation for which
    /// fields land where). Errors: those of [`Radiotap::check_len`], and
    /// those of [`Fields`].
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Radiotap<&T>) -> Result<RadiotapRepr> {
        let mut repr = RadiotapRepr::default();
        let mut chain = PendingChain::default();
        for field in packet.fields()? {
            match field? {
                Field::Standard {
                    namespace: 0,
                    bit,
                    data,
                } => repr.store(bit, data),
                Field::Standard {
                    namespace,
                    bit,
                    data,
                } => {
                    if namespace != chain.namespace {
                        core::mem::replace(
                            &mut chain,
                            PendingChain {
                                namespace,
                                ..Default::default()
                            },
                        )
                        .finish(&mut repr.chains);
                    }
                    match bit {
                        bits::DBM_ANTENNA_SIGNAL => chain.signal_dbm = i8::read(data),
                        bits::ANTENNA => chain.antenna = u8::read(data),
                        _ => repr.store(bit, data),
                    }
                }
                Field::Vendor { .. } => {}
                Field::Unknown { bit, .. } => repr.stopped_at_bit = Some(bit),
            }
        }
        chain.finish(&mut repr.chains);
        Ok(repr)
    }

    /// The header for injecting a frame through a monitor interface, with
    /// TX flags only (e.g. [`TxFlags::NOACK`] for a frame that must not be
    /// retried). Add what else mac80211 honours on injection with
    /// [`with_rate`](Self::with_rate), [`with_flags`](Self::with_flags)
    /// ([`Flags::FCS`], [`Flags::WEP`], [`Flags::FRAGMENTATION`]),
    /// [`with_data_retries`](Self::with_data_retries),
    /// [`with_mcs`](Self::with_mcs), or the `vht` field.
    pub fn injection(tx_flags: TxFlags) -> RadiotapRepr {
        RadiotapRepr {
            tx_flags: Some(tx_flags),
            ..RadiotapRepr::default()
        }
    }

    /// With a legacy rate, in 500 kb/s units (used only by devices without
    /// their own rate control).
    pub fn with_rate(mut self, rate: u8) -> RadiotapRepr {
        self.rate = Some(rate);
        self
    }

    /// With the Flags field.
    pub fn with_flags(mut self, flags: Flags) -> RadiotapRepr {
        self.flags = Some(flags);
        self
    }

    /// With a retry limit.
    pub fn with_data_retries(mut self, retries: u8) -> RadiotapRepr {
        self.data_retries = Some(retries);
        self
    }

    /// With an HT rate.
    pub fn with_mcs(mut self, mcs: Mcs) -> RadiotapRepr {
        self.mcs = Some(mcs);
        self
    }

    /// True when the Flags field says the frame ends with its FCS.
    pub fn has_fcs(&self) -> bool {
        self.flags.is_some_and(|flags| flags.contains(Flags::FCS))
    }

    /// The rate in kb/s, from the Rate field.
    pub fn rate_kbps(&self) -> Option<u32> {
        self.rate.map(|rate| u32::from(rate) * 500)
    }

    /// `frame` (the bytes after the header) without its 4-byte FCS when
    /// [`Flags::FCS`] is set; [`Error::Truncated`] if it is shorter than 4.
    pub fn strip_fcs<'a>(&self, frame: &'a [u8]) -> Result<&'a [u8]> {
        strip_fcs(frame, self.has_fcs())
    }

    fn write(&self, writer: &mut Writer<'_>, header_len: u16) {
        let chains = self.chains.as_slice();
        let next_namespace = (1 << RADIOTAP_NAMESPACE) | (1 << EXT);
        writer.field(&0u8); // version
        writer.field(&0u8); // pad
        writer.field(&header_len);
        let first = if chains.is_empty() { 0 } else { next_namespace };
        writer.field(&(self.present_bits() | first));
        for (i, chain) in chains.iter().enumerate() {
            let mut word: u32 = 1 << bits::DBM_ANTENNA_SIGNAL;
            if chain.antenna.is_some() {
                word |= 1 << bits::ANTENNA;
            }
            if i + 1 < chains.len() {
                word |= next_namespace;
            }
            writer.field(&word);
        }
        self.write_fields(writer);
        for chain in chains {
            writer.field(&chain.signal_dbm);
            if let Some(antenna) = &chain.antenna {
                writer.field(antenna);
            }
        }
    }

    /// The length of the header `emit` writes.
    pub fn buffer_len(&self) -> usize {
        let mut writer = Writer {
            buffer: None,
            offset: 0,
        };
        self.write(&mut writer, 0);
        writer.offset
    }

    /// Writes the header into the first [`buffer_len`](Self::buffer_len)
    /// bytes of `packet` (padding zeroed); [`Error::Truncated`] if the
    /// buffer is shorter.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(
        &self,
        packet: &mut Radiotap<&mut T>,
    ) -> Result<()> {
        let len = self.buffer_len();
        let header_len = u16::try_from(len).map_err(|_| Error::BadLength)?;
        let buffer: &mut [u8] = packet.buffer.as_mut();
        let buffer = buffer.get_mut(..len).ok_or(Error::Truncated)?;
        self.write(
            &mut Writer {
                buffer: Some(buffer),
                offset: 0,
            },
            header_len,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(bytes: &[u8]) -> Result<RadiotapRepr> {
        RadiotapRepr::parse(&Radiotap::new_checked(bytes)?)
    }

    fn emit(repr: &RadiotapRepr) -> Vec<u8> {
        let mut buffer = vec![0xa5; repr.buffer_len()];
        repr.emit(&mut Radiotap::new_unchecked(&mut buffer[..]))
            .unwrap();
        buffer
    }

    /// mac80211 in monitor mode on mac80211_hwsim: the layout of
    /// `ieee80211_add_rx_radiotap_header` (net/mac80211/rx.c) for a driver
    /// that reports a MAC time, a legacy rate, dBm signal and no chains:
    /// present 0x0000482f = TSFT, Flags, Rate, Channel, dBm antenna signal,
    /// Antenna, RX flags; 26 bytes. Values: a 1 Mb/s beacon on channel 6
    /// (2437 MHz, CCK + 2 GHz), -30 dBm, antenna 0.
    const HWSIM: [u8; 26] = [
        0x00, 0x00, 0x1a, 0x00, // version, pad, length 26
        0x2f, 0x48, 0x00, 0x00, // present
        0x10, 0x32, 0x54, 0x76, 0x98, 0x00, 0x00, 0x00, // TSFT (offset 8)
        0x00, // Flags
        0x02, // Rate: 1 Mb/s
        0x85, 0x09, 0xa0, 0x00, // Channel: 2437 MHz, CCK | 2 GHz
        0xe2, // dBm antenna signal: -30
        0x00, // Antenna
        0x00, 0x00, // RX flags (offset 24)
    ];

    /// The same function with `status->chains` = 0b11 (two receive chains,
    /// as ath9k reports): bits 29 + 31 in the first word, then one radiotap
    /// namespace per chain with dBm antenna signal + Antenna (0x00000820);
    /// no Antenna in the first namespace; RX flags padded to offset 32; the
    /// chains' (signal, antenna) pairs last; 38 bytes. Flags carry FCS, as
    /// with RX_INCLUDES_FCS hardware.
    const TWO_CHAINS: [u8; 38] = [
        0x00, 0x00, 0x26, 0x00, // version, pad, length 38
        0x2f, 0x40, 0x00, 0xa0, // TSFT Flags Rate Channel signal RX-flags + ns + ext
        0x20, 0x08, 0x00, 0xa0, // chain 0: signal, antenna + ns + ext
        0x20, 0x08, 0x00, 0x00, // chain 1: signal, antenna
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, // TSFT (offset 16)
        0x10, // Flags: FCS
        0x0c, // Rate: 6 Mb/s
        0x3c, 0x14, 0x40, 0x01, // Channel: 5180 MHz, OFDM | 5 GHz
        0xd3, // dBm antenna signal: -45 (combined)
        0x00, // padding
        0x00, 0x00, // RX flags (offset 32)
        0xd1, 0x00, // chain 0: -47 dBm, antenna 0
        0xcf, 0x01, // chain 1: -49 dBm, antenna 1
    ];

    /// Documentation/networking/mac80211-injection.rst: the example
    /// injection header (rate 54 Mb/s, TX power 12 dBm, antenna 1).
    const KERNEL_INJECTION: [u8; 11] = [
        0x00, 0x00, 0x0b, 0x00, 0x04, 0x0c, 0x00, 0x00, 0x6c, 0x0c, 0x01,
    ];

    /// aircrack-ng (osdep/linux.c) injection header: rate + TX flags
    /// NOACK | NO_SEQNO, with the rate byte set to 1 Mb/s.
    const AIRCRACK_INJECTION: [u8; 12] = [
        0x00, 0x00, 0x0c, 0x00, 0x04, 0x80, 0x00, 0x00, 0x02, 0x00, 0x18, 0x00,
    ];

    fn hwsim_repr() -> RadiotapRepr {
        RadiotapRepr {
            tsft: Some(0x98_7654_3210),
            flags: Some(Flags::empty()),
            rate: Some(2),
            channel: Some(Channel {
                freq: 2437,
                flags: ChannelFlags::CCK | ChannelFlags::SPECTRUM_2GHZ,
            }),
            antenna_signal: Some(-30),
            antenna: Some(0),
            rx_flags: Some(RxFlags::empty()),
            ..RadiotapRepr::default()
        }
    }

    fn two_chains_repr() -> RadiotapRepr {
        let mut chains = ChainSignals::new();
        assert!(chains.push(ChainSignal {
            antenna: Some(0),
            signal_dbm: -47
        }));
        assert!(chains.push(ChainSignal {
            antenna: Some(1),
            signal_dbm: -49
        }));
        RadiotapRepr {
            tsft: Some(0x1122_3344_5566_7788),
            flags: Some(Flags::FCS),
            rate: Some(12),
            channel: Some(Channel {
                freq: 5180,
                flags: ChannelFlags::OFDM | ChannelFlags::SPECTRUM_5GHZ,
            }),
            antenna_signal: Some(-45),
            rx_flags: Some(RxFlags::empty()),
            chains,
            ..RadiotapRepr::default()
        }
    }

    #[test]
    fn deconstruct_hwsim() {
        let mut bytes = HWSIM.to_vec();
        bytes.extend_from_slice(&[0x80, 0x00]); // start of a beacon
        let packet = Radiotap::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.version(), 0);
        assert_eq!(packet.pad(), 0);
        assert_eq!(packet.header_len(), 26);
        assert_eq!(packet.present(), 0x482f);
        assert_eq!(packet.present_words().collect::<Vec<_>>(), [0x482f]);
        assert_eq!(packet.header(), &HWSIM[..]);
        assert_eq!(packet.payload(), &[0x80, 0x00]);
        assert_eq!(packet.flags(), Ok(Some(Flags::empty())));
        assert_eq!(packet.frame_without_fcs(), Ok(&[0x80, 0x00][..]));
        let fields: Vec<_> = packet.fields().unwrap().map(Result::unwrap).collect();
        let bits_seen: Vec<u32> = fields
            .iter()
            .map(|field| match field {
                Field::Standard {
                    namespace: 0, bit, ..
                } => *bit,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(bits_seen, [0, 1, 2, 3, 5, 11, 14]);
        assert_eq!(
            fields[3],
            Field::Standard {
                namespace: 0,
                bit: bits::CHANNEL,
                data: &[0x85, 0x09, 0xa0, 0x00]
            }
        );
        assert_eq!(field_name(bits::CHANNEL), Some("Channel"));
        assert_eq!(field_name(bits::TLV), None);
    }

    #[test]
    fn parse_hwsim() {
        let repr = parse(&HWSIM).unwrap();
        assert_eq!(repr, hwsim_repr());
        assert_eq!(repr.rate_kbps(), Some(1000));
        assert!(!repr.has_fcs());
        assert_eq!(repr.stopped_at_bit, None);
    }

    #[test]
    fn construct_hwsim() {
        assert_eq!(hwsim_repr().buffer_len(), HWSIM.len());
        assert_eq!(emit(&hwsim_repr()), HWSIM);
    }

    #[test]
    fn parse_and_construct_two_chains() {
        let packet = Radiotap::new_checked(&TWO_CHAINS[..]).unwrap();
        assert_eq!(
            packet.present_words().collect::<Vec<_>>(),
            [0xa000_402f, 0xa000_0820, 0x820]
        );
        let repr = RadiotapRepr::parse(&packet).unwrap();
        assert_eq!(repr, two_chains_repr());
        assert_eq!(repr.antenna, None, "the first namespace has no Antenna");
        assert_eq!(repr.chains.len(), 2);
        assert_eq!(emit(&repr), TWO_CHAINS);
    }

    #[test]
    fn fcs_is_stripped() {
        let mut bytes = TWO_CHAINS.to_vec();
        bytes.extend_from_slice(&[0xd4, 0x00, 0x00, 0x00, 1, 2, 3, 4]);
        let packet = Radiotap::new_checked(&bytes[..]).unwrap();
        assert_eq!(
            packet.frame_without_fcs(),
            Ok(&[0xd4, 0x00, 0x00, 0x00][..])
        );
        let repr = RadiotapRepr::parse(&packet).unwrap();
        assert_eq!(
            repr.strip_fcs(packet.payload()),
            Ok(&[0xd4, 0x00, 0x00, 0x00][..])
        );
        assert_eq!(repr.strip_fcs(&[1, 2, 3, 4]), Ok(&[][..]));
        assert_eq!(repr.strip_fcs(&[1, 2, 3]), Err(Error::Truncated));
        let short = &bytes[..TWO_CHAINS.len() + 3];
        assert_eq!(
            Radiotap::new_checked(short).unwrap().frame_without_fcs(),
            Err(Error::Truncated)
        );
        // Without the flag, nothing is removed.
        assert_eq!(hwsim_repr().strip_fcs(&[1, 2, 3]), Ok(&[1, 2, 3][..]));
    }

    #[test]
    fn kernel_injection_example() {
        let repr = parse(&KERNEL_INJECTION).unwrap();
        let expected = RadiotapRepr {
            rate: Some(0x6c),
            dbm_tx_power: Some(12),
            antenna: Some(1),
            ..RadiotapRepr::default()
        };
        assert_eq!(repr, expected);
        assert_eq!(emit(&expected), KERNEL_INJECTION);
    }

    #[test]
    fn injection_header() {
        let repr = RadiotapRepr::injection(TxFlags::NOACK | TxFlags::NO_SEQNO).with_rate(2);
        assert_eq!(repr.buffer_len(), 12);
        assert_eq!(emit(&repr), AIRCRACK_INJECTION);
        assert_eq!(parse(&AIRCRACK_INJECTION), Ok(repr));

        let minimal = RadiotapRepr::injection(TxFlags::NOACK);
        assert_eq!(emit(&minimal), [0, 0, 10, 0, 0x00, 0x80, 0, 0, 0x08, 0x00]);

        let ht = RadiotapRepr::injection(TxFlags::empty())
            .with_flags(Flags::FCS)
            .with_data_retries(3)
            .with_mcs(Mcs {
                known: Mcs::KNOWN_MCS | Mcs::KNOWN_BANDWIDTH,
                flags: 0,
                index: 7,
            });
        // Flags @8, TX flags @10 (aligned), data retries @12, MCS @13..16.
        let bytes = emit(&ht);
        assert_eq!(
            bytes,
            [0, 0, 16, 0, 0x02, 0x80, 0x0a, 0, 0x10, 0, 0, 0, 3, 0x03, 0, 7]
        );
        assert_eq!(parse(&bytes), Ok(ht));
    }

    #[test]
    fn emit_into_a_short_buffer_fails() {
        let mut buffer = [0u8; 25];
        assert_eq!(
            hwsim_repr().emit(&mut Radiotap::new_unchecked(&mut buffer[..])),
            Err(Error::Truncated)
        );
        let empty = RadiotapRepr::default();
        assert_eq!(emit(&empty), [0, 0, 8, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn setters() {
        let mut buffer = [0xffu8; 10];
        let mut packet = Radiotap::new_unchecked(&mut buffer[..]);
        packet.set_version(0);
        packet.set_pad(0);
        packet.set_header_len(8);
        packet.set_present(0);
        packet.payload_mut().copy_from_slice(&[1, 2]);
        assert_eq!(packet.into_inner(), &[0, 0, 8, 0, 0, 0, 0, 0, 1, 2]);
        // On a buffer too short, setters and getters do nothing harmful.
        let mut tiny = [0u8; 3];
        let mut packet = Radiotap::new_unchecked(&mut tiny[..]);
        packet.set_present(0xffff_ffff);
        packet.set_header_len(100);
        assert_eq!(packet.header_len(), 0);
        assert_eq!(packet.present(), 0);
        assert_eq!(packet.payload_mut().len(), 3);
    }

    #[test]
    fn every_field_round_trips_with_alignment() {
        let repr = RadiotapRepr {
            tsft: Some(1),
            flags: Some(Flags::SHORT_GI),
            rate: Some(2),
            channel: Some(Channel {
                freq: 2412,
                flags: ChannelFlags::DYNAMIC,
            }),
            antenna_signal: Some(-1),
            antenna_noise: Some(-95),
            lock_quality: Some(7),
            tx_attenuation: Some(8),
            db_tx_attenuation: Some(9),
            dbm_tx_power: Some(20),
            antenna: Some(3),
            db_antenna_signal: Some(40),
            db_antenna_noise: Some(4),
            rx_flags: Some(RxFlags::BAD_PLCP),
            tx_flags: Some(TxFlags::RTS),
            rts_retries: Some(1),
            data_retries: Some(2),
            mcs: Some(Mcs {
                known: 0x1f,
                flags: Mcs::FLAG_SHORT_GI,
                index: 15,
            }),
            ampdu_status: Some(AmpduStatus {
                reference: 9,
                flags: 1,
                delimiter_crc: 2,
                reserved: 0,
            }),
            vht: Some(Vht {
                known: 0x44,
                flags: 4,
                bandwidth: 4,
                mcs_nss: [0x92, 0, 0, 0],
                coding: 1,
                group_id: 0,
                partial_aid: 0x1ff,
            }),
            timestamp: Some(Timestamp {
                timestamp: 5,
                accuracy: 6,
                unit_position: 0x11,
                flags: 2,
            }),
            he: Some(He {
                data: [1, 2, 3, 4, 5, 6],
            }),
            he_mu: Some(HeMu {
                flags1: 1,
                flags2: 2,
                ru_channel1: [3; 4],
                ru_channel2: [4; 4],
            }),
            zero_length_psdu: Some(1),
            lsig: Some(LSig {
                data1: 3,
                data2: 0x1234,
            }),
            ..RadiotapRepr::default()
        };
        let bytes = emit(&repr);
        // Present word: every bit of the table but FHSS (4), XChannel (18)
        // and 25.
        assert_eq!(
            u32::from_le_bytes(bytes[4..8].try_into().unwrap()),
            0x0dfb_ffef
        );
        // Hand-computed end: L-SIG ends the header at 106.
        assert_eq!(bytes.len(), 106);
        assert_eq!(parse(&bytes), Ok(repr));
        // Each field sits at a multiple of its alignment.
        for field in Radiotap::new_checked(&bytes[..]).unwrap().fields().unwrap() {
            let Field::Standard { bit, data, .. } = field.unwrap() else {
                panic!()
            };
            let offset = data.as_ptr() as usize - bytes.as_ptr() as usize;
            assert_eq!(offset % layout(bit).unwrap().align, 0, "bit {bit}");
        }
    }

    #[test]
    fn skipped_fields_are_stepped_over() {
        // Flags @8, FHSS @10 (align 2), dBm signal @12, XChannel @16 (align
        // 4), MCS @24..27.
        let bytes = [
            0, 0, 27, 0, 0x32, 0, 0x0c, 0, // Flags, FHSS, signal, XChannel, MCS
            0x02, 0, 0x01, 0x02, 0xc4, 0, 0, 0, // flags, pad, FHSS, signal, pad
            0, 0, 0, 0, 0x6c, 0x09, 1, 20, // XChannel
            0x02, 0, 5, // MCS
        ];
        let repr = parse(&bytes).unwrap();
        assert_eq!(repr.flags, Some(Flags::SHORT_PREAMBLE));
        assert_eq!(repr.antenna_signal, Some(-60));
        assert_eq!(
            repr.mcs,
            Some(Mcs {
                known: 2,
                flags: 0,
                index: 5
            })
        );
        assert_eq!(repr.channel, None);
    }

    #[test]
    fn every_prefix_is_truncated() {
        for valid in [&HWSIM[..], &TWO_CHAINS[..], &KERNEL_INJECTION[..]] {
            for end in 0..valid.len() {
                assert_eq!(
                    Radiotap::new_checked(&valid[..end]).err(),
                    Some(Error::Truncated)
                );
                let unchecked = Radiotap::new_unchecked(&valid[..end]);
                assert_eq!(RadiotapRepr::parse(&unchecked), Err(Error::Truncated));
                let _ = (
                    unchecked.header(),
                    unchecked.payload(),
                    unchecked.present_words().count(),
                );
            }
        }
    }

    #[test]
    fn bad_lengths() {
        let mut long = HWSIM;
        long[2] = 27; // one more than the buffer
        assert_eq!(parse(&long), Err(Error::Truncated));
        for len in 0..8 {
            let mut short = HWSIM;
            short[2] = len;
            assert_eq!(parse(&short), Err(Error::BadLength), "length {len}");
        }
        // The length cuts the last field (RX flags): misaligned end.
        let mut cut = HWSIM;
        cut[2] = 25;
        assert_eq!(parse(&cut), Err(Error::BadLength));
        // The length leaves no room for TSFT's alignment padding.
        assert_eq!(
            parse(&[0, 0, 12, 0, 0x01, 0, 0, 0, 0, 0, 0, 0]),
            Err(Error::BadLength)
        );
        // A longer length than the fields need is fine.
        let mut padded = HWSIM.to_vec();
        padded[2] = 28;
        padded.extend_from_slice(&[0, 0]);
        assert_eq!(parse(&padded), Ok(hwsim_repr()));
    }

    #[test]
    fn bad_version() {
        let mut bytes = HWSIM;
        bytes[0] = 1;
        assert_eq!(parse(&bytes), Err(Error::Malformed));
    }

    #[test]
    fn presence_chain_that_never_ends() {
        let mut bytes = vec![0, 0, 64, 0];
        for _ in 0..15 {
            bytes.extend_from_slice(&0x8000_0000u32.to_le_bytes());
        }
        assert_eq!(parse(&bytes), Err(Error::Malformed));
        // Even when the buffer goes on past the header length.
        bytes.extend_from_slice(&[0; 8]);
        assert_eq!(parse(&bytes), Err(Error::Malformed));
        // A chain of 15 words that does end fits in 64 bytes.
        bytes[4 + 14 * 4 + 3] = 0;
        assert_eq!(parse(&bytes).unwrap(), RadiotapRepr::default());
    }

    #[test]
    fn unknown_bit_stops_parsing() {
        // Flags, HE-MU-other-user (25, unknown), L-SIG: keeps Flags only.
        let bytes = [
            0, 0, 16, 0, 0x02, 0, 0, 0x0a, 0x10, 0, 0xaa, 0xbb, 0, 0, 0, 0,
        ];
        let repr = parse(&bytes).unwrap();
        assert_eq!(repr.flags, Some(Flags::FCS));
        assert_eq!(repr.lsig, None);
        assert_eq!(repr.stopped_at_bit, Some(bits::HE_MU_OTHER_USER));
        let packet = Radiotap::new_checked(&bytes[..]).unwrap();
        let fields: Vec<_> = packet.fields().unwrap().collect();
        assert_eq!(fields.len(), 2);
        assert_eq!(
            fields[1],
            Ok(Field::Unknown {
                namespace: 0,
                bit: 25
            })
        );

        // TLVs (bit 28) after Rate.
        let tlv = [0, 0, 16, 0, 0x04, 0, 0, 0x10, 0x0c, 0, 0, 0, 1, 0, 0, 0];
        let repr = parse(&tlv).unwrap();
        assert_eq!(repr.rate, Some(0x0c));
        assert_eq!(repr.stopped_at_bit, Some(bits::TLV));

        // Bit 32 of the radiotap namespace (a chained word without bit 29).
        let ext = [0, 0, 13, 0, 0x04, 0, 0, 0x80, 0x01, 0, 0, 0, 0x16];
        let repr = parse(&ext).unwrap();
        assert_eq!(repr.rate, Some(0x16));
        assert_eq!(repr.stopped_at_bit, Some(32));
    }

    #[test]
    fn vendor_namespace_is_skipped() {
        // Word 0: Flags + vendor namespace + ext. Word 1 (vendor): bits 0, 1
        // and 2 (not interpreted) + back to radiotap + ext. Word 2: Rate +
        // dBm antenna signal (a chain, as in a later radiotap namespace).
        let bytes = [
            0, 0, 30, 0, //
            0x02, 0, 0, 0xc0, // Flags, vendor ns, ext
            0x07, 0, 0, 0xa0, // vendor bits, radiotap ns, ext
            0x24, 0, 0, 0,    // Rate, dBm antenna signal
            0x10, // Flags @16
            0x00, // pad
            0x00, 0x11, 0x22, 0x07, 0x03, 0x00, // vendor namespace @18: skip 3
            0xaa, 0xbb, 0xcc, // vendor data @24
            0x6c, // Rate @27
            0xc4, // dBm antenna signal @28
            0x00, // trailing
        ];
        let packet = Radiotap::new_checked(&bytes[..]).unwrap();
        let fields: Vec<_> = packet.fields().unwrap().map(Result::unwrap).collect();
        assert_eq!(
            fields[1],
            Field::Vendor {
                oui: [0x00, 0x11, 0x22],
                sub_namespace: 7,
                data: &[0xaa, 0xbb, 0xcc]
            }
        );
        assert_eq!(
            fields[2],
            Field::Standard {
                namespace: 1,
                bit: 2,
                data: &[0x6c]
            }
        );
        let repr = RadiotapRepr::parse(&packet).unwrap();
        assert_eq!(repr.flags, Some(Flags::FCS));
        assert_eq!(repr.rate, Some(0x6c));
        assert_eq!(repr.antenna_signal, None);
        assert_eq!(
            repr.chains.as_slice(),
            [ChainSignal {
                antenna: None,
                signal_dbm: -60
            }]
        );

        // The vendor data runs past the header length.
        let mut long_skip = bytes;
        long_skip[22] = 0x10;
        assert_eq!(parse(&long_skip), Err(Error::BadLength));
        // Both namespace bits in one word.
        let mut both = bytes;
        both[7] = 0xe0;
        assert_eq!(parse(&both), Err(Error::Malformed));
    }

    #[test]
    fn more_than_four_chains_keep_four() {
        let mut bytes = vec![0, 0, 0, 0];
        bytes.extend_from_slice(&0xa000_0020u32.to_le_bytes());
        for i in 0..6 {
            let more = if i < 5 { 0xa000_0000 } else { 0 };
            bytes.extend_from_slice(&(0x0820u32 | more).to_le_bytes());
        }
        bytes.push(0xd0); // combined
        for i in 0..6u8 {
            bytes.extend_from_slice(&[0xc0 + i, i]);
        }
        bytes[2] = bytes.len() as u8;
        let repr = parse(&bytes).unwrap();
        assert_eq!(repr.antenna_signal, Some(-48));
        assert_eq!(repr.chains.len(), MAX_CHAINS);
        assert_eq!(
            repr.chains.iter().last(),
            Some(&ChainSignal {
                antenna: Some(3),
                signal_dbm: -61
            })
        );
        // And the four kept are emitted as four namespaces.
        assert_eq!(parse(&emit(&repr)), Ok(repr));
    }

    fn arb_codec<C: Codec + core::fmt::Debug, const N: usize>() -> impl Strategy<Value = Option<C>>
    {
        proptest::option::of(any::<[u8; N]>().prop_map(|bytes| C::read(&bytes).unwrap()))
    }

    prop_compose! {
        fn arb_chains()(chains in proptest::collection::vec(
            (proptest::option::of(any::<u8>()), any::<i8>()), 0..=MAX_CHAINS,
        )) -> ChainSignals {
            let mut out = ChainSignals::new();
            for (antenna, signal_dbm) in chains {
                assert!(out.push(ChainSignal { antenna, signal_dbm }));
            }
            out
        }
    }

    prop_compose! {
        fn arb_repr()(
            a in (
                any::<Option<u64>>(),
                arb_codec::<Flags, 1>(),
                any::<Option<u8>>(),
                arb_codec::<Channel, 4>(),
                any::<Option<i8>>(),
                any::<Option<i8>>(),
                any::<Option<u16>>(),
                any::<Option<u16>>(),
                any::<Option<u16>>(),
                any::<Option<i8>>(),
            ),
            b in (
                any::<Option<u8>>(),
                any::<Option<u8>>(),
                any::<Option<u8>>(),
                arb_codec::<RxFlags, 2>(),
                arb_codec::<TxFlags, 2>(),
                any::<Option<u8>>(),
                any::<Option<u8>>(),
                arb_codec::<Mcs, 3>(),
                arb_codec::<AmpduStatus, 8>(),
                arb_codec::<Vht, 12>(),
            ),
            c in (
                arb_codec::<Timestamp, 12>(),
                arb_codec::<He, 12>(),
                arb_codec::<HeMu, 12>(),
                any::<Option<u8>>(),
                arb_codec::<LSig, 4>(),
                arb_chains(),
            ),
        ) -> RadiotapRepr {
            let (tsft, flags, rate, channel, antenna_signal, antenna_noise, lock_quality,
                 tx_attenuation, db_tx_attenuation, dbm_tx_power) = a;
            let (antenna, db_antenna_signal, db_antenna_noise, rx_flags, tx_flags, rts_retries,
                 data_retries, mcs, ampdu_status, vht) = b;
            let (timestamp, he, he_mu, zero_length_psdu, lsig, chains) = c;
            RadiotapRepr {
                tsft, flags, rate, channel, antenna_signal, antenna_noise, lock_quality,
                tx_attenuation, db_tx_attenuation, dbm_tx_power, antenna, db_antenna_signal,
                db_antenna_noise, rx_flags, tx_flags, rts_retries, data_retries, mcs,
                ampdu_status, vht, timestamp, he, he_mu, zero_length_psdu, lsig, chains,
                stopped_at_bit: None,
            }
        }
    }

    /// Bytes that pass the fixed-header checks more often than noise does.
    fn plausible_header() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 8..160).prop_map(|mut bytes| {
            let len = bytes.len() as u16;
            bytes[0] = 0;
            let claimed = u16::from(bytes[2]) % (len + 1);
            bytes[2..4].copy_from_slice(&claimed.to_le_bytes());
            bytes
        })
    }

    fn exercise(bytes: &[u8]) {
        let packet = Radiotap::new_unchecked(bytes);
        let _ = (
            packet.version(),
            packet.pad(),
            packet.header_len(),
            packet.present(),
        );
        let _ = (
            packet.header(),
            packet.payload(),
            packet.present_words().count(),
        );
        let _ = (packet.flags(), packet.frame_without_fcs());
        if let Ok(fields) = packet.fields() {
            for _ in fields {}
        }
        if let Ok(repr) = RadiotapRepr::parse(&packet) {
            // What emit supports survives a second round.
            let again = parse(&emit(&repr)).unwrap();
            assert_eq!(
                again,
                RadiotapRepr {
                    stopped_at_bit: None,
                    ..repr
                }
            );
        }
    }

    proptest! {
        #[test]
        fn emit_then_parse_is_identity(repr in arb_repr()) {
            let bytes = emit(&repr);
            prop_assert_eq!(bytes.len(), repr.buffer_len());
            prop_assert_eq!(parse(&bytes), Ok(repr));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            exercise(&bytes);
        }

        #[test]
        fn plausible_headers_never_panic(bytes in plausible_header()) {
            exercise(&bytes);
        }
    }
}
