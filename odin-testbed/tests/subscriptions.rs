//! Subscriptions are evaluated at the agents: what the controller receives
//! grows with the subscriptions that match, not with the frames the agents
//! hear. All real code over TCP on loopback, on the simulated medium, in
//! real time (so every assertion is on counts, each with the reason it
//! cannot move under load, never on how long something took).
//!
//! Which frames reach an agent: every frame a client sends reaches the
//! kernel of every radio in range (the medium's model). Data frames stay
//! there, as on a real access point (the serving interface forwards them);
//! the agent's core gets their signal as `RadioEvent::Heard`, sampled by
//! the radio at most once per `HEARD_INTERVAL` (100 ms) per station, and
//! the serving radio's station report every `station_poll` (10 s).
//! Management frames — the probes of a client that keeps scanning — reach
//! the core one `RadioEvent::Frame` each. Every subscription is evaluated
//! on each of these. So the tests use two kinds of clients: associated
//! ones sending data, and *scanners*, clients of another network (SSID
//! "elsewhere") that never associate and send a probe every
//! `scan_dwell + scan_retry`. Every link is at or above the loss model's
//! ceiling (-69 dBm), so every frame reaches every radio and no random
//! draw is involved: "frames heard by the agents" is the number of radios
//! times the frames sent, taken from the medium's and the clients' own
//! counters.
//!
//! Run with `cargo test -p odin-testbed --test subscriptions -- --nocapture`
//! to see the tables.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::collections::BTreeMap;
use std::time::Duration;

use odin_agent::agent::{AgentConfig, AgentCore, AgentInput, AgentOutput};
use odin_agent::lvap::BssConfig;
use odin_agent::radio::RadioEvent;
use odin_agent::sim::{ClientConfig, ClientHandle, MediumConfig, Position};
use odin_agent::time::Instant;
use odin_controller::core::{Command, CommandOk, ControllerEvent, MessageCounts, SubscriptionSpec};
use odin_proto::msg::{
    AgentMsg, Band, ControllerMsg, RadioInfo, Relation, Statistic, Subscription,
};
use odin_testbed::{eventually, Testbed, TestbedConfig};
use odin_wire::ieee80211::{MgmtBody, MgmtHeader, MgmtRepr, ProbeReqRepr};
use odin_wire::MacAddr;
use tokio::sync::broadcast;

/// The channel of every radio and client.
const CHANNEL: u8 = 6;

/// The scanners' network, which no agent serves.
const ELSEWHERE: &[u8] = b"elsewhere";

/// Far from every radio: out of range.
const AWAY: Position = Position {
    x: 10_000.0,
    y: 10_000.0,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn log_init() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
}

/// `agents` access points 20 m apart on a line, `clients` associated
/// clients spread along it 10 m off, sending a data frame every `data`:
/// every link is between -50 dBm (10 m) and -68.5 dBm (41 m), at or above
/// the loss model's ceiling.
fn network(agents: usize, clients: usize, data: Duration) -> TestbedConfig {
    let mut config = TestbedConfig::line(agents, clients);
    config.channel = CHANNEL;
    let span = 20.0 * agents.saturating_sub(1) as f64;
    config.agents = (0..agents)
        .map(|i| Position::new(20.0 * i as f64, 0.0))
        .collect();
    config.clients = (0..clients)
        .map(|i| Position::new(span * i as f64 / clients.max(2) as f64, 10.0))
        .collect();
    config.client.traffic_interval = data;
    // Counts below assume no agent reconnects (a new session re-installs
    // the subscriptions with fresh state): give a loaded machine room.
    config.controller.heartbeat_timeout = Duration::from_secs(5);
    config
}

fn scanner_mac(i: usize) -> MacAddr {
    MacAddr([0x02, 0x5c, 0, 0, 0, i as u8])
}

/// A client of another network at `position` that sends a wildcard probe
/// every `period` (a 10 ms dwell, then `scan_retry`), for ever: it hears
/// no answer for its SSID.
fn add_scanner(bed: &Testbed, i: usize, position: Position, period: Duration) -> ClientHandle {
    let config = ClientConfig {
        scan_dwell: ms(10),
        scan_retry: period - ms(10),
        ..ClientConfig::default()
    };
    bed.medium
        .add_client(scanner_mac(i), ELSEWHERE, CHANNEL, position, config)
        .unwrap()
}

/// Every link between `clients` and the agents' radios is received
/// without loss.
fn assert_lossless(bed: &Testbed, clients: &[MacAddr]) {
    let ceiling = MediumConfig::default().loss.ceiling_dbm();
    for agent in &bed.agents {
        for &client in clients {
            let signal = bed.medium.signal(agent.radio, client).unwrap();
            assert!(
                signal >= ceiling,
                "{client} at {} heard at {signal:.1} dBm, below {ceiling} dBm: lossy",
                agent.name
            );
        }
    }
}

async fn all_associated(bed: &Testbed) {
    eventually(
        Duration::from_secs(20),
        "every client associated",
        || async {
            for c in &bed.clients {
                match bed.placement(c.mac()).await {
                    Some((_, bssid)) if c.is_connected() && c.bssid() == Some(bssid) => {}
                    other => {
                        return Err(format!(
                            "{}: placed {other:?}, connected to {:?}",
                            c.mac(),
                            c.bssid()
                        ))
                    }
                }
            }
            Ok(())
        },
    )
    .await;
}

fn spec(
    relation: Relation,
    threshold: f64,
    hysteresis: f64,
    min_interval_ms: u64,
) -> SubscriptionSpec {
    SubscriptionSpec {
        client: None,
        statistic: Statistic::SignalDbm,
        relation,
        threshold,
        hysteresis,
        min_interval_ms,
    }
}

async fn subscribe(bed: &Testbed, spec: SubscriptionSpec) -> u64 {
    match bed
        .controller
        .command(Command::Subscribe(spec))
        .await
        .unwrap()
    {
        Ok(CommandOk::Subscribed { subscription }) => subscription,
        other => panic!("subscribe: {other:?}"),
    }
}

async fn unsubscribe(bed: &Testbed, subscription: u64) {
    let result = bed
        .controller
        .command(Command::Unsubscribe(subscription))
        .await
        .unwrap();
    assert!(
        matches!(result, Ok(CommandOk::Unsubscribed)),
        "unsubscribe {subscription}: {result:?}"
    );
}

/// Waits until every agent acknowledged what the controller sent (the
/// (un)subscriptions): from then on each agent evaluates exactly the
/// subscriptions installed.
async fn acknowledged(bed: &Testbed) {
    eventually(Duration::from_secs(10), "agents acknowledged", || async {
        match bed.controller.inspect(|c| c.pending_requests()).await {
            Ok(0) => Ok(()),
            other => Err(format!("pending: {other:?}")),
        }
    })
    .await;
}

async fn messages_in(bed: &Testbed) -> MessageCounts {
    bed.controller
        .inspect(|c| c.counters().messages_in)
        .await
        .unwrap()
}

/// What came in between two readings.
fn delta(after: MessageCounts, before: MessageCounts) -> MessageCounts {
    MessageCounts {
        total: after.total - before.total,
        hello: after.hello - before.hello,
        heartbeat: after.heartbeat - before.heartbeat,
        client_heard: after.client_heard - before.client_heard,
        client: after.client - before.client,
        stats: after.stats - before.stats,
        matched: after.matched - before.matched,
        result: after.result - before.result,
        other: after.other - before.other,
    }
}

/// Everything but the periodic baseline (heartbeats and statistics, one
/// each per agent per interval whatever happens on the air).
fn non_periodic(m: &MessageCounts) -> u64 {
    m.total - m.heartbeat - m.stats
}

/// Waits until the controller received `expected` matches more than in
/// `before`, then a little longer, so that nothing is in flight, and
/// returns what came in.
async fn matches_arrived(bed: &Testbed, before: MessageCounts, expected: u64) -> MessageCounts {
    eventually(Duration::from_secs(10), "the matches arrived", || async {
        let got = delta(messages_in(bed).await, before).matched;
        if got >= expected {
            Ok(())
        } else {
            Err(format!("{got} of {expected}"))
        }
    })
    .await;
    // The agents send a match as they evaluate the frame, in the order
    // they heard it; an extra match would come with or right after the
    // expected ones.
    tokio::time::sleep(ms(300)).await;
    delta(messages_in(bed).await, before)
}

/// Frames sent, from the medium's and the clients' counters.
#[derive(Debug, Clone, Copy, Default)]
struct Frames {
    /// Data frames of the associated clients.
    data: u64,
    /// Probes of the scanners.
    probes: u64,
}

impl Frames {
    fn read(bed: &Testbed, scanners: &[ClientHandle]) -> Frames {
        Frames {
            data: bed
                .clients
                .iter()
                .map(|c| bed.medium.traffic(c.mac()).data_sent)
                .sum(),
            probes: scanners.iter().map(|s| s.counters().scans).sum(),
        }
    }

    fn since(self, before: Frames) -> Frames {
        Frames {
            data: self.data - before.data,
            probes: self.probes - before.probes,
        }
    }

    /// Receptions at the agents' radios: every frame reaches every radio
    /// (lossless links).
    fn heard(self, agents: usize) -> u64 {
        (self.data + self.probes) * agents as u64
    }
}

/// Waits until every scanner has started `n` more scans than now. With
/// `n` = 2 the first of them started after this call and landed (at the
/// position or link of that moment, on every radio) before the second
/// started.
async fn probes(scanners: &[ClientHandle], n: u64) {
    let since: Vec<u64> = scanners.iter().map(|s| s.counters().scans).collect();
    let since = &since;
    eventually(Duration::from_secs(10), "scanners probed", || async move {
        for (s, before) in scanners.iter().zip(since) {
            let now = s.counters().scans;
            if now < before + n {
                return Err(format!("{}: {} of {n} probes", s.mac(), now - before));
            }
        }
        Ok(())
    })
    .await;
}

// ---------------------------------------------------------------------
// 1. Frames vs messages.

const AGENTS: usize = 3;
const SCANNERS: usize = 3;
/// The scanners' signal at every radio.
const SCANNER_DBM: f64 = -45.0;

/// Fixes the signal between every scanner and every radio (`None`: back
/// to the path-loss model).
fn set_links(bed: &Testbed, scanners: &[ClientHandle], signal: Option<f64>) {
    for s in scanners {
        for agent in &bed.agents {
            assert!(bed.medium.set_link(agent.radio, s.mac(), signal));
        }
    }
}

#[derive(Debug)]
struct FramesRun {
    label: &'static str,
    window: Duration,
    frames: Frames,
    heard: u64,
    inbound: MessageCounts,
}

/// A network of 3 agents and 6 associated clients sending every `data`;
/// three subscriptions installed, which every frame of a client (data or
/// probe) satisfies, two of them every probe of a scanner only; 3
/// scanners probing every `scan` join for 1.5 s, then leave (out of
/// range). What the controller received from just before the
/// subscriptions until their last match arrived.
async fn frames_run(label: &'static str, data: Duration, scan: Duration) -> FramesRun {
    let bed = Testbed::start(network(AGENTS, 6, data)).await.unwrap();
    all_associated(&bed).await;
    let macs: Vec<MacAddr> = bed.clients.iter().map(|c| c.mac()).collect();
    assert_lossless(&bed, &macs);

    let before = messages_in(&bed).await;
    let frames_before = Frames::read(&bed, &[]);
    let start = bed.medium.now();
    // Every frame of every client is below -30 dBm, every probe of a
    // scanner (-45 dBm) above -48 and -46 dBm: a naive agent would send a
    // match per frame for the first, two per probe for the others. A match
    // re-arms only once the value is back on the other side of the
    // threshold (by the hysteresis), which no frame here ever is; the
    // minimum interval plays no part. The associated clients (-50 dBm or
    // weaker) are below -48 dBm in every measure the agents take of them.
    subscribe(&bed, spec(Relation::Below, -30.0, 0.0, 200)).await;
    subscribe(&bed, spec(Relation::Above, -48.0, 0.0, 200)).await;
    subscribe(&bed, spec(Relation::Above, -46.0, 3.0, 0)).await;
    acknowledged(&bed).await;
    let scanners: Vec<ClientHandle> = (0..SCANNERS)
        .map(|i| add_scanner(&bed, i, Position::new(10.0 + 10.0 * i as f64, 10.0), scan))
        .collect();
    set_links(&bed, &scanners, Some(SCANNER_DBM));
    let macs: Vec<MacAddr> = scanners.iter().map(|s| s.mac()).collect();
    assert_lossless(&bed, &macs);
    tokio::time::sleep(ms(1500)).await;
    // Out of range: no radio hears them from now on.
    for s in &scanners {
        s.move_to(AWAY);
    }
    set_links(&bed, &scanners, None);
    let window = bed.medium.now().saturating_since(start);
    let frames = Frames::read(&bed, &scanners).since(frames_before);
    // Each subscription matches once per client it concerns on each agent
    // (at the first frame it evaluates): the first, the 6 associated
    // clients (their data frames' signal) and the scanners; the others, the
    // scanners.
    let expected = ((6 + SCANNERS) * AGENTS + 2 * SCANNERS * AGENTS) as u64;
    let inbound = matches_arrived(&bed, before, expected).await;
    // A client handle holds the medium: `stop` would wait for it.
    drop(scanners);
    bed.stop().await;
    assert_eq!(inbound.hello, 0, "{label}: an agent reconnected");
    assert_eq!(
        inbound.matched, expected,
        "{label}: one match per subscription, client and agent: {inbound:?}"
    );
    FramesRun {
        label,
        window,
        frames,
        heard: frames.heard(AGENTS),
        inbound,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_times_the_frames_bring_no_more_messages() {
    log_init();
    let slow = frames_run("slow", ms(100), ms(500)).await;
    let fast = frames_run("fast", ms(10), ms(50)).await;

    println!();
    println!("frames vs messages: {AGENTS} agents, 6 associated clients, {SCANNERS} scanners, 3 subscriptions every frame or every probe satisfies");
    println!(
        "{:<5} {:>7} {:>6} {:>6} {:>11} | {:>8} {:>9} {:>5} {:>12} {:>12} {:>6} {:>7} | {:>17}",
        "run",
        "window",
        "data",
        "probes",
        "heard (x3)",
        "in:total",
        "heartbeat",
        "stats",
        "non-periodic",
        "client_heard",
        "result",
        "matched",
        "non-periodic/1000"
    );
    for r in [&slow, &fast] {
        let m = &r.inbound;
        println!(
            "{:<5} {:>6.2}s {:>6} {:>6} {:>11} | {:>8} {:>9} {:>5} {:>12} {:>12} {:>6} {:>7} | {:>17.2}",
            r.label,
            r.window.as_secs_f64(),
            r.frames.data,
            r.frames.probes,
            r.heard,
            m.total,
            m.heartbeat,
            m.stats,
            non_periodic(m),
            m.client_heard,
            m.result,
            m.matched,
            1000.0 * non_periodic(m) as f64 / r.heard as f64,
        );
    }
    // Per second of medium time: the windows are 1.5 s plus whatever the
    // test task's wake-up took on a loaded machine.
    let rate = |r: &FramesRun| r.heard as f64 / r.window.as_secs_f64();
    let frame_ratio = rate(&fast) / rate(&slow);
    let (np_slow, np_fast) = (non_periodic(&slow.inbound), non_periodic(&fast.inbound));
    let per_frame = |r: &FramesRun| non_periodic(&r.inbound) as f64 / r.heard as f64;
    let fall = per_frame(&slow) / per_frame(&fast);
    println!(
        "frames heard per second: x{frame_ratio:.1}; non-periodic messages: {np_slow} -> {np_fast}; messages per frame heard: /{fall:.1}"
    );

    // The setup did what it says: ten times the frames (at least five on a
    // machine so loaded that the clients' timers skip slots).
    assert!(frame_ratio >= 5.0, "frame ratio {frame_ratio:.1}");
    // What is not periodic: the subscriptions' installation, one result
    // per subscription and agent (9); per associated client, one match per
    // agent (18); per scanner, one `ClientHeard` from each agent at its
    // first probe, then at most one a second from each agent that does not
    // serve it (`heard_interval`, whatever the probe rate), its
    // placement's result, one match per subscription and agent: 3 + 2 + 1
    // + 9 = 15 per scanner. 72 in all, in both runs. The only term that
    // can vary is the `ClientHeard` one, by one per non-serving agent and
    // scanner between a 1.5 s window and a late wake-up's 2.5 s one: at
    // most 3 x 2 x 1 = 6 of 72. Twice the slow run's count leaves room for that and more;
    // an agent sending anything per frame would bring ten times as much.
    assert!(
        np_fast <= 2 * np_slow,
        "non-periodic messages grew with the frames: {np_slow} -> {np_fast}"
    );
    // The agents' own bound on `ClientHeard`: at most one per scanner and
    // agent at the first probe, then one a second.
    for r in [&slow, &fast] {
        let bound = (SCANNERS * AGENTS) as u64 * (1 + r.window.as_secs() + 1);
        assert!(
            r.inbound.client_heard <= bound,
            "{}: {} ClientHeard, more than {bound}",
            r.label,
            r.inbound.client_heard
        );
    }
    // Hence the ratio of messages to frames heard drops by about the frame
    // ratio (at least half of it).
    assert!(
        fall >= frame_ratio / 2.0,
        "messages per frame heard fell /{fall:.1} for x{frame_ratio:.1} frames"
    );
}

// ---------------------------------------------------------------------
// 2. Subscriptions vs messages.

/// Where the scanners' signal rests (-55 dBm, not above -45 and low
/// enough to re-arm) and where it goes to match (-40 dBm).
const REST_DBM: f64 = -55.0;
const PEAK_DBM: f64 = -40.0;
/// Times each scanner's signal goes up and back per round.
const CYCLES: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matches_grow_with_the_subscriptions_at_a_fixed_frame_rate() {
    log_init();
    // Three associated clients sending every 100 ms, two scanners probing
    // every 50 ms: the same frame rate all along.
    let bed = Testbed::start(network(AGENTS, 3, ms(100))).await.unwrap();
    all_associated(&bed).await;
    let scanners: Vec<ClientHandle> = (0..2)
        .map(|i| add_scanner(&bed, i, Position::new(20.0, 10.0), ms(50)))
        .collect();
    set_links(&bed, &scanners, Some(REST_DBM));
    let macs: Vec<MacAddr> = bed
        .clients
        .iter()
        .chain(&scanners)
        .map(|c| c.mac())
        .collect();
    assert_lossless(&bed, &macs);
    probes(&scanners, 2).await;

    let mut installed: Vec<u64> = Vec::new();
    let mut rows = Vec::new();
    for k in [0u64, 1, 2, 4] {
        for id in installed.drain(..) {
            unsubscribe(&bed, id).await;
        }
        // Identical subscriptions: signal above -45 dBm, re-armed at or
        // below -50 dBm, no minimum interval (so that no count depends on
        // when the agent gets to a frame). The associated clients (-50 dBm
        // and weaker, in every measure: their data frames' samples, the
        // station reports) never match.
        for _ in 0..k {
            installed.push(subscribe(&bed, spec(Relation::Above, -45.0, 5.0, 0)).await);
        }
        acknowledged(&bed).await;
        let before = messages_in(&bed).await;
        let frames_before = Frames::read(&bed, &scanners);
        let start = bed.medium.now();
        // Up and back down, each step held until at least one probe with
        // the new signal reached every radio.
        for _ in 0..CYCLES {
            set_links(&bed, &scanners, Some(PEAK_DBM));
            probes(&scanners, 2).await;
            set_links(&bed, &scanners, Some(REST_DBM));
            probes(&scanners, 2).await;
        }
        let window = bed.medium.now().saturating_since(start);
        let frames = Frames::read(&bed, &scanners).since(frames_before);
        // Each agent hears each scanner go above -45 dBm CYCLES times, in
        // order (a radio's events are queued in order), each time re-armed
        // by a probe at -55 dBm before: one match per subscription,
        // crossing, scanner and agent, exactly.
        let expected = k * CYCLES * scanners.len() as u64 * AGENTS as u64;
        let inbound = matches_arrived(&bed, before, expected).await;
        rows.push((k, window, frames, inbound, expected));
    }
    let dropped = bed.medium.stats().events_dropped;
    drop(scanners);
    bed.stop().await;

    println!();
    println!(
        "subscriptions vs messages: {AGENTS} agents, 3 associated clients (data every 100 ms), 2 scanners (a probe every 50 ms), {CYCLES} crossings each per round"
    );
    println!(
        "{:>2} {:>7} {:>6} {:>6} {:>11} | {:>7} {:>8} {:>12} {:>12} | {:>17}",
        "k",
        "window",
        "data",
        "probes",
        "heard (x3)",
        "matched",
        "expected",
        "non-periodic",
        "client_heard",
        "matched/1000 heard"
    );
    for (k, window, frames, inbound, expected) in &rows {
        let heard = frames.heard(AGENTS);
        println!(
            "{k:>2} {:>6.2}s {:>6} {:>6} {:>11} | {:>7} {:>8} {:>12} {:>12} | {:>17.2}",
            window.as_secs_f64(),
            frames.data,
            frames.probes,
            heard,
            inbound.matched,
            expected,
            non_periodic(inbound),
            inbound.client_heard,
            1000.0 * inbound.matched as f64 / heard as f64,
        );
    }

    assert_eq!(dropped, 0, "radio events dropped: counts are off");
    // Exact, no tolerance: every link is lossless, every step lasts until
    // a probe with its signal reached every radio, and without a minimum
    // interval the agent's verdict on each probe does not depend on when
    // it gets to it. So k subscriptions bring k times one's matches, and
    // none bring none, whatever the frames (which vary from round to round
    // with the machine's load, and do not matter).
    for (k, _, _, inbound, expected) in &rows {
        assert_eq!(inbound.hello, 0, "k = {k}: an agent reconnected");
        assert_eq!(
            inbound.matched, *expected,
            "k = {k}: {} matches, expected {expected}: {inbound:?}",
            inbound.matched
        );
    }
    let one = rows[1].3.matched;
    assert_eq!(rows[0].3.matched, 0);
    assert!(one > 0);
    for (k, _, _, inbound, _) in &rows {
        assert_eq!(inbound.matched, k * one, "linear in the subscriptions");
    }
}

// ---------------------------------------------------------------------
// 3. Hysteresis and minimum interval at the agent, a client moving.

/// Matches seen in the controller's events, by subscription.
struct Matches {
    events: broadcast::Receiver<ControllerEvent>,
    values: BTreeMap<u64, Vec<f64>>,
}

impl Matches {
    fn drain(&mut self) {
        loop {
            match self.events.try_recv() {
                Ok(ControllerEvent::SubscriptionMatched {
                    subscription,
                    value,
                    ..
                }) => self.values.entry(subscription).or_default().push(value),
                Ok(_) => {}
                Err(broadcast::error::TryRecvError::Empty) => return,
                Err(e) => panic!("events: {e}"),
            }
        }
    }

    fn count(&self, subscription: u64) -> usize {
        self.values.get(&subscription).map_or(0, Vec::len)
    }

    /// Waits until the counts are `expected` (by subscription); panics at
    /// once if one goes past it.
    async fn expect(&mut self, expected: &[(u64, usize)], phase: &str) {
        let start = tokio::time::Instant::now();
        loop {
            self.drain();
            let counts: Vec<(u64, usize)> = expected
                .iter()
                .map(|&(id, _)| (id, self.count(id)))
                .collect();
            for (&(id, want), &(_, got)) in expected.iter().zip(&counts) {
                assert!(
                    got <= want,
                    "{phase}: subscription {id} matched {got} times, expected {want}: {:?}",
                    self.values
                );
            }
            if counts == expected {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{phase}: matches {counts:?}, expected {expected:?}"
            );
            tokio::time::sleep(ms(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moving_client_matches_once_per_crossing() {
    log_init();
    // One agent at the origin, one scanner probing every 50 ms that walks
    // away and back. The medium's path loss gives, rounded as the radio
    // reports it: 10 m -50 dBm, 16 m -56 dBm, 30 m -64 dBm, 40 m -68 dBm
    // (all lossless).
    let mut config = network(1, 0, ms(100));
    config.agents = vec![Position::new(0.0, 0.0)];
    let bed = Testbed::start(config).await.unwrap();
    let at = |m: f64| Position::new(m, 0.0);
    let scanner = add_scanner(&bed, 0, at(10.0), ms(50));
    let scanners = [scanner.clone()];
    probes(&scanners, 2).await;

    let mut matches = Matches {
        events: bed.controller.events(),
        values: BTreeMap::new(),
    };
    // a: below -60 dBm, re-armed at -54 dBm or above.
    let a = subscribe(&bed, spec(Relation::Below, -60.0, 6.0, 0)).await;
    // b: the same with a minimum interval of a minute (this test lasts a
    // couple of seconds): its first match only.
    let b = subscribe(&bed, spec(Relation::Below, -60.0, 6.0, 60_000)).await;
    // c: above -60 dBm without hysteresis: re-armed by any value at or
    // below -60 dBm, not by time.
    let c = subscribe(&bed, spec(Relation::Above, -60.0, 0.0, 0)).await;
    acknowledged(&bed).await;
    let before = messages_in(&bed).await;
    let start = bed.medium.now();

    // (distance, probes to wait for, a, b, c cumulative matches after it)
    let phases: [(f64, u64, usize, usize, usize); 11] = [
        // At 10 m (-50): c matches at the first probe it evaluates.
        (10.0, 2, 0, 0, 1),
        // Down through -60: a and b match.
        (30.0, 2, 1, 1, 1),
        // Further down, and staying there: nothing more.
        (40.0, 6, 1, 1, 1),
        // Back up to -56: within a's hysteresis, a stays disarmed; above
        // -60, c (re-armed at -64) matches.
        (16.0, 2, 1, 1, 2),
        // Down again: a is not re-armed, nothing.
        (30.0, 2, 1, 1, 2),
        // Up to -50: a re-armed; c matches.
        (10.0, 2, 1, 1, 3),
        // Down: a matches; b, re-armed too, is within its minimum interval.
        (30.0, 2, 2, 1, 3),
        (10.0, 2, 2, 1, 4),
        (40.0, 2, 3, 1, 4),
        (10.0, 2, 3, 1, 5),
        (30.0, 4, 4, 1, 5),
    ];
    println!();
    println!("a moving client, one agent: a = below -60 dBm, hysteresis 6; b = a with a 60 s minimum interval; c = above -60 dBm, hysteresis 0");
    println!(
        "{:>5} {:>8} {:>7} | {:>2} {:>2} {:>2}",
        "phase", "distance", "signal", "a", "b", "c"
    );
    for (i, &(distance, n, ea, eb, ec)) in phases.iter().enumerate() {
        scanner.move_to(at(distance));
        probes(&scanners, n).await;
        let phase = format!("phase {i} ({distance} m)");
        matches.expect(&[(a, ea), (b, eb), (c, ec)], &phase).await;
        let signal = bed
            .medium
            .signal(bed.agents[0].radio, scanner.mac())
            .unwrap();
        println!(
            "{i:>5} {:>7}m {:>7.0} | {:>2} {:>2} {:>2}",
            distance,
            signal.round(),
            matches.count(a),
            matches.count(b),
            matches.count(c)
        );
    }
    let elapsed = bed.medium.now().saturating_since(start);
    tokio::time::sleep(ms(300)).await;
    matches.drain();
    let inbound = delta(messages_in(&bed).await, before);
    drop((scanner, scanners));
    bed.stop().await;
    println!("values: {:?}; {elapsed:?}", matches.values);

    assert!(
        elapsed < Duration::from_secs(60),
        "b's minimum interval assumes a run under a minute, not {elapsed:?}"
    );
    assert_eq!(matches.values[&a], vec![-64.0, -64.0, -68.0, -64.0]);
    assert_eq!(matches.values[&b], vec![-64.0]);
    assert_eq!(matches.values[&c], vec![-50.0, -56.0, -50.0, -50.0, -50.0]);
    assert_eq!(inbound.hello, 0, "the agent reconnected");
    assert_eq!(inbound.matched, 10, "every match the controller received");
}

// ---------------------------------------------------------------------
// 4. The same rule on an agent with two radios (the testbed's agents have
// one): sans-IO.

#[test]
fn an_agent_with_two_radios_matches_per_crossing_not_per_frame() {
    let radio = |index: u32| RadioInfo {
        index,
        name: format!("phy{index}"),
        addr: MacAddr([0x02, 0xa9, 0, 0, 0x10, index as u8]),
        band: Band::Ghz2,
        channel: CHANNEL,
        channels: vec![1, 6, 11],
        ht: false,
        vht: false,
        max_lvaps: 8,
    };
    let mut core = AgentCore::new(
        AgentConfig::new("ap-1"),
        vec![radio(0), radio(1)],
        vec![BssConfig::new(b"", CHANNEL), BssConfig::new(b"", CHANNEL)],
    );
    let mut out = Vec::new();
    core.handle(AgentInput::ControllerUp, Instant::ZERO, &mut out);
    let subscription = Subscription {
        id: 7,
        client: None,
        statistic: Statistic::SignalDbm,
        relation: Relation::Below,
        threshold: -70.0,
        hysteresis: 3.0,
        min_interval_ms: 0,
    };
    core.handle(
        AgentInput::Controller(ControllerMsg::Subscribe {
            id: 1,
            subscription,
        }),
        Instant::ZERO,
        &mut out,
    );
    // A client heard by radio 0 at -60 dBm and by radio 1 at -80 dBm: each
    // of its probes comes from both radios.
    let client = scanner_mac(1);
    let probe = MgmtRepr {
        header: MgmtHeader::new(MacAddr::BROADCAST, client, MacAddr::BROADCAST),
        body: MgmtBody::ProbeReq(ProbeReqRepr {
            elements: &[0, 0, 1, 1, 0x82],
        }),
    }
    .to_vec()
    .unwrap();
    let mut matched = Vec::new();
    let frames = 100u64;
    for i in 0..frames {
        let (radio, signal) = if i % 2 == 0 { (0, -60) } else { (1, -80) };
        out.clear();
        let event = RadioEvent::Frame {
            bssid: None,
            frame: probe.clone(),
            signal_dbm: Some(signal),
        };
        core.handle(
            AgentInput::Radio(radio, event),
            Instant::from_millis(1000 + 10 * i),
            &mut out,
        );
        matched.extend(out.iter().filter_map(|o| match o {
            AgentOutput::Controller(AgentMsg::Matched { radio, value, .. }) => {
                Some((*radio, *value))
            }
            _ => None,
        }));
    }
    println!();
    println!(
        "two radios, one client on both sides of the threshold: {frames} frames, {} matches: {:?}",
        matched.len(),
        &matched[..matched.len().min(4)]
    );
    // The client is below the threshold at radio 1 all along: one match.
    // Were the state kept per client across radios, radio 0's -60 dBm
    // would re-arm it at every other frame: a match per two frames.
    assert_eq!(matched, vec![(1, -80.0)]);
}
