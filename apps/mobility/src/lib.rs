//! **mobility**: the mobility manager. It follows a client whose signal
//! at its access point grows weak across the access points that hear it,
//! and moves it when another one hears it clearly better, without ever
//! bouncing it between two that hear it alike.
//!
//! # How it decides
//!
//! 1. **A trigger at the agents.** At start the app subscribes to "signal
//!    below `trigger_dbm`" (re-armed `trigger_hysteresis_db` above it, at
//!    most one report per client and radio per `check_ms`). The agents
//!    evaluate it on every frame they hear, so nothing travels while
//!    clients are well served. A report from the radio that serves the
//!    client starts *watching* it; reports from other radios are ignored.
//! 2. **Smoothing.** While a client is watched the app keeps, for every
//!    radio that reports its signal, an exponentially weighted mean of
//!    the reports (the latest signal each radio reported, as the
//!    controller shows it, each report counted once, by its time): the
//!    first report sets the mean, each later report `x` moves it to
//!    `mean + alpha * (x - mean)`. Reports older than `max_age_ms` are not
//!    counted, nor is a report of -128 dBm (no measure).
//! 3. **The decision**, at the trigger's report and then every `check_ms`
//!    while watched (a timer): the best radio other than the serving one,
//!    among those with `min_reports` reports counted, the latest within
//!    `max_age_ms`, on an agent that is up, is the target if its mean is
//!    at least `hysteresis_db` above the serving radio's mean (which needs
//!    `min_reports` reports too). The move carries a reason with both
//!    means and the margin.
//! 4. **Holding back.** No move of a client within `dwell_ms` of its last
//!    move or placement (by anyone), nor while a move of it is under way;
//!    a move the controller refuses because another app (or the operator)
//!    is moving the client (`ClientBusy`) is left to them; after a
//!    handoff that failed, the client is left alone for `backoff_ms`.
//! 5. **The end of a watch.** Once the serving radio reports the client
//!    at `trigger_dbm + trigger_hysteresis_db` or better (a report made
//!    after the watch began: the agent has re-armed its trigger then), or
//!    the client has no LVAP any more, the app forgets it.
//!
//! Why it never bounces between two access points that hear a client
//! alike: a mean is a weighted average of the reports it counted, so when
//! every report of either radio is within `a` dB of the same level, the
//! two means differ by at most `2a`, and only by `2a` if every report of
//! one radio was at the top and every report of the other at the bottom.
//! A move needs `hysteresis_db` (6 by default: noise of ±3 dB would need
//! that every time); `dwell_ms` bounds how often even that could move the
//! client. The unit tests show it on ten minutes of such noise: no move
//! with the defaults, nine back and forth without the smoothing.
//!
//! # Configuration
//!
//! `[apps.mobility]` in the controller's configuration file, or the JSON
//! body of `PUT /api/v1/apps/mobility/config`; every key optional, an
//! unknown key refused.
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `trigger_dbm` | -70 | a serving signal below this (reported by the agent) starts watching the client |
//! | `trigger_hysteresis_db` | 3 | the agents report a client again only once it was back above `trigger_dbm` + this; a watch ends there |
//! | `hysteresis_db` | 6 | the target's smoothed signal must be at least this much above the serving radio's |
//! | `alpha` | 0.3 | weight of a new report in a radio's mean (0 < alpha ≤ 1; 1: no smoothing) |
//! | `min_reports` | 3 | reports a radio's mean needs before it counts (at least 1) |
//! | `dwell_ms` | 5000 | no move of a client within this long of its last move or placement |
//! | `check_ms` | 500 | a watched client is re-checked this often; also the agents' minimum interval between two trigger reports per client and radio (more than 0) |
//! | `max_age_ms` | 3000 | reports older than this do not count |
//! | `backoff_ms` | 10000 | after a failed handoff, no new move of that client for this long |

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use odin_app::{
    parse_config, ActionId, App, AppError, AppKind, ClientInfo, Context, Event, Filter, Heard,
    Instant, LvapState, MacAddr, RadioRef, SubscriptionId, TimerId,
};
use serde::Deserialize;

/// The app's settings (the table of the crate documentation).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// A serving signal below this (dBm) starts watching the client.
    pub trigger_dbm: f64,
    /// The trigger re-arms this far above `trigger_dbm` (dB); a watch
    /// ends there.
    pub trigger_hysteresis_db: f64,
    /// How much better (dB) the target's smoothed signal must be.
    pub hysteresis_db: f64,
    /// Weight of a new report in a radio's mean.
    pub alpha: f64,
    /// Reports a radio's mean needs before it counts.
    pub min_reports: u32,
    /// No move within this long of the client's last move or placement
    /// (ms).
    pub dwell_ms: u64,
    /// Re-check interval of a watched client, and the agents' minimum
    /// interval between two trigger reports (ms).
    pub check_ms: u64,
    /// Reports older than this do not count (ms).
    pub max_age_ms: u64,
    /// After a failed handoff, no move of that client for this long (ms).
    pub backoff_ms: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            trigger_dbm: -70.0,
            trigger_hysteresis_db: 3.0,
            hysteresis_db: 6.0,
            alpha: 0.3,
            min_reports: 3,
            dwell_ms: 5000,
            check_ms: 500,
            max_age_ms: 3000,
            backoff_ms: 10_000,
        }
    }
}

impl Config {
    /// Refuses settings the app cannot work with.
    pub fn validate(&self) -> Result<(), AppError> {
        let bad = |why: &str| Err(AppError::Config(why.to_string()));
        if !self.trigger_dbm.is_finite() {
            return bad("trigger_dbm must be a number");
        }
        if !(self.trigger_hysteresis_db.is_finite() && self.trigger_hysteresis_db >= 0.0) {
            return bad("trigger_hysteresis_db must be 0 or more");
        }
        if !(self.hysteresis_db.is_finite() && self.hysteresis_db >= 0.0) {
            return bad("hysteresis_db must be 0 or more");
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return bad("alpha must be above 0 and at most 1");
        }
        if self.min_reports == 0 {
            return bad("min_reports must be at least 1");
        }
        if self.check_ms == 0 {
            return bad("check_ms must be more than 0");
        }
        Ok(())
    }
}

/// How the controller makes it.
pub const KIND: AppKind = AppKind {
    name: "mobility",
    about: "follows each client's smoothed signal and moves it to an access point that hears it clearly better, with hysteresis and a dwell time",
    create: |config| Ok(Box::new(Mobility::new(parse_config(config)?)?)),
};

/// The smoothed signal of one client at one radio.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mean {
    /// The mean, dBm.
    dbm: f64,
    /// Reports counted.
    reports: u32,
    /// When the last report counted was made.
    last: Instant,
}

/// A client whose serving signal was reported weak.
#[derive(Debug, Clone, PartialEq)]
struct Watch {
    /// When the trigger's report came.
    since: Instant,
    /// The smoothed signal at every radio that reported the client since.
    means: BTreeMap<RadioRef, Mean>,
    /// The re-check timer, while one is set.
    timer: Option<TimerId>,
}

impl Watch {
    /// Counts the reports not counted yet (see the crate documentation).
    fn fold(&mut self, heard: &[Heard], now: Instant, config: &Config) {
        let max_age = Duration::from_millis(config.max_age_ms);
        for h in heard {
            if h.signal_dbm == i8::MIN || now.saturating_since(h.when) > max_age {
                continue;
            }
            let x = f64::from(h.signal_dbm);
            match self.means.get_mut(&h.at) {
                None => {
                    let mean = Mean {
                        dbm: x,
                        reports: 1,
                        last: h.when,
                    };
                    self.means.insert(h.at.clone(), mean);
                }
                Some(m) if h.when > m.last => {
                    m.dbm += config.alpha * (x - m.dbm);
                    m.reports = m.reports.saturating_add(1);
                    m.last = h.when;
                }
                Some(_) => {}
            }
        }
    }
}

/// A move worth making.
#[derive(Debug, Clone, PartialEq)]
struct Decision {
    /// The serving radio's mean, dBm.
    from_dbm: f64,
    /// The target.
    to: RadioRef,
    /// Its mean, dBm.
    to_dbm: f64,
}

/// The app.
#[derive(Debug)]
pub struct Mobility {
    config: Config,
    /// The trigger subscription.
    weak: Option<SubscriptionId>,
    /// Clients being watched.
    watched: BTreeMap<MacAddr, Watch>,
    /// Re-check timers, by the client they are for.
    timers: BTreeMap<TimerId, MacAddr>,
    /// When each client last moved or was placed, within `dwell_ms`.
    settled: BTreeMap<MacAddr, Instant>,
    /// The same, oldest first, to forget them once the dwell is over.
    settled_order: VecDeque<(Instant, MacAddr)>,
    /// Clients left alone after a failed handoff, until when.
    backoff: BTreeMap<MacAddr, Instant>,
    /// Moves asked for and not ended yet.
    moves: BTreeMap<ActionId, MacAddr>,
}

impl Mobility {
    /// The app with these settings, if they are usable.
    pub fn new(config: Config) -> Result<Mobility, AppError> {
        config.validate()?;
        Ok(Mobility {
            config,
            weak: None,
            watched: BTreeMap::new(),
            timers: BTreeMap::new(),
            settled: BTreeMap::new(),
            settled_order: VecDeque::new(),
            backoff: BTreeMap::new(),
            moves: BTreeMap::new(),
        })
    }

    /// Its settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The trigger reported `client` weak at `at`: watch it if `at`
    /// serves it.
    fn weak_at(&mut self, ctx: &mut Context<'_>, client: MacAddr, at: &RadioRef) {
        let Some(info) = ctx.client(client) else {
            return;
        };
        let serving = info
            .lvap
            .as_ref()
            .filter(|l| l.state == LvapState::Active)
            .map(|l| &l.at);
        if serving != Some(at) {
            // Another radio hears it weakly: nothing to do.
            return;
        }
        let now = ctx.now();
        self.watched.entry(client).or_insert_with(|| Watch {
            since: now,
            means: BTreeMap::new(),
            timer: None,
        });
        self.check(ctx, client, &info);
    }

    /// Counts the client's new reports and moves it if a move is due;
    /// then ends its watch or sets its re-check timer.
    fn check(&mut self, ctx: &mut Context<'_>, client: MacAddr, info: &ClientInfo) {
        let now = ctx.now();
        let Some(watch) = self.watched.get_mut(&client) else {
            return;
        };
        watch.fold(&info.heard, now, &self.config);
        let Some(lvap) = info.lvap.as_ref() else {
            // Gone: its LVAP was removed.
            self.forget(ctx, client);
            return;
        };
        if lvap.state != LvapState::Active {
            // Being placed or moved: look again later.
            self.recheck(ctx, client);
            return;
        }
        let serving = &lvap.at;
        let rearm = self.config.trigger_dbm + self.config.trigger_hysteresis_db;
        let since = watch.since;
        let recovered = info
            .heard
            .iter()
            .any(|h| &h.at == serving && h.when > since && f64::from(h.signal_dbm) >= rearm);
        if recovered {
            self.forget(ctx, client);
            return;
        }
        if !self.held(client, now) {
            if let Some(decision) = self.decide(ctx, client, serving, now) {
                self.hand_off(ctx, client, serving, decision);
            }
        }
        self.recheck(ctx, client);
    }

    /// True when the client must not be moved now: a move of ours is under
    /// way, it moved or was placed within `dwell_ms`, or it is backing off
    /// after a failed handoff.
    fn held(&mut self, client: MacAddr, now: Instant) -> bool {
        if self.moves.values().any(|c| *c == client) {
            return true;
        }
        let dwell = Duration::from_millis(self.config.dwell_ms);
        if self
            .settled
            .get(&client)
            .is_some_and(|at| now.saturating_since(*at) < dwell)
        {
            return true;
        }
        match self.backoff.get(&client) {
            Some(until) if now < *until => true,
            Some(_) => {
                self.backoff.remove(&client);
                false
            }
            None => false,
        }
    }

    /// The best target for a watched client, if one is better than the
    /// serving radio by the hysteresis.
    fn decide(
        &self,
        ctx: &Context<'_>,
        client: MacAddr,
        serving: &RadioRef,
        now: Instant,
    ) -> Option<Decision> {
        let watch = self.watched.get(&client)?;
        let enough = |m: &Mean| m.reports >= self.config.min_reports;
        let from = watch.means.get(serving).filter(|m| enough(m))?;
        let max_age = Duration::from_millis(self.config.max_age_ms);
        let (to, best) = watch
            .means
            .iter()
            .filter(|(at, m)| {
                *at != serving
                    && enough(m)
                    && now.saturating_since(m.last) <= max_age
                    && ctx.agent(&at.agent).is_some_and(|a| a.up)
            })
            // The strongest; of equals, the first radio in order.
            .max_by(|a, b| a.1.dbm.total_cmp(&b.1.dbm).then_with(|| b.0.cmp(a.0)))?;
        (best.dbm - from.dbm >= self.config.hysteresis_db).then(|| Decision {
            from_dbm: from.dbm,
            to: to.clone(),
            to_dbm: best.dbm,
        })
    }

    /// Asks for the move; a refusal leaves the client watched.
    fn hand_off(
        &mut self,
        ctx: &mut Context<'_>,
        client: MacAddr,
        serving: &RadioRef,
        d: Decision,
    ) {
        let reason = format!(
            "weak at {serving}: {:.1} dBm smoothed (trigger {} dBm); {} hears {:.1} dBm smoothed, {:.1} dB better (hysteresis {} dB)",
            d.from_dbm,
            self.config.trigger_dbm,
            d.to,
            d.to_dbm,
            d.to_dbm - d.from_dbm,
            self.config.hysteresis_db,
        );
        match ctx.handoff_to(client, &d.to.agent, Some(d.to.radio), reason.clone()) {
            Ok(action) => {
                self.moves.insert(action, client);
                ctx.log(format_args!("moving {client}: {reason}"));
            }
            // Another app or the operator is moving it: theirs to finish;
            // its move restarts the dwell time.
            Err(AppError::ClientBusy { by, .. }) => {
                ctx.log(format_args!("{client} would move, but {by} is moving it"));
            }
            // Not movable there right now: the next check will tell.
            Err(e) => ctx.warn(format_args!("{client} not moved to {}: {e}", d.to)),
        }
    }

    /// Sets the client's re-check timer, unless one is set.
    fn recheck(&mut self, ctx: &mut Context<'_>, client: MacAddr) {
        let Some(watch) = self.watched.get_mut(&client) else {
            return;
        };
        if watch.timer.is_none() {
            let timer = ctx.set_timer(Duration::from_millis(self.config.check_ms));
            watch.timer = Some(timer);
            self.timers.insert(timer, client);
        }
    }

    /// Stops watching the client.
    fn forget(&mut self, ctx: &mut Context<'_>, client: MacAddr) {
        if let Some(Watch {
            timer: Some(timer), ..
        }) = self.watched.remove(&client)
        {
            self.timers.remove(&timer);
            // An error only says it fired already.
            let _ = ctx.cancel_timer(timer);
        }
    }

    /// The client moved or was placed now: its dwell time starts.
    fn settle(&mut self, client: MacAddr, now: Instant) {
        let dwell = Duration::from_millis(self.config.dwell_ms);
        while let Some((at, old)) = self.settled_order.front().copied() {
            if now.saturating_since(at) < dwell {
                break;
            }
            self.settled_order.pop_front();
            if self.settled.get(&old) == Some(&at) {
                self.settled.remove(&old);
            }
        }
        self.settled.insert(client, now);
        self.settled_order.push_back((now, client));
    }
}

impl App for Mobility {
    fn start(&mut self, ctx: &mut Context<'_>) -> Result<(), AppError> {
        let filter = Filter::signal_below(self.config.trigger_dbm)
            .hysteresis(self.config.trigger_hysteresis_db)
            .min_interval(Duration::from_millis(self.config.check_ms));
        self.weak = Some(ctx.subscribe(filter)?);
        Ok(())
    }

    // Never returns an error: an error would drop the call's timers and
    // moves, which the app's own maps already hold.
    fn on_event(&mut self, ctx: &mut Context<'_>, event: &Event) -> Result<(), AppError> {
        let now = ctx.now();
        match event {
            Event::Matched {
                subscription,
                client,
                at,
                ..
            } if Some(*subscription) == self.weak => self.weak_at(ctx, *client, at),
            Event::Timer { timer } => {
                if let Some(client) = self.timers.remove(timer) {
                    if let Some(watch) = self.watched.get_mut(&client) {
                        watch.timer = None;
                    }
                    match ctx.client(client) {
                        Some(info) => self.check(ctx, client, &info),
                        None => self.forget(ctx, client),
                    }
                }
            }
            Event::LvapPlaced { client, .. } | Event::LvapMoved { client, .. } => {
                self.settle(*client, now);
            }
            Event::ActionDone { action, result } => {
                if let Some(client) = self.moves.remove(action) {
                    match result {
                        Ok(()) => self.settle(client, now),
                        Err(e) => {
                            let backoff = Duration::from_millis(self.config.backoff_ms);
                            self.backoff.retain(|_, until| *until > now);
                            self.backoff.insert(client, now + backoff);
                            ctx.warn(format_args!(
                                "moving {client} failed ({e}): left alone for {backoff:?}"
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
