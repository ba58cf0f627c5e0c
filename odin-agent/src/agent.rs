//! The agent's core, sans-IO: it hosts the LVAPs of every radio, turns
//! their actions into radio commands, answers the controller's commands,
//! reports clients it hears, keeps statistics and evaluates subscriptions.
//!
//! [`AgentCore::handle`] takes an [`AgentInput`] (a radio event, a message
//! from the controller, the link going up or down, a tick) and the time,
//! and appends [`AgentOutput`]s (a command for a radio, a message for the
//! controller). The tokio runtime in [`crate::runtime`] only moves these
//! between sockets, radios and timers.
//!
//! # Invariants
//!
//! * At most one LVAP per client on this agent, and `by_client` and `lvaps`
//!   always describe the same set.
//! * A radio never hosts more LVAPs than its `max_lvaps`.
//! * Every frame cookie given to a radio maps back to exactly one LVAP's
//!   cookie until its status arrives or the LVAP is removed.
//! * While the controller is away nothing is queued for it (reconciliation
//!   at the next hello recovers the state), and the LVAPs keep serving.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use odin_proto::msg::{
    AgentMsg, ChannelAnnouncement, ClientEvent, ClientStats, ControllerMsg, DropCount,
    LeaveReason as ProtoLeave, LvapSpec, LvapStatus, Outcome, RadioIndex, RadioInfo, RadioStats,
    Relation, RequestId, Statistic, Subscription, PROTOCOL_VERSION,
};
use odin_proto::BssidPlan;
use odin_wire::ie::ParsedElements;
use odin_wire::ieee80211::{Frame, FrameType, MgmtSubtype, ReasonCode};
use odin_wire::ieee80211::{MgmtBody, MgmtRepr};
use odin_wire::MacAddr;

use crate::lvap::{
    self, BssConfig, Command, Cookie, EarlyAnswers, LeaveReason, Lvap, LvapConfig, LvapEvent,
    Timeouts,
};
use crate::radio::{RadioCmd, RadioEvent, StationInfo};
use crate::time::Instant;

/// How the agent behaves; the defaults suit a real deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// The agent's identity towards the controller.
    pub id: String,
    /// Software name and version, sent at hello.
    pub software: String,
    /// How often a heartbeat goes to the controller.
    pub heartbeat_interval: Duration,
    /// How often statistics go to the controller.
    pub stats_interval: Duration,
    /// A client without an LVAP here is reported at its first probe, then
    /// at most once per this interval per radio.
    pub heard_interval: Duration,
    /// Clients not heard for this long are forgotten by the statistics.
    pub forget_after: Duration,
    /// The LVAPs' timers.
    pub timeouts: Timeouts,
    /// What the configuration allows on each radio, by index; a radio not
    /// listed has no limits beyond its own.
    pub radio_limits: HashMap<RadioIndex, RadioLimits>,
    /// The SSIDs this agent may serve; empty: whichever the controller
    /// names. A network or an LVAP with another SSID is refused.
    pub ssids: Vec<Vec<u8>>,
}

/// What the configuration allows on one radio (see
/// [`AgentConfig::radio_limits`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RadioLimits {
    /// At most this many LVAPs, below what the radio could host: `AddLvap`
    /// beyond it is refused, and the hello reports this maximum.
    pub max_lvaps: Option<u32>,
    /// The radio's channel belongs to another program's interface
    /// (hostapd's): the agent keeps to it and refuses `SetChannel`.
    pub fixed_channel: bool,
}

impl AgentConfig {
    /// Defaults for an agent named `id`.
    pub fn new(id: &str) -> AgentConfig {
        AgentConfig {
            id: id.to_string(),
            software: concat!("odin-agent ", env!("CARGO_PKG_VERSION")).to_string(),
            heartbeat_interval: Duration::from_secs(1),
            stats_interval: Duration::from_secs(1),
            heard_interval: Duration::from_secs(1),
            forget_after: Duration::from_secs(30),
            timeouts: Timeouts::default(),
            radio_limits: HashMap::new(),
            ssids: Vec::new(),
        }
    }

    /// Whether this agent may serve `ssid`.
    pub fn serves_ssid(&self, ssid: &[u8]) -> bool {
        self.ssids.is_empty() || self.ssids.iter().any(|s| s == ssid)
    }
}

/// What happens to the agent.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentInput {
    /// A radio reported something.
    Radio(RadioIndex, RadioEvent),
    /// The controller sent a message (after authentication).
    Controller(ControllerMsg),
    /// The link to the controller is up and authenticated: say hello.
    ControllerUp,
    /// The link to the controller is down.
    ControllerDown,
    /// Time passed.
    Tick,
}

/// What the agent does.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentOutput {
    /// A command for a radio.
    Radio(RadioIndex, RadioCmd),
    /// A message for the controller.
    Controller(AgentMsg),
}

/// Beacon intervals a radio's LVAPs announce a channel switch for before
/// they move with the radio (about half a second at 100 TU): clients that
/// doze still see it, and every LVAP of the radio is switching before the
/// first one moves.
pub const RADIO_SWITCH_COUNT: u8 = 5;

/// Counters of the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentCounters {
    /// Frames from radios that did not parse as a MAC header.
    pub bad_frames: u64,
    /// Messages for the controller dropped while it was away.
    pub dropped_while_away: u64,
    /// Commands refused (unknown LVAP, no capacity, bad state).
    pub refused_commands: u64,
    /// Radio commands that failed.
    pub radio_failures: u64,
    /// Frames without a transmitter address (control frames).
    pub no_source: u64,
    /// Frames other than management frames handed to the agent.
    pub not_management: u64,
    /// Management frames other than probe requests from stations with no
    /// LVAP here (another network's, or a client whose LVAP moved).
    pub no_lvap: u64,
    /// Frames from a client heard on a radio or interface other than its
    /// LVAP's (its LVAP gets its own copy, or none is meant for it).
    pub elsewhere: u64,
}

#[derive(Debug)]
struct Hosted {
    radio: RadioIndex,
    spec: LvapSpec,
    lvap: Lvap,
}

/// A controller command waiting for its radio commands to be carried out.
#[derive(Debug, Clone, Copy)]
struct Awaiting {
    /// The command to answer; `None`: nobody waits (a teardown).
    id: Option<RequestId>,
    awaited: Awaited,
    epoch: u64,
}

/// What `AddLvap` did.
enum Added {
    /// Created: the radio has work to do.
    New,
    /// The same LVAP was here already.
    Already,
    /// Refused, with the reason.
    Refused(Outcome),
}

#[derive(Debug, Clone, Copy)]
enum Awaited {
    AddLvap(MacAddr),
    Authorize(MacAddr),
    RemoveLvap(MacAddr),
    /// The radio's channel before the change, restored if it fails.
    SetChannel {
        radio: RadioIndex,
        previous: u8,
    },
    /// The interface teardown after a removal was acknowledged: nobody
    /// waits; a failure is logged (and does not linger to be reported
    /// with a later command for the same BSSID).
    Teardown(MacAddr),
}

/// What the agent knows of a client it hears on one radio.
#[derive(Debug, Clone, Default)]
struct Heard {
    signal_dbm: Option<i8>,
    last_seen: Instant,
    last_reported: Option<Instant>,
    rx_bytes: u64,
    tx_bytes: u64,
    tx_rate_kbps: Option<u32>,
    rx_rate_kbps: Option<u32>,
}

/// One subscription and, per client and radio, whether it is armed and
/// when it last fired (per radio: a client heard by two radios on either
/// side of the threshold would otherwise re-arm and match at every other
/// frame).
#[derive(Debug, Clone)]
struct SubState {
    sub: Subscription,
    clients: HashMap<(MacAddr, RadioIndex), (bool, Option<Instant>)>,
}

/// The agent's core.
#[derive(Debug)]
pub struct AgentCore {
    config: AgentConfig,
    radios: Vec<RadioInfo>,
    bss: Vec<BssConfig>,
    lvaps: HashMap<MacAddr, Hosted>,
    by_client: HashMap<MacAddr, MacAddr>,
    /// Sources of cross-channel migrations: their clients were told to
    /// move; they beacon the announcement and forward what the client
    /// still sends until the moment (then they stop).
    leaving: HashMap<MacAddr, (Hosted, Instant)>,
    /// Radio cookie → (BSSID, the LVAP's cookie).
    cookies: HashMap<u64, (MacAddr, Cookie)>,
    next_cookie: u64,
    heard: HashMap<(MacAddr, RadioIndex), Heard>,
    subscriptions: HashMap<u64, SubState>,
    controller_up: bool,
    /// How the controller derives new clients' BSSIDs, while it is up.
    bssids: Option<BssidPlan>,
    /// Commands waiting for their radio's barrier, by token.
    awaiting: HashMap<u64, Awaiting>,
    next_token: u64,
    /// Counts controller connections: a result is sent only on the
    /// connection whose command it answers.
    epoch: u64,
    heartbeat_seq: u64,
    next_heartbeat: Instant,
    next_stats: Instant,
    counters: AgentCounters,
    /// Frames dropped by LVAPs since removed, by cause.
    retired_drops: BTreeMap<&'static str, u64>,
    /// Channel utilisation per radio, from its surveys.
    utilization: survey::Utilization,
}

fn leave(reason: LeaveReason) -> ProtoLeave {
    match reason {
        LeaveReason::Disassociated(_) => ProtoLeave::Disassociated,
        LeaveReason::Deauthenticated(_) => ProtoLeave::Deauthenticated,
        LeaveReason::Reauthenticated => ProtoLeave::Reauthenticated,
        LeaveReason::Inactive => ProtoLeave::Inactive,
        LeaveReason::AuthTimeout => ProtoLeave::AuthTimeout,
        LeaveReason::Command => ProtoLeave::Command,
    }
}

impl AgentCore {
    /// An agent with these radios; `bss[i]` is what radio `i`'s LVAPs
    /// advertise (its SSID is replaced by each LVAP's). A radio's
    /// `max_lvaps` is lowered to its configured limit, if any.
    pub fn new(config: AgentConfig, mut radios: Vec<RadioInfo>, bss: Vec<BssConfig>) -> AgentCore {
        for radio in &mut radios {
            let limit = config.radio_limits.get(&radio.index);
            if let Some(max) = limit.and_then(|l| l.max_lvaps) {
                radio.max_lvaps = radio.max_lvaps.min(max);
            }
        }
        AgentCore {
            config,
            radios,
            bss,
            lvaps: HashMap::new(),
            by_client: HashMap::new(),
            leaving: HashMap::new(),
            cookies: HashMap::new(),
            next_cookie: 1,
            heard: HashMap::new(),
            subscriptions: HashMap::new(),
            controller_up: false,
            bssids: None,
            awaiting: HashMap::new(),
            next_token: 1,
            epoch: 0,
            heartbeat_seq: 0,
            next_heartbeat: Instant::ZERO,
            next_stats: Instant::ZERO,
            counters: AgentCounters::default(),
            retired_drops: BTreeMap::new(),
            utilization: survey::Utilization::default(),
        }
    }

    /// The agent's identity.
    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// Counters.
    pub fn counters(&self) -> &AgentCounters {
        &self.counters
    }

    /// The LVAPs hosted, by BSSID.
    pub fn lvaps(&self) -> impl Iterator<Item = (&LvapSpec, &Lvap)> {
        self.lvaps.values().map(|h| (&h.spec, &h.lvap))
    }

    /// The hello the link sends once authenticated.
    pub fn hello(&self) -> AgentMsg {
        let mut lvaps: Vec<LvapStatus> = self
            .lvaps
            .values()
            .map(|h| LvapStatus {
                lvap: h.spec.clone(),
                station: h.lvap.export(),
            })
            .collect();
        lvaps.sort_by_key(|s| s.lvap.bssid);
        AgentMsg::Hello {
            version: PROTOCOL_VERSION,
            software: self.config.software.clone(),
            radios: self.radios.clone(),
            lvaps,
        }
    }

    /// The next time [`AgentInput::Tick`] has work.
    pub fn poll_at(&self) -> Option<Instant> {
        let lvaps = self
            .lvaps
            .values()
            .filter_map(|h| h.lvap.poll_at())
            .chain(self.leaving.values().map(|(_, until)| *until))
            .min();
        let link = self
            .controller_up
            .then(|| self.next_heartbeat.min(self.next_stats));
        match (lvaps, link) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Feeds one input.
    pub fn handle(&mut self, input: AgentInput, now: Instant, out: &mut Vec<AgentOutput>) {
        match input {
            AgentInput::Radio(radio, event) => self.radio_event(radio, event, now, out),
            AgentInput::Controller(msg) => self.controller_msg(msg, now, out),
            AgentInput::ControllerUp => {
                self.controller_up = true;
                self.epoch += 1;
                // The controller re-installs its subscriptions after hello.
                self.subscriptions.clear();
                out.push(AgentOutput::Controller(self.hello()));
                self.next_heartbeat = now + self.config.heartbeat_interval;
                self.next_stats = now + self.config.stats_interval;
            }
            AgentInput::ControllerDown => {
                // Without a controller no LVAP gets placed: answering new
                // clients would only send them into vain authentications.
                self.controller_up = false;
                if self.bssids.take().is_some() {
                    for radio in &self.radios {
                        out.push(AgentOutput::Radio(
                            radio.index,
                            RadioCmd::EarlyAnswers(None),
                        ));
                    }
                }
            }
            AgentInput::Tick => self.tick(now, out),
        }
    }

    fn send_controller(&mut self, msg: AgentMsg, out: &mut Vec<AgentOutput>) {
        if self.controller_up {
            out.push(AgentOutput::Controller(msg));
        } else {
            self.counters.dropped_while_away += 1;
        }
    }

    fn reply(&mut self, id: RequestId, outcome: Outcome, out: &mut Vec<AgentOutput>) {
        if matches!(outcome, Outcome::Failed { .. }) {
            self.counters.refused_commands += 1;
        }
        self.send_controller(AgentMsg::Result { id, outcome }, out);
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<AgentOutput>) {
        let due: Vec<MacAddr> = self
            .lvaps
            .iter()
            .filter(|(_, h)| h.lvap.poll_at().is_some_and(|t| t <= now))
            .map(|(b, _)| *b)
            .collect();
        for bssid in due {
            self.drive(bssid, lvap::Input::Tick, now, out);
        }
        let gone: Vec<MacAddr> = self
            .leaving
            .iter()
            .filter(|(_, (_, until))| *until <= now)
            .map(|(b, _)| *b)
            .collect();
        for bssid in gone {
            self.stop_leaving(bssid, now, out);
        }
        if self.controller_up && now >= self.next_heartbeat {
            self.heartbeat_seq += 1;
            self.next_heartbeat = now + self.config.heartbeat_interval;
            out.push(AgentOutput::Controller(AgentMsg::Heartbeat {
                seq: self.heartbeat_seq,
            }));
        }
        if self.controller_up && now >= self.next_stats {
            self.next_stats = now + self.config.stats_interval;
            let forget = self.config.forget_after;
            self.heard
                .retain(|_, h| now.saturating_since(h.last_seen) < forget);
            // A forgotten client's subscription states go with it (it
            // matches afresh if it comes back).
            let heard = &self.heard;
            for state in self.subscriptions.values_mut() {
                state.clients.retain(|key, _| heard.contains_key(key));
            }
            let msg = self.stats(now);
            out.push(AgentOutput::Controller(msg));
            for radio in &self.radios {
                out.push(AgentOutput::Radio(radio.index, RadioCmd::Survey));
            }
        }
    }

    fn stats(&self, now: Instant) -> AgentMsg {
        let mut clients: Vec<ClientStats> = self
            .heard
            .iter()
            .map(|((client, radio), h)| ClientStats {
                client: *client,
                radio: *radio,
                signal_dbm: h.signal_dbm,
                served: self
                    .by_client
                    .get(client)
                    .and_then(|b| self.lvaps.get(b))
                    .is_some_and(|l| l.radio == *radio),
                rx_bytes: h.rx_bytes,
                tx_bytes: h.tx_bytes,
                inactive_ms: now.saturating_since(h.last_seen).as_millis() as u64,
                tx_rate_kbps: h.tx_rate_kbps,
                rx_rate_kbps: h.rx_rate_kbps,
            })
            .collect();
        clients.sort_by_key(|c| (c.client, c.radio));
        let radios = self
            .radios
            .iter()
            .map(|r| RadioStats {
                radio: r.index,
                channel: r.channel,
                lvaps: self.lvaps.values().filter(|h| h.radio == r.index).count() as u32,
                utilization: self.utilization.get(r.index),
            })
            .collect();
        AgentMsg::Stats {
            clients,
            radios,
            drops: self.drops(),
        }
    }

    /// Frames dropped since the agent started, by cause: the LVAPs' own
    /// (those still here and those removed, [`lvap::DropReason`]) and the
    /// agent's (`bad_frame`, `no_source`, `not_management`, `no_lvap`,
    /// `elsewhere`: see [`AgentCounters`]; `airtime_malformed`,
    /// `airtime_no_rate`: packets the radios' monitors could not measure,
    /// `nl80211/airtime.rs`).
    pub fn drops(&self) -> Vec<DropCount> {
        let mut by_cause: BTreeMap<&'static str, u64> = self.retired_drops.clone();
        for hosted in self
            .lvaps
            .values()
            .chain(self.leaving.values().map(|(h, _)| h))
        {
            for (reason, n) in hosted.lvap.counters().drops() {
                *by_cause.entry(reason.as_str()).or_default() += n;
            }
        }
        let c = &self.counters;
        let (malformed, no_rate) = self.utilization.unmeasured();
        for (cause, n) in [
            ("bad_frame", c.bad_frames),
            ("no_source", c.no_source),
            ("not_management", c.not_management),
            ("no_lvap", c.no_lvap),
            ("elsewhere", c.elsewhere),
            ("airtime_malformed", malformed),
            ("airtime_no_rate", no_rate),
        ] {
            if n > 0 {
                *by_cause.entry(cause).or_default() += n;
            }
        }
        by_cause
            .into_iter()
            .map(|(cause, frames)| DropCount {
                cause: cause.to_string(),
                frames,
            })
            .collect()
    }

    /// Feeds an input to one LVAP and carries out its actions.
    fn drive(
        &mut self,
        bssid: MacAddr,
        input: lvap::Input<'_>,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) {
        let Some(hosted) = self.lvaps.get_mut(&bssid) else {
            return;
        };
        let mut actions = Vec::new();
        hosted.lvap.handle(input, now, &mut actions);
        self.carry_out(bssid, actions, out);
    }

    fn carry_out(
        &mut self,
        bssid: MacAddr,
        actions: Vec<lvap::Action>,
        out: &mut Vec<AgentOutput>,
    ) {
        let Some(hosted) = self.lvaps.get(&bssid) else {
            return;
        };
        let radio = hosted.radio;
        let client = hosted.spec.client;
        for action in actions {
            let (next_cookie, cookies) = (&mut self.next_cookie, &mut self.cookies);
            let cmd = RadioCmd::from_lvap_action(bssid, action, |lvap_cookie| {
                let radio_cookie = *next_cookie;
                *next_cookie += 1;
                cookies.insert(radio_cookie, (bssid, lvap_cookie));
                radio_cookie
            });
            let cmd = match cmd {
                Ok(cmd) => cmd,
                Err(event) => {
                    self.lvap_event(bssid, client, event, out);
                    continue;
                }
            };
            out.push(AgentOutput::Radio(radio, cmd));
        }
    }

    fn lvap_event(
        &mut self,
        bssid: MacAddr,
        client: MacAddr,
        event: LvapEvent,
        out: &mut Vec<AgentOutput>,
    ) {
        let (event, station) = match event {
            LvapEvent::Authenticated => (ClientEvent::Authenticated, None),
            LvapEvent::Associated { reassociation, .. } => {
                (ClientEvent::Associated { reassociation }, None)
            }
            LvapEvent::Authorized => {
                let station = self.lvaps.get(&bssid).and_then(|h| h.lvap.export());
                // The wired side learns where the client is now.
                if let Some(radio) = self.lvaps.get(&bssid).map(|h| h.radio) {
                    let announce = RadioCmd::AnnounceStation { bssid, sta: client };
                    out.push(AgentOutput::Radio(radio, announce));
                }
                (ClientEvent::Authorized, station)
            }
            LvapEvent::Left(reason) => (
                ClientEvent::Left {
                    reason: leave(reason),
                },
                None,
            ),
            other => {
                tracing::debug!(%bssid, %client, ?other, "LVAP event");
                return;
            }
        };
        tracing::info!(%bssid, %client, ?event, "client");
        self.send_controller(
            AgentMsg::Client {
                bssid,
                client,
                event,
                station,
            },
            out,
        );
    }

    fn radio_event(
        &mut self,
        radio: RadioIndex,
        event: RadioEvent,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) {
        match event {
            RadioEvent::Frame {
                bssid,
                frame,
                signal_dbm,
            } => self.frame(radio, bssid, &frame, signal_dbm, now, out),
            RadioEvent::TxStatus { cookie, acked, .. } => {
                if let Some((bssid, lvap_cookie)) = self.cookies.remove(&cookie) {
                    self.drive(
                        bssid,
                        lvap::Input::TxStatus {
                            cookie: lvap_cookie,
                            acked,
                        },
                        now,
                        out,
                    );
                }
            }
            RadioEvent::StationInfo { bssid, sta, info } => {
                self.station_info(radio, sta, info, now, out);
                self.drive(
                    bssid,
                    lvap::Input::StationInfo {
                        inactive: info.inactive,
                    },
                    now,
                    out,
                );
            }
            RadioEvent::Heard { sta, signal_dbm } => {
                let heard = self.heard.entry((sta, radio)).or_default();
                heard.last_seen = now;
                heard.signal_dbm = Some(signal_dbm);
                self.evaluate(
                    radio,
                    sta,
                    Statistic::SignalDbm,
                    f64::from(signal_dbm),
                    now,
                    out,
                );
            }
            RadioEvent::UnexpectedData { bssid, sta } => {
                if self.lvaps.get(&bssid).is_some_and(|h| h.spec.client == sta) {
                    self.drive(bssid, lvap::Input::UnexpectedData, now, out);
                }
            }
            RadioEvent::CommandFailed { command, error } => {
                self.counters.radio_failures += 1;
                tracing::warn!(radio, %command, %error, "radio command failed");
            }
            RadioEvent::Done { token, failure } => self.confirmed(token, failure, now, out),
            RadioEvent::Survey { entries, airtime } => {
                self.utilization
                    .record(radio, &entries, airtime.as_ref(), now)
            }
        }
    }

    /// Answers `id` once the radio carried out what the command asked
    /// (see [`RadioCmd::Barrier`]).
    fn reply_when_done(
        &mut self,
        radio: RadioIndex,
        id: RequestId,
        awaited: Awaited,
        out: &mut Vec<AgentOutput>,
    ) {
        let barrier = self.barrier(radio, Some(id), awaited);
        out.push(barrier);
    }

    /// A barrier whose answer completes `awaited` (and answers `id`, if
    /// any).
    fn barrier(
        &mut self,
        radio: RadioIndex,
        id: Option<RequestId>,
        awaited: Awaited,
    ) -> AgentOutput {
        let token = self.next_token;
        self.next_token += 1;
        let bssid = match awaited {
            Awaited::AddLvap(b)
            | Awaited::Authorize(b)
            | Awaited::RemoveLvap(b)
            | Awaited::Teardown(b) => Some(b),
            Awaited::SetChannel { .. } => None,
        };
        self.awaiting.insert(
            token,
            Awaiting {
                id,
                awaited,
                epoch: self.epoch,
            },
        );
        AgentOutput::Radio(radio, RadioCmd::Barrier { token, bssid })
    }

    /// A barrier passed: the command's result goes to the controller (if
    /// it is still the one that asked); an LVAP the kernel could not start
    /// is taken down again.
    fn confirmed(
        &mut self,
        token: u64,
        failure: Option<String>,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) {
        let Some(w) = self.awaiting.remove(&token) else {
            return;
        };
        let outcome = match failure {
            None => Outcome::Done,
            Some(reason) => {
                match w.awaited {
                    Awaited::AddLvap(bssid) => {
                        tracing::warn!(%bssid, %reason, "LVAP not started: removed");
                        self.remove_lvap(bssid, false, now, out);
                    }
                    Awaited::SetChannel { radio, previous } => {
                        tracing::warn!(radio, previous, %reason, "channel not changed");
                        self.set_radio_channel(radio, previous, out);
                    }
                    Awaited::Teardown(bssid) => {
                        tracing::warn!(%bssid, %reason, "AP interface not torn down cleanly");
                    }
                    Awaited::Authorize(_) | Awaited::RemoveLvap(_) => {}
                }
                Outcome::Failed { reason }
            }
        };
        if let (Some(id), true) = (w.id, w.epoch == self.epoch) {
            self.reply(id, outcome, out);
        }
    }

    fn station_info(
        &mut self,
        radio: RadioIndex,
        sta: MacAddr,
        info: StationInfo,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) {
        let heard = self.heard.entry((sta, radio)).or_default();
        heard.rx_bytes = info.rx_bytes;
        heard.tx_bytes = info.tx_bytes;
        heard.tx_rate_kbps = info.tx_rate_kbps;
        heard.rx_rate_kbps = info.rx_rate_kbps;
        if info.signal_dbm.is_some() {
            heard.signal_dbm = info.signal_dbm;
        }
        let last = now
            .micros()
            .saturating_sub(info.inactive.as_micros() as u64);
        heard.last_seen = heard.last_seen.max(Instant::from_micros(last));
        let (rx, tx, inactive) = (
            info.rx_bytes as f64,
            info.tx_bytes as f64,
            info.inactive.as_millis() as f64,
        );
        self.evaluate(radio, sta, Statistic::RxBytes, rx, now, out);
        self.evaluate(radio, sta, Statistic::TxBytes, tx, now, out);
        self.evaluate(radio, sta, Statistic::InactiveMs, inactive, now, out);
        // The serving radio's measure of an associated client (its data
        // frames), not only the management frames the monitor hears.
        if let Some(signal) = info.signal_dbm {
            self.evaluate(
                radio,
                sta,
                Statistic::SignalDbm,
                f64::from(signal),
                now,
                out,
            );
        }
    }

    fn frame(
        &mut self,
        radio: RadioIndex,
        bssid: Option<MacAddr>,
        frame: &[u8],
        signal_dbm: Option<i8>,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) {
        let Ok(view) = Frame::new_checked(frame) else {
            self.counters.bad_frames += 1;
            return;
        };
        let Some(sa) = view.addr2() else {
            self.counters.no_source += 1;
            return;
        };
        let fc = view.frame_control();
        if fc.frame_type() != FrameType::Management {
            self.counters.not_management += 1;
            return;
        }
        let heard = self.heard.entry((sa, radio)).or_default();
        heard.last_seen = now;
        if signal_dbm.is_some() {
            heard.signal_dbm = signal_dbm;
        }
        if let Some(signal) = signal_dbm {
            self.evaluate(radio, sa, Statistic::SignalDbm, f64::from(signal), now, out);
        }
        // The client's own LVAP, on this radio, takes the frame when it was
        // delivered on its interface or heard as a broadcast.
        if let Some(lvap_bssid) = self.by_client.get(&sa).copied() {
            let on_this_radio = self
                .lvaps
                .get(&lvap_bssid)
                .is_some_and(|h| h.radio == radio);
            if on_this_radio && bssid.is_none_or(|b| b == lvap_bssid) {
                self.drive(lvap_bssid, lvap::Input::Frame(frame), now, out);
            } else {
                self.counters.elsewhere += 1;
            }
            return;
        }
        if fc.mgmt_subtype() == MgmtSubtype::ProbeReq {
            self.probe_from_unknown(radio, sa, frame, signal_dbm, now, out);
        } else {
            self.counters.no_lvap += 1;
        }
    }

    /// A probe from a client with no LVAP here (the radio answered it
    /// already, see [`EarlyAnswers`]): tell the controller, at once the
    /// first time, then at most once per `heard_interval`.
    fn probe_from_unknown(
        &mut self,
        radio: RadioIndex,
        client: MacAddr,
        frame: &[u8],
        signal_dbm: Option<i8>,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) {
        let Ok(repr) = MgmtRepr::parse_bytes(frame) else {
            self.counters.bad_frames += 1;
            return;
        };
        let MgmtBody::ProbeReq(probe) = repr.body else {
            return;
        };
        let ssid = ParsedElements::parse(probe.elements)
            .ok()
            .and_then(|e| e.ssid)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        let interval = self.config.heard_interval;
        let heard = self.heard.entry((client, radio)).or_default();
        if heard
            .last_reported
            .is_some_and(|t| now.saturating_since(t) < interval)
        {
            return;
        }
        heard.last_reported = Some(now);
        let signal_dbm = signal_dbm.unwrap_or(i8::MIN);
        self.send_controller(
            AgentMsg::ClientHeard {
                radio,
                client,
                signal_dbm,
                ssid,
            },
            out,
        );
    }

    /// Evaluates the subscriptions on a new value of `statistic` for
    /// `client`, with hysteresis and a minimum interval.
    fn evaluate(
        &mut self,
        radio: RadioIndex,
        client: MacAddr,
        statistic: Statistic,
        value: f64,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) {
        let mut matched = Vec::new();
        for (id, state) in &mut self.subscriptions {
            let sub = &state.sub;
            if sub.statistic != statistic || sub.client.is_some_and(|c| c != client) {
                continue;
            }
            let (armed, last) = state.clients.entry((client, radio)).or_insert((true, None));
            let (crossed, rearmed) = match sub.relation {
                Relation::Below => (
                    value < sub.threshold,
                    value >= sub.threshold + sub.hysteresis,
                ),
                Relation::Above => (
                    value > sub.threshold,
                    value <= sub.threshold - sub.hysteresis,
                ),
            };
            if rearmed {
                *armed = true;
            }
            let quiet = last.is_none_or(|t| {
                now.saturating_since(t) >= Duration::from_millis(sub.min_interval_ms)
            });
            if crossed && *armed && quiet {
                *armed = false;
                *last = Some(now);
                matched.push(*id);
            }
        }
        for subscription in matched {
            self.send_controller(
                AgentMsg::Matched {
                    subscription,
                    client,
                    radio,
                    value,
                },
                out,
            );
        }
    }

    fn controller_msg(&mut self, msg: ControllerMsg, now: Instant, out: &mut Vec<AgentOutput>) {
        match msg {
            ControllerMsg::AddLvap { id, lvap, station } => {
                let (radio, bssid) = (lvap.radio, lvap.bssid);
                match self.add_lvap(lvap, station, now, out) {
                    Added::New => self.reply_when_done(radio, id, Awaited::AddLvap(bssid), out),
                    Added::Already => self.reply(id, Outcome::Done, out),
                    Added::Refused(outcome) => self.reply(id, outcome, out),
                }
            }
            ControllerMsg::AuthorizeLvap {
                id,
                bssid,
                at,
                arriving,
            } => match self.lvaps.get(&bssid) {
                Some(h) if h.lvap.is_associated() => {
                    let radio = h.radio;
                    if let Some(until) = at {
                        out.push(AgentOutput::Radio(radio, RadioCmd::Hold { until }));
                    }
                    self.drive(bssid, lvap::Input::Command(Command::Authorize), now, out);
                    if arriving {
                        // From now, not from the moment (a wall-clock time
                        // this sans-IO core cannot compare with its own
                        // clock): the moment is up to the controller's lead
                        // ahead (tens of ms, at most 200), the client on the
                        // new channel a few ms after it.
                        let after = [Duration::from_millis(100), Duration::from_millis(250)];
                        let command = Command::ExpectArrival { after };
                        self.drive(bssid, lvap::Input::Command(command), now, out);
                    }
                    self.reply_when_done(radio, id, Awaited::Authorize(bssid), out);
                }
                Some(_) => {
                    let reason = format!("LVAP {bssid}: client not associated");
                    self.reply(id, Outcome::Failed { reason }, out);
                }
                None => {
                    let reason = format!("no LVAP {bssid} on this agent");
                    self.reply(id, Outcome::Failed { reason }, out);
                }
            },
            ControllerMsg::ExportLvap { id, bssid } => {
                let outcome = match self.lvaps.get(&bssid).map(|h| h.lvap.export()) {
                    Some(Some(station)) => Outcome::Station { station },
                    Some(None) => Outcome::Failed {
                        reason: format!("LVAP {bssid}: client not associated"),
                    },
                    None => Outcome::Failed {
                        reason: format!("no LVAP {bssid} on this agent"),
                    },
                };
                self.reply(id, outcome, out);
            }
            ControllerMsg::RemoveLvap {
                id,
                bssid,
                deauthenticate,
                at,
                announce,
            } => {
                // Idempotent: an LVAP that is not here is removed already.
                let radio = self.lvaps.get(&bssid).map(|h| h.radio);
                if let (Some(radio), Some(until)) = (radio, at) {
                    out.push(AgentOutput::Radio(radio, RadioCmd::Hold { until }));
                    // Same channel: at the moment, the quickest way to stop
                    // forwarding the client's frames is the flag (DEL_STATION
                    // waits for the kernel's RCU readers; seen taking
                    // milliseconds in the emulated VM, with both agents
                    // forwarding meanwhile). The removal follows.
                    let station = self.lvaps.get(&bssid).and_then(|h| h.lvap.export());
                    if let (None, Some(station)) = (announce, station) {
                        let mut flags = station.flags;
                        flags.authorized = false;
                        let sta = station.sta;
                        let cmd = RadioCmd::SetStationFlags { bssid, sta, flags };
                        out.push(AgentOutput::Radio(radio, cmd));
                    }
                }
                match (radio, announce) {
                    (Some(radio), Some(announce)) if !deauthenticate => {
                        self.announce_switch(bssid, announce, now, out);
                        self.reply_when_done(radio, id, Awaited::RemoveLvap(bssid), out);
                    }
                    (Some(radio), _) => {
                        let start = out.len();
                        self.remove_lvap(bssid, deauthenticate, now, out);
                        // Acknowledged once the kernel dropped the station:
                        // from then on this agent forwards none of the
                        // client's frames. The interface teardown (STOP_AP,
                        // DEL_INTERFACE: the slowest part) comes after the
                        // answer, off a migration's critical path.
                        let stop = out.iter().skip(start).position(|o| {
                            matches!(o, AgentOutput::Radio(_, RadioCmd::StopAp { bssid: b }) if *b == bssid)
                        });
                        let acked = self.barrier(radio, Some(id), Awaited::RemoveLvap(bssid));
                        match stop {
                            Some(i) => out.insert(start + i, acked),
                            None => out.push(acked),
                        }
                    }
                    (None, _) => self.reply(id, Outcome::Done, out),
                }
            }
            ControllerMsg::SetChannel { id, radio, channel } => {
                let fixed = self
                    .config
                    .radio_limits
                    .get(&radio)
                    .is_some_and(|l| l.fixed_channel);
                let outcome = match self.radios.iter_mut().find(|r| r.index == radio) {
                    Some(_) if fixed => Outcome::Failed {
                        reason: format!(
                            "radio {radio}'s channel belongs to another interface of the radio \
                             (configured to follow it): not changed"
                        ),
                    },
                    Some(info) if info.channels.contains(&channel) || info.channels.is_empty() => {
                        let previous = info.channel;
                        // LVAPs beaconing on the radio move with it,
                        // announcing the switch to their clients (the
                        // kernel refuses a plain retune under them).
                        let hosted: Vec<MacAddr> = self
                            .lvaps
                            .iter()
                            .filter(|(_, h)| h.radio == radio)
                            .map(|(bssid, _)| *bssid)
                            .collect();
                        if hosted.is_empty() || previous == channel {
                            out.push(AgentOutput::Radio(radio, RadioCmd::SetChannel { channel }));
                        } else {
                            for bssid in hosted {
                                let count = RADIO_SWITCH_COUNT;
                                let switch = Command::SwitchChannel { channel, count };
                                self.drive(bssid, lvap::Input::Command(switch), now, out);
                            }
                        }
                        self.set_radio_channel(radio, channel, out);
                        let awaited = Awaited::SetChannel { radio, previous };
                        self.reply_when_done(radio, id, awaited, out);
                        return;
                    }
                    Some(_) => Outcome::Failed {
                        reason: format!("radio {radio} cannot use channel {channel}"),
                    },
                    None => Outcome::Failed {
                        reason: format!("no radio {radio}"),
                    },
                };
                self.reply(id, outcome, out);
            }
            ControllerMsg::Subscribe { id, subscription } => {
                self.subscriptions.insert(
                    subscription.id,
                    SubState {
                        sub: subscription,
                        clients: HashMap::new(),
                    },
                );
                self.reply(id, Outcome::Done, out);
            }
            ControllerMsg::Unsubscribe { id, subscription } => {
                self.subscriptions.remove(&subscription);
                self.reply(id, Outcome::Done, out);
            }
            ControllerMsg::Network { ssid, bssids } => {
                if ssid.len() > 32 {
                    self.counters.refused_commands += 1;
                    let message = format!("network SSID of {} bytes (at most 32)", ssid.len());
                    self.send_controller(AgentMsg::Error { id: None, message }, out);
                    return;
                }
                if !self.config.serves_ssid(&ssid) {
                    self.counters.refused_commands += 1;
                    let message = format!(
                        "network SSID {:?} is not among this agent's SSIDs: no client is served",
                        String::from_utf8_lossy(&ssid)
                    );
                    tracing::error!(%message);
                    self.send_controller(AgentMsg::Error { id: None, message }, out);
                    return;
                }
                tracing::info!(ssid = %String::from_utf8_lossy(&ssid), ?bssids, "network settings");
                for bss in &mut self.bss {
                    bss.ssid.clone_from(&ssid);
                }
                self.bssids = Some(bssids);
                for radio in self.radios.iter().map(|r| r.index).collect::<Vec<_>>() {
                    self.configure_early_answers(radio, out);
                }
            }
            ControllerMsg::Error { id, message } => {
                tracing::warn!(?id, %message, "controller reported an error");
            }
            ControllerMsg::Challenge { .. } | ControllerMsg::Welcome { .. } => {
                // The link handles the handshake; here they are out of place.
                self.send_controller(
                    AgentMsg::Error {
                        id: None,
                        message: "handshake message after authentication".into(),
                    },
                    out,
                );
            }
        }
    }

    /// What the agent believes a radio's channel is: its info, its BSS and
    /// its early answers.
    fn set_radio_channel(&mut self, radio: RadioIndex, channel: u8, out: &mut Vec<AgentOutput>) {
        if let Some(info) = self.radios.iter_mut().find(|r| r.index == radio) {
            info.channel = channel;
        }
        if let Some(bss) = self.bss.get_mut(radio as usize) {
            bss.channel = channel;
        }
        self.configure_early_answers(radio, out);
    }

    /// Tells `radio` how to answer new clients' probes, when the
    /// controller told us how their BSSIDs are derived.
    fn configure_early_answers(&self, radio: RadioIndex, out: &mut Vec<AgentOutput>) {
        let Some(plan) = &self.bssids else { return };
        let (Some(info), Some(bss)) = (
            self.radios.iter().find(|r| r.index == radio),
            self.bss.get(radio as usize),
        ) else {
            return;
        };
        let mut bss = bss.clone();
        bss.channel = info.channel;
        let early = EarlyAnswers {
            plan: plan.clone(),
            bss,
        };
        out.push(AgentOutput::Radio(
            radio,
            RadioCmd::EarlyAnswers(Some(Box::new(early))),
        ));
    }

    fn add_lvap(
        &mut self,
        spec: LvapSpec,
        station: Option<odin_proto::StationState>,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) -> Added {
        // Back before its cross-channel departure finished: that copy
        // goes first (the same BSSID cannot beacon twice on one radio).
        if self.leaving.contains_key(&spec.bssid) {
            self.stop_leaving(spec.bssid, now, out);
        }
        let existed = self.lvaps.contains_key(&spec.bssid);
        match self.try_add_lvap(spec, station, now, out) {
            Outcome::Done if existed => Added::Already,
            Outcome::Done => Added::New,
            refused => Added::Refused(refused),
        }
    }

    fn try_add_lvap(
        &mut self,
        spec: LvapSpec,
        station: Option<odin_proto::StationState>,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) -> Outcome {
        let Some(radio) = self.radios.iter().find(|r| r.index == spec.radio) else {
            return Outcome::Failed {
                reason: format!("no radio {}", spec.radio),
            };
        };
        if spec.ssid.len() > 32 {
            return Outcome::Failed {
                reason: format!("SSID of {} bytes (at most 32)", spec.ssid.len()),
            };
        }
        if !self.config.serves_ssid(&spec.ssid) {
            return Outcome::Failed {
                reason: format!(
                    "SSID {:?} is not among this agent's SSIDs",
                    String::from_utf8_lossy(&spec.ssid)
                ),
            };
        }
        if !spec.bssid.is_unicast() {
            return Outcome::Failed {
                reason: format!("BSSID {} is a group address", spec.bssid),
            };
        }
        if let Some(existing) = self.lvaps.get(&spec.bssid) {
            if existing.spec == spec && (station.is_none() || existing.lvap.export() == station) {
                return Outcome::Done;
            }
            return Outcome::Failed {
                reason: format!("BSSID {} is already in use here", spec.bssid),
            };
        }
        if let Some(other) = self.by_client.get(&spec.client) {
            return Outcome::Failed {
                reason: format!("client {} already has LVAP {other} here", spec.client),
            };
        }
        let hosted = self
            .lvaps
            .values()
            .filter(|h| h.radio == spec.radio)
            .count();
        if hosted >= radio.max_lvaps as usize {
            return Outcome::Failed {
                reason: format!("radio {} hosts {hosted} LVAPs, its maximum", spec.radio),
            };
        }
        let Some(mut bss) = self.bss.get(spec.radio as usize).cloned() else {
            return Outcome::Failed {
                reason: format!("no BSS configuration for radio {}", spec.radio),
            };
        };
        bss.ssid = spec.ssid.clone();
        bss.channel = radio.channel;
        let config = LvapConfig {
            bssid: spec.bssid,
            client: spec.client,
            bss,
            timeouts: self.config.timeouts,
        };
        let mut actions = Vec::new();
        let lvap = match station {
            Some(state) => match Lvap::import(config, state, now, &mut actions) {
                Ok(lvap) => lvap,
                Err(e) => {
                    return Outcome::Failed {
                        reason: format!("cannot import station: {e}"),
                    }
                }
            },
            None => match Lvap::new(config, &mut actions) {
                Ok(lvap) => lvap,
                Err(e) => {
                    return Outcome::Failed {
                        reason: format!("cannot build the BSS: {e}"),
                    }
                }
            },
        };
        tracing::info!(bssid = %spec.bssid, client = %spec.client, radio = spec.radio, "LVAP added");
        self.by_client.insert(spec.client, spec.bssid);
        let bssid = spec.bssid;
        self.lvaps.insert(
            bssid,
            Hosted {
                radio: spec.radio,
                spec,
                lvap,
            },
        );
        self.carry_out(bssid, actions, out);
        Outcome::Done
    }

    /// The source of a cross-channel migration tells the client to move
    /// and leaves the LVAP in `leaving` until the announced moment and one
    /// beacon interval more (for a client that heard only a beacon), then
    /// [`Self::stop_leaving`] takes it down.
    fn announce_switch(
        &mut self,
        bssid: MacAddr,
        announce: ChannelAnnouncement,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) {
        let command = Command::AnnounceSwitch {
            channel: announce.channel,
            count: announce.count,
        };
        self.drive(bssid, lvap::Input::Command(command), now, out);
        let Some(interval) = self.lvaps.get(&bssid).map(|h| h.lvap.beacon_interval()) else {
            return;
        };
        let interval_us = u64::from(interval) * 1024;
        let beacons = u64::from(announce.count.max(1)) + 1;
        tracing::info!(%bssid, channel = announce.channel, count = announce.count, "client told to switch channel");
        self.leave_later(bssid, now + Duration::from_micros(beacons * interval_us));
    }

    /// Moves an LVAP to `leaving`: no longer this agent's (not reported,
    /// not exportable), taken down by [`Self::stop_leaving`] at `until`.
    fn leave_later(&mut self, bssid: MacAddr, until: Instant) {
        let Some(hosted) = self.lvaps.remove(&bssid) else {
            return;
        };
        self.by_client.remove(&hosted.spec.client);
        self.cookies.retain(|_, (b, _)| *b != bssid);
        self.leaving.insert(bssid, (hosted, until));
    }

    /// Takes down a source whose client was told to move: removed as any
    /// LVAP is (it is back among the hosted ones for that instant only).
    fn stop_leaving(&mut self, bssid: MacAddr, now: Instant, out: &mut Vec<AgentOutput>) {
        let Some((hosted, _)) = self.leaving.remove(&bssid) else {
            return;
        };
        self.lvaps.insert(bssid, hosted);
        self.remove_lvap(bssid, false, now, out);
    }

    fn remove_lvap(
        &mut self,
        bssid: MacAddr,
        deauthenticate: bool,
        now: Instant,
        out: &mut Vec<AgentOutput>,
    ) {
        if !self.lvaps.contains_key(&bssid) {
            return;
        }
        if deauthenticate {
            self.drive(
                bssid,
                lvap::Input::Command(Command::Deauthenticate(ReasonCode::DeauthLeaving)),
                now,
                out,
            );
        }
        self.drive(bssid, lvap::Input::Command(Command::Stop), now, out);
        if let Some(hosted) = self.lvaps.remove(&bssid) {
            self.by_client.remove(&hosted.spec.client);
            for (reason, n) in hosted.lvap.counters().drops() {
                *self.retired_drops.entry(reason.as_str()).or_default() += n;
            }
            tracing::info!(%bssid, client = %hosted.spec.client, "LVAP removed");
            // The teardown's own barrier: its failures (taking down what
            // never started has no interface) must not linger to be
            // reported with the next command for this BSSID (seen in the
            // VM: the next handoff here failed on them).
            let teardown = self.barrier(hosted.radio, None, Awaited::Teardown(bssid));
            out.push(teardown);
        }
        self.cookies.retain(|_, (b, _)| *b != bssid);
    }
}

#[cfg(test)]
mod limits_tests;
mod survey;
#[cfg(test)]
mod survey_tests;
#[cfg(test)]
mod tests;
