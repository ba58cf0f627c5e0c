//! The controller core, sans-IO.
//!
//! [`Controller::handle`] takes an [`Input`] (a connection authenticated,
//! a message from an agent, a connection closed, a tick, a command) and the
//! current time, and pushes [`Output`]s: messages for agents, connections to
//! close, and [`ControllerEvent`]s for apps and the API. It never reads a
//! clock, touches a socket or spawns anything; [`Controller::poll_at`] says
//! when the next [`Input::Tick`] is due. The server around it does TCP,
//! TLS and the HMAC handshake, then feeds it.
//!
//! # What it does
//!
//! * **Sessions** ([`agents`]): an authenticated connection must say
//!   `Hello` with `PROTOCOL_VERSION`; anything else first, or another
//!   version, gets `Error` and the connection closed. Any message counts
//!   as a heartbeat; an agent silent for `heartbeat_timeout` is down. A
//!   new connection of an agent that is still connected replaces the old
//!   one (its LVAPs stay put until the new hello reconciles them).
//! * **Reconciliation** at hello: the registry is the authority. A
//!   reported LVAP the registry places on this agent stays (its station
//!   state is refreshed); one the registry places elsewhere or under
//!   another BSSID is removed silently; one the registry places here but
//!   that was not reported is sent again; one the registry does not know
//!   is adopted (so a restarted controller learns the network from its
//!   agents), unless another agent already reported the client: then the
//!   copy whose client is authorized wins (the other is what a migration
//!   cut short by the restart left behind), and between equals the first
//!   report. An adopted copy whose client is associated but not authorized
//!   is authorized one `heartbeat_timeout` later if no better copy turned
//!   up.
//! * **Placement** ([`placement`]): the first probe of a client without an
//!   LVAP opens a `placement_window`; at its end a [`Placement`] strategy
//!   ranks the radios that heard the client within the window and have
//!   room; the best gets `AddLvap`; a failure or timeout tries the next.
//! * **Agent death**: the LVAPs of an agent that goes down are re-served on
//!   the best other agent that heard the client within `signal_max_age`,
//!   with the cached station state (so a client on the same channel keeps
//!   its association); when none did, the LVAP waits for the client to be
//!   heard again.
//! * **Handoffs** ([`handoff`]): export, add at target, remove at source,
//!   authorize at target; each step acknowledged and bounded by
//!   `step_timeout`; failures roll back to exactly one serving agent.
//!
//! # Unanswered probes and races between agents
//!
//! No agent answers a client it has no LVAP for: agents only report the
//! probe (`ClientHeard`). The controller is the single place where a
//! client is given an agent, so two agents hearing the same probe cannot
//! both create an LVAP: their reports are collected in one window and one
//! agent is told. The probes of the first `placement_window` (and until
//! `AddLvap` is acknowledged) go unanswered; clients probe every channel
//! again within a scan and re-scan within seconds, and the LVAP answers
//! those. A placement whose every candidate failed is dropped, and the
//! client's next probe starts a new one. Probes for another SSID record the
//! signal but start no placement.
//!
//! # Invariants
//!
//! Checked by [`Controller::check_invariants`] after every input in the
//! tests (and under proptest):
//!
//! 1. Each agent has at most one session, and sessions and agents point to
//!    each other.
//! 2. A BSSID belongs to at most one client, for good; every LVAP uses its
//!    client's BSSID.
//! 3. Each client's LVAP is on at most one agent (`Client::lvap` names one
//!    radio); the agent is connected (up, or a replacing connection waiting
//!    for hello) and the radio exists.
//! 4. No radio hosts more LVAPs than its `max_lvaps`, counting LVAPs being
//!    placed and the slots running handoffs hold (a handoff holds one on
//!    each side until it ends, so a rollback always finds room).
//! 5. An LVAP is `Placing` exactly when its placement waits on a request,
//!    `Migrating` exactly when a handoff of its client runs, and a running
//!    handoff (or a placement past its window) always waits on exactly one
//!    request.
//! 6. Every pending request was sent on its agent's current session and
//!    has a deadline; a session's end resolves all its requests.

pub mod agents;
mod api;
pub mod apps;
mod describe;
pub mod handoff;
pub mod placement;
mod registry;
mod time;
mod timers;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use odin_proto::msg::{
    AgentMsg, ControllerMsg, LvapSpec, RadioIndex, RadioInfo, RequestId, Subscription,
};
use odin_proto::{MacAddr, StationState};

pub use api::{
    AppOutcome, BssidPrefix, Command, CommandError, CommandId, CommandOk, ControllerConfig,
    ControllerEvent, Counters, DownReason, HandoffId, HandoffStep, Input, MessageCounts, Origin,
    Output, RadioRef, Rollback, SessionId, StepDurations, SubscriptionSpec,
};
pub use handoff::Handoff;
pub use placement::{BestSignal, Candidate, Placement};
pub use registry::{Agent, Client, Heard, Lvap, LvapState, Radio};
pub use time::Instant;

use placement::PlacementJob;
use registry::{BssidAllocator, Clients};
use timers::{Timer, Timers};

/// A connection to an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    agent: String,
    hello: bool,
    last_heard: Instant,
}

/// Why a request was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `AddLvap` or `AuthorizeLvap` of a placement.
    Place { client: MacAddr },
    /// The current step of a client's handoff.
    Handoff { client: MacAddr },
    /// The target's authorization sent with the source's removal (the
    /// switch), while the handoff waits on the removal.
    SwitchAuthorize { client: MacAddr },
    /// The request of a placement abandoned because another agent turned
    /// out to serve the client: its answer changes nothing (a clean-up
    /// removal follows it).
    Abandoned { client: MacAddr },
    /// A removal nothing waits on but perhaps a `Disconnect`.
    Cleanup {
        client: MacAddr,
        command: Option<CommandId>,
    },
    /// `AuthorizeLvap` of an adopted LVAP whose client was left associated
    /// but not authorized (a migration cut short by a controller restart).
    Repair { client: MacAddr },
    /// A `SetChannel` command.
    SetChannel {
        command: CommandId,
        radio: RadioIndex,
        channel: u8,
        by: Origin,
    },
    /// A subscription's installation or removal.
    Subscription { subscription: u64, install: bool },
}

/// A command sent to an agent and not yet answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    session: SessionId,
    agent: String,
    sent: Instant,
    deadline: Instant,
    purpose: Purpose,
    /// How long the agent was asked to wait before acting (a switch's
    /// lead): not part of its round trip.
    held_us: u64,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    Done,
    Station(Box<StationState>),
    Failed(String),
    Timeout,
    /// Its session ended.
    AgentLost,
}

impl Answer {
    fn from_outcome(outcome: odin_proto::msg::Outcome) -> Answer {
        match outcome {
            odin_proto::msg::Outcome::Done => Answer::Done,
            odin_proto::msg::Outcome::Station { station } => Answer::Station(Box::new(station)),
            odin_proto::msg::Outcome::Failed { reason } => Answer::Failed(reason),
        }
    }

    fn is_success(&self) -> bool {
        matches!(self, Answer::Done | Answer::Station(_))
    }

    fn reason(&self) -> String {
        match self {
            Answer::Done | Answer::Station(_) => "done".into(),
            Answer::Failed(why) => why.clone(),
            Answer::Timeout => "no answer in time".into(),
            Answer::AgentLost => "agent down".into(),
        }
    }
}

/// The controller: registry, sessions, placement, handoffs.
pub struct Controller {
    config: ControllerConfig,
    placement: Box<dyn Placement>,
    sessions: BTreeMap<SessionId, Session>,
    agents: BTreeMap<String, Agent>,
    clients: Clients,
    /// Every deadline of the state, earliest first (see `timers`).
    timers: Timers,
    bssids: BssidAllocator,
    pending: BTreeMap<RequestId, Pending>,
    placements: BTreeMap<MacAddr, PlacementJob>,
    handoffs: BTreeMap<MacAddr, Handoff>,
    /// Adopted LVAPs whose client is associated but not authorized: client
    /// → (agent, BSSID, when to authorize if no better copy turned up).
    stranded: BTreeMap<MacAddr, (String, MacAddr, Instant)>,
    subscriptions: BTreeMap<u64, Subscription>,
    next_request: RequestId,
    next_command: u64,
    next_handoff: u64,
    next_subscription: u64,
    counters: Counters,
    /// The apps (see [`apps`]).
    apps: apps::AppHost,
    /// The time of the input being handled (what apps read as now).
    now: Instant,
    /// Who asked for the command being carried out.
    origin: Origin,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("agents", &self.agents.len())
            .field("clients", &self.clients.len())
            .field("timers", &self.timers.len())
            .field("pending", &self.pending.len())
            .field("handoffs", &self.handoffs.len())
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

impl Controller {
    /// A controller with the default placement ([`BestSignal`]).
    pub fn new(config: ControllerConfig) -> Controller {
        Controller::with_placement(config, Box::new(BestSignal))
    }

    /// A controller with its own placement strategy.
    pub fn with_placement(config: ControllerConfig, placement: Box<dyn Placement>) -> Controller {
        Controller {
            bssids: BssidAllocator::new(config.bssid_prefix, config.bssid_key),
            config,
            placement,
            sessions: BTreeMap::new(),
            agents: BTreeMap::new(),
            clients: Clients::default(),
            timers: Timers::default(),
            pending: BTreeMap::new(),
            placements: BTreeMap::new(),
            handoffs: BTreeMap::new(),
            stranded: BTreeMap::new(),
            subscriptions: BTreeMap::new(),
            next_request: 1,
            next_command: 1,
            next_handoff: 1,
            next_subscription: 1,
            counters: Counters::default(),
            apps: apps::AppHost::default(),
            now: Instant::ZERO,
            origin: Origin::Api,
        }
    }

    /// Takes one input at time `now` (non-decreasing from call to call).
    pub fn handle(&mut self, input: Input, now: Instant, out: &mut Vec<Output>) {
        let from = out.len();
        self.now = now;
        match input {
            Input::AgentUp { session, agent } => self.session_opened(session, agent, now, out),
            Input::Msg { session, msg } => self.message(session, msg, now, out),
            Input::AgentDown { session } => self.session_closed(session, now, out),
            Input::Tick => self.tick(now, out),
            Input::Command(command) => {
                self.command_as(Origin::Api, command, now, out);
            }
        }
        self.run_apps(from, now, out);
        self.settle();
    }

    /// Takes a command from the API, like `handle(Input::Command(..))`,
    /// and returns its id.
    pub fn command(&mut self, command: Command, now: Instant, out: &mut Vec<Output>) -> CommandId {
        self.command_from(Origin::Api, command, now, out)
    }

    /// Takes a command from `origin` (recorded with what it does) and
    /// returns its id.
    pub fn command_from(
        &mut self,
        origin: Origin,
        command: Command,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> CommandId {
        let from = out.len();
        self.now = now;
        let id = self.command_as(origin, command, now, out);
        self.run_apps(from, now, out);
        self.settle();
        id
    }

    /// Carries out a command for `origin`, without running the apps.
    pub(crate) fn command_as(
        &mut self,
        origin: Origin,
        command: Command,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> CommandId {
        let outer = std::mem::replace(&mut self.origin, origin);
        let id = self.command_inner(command, now, out);
        self.origin = outer;
        id
    }

    /// Carries out a command for the current origin.
    pub(crate) fn command_inner(
        &mut self,
        command: Command,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> CommandId {
        let id = CommandId(self.next_command);
        self.next_command += 1;
        let result = match command {
            Command::Handoff {
                client,
                to_agent,
                to_radio,
                cause,
            } => self.start_handoff(id, client, to_agent, to_radio, cause, now, out),
            Command::SetChannel {
                agent,
                radio,
                channel,
            } => self.set_channel(id, agent, radio, channel, now, out),
            Command::Disconnect { client } => self.disconnect(id, client, now, out),
            Command::Subscribe(spec) => self.subscribe(spec, now, out),
            Command::Unsubscribe(subscription) => self.unsubscribe(subscription, now, out),
            Command::EnableApp { name, config } => {
                Some(self.change_app(&name, Some(true), config, now, out))
            }
            Command::DisableApp { name } => {
                Some(self.change_app(&name, Some(false), None, now, out))
            }
            Command::ConfigureApp { name, config } => {
                Some(self.change_app(&name, None, Some(config), now, out))
            }
        };
        if let Some(result) = result {
            out.push(Output::Event(ControllerEvent::CommandResult { id, result }));
        }
        id
    }

    /// The id the next command will get.
    pub fn next_command_id(&self) -> CommandId {
        CommandId(self.next_command)
    }

    /// When the next [`Input::Tick`] is due, if anything waits on time.
    pub fn poll_at(&self) -> Option<Instant> {
        [self.timers.next(), self.apps.poll_at()]
            .into_iter()
            .flatten()
            .min()
    }

    /// [`Controller::poll_at`] the slow way, from every deadline of the
    /// state: what the timer queue must agree with.
    fn poll_at_scan(&self) -> Option<Instant> {
        let sessions = self
            .sessions
            .values()
            .map(|s| s.last_heard + self.config.heartbeat_timeout);
        let pending = self.pending.values().map(|p| p.deadline);
        let windows = self.placements.values().filter_map(|job| job.window_end());
        let stranded = self.stranded.values().map(|(_, _, at)| *at);
        sessions
            .chain(pending)
            .chain(windows)
            .chain(stranded)
            .chain(self.apps.poll_at())
            .min()
    }

    /// Restores an agent from the store (before any connection): known,
    /// down until it connects and says hello. Ignored once the agent is
    /// known.
    pub fn restore_agent(&mut self, name: &str, software: &str, radios: Vec<RadioInfo>) {
        if self.agents.contains_key(name) {
            return;
        }
        let radios = radios
            .into_iter()
            .map(|info| (info.index, Radio { info, stats: None }))
            .collect();
        self.agents.insert(
            name.to_string(),
            Agent {
                name: name.to_string(),
                session: None,
                up: false,
                software: software.to_string(),
                radios,
                last_heard: None,
                last_down: None,
                round_trip_us: 0,
                round_trip_at: None,
                frames_dropped: BTreeMap::new(),
                drops_reported: BTreeMap::new(),
            },
        );
    }

    /// Restores a client from the store (before any connection): its
    /// BSSID, kept for good, and its last station state; no LVAP (the
    /// agents' hellos say where its LVAP is). False, and nothing changed,
    /// when the client is known already or another client holds the BSSID.
    pub fn restore_client(
        &mut self,
        mac: MacAddr,
        bssid: Option<MacAddr>,
        station: Option<StationState>,
    ) -> bool {
        if self.clients.contains_key(&mac) {
            return false;
        }
        if let Some(bssid) = bssid {
            if !self.bssids.claim(bssid, mac) {
                return false;
            }
        }
        let mut client = Client::new(mac);
        client.bssid = bssid;
        client.station = station.filter(|s| s.sta == mac);
        self.clients.insert_new(client);
        true
    }

    /// Sets the Unix time of the time origin (see
    /// [`ControllerConfig::clock_origin_unix_us`]), unless configured: the
    /// runtime calls it with the wall clock when it starts the core.
    pub fn set_clock_origin(&mut self, unix_us: u64) {
        self.config.clock_origin_unix_us.get_or_insert(unix_us);
    }

    /// The settings.
    pub fn config(&self) -> &ControllerConfig {
        &self.config
    }

    /// The counters of dropped and refused input.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Every agent ever seen, by identity.
    pub fn agents(&self) -> &BTreeMap<String, Agent> {
        &self.agents
    }

    /// Every client ever heard, by address.
    pub fn clients(&self) -> &BTreeMap<MacAddr, Client> {
        self.clients.map()
    }

    /// One client.
    pub fn client(&self, mac: &MacAddr) -> Option<&Client> {
        self.clients.get(mac)
    }

    /// The running handoffs, by client.
    pub fn handoffs(&self) -> &BTreeMap<MacAddr, Handoff> {
        &self.handoffs
    }

    /// The installed subscriptions.
    pub fn subscriptions(&self) -> &BTreeMap<u64, Subscription> {
        &self.subscriptions
    }

    /// How many commands to agents wait for an answer.
    pub fn pending_requests(&self) -> usize {
        self.pending.len()
    }

    /// The clients whose LVAP is hosted (or being placed) on a radio.
    pub fn lvaps_on(&self, at: &RadioRef) -> impl Iterator<Item = MacAddr> + '_ {
        self.clients.on(at).into_iter().flatten().copied()
    }

    /// Whether an agent is up (connected and said hello).
    pub fn is_up(&self, agent: &str) -> bool {
        self.agents.get(agent).is_some_and(|a| a.up)
    }

    /// How many LVAP slots of a radio are taken: LVAPs hosted or being
    /// placed there, and the slots running handoffs hold (the target's
    /// before it hosts the LVAP, the source's afterwards, for a rollback).
    pub fn load(&self, at: &RadioRef) -> u32 {
        let hosted = self.clients.on(at).map_or(0, BTreeSet::len);
        let reserved = self
            .handoffs
            .values()
            .filter(|h| {
                (h.target == *at && h.reserves_target()) || (h.source == *at && h.reserves_source())
            })
            .count();
        (hosted + reserved) as u32
    }

    /// Whether a radio is on an up agent and has room for one more LVAP.
    pub fn has_room(&self, at: &RadioRef) -> bool {
        let Some(agent) = self.agents.get(&at.agent) else {
            return false;
        };
        let Some(radio) = agent.radios.get(&at.radio) else {
            return false;
        };
        agent.up && self.load(at) < radio.info.max_lvaps
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<Output>) {
        // Handling a deadline can open another that is due at once (a
        // placement without a window): a few rounds, not forever.
        for _ in 0..8 {
            let due = self.due_timers(now);
            if due.is_empty() {
                break;
            }
            for timer in due {
                // An earlier one may have settled this one (an agent
                // declared down resolves all its requests).
                if self.timer_due(timer).is_none_or(|at| at > now) {
                    continue;
                }
                match timer {
                    Timer::Stranded(client) => self.repair_stranded(client, now, out),
                    Timer::Session(session) => {
                        let reason = if self.sessions.get(&session).is_some_and(|s| s.hello) {
                            DownReason::HeartbeatTimeout
                        } else {
                            DownReason::HelloTimeout
                        };
                        self.end_session(session, reason, now, out);
                    }
                    Timer::Request(id) => {
                        if let Some(pending) = self.pending.remove(&id) {
                            self.counters.timeouts += 1;
                            tracing::debug!(id, agent = %pending.agent, "request timed out");
                            self.resolve(pending, Answer::Timeout, now, out);
                        }
                    }
                    Timer::Window(client) => self.close_window(client, now, out),
                }
            }
        }
    }

    /// Sends a command to an agent's current session and records it as
    /// pending; `None` when the agent is not up (a connection that has not
    /// said hello gets no commands).
    fn request(
        &mut self,
        agent: &str,
        purpose: Purpose,
        now: Instant,
        out: &mut Vec<Output>,
        make: impl FnOnce(RequestId) -> ControllerMsg,
    ) -> Option<RequestId> {
        let a = self.agents.get(agent)?;
        if !a.up {
            return None;
        }
        let session = a.session?;
        let id = self.next_request;
        self.next_request += 1;
        self.pending.insert(
            id,
            Pending {
                session,
                agent: agent.to_owned(),
                sent: now,
                deadline: now + self.config.step_timeout,
                purpose,
                held_us: 0,
            },
        );
        self.timers
            .set(now + self.config.step_timeout, Timer::Request(id));
        out.push(Output::Send {
            session,
            msg: make(id),
        });
        Some(id)
    }

    /// Routes the end of a request to whatever waited on it.
    fn resolve(&mut self, pending: Pending, answer: Answer, now: Instant, out: &mut Vec<Output>) {
        match pending.purpose {
            Purpose::Place { client } => self.placement_answer(client, answer, now, out),
            Purpose::Abandoned { client } => {
                tracing::debug!(%client, answer = %answer.reason(), "answer to an abandoned placement");
            }
            Purpose::Handoff { client } => self.handoff_answer(client, answer, now, out),
            Purpose::SwitchAuthorize { client } => {
                self.switch_authorize_answer(client, answer, now);
            }
            Purpose::Cleanup { client, command } => {
                if !answer.is_success() {
                    tracing::warn!(%client, agent = %pending.agent, reason = %answer.reason(), "removal failed");
                    out.push(Output::Event(ControllerEvent::RequestFailed {
                        agent: pending.agent.clone(),
                        what: format!("remove the LVAP of {client}"),
                        reason: answer.reason(),
                    }));
                }
                if let Some(command) = command {
                    let result = match answer {
                        Answer::Done | Answer::Station(_) => Ok(CommandOk::Disconnected),
                        Answer::Failed(why) => Err(CommandError::AgentFailed(why)),
                        Answer::Timeout => Err(CommandError::Timeout),
                        Answer::AgentLost => Err(CommandError::AgentDown(pending.agent)),
                    };
                    out.push(Output::Event(ControllerEvent::CommandResult {
                        id: command,
                        result,
                    }));
                }
            }
            Purpose::Repair { client } => {
                if !answer.is_success() {
                    out.push(Output::Event(ControllerEvent::RequestFailed {
                        agent: pending.agent.clone(),
                        what: format!("authorize the adopted LVAP of {client}"),
                        reason: answer.reason(),
                    }));
                }
            }
            Purpose::SetChannel {
                command,
                radio,
                channel,
                by,
            } => {
                let result = match answer {
                    Answer::Done | Answer::Station(_) => {
                        if let Some(r) = self
                            .agents
                            .get_mut(&pending.agent)
                            .and_then(|a| a.radios.get_mut(&radio))
                        {
                            r.info.channel = channel;
                        }
                        out.push(Output::Event(ControllerEvent::ChannelChanged {
                            at: RadioRef {
                                agent: pending.agent.clone(),
                                radio,
                            },
                            channel,
                            by,
                        }));
                        Ok(CommandOk::ChannelSet)
                    }
                    Answer::Failed(why) => Err(CommandError::AgentFailed(why)),
                    Answer::Timeout => Err(CommandError::Timeout),
                    Answer::AgentLost => Err(CommandError::AgentDown(pending.agent)),
                };
                out.push(Output::Event(ControllerEvent::CommandResult {
                    id: command,
                    result,
                }));
            }
            Purpose::Subscription {
                subscription,
                install,
            } => {
                if !answer.is_success() && answer != Answer::AgentLost {
                    let verb = if install { "install" } else { "remove" };
                    out.push(Output::Event(ControllerEvent::RequestFailed {
                        agent: pending.agent,
                        what: format!("{verb} subscription {subscription}"),
                        reason: answer.reason(),
                    }));
                }
            }
        }
    }

    /// Removes an LVAP from an agent: silently, as a clean-up nothing waits
    /// on, or for a `Disconnect` command (deauthenticating the client).
    fn cleanup_remove(
        &mut self,
        agent: &str,
        client: MacAddr,
        bssid: MacAddr,
        command: Option<CommandId>,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> bool {
        let deauthenticate = command.is_some();
        let purpose = Purpose::Cleanup { client, command };
        self.request(agent, purpose, now, out, |id| ControllerMsg::RemoveLvap {
            id,
            bssid,
            deauthenticate,
            at: None,
            announce: None,
        })
        .is_some()
    }

    fn lvap_spec(&self, client: MacAddr, bssid: MacAddr, radio: RadioIndex) -> LvapSpec {
        LvapSpec {
            client,
            bssid,
            radio,
            ssid: self.config.ssid.clone(),
        }
    }

    fn set_channel(
        &mut self,
        id: CommandId,
        agent: String,
        radio: RadioIndex,
        channel: u8,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> Option<Result<CommandOk, CommandError>> {
        let Some(a) = self.agents.get(&agent) else {
            return Some(Err(CommandError::UnknownAgent(agent)));
        };
        if !a.up {
            return Some(Err(CommandError::AgentDown(agent)));
        }
        let Some(r) = a.radios.get(&radio) else {
            return Some(Err(CommandError::UnknownRadio(RadioRef { agent, radio })));
        };
        if !r.info.channels.is_empty() && !r.info.channels.contains(&channel) {
            return Some(Err(CommandError::InvalidChannel(channel)));
        }
        let purpose = Purpose::SetChannel {
            command: id,
            radio,
            channel,
            by: self.origin.clone(),
        };
        match self.request(&agent, purpose, now, out, |id| ControllerMsg::SetChannel {
            id,
            radio,
            channel,
        }) {
            Some(_) => None,
            None => Some(Err(CommandError::AgentDown(agent))),
        }
    }

    /// The client's LVAP and BSSID when a command may act on it: the
    /// client is known, placed, and neither being placed nor migrated.
    pub(crate) fn active_lvap(&self, client: MacAddr) -> Result<(Lvap, MacAddr), CommandError> {
        let c = self
            .clients
            .get(&client)
            .ok_or(CommandError::UnknownClient(client))?;
        let (Some(lvap), Some(bssid)) = (c.lvap.clone(), c.bssid) else {
            return Err(CommandError::NoLvap(client));
        };
        match lvap.state {
            LvapState::Active => Ok((lvap, bssid)),
            LvapState::Placing => Err(CommandError::PlacementInProgress(client)),
            LvapState::Migrating(h) => Err(CommandError::HandoffInProgress(h)),
        }
    }

    fn disconnect(
        &mut self,
        id: CommandId,
        client: MacAddr,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> Option<Result<CommandOk, CommandError>> {
        let (lvap, bssid) = match self.active_lvap(client) {
            Ok(found) => found,
            Err(e) => return Some(Err(e)),
        };
        if let Some(mut c) = self.clients.get_mut(&client) {
            c.lvap = None;
            c.station = None;
        }
        out.push(Output::Event(ControllerEvent::LvapRemoved {
            client,
            bssid,
            at: lvap.at.clone(),
            by: self.origin.clone(),
        }));
        if self.cleanup_remove(&lvap.at.agent, client, bssid, Some(id), now, out) {
            None
        } else {
            // Its agent waits for a new hello: that hello's reconciliation
            // removes the LVAP the registry no longer places there.
            Some(Ok(CommandOk::Disconnected))
        }
    }

    fn subscribe(
        &mut self,
        spec: SubscriptionSpec,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> Option<Result<CommandOk, CommandError>> {
        if !spec.threshold.is_finite() || !spec.hysteresis.is_finite() || spec.hysteresis < 0.0 {
            return Some(Err(CommandError::InvalidSubscription));
        }
        let id = self.next_subscription;
        self.next_subscription += 1;
        let subscription = Subscription {
            id,
            client: spec.client,
            statistic: spec.statistic,
            relation: spec.relation,
            threshold: spec.threshold,
            hysteresis: spec.hysteresis,
            min_interval_ms: spec.min_interval_ms,
        };
        self.subscriptions.insert(id, subscription.clone());
        let up: Vec<String> = self
            .agents
            .values()
            .filter(|a| a.up)
            .map(|a| a.name.clone())
            .collect();
        for agent in up {
            self.send_subscription(&agent, &subscription, now, out);
        }
        Some(Ok(CommandOk::Subscribed { subscription: id }))
    }

    fn send_subscription(
        &mut self,
        agent: &str,
        subscription: &Subscription,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        let purpose = Purpose::Subscription {
            subscription: subscription.id,
            install: true,
        };
        self.request(agent, purpose, now, out, |id| ControllerMsg::Subscribe {
            id,
            subscription: subscription.clone(),
        });
    }

    fn unsubscribe(
        &mut self,
        subscription: u64,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> Option<Result<CommandOk, CommandError>> {
        if self.subscriptions.remove(&subscription).is_none() {
            return Some(Err(CommandError::UnknownSubscription(subscription)));
        }
        let up: Vec<String> = self
            .agents
            .values()
            .filter(|a| a.up)
            .map(|a| a.name.clone())
            .collect();
        for agent in up {
            let purpose = Purpose::Subscription {
                subscription,
                install: false,
            };
            self.request(&agent, purpose, now, out, |id| ControllerMsg::Unsubscribe {
                id,
                subscription,
            });
        }
        Some(Ok(CommandOk::Unsubscribed))
    }

    /// Checks the invariants of the module documentation.
    pub fn check_invariants(&self) -> Result<(), String> {
        // 1. Sessions and agents.
        for (id, session) in &self.sessions {
            let agent = self
                .agents
                .get(&session.agent)
                .ok_or(format!("session {id:?} of unknown agent {}", session.agent))?;
            if agent.session != Some(*id) {
                return Err(format!("agent {} does not point to {id:?}", agent.name));
            }
            if agent.up != session.hello {
                return Err(format!(
                    "agent {} up={} but hello={}",
                    agent.name, agent.up, session.hello
                ));
            }
        }
        for agent in self.agents.values() {
            match agent.session {
                Some(s) if self.sessions.get(&s).is_none_or(|x| x.agent != agent.name) => {
                    return Err(format!("agent {} points to a foreign session", agent.name));
                }
                None if agent.up => return Err(format!("agent {} up without session", agent.name)),
                _ => {}
            }
        }
        // 2. BSSIDs.
        for (bssid, owner) in self.bssids.iter() {
            let client = self
                .clients
                .get(owner)
                .ok_or(format!("BSSID {bssid} of unknown client {owner}"))?;
            if client.bssid != Some(*bssid) {
                return Err(format!(
                    "BSSID {bssid} owned by {owner} with {:?}",
                    client.bssid
                ));
            }
        }
        // 3, 5. LVAPs.
        for client in self.clients.values() {
            let mac = client.mac;
            if let Some(bssid) = client.bssid {
                if self.bssids.owner(&bssid) != Some(mac) {
                    return Err(format!("{mac}'s BSSID {bssid} not recorded as its own"));
                }
            }
            let job = self.placements.get(&mac);
            let handoff = self.handoffs.get(&mac);
            let Some(lvap) = &client.lvap else {
                if job.is_some_and(|j| j.window_end().is_none()) {
                    return Err(format!("{mac} has a placement past its window but no LVAP"));
                }
                if handoff.is_some() {
                    return Err(format!("{mac} has a handoff but no LVAP"));
                }
                continue;
            };
            if client.bssid.is_none() {
                return Err(format!("{mac} has an LVAP without a BSSID"));
            }
            let agent = self
                .agents
                .get(&lvap.at.agent)
                .ok_or(format!("{mac}'s LVAP on unknown agent {}", lvap.at.agent))?;
            if agent.session.is_none() {
                return Err(format!("{mac}'s LVAP on disconnected agent {}", agent.name));
            }
            if agent.up && !agent.radios.contains_key(&lvap.at.radio) {
                return Err(format!("{mac}'s LVAP on unknown radio {}", lvap.at));
            }
            match lvap.state {
                LvapState::Placing => {
                    let request = job
                        .and_then(|j| j.request())
                        .ok_or(format!("{mac} placing without a placement request"))?;
                    let p = self
                        .pending
                        .get(&request)
                        .ok_or(format!("{mac}'s placement request {request} not pending"))?;
                    if p.agent != lvap.at.agent || p.purpose != (Purpose::Place { client: mac }) {
                        return Err(format!(
                            "{mac}'s placement request {request} is wrong: {p:?}"
                        ));
                    }
                    if handoff.is_some() {
                        return Err(format!("{mac} placing and migrating"));
                    }
                }
                LvapState::Active => {
                    if job.is_some() || handoff.is_some() {
                        return Err(format!("{mac} active with a placement or handoff"));
                    }
                }
                LvapState::Migrating(id) => {
                    let h = handoff.ok_or(format!("{mac} migrating without handoff"))?;
                    if h.id != id || job.is_some() {
                        return Err(format!("{mac} migrating under {id:?}, handoff {:?}", h.id));
                    }
                    if h.source.agent == h.target.agent {
                        return Err(format!("{mac}'s handoff within one agent"));
                    }
                    let p = self
                        .pending
                        .get(&h.request)
                        .ok_or(format!("{mac}'s handoff waits on nothing"))?;
                    if p.purpose != (Purpose::Handoff { client: mac }) {
                        return Err(format!("{mac}'s handoff request is wrong: {p:?}"));
                    }
                }
            }
        }
        for (mac, h) in &self.handoffs {
            let ok = self
                .clients
                .get(mac)
                .and_then(|c| c.lvap.as_ref())
                .is_some_and(|l| l.state == LvapState::Migrating(h.id));
            if !ok {
                return Err(format!("handoff of {mac} but its LVAP is not migrating"));
            }
            if h.reserves_target() && !self.is_up(&h.target.agent) {
                return Err(format!("handoff of {mac} reserves a slot on a down target"));
            }
            if h.reserves_source()
                && self
                    .agents
                    .get(&h.source.agent)
                    .is_none_or(|a| a.session.is_none())
            {
                return Err(format!("handoff of {mac} reserves a slot on a down source"));
            }
        }
        // 4. Capacity.
        for agent in self.agents.values() {
            for (index, radio) in &agent.radios {
                let at = RadioRef {
                    agent: agent.name.clone(),
                    radio: *index,
                };
                let load = self.load(&at);
                if load > radio.info.max_lvaps {
                    return Err(format!(
                        "{at} hosts {load} > {} LVAPs",
                        radio.info.max_lvaps
                    ));
                }
            }
        }
        // 6. Pending requests.
        for (id, p) in &self.pending {
            let session = self
                .sessions
                .get(&p.session)
                .ok_or(format!("request {id} on a closed session"))?;
            if session.agent != p.agent {
                return Err(format!("request {id} on another agent's session"));
            }
            if p.deadline < p.sent {
                return Err(format!("request {id} has no deadline"));
            }
            if let Purpose::Place { client } = p.purpose {
                if self.placements.get(&client).and_then(|j| j.request()) != Some(*id) {
                    return Err(format!("placement request {id} of {client} is stale"));
                }
            }
            if let Purpose::Handoff { client } = p.purpose {
                if self.handoffs.get(&client).map(|h| h.request) != Some(*id) {
                    return Err(format!("handoff request {id} of {client} is stale"));
                }
            }
            if let Purpose::SwitchAuthorize { client } = p.purpose {
                let h = self.handoffs.get(&client);
                if h.and_then(|h| h.switch_authorize) != Some(*id)
                    || h.is_some_and(|h| h.phase != handoff::Phase::RemoveAtSource)
                {
                    return Err(format!("switch authorization {id} of {client} is stale"));
                }
            }
        }
        // 8. The kept counts of LVAPs per radio and the timer queue agree
        // with the state they index.
        if let Some((at, kept, counted)) = self.clients.miscounted() {
            return Err(format!("{at} indexed {kept} LVAPs, holds {counted}"));
        }
        if self.poll_at() != self.poll_at_scan() {
            return Err(format!(
                "the timer queue says {:?}, the state {:?}",
                self.poll_at(),
                self.poll_at_scan()
            ));
        }
        Ok(())
    }
}

/// The type name of a message from an agent, for logs.
pub fn message_kind(msg: &AgentMsg) -> &'static str {
    api::msg_kind(msg)
}
