//! A controller with a store (SQLite in a file) is stopped dead and a new
//! one started on the same store: it comes up knowing every client and its
//! BSSID before any agent reconnects, the agents' hellos put every LVAP
//! back where it is, no client notices, migrations work, and the event
//! history has what happened before and after, with who asked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::collections::BTreeMap;
use std::time::Duration;

use odin_controller::core::{Command, CommandOk};
use odin_controller::store::{self, EventFilter};
use odin_testbed::{eventually, Testbed, TestbedConfig};
use odin_wire::MacAddr;

async fn bssids(bed: &Testbed) -> BTreeMap<MacAddr, MacAddr> {
    bed.controller
        .inspect(|core| {
            core.clients()
                .values()
                .filter_map(|c| Some((c.mac, c.bssid?)))
                .collect()
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_the_same_sqlite_store_keeps_every_client_and_its_history() {
    let dir = std::env::temp_dir().join(format!("odin-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    restart_on(format!("sqlite://{}", dir.join("controller.db").display())).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same on PostgreSQL (`ODIN_TEST_POSTGRES_URL`, which the test
/// command sets), in a schema of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_the_same_postgres_store_keeps_every_client_and_its_history() {
    let Ok(base) = std::env::var("ODIN_TEST_POSTGRES_URL") else {
        println!("SKIPPED: ODIN_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)");
        return;
    };
    let schema = format!("odin_testbed_restart_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::raw_sql(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))
    .execute(&admin)
    .await
    .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    restart_on(format!("{base}{sep}options[search_path]={schema}")).await;
    sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
}

async fn restart_on(url: String) {
    let mut config = TestbedConfig::line(3, 6);
    config.database = Some(url.clone());
    let mut bed = Testbed::start(config).await.unwrap();
    eventually(Duration::from_secs(20), "every client served", || async {
        bed.all_served(&[]).await.map(|_| ())
    })
    .await;
    // One migration before, to find in the history.
    let moved = bed.clients[0].mac();
    let placed = bed.all_served(&[]).await.unwrap();
    let to = if placed[&moved] == "ap-1" {
        "ap-2"
    } else {
        "ap-1"
    };
    let result = bed
        .controller
        .command(Command::Handoff {
            client: moved,
            to_agent: to.into(),
            to_radio: None,
            cause: "before the restart".into(),
        })
        .await
        .unwrap();
    assert!(
        matches!(result, Ok(CommandOk::HandoffCompleted { .. })),
        "{result:?}"
    );
    let before = bed.all_served(&[]).await.unwrap();
    let given = bssids(&bed).await;
    assert_eq!(given.len(), 6);
    // Let the recorder write (it does within milliseconds; the restart
    // below does not wait for it, as a SIGKILL would not).
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Stopped dead; a new controller on the store, after 1.5 s.
    bed.restart_controller(Duration::from_millis(1500))
        .await
        .unwrap();
    // Before any agent is back, it knows every client and its BSSID.
    let known = bssids(&bed).await;
    assert_eq!(known, given, "the store gave back every client's BSSID");

    eventually(
        Duration::from_secs(20),
        "the same agents serve the same clients",
        || bed.served_as(&before),
    )
    .await;
    for client in &bed.clients {
        assert_eq!(client.disconnections(), 0, "{} noticed", client.mac());
    }
    assert_eq!(bssids(&bed).await, given);

    // Migrations work again.
    let back = placed[&moved].clone();
    let result = bed
        .controller
        .command(Command::Handoff {
            client: moved,
            to_agent: back.clone(),
            to_radio: None,
            cause: "after the restart".into(),
        })
        .await
        .unwrap();
    assert!(
        matches!(result, Ok(CommandOk::HandoffCompleted { .. })),
        "{result:?}"
    );
    assert_eq!(bed.all_served(&[]).await.unwrap()[&moved], back);
    bed.stop().await;

    // The history spans both controllers.
    let storage = store::open(&url).await.unwrap();
    let handoffs = storage
        .events(&EventFilter {
            client: Some(moved),
            kind: Some("handoff_completed".into()),
            ..EventFilter::default()
        })
        .await
        .unwrap();
    let causes: Vec<&str> = handoffs
        .iter()
        .filter_map(|e| e.record.detail["cause"].as_str())
        .collect();
    assert_eq!(causes, vec!["after the restart", "before the restart"]);
    assert!(handoffs.iter().all(
        |e| e.record.detail["by"] == "api" && e.record.detail["durations_us"]["total"].is_u64()
    ));
    let adopted = storage
        .events(&EventFilter {
            kind: Some("lvap_adopted".into()),
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        adopted.len(),
        6,
        "every LVAP adopted from the agents' hellos"
    );
    let snapshot = storage.load().await.unwrap();
    assert_eq!(snapshot.clients.len(), 6);
    let lvaps: BTreeMap<MacAddr, String> = snapshot
        .lvaps
        .iter()
        .map(|l| (l.client, l.agent.clone()))
        .collect();
    let mut expected = before.clone();
    expected.insert(moved, back);
    assert_eq!(lvaps, expected, "the store has where every LVAP is");
}
