//! Frame control and the generic MAC header view.

use crate::{Error, MacAddr, Result};

enum_with_unknown! {
    /// The frame type, bits 2-3 of the frame control field.
    pub enum FrameType(u8) {
        /// Management frames.
        Management = 0,
        /// Control frames.
        Control = 1,
        /// Data frames.
        Data = 2,
        /// Extension frames (DMG beacons and the like).
        Extension = 3,
    }
}

enum_with_unknown! {
    /// The subtype of a management frame, bits 4-7 of the frame control field.
    pub enum MgmtSubtype(u8) {
        /// Association request.
        AssocReq = 0,
        /// Association response.
        AssocResp = 1,
        /// Reassociation request.
        ReassocReq = 2,
        /// Reassociation response.
        ReassocResp = 3,
        /// Probe request.
        ProbeReq = 4,
        /// Probe response.
        ProbeResp = 5,
        /// Timing advertisement.
        TimingAdvertisement = 6,
        /// Beacon.
        Beacon = 8,
        /// ATIM.
        Atim = 9,
        /// Disassociation.
        Disassoc = 10,
        /// Authentication.
        Auth = 11,
        /// Deauthentication.
        Deauth = 12,
        /// Action.
        Action = 13,
        /// Action without acknowledgement.
        ActionNoAck = 14,
    }
}

/// Bits of the capability information field (9.4.1.4).
pub mod capability {
    /// The sender is an access point.
    pub const ESS: u16 = 1 << 0;
    /// The sender is in an IBSS.
    pub const IBSS: u16 = 1 << 1;
    /// Data confidentiality is required (WEP, WPA, RSN).
    pub const PRIVACY: u16 = 1 << 4;
    /// Short preamble allowed.
    pub const SHORT_PREAMBLE: u16 = 1 << 5;
    /// Spectrum management (802.11h) in use.
    pub const SPECTRUM_MGMT: u16 = 1 << 8;
    /// QoS (WMM) supported.
    pub const QOS: u16 = 1 << 9;
    /// Short slot time in use.
    pub const SHORT_SLOT_TIME: u16 = 1 << 10;
    /// Automatic power save delivery.
    pub const APSD: u16 = 1 << 11;
    /// Radio measurement (802.11k).
    pub const RADIO_MEASUREMENT: u16 = 1 << 12;
}

/// The frame control field: the first two octets of every frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FrameControl(pub u16);

impl FrameControl {
    const TO_DS: u16 = 1 << 8;
    const FROM_DS: u16 = 1 << 9;
    const MORE_FRAGMENTS: u16 = 1 << 10;
    const RETRY: u16 = 1 << 11;
    const POWER_MGMT: u16 = 1 << 12;
    const MORE_DATA: u16 = 1 << 13;
    const PROTECTED: u16 = 1 << 14;
    const ORDER: u16 = 1 << 15;

    /// The frame control of a management frame of `subtype`, all flags clear.
    pub fn management(subtype: MgmtSubtype) -> FrameControl {
        FrameControl(u16::from(u8::from(subtype) & 0x0f) << 4)
    }

    /// Protocol version: 0 is the only one defined.
    pub const fn protocol_version(self) -> u8 {
        (self.0 & 0x3) as u8
    }
    /// The frame type.
    pub fn frame_type(self) -> FrameType {
        FrameType::from(((self.0 >> 2) & 0x3) as u8)
    }
    /// The 4-bit subtype.
    pub const fn subtype(self) -> u8 {
        ((self.0 >> 4) & 0xf) as u8
    }
    /// The management subtype (meaningful only for management frames).
    pub fn mgmt_subtype(self) -> MgmtSubtype {
        MgmtSubtype::from(self.subtype())
    }
    /// The flag octet (bits 8-15): To DS, From DS, More Fragments, Retry,
    /// Power Management, More Data, Protected, +HTC/Order.
    pub const fn flags(self) -> u8 {
        (self.0 >> 8) as u8
    }
    /// To DS.
    pub const fn to_ds(self) -> bool {
        self.0 & Self::TO_DS != 0
    }
    /// From DS.
    pub const fn from_ds(self) -> bool {
        self.0 & Self::FROM_DS != 0
    }
    /// More fragments follow.
    pub const fn more_fragments(self) -> bool {
        self.0 & Self::MORE_FRAGMENTS != 0
    }
    /// This is a retransmission.
    pub const fn retry(self) -> bool {
        self.0 & Self::RETRY != 0
    }
    /// The sender goes to power save after this frame.
    pub const fn power_mgmt(self) -> bool {
        self.0 & Self::POWER_MGMT != 0
    }
    /// More frames are buffered for the receiver.
    pub const fn more_data(self) -> bool {
        self.0 & Self::MORE_DATA != 0
    }
    /// The body is encrypted.
    pub const fn protected(self) -> bool {
        self.0 & Self::PROTECTED != 0
    }
    /// +HTC (QoS data and management frames) or Order (others).
    pub const fn order(self) -> bool {
        self.0 & Self::ORDER != 0
    }
    /// The same frame control with the flag octet replaced.
    pub const fn with_flags(self, flags: u8) -> FrameControl {
        FrameControl((self.0 & 0x00ff) | ((flags as u16) << 8))
    }
    /// The same frame control with Retry set or cleared.
    pub const fn with_retry(self, retry: bool) -> FrameControl {
        if retry {
            FrameControl(self.0 | Self::RETRY)
        } else {
            FrameControl(self.0 & !Self::RETRY)
        }
    }

    /// True for QoS data subtypes (bit 3 of the subtype set).
    fn is_qos_data(self) -> bool {
        self.frame_type() == FrameType::Data && self.subtype() & 0x8 != 0
    }

    /// Length of the MAC header this frame control announces, HT control
    /// included, or `None` for a control subtype that carries no standard
    /// addressing (extension-type frames).
    pub fn header_len(self) -> Option<usize> {
        match self.frame_type() {
            FrameType::Management => Some(if self.order() { 28 } else { 24 }),
            FrameType::Data => {
                let mut len = 24;
                if self.to_ds() && self.from_ds() {
                    len += 6;
                }
                if self.is_qos_data() {
                    len += 2;
                    if self.order() {
                        len += 4;
                    }
                }
                Some(len)
            }
            FrameType::Control => match self.subtype() {
                // CTS and ACK carry the receiver address only.
                12 | 13 => Some(10),
                // RTS, PS-Poll, CF-End, Block Ack (Request), NDPA, trigger...
                _ => Some(16),
            },
            FrameType::Extension | FrameType::Unknown(_) => None,
        }
    }
}

/// The sequence control field: a 12-bit sequence number and a 4-bit
/// fragment number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SeqCtrl {
    /// Sequence number, modulo 4096.
    pub number: u16,
    /// Fragment number, 0-15.
    pub fragment: u8,
}

impl SeqCtrl {
    /// Decodes the raw field.
    pub const fn from_raw(raw: u16) -> SeqCtrl {
        SeqCtrl {
            number: raw >> 4,
            fragment: (raw & 0xf) as u8,
        }
    }
    /// Encodes the field; the number is taken modulo 4096.
    pub const fn to_raw(self) -> u16 {
        ((self.number & 0x0fff) << 4) | (self.fragment as u16 & 0xf)
    }
    /// The next sequence number, fragment zero.
    pub const fn next(self) -> SeqCtrl {
        SeqCtrl {
            number: (self.number + 1) & 0x0fff,
            fragment: 0,
        }
    }
}

mod field {
    use core::ops::Range;
    pub const FRAME_CONTROL: Range<usize> = 0..2;
    pub const DURATION: Range<usize> = 2..4;
    pub const ADDR1: Range<usize> = 4..10;
    pub const ADDR2: Range<usize> = 10..16;
    pub const ADDR3: Range<usize> = 16..22;
    pub const SEQ_CTRL: Range<usize> = 22..24;
    pub const ADDR4: Range<usize> = 24..30;
}

fn read_u16(bytes: &[u8], at: core::ops::Range<usize>) -> Option<u16> {
    let two: [u8; 2] = bytes.get(at)?.try_into().ok()?;
    Some(u16::from_le_bytes(two))
}

fn write_bytes(bytes: &mut [u8], at: core::ops::Range<usize>, value: &[u8]) {
    if let Some(dst) = bytes.get_mut(at) {
        if dst.len() == value.len() {
            dst.copy_from_slice(value);
        }
    }
}

/// A zero-copy view of an 802.11 frame: its MAC header and body.
///
/// After [`Frame::new_checked`] the buffer is known to hold the whole MAC
/// header that the frame control announces, so every getter returns a value
/// (addresses absent from short control frames are `None`).
/// The buffer must not include the FCS (strip it first, see the radiotap
/// flags).
#[derive(Debug, Clone)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wraps a buffer without checking it. Getters on a short buffer return
    /// zeros rather than panic; use [`Frame::new_checked`] for input.
    pub const fn new_unchecked(buffer: T) -> Frame<T> {
        Frame { buffer }
    }

    /// Wraps a buffer after checking that it holds the whole header.
    pub fn new_checked(buffer: T) -> Result<Frame<T>> {
        let frame = Frame::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// Checks that the buffer holds the frame control and the whole header
    /// it announces.
    pub fn check_len(&self) -> Result<()> {
        let bytes = self.buffer.as_ref();
        if bytes.len() < 2 {
            return Err(Error::Truncated);
        }
        let Some(header_len) = self.frame_control().header_len() else {
            return Err(Error::Unsupported);
        };
        if bytes.len() < header_len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Gives back the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The frame control field.
    pub fn frame_control(&self) -> FrameControl {
        FrameControl(read_u16(self.buffer.as_ref(), field::FRAME_CONTROL).unwrap_or(0))
    }

    /// Duration/ID field.
    pub fn duration(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::DURATION).unwrap_or(0)
    }

    /// Address 1: the receiver (for management frames, the destination).
    pub fn addr1(&self) -> MacAddr {
        self.addr(field::ADDR1).unwrap_or(MacAddr::ZERO)
    }

    /// Address 2: the transmitter (for management frames, the source);
    /// `None` for CTS and ACK.
    pub fn addr2(&self) -> Option<MacAddr> {
        (self.header_len() >= field::ADDR2.end)
            .then(|| self.addr(field::ADDR2))
            .flatten()
    }

    /// Address 3 (for management frames, the BSSID); `None` for control frames.
    pub fn addr3(&self) -> Option<MacAddr> {
        (self.header_len() >= field::SEQ_CTRL.end)
            .then(|| self.addr(field::ADDR3))
            .flatten()
    }

    /// Sequence control; `None` for control frames.
    pub fn seq_ctrl(&self) -> Option<SeqCtrl> {
        if self.header_len() < field::SEQ_CTRL.end {
            return None;
        }
        read_u16(self.buffer.as_ref(), field::SEQ_CTRL).map(SeqCtrl::from_raw)
    }

    /// Address 4, present in data frames with both To DS and From DS set.
    pub fn addr4(&self) -> Option<MacAddr> {
        let fc = self.frame_control();
        if fc.frame_type() == FrameType::Data && fc.to_ds() && fc.from_ds() {
            self.addr(field::ADDR4)
        } else {
            None
        }
    }

    /// The QoS control field of QoS data frames.
    pub fn qos_control(&self) -> Option<u16> {
        let fc = self.frame_control();
        if !fc.is_qos_data() {
            return None;
        }
        let at = if self.addr4().is_some() { 30 } else { 24 };
        read_u16(self.buffer.as_ref(), at..at + 2)
    }

    /// The HT control field, when +HTC is set on a management or QoS data frame.
    pub fn ht_control(&self) -> Option<u32> {
        let fc = self.frame_control();
        let has = fc.order() && (fc.frame_type() == FrameType::Management || fc.is_qos_data());
        if !has {
            return None;
        }
        let end = self.header_len();
        let four: [u8; 4] = self
            .buffer
            .as_ref()
            .get(end.checked_sub(4)?..end)?
            .try_into()
            .ok()?;
        Some(u32::from_le_bytes(four))
    }

    /// Length of the MAC header (0 for a frame type without one).
    pub fn header_len(&self) -> usize {
        self.frame_control().header_len().unwrap_or(0)
    }

    fn addr(&self, at: core::ops::Range<usize>) -> Option<MacAddr> {
        self.buffer.as_ref().get(at).and_then(MacAddr::from_bytes)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Frame<&'a T> {
    /// The frame body, after the MAC header (empty if the buffer is short).
    pub fn payload(&self) -> &'a [u8] {
        let bytes = self.buffer.as_ref();
        bytes.get(self.header_len()..).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// Sets the frame control field.
    pub fn set_frame_control(&mut self, fc: FrameControl) {
        write_bytes(
            self.buffer.as_mut(),
            field::FRAME_CONTROL,
            &fc.0.to_le_bytes(),
        );
    }
    /// Sets the duration/ID field.
    pub fn set_duration(&mut self, value: u16) {
        write_bytes(self.buffer.as_mut(), field::DURATION, &value.to_le_bytes());
    }
    /// Sets address 1.
    pub fn set_addr1(&mut self, addr: MacAddr) {
        write_bytes(self.buffer.as_mut(), field::ADDR1, addr.as_bytes());
    }
    /// Sets address 2.
    pub fn set_addr2(&mut self, addr: MacAddr) {
        write_bytes(self.buffer.as_mut(), field::ADDR2, addr.as_bytes());
    }
    /// Sets address 3.
    pub fn set_addr3(&mut self, addr: MacAddr) {
        write_bytes(self.buffer.as_mut(), field::ADDR3, addr.as_bytes());
    }
    /// Sets the sequence control field.
    pub fn set_seq_ctrl(&mut self, seq: SeqCtrl) {
        write_bytes(
            self.buffer.as_mut(),
            field::SEQ_CTRL,
            &seq.to_raw().to_le_bytes(),
        );
    }
    /// Sets the HT control field (the +HTC bit must already be set).
    pub fn set_ht_control(&mut self, value: u32) {
        let end = self.header_len();
        if let Some(start) = end.checked_sub(4) {
            write_bytes(self.buffer.as_mut(), start..end, &value.to_le_bytes());
        }
    }
    /// The frame body, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        self.buffer.as_mut().get_mut(start..).unwrap_or(&mut [])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A deauthentication frame from 02:00:00:00:00:00 to 02:00:00:00:01:00,
    // BSSID 02:00:00:00:00:00, sequence 42, reason 3 (leaving), as
    // IEEE 802.11-2020 9.3.3.12 lays it out (hand-assembled).
    static DEAUTH: [u8; 26] = [
        0xc0, 0x00, // frame control: mgmt, subtype 12
        0x3a, 0x01, // duration 314
        0x02, 0x00, 0x00, 0x00, 0x01, 0x00, // addr1
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // addr2
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // addr3
        0xa0, 0x02, // seq 42, frag 0
        0x03, 0x00, // reason 3
    ];

    #[test]
    fn deconstruct() {
        let frame = Frame::new_checked(&DEAUTH[..]).unwrap();
        let fc = frame.frame_control();
        assert_eq!(fc.frame_type(), FrameType::Management);
        assert_eq!(fc.mgmt_subtype(), MgmtSubtype::Deauth);
        assert_eq!(fc.protocol_version(), 0);
        assert!(!fc.retry() && !fc.protected() && !fc.order());
        assert_eq!(frame.duration(), 314);
        assert_eq!(frame.addr1(), MacAddr([2, 0, 0, 0, 1, 0]));
        assert_eq!(frame.addr2(), Some(MacAddr([2, 0, 0, 0, 0, 0])));
        assert_eq!(frame.addr3(), Some(MacAddr([2, 0, 0, 0, 0, 0])));
        assert_eq!(
            frame.seq_ctrl(),
            Some(SeqCtrl {
                number: 42,
                fragment: 0
            })
        );
        assert_eq!(frame.addr4(), None);
        assert_eq!(frame.header_len(), 24);
        assert_eq!(frame.payload(), &[0x03, 0x00]);
    }

    #[test]
    fn construct() {
        let mut bytes = [0u8; 26];
        let mut frame = Frame::new_unchecked(&mut bytes[..]);
        frame.set_frame_control(FrameControl::management(MgmtSubtype::Deauth));
        frame.set_duration(314);
        frame.set_addr1(MacAddr([2, 0, 0, 0, 1, 0]));
        frame.set_addr2(MacAddr([2, 0, 0, 0, 0, 0]));
        frame.set_addr3(MacAddr([2, 0, 0, 0, 0, 0]));
        frame.set_seq_ctrl(SeqCtrl {
            number: 42,
            fragment: 0,
        });
        frame.payload_mut().copy_from_slice(&[3, 0]);
        assert_eq!(bytes, DEAUTH);
    }

    #[test]
    fn header_lengths() {
        // ACK: 10 bytes, only the receiver address.
        let ack = [0xd4, 0x00, 0, 0, 1, 2, 3, 4, 5, 6];
        let frame = Frame::new_checked(&ack[..]).unwrap();
        assert_eq!(frame.addr1(), MacAddr([1, 2, 3, 4, 5, 6]));
        assert_eq!(frame.addr2(), None);
        assert_eq!(frame.seq_ctrl(), None);
        // QoS data, To DS and From DS (a WDS/mesh frame): 24 + 6 + 2.
        let mut four = [0u8; 32];
        four[0] = 0x88;
        four[1] = 0x03;
        four[30] = 0x05;
        let frame = Frame::new_checked(&four[..]).unwrap();
        assert_eq!(frame.header_len(), 32);
        assert_eq!(frame.addr4(), Some(MacAddr::ZERO));
        assert_eq!(frame.qos_control(), Some(5));
        assert_eq!(frame.ht_control(), None);
        // Management with +HTC: 28.
        let mut htc = [0u8; 28];
        htc[0] = 0x80;
        htc[1] = 0x80;
        htc[24..28].copy_from_slice(&0x1234_5678u32.to_le_bytes());
        let frame = Frame::new_checked(&htc[..]).unwrap();
        assert_eq!(frame.header_len(), 28);
        assert_eq!(frame.ht_control(), Some(0x1234_5678));
    }

    #[test]
    fn truncated_and_unsupported() {
        assert_eq!(Frame::new_checked(&[][..]).err(), Some(Error::Truncated));
        assert_eq!(
            Frame::new_checked(&[0xc0][..]).err(),
            Some(Error::Truncated)
        );
        for len in 2..24 {
            assert_eq!(
                Frame::new_checked(&DEAUTH[..len]).err(),
                Some(Error::Truncated),
                "{len}"
            );
        }
        // Extension frame type: no standard header.
        assert_eq!(
            Frame::new_checked(&[0x0c, 0, 0, 0][..]).err(),
            Some(Error::Unsupported)
        );
        // An unchecked view over garbage still never panics.
        let short = Frame::new_unchecked(&[0x88u8, 0x03][..]);
        assert_eq!(short.addr1(), MacAddr::ZERO);
        assert_eq!(short.addr4(), None);
        assert_eq!(short.qos_control(), None);
        assert_eq!(short.payload(), &[] as &[u8]);
    }

    #[test]
    fn seq_ctrl_wraps() {
        let s = SeqCtrl {
            number: 4095,
            fragment: 3,
        };
        assert_eq!(SeqCtrl::from_raw(s.to_raw()), s);
        assert_eq!(
            s.next(),
            SeqCtrl {
                number: 0,
                fragment: 0
            }
        );
    }
}
