//! Plain representations of management frames.

use super::action::ActionRepr;
use super::body;
use super::codes::{AuthAlgorithm, ReasonCode, StatusCode};
use super::frame::{Frame, FrameControl, FrameType, MgmtSubtype, SeqCtrl};
use crate::{ie, Error, MacAddr, Result};

/// The header of a management frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MgmtHeader {
    /// The frame-control flag octet as on the wire (Retry, Power
    /// Management, More Data...). The +HTC bit is derived from
    /// `ht_control` when emitting; the Protected bit is never set here
    /// (protected management frames are not parsed).
    pub flags: u8,
    /// Duration field.
    pub duration: u16,
    /// Destination (address 1).
    pub da: MacAddr,
    /// Source (address 2).
    pub sa: MacAddr,
    /// BSSID (address 3).
    pub bssid: MacAddr,
    /// Sequence control.
    pub seq: SeqCtrl,
    /// HT control field, present when +HTC is set.
    pub ht_control: Option<u32>,
}

impl MgmtHeader {
    const FLAG_RETRY: u8 = 0x08;
    const FLAG_PROTECTED: u8 = 0x40;
    const FLAG_HTC: u8 = 0x80;

    /// A header with no flags, duration zero, sequence zero.
    pub fn new(da: MacAddr, sa: MacAddr, bssid: MacAddr) -> MgmtHeader {
        MgmtHeader {
            flags: 0,
            duration: 0,
            da,
            sa,
            bssid,
            seq: SeqCtrl::default(),
            ht_control: None,
        }
    }

    /// True if the Retry bit is set.
    pub const fn retry(&self) -> bool {
        self.flags & Self::FLAG_RETRY != 0
    }

    fn wire_flags(&self) -> u8 {
        let base = self.flags & !(Self::FLAG_HTC | Self::FLAG_PROTECTED);
        if self.ht_control.is_some() {
            base | Self::FLAG_HTC
        } else {
            base
        }
    }

    fn len(&self) -> usize {
        if self.ht_control.is_some() {
            28
        } else {
            24
        }
    }
}

/// Beacon or probe response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeaconRepr<'a> {
    /// TSF timestamp in microseconds (the kernel fills it in for beacons
    /// and probe responses it transmits).
    pub timestamp: u64,
    /// Beacon interval in TU.
    pub beacon_interval: u16,
    /// Capability information.
    pub capabilities: u16,
    /// The information elements, validated.
    pub elements: &'a [u8],
}

/// Probe request body: only elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeReqRepr<'a> {
    /// The information elements, validated.
    pub elements: &'a [u8],
}

/// Authentication body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthRepr<'a> {
    /// Authentication algorithm.
    pub algorithm: AuthAlgorithm,
    /// Transaction sequence number (1 for the request, 2 for the answer of
    /// open system).
    pub transaction: u16,
    /// Status code.
    pub status: StatusCode,
    /// What follows: elements for open system, shared key and FT;
    /// algorithm-specific fields (SAE) otherwise. Validated as elements only
    /// for the former.
    pub rest: &'a [u8],
}

/// Association or reassociation request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssocReqRepr<'a> {
    /// Capability information.
    pub capabilities: u16,
    /// Listen interval in beacon intervals.
    pub listen_interval: u16,
    /// The information elements, validated.
    pub elements: &'a [u8],
}

/// Association or reassociation response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssocRespRepr<'a> {
    /// Capability information.
    pub capabilities: u16,
    /// Status code.
    pub status: StatusCode,
    /// Association ID (1-2007; 0 in refusals). On the wire its two top bits
    /// are set, as the standard requires; parse clears them, emit sets them.
    pub aid: u16,
    /// The information elements, validated.
    pub elements: &'a [u8],
}

/// The body of a management frame, by subtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MgmtBody<'a> {
    /// Beacon.
    Beacon(BeaconRepr<'a>),
    /// Probe request.
    ProbeReq(ProbeReqRepr<'a>),
    /// Probe response.
    ProbeResp(BeaconRepr<'a>),
    /// Authentication.
    Auth(AuthRepr<'a>),
    /// Association request.
    AssocReq(AssocReqRepr<'a>),
    /// Reassociation request, with the address of the AP the station leaves.
    ReassocReq {
        /// Current AP address.
        current_ap: MacAddr,
        /// The rest, as in an association request.
        req: AssocReqRepr<'a>,
    },
    /// Association response.
    AssocResp(AssocRespRepr<'a>),
    /// Reassociation response.
    ReassocResp(AssocRespRepr<'a>),
    /// Disassociation.
    Disassoc {
        /// Reason code.
        reason: ReasonCode,
        /// Trailing elements (vendor specific, management MIC), validated.
        elements: &'a [u8],
    },
    /// Deauthentication.
    Deauth {
        /// Reason code.
        reason: ReasonCode,
        /// Trailing elements (vendor specific, management MIC), validated.
        elements: &'a [u8],
    },
    /// Action.
    Action(ActionRepr<'a>),
    /// Action without acknowledgement.
    ActionNoAck(ActionRepr<'a>),
}

impl<'a> MgmtBody<'a> {
    /// The subtype this body is sent with.
    pub fn subtype(&self) -> MgmtSubtype {
        match self {
            MgmtBody::Beacon(_) => MgmtSubtype::Beacon,
            MgmtBody::ProbeReq(_) => MgmtSubtype::ProbeReq,
            MgmtBody::ProbeResp(_) => MgmtSubtype::ProbeResp,
            MgmtBody::Auth(_) => MgmtSubtype::Auth,
            MgmtBody::AssocReq(_) => MgmtSubtype::AssocReq,
            MgmtBody::ReassocReq { .. } => MgmtSubtype::ReassocReq,
            MgmtBody::AssocResp(_) => MgmtSubtype::AssocResp,
            MgmtBody::ReassocResp(_) => MgmtSubtype::ReassocResp,
            MgmtBody::Disassoc { .. } => MgmtSubtype::Disassoc,
            MgmtBody::Deauth { .. } => MgmtSubtype::Deauth,
            MgmtBody::Action(_) => MgmtSubtype::Action,
            MgmtBody::ActionNoAck(_) => MgmtSubtype::ActionNoAck,
        }
    }

    /// The information elements the body carries, if its format has them
    /// (for authentication, only with the algorithms whose body is
    /// elements; for action frames, the elements after a channel switch
    /// announcement).
    pub fn elements(&self) -> Option<&'a [u8]> {
        match *self {
            MgmtBody::Beacon(b) | MgmtBody::ProbeResp(b) => Some(b.elements),
            MgmtBody::ProbeReq(p) => Some(p.elements),
            MgmtBody::Auth(a) => auth_has_elements(a.algorithm).then_some(a.rest),
            MgmtBody::AssocReq(r) | MgmtBody::ReassocReq { req: r, .. } => Some(r.elements),
            MgmtBody::AssocResp(r) | MgmtBody::ReassocResp(r) => Some(r.elements),
            MgmtBody::Disassoc { elements, .. } | MgmtBody::Deauth { elements, .. } => {
                Some(elements)
            }
            MgmtBody::Action(ActionRepr::ChannelSwitch { elements, .. })
            | MgmtBody::ActionNoAck(ActionRepr::ChannelSwitch { elements, .. }) => Some(elements),
            MgmtBody::Action(_) | MgmtBody::ActionNoAck(_) => None,
        }
    }

    fn buffer_len(&self) -> usize {
        match self {
            MgmtBody::Beacon(b) | MgmtBody::ProbeResp(b) => 12 + b.elements.len(),
            MgmtBody::ProbeReq(p) => p.elements.len(),
            MgmtBody::Auth(a) => 6 + a.rest.len(),
            MgmtBody::AssocReq(r) => 4 + r.elements.len(),
            MgmtBody::ReassocReq { req, .. } => 10 + req.elements.len(),
            MgmtBody::AssocResp(r) | MgmtBody::ReassocResp(r) => 6 + r.elements.len(),
            MgmtBody::Disassoc { elements, .. } | MgmtBody::Deauth { elements, .. } => {
                2 + elements.len()
            }
            MgmtBody::Action(a) | MgmtBody::ActionNoAck(a) => a.buffer_len(),
        }
    }

    fn emit(&self, buf: &mut [u8]) -> Result<()> {
        fn tail(dst: &mut [u8], src: &[u8]) -> Result<()> {
            let dst = dst.get_mut(..src.len()).ok_or(Error::Truncated)?;
            dst.copy_from_slice(src);
            Ok(())
        }
        match self {
            MgmtBody::Beacon(b) | MgmtBody::ProbeResp(b) => {
                let mut view = body::Beacon::new_checked(buf)?;
                view.set_timestamp(b.timestamp);
                view.set_beacon_interval(b.beacon_interval);
                view.set_capabilities(b.capabilities);
                tail(view.rest_mut(), b.elements)
            }
            MgmtBody::ProbeReq(p) => tail(buf, p.elements),
            MgmtBody::Auth(a) => {
                let mut view = body::Auth::new_checked(buf)?;
                view.set_algorithm(a.algorithm.into());
                view.set_transaction(a.transaction);
                view.set_status(a.status.into());
                tail(view.rest_mut(), a.rest)
            }
            MgmtBody::AssocReq(r) => {
                let mut view = body::AssocReq::new_checked(buf)?;
                view.set_capabilities(r.capabilities);
                view.set_listen_interval(r.listen_interval);
                tail(view.rest_mut(), r.elements)
            }
            MgmtBody::ReassocReq { current_ap, req } => {
                let mut view = body::ReassocReq::new_checked(buf)?;
                view.set_capabilities(req.capabilities);
                view.set_listen_interval(req.listen_interval);
                view.set_current_ap(*current_ap);
                tail(view.rest_mut(), req.elements)
            }
            MgmtBody::AssocResp(r) | MgmtBody::ReassocResp(r) => {
                if r.aid > 2007 {
                    return Err(Error::Malformed);
                }
                let mut view = body::AssocResp::new_checked(buf)?;
                view.set_capabilities(r.capabilities);
                view.set_status(r.status.into());
                view.set_association_id(r.aid | 0xc000);
                tail(view.rest_mut(), r.elements)
            }
            MgmtBody::Disassoc { reason, elements } | MgmtBody::Deauth { reason, elements } => {
                let mut view = body::Disassoc::new_checked(buf)?;
                view.set_reason((*reason).into());
                tail(view.rest_mut(), elements)
            }
            MgmtBody::Action(a) | MgmtBody::ActionNoAck(a) => a.emit(buf),
        }
    }
}

/// A management frame: header and typed body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MgmtRepr<'a> {
    /// The MAC header.
    pub header: MgmtHeader,
    /// The body.
    pub body: MgmtBody<'a>,
}

impl<'a> MgmtRepr<'a> {
    /// Parses a management frame from a checked view.
    ///
    /// Errors: `Malformed` for a protocol version other than 0 or an
    /// association ID above 2007; `Unsupported` for frames that are not
    /// management frames, protected management frames and subtypes an AP
    /// does not act on (ATIM, timing advertisement, reserved); `Truncated` or
    /// `BadLength` from the fixed fields and the element region.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(frame: &Frame<&'a T>) -> Result<MgmtRepr<'a>> {
        let fc = frame.frame_control();
        if fc.protocol_version() != 0 {
            return Err(Error::Malformed);
        }
        if fc.frame_type() != FrameType::Management || fc.protected() {
            return Err(Error::Unsupported);
        }
        let header = MgmtHeader {
            flags: fc.flags(),
            duration: frame.duration(),
            da: frame.addr1(),
            sa: frame.addr2().ok_or(Error::Truncated)?,
            bssid: frame.addr3().ok_or(Error::Truncated)?,
            seq: frame.seq_ctrl().ok_or(Error::Truncated)?,
            ht_control: frame.ht_control(),
        };
        let body = parse_body(fc.mgmt_subtype(), frame.payload())?;
        Ok(MgmtRepr { header, body })
    }

    /// Checks and parses a management frame from bytes (no FCS).
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<MgmtRepr<'a>> {
        MgmtRepr::parse(&Frame::new_checked(bytes)?)
    }

    /// The length of the emitted frame.
    pub fn buffer_len(&self) -> usize {
        self.header.len() + self.body.buffer_len()
    }

    /// Emits the frame into `buf`, which must hold at least
    /// [`buffer_len`](Self::buffer_len) bytes; returns the length written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        let buf = buf.get_mut(..len).ok_or(Error::Truncated)?;
        let fc = FrameControl::management(self.body.subtype()).with_flags(self.header.wire_flags());
        let mut frame = Frame::new_unchecked(&mut *buf);
        frame.set_frame_control(fc);
        frame.set_duration(self.header.duration);
        frame.set_addr1(self.header.da);
        frame.set_addr2(self.header.sa);
        frame.set_addr3(self.header.bssid);
        frame.set_seq_ctrl(self.header.seq);
        if let Some(htc) = self.header.ht_control {
            frame.set_ht_control(htc);
        }
        self.body.emit(frame.payload_mut())?;
        Ok(len)
    }

    /// Emits the frame into a new vector.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        let mut out = vec![0; self.buffer_len()];
        self.emit(&mut out)?;
        Ok(out)
    }
}

/// Open system, shared key and FT authentication bodies end in elements;
/// SAE and FILS bodies have fields of their own.
fn auth_has_elements(algorithm: AuthAlgorithm) -> bool {
    matches!(
        algorithm,
        AuthAlgorithm::OpenSystem | AuthAlgorithm::SharedKey | AuthAlgorithm::FastBssTransition
    )
}

fn elements(bytes: &[u8]) -> Result<&[u8]> {
    ie::validate(bytes)?;
    Ok(bytes)
}

fn parse_body(subtype: MgmtSubtype, payload: &[u8]) -> Result<MgmtBody<'_>> {
    Ok(match subtype {
        MgmtSubtype::Beacon | MgmtSubtype::ProbeResp => {
            let view = body::Beacon::new_checked(payload)?;
            let repr = BeaconRepr {
                timestamp: view.timestamp(),
                beacon_interval: view.beacon_interval(),
                capabilities: view.capabilities(),
                elements: elements(view.rest())?,
            };
            if subtype == MgmtSubtype::Beacon {
                MgmtBody::Beacon(repr)
            } else {
                MgmtBody::ProbeResp(repr)
            }
        }
        MgmtSubtype::ProbeReq => MgmtBody::ProbeReq(ProbeReqRepr {
            elements: elements(payload)?,
        }),
        MgmtSubtype::Auth => {
            let view = body::Auth::new_checked(payload)?;
            let algorithm = AuthAlgorithm::from(view.algorithm());
            let rest = view.rest();
            if auth_has_elements(algorithm) {
                ie::validate(rest)?;
            }
            MgmtBody::Auth(AuthRepr {
                algorithm,
                transaction: view.transaction(),
                status: view.status().into(),
                rest,
            })
        }
        MgmtSubtype::AssocReq => {
            let view = body::AssocReq::new_checked(payload)?;
            MgmtBody::AssocReq(AssocReqRepr {
                capabilities: view.capabilities(),
                listen_interval: view.listen_interval(),
                elements: elements(view.rest())?,
            })
        }
        MgmtSubtype::ReassocReq => {
            let view = body::ReassocReq::new_checked(payload)?;
            MgmtBody::ReassocReq {
                current_ap: view.current_ap(),
                req: AssocReqRepr {
                    capabilities: view.capabilities(),
                    listen_interval: view.listen_interval(),
                    elements: elements(view.rest())?,
                },
            }
        }
        MgmtSubtype::AssocResp | MgmtSubtype::ReassocResp => {
            let view = body::AssocResp::new_checked(payload)?;
            let aid = view.association_id() & 0x3fff;
            if aid > 2007 {
                return Err(Error::Malformed);
            }
            let repr = AssocRespRepr {
                capabilities: view.capabilities(),
                status: view.status().into(),
                aid,
                elements: elements(view.rest())?,
            };
            if subtype == MgmtSubtype::AssocResp {
                MgmtBody::AssocResp(repr)
            } else {
                MgmtBody::ReassocResp(repr)
            }
        }
        MgmtSubtype::Disassoc | MgmtSubtype::Deauth => {
            let view = body::Disassoc::new_checked(payload)?;
            let reason = ReasonCode::from(view.reason());
            let elements = elements(view.rest())?;
            if subtype == MgmtSubtype::Disassoc {
                MgmtBody::Disassoc { reason, elements }
            } else {
                MgmtBody::Deauth { reason, elements }
            }
        }
        MgmtSubtype::Action => MgmtBody::Action(ActionRepr::parse(payload)?),
        MgmtSubtype::ActionNoAck => MgmtBody::ActionNoAck(ActionRepr::parse(payload)?),
        MgmtSubtype::TimingAdvertisement | MgmtSubtype::Atim | MgmtSubtype::Unknown(_) => {
            return Err(Error::Unsupported)
        }
    })
}

/// One line for logs: subtype, addresses, the fields that matter and the
/// SSID (escaped: SSIDs are bytes).
impl core::fmt::Display for MgmtRepr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let h = &self.header;
        write!(
            f,
            "{:?} {} -> {} bssid {} seq {}",
            self.body.subtype(),
            h.sa,
            h.da,
            h.bssid,
            h.seq.number
        )?;
        match self.body {
            MgmtBody::Auth(a) => write!(
                f,
                " alg {:?} trans {} status {:?}",
                a.algorithm, a.transaction, a.status
            )?,
            MgmtBody::AssocReq(r) | MgmtBody::ReassocReq { req: r, .. } => {
                write!(f, " listen {}", r.listen_interval)?
            }
            MgmtBody::AssocResp(r) | MgmtBody::ReassocResp(r) => {
                write!(f, " status {:?} aid {}", r.status, r.aid)?
            }
            MgmtBody::Disassoc { reason, .. } | MgmtBody::Deauth { reason, .. } => {
                write!(f, " reason {reason:?}")?
            }
            MgmtBody::Action(a) | MgmtBody::ActionNoAck(a) => write!(f, " {a:?}")?,
            MgmtBody::Beacon(_) | MgmtBody::ProbeReq(_) | MgmtBody::ProbeResp(_) => {}
        }
        let ssid = self
            .body
            .elements()
            .and_then(|region| ie::ParsedElements::parse(region).ok())
            .and_then(|elems| elems.ssid);
        if let Some(ssid) = ssid {
            f.write_str(" ssid \"")?;
            for &b in ssid {
                for c in core::ascii::escape_default(b) {
                    write!(f, "{}", char::from(c))?;
                }
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}
