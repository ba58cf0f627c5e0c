//! Channel selection on the in-process network: two access points 10 m
//! apart, both on channel 6; three clients stand next to ap-1, which
//! serves them, and ap-2 hears them too (so the two are neighbours). The
//! simulated medium counts the airtime of every transmission per channel
//! and each radio's survey reports its channel's busy time, so both
//! radios measure channel 6 busy (every frame takes 4 ms here, so that
//! three clients make it about a third busy). The `channel` app, enabled
//! by a command, moves ap-2, which serves nobody, to channel 1: one
//! change, recorded with the app's name; ap-1 and its clients stay on 6,
//! no client notices, and nothing changes afterwards.
//!
//! What this cannot show: a radio that serves clients changing channel
//! with its LVAPs following. The agent retunes such a radio without
//! announcing the switch to its clients (the app's crate documentation
//! says why), so the app leaves serving radios alone by default.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::time::{Duration, Instant};

use odin_agent::sim::Position;
use odin_controller::core::{Command, CommandOk, ControllerEvent, Origin, RadioRef};
use odin_testbed::{eventually, Testbed, TestbedConfig};

/// Each radio's channel and utilisation as the controller has them.
async fn radios(bed: &Testbed) -> Vec<(u8, Option<f32>)> {
    let names: Vec<String> = (0..bed.agents.len()).map(|i| bed.agent_name(i)).collect();
    bed.controller
        .inspect(move |core| {
            names
                .iter()
                .map(|name| {
                    let radio = core
                        .agents()
                        .get(name)
                        .and_then(|a| a.radios.values().next());
                    match radio {
                        Some(r) => (
                            r.info.channel,
                            r.stats.as_ref().and_then(|(s, _)| s.utilization),
                        ),
                        None => (0, None),
                    }
                })
                .collect()
        })
        .await
        .unwrap()
}

fn show(channels: &[u8]) -> String {
    channels
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_neighbour_leaves_the_busy_channel() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    let started = Instant::now();
    let mut config = TestbedConfig::line(2, 3);
    config.agents = vec![Position::new(0.0, 0.0), Position::new(10.0, 0.0)];
    config.clients = (0..3)
        .map(|i| Position::new(-1.0 + 0.2 * i as f64, -1.0))
        .collect();
    config.medium.airtime = Duration::from_millis(4);
    let bed = Testbed::start(config).await.unwrap();
    eventually(Duration::from_secs(15), "every client on ap-1", || async {
        let placements = bed.all_served(&[]).await?;
        if placements.values().all(|a| a == "ap-1") {
            Ok(())
        } else {
            Err(format!("{placements:?}"))
        }
    })
    .await;
    let placements = bed.all_served(&[]).await.unwrap();
    // Both radios measure channel 6, and ap-2 hears ap-1's clients.
    let macs: Vec<_> = bed.clients.iter().map(|c| c.mac()).collect();
    eventually(
        Duration::from_secs(10),
        "channel 6 measured busy, the clients heard at ap-2",
        || async {
            let now = radios(&bed).await;
            if !now.iter().all(|(_, u)| u.is_some_and(|u| u > 0.2)) {
                return Err(format!("utilisation {now:?}"));
            }
            let macs = macs.clone();
            bed.controller
                .inspect(move |core| {
                    for mac in &macs {
                        let client = core.client(mac).ok_or(format!("{mac} unknown"))?;
                        if !client.signals.iter().any(|(at, _)| at.agent == "ap-2") {
                            return Err(format!("{mac} not heard at ap-2"));
                        }
                    }
                    Ok(())
                })
                .await
                .unwrap()
        },
    )
    .await;
    let before = radios(&bed).await;
    assert_eq!(before.iter().map(|r| r.0).collect::<Vec<_>>(), [6, 6]);

    let mut events = bed.controller.events();
    let result = bed
        .controller
        .command(Command::EnableApp {
            name: "channel".into(),
            config: Some(serde_json::json!({
                "interval_ms": 300,
                "settle_ms": 2500,
                "global_interval_ms": 3000,
                "radio_interval_ms": 600_000,
                "hysteresis_pct": 10,
            })),
        })
        .await
        .unwrap();
    assert_eq!(result, Ok(CommandOk::AppChanged));
    let ap2 = bed.agents[1].radio;
    eventually(Duration::from_secs(10), "ap-2 on channel 1", || async {
        let air = bed.medium.radio_info(ap2).map(|r| r.channel);
        let controller = radios(&bed).await[1].0;
        if air == Some(1) && controller == 1 {
            Ok(())
        } else {
            Err(format!(
                "on the air {air:?}, at the controller {controller}"
            ))
        }
    })
    .await;
    // Past the global interval and several rounds of the app, with ap-2
    // measuring its new channel: nothing else changes.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = radios(&bed).await;
    assert_eq!(after.iter().map(|r| r.0).collect::<Vec<_>>(), [6, 1]);
    assert!(
        after[1].1.is_some_and(|u| u < 0.05),
        "channel 1 is quiet: {after:?}"
    );

    let mut changes = Vec::new();
    loop {
        match events.try_recv() {
            Ok(ControllerEvent::ChannelChanged { at, channel, by }) => {
                changes.push((at, channel, by))
            }
            Ok(ControllerEvent::AppFailed { app, error, .. }) => panic!("{app} failed: {error}"),
            Ok(ControllerEvent::LvapRemoved { client, .. }) => panic!("{client} was removed"),
            Ok(ControllerEvent::HandoffCompleted { client, .. }) => panic!("{client} moved"),
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
            Err(e) => panic!("events: {e}"),
        }
    }
    assert_eq!(
        changes,
        [(RadioRef::new("ap-2", 0), 1, Origin::App("channel".into()))]
    );
    // ap-1 and its clients never moved.
    bed.served_as(&placements).await.unwrap();
    for client in &bed.clients {
        assert_eq!(client.disconnections(), 0, "{} disconnected", client.mac());
        assert_eq!(client.snapshot().map(|c| c.channel()), Some(6));
    }
    let status = bed.controller.inspect(|core| core.apps()).await.unwrap();
    let app = status.iter().find(|a| a.name == "channel").unwrap();
    assert!(app.enabled);
    assert_eq!((app.counters.errors, app.counters.panics), (0, 0));
    let percent = |u: Option<f32>| u.map_or("-".to_string(), |u| format!("{:.0}%", u * 100.0));
    println!(
        "channels before={} after={} changes={} utilization before={}/{} after={}/{} elapsed={:.1}s",
        show(&before.iter().map(|r| r.0).collect::<Vec<_>>()),
        show(&after.iter().map(|r| r.0).collect::<Vec<_>>()),
        changes.len(),
        percent(before[0].1),
        percent(before[1].1),
        percent(after[0].1),
        percent(after[1].1),
        started.elapsed().as_secs_f64()
    );
    bed.stop().await;
}

/// The same with radios that serve clients, and `retune_served`: the app
/// moves one of the two (both gain as much; which one depends on the
/// measurements' timing) and that radio's clients follow their LVAPs to
/// the new channel, told by a channel switch announcement (the agent
/// switches every LVAP of the radio, `RADIO_SWITCH_COUNT` beacons ahead):
/// no client disconnected, none moved to another access point.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serving_radio_changes_channel_with_its_client() {
    let mut config = TestbedConfig::line(2, 3);
    config.agents = vec![Position::new(0.0, 0.0), Position::new(10.0, 0.0)];
    config.clients = vec![
        Position::new(-1.0, -1.0),
        Position::new(-0.8, -1.0),
        Position::new(11.0, -1.0),
    ];
    config.medium.airtime = Duration::from_millis(4);
    let bed = Testbed::start(config).await.unwrap();
    eventually(
        Duration::from_secs(15),
        "two on ap-1, one on ap-2",
        || async {
            let placements = bed.all_served(&[]).await?;
            let on_2: Vec<_> = placements.values().filter(|a| *a == "ap-2").collect();
            if on_2.len() == 1 {
                Ok(())
            } else {
                Err(format!("{placements:?}"))
            }
        },
    )
    .await;
    eventually(Duration::from_secs(10), "channel 6 measured", || async {
        let now = radios(&bed).await;
        if now.iter().all(|(_, u)| u.is_some_and(|u| u > 0.2)) {
            Ok(())
        } else {
            Err(format!("{now:?}"))
        }
    })
    .await;
    let result = bed
        .controller
        .command(Command::EnableApp {
            name: "channel".into(),
            config: Some(serde_json::json!({
                "interval_ms": 300,
                "settle_ms": 2500,
                "global_interval_ms": 3000,
                "radio_interval_ms": 600_000,
                "hysteresis_pct": 10,
                "retune_served": true,
            })),
        })
        .await
        .unwrap();
    assert_eq!(result, Ok(CommandOk::AppChanged));
    let before: Vec<_> = bed
        .clients
        .iter()
        .map(|c| bed.medium.serving_radios(c.mac()))
        .collect();
    let radios_ids = [bed.agents[0].radio, bed.agents[1].radio];
    // One of the two radios leaves channel 6 (the app picks which: both
    // gain as much), and its clients follow it there.
    eventually(
        Duration::from_secs(10),
        "a radio moved and its clients followed",
        || async {
            let air: Vec<Option<u8>> = radios_ids
                .iter()
                .map(|r| bed.medium.radio_info(*r).map(|i| i.channel))
                .collect();
            let moved = air.iter().filter(|c| **c != Some(6)).count();
            let followed = bed.clients.iter().zip(&before).all(|(c, serving)| {
                let radio_channel = serving
                    .first()
                    .and_then(|r| bed.medium.radio_info(*r))
                    .map(|i| i.channel);
                c.is_connected() && c.snapshot().map(|s| s.channel()) == radio_channel
            });
            if moved == 1 && followed {
                Ok(())
            } else {
                Err(format!(
                    "radios on {air:?}, clients on {:?}",
                    bed.clients
                        .iter()
                        .map(|c| (c.snapshot().map(|s| s.channel()), c.is_connected()))
                        .collect::<Vec<_>>()
                ))
            }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after: Vec<_> = radios_ids
        .iter()
        .map(|r| bed.medium.radio_info(*r).map_or(0, |i| i.channel))
        .collect();
    println!(
        "channels before=6/6 after={}/{} changes=1 (with their clients)",
        after[0], after[1]
    );
    for (client, serving) in bed.clients.iter().zip(&before) {
        assert_eq!(&bed.medium.serving_radios(client.mac()), serving);
        assert_eq!(client.disconnections(), 0, "{} disconnected", client.mac());
    }
    bed.stop().await;
}
