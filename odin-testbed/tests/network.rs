//! One controller, three agents and twenty clients on the simulated medium,
//! all real code over TCP on loopback: every client associates through an
//! LVAP; the controller migrates clients back and forth 100 times and each
//! is served by exactly one agent after every migration (and never by two
//! at once); an agent that dies has its clients re-served elsewhere; an
//! agent with the wrong secret is refused and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::collections::BTreeMap;
use std::time::Duration;

use odin_controller::core::{Command, CommandOk};
use odin_testbed::{eventually, Testbed, TestbedConfig};
use odin_wire::MacAddr;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_agents_twenty_clients_hundred_migrations_a_death_and_an_intruder() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    let bed = Testbed::start(TestbedConfig::line(3, 20)).await.unwrap();

    // Everyone associates through an LVAP of its own.
    eventually(
        Duration::from_secs(20),
        "all clients associated",
        || async { bed.all_served(&[]).await.map(|_| ()) },
    )
    .await;
    let placements = bed.all_served(&[]).await.unwrap();
    let bssids: BTreeMap<MacAddr, MacAddr> = bed
        .clients
        .iter()
        .map(|c| (c.mac(), c.bssid().unwrap()))
        .collect();
    let unique: std::collections::BTreeSet<_> = bssids.values().collect();
    assert_eq!(unique.len(), 20, "one BSSID per client");
    assert!(bssids.values().all(|b| b.is_local() && b.is_unicast()));
    // The radios answered the first probes themselves (early answers):
    // each client found its network in its first scan.
    assert!(bed.medium.stats().early_answers >= 20);
    // Without them every client needs a second scan (its 50 ms dwell ends
    // with the placement window); with them nearly all need one (a client
    // that authenticates before its LVAP is placed may rescan when the
    // machine is loaded).
    let scans: Vec<u64> = bed.clients.iter().map(|c| c.counters().scans).collect();
    let first_scan = scans.iter().filter(|&&n| n == 1).count();
    assert!(first_scan >= 15, "scans per client: {scans:?}");
    let used: std::collections::BTreeSet<_> = placements.values().collect();
    assert!(
        used.len() >= 2,
        "clients spread by signal over the agents: {placements:?}"
    );

    // 100 migrations, back and forth around the three agents.
    let mut durations = Vec::new();
    for i in 0..100 {
        let client = bed.clients[i % 20].mac();
        let (from, _) = bed.placement(client).await.unwrap();
        let from_index = bed.agents.iter().position(|a| a.name == from).unwrap();
        let to = bed.agent_name((from_index + 1 + i % 2) % 3);
        let result = bed
            .controller
            .command(Command::Handoff {
                client,
                to_agent: to.clone(),
                to_radio: None,
                cause: format!("test {i}"),
            })
            .await
            .unwrap();
        let Ok(CommandOk::HandoffCompleted { durations: d, .. }) = result else {
            panic!("migration {i} of {client} from {from} to {to}: {result:?}")
        };
        durations.push(d.total_us);
        // Settled: exactly one agent serves each client, the one chosen.
        let now = bed
            .all_served(&[])
            .await
            .unwrap_or_else(|e| panic!("after migration {i}: {e}"));
        assert_eq!(now[&client], to);
    }
    for client in &bed.clients {
        let traffic = bed.medium.traffic(client.mac());
        assert_eq!(
            traffic.double_serving,
            0,
            "{}: two radios authorized at once",
            client.mac()
        );
        assert_eq!(
            traffic.duplicates,
            0,
            "{}: a data frame forwarded twice",
            client.mac()
        );
        assert_eq!(
            client.disconnections(),
            0,
            "{} noticed a migration: {:?}",
            client.mac(),
            client.log()
        );
        assert_eq!(client.bssid(), Some(bssids[&client.mac()]), "BSSID kept");
    }
    durations.sort_unstable();
    eprintln!(
        "migration total: median {} us, max {} us",
        durations[50], durations[99]
    );

    // An intruder with the wrong secret is refused and changes nothing.
    let before = bed.all_served(&[]).await.unwrap();
    let agents_before = bed.controller.inspect(|c| c.agents().len()).await.unwrap();
    let intruder = bed.start_agent(0, b"not the secret");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        bed.controller.inspect(|c| c.agents().len()).await.unwrap(),
        agents_before
    );
    assert_eq!(bed.all_served(&[]).await.unwrap(), before);
    intruder.kill().await;
    // (Killing the intruder powered its own radio off; the others are untouched.)
    assert_eq!(bed.all_served(&[]).await.unwrap(), before);

    // Agent ap-1 dies: its clients are re-served by the others.
    let mut bed = bed;
    let victim = bed.agents.remove(0);
    let victim_name = victim.name.clone();
    let orphans: Vec<MacAddr> = before
        .iter()
        .filter(|(_, a)| **a == victim_name)
        .map(|(c, _)| *c)
        .collect();
    victim.kill().await;
    let exclude = [victim_name.clone()];
    eventually(
        Duration::from_secs(20),
        "clients of the dead agent re-served",
        || async { bed.all_served(&exclude).await.map(|_| ()) },
    )
    .await;
    let after = bed.all_served(&exclude).await.unwrap();
    for client in &orphans {
        assert_ne!(after[client], victim_name);
    }
    eprintln!(
        "{} clients of {victim_name} re-served: {:?}",
        orphans.len(),
        orphans.iter().map(|c| &after[c]).collect::<Vec<_>>()
    );
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_network_over_tls() {
    let mut config = TestbedConfig::line(2, 4);
    config.tls = true;
    let bed = Testbed::start(config).await.unwrap();
    eventually(
        Duration::from_secs(20),
        "all clients associated over TLS links",
        || async { bed.all_served(&[]).await.map(|_| ()) },
    )
    .await;
    let client = bed.clients[0].mac();
    let (from, _) = bed.placement(client).await.unwrap();
    let to = if from == "ap-1" { "ap-2" } else { "ap-1" };
    let result = bed
        .controller
        .command(Command::Handoff {
            client,
            to_agent: to.into(),
            to_radio: None,
            cause: "tls".into(),
        })
        .await
        .unwrap();
    assert!(
        matches!(result, Ok(CommandOk::HandoffCompleted { .. })),
        "{result:?}"
    );
    assert_eq!(bed.all_served(&[]).await.unwrap()[&client], to);
    bed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_keep_being_served_while_the_controller_is_away_and_it_relearns_them() {
    let mut bed = Testbed::start(TestbedConfig::line(3, 9)).await.unwrap();
    eventually(
        Duration::from_secs(20),
        "all clients associated",
        || async { bed.all_served(&[]).await.map(|_| ()) },
    )
    .await;
    let before = bed.all_served(&[]).await.unwrap();
    let forwarded = |bed: &Testbed| {
        bed.clients
            .iter()
            .map(|c| bed.medium.traffic(c.mac()).forwarded)
            .sum::<u64>()
    };
    let at_stop = forwarded(&bed);
    // Two seconds without a controller: a new, empty one comes back.
    bed.restart_controller(Duration::from_secs(2))
        .await
        .unwrap();
    assert!(
        forwarded(&bed) >= at_stop + 9 * 15,
        "data kept flowing while the controller was away"
    );
    // The agents reconnect and report what they serve; the new registry
    // adopts it: the same agents serve the same clients.
    eventually(
        Duration::from_secs(20),
        "registry rebuilt from the agents' hellos",
        || bed.served_as(&before),
    )
    .await;
    for client in &bed.clients {
        assert_eq!(
            client.disconnections(),
            0,
            "{} noticed the outage",
            client.mac()
        );
    }
    // And it can steer them again.
    let client = bed.clients[0].mac();
    let to = if before[&client] == "ap-2" {
        "ap-3"
    } else {
        "ap-2"
    };
    let result = bed
        .controller
        .command(Command::Handoff {
            client,
            to_agent: to.into(),
            to_radio: None,
            cause: "after restart".into(),
        })
        .await
        .unwrap();
    assert!(
        matches!(result, Ok(CommandOk::HandoffCompleted { .. })),
        "{result:?}"
    );
    bed.stop().await;
}
