//! One suite for every backend: [`suite`] through the [`Storage`] trait,
//! [`raw_suite`] with SQL of its own (bad rows, a failing transaction).
//! SQLite runs always; PostgreSQL when `ODIN_TEST_POSTGRES_URL` is set
//! (`scripts/postgres.sh start` sets one up), each test in a schema of its
//! own that it drops at the end.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use odin_proto::msg::{Band, RadioInfo};
use odin_proto::{MacAddr, StationState};
use serde_json::json;

use super::sql::{Cell, Col, Driver, Select, SqlStore, Stmt};
use super::*;

fn mac(n: u8) -> MacAddr {
    MacAddr([0x02, 0, 0, 0, 0x01, n])
}

fn bssid(n: u8) -> MacAddr {
    MacAddr([0x06, 0, 0, 0, 0x02, n])
}

fn radio(index: RadioIndex, channel: u8) -> RadioInfo {
    RadioInfo {
        index,
        name: format!("phy{index}"),
        addr: MacAddr([0x02, 0, 0, 0, 0x03, index as u8]),
        band: Band::of_channel(channel),
        channel,
        channels: vec![1, 6, 11, 36],
        ht: true,
        vht: channel > 14,
        max_lvaps: 64,
    }
}

fn station(n: u8) -> StationState {
    let mut st = StationState::unassociated(mac(n), bssid(n));
    st.aid = u16::from(n) + 1;
    st.supported_rates = vec![0x82, 0x84, 12, 24];
    st.flags.associated = true;
    st.last_rx_seq = Some(42);
    st.assoc_ies = vec![0, 3, b'o', b'd', b'n'];
    st
}

fn event(
    at: u64,
    kind: &str,
    client: Option<u8>,
    agent: Option<&str>,
    app: Option<&str>,
) -> StoreOp {
    StoreOp::AppendEvent(EventRecord {
        at_unix_us: at,
        kind: kind.into(),
        client: client.map(mac),
        agent: agent.map(Into::into),
        app: app.map(Into::into),
        detail: json!({ "at": at, "nested": { "list": [1, 2, 3] } }),
    })
}

fn record(op: &StoreOp) -> EventRecord {
    match op {
        StoreOp::AppendEvent(r) => r.clone(),
        other => panic!("not an event: {other:?}"),
    }
}

async fn ids_and_times(storage: &dyn Storage, filter: EventFilter) -> Vec<u64> {
    storage
        .events(&filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.record.at_unix_us)
        .collect()
}

/// Everything a backend must do, through the trait only. Expects an empty
/// store.
pub(crate) async fn suite(storage: Arc<dyn Storage>) {
    let s = &*storage;
    assert_eq!(s.load().await.unwrap(), Snapshot::default());
    assert!(s.events(&EventFilter::default()).await.unwrap().is_empty());
    s.apply(&[]).await.unwrap();

    // Every kind of write, then the snapshot.
    let ops = vec![
        StoreOp::UpsertAgent {
            name: "ap-2".into(),
            software: "odin-agent 0.1.0".into(),
            up: true,
            at_unix_us: 10,
        },
        StoreOp::UpsertAgent {
            name: "ap-1".into(),
            software: "odin-agent 0.1.0".into(),
            up: true,
            at_unix_us: 11,
        },
        StoreOp::UpsertRadio {
            agent: "ap-1".into(),
            index: 1,
            info: radio(1, 36),
        },
        StoreOp::UpsertRadio {
            agent: "ap-1".into(),
            index: 0,
            info: radio(0, 6),
        },
        StoreOp::UpsertClient {
            mac: mac(1),
            bssid: Some(bssid(1)),
            station: Some(station(1)),
            at_unix_us: 20,
        },
        StoreOp::UpsertClient {
            mac: mac(2),
            bssid: None,
            station: None,
            at_unix_us: 21,
        },
        StoreOp::UpsertLvap {
            client: mac(1),
            bssid: bssid(1),
            agent: "ap-1".into(),
            radio: 0,
            at_unix_us: 22,
        },
        StoreOp::SetApp {
            name: "load-balancer".into(),
            enabled: true,
            config: json!({ "threshold_dbm": -70, "agents": ["ap-1", "ap-2"] }),
            at_unix_us: 30,
        },
        event(40, "client_joined", Some(1), Some("ap-1"), None),
    ];
    s.apply(&ops).await.unwrap();
    let snap = s.load().await.unwrap();
    let expected = Snapshot {
        agents: vec![
            AgentRow {
                name: "ap-1".into(),
                software: "odin-agent 0.1.0".into(),
                up: true,
                at_unix_us: 11,
            },
            AgentRow {
                name: "ap-2".into(),
                software: "odin-agent 0.1.0".into(),
                up: true,
                at_unix_us: 10,
            },
        ],
        radios: vec![
            RadioRow {
                agent: "ap-1".into(),
                index: 0,
                info: radio(0, 6),
            },
            RadioRow {
                agent: "ap-1".into(),
                index: 1,
                info: radio(1, 36),
            },
        ],
        clients: vec![
            ClientRow {
                mac: mac(1),
                bssid: Some(bssid(1)),
                station: Some(station(1)),
                at_unix_us: 20,
            },
            ClientRow {
                mac: mac(2),
                bssid: None,
                station: None,
                at_unix_us: 21,
            },
        ],
        lvaps: vec![LvapRow {
            client: mac(1),
            bssid: bssid(1),
            agent: "ap-1".into(),
            radio: 0,
            at_unix_us: 22,
        }],
        apps: vec![AppRow {
            name: "load-balancer".into(),
            enabled: true,
            config: json!({ "threshold_dbm": -70, "agents": ["ap-1", "ap-2"] }),
            at_unix_us: 30,
        }],
        skipped_rows: 0,
    };
    assert_eq!(snap, expected);

    // Upserts overwrite; a delete deletes; a BSSID moves to its last taker.
    s.apply(&[
        StoreOp::UpsertAgent {
            name: "ap-2".into(),
            software: "odin-agent 0.2.0".into(),
            up: false,
            at_unix_us: 50,
        },
        StoreOp::UpsertRadio {
            agent: "ap-1".into(),
            index: 0,
            info: radio(0, 11),
        },
        StoreOp::UpsertLvap {
            client: mac(1),
            bssid: bssid(1),
            agent: "ap-2".into(),
            radio: 3,
            at_unix_us: 51,
        },
        StoreOp::UpsertLvap {
            client: mac(2),
            bssid: bssid(2),
            agent: "ap-2".into(),
            radio: 0,
            at_unix_us: 52,
        },
        StoreOp::DeleteLvap {
            client: mac(2),
            at_unix_us: 53,
        },
        StoreOp::DeleteLvap {
            client: mac(9),
            at_unix_us: 53,
        },
        StoreOp::UpsertClient {
            mac: mac(2),
            bssid: Some(bssid(1)),
            station: Some(station(2)),
            at_unix_us: 54,
        },
        StoreOp::SetApp {
            name: "load-balancer".into(),
            enabled: false,
            config: json!(null),
            at_unix_us: 55,
        },
    ])
    .await
    .unwrap();
    let snap = s.load().await.unwrap();
    assert_eq!(snap.agents[1].software, "odin-agent 0.2.0");
    assert!(!snap.agents[1].up);
    assert_eq!(snap.radios[0].info.channel, 11);
    assert_eq!(
        snap.lvaps,
        vec![LvapRow {
            client: mac(1),
            bssid: bssid(1),
            agent: "ap-2".into(),
            radio: 3,
            at_unix_us: 51,
        }]
    );
    assert_eq!(snap.clients[0].mac, mac(1));
    assert_eq!(snap.clients[0].bssid, None, "its BSSID went to mac(2)");
    assert_eq!(snap.clients[1].bssid, Some(bssid(1)));
    assert_eq!(snap.clients[1].station, Some(station(2)));
    assert_eq!(snap.apps[0].config, json!(null));
    assert!(!snap.apps[0].enabled);

    // Edge values are stored, not refused: NUL (as U+FFFD), times past
    // i64::MAX (as i64::MAX), the largest radio index.
    s.apply(&[
        StoreOp::UpsertAgent {
            name: "nul\0agent".into(),
            software: "\0".into(),
            up: true,
            at_unix_us: u64::MAX,
        },
        StoreOp::UpsertLvap {
            client: mac(3),
            bssid: bssid(3),
            agent: "ap-1".into(),
            radio: RadioIndex::MAX,
            at_unix_us: 0,
        },
    ])
    .await
    .unwrap();
    let snap = s.load().await.unwrap();
    let nul = snap
        .agents
        .iter()
        .find(|a| a.name.starts_with("nul"))
        .unwrap();
    assert_eq!(nul.name, "nul\u{FFFD}agent");
    assert_eq!(nul.at_unix_us, i64::MAX as u64);
    assert_eq!(snap.lvaps[1].radio, RadioIndex::MAX);
    assert_eq!(snap.skipped_rows, 0);

    events_suite(s).await;
}

/// The event log: filters, time ranges, pages, limits.
async fn events_suite(s: &dyn Storage) {
    // The one event of the first part is at 40; these follow it.
    let mut ops = Vec::new();
    for i in 0..50u64 {
        let client = Some((i % 5) as u8);
        let agent = if i % 2 == 0 { "ap-1" } else { "ap-2" };
        let app = (i % 10 == 0).then_some("load-balancer");
        let kind = if i % 3 == 0 { "handoff" } else { "heard" };
        ops.push(event(1000 + i, kind, client, Some(agent), app));
    }
    s.apply(&ops).await.unwrap();

    let all = s
        .events(&EventFilter {
            limit: 1000,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 51);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(all[0].record, record(&ops[49]));
    assert_eq!(all[50].record.at_unix_us, 40);
    assert_eq!(all[50].record.kind, "client_joined");

    let times = |f| ids_and_times(s, f);
    assert_eq!(
        times(EventFilter {
            client: Some(mac(3)),
            ..EventFilter::default()
        })
        .await,
        vec![1048, 1043, 1038, 1033, 1028, 1023, 1018, 1013, 1008, 1003]
    );
    assert_eq!(
        times(EventFilter {
            client: Some(mac(1)),
            ..EventFilter::default()
        })
        .await
        .len(),
        11,
        "ten of these and the first part's"
    );
    let by_agent = times(EventFilter {
        agent: Some("ap-2".into()),
        ..EventFilter::default()
    })
    .await;
    assert_eq!(by_agent.len(), 25);
    assert!(by_agent.iter().all(|t| t % 2 == 1));
    assert_eq!(
        times(EventFilter {
            app: Some("load-balancer".into()),
            ..EventFilter::default()
        })
        .await,
        vec![1040, 1030, 1020, 1010, 1000]
    );
    assert_eq!(
        times(EventFilter {
            kind: Some("handoff".into()),
            agent: Some("ap-1".into()),
            ..EventFilter::default()
        })
        .await,
        vec![1048, 1042, 1036, 1030, 1024, 1018, 1012, 1006, 1000]
    );
    assert!(times(EventFilter {
        kind: Some("nothing".into()),
        ..EventFilter::default()
    })
    .await
    .is_empty());
    // Several kinds, separated by commas (spaces and empty items ignored).
    assert_eq!(
        times(EventFilter {
            kind: Some("client_joined, handoff,,nothing".into()),
            agent: Some("ap-1".into()),
            since_unix_us: Some(1030),
            ..EventFilter::default()
        })
        .await,
        vec![1048, 1042, 1036, 1030]
    );
    assert_eq!(
        times(EventFilter {
            kind: Some("client_joined,heard".into()),
            until_unix_us: Some(1003),
            limit: 1000,
            ..EventFilter::default()
        })
        .await,
        vec![1002, 1001, 40]
    );
    // [since, until): since inclusive, until exclusive.
    assert_eq!(
        times(EventFilter {
            since_unix_us: Some(1045),
            until_unix_us: Some(1048),
            ..EventFilter::default()
        })
        .await,
        vec![1047, 1046, 1045]
    );
    assert_eq!(
        times(EventFilter {
            until_unix_us: Some(1000),
            ..EventFilter::default()
        })
        .await,
        vec![40]
    );
    assert_eq!(
        times(EventFilter {
            since_unix_us: Some(u64::MAX),
            ..EventFilter::default()
        })
        .await,
        Vec::<u64>::new()
    );

    // Pages of 7, newest first, each after the previous page's last id.
    let mut pages = Vec::new();
    let mut before_id = None;
    loop {
        let page = s
            .events(&EventFilter {
                before_id,
                limit: 7,
                ..EventFilter::default()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        before_id = page.last().map(|e| e.id);
        pages.push(page);
    }
    assert_eq!(pages.len(), 8);
    let paged: Vec<StoredEvent> = pages.into_iter().flatten().collect();
    assert_eq!(paged, all);
    // A page of a filter.
    let first = s
        .events(&EventFilter {
            client: Some(mac(3)),
            limit: 4,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    let second = s
        .events(&EventFilter {
            client: Some(mac(3)),
            limit: 4,
            before_id: first.last().map(|e| e.id),
            ..EventFilter::default()
        })
        .await
        .unwrap();
    let times: Vec<u64> = first
        .iter()
        .chain(&second)
        .map(|e| e.record.at_unix_us)
        .collect();
    assert_eq!(times, vec![1048, 1043, 1038, 1033, 1028, 1023, 1018, 1013]);

    // Limits are clamped to 1..=1000.
    let zero = s
        .events(&EventFilter {
            limit: 0,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(zero.len(), 1);
    assert_eq!(zero[0].record.at_unix_us, 1049);
    let more: Vec<StoreOp> = (0..1000u64)
        .map(|i| event(2000 + i, "bulk", None, None, None))
        .collect();
    s.apply(&more).await.unwrap();
    let max = s
        .events(&EventFilter {
            limit: u32::MAX,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(max.len(), 1000);
    assert_eq!(max[0].record.at_unix_us, 2999);
    assert_eq!(max[999].record.at_unix_us, 2000);
}

/// Rows `load` cannot read (bad MACs, bad JSON, out-of-range numbers), put
/// in with raw SQL in both backends.
const BAD_ROWS: &[&str] = &[
    "INSERT INTO agents (name, software, up, at_us) VALUES ('neg-time', 's', TRUE, -5)",
    "INSERT INTO radios (agent, idx, info) VALUES ('ap-x', 0, '{not json')",
    "INSERT INTO radios (agent, idx, info) VALUES ('ap-x', 1, 'null')",
    "INSERT INTO radios (agent, idx, info) VALUES ('ap-x', -1, '{}')",
    "INSERT INTO clients (mac, bssid, station, at_us) VALUES ('not-a-mac', NULL, NULL, 1)",
    "INSERT INTO clients (mac, bssid, station, at_us) \
     VALUES ('02:00:00:00:09:01', '06:zz:00:00:00:00', NULL, 1)",
    "INSERT INTO clients (mac, bssid, station, at_us) \
     VALUES ('02:00:00:00:09:02', NULL, '{\"sta\": 1}', 1)",
    "INSERT INTO lvaps (client, bssid, agent, radio, at_us) \
     VALUES ('02:00:00:00:09:03', 'ff', 'ap-x', 0, 1)",
    "INSERT INTO lvaps (client, bssid, agent, radio, at_us) \
     VALUES ('02:00:00:00:09:04', '06:00:00:00:09:04', 'ap-x', 99999999999, 1)",
    "INSERT INTO apps (name, enabled, config, at_us) VALUES ('bad-config', TRUE, '{', 1)",
];

/// How many rows of `BAD_ROWS` `load` must skip.
const BAD_SNAPSHOT_ROWS: u64 = 10;

/// What needs SQL of its own: bad rows are skipped, a failing statement
/// rolls the whole batch back, migrations are recorded once.
pub(crate) async fn raw_suite<D: Driver>(
    store: &SqlStore<D>,
    extra_bad_rows: &[&str],
    reject_trigger: &str,
) {
    let good = [
        StoreOp::UpsertAgent {
            name: "good".into(),
            software: "s".into(),
            up: true,
            at_unix_us: 1,
        },
        StoreOp::UpsertClient {
            mac: mac(1),
            bssid: None,
            station: Some(station(1)),
            at_unix_us: 1,
        },
    ];
    store.apply(&good).await.unwrap();
    for sql in BAD_ROWS.iter().chain(extra_bad_rows) {
        store
            .driver
            .raw(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let snap = store.load().await.unwrap();
    assert_eq!(
        snap.skipped_rows,
        BAD_SNAPSHOT_ROWS + extra_bad_rows.len() as u64,
        "{snap:?}"
    );
    assert_eq!(snap.agents.len(), 1);
    assert_eq!(snap.agents[0].name, "good");
    assert_eq!(snap.clients.len(), 1);
    assert_eq!(snap.clients[0].station, Some(station(1)));
    assert!(snap.radios.is_empty() && snap.lvaps.is_empty() && snap.apps.is_empty());

    // Events: bad rows are skipped, even a page full of them, and the
    // pages go on past them.
    store
        .apply(&[
            event(1, "good", Some(1), None, None),
            event(2, "good", None, None, None),
        ])
        .await
        .unwrap();
    for at in 3..8 {
        store
            .driver
            .raw(&format!(
                "INSERT INTO events (at_us, kind, client, agent, app, detail) \
                 VALUES ({at}, 'bad', NULL, NULL, NULL, 'not json')"
            ))
            .await
            .unwrap();
    }
    store
        .driver
        .raw(
            "INSERT INTO events (at_us, kind, client, agent, app, detail) \
             VALUES (8, 'bad', 'nope', NULL, NULL, '{}')",
        )
        .await
        .unwrap();
    store
        .driver
        .raw(
            "INSERT INTO events (at_us, kind, client, agent, app, detail) \
         VALUES (-9, 'bad', NULL, NULL, NULL, '{}')",
        )
        .await
        .unwrap();
    store
        .apply(&[event(10, "good", None, None, None)])
        .await
        .unwrap();
    let events = store.events(&EventFilter::default()).await.unwrap();
    let times: Vec<u64> = events.iter().map(|e| e.record.at_unix_us).collect();
    assert_eq!(times, vec![10, 2, 1]);
    let page = store
        .events(&EventFilter {
            limit: 2,
            before_id: Some(events[0].id),
            ..EventFilter::default()
        })
        .await
        .unwrap();
    let times: Vec<u64> = page.iter().map(|e| e.record.at_unix_us).collect();
    assert_eq!(times, vec![2, 1], "a page behind seven bad rows");

    // All or nothing: the trigger refuses the app "boom", so nothing of
    // the batch is written.
    store.driver.raw(reject_trigger).await.unwrap();
    let before = store.load().await.unwrap();
    let err = store
        .apply(&[
            StoreOp::UpsertAgent {
                name: "never".into(),
                software: "s".into(),
                up: true,
                at_unix_us: 1,
            },
            event(11, "never", None, None, None),
            StoreOp::SetApp {
                name: "boom".into(),
                enabled: true,
                config: json!({}),
                at_unix_us: 1,
            },
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Database { .. }), "{err}");
    assert!(err.to_string().contains("boom refused"), "{err}");
    assert_eq!(store.load().await.unwrap(), before);
    let never = store
        .events(&EventFilter {
            kind: Some("never".into()),
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert!(never.is_empty());
}

/// The migrations recorded in the store: (version, success).
async fn migrations<D: Driver>(store: &SqlStore<D>) -> Vec<Vec<Cell>> {
    store
        .driver
        .read(&[Select {
            stmt: Stmt {
                sql: "SELECT version, description FROM _sqlx_migrations ORDER BY version".into(),
                params: Vec::new(),
            },
            cols: &[Col::Int, Col::Text],
        }])
        .await
        .unwrap()
        .remove(0)
}

fn expected_migrations(migrator: &sqlx::migrate::Migrator) -> Vec<Vec<Cell>> {
    migrator
        .iter()
        .map(|m| vec![Cell::Int(m.version), Cell::Text(m.description.to_string())])
        .collect()
}

/// A directory of its own under the system's temporary directory, removed
/// when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "odin-store-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn url(&self, file: &str) -> String {
        format!("sqlite://{}", self.0.join(file).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const SQLITE_BAD_ROWS: &[&str] = &[
    // SQLite keeps whatever type it is given; the reader must cope.
    "INSERT INTO agents (name, software, up, at_us) VALUES ('text-time', 's', TRUE, 'soon')",
    "INSERT INTO agents (name, software, up, at_us) VALUES ('text-bool', 's', 'yes', 1)",
    "INSERT INTO agents (name, software, up, at_us) VALUES (X'00ff', 's', TRUE, 1)",
    "INSERT INTO apps (name, enabled, config, at_us) VALUES ('real-time', TRUE, '{}', 1.5)",
    "INSERT INTO clients (mac, bssid, station, at_us) VALUES ('02:00:00:00:09:05', 7, NULL, 1)",
];

const SQLITE_REJECT_TRIGGER: &str = "CREATE TRIGGER reject_boom BEFORE INSERT ON apps \
     WHEN NEW.name = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END";

#[tokio::test]
async fn sqlite_file_suite_and_reopen() {
    let dir = TempDir::new("suite");
    let url = dir.url("odin.db");
    let path = dir.0.join("odin.db");
    assert!(!path.exists());
    let storage = open(&url).await.unwrap();
    assert!(path.exists(), "created on first open");
    assert_eq!(storage.backend(), "sqlite");
    suite(storage.clone()).await;
    let snap = storage.load().await.unwrap();
    let events = storage
        .events(&EventFilter {
            limit: 1000,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    drop(storage);

    // Reopened: the data is there, the migrations ran once.
    let store = sqlite::open(&url).await.unwrap();
    assert_eq!(store.load().await.unwrap(), snap);
    assert_eq!(
        store
            .events(&EventFilter {
                limit: 1000,
                ..EventFilter::default()
            })
            .await
            .unwrap(),
        events
    );
    assert_eq!(
        migrations(&store).await,
        expected_migrations(&sqlite::MIGRATOR)
    );
    drop(store);
    let store = sqlite::open(&url).await.unwrap();
    assert_eq!(
        migrations(&store).await,
        expected_migrations(&sqlite::MIGRATOR)
    );
}

#[tokio::test]
async fn sqlite_memory_suite() {
    let storage = open("sqlite::memory:").await.unwrap();
    suite(storage).await;
}

#[tokio::test]
async fn sqlite_bad_rows_and_rollback() {
    let dir = TempDir::new("raw");
    let store = sqlite::open(&dir.url("raw.db")).await.unwrap();
    raw_suite(&store, SQLITE_BAD_ROWS, SQLITE_REJECT_TRIGGER).await;
}

#[tokio::test]
async fn sqlite_recorder_end_to_end() {
    let storage = open("sqlite::memory:").await.unwrap();
    recorder_end_to_end(storage).await;
}

/// The recorder on a real backend: many small records become few
/// transactions and everything is there.
async fn recorder_end_to_end(storage: Arc<dyn Storage>) {
    let recorder = Recorder::spawn(storage.clone(), RecorderConfig::default());
    for i in 0..3000u64 {
        recorder.record(StoreOp::UpsertAgent {
            name: format!("ap-{}", i % 3),
            software: "s".into(),
            up: true,
            at_unix_us: i,
        });
        recorder.record(event(i, "rec", Some((i % 7) as u8), None, None));
    }
    recorder.flush().await.unwrap();
    let stats = recorder.stats();
    assert_eq!(stats.written, 6000);
    assert_eq!(stats.queued, 0);
    assert_eq!(stats.failed_attempts, 0);
    let snap = storage.load().await.unwrap();
    let times: Vec<u64> = snap.agents.iter().map(|a| a.at_unix_us).collect();
    assert_eq!(times, vec![2997, 2998, 2999]);
    let last = storage.events(&EventFilter::default()).await.unwrap();
    assert_eq!(last.len(), 100);
    assert_eq!(last[0].record.at_unix_us, 2999);
    assert!(last
        .windows(2)
        .all(|w| w[0].record.at_unix_us == w[1].record.at_unix_us + 1));
}

#[tokio::test]
async fn open_errors_are_clear_and_keep_passwords_out() {
    let err = open("mysql://odin:hunter2secret@localhost/odin")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::UnsupportedUrl { .. }), "{text}");
    assert!(!text.contains("hunter2secret"), "{text}");
    assert!(text.contains("mysql://odin:***@localhost/odin"), "{text}");
    assert!(open("").await.is_err());
    assert!(open("odin.db").await.is_err());

    // Nothing listens on port 1.
    let err = open("postgres://odin:hunter2secret@127.0.0.1:1/odin?password=hunter2secret")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            StoreError::Open {
                backend: "postgres",
                ..
            }
        ),
        "{text}"
    );
    assert!(!text.contains("hunter2secret"), "{text}");
    assert!(
        format!("{err:?}").contains("odin:***@127.0.0.1:1"),
        "{err:?}"
    );

    let err = open("postgres://odin:hunter2secret@127.0.0.1:notaport/odin")
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("hunter2secret"), "{err}");

    let err = open("sqlite:///nonexistent-odin-dir/sub/odin.db")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            StoreError::Open {
                backend: "sqlite",
                ..
            }
        ),
        "{text}"
    );
    assert!(text.contains("/nonexistent-odin-dir/sub"), "{text}");
    assert!(text.contains("does not exist"), "{text}");
}

#[tokio::test]
async fn sqlite_failed_migration_is_reported() {
    let dir = TempDir::new("migrate");
    let url = dir.url("odin.db");
    // A table in the way of the first migration.
    let pool = sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
        .await
        .unwrap();
    sqlx::raw_sql("CREATE TABLE agents (x INTEGER)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = open(&url).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Migrate {
                backend: "sqlite",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn urls_are_redacted() {
    assert_eq!(
        redact_url("postgres://odin:s3cr%40t@db.example:5432/odin?sslmode=require"),
        "postgres://odin:***@db.example:5432/odin?sslmode=require"
    );
    assert_eq!(
        redact_url("postgres://odin@db/odin?password=x&application_name=c"),
        "postgres://odin@db/odin?password=***&application_name=c"
    );
    assert_eq!(redact_url("sqlite://data/odin.db"), "sqlite://data/odin.db");
    assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
    assert_eq!(
        redact_url("postgres://u:p@ss@host/db"),
        "postgres://u:***@host/db"
    );
    assert_eq!(
        scrub(
            "auth failed for s3cr@t and s3cr%40t".into(),
            "postgres://odin:s3cr%40t@db/odin"
        ),
        "auth failed for *** and ***"
    );
}

/// The PostgreSQL tests' database, from `ODIN_TEST_POSTGRES_URL`, or `None`
/// (and a line saying the test is skipped).
fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("ODIN_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            println!(
                "SKIPPED {test}: ODIN_TEST_POSTGRES_URL is not set \
                 (scripts/postgres.sh start prints one)"
            );
            None
        }
    }
}

/// A schema of its own in the test database, dropped when the test ends
/// (if it panics, the next run with the same name drops it first).
struct PgSchema {
    admin: sqlx::PgPool,
    name: String,
    url: String,
}

impl PgSchema {
    async fn new(base: &str, test: &str) -> PgSchema {
        let name = format!("odin_test_{test}_{}", std::process::id());
        let admin = sqlx::PgPool::connect(base)
            .await
            .unwrap_or_else(|e| panic!("ODIN_TEST_POSTGRES_URL: {}", scrub(e.to_string(), base)));
        sqlx::raw_sql(&format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
        ))
        .execute(&admin)
        .await
        .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options[search_path]={name}");
        PgSchema { admin, name, url }
    }

    async fn drop_schema(self) {
        sqlx::raw_sql(&format!("DROP SCHEMA {} CASCADE", self.name))
            .execute(&self.admin)
            .await
            .unwrap();
        self.admin.close().await;
    }
}

const POSTGRES_REJECT_TRIGGER: &str = "CREATE FUNCTION reject_boom() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN IF NEW.name = 'boom' THEN RAISE EXCEPTION 'boom refused'; \
     END IF; RETURN NEW; END $$; \
     CREATE TRIGGER reject_boom BEFORE INSERT ON apps FOR EACH ROW EXECUTE FUNCTION reject_boom()";

#[tokio::test]
async fn postgres_suite_and_reopen() {
    let Some(base) = postgres_url("postgres_suite_and_reopen") else {
        return;
    };
    let schema = PgSchema::new(&base, "suite").await;
    let storage = open(&schema.url).await.unwrap();
    assert_eq!(storage.backend(), "postgres");
    suite(storage.clone()).await;
    let snap = storage.load().await.unwrap();
    drop(storage);

    let store = postgres::open(&schema.url).await.unwrap();
    assert_eq!(store.load().await.unwrap(), snap);
    assert_eq!(
        migrations(&store).await,
        expected_migrations(&postgres::MIGRATOR)
    );
    drop(store);
    let store = postgres::open(&schema.url).await.unwrap();
    assert_eq!(
        migrations(&store).await,
        expected_migrations(&postgres::MIGRATOR)
    );
    store.driver.close().await;
    schema.drop_schema().await;
}

#[tokio::test]
async fn postgres_bad_rows_and_rollback() {
    let Some(base) = postgres_url("postgres_bad_rows_and_rollback") else {
        return;
    };
    let schema = PgSchema::new(&base, "raw").await;
    let store = postgres::open(&schema.url).await.unwrap();
    raw_suite(&store, &[], POSTGRES_REJECT_TRIGGER).await;
    store.driver.close().await;
    schema.drop_schema().await;
}

#[tokio::test]
async fn postgres_recorder_end_to_end() {
    let Some(base) = postgres_url("postgres_recorder_end_to_end") else {
        return;
    };
    let schema = PgSchema::new(&base, "recorder").await;
    let storage = open(&schema.url).await.unwrap();
    recorder_end_to_end(storage).await;
    schema.drop_schema().await;
}
