//! What both SQL backends share: the statements, how ops become
//! statements, and how rows become values. A backend ([`Driver`]) only runs
//! statements with plain parameters and returns rows as plain cells; the SQL
//! itself is written once (`$N` parameters work in SQLite and PostgreSQL).

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use odin_proto::msg::RadioIndex;
use odin_proto::MacAddr;

use super::{
    AgentRow, AppRow, ClientRow, EventFilter, EventRecord, LvapRow, RadioRow, Snapshot, Storage,
    StoreError, StoreOp, StoredEvent,
};

/// A statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
}

/// What a column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    Int,
    Text,
    OptText,
    Bool,
}

/// A value read from a row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Int(i64),
    Text(String),
    Null,
    Bool(bool),
    /// The column could not be read as its `Col`: why.
    Bad(String),
}

/// A row: one cell per `Col` asked.
pub(crate) type RawRow = Vec<Cell>;

/// One statement and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stmt {
    pub sql: String,
    pub params: Vec<Param>,
}

/// One query: its statement and how to read its columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Select {
    pub stmt: Stmt,
    pub cols: &'static [Col],
}

/// A SQL backend: a pool that runs statements.
#[async_trait]
pub(crate) trait Driver: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    const NAME: &'static str;
    /// Runs `stmts` in order in one transaction.
    async fn execute(&self, stmts: &[Stmt]) -> Result<(), sqlx::Error>;
    /// Runs `selects` in one read-only transaction (one consistent view)
    /// and returns each one's rows. A column that cannot be read as its
    /// `Col` is a [`Cell::Bad`] (the caller skips the row).
    async fn read(&self, selects: &[Select]) -> Result<Vec<Vec<RawRow>>, sqlx::Error>;
    /// Runs SQL text as it is (tests put bad rows in with it).
    #[cfg(test)]
    async fn raw(&self, sql: &str) -> Result<(), sqlx::Error>;
}

/// A [`Storage`] on a SQL database.
pub(crate) struct SqlStore<D> {
    pub(crate) driver: D,
    /// The URL, password removed, for `Debug`.
    pub(crate) url: String,
}

impl<D: Driver> fmt::Debug for SqlStore<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &D::NAME)
            .field("url", &self.url)
            .finish()
    }
}

fn db_error<D: Driver>(e: sqlx::Error) -> StoreError {
    StoreError::Database {
        backend: D::NAME,
        reason: e.to_string(),
    }
}

#[async_trait]
impl<D: Driver> Storage for SqlStore<D> {
    async fn apply(&self, ops: &[StoreOp]) -> Result<(), StoreError> {
        let mut stmts = Vec::with_capacity(ops.len() + 4);
        for op in ops {
            push_statements(op, &mut stmts);
        }
        if stmts.is_empty() {
            return Ok(());
        }
        self.driver.execute(&stmts).await.map_err(db_error::<D>)
    }

    async fn load(&self) -> Result<Snapshot, StoreError> {
        let selects = [
            select(
                "SELECT name, software, up, at_us FROM agents ORDER BY name",
                &[Col::Text, Col::Text, Col::Bool, Col::Int],
            ),
            select(
                "SELECT agent, idx, info FROM radios ORDER BY agent, idx",
                &[Col::Text, Col::Int, Col::Text],
            ),
            select(
                "SELECT mac, bssid, station, at_us FROM clients ORDER BY mac",
                &[Col::Text, Col::OptText, Col::OptText, Col::Int],
            ),
            select(
                "SELECT client, bssid, agent, radio, at_us FROM lvaps ORDER BY client",
                &[Col::Text, Col::Text, Col::Text, Col::Int, Col::Int],
            ),
            select(
                "SELECT name, enabled, config, at_us FROM apps ORDER BY name",
                &[Col::Text, Col::Bool, Col::Text, Col::Int],
            ),
        ];
        let mut tables = self
            .driver
            .read(&selects)
            .await
            .map_err(db_error::<D>)?
            .into_iter();
        let mut skipped = Skipped::new(D::NAME);
        let mut snapshot = Snapshot::default();
        let mut next = || tables.next().unwrap_or_default();
        snapshot.agents = skipped.rows("agents", next(), agent_row);
        snapshot.radios = skipped.rows("radios", next(), radio_row);
        snapshot.clients = skipped.rows("clients", next(), client_row);
        snapshot.lvaps = skipped.rows("lvaps", next(), lvap_row);
        snapshot.apps = skipped.rows("apps", next(), app_row);
        snapshot.skipped_rows = skipped.finish();
        Ok(snapshot)
    }

    async fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = filter.effective_limit() as usize;
        let mut out = Vec::with_capacity(limit);
        let mut skipped = Skipped::new(D::NAME);
        let mut before_id = filter.before_id;
        // Rows that cannot be read are skipped; read on until the page is
        // full or the log ends, so that a page of bad rows does not look
        // like the end of the log.
        loop {
            let want = limit - out.len();
            let stmt = events_query(filter, before_id, want);
            let rows = self
                .driver
                .read(&[Select {
                    stmt,
                    cols: EVENT_COLS,
                }])
                .await
                .map_err(db_error::<D>)?
                .into_iter()
                .next()
                .unwrap_or_default();
            let fetched = rows.len();
            let last_id = match rows.last().and_then(|row| row.first()) {
                Some(Cell::Int(id)) => Some(*id),
                _ => None,
            };
            for row in rows {
                if let Some(event) = skipped.row("events", row, event_row) {
                    out.push(event);
                }
            }
            if fetched < want || out.len() >= limit {
                break;
            }
            match last_id {
                // Only ever downwards, so this ends.
                Some(id) if before_id.is_none_or(|b| id < b) => before_id = Some(id),
                // The id itself is unreadable (the schema makes it an
                // integer key, so this should not happen): stop here.
                _ => break,
            }
        }
        skipped.finish();
        Ok(out)
    }

    fn backend(&self) -> &'static str {
        D::NAME
    }
}

fn select(sql: &str, cols: &'static [Col]) -> Select {
    Select {
        stmt: Stmt {
            sql: sql.to_owned(),
            params: Vec::new(),
        },
        cols,
    }
}

const EVENT_COLS: &[Col] = &[
    Col::Int,
    Col::Int,
    Col::Text,
    Col::OptText,
    Col::OptText,
    Col::OptText,
    Col::Text,
];

fn events_query(filter: &EventFilter, before_id: Option<i64>, limit: usize) -> Stmt {
    let mut sql =
        String::from("SELECT id, at_us, kind, client, agent, app, detail FROM events WHERE TRUE");
    let mut params = Vec::new();
    // `$n` for a new parameter.
    let mut param = |value: Param| {
        params.push(value);
        format!("${}", params.len())
    };
    if let Some(client) = filter.client {
        sql += &format!(" AND client = {}", param(Param::Text(client.to_string())));
    }
    if let Some(agent) = &filter.agent {
        sql += &format!(" AND agent = {}", param(text(agent)));
    }
    if let Some(kinds) = &filter.kind {
        // One kind, or several separated by commas.
        let list: Vec<String> = kinds
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| param(text(k)))
            .collect();
        match &list[..] {
            [] => {}
            [one] => sql += &format!(" AND kind = {one}"),
            several => sql += &format!(" AND kind IN ({})", several.join(", ")),
        }
    }
    if let Some(app) = &filter.app {
        sql += &format!(" AND app = {}", param(text(app)));
    }
    if let Some(since) = filter.since_unix_us {
        sql += &format!(" AND at_us >= {}", param(Param::Int(time(since))));
    }
    if let Some(until) = filter.until_unix_us {
        sql += &format!(" AND at_us < {}", param(Param::Int(time(until))));
    }
    if let Some(before) = before_id {
        sql += &format!(" AND id < {}", param(Param::Int(before)));
    }
    sql += &format!(
        " ORDER BY id DESC LIMIT {}",
        param(Param::Int(limit as i64))
    );
    Stmt { sql, params }
}

/// A time as stored.
fn time(unix_us: u64) -> i64 {
    i64::try_from(unix_us).unwrap_or(i64::MAX)
}

/// A text as stored: PostgreSQL refuses NUL in text, and a write that can
/// never succeed would stall the recorder, so NUL becomes U+FFFD (in both
/// backends, so that they agree).
fn clean(s: &str) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{FFFD}")
    } else {
        s.to_owned()
    }
}

fn text(s: &str) -> Param {
    Param::Text(clean(s))
}

fn opt_text(s: Option<&str>) -> Param {
    Param::OptText(s.map(clean))
}

fn mac(m: MacAddr) -> Param {
    Param::Text(m.to_string())
}

/// JSON text of a value that serializes (derived `Serialize` on plain
/// structs never fails; if it ever did, `null` is stored and `load` skips
/// the row rather than the write failing for ever).
fn json<T: serde::Serialize>(what: &str, value: &T) -> String {
    match serde_json::to_string(value) {
        Ok(s) => clean(&s),
        Err(e) => {
            tracing::error!(what, error = %e, "cannot serialize for the store; storing null");
            "null".to_owned()
        }
    }
}

const UPSERT_AGENT: &str =
    "INSERT INTO agents (name, software, up, at_us) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (name) DO UPDATE SET software = excluded.software, up = excluded.up, \
     at_us = excluded.at_us";
const UPSERT_RADIO: &str = "INSERT INTO radios (agent, idx, info) VALUES ($1, $2, $3) \
     ON CONFLICT (agent, idx) DO UPDATE SET info = excluded.info";
const TAKE_BSSID: &str = "UPDATE clients SET bssid = NULL WHERE bssid = $1 AND mac <> $2";
const UPSERT_CLIENT: &str = "INSERT INTO clients (mac, bssid, station, at_us) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (mac) DO UPDATE SET bssid = excluded.bssid, \
     station = excluded.station, at_us = excluded.at_us";
const UPSERT_LVAP: &str = "INSERT INTO lvaps (client, bssid, agent, radio, at_us) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client) DO UPDATE SET bssid = excluded.bssid, \
     agent = excluded.agent, radio = excluded.radio, at_us = excluded.at_us";
const DELETE_LVAP: &str = "DELETE FROM lvaps WHERE client = $1";
const SET_APP: &str = "INSERT INTO apps (name, enabled, config, at_us) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, config = excluded.config, \
     at_us = excluded.at_us";
const APPEND_EVENT: &str = "INSERT INTO events (at_us, kind, client, agent, app, detail) \
     VALUES ($1, $2, $3, $4, $5, $6)";

fn stmt(sql: &str, params: Vec<Param>) -> Stmt {
    Stmt {
        sql: sql.to_owned(),
        params,
    }
}

/// The statements that carry out `op`.
pub(crate) fn push_statements(op: &StoreOp, out: &mut Vec<Stmt>) {
    match op {
        StoreOp::UpsertAgent {
            name,
            software,
            up,
            at_unix_us,
        } => out.push(stmt(
            UPSERT_AGENT,
            vec![
                text(name),
                text(software),
                Param::Bool(*up),
                Param::Int(time(*at_unix_us)),
            ],
        )),
        StoreOp::UpsertRadio { agent, index, info } => out.push(stmt(
            UPSERT_RADIO,
            vec![
                text(agent),
                Param::Int(i64::from(*index)),
                Param::Text(json("radio info", info)),
            ],
        )),
        StoreOp::UpsertClient {
            mac: client,
            bssid,
            station,
            at_unix_us,
        } => {
            if let Some(bssid) = bssid {
                out.push(stmt(TAKE_BSSID, vec![mac(*bssid), mac(*client)]));
            }
            out.push(stmt(
                UPSERT_CLIENT,
                vec![
                    mac(*client),
                    Param::OptText(bssid.map(|b| b.to_string())),
                    Param::OptText(station.as_ref().map(|s| json("station", s))),
                    Param::Int(time(*at_unix_us)),
                ],
            ));
        }
        StoreOp::UpsertLvap {
            client,
            bssid,
            agent,
            radio,
            at_unix_us,
        } => out.push(stmt(
            UPSERT_LVAP,
            vec![
                mac(*client),
                mac(*bssid),
                text(agent),
                Param::Int(i64::from(*radio)),
                Param::Int(time(*at_unix_us)),
            ],
        )),
        StoreOp::DeleteLvap { client, .. } => out.push(stmt(DELETE_LVAP, vec![mac(*client)])),
        StoreOp::SetApp {
            name,
            enabled,
            config,
            at_unix_us,
        } => out.push(stmt(
            SET_APP,
            vec![
                text(name),
                Param::Bool(*enabled),
                Param::Text(json("app config", config)),
                Param::Int(time(*at_unix_us)),
            ],
        )),
        StoreOp::AppendEvent(event) => out.push(stmt(
            APPEND_EVENT,
            vec![
                Param::Int(time(event.at_unix_us)),
                text(&event.kind),
                Param::OptText(event.client.map(|c| c.to_string())),
                opt_text(event.agent.as_deref()),
                opt_text(event.app.as_deref()),
                Param::Text(json("event detail", &event.detail)),
            ],
        )),
    }
}

/// The key of an op whose later op with the same key makes it moot: the
/// op writes one row of a table no other op reads or changes, and every
/// column of it (or deletes it). Client upserts have none: one can take a
/// BSSID from another client row, so dropping one could change the result.
#[derive(Debug, PartialEq, Eq, Hash)]
enum OverwriteKey<'a> {
    Agent(&'a str),
    Radio(&'a str, RadioIndex),
    Lvap(MacAddr),
    App(&'a str),
}

fn overwrite_key(op: &StoreOp) -> Option<OverwriteKey<'_>> {
    match op {
        StoreOp::UpsertAgent { name, .. } => Some(OverwriteKey::Agent(name)),
        StoreOp::UpsertRadio { agent, index, .. } => Some(OverwriteKey::Radio(agent, *index)),
        StoreOp::UpsertLvap { client, .. } | StoreOp::DeleteLvap { client, .. } => {
            Some(OverwriteKey::Lvap(*client))
        }
        StoreOp::SetApp { name, .. } => Some(OverwriteKey::App(name)),
        StoreOp::UpsertClient { .. } | StoreOp::AppendEvent(_) => None,
    }
}

/// `ops` without the ops a later op of the batch overwrites entirely
/// (see [`OverwriteKey`]); the rest keep their order. Applying the result
/// in one transaction leaves the database as applying `ops` would.
pub(crate) fn coalesce(ops: Vec<StoreOp>) -> Vec<StoreOp> {
    let mut seen = HashSet::new();
    let mut keep = vec![true; ops.len()];
    for (i, op) in ops.iter().enumerate().rev() {
        if let Some(key) = overwrite_key(op) {
            if !seen.insert(key) {
                keep[i] = false;
            }
        }
    }
    if keep.iter().all(|k| *k) {
        return ops;
    }
    ops.into_iter()
        .zip(keep)
        .filter_map(|(op, keep)| keep.then_some(op))
        .collect()
}

/// Counts and logs the rows a read skips.
struct Skipped {
    backend: &'static str,
    count: u64,
}

/// Rows logged one by one per read; the rest only counted.
const SKIPPED_LOGGED: u64 = 20;

impl Skipped {
    fn new(backend: &'static str) -> Self {
        Skipped { backend, count: 0 }
    }

    fn row<T>(
        &mut self,
        table: &'static str,
        row: RawRow,
        parse: fn(Vec<Cell>) -> Result<T, String>,
    ) -> Option<T> {
        match parse(row) {
            Ok(value) => Some(value),
            Err(reason) => {
                self.count += 1;
                if self.count <= SKIPPED_LOGGED {
                    tracing::warn!(
                        backend = self.backend,
                        table,
                        %reason,
                        "skipping a row the store cannot read"
                    );
                }
                None
            }
        }
    }

    fn rows<T>(
        &mut self,
        table: &'static str,
        rows: Vec<RawRow>,
        parse: fn(Vec<Cell>) -> Result<T, String>,
    ) -> Vec<T> {
        rows.into_iter()
            .filter_map(|row| self.row(table, row, parse))
            .collect()
    }

    fn finish(self) -> u64 {
        if self.count > SKIPPED_LOGGED {
            tracing::warn!(
                backend = self.backend,
                skipped = self.count,
                "skipped rows the store cannot read ({SKIPPED_LOGGED} logged)"
            );
        }
        self.count
    }
}

/// Takes the cells of a row in order, each as the type asked.
struct Cells(std::vec::IntoIter<Cell>);

impl Cells {
    fn next(&mut self, column: &str) -> Result<Cell, String> {
        match self.0.next() {
            Some(Cell::Bad(reason)) => Err(format!("{column}: {reason}")),
            Some(cell) => Ok(cell),
            None => Err(format!("{column}: missing")),
        }
    }

    fn text(&mut self, column: &str) -> Result<String, String> {
        match self.next(column)? {
            Cell::Text(s) => Ok(s),
            other => Err(format!("{column}: expected text, got {other:?}")),
        }
    }

    fn opt_text(&mut self, column: &str) -> Result<Option<String>, String> {
        match self.next(column)? {
            Cell::Text(s) => Ok(Some(s)),
            Cell::Null => Ok(None),
            other => Err(format!("{column}: expected text, got {other:?}")),
        }
    }

    fn int(&mut self, column: &str) -> Result<i64, String> {
        match self.next(column)? {
            Cell::Int(v) => Ok(v),
            other => Err(format!("{column}: expected an integer, got {other:?}")),
        }
    }

    fn bool(&mut self, column: &str) -> Result<bool, String> {
        match self.next(column)? {
            Cell::Bool(v) => Ok(v),
            other => Err(format!("{column}: expected a boolean, got {other:?}")),
        }
    }

    fn time(&mut self, column: &str) -> Result<u64, String> {
        let v = self.int(column)?;
        u64::try_from(v).map_err(|_| format!("{column}: negative time {v}"))
    }

    fn radio(&mut self, column: &str) -> Result<RadioIndex, String> {
        let v = self.int(column)?;
        RadioIndex::try_from(v).map_err(|_| format!("{column}: radio index {v} out of range"))
    }

    fn mac(&mut self, column: &str) -> Result<MacAddr, String> {
        let s = self.text(column)?;
        parse_mac(column, &s)
    }

    fn opt_mac(&mut self, column: &str) -> Result<Option<MacAddr>, String> {
        self.opt_text(column)?
            .map(|s| parse_mac(column, &s))
            .transpose()
    }

    fn json<T: serde::de::DeserializeOwned>(&mut self, column: &str) -> Result<T, String> {
        let s = self.text(column)?;
        parse_json(column, &s)
    }

    fn opt_json<T: serde::de::DeserializeOwned>(
        &mut self,
        column: &str,
    ) -> Result<Option<T>, String> {
        self.opt_text(column)?
            .map(|s| parse_json(column, &s))
            .transpose()
    }
}

fn parse_mac(column: &str, s: &str) -> Result<MacAddr, String> {
    MacAddr::from_str(s).map_err(|e| format!("{column}: {e}"))
}

fn parse_json<T: serde::de::DeserializeOwned>(column: &str, s: &str) -> Result<T, String> {
    serde_json::from_str(s).map_err(|e| format!("{column}: bad JSON: {e}"))
}

fn agent_row(cells: Vec<Cell>) -> Result<AgentRow, String> {
    let mut c = Cells(cells.into_iter());
    Ok(AgentRow {
        name: c.text("name")?,
        software: c.text("software")?,
        up: c.bool("up")?,
        at_unix_us: c.time("at_us")?,
    })
}

fn radio_row(cells: Vec<Cell>) -> Result<RadioRow, String> {
    let mut c = Cells(cells.into_iter());
    Ok(RadioRow {
        agent: c.text("agent")?,
        index: c.radio("idx")?,
        info: c.json("info")?,
    })
}

fn client_row(cells: Vec<Cell>) -> Result<ClientRow, String> {
    let mut c = Cells(cells.into_iter());
    Ok(ClientRow {
        mac: c.mac("mac")?,
        bssid: c.opt_mac("bssid")?,
        station: c.opt_json("station")?,
        at_unix_us: c.time("at_us")?,
    })
}

fn lvap_row(cells: Vec<Cell>) -> Result<LvapRow, String> {
    let mut c = Cells(cells.into_iter());
    Ok(LvapRow {
        client: c.mac("client")?,
        bssid: c.mac("bssid")?,
        agent: c.text("agent")?,
        radio: c.radio("radio")?,
        at_unix_us: c.time("at_us")?,
    })
}

fn app_row(cells: Vec<Cell>) -> Result<AppRow, String> {
    let mut c = Cells(cells.into_iter());
    Ok(AppRow {
        name: c.text("name")?,
        enabled: c.bool("enabled")?,
        config: c.json("config")?,
        at_unix_us: c.time("at_us")?,
    })
}

fn event_row(cells: Vec<Cell>) -> Result<StoredEvent, String> {
    let mut c = Cells(cells.into_iter());
    let id = c.int("id")?;
    let record = (|| {
        Ok::<_, String>(EventRecord {
            at_unix_us: c.time("at_us")?,
            kind: c.text("kind")?,
            client: c.opt_mac("client")?,
            agent: c.opt_text("agent")?,
            app: c.opt_text("app")?,
            detail: c.json("detail")?,
        })
    })()
    .map_err(|e| format!("event {id}: {e}"))?;
    Ok(StoredEvent { id, record })
}

#[cfg(test)]
mod unit {
    use super::*;

    fn agent(name: &str, up: bool) -> StoreOp {
        StoreOp::UpsertAgent {
            name: name.into(),
            software: "x".into(),
            up,
            at_unix_us: 1,
        }
    }

    fn client(m: u8, bssid: u8) -> StoreOp {
        StoreOp::UpsertClient {
            mac: MacAddr([2, 0, 0, 0, 0, m]),
            bssid: Some(MacAddr([6, 0, 0, 0, 0, bssid])),
            station: None,
            at_unix_us: 1,
        }
    }

    #[test]
    fn coalesce_drops_only_overwritten_ops() {
        let lvap = |c: u8, agent: &str| StoreOp::UpsertLvap {
            client: MacAddr([2, 0, 0, 0, 0, c]),
            bssid: MacAddr([6, 0, 0, 0, 0, c]),
            agent: agent.into(),
            radio: 0,
            at_unix_us: 1,
        };
        let del = |c: u8| StoreOp::DeleteLvap {
            client: MacAddr([2, 0, 0, 0, 0, c]),
            at_unix_us: 2,
        };
        let ops = vec![
            agent("a", true),
            client(1, 9),
            lvap(1, "a"),
            agent("b", true),
            client(1, 9),
            del(1),
            agent("a", false),
            client(2, 9),
        ];
        let out = coalesce(ops);
        assert_eq!(
            out,
            vec![
                client(1, 9),
                agent("b", true),
                client(1, 9),
                del(1),
                agent("a", false),
                client(2, 9),
            ]
        );
        // Nothing to drop: the same vector back.
        let ops = vec![client(1, 1), client(1, 1), agent("a", true)];
        assert_eq!(coalesce(ops.clone()), ops);
    }

    #[test]
    fn events_query_numbers_its_parameters() {
        let filter = EventFilter {
            client: Some(MacAddr([2, 0, 0, 0, 0, 1])),
            kind: Some("k".into()),
            since_unix_us: Some(5),
            until_unix_us: Some(u64::MAX),
            limit: 5000,
            ..EventFilter::default()
        };
        let stmt = events_query(&filter, Some(7), 1000);
        assert_eq!(
            stmt.sql,
            "SELECT id, at_us, kind, client, agent, app, detail FROM events WHERE TRUE \
             AND client = $1 AND kind = $2 AND at_us >= $3 AND at_us < $4 AND id < $5 \
             ORDER BY id DESC LIMIT $6"
        );
        assert_eq!(
            stmt.params,
            vec![
                Param::Text("02:00:00:00:00:01".into()),
                Param::Text("k".into()),
                Param::Int(5),
                Param::Int(i64::MAX),
                Param::Int(7),
                Param::Int(1000),
            ]
        );
        assert_eq!(filter.effective_limit(), 1000);
        let zero = EventFilter {
            limit: 0,
            ..EventFilter::default()
        };
        assert_eq!(zero.effective_limit(), 1);
    }

    #[test]
    fn nul_is_replaced() {
        assert_eq!(clean("a\0b"), "a\u{FFFD}b");
        assert_eq!(clean("ab"), "ab");
    }

    #[test]
    fn bad_cells_are_errors_not_panics() {
        assert!(agent_row(vec![]).is_err());
        assert!(agent_row(vec![Cell::Null, Cell::Null, Cell::Null, Cell::Null]).is_err());
        assert!(agent_row(vec![
            Cell::Text("a".into()),
            Cell::Text("s".into()),
            Cell::Bool(true),
            Cell::Int(-1),
        ])
        .is_err());
        assert!(lvap_row(vec![
            Cell::Text("02:00:00:00:00:01".into()),
            Cell::Text("02:00:00:00:00:02".into()),
            Cell::Text("a".into()),
            Cell::Int(1 << 40),
            Cell::Int(1),
        ])
        .is_err());
        assert!(event_row(vec![Cell::Int(1), Cell::Text("x".into())]).is_err());
    }
}
