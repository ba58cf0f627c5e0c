//! Apps on the in-process network, as they run on real radios: the
//! `rescue` example app, enabled by a command, moves a client whose link
//! to its access point weakens to the one that hears it well, driven by a
//! subscription evaluated at the agents; the move is recorded with the
//! app's name and reason; the client never notices.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::time::Duration;

use odin_controller::core::{Command, CommandOk, ControllerEvent, Origin};
use odin_testbed::{eventually, Testbed, TestbedConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rescue_app_moves_a_client_whose_link_weakens() {
    let bed = Testbed::start(TestbedConfig::line(2, 1)).await.unwrap();
    let client = bed.clients[0].mac();
    // The client hears both access points well at first.
    bed.medium
        .set_link(bed.agents[0].radio, client, Some(-45.0));
    bed.medium
        .set_link(bed.agents[1].radio, client, Some(-60.0));
    eventually(Duration::from_secs(20), "client served", || async {
        bed.all_served(&[]).await.map(|_| ())
    })
    .await;
    let first = bed.all_served(&[]).await.unwrap()[&client].clone();
    let (near, far) = if first == "ap-1" { (0, 1) } else { (1, 0) };
    let mut events = bed.controller.events();
    let result = bed
        .controller
        .command(Command::EnableApp {
            name: "rescue".into(),
            config: Some(serde_json::json!({ "threshold_dbm": -70.0, "margin_db": 6 })),
        })
        .await
        .unwrap();
    assert_eq!(result, Ok(CommandOk::AppChanged));

    // The client walks away from its access point, towards the other.
    bed.medium
        .set_link(bed.agents[near].radio, client, Some(-82.0));
    bed.medium
        .set_link(bed.agents[far].radio, client, Some(-50.0));
    let target = bed.agents[far].name.clone();
    eventually(
        Duration::from_secs(20),
        "the app moved the client",
        || async {
            match bed.all_served(&[]).await {
                Ok(now) if now[&client] == target => Ok(()),
                Ok(now) => Err(format!("{now:?}")),
                Err(e) => Err(e),
            }
        },
    )
    .await;
    // The move was the app's, with its reason.
    let completed = loop {
        match events.recv().await.unwrap() {
            ControllerEvent::HandoffCompleted { by, cause, .. } => break (by, cause),
            _ => continue,
        }
    };
    assert_eq!(completed.0, Origin::App("rescue".into()));
    assert!(
        completed.1.contains("below -70 dBm"),
        "the reason says why: {}",
        completed.1
    );
    assert_eq!(bed.clients[0].disconnections(), 0);
    let status = bed.controller.inspect(|core| core.apps()).await.unwrap();
    let rescue = status.iter().find(|a| a.name == "rescue").unwrap();
    assert!(rescue.enabled);
    assert_eq!((rescue.counters.errors, rescue.counters.panics), (0, 0));
    bed.stop().await;
}
