//! The 802.11 MAC header, frame control and management frames.
//!
//! * [`FrameControl`], [`FrameType`] and [`MgmtSubtype`]: the first two octets.
//! * [`Frame`]: a zero-copy view of any MAC header (management, control,
//!   data, with the optional fourth address, QoS and HT control fields) and
//!   its body.
//! * [`body`]: zero-copy views of the fixed fields of each management body.
//! * [`MgmtRepr`]: a plain representation of a management frame: header plus
//!   a typed [`MgmtBody`], with parse and emit.
//! * [`action`]: action frame bodies (spectrum management channel switch,
//!   public and vendor-specific frames passed through).

pub mod action;
pub mod body;
mod codes;
mod frame;
mod mgmt;

pub use action::ActionRepr;
pub use codes::{AuthAlgorithm, ReasonCode, StatusCode};
pub use frame::{capability, Frame, FrameControl, FrameType, MgmtSubtype, SeqCtrl};
pub use mgmt::{
    AssocReqRepr, AssocRespRepr, AuthRepr, BeaconRepr, MgmtBody, MgmtHeader, MgmtRepr, ProbeReqRepr,
};

#[cfg(test)]
mod tests;
