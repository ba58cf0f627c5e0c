//! The controller's persistence: what it knows about agents, radios,
//! clients, LVAPs and apps, and the event log, in SQLite (the default) or
//! PostgreSQL behind one [`Storage`] trait.
//!
//! * [`open`] turns a URL into a storage (`sqlite://path/to/file.db`,
//!   `sqlite::memory:`, `postgres://user:pw@host:port/db`) and applies the
//!   embedded migrations (`odin-controller/migrations/{sqlite,postgres}`).
//! * [`Storage::apply`] writes a batch of [`StoreOp`]s in one transaction;
//!   [`Storage::load`] reads the [`Snapshot`] a restarting controller starts
//!   from; [`Storage::events`] queries the event log, newest first.
//! * [`Recorder`] is the writer the controller's frame path talks to:
//!   [`Recorder::record`] never blocks, a task writes in batches, and a
//!   failed batch is retried (same ops, same order) until it is written.
//!
//! Every write is an upsert or an append that the schema cannot refuse for
//! its content: there are no foreign keys (an LVAP may be written before
//! its client), a client that takes a BSSID another client row still holds
//! takes it from that row (last write wins, as in the registry), and NUL
//! characters, which PostgreSQL does not store in text, are replaced by
//! U+FFFD. So a batch fails only when the database does (unreachable, disk
//! full, locked), and retrying it is the right answer.
//!
//! Reading never trusts the database: a row with a corrupt MAC address, bad
//! JSON, a negative time or a value of the wrong type is skipped, logged and
//! counted ([`Snapshot::skipped_rows`]); it never panics.
//!
//! Times are microseconds since the Unix epoch, stored as signed 64-bit
//! integers (a `u64` past `i64::MAX` is stored as `i64::MAX`). MAC addresses
//! are stored as `aa:bb:cc:dd:ee:ff`, JSON as text.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use odin_proto::msg::{RadioIndex, RadioInfo};
use odin_proto::{MacAddr, StationState};
use serde::Serialize;

mod postgres;
mod recorder;
mod sql;
mod sqlite;
#[cfg(test)]
mod tests;

pub use recorder::{Recorder, RecorderConfig, RecorderStats};

/// One write.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreOp {
    /// An agent, connected (`up`) or not.
    UpsertAgent {
        /// The agent's name (its identity).
        name: String,
        /// What it runs, as it said in its hello.
        software: String,
        /// Connected now.
        up: bool,
        /// When this was true.
        at_unix_us: u64,
    },
    /// A radio of an agent.
    UpsertRadio {
        /// The agent's name.
        agent: String,
        /// The radio's index within the agent (the key, with `agent`).
        index: RadioIndex,
        /// What the agent said about it.
        info: RadioInfo,
    },
    /// A client: where it is served (`bssid`) and its association state.
    UpsertClient {
        /// The client's address (the key).
        mac: MacAddr,
        /// The BSSID allocated to it; another client row holding the same
        /// BSSID loses it (set to none).
        bssid: Option<MacAddr>,
        /// What it takes to serve it (after association).
        station: Option<StationState>,
        /// When this was true.
        at_unix_us: u64,
    },
    /// An LVAP: which agent and radio serve a client.
    UpsertLvap {
        /// The client (the key).
        client: MacAddr,
        /// The LVAP's BSSID.
        bssid: MacAddr,
        /// The agent serving it.
        agent: String,
        /// The radio of that agent.
        radio: RadioIndex,
        /// When this was true.
        at_unix_us: u64,
    },
    /// A client's LVAP is gone.
    DeleteLvap {
        /// The client.
        client: MacAddr,
        /// When it went.
        at_unix_us: u64,
    },
    /// An app's state and configuration.
    SetApp {
        /// The app's name (the key).
        name: String,
        /// Running or not.
        enabled: bool,
        /// Its configuration.
        config: serde_json::Value,
        /// When this was set.
        at_unix_us: u64,
    },
    /// One more line of the event log.
    AppendEvent(EventRecord),
}

impl StoreOp {
    /// The op's kind, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreOp::UpsertAgent { .. } => "upsert_agent",
            StoreOp::UpsertRadio { .. } => "upsert_radio",
            StoreOp::UpsertClient { .. } => "upsert_client",
            StoreOp::UpsertLvap { .. } => "upsert_lvap",
            StoreOp::DeleteLvap { .. } => "delete_lvap",
            StoreOp::SetApp { .. } => "set_app",
            StoreOp::AppendEvent(_) => "append_event",
        }
    }
}

/// One event of the log, as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// When it happened.
    pub at_unix_us: u64,
    /// What happened (`client_joined`, `handoff`, ...).
    pub kind: String,
    /// The client it is about, if any.
    pub client: Option<MacAddr>,
    /// The agent it is about, if any.
    pub agent: Option<String>,
    /// The app that caused it or that it is about, if any.
    pub app: Option<String>,
    /// Anything else.
    pub detail: serde_json::Value,
}

/// An event as read back: its id orders the log (larger is newer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// The event's id, increasing in the order events were written.
    pub id: i64,
    /// The event.
    #[serde(flatten)]
    pub record: EventRecord,
}

/// Which events [`Storage::events`] returns: those matching every field
/// that is set, newest (largest id) first, at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events about this client.
    pub client: Option<MacAddr>,
    /// Only events about this agent.
    pub agent: Option<String>,
    /// Only events of this kind, or of these kinds separated by commas
    /// (`handoff_started,handoff_completed`).
    pub kind: Option<String>,
    /// Only events of this app.
    pub app: Option<String>,
    /// Only events at or after this time (inclusive).
    pub since_unix_us: Option<u64>,
    /// Only events before this time (exclusive).
    pub until_unix_us: Option<u64>,
    /// Only events with an id below this one: the next page after a page
    /// whose last (oldest) event had this id.
    pub before_id: Option<i64>,
    /// How many events at most; clamped to `1..=EventFilter::MAX_LIMIT`.
    pub limit: u32,
}

impl EventFilter {
    /// The largest page.
    pub const MAX_LIMIT: u32 = 1000;
    /// The page size of [`EventFilter::default`].
    pub const DEFAULT_LIMIT: u32 = 100;

    /// `limit` clamped to `1..=MAX_LIMIT`.
    pub fn effective_limit(&self) -> u32 {
        self.limit.clamp(1, Self::MAX_LIMIT)
    }
}

impl Default for EventFilter {
    /// Every event, the newest [`EventFilter::DEFAULT_LIMIT`].
    fn default() -> Self {
        EventFilter {
            client: None,
            agent: None,
            kind: None,
            app: None,
            since_unix_us: None,
            until_unix_us: None,
            before_id: None,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// A stored agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentRow {
    /// Its name.
    pub name: String,
    /// What it runs.
    pub software: String,
    /// Connected when last written.
    pub up: bool,
    /// When it was last written.
    pub at_unix_us: u64,
}

/// A stored radio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RadioRow {
    /// Its agent.
    pub agent: String,
    /// Its index within the agent.
    pub index: RadioIndex,
    /// What the agent said about it.
    pub info: RadioInfo,
}

/// A stored client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientRow {
    /// Its address.
    pub mac: MacAddr,
    /// Its BSSID.
    pub bssid: Option<MacAddr>,
    /// Its association state.
    pub station: Option<StationState>,
    /// When it was last written.
    pub at_unix_us: u64,
}

/// A stored LVAP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LvapRow {
    /// Its client.
    pub client: MacAddr,
    /// Its BSSID.
    pub bssid: MacAddr,
    /// The agent serving it.
    pub agent: String,
    /// The radio of that agent.
    pub radio: RadioIndex,
    /// When it was last written.
    pub at_unix_us: u64,
}

/// A stored app.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppRow {
    /// Its name.
    pub name: String,
    /// Running or not.
    pub enabled: bool,
    /// Its configuration.
    pub config: serde_json::Value,
    /// When it was last written.
    pub at_unix_us: u64,
}

/// What a restarting controller loads: every row of every table but the
/// event log, each table ordered by its key.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    /// Agents, by name.
    pub agents: Vec<AgentRow>,
    /// Radios, by agent and index.
    pub radios: Vec<RadioRow>,
    /// Clients, by address.
    pub clients: Vec<ClientRow>,
    /// LVAPs, by client.
    pub lvaps: Vec<LvapRow>,
    /// Apps, by name.
    pub apps: Vec<AppRow>,
    /// Rows that could not be read (corrupt address, bad JSON, ...) and
    /// were left out; each was logged.
    pub skipped_rows: u64,
}

/// What went wrong with the store. Never contains a URL's password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The URL names no backend this build has.
    UnsupportedUrl {
        /// The URL, password removed.
        url: String,
    },
    /// The database could not be opened or reached.
    Open {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The URL, password removed.
        url: String,
        /// Why.
        reason: String,
    },
    /// The schema migrations failed.
    Migrate {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The URL, password removed.
        url: String,
        /// Why.
        reason: String,
    },
    /// A read or a write failed.
    Database {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// Why.
        reason: String,
    },
    /// The recorder's current batch fails to be written (it is being
    /// retried); this is the last error.
    Failing(String),
    /// The recorder's writer task is gone (the runtime is shutting down).
    Closed,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::UnsupportedUrl { url } => write!(
                f,
                "unsupported store URL {url:?}: expected sqlite://PATH, sqlite::memory: \
                 or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            ),
            StoreError::Open {
                backend,
                url,
                reason,
            } => write!(f, "cannot open the {backend} store {url:?}: {reason}"),
            StoreError::Migrate {
                backend,
                url,
                reason,
            } => write!(
                f,
                "cannot migrate the {backend} store {url:?} to this version's schema: {reason}"
            ),
            StoreError::Database { backend, reason } => {
                write!(f, "{backend} store error: {reason}")
            }
            StoreError::Failing(reason) => {
                write!(f, "the store is failing (the write is retried): {reason}")
            }
            StoreError::Closed => write!(f, "the store's writer has stopped"),
        }
    }
}

impl std::error::Error for StoreError {}

/// A place the controller's state is kept.
#[async_trait]
pub trait Storage: Send + Sync + fmt::Debug {
    /// Writes `ops` in order in one transaction: all or nothing.
    async fn apply(&self, ops: &[StoreOp]) -> Result<(), StoreError>;
    /// Reads every table but the event log (one consistent read).
    async fn load(&self) -> Result<Snapshot, StoreError>;
    /// The events matching `filter`, newest first.
    async fn events(&self, filter: &EventFilter) -> Result<Vec<StoredEvent>, StoreError>;
    /// `"sqlite"` or `"postgres"` (or a test double's name).
    fn backend(&self) -> &'static str;
}

/// Opens the store a URL names and brings its schema up to date.
///
/// * `sqlite://path/to/file.db` (or `sqlite:path`): the file is created on
///   first start; its directory must exist.
/// * `sqlite::memory:`: a database that lives as long as the storage.
/// * `postgres://user:password@host:port/database` (or `postgresql://`);
///   connection parameters as sqlx takes them (`?sslmode=`, `options[...]=`).
///
/// Errors say which URL (without its password) and why.
pub async fn open(url: &str) -> Result<Arc<dyn Storage>, StoreError> {
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => Ok(Arc::new(sqlite::open(url).await?)),
        "postgres" | "postgresql" => Ok(Arc::new(postgres::open(url).await?)),
        _ => Err(StoreError::UnsupportedUrl {
            url: redact_url(url),
        }),
    }
}

/// `url` with its password (in the user info or a `password=` parameter)
/// replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let (before_query, query) = match url.find('?') {
        Some(q) => (&url[..q], Some(&url[q + 1..])),
        None => (url, None),
    };
    match before_query.find("://") {
        Some(s) => {
            let rest = &before_query[s + 3..];
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            out.push_str(&before_query[..s + 3]);
            match authority.rfind('@') {
                Some(at) => {
                    let userinfo = &authority[..at];
                    match userinfo.find(':') {
                        Some(colon) => {
                            out.push_str(&userinfo[..colon]);
                            out.push_str(":***");
                        }
                        None => out.push_str(userinfo),
                    }
                    out.push_str(&authority[at..]);
                }
                None => out.push_str(authority),
            }
            out.push_str(path);
        }
        None => out.push_str(before_query),
    }
    if let Some(query) = query {
        out.push('?');
        let mut first = true;
        for pair in query.split('&') {
            if !first {
                out.push('&');
            }
            first = false;
            match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                    out.push_str(key);
                    out.push_str("=***");
                }
                _ => out.push_str(pair),
            }
        }
    }
    out
}

/// The passwords a URL carries (user info and `password=`), as written, so
/// that an error message quoting one can be cleaned.
fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    let (before_query, query) = match url.find('?') {
        Some(q) => (&url[..q], Some(&url[q + 1..])),
        None => (url, None),
    };
    if let Some(s) = before_query.find("://") {
        let rest = &before_query[s + 3..];
        let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
        if let Some(at) = authority.rfind('@') {
            if let Some((_, pw)) = authority[..at].split_once(':') {
                secrets.push(pw.to_owned());
            }
        }
    }
    for pair in query.unwrap_or_default().split('&') {
        if let Some((key, value)) = pair.split_once('=') {
            if key.eq_ignore_ascii_case("password") {
                secrets.push(value.to_owned());
            }
        }
    }
    secrets.retain(|s| !s.is_empty());
    secrets
}

/// `message` with every password of `url` (raw and percent-decoded)
/// replaced by `***`.
fn scrub(message: String, url: &str) -> String {
    let mut message = message;
    for secret in url_secrets(url) {
        let decoded = percent_decode(&secret);
        for s in [secret, decoded] {
            if !s.is_empty() && message.contains(&s) {
                message = message.replace(&s, "***");
            }
        }
    }
    message
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(b'%'), Some(h), Some(l)) => (*h as char)
                .to_digit(16)
                .zip((*l as char).to_digit(16))
                .map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match decoded {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
