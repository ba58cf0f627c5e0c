//! The messages agents and controllers exchange.
//!
//! Every message is a JSON object with a `"type"` tag, inside a
//! length-prefixed frame (see [`crate::codec`]). Commands carry a request
//! id; the agent answers each with exactly one [`AgentMsg::Result`] of the
//! same id. JSON keeps the protocol readable in a capture and lets either
//! side add optional fields without breaking the other; the version in
//! [`AgentMsg::Hello`] guards incompatible changes.

use odin_wire::MacAddr;
use serde::{Deserialize, Serialize};

use crate::bssid::BssidPlan;
use crate::station::StationState;

/// The protocol version this code speaks.
pub const PROTOCOL_VERSION: u16 = 1;

/// The id of a command, echoed in its result.
pub type RequestId = u64;

/// A radio's index within its agent.
pub type RadioIndex = u32;

/// Frequency band of a radio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// 2.4 GHz.
    Ghz2,
    /// 5 GHz.
    Ghz5,
    /// 6 GHz.
    Ghz6,
}

impl Band {
    /// The band of a channel number as used on 2.4 and 5 GHz.
    pub fn of_channel(channel: u8) -> Band {
        if channel <= 14 {
            Band::Ghz2
        } else {
            Band::Ghz5
        }
    }
}

/// What one radio of an agent is and can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RadioInfo {
    /// Index within the agent.
    pub index: RadioIndex,
    /// The kernel's name for it (`phy0`), or the simulator's.
    pub name: String,
    /// The radio's own address.
    pub addr: MacAddr,
    /// Band.
    pub band: Band,
    /// Current channel.
    pub channel: u8,
    /// Channels it may use.
    pub channels: Vec<u8>,
    /// HT (802.11n) capable.
    pub ht: bool,
    /// VHT (802.11ac) capable.
    pub vht: bool,
    /// How many LVAPs (AP interfaces) it can host at once.
    pub max_lvaps: u32,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The moment of a migration's switch, in microseconds since the Unix
/// epoch by the agents' clocks: the source stops serving the client and
/// the target starts at the same instant, so that neither both nor none
/// forward the client's frames for longer than the clocks disagree. Agents
/// are expected to keep their clocks synchronized (NTP, PTP); an agent
/// that receives a moment already past acts at once, and one that
/// receives a moment absurdly far ahead (a clock gone wrong) acts at once
/// and says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SwitchTime(pub u64);

/// A Channel Switch Announcement the source of a cross-channel migration
/// sends its client (IEEE 802.11-2020 9.4.2.18: an action frame and the
/// element in the LVAP's beacons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAnnouncement {
    /// The channel the client is to move to.
    pub channel: u8,
    /// Beacon intervals until it moves (0 or 1: at once).
    pub count: u8,
}

/// An LVAP as the controller names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LvapSpec {
    /// The client it serves.
    pub client: MacAddr,
    /// Its BSSID.
    pub bssid: MacAddr,
    /// The radio that hosts it.
    pub radio: RadioIndex,
    /// The SSID it advertises (bytes).
    pub ssid: Vec<u8>,
}

/// What an agent reports it serves (at hello, for reconciliation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LvapStatus {
    /// The LVAP.
    pub lvap: LvapSpec,
    /// Its client's state, when associated.
    pub station: Option<StationState>,
}

/// Something that happened to an LVAP's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClientEvent {
    /// Open-system authentication done.
    Authenticated,
    /// (Re)associated.
    Associated {
        /// Reassociation rather than association.
        reassociation: bool,
    },
    /// Data may flow.
    Authorized,
    /// The client left or was removed.
    Left {
        /// Why, in words (for logs and the dashboard).
        reason: LeaveReason,
    },
}

/// Why a client left an LVAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// It sent a disassociation.
    Disassociated,
    /// It sent a deauthentication.
    Deauthenticated,
    /// It authenticated again.
    Reauthenticated,
    /// It stopped answering.
    Inactive,
    /// It authenticated but never associated.
    AuthTimeout,
    /// A command removed it.
    Command,
}

/// Per-client statistics an agent keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientStats {
    /// The client.
    pub client: MacAddr,
    /// The radio that heard it.
    pub radio: RadioIndex,
    /// Last signal, dBm.
    pub signal_dbm: Option<i8>,
    /// Whether this agent serves it.
    pub served: bool,
    /// Bytes received from it.
    pub rx_bytes: u64,
    /// Bytes sent to it.
    pub tx_bytes: u64,
    /// Milliseconds since it was last heard.
    pub inactive_ms: u64,
    /// The rate of the last frame sent to it, kbit/s (serving agents on
    /// drivers that report it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_rate_kbps: Option<u32>,
    /// The rate of the last frame received from it, kbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rx_rate_kbps: Option<u32>,
}

/// Frames an agent dropped for one cause, counted since it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropCount {
    /// The cause, a stable snake_case name (`not_our_client`,
    /// `truncated`, `bad_frame`, ...).
    pub cause: String,
    /// Frames.
    pub frames: u64,
}

/// Per-radio statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadioStats {
    /// The radio.
    pub radio: RadioIndex,
    /// Current channel.
    pub channel: u8,
    /// LVAPs hosted.
    pub lvaps: u32,
    /// Share of time the channel was busy, 0-1, when measured.
    pub utilization: Option<f32>,
}

/// A statistic a subscription watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// Signal in dBm.
    SignalDbm,
    /// Milliseconds since last heard.
    InactiveMs,
    /// Bytes received.
    RxBytes,
    /// Bytes sent.
    TxBytes,
}

/// How a value is compared with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Matches when the value rises above the threshold.
    Above,
    /// Matches when the value falls below the threshold.
    Below,
}

/// A filter an app installs on agents: the agent evaluates it on what it
/// hears and sends only the matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// Chosen by the controller, unique per controller.
    pub id: u64,
    /// One client, or every client the agent hears.
    pub client: Option<MacAddr>,
    /// What is watched.
    pub statistic: Statistic,
    /// Above or below.
    pub relation: Relation,
    /// The threshold.
    pub threshold: f64,
    /// A match re-arms only after the value has gone back past the
    /// threshold by this much.
    pub hysteresis: f64,
    /// At most one event per client and radio per this many milliseconds
    /// (hysteresis and interval are kept per client and radio).
    pub min_interval_ms: u64,
}

/// Sent by an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentMsg {
    /// Answer to the challenge: who the agent is and proof it holds the
    /// shared secret (see [`crate::auth`]).
    Auth {
        /// The agent's identity.
        agent: String,
        /// The agent's nonce, hex.
        nonce: String,
        /// HMAC-SHA256 proof, hex.
        proof: String,
    },
    /// First message after authentication.
    Hello {
        /// Protocol version.
        version: u16,
        /// Software name and version.
        software: String,
        /// Radios.
        radios: Vec<RadioInfo>,
        /// LVAPs the agent serves now (non-empty after a reconnection).
        lvaps: Vec<LvapStatus>,
    },
    /// Liveness, every few seconds.
    Heartbeat {
        /// Increments by one.
        seq: u64,
    },
    /// A client without an LVAP here probed (or a served one is heard).
    ClientHeard {
        /// The radio that heard it.
        radio: RadioIndex,
        /// The client.
        client: MacAddr,
        /// Signal of the probe, dBm.
        signal_dbm: i8,
        /// The SSID it asked for (empty: wildcard).
        ssid: Vec<u8>,
    },
    /// An LVAP's client changed state.
    Client {
        /// The LVAP's BSSID.
        bssid: MacAddr,
        /// The client.
        client: MacAddr,
        /// What happened.
        event: ClientEvent,
        /// The client's complete state, sent with `Authorized` so that the
        /// controller can re-create the LVAP elsewhere if this agent dies.
        station: Option<StationState>,
    },
    /// Statistics.
    Stats {
        /// Per client.
        clients: Vec<ClientStats>,
        /// Per radio.
        radios: Vec<RadioStats>,
        /// Frames the agent dropped since it started, by cause (only
        /// causes that dropped any; absent from older agents).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        drops: Vec<DropCount>,
    },
    /// A subscription matched.
    Matched {
        /// The subscription.
        subscription: u64,
        /// The client.
        client: MacAddr,
        /// The radio that measured it.
        radio: RadioIndex,
        /// The value.
        value: f64,
    },
    /// The result of a command.
    Result {
        /// The command's id.
        id: RequestId,
        /// Its outcome.
        outcome: Outcome,
    },
    /// A message the agent could not take.
    Error {
        /// The id of the message, when it had one.
        id: Option<RequestId>,
        /// What went wrong.
        message: String,
    },
}

/// Sent by a controller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ControllerMsg {
    /// The first message on a connection: prove you hold the secret.
    Challenge {
        /// Protocol version the controller speaks.
        version: u16,
        /// The controller's nonce, hex (fresh per connection).
        nonce: String,
    },
    /// Authentication succeeded; the controller proves it holds the secret
    /// too.
    Welcome {
        /// HMAC-SHA256 proof, hex.
        proof: String,
    },
    /// The network's settings, sent once the agent's hello is accepted:
    /// with them the agent answers a new client's probe requests before
    /// the controller has placed its LVAP (see [`crate::bssid`]).
    Network {
        /// The SSID.
        ssid: Vec<u8>,
        /// How new clients' BSSIDs are derived.
        bssids: BssidPlan,
    },
    /// Host an LVAP; with a station state, take over an associated client
    /// (not authorized until [`ControllerMsg::AuthorizeLvap`]).
    AddLvap {
        /// Request id.
        id: RequestId,
        /// The LVAP.
        lvap: LvapSpec,
        /// The client's state, for a migration.
        station: Option<StationState>,
    },
    /// Let an imported station's data flow.
    AuthorizeLvap {
        /// Request id.
        id: RequestId,
        /// The LVAP.
        bssid: MacAddr,
        /// The switch of a migration: carry it out at this moment (see
        /// [`SwitchTime`]); `None`: at once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<SwitchTime>,
        /// The client arrives from another channel (a cross-channel
        /// migration): its block-ack agreements are ended again once it is
        /// here.
        #[serde(default, skip_serializing_if = "is_false")]
        arriving: bool,
    },
    /// Hand over the station state of an LVAP (the result carries it).
    ExportLvap {
        /// Request id.
        id: RequestId,
        /// The LVAP.
        bssid: MacAddr,
    },
    /// Stop hosting an LVAP: silently (a migration's source) or telling the
    /// client it is deauthenticated.
    RemoveLvap {
        /// Request id.
        id: RequestId,
        /// The LVAP.
        bssid: MacAddr,
        /// Send a deauthentication to the client first.
        deauthenticate: bool,
        /// The switch of a migration: stop serving the client at this
        /// moment (see [`SwitchTime`]); `None`: at once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<SwitchTime>,
        /// A cross-channel migration: first tell the client to follow to
        /// another channel, where the target serves it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        announce: Option<ChannelAnnouncement>,
    },
    /// Move a radio to another channel.
    SetChannel {
        /// Request id.
        id: RequestId,
        /// The radio.
        radio: RadioIndex,
        /// The channel.
        channel: u8,
    },
    /// Install a subscription.
    Subscribe {
        /// Request id.
        id: RequestId,
        /// The subscription.
        subscription: Subscription,
    },
    /// Remove a subscription.
    Unsubscribe {
        /// Request id.
        id: RequestId,
        /// The subscription's id.
        subscription: u64,
    },
    /// A message the controller could not take.
    Error {
        /// The id of the message, when it had one.
        id: Option<RequestId>,
        /// What went wrong.
        message: String,
    },
}

impl ControllerMsg {
    /// The request id of a command.
    pub fn id(&self) -> Option<RequestId> {
        match self {
            ControllerMsg::AddLvap { id, .. }
            | ControllerMsg::AuthorizeLvap { id, .. }
            | ControllerMsg::ExportLvap { id, .. }
            | ControllerMsg::RemoveLvap { id, .. }
            | ControllerMsg::SetChannel { id, .. }
            | ControllerMsg::Subscribe { id, .. }
            | ControllerMsg::Unsubscribe { id, .. } => Some(*id),
            ControllerMsg::Challenge { .. }
            | ControllerMsg::Welcome { .. }
            | ControllerMsg::Network { .. }
            | ControllerMsg::Error { .. } => None,
        }
    }
}

/// The outcome of a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Done,
    /// Done; here is the station state (answer to `ExportLvap`).
    Station {
        /// The state.
        station: StationState,
    },
    /// Refused or failed.
    Failed {
        /// Why, in words.
        reason: String,
    },
}
