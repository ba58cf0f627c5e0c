//! The app driven through a scripted network, with exact inputs and
//! times: the agents report the client's signal once a second (what the
//! controller's signal table then shows), the trigger subscription is
//! evaluated on each report as the agents evaluate it (armed, hysteresis,
//! minimum interval) and its matches delivered after the reports of that
//! instant, the app's timers fire on time, and a handoff it asks for ends
//! 100 ms later, completed or failed.

use std::collections::BTreeMap;
use std::time::Duration;

use odin_app::testing::{Harness, TestNetwork};
use odin_app::{Relation, Request};

use super::*;

const CLIENT: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 1]);
/// The script's time step, ms.
const STEP_MS: u64 = 100;
/// How often each agent reports the client's signal, ms.
const REPORT_MS: u64 = 1000;
/// How long a handoff takes, ms.
const HANDOFF_MS: u64 = 100;

/// A move the app asked for.
#[derive(Debug, Clone, PartialEq)]
struct Move {
    /// When it was asked for, ms.
    at_ms: u64,
    from: String,
    to: String,
    reason: String,
}

/// The client's signal at an agent at a time (ms), when the agent hears it.
type Signals = Box<dyn FnMut(u64, &str) -> Option<i8>>;

/// A network that follows a script, around the app.
struct Script {
    net: TestNetwork,
    app: Harness<Mobility>,
    weak: SubscriptionId,
    filter: Filter,
    agents: Vec<String>,
    signals: Signals,
    /// The trigger's state at each agent: armed, when it last reported.
    trigger: BTreeMap<String, (bool, Option<Instant>)>,
    /// The app's timers.
    timers: BTreeMap<TimerId, Instant>,
    /// The handoff under way: its action, target, and when it ends.
    pending: Option<(ActionId, String, Instant)>,
    /// Handoffs fail (the client stays) instead of completing.
    failing: bool,
    moves: Vec<Move>,
    next_ms: u64,
}

impl Script {
    /// The app with `config` on agents `agents` (one radio each), the
    /// client served by `serving`, its signals from `signals`.
    fn new(
        agents: &[&str],
        serving: &str,
        config: Config,
        signals: impl FnMut(u64, &str) -> Option<i8> + 'static,
    ) -> Script {
        let mut net = TestNetwork::default();
        for agent in agents {
            net.add_agent(agent, 1);
        }
        net.add_client(CLIENT, serving);
        let check = Duration::from_millis(config.check_ms);
        let mut app = Harness::new("mobility", Mobility::new(config).expect("usable"));
        let requests = app.start(&net).expect("starts");
        let [Request::Subscribe {
            subscription,
            filter,
        }] = requests.as_slice()
        else {
            panic!("one subscription expected: {requests:?}");
        };
        assert_eq!(filter.relation, Relation::Below);
        assert_eq!(filter.client, None);
        assert_eq!(filter.min_interval, check);
        Script {
            net,
            app,
            weak: *subscription,
            filter: filter.clone(),
            agents: agents.iter().map(|a| a.to_string()).collect(),
            signals: Box::new(signals),
            trigger: BTreeMap::new(),
            timers: BTreeMap::new(),
            pending: None,
            failing: false,
            moves: Vec::new(),
            next_ms: 0,
        }
    }

    fn now_ms(&self) -> u64 {
        self.net.now.millis()
    }

    /// Runs every step up to `end_ms` (included).
    fn run_to(&mut self, end_ms: u64) {
        while self.next_ms <= end_ms {
            self.step(self.next_ms);
            self.next_ms += STEP_MS;
        }
    }

    /// One step: a handoff that ends, the agents' reports (and trigger
    /// matches), the timers due.
    fn step(&mut self, t: u64) {
        self.net.now = Instant::from_millis(t);
        let now = self.net.now;
        if self.pending.as_ref().is_some_and(|(_, _, end)| *end <= now) {
            self.end_handoff();
        }
        if t % REPORT_MS == 0 {
            // Every agent's report of this instant, then the trigger's
            // matches among them.
            let mut matched = Vec::new();
            for agent in self.agents.clone() {
                if let Some(signal) = (self.signals)(t, &agent) {
                    self.net.hear(CLIENT, &agent, signal);
                    if self.trigger_matches(&agent, signal) {
                        matched.push((agent, signal));
                    }
                }
            }
            for (agent, signal) in matched {
                self.deliver(Event::Matched {
                    subscription: self.weak,
                    client: CLIENT,
                    at: RadioRef::new(agent.as_str(), 0),
                    value: f64::from(signal),
                });
            }
        }
        loop {
            let due = self
                .timers
                .iter()
                .filter(|(_, at)| **at <= now)
                .min_by_key(|(id, at)| (**at, **id))
                .map(|(id, _)| *id);
            let Some(timer) = due else { break };
            self.timers.remove(&timer);
            self.deliver(Event::Timer { timer });
        }
    }

    /// The agent's evaluation of the trigger on one value.
    fn trigger_matches(&mut self, agent: &str, signal: i8) -> bool {
        let now = self.net.now;
        let value = f64::from(signal);
        let f = &self.filter;
        let (armed, last) = self.trigger.entry(agent.into()).or_insert((true, None));
        if value >= f.threshold + f.hysteresis {
            *armed = true;
        }
        let quiet = last.is_none_or(|t| now.saturating_since(t) >= f.min_interval);
        if value < f.threshold && *armed && quiet {
            *armed = false;
            *last = Some(now);
            return true;
        }
        false
    }

    /// Gives the app an event and carries out what it asks for.
    fn deliver(&mut self, event: Event) {
        let requests = self.app.event(&self.net, &event).expect("never fails");
        for request in requests {
            match request {
                Request::SetTimer { timer, at } => {
                    self.timers.insert(timer, at);
                }
                Request::CancelTimer { timer } => {
                    self.timers.remove(&timer);
                }
                Request::Handoff {
                    action,
                    client,
                    to,
                    radio,
                    reason,
                } => {
                    assert_eq!((client, radio), (CLIENT, Some(0)));
                    assert!(self.pending.is_none(), "two moves at once");
                    let at_ms = self.now_ms();
                    let lvap = self.lvap();
                    let from = lvap.at.agent.clone();
                    lvap.state = LvapState::Migrating;
                    self.net.moving.insert(CLIENT, "mobility".into());
                    let end = self.net.now + Duration::from_millis(HANDOFF_MS);
                    self.pending = Some((action, to.clone(), end));
                    self.moves.push(Move {
                        at_ms,
                        from,
                        to,
                        reason,
                    });
                }
                other => panic!("unexpected request {other:?}"),
            }
        }
    }

    fn lvap(&mut self) -> &mut odin_app::LvapInfo {
        self.net
            .clients
            .get_mut(&CLIENT)
            .and_then(|c| c.lvap.as_mut())
            .expect("the client has an LVAP")
    }

    fn end_handoff(&mut self) {
        let Some((action, to, _)) = self.pending.take() else {
            return;
        };
        self.net.moving.remove(&CLIENT);
        let failing = self.failing;
        let lvap = self.lvap();
        lvap.state = LvapState::Active;
        if failing {
            self.deliver(Event::HandoffFailed {
                client: CLIENT,
                by: "mobility".into(),
                reason: "the target refused the LVAP".into(),
            });
            self.deliver(Event::ActionDone {
                action,
                result: Err(AppError::Failed("the target refused the LVAP".into())),
            });
        } else {
            let from = std::mem::replace(&mut lvap.at, RadioRef::new(to.as_str(), 0));
            self.deliver(Event::LvapMoved {
                client: CLIENT,
                from,
                to: RadioRef::new(to.as_str(), 0),
                by: "mobility".into(),
                reason: String::new(),
                total_us: HANDOFF_MS * 1000,
            });
            self.deliver(Event::ActionDone {
                action,
                result: Ok(()),
            });
        }
    }

    /// The moves as (ms, from, to).
    fn path(&self) -> Vec<(u64, &str, &str)> {
        self.moves
            .iter()
            .map(|m| (m.at_ms, m.from.as_str(), m.to.as_str()))
            .collect()
    }

    fn serving(&self) -> &str {
        self.net.clients[&CLIENT]
            .serving_agent()
            .expect("served by an active LVAP")
    }

    /// The best other radio's mean minus the serving radio's, when both
    /// count (what a move needs to reach the hysteresis).
    fn margin(&self) -> Option<f64> {
        let watch = self.app.app.watched.get(&CLIENT)?;
        let min = self.app.app.config.min_reports;
        let serving = self.net.clients[&CLIENT].lvap.as_ref()?.at.clone();
        let from = watch.means.get(&serving).filter(|m| m.reports >= min)?;
        watch
            .means
            .iter()
            .filter(|(at, m)| **at != serving && m.reports >= min)
            .map(|(_, m)| m.dbm - from.dbm)
            .max_by(f64::total_cmp)
    }
}

/// Agents 40 m apart on a line; the client's signal falls 1 dB a metre
/// from -35 dBm at an agent, heard down to -100 dBm.
fn on_a_line(x_m: f64, agent: &str) -> Option<i8> {
    let at = match agent {
        "ap1" => 0.0,
        "ap2" => 40.0,
        _ => 80.0,
    };
    let signal = -35.0 - (x_m - at).abs();
    (signal >= -100.0).then_some(signal as i8)
}

/// A small seeded generator for noise.
struct Noise(u64);

impl Noise {
    /// An integer in -amplitude..=amplitude.
    fn next(&mut self, amplitude: i8) -> i8 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let span = 2 * u64::from(amplitude.unsigned_abs()) + 1;
        ((self.0 >> 33) % span) as i8 - amplitude
    }
}

/// Both agents hear the client at -72 dBm, each report with its own
/// noise of ±3 dB.
fn between_equals(seed: u64) -> impl FnMut(u64, &str) -> Option<i8> {
    let mut noise = Noise(seed);
    move |_, _| Some(-72 + noise.next(3))
}

#[test]
fn a_client_walking_past_three_access_points_moves_twice() {
    // One metre a second from ap1 (x = 0) past ap2 (40) to x = 100, 20 m
    // past ap3 (80).
    let mut s = Script::new(
        &["ap1", "ap2", "ap3"],
        "ap1",
        Config::default(),
        |t, agent| on_a_line(t as f64 / 1000.0, agent),
    );
    s.deliver(Event::LvapPlaced {
        client: CLIENT,
        bssid: MacAddr([0x02, 0xb0, 0, 0, 0, 1]),
        at: RadioRef::new("ap1", 0),
    });
    s.run_to(100_000);
    // ap1 reports -71 dBm at 36 s (below -70): watched. Three reports of
    // every radio (36, 37, 38 s) make the means count: at 38 s ap1's is
    // -71.81 (-71, -72, -73), ap2's -38.19 (-39, -38, -37). The same at
    // ap2 from 76 s, with ap3 ahead.
    assert_eq!(
        s.path(),
        vec![(38_000, "ap1", "ap2"), (78_000, "ap2", "ap3")]
    );
    assert_eq!(
        s.moves[0].reason,
        "weak at ap1/0: -71.8 dBm smoothed (trigger -70 dBm); ap2/0 hears -38.2 dBm smoothed, \
         33.6 dB better (hysteresis 6 dB)"
    );
    assert!(s.moves[1].reason.starts_with("weak at ap2/0: -71.8 dBm"));
    assert_eq!(s.serving(), "ap3");
    // Served well again: the watch ended, no timer is left.
    assert!(s.app.app.watched.is_empty());
    assert!(s.timers.is_empty() && s.app.app.timers.is_empty());
}

#[test]
fn a_client_between_two_equal_access_points_never_moves() {
    // Ten minutes at -72 ± 3 dB at both: always below the trigger, so
    // watched and checked twice a second throughout.
    let mut s = Script::new(&["ap1", "ap2"], "ap1", Config::default(), between_equals(7));
    let mut widest = f64::NEG_INFINITY;
    for second in 0..=600 {
        s.run_to(second * 1000);
        if let Some(margin) = s.margin() {
            widest = widest.max(margin);
        }
    }
    assert_eq!(s.path(), vec![]);
    assert!(s.app.app.watched.contains_key(&CLIENT));
    println!("widest smoothed margin over 10 minutes: {widest:.2} dB");
    assert!(widest > 0.5 && widest < 6.0, "{widest}");

    // The same trace without smoothing (each mean is the latest report),
    // hysteresis and dwell as they are: back and forth.
    let unsmoothed = Config {
        alpha: 1.0,
        ..Config::default()
    };
    let mut s = Script::new(&["ap1", "ap2"], "ap1", unsmoothed, between_equals(7));
    s.run_to(600_000);
    let returns = s
        .moves
        .windows(2)
        .filter(|w| w[0].from == w[1].to && w[0].to == w[1].from)
        .count();
    println!("unsmoothed: {:?}", s.path());
    assert!(s.moves.len() >= 5 && returns + 1 == s.moves.len());
}

#[test]
fn a_move_needs_the_hysteresis() {
    // ap1 serves at -72 dBm; ap2 hears the client 5 dB better: never.
    let mut s = Script::new(&["ap1", "ap2"], "ap1", Config::default(), |_, agent| {
        Some(if agent == "ap1" { -72 } else { -67 })
    });
    s.run_to(60_000);
    assert_eq!(s.path(), vec![]);
    // 6 dB better: once the three reports count.
    let mut s = Script::new(&["ap1", "ap2"], "ap1", Config::default(), |_, agent| {
        Some(if agent == "ap1" { -72 } else { -66 })
    });
    s.run_to(60_000);
    assert_eq!(s.path(), vec![(2_000, "ap1", "ap2")]);
    assert_eq!(
        s.moves[0].reason,
        "weak at ap1/0: -72.0 dBm smoothed (trigger -70 dBm); ap2/0 hears -66.0 dBm smoothed, \
         6.0 dB better (hysteresis 6 dB)"
    );
}

#[test]
fn no_move_within_the_dwell_time_of_a_placement_or_a_move() {
    // Weak at ap1 from the start, ap2 much better; from 6 s the client is
    // weak at ap2 and ap3 is better.
    let mut s = Script::new(
        &["ap1", "ap2", "ap3"],
        "ap1",
        Config::default(),
        |t, agent| {
            Some(match (agent, t < 6_000) {
                ("ap1", _) => -75,
                ("ap2", true) => -55,
                ("ap2", false) => -75,
                (_, true) => -90,
                (_, false) => -55,
            })
        },
    );
    s.deliver(Event::LvapPlaced {
        client: CLIENT,
        bssid: MacAddr([0x02, 0xb0, 0, 0, 0, 1]),
        at: RadioRef::new("ap1", 0),
    });
    s.run_to(30_000);
    // Placed at 0: the reports count at 2 s, the move waits for 5 s. It
    // ends at 5.1 s; ap2 is weak from 6 s and its reports count at 8 s;
    // the move waits for the first check 5 s after 5.1 s.
    assert_eq!(
        s.path(),
        vec![(5_000, "ap1", "ap2"), (10_500, "ap2", "ap3")]
    );
}

#[test]
fn a_client_another_app_is_moving_is_left_to_it() {
    let mut s = Script::new(
        &["ap1", "ap2", "ap3"],
        "ap1",
        Config::default(),
        |_, agent| {
            Some(match agent {
                "ap1" => -75,
                "ap2" => -55,
                _ => -72,
            })
        },
    );
    // The balancer is moving the client to ap3: the app's handoff is
    // refused (ClientBusy) at every check from 2 s, and the app goes on.
    s.net.moving.insert(CLIENT, "balancer".into());
    s.run_to(4_000);
    assert_eq!(s.path(), vec![]);
    assert!(s.app.app.moves.is_empty());
    // The balancer's move completes at 4 s: the client is still weak at
    // ap3, and moves on to ap2 once the dwell time of that move is over.
    s.net.moving.remove(&CLIENT);
    s.lvap().at = RadioRef::new("ap3", 0);
    s.deliver(Event::LvapMoved {
        client: CLIENT,
        from: RadioRef::new("ap1", 0),
        to: RadioRef::new("ap3", 0),
        by: "balancer".into(),
        reason: "ap1 is crowded".into(),
        total_us: 30_000,
    });
    s.run_to(20_000);
    assert_eq!(s.path(), vec![(9_000, "ap3", "ap2")]);
}

#[test]
fn a_failed_handoff_backs_off() {
    let mut s = Script::new(&["ap1", "ap2"], "ap1", Config::default(), |_, agent| {
        Some(if agent == "ap1" { -75 } else { -55 })
    });
    s.failing = true;
    s.run_to(25_000);
    // Failed at 2.1 s: nothing until 12.1 s, the next check is at 12.5 s;
    // failed at 12.6 s: the next check after 22.6 s is at 23 s.
    assert_eq!(
        s.path(),
        vec![
            (2_000, "ap1", "ap2"),
            (12_500, "ap1", "ap2"),
            (23_000, "ap1", "ap2")
        ]
    );
    assert_eq!(s.serving(), "ap1");
}

#[test]
fn weak_reports_from_radios_that_do_not_serve_the_client_are_ignored() {
    let mut s = Script::new(&["ap1", "ap2"], "ap1", Config::default(), |_, _| None);
    s.net.hear(CLIENT, "ap1", -50).hear(CLIENT, "ap2", -80);
    let requests = s
        .app
        .event(
            &s.net,
            &Event::Matched {
                subscription: s.weak,
                client: CLIENT,
                at: RadioRef::new("ap2", 0),
                value: -80.0,
            },
        )
        .expect("handled");
    assert_eq!(requests, vec![]);
    assert!(s.app.app.watched.is_empty());
}

#[test]
fn the_configuration_is_checked() {
    let create = KIND.create;
    assert!(create(&serde_json::Value::Null).is_ok());
    let config: Config = parse_config(&serde_json::json!({
        "trigger_dbm": -75.0,
        "hysteresis_db": 8.0,
        "dwell_ms": 2000,
    }))
    .expect("parses");
    assert_eq!(
        config,
        Config {
            trigger_dbm: -75.0,
            hysteresis_db: 8.0,
            dwell_ms: 2000,
            ..Config::default()
        }
    );
    let Err(AppError::Config(why)) = create(&serde_json::json!({ "hysteresis": 8.0 })) else {
        panic!("a typo must be refused");
    };
    assert!(why.contains("hysteresis"), "{why}");
    for bad in [
        serde_json::json!({ "alpha": 0.0 }),
        serde_json::json!({ "alpha": 1.5 }),
        serde_json::json!({ "hysteresis_db": -1.0 }),
        serde_json::json!({ "trigger_hysteresis_db": -1.0 }),
        serde_json::json!({ "min_reports": 0 }),
        serde_json::json!({ "check_ms": 0 }),
        serde_json::json!({ "dwell_ms": -5 }),
    ] {
        assert!(
            matches!(create(&bad), Err(AppError::Config(_))),
            "{bad} must be refused"
        );
    }
}
