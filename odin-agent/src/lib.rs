//! The Odin agent: runs on an access point, gives every client its own
//! light virtual access point (LVAP), and takes orders from the controller.
//!
//! * [`agent`]: the agent's core (sans-IO): LVAPs, controller commands,
//!   clients heard, statistics, subscriptions.
//! * [`lvap`]: the per-client state machine (sans-IO).
//! * [`radio`]: the radio backend boundary (commands and events).
//! * [`nl80211`]: the radio backend for mac80211 wiphys (Linux).
//! * [`link`]: the authenticated link to the controller, with reconnection.
//! * [`runtime`]: the tokio event loop around the core.
//! * [`time`]: time as a value, for the state machines.

pub mod agent;
pub mod config;
#[doc(hidden)]
pub mod fuzzing;
pub mod link;
pub mod lvap;
#[cfg(target_os = "linux")]
pub mod nl80211;
pub mod radio;
pub mod runtime;
pub mod sim;
pub mod time;
pub mod uci;
