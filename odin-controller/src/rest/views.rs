//! What the API shows of the registry: plain serializable copies, made
//! inside the core task (see [`crate::server::ControllerHandle::inspect`])
//! and serialized outside it, and the other bodies the API answers with.
//!
//! Every type here derives [`ToSchema`], so the OpenAPI document
//! ([`super::openapi`]) describes exactly what is serialized. MAC
//! addresses (a type of another crate) are described as strings; bands,
//! LVAP states and handoff phases have enums of their own here, so that
//! the document lists their values.

use std::collections::BTreeMap;

use odin_proto::msg::{Band, RadioIndex};
use odin_proto::MacAddr;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::core::handoff::Phase;
use crate::core::{Agent, Client, Controller, Instant, LvapState, RadioRef, StepDurations};

/// An agent.
#[derive(Debug, Clone, Serialize, ToSchema)]
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
    /// Frames it dropped since the controller first heard of it, by cause
    /// (only causes that dropped any).
    pub frames_dropped: BTreeMap<String, u64>,
}

/// A radio of an agent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RadioView {
    /// Index within the agent.
    #[schema(value_type = u32)]
    pub index: RadioIndex,
    /// The kernel's name for it.
    pub name: String,
    /// Its own address.
    #[schema(value_type = String, example = "02:00:00:01:00:00")]
    pub address: MacAddr,
    /// Its band.
    pub band: BandView,
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
    #[schema(value_type = Vec<String>, example = json!(["02:00:00:00:01:00"]))]
    pub lvaps: Vec<MacAddr>,
    /// Slots taken: the LVAPs above and those running handoffs reserve.
    pub load: u32,
    /// Share of time the channel was busy (0-1), when the agent measured
    /// it.
    pub utilization: Option<f32>,
    /// Milliseconds since the radio's last statistics.
    pub stats_age_ms: Option<u64>,
}

/// A radio's band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BandView {
    /// 2.4 GHz.
    Ghz2,
    /// 5 GHz.
    Ghz5,
    /// 6 GHz.
    Ghz6,
}

impl From<Band> for BandView {
    fn from(band: Band) -> BandView {
        match band {
            Band::Ghz2 => BandView::Ghz2,
            Band::Ghz5 => BandView::Ghz5,
            Band::Ghz6 => BandView::Ghz6,
        }
    }
}

/// One radio of one agent, in a client's record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct At {
    /// The agent.
    pub agent: String,
    /// The radio.
    #[schema(value_type = u32)]
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
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientView {
    /// Its address.
    #[schema(value_type = String, example = "02:00:00:00:01:00")]
    pub mac: MacAddr,
    /// Its BSSID, once it was given one.
    #[schema(value_type = Option<String>, example = "06:0d:1e:5a:77:c1")]
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
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LvapView {
    /// The agent that hosts it (during a handoff: the source until it
    /// removed it, the target afterwards).
    pub agent: String,
    /// The radio.
    #[schema(value_type = u32)]
    pub radio: RadioIndex,
    /// Being created, serving, or moving.
    pub state: LvapStateView,
    /// The running handoff, when migrating.
    pub handoff: Option<HandoffView>,
}

/// The state of a client's LVAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LvapStateView {
    /// Being created on its first agent.
    Placing,
    /// Serving the client.
    Active,
    /// Moving to another agent.
    Migrating,
}

/// The step a running handoff waits on (the last two: rolling back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhaseView {
    /// The source exports the client's station state.
    Export,
    /// The target adds the LVAP, not yet authorized.
    Add,
    /// The source removes its LVAP (at the switch).
    Remove,
    /// The target authorizes the client (at the switch).
    Authorize,
    /// Rolling back: the LVAP is added again at the source.
    RestoreAtSource,
    /// Rolling back: the client is authorized again at the source.
    AuthorizeAtSource,
}

impl From<Phase> for PhaseView {
    fn from(phase: Phase) -> PhaseView {
        match phase {
            Phase::Export => PhaseView::Export,
            Phase::AddAtTarget => PhaseView::Add,
            Phase::RemoveAtSource => PhaseView::Remove,
            Phase::AuthorizeAtTarget => PhaseView::Authorize,
            Phase::RestoreAtSource => PhaseView::RestoreAtSource,
            Phase::AuthorizeAtSource => PhaseView::AuthorizeAtSource,
        }
    }
}

/// A running handoff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandoffView {
    /// Its id.
    pub id: u64,
    /// The source.
    pub from: At,
    /// The target.
    pub to: At,
    /// The step it waits on.
    pub phase: PhaseView,
    /// Why it was asked for.
    pub cause: String,
    /// Milliseconds since it started.
    pub elapsed_ms: u64,
}

/// A signal report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignalView {
    /// The agent.
    pub agent: String,
    /// The radio.
    #[schema(value_type = u32)]
    pub radio: RadioIndex,
    /// dBm.
    pub signal_dbm: i8,
    /// Milliseconds since the client was heard with it.
    pub age_ms: u64,
}

/// A radio's statistics of a client.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsView {
    /// The agent.
    pub agent: String,
    /// The radio.
    #[schema(value_type = u32)]
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
    /// The rate of the last frame sent to it, kbit/s (`null`: not
    /// reported; serving agents report it where the driver does).
    pub tx_rate_kbps: Option<u32>,
    /// The rate of the last frame received from it, kbit/s.
    pub rx_rate_kbps: Option<u32>,
    /// Milliseconds since these statistics came.
    pub age_ms: u64,
}

/// Step durations in microseconds (`null`: skipped).
#[derive(Debug, Clone, Serialize, ToSchema)]
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

/// `GET /api/v1/health`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`: the API serves.
    #[schema(example = "ok")]
    pub status: String,
}

/// Every agent the controller has seen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentList {
    /// The agents, by name.
    pub agents: Vec<AgentView>,
}

/// Every client the controller has heard of.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientList {
    /// The clients, by address.
    pub clients: Vec<ClientView>,
}

/// The answer to a handoff: it was carried out, or there was nothing to
/// do.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum HandoffAnswer {
    /// The client moved.
    Completed(HandoffCompleted),
    /// The agent (and radio) asked for serves the client already.
    AlreadyServing(AlreadyServing),
}

/// A handoff that was carried out.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HandoffCompleted {
    /// The handoff's id (as in its events).
    #[schema(example = 7)]
    pub handoff: u64,
    /// How long each step took.
    pub durations_us: DurationsView,
}

/// A handoff with nothing to do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlreadyServing {
    /// Always `true`.
    pub already_serving: bool,
}

/// A client that was disconnected.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Disconnected {
    /// Always `true`.
    pub disconnected: bool,
}

/// A radio that moved to another channel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelSet {
    /// Always `true`.
    pub channel_set: bool,
    /// The agent.
    #[schema(example = "ap1")]
    pub agent: String,
    /// The radio.
    #[schema(value_type = u32)]
    pub radio: RadioIndex,
    /// The channel it is on now.
    #[schema(example = 11)]
    pub channel: u8,
}

/// An app that was enabled, disabled or configured.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppChanged {
    /// Always `true`.
    pub app_changed: bool,
}

/// An app of this controller.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppView {
    /// Its name.
    #[schema(example = "rescue")]
    pub name: String,
    /// What it does.
    pub about: String,
    /// Whether it runs.
    pub enabled: bool,
    /// Its configuration (each app has its own fields; `null` until it
    /// was given one: then it runs with its defaults).
    #[schema(value_type = Option<Object>)]
    pub config: Value,
    /// Calls made to it (start, events).
    pub calls: u64,
    /// Its requests that were carried out.
    pub requests: u64,
    /// Its calls that returned an error.
    pub errors: u64,
    /// Its calls that panicked.
    pub panics: u64,
    /// Times it was made again after a panic.
    pub restarts: u64,
    /// Its last failure, in words.
    pub last_error: Option<String>,
}

/// Every app of this controller.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppList {
    /// The apps, by name.
    pub apps: Vec<AppView>,
}

/// One event of the history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    /// Its id, increasing in the order events were written.
    pub id: i64,
    /// When it happened, Unix microseconds.
    pub at_unix_us: u64,
    /// What happened: `handoff_completed`, `client_joined`, ...
    #[schema(example = "handoff_completed")]
    pub kind: String,
    /// The client it is about, if any.
    #[schema(value_type = Option<String>, example = "02:00:00:00:01:00")]
    pub client: Option<MacAddr>,
    /// The agent it is about, if any.
    pub agent: Option<String>,
    /// The app that caused it or that it is about, if any.
    pub app: Option<String>,
    /// The event's text and its fields (a handoff's step durations, who
    /// asked and why).
    #[schema(value_type = Object)]
    pub detail: Value,
}

impl From<crate::store::StoredEvent> for EventView {
    fn from(e: crate::store::StoredEvent) -> EventView {
        EventView {
            id: e.id,
            at_unix_us: e.record.at_unix_us,
            kind: e.record.kind,
            client: e.record.client,
            agent: e.record.agent,
            app: e.record.app,
            detail: e.record.detail,
        }
    }
}

/// A page of the event history, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventPage {
    /// The events.
    pub events: Vec<EventView>,
    /// When the page is full: the `before` of the next page.
    pub next_before: Option<i64>,
}

/// The store's backend and its writer's counters. Without a store only
/// `backend` is there, `null`; with one, every field is.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct StoreStatus {
    /// `sqlite` or `postgres`; `null`: this controller has no store.
    #[schema(example = "sqlite")]
    pub backend: Option<String>,
    /// Operations recorded and not yet written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued: Option<u64>,
    /// Operations written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<u64>,
    /// Transactions committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batches: Option<u64>,
    /// Attempts to write a batch that failed (each was retried).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_attempts: Option<u64>,
    /// Operations not stored: the queue was full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overflowed: Option<u64>,
    /// The current batch's last attempt failed; it is being retried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing: Option<bool>,
    /// The last failed attempt's error, kept after the store recovers
    /// (`null`: none yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub last_error: Option<Option<String>>,
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
            let lvaps = core.lvaps_on(&at).collect();
            RadioView {
                index: radio.info.index,
                name: radio.info.name.clone(),
                address: radio.info.addr,
                band: radio.info.band.into(),
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
        frames_dropped: agent.frames_dropped.clone(),
    }
}

/// One client, as of `now` (the core's clock).
pub fn client(core: &Controller, client: &Client, now: Instant) -> ClientView {
    let lvap = client.lvap.as_ref().map(|l| {
        let (state, handoff) = match l.state {
            LvapState::Placing => (LvapStateView::Placing, None),
            LvapState::Active => (LvapStateView::Active, None),
            LvapState::Migrating(_) => {
                let handoff = core.handoffs().get(&client.mac).map(|h| HandoffView {
                    id: h.id.0,
                    from: At::from(&h.source),
                    to: At::from(&h.target),
                    phase: h.phase.into(),
                    cause: h.cause.clone(),
                    elapsed_ms: ms_since(now, h.started),
                });
                (LvapStateView::Migrating, handoff)
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
                tx_rate_kbps: s.tx_rate_kbps,
                rx_rate_kbps: s.rx_rate_kbps,
                age_ms: ms_since(now, *when),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_enums_serialize_as_the_names_the_api_always_used() {
        for band in [Band::Ghz2, Band::Ghz5, Band::Ghz6] {
            assert_eq!(
                serde_json::to_value(BandView::from(band)).ok(),
                serde_json::to_value(band).ok()
            );
        }
        let phases = [
            (Phase::Export, "export"),
            (Phase::AddAtTarget, "add"),
            (Phase::RemoveAtSource, "remove"),
            (Phase::AuthorizeAtTarget, "authorize"),
            (Phase::RestoreAtSource, "restore_at_source"),
            (Phase::AuthorizeAtSource, "authorize_at_source"),
        ];
        for (phase, name) in phases {
            assert_eq!(
                serde_json::to_value(PhaseView::from(phase)).ok(),
                Some(json!(name))
            );
        }
        let states = [
            (LvapStateView::Placing, "placing"),
            (LvapStateView::Active, "active"),
            (LvapStateView::Migrating, "migrating"),
        ];
        for (state, name) in states {
            assert_eq!(serde_json::to_value(state).ok(), Some(json!(name)));
        }
    }

    #[test]
    fn a_controller_without_a_store_shows_only_a_null_backend() {
        assert_eq!(
            serde_json::to_value(StoreStatus::default()).ok(),
            Some(json!({"backend": null}))
        );
        let kept = StoreStatus {
            backend: Some("sqlite".into()),
            queued: Some(0),
            written: Some(3),
            batches: Some(1),
            failed_attempts: Some(0),
            overflowed: Some(0),
            failing: Some(false),
            last_error: Some(None),
        };
        assert_eq!(
            serde_json::to_value(kept).ok(),
            Some(
                json!({"backend": "sqlite", "queued": 0, "written": 3, "batches": 1,
                "failed_attempts": 0, "overflowed": 0, "failing": false, "last_error": null})
            )
        );
    }
}
