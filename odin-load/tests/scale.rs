//! The scale scenario, small, against an in-process controller (its real
//! server and REST API on loopback): for correctness only, nothing timed.
//! Every LVAP placed, every statistics message counted by the controller,
//! every handoff answered, no protocol error. The full-size run is the
//! benchmark (`scripts/scale.sh`, BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::time::Duration;

use odin_controller::core::{Controller, ControllerConfig};
use odin_controller::rest::{self, ApiTokens};
use odin_controller::server::{self, ServerConfig};
use odin_load::scenario::{self, Scenario};
use odin_load::LoadConfig;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const SECRET: &[u8] = b"scale test secret";
const TOKEN: &str = "odin_scale_test_token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_load_is_held_exactly() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let controller = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    let handle = server::spawn(
        listener,
        Controller::new(ControllerConfig::default()),
        ServerConfig::new(SECRET),
        stop.clone(),
        &tasks,
    )
    .unwrap();
    let api_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = api_listener.local_addr().unwrap();
    let router = rest::router(handle.clone(), ApiTokens::from_tokens([TOKEN]));
    tasks.spawn(rest::serve(api_listener, router, stop.clone()));

    let (agents, per_agent) = (12, 8);
    let scenario = Scenario {
        load: LoadConfig {
            controller,
            secret: SECRET.to_vec(),
            agents,
            clients_per_agent: per_agent,
            hear_neighbours: 1,
            stats_interval: Duration::from_millis(200),
            heartbeat_interval: Duration::from_millis(500),
            connect_per_s: 200.0,
            placements_per_s: 400.0,
        },
        api,
        token: Some(TOKEN.into()),
        measure: Duration::from_secs(2),
        handoffs_per_s: 20.0,
        handoff_workers: 2,
        ramp_timeout: Duration::from_secs(30),
        pid: None,
    };
    let report = scenario::run(&scenario, &|line| eprintln!("{line}"))
        .await
        .unwrap();
    eprintln!("{}\n{}", report.table(), report.result_line());

    let total = (agents * per_agent) as u64;
    assert_eq!(report.agents_up, agents as u64);
    assert_eq!(report.lvaps, total, "every client has its LVAP active");
    assert_eq!(report.clients, total);
    assert_eq!(report.handoffs_failed, 0, "{:?}", report.failures);
    assert!(report.handoffs_ok >= 10, "{} handoffs", report.handoffs_ok);
    assert!(report.handoff_p50_ms <= report.handoff_p99_ms);
    assert_eq!(
        report.stats_received, report.stats_sent,
        "the controller counted every statistics message the agents sent"
    );
    assert!(report.stats_per_s > 0.0);
    assert_eq!(report.protocol_errors, 0);
    assert_eq!(report.command_timeouts, 0);
    assert_eq!(report.disconnected, 0);
    assert!(report.cpu_pct.is_none() && report.rss_mib.is_none());
    assert!(report.result_line().starts_with(&format!(
        "RESULT scale agents={agents} lvaps={total} stats_per_s="
    )));

    assert_eq!(
        report.hosted, total,
        "the agents host exactly one LVAP per client after the handoffs"
    );
    stop.cancel();
    tasks.close();
    tasks.wait().await;
}
