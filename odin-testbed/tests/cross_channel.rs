//! Cross-channel migrations on the simulated medium, all real code over
//! TCP on loopback: two agents on channels 6 and 11; the controller moves
//! a client's LVAP back and forth between them. Each time the source tells
//! the client to move (a Channel Switch Announcement), the client follows,
//! and the target serves it on its channel: no disconnection, no frame
//! forwarded twice.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::time::Duration;

use odin_controller::core::{Command, CommandOk};
use odin_testbed::{eventually, Testbed, TestbedConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_follows_its_lvap_across_channels() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    let mut config = TestbedConfig::line(2, 1);
    config.agent_channels = vec![6, 11];
    let bed = Testbed::start(config).await.unwrap();
    let client = &bed.clients[0];
    let mac = client.mac();
    // The client scans channel 6: ap-1 serves it.
    eventually(Duration::from_secs(20), "the client associated", || async {
        match bed.placement(mac).await {
            Some((agent, bssid)) if agent == "ap-1" && client.bssid() == Some(bssid) => Ok(()),
            other => Err(format!(
                "placement {other:?}, client on {:?}",
                client.bssid()
            )),
        }
    })
    .await;
    let bssid = client.bssid().unwrap();

    for i in 0..10 {
        let (to, index, channel) = if i % 2 == 0 {
            ("ap-2", 1, 11)
        } else {
            ("ap-1", 0, 6)
        };
        let result = bed
            .controller
            .command(Command::Handoff {
                client: mac,
                to_agent: to.into(),
                to_radio: None,
                cause: format!("cross-channel {i}"),
            })
            .await
            .unwrap();
        let Ok(CommandOk::HandoffCompleted { .. }) = result else {
            panic!("migration {i} to {to}: {result:?}")
        };
        let radio = bed.agents[index].radio;
        eventually(Duration::from_secs(2), "the client followed", || async {
            let on = client.snapshot().map(|c| c.channel());
            let serving = bed.medium.serving_radios(mac);
            if on == Some(channel) && serving == vec![radio] {
                Ok(())
            } else {
                Err(format!("client on channel {on:?}, served by {serving:?}"))
            }
        })
        .await;
        // The source is gone from the air once the announced count passed.
        assert!(client.is_connected(), "migration {i}");
    }
    // Here both radios hold the client authorized for a moment, by
    // design: the source forwards what the client sends until it moves,
    // the target what it sends after; on two channels no frame reaches
    // both.
    let traffic = bed.medium.traffic(mac);
    assert_eq!(traffic.peak_serving, 2);
    assert_eq!(traffic.duplicates, 0, "a data frame forwarded twice");
    assert_eq!(client.disconnections(), 0, "{:?}", client.log());
    assert_eq!(client.bssid(), Some(bssid), "BSSID kept");
    bed.stop().await;
}
