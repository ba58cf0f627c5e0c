//! What the API shows of the registry: plain serializable copies, made
//! inside the core task (see [`crate::server::ControllerHandle::inspect`])
//! and serialized outside it.

use odin_proto::msg::{Band, RadioIndex};
use odin_proto::MacAddr;
use serde::Serialize;

use crate::core::handoff::Phase;
use crate::core::{Agent, Client, Controller, Instant, LvapState, RadioRef, StepDurations};

/// An agent.
#[derive(Debug, Clone, Serialize)]
pub struct AgentView {
    /// Its identity.
    pub name: String,
    /// Connected and said hello.
    pub up: bool,
    /// Has a connection (perhaps not yet past hello).
    pub connected: bool,
    /// Its software, from its last hello.
    pub software: String,
    /// Milliseconds since any message came from it.
    pub last_heard_ms_ago: Option<u64>,
    /// Why it went down the last time.
    pub last_down: Option<String>,
    /// Its radios.
    pub radios: Vec<RadioView>,
}

/// A radio of an agent.
#[derive(Debug, Clone, Serialize)]
pub struct RadioView {
    /// Index within the agent.
    pub index: RadioIndex,
    /// The kernel's name for it.
    pub name: String,
    /// Its own address.
    pub address: MacAddr,
    /// `ghz2`, `ghz5` or `ghz6`.
    pub band: Band,
    /// The channel it is on.
    pub channel: u8,
    /// The channels it may use.
    pub channels: Vec<u8>,
    /// 802.11n.
    pub ht: bool,
    /// 802.11ac.
    pub vht: bool,
    /// How many LVAPs it can host.
    pub max_lvaps: u32,
    /// The clients whose LVAP it hosts (or is being placed on it).
    pub lvaps: Vec<MacAddr>,
    /// Slots taken: the LVAPs above and those running handoffs reserve.
    pub load: u32,
    /// Share of time the channel was busy (0-1), when the agent measured
    /// it.
    pub utilization: Option<f32>,
    /// Milliseconds since the radio's last statistics.
    pub stats_age_ms: Option<u64>,
}

/// One radio of one agent, in a client's record.
#[derive(Debug, Clone, Serialize)]
pub struct At {
    /// The agent.
    pub agent: String,
    /// The radio.
    pub radio: RadioIndex,
}

impl From<&RadioRef> for At {
    fn from(r: &RadioRef) -> At {
        At {
            agent: r.agent.clone(),
            radio: r.radio,
        }
    }
}

/// A client.
#[derive(Debug, Clone, Serialize)]
pub struct ClientView {
    /// Its address.
    pub mac: MacAddr,
    /// Its BSSID, once it was given one.
    pub bssid: Option<MacAddr>,
    /// Associated: the controller holds its station state (from its
    /// authorization, an export or reconciliation; cleared when it
    /// leaves).
    pub associated: bool,
    /// Its association ID, when associated.
    pub aid: Option<u16>,
    /// Its LVAP.
    pub lvap: Option<LvapView>,
    /// The signal each radio last reported.
    pub signals: Vec<SignalView>,
    /// The latest statistics of each radio.
    pub stats: Vec<StatsView>,
}

/// Where a client's LVAP is.
#[derive(Debug, Clone, Serialize)]
pub struct LvapView {
    /// The agent that hosts it (during a handoff: the source until it
    /// removed it, the target afterwards).
    pub agent: String,
    /// The radio.
    pub radio: RadioIndex,
    /// `placing`, `active` or `migrating`.
    pub state: &'static str,
    /// The running handoff, when migrating.
    pub handoff: Option<HandoffView>,
}

/// A running handoff.
#[derive(Debug, Clone, Serialize)]
pub struct HandoffView {
    /// Its id.
    pub id: u64,
    /// The source.
    pub from: At,
    /// The target.
    pub to: At,
    /// The step it waits on: `export`, `add`, `remove`, `authorize`,
    /// `restore_at_source` or `authorize_at_source` (the last two: rolling
    /// back).
    pub phase: &'static str,
    /// Why it was asked for.
    pub cause: String,
    /// Milliseconds since it started.
    pub elapsed_ms: u64,
}

/// A signal report.
#[derive(Debug, Clone, Serialize)]
pub struct SignalView {
    /// The agent.
    pub agent: String,
    /// The radio.
    pub radio: RadioIndex,
    /// dBm.
    pub signal_dbm: i8,
    /// Milliseconds since the client was heard with it.
    pub age_ms: u64,
}

/// A radio's statistics of a client.
#[derive(Debug, Clone, Serialize)]
pub struct StatsView {
    /// The agent.
    pub agent: String,
    /// The radio.
    pub radio: RadioIndex,
    /// Last signal, dBm.
    pub signal_dbm: Option<i8>,
    /// Whether that agent serves it.
    pub served: bool,
    /// Bytes received from it.
    pub rx_bytes: u64,
    /// Bytes sent to it.
    pub tx_bytes: u64,
    /// Milliseconds since the agent last heard it (when reported).
    pub inactive_ms: u64,
    /// Milliseconds since these statistics came.
    pub age_ms: u64,
}

/// Step durations in microseconds (`null`: skipped).
#[derive(Debug, Clone, Serialize)]
pub struct DurationsView {
    /// `ExportLvap` at the source.
    pub export: Option<u64>,
    /// `AddLvap` at the target.
    pub add: Option<u64>,
    /// `RemoveLvap` at the source (from the switch's sending).
    pub remove: Option<u64>,
    /// `AuthorizeLvap` at the target (from the switch's sending: the two
    /// are sent together).
    pub authorize: Option<u64>,
    /// How far ahead the switch was scheduled (`null`: not scheduled).
    pub switch_lead: Option<u64>,
    /// From the command to the end.
    pub total: u64,
}

impl From<&StepDurations> for DurationsView {
    fn from(d: &StepDurations) -> DurationsView {
        DurationsView {
            export: d.export_us,
            add: d.add_us,
            remove: d.remove_us,
            authorize: d.authorize_us,
            switch_lead: d.switch_lead_us,
            total: d.total_us,
        }
    }
}

fn ms_since(now: Instant, then: Instant) -> u64 {
    now.micros_since(then) / 1000
}

/// One agent, as of `now` (the core's clock).
pub fn agent(core: &Controller, agent: &Agent, now: Instant) -> AgentView {
    let radios = agent
        .radios
        .values()
        .map(|radio| {
            let at = RadioRef {
                agent: agent.name.clone(),
                radio: radio.info.index,
            };
            let lvaps = core
                .clients()
                .values()
                .filter(|c| c.lvap.as_ref().is_some_and(|l| l.at == at))
                .map(|c| c.mac)
                .collect();
            RadioView {
                index: radio.info.index,
                name: radio.info.name.clone(),
                address: radio.info.addr,
                band: radio.info.band,
                channel: radio.info.channel,
                channels: radio.info.channels.clone(),
                ht: radio.info.ht,
                vht: radio.info.vht,
                max_lvaps: radio.info.max_lvaps,
                lvaps,
                load: core.load(&at),
                utilization: radio.stats.as_ref().and_then(|(s, _)| s.utilization),
                stats_age_ms: radio.stats.as_ref().map(|(_, t)| ms_since(now, *t)),
            }
        })
        .collect();
    AgentView {
        name: agent.name.clone(),
        up: agent.up,
        connected: agent.session.is_some(),
        software: agent.software.clone(),
        last_heard_ms_ago: agent.last_heard.map(|t| ms_since(now, t)),
        last_down: agent.last_down.as_ref().map(ToString::to_string),
        radios,
    }
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Export => "export",
        Phase::AddAtTarget => "add",
        Phase::RemoveAtSource => "remove",
        Phase::AuthorizeAtTarget => "authorize",
        Phase::RestoreAtSource => "restore_at_source",
        Phase::AuthorizeAtSource => "authorize_at_source",
    }
}

/// One client, as of `now` (the core's clock).
pub fn client(core: &Controller, client: &Client, now: Instant) -> ClientView {
    let lvap = client.lvap.as_ref().map(|l| {
        let (state, handoff) = match l.state {
            LvapState::Placing => ("placing", None),
            LvapState::Active => ("active", None),
            LvapState::Migrating(_) => {
                let handoff = core.handoffs().get(&client.mac).map(|h| HandoffView {
                    id: h.id.0,
                    from: At::from(&h.source),
                    to: At::from(&h.target),
                    phase: phase_name(h.phase),
                    cause: h.cause.clone(),
                    elapsed_ms: ms_since(now, h.started),
                });
                ("migrating", handoff)
            }
        };
        LvapView {
            agent: l.at.agent.clone(),
            radio: l.at.radio,
            state,
            handoff,
        }
    });
    ClientView {
        mac: client.mac,
        bssid: client.bssid,
        associated: client.station.is_some(),
        aid: client.station.as_ref().map(|s| s.aid),
        lvap,
        signals: client
            .signals
            .iter()
            .map(|(at, heard)| SignalView {
                agent: at.agent.clone(),
                radio: at.radio,
                signal_dbm: heard.signal_dbm,
                age_ms: ms_since(now, heard.at),
            })
            .collect(),
        stats: client
            .stats
            .iter()
            .map(|(at, (s, when))| StatsView {
                agent: at.agent.clone(),
                radio: at.radio,
                signal_dbm: s.signal_dbm,
                served: s.served,
                rx_bytes: s.rx_bytes,
                tx_bytes: s.tx_bytes,
                inactive_ms: s.inactive_ms,
                age_ms: ms_since(now, *when),
            })
            .collect(),
    }
}
