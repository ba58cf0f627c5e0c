//! The medium's state (radios with their kernel tables, clients, links,
//! the schedule) and the handle that shares it.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use odin_proto::msg::{Band, RadioIndex, RadioInfo};
use odin_proto::{StationFlags, StationState};
use odin_wire::ieee80211::{Frame, FrameControl, FrameType};
use odin_wire::MacAddr;
use tokio::sync::{mpsc, Notify};

use super::client::{
    ClientConfig, ClientCounters, ClientInput, LogEntry, SimClient, Transmit, TxKind,
};
use super::propagation::{Grid, LossModel, PathLoss, Position, SimRng};
use super::radio::SimRadio;
use crate::lvap::{BeaconTemplate, EarlyAnswers};
use crate::radio::{
    channel_to_freq, RadioCmd, RadioEvent, StationInfo, SurveyEntry, HEARD_INTERVAL,
};
use crate::time::Instant;

/// How the medium behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct MediumConfig {
    /// Seed of every random draw (frame loss).
    pub seed: u64,
    /// Signal from distance.
    pub path_loss: PathLoss,
    /// Loss from signal.
    pub loss: LossModel,
    /// Time from a transmission to its reception and transmit status.
    pub airtime: Duration,
    /// Transmissions of a unicast frame before it counts as lost
    /// (the first one included).
    pub retry_limit: u8,
    /// Capacity of each radio's event queue; events past it are dropped
    /// and counted (as a netlink socket overflows).
    pub event_queue: usize,
}

impl Default for MediumConfig {
    fn default() -> MediumConfig {
        MediumConfig {
            seed: 1,
            path_loss: PathLoss::default(),
            loss: LossModel::default(),
            airtime: Duration::from_micros(200),
            retry_limit: 4,
            event_queue: 1024,
        }
    }
}

/// A radio of the medium (its position in [`Medium`]'s list, not the
/// agent's [`RadioIndex`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RadioId(pub u32);

/// What a simulated radio is.
#[derive(Debug, Clone, PartialEq)]
pub struct SimRadioConfig {
    /// Its index within its agent, reported in [`RadioInfo::index`].
    pub index: RadioIndex,
    /// Its name (`"ap1-phy0"`).
    pub name: String,
    /// Its own address.
    pub addr: MacAddr,
    /// The channel it starts on.
    pub channel: u8,
    /// Channels it may be tuned to; empty: any.
    pub channels: Vec<u8>,
    /// Where it stands.
    pub position: Position,
    /// AP interfaces (LVAPs) it can host at once.
    pub max_lvaps: u32,
    /// Reported as HT capable.
    pub ht: bool,
    /// Reported as VHT capable.
    pub vht: bool,
}

impl SimRadioConfig {
    /// A radio with room for 64 LVAPs, any channel, no HT.
    pub fn new(name: &str, addr: MacAddr, channel: u8, position: Position) -> SimRadioConfig {
        SimRadioConfig {
            index: 0,
            name: name.to_string(),
            addr,
            channel,
            channels: Vec::new(),
            position,
            max_lvaps: 64,
            ht: false,
            vht: false,
        }
    }
}

/// A station entry of an AP interface, as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimStation {
    /// Flags.
    pub flags: StationFlags,
    /// Association ID (0 before association).
    pub aid: u16,
    /// Rates given at association.
    pub supported_rates: Vec<u8>,
    /// When the station was last heard (creation time until then).
    pub last_rx: Instant,
    /// Signal of its last frame, dBm.
    pub signal_dbm: Option<i8>,
    /// Bytes received from it.
    pub rx_bytes: u64,
    /// Bytes sent to it.
    pub tx_bytes: u64,
    /// Frames received from it.
    pub rx_packets: u64,
    /// Frames sent to it.
    pub tx_packets: u64,
}

/// Per-client accounting of who served and forwarded it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientTraffic {
    /// Data frames the client transmitted (retransmissions not counted).
    pub data_sent: u64,
    /// Data frames forwarded by at least one radio.
    pub forwarded: u64,
    /// Data frames forwarded by two radios or more.
    pub duplicates: u64,
    /// Data frames forwarded, by radio.
    pub by_radio: BTreeMap<RadioId, u64>,
    /// The radios that forwarded the last data frame.
    pub last_forwarders: Vec<RadioId>,
    /// The most radios that held the client authorized at once.
    pub peak_serving: usize,
    /// Station-table changes after which two radios or more held the
    /// client authorized.
    pub double_serving: u64,
}

/// Medium-wide counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MediumStats {
    /// Frames sent (a unicast frame and its retransmissions count once).
    pub frames: u64,
    /// Transmissions on the air, retransmissions included.
    pub transmissions: u64,
    /// Beacons sent.
    pub beacons: u64,
    /// Frames received by a radio or a client.
    pub deliveries: u64,
    /// Radio events dropped on a full queue.
    pub events_dropped: u64,
    /// Radio commands refused.
    pub commands_failed: u64,
    /// New clients' probes answered by a radio itself.
    pub early_answers: u64,
    /// Layer-2 update frames sent to the wired side.
    pub l2_updates: u64,
}

/// Why the medium refused to add something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimError {
    /// A client with this address exists.
    DuplicateClient,
    /// A client address must be unicast.
    NotUnicast,
    /// An SSID is at most 32 bytes.
    SsidTooLong,
}

impl core::fmt::Display for SimError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SimError::DuplicateClient => "a client with this address exists",
            SimError::NotUnicast => "a client address must be unicast",
            SimError::SsidTooLong => "an SSID is at most 32 bytes",
        })
    }
}

impl std::error::Error for SimError {}

/// One 802.11 time unit.
fn tu(n: u16) -> Duration {
    Duration::from_micros(u64::from(n) * 1024)
}

/// An AP interface (one LVAP's BSS).
#[derive(Debug)]
struct Iface {
    beacon: BeaconTemplate,
    beacon_interval: u16,
    dtim_period: u8,
    dtim_count: u8,
    /// Tells this interface's beacon jobs from an earlier one's.
    generation: u64,
    stations: BTreeMap<MacAddr, SimStation>,
    /// A channel switch being announced (`beacon` is then the
    /// announcement's).
    csa: Option<Csa>,
}

/// A channel switch an interface announces in its beacons.
#[derive(Debug)]
struct Csa {
    /// The count of the last beacon sent (the command's count before the
    /// first): as mac80211 does, each beacon carries one less, and the
    /// switch follows the beacon that carried 1.
    count: u8,
    /// Where the count goes in the tail of the announcement's beacon.
    offsets: Vec<u16>,
    /// The new channel.
    channel: u8,
    /// The beacon on the new channel.
    after: BeaconTemplate,
}

impl Iface {
    /// The next beacon: head, TIM (nothing buffered), tail; the TSF
    /// timestamp set to `now`.
    fn beacon_frame(&mut self, now: Instant) -> Vec<u8> {
        let mut frame = Vec::with_capacity(self.beacon.head.len() + 6 + self.beacon.tail.len());
        frame.extend_from_slice(&self.beacon.head);
        if let Some(ts) = frame.get_mut(24..32) {
            ts.copy_from_slice(&now.micros().to_le_bytes());
        }
        frame.extend_from_slice(&[5, 4, self.dtim_count, self.dtim_period, 0, 0]);
        frame.extend_from_slice(&self.beacon.tail);
        self.dtim_count = match self.dtim_count {
            0 => self.dtim_period.saturating_sub(1),
            n => n - 1,
        };
        frame
    }
}

#[derive(Debug)]
struct RadioState {
    info: RadioInfo,
    pos: Position,
    ifaces: BTreeMap<MacAddr, Iface>,
    /// New clients' probes this radio answers itself.
    early: Option<EarlyAnswers>,
    /// The first failure per interface since its last barrier.
    failures: BTreeMap<Option<MacAddr>, String>,
    events: mpsc::Sender<RadioEvent>,
    /// False once its [`SimRadio`] is dropped (the access point lost
    /// power): no interfaces, hears nothing, commands are ignored.
    powered: bool,
    /// When it was tuned to its channel, and that channel's busy time
    /// then: its survey counts from there.
    tuned: (Instant, Duration),
}

#[derive(Debug)]
struct ClientSlot {
    sim: SimClient,
    pos: Position,
    /// The earliest timer job pending for it.
    timer: Option<Instant>,
    /// The BSSID under which it is in `World::listeners`.
    listening: Option<MacAddr>,
}

#[derive(Debug)]
enum Job {
    Beacon {
        radio: u32,
        bssid: MacAddr,
        generation: u64,
    },
    ClientTimer {
        client: u32,
    },
    ClientAir {
        client: u32,
        frame: Vec<u8>,
        kind: TxKind,
    },
    RadioAir {
        radio: u32,
        /// The interface; `None` for a frame injected on the monitor.
        bssid: Option<MacAddr>,
        frame: Vec<u8>,
        cookie: Option<u64>,
        /// A null-data poll: acknowledged by the client's hardware, never
        /// shown to its state machine.
        poll: bool,
    },
}

#[derive(Debug)]
struct Entry {
    at: Instant,
    seq: u64,
    job: Job,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Entry) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Everything behind the medium's lock.
#[derive(Debug)]
pub(crate) struct World {
    config: MediumConfig,
    rng: SimRng,
    origin: tokio::time::Instant,
    /// The time of the last job run.
    last: Instant,
    radios: Vec<RadioState>,
    grid: Grid,
    clients: Vec<ClientSlot>,
    client_ids: HashMap<MacAddr, u32>,
    /// Clients by the BSSID they listen to (who gets a BSS's beacons).
    listeners: HashMap<MacAddr, Vec<u32>>,
    /// Signal overrides, (radio, client) → dBm.
    links: HashMap<(u32, u32), f64>,
    /// The radios each client has an override with.
    client_links: HashMap<u32, Vec<u32>>,
    queue: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    generation: u64,
    traffic: HashMap<MacAddr, ClientTraffic>,
    /// When each radio last reported each station's signal
    /// ([`RadioEvent::Heard`]).
    heard_reports: HashMap<(u32, MacAddr), Instant>,
    /// (radio, BSSID) of every interface holding the station authorized.
    serving: HashMap<MacAddr, BTreeSet<(u32, MacAddr)>>,
    stats: MediumStats,
    /// The interface of the command being executed (where its failure
    /// is recorded for the next barrier).
    executing: Option<MacAddr>,
    /// Where the wired side believes each station is: the radio of its
    /// last layer-2 update.
    wired: HashMap<MacAddr, RadioId>,
    /// Time each channel carried a transmission (`airtime` per
    /// transmission, retransmissions included), by channel number: what a
    /// radio's survey reports as busy.
    busy: Vec<Duration>,
}

impl World {
    fn new(config: MediumConfig, origin: tokio::time::Instant) -> World {
        let range = config.path_loss.distance_for(config.loss.floor_dbm());
        World {
            rng: SimRng::new(config.seed),
            grid: Grid::new(range),
            config,
            origin,
            last: Instant::ZERO,
            radios: Vec::new(),
            clients: Vec::new(),
            client_ids: HashMap::new(),
            listeners: HashMap::new(),
            links: HashMap::new(),
            client_links: HashMap::new(),
            queue: BinaryHeap::new(),
            seq: 0,
            generation: 0,
            traffic: HashMap::new(),
            heard_reports: HashMap::new(),
            serving: HashMap::new(),
            stats: MediumStats::default(),
            executing: None,
            wired: HashMap::new(),
            busy: vec![Duration::ZERO; 256],
        }
    }

    /// The medium's time: tokio's clock since the origin, never before the
    /// last job run.
    fn now(&self) -> Instant {
        let since = tokio::time::Instant::now().saturating_duration_since(self.origin);
        let clock = Instant::from_micros(u64::try_from(since.as_micros()).unwrap_or(u64::MAX));
        clock.max(self.last)
    }

    fn tokio_at(&self, at: Instant) -> tokio::time::Instant {
        self.origin + Duration::from_micros(at.micros())
    }

    fn schedule(&mut self, at: Instant, job: Job) {
        self.seq += 1;
        self.queue.push(Reverse(Entry {
            at,
            seq: self.seq,
            job,
        }));
    }

    fn next_at(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse(e)| e.at)
    }

    /// Runs every job due at or before `limit`, in time order.
    fn run_due(&mut self, limit: Instant) {
        while self.next_at().is_some_and(|at| at <= limit) {
            let Some(Reverse(entry)) = self.queue.pop() else {
                break;
            };
            self.last = self.last.max(entry.at);
            self.run(entry.job, entry.at);
        }
    }

    fn run(&mut self, job: Job, now: Instant) {
        match job {
            Job::Beacon {
                radio,
                bssid,
                generation,
            } => self.beacon(radio, bssid, generation, now),
            Job::ClientTimer { client } => {
                let Some(slot) = self.clients.get_mut(client as usize) else {
                    return;
                };
                if slot.timer == Some(now) {
                    slot.timer = None;
                    self.client_input(client, ClientInput::Tick, now);
                }
            }
            Job::ClientAir {
                client,
                frame,
                kind,
            } => self.client_air(client, &frame, kind, now),
            Job::RadioAir {
                radio,
                bssid,
                frame,
                cookie,
                poll,
            } => self.radio_air(radio, bssid, &frame, cookie, poll, now),
        }
    }

    // ---- signals -------------------------------------------------------

    fn signal(&self, radio: u32, client: u32) -> Option<f64> {
        if let Some(s) = self.links.get(&(radio, client)) {
            return Some(*s);
        }
        let r = self.radios.get(radio as usize)?;
        let c = self.clients.get(client as usize)?;
        Some(self.config.path_loss.signal_dbm(r.pos.distance(c.pos)))
    }

    /// The signal between a radio and a client on the same channel.
    fn same_channel_signal(&self, radio: u32, client: u32) -> Option<f64> {
        let r = self.radios.get(radio as usize)?;
        let c = self.clients.get(client as usize)?;
        if r.info.channel != c.sim.channel() {
            return None;
        }
        self.signal(radio, client)
    }

    // ---- clients -------------------------------------------------------

    fn add_client(
        &mut self,
        mac: MacAddr,
        ssid: &[u8],
        channel: u8,
        pos: Position,
        config: ClientConfig,
    ) -> Result<u32, SimError> {
        if !mac.is_unicast() {
            return Err(SimError::NotUnicast);
        }
        if ssid.len() > odin_wire::ie::MAX_SSID_LEN {
            return Err(SimError::SsidTooLong);
        }
        if self.client_ids.contains_key(&mac) {
            return Err(SimError::DuplicateClient);
        }
        let now = self.now();
        let id = self.clients.len() as u32;
        let mut out = Vec::new();
        let sim = SimClient::new(mac, ssid, channel, config, now, &mut out);
        self.clients.push(ClientSlot {
            sim,
            pos,
            timer: None,
            listening: None,
        });
        self.client_ids.insert(mac, id);
        self.after_client(id, now, out);
        Ok(id)
    }

    fn client_input(&mut self, client: u32, input: ClientInput<'_>, now: Instant) {
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let mut out = Vec::new();
        slot.sim.handle(input, now, &mut out);
        self.after_client(client, now, out);
    }

    /// Puts a client's frames on the air, keeps the beacon listeners and
    /// its timer job up to date.
    fn after_client(&mut self, client: u32, now: Instant, out: Vec<Transmit>) {
        let airtime = self.config.airtime;
        for tx in out {
            self.schedule(
                now + airtime,
                Job::ClientAir {
                    client,
                    frame: tx.frame,
                    kind: tx.kind,
                },
            );
        }
        let Some(slot) = self.clients.get_mut(client as usize) else {
            return;
        };
        let listening = slot.sim.listening_to();
        let previous = slot.listening;
        slot.listening = listening;
        let poll_at = slot.sim.poll_at().map(|at| {
            // A state machine asking for a tick in the past gets one a
            // microsecond later: the medium can never spin on it.
            if at <= now {
                now + Duration::from_micros(1)
            } else {
                at
            }
        });
        let schedule_timer = match (poll_at, slot.timer) {
            (Some(at), None) => Some(at),
            (Some(at), Some(pending)) if at < pending => Some(at),
            _ => None,
        };
        if let Some(at) = schedule_timer {
            slot.timer = Some(at);
            self.schedule(at, Job::ClientTimer { client });
        }
        if listening != previous {
            if let Some(old) = previous {
                if let Some(ids) = self.listeners.get_mut(&old) {
                    ids.retain(|&c| c != client);
                    if ids.is_empty() {
                        self.listeners.remove(&old);
                    }
                }
            }
            if let Some(new) = listening {
                self.listeners.entry(new).or_default().push(client);
            }
        }
    }

    /// The radios on `channel` that may hear client `client`, with the
    /// signal and the probability of reception, by radio id.
    fn radios_hearing(&self, client: u32, channel: u8, pos: Position) -> Vec<(u32, f64, f64)> {
        let mut ids = Vec::new();
        self.grid.near(channel, pos, &mut ids);
        if let Some(extra) = self.client_links.get(&client) {
            ids.extend(extra.iter().copied());
            ids.sort_unstable();
            ids.dedup();
        }
        ids.into_iter()
            .filter_map(|r| {
                let s = self.same_channel_signal(r, client)?;
                let p = self.config.loss.p_receive(s);
                (p > 0.0).then_some((r, s, p))
            })
            .collect()
    }

    fn client_air(&mut self, client: u32, frame: &[u8], kind: TxKind, now: Instant) {
        self.stats.frames += 1;
        let Some(slot) = self.clients.get(client as usize) else {
            return;
        };
        let (pos, channel, sa) = (slot.pos, slot.sim.channel(), slot.sim.mac());
        let Ok(view) = Frame::new_checked(frame) else {
            return;
        };
        let fc = view.frame_control();
        let addr1 = view.addr1();
        let unicast = addr1.is_unicast();
        let candidates = self.radios_hearing(client, channel, pos);
        let attempts = if unicast {
            self.config.retry_limit.max(1)
        } else {
            1
        };
        let mut heard = vec![false; candidates.len()];
        let mut acked = false;
        for _ in 0..attempts {
            self.stats.transmissions += 1;
            self.on_air(channel);
            for (i, &(radio, _, p)) in candidates.iter().enumerate() {
                if heard.get(i).copied().unwrap_or(true) || !self.rng.chance(p) {
                    continue;
                }
                if let Some(h) = heard.get_mut(i) {
                    *h = true;
                }
                if unicast
                    && self
                        .radios
                        .get(radio as usize)
                        .is_some_and(|r| r.ifaces.contains_key(&addr1))
                {
                    acked = true;
                }
            }
            if !unicast || acked {
                break;
            }
        }
        let is_data = fc.frame_type() == FrameType::Data && fc.subtype() & 0x4 == 0;
        let mut forwarders = Vec::new();
        for (&(radio, signal, _), _) in candidates.iter().zip(&heard).filter(|(_, h)| **h) {
            self.stats.deliveries += 1;
            if self.radio_rx(radio, frame, fc, addr1, sa, signal, now) {
                forwarders.push(RadioId(radio));
            }
        }
        if is_data {
            let traffic = self.traffic.entry(sa).or_default();
            traffic.data_sent += 1;
            if !forwarders.is_empty() {
                traffic.forwarded += 1;
            }
            if forwarders.len() > 1 {
                traffic.duplicates += 1;
            }
            for r in &forwarders {
                *traffic.by_radio.entry(*r).or_default() += 1;
            }
            traffic.last_forwarders = forwarders;
        }
        let acked = acked || !unicast;
        self.client_input(client, ClientInput::TxStatus { kind, acked }, now);
    }

    /// A radio receives a client's frame; true when it forwarded data.
    #[allow(clippy::too_many_arguments)]
    fn radio_rx(
        &mut self,
        radio: u32,
        frame: &[u8],
        fc: FrameControl,
        addr1: MacAddr,
        sa: MacAddr,
        signal: f64,
        now: Instant,
    ) -> bool {
        let signal_dbm = signal.round().clamp(-128.0, 127.0) as i8;
        // What a radio measures of every station's data, as the monitor
        // of a real one does, at most once per HEARD_INTERVAL.
        if fc.frame_type() == FrameType::Data && self.radios.get(radio as usize).is_some() {
            let last = self.heard_reports.get(&(radio, sa));
            if last.is_none_or(|t| now.saturating_since(*t) >= HEARD_INTERVAL) {
                self.heard_reports.insert((radio, sa), now);
                self.send_event(
                    radio,
                    RadioEvent::Heard {
                        sta: sa,
                        signal_dbm,
                    },
                );
            }
        }
        let Some(r) = self.radios.get_mut(radio as usize) else {
            return false;
        };
        let len = frame.len() as u64;
        let heard = |sta: &mut SimStation| {
            sta.last_rx = now;
            sta.signal_dbm = Some(signal_dbm);
            sta.rx_bytes += len;
            sta.rx_packets += 1;
        };
        let on_iface = addr1.is_unicast() && r.ifaces.contains_key(&addr1);
        match fc.frame_type() {
            FrameType::Management => {
                if on_iface {
                    if let Some(sta) = r
                        .ifaces
                        .get_mut(&addr1)
                        .and_then(|i| i.stations.get_mut(&sa))
                    {
                        heard(sta);
                    }
                } else if !addr1.is_unicast() {
                    for iface in r.ifaces.values_mut() {
                        if let Some(sta) = iface.stations.get_mut(&sa) {
                            heard(sta);
                        }
                    }
                }
                // The monitor's early answer to a new client's probe.
                let answer = r
                    .early
                    .as_ref()
                    .filter(|_| !on_iface)
                    .and_then(|e| e.answer(frame, |b| r.ifaces.contains_key(b)));
                if let Some(answer) = answer {
                    self.stats.early_answers += 1;
                    let job = Job::RadioAir {
                        radio,
                        bssid: None,
                        frame: answer,
                        cookie: None,
                        poll: false,
                    };
                    self.schedule(now + self.config.airtime, job);
                }
                let event = RadioEvent::Frame {
                    bssid: on_iface.then_some(addr1),
                    frame: frame.to_vec(),
                    signal_dbm: Some(signal_dbm),
                };
                self.send_event(radio, event);
                false
            }
            FrameType::Data if on_iface => {
                let station = r
                    .ifaces
                    .get_mut(&addr1)
                    .and_then(|i| i.stations.get_mut(&sa));
                match station {
                    Some(sta) if sta.flags.associated => {
                        heard(sta);
                        // Unauthorized: the port is closed, the frame dropped.
                        sta.flags.authorized && fc.subtype() & 0x4 == 0
                    }
                    _ => {
                        let event = RadioEvent::UnexpectedData {
                            bssid: addr1,
                            sta: sa,
                        };
                        self.send_event(radio, event);
                        false
                    }
                }
            }
            // Data for a BSS this radio does not host, control frames:
            // the kernel keeps them to itself.
            _ => false,
        }
    }

    // ---- radios --------------------------------------------------------

    fn add_radio(&mut self, config: SimRadioConfig) -> (u32, mpsc::Receiver<RadioEvent>) {
        let (tx, rx) = mpsc::channel(self.config.event_queue.max(1));
        let id = self.radios.len() as u32;
        let info = RadioInfo {
            index: config.index,
            name: config.name,
            addr: config.addr,
            band: Band::of_channel(config.channel),
            channel: config.channel,
            channels: config.channels,
            ht: config.ht,
            vht: config.vht,
            max_lvaps: config.max_lvaps,
        };
        self.grid.insert(id, info.channel, config.position);
        let tuned = (self.now(), self.busy_on(info.channel));
        self.radios.push(RadioState {
            info,
            pos: config.position,
            ifaces: BTreeMap::new(),
            early: None,
            failures: BTreeMap::new(),
            events: tx,
            powered: true,
            tuned,
        });
        (id, rx)
    }

    /// The radio loses power: its interfaces and stations vanish (their
    /// clients lose their beacons and their data path), it hears nothing
    /// more.
    pub(crate) fn power_off(&mut self, radio: u32) {
        let Some(r) = self.radios.get_mut(radio as usize) else {
            return;
        };
        if !r.powered {
            return;
        }
        r.powered = false;
        let (channel, pos) = (r.info.channel, r.pos);
        let ifaces = std::mem::take(&mut r.ifaces);
        self.grid.remove(radio, channel, pos);
        for (bssid, iface) in ifaces {
            for sta in iface.stations.keys() {
                self.refresh_serving(radio, bssid, *sta);
            }
        }
    }

    /// One transmission occupies `channel` for the airtime.
    fn on_air(&mut self, channel: u8) {
        let airtime = self.config.airtime;
        if let Some(b) = self.busy.get_mut(usize::from(channel)) {
            *b += airtime;
        }
    }

    fn busy_on(&self, channel: u8) -> Duration {
        self.busy
            .get(usize::from(channel))
            .copied()
            .unwrap_or_default()
    }

    /// Tunes a radio (and so all its interfaces) to `channel`; its survey
    /// counts from now.
    fn retune(&mut self, radio: u32, channel: u8, now: Instant) {
        let busy = self.busy_on(channel);
        let Some(r) = self.radios.get_mut(radio as usize) else {
            return;
        };
        let (old, pos) = (r.info.channel, r.pos);
        r.info.channel = channel;
        r.info.band = Band::of_channel(channel);
        r.tuned = (now, busy);
        self.grid.remove(radio, old, pos);
        self.grid.insert(radio, channel, pos);
    }

    /// The survey of a radio: its channel only, in use, with the time
    /// since it was tuned there and the time the medium's transmissions
    /// occupied that channel since (anyone's, wherever they stand: the
    /// medium keeps one busy counter per channel). No noise floor.
    fn survey(&self, radio: u32, now: Instant) -> Vec<SurveyEntry> {
        let Some(r) = self.radios.get(radio as usize) else {
            return Vec::new();
        };
        let Some(freq) = channel_to_freq(r.info.channel) else {
            return Vec::new();
        };
        let (since, busy_then) = r.tuned;
        vec![SurveyEntry {
            freq,
            noise_dbm: None,
            in_use: true,
            time: Some(now.saturating_since(since)),
            busy: Some(self.busy_on(r.info.channel).saturating_sub(busy_then)),
            ..SurveyEntry::default()
        }]
    }

    fn send_event(&mut self, radio: u32, event: RadioEvent) {
        let Some(r) = self.radios.get(radio as usize) else {
            return;
        };
        if r.events.try_send(event).is_err() {
            // Full (the agent is not reading) or closed (it is gone).
            self.stats.events_dropped += 1;
        }
    }

    fn fail(&mut self, radio: u32, command: String, error: &str) {
        self.stats.commands_failed += 1;
        if let Some(r) = self.radios.get_mut(radio as usize) {
            r.failures
                .entry(self.executing)
                .or_insert_with(|| format!("{command}: {error}"));
        }
        let event = RadioEvent::CommandFailed {
            command,
            error: error.to_string(),
        };
        self.send_event(radio, event);
    }

    fn beacon(&mut self, radio: u32, bssid: MacAddr, generation: u64, now: Instant) {
        let Some(r) = self.radios.get_mut(radio as usize) else {
            return;
        };
        let Some(iface) = r.ifaces.get_mut(&bssid) else {
            return;
        };
        if iface.generation != generation {
            return;
        }
        let interval = tu(iface.beacon_interval);
        let channel = r.info.channel;
        // A channel switch announced: this beacon carries one less.
        let mut switch = None;
        if let Some(csa) = iface.csa.as_mut() {
            csa.count = csa.count.saturating_sub(1);
            for &o in &csa.offsets {
                if let Some(octet) = iface.beacon.tail.get_mut(usize::from(o)) {
                    *octet = csa.count;
                }
            }
            if csa.count <= 1 {
                switch = Some(csa.channel);
            }
        }
        let listeners = self.listeners.get(&bssid).cloned().unwrap_or_default();
        let frame = iface.beacon_frame(now);
        if switch.is_some() {
            // The beacon that carried 1 is the last on the old channel.
            if let Some(csa) = iface.csa.take() {
                iface.beacon = csa.after;
            }
        }
        self.stats.beacons += 1;
        self.stats.frames += 1;
        self.stats.transmissions += 1;
        self.on_air(channel);
        for client in listeners {
            let Some(signal) = self.same_channel_signal(radio, client) else {
                continue;
            };
            if self.rng.chance(self.config.loss.p_receive(signal)) {
                self.stats.deliveries += 1;
                let input = ClientInput::Frame {
                    frame: &frame,
                    signal_dbm: signal,
                };
                self.client_input(client, input, now);
            }
        }
        if let Some(new_channel) = switch {
            self.retune(radio, new_channel, now);
        }
        self.schedule(
            now + interval,
            Job::Beacon {
                radio,
                bssid,
                generation,
            },
        );
    }

    fn radio_air(
        &mut self,
        radio: u32,
        bssid: Option<MacAddr>,
        frame: &[u8],
        cookie: Option<u64>,
        poll: bool,
        now: Instant,
    ) {
        // The interface went away with the frame in its queue: dropped
        // without a status, as the kernel flushes it.
        let Some(r) = self.radios.get(radio as usize) else {
            return;
        };
        if bssid.is_some_and(|b| !r.ifaces.contains_key(&b)) {
            return;
        }
        let channel = r.info.channel;
        self.stats.frames += 1;
        let Ok(view) = Frame::new_checked(frame) else {
            return;
        };
        let addr1 = view.addr1();
        let acked = if addr1.is_unicast() {
            let target = self.client_ids.get(&addr1).copied();
            let signal = target.and_then(|c| self.same_channel_signal(radio, c));
            let p = signal.map_or(0.0, |s| self.config.loss.p_receive(s));
            let mut delivered = false;
            for _ in 0..self.config.retry_limit.max(1) {
                self.stats.transmissions += 1;
                self.on_air(channel);
                if self.rng.chance(p) {
                    delivered = true;
                    break;
                }
            }
            if let Some(sta) = self
                .radios
                .get_mut(radio as usize)
                .zip(bssid)
                .and_then(|(r, b)| r.ifaces.get_mut(&b))
                .and_then(|i| i.stations.get_mut(&addr1))
            {
                sta.tx_bytes += frame.len() as u64;
                sta.tx_packets += 1;
            }
            if let (true, Some(client), Some(signal)) = (delivered, target, signal) {
                self.stats.deliveries += 1;
                if !poll {
                    let input = ClientInput::Frame {
                        frame,
                        signal_dbm: signal,
                    };
                    self.client_input(client, input, now);
                }
            }
            delivered
        } else {
            self.stats.transmissions += 1;
            self.on_air(channel);
            // Radios send broadcasts rarely (LVAPs never do): a plain
            // walk over the clients, O(clients).
            for client in 0..self.clients.len() as u32 {
                let Some(signal) = self.same_channel_signal(radio, client) else {
                    continue;
                };
                if self.rng.chance(self.config.loss.p_receive(signal)) {
                    self.stats.deliveries += 1;
                    let input = ClientInput::Frame {
                        frame,
                        signal_dbm: signal,
                    };
                    self.client_input(client, input, now);
                }
            }
            true
        };
        if let (Some(cookie), Some(bssid)) = (cookie, bssid) {
            self.send_event(
                radio,
                RadioEvent::TxStatus {
                    bssid,
                    cookie,
                    acked,
                },
            );
        }
    }

    /// The radio whose layer-2 update for `sta` came last.
    fn wired_location(&self, sta: MacAddr) -> Option<RadioId> {
        self.wired.get(&sta).copied()
    }

    /// Re-reads whether `sta` is authorized on (radio, bssid) and updates
    /// the serving index and its peak.
    fn refresh_serving(&mut self, radio: u32, bssid: MacAddr, sta: MacAddr) {
        let authorized = self
            .radios
            .get(radio as usize)
            .and_then(|r| r.ifaces.get(&bssid))
            .and_then(|i| i.stations.get(&sta))
            .is_some_and(|s| s.flags.authorized);
        let set = self.serving.entry(sta).or_default();
        if authorized {
            set.insert((radio, bssid));
        } else {
            set.remove(&(radio, bssid));
        }
        let mut radios: Vec<u32> = set.iter().map(|(r, _)| *r).collect();
        radios.dedup();
        if set.is_empty() {
            self.serving.remove(&sta);
        }
        let traffic = self.traffic.entry(sta).or_default();
        traffic.peak_serving = traffic.peak_serving.max(radios.len());
        if radios.len() > 1 {
            traffic.double_serving += 1;
        }
    }

    fn check_station(state: &StationState) -> Result<(), &'static str> {
        check_flags(state.flags)?;
        if state.flags.associated {
            if !(1..=2007).contains(&state.aid) {
                return Err("association ID outside 1-2007");
            }
            if state.supported_rates.is_empty() {
                return Err("associated station without rates");
            }
        }
        Ok(())
    }

    pub(crate) fn execute(&mut self, radio: u32, cmd: RadioCmd) {
        let now = self.now();
        self.executing = cmd.target();
        let Some(r) = self.radios.get_mut(radio as usize) else {
            return;
        };
        if !r.powered {
            return;
        }
        let max_lvaps = r.info.max_lvaps as usize;
        match cmd {
            RadioCmd::StartAp {
                bssid,
                beacon,
                ssid,
                beacon_interval,
                dtim_period,
            } => {
                let name = format!("START_AP {bssid}");
                let error = if r.ifaces.contains_key(&bssid) {
                    Some("interface already beaconing")
                } else if r.ifaces.len() >= max_lvaps {
                    Some("no room for another interface (max_lvaps)")
                } else if !bssid.is_unicast() {
                    Some("BSSID must be unicast")
                } else if beacon_interval == 0 {
                    Some("beacon interval 0")
                } else if ssid.len() > odin_wire::ie::MAX_SSID_LEN {
                    Some("SSID longer than 32 bytes")
                } else {
                    None
                };
                if let Some(error) = error {
                    return self.fail(radio, name, error);
                }
                self.generation += 1;
                let generation = self.generation;
                r.ifaces.insert(
                    bssid,
                    Iface {
                        beacon,
                        beacon_interval,
                        dtim_period: dtim_period.max(1),
                        dtim_count: 0,
                        generation,
                        stations: BTreeMap::new(),
                        csa: None,
                    },
                );
                self.schedule(
                    now + tu(beacon_interval),
                    Job::Beacon {
                        radio,
                        bssid,
                        generation,
                    },
                );
            }
            RadioCmd::StopAp { bssid } => {
                let Some(iface) = r.ifaces.remove(&bssid) else {
                    return self.fail(radio, format!("STOP_AP {bssid}"), "no such interface");
                };
                for sta in iface.stations.keys() {
                    self.refresh_serving(radio, bssid, *sta);
                }
            }
            RadioCmd::SendFrame {
                bssid,
                frame,
                cookie,
            } => {
                let name = format!("FRAME {bssid}");
                if !r.ifaces.contains_key(&bssid) {
                    return self.fail(radio, name, "no such interface");
                }
                let ok = Frame::new_checked(&frame[..]).is_ok_and(|f| {
                    f.frame_control().frame_type() == FrameType::Management
                        && f.addr2() == Some(bssid)
                });
                if !ok {
                    return self.fail(radio, name, "not a management frame from this interface");
                }
                let at = now + self.config.airtime;
                self.schedule(
                    at,
                    Job::RadioAir {
                        radio,
                        bssid: Some(bssid),
                        frame,
                        cookie,
                        poll: false,
                    },
                );
            }
            RadioCmd::EarlyAnswers(early) => r.early = early.map(|e| *e),
            RadioCmd::Barrier { token, bssid } => {
                let failure = r.failures.remove(&bssid);
                self.send_event(radio, RadioEvent::Done { token, failure });
            }
            RadioCmd::AddStation { bssid, state } => {
                let name = format!("NEW_STATION {bssid} {}", state.sta);
                let Some(iface) = r.ifaces.get_mut(&bssid) else {
                    return self.fail(radio, name, "no such interface");
                };
                if iface.stations.contains_key(&state.sta) {
                    return self.fail(radio, name, "station exists");
                }
                if !state.sta.is_unicast() {
                    return self.fail(radio, name, "station address must be unicast");
                }
                if let Err(error) = Self::check_station(&state) {
                    return self.fail(radio, name, error);
                }
                iface.stations.insert(
                    state.sta,
                    SimStation {
                        flags: state.flags,
                        aid: state.aid,
                        supported_rates: state.supported_rates,
                        last_rx: now,
                        signal_dbm: None,
                        rx_bytes: 0,
                        tx_bytes: 0,
                        rx_packets: 0,
                        tx_packets: 0,
                    },
                );
                self.refresh_serving(radio, bssid, state.sta);
            }
            RadioCmd::UpdateStation { bssid, state } => {
                let name = format!("SET_STATION {bssid} {}", state.sta);
                let Some(sta) = r
                    .ifaces
                    .get_mut(&bssid)
                    .and_then(|i| i.stations.get_mut(&state.sta))
                else {
                    return self.fail(radio, name, "no such station");
                };
                if sta.flags.associated {
                    return self.fail(radio, name, "associated: parameters cannot change");
                }
                if let Err(error) = Self::check_station(&state) {
                    return self.fail(radio, name, error);
                }
                sta.flags = state.flags;
                sta.aid = state.aid;
                sta.supported_rates = state.supported_rates;
                self.refresh_serving(radio, bssid, state.sta);
            }
            RadioCmd::SetStationFlags { bssid, sta, flags } => {
                let name = format!("SET_STATION {bssid} {sta} flags");
                let Some(entry) = r
                    .ifaces
                    .get_mut(&bssid)
                    .and_then(|i| i.stations.get_mut(&sta))
                else {
                    return self.fail(radio, name, "no such station");
                };
                if let Err(error) = check_flags(flags) {
                    return self.fail(radio, name, error);
                }
                if flags.associated && entry.aid == 0 {
                    return self.fail(radio, name, "associated flag without association");
                }
                entry.flags = flags;
                self.refresh_serving(radio, bssid, sta);
            }
            RadioCmd::RemoveStation { bssid, sta } => {
                let removed = r
                    .ifaces
                    .get_mut(&bssid)
                    .and_then(|i| i.stations.remove(&sta));
                if removed.is_none() {
                    return self.fail(
                        radio,
                        format!("DEL_STATION {bssid} {sta}"),
                        "no such station",
                    );
                }
                self.refresh_serving(radio, bssid, sta);
            }
            RadioCmd::QueryStation { bssid, sta } => {
                let info = r
                    .ifaces
                    .get(&bssid)
                    .and_then(|i| i.stations.get(&sta))
                    .map(|s| StationInfo {
                        inactive: now.saturating_since(s.last_rx),
                        signal_dbm: s.signal_dbm,
                        rx_bytes: s.rx_bytes,
                        tx_bytes: s.tx_bytes,
                        tx_rate_kbps: None,
                        rx_rate_kbps: None,
                    });
                match info {
                    Some(info) => {
                        self.send_event(radio, RadioEvent::StationInfo { bssid, sta, info })
                    }
                    None => self.fail(
                        radio,
                        format!("GET_STATION {bssid} {sta}"),
                        "no such station",
                    ),
                }
            }
            RadioCmd::PollClient { bssid, sta, cookie } => {
                let exists = r
                    .ifaces
                    .get(&bssid)
                    .is_some_and(|i| i.stations.contains_key(&sta));
                if !exists {
                    return self.fail(
                        radio,
                        format!("PROBE_CLIENT {bssid} {sta}"),
                        "no such station",
                    );
                }
                let frame = null_frame(bssid, sta);
                let at = now + self.config.airtime;
                self.schedule(
                    at,
                    Job::RadioAir {
                        radio,
                        bssid: Some(bssid),
                        frame,
                        cookie: Some(cookie),
                        poll: true,
                    },
                );
            }
            RadioCmd::SetChannel { channel } => {
                if !r.info.channels.is_empty() && !r.info.channels.contains(&channel) {
                    return self.fail(
                        radio,
                        format!("SET_CHANNEL {channel}"),
                        "channel not allowed",
                    );
                }
                self.retune(radio, channel, now);
            }
            RadioCmd::AnnounceStation { bssid, sta } => {
                if !r.ifaces.contains_key(&bssid) {
                    return self.fail(
                        radio,
                        format!("L2 update {sta} on {bssid}"),
                        "no such interface",
                    );
                }
                self.stats.l2_updates += 1;
                self.wired.insert(sta, RadioId(radio));
            }
            RadioCmd::SetBeacon { bssid, beacon } => {
                let Some(iface) = r.ifaces.get_mut(&bssid) else {
                    return self.fail(radio, format!("SET_BEACON {bssid}"), "no such interface");
                };
                if iface.csa.is_some() {
                    // mac80211 answers EBUSY during a channel switch.
                    return self.fail(
                        radio,
                        format!("SET_BEACON {bssid}"),
                        "channel switch running",
                    );
                }
                iface.beacon = beacon;
            }
            // Held by `SimRadio` (the agent's side), never sent here.
            RadioCmd::Hold { .. } => {}
            RadioCmd::Survey => {
                let entries = self.survey(radio, now);
                self.send_event(
                    radio,
                    RadioEvent::Survey {
                        entries,
                        airtime: None,
                    },
                );
            }
            RadioCmd::ChannelSwitch {
                bssid,
                channel,
                count,
                block_tx: _,
                beacon_csa,
                csa_counter_offsets,
                beacon_after,
            } => {
                let name = format!("CHANNEL_SWITCH {bssid} to {channel}");
                let allowed = r.info.channels.is_empty() || r.info.channels.contains(&channel);
                let current = r.info.channel;
                let Some(iface) = r.ifaces.get_mut(&bssid) else {
                    return self.fail(radio, name, "no such interface");
                };
                // What cfg80211 and mac80211 refuse.
                let counts_ok = !csa_counter_offsets.is_empty()
                    && csa_counter_offsets
                        .iter()
                        .all(|&o| beacon_csa.tail.get(usize::from(o)) == Some(&count));
                let error = if !allowed {
                    Some("channel not allowed")
                } else if channel == current {
                    Some("already on that channel")
                } else if iface.csa.is_some() {
                    Some("a channel switch is in progress")
                } else if !counts_ok {
                    Some("CSA counter offsets missing or not holding the count")
                } else {
                    None
                };
                if let Some(error) = error {
                    return self.fail(radio, name, error);
                }
                if count <= 1 {
                    // At once, as mac80211 does: no beacon announces it.
                    iface.beacon = beacon_after;
                    self.retune(radio, channel, now);
                } else {
                    iface.beacon = beacon_csa;
                    iface.csa = Some(Csa {
                        count,
                        offsets: csa_counter_offsets,
                        channel,
                        after: beacon_after,
                    });
                }
            }
        }
    }
}

/// Flag combinations the kernel refuses.
fn check_flags(flags: StationFlags) -> Result<(), &'static str> {
    if flags.authorized && !flags.associated {
        return Err("authorized without associated");
    }
    if flags.associated && !flags.authenticated {
        return Err("associated without authenticated");
    }
    Ok(())
}

/// A null data frame from `bssid` to `sta` (PROBE_CLIENT).
fn null_frame(bssid: MacAddr, sta: MacAddr) -> Vec<u8> {
    let mut bytes = vec![0u8; 24];
    let mut frame = Frame::new_unchecked(&mut bytes[..]);
    // Data, subtype 4 (null), From DS.
    frame.set_frame_control(FrameControl(0x0248));
    frame.set_addr1(sta);
    frame.set_addr2(bssid);
    frame.set_addr3(bssid);
    bytes
}

#[derive(Debug)]
struct Shared {
    // A plain mutex: every critical section is short, synchronous work on
    // the world (a command, a batch of due jobs, a query), and it is never
    // held across an `.await` — the driver drops it before sleeping, and
    // radio events leave through `try_send` on bounded queues — so no task
    // can wait on it for long and no async mutex is needed.
    world: Mutex<World>,
    /// Wakes the driver when a job was scheduled.
    wake: Arc<Notify>,
}

/// The simulated air and every kernel on it: a cheap-to-clone handle.
///
/// See the [module documentation](crate::sim) for the model.
#[derive(Debug, Clone)]
pub struct Medium {
    shared: Arc<Shared>,
}

impl Medium {
    /// A medium whose time starts now. Nothing moves until [`Medium::run`]
    /// is polled; [`Medium::spawn`] does both.
    pub fn new(config: MediumConfig) -> Medium {
        Medium {
            shared: Arc::new(Shared {
                world: Mutex::new(World::new(config, tokio::time::Instant::now())),
                wake: Arc::new(Notify::new()),
            }),
        }
    }

    /// A medium with its driver spawned on the current tokio runtime
    /// (like `tokio::spawn`, it must be called from within one).
    pub fn spawn(config: MediumConfig) -> Medium {
        let medium = Medium::new(config);
        tokio::spawn(medium.run());
        medium
    }

    /// The driver: runs beacons, client timers and transmissions when
    /// due, sleeping on tokio's clock in between (so paused time jumps
    /// straight to the next job). Ends once every handle is dropped.
    pub fn run(&self) -> impl Future<Output = ()> + Send + 'static {
        let weak: Weak<Shared> = Arc::downgrade(&self.shared);
        let wake = self.shared.wake.clone();
        async move {
            loop {
                let next = {
                    let Some(shared) = weak.upgrade() else {
                        return;
                    };
                    let mut world = lock(&shared.world);
                    let now = world.now();
                    world.run_due(now);
                    world.next_at().map(|at| world.tokio_at(at))
                };
                match next {
                    Some(at) => {
                        tokio::select! {
                            biased;
                            () = wake.notified() => {}
                            () = tokio::time::sleep_until(at) => {}
                        }
                    }
                    None => wake.notified().await,
                }
            }
        }
    }

    fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.shared.world)
    }

    fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// The medium's time (since its creation).
    pub fn now(&self) -> Instant {
        self.world().now()
    }

    /// The tokio instant of a medium time.
    pub fn tokio_instant(&self, at: Instant) -> tokio::time::Instant {
        self.world().tokio_at(at)
    }

    /// Adds a radio; the [`SimRadio`] is its kernel and driver, for the
    /// agent.
    pub fn add_radio(&self, config: SimRadioConfig) -> SimRadio {
        let (id, events) = self.world().add_radio(config);
        SimRadio::new(self.clone(), RadioId(id), events)
    }

    /// Adds a client station that starts scanning at once.
    pub fn add_client(
        &self,
        mac: MacAddr,
        ssid: &[u8],
        channel: u8,
        position: Position,
        config: ClientConfig,
    ) -> Result<ClientHandle, SimError> {
        self.world()
            .add_client(mac, ssid, channel, position, config)?;
        self.wake();
        Ok(ClientHandle {
            medium: self.clone(),
            mac,
        })
    }

    /// A handle on an existing client.
    pub fn client(&self, mac: MacAddr) -> Option<ClientHandle> {
        self.world()
            .client_ids
            .contains_key(&mac)
            .then(|| ClientHandle {
                medium: self.clone(),
                mac,
            })
    }

    /// Moves a client; false if there is none with that address.
    pub fn move_client(&self, mac: MacAddr, position: Position) -> bool {
        let mut world = self.world();
        let Some(id) = world.client_ids.get(&mac).copied() else {
            return false;
        };
        match world.clients.get_mut(id as usize) {
            Some(slot) => {
                slot.pos = position;
                true
            }
            None => false,
        }
    }

    /// Moves a radio; false if there is none with that id.
    pub fn move_radio(&self, radio: RadioId, position: Position) -> bool {
        let mut world = self.world();
        let Some(r) = world.radios.get_mut(radio.0 as usize) else {
            return false;
        };
        if !r.powered {
            return false;
        }
        let (channel, old) = (r.info.channel, r.pos);
        r.pos = position;
        world.grid.remove(radio.0, channel, old);
        world.grid.insert(radio.0, channel, position);
        true
    }

    /// Fixes the signal between a radio and a client (both ways), or
    /// with `None` goes back to the path-loss model. False if either is
    /// unknown.
    pub fn set_link(&self, radio: RadioId, client: MacAddr, signal_dbm: Option<f64>) -> bool {
        let mut world = self.world();
        let Some(c) = world.client_ids.get(&client).copied() else {
            return false;
        };
        if world.radios.get(radio.0 as usize).is_none() {
            return false;
        }
        let partners = world.client_links.entry(c).or_default();
        match signal_dbm {
            Some(s) => {
                if !partners.contains(&radio.0) {
                    partners.push(radio.0);
                }
                world.links.insert((radio.0, c), s);
            }
            None => {
                partners.retain(|&r| r != radio.0);
                world.links.remove(&(radio.0, c));
            }
        }
        true
    }

    /// The signal between a radio and a client, dBm (whatever their
    /// channels).
    pub fn signal(&self, radio: RadioId, client: MacAddr) -> Option<f64> {
        let world = self.world();
        let c = world.client_ids.get(&client).copied()?;
        world.signal(radio.0, c)
    }

    /// The radios holding `client` authorized on one of their interfaces,
    /// by id. The invariant a migration keeps: at most one, always.
    pub fn serving_radios(&self, client: MacAddr) -> Vec<RadioId> {
        let world = self.world();
        let mut radios: Vec<RadioId> = world
            .serving
            .get(&client)
            .map(|set| set.iter().map(|(r, _)| RadioId(*r)).collect())
            .unwrap_or_default();
        radios.dedup();
        radios
    }

    /// The radio the wired side sends `client`'s frames to: the one whose
    /// layer-2 update for it came last.
    pub fn wired_location(&self, client: MacAddr) -> Option<RadioId> {
        self.world().wired_location(client)
    }

    /// Who forwarded `client`'s data, and how many radios ever served it
    /// at once.
    pub fn traffic(&self, client: MacAddr) -> ClientTraffic {
        self.world()
            .traffic
            .get(&client)
            .cloned()
            .unwrap_or_default()
    }

    /// Medium-wide counters.
    pub fn stats(&self) -> MediumStats {
        self.world().stats
    }

    /// What a radio is now.
    pub fn radio_info(&self, radio: RadioId) -> Option<RadioInfo> {
        self.world()
            .radios
            .get(radio.0 as usize)
            .map(|r| r.info.clone())
    }

    /// The BSSIDs of a radio's AP interfaces.
    pub fn interfaces(&self, radio: RadioId) -> Vec<MacAddr> {
        self.world()
            .radios
            .get(radio.0 as usize)
            .map(|r| r.ifaces.keys().copied().collect())
            .unwrap_or_default()
    }

    /// A station entry of a radio's interface.
    pub fn station(&self, radio: RadioId, bssid: MacAddr, sta: MacAddr) -> Option<SimStation> {
        self.world()
            .radios
            .get(radio.0 as usize)?
            .ifaces
            .get(&bssid)?
            .stations
            .get(&sta)
            .cloned()
    }

    /// Powers a radio off (what dropping its [`SimRadio`] does).
    pub fn power_off(&self, radio: RadioId) {
        self.world().power_off(radio.0);
        self.wake();
    }

    pub(crate) fn execute(&self, radio: RadioId, cmd: RadioCmd) {
        self.world().execute(radio.0, cmd);
        self.wake();
    }

    fn with_client<T>(&self, mac: MacAddr, f: impl FnOnce(&ClientSlot) -> T) -> Option<T> {
        let world = self.world();
        let id = world.client_ids.get(&mac).copied()?;
        world.clients.get(id as usize).map(f)
    }
}

fn lock(world: &Mutex<World>) -> MutexGuard<'_, World> {
    // A panic while holding the lock can only come from a bug in the
    // medium; the world is still usable for the test to report it.
    world.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A handle on one client of the medium.
#[derive(Debug, Clone)]
pub struct ClientHandle {
    medium: Medium,
    mac: MacAddr,
}

impl ClientHandle {
    /// Its address.
    pub fn mac(&self) -> MacAddr {
        self.mac
    }

    /// A copy of its state machine.
    pub fn snapshot(&self) -> Option<SimClient> {
        self.medium.with_client(self.mac, |s| s.sim.clone())
    }

    /// The BSS it is connected to.
    pub fn bssid(&self) -> Option<MacAddr> {
        self.medium
            .with_client(self.mac, |s| s.sim.bssid())
            .flatten()
    }

    /// True when associated.
    pub fn is_connected(&self) -> bool {
        self.medium
            .with_client(self.mac, |s| s.sim.is_connected())
            .unwrap_or(false)
    }

    /// Connections lost so far.
    pub fn disconnections(&self) -> u64 {
        self.medium
            .with_client(self.mac, |s| s.sim.disconnections())
            .unwrap_or(0)
    }

    /// Its counters.
    pub fn counters(&self) -> ClientCounters {
        self.medium
            .with_client(self.mac, |s| s.sim.counters())
            .unwrap_or_default()
    }

    /// Its log, oldest first.
    pub fn log(&self) -> Vec<LogEntry> {
        self.medium
            .with_client(self.mac, |s| s.sim.log().copied().collect())
            .unwrap_or_default()
    }

    /// Where it is.
    pub fn position(&self) -> Option<Position> {
        self.medium.with_client(self.mac, |s| s.pos)
    }

    /// Moves it.
    pub fn move_to(&self, position: Position) {
        self.medium.move_client(self.mac, position);
    }
}
