//! **balancer**: spreads clients over the radios that hear them well
//! enough, so that no radio serves many more clients than another that
//! could take some of them.
//!
//! # What it balances
//!
//! The number of clients per radio: each radio's
//! [`load`](odin_app::RadioInfo::load), the LVAPs it hosts (a client
//! being moved to it counts there already). The app API has no better
//! measure of a radio's work yet:
//! [`utilization`](odin_app::RadioInfo::utilization) is the share of time
//! the *channel* was busy, which on a channel the radios share does not
//! change when a client moves between them, and a client's traffic is only
//! its byte counters at each radio ([`odin_app::ClientStats`]), from which
//! an app would have to derive rates itself, sample by sample. Counting
//! clients is simple, known at once for every radio, and cannot be fooled
//! by a burst.
//!
//! When every radio's load is within `min_difference` of every other's,
//! a look costs one read of the agents. Otherwise the app reads every
//! client once (the API has no list of the clients of one radio).
//!
//! # How it decides
//!
//! Every `interval_ms` (a timer) it looks for one move, and makes at most
//! one:
//!
//! 1. A client can move from the radio serving it to another radio of an
//!    up agent that heard it at `min_signal_dbm` or better within the
//!    last `max_age_ms`, and has room for another LVAP. Clients that only
//!    their own radio hears well stay where they are.
//! 2. The move must take it from a radio serving at least
//!    `min_difference` (2 or more) clients more than the target. After the
//!    move the target serves no more than the source does, so no later
//!    round can move a client back: no oscillation. A 5/4 split stays.
//! 3. Of the moves allowed, it makes the one between the radios whose
//!    loads differ most; then the one to the radio that hears the client
//!    best; then the lowest client address (so that a decision can be
//!    predicted).
//!
//! It waits for the move's outcome (the action's result, the client's
//! `LvapMoved` or `HandoffFailed`) before it makes another. A client it
//! moved, whose move failed, or that another app moved, is left alone for
//! `client_cooldown_ms`. A client another app (the mobility manager, say)
//! is moving is skipped ([`AppError::ClientBusy`]). Every move carries its
//! reason: both radios' client counts before and after, and the client's
//! signal at both.
//!
//! Configuration (`[apps.balancer]` in the controller's configuration
//! file; every key optional):
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `min_signal_dbm` | -70 | a radio can take a client only if it hears it at least this well (dBm) |
//! | `max_age_ms` | 5000 | signal reports older than this do not count |
//! | `min_difference` | 2 | move a client only from a radio serving at least this many more clients than the target; 2 or more |
//! | `interval_ms` | 5000 | how often it looks, and so at most one move per this long |
//! | `client_cooldown_ms` | 60000 | a client moved (by this app or another) or whose move failed is left alone this long |

use std::collections::BTreeMap;
use std::time::Duration;

use odin_app::{
    parse_config, ActionId, App, AppError, AppKind, Context, Event, Instant, LvapState, MacAddr,
    RadioRef, TimerId,
};
use serde::Deserialize;

/// A move the controller has not answered after this long is forgotten
/// (the controller bounds every step of a handoff far below this; this
/// only keeps the app from waiting forever on an answer that got lost).
pub const PENDING_LIMIT: Duration = Duration::from_secs(60);

/// The app's settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// A radio can take a client only if it hears it at least this well
    /// (dBm).
    pub min_signal_dbm: i8,
    /// How old a signal report may be to count (ms).
    pub max_age_ms: u64,
    /// How many more clients the source must serve than the target
    /// (at least 2).
    pub min_difference: u32,
    /// How often the app looks for a move, and makes at most one (ms).
    pub interval_ms: u64,
    /// How long a client that was moved, or whose move failed, is left
    /// alone (ms).
    pub client_cooldown_ms: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            min_signal_dbm: -70,
            max_age_ms: 5000,
            min_difference: 2,
            interval_ms: 5000,
            client_cooldown_ms: 60_000,
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
        if self.min_difference < 2 {
            return Err(AppError::Config(
                "min_difference must be at least 2: with less, a move would leave the target \
                 busier than the source, and the next round would move a client back"
                    .into(),
            ));
        }
        if self.interval_ms == 0 {
            return Err(AppError::Config("interval_ms must be above 0".into()));
        }
        Ok(())
    }
}

/// How the controller makes it.
pub const KIND: AppKind = AppKind {
    name: "balancer",
    about: "spreads clients over the access points that hear them well, by client count",
    create: |config| Ok(Box::new(Balancer::new(Config::parse(config)?))),
};

/// A move asked for and not answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    action: ActionId,
    client: MacAddr,
    since: Instant,
}

/// A radio that could take clients.
#[derive(Debug, Clone, Copy)]
struct Room {
    load: u32,
    max_lvaps: u32,
}

/// One move the rules allow.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Move {
    client: MacAddr,
    from: RadioRef,
    to: RadioRef,
    /// Clients at `from` and `to` before the move.
    loads: (u32, u32),
    /// The client's signal at `to`, and at `from` if recently reported.
    signals: (i8, Option<i8>),
}

impl Move {
    /// How much busier the source is than the target.
    fn gap(&self) -> u32 {
        self.loads.0.saturating_sub(self.loads.1)
    }

    /// Why, for the record.
    fn reason(&self) -> String {
        let (from, to) = self.loads;
        let here = match self.signals.1 {
            Some(dbm) => format!("{dbm} dBm"),
            None => "no recent signal".to_string(),
        };
        format!(
            "{} serves {from} clients, {} {to}: {} and {} after the move; \
             signal {} dBm at {}, {here} at {}",
            self.from,
            self.to,
            from.saturating_sub(1),
            to.saturating_add(1),
            self.signals.0,
            self.to,
            self.from,
        )
    }
}

/// The app.
#[derive(Debug)]
pub struct Balancer {
    config: Config,
    timer: Option<TimerId>,
    pending: Option<Pending>,
    /// Clients left alone, until when.
    cooling: BTreeMap<MacAddr, Instant>,
}

impl Balancer {
    /// The app with these settings.
    pub fn new(config: Config) -> Balancer {
        Balancer {
            config,
            timer: None,
            pending: None,
            cooling: BTreeMap::new(),
        }
    }

    fn interval(&self) -> Duration {
        Duration::from_millis(self.config.interval_ms)
    }

    fn cool(&mut self, client: MacAddr, now: Instant) {
        let until = now + Duration::from_millis(self.config.client_cooldown_ms);
        self.cooling.insert(client, until);
    }

    /// The timer fired: make at most one move. Never fails: a handler
    /// that returns `Err` loses its requests, and with them the next
    /// timer.
    fn tick(&mut self, ctx: &mut Context<'_>) {
        self.timer = Some(ctx.set_timer(self.interval()));
        let now = ctx.now();
        self.cooling.retain(|_, until| *until > now);
        if let Some(pending) = &self.pending {
            if now.saturating_since(pending.since) < PENDING_LIMIT {
                return;
            }
            ctx.warn(format_args!(
                "no answer to the move of {} after {PENDING_LIMIT:?}: forgotten",
                pending.client
            ));
            self.pending = None;
        }
        for candidate in self.moves(ctx) {
            let reason = candidate.reason();
            let asked = ctx.handoff_to(
                candidate.client,
                &candidate.to.agent,
                Some(candidate.to.radio),
                reason.clone(),
            );
            match asked {
                Ok(action) => {
                    ctx.log(format_args!("moving {}: {reason}", candidate.client));
                    self.pending = Some(Pending {
                        action,
                        client: candidate.client,
                        since: now,
                    });
                    self.cool(candidate.client, now);
                    return;
                }
                // Another app (or the operator) is moving it, or it or the
                // target changed since we looked: try the next move.
                Err(
                    AppError::ClientBusy { .. }
                    | AppError::NoLvap(_)
                    | AppError::UnknownClient(_)
                    | AppError::AgentDown(_)
                    | AppError::AlreadyThere,
                ) => continue,
                Err(other) => {
                    ctx.warn(format_args!("could not move {}: {other}", candidate.client));
                    return;
                }
            }
        }
    }

    /// Every move the rules allow now, best first.
    fn moves(&self, ctx: &Context<'_>) -> Vec<Move> {
        let now = ctx.now();
        let max_age = Duration::from_millis(self.config.max_age_ms);
        let min_difference = self.config.min_difference;
        let rooms: BTreeMap<RadioRef, Room> = ctx
            .agents()
            .into_iter()
            .filter(|a| a.up)
            .flat_map(|a| a.radios)
            .map(|r| {
                let room = Room {
                    load: r.load,
                    max_lvaps: r.max_lvaps,
                };
                (r.at, room)
            })
            .collect();
        let least = rooms.values().map(|r| r.load).min().unwrap_or(0);
        let most = rooms.values().map(|r| r.load).max().unwrap_or(0);
        if most < least.saturating_add(min_difference) {
            // Balanced as far as the rules go: no client need be read.
            return Vec::new();
        }
        let mut moves = Vec::new();
        // Only the clients of radios busy enough to give one away.
        let busy = rooms
            .iter()
            .filter(|(_, r)| r.load >= least.saturating_add(min_difference))
            .flat_map(|(at, _)| ctx.clients_on(at));
        for client in busy {
            if self.cooling.contains_key(&client) {
                continue;
            }
            let Some(info) = ctx.client(client) else {
                continue;
            };
            let Some(lvap) = info.lvap.as_ref() else {
                continue;
            };
            if lvap.state != LvapState::Active || !info.associated {
                continue;
            }
            let Some(from_load) = rooms.get(&lvap.at).map(|r| r.load) else {
                continue;
            };
            if from_load < least.saturating_add(min_difference) {
                continue;
            }
            let fresh = |when: Instant| now.saturating_since(when) <= max_age;
            let here = info
                .heard
                .iter()
                .find(|h| h.at == lvap.at && fresh(h.when))
                .map(|h| h.signal_dbm);
            for heard in &info.heard {
                if heard.at == lvap.at
                    || heard.signal_dbm < self.config.min_signal_dbm
                    || !fresh(heard.when)
                {
                    continue;
                }
                let Some(target) = rooms.get(&heard.at) else {
                    continue;
                };
                if target.load >= target.max_lvaps
                    || from_load < target.load.saturating_add(min_difference)
                {
                    continue;
                }
                moves.push(Move {
                    client,
                    from: lvap.at.clone(),
                    to: heard.at.clone(),
                    loads: (from_load, target.load),
                    signals: (heard.signal_dbm, here),
                });
            }
        }
        moves.sort_by(|a, b| {
            b.gap()
                .cmp(&a.gap())
                .then(b.signals.0.cmp(&a.signals.0))
                .then(a.client.cmp(&b.client))
                .then(a.to.cmp(&b.to))
        });
        moves
    }

    /// Our move of `client` ended (`failure`: why it did not happen).
    fn ended(&mut self, ctx: &Context<'_>, client: MacAddr, failure: Option<&str>) {
        if self.pending.as_ref().is_some_and(|p| p.client == client) {
            self.pending = None;
        }
        self.cool(client, ctx.now());
        if let Some(why) = failure {
            ctx.warn(format_args!(
                "the move of {client} failed ({why}); it is left alone for {} ms",
                self.config.client_cooldown_ms
            ));
        }
    }
}

impl App for Balancer {
    fn start(&mut self, ctx: &mut Context<'_>) -> Result<(), AppError> {
        self.pending = None;
        self.cooling.clear();
        self.timer = Some(ctx.set_timer(self.interval()));
        Ok(())
    }

    fn on_event(&mut self, ctx: &mut Context<'_>, event: &Event) -> Result<(), AppError> {
        let me = ctx.app().to_string();
        match event {
            Event::Timer { timer } if Some(*timer) == self.timer => self.tick(ctx),
            Event::ActionDone { action, result } => {
                let ours = self.pending.as_ref().filter(|p| p.action == *action);
                if let Some(client) = ours.map(|p| p.client) {
                    let failure = result.as_ref().err().map(ToString::to_string);
                    self.ended(ctx, client, failure.as_deref());
                }
            }
            Event::LvapMoved { client, by, .. } if *by == me => self.ended(ctx, *client, None),
            // Someone else moved it, for their own reasons: do not undo
            // that at once.
            Event::LvapMoved { client, .. } => self.cool(*client, ctx.now()),
            Event::HandoffFailed { client, by, reason } if *by == me => {
                self.ended(ctx, *client, Some(reason))
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use odin_app::testing::{Harness, TestNetwork};
    use odin_app::{LvapInfo, Request};

    use super::*;

    fn mac(i: u8) -> MacAddr {
        MacAddr([0x02, 0, 0, 0, 0, i])
    }

    /// A network, the app, and what the test says each agent hears of
    /// each client (reported afresh at every tick, as the agents'
    /// statistics do every second).
    struct Bed {
        net: TestNetwork,
        app: Harness<Balancer>,
        heard: Vec<(MacAddr, &'static str, i8)>,
        timer: Option<(TimerId, Instant)>,
    }

    impl Bed {
        /// Agents `agents` (one radio each), clients `clients` by their
        /// agent, the app started at 10 s.
        fn new(config: Config, agents: &[&str], clients: &[(u8, &str)]) -> Bed {
            let mut net = TestNetwork {
                now: Instant::from_secs(10),
                ..TestNetwork::default()
            };
            for agent in agents {
                net.add_agent(agent, 1);
            }
            for (i, agent) in clients {
                net.add_client(mac(*i), agent);
            }
            let mut bed = Bed {
                net,
                app: Harness::new("balancer", Balancer::new(config)),
                heard: Vec::new(),
                timer: None,
            };
            bed.settle();
            let requests = bed.app.start(&bed.net).expect("starts");
            bed.take_timer(requests);
            bed
        }

        /// Every client `clients` names is heard by `agent` at `dbm`.
        fn hear(&mut self, clients: impl IntoIterator<Item = u8>, agent: &'static str, dbm: i8) {
            for i in clients {
                self.heard.push((mac(i), agent, dbm));
                self.net.hear(mac(i), agent, dbm);
            }
        }

        /// Each radio's load, as the controller counts it: the LVAPs it
        /// hosts.
        fn settle(&mut self) {
            for agent in self.net.agents.values_mut() {
                for radio in &mut agent.radios {
                    radio.load = self
                        .net
                        .clients
                        .values()
                        .filter(|c| c.lvap.as_ref().is_some_and(|l| l.at == radio.at))
                        .count() as u32;
                }
            }
        }

        /// Keeps the timer the app set, and returns its other requests.
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
        /// reports, and fires it: returns when it fired and what the app
        /// asked for.
        fn tick(&mut self) -> (Instant, Vec<Request>) {
            let (timer, at) = self.timer.take().expect("a timer is set");
            self.net.now = at;
            for (client, agent, dbm) in self.heard.clone() {
                self.net.hear(client, agent, dbm);
            }
            let requests = self
                .app
                .event(&self.net, &Event::Timer { timer })
                .expect("a tick never fails");
            let rest = self.take_timer(requests);
            assert_eq!(self.timer.map(|(_, t)| t), Some(at + self.interval()));
            (at, rest)
        }

        fn interval(&self) -> Duration {
            self.app.app.interval()
        }

        fn event(&mut self, event: Event) {
            let requests = self.app.event(&self.net, &event).expect("handled");
            assert_eq!(requests, vec![], "{event:?}");
        }

        /// The controller carries out a handoff the app asked for, 50 ms
        /// later: the client moves, the app hears of it.
        fn complete(&mut self, request: &Request) {
            let Request::Handoff {
                action,
                client,
                to,
                radio,
                reason,
                ..
            } = request
            else {
                panic!("a handoff expected: {request:?}");
            };
            self.net.now = self.net.now + Duration::from_millis(50);
            let target = RadioRef::new(to.clone(), radio.unwrap_or(0));
            let lvap = self
                .net
                .clients
                .get_mut(client)
                .and_then(|c| c.lvap.as_mut())
                .expect("the client has an LVAP");
            let from = std::mem::replace(
                lvap,
                LvapInfo {
                    at: target.clone(),
                    state: LvapState::Active,
                },
            )
            .at;
            self.settle();
            self.event(Event::LvapMoved {
                client: *client,
                from,
                to: target,
                by: "balancer".into(),
                reason: reason.clone(),
                total_us: 30_000,
            });
            self.event(Event::ActionDone {
                action: *action,
                result: Ok(()),
            });
        }

        /// The controller tried the handoff and it failed, 50 ms later.
        fn fail(&mut self, request: &Request) {
            let Request::Handoff { action, client, .. } = request else {
                panic!("a handoff expected: {request:?}");
            };
            self.net.now = self.net.now + Duration::from_millis(50);
            self.event(Event::HandoffFailed {
                client: *client,
                by: "balancer".into(),
                reason: "the target refused the LVAP".into(),
            });
            self.event(Event::ActionDone {
                action: *action,
                result: Err(AppError::Failed("the target refused the LVAP".into())),
            });
        }

        /// Clients per agent, in the agents' order.
        fn loads(&self) -> Vec<u32> {
            self.net
                .agents
                .values()
                .map(|a| a.radios.iter().map(|r| r.load).sum())
                .collect()
        }
    }

    /// The client and the target of a handoff request.
    fn handoff(request: &Request) -> (MacAddr, &str) {
        match request {
            Request::Handoff { client, to, .. } => (*client, to.as_str()),
            other => panic!("a handoff expected: {other:?}"),
        }
    }

    #[test]
    fn six_clients_on_one_radio_end_two_two_two_after_four_moves() {
        let clients: Vec<(u8, &str)> = (1..=6).map(|i| (i, "ap1")).collect();
        let mut bed = Bed::new(Config::default(), &["ap1", "ap2", "ap3"], &clients);
        bed.hear(1..=6, "ap1", -45);
        bed.hear(1..=6, "ap2", -50);
        bed.hear(1..=6, "ap3", -55);
        assert_eq!(bed.loads(), [6, 0, 0]);

        let mut moves = Vec::new();
        for _ in 0..6 {
            let (at, requests) = bed.tick();
            assert!(requests.len() <= 1, "one move at a time: {requests:?}");
            if let Some(request) = requests.first() {
                let (client, to) = handoff(request);
                moves.push((at.millis(), client, to.to_string(), bed.loads()));
                if moves.len() == 1 {
                    assert_eq!(
                        request,
                        &Request::Handoff {
                            action: ActionId(3),
                            client: mac(1),
                            to: "ap2".into(),
                            radio: Some(0),
                            reason: "ap1/0 serves 6 clients, ap2/0 0: 5 and 1 after the move; \
                                     signal -50 dBm at ap2/0, -45 dBm at ap1/0"
                                .into(),
                        }
                    );
                }
                bed.complete(request);
            }
        }
        // The widest gap first; between equal gaps, the stronger signal.
        assert_eq!(
            moves,
            vec![
                (15_000, mac(1), "ap2".to_string(), vec![6, 0, 0]),
                (20_000, mac(2), "ap3".to_string(), vec![5, 1, 0]),
                (25_000, mac(3), "ap2".to_string(), vec![4, 1, 1]),
                (30_000, mac(4), "ap3".to_string(), vec![3, 2, 1]),
            ]
        );
        assert_eq!(bed.loads(), [2, 2, 2]);
    }

    #[test]
    fn clients_only_their_radio_hears_well_stay() {
        let clients: Vec<(u8, &str)> = (1..=6).map(|i| (i, "ap1")).collect();
        let mut bed = Bed::new(Config::default(), &["ap1", "ap2", "ap3"], &clients);
        bed.hear(1..=6, "ap1", -45);
        // Just below the threshold at ap2; not heard at all at ap3.
        bed.hear(1..=6, "ap2", -71);
        for _ in 0..4 {
            assert_eq!(bed.tick().1, vec![]);
        }
        // Three of them come closer to ap2: those three, and only those,
        // move (6/0 -> 3/3), one per tick.
        bed.heard
            .retain(|(c, a, _)| !(*a == "ap2" && [mac(2), mac(4), mac(6)].contains(c)));
        bed.hear([2, 4, 6], "ap2", -60);
        let mut moved = Vec::new();
        for _ in 0..5 {
            if let Some(request) = bed.tick().1.first() {
                moved.push(handoff(request).0);
                bed.complete(request);
            }
        }
        assert_eq!(moved, [mac(2), mac(4), mac(6)]);
        assert_eq!(bed.loads(), [3, 3, 0]);
    }

    #[test]
    fn old_reports_and_down_agents_do_not_count() {
        let clients: Vec<(u8, &str)> = (1..=4).map(|i| (i, "ap1")).collect();
        let config = Config {
            max_age_ms: 3000,
            ..Config::default()
        };
        let mut bed = Bed::new(config, &["ap1", "ap2", "ap3"], &clients);
        bed.hear(1..=4, "ap1", -45);
        // ap2 heard them well once, at 10 s: too long ago by the first
        // tick (15 s).
        for i in 1..=4 {
            bed.net.hear(mac(i), "ap2", -40);
        }
        // ap3 hears them well, but is down.
        bed.hear(1..=4, "ap3", -40);
        if let Some(ap3) = bed.net.agents.get_mut("ap3") {
            ap3.up = false;
        }
        for _ in 0..3 {
            assert_eq!(bed.tick().1, vec![]);
        }
        if let Some(ap3) = bed.net.agents.get_mut("ap3") {
            ap3.up = true;
        }
        let (_, requests) = bed.tick();
        assert_eq!(
            requests.iter().map(handoff).collect::<Vec<_>>(),
            [(mac(1), "ap3")]
        );
    }

    #[test]
    fn a_split_within_min_difference_stays() {
        // ap3 is empty but hears nobody well: 5/4/0 is as balanced as it
        // gets for these clients.
        let mut clients: Vec<(u8, &str)> = (1..=5).map(|i| (i, "ap1")).collect();
        clients.extend((6..=9).map(|i| (i, "ap2")));
        let mut bed = Bed::new(Config::default(), &["ap1", "ap2", "ap3"], &clients);
        bed.hear(1..=9, "ap1", -50);
        bed.hear(1..=9, "ap2", -50);
        bed.hear(1..=9, "ap3", -80);
        assert_eq!(bed.loads(), [5, 4, 0]);
        for _ in 0..5 {
            assert_eq!(bed.tick().1, vec![]);
        }
        // One more client on ap1 (6/4): one move, to 5/5, and no more.
        bed.net.add_client(mac(10), "ap1");
        bed.hear([10], "ap1", -50);
        bed.hear([10], "ap2", -50);
        bed.settle();
        let mut moved = Vec::new();
        for _ in 0..5 {
            let (_, requests) = bed.tick();
            if let Some(request) = requests.first() {
                let (client, to) = handoff(request);
                moved.push((client, to.to_string()));
                bed.complete(request);
            }
        }
        assert_eq!(moved, [(mac(1), "ap2".to_string())]);
        assert_eq!(bed.loads(), [5, 5, 0]);
        // A wider min_difference tolerates 6/4.
        let mut clients: Vec<(u8, &str)> = (1..=6).map(|i| (i, "ap1")).collect();
        clients.extend((7..=10).map(|i| (i, "ap2")));
        let config = Config {
            min_difference: 3,
            ..Config::default()
        };
        let mut bed = Bed::new(config, &["ap1", "ap2", "ap3"], &clients);
        bed.hear(1..=10, "ap1", -50);
        bed.hear(1..=10, "ap2", -50);
        for _ in 0..3 {
            assert_eq!(bed.tick().1, vec![]);
        }
    }

    #[test]
    fn one_move_at_a_time_until_its_outcome() {
        let clients: Vec<(u8, &str)> = (1..=6).map(|i| (i, "ap1")).collect();
        let mut bed = Bed::new(Config::default(), &["ap1", "ap2"], &clients);
        bed.hear(1..=6, "ap1", -50);
        bed.hear(1..=6, "ap2", -50);
        let (at, requests) = bed.tick();
        assert_eq!(
            (at.millis(), handoff(&requests[0])),
            (15_000, (mac(1), "ap2"))
        );
        // No answer yet: the next ticks wait.
        assert_eq!(bed.tick().1, vec![]);
        assert_eq!(bed.tick().1, vec![]);
        bed.complete(&requests[0]);
        let (at, requests) = bed.tick();
        assert_eq!(
            (at.millis(), handoff(&requests[0])),
            (30_000, (mac(2), "ap2"))
        );
        // An answer that never comes is given up after PENDING_LIMIT (60 s
        // after the move, at the tick of 90 s); mac(2), still on ap1 and
        // out of its cool-down by then, is tried again.
        let mut next = Vec::new();
        while next.is_empty() {
            let (at, requests) = bed.tick();
            next = requests
                .iter()
                .map(|r| (at.millis(), handoff(r).0))
                .collect();
        }
        assert_eq!(next, [(90_000, mac(2))]);
    }

    #[test]
    fn a_client_whose_move_failed_cools_down() {
        let mut bed = Bed::new(
            Config::default(),
            &["ap1", "ap2"],
            &[(1, "ap1"), (2, "ap1")],
        );
        bed.hear([1, 2], "ap1", -50);
        bed.hear([1, 2], "ap2", -50);
        let (_, first) = bed.tick();
        assert_eq!(handoff(&first[0]), (mac(1), "ap2"));
        bed.fail(&first[0]); // at 15.05 s: mac(1) is left alone until 75.05 s
        let (_, second) = bed.tick();
        assert_eq!(handoff(&second[0]), (mac(2), "ap2"));
        bed.fail(&second[0]); // at 20.05 s: until 80.05 s
        let mut next = Vec::new();
        while next.is_empty() {
            let (at, requests) = bed.tick();
            next = requests
                .iter()
                .map(|r| (at.millis(), handoff(r).0))
                .collect();
        }
        assert_eq!(next, [(80_000, mac(1))]);
    }

    #[test]
    fn clients_another_app_moves_are_left_alone() {
        let clients: Vec<(u8, &str)> = (1..=4).map(|i| (i, "ap1")).collect();
        let mut bed = Bed::new(Config::default(), &["ap1", "ap2"], &clients);
        bed.hear(1..=4, "ap1", -50);
        bed.hear(1..=4, "ap2", -50);
        // The mobility manager is moving mac(1): the app takes mac(2).
        bed.net.moving.insert(mac(1), "mobility".into());
        let (_, requests) = bed.tick();
        assert_eq!(
            requests.iter().map(handoff).collect::<Vec<_>>(),
            [(mac(2), "ap2")]
        );
        // Everyone it could move is busy: no move, no error.
        let mut bed = Bed::new(Config::default(), &["ap1", "ap2"], &clients);
        bed.hear(1..=4, "ap1", -50);
        bed.hear(1..=4, "ap2", -50);
        for i in 1..=4 {
            bed.net.moving.insert(mac(i), "mobility".into());
        }
        assert_eq!(bed.tick().1, vec![]);
        // The mobility manager moved mac(1) onto the busy ap1 (3/1 after
        // it): mac(1) stays there for the cool-down, mac(2) goes.
        let mut bed = Bed::new(
            Config::default(),
            &["ap1", "ap2"],
            &[(1, "ap1"), (2, "ap1"), (3, "ap1"), (4, "ap2")],
        );
        bed.hear(1..=4, "ap1", -50);
        bed.hear(1..=4, "ap2", -50);
        bed.net.now = Instant::from_secs(12);
        bed.event(Event::LvapMoved {
            client: mac(1),
            from: RadioRef::new("ap2", 0),
            to: RadioRef::new("ap1", 0),
            by: "mobility".into(),
            reason: "ap1 hears it 10 dB better".into(),
            total_us: 30_000,
        });
        let (_, requests) = bed.tick();
        assert_eq!(
            requests.iter().map(handoff).collect::<Vec<_>>(),
            [(mac(2), "ap2")]
        );
    }

    #[test]
    fn the_configuration_is_checked() {
        assert_eq!(
            Config::parse(&serde_json::Value::Null),
            Ok(Config::default())
        );
        assert_eq!(
            Config::parse(&serde_json::json!({ "interval_ms": 500, "min_difference": 3 })),
            Ok(Config {
                interval_ms: 500,
                min_difference: 3,
                ..Config::default()
            })
        );
        let refused = |value: serde_json::Value, word: &str| {
            let Err(AppError::Config(why)) = (KIND.create)(&value) else {
                panic!("{value} must be refused");
            };
            assert!(why.contains(word), "{why}");
        };
        refused(serde_json::json!({ "interval": 500 }), "interval");
        refused(serde_json::json!({ "min_difference": 1 }), "min_difference");
        refused(serde_json::json!({ "interval_ms": 0 }), "interval_ms");
        refused(serde_json::json!({ "min_signal_dbm": -200 }), "-200");
        refused(serde_json::json!({ "max_age_ms": "soon" }), "soon");
        assert!((KIND.create)(&serde_json::json!({ "min_signal_dbm": -65 })).is_ok());
    }
}
