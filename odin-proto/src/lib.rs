//! Types shared by the Odin agent and controller.
//!
//! * [`msg`]: the messages (hello, capabilities, heartbeat, clients heard,
//!   LVAP commands and events, statistics, subscriptions, results).
//! * [`codec`]: length-prefixed JSON frames with a size limit, sans-IO, and
//!   a `tokio_util` codec.
//! * [`auth`]: the HMAC challenge-response that proves the shared secret
//!   both ways without sending it.
//! * [`bssid`]: how a client's BSSID is derived, shared by the controller
//!   and the agents so that a client's first probe is answered at once.
//! * [`tls`]: optional TLS (rustls) around the link.
//! * [`time`]: `Instant`, time as a value for the sans-IO state machines.
//! * [`StationState`]: the complete state of a client that a migration
//!   carries from one agent to another.

pub mod auth;
pub mod bssid;
pub mod codec;
#[doc(hidden)]
pub mod fuzzing;
pub mod msg;
mod station;
pub mod time;
pub mod tls;

pub use bssid::BssidPlan;
pub use odin_wire::MacAddr;
pub use station::{StationFlags, StationState, WmmStation};
