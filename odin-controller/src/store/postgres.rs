//! The PostgreSQL backend.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::query::Query;
use sqlx::{Postgres, Row};

use super::sql::{Cell, Col, Driver, Param, RawRow, Select, SqlStore, Stmt};
use super::{redact_url, scrub, StoreError};

pub(super) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

const NAME: &str = "postgres";

/// Connects to and migrates a PostgreSQL store.
pub(super) async fn open(url: &str) -> Result<SqlStore<PgPool>, StoreError> {
    let redacted = redact_url(url);
    let open_error = |reason: String| StoreError::Open {
        backend: NAME,
        url: redacted.clone(),
        reason: scrub(reason, url),
    };
    let options = PgConnectOptions::from_str(url).map_err(|e| open_error(e.to_string()))?;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| open_error(e.to_string()))?;
    MIGRATOR.run(&pool).await.map_err(|e| StoreError::Migrate {
        backend: NAME,
        url: redacted.clone(),
        reason: scrub(e.to_string(), url),
    })?;
    tracing::info!(url = %redacted, "opened the postgres store");
    Ok(SqlStore {
        driver: pool,
        url: redacted,
    })
}

fn bind<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    params: &'q [Param],
) -> Query<'q, Postgres, PgArguments> {
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

fn decode(row: &PgRow, cols: &[Col]) -> RawRow {
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
impl Driver for PgPool {
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
        // One snapshot for every select, as SQLite's read transaction gives.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
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
