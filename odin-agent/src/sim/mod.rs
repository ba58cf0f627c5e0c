//! The simulated radio medium: many radios and client stations in one
//! process, for tests under tokio's paused clock and for benchmarks.
//!
//! The [`Medium`] plays both the air and every radio's kernel (mac80211 and
//! cfg80211): AP interfaces that beacon, station tables, acknowledgements
//! and data forwarding. Agents drive it through [`SimRadio`], which
//! implements [`crate::radio::Radio`] like the nl80211 backend does;
//! [`SimClient`]s are simple, real-like client stations; [`LvapHost`] runs
//! LVAP state machines on a radio without the agent core.
//!
//! # Model
//!
//! * **Signal.** Radios and clients have 2-D positions ([`Position`]); the
//!   signal between a radio and a client comes from a log-distance model
//!   ([`PathLoss`]: 20 dBm, 40 dB at 1 m, exponent 3) unless a per-link
//!   override says otherwise ([`Medium::set_link`]). Only radio-client
//!   links exist: radios do not hear each other, clients do not hear each
//!   other.
//! * **Loss.** Each reception succeeds with a probability of the signal
//!   ([`LossModel`]: logistic around -85 dBm, exactly 0 or 1 beyond eight
//!   widths). A unicast frame is sent up to `retry_limit` times until
//!   acknowledged; an acknowledgement is never lost on its own.
//! * **Channels.** A frame reaches only nodes on the transmitter's
//!   channel. A radio's interfaces follow it when it is retuned
//!   ([`RadioCmd::SetChannel`](crate::radio::RadioCmd::SetChannel), which
//!   the medium allows with LVAPs running: their clients are not told).
//!   [`RadioCmd::ChannelSwitch`](crate::radio::RadioCmd::ChannelSwitch)
//!   on an interface beacons its announcement, writing the count (one
//!   less each beacon, as mac80211) at the given offsets, and retunes the
//!   radio right after the beacon that carried 1 (at once for a count of
//!   0 or 1); the radio has one channel, so all its interfaces move with
//!   it. A client follows an announcement of its BSS: it moves when it
//!   hears the beacon that carries 1, or when that beacon was due.
//! * **Airtime and survey.** Every transmission (retransmissions and
//!   beacons included) occupies its channel for `airtime`, counted per
//!   channel medium-wide (not per place). A radio's survey
//!   ([`RadioCmd::Survey`](crate::radio::RadioCmd::Survey)) is one entry,
//!   its channel, in use, with the time since it was tuned there and that
//!   channel's busy time since; no noise floor.
//! * **Radio to client.** Frames of an interface are unicast to their
//!   addressee (`addr1`): delivered to that client if it hears them, with
//!   `TxStatus { acked }` = delivered. Beacons (head + TIM + tail, every
//!   beacon interval, 1 TU = 1024 µs) go to the clients that listen to
//!   that BSSID (joining or connected to it: a station's receive filter).
//!   `PollClient`'s null frame is acknowledged by the client's hardware and
//!   never shown to its state machine.
//! * **Client to radio.** A client's frame reaches every radio in range on
//!   its channel, each drawing its own loss. A management frame becomes
//!   one [`RadioEvent::Frame`](crate::radio::RadioEvent::Frame) per radio:
//!   `bssid: Some(b)` when addressed to the radio's interface `b`, `None`
//!   when broadcast (a wildcard probe) or addressed to a BSSID the radio
//!   does not host ("heard by the monitor"). The agent must treat `None`
//!   as heard by the whole radio: a broadcast probe comes once per radio,
//!   not once per interface. Data frames never appear as events: like the
//!   kernel, the interface addressed forwards them if it holds the sender
//!   authorized (counted in the station's `rx_bytes` and in
//!   [`Medium::traffic`]), drops them silently if associated but not
//!   authorized, and reports
//!   [`RadioEvent::UnexpectedData`](crate::radio::RadioEvent::UnexpectedData)
//!   if the sender is not associated. A unicast frame is acknowledged
//!   when a radio with an interface of that BSSID received it (like
//!   mac80211_hwsim without a medium program).
//! * **Kernel tables.** `StartAp` creates the interface (refused when it
//!   exists or past `max_lvaps`), `StopAp` deletes it and its stations.
//!   Station entries follow nl80211: NEW on an existing station, SET or
//!   DEL or GET on a missing one, SET of parameters on an associated
//!   station, `authorized` without `associated`, `associated` without
//!   `authenticated` or without an AID and rates are all refused with
//!   [`RadioEvent::CommandFailed`](crate::radio::RadioEvent::CommandFailed);
//!   so is any command naming an unknown interface. No command sequence
//!   panics.
//!
//! # Time
//!
//! Medium time ([`crate::time::Instant`]) is tokio's clock since the
//! medium's creation. A single driver task ([`Medium::run`]) keeps a
//! schedule of jobs (transmissions landing `airtime` after they were sent,
//! beacons, client timers) and sleeps on `tokio::time::sleep_until` until
//! the next one, so under `#[tokio::test(start_paused = true)]` a run of
//! minutes takes milliseconds. Jobs run at their exact scheduled
//! microsecond, whatever tokio's millisecond timer granularity; commands
//! from agents take effect at once (the kernel answers synchronously) and
//! their transmissions land `airtime` later.
//!
//! # Determinism
//!
//! Every random draw comes from one seeded generator ([`SimRng`],
//! SplitMix64), in the order jobs run; jobs due at the same microsecond
//! run in the order they were scheduled. Links at or above the loss
//! model's ceiling draw nothing. With the same seed, the same scenario on
//! a current-thread runtime with paused time gives the same logs.
//!
//! # Invariants and bounds
//!
//! * The lock around the world is never held across an `.await`.
//! * Radio events go through bounded queues (`event_queue`); when an agent
//!   does not keep up they are dropped and counted
//!   ([`MediumStats::events_dropped`]), as netlink drops on overflow.
//!   Client logs are bounded too ([`ClientConfig::log_capacity`]); each
//!   client has at most two timer jobs pending.
//! * Cost per frame: a client's frame looks at the radios of its channel
//!   in the 3 x 3 grid cells around it (cells as wide as the longest
//!   audible distance) plus its overridden links; an interface's frame and
//!   a beacon look only at their addressee or listeners. Broadcasts from
//!   a radio other than beacons (LVAPs send none) walk every client.
//! * [`Medium::serving_radios`] and [`ClientTraffic::peak_serving`] /
//!   [`ClientTraffic::double_serving`] are updated on every station-table
//!   change: a migration must never let two radios hold a client
//!   authorized at once.

mod client;
mod host;
mod medium;
mod propagation;
mod radio;

pub use client::{
    ClientConfig, ClientCounters, ClientEvent, ClientInput, DisconnectReason, FailReason, LogEntry,
    SimClient, Transmit, TxKind,
};
pub use host::{run_for, step, HostEvent, LvapHost};
pub use medium::{
    ClientHandle, ClientTraffic, Medium, MediumConfig, MediumStats, RadioId, SimError,
    SimRadioConfig, SimStation,
};
pub use propagation::{LossModel, PathLoss, Position, SimRng};
pub use radio::SimRadio;

#[cfg(test)]
mod tests;
