//! Prometheus metrics (`GET /metrics`, the text exposition format), with
//! the `prometheus-client` crate.
//!
//! Gauges (agents, clients, LVAPs by state) and the core's counters
//! (messages from agents by type, protocol errors, timeouts), the apps'
//! counters and the store's are read from the controller at each scrape;
//! handoffs and their durations are counted from the event stream by a
//! task of their own, so a scrape never walks the history.

use std::sync::{Arc, Mutex};

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio::sync::broadcast;

use crate::core::{ControllerEvent, LvapState};
use crate::server::{ControllerHandle, ServerGone};
use crate::store::Recorder;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct State {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    result: String,
    by: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Dropped {
    agent: String,
    cause: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct App {
    app: String,
}

/// Every metric, registered once.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    agents_up: Gauge,
    agents_known: Gauge,
    clients: Gauge,
    lvaps: Family<State, Gauge>,
    messages: Family<Kind, Counter>,
    protocol_errors: Counter,
    timeouts: Counter,
    handoffs: Family<Outcome, Counter>,
    handoff_seconds: Histogram,
    frames_dropped: Family<Dropped, Counter>,
    app_errors: Family<App, Counter>,
    app_panics: Family<App, Counter>,
    store_written: Counter,
    store_failed_attempts: Counter,
    store_overflowed: Counter,
}

/// Raises a counter to `value` (the core's counters only grow).
fn raise(counter: &Counter, value: u64) {
    let now = counter.get();
    if value > now {
        counter.inc_by(value - now);
    }
}

impl Metrics {
    /// The metrics, registered.
    pub fn new() -> Metrics {
        let m = Metrics {
            registry: Mutex::new(Registry::with_prefix("odin")),
            agents_up: Gauge::default(),
            agents_known: Gauge::default(),
            clients: Gauge::default(),
            lvaps: Family::default(),
            messages: Family::default(),
            protocol_errors: Counter::default(),
            timeouts: Counter::default(),
            handoffs: Family::default(),
            // 1 ms to about 16 s.
            handoff_seconds: Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 15),
            ),
            frames_dropped: Family::default(),
            app_errors: Family::default(),
            app_panics: Family::default(),
            store_written: Counter::default(),
            store_failed_attempts: Counter::default(),
            store_overflowed: Counter::default(),
        };
        if let Ok(mut r) = m.registry.lock() {
            r.register(
                "agents_up",
                "Agents connected and reconciled",
                m.agents_up.clone(),
            );
            r.register(
                "agents_known",
                "Agents ever seen (up or down)",
                m.agents_known.clone(),
            );
            r.register(
                "clients",
                "Clients known to the controller",
                m.clients.clone(),
            );
            r.register("lvaps", "LVAPs by state", m.lvaps.clone());
            r.register(
                "agent_messages",
                "Messages received from agents, by type",
                m.messages.clone(),
            );
            r.register(
                "protocol_errors",
                "Protocol errors from agents",
                m.protocol_errors.clone(),
            );
            r.register(
                "command_timeouts",
                "Commands agents did not answer in time",
                m.timeouts.clone(),
            );
            r.register(
                "handoffs",
                "Handoffs ended, by result and by who asked",
                m.handoffs.clone(),
            );
            r.register(
                "handoff_duration_seconds",
                "Duration of completed handoffs, from the command to the end",
                m.handoff_seconds.clone(),
            );
            r.register(
                "frames_dropped",
                "Frames the agents dropped, by agent and cause (not_our_client, wrong_bssid, duplicate, truncated, bad_frame, ...)",
                m.frames_dropped.clone(),
            );
            r.register(
                "app_errors",
                "App calls that returned an error, by app",
                m.app_errors.clone(),
            );
            r.register(
                "app_panics",
                "App calls that panicked, by app",
                m.app_panics.clone(),
            );
            r.register(
                "store_written",
                "Store operations written",
                m.store_written.clone(),
            );
            r.register(
                "store_failed_attempts",
                "Store batches that failed and were retried",
                m.store_failed_attempts.clone(),
            );
            r.register(
                "store_overflowed",
                "Store operations not stored: the queue was full",
                m.store_overflowed.clone(),
            );
        }
        m
    }

    /// Counts handoffs from the events until the controller stops.
    pub fn follow(self: &Arc<Metrics>, mut events: broadcast::Receiver<ControllerEvent>) {
        let metrics = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(ControllerEvent::HandoffCompleted { durations, by, .. }) => {
                        let label = Outcome {
                            result: "completed".into(),
                            by: by.to_string(),
                        };
                        metrics.handoffs.get_or_create(&label).inc();
                        metrics
                            .handoff_seconds
                            .observe(durations.total_us as f64 / 1e6);
                    }
                    Ok(ControllerEvent::HandoffFailed { by, .. }) => {
                        let label = Outcome {
                            result: "failed".into(),
                            by: by.to_string(),
                        };
                        metrics.handoffs.get_or_create(&label).inc();
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "metrics: events missed");
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Reads the controller and renders every metric.
    pub async fn scrape(
        &self,
        handle: &ControllerHandle,
        recorder: Option<&Recorder>,
    ) -> Result<String, ServerGone> {
        let snapshot = handle
            .inspect(|core| {
                let agents = core.agents();
                let up = agents.values().filter(|a| a.up).count();
                let mut lvaps = [0u64; 3];
                for c in core.clients().values() {
                    if let Some(l) = &c.lvap {
                        let i = match l.state {
                            LvapState::Placing => 0,
                            LvapState::Active => 1,
                            LvapState::Migrating(_) => 2,
                        };
                        lvaps[i] += 1;
                    }
                }
                let dropped: Vec<(String, String, u64)> = agents
                    .values()
                    .flat_map(|a| {
                        a.frames_dropped
                            .iter()
                            .map(|(cause, n)| (a.name.clone(), cause.clone(), *n))
                    })
                    .collect();
                (
                    (up, agents.len(), core.clients().len(), lvaps),
                    *core.counters(),
                    core.apps(),
                    dropped,
                )
            })
            .await?;
        let ((up, known, clients, lvaps), counters, apps, dropped) = snapshot;
        for (agent, cause, n) in dropped {
            raise(
                &self.frames_dropped.get_or_create(&Dropped { agent, cause }),
                n,
            );
        }
        self.agents_up.set(up as i64);
        self.agents_known.set(known as i64);
        self.clients.set(clients as i64);
        for (state, n) in ["placing", "active", "migrating"].iter().zip(lvaps) {
            let label = State {
                state: (*state).into(),
            };
            self.lvaps.get_or_create(&label).set(n as i64);
        }
        let m = counters.messages_in;
        for (kind, n) in [
            ("hello", m.hello),
            ("heartbeat", m.heartbeat),
            ("client_heard", m.client_heard),
            ("client", m.client),
            ("stats", m.stats),
            ("matched", m.matched),
            ("result", m.result),
            ("other", m.other),
        ] {
            raise(&self.messages.get_or_create(&Kind { kind: kind.into() }), n);
        }
        raise(&self.protocol_errors, counters.protocol_errors);
        raise(&self.timeouts, counters.timeouts);
        for app in apps {
            let label = App { app: app.name };
            raise(&self.app_errors.get_or_create(&label), app.counters.errors);
            raise(&self.app_panics.get_or_create(&label), app.counters.panics);
        }
        if let Some(recorder) = recorder {
            let s = recorder.stats();
            raise(&self.store_written, s.written);
            raise(&self.store_failed_attempts, s.failed_attempts);
            raise(&self.store_overflowed, s.overflowed);
        }
        let mut text = String::new();
        if let Ok(registry) = self.registry.lock() {
            if encode(&mut text, &registry).is_err() {
                tracing::warn!("metrics: encoding failed");
            }
        }
        Ok(text)
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}
