//! The scale scenario: ramp the load up, hold it, and measure the
//! controller while handoffs are asked through the REST API.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::{Method, StatusCode};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::api::{Api, Metrics};
use crate::procfs::{self, ProcSample};
use crate::{agent_name, client_mac, percentile, Counters, Load, LoadConfig};

/// The whole scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The agents and their clients.
    pub load: LoadConfig,
    /// The controller's REST API.
    pub api: SocketAddr,
    /// Its bearer token.
    pub token: Option<String>,
    /// How long to measure once every LVAP is up.
    pub measure: Duration,
    /// Handoffs asked per second while measuring (over all workers).
    pub handoffs_per_s: f64,
    /// REST connections asking handoffs at once.
    pub handoff_workers: usize,
    /// How long the ramp may take before the run gives up.
    pub ramp_timeout: Duration,
    /// The controller's process, for CPU and memory (`None`: in-process,
    /// not measured).
    pub pid: Option<u32>,
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Agents the controller had up at the end.
    pub agents_up: u64,
    /// LVAPs active at the controller at the end (by its metrics).
    pub lvaps: u64,
    /// Clients it knew.
    pub clients: u64,
    /// Seconds from the first connection to the last LVAP active.
    pub ramp_s: f64,
    /// Statistics messages the controller counted per second while
    /// measuring.
    pub stats_per_s: f64,
    /// Client entries in them per second (sent by the load).
    pub stats_entries_per_s: f64,
    /// Handoffs answered 200 and the ones that were not.
    pub handoffs_ok: u64,
    /// Handoffs refused or failed, with the first reasons.
    pub handoffs_failed: u64,
    /// The first failures' reasons.
    pub failures: Vec<String>,
    /// Handoff command latency, milliseconds: p50, p99, max.
    pub handoff_p50_ms: f64,
    /// p99.
    pub handoff_p99_ms: f64,
    /// Largest.
    pub handoff_max_ms: f64,
    /// The controller's CPU while measuring, percent of one core.
    pub cpu_pct: Option<f64>,
    /// Its resident memory at the end, MiB.
    pub rss_mib: Option<f64>,
    /// Its largest resident memory, MiB.
    pub rss_peak_mib: Option<f64>,
    /// Protocol errors and command timeouts the controller counted.
    pub protocol_errors: u64,
    /// Commands the agents did not answer in time, by the controller.
    pub command_timeouts: u64,
    /// Statistics messages the load sent in all.
    pub stats_sent: u64,
    /// Statistics messages the controller counted in all.
    pub stats_received: u64,
    /// Agents that lost their connection.
    pub disconnected: u64,
    /// LVAPs the agents hosted at the end, by their own count.
    pub hosted: u64,
}

impl Report {
    /// The benchmark's one line for programs.
    pub fn result_line(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("na".to_string(), |v| format!("{v:.0}"));
        format!(
            "RESULT scale agents={} lvaps={} stats_per_s={:.0} handoff_p50_ms={:.1} handoff_p99_ms={:.1} rss_mib={}",
            self.agents_up,
            self.lvaps,
            self.stats_per_s,
            self.handoff_p50_ms,
            self.handoff_p99_ms,
            opt(self.rss_mib)
        )
    }

    /// The table for people.
    pub fn table(&self) -> String {
        let opt = |v: Option<f64>, unit: &str| {
            v.map_or("not measured".into(), |v| format!("{v:.1} {unit}"))
        };
        let rows = [
            ("agents up", self.agents_up.to_string()),
            ("LVAPs active", self.lvaps.to_string()),
            ("clients known", self.clients.to_string()),
            (
                "ramp (connect + place all)",
                format!("{:.1} s", self.ramp_s),
            ),
            (
                "statistics messages ingested",
                format!("{:.0} /s", self.stats_per_s),
            ),
            (
                "client entries in them",
                format!("{:.0} /s", self.stats_entries_per_s),
            ),
            (
                "statistics sent / counted",
                format!("{} / {}", self.stats_sent, self.stats_received),
            ),
            (
                "handoffs ok / failed",
                format!("{} / {}", self.handoffs_ok, self.handoffs_failed),
            ),
            (
                "handoff command p50",
                format!("{:.1} ms", self.handoff_p50_ms),
            ),
            (
                "handoff command p99",
                format!("{:.1} ms", self.handoff_p99_ms),
            ),
            (
                "handoff command max",
                format!("{:.1} ms", self.handoff_max_ms),
            ),
            ("controller CPU", opt(self.cpu_pct, "% of a core")),
            ("controller resident memory", opt(self.rss_mib, "MiB")),
            (
                "controller peak resident memory",
                opt(self.rss_peak_mib, "MiB"),
            ),
            (
                "protocol errors / command timeouts",
                format!("{} / {}", self.protocol_errors, self.command_timeouts),
            ),
            ("LVAPs the agents host at the end", self.hosted.to_string()),
            ("agents disconnected", self.disconnected.to_string()),
        ];
        let mut text = String::from("| measure | value |\n| --- | --- |\n");
        for (k, v) in rows {
            text.push_str(&format!("| {k} | {v} |\n"));
        }
        text
    }
}

const STATS: &str = "odin_agent_messages_total{kind=\"stats\"}";

fn active_lvaps(m: &Metrics) -> u64 {
    m.get("odin_lvaps{state=\"active\"}") as u64
}

/// Runs the scenario; `progress` gets a line every second or so.
pub async fn run(s: &Scenario, progress: &(dyn Fn(String) + Sync)) -> Result<Report, String> {
    let total = s.load.clients() as u64;
    let mut api = Api::connect(s.api, s.token.clone()).await?;
    let began = Instant::now();
    let load = Load::start(s.load.clone());
    let counters = Arc::clone(&load.counters);

    // Ramp: every agent connected and every LVAP active.
    let mut metrics;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        metrics = api.metrics().await?;
        let active = active_lvaps(&metrics);
        progress(format!(
            "ramp {:>5.1} s: agents connected {}/{} up {} · clients reported {} placed {} · LVAPs active {}/{}",
            began.elapsed().as_secs_f64(),
            Counters::get(&counters.connected),
            s.load.agents,
            metrics.get("odin_agents_up"),
            Counters::get(&counters.reported),
            Counters::get(&counters.placed),
            active,
            total
        ));
        if active >= total && metrics.get("odin_agents_up") as usize >= s.load.agents {
            break;
        }
        if began.elapsed() > s.ramp_timeout {
            let errors = load.errors.lock().map(|e| e.join("; ")).unwrap_or_default();
            load.stop().await;
            return Err(format!(
                "the ramp did not finish in {:?}: {active} of {total} LVAPs active; agents' errors: {errors}",
                s.ramp_timeout
            ));
        }
    }
    let ramp_s = began.elapsed().as_secs_f64();

    // Measure: handoffs while the statistics flow.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let m0 = api.metrics().await?;
    let entries0 = Counters::get(&counters.stats_entries);
    let p0 = s.pid.map(procfs::sample).transpose()?;
    let t0 = Instant::now();
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let moved: Arc<Mutex<HashMap<usize, bool>>> = Arc::default();
    let workers = s.handoff_workers.max(1);
    let gap = Duration::from_secs_f64(workers as f64 / s.handoffs_per_s.max(0.001));
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..workers {
        let (latencies, failures, moved) = (
            Arc::clone(&latencies),
            Arc::clone(&failures),
            Arc::clone(&moved),
        );
        let mut api = Api::connect(s.api, s.token.clone()).await?;
        let (agents, per_agent, measure) = (s.load.agents, s.load.clients_per_agent, s.measure);
        tasks.spawn(async move {
            let mut next = Instant::now() + gap.mul_f64(w as f64 / workers as f64);
            let mut n = w;
            while t0.elapsed() < measure {
                tokio::time::sleep_until(next).await;
                next += gap;
                // Client n: agent (n * 7919) mod agents, so that consecutive
                // handoffs touch agents all over the ring.
                let home = (n * 7919) % agents;
                let index = (n / agents) % per_agent;
                n += workers;
                let key = home * per_agent + index;
                let away = moved.lock().await.get(&key).copied().unwrap_or(false);
                let to = if away { home } else { (home + 1) % agents };
                let body = format!("{{\"agent\":\"{}\"}}", agent_name(to));
                let path = format!("/api/v1/clients/{}/handoff", client_mac(home, index));
                let sent = Instant::now();
                let answer = api.request(Method::POST, &path, Some(body)).await;
                let ms = sent.elapsed().as_secs_f64() * 1000.0;
                match answer {
                    Ok((StatusCode::OK, _)) => {
                        latencies.lock().await.push(ms);
                        moved.lock().await.insert(key, !away);
                    }
                    Ok((status, body)) => failures.lock().await.push(format!(
                        "{path}: {status} {}",
                        String::from_utf8_lossy(&body)
                    )),
                    Err(e) => {
                        failures.lock().await.push(e);
                        return;
                    }
                }
            }
        });
    }
    let mut last = Instant::now();
    while !tasks.is_empty() {
        tokio::select! {
            _ = tasks.join_next() => {}
            () = tokio::time::sleep_until(last + Duration::from_secs(5)) => {
                last = Instant::now();
                progress(format!(
                    "measuring {:>4.0}/{} s: {} handoffs done, {} failed",
                    t0.elapsed().as_secs_f64(),
                    s.measure.as_secs(),
                    latencies.lock().await.len(),
                    failures.lock().await.len()
                ));
            }
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let m1 = api.metrics().await?;
    let entries1 = Counters::get(&counters.stats_entries);
    let p1: Option<ProcSample> = s.pid.map(procfs::sample).transpose()?;
    let hosted = Counters::get(&counters.hosted);
    load.stop().await;
    // The controller's count of the statistics catches up with what was
    // sent once the agents are quiet.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let end = api.metrics().await?;

    let mut latencies = latencies.lock().await.clone();
    latencies.sort_by(f64::total_cmp);
    let failures = failures.lock().await.clone();
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    Ok(Report {
        agents_up: m1.get("odin_agents_up") as u64,
        lvaps: active_lvaps(&m1),
        clients: m1.get("odin_clients") as u64,
        ramp_s,
        stats_per_s: (m1.get(STATS) - m0.get(STATS)) / elapsed,
        stats_entries_per_s: (entries1 - entries0) as f64 / elapsed,
        handoffs_ok: latencies.len() as u64,
        handoffs_failed: failures.len() as u64,
        failures: failures.into_iter().take(5).collect(),
        handoff_p50_ms: percentile(&latencies, 50.0),
        handoff_p99_ms: percentile(&latencies, 99.0),
        handoff_max_ms: latencies.last().copied().unwrap_or(f64::NAN),
        cpu_pct: p0
            .zip(p1)
            .map(|(a, b)| (b.cpu - a.cpu).as_secs_f64() / elapsed * 100.0),
        rss_mib: p1.map(|p| mib(p.rss)),
        rss_peak_mib: p1.map(|p| mib(p.rss_peak)),
        protocol_errors: end.get("odin_protocol_errors_total") as u64,
        command_timeouts: end.get("odin_command_timeouts_total") as u64,
        stats_sent: Counters::get(&counters.stats_sent),
        stats_received: end.get(STATS) as u64,
        disconnected: Counters::get(&counters.disconnected),
        hosted,
    })
}
