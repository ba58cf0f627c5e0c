//! What goes into the controller core and what comes out of it.

use std::fmt;
use std::time::Duration;

use odin_proto::msg::{
    AgentMsg, ControllerMsg, LeaveReason, RadioIndex, RadioInfo, Relation, Statistic,
};
use odin_proto::MacAddr;

/// A connection to an agent, numbered by the server. Never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

/// The id of a [`Command`], given by the core (see
/// [`super::Controller::command`]); echoed in its
/// [`ControllerEvent::CommandResult`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(pub u64);

/// The id of a handoff (an LVAP migration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandoffId(pub u64);

pub use odin_app::RadioRef;

/// Who asked for a command: recorded with what it did.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Origin {
    /// The REST API (an operator, the dashboard, a script).
    #[default]
    Api,
    /// An app, by name.
    App(String),
    /// The controller itself (placement, re-serving, repairs).
    Controller,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Api => f.write_str("api"),
            Origin::App(name) => f.write_str(name),
            Origin::Controller => f.write_str("controller"),
        }
    }
}

/// What the runtime did about a failed app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppOutcome {
    /// It returned an error: its requests were dropped, it goes on.
    Continued,
    /// It panicked: it was made again from its configuration and started.
    Restarted,
    /// It panicked too often (or could not be made again): disabled.
    Disabled,
}

/// What happens to the controller.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A connection authenticated (the server did TLS and the HMAC
    /// handshake): the agent must now send `Hello`.
    AgentUp {
        /// The connection.
        session: SessionId,
        /// The identity the agent proved.
        agent: String,
    },
    /// A message from an agent (`Hello` and everything after it).
    Msg {
        /// The connection it came on.
        session: SessionId,
        /// The message.
        msg: AgentMsg,
    },
    /// The connection closed.
    AgentDown {
        /// The connection.
        session: SessionId,
    },
    /// Time passed: check the deadlines (see
    /// [`super::Controller::poll_at`]).
    Tick,
    /// An order from an app, the API or an operator. Use
    /// [`super::Controller::command`] to learn its id directly; otherwise
    /// it is [`super::Controller::next_command_id`] before the call.
    Command(Command),
}

/// A subscription as an app asks for it (the core assigns the id).
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionSpec {
    /// One client, or every client.
    pub client: Option<MacAddr>,
    /// What is watched.
    pub statistic: Statistic,
    /// Above or below.
    pub relation: Relation,
    /// The threshold (finite).
    pub threshold: f64,
    /// Re-arm margin (finite, not negative).
    pub hysteresis: f64,
    /// At most one event per client and radio per this many milliseconds
    /// (hysteresis and interval are kept per client and radio).
    pub min_interval_ms: u64,
}

/// Orders for the controller. Each gets a [`CommandId`] and exactly one
/// [`ControllerEvent::CommandResult`].
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Move a client's LVAP to another agent. The result comes when the
    /// handoff completed or failed; [`ControllerEvent::HandoffStarted`]
    /// announces its [`HandoffId`] at once.
    Handoff {
        /// The client.
        client: MacAddr,
        /// The target agent.
        to_agent: String,
        /// The target radio; `None`: the target's radio that heard the
        /// client best and has room.
        to_radio: Option<RadioIndex>,
        /// Why (for logs and the event history).
        cause: String,
    },
    /// Move a radio to another channel.
    SetChannel {
        /// The agent.
        agent: String,
        /// The radio.
        radio: RadioIndex,
        /// The channel.
        channel: u8,
    },
    /// Remove a client's LVAP, deauthenticating the client. Its BSSID
    /// stays reserved for it.
    Disconnect {
        /// The client.
        client: MacAddr,
    },
    /// Install a subscription on every agent, now and as they come up.
    Subscribe(SubscriptionSpec),
    /// Remove a subscription.
    Unsubscribe(u64),
    /// Enable an app (see [`super::Controller::register_app`]), with a new
    /// configuration or the one it has.
    EnableApp {
        /// Its name.
        name: String,
        /// Its configuration; `None`: keep the current one.
        config: Option<serde_json::Value>,
    },
    /// Disable an app: it is stopped, its subscriptions and timers removed.
    DisableApp {
        /// Its name.
        name: String,
    },
    /// Give an app a new configuration (a running app is stopped and
    /// started again with it).
    ConfigureApp {
        /// Its name.
        name: String,
        /// The configuration.
        config: serde_json::Value,
    },
}

/// What the controller asks its runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send a message to an agent.
    Send {
        /// The connection.
        session: SessionId,
        /// The message.
        msg: ControllerMsg,
    },
    /// Close a connection (after sending what precedes this output).
    Close {
        /// The connection.
        session: SessionId,
        /// Why, for the log.
        reason: String,
    },
    /// Something apps, the API and the event history hear about.
    Event(ControllerEvent),
}

/// Why an agent is down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownReason {
    /// Nothing heard from it for the heartbeat timeout.
    HeartbeatTimeout,
    /// No `Hello` within the heartbeat timeout of the connection.
    HelloTimeout,
    /// Its connection closed.
    ConnectionClosed,
    /// It speaks another protocol version.
    VersionMismatch {
        /// The version it announced.
        version: u16,
    },
    /// It broke the protocol (a message before `Hello`).
    ProtocolError(String),
    /// It connected again; the old connection was closed.
    Replaced,
    /// It left a handoff step unanswered through every retry.
    Unresponsive,
}

impl fmt::Display for DownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownReason::HeartbeatTimeout => f.write_str("heartbeat timeout"),
            DownReason::HelloTimeout => f.write_str("no hello in time"),
            DownReason::ConnectionClosed => f.write_str("connection closed"),
            DownReason::VersionMismatch { version } => {
                write!(f, "protocol version {version} is not supported")
            }
            DownReason::ProtocolError(why) => write!(f, "protocol error: {why}"),
            DownReason::Replaced => f.write_str("replaced by a new connection"),
            DownReason::Unresponsive => f.write_str("unresponsive to commands"),
        }
    }
}

/// The four steps of a handoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandoffStep {
    /// 1: the source exports the station state.
    Export,
    /// 2: the target creates the LVAP with it (not authorized).
    AddAtTarget,
    /// 3: the source removes its LVAP silently.
    RemoveAtSource,
    /// 4: the target authorizes the station.
    AuthorizeAtTarget,
}

impl fmt::Display for HandoffStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HandoffStep::Export => "export at source",
            HandoffStep::AddAtTarget => "add at target",
            HandoffStep::RemoveAtSource => "remove at source",
            HandoffStep::AuthorizeAtTarget => "authorize at target",
        })
    }
}

/// How long each step of a handoff took, in microseconds, from sending
/// the command to its acknowledgement (retries included). `None`: the
/// step was skipped (its agent went down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StepDurations {
    /// Step 1.
    pub export_us: Option<u64>,
    /// Step 2.
    pub add_us: Option<u64>,
    /// Step 3.
    pub remove_us: Option<u64>,
    /// Step 4.
    pub authorize_us: Option<u64>,
    /// How far ahead the switch (steps 3 and 4, sent together) was
    /// scheduled; `None`: not scheduled.
    pub switch_lead_us: Option<u64>,
    /// From the command to the end.
    pub total_us: u64,
}

/// What a handoff's rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollback {
    /// Nothing needed undoing: the source kept serving.
    Nothing,
    /// The LVAP was removed at the target (or the target was down), the
    /// source kept serving.
    RemovedAtTarget,
    /// The LVAP was removed at the target and re-created and authorized
    /// at the source.
    RestoredAtSource,
    /// Neither side could keep the client: it was handed to placement
    /// (another agent that heard it, or the next time it is heard).
    Replaced,
}

/// A successful command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandOk {
    /// The handoff completed.
    HandoffCompleted {
        /// The handoff.
        handoff: HandoffId,
        /// Step durations.
        durations: StepDurations,
    },
    /// The client is already served by that agent and radio.
    AlreadyServing,
    /// The radio is on the channel.
    ChannelSet,
    /// The LVAP was removed.
    Disconnected,
    /// The subscription is installed on every up agent and will be on
    /// every agent that comes up.
    Subscribed {
        /// Its id.
        subscription: u64,
    },
    /// The subscription was removed.
    Unsubscribed,
    /// The app was enabled, disabled or configured.
    AppChanged,
}

/// A refused or failed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// The controller does not know this client.
    UnknownClient(MacAddr),
    /// The client has no LVAP.
    NoLvap(MacAddr),
    /// A handoff of this client is running.
    HandoffInProgress(HandoffId),
    /// The client's LVAP is being placed.
    PlacementInProgress(MacAddr),
    /// No such agent.
    UnknownAgent(String),
    /// The agent is not up.
    AgentDown(String),
    /// No such radio.
    UnknownRadio(RadioRef),
    /// The radio hosts as many LVAPs as it can.
    NoCapacity(String),
    /// Moving an LVAP between radios of one agent is not supported.
    SameAgent,
    /// The radio cannot use that channel.
    InvalidChannel(u8),
    /// Threshold or hysteresis not finite (or hysteresis negative).
    InvalidSubscription,
    /// No such subscription.
    UnknownSubscription(u64),
    /// No such app.
    UnknownApp(String),
    /// The app refused its configuration.
    AppConfig(String),
    /// The agent refused or failed.
    AgentFailed(String),
    /// The agent did not answer in time.
    Timeout,
    /// The handoff failed and was rolled back.
    HandoffFailed {
        /// The handoff.
        handoff: HandoffId,
        /// The step that failed.
        step: HandoffStep,
        /// Why.
        reason: String,
        /// What the rollback did.
        rollback: Rollback,
    },
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::UnknownClient(c) => write!(f, "unknown client {c}"),
            CommandError::NoLvap(c) => write!(f, "client {c} has no LVAP"),
            CommandError::HandoffInProgress(h) => {
                write!(f, "a handoff of this client is running ({})", h.0)
            }
            CommandError::PlacementInProgress(c) => {
                write!(f, "the LVAP of {c} is being placed")
            }
            CommandError::UnknownAgent(a) => write!(f, "unknown agent {a}"),
            CommandError::AgentDown(a) => write!(f, "agent {a} is down"),
            CommandError::UnknownRadio(r) => write!(f, "unknown radio {r}"),
            CommandError::NoCapacity(what) => write!(f, "no room for another LVAP on {what}"),
            CommandError::SameAgent => {
                f.write_str("moving an LVAP between radios of one agent is not supported")
            }
            CommandError::InvalidChannel(c) => write!(f, "the radio cannot use channel {c}"),
            CommandError::InvalidSubscription => {
                f.write_str("threshold and hysteresis must be finite, hysteresis not negative")
            }
            CommandError::UnknownSubscription(s) => write!(f, "unknown subscription {s}"),
            CommandError::UnknownApp(a) => write!(f, "unknown app {a}"),
            CommandError::AppConfig(why) => write!(f, "the app refused its configuration: {why}"),
            CommandError::AgentFailed(why) => write!(f, "the agent failed: {why}"),
            CommandError::Timeout => f.write_str("the agent did not answer in time"),
            CommandError::HandoffFailed {
                handoff,
                step,
                reason,
                rollback,
            } => write!(
                f,
                "handoff {} failed at {step}: {reason} (rollback: {rollback:?})",
                handoff.0
            ),
        }
    }
}

/// Something that happened, for apps, the API and the event history.
#[derive(Debug, Clone, PartialEq)]
pub enum ControllerEvent {
    /// An agent said hello and was reconciled.
    AgentUp {
        /// The agent.
        agent: String,
        /// Its software.
        software: String,
        /// Its radios.
        radios: Vec<RadioInfo>,
    },
    /// An agent is down (its connection is closed).
    AgentDown {
        /// The agent.
        agent: String,
        /// Why.
        reason: DownReason,
    },
    /// What reconciliation did at an agent's hello.
    Reconciled {
        /// The agent.
        agent: String,
        /// Reported LVAPs the registry places there.
        kept: usize,
        /// Reported LVAPs the registry did not know, adopted.
        adopted: usize,
        /// Reported LVAPs removed (the registry places them elsewhere).
        removed: usize,
        /// LVAPs the registry places there that were not reported, sent
        /// again.
        re_added: usize,
    },
    /// An agent heard a client.
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
    /// No agent could take a client; the next time it is heard starts
    /// over.
    PlacementFailed {
        /// The client.
        client: MacAddr,
        /// Why.
        reason: String,
    },
    /// A client's agent died and no other agent heard it recently: its
    /// LVAP waits for the client to be heard again.
    LvapOrphaned {
        /// The client.
        client: MacAddr,
        /// Its BSSID.
        bssid: MacAddr,
    },
    /// A client (re)associated with its LVAP.
    ClientJoined {
        /// The client.
        client: MacAddr,
        /// Where.
        agent: String,
        /// A reassociation.
        reassociation: bool,
    },
    /// A client may send data.
    ClientAuthorized {
        /// The client.
        client: MacAddr,
        /// Where.
        agent: String,
    },
    /// A client left its LVAP (the LVAP stays).
    ClientLeft {
        /// The client.
        client: MacAddr,
        /// Where.
        agent: String,
        /// Why.
        reason: LeaveReason,
    },
    /// A handoff began.
    HandoffStarted {
        /// The handoff.
        handoff: HandoffId,
        /// The command that asked for it.
        command: CommandId,
        /// The client.
        client: MacAddr,
        /// The source.
        from: RadioRef,
        /// The target.
        to: RadioRef,
        /// Why.
        cause: String,
        /// Who asked.
        by: Origin,
    },
    /// A handoff step was acknowledged.
    HandoffStepDone {
        /// The handoff.
        handoff: HandoffId,
        /// The step.
        step: HandoffStep,
        /// How long it took, µs.
        micros: u64,
    },
    /// A handoff completed: the target serves the client.
    HandoffCompleted {
        /// The handoff.
        handoff: HandoffId,
        /// The client.
        client: MacAddr,
        /// The source.
        from: RadioRef,
        /// The target.
        to: RadioRef,
        /// Step durations.
        durations: StepDurations,
        /// Why it was asked for.
        cause: String,
        /// Who asked.
        by: Origin,
    },
    /// A handoff failed and was rolled back.
    HandoffFailed {
        /// The handoff.
        handoff: HandoffId,
        /// The client.
        client: MacAddr,
        /// The step that failed.
        step: HandoffStep,
        /// Why.
        reason: String,
        /// What the rollback did.
        rollback: Rollback,
        /// Who asked.
        by: Origin,
    },
    /// A radio moved to another channel (its LVAPs with it).
    ChannelChanged {
        /// The radio.
        at: RadioRef,
        /// The channel.
        channel: u8,
        /// Who asked.
        by: Origin,
    },
    /// A client's LVAP was removed for good (a disconnection); its BSSID
    /// stays its own.
    LvapRemoved {
        /// The client.
        client: MacAddr,
        /// Its BSSID.
        bssid: MacAddr,
        /// Where it was.
        at: RadioRef,
        /// Who asked.
        by: Origin,
    },
    /// An LVAP the registry did not place was adopted at an agent's hello
    /// (a restarted controller learning the network from its agents).
    LvapAdopted {
        /// The client.
        client: MacAddr,
        /// Its BSSID.
        bssid: MacAddr,
        /// Where.
        at: RadioRef,
    },
    /// An app was enabled, disabled or configured.
    AppChanged {
        /// The app.
        name: String,
        /// Enabled now.
        enabled: bool,
        /// Its configuration now.
        config: serde_json::Value,
    },
    /// An app's handler returned an error or panicked.
    AppFailed {
        /// The app.
        app: String,
        /// What went wrong.
        error: String,
        /// What the runtime did.
        outcome: AppOutcome,
    },
    /// A subscription matched on an agent.
    SubscriptionMatched {
        /// The agent.
        agent: String,
        /// The subscription.
        subscription: u64,
        /// The client.
        client: MacAddr,
        /// The radio.
        radio: RadioIndex,
        /// The value.
        value: f64,
    },
    /// A command that no caller waits for (a subscription's installation,
    /// a clean-up removal) failed on an agent.
    RequestFailed {
        /// The agent.
        agent: String,
        /// What was asked, in words.
        what: String,
        /// Why.
        reason: String,
    },
    /// The result of a [`Command`].
    CommandResult {
        /// The command.
        id: CommandId,
        /// Its result.
        result: Result<CommandOk, CommandError>,
    },
}

/// A BSSID prefix: three octets, locally administered, unicast. The
/// controller gives out `prefix:xx:xx:xx`, sequentially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BssidPrefix([u8; 3]);

impl BssidPrefix {
    /// `06:0d:1e`, the default.
    pub const DEFAULT: BssidPrefix = BssidPrefix([0x06, 0x0d, 0x1e]);

    /// A prefix whose first octet has the locally-administered bit set and
    /// the group bit clear; `None` otherwise.
    pub const fn new(octets: [u8; 3]) -> Option<BssidPrefix> {
        if octets[0] & 0x02 != 0 && octets[0] & 0x01 == 0 {
            Some(BssidPrefix(octets))
        } else {
            None
        }
    }

    /// The three octets.
    pub const fn octets(self) -> [u8; 3] {
        self.0
    }

    /// The BSSID with this prefix and a 24-bit suffix.
    pub const fn bssid(self, suffix: u32) -> MacAddr {
        let [a, b, c] = self.0;
        MacAddr([
            a,
            b,
            c,
            (suffix >> 16) as u8,
            (suffix >> 8) as u8,
            suffix as u8,
        ])
    }
}

/// The controller's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ControllerConfig {
    /// The SSID every LVAP advertises (bytes).
    pub ssid: Vec<u8>,
    /// Where BSSIDs come from: the prefix of every BSSID ...
    pub bssid_prefix: BssidPrefix,
    /// ... and the key of their derivation from the client's address (see
    /// [`odin_proto::bssid`]); `odin-controller` derives it from the
    /// shared secret, so it is the same after a restart.
    pub bssid_key: [u8; 16],
    /// An agent not heard from (any message counts) for this long is down;
    /// also the time a new connection has to say hello.
    pub heartbeat_timeout: Duration,
    /// How long reports of a new client are collected before it is placed.
    pub placement_window: Duration,
    /// How long any command to an agent may go unanswered.
    pub step_timeout: Duration,
    /// How many times steps 3 and 4 of a handoff (and a rollback's
    /// authorization) are sent again after a timeout before their agent
    /// is declared unresponsive.
    pub step_retries: u32,
    /// How old a signal report may be to count when re-serving a client
    /// or choosing a handoff's radio.
    pub signal_max_age: Duration,
    /// The Unix time of the core's time origin (`Instant::ZERO`), in
    /// microseconds: with it, a
    /// migration's switch is scheduled at one moment on both agents (see
    /// [`odin_proto::msg::SwitchTime`]); `None`: both commands are sent
    /// at once, to be carried out on receipt.
    pub clock_origin_unix_us: Option<u64>,
    /// The switch moment is at least this far ahead of its sending ...
    pub switch_lead_min: Duration,
    /// ... one and a half times the slower agent's recent round trip, and
    /// at most this far ahead.
    pub switch_lead_max: Duration,
    /// The target starts serving this long after the source stops: zero
    /// risks a frame forwarded twice when the clocks disagree, more risks
    /// one dropped.
    pub switch_target_delay: Duration,
    /// The switch the old way, to measure against: the target is
    /// authorized once the source acknowledged its removal (never both,
    /// but the client is unserved for that round trip).
    pub sequential_switch: bool,
    /// The count of a cross-channel migration's Channel Switch
    /// Announcement, in beacon intervals (0 or 1: the client moves at
    /// once).
    pub channel_switch_count: u8,
}

impl Default for ControllerConfig {
    fn default() -> ControllerConfig {
        ControllerConfig {
            ssid: b"odin".to_vec(),
            bssid_prefix: BssidPrefix::DEFAULT,
            bssid_key: [0; 16],
            heartbeat_timeout: Duration::from_secs(3),
            placement_window: Duration::from_millis(50),
            step_timeout: Duration::from_millis(500),
            step_retries: 2,
            signal_max_age: Duration::from_secs(10),
            clock_origin_unix_us: None,
            switch_lead_min: Duration::from_millis(5),
            switch_lead_max: Duration::from_millis(200),
            switch_target_delay: Duration::ZERO,
            sequential_switch: false,
            channel_switch_count: 1,
        }
    }
}

/// Messages received from agents, by type (every message that reached the
/// core, accepted or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageCounts {
    /// All of them.
    pub total: u64,
    /// `Hello`.
    pub hello: u64,
    /// `Heartbeat`.
    pub heartbeat: u64,
    /// `ClientHeard`.
    pub client_heard: u64,
    /// `Client` (join, authorize, leave).
    pub client: u64,
    /// `Stats`.
    pub stats: u64,
    /// `Matched` (subscription matches).
    pub matched: u64,
    /// `Result`.
    pub result: u64,
    /// `Error`, and `Auth` after the handshake.
    pub other: u64,
}

impl MessageCounts {
    pub(crate) fn count(&mut self, msg: &AgentMsg) {
        self.total += 1;
        let slot = match msg {
            AgentMsg::Hello { .. } => &mut self.hello,
            AgentMsg::Heartbeat { .. } => &mut self.heartbeat,
            AgentMsg::ClientHeard { .. } => &mut self.client_heard,
            AgentMsg::Client { .. } => &mut self.client,
            AgentMsg::Stats { .. } => &mut self.stats,
            AgentMsg::Matched { .. } => &mut self.matched,
            AgentMsg::Result { .. } => &mut self.result,
            AgentMsg::Auth { .. } | AgentMsg::Error { .. } => &mut self.other,
        };
        *slot += 1;
    }
}

/// Counters of what came in, and of everything dropped or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Messages from agents, by type.
    pub messages_in: MessageCounts,
    /// Protocol errors of any kind (the sum of the ones below and others).
    pub protocol_errors: u64,
    /// Messages other than `Hello` before `Hello`.
    pub before_hello: u64,
    /// `Hello`s with another protocol version.
    pub version_mismatches: u64,
    /// Results whose id was not pending on that session.
    pub unknown_results: u64,
    /// Messages on a session the core does not know.
    pub unknown_sessions: u64,
    /// Messages naming a radio the agent did not announce.
    pub unknown_radios: u64,
    /// Client events for an LVAP the registry does not place there.
    pub stray_client_events: u64,
    /// `Error` messages from agents.
    pub agent_errors: u64,
    /// Commands that were not answered in time.
    pub timeouts: u64,
    /// Clients whose derived BSSID another client had: they got a
    /// sequential one, and their first probes were answered in vain.
    pub bssid_collisions: u64,
}

/// The name of a message's type, for logs.
pub(crate) fn msg_kind(msg: &AgentMsg) -> &'static str {
    match msg {
        AgentMsg::Auth { .. } => "auth",
        AgentMsg::Hello { .. } => "hello",
        AgentMsg::Heartbeat { .. } => "heartbeat",
        AgentMsg::ClientHeard { .. } => "client_heard",
        AgentMsg::Client { .. } => "client",
        AgentMsg::Stats { .. } => "stats",
        AgentMsg::Matched { .. } => "matched",
        AgentMsg::Result { .. } => "result",
        AgentMsg::Error { .. } => "error",
    }
}
