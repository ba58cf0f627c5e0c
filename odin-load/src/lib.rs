//! A load generator for the Odin controller.
//!
//! Thousands of simulated agents, each on its own TCP connection, speak the
//! real protocol (`odin_proto`: the HMAC handshake of `odin_agent::link`,
//! hello, heartbeats, client reports, statistics, and the answers to every
//! command) with the clients each one serves, so that one controller can be
//! measured holding a whole campus. Nothing here touches a radio: an agent
//! answers `AddLvap` at once and reports its client authenticated,
//! associated and authorized, the way a real agent does once the client's
//! frames came; a migration's `AuthorizeLvap` and `RemoveLvap` are
//! answered at their switch moment, as a real agent's radio acts then.
//!
//! Three phases ([`run`]):
//!
//! 1. **Ramp.** The agents connect (at `connect_per_s`) and report their
//!    clients (at `placements_per_s` over all agents); the controller
//!    places each client's LVAP on its home agent. Every agent also hears
//!    the clients of the next agent in a ring (`hear_neighbours`), weaker,
//!    so that a client has somewhere to move.
//! 2. **Steady state.** Statistics every `stats_interval` from every
//!    agent: one entry per served client and per neighbour's client heard.
//! 3. **Measure.** For `measure` seconds, handoffs through the REST API
//!    (`POST /api/v1/clients/{mac}/handoff`) at `handoffs_per_s`, each
//!    timed from the request to the controller's answer (which comes once
//!    the migration completed); the controller's ingestion, CPU and memory
//!    from its metrics and `/proc`.
//!
//! The benchmark binary (`odin-scale`) starts the real `odin-controller`
//! in a process of its own and prints the table and the `RESULT scale`
//! line; `tests/scale.rs` runs a small load against an in-process
//! controller and checks that every LVAP, statistic and handoff arrived.

use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::{SinkExt, StreamExt};
use odin_agent::link::{handshake, LinkConfig};
use odin_proto::codec::Codec;
use odin_proto::msg::{
    AgentMsg, Band, ClientEvent, ClientStats, ControllerMsg, DropCount, Outcome, RadioInfo,
    RadioStats, PROTOCOL_VERSION,
};
use odin_proto::{MacAddr, StationFlags, StationState};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

pub mod api;
pub mod procfs;
pub mod scenario;

/// What the load looks like.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The controller's agent port.
    pub controller: SocketAddr,
    /// The secret shared with the controller.
    pub secret: Vec<u8>,
    /// How many agents.
    pub agents: usize,
    /// Clients each agent serves.
    pub clients_per_agent: usize,
    /// How many following agents in the ring also hear each client
    /// (reporting it in their statistics, weaker): 0 or more.
    pub hear_neighbours: usize,
    /// How often each agent sends its statistics.
    pub stats_interval: Duration,
    /// How often each agent sends a heartbeat.
    pub heartbeat_interval: Duration,
    /// New agent connections per second, over all agents.
    pub connect_per_s: f64,
    /// New clients reported per second, over all agents.
    pub placements_per_s: f64,
}

impl LoadConfig {
    /// Every client the load has.
    pub fn clients(&self) -> usize {
        self.agents * self.clients_per_agent
    }
}

/// The name of agent `index`.
pub fn agent_name(index: usize) -> String {
    format!("load-{index:05}")
}

/// The address of client `client` of agent `agent` (locally administered,
/// unicast; agent and client indices up to 65535).
pub fn client_mac(agent: usize, client: usize) -> MacAddr {
    MacAddr([
        0x02,
        0x4c,
        (agent >> 8) as u8,
        agent as u8,
        (client >> 8) as u8,
        client as u8,
    ])
}

/// What the agents did, counted as they go (shared by every agent task).
#[derive(Debug, Default)]
pub struct Counters {
    /// Agents connected and past the handshake.
    pub connected: AtomicU64,
    /// Handshakes or connections that failed.
    pub connect_failures: AtomicU64,
    /// Connections lost after the handshake.
    pub disconnected: AtomicU64,
    /// Clients reported (`ClientHeard`).
    pub reported: AtomicU64,
    /// LVAPs hosted after a fresh `AddLvap` (placements).
    pub placed: AtomicU64,
    /// LVAPs hosted now, over all agents.
    pub hosted: AtomicU64,
    /// Statistics messages sent.
    pub stats_sent: AtomicU64,
    /// Client entries in them.
    pub stats_entries: AtomicU64,
    /// Commands answered `Done` or with a station.
    pub commands_done: AtomicU64,
    /// Commands refused (unknown LVAP and such).
    pub commands_refused: AtomicU64,
    /// Error messages the controller sent.
    pub controller_errors: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// A counter's value.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The station state a load client has once associated: what a 2.4 GHz
/// HT phone brings (so that the controller stores and moves a realistic
/// amount of state).
pub fn station(client: MacAddr, bssid: MacAddr, aid: u16) -> StationState {
    StationState {
        sta: client,
        bssid,
        aid,
        listen_interval: 10,
        capabilities: 0x0421,
        supported_rates: vec![
            0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24, 0x30, 0x48, 0x60, 0x6c,
        ],
        ht_capabilities: Some(vec![
            0xef, 0x01, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0,
        ]),
        vht_capabilities: None,
        ext_capabilities: Some(vec![0x04, 0, 0x0a, 0x02, 0x01, 0x40, 0, 0x40]),
        wmm: None,
        flags: StationFlags {
            authenticated: true,
            associated: true,
            authorized: true,
            wme: false,
            short_preamble: true,
        },
        last_rx_seq: Some(2),
        assoc_ies: vec![0x7f, 0x08, 0x04, 0, 0x0a, 0x02, 0x01, 0x40, 0, 0x40],
    }
}

/// The wall clock in Unix microseconds (the protocol's switch moments).
fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// An answer held until a migration's switch moment.
#[derive(Debug, PartialEq, Eq)]
struct Held {
    due: Instant,
    id: u64,
    /// The LVAP to drop when the answer goes out (a removal).
    remove: Option<MacAddr>,
}

impl Ord for Held {
    fn cmp(&self, other: &Held) -> std::cmp::Ordering {
        // The earliest first out of the max-heap.
        other.due.cmp(&self.due).then(other.id.cmp(&self.id))
    }
}

impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Held) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// One LVAP an agent hosts.
#[derive(Debug, Clone)]
struct Hosted {
    client: MacAddr,
    station: StationState,
    rx_bytes: u64,
    tx_bytes: u64,
}

/// One simulated agent's state.
#[derive(Debug)]
struct Agent {
    index: usize,
    hosted: std::collections::HashMap<MacAddr, Hosted>,
    /// Clients of other agents this one hears, with their signal.
    heard: Vec<(MacAddr, i8)>,
    held: BinaryHeap<Held>,
    ssid: Vec<u8>,
    /// Frames dropped so far (reported in the statistics).
    dropped: u64,
}

impl Agent {
    fn stats(&mut self) -> AgentMsg {
        let mut clients = Vec::with_capacity(self.hosted.len() + self.heard.len());
        for h in self.hosted.values_mut() {
            h.rx_bytes += 1500;
            h.tx_bytes += 12_000;
            clients.push(ClientStats {
                client: h.client,
                radio: 0,
                signal_dbm: Some(-48),
                served: true,
                rx_bytes: h.rx_bytes,
                tx_bytes: h.tx_bytes,
                inactive_ms: 40,
                tx_rate_kbps: Some(65_000),
                rx_rate_kbps: Some(58_500),
            });
        }
        for (client, signal) in &self.heard {
            if self.hosted.values().any(|h| h.client == *client) {
                continue;
            }
            clients.push(ClientStats {
                client: *client,
                radio: 0,
                signal_dbm: Some(*signal),
                served: false,
                rx_bytes: 0,
                tx_bytes: 0,
                inactive_ms: 120,
                tx_rate_kbps: None,
                rx_rate_kbps: None,
            });
        }
        // Frames from other networks' stations that reached an LVAP: a
        // few a second, as in a busy building.
        self.dropped += 3;
        AgentMsg::Stats {
            clients,
            drops: vec![DropCount {
                cause: "not_our_client".into(),
                frames: self.dropped,
            }],
            radios: vec![RadioStats {
                radio: 0,
                channel: self.channel(),
                lvaps: self.hosted.len() as u32,
                utilization: Some(0.25),
            }],
        }
    }

    fn channel(&self) -> u8 {
        [1, 6, 11][self.index % 3]
    }

    fn radio(&self, max_lvaps: u32) -> RadioInfo {
        let i = self.index;
        RadioInfo {
            index: 0,
            name: "phy0".into(),
            addr: MacAddr([0x02, 0x4d, (i >> 8) as u8, i as u8, 0, 0]),
            band: Band::Ghz2,
            channel: self.channel(),
            channels: vec![1, 6, 11],
            ht: true,
            vht: false,
            max_lvaps,
        }
    }

    /// The answers to one controller message (the switch-moment ones are
    /// held instead).
    fn on_message(
        &mut self,
        msg: ControllerMsg,
        counters: &Counters,
        now: Instant,
        out: &mut Vec<AgentMsg>,
    ) {
        let removal = matches!(msg, ControllerMsg::RemoveLvap { .. });
        let done = |id: u64, outcome: Outcome| {
            match outcome {
                Outcome::Failed { .. } => Counters::add(&counters.commands_refused, 1),
                _ => Counters::add(&counters.commands_done, 1),
            }
            AgentMsg::Result { id, outcome }
        };
        match msg {
            ControllerMsg::Network { ssid, .. } => self.ssid = ssid,
            ControllerMsg::AddLvap { id, lvap, station } => {
                let fresh = station.is_none();
                let aid = (self.hosted.len() % 2007) as u16 + 1;
                let state = station.unwrap_or_else(|| self::station(lvap.client, lvap.bssid, aid));
                let replaced = self.hosted.insert(
                    lvap.bssid,
                    Hosted {
                        client: lvap.client,
                        station: state.clone(),
                        rx_bytes: 0,
                        tx_bytes: 0,
                    },
                );
                if replaced.is_none() {
                    Counters::add(&counters.hosted, 1);
                }
                out.push(done(id, Outcome::Done));
                if fresh {
                    Counters::add(&counters.placed, 1);
                    for event in [
                        ClientEvent::Authenticated,
                        ClientEvent::Associated {
                            reassociation: false,
                        },
                        ClientEvent::Authorized,
                    ] {
                        out.push(AgentMsg::Client {
                            bssid: lvap.bssid,
                            client: lvap.client,
                            station: matches!(event, ClientEvent::Authorized)
                                .then(|| state.clone()),
                            event,
                        });
                    }
                }
            }
            ControllerMsg::ExportLvap { id, bssid } => {
                let outcome = match self.hosted.get(&bssid) {
                    Some(h) => Outcome::Station {
                        station: h.station.clone(),
                    },
                    None => Outcome::Failed {
                        reason: format!("no LVAP {bssid}"),
                    },
                };
                out.push(done(id, outcome));
            }
            // A migration's switch: answered at its moment, as a real
            // agent's radio acts then; a removal drops the LVAP.
            ControllerMsg::AuthorizeLvap { id, bssid, at, .. }
            | ControllerMsg::RemoveLvap { id, bssid, at, .. } => {
                let remove = removal.then_some(bssid);
                if self.hosted.contains_key(&bssid) {
                    self.hold(id, at.map(|t| t.0), remove, now);
                } else {
                    let reason = format!("no LVAP {bssid}");
                    out.push(done(id, Outcome::Failed { reason }));
                }
            }
            ControllerMsg::SetChannel { id, .. }
            | ControllerMsg::Subscribe { id, .. }
            | ControllerMsg::Unsubscribe { id, .. } => out.push(done(id, Outcome::Done)),
            ControllerMsg::Error { .. } => Counters::add(&counters.controller_errors, 1),
            ControllerMsg::Challenge { .. } | ControllerMsg::Welcome { .. } => {
                Counters::add(&counters.controller_errors, 1);
            }
        }
    }

    /// Holds a switch-moment answer until `at` (Unix microseconds), or
    /// answers at once.
    fn hold(&mut self, id: u64, at: Option<u64>, remove: Option<MacAddr>, now: Instant) {
        let wait = at.map_or(0, |at| at.saturating_sub(unix_us()));
        self.held.push(Held {
            due: now + Duration::from_micros(wait.min(1_000_000)),
            id,
            remove,
        });
    }

    /// The held answers now due.
    fn release(&mut self, counters: &Counters, now: Instant, out: &mut Vec<AgentMsg>) {
        while self.held.peek().is_some_and(|h| h.due <= now) {
            let Some(held) = self.held.pop() else { break };
            if let Some(bssid) = held.remove {
                if self.hosted.remove(&bssid).is_some() {
                    counters.hosted.fetch_sub(1, Ordering::Relaxed);
                }
            }
            Counters::add(&counters.commands_done, 1);
            out.push(AgentMsg::Result {
                id: held.id,
                outcome: Outcome::Done,
            });
        }
    }
}

/// Runs one simulated agent until `shutdown` (or its connection fails).
///
/// `start_at`: when it connects; `report_every`: the pace at which it
/// reports its own clients.
async fn run_agent(
    index: usize,
    config: Arc<LoadConfig>,
    counters: Arc<Counters>,
    start_at: Instant,
    report_every: Duration,
    shutdown: CancellationToken,
) -> Result<(), String> {
    tokio::select! {
        () = tokio::time::sleep_until(start_at) => {}
        () = shutdown.cancelled() => return Ok(()),
    }
    let name = agent_name(index);
    let stream = TcpStream::connect(config.controller)
        .await
        .map_err(|e| format!("{name}: connect: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("{name}: {e}"))?;
    let mut framed = Framed::new(stream, Codec::<ControllerMsg, AgentMsg>::default());
    let link = LinkConfig::new(&config.controller.to_string(), &config.secret, &name);
    handshake(&mut framed, &link)
        .await
        .map_err(|e| format!("{name}: handshake: {e}"))?;
    Counters::add(&counters.connected, 1);

    let max_lvaps = (config.clients_per_agent * 4).max(8) as u32;
    let mut agent = Agent {
        index,
        hosted: Default::default(),
        heard: Vec::new(),
        held: BinaryHeap::new(),
        ssid: Vec::new(),
        dropped: 0,
    };
    for n in 1..=config.hear_neighbours {
        let other = (index + config.agents - n % config.agents) % config.agents;
        if other == index {
            continue;
        }
        for c in 0..config.clients_per_agent {
            agent
                .heard
                .push((client_mac(other, c), -62 - 6 * n.min(5) as i8));
        }
    }
    framed
        .send(AgentMsg::Hello {
            version: PROTOCOL_VERSION,
            software: concat!("odin-load ", env!("CARGO_PKG_VERSION")).into(),
            radios: vec![agent.radio(max_lvaps)],
            lvaps: Vec::new(),
        })
        .await
        .map_err(|e| format!("{name}: {e}"))?;

    // Phases are spread at random so that 2,000 agents do not all send in
    // the same millisecond.
    let phase = |period: Duration| period.mul_f64(rand::random::<f64>());
    let now = Instant::now();
    let mut next_stats = now + phase(config.stats_interval);
    let mut next_heartbeat = now + phase(config.heartbeat_interval);
    let mut next_report = now + phase(report_every);
    let mut reported = 0;
    let mut seq = 0;
    let mut out = Vec::new();
    let result = loop {
        let next_held = agent.held.peek().map(|h| h.due);
        let reporting = reported < config.clients_per_agent;
        let mut wake = next_stats.min(next_heartbeat);
        if reporting {
            wake = wake.min(next_report);
        }
        if let Some(held) = next_held {
            wake = wake.min(held);
        }
        tokio::select! {
            () = shutdown.cancelled() => break Ok(()),
            msg = framed.next() => match msg {
                Some(Ok(Ok(msg))) => agent.on_message(msg, &counters, Instant::now(), &mut out),
                Some(Ok(Err(e))) => {
                    Counters::add(&counters.controller_errors, 1);
                    tracing::warn!(agent = %name, error = %e, "undecodable message from the controller");
                }
                Some(Err(e)) => break Err(format!("{name}: {e}")),
                None => break Err(format!("{name}: the controller closed the connection")),
            },
            () = tokio::time::sleep_until(wake) => {}
        }
        let now = Instant::now();
        agent.release(&counters, now, &mut out);
        if now >= next_heartbeat {
            seq += 1;
            out.push(AgentMsg::Heartbeat { seq });
            next_heartbeat += config.heartbeat_interval;
        }
        if now >= next_stats {
            let stats = agent.stats();
            if let AgentMsg::Stats { clients, .. } = &stats {
                Counters::add(&counters.stats_entries, clients.len() as u64);
            }
            Counters::add(&counters.stats_sent, 1);
            out.push(stats);
            next_stats += config.stats_interval;
        }
        while reported < config.clients_per_agent && now >= next_report && !agent.ssid.is_empty() {
            out.push(AgentMsg::ClientHeard {
                radio: 0,
                client: client_mac(index, reported),
                signal_dbm: -45,
                ssid: agent.ssid.clone(),
            });
            reported += 1;
            Counters::add(&counters.reported, 1);
            next_report += report_every;
        }
        if agent.ssid.is_empty() {
            next_report = now + report_every;
        }
        if !out.is_empty() {
            let mut sent = Ok(());
            for msg in out.drain(..) {
                sent = framed.feed(msg).await;
                if sent.is_err() {
                    break;
                }
            }
            if let Err(e) = sent.and(framed.flush().await) {
                break Err(format!("{name}: {e}"));
            }
        }
    };
    if result.is_err() {
        Counters::add(&counters.disconnected, 1);
    }
    result
}

/// The running load: its agents' tasks and counters.
#[derive(Debug)]
pub struct Load {
    /// What the agents did.
    pub counters: Arc<Counters>,
    /// The first errors agents met (at most 20 kept).
    pub errors: Arc<Mutex<Vec<String>>>,
    tasks: tokio::task::JoinSet<()>,
    shutdown: CancellationToken,
}

impl Load {
    /// Starts every agent (they connect at `connect_per_s` and report their
    /// clients at `placements_per_s`).
    pub fn start(config: LoadConfig) -> Load {
        let config = Arc::new(config);
        let counters = Arc::new(Counters::default());
        let errors = Arc::new(Mutex::new(Vec::new()));
        let shutdown = CancellationToken::new();
        let mut tasks = tokio::task::JoinSet::new();
        let begin = Instant::now();
        let connect_gap = Duration::from_secs_f64(1.0 / config.connect_per_s.max(0.001));
        // Each agent reports one client per `report_every`, so that all of
        // them together report `placements_per_s`.
        let report_every =
            Duration::from_secs_f64(config.agents as f64 / config.placements_per_s.max(0.001));
        for index in 0..config.agents {
            let start_at = begin + connect_gap.mul_f64(index as f64);
            let (config, counters, errors, shutdown) = (
                Arc::clone(&config),
                Arc::clone(&counters),
                Arc::clone(&errors),
                shutdown.clone(),
            );
            tasks.spawn(async move {
                if let Err(e) =
                    run_agent(index, config, counters, start_at, report_every, shutdown).await
                {
                    tracing::warn!(error = %e, "load agent stopped");
                    if let Ok(mut errors) = errors.lock() {
                        if errors.len() < 20 {
                            errors.push(e);
                        }
                    }
                }
            });
        }
        Load {
            counters,
            errors,
            tasks,
            shutdown,
        }
    }

    /// Stops every agent and waits for them.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Percentile `p` (0-100) of sorted values, by the nearest-rank method.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn client_addresses_are_distinct_unicast_and_local() {
        let a = client_mac(1999, 49);
        assert_eq!(a.0, [0x02, 0x4c, 0x07, 0xcf, 0x00, 0x31]);
        assert_ne!(client_mac(1, 0), client_mac(0, 256));
        assert_eq!(a.0[0] & 0x03, 0x02);
    }

    #[test]
    fn held_answers_leave_in_time_order() {
        let counters = Counters::default();
        let now = Instant::now();
        let mut agent = Agent {
            index: 0,
            hosted: Default::default(),
            heard: Vec::new(),
            held: BinaryHeap::new(),
            ssid: b"odin".to_vec(),
            dropped: 0,
        };
        let bssid = MacAddr([0x02, 0, 0, 0, 0, 1]);
        let mut out = Vec::new();
        agent.on_message(
            ControllerMsg::AddLvap {
                id: 1,
                lvap: odin_proto::msg::LvapSpec {
                    client: client_mac(0, 0),
                    bssid,
                    radio: 0,
                    ssid: b"odin".to_vec(),
                },
                station: None,
            },
            &counters,
            now,
            &mut out,
        );
        // The result, then authenticated, associated, authorized.
        assert_eq!(out.len(), 4);
        assert!(matches!(out[0], AgentMsg::Result { id: 1, .. }));
        out.clear();
        agent.held.push(Held {
            due: now + Duration::from_millis(20),
            id: 3,
            remove: Some(bssid),
        });
        agent.held.push(Held {
            due: now + Duration::from_millis(10),
            id: 2,
            remove: None,
        });
        agent.release(&counters, now + Duration::from_millis(15), &mut out);
        assert_eq!(out.len(), 1);
        assert!(matches!(out[0], AgentMsg::Result { id: 2, .. }));
        assert_eq!(agent.hosted.len(), 1);
        agent.release(&counters, now + Duration::from_millis(25), &mut out);
        assert!(matches!(out[1], AgentMsg::Result { id: 3, .. }));
        assert!(agent.hosted.is_empty());
        assert_eq!(Counters::get(&counters.hosted), 0);
    }
}
