//! Types shared by the Odin agent and controller.
//!
//! Today: the complete state of a client station served by an LVAP
//! ([`StationState`]), which an agent exports and another imports when the
//! controller migrates the LVAP. The agent-controller wire protocol (hello,
//! capabilities, LVAP commands, statistics, subscriptions) is built on these
//! types next.

mod station;

pub use odin_wire::MacAddr;
pub use station::{StationFlags, StationState, WmmStation};
