//! odin-medium: the air between mac80211_hwsim radios, as wmediumd is.
//!
//! It registers on the kernel's MAC80211_HWSIM generic netlink family
//! and from then on every frame a radio transmits comes to it; it
//! decides which other radios receive the frame, at what signal, whether
//! it is acknowledged, and tells the kernel (deliveries, then one
//! transmit status per frame). Per-link signals come from positions and
//! log-distance path loss ([`model`]), losses from the signal-to-noise
//! ratio and the rate, drawn from a seeded generator: the same inputs
//! give the same answers, byte for byte.
//!
//! Sans-IO: [`netlink`] and [`hwsim`] turn bytes into messages and back,
//! [`medium::Medium`] decides; the binary only moves datagrams and
//! control lines. [`record`] writes and reads the record of a run
//! (`--record`), which the tests replay.

pub mod hwsim;
pub mod medium;
pub mod model;
pub mod netlink;
pub mod record;
