#![doc = include_str!("../GUIDE.md")]
//!
//! # The API at a glance
//!
//! * [`App`]: what an app implements; [`AppKind`]: how the controller
//!   makes one from its configuration ([`parse_config`]).
//! * [`Event`]: what it hears; [`Context`]: what it reads and asks for
//!   (typed results, [`AppError`]); [`Network`]: the network, read-only.
//! * [`Filter`]: a subscription, evaluated at the agents.
//! * [`testing`]: a [`testing::TestNetwork`] and a [`testing::Harness`]
//!   for unit tests.

pub mod app;
pub mod context;
pub mod error;
pub mod event;
pub mod testing;
pub mod types;

pub use app::{parse_config, App, AppKind};
pub use context::{Context, Holdings, Network, Request};
pub use error::AppError;
pub use event::Event;
pub use odin_proto::msg::{Band, ClientStats, RadioIndex, Relation, Statistic};
pub use odin_proto::MacAddr;
pub use types::{
    ActionId, AgentInfo, Candidate, ClientInfo, Filter, Heard, Instant, LvapInfo, LvapState,
    RadioInfo, RadioRef, StatsAt, SubscriptionId, TimerId,
};
