//! The nl80211 radio backend: a mac80211 wiphy (real or hwsim) driven the
//! way hostapd drives it, one AP-mode interface per LVAP.
//!
//! * [`radio`]: [`Nl80211Radio`], the [`crate::radio::Radio`]: its driver
//!   task, one socket per purpose, and the receive loops.
//! * [`request`]: every request as a pure function of its parameters.
//! * [`monitor`]: the radio's monitor interface, so that clients without
//!   an LVAP here are heard, and the rule that reports each frame once.
//! * [`wiphy`]: the wiphy's capabilities from a split GET_WIPHY dump.
//! * [`survey`]: the channel survey (GET_SURVEY).
//! * [`airtime`]: other networks' airtime from the monitor, the
//!   utilisation where the survey measures nothing.
//! * [`msg`]: netlink messages and attributes as bytes.
//!
//! ARCHITECTURE.md ("Decisions") says why netlink-sys and our own message code.

pub mod airtime;
#[allow(dead_code)] // a table of numbers from the kernel's headers
pub mod consts;
pub mod monitor;
pub mod msg;
pub mod radio;
pub mod request;
pub mod survey;
#[cfg(test)]
mod tests;
pub mod wiphy;

pub use radio::{Closer, Nl80211Config, Nl80211Radio};
