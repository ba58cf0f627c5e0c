//! Every error an app can meet, typed.

use std::fmt;

use odin_proto::MacAddr;

use crate::types::{RadioRef, SubscriptionId, TimerId};

/// Why a call was refused, an action failed, or an app's handler failed.
#[derive(Debug, Clone, PartialEq)]
pub enum AppError {
    /// The controller does not know this client.
    UnknownClient(MacAddr),
    /// The client has no active LVAP (not placed yet, or being placed).
    NoLvap(MacAddr),
    /// An action of an app (this one or another) is moving the client.
    ClientBusy {
        /// The client.
        client: MacAddr,
        /// The app whose action runs (or `"controller"`, `"api"`).
        by: String,
    },
    /// No such agent.
    UnknownAgent(String),
    /// The agent is not up.
    AgentDown(String),
    /// No such radio.
    UnknownRadio(RadioRef),
    /// The client is already served there.
    AlreadyThere,
    /// The radio cannot use that channel.
    InvalidChannel(u8),
    /// A subscription's filter is unusable.
    InvalidFilter(String),
    /// No such subscription of this app.
    UnknownSubscription(SubscriptionId),
    /// No such timer of this app.
    UnknownTimer(TimerId),
    /// The app's configuration is unusable.
    Config(String),
    /// The controller carried the action out and it failed.
    Failed(String),
    /// Anything else (an app's own errors).
    Other(String),
}

impl AppError {
    /// An app's own error, from anything printable.
    pub fn other(why: impl fmt::Display) -> AppError {
        AppError::Other(why.to_string())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::UnknownClient(c) => write!(f, "unknown client {c}"),
            AppError::NoLvap(c) => write!(f, "client {c} has no active LVAP"),
            AppError::ClientBusy { client, by } => {
                write!(f, "client {client} is being moved (by {by})")
            }
            AppError::UnknownAgent(a) => write!(f, "unknown agent {a}"),
            AppError::AgentDown(a) => write!(f, "agent {a} is down"),
            AppError::UnknownRadio(r) => write!(f, "unknown radio {r}"),
            AppError::AlreadyThere => f.write_str("the client is already served there"),
            AppError::InvalidChannel(c) => write!(f, "the radio cannot use channel {c}"),
            AppError::InvalidFilter(why) => write!(f, "invalid filter: {why}"),
            AppError::UnknownSubscription(s) => write!(f, "unknown subscription {}", s.0),
            AppError::UnknownTimer(t) => write!(f, "unknown timer {}", t.0),
            AppError::Config(why) => write!(f, "bad configuration: {why}"),
            AppError::Failed(why) => write!(f, "failed: {why}"),
            AppError::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for AppError {}
