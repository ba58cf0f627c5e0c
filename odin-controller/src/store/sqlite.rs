//! The SQLite backend (the default): one file, WAL journal.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::query::Query;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, Sqlite};

use super::sql::{Cell, Col, Driver, Param, RawRow, Select, SqlStore, Stmt};
use super::{redact_url, scrub, StoreError};

pub(super) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

const NAME: &str = "sqlite";

/// Opens (creating the file if needed) and migrates a SQLite store.
pub(super) async fn open(url: &str) -> Result<SqlStore<SqlitePool>, StoreError> {
    let redacted = redact_url(url);
    let open_error = |reason: String| StoreError::Open {
        backend: NAME,
        url: redacted.clone(),
        reason: scrub(reason, url),
    };
    let options = SqliteConnectOptions::from_str(url).map_err(|e| open_error(e.to_string()))?;
    let in_memory = is_in_memory(url);
    let pool_options = if in_memory {
        // Each connection would have its own memory database if the pool
        // ever opened a second one or closed the first: keep exactly one.
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        let file = options.get_filename();
        if let Some(dir) = file.parent() {
            if !dir.as_os_str().is_empty() && !dir.is_dir() {
                return Err(open_error(format!(
                    "the directory {} does not exist (the database file is created, its \
                     directory is not)",
                    dir.display()
                )));
            }
        }
        SqlitePoolOptions::new().max_connections(4)
    };
    let options = if in_memory {
        options
    } else {
        options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
    }
    .busy_timeout(Duration::from_secs(5));
    let pool = pool_options
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| open_error(e.to_string()))?;
    MIGRATOR.run(&pool).await.map_err(|e| StoreError::Migrate {
        backend: NAME,
        url: redacted.clone(),
        reason: scrub(e.to_string(), url),
    })?;
    tracing::info!(url = %redacted, "opened the sqlite store");
    Ok(SqlStore {
        driver: pool,
        url: redacted,
    })
}

/// Whether a `sqlite:` URL names an in-memory database (as sqlx reads it).
fn is_in_memory(url: &str) -> bool {
    let rest = url
        .strip_prefix("sqlite:")
        .or_else(|| url.strip_prefix("SQLITE:"))
        .unwrap_or(url);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || params.split('&').any(|p| p == "mode=memory")
}

fn bind<'q>(
    mut query: Query<'q, Sqlite, SqliteArguments<'q>>,
    params: &'q [Param],
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    for param in params {
        query = match param {
            Param::Int(v) => query.bind(*v),
            Param::Text(s) => query.bind(s.as_str()),
            Param::OptText(s) => query.bind(s.as_deref()),
            Param::Bool(b) => query.bind(*b),
        };
    }
    query
}

fn decode(row: &SqliteRow, cols: &[Col]) -> RawRow {
    cols.iter()
        .enumerate()
        .map(|(i, col)| {
            let cell = match col {
                Col::Int => row.try_get::<i64, _>(i).map(Cell::Int),
                Col::Text => row.try_get::<String, _>(i).map(Cell::Text),
                Col::OptText => row
                    .try_get::<Option<String>, _>(i)
                    .map(|v| v.map_or(Cell::Null, Cell::Text)),
                Col::Bool => row.try_get::<bool, _>(i).map(Cell::Bool),
            };
            cell.unwrap_or_else(|e| Cell::Bad(e.to_string()))
        })
        .collect()
}

#[async_trait]
impl Driver for SqlitePool {
    const NAME: &'static str = NAME;

    async fn execute(&self, stmts: &[Stmt]) -> Result<(), sqlx::Error> {
        let mut tx = self.begin().await?;
        for stmt in stmts {
            bind(sqlx::query(&stmt.sql), &stmt.params)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    async fn read(&self, selects: &[Select]) -> Result<Vec<Vec<RawRow>>, sqlx::Error> {
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(selects.len());
        for select in selects {
            let rows = bind(sqlx::query(&select.stmt.sql), &select.stmt.params)
                .fetch_all(&mut *tx)
                .await?;
            out.push(rows.iter().map(|row| decode(row, select.cols)).collect());
        }
        tx.commit().await?;
        Ok(out)
    }

    #[cfg(test)]
    async fn raw(&self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(sql).execute(self).await.map(|_| ())
    }
}

#[cfg(test)]
mod unit {
    use super::is_in_memory;

    #[test]
    fn in_memory_urls() {
        assert!(is_in_memory("sqlite::memory:"));
        assert!(is_in_memory("sqlite://:memory:"));
        assert!(is_in_memory("sqlite://?mode=memory"));
        assert!(!is_in_memory("sqlite://data/odin.db"));
        assert!(!is_in_memory("sqlite:odin.db?mode=rwc"));
    }
}
