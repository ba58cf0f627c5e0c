//! The app runtime: the apps of [`odin_app`] inside the sans-IO core.
//!
//! # How apps run
//!
//! Apps are registered by kind ([`Controller::register_app`]) and enabled,
//! disabled and configured by commands ([`Command::EnableApp`], ...), so
//! that the configuration file, the API and the dashboard go through one
//! path and every change is an event ([`ControllerEvent::AppChanged`]).
//!
//! After every input, the events that input produced are given to the
//! enabled apps, in their order of registration, one call at a time, with
//! the controller itself as the [`Network`] they read. An app's requests
//! are carried out as soon as its call returns `Ok`, before the next app
//! is called: an app that moves a client is seen moving it by the apps
//! after it (their handoff of that client is refused as
//! [`AppError::ClientBusy`]), so two apps never move one client at once.
//! The events those requests produce are given to the apps in turn, up to
//! [`MAX_ROUNDS`] rounds per input (an app that answers every move with
//! another cannot spin the controller).
//!
//! # Isolation
//!
//! A call that returns `Err` has its requests dropped and its holdings
//! (subscriptions, timers) put back as they were; the failure is an
//! [`ControllerEvent::AppFailed`] event. A call that panics is caught
//! (`catch_unwind`); the instance is dropped, its subscriptions and timers
//! removed, and the app is made again from its configuration and started,
//! unless it panicked [`MAX_PANICS`] times within [`PANIC_WINDOW`]: then it
//! is disabled. Either way the controller and the other apps go on.
//!
//! # Attribution
//!
//! An app's handoffs and channel changes run with [`Origin::App`]: the
//! events of the handoff (started, completed, failed) and the channel
//! change carry it, and so does the event history.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use odin_app::{
    ActionId, AgentInfo, App, AppError, AppKind, Candidate, ClientInfo, Context, Event, Heard,
    Holdings, LvapInfo, Network, RadioInfo, RadioRef, Request, StatsAt, SubscriptionId, TimerId,
};
use odin_proto::MacAddr;

use super::api::{
    AppOutcome, Command, CommandError, CommandId, CommandOk, ControllerEvent, Origin, Output,
    SubscriptionSpec,
};
use super::registry::LvapState;
use super::time::Instant;
use super::Controller;

/// Rounds of event delivery per input.
pub const MAX_ROUNDS: usize = 32;
/// Panics within [`PANIC_WINDOW`] that disable an app.
pub const MAX_PANICS: usize = 3;
/// See [`MAX_PANICS`].
pub const PANIC_WINDOW: Duration = Duration::from_secs(60);

/// What the runtime counted for one app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppCounters {
    /// Calls (start, events).
    pub calls: u64,
    /// Requests carried out.
    pub requests: u64,
    /// Calls that returned an error.
    pub errors: u64,
    /// Calls that panicked.
    pub panics: u64,
    /// Times it was made again after a panic.
    pub restarts: u64,
}

/// An app as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppStatus {
    /// Its name.
    pub name: String,
    /// What it does.
    pub about: String,
    /// Enabled.
    pub enabled: bool,
    /// Its configuration.
    pub config: serde_json::Value,
    /// Counters.
    pub counters: AppCounters,
    /// The last failure, in words.
    pub last_error: Option<String>,
}

struct Slot {
    kind: AppKind,
    enabled: bool,
    config: serde_json::Value,
    app: Option<Box<dyn App>>,
    holdings: Holdings,
    panics: Vec<Instant>,
    counters: AppCounters,
    last_error: Option<String>,
}

/// What a command the runtime sent on an app's behalf was for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    Action(String, ActionId),
    Subscribe(String, SubscriptionId),
    Unsubscribe,
}

/// The app runtime's state (owned by the [`Controller`]).
#[derive(Default)]
pub struct AppHost {
    slots: BTreeMap<String, Slot>,
    /// Registration order.
    order: Vec<String>,
    sent: BTreeMap<CommandId, Sent>,
    /// The core's subscription id → its app's.
    subscriptions: BTreeMap<u64, (String, SubscriptionId)>,
    /// (app, its id) → the core's.
    core_subscription: BTreeMap<(String, SubscriptionId), u64>,
    timers: BTreeSet<(Instant, String, TimerId)>,
    /// Events not delivered because an input took more than
    /// [`MAX_ROUNDS`] rounds.
    pub(crate) undelivered: u64,
}

impl std::fmt::Debug for AppHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppHost")
            .field("apps", &self.order)
            .field("sent", &self.sent)
            .field("subscriptions", &self.subscriptions)
            .field("timers", &self.timers.len())
            .finish_non_exhaustive()
    }
}

impl AppHost {
    fn busy(&self) -> bool {
        self.slots.values().any(|s| s.app.is_some()) || !self.sent.is_empty()
    }

    /// The earliest timer.
    pub(crate) fn poll_at(&self) -> Option<Instant> {
        self.timers.first().map(|(at, _, _)| *at)
    }

    /// Every registered app.
    pub(crate) fn status(&self) -> Vec<AppStatus> {
        self.order
            .iter()
            .filter_map(|name| self.slots.get(name).map(|s| (name, s)))
            .map(|(name, s)| AppStatus {
                name: name.clone(),
                about: s.kind.about.to_string(),
                enabled: s.enabled,
                config: s.config.clone(),
                counters: s.counters,
                last_error: s.last_error.clone(),
            })
            .collect()
    }

    /// The core subscription ids of an app.
    fn subscriptions_of(&self, app: &str) -> Vec<u64> {
        self.core_subscription
            .iter()
            .filter(|((a, _), _)| a == app)
            .map(|(_, id)| *id)
            .collect()
    }

    /// Forgets an app's subscriptions and timers; returns the core
    /// subscriptions to remove.
    fn release(&mut self, app: &str) -> Vec<u64> {
        let ids = self.subscriptions_of(app);
        for id in &ids {
            if let Some(key) = self.subscriptions.remove(id) {
                self.core_subscription.remove(&key);
            }
        }
        self.timers.retain(|(_, a, _)| a != app);
        if let Some(slot) = self.slots.get_mut(app) {
            slot.holdings.subscriptions.clear();
            slot.holdings.timers.clear();
        }
        ids
    }
}

/// Who gets an event: every app, or one.
enum To {
    All(Event),
    One(String, Event),
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// How a call went.
enum Call {
    Ok(Vec<Request>),
    Err(AppError),
    Panic(String),
}

impl Controller {
    /// Makes an app kind available (disabled until [`Command::EnableApp`]).
    /// A second kind of the same name replaces the first.
    pub fn register_app(&mut self, kind: AppKind) {
        let name = kind.name.to_string();
        if !self.apps.slots.contains_key(&name) {
            self.apps.order.push(name.clone());
        }
        self.apps.slots.insert(
            name,
            Slot {
                kind,
                enabled: false,
                config: serde_json::Value::Null,
                app: None,
                holdings: Holdings::default(),
                panics: Vec::new(),
                counters: AppCounters::default(),
                last_error: None,
            },
        );
    }

    /// Every registered app, in registration order.
    pub fn apps(&self) -> Vec<AppStatus> {
        self.apps.status()
    }

    /// Calls one app with a context over the controller, isolating
    /// failures; holdings are put back when the call fails.
    fn call_app(
        &self,
        slot: &mut Slot,
        name: &str,
        f: impl FnOnce(&mut dyn App, &mut Context<'_>) -> Result<(), AppError>,
    ) -> Call {
        let Some(app) = slot.app.as_mut() else {
            return Call::Ok(Vec::new());
        };
        slot.counters.calls += 1;
        let before = slot.holdings.clone();
        let mut requests = Vec::new();
        let span = tracing::info_span!("app", app = name);
        let _entered = span.enter();
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut ctx = Context::new(name, self, &mut slot.holdings, &mut requests);
            f(app.as_mut(), &mut ctx)
        }));
        match result {
            Ok(Ok(())) => Call::Ok(requests),
            Ok(Err(e)) => {
                slot.holdings = before;
                Call::Err(e)
            }
            Err(payload) => {
                slot.holdings = before;
                Call::Panic(panic_message(payload.as_ref()))
            }
        }
    }

    /// Calls `name` and deals with the outcome: requests carried out, a
    /// failure reported, a panicking app made again or disabled.
    fn run_call(
        &mut self,
        host: &mut AppHost,
        name: &str,
        now: Instant,
        out: &mut Vec<Output>,
        f: impl FnOnce(&mut dyn App, &mut Context<'_>) -> Result<(), AppError>,
    ) {
        let Some(mut slot) = host.slots.remove(name) else {
            return;
        };
        let call = self.call_app(&mut slot, name, f);
        host.slots.insert(name.to_string(), slot);
        match call {
            Call::Ok(requests) => {
                for request in requests {
                    self.carry_out(host, name, request, now, out);
                }
            }
            Call::Err(error) => {
                tracing::warn!(app = name, %error, "app failed");
                if let Some(slot) = host.slots.get_mut(name) {
                    slot.counters.errors += 1;
                    slot.last_error = Some(error.to_string());
                }
                out.push(Output::Event(ControllerEvent::AppFailed {
                    app: name.to_string(),
                    error: error.to_string(),
                    outcome: AppOutcome::Continued,
                }));
            }
            Call::Panic(message) => self.app_panicked(host, name, message, now, out),
        }
    }

    fn app_panicked(
        &mut self,
        host: &mut AppHost,
        name: &str,
        message: String,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        tracing::error!(app = name, panic = %message, "app panicked");
        let Some(slot) = host.slots.get_mut(name) else {
            return;
        };
        slot.counters.panics += 1;
        slot.last_error = Some(format!("panicked: {message}"));
        slot.panics
            .retain(|t| now.saturating_since(*t) < PANIC_WINDOW);
        slot.panics.push(now);
        slot.app = None;
        let give_up = slot.panics.len() >= MAX_PANICS;
        let config = slot.config.clone();
        let create = slot.kind.create;
        for id in host.release(name) {
            self.command_inner(Command::Unsubscribe(id), now, out);
        }
        let outcome = if give_up {
            if let Some(slot) = host.slots.get_mut(name) {
                slot.enabled = false;
            }
            out.push(Output::Event(ControllerEvent::AppChanged {
                name: name.to_string(),
                enabled: false,
                config: config.clone(),
            }));
            AppOutcome::Disabled
        } else {
            match create(&config) {
                Ok(app) => {
                    if let Some(slot) = host.slots.get_mut(name) {
                        slot.app = Some(app);
                        slot.holdings = Holdings::default();
                        slot.counters.restarts += 1;
                    }
                    AppOutcome::Restarted
                }
                Err(error) => {
                    if let Some(slot) = host.slots.get_mut(name) {
                        slot.enabled = false;
                    }
                    tracing::error!(app = name, %error, "app could not be made again");
                    AppOutcome::Disabled
                }
            }
        };
        out.push(Output::Event(ControllerEvent::AppFailed {
            app: name.to_string(),
            error: format!("panicked: {message}"),
            outcome: outcome.clone(),
        }));
        if outcome == AppOutcome::Restarted {
            self.run_call(host, name, now, out, |app, ctx| app.start(ctx));
        }
    }

    /// Carries out one of an app's requests.
    fn carry_out(
        &mut self,
        host: &mut AppHost,
        app: &str,
        request: Request,
        now: Instant,
        out: &mut Vec<Output>,
    ) {
        if let Some(slot) = host.slots.get_mut(app) {
            slot.counters.requests += 1;
        }
        let origin = Origin::App(app.to_string());
        match request {
            Request::Handoff {
                action,
                client,
                to,
                radio,
                reason,
            } => {
                let command = Command::Handoff {
                    client,
                    to_agent: to,
                    to_radio: radio,
                    cause: reason,
                };
                let id = self.command_as(origin, command, now, out);
                host.sent.insert(id, Sent::Action(app.to_string(), action));
            }
            Request::SetChannel {
                action,
                at,
                channel,
                reason,
            } => {
                tracing::info!(app, radio = %at, channel, %reason, "channel change asked");
                let command = Command::SetChannel {
                    agent: at.agent,
                    radio: at.radio,
                    channel,
                };
                let id = self.command_as(origin, command, now, out);
                host.sent.insert(id, Sent::Action(app.to_string(), action));
            }
            Request::Subscribe {
                subscription,
                filter,
            } => {
                let spec = SubscriptionSpec {
                    client: filter.client,
                    statistic: filter.statistic,
                    relation: filter.relation,
                    threshold: filter.threshold,
                    hysteresis: filter.hysteresis,
                    min_interval_ms: u64::try_from(filter.min_interval.as_millis())
                        .unwrap_or(u64::MAX),
                };
                let id = self.command_as(origin, Command::Subscribe(spec), now, out);
                host.sent
                    .insert(id, Sent::Subscribe(app.to_string(), subscription));
            }
            Request::Unsubscribe { subscription } => {
                let key = (app.to_string(), subscription);
                if let Some(core) = host.core_subscription.remove(&key) {
                    host.subscriptions.remove(&core);
                    let id = self.command_as(origin, Command::Unsubscribe(core), now, out);
                    host.sent.insert(id, Sent::Unsubscribe);
                }
            }
            Request::SetTimer { timer, at } => {
                host.timers.insert((at, app.to_string(), timer));
            }
            Request::CancelTimer { timer } => {
                host.timers.retain(|(_, a, t)| !(a == app && *t == timer));
            }
        }
    }

    /// What apps hear of an output event.
    fn route(host: &mut AppHost, event: &ControllerEvent) -> Option<To> {
        Some(match event {
            ControllerEvent::AgentUp { agent, .. } => To::All(Event::AgentUp {
                agent: agent.clone(),
            }),
            ControllerEvent::AgentDown { agent, reason } => To::All(Event::AgentDown {
                agent: agent.clone(),
                reason: reason.to_string(),
            }),
            ControllerEvent::ClientHeard {
                client,
                at,
                signal_dbm,
            } => To::All(Event::ClientHeard {
                client: *client,
                at: at.clone(),
                signal_dbm: *signal_dbm,
            }),
            ControllerEvent::LvapPlaced { client, bssid, at } => To::All(Event::LvapPlaced {
                client: *client,
                bssid: *bssid,
                at: at.clone(),
            }),
            ControllerEvent::ClientJoined { client, agent, .. } => To::All(Event::ClientJoined {
                client: *client,
                agent: agent.clone(),
            }),
            ControllerEvent::ClientLeft {
                client,
                agent,
                reason,
            } => To::All(Event::ClientLeft {
                client: *client,
                agent: agent.clone(),
                reason: format!("{reason:?}").to_lowercase(),
            }),
            ControllerEvent::HandoffCompleted {
                client,
                from,
                to,
                durations,
                by,
                cause,
                ..
            } => To::All(Event::LvapMoved {
                client: *client,
                from: from.clone(),
                to: to.clone(),
                by: by.to_string(),
                reason: cause.clone(),
                total_us: durations.total_us,
            }),
            ControllerEvent::HandoffFailed {
                client, reason, by, ..
            } => To::All(Event::HandoffFailed {
                client: *client,
                by: by.to_string(),
                reason: reason.clone(),
            }),
            ControllerEvent::ChannelChanged { at, channel, by } => To::All(Event::ChannelChanged {
                at: at.clone(),
                channel: *channel,
                by: by.to_string(),
            }),
            ControllerEvent::SubscriptionMatched {
                agent,
                subscription,
                client,
                radio,
                value,
            } => {
                let (app, id) = host.subscriptions.get(subscription)?.clone();
                To::One(
                    app,
                    Event::Matched {
                        subscription: id,
                        client: *client,
                        at: RadioRef::new(agent.clone(), *radio),
                        value: *value,
                    },
                )
            }
            ControllerEvent::CommandResult { id, result } => match host.sent.remove(id)? {
                Sent::Action(app, action) => To::One(
                    app,
                    Event::ActionDone {
                        action,
                        result: result
                            .as_ref()
                            .map(|_| ())
                            .map_err(|e| AppError::Failed(e.to_string())),
                    },
                ),
                Sent::Subscribe(app, sub) => {
                    match result {
                        Ok(CommandOk::Subscribed { subscription }) => {
                            host.subscriptions.insert(*subscription, (app.clone(), sub));
                            host.core_subscription.insert((app, sub), *subscription);
                        }
                        other => {
                            tracing::warn!(%app, ?other, "an app's subscription was refused");
                            if let Some(slot) = host.slots.get_mut(&app) {
                                slot.holdings.subscriptions.remove(&sub);
                            }
                        }
                    }
                    return None;
                }
                Sent::Unsubscribe => return None,
            },
            _ => return None,
        })
    }

    /// Gives the apps the events of `out[from..]` and the timers due, and
    /// carries out what they ask for (see the module documentation).
    pub(crate) fn run_apps(&mut self, from: usize, now: Instant, out: &mut Vec<Output>) {
        if !self.apps.busy() {
            return;
        }
        let mut host = std::mem::take(&mut self.apps);
        let mut from = from;
        let mut work: Vec<To> = Vec::new();
        while let Some((at, _, _)) = host.timers.first() {
            if *at > now {
                break;
            }
            if let Some((_, app, timer)) = host.timers.pop_first() {
                if let Some(slot) = host.slots.get_mut(&app) {
                    slot.holdings.timers.remove(&timer);
                }
                work.push(To::One(app, Event::Timer { timer }));
            }
        }
        for round in 0.. {
            let events: Vec<ControllerEvent> = out[from..]
                .iter()
                .filter_map(|o| match o {
                    Output::Event(e) => Some(e.clone()),
                    _ => None,
                })
                .collect();
            from = out.len();
            work.extend(events.iter().filter_map(|e| Self::route(&mut host, e)));
            if work.is_empty() {
                break;
            }
            if round >= MAX_ROUNDS {
                host.undelivered += work.len() as u64;
                tracing::warn!(
                    events = work.len(),
                    "apps keep answering each other's events: the rest are not delivered"
                );
                break;
            }
            for item in std::mem::take(&mut work) {
                let (only, event) = match item {
                    To::All(e) => (None, e),
                    To::One(app, e) => (Some(app), e),
                };
                let names: Vec<String> = match only {
                    Some(app) => vec![app],
                    None => host.order.clone(),
                };
                for name in names {
                    let enabled = host
                        .slots
                        .get(&name)
                        .is_some_and(|s| s.enabled && s.app.is_some());
                    if enabled {
                        self.run_call(&mut host, &name, now, out, |app, ctx| {
                            app.on_event(ctx, &event)
                        });
                    }
                }
            }
        }
        self.apps = host;
    }

    /// The apps' ranking of a new client's candidates: the first enabled
    /// app (in registration order) that decides; `None` when none does.
    pub(crate) fn app_placement(
        &mut self,
        client: MacAddr,
        candidates: &[Candidate],
    ) -> Option<(String, Vec<RadioRef>)> {
        let mut host = std::mem::take(&mut self.apps);
        let mut decision = None;
        for name in host.order.clone() {
            let Some(slot) = host.slots.get_mut(&name) else {
                continue;
            };
            let Some(app) = slot.app.as_mut().filter(|_| slot.enabled) else {
                continue;
            };
            let this: &Controller = self;
            match catch_unwind(AssertUnwindSafe(|| app.place(this, client, candidates))) {
                Ok(Some(order)) => {
                    decision = Some((name, order));
                    break;
                }
                Ok(None) => {}
                Err(payload) => {
                    let message = panic_message(payload.as_ref());
                    tracing::error!(app = %name, panic = %message, "app panicked placing a client");
                    slot.counters.panics += 1;
                    slot.last_error = Some(format!("panicked placing {client}: {message}"));
                }
            }
        }
        self.apps = host;
        decision
    }

    /// Enables, disables or configures an app.
    pub(crate) fn change_app(
        &mut self,
        name: &str,
        enable: Option<bool>,
        config: Option<serde_json::Value>,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> Result<CommandOk, CommandError> {
        let mut host = std::mem::take(&mut self.apps);
        let result = self.change_app_in(&mut host, name, enable, config, now, out);
        self.apps = host;
        result
    }

    fn change_app_in(
        &mut self,
        host: &mut AppHost,
        name: &str,
        enable: Option<bool>,
        config: Option<serde_json::Value>,
        now: Instant,
        out: &mut Vec<Output>,
    ) -> Result<CommandOk, CommandError> {
        let Some(slot) = host.slots.get(name) else {
            return Err(CommandError::UnknownApp(name.to_string()));
        };
        let enabled = enable.unwrap_or(slot.enabled);
        let config = config.unwrap_or_else(|| slot.config.clone());
        // Make the new instance first: a configuration it refuses changes
        // nothing.
        let fresh = if enabled {
            Some((slot.kind.create)(&config).map_err(|e| CommandError::AppConfig(e.to_string()))?)
        } else {
            (slot.kind.create)(&config).map_err(|e| CommandError::AppConfig(e.to_string()))?;
            None
        };
        // Stop the running instance.
        let running = host.slots.get_mut(name).and_then(|s| s.app.take());
        if let Some(mut app) = running {
            let this: &Controller = self;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| app.stop(this))) {
                tracing::error!(app = name, panic = %panic_message(payload.as_ref()), "app panicked stopping");
            }
            for id in host.release(name) {
                self.command_inner(Command::Unsubscribe(id), now, out);
            }
        }
        if let Some(slot) = host.slots.get_mut(name) {
            slot.enabled = enabled;
            slot.config = config.clone();
            slot.holdings = Holdings::default();
            slot.panics.clear();
            slot.app = fresh;
        }
        tracing::info!(app = name, enabled, %config, "app changed");
        out.push(Output::Event(ControllerEvent::AppChanged {
            name: name.to_string(),
            enabled,
            config,
        }));
        if enabled {
            self.run_call(host, name, now, out, |app, ctx| app.start(ctx));
        }
        Ok(CommandOk::AppChanged)
    }
}

impl Network for Controller {
    fn now(&self) -> Instant {
        self.now
    }

    fn agents(&self) -> Vec<AgentInfo> {
        self.agents.keys().filter_map(|a| self.agent(a)).collect()
    }

    fn agent(&self, name: &str) -> Option<AgentInfo> {
        let agent = self.agents.get(name)?;
        let radios = agent
            .radios
            .values()
            .map(|r| {
                let at = RadioRef::new(name, r.info.index);
                RadioInfo {
                    load: self.load(&at),
                    at,
                    band: r.info.band,
                    channel: r.info.channel,
                    channels: r.info.channels.clone(),
                    max_lvaps: r.info.max_lvaps,
                    utilization: r.stats.as_ref().and_then(|(s, _)| s.utilization),
                }
            })
            .collect();
        Some(AgentInfo {
            name: name.to_string(),
            up: agent.up,
            radios,
        })
    }

    fn clients(&self) -> Vec<MacAddr> {
        self.clients.keys().copied().collect()
    }

    fn clients_on(&self, at: &RadioRef) -> Vec<MacAddr> {
        self.lvaps_on(at).collect()
    }

    fn client(&self, mac: MacAddr) -> Option<ClientInfo> {
        let c = self.clients.get(&mac)?;
        let mut heard: Vec<Heard> = c
            .signals
            .iter()
            .map(|(at, h)| Heard {
                at: at.clone(),
                signal_dbm: h.signal_dbm,
                when: h.at,
            })
            .collect();
        heard.sort_by(|a, b| {
            b.signal_dbm
                .cmp(&a.signal_dbm)
                .then_with(|| a.at.cmp(&b.at))
        });
        Some(ClientInfo {
            mac,
            bssid: c.bssid,
            lvap: c.lvap.as_ref().map(|l| LvapInfo {
                at: l.at.clone(),
                state: match l.state {
                    LvapState::Placing => odin_app::LvapState::Placing,
                    LvapState::Active => odin_app::LvapState::Active,
                    LvapState::Migrating(_) => odin_app::LvapState::Migrating,
                },
            }),
            associated: c.station.is_some(),
            heard,
            stats: c
                .stats
                .iter()
                .map(|(at, (stats, when))| StatsAt {
                    at: at.clone(),
                    stats: stats.clone(),
                    when: *when,
                })
                .collect(),
        })
    }

    fn moving(&self, client: MacAddr) -> Option<String> {
        if let Some(h) = self.handoffs.get(&client) {
            return Some(h.by.to_string());
        }
        self.placements
            .contains_key(&client)
            .then(|| Origin::Controller.to_string())
    }
}
