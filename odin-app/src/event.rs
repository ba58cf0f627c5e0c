//! What an app hears.

use odin_proto::MacAddr;

use crate::error::AppError;
use crate::types::{ActionId, RadioRef, SubscriptionId, TimerId};

/// Something that happened in the network, or to one of the app's own
/// requests. Every app hears the network's events; only the app that
/// asked hears of its actions, subscriptions and timers.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// An agent connected and was reconciled.
    AgentUp {
        /// The agent.
        agent: String,
    },
    /// An agent went down.
    AgentDown {
        /// The agent.
        agent: String,
        /// Why, in words.
        reason: String,
    },
    /// An agent reported a client (its first probe, then at most once a
    /// second per radio while the agent has no LVAP for it).
    ClientHeard {
        /// The client.
        client: MacAddr,
        /// The radio.
        at: RadioRef,
        /// Signal, dBm.
        signal_dbm: i8,
    },
    /// A client's LVAP is up on an agent (a new client, or one re-served
    /// after its agent died).
    LvapPlaced {
        /// The client.
        client: MacAddr,
        /// Its BSSID.
        bssid: MacAddr,
        /// Where.
        at: RadioRef,
    },
    /// A client (re)associated with its LVAP.
    ClientJoined {
        /// The client.
        client: MacAddr,
        /// Its agent.
        agent: String,
    },
    /// A client left its LVAP.
    ClientLeft {
        /// The client.
        client: MacAddr,
        /// Its agent.
        agent: String,
        /// Why, in words.
        reason: String,
    },
    /// A client's LVAP moved to another agent (by any app, the API or the
    /// controller).
    LvapMoved {
        /// The client.
        client: MacAddr,
        /// The source.
        from: RadioRef,
        /// The target.
        to: RadioRef,
        /// Who asked: an app's name, `"api"` or `"controller"`.
        by: String,
        /// Why, as the asker put it.
        reason: String,
        /// How long the move took, µs.
        total_us: u64,
    },
    /// A handoff failed and was rolled back (the client is served by
    /// exactly one agent).
    HandoffFailed {
        /// The client.
        client: MacAddr,
        /// Who asked.
        by: String,
        /// Why it failed.
        reason: String,
    },
    /// A radio moved to another channel.
    ChannelChanged {
        /// The radio.
        at: RadioRef,
        /// The new channel.
        channel: u8,
        /// Who asked.
        by: String,
    },
    /// One of this app's subscriptions matched at an agent.
    Matched {
        /// The subscription.
        subscription: SubscriptionId,
        /// The client.
        client: MacAddr,
        /// The radio that measured it.
        at: RadioRef,
        /// The value.
        value: f64,
    },
    /// One of this app's timers fired.
    Timer {
        /// The timer.
        timer: TimerId,
    },
    /// One of this app's actions ended.
    ActionDone {
        /// The action.
        action: ActionId,
        /// How it ended.
        result: Result<(), AppError>,
    },
}
