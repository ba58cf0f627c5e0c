//! The mobility manager on the in-process network, all real code over TCP
//! on loopback: three access points 60 m apart on a line and one client
//! that walks from the first past the second to the third while it sends
//! data (a frame every 100 ms). The app, enabled by a command, follows the
//! client's signal through its trigger subscription at the agents and the
//! signals the agents report, and moves it along: it must end on the
//! third access point, every move the app's own with its reason, never
//! back to an access point it just left, and the client never
//! disconnected.
//!
//! Time is compressed to keep the test short: the client walks at 20 m/s,
//! and the app counts a radio after two reports (the agents report once a
//! second), checks every 200 ms and keeps a client 2 s after a move.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::time::Duration;

use odin_agent::sim::Position;
use odin_controller::core::{Command, CommandOk, ControllerEvent, Origin};
use odin_testbed::{eventually, Testbed, TestbedConfig};
use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;

/// Where the access points stand (x, metres; y = 0) and the client walks
/// (5 m off the line).
const APS: [f64; 3] = [0.0, 60.0, 120.0];
const LANE: f64 = 5.0;
const END: f64 = 125.0;
const SPEED: f64 = 20.0;
const STEP: Duration = Duration::from_millis(50);

/// A migration as the controller reported it.
#[derive(Debug, Clone)]
struct Migration {
    /// Since the walk began.
    at: Duration,
    /// Where the client was then, metres along the line.
    x: f64,
    from: String,
    to: String,
    by: Origin,
    cause: String,
    total_us: u64,
}

/// What the controller's events say, collected as they come.
struct Watcher {
    events: Receiver<ControllerEvent>,
    start: Instant,
    migrations: Vec<Migration>,
    failed: Vec<String>,
    left: Vec<String>,
}

impl Watcher {
    fn drain(&mut self, x: f64) {
        loop {
            match self.events.try_recv() {
                Ok(ControllerEvent::HandoffCompleted {
                    from,
                    to,
                    durations,
                    cause,
                    by,
                    ..
                }) => self.migrations.push(Migration {
                    at: self.start.elapsed(),
                    x,
                    from: from.agent,
                    to: to.agent,
                    by,
                    cause,
                    total_us: durations.total_us,
                }),
                Ok(ControllerEvent::HandoffFailed { reason, by, .. }) => {
                    self.failed.push(format!("{by}: {reason}"));
                }
                Ok(ControllerEvent::ClientLeft { agent, reason, .. }) => {
                    self.left.push(format!("{agent}: {reason:?}"));
                }
                Ok(_) => {}
                Err(TryRecvError::Empty) => return,
                Err(e) => panic!("events: {e}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mobility_app_follows_a_walking_client_along_three_access_points() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    let mut config = TestbedConfig::line(3, 1);
    config.agents = APS.iter().map(|x| Position::new(*x, 0.0)).collect();
    config.clients = vec![Position::new(APS[0], LANE)];
    let bed = Testbed::start(config).await.unwrap();
    let client = &bed.clients[0];
    let mac = client.mac();
    eventually(Duration::from_secs(20), "the client served", || async {
        bed.all_served(&[]).await.map(|_| ())
    })
    .await;
    assert_eq!(bed.placement(mac).await.unwrap().0, "ap-1", "the nearest");

    let mut watcher = Watcher {
        events: bed.controller.events(),
        start: Instant::now(),
        migrations: Vec::new(),
        failed: Vec::new(),
        left: Vec::new(),
    };
    let result = bed
        .controller
        .command(Command::EnableApp {
            name: "mobility".into(),
            config: Some(serde_json::json!({
                "min_reports": 2,
                "check_ms": 200,
                "dwell_ms": 2000,
            })),
        })
        .await
        .unwrap();
    assert_eq!(result, Ok(CommandOk::AppChanged));

    // The walk, in real time.
    watcher.start = Instant::now();
    let mut x = APS[0];
    while x < END {
        tokio::time::sleep(STEP).await;
        x = (APS[0] + SPEED * watcher.start.elapsed().as_secs_f64()).min(END);
        client.move_to(Position::new(x, LANE));
        watcher.drain(x);
    }
    let walked = watcher.start.elapsed();

    // It ends on ap-3, and stays there.
    eventually(Duration::from_secs(4), "the client on ap-3", || async {
        match bed.placement(mac).await {
            Some((agent, _)) if agent == "ap-3" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let arrived = watcher.start.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    watcher.drain(x);
    let served = bed.all_served(&[]).await.unwrap();
    assert_eq!(served[&mac], "ap-3");

    println!(
        "walked {END} m in {walked:.1?}; on ap-3 at {arrived:.1?}; {} migrations:",
        watcher.migrations.len()
    );
    for m in &watcher.migrations {
        println!(
            "  {:>5.1?} at x = {:5.1} m: {} -> {} by {} in {} µs: {}",
            m.at, m.x, m.from, m.to, m.by, m.total_us, m.cause
        );
    }
    // Every move was the app's, with its reason.
    for m in &watcher.migrations {
        assert_eq!(m.by, Origin::App("mobility".into()), "{m:?}");
        assert!(
            m.cause.contains("dBm smoothed") && m.cause.contains("dB better"),
            "{m:?}"
        );
    }
    // Along the line, never back: ap-1 -> ap-2 -> ap-3.
    let path: Vec<(&str, &str)> = watcher
        .migrations
        .iter()
        .map(|m| (m.from.as_str(), m.to.as_str()))
        .collect();
    for pair in path.windows(2) {
        assert_ne!(pair[0].0, pair[1].1, "ping-pong: {path:?}");
    }
    assert_eq!(path, vec![("ap-1", "ap-2"), ("ap-2", "ap-3")]);
    assert!(watcher.failed.is_empty(), "{:?}", watcher.failed);

    // The client never noticed.
    assert!(watcher.left.is_empty(), "{:?}", watcher.left);
    assert_eq!(client.disconnections(), 0, "{:?}", client.log());
    let traffic = bed.medium.traffic(mac);
    println!(
        "data frames: {} sent, {} forwarded, {} twice; at most {} radio(s) serving",
        traffic.data_sent, traffic.forwarded, traffic.duplicates, traffic.peak_serving
    );
    assert_eq!(traffic.duplicates, 0);
    assert_eq!(traffic.peak_serving, 1);

    let status = bed.controller.inspect(|core| core.apps()).await.unwrap();
    let app = status.iter().find(|a| a.name == "mobility").unwrap();
    assert!(app.enabled);
    assert_eq!((app.counters.errors, app.counters.panics), (0, 0));
    bed.stop().await;
}
