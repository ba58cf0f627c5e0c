//! **channel**: picks the radios' channels from what the agents measure,
//! so that neighbouring access points do not share a channel when a
//! quieter one exists.
//!
//! # What it knows, and what it does not
//!
//! A radio measures only the channel it is on: each radio's
//! [`utilization`](odin_app::RadioInfo::utilization) is the share of time
//! its current channel was busy between its last two surveys (the agent
//! asks the driver for a survey every statistics interval; the simulated
//! medium counts the airtime of every transmission on the channel). No
//! radio reports the other channels (the survey's other entries, or an
//! off-channel scan, do not reach the app API), so the app estimates a
//! channel it is not on from:
//!
//! 1. what its **neighbours** on that channel measure now (they stand
//!    close enough to hear the same clients, so the channel is about as
//!    busy where it stands), the busiest of them;
//! 2. what the radio itself measured when it was last **on** that channel,
//!    for `memory_ms`;
//! 3. otherwise nothing: a channel no neighbour occupies and the radio
//!    has not measured counts as idle. Networks that are not ours are seen
//!    only once a radio of ours sits on their channel.
//!
//! Two radios are **neighbours** when one client was heard by both (at
//! `neighbour_signal_dbm` or better, within `neighbour_max_age_ms`; the
//! radio serving a client counts as hearing it), or when they are radios
//! of one agent on the same band. The app remembers a pair for
//! `neighbour_ttl_ms` after it last saw them share a client: on real and
//! simulated radios alike a radio hears only clients on its own channel,
//! so once two neighbours are apart they stop hearing each other's
//! clients, and forgetting them at once would let them meet again.
//!
//! # How it decides
//!
//! Every `interval_ms` (a timer) it makes at most one change:
//!
//! 1. A radio is a candidate only if it shares its channel with at least
//!    one neighbour (an access point alone on its channel stays, however
//!    busy: its own clients' traffic, which the app cannot tell from
//!    anyone else's, would follow it anywhere; unless `alone_busy_pct` is
//!    set and its utilisation reaches it, see below), reports a utilisation, its
//!    last change (by anyone) is `radio_interval_ms` ago or more and
//!    `settle_ms` has passed since (a measurement needs two surveys on the
//!    new channel), and no client of it is being moved.
//! 2. Its targets are the channels it may use (below) other than its own,
//!    each estimated as above; a channel a neighbour occupies without a
//!    fresh measurement is skipped. The best target is the least busy, then
//!    the one with the fewest neighbours on it, then the first in the
//!    list.
//! 3. The move must gain at least `hysteresis_pct` utilisation points
//!    (its channel's utilisation minus the target's estimate).
//! 4. Of the candidates, it changes the one with the largest gain, then
//!    the one serving the fewest clients (fewer clients switch), then the
//!    first by name.
//!
//! It waits for the change's result ([`Event::ActionDone`]) before the
//! next, and then for `global_interval_ms` (and at least `settle_ms`)
//! after the last channel change anywhere in the network (its own, the
//! operator's or another app's: each costs clients a switch). A change
//! that fails counts as a change for these limits: the radio is left
//! alone for `radio_interval_ms`. Every change carries its reason: the
//! channel's utilisation, the neighbours sharing it, the target's
//! estimate and where it comes from, and the gain.
//!
//! The channels a radio may use are those of its
//! [`channels`](odin_app::RadioInfo::channels) list that the band's
//! setting allows: on 2.4 GHz `channels_2ghz`, 1, 6 and 11 (the channels
//! that do not overlap) by default; on 5 and 6 GHz every channel the radio
//! lists unless `channels_5ghz` or `channels_6ghz` names some. An empty
//! list means every channel the radio lists.
//!
//! # Radios that serve clients
//!
//! [`Context::set_channel`] moves a radio's LVAPs with it, their clients
//! told by channel switch announcements (the agent switches every LVAP
//! of the radio a few beacons ahead). That is shown on the simulated
//! medium (`odin-testbed/tests/channels.rs`: the clients follow, none
//! disconnects) and on mac80211_hwsim with a real wpa_supplicant
//! (`hwsim-tests/scenarios/channel-switch.sh`: no disconnection, about
//! three 10 ms pings lost per switch), but a switch still costs each
//! client a moment. So by default the app changes only radios that serve
//! no client (`load` 0), and prefers them; `retune_served = true` lets it
//! change any radio.
//!
//! # Networks that are not ours
//!
//! An access point of another network on a radio's channel is no
//! neighbour (the app knows only our radios), so a radio alone among ours
//! on a channel that others keep busy would stay. Where the agents
//! measure utilisation from the monitor (mac80211_hwsim, drivers without
//! a survey: the airtime of frames of other networks only, the radio's
//! own LVAPs left out; see odin-agent's `agent/survey.rs`), that figure is
//! what a move leaves behind, and `alone_busy_pct` makes such a radio a
//! candidate once its utilisation reaches it. Off by default: where the
//! survey measures, its busy time includes the radio's own clients, and a
//! radio would move to a channel as busy as the one it left (once per
//! `radio_interval_ms`). `hwsim-tests/scenarios/channels.sh` shows it:
//! two radios on a neighbour's busy channel both leave it, the second
//! under this rule.
//!
//! # What the app API lacks
//!
//! * The utilisation of channels a radio is not on (the survey's other
//!   entries, an off-channel scan): hence the estimates above.
//! * How old a radio's utilisation is: the controller keeps the time of
//!   each radio's statistics, the API does not pass it on. Right after a
//!   change the controller shows the new channel with the old channel's
//!   utilisation (seen on the simulated network), hence `settle_ms`.
//! * Airtime per radio or per client: a radio's utilisation includes its
//!   own clients' traffic, which would follow it to any channel; hence a
//!   radio alone on its channel stays.
//! * Radios hearing each other: neighbours are found only through
//!   clients both hear, so two access points that interfere without a
//!   client in common are not seen as neighbours.
//! * The reason of a channel change reaches the controller's log, not its
//!   event history: `ChannelChanged` records who asked, not why.
//! * A channel change that carries LVAPs (above).
//!
//! Each look reads every client once (to find neighbours) and every
//! agent once.
//!
//! Configuration (`[apps.channel]` in the controller's configuration
//! file; every key optional):
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `interval_ms` | 10000 | how often it looks for a change (and makes at most one) |
//! | `hysteresis_pct` | 15 | a change must make the radio's channel at least this many utilisation points (0-100) quieter |
//! | `radio_interval_ms` | 1800000 | at least this long between two changes of one radio (30 min) |
//! | `global_interval_ms` | 300000 | at least this long between two changes anywhere (5 min) |
//! | `settle_ms` | 5000 | after a change, the radio's utilisation is not trusted for this long (two surveys on the new channel), and no other change comes sooner |
//! | `channels_2ghz` | [1, 6, 11] | the channels a 2.4 GHz radio may move to (empty: all the radio lists) |
//! | `channels_5ghz` | [] | the same on 5 GHz (empty: all the radio lists) |
//! | `channels_6ghz` | [] | the same on 6 GHz (empty: all the radio lists) |
//! | `neighbour_signal_dbm` | -80 | two radios that both hear one client at least this well are neighbours (dBm) |
//! | `neighbour_max_age_ms` | 10000 | signal reports older than this do not make neighbours |
//! | `neighbour_ttl_ms` | 600000 | a pair of neighbours is remembered this long after they last shared a client |
//! | `memory_ms` | 1800000 | what a radio measured on a channel counts this long after it left it |
//! | `retune_served` | false | also change radios that serve clients (see above) |
//! | `alone_busy_pct` | none | a radio sharing its channel with no neighbour is a candidate too when its utilisation reaches this many points (see "Networks that are not ours") |

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use odin_app::{
    parse_config, ActionId, App, AppError, AppKind, Band, Context, Event, Instant, LvapState,
    RadioInfo, RadioRef, TimerId,
};
use serde::Deserialize;

/// A change the controller has not answered after this long is forgotten
/// (the controller bounds every request far below this; this only keeps
/// the app from waiting forever on an answer that got lost).
pub const PENDING_LIMIT: Duration = Duration::from_secs(60);

/// The app's settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// How often the app looks for a change (ms).
    pub interval_ms: u64,
    /// The least gain worth a change, in utilisation points (0-100).
    pub hysteresis_pct: f32,
    /// The least time between two changes of one radio (ms).
    pub radio_interval_ms: u64,
    /// The least time between two changes anywhere (ms).
    pub global_interval_ms: u64,
    /// How long after a change a radio's utilisation is not trusted (ms).
    pub settle_ms: u64,
    /// The channels a 2.4 GHz radio may use (empty: all it lists).
    pub channels_2ghz: Vec<u8>,
    /// The channels a 5 GHz radio may use (empty: all it lists).
    pub channels_5ghz: Vec<u8>,
    /// The channels a 6 GHz radio may use (empty: all it lists).
    pub channels_6ghz: Vec<u8>,
    /// Two radios hearing one client at least this well are neighbours
    /// (dBm).
    pub neighbour_signal_dbm: i8,
    /// How old a signal report may be to make neighbours (ms).
    pub neighbour_max_age_ms: u64,
    /// How long a pair of neighbours is remembered (ms).
    pub neighbour_ttl_ms: u64,
    /// How long what a radio measured on a channel counts (ms).
    pub memory_ms: u64,
    /// Also change radios that serve clients.
    pub retune_served: bool,
    /// A radio alone (of ours) on its channel is a candidate when its
    /// utilisation reaches this, in points (0-100); `None`: never.
    pub alone_busy_pct: Option<f32>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            interval_ms: 10_000,
            hysteresis_pct: 15.0,
            radio_interval_ms: 1_800_000,
            global_interval_ms: 300_000,
            settle_ms: 5_000,
            channels_2ghz: vec![1, 6, 11],
            channels_5ghz: Vec::new(),
            channels_6ghz: Vec::new(),
            neighbour_signal_dbm: -80,
            neighbour_max_age_ms: 10_000,
            neighbour_ttl_ms: 600_000,
            memory_ms: 1_800_000,
            retune_served: false,
            alone_busy_pct: None,
        }
    }
}

impl Config {
    /// Reads the configuration (unknown keys refused, missing ones take
    /// their defaults) and checks it.
    pub fn parse(value: &serde_json::Value) -> Result<Config, AppError> {
        let config: Config = parse_config(value)?;
        config.check()?;
        Ok(config)
    }

    /// Refuses settings the app cannot work with.
    pub fn check(&self) -> Result<(), AppError> {
        if self.interval_ms == 0 {
            return Err(AppError::Config("interval_ms must be above 0".into()));
        }
        if !(self.hysteresis_pct > 0.0 && self.hysteresis_pct <= 100.0) {
            return Err(AppError::Config(format!(
                "hysteresis_pct must be above 0 and at most 100 (utilisation points), not {}",
                self.hysteresis_pct
            )));
        }
        if let Some(p) = self.alone_busy_pct.filter(|p| !(*p > 0.0 && *p <= 100.0)) {
            return Err(AppError::Config(format!(
                "alone_busy_pct must be above 0 and at most 100 (utilisation points), not {p}"
            )));
        }
        if let Some(c) = self.channels_2ghz.iter().find(|c| !(1..=14).contains(*c)) {
            return Err(AppError::Config(format!(
                "channels_2ghz: {c} is not a 2.4 GHz channel (1-14)"
            )));
        }
        for (key, list) in [
            ("channels_5ghz", &self.channels_5ghz),
            ("channels_6ghz", &self.channels_6ghz),
        ] {
            if list.contains(&0) {
                return Err(AppError::Config(format!("{key}: 0 is not a channel")));
            }
        }
        Ok(())
    }

    /// The configured list for a band (empty: no restriction).
    fn band_list(&self, band: Band) -> &[u8] {
        match band {
            Band::Ghz2 => &self.channels_2ghz,
            Band::Ghz5 => &self.channels_5ghz,
            Band::Ghz6 => &self.channels_6ghz,
        }
    }

    /// The channels `radio` may use, in the configuration's order (or the
    /// radio's, when the band has no list).
    pub fn allowed(&self, radio: &RadioInfo) -> Vec<u8> {
        let list = self.band_list(radio.band);
        if list.is_empty() {
            radio.channels.clone()
        } else {
            list.iter()
                .copied()
                .filter(|c| radio.channels.contains(c))
                .collect()
        }
    }

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }
}

/// How the controller makes it.
pub const KIND: AppKind = AppKind {
    name: "channel",
    about: "picks the radios' channels so that neighbouring access points avoid sharing one",
    create: |config| Ok(Box::new(ChannelSelection::new(Config::parse(config)?))),
};

/// A change asked for and not answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    action: ActionId,
    at: RadioRef,
    channel: u8,
    since: Instant,
}

/// One change the rules allow.
#[derive(Debug, Clone, PartialEq)]
struct Change {
    at: RadioRef,
    from: u8,
    to: u8,
    /// Clients the radio serves.
    load: u32,
    /// Utilisation of its channel, points.
    here: f32,
    /// The target's estimate, points.
    there: f32,
    /// The neighbours on its channel.
    sharing: Vec<RadioRef>,
    /// Where the target's estimate comes from.
    source: String,
}

impl Change {
    fn gain(&self) -> f32 {
        self.here - self.there
    }

    /// Why, for the record.
    fn reason(&self) -> String {
        let sharing: Vec<String> = self.sharing.iter().map(ToString::to_string).collect();
        let with = if sharing.is_empty() {
            "no neighbour (alone_busy_pct)".to_string()
        } else {
            sharing.join(", ")
        };
        format!(
            "{} shares channel {} with {} at {:.0}% busy; channel {}: {:.0}% ({}): {:.0} points quieter",
            self.at,
            self.from,
            with,
            self.here,
            self.to,
            self.there,
            self.source,
            self.gain(),
        )
    }
}

/// The app.
#[derive(Debug)]
pub struct ChannelSelection {
    config: Config,
    timer: Option<TimerId>,
    pending: Option<Pending>,
    /// The last change (asked for by this app, or seen) of each radio.
    changed: BTreeMap<RadioRef, Instant>,
    /// The last channel change anywhere (asked for by this app, or seen).
    last_change: Option<Instant>,
    /// Pairs of neighbours (the lesser first), when last seen sharing a
    /// client.
    neighbours: BTreeMap<(RadioRef, RadioRef), Instant>,
    /// What each radio measured on each channel (points), and when.
    memory: BTreeMap<(RadioRef, u8), (f32, Instant)>,
}

impl ChannelSelection {
    /// The app with these settings.
    pub fn new(config: Config) -> ChannelSelection {
        ChannelSelection {
            config,
            timer: None,
            pending: None,
            changed: BTreeMap::new(),
            last_change: None,
            neighbours: BTreeMap::new(),
            memory: BTreeMap::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The pairs of neighbours it knows now, each the lesser radio first.
    pub fn neighbour_pairs(&self) -> Vec<(RadioRef, RadioRef)> {
        self.neighbours.keys().cloned().collect()
    }

    fn interval(&self) -> Duration {
        Config::ms(self.config.interval_ms)
    }

    fn settling(&self, at: &RadioRef, now: Instant) -> bool {
        self.changed
            .get(at)
            .is_some_and(|t| now.saturating_since(*t) < Config::ms(self.config.settle_ms))
    }

    fn are_neighbours(&self, a: &RadioRef, b: &RadioRef) -> bool {
        let key = if a < b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        self.neighbours.contains_key(&key)
    }

    fn meet(&mut self, a: &RadioRef, b: &RadioRef, now: Instant) {
        if a == b {
            return;
        }
        let key = if a < b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        self.neighbours.insert(key, now);
    }

    /// Learns who hears whose clients, and what each radio measures.
    fn observe(&mut self, ctx: &Context<'_>, radios: &BTreeMap<RadioRef, RadioInfo>) {
        let now = ctx.now();
        let ttl = Config::ms(self.config.neighbour_ttl_ms);
        self.neighbours
            .retain(|_, seen| now.saturating_since(*seen) < ttl);
        let memory = Config::ms(self.config.memory_ms);
        self.memory
            .retain(|_, (_, when)| now.saturating_since(*when) < memory);
        let max_age = Config::ms(self.config.neighbour_max_age_ms);
        for mac in ctx.clients() {
            let Some(info) = ctx.client(mac) else {
                continue;
            };
            let mut hear: BTreeSet<RadioRef> = info
                .heard
                .iter()
                .filter(|h| {
                    h.signal_dbm >= self.config.neighbour_signal_dbm
                        && now.saturating_since(h.when) <= max_age
                })
                .map(|h| h.at.clone())
                .collect();
            if let Some(lvap) = info.lvap.as_ref().filter(|l| l.state == LvapState::Active) {
                hear.insert(lvap.at.clone());
            }
            let hear: Vec<RadioRef> = hear.into_iter().collect();
            for (i, a) in hear.iter().enumerate() {
                for b in &hear[i + 1..] {
                    self.meet(a, b, now);
                }
            }
        }
        // Radios of one agent on one band hear each other's clients.
        let all: Vec<&RadioInfo> = radios.values().collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                if a.at.agent == b.at.agent && a.band == b.band {
                    self.meet(&a.at, &b.at, now);
                }
            }
        }
        for radio in radios.values() {
            if let Some(u) = radio.utilization {
                if !self.settling(&radio.at, now) {
                    let key = (radio.at.clone(), radio.channel);
                    self.memory.insert(key, (points(u), now));
                }
            }
        }
    }

    /// A radio's utilisation now, in points, when measured and trusted.
    fn measured(&self, radio: &RadioInfo, now: Instant) -> Option<f32> {
        if self.settling(&radio.at, now) {
            return None;
        }
        radio.utilization.map(points)
    }

    /// The best change of one radio, if the rules allow one.
    fn change_of(
        &self,
        radio: &RadioInfo,
        radios: &BTreeMap<RadioRef, RadioInfo>,
        now: Instant,
    ) -> Option<Change> {
        if radio.load > 0 && !self.config.retune_served {
            return None;
        }
        if let Some(last) = self.changed.get(&radio.at) {
            if now.saturating_since(*last) < Config::ms(self.config.radio_interval_ms) {
                return None;
            }
        }
        let here = self.measured(radio, now)?;
        let neighbours: Vec<&RadioInfo> = radios
            .values()
            .filter(|n| n.at != radio.at && self.are_neighbours(&radio.at, &n.at))
            .collect();
        let sharing: Vec<RadioRef> = neighbours
            .iter()
            .filter(|n| n.channel == radio.channel)
            .map(|n| n.at.clone())
            .collect();
        if sharing.is_empty() && !self.config.alone_busy_pct.is_some_and(|p| here >= p) {
            return None;
        }
        let mut best: Option<(f32, usize, Change)> = None;
        for channel in self.config.allowed(radio) {
            if channel == radio.channel {
                continue;
            }
            let there: Vec<&&RadioInfo> =
                neighbours.iter().filter(|n| n.channel == channel).collect();
            let mut measured = Vec::new();
            let mut unknown = false;
            for n in &there {
                match self.measured(n, now) {
                    Some(u) => measured.push((u, n.at.clone())),
                    None => unknown = true,
                }
            }
            if unknown {
                continue;
            }
            let remembered = self
                .memory
                .get(&(radio.at.clone(), channel))
                .map(|(u, when)| (*u, now.saturating_since(*when)));
            let busiest = measured
                .iter()
                .map(|(u, _)| *u)
                .fold(None, |m: Option<f32>, u| Some(m.map_or(u, |m| m.max(u))));
            let (estimate, source) = match (busiest, remembered) {
                (Some(u), Some((r, _))) if r > u => (r, remembered_source(r, radio)),
                (Some(u), _) => {
                    let who: Vec<String> = measured
                        .iter()
                        .map(|(u, at)| format!("{at} measures {u:.0}%"))
                        .collect();
                    (u, who.join(", "))
                }
                (None, Some((r, _))) => (r, remembered_source(r, radio)),
                (None, None) => (
                    0.0,
                    "no neighbour there, not measured here: counted idle".to_string(),
                ),
            };
            let rank = (estimate, there.len());
            let better = match &best {
                None => true,
                Some((e, n, _)) => rank.0 < *e || (rank.0 == *e && rank.1 < *n),
            };
            if better {
                let change = Change {
                    at: radio.at.clone(),
                    from: radio.channel,
                    to: channel,
                    load: radio.load,
                    here,
                    there: estimate,
                    sharing: sharing.clone(),
                    source,
                };
                best = Some((rank.0, rank.1, change));
            }
        }
        let (_, _, change) = best?;
        (change.gain() >= self.config.hysteresis_pct).then_some(change)
    }

    /// Every change the rules allow now, best first.
    fn changes(&self, ctx: &Context<'_>, radios: &BTreeMap<RadioRef, RadioInfo>) -> Vec<Change> {
        let now = ctx.now();
        let mut changes: Vec<Change> = radios
            .values()
            .filter_map(|r| self.change_of(r, radios, now))
            .collect();
        changes.sort_by(|a, b| {
            b.gain()
                .total_cmp(&a.gain())
                .then(a.load.cmp(&b.load))
                .then(a.at.cmp(&b.at))
        });
        changes
    }

    /// The timer fired: make at most one change. Never fails: a handler
    /// that returns `Err` loses its requests, and with them the next
    /// timer.
    fn tick(&mut self, ctx: &mut Context<'_>) {
        self.timer = Some(ctx.set_timer(self.interval()));
        let now = ctx.now();
        let radios: BTreeMap<RadioRef, RadioInfo> = ctx
            .agents()
            .into_iter()
            .filter(|a| a.up)
            .flat_map(|a| a.radios)
            .map(|r| (r.at.clone(), r))
            .collect();
        self.observe(ctx, &radios);
        if let Some(pending) = &self.pending {
            if now.saturating_since(pending.since) < PENDING_LIMIT {
                return;
            }
            ctx.warn(format_args!(
                "no answer to the change of {} to channel {} after {PENDING_LIMIT:?}: forgotten",
                pending.at, pending.channel
            ));
            self.pending = None;
        }
        if let Some(last) = self.last_change {
            let gap = Config::ms(self.config.global_interval_ms.max(self.config.settle_ms));
            if now.saturating_since(last) < gap {
                return;
            }
        }
        for change in self.changes(ctx, &radios) {
            let busy = ctx
                .clients_on(&change.at)
                .into_iter()
                .find_map(|c| ctx.network().moving(c).map(|by| (c, by)));
            if let Some((client, by)) = busy {
                // A channel change under a migration would strand it.
                ctx.log(format_args!(
                    "{} not changed now: its client {client} is being moved by {by}",
                    change.at
                ));
                continue;
            }
            let reason = change.reason();
            match ctx.set_channel(&change.at, change.to, reason.clone()) {
                Ok(action) => {
                    ctx.log(format_args!("changing channel: {reason}"));
                    self.pending = Some(Pending {
                        action,
                        at: change.at.clone(),
                        channel: change.to,
                        since: now,
                    });
                    self.changed.insert(change.at, now);
                    self.last_change = Some(now);
                    return;
                }
                // The radio or its agent changed since we looked: the
                // next candidate.
                Err(
                    AppError::UnknownAgent(_)
                    | AppError::AgentDown(_)
                    | AppError::UnknownRadio(_)
                    | AppError::InvalidChannel(_),
                ) => continue,
                Err(other) => {
                    ctx.warn(format_args!("could not change {}: {other}", change.at));
                    return;
                }
            }
        }
    }
}

fn points(utilization: f32) -> f32 {
    (utilization * 100.0).clamp(0.0, 100.0)
}

fn remembered_source(u: f32, radio: &RadioInfo) -> String {
    format!("{u:.0}% when {} was last there", radio.at)
}

impl App for ChannelSelection {
    fn start(&mut self, ctx: &mut Context<'_>) -> Result<(), AppError> {
        self.timer = Some(ctx.set_timer(self.interval()));
        Ok(())
    }

    fn on_event(&mut self, ctx: &mut Context<'_>, event: &Event) -> Result<(), AppError> {
        match event {
            Event::Timer { timer } if Some(*timer) == self.timer => self.tick(ctx),
            Event::ActionDone { action, result } => {
                let Some(pending) = self.pending.take_if(|p| p.action == *action) else {
                    return Ok(());
                };
                match result {
                    Ok(()) => ctx.log(format_args!(
                        "{} is on channel {}",
                        pending.at, pending.channel
                    )),
                    Err(e) => ctx.warn(format_args!(
                        "changing {} to channel {} failed: {e}; left alone for {} ms",
                        pending.at, pending.channel, self.config.radio_interval_ms
                    )),
                }
            }
            Event::ChannelChanged { at, .. } => {
                let now = ctx.now();
                self.changed.insert(at.clone(), now);
                self.last_change = Some(now);
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use odin_app::testing::{Harness, TestNetwork};
    use odin_app::{MacAddr, Request};

    use super::*;

    fn mac(i: u8) -> MacAddr {
        MacAddr([0x02, 0, 0, 0, 0, i])
    }

    fn radio(agent: &str) -> RadioRef {
        RadioRef::new(agent, 0)
    }

    /// A network, the app, its timer, and the signal reports refreshed at
    /// every tick.
    struct Bed {
        net: TestNetwork,
        app: Harness<ChannelSelection>,
        timer: Option<(TimerId, Instant)>,
        heard: Vec<(MacAddr, String, i8)>,
    }

    impl Bed {
        /// Agents as (name, channel, utilisation 0-1).
        fn new(config: Config, agents: &[(&str, u8, f32)]) -> Bed {
            let mut net = TestNetwork::default();
            for (name, channel, u) in agents {
                net.add_agent(name, *channel);
                net.agents.get_mut(*name).expect("added").radios[0].utilization = Some(*u);
            }
            let mut app = Harness::new("channel", ChannelSelection::new(config));
            let requests = app.start(&net).expect("starts");
            let mut bed = Bed {
                net,
                app,
                timer: None,
                heard: Vec::new(),
            };
            assert_eq!(bed.take_timer(requests), vec![]);
            bed
        }

        /// A client served by `agent` and heard by the radios given.
        fn serve(&mut self, client: u8, agent: &str, heard: &[(&str, i8)]) {
            self.net.add_client(mac(client), agent);
            self.net.agents.get_mut(agent).expect("known").radios[0].load += 1;
            for (by, dbm) in heard {
                self.heard.push((mac(client), by.to_string(), *dbm));
            }
        }

        fn set(&mut self, agent: &str, utilization: f32) {
            self.net.agents.get_mut(agent).expect("known").radios[0].utilization =
                Some(utilization);
        }

        fn take_timer(&mut self, requests: Vec<Request>) -> Vec<Request> {
            let mut rest = Vec::new();
            for request in requests {
                match request {
                    Request::SetTimer { timer, at } => {
                        assert!(self.timer.is_none(), "one timer at a time");
                        self.timer = Some((timer, at));
                    }
                    other => rest.push(other),
                }
            }
            rest
        }

        /// Moves the clock to the app's timer, with fresh signal
        /// reports, and fires it.
        fn tick(&mut self) -> (u64, Vec<Request>) {
            let (timer, at) = self.timer.take().expect("a timer is set");
            self.net.now = at;
            for (client, agent, dbm) in self.heard.clone() {
                self.net.hear(client, &agent, dbm);
            }
            let requests = self
                .app
                .event(&self.net, &Event::Timer { timer })
                .expect("a tick never fails");
            let rest = self.take_timer(requests);
            assert_eq!(
                self.timer.map(|(_, t)| t),
                Some(at + Duration::from_millis(self.app.app.config.interval_ms))
            );
            (at.millis(), rest)
        }

        /// Ticks until `until` (ms), collecting (time, radio, channel) of
        /// each change, which the controller carries out at once.
        fn run(&mut self, until: u64) -> Vec<(u64, String, u8)> {
            let mut changes = Vec::new();
            while self.timer.is_some_and(|(_, at)| at.millis() <= until) {
                let (at, requests) = self.tick();
                assert!(requests.len() <= 1, "one change at a time: {requests:?}");
                if let Some(request) = requests.first() {
                    let (radio, channel) = change(request);
                    changes.push((at, radio.to_string(), channel));
                    self.complete(request);
                }
            }
            changes
        }

        fn event(&mut self, event: Event) {
            let requests = self.app.event(&self.net, &event).expect("handled");
            assert_eq!(requests, vec![], "{event:?}");
        }

        /// The controller carries the change out, 50 ms later.
        fn complete(&mut self, request: &Request) {
            let Request::SetChannel {
                action,
                at,
                channel,
                ..
            } = request
            else {
                panic!("a channel change expected: {request:?}");
            };
            self.net.now = self.net.now + Duration::from_millis(50);
            let agent = self.net.agents.get_mut(&at.agent).expect("known");
            agent.radios[0].channel = *channel;
            self.event(Event::ChannelChanged {
                at: at.clone(),
                channel: *channel,
                by: "channel".into(),
            });
            self.event(Event::ActionDone {
                action: *action,
                result: Ok(()),
            });
        }

        /// The radio refused the change, 50 ms later.
        fn fail(&mut self, request: &Request) {
            let Request::SetChannel { action, .. } = request else {
                panic!("a channel change expected: {request:?}");
            };
            self.net.now = self.net.now + Duration::from_millis(50);
            self.event(Event::ActionDone {
                action: *action,
                result: Err(AppError::Failed("the radio has 1 LVAP(s) beaconing".into())),
            });
        }

        fn channels(&self) -> Vec<u8> {
            self.net
                .agents
                .values()
                .map(|a| a.radios[0].channel)
                .collect()
        }
    }

    fn change(request: &Request) -> (&RadioRef, u8) {
        match request {
            Request::SetChannel { at, channel, .. } => (at, *channel),
            other => panic!("a channel change expected: {other:?}"),
        }
    }

    fn fast() -> Config {
        Config {
            global_interval_ms: 60_000,
            radio_interval_ms: 600_000,
            ..Config::default()
        }
    }

    #[test]
    fn two_access_points_on_a_busy_channel_part() {
        let mut bed = Bed::new(Config::default(), &[("ap1", 6, 0.4), ("ap2", 6, 0.4)]);
        // ap1 serves a client that ap2 hears too: they are neighbours.
        bed.serve(1, "ap1", &[("ap1", -45), ("ap2", -60)]);
        let (at, requests) = bed.tick();
        assert_eq!(at, 10_000);
        assert_eq!(
            requests,
            vec![Request::SetChannel {
                action: ActionId(3),
                at: radio("ap2"),
                channel: 1,
                reason: "ap2/0 shares channel 6 with ap1/0 at 40% busy; channel 1: 0% \
                         (no neighbour there, not measured here: counted idle): \
                         40 points quieter"
                    .into(),
            }]
        );
        bed.complete(&requests[0]);
        assert_eq!(bed.channels(), [6, 1]);
        assert_eq!(
            bed.app.app.neighbour_pairs(),
            [(radio("ap1"), radio("ap2"))]
        );
        // Apart, each is alone on its channel: nothing moves for hours,
        // however busy ap1's channel stays.
        bed.set("ap1", 0.6);
        bed.set("ap2", 0.02);
        assert_eq!(bed.run(4 * 3_600_000), vec![]);
        assert_eq!(bed.channels(), [6, 1]);
    }

    #[test]
    fn three_sharing_radios_end_on_three_channels() {
        let config = Config {
            retune_served: true,
            ..fast()
        };
        let agents = [("ap1", 6, 0.5), ("ap2", 6, 0.5), ("ap3", 6, 0.5)];
        let mut bed = Bed::new(config, &agents);
        let all = [("ap1", -60), ("ap2", -60), ("ap3", -60)];
        bed.serve(1, "ap1", &all);
        bed.serve(2, "ap2", &all);
        bed.serve(3, "ap3", &all);
        let (at, first) = bed.tick();
        assert_eq!((at, change(&first[0])), (10_000, (&radio("ap1"), 1)));
        bed.complete(&first[0]);
        bed.set("ap1", 0.15);
        bed.set("ap2", 0.35);
        bed.set("ap3", 0.35);
        // Channel 1 now measured at 15% by ap1, 11 still free: ap2 goes to
        // 11, once the global interval since the first change has passed
        // (at 70.05 s: the tick of 80 s).
        let (at, second) = {
            let mut next = (0, Vec::new());
            while next.1.is_empty() {
                next = bed.tick();
            }
            next
        };
        assert_eq!(
            second,
            vec![Request::SetChannel {
                action: ActionId(11),
                at: radio("ap2"),
                channel: 11,
                reason: "ap2/0 shares channel 6 with ap3/0 at 35% busy; channel 11: 0% \
                         (no neighbour there, not measured here: counted idle): \
                         35 points quieter"
                    .into(),
            }]
        );
        assert_eq!(at, 80_000);
        bed.complete(&second[0]);
        bed.set("ap2", 0.12);
        bed.set("ap3", 0.2);
        assert_eq!(bed.run(3_600_000), vec![]);
        assert_eq!(bed.channels(), [1, 11, 6]);
    }

    #[test]
    fn no_change_without_a_clear_gain() {
        // Sharing, but only 10% busy: less than the hysteresis.
        let mut bed = Bed::new(Config::default(), &[("ap1", 6, 0.1), ("ap2", 6, 0.1)]);
        bed.serve(1, "ap1", &[("ap1", -45), ("ap2", -60)]);
        assert_eq!(bed.run(600_000), vec![]);
        // 16% busy: worth it.
        bed.set("ap1", 0.16);
        bed.set("ap2", 0.16);
        assert_eq!(bed.run(610_000), [(610_000, "ap2/0".into(), 1)]);

        // Every channel taken by a neighbour: 40% on 6, 30% on 1 and 11;
        // 10 points are not enough.
        let agents = [
            ("ap1", 6, 0.4),
            ("ap2", 6, 0.4),
            ("ap3", 1, 0.3),
            ("ap4", 11, 0.3),
        ];
        let mut bed = Bed::new(Config::default(), &agents);
        let all = [("ap1", -50), ("ap2", -60), ("ap3", -60), ("ap4", -60)];
        bed.serve(1, "ap1", &all);
        assert_eq!(bed.run(600_000), vec![]);
        // Channel 1 quietens to 20%: ap2 joins ap3 there.
        bed.set("ap3", 0.2);
        let (at, requests) = bed.tick();
        assert_eq!(
            requests,
            vec![Request::SetChannel {
                action: ActionId(63),
                at: radio("ap2"),
                channel: 1,
                reason: "ap2/0 shares channel 6 with ap1/0 at 40% busy; channel 1: 20% \
                         (ap3/0 measures 20%): 20 points quieter"
                    .into(),
            }]
        );
        assert_eq!(at, 610_000);

        // A radio alone on its channel stays however busy it is, and one
        // that measures nothing cannot be judged.
        let mut bed = Bed::new(Config::default(), &[("ap1", 6, 0.9), ("ap2", 11, 0.0)]);
        bed.serve(1, "ap1", &[("ap1", -45)]);
        bed.serve(2, "ap2", &[("ap2", -45)]);
        assert_eq!(bed.run(600_000), vec![]);
        let mut bed = Bed::new(Config::default(), &[("ap1", 6, 0.9), ("ap2", 6, 0.9)]);
        bed.net.agents.get_mut("ap2").expect("known").radios[0].utilization = None;
        bed.serve(1, "ap1", &[("ap1", -45), ("ap2", -60)]);
        assert_eq!(bed.run(600_000), vec![]);
    }

    #[test]
    fn radios_that_serve_clients_stay_unless_allowed() {
        let agents = [("ap1", 6, 0.5), ("ap2", 6, 0.5)];
        let mut bed = Bed::new(Config::default(), &agents);
        bed.serve(1, "ap1", &[("ap1", -50), ("ap2", -60)]);
        bed.serve(2, "ap2", &[("ap1", -60), ("ap2", -50)]);
        assert_eq!(bed.run(600_000), vec![]);
        let config = Config {
            retune_served: true,
            ..Config::default()
        };
        let mut bed = Bed::new(config, &agents);
        bed.serve(1, "ap1", &[("ap1", -50), ("ap2", -60)]);
        bed.serve(2, "ap2", &[("ap1", -60), ("ap2", -50)]);
        bed.serve(3, "ap2", &[("ap2", -50)]);
        // Equal gains: the radio with fewer clients moves.
        assert_eq!(bed.run(600_000), [(10_000, "ap1/0".into(), 1)]);
    }

    #[test]
    fn a_radio_alone_on_a_busy_channel_moves_only_past_alone_busy_pct() {
        // Two radios on channel 1, busy with another network's traffic
        // (30 %), a client each, hearing each other's.
        let bed = |alone_busy_pct| {
            let config = Config {
                retune_served: true,
                alone_busy_pct,
                ..fast()
            };
            let mut bed = Bed::new(config, &[("ap1", 1, 0.3), ("ap2", 1, 0.3)]);
            bed.serve(1, "ap1", &[("ap1", -50), ("ap2", -60)]);
            bed.serve(2, "ap2", &[("ap1", -60), ("ap2", -50)]);
            bed
        };
        for alone_busy_pct in [None, Some(40.0)] {
            let mut bed = bed(alone_busy_pct);
            assert_eq!(bed.run(10_000), [(10_000, "ap1/0".into(), 6)]);
            // Channel 6 is quiet where ap1 is now; ap2, alone of ours on
            // channel 1, stays: without the setting, and below it.
            bed.set("ap1", 0.0);
            assert_eq!(bed.run(600_000), vec![]);
            assert_eq!(bed.channels(), [6, 1]);
        }
        let mut bed = bed(Some(20.0));
        assert_eq!(bed.run(10_000), [(10_000, "ap1/0".into(), 6)]);
        bed.set("ap1", 0.0);
        // The global interval after the first change (done at 10,050);
        // then to 11, where no neighbour is (6 is as quiet, with ap1 on it).
        let (at, requests) = bed.tick();
        assert_eq!((at, requests), (20_000, vec![]));
        let changes = bed.run(600_000);
        assert_eq!(changes, [(80_000, "ap2/0".into(), 11)]);
        assert_eq!(bed.channels(), [6, 11]);
    }

    #[test]
    fn the_reason_of_a_move_alone() {
        let config = Config {
            alone_busy_pct: Some(20.0),
            ..fast()
        };
        let mut bed = Bed::new(config, &[("ap1", 1, 0.3)]);
        let (_, requests) = bed.tick();
        let Some(Request::SetChannel { reason, .. }) = requests.first() else {
            panic!("a change expected: {requests:?}");
        };
        assert_eq!(
            reason,
            "ap1/0 shares channel 1 with no neighbour (alone_busy_pct) at 30% busy; \
             channel 6: 0% (no neighbour there, not measured here: counted idle): \
             30 points quieter"
        );
    }

    #[test]
    fn changes_are_rate_limited_per_radio_and_globally() {
        // Two pairs that do not hear each other: ap1 and ap2 on 6, ap3 and
        // ap4 on 11; ap2 and ap4 serve nobody.
        let agents = [
            ("ap1", 6, 0.4),
            ("ap2", 6, 0.4),
            ("ap3", 11, 0.4),
            ("ap4", 11, 0.4),
        ];
        let mut bed = Bed::new(fast(), &agents);
        bed.serve(1, "ap1", &[("ap1", -50), ("ap2", -60)]);
        bed.serve(2, "ap3", &[("ap3", -50), ("ap4", -60)]);
        let mut changes = bed.run(60_000);
        bed.set("ap2", 0.05);
        changes.extend(bed.run(90_000));
        bed.set("ap4", 0.05);
        // The second pair waits for the global interval (60 s from the
        // first change, at 10.05 s).
        assert_eq!(
            changes,
            [(10_000, "ap2/0".into(), 1), (80_000, "ap4/0".into(), 1)]
        );
        // At 100 s the operator puts ap1 on channel 1 too: ap1 and ap2
        // share it again, busy. ap1 serves a client; ap2 changed at 10 s:
        // it waits for its own interval (600 s), to 610.05 s. It goes to
        // 11 (it measured 6 at 40% before it left).
        bed.net.now = Instant::from_secs(100);
        bed.net.agents.get_mut("ap1").expect("known").radios[0].channel = 1;
        bed.event(Event::ChannelChanged {
            at: radio("ap1"),
            channel: 1,
            by: "api".into(),
        });
        bed.set("ap1", 0.4);
        bed.set("ap2", 0.4);
        let (_, requests) = loop {
            let next = bed.tick();
            if !next.1.is_empty() {
                break next;
            }
        };
        let Request::SetChannel {
            at,
            channel,
            reason,
            ..
        } = &requests[0]
        else {
            panic!("{requests:?}");
        };
        assert_eq!(
            (bed.net.now.millis(), at, *channel),
            (620_000, &radio("ap2"), 11)
        );
        assert_eq!(
            reason,
            "ap2/0 shares channel 1 with ap1/0 at 40% busy; channel 11: 0% \
             (no neighbour there, not measured here: counted idle): 40 points quieter"
        );
    }

    #[test]
    fn a_memory_of_a_channel_counts() {
        // ap2 left 6 for 1 where it now shares with ap3 at 30%; it
        // measured 6 at 45% when it was there, and 11 is not allowed:
        // 6 is no better, so it stays.
        let config = Config {
            channels_2ghz: vec![1, 6],
            ..fast()
        };
        let agents = [("ap1", 6, 0.45), ("ap2", 6, 0.45), ("ap3", 1, 0.0)];
        let mut bed = Bed::new(config, &agents);
        bed.serve(1, "ap1", &[("ap1", -50), ("ap2", -60)]);
        bed.serve(2, "ap3", &[("ap3", -50), ("ap2", -60)]);
        assert_eq!(bed.run(10_000), [(10_000, "ap2/0".into(), 1)]);
        bed.set("ap2", 0.3);
        bed.set("ap3", 0.3);
        // ap1 goes quiet on 6, but ap2 remembers its 45% there until
        // memory_ms (30 min) after it left.
        bed.set("ap1", 0.1);
        assert_eq!(bed.run(1_800_000), vec![]);
        // Its memory gone, ap1's 10% is what counts: ap2 returns.
        assert_eq!(bed.run(1_810_000), [(1_810_000, "ap2/0".into(), 6)]);
    }

    #[test]
    fn only_allowed_channels() {
        let config = Config {
            channels_2ghz: vec![11, 1, 6],
            ..Config::default()
        };
        let mut bed = Bed::new(config, &[("ap1", 6, 0.4), ("ap2", 6, 0.4)]);
        bed.serve(1, "ap1", &[("ap1", -45), ("ap2", -60)]);
        assert_eq!(bed.run(10_000), [(10_000, "ap2/0".into(), 11)]);
        // A radio that lists only 3, 6 and 9: none of 1 and 11 is
        // possible, and the overlapping channels are not allowed.
        let mut bed = Bed::new(Config::default(), &[("ap1", 6, 0.4), ("ap2", 6, 0.4)]);
        bed.net.agents.get_mut("ap2").expect("known").radios[0].channels = vec![3, 6, 9];
        bed.serve(1, "ap1", &[("ap1", -45), ("ap2", -60)]);
        assert_eq!(bed.run(600_000), vec![]);
        // An empty list: every channel the radio lists (here 3 first).
        let config = Config {
            channels_2ghz: Vec::new(),
            ..Config::default()
        };
        let mut bed = Bed::new(config, &[("ap1", 6, 0.4), ("ap2", 6, 0.4)]);
        bed.net.agents.get_mut("ap2").expect("known").radios[0].channels = vec![3, 6, 9];
        bed.serve(1, "ap1", &[("ap1", -45), ("ap2", -60)]);
        assert_eq!(bed.run(10_000), [(10_000, "ap2/0".into(), 3)]);
    }

    #[test]
    fn a_client_being_moved_and_a_failed_change() {
        let config = Config {
            retune_served: true,
            ..fast()
        };
        let mut bed = Bed::new(config, &[("ap1", 6, 0.5), ("ap2", 6, 0.5)]);
        bed.serve(1, "ap1", &[("ap1", -50), ("ap2", -60)]);
        bed.serve(2, "ap1", &[("ap1", -50), ("ap2", -60)]);
        bed.serve(3, "ap2", &[("ap1", -60), ("ap2", -50)]);
        // ap2 (one client) would go first, but the mobility manager is
        // moving its client: ap1 is asked instead.
        bed.net.moving.insert(mac(3), "mobility".into());
        let (at, requests) = bed.tick();
        assert_eq!((at, change(&requests[0])), (10_000, (&radio("ap1"), 1)));
        // The radio refuses. Nothing more until the global interval has
        // passed since the attempt (70 s); then ap2, whose client has
        // arrived. ap1 is left alone for its radio interval.
        bed.fail(&requests[0]);
        bed.net.moving.clear();
        let changes = bed.run(600_000);
        assert_eq!(changes, [(70_000, "ap2/0".into(), 1)]);
        assert_eq!(bed.channels(), [6, 1]);
        // An unrelated action's result and another app's timer are ignored.
        bed.event(Event::ActionDone {
            action: ActionId(999),
            result: Err(AppError::Failed("not ours".into())),
        });
        bed.event(Event::Timer {
            timer: TimerId(999),
        });
    }

    #[test]
    fn one_change_at_a_time_until_its_result() {
        // Three pairs that do not hear each other, each with an idle
        // radio; the third pair's channel is the least busy.
        let agents = [
            ("ap1", 6, 0.4),
            ("ap2", 6, 0.4),
            ("ap3", 11, 0.4),
            ("ap4", 11, 0.4),
            ("ap5", 6, 0.3),
            ("ap6", 6, 0.3),
        ];
        let config = Config {
            global_interval_ms: 0,
            settle_ms: 0,
            ..fast()
        };
        let mut bed = Bed::new(config, &agents);
        bed.serve(1, "ap1", &[("ap1", -50), ("ap2", -60)]);
        bed.serve(2, "ap3", &[("ap3", -50), ("ap4", -60)]);
        bed.serve(3, "ap5", &[("ap5", -50), ("ap6", -60)]);
        let (at, first) = bed.tick();
        assert_eq!((at, change(&first[0])), (10_000, (&radio("ap2"), 1)));
        // No answer yet: even without a global interval, nothing else.
        assert_eq!(bed.tick().1, vec![]);
        bed.complete(&first[0]);
        let (at, second) = bed.tick();
        assert_eq!((at, change(&second[0])), (30_000, (&radio("ap4"), 1)));
        // That answer never comes: given up after PENDING_LIMIT (60 s,
        // at the tick of 90 s), and the next change follows.
        let mut next = Vec::new();
        while next.is_empty() {
            let (at, requests) = bed.tick();
            next = requests
                .iter()
                .map(|r| (at, change(r).0.clone(), change(r).1))
                .collect();
        }
        assert_eq!(next, [(90_000, radio("ap6"), 1)]);
    }

    #[test]
    fn the_configuration_is_checked() {
        assert_eq!(
            Config::parse(&serde_json::Value::Null),
            Ok(Config::default())
        );
        assert_eq!(
            Config::parse(&serde_json::json!({
                "hysteresis_pct": 20.0,
                "channels_2ghz": [1, 6, 11, 14],
                "retune_served": true,
            })),
            Ok(Config {
                hysteresis_pct: 20.0,
                channels_2ghz: vec![1, 6, 11, 14],
                retune_served: true,
                ..Config::default()
            })
        );
        let refused = |value: serde_json::Value, word: &str| {
            let Err(AppError::Config(why)) = (KIND.create)(&value) else {
                panic!("{value} must be refused");
            };
            assert!(why.contains(word), "{why}");
        };
        refused(serde_json::json!({ "hysteresis": 20 }), "hysteresis");
        refused(serde_json::json!({ "hysteresis_pct": 0 }), "hysteresis_pct");
        refused(
            serde_json::json!({ "hysteresis_pct": 150 }),
            "hysteresis_pct",
        );
        refused(serde_json::json!({ "interval_ms": 0 }), "interval_ms");
        refused(serde_json::json!({ "channels_2ghz": [1, 36] }), "36");
        refused(serde_json::json!({ "channels_5ghz": [0] }), "channels_5ghz");
        refused(serde_json::json!({ "channels_2ghz": [300] }), "300");
        refused(serde_json::json!({ "retune_served": "yes" }), "yes");
        refused(serde_json::json!({ "alone_busy_pct": 0 }), "alone_busy_pct");
        refused(
            serde_json::json!({ "alone_busy_pct": 101 }),
            "alone_busy_pct",
        );
        assert_eq!(
            Config::parse(&serde_json::json!({ "alone_busy_pct": 25 })),
            Ok(Config {
                alone_busy_pct: Some(25.0),
                ..Config::default()
            })
        );
        assert!((KIND.create)(&serde_json::json!({ "interval_ms": 1000 })).is_ok());
        assert_eq!(KIND.name, "channel");
    }
}
