//! The MAC80211_HWSIM generic netlink family: the messages a medium
//! receives and sends, parsed and built as pure functions.
//!
//! Numbers from the kernel's `mac80211_hwsim.h` (Linux 6.1). How the
//! kernel names radios: every hwsim radio has two addresses, its
//! permanent one `02:00:00:00:NN:00` (the first interface's address) and
//! a second one with bit 0x40 set in the first byte (`42:00:00:00:NN:00`).
//! The second one is the radio's name on this family: the kernel puts it
//! in HWSIM_ATTR_ADDR_TRANSMITTER of every frame it hands the medium, and
//! looks the receiver up by it in HWSIM_ATTR_ADDR_RECEIVER (and the
//! transmitter in TX_INFO_FRAME). Interface addresses (a BSSID, a
//! changed MAC) are announced with ADD_MAC_ADDR / DEL_MAC_ADDR, but only
//! for interfaces added while a medium is registered.

use crate::netlink::{self, messages, Builder, NLM_F_REQUEST};

/// The family's name, for CTRL_CMD_GETFAMILY.
pub const FAMILY_NAME: &str = "MAC80211_HWSIM";
/// The family's version, put in every request.
pub const VERSION: u8 = 1;

/// Command: register as the medium.
pub const CMD_REGISTER: u8 = 1;
/// Command: a frame (transmitted, to the medium; received, from it).
pub const CMD_FRAME: u8 = 2;
/// Command: the transmit status of a frame, to the kernel.
pub const CMD_TX_INFO_FRAME: u8 = 3;
/// Command: an interface address was added to a radio.
pub const CMD_ADD_MAC_ADDR: u8 = 7;
/// Command: an interface address was removed from a radio.
pub const CMD_DEL_MAC_ADDR: u8 = 8;

/// Attribute: receiving radio (6 bytes).
pub const ATTR_ADDR_RECEIVER: u16 = 1;
/// Attribute: transmitting radio (6 bytes).
pub const ATTR_ADDR_TRANSMITTER: u16 = 2;
/// Attribute: the 802.11 frame.
pub const ATTR_FRAME: u16 = 3;
/// Attribute: HWSIM_TX_* flags (u32).
pub const ATTR_FLAGS: u16 = 4;
/// Attribute: receive rate index (u32).
pub const ATTR_RX_RATE: u16 = 5;
/// Attribute: signal, dBm (u32 holding an i32).
pub const ATTR_SIGNAL: u16 = 6;
/// Attribute: the rate/tries table (4 x {s8 idx, u8 count}).
pub const ATTR_TX_INFO: u16 = 7;
/// Attribute: the frame's cookie (u64).
pub const ATTR_COOKIE: u16 = 8;
/// Attribute: frequency, MHz (u32).
pub const ATTR_FREQ: u16 = 19;
/// Attribute: the rate flags table (4 x {s8 idx, u16 flags}).
pub const ATTR_TX_INFO_FLAGS: u16 = 21;

/// Frame flag: the transmitter wants a status.
pub const TX_CTL_REQ_TX_STATUS: u32 = 1;
/// Frame flag: no acknowledgement expected.
pub const TX_CTL_NO_ACK: u32 = 2;
/// Status flag: the frame was acknowledged.
pub const TX_STAT_ACK: u32 = 4;

/// Rate flag: an HT MCS.
pub const RC_MCS: u16 = 1 << 3;
/// Rate flag: a VHT MCS.
pub const RC_VHT_MCS: u16 = 1 << 8;

/// Entries in the rate tables (IEEE80211_TX_MAX_RATES).
pub const MAX_RATES: usize = 4;

/// A MAC address.
pub type Mac = [u8; 6];

/// The radio address hwsim uses on this family for a radio whose
/// permanent address is `perm` (bit 0x40 of the first byte set).
pub fn radio_addr(perm: Mac) -> Mac {
    let mut a = perm;
    a[0] |= 0x40;
    a
}

/// One entry of a rate/tries table: rate index (-1: unused) and tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TxRate {
    /// Rate index (legacy index into the band's rates, or an MCS).
    pub idx: i8,
    /// Number of tries at this rate.
    pub count: u8,
}

/// A frame a radio transmitted (HWSIM_CMD_FRAME from the kernel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxFrame {
    /// The transmitting radio (its hwsim address).
    pub transmitter: Mac,
    /// The 802.11 frame.
    pub frame: Vec<u8>,
    /// HWSIM_TX_CTL_* flags.
    pub flags: u32,
    /// Channel, MHz (0 when the kernel sent none).
    pub freq: u32,
    /// The rate/tries table.
    pub rates: [TxRate; MAX_RATES],
    /// Rate flags per entry (HWSIM_TX_RC_*), zero when absent.
    pub rate_flags: [u16; MAX_RATES],
    /// The kernel's handle for the TX status.
    pub cookie: u64,
}

/// What the kernel told the medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A transmitted frame.
    Frame(TxFrame),
    /// An interface address added to a radio.
    AddMac {
        /// The radio.
        radio: Mac,
        /// The interface address.
        addr: Mac,
    },
    /// An interface address removed from a radio.
    DelMac {
        /// The radio.
        radio: Mac,
        /// The interface address.
        addr: Mac,
    },
    /// An acknowledgement (code 0) or error (negative errno) for request
    /// `seq`.
    Ack {
        /// 0 or a negative errno.
        code: i32,
        /// The request's sequence number.
        seq: u32,
    },
    /// Anything else of the family, by command (ignored).
    Other(u8),
}

fn mac(p: Option<&[u8]>) -> Option<Mac> {
    p?.get(0..6)?.try_into().ok()
}

/// Every event in a datagram from the kernel (messages of other
/// families and malformed ones are skipped).
pub fn parse(family: u16, datagram: &[u8]) -> Vec<Event> {
    let mut out = Vec::new();
    for m in messages(datagram) {
        if let Some((code, seq)) = netlink::error(&m) {
            out.push(Event::Ack { code, seq });
            continue;
        }
        if m.ty != family {
            continue;
        }
        let Some((cmd, a)) = m.genl() else { continue };
        let ev = match cmd {
            CMD_FRAME => {
                let (Some(transmitter), Some(frame), Some(cookie)) = (
                    mac(a.get(ATTR_ADDR_TRANSMITTER)),
                    a.get(ATTR_FRAME),
                    a.u64(ATTR_COOKIE),
                ) else {
                    continue;
                };
                let mut rates = [TxRate { idx: -1, count: 0 }; MAX_RATES];
                if let Some(t) = a.get(ATTR_TX_INFO) {
                    for (r, c) in rates.iter_mut().zip(t.chunks_exact(2)) {
                        *r = TxRate {
                            idx: c[0] as i8,
                            count: c[1],
                        };
                    }
                }
                let mut rate_flags = [0u16; MAX_RATES];
                if let Some(t) = a.get(ATTR_TX_INFO_FLAGS) {
                    for (f, c) in rate_flags.iter_mut().zip(t.chunks_exact(3)) {
                        *f = u16::from_ne_bytes([c[1], c[2]]);
                    }
                }
                Event::Frame(TxFrame {
                    transmitter,
                    frame: frame.to_vec(),
                    flags: a.u32(ATTR_FLAGS).unwrap_or(0),
                    freq: a.u32(ATTR_FREQ).unwrap_or(0),
                    rates,
                    rate_flags,
                    cookie,
                })
            }
            CMD_ADD_MAC_ADDR | CMD_DEL_MAC_ADDR => {
                let (Some(radio), Some(addr)) = (
                    mac(a.get(ATTR_ADDR_TRANSMITTER)),
                    mac(a.get(ATTR_ADDR_RECEIVER)),
                ) else {
                    continue;
                };
                if cmd == CMD_ADD_MAC_ADDR {
                    Event::AddMac { radio, addr }
                } else {
                    Event::DelMac { radio, addr }
                }
            }
            other => Event::Other(other),
        };
        out.push(ev);
    }
    out
}

/// HWSIM_CMD_REGISTER (acknowledged).
pub fn register(family: u16, seq: u32) -> Vec<u8> {
    Builder::new(
        family,
        CMD_REGISTER,
        VERSION,
        NLM_F_REQUEST | netlink::NLM_F_ACK,
        seq,
    )
    .finish()
}

/// HWSIM_CMD_FRAME to the kernel: `frame` received by radio `receiver`
/// at rate index `rate`, `signal` dBm, on `freq` MHz.
pub fn deliver(
    family: u16,
    seq: u32,
    receiver: Mac,
    frame: &[u8],
    rate: u32,
    signal: i32,
    freq: u32,
) -> Vec<u8> {
    Builder::new(family, CMD_FRAME, VERSION, NLM_F_REQUEST, seq)
        .put(ATTR_ADDR_RECEIVER, &receiver)
        .put(ATTR_FRAME, frame)
        .u32(ATTR_RX_RATE, rate)
        .u32(ATTR_SIGNAL, signal as u32)
        .u32(ATTR_FREQ, freq)
        .finish()
}

/// HWSIM_CMD_TX_INFO_FRAME to the kernel: the status of the frame
/// `cookie` of radio `transmitter` (flags, the tries used per rate, the
/// acknowledgement's signal).
pub fn tx_info(
    family: u16,
    seq: u32,
    transmitter: Mac,
    flags: u32,
    signal: i32,
    rates: &[TxRate; MAX_RATES],
    cookie: u64,
) -> Vec<u8> {
    let mut table = [0u8; 2 * MAX_RATES];
    for (c, r) in table.chunks_exact_mut(2).zip(rates) {
        c[0] = r.idx as u8;
        c[1] = r.count;
    }
    Builder::new(family, CMD_TX_INFO_FRAME, VERSION, NLM_F_REQUEST, seq)
        .put(ATTR_ADDR_TRANSMITTER, &transmitter)
        .u32(ATTR_FLAGS, flags)
        .u32(ATTR_SIGNAL, signal as u32)
        .put(ATTR_TX_INFO, &table)
        .u64(ATTR_COOKIE, cookie)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radio_address_sets_bit_0x40() {
        assert_eq!(radio_addr([2, 0, 0, 0, 1, 0]), [0x42, 0, 0, 0, 1, 0]);
        assert_eq!(radio_addr([0x42, 0, 0, 0, 1, 0]), [0x42, 0, 0, 0, 1, 0]);
    }

    #[test]
    fn a_frame_round_trips_through_the_parser() {
        // What the kernel sends, built with the same attribute layout.
        let k = Builder::new(30, CMD_FRAME, 1, 0, 0)
            .put(ATTR_ADDR_TRANSMITTER, &[0x42, 0, 0, 0, 1, 0])
            .put(ATTR_FRAME, &[0x80, 0, 0, 0])
            .u32(ATTR_FLAGS, TX_CTL_REQ_TX_STATUS)
            .u32(ATTR_FREQ, 2412)
            .put(ATTR_TX_INFO, &[0, 3, 255, 0, 255, 0, 255, 0])
            .put(
                ATTR_TX_INFO_FLAGS,
                &[0, 8, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0],
            )
            .u64(ATTR_COOKIE, 9)
            .finish();
        let ev = parse(30, &k);
        let Some(Event::Frame(f)) = ev.first() else {
            panic!("{ev:?}")
        };
        assert_eq!(f.transmitter, [0x42, 0, 0, 0, 1, 0]);
        assert_eq!(f.rates[0], TxRate { idx: 0, count: 3 });
        assert_eq!(f.rates[1].idx, -1);
        assert_eq!(f.rate_flags[0], u16::from_ne_bytes([8, 0]));
        assert_eq!((f.freq, f.cookie, f.flags), (2412, 9, 1));
        // Another family's message is not ours.
        assert!(parse(31, &k).is_empty());
    }

    #[test]
    fn tx_info_layout() {
        let rates = [
            TxRate { idx: 11, count: 2 },
            TxRate { idx: -1, count: 0 },
            TxRate { idx: -1, count: 0 },
            TxRate { idx: -1, count: 0 },
        ];
        let m = tx_info(30, 5, [0x42, 0, 0, 0, 0, 0], 5, -41, &rates, 77);
        // header 16 + genl 4 + addr 12 + flags 8 + signal 8 + table 12 + cookie 12
        assert_eq!(m.len(), 72);
        assert_eq!(&m[52..60], &[11, 2, 255, 0, 255, 0, 255, 0]);
        assert_eq!(&m[44..48], &(-41i32).to_ne_bytes());
    }
}
