//! What an app sees of the network.

use std::fmt;
use std::time::Duration;

use odin_proto::msg::{Band, ClientStats, RadioIndex, Relation, Statistic};
use odin_proto::MacAddr;
use serde::{Deserialize, Serialize};

pub use odin_proto::time::Instant;

/// One radio of one agent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RadioRef {
    /// The agent's identity.
    pub agent: String,
    /// The radio's index within the agent.
    pub radio: RadioIndex,
}

impl RadioRef {
    /// Radio `radio` of `agent`.
    pub fn new(agent: impl Into<String>, radio: RadioIndex) -> RadioRef {
        RadioRef {
            agent: agent.into(),
            radio,
        }
    }
}

impl fmt::Display for RadioRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.agent, self.radio)
    }
}

/// An agent (an access point).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentInfo {
    /// Its identity.
    pub name: String,
    /// Connected and reconciled.
    pub up: bool,
    /// Its radios.
    pub radios: Vec<RadioInfo>,
}

/// A radio of an agent.
#[derive(Debug, Clone, PartialEq)]
pub struct RadioInfo {
    /// Which.
    pub at: RadioRef,
    /// Band.
    pub band: Band,
    /// Current channel.
    pub channel: u8,
    /// Channels it may use.
    pub channels: Vec<u8>,
    /// How many LVAPs it can host.
    pub max_lvaps: u32,
    /// LVAP slots taken (hosted, being placed, held by a handoff).
    pub load: u32,
    /// Share of time the channel was busy (0-1), from the latest
    /// statistics, when the radio measures it.
    pub utilization: Option<f32>,
}

/// Where a client's LVAP is and what is happening to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LvapInfo {
    /// The radio hosting it (during a handoff: the source until the
    /// switch).
    pub at: RadioRef,
    /// Its state.
    pub state: LvapState,
}

/// The state of an LVAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LvapState {
    /// Being created.
    Placing,
    /// Serving.
    Active,
    /// Being moved.
    Migrating,
}

/// A signal report from one radio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    /// The radio.
    pub at: RadioRef,
    /// Signal, dBm.
    pub signal_dbm: i8,
    /// When it was reported.
    pub when: Instant,
}

/// A client's statistics as one radio measured them.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsAt {
    /// The radio.
    pub at: RadioRef,
    /// The statistics.
    pub stats: ClientStats,
    /// When they were reported.
    pub when: Instant,
}

/// A client (a station) and its LVAP.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientInfo {
    /// Its address.
    pub mac: MacAddr,
    /// Its BSSID, once it has been given one.
    pub bssid: Option<MacAddr>,
    /// Its LVAP, when placed.
    pub lvap: Option<LvapInfo>,
    /// Associated with its LVAP.
    pub associated: bool,
    /// The latest signal each radio reported, strongest first.
    pub heard: Vec<Heard>,
    /// The latest statistics each radio reported.
    pub stats: Vec<StatsAt>,
}

impl ClientInfo {
    /// The agent serving it, when its LVAP is active.
    pub fn serving_agent(&self) -> Option<&str> {
        self.lvap
            .as_ref()
            .filter(|l| l.state == LvapState::Active)
            .map(|l| l.at.agent.as_str())
    }

    /// The latest signal `agent` reported (its best radio), if any.
    pub fn signal_at(&self, agent: &str) -> Option<i8> {
        self.heard
            .iter()
            .filter(|h| h.at.agent == agent)
            .map(|h| h.signal_dbm)
            .max()
    }
}

/// A radio that could serve a new client, for [`crate::App::place`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The radio.
    pub at: RadioRef,
    /// The client's signal there, dBm.
    pub signal_dbm: i8,
    /// When that signal was reported.
    pub heard_at: Instant,
    /// LVAP slots taken on the radio.
    pub load: u32,
    /// The radio's limit.
    pub max_lvaps: u32,
    /// The radio's channel.
    pub channel: u8,
}

/// Identifies an action an app asked for; its result comes back as
/// [`crate::Event::ActionDone`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ActionId(pub u64);

/// Identifies one of an app's subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SubscriptionId(pub u64);

/// Identifies one of an app's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TimerId(pub u64);

/// What a subscription watches; evaluated at every agent on what it hears,
/// so only matches travel to the controller.
///
/// ```
/// use std::time::Duration;
/// use odin_app::Filter;
/// // Any client whose signal falls below -70 dBm, re-armed once it is
/// // back above -67, at most once a second per client and radio.
/// let weak = Filter::signal_below(-70.0)
///     .hysteresis(3.0)
///     .min_interval(Duration::from_secs(1));
/// assert!(weak.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// One client, or every client.
    pub client: Option<MacAddr>,
    /// The statistic.
    pub statistic: Statistic,
    /// Above or below the threshold.
    pub relation: Relation,
    /// The threshold.
    pub threshold: f64,
    /// A match re-arms only once the value has gone back past the
    /// threshold by this much.
    pub hysteresis: f64,
    /// At most one match per client and radio per this long.
    pub min_interval: Duration,
}

impl Filter {
    /// `statistic` `relation` `threshold`, for every client, no
    /// hysteresis, no minimum interval.
    pub fn new(statistic: Statistic, relation: Relation, threshold: f64) -> Filter {
        Filter {
            client: None,
            statistic,
            relation,
            threshold,
            hysteresis: 0.0,
            min_interval: Duration::ZERO,
        }
    }

    /// Signal below `dbm`.
    pub fn signal_below(dbm: f64) -> Filter {
        Filter::new(Statistic::SignalDbm, Relation::Below, dbm)
    }

    /// Signal above `dbm`.
    pub fn signal_above(dbm: f64) -> Filter {
        Filter::new(Statistic::SignalDbm, Relation::Above, dbm)
    }

    /// Only this client.
    pub fn client(mut self, client: MacAddr) -> Filter {
        self.client = Some(client);
        self
    }

    /// The re-arm margin.
    pub fn hysteresis(mut self, margin: f64) -> Filter {
        self.hysteresis = margin;
        self
    }

    /// The minimum interval between two matches for one client at one
    /// agent.
    pub fn min_interval(mut self, interval: Duration) -> Filter {
        self.min_interval = interval;
        self
    }

    /// Threshold and hysteresis must be finite, the hysteresis not
    /// negative.
    pub fn validate(&self) -> Result<(), crate::AppError> {
        if !self.threshold.is_finite() || !self.hysteresis.is_finite() || self.hysteresis < 0.0 {
            return Err(crate::AppError::InvalidFilter(
                "threshold and hysteresis must be finite, the hysteresis not negative".into(),
            ));
        }
        Ok(())
    }
}
