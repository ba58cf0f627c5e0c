//! The load balancer on the in-process network: three access points a few
//! metres apart, six clients that all joined the first one (they stood
//! next to it), then walked to the middle, where all three hear them
//! well. The `balancer` app, enabled by a command, spreads them 2/2/2 in
//! exactly four moves, one at a time, each recorded with the app's name
//! and its reason; no client notices.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use odin_agent::sim::Position;
use odin_controller::core::{Command, CommandOk, ControllerEvent, Origin};
use odin_testbed::{eventually, Testbed, TestbedConfig};

/// Clients per agent, in the agents' order.
fn spread(bed: &Testbed, placements: &BTreeMap<odin_wire::MacAddr, String>) -> Vec<usize> {
    (0..bed.agents.len())
        .map(|i| {
            let name = bed.agent_name(i);
            placements.values().filter(|a| **a == name).count()
        })
        .collect()
}

fn show(counts: &[usize]) -> String {
    counts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_balancer_spreads_six_clients_over_three_access_points() {
    let started = Instant::now();
    let mut config = TestbedConfig::line(3, 6);
    // A triangle with 10 m sides.
    config.agents = vec![
        Position::new(0.0, 0.0),
        Position::new(10.0, 0.0),
        Position::new(5.0, 8.66),
    ];
    // Next to ap-1 (about -25 dBm there, -51 dBm at the others): the
    // controller's placement (the strongest signal) puts all six on ap-1.
    config.clients = (0..6)
        .map(|i| Position::new(-1.0 + 0.1 * i as f64, -1.0))
        .collect();
    let bed = Testbed::start(config).await.unwrap();
    eventually(Duration::from_secs(10), "every client served", || async {
        bed.all_served(&[]).await.map(|_| ())
    })
    .await;
    let before = spread(&bed, &bed.all_served(&[]).await.unwrap());
    assert_eq!(before, [6, 0, 0], "all six joined ap-1");

    // They walk to the middle of the triangle (about 5.8 m from each
    // access point: -43 dBm at all three), and the agents report it.
    let macs: Vec<_> = bed.clients.iter().map(|c| c.mac()).collect();
    for (i, mac) in macs.iter().enumerate() {
        bed.medium
            .move_client(*mac, Position::new(4.5 + 0.2 * i as f64, 2.9));
    }
    eventually(
        Duration::from_secs(5),
        "every agent reports the clients in the middle",
        || async {
            let macs = macs.clone();
            let names: Vec<String> = (0..3).map(|i| bed.agent_name(i)).collect();
            bed.controller
                .inspect(move |core| {
                    for mac in &macs {
                        let client = core.client(mac).ok_or(format!("{mac} unknown"))?;
                        for name in &names {
                            let signal = client
                                .signals
                                .iter()
                                .find(|(at, _)| at.agent == *name)
                                .map(|(_, h)| h.signal_dbm);
                            match signal {
                                Some(dbm) if (-47..=-39).contains(&dbm) => {}
                                other => return Err(format!("{mac} at {name}: {other:?}")),
                            }
                        }
                    }
                    Ok(())
                })
                .await
                .unwrap()
        },
    )
    .await;
    assert_eq!(
        spread(&bed, &bed.all_served(&[]).await.unwrap()),
        [6, 0, 0],
        "nothing moved them yet"
    );

    let mut events = bed.controller.events();
    let result = bed
        .controller
        .command(Command::EnableApp {
            name: "balancer".into(),
            config: Some(serde_json::json!({
                "interval_ms": 400,
                "min_difference": 2,
                "min_signal_dbm": -70,
            })),
        })
        .await
        .unwrap();
    assert_eq!(result, Ok(CommandOk::AppChanged));
    eventually(Duration::from_secs(6), "2/2/2", || async {
        let now = spread(&bed, &bed.all_served(&[]).await?);
        if now == [2, 2, 2] {
            Ok(())
        } else {
            Err(show(&now))
        }
    })
    .await;
    // Three more rounds of the app: nothing moves any more.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let after = spread(&bed, &bed.all_served(&[]).await.unwrap());
    assert_eq!(after, [2, 2, 2]);

    let mut completed = Vec::new();
    loop {
        match events.try_recv() {
            Ok(ControllerEvent::HandoffCompleted {
                client, by, cause, ..
            }) => completed.push((client, by, cause)),
            Ok(ControllerEvent::HandoffFailed { client, reason, .. }) => {
                panic!("the move of {client} failed: {reason}")
            }
            Ok(ControllerEvent::AppFailed { app, error, .. }) => panic!("{app} failed: {error}"),
            Ok(ControllerEvent::LvapRemoved { client, .. }) => panic!("{client} was removed"),
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
            Err(e) => panic!("events: {e}"),
        }
    }
    assert_eq!(completed.len(), 4, "exactly four moves: {completed:#?}");
    for (i, (client, by, cause)) in completed.iter().enumerate() {
        assert_eq!(by, &Origin::App("balancer".into()), "{client}");
        // Always from the busiest radio, ap-1, one client at a time.
        let expected = format!("ap-1/0 serves {} clients", 6 - i);
        assert!(cause.starts_with(&expected), "move {i}: {cause}");
        assert!(
            cause.contains("after the move") && cause.contains("dBm"),
            "{cause}"
        );
        println!("balance move {}: {client}: {cause}", i + 1);
    }
    let moved: std::collections::BTreeSet<_> = completed.iter().map(|(c, _, _)| *c).collect();
    assert_eq!(moved.len(), 4, "four different clients moved");
    for client in &bed.clients {
        assert_eq!(client.disconnections(), 0, "{} disconnected", client.mac());
    }
    let status = bed.controller.inspect(|core| core.apps()).await.unwrap();
    let balancer = status.iter().find(|a| a.name == "balancer").unwrap();
    assert!(balancer.enabled);
    assert_eq!((balancer.counters.errors, balancer.counters.panics), (0, 0));
    println!(
        "balance before={} after={} migrations={} elapsed={:.1}s",
        show(&before),
        show(&after),
        completed.len(),
        started.elapsed().as_secs_f64()
    );
    bed.stop().await;
}
