//! The controller's REST API, version 1: what the controller knows of
//! agents, radios and clients, and the orders an operator, a test script
//! or the dashboard gives it (move a client, disconnect it, change a
//! radio's channel).
//!
//! [`router`] builds the [`axum::Router`] on a [`ControllerHandle`];
//! [`serve`] runs it on a bound listener until a shutdown token is
//! cancelled. The daemon serves it with `--api-listen HOST:PORT` and
//! `--api-tokens PATH`:
//!
//! ```text
//! odin-controller token create --file /etc/odin/api-tokens --name dashboard
//! odin_3f1c...                       (printed once: keep it)
//! odin-controller --listen 0.0.0.0:6777 --secret-file /etc/odin/secret \
//!     --api-listen 127.0.0.1:8080 --api-tokens /etc/odin/api-tokens
//! ```
//!
//! # Authentication
//!
//! Every endpoint but `/api/v1/health` wants a bearer token:
//! `Authorization: Bearer <token>`. The controller keeps only the tokens'
//! SHA-256 hashes (see [`tokens`] for the file and the `token` commands)
//! and compares them in constant time; the file is read again when it
//! changes, so `token revoke` takes effect at the next request. A request
//! without a token, or with one that is not valid, gets 401 with
//! `WWW-Authenticate: Bearer realm="odin"` (and `error="invalid_token"`
//! for a wrong one). `--api-insecure-no-auth` (an
//! [`ApiTokens::insecure_no_auth`]) turns authentication off: for tests
//! and demos on loopback only, since whoever reaches the port can move
//! and disconnect every client.
//!
//! # Errors
//!
//! Every error is JSON, `{"error": "<what went wrong>"}`, sometimes with
//! more fields, and its status says what kind it is:
//!
//! | Status | When |
//! |---|---|
//! | 400 | a malformed MAC address or radio index in the path; a body that is not valid JSON, lacks a field, has one of the wrong type or an unknown one |
//! | 401 | no token, or a wrong one (with `WWW-Authenticate: Bearer`) |
//! | 404 | unknown client, agent or radio (or endpoint) |
//! | 405 | a method the endpoint does not take |
//! | 409 | the state forbids it: a handoff (`"handoff": id`) or placement of the client in progress, a client without an LVAP, an agent that is down, a handoff between radios of one agent, no room on the target radio |
//! | 413 | a body over 64 KiB |
//! | 415 | a body sent without `Content-Type: application/json` |
//! | 422 | a channel the radio cannot use (or that does not exist) |
//! | 502 | the agent refused or failed; a handoff that failed and was rolled back (`"handoff"`, `"step"`, `"reason"`, `"rollback"`: `nothing`, `removed_at_target`, `restored_at_source` or `replaced`) |
//! | 503 | the controller is stopping |
//! | 504 | the agent did not answer in time (or the controller gave no result within 60 s) |
//!
//! # Endpoints
//!
//! Times are ages in milliseconds at the moment of the request (the
//! controller's clock), durations in microseconds. MAC addresses are
//! `aa:bb:cc:dd:ee:ff` (`aa-bb-cc-dd-ee-ff` and upper case accepted in
//! paths).
//!
//! ## `GET /api/v1/health`
//!
//! No token needed: `{"status":"ok"}` while the API serves.
//!
//! ```text
//! curl http://127.0.0.1:8080/api/v1/health
//! ```
//!
//! ## `GET /api/v1/agents`, `GET /api/v1/agents/{agent}`
//!
//! Every agent the controller has seen (`{"agents": [...]}`), or one (404
//! if unknown):
//!
//! ```text
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/agents
//! ```
//!
//! ```json
//! {"agents": [{
//!   "name": "ap1", "up": true, "connected": true, "software": "odin-agent 0.1.0",
//!   "last_heard_ms_ago": 420, "last_down": null,
//!   "radios": [{
//!     "index": 0, "name": "phy0", "address": "02:00:00:00:00:00", "band": "ghz2",
//!     "channel": 6, "channels": [1, 6, 11], "ht": true, "vht": false, "max_lvaps": 8,
//!     "lvaps": ["02:00:00:00:01:00"], "load": 1, "utilization": 0.12, "stats_age_ms": 830
//!   }]
//! }]}
//! ```
//!
//! `up`: connected and said hello. `last_down`: why it went down the last
//! time. `lvaps`: the clients whose LVAP the radio hosts (or that are
//! being placed on it); `load` adds the slots running handoffs reserve.
//! `utilization` (0-1, the share of time the channel was busy) and
//! `stats_age_ms` are `null` until the agent reported them.
//!
//! ## `GET /api/v1/clients`, `GET /api/v1/clients/{mac}`
//!
//! Every client the controller has heard of (`{"clients": [...]}`), or one
//! (400 for a malformed address, 404 if unknown):
//!
//! ```text
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/clients/02:00:00:00:01:00
//! ```
//!
//! ```json
//! {
//!   "mac": "02:00:00:00:01:00", "bssid": "06:0d:1e:5a:77:c1", "associated": true, "aid": 1,
//!   "lvap": {"agent": "ap1", "radio": 0, "state": "active", "handoff": null},
//!   "signals": [{"agent": "ap1", "radio": 0, "signal_dbm": -41, "age_ms": 120},
//!               {"agent": "ap2", "radio": 0, "signal_dbm": -67, "age_ms": 900}],
//!   "stats": [{"agent": "ap1", "radio": 0, "signal_dbm": -41, "served": true,
//!              "rx_bytes": 48213, "tx_bytes": 90211, "inactive_ms": 40, "age_ms": 700}]
//! }
//! ```
//!
//! `lvap.state` is `placing` (being created), `active` or `migrating`;
//! while migrating, `lvap.handoff` is `{"id", "from": {"agent",
//! "radio"}, "to", "phase", "cause", "elapsed_ms"}` (`phase`: `export`,
//! `add`, `remove`, `authorize`, or `restore_at_source` /
//! `authorize_at_source` while rolling back). `associated`: the
//! controller holds the client's station state (it associated and was
//! authorized; cleared when it leaves). `signals`: the last signal each
//! radio reported, and how old it is; `stats`: each radio's latest
//! statistics of the client.
//!
//! ## `POST /api/v1/clients/{mac}/handoff`
//!
//! Moves the client's LVAP to another agent and answers when the handoff
//! is over. Body: `{"agent": "ap2", "radio": 0, "cause": "..."}`;
//! `radio` is optional (default: the target's radio that heard the client
//! best and has room), `cause` too (default `"api"`; it goes to the logs
//! and events).
//!
//! ```text
//! curl -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//!      -d '{"agent": "ap2"}' http://127.0.0.1:8080/api/v1/clients/02:00:00:00:01:00/handoff
//! ```
//!
//! 200 with the handoff's id and how long each step took:
//!
//! ```json
//! {"handoff": 7, "durations_us": {"export": 1830, "add": 24710, "remove": 9020, "authorize": 9544, "switch_lead": 5000, "total": 36084}}
//! ```
//!
//! (a step is `null` when it was skipped because its agent went down), or
//! `{"already_serving": true}` when that agent (and radio) serves the
//! client already. Errors: 404 unknown client, agent or radio; 409 a
//! handoff or placement of the client in progress, no LVAP, the target
//! down, another radio of the serving agent, no room; 502 the handoff
//! failed and was rolled back. An HTTP client that hangs up does not stop
//! a handoff that started.
//!
//! ## `POST /api/v1/clients/{mac}/disconnect`
//!
//! Removes the client's LVAP, deauthenticating the client (its BSSID stays
//! reserved for it; it is placed again when it comes back). No body.
//! 200 `{"disconnected": true}`; 404 unknown client; 409 no LVAP, or one
//! being placed or moved; 502/504 the agent failed or did not answer.
//!
//! ```text
//! curl -X POST -H "Authorization: Bearer $TOKEN" \
//!      http://127.0.0.1:8080/api/v1/clients/02:00:00:00:01:00/disconnect
//! ```
//!
//! ## `POST /api/v1/agents/{agent}/radios/{radio}/channel`
//!
//! Moves a radio to another channel. Body: `{"channel": 11}`. 200
//! `{"agent": "ap1", "radio": 0, "channel": 11}` once the agent did it;
//! 404 unknown agent or radio; 409 agent down; 422 a channel the radio
//! cannot use; 502/504 the agent failed or did not answer.
//!
//! ```text
//! curl -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//!      -d '{"channel": 11}' http://127.0.0.1:8080/api/v1/agents/ap1/radios/0/channel
//! ```

//!
//! ## `GET /api/v1/apps`; `POST /api/v1/apps/{name}/enable`, `.../disable`; `PUT /api/v1/apps/{name}/config`
//!
//! The apps this controller has (`{"apps": [{"name", "about", "enabled",
//! "config", "calls", "requests", "errors", "panics", "restarts",
//! "last_error"}]}`), and their changes: enable takes an optional body
//! `{"config": {...}}`, config takes the app's configuration as the body.
//! 200 `{"app_changed": true}`; 404 unknown app; 422 a configuration the
//! app refuses (with its reason).
//!
//! ## `GET /api/v1/events`
//!
//! The event history from the store, newest first: query parameters
//! `client`, `agent`, `kind` (`handoff_completed`, `client_joined`, ...),
//! `app`, `since` and `until` (Unix microseconds), `limit` (1-1000,
//! default 100), `before` (an id: the next page). `{"events": [{"id",
//! "at_unix_us", "kind", "client", "agent", "app", "detail"}],
//! "next_before": id or null}`; `detail` has the event's text and its
//! fields (a handoff's step durations, who asked and why). 503 without a
//! store.
//!
//! ## `GET /api/v1/stream`
//!
//! The controller's events live, as server-sent events
//! (`text/event-stream`): `event: <kind>` and `data: {"kind", "client",
//! "agent", "app", "detail"}` per event, the same shape as the history.
//! `kind=a,b` keeps those kinds, `client=MAC` one client's; `event:
//! lagged` (`{"missed": n}`) when the reader fell behind.
//!
//! ```text
//! curl -N -H "Authorization: Bearer $TOKEN" 'http://127.0.0.1:8080/api/v1/stream?kind=handoff_completed'
//! ```
//!
//! ## `GET /metrics`
//!
//! Prometheus metrics (OpenMetrics text, bearer token as everywhere):
//! `odin_agents_up`, `odin_agents_known`, `odin_clients`,
//! `odin_lvaps{state}`, `odin_agent_messages_total{kind}`,
//! `odin_protocol_errors_total`, `odin_command_timeouts_total`,
//! `odin_handoffs_total{result,by}`, `odin_handoff_duration_seconds`
//! (histogram), `odin_app_errors_total{app}`, `odin_app_panics_total{app}`,
//! `odin_store_written_total`, `odin_store_failed_attempts_total`,
//! `odin_store_overflowed_total`.
//!
//! ## `GET /api/v1/store`
//!
//! The store's backend and its writer's counters: `written`, `batches`,
//! `queued`, `failed_attempts` (retried), `overflowed` (not stored: the
//! queue was full), `failing`, `last_error`.

pub mod error;
pub mod metrics;
pub mod tokens;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use odin_proto::msg::RadioIndex;
use odin_proto::MacAddr;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::core::{Command, CommandError, CommandOk};
use crate::server::ControllerHandle;
use crate::store::{EventFilter, Recorder, Storage};

pub use error::ApiError;
pub use metrics::Metrics;
pub use tokens::{ApiTokens, Verdict};

/// The largest request body taken.
pub const MAX_BODY: usize = 64 * 1024;

/// How long a command may take before the API gives up waiting (the
/// controller bounds every step far below this; it is a safety net).
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

/// How long [`serve`] lets running requests finish after shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The longest `cause` a handoff takes.
const MAX_CAUSE: usize = 256;

#[derive(Debug, Clone)]
struct AppState {
    handle: ControllerHandle,
    tokens: ApiTokens,
    store: Option<ApiStore>,
    metrics: Arc<Metrics>,
}

/// The store as the API sees it: the history to read, the recorder's
/// counters to show.
#[derive(Debug, Clone)]
pub struct ApiStore {
    /// Where the history is read.
    pub storage: Arc<dyn Storage>,
    /// The writer, for its counters.
    pub recorder: Recorder,
}

/// Who made a request: the name of its token, when it has one.
#[derive(Debug, Clone)]
struct Caller(Option<String>);

impl Caller {
    fn name(&self) -> &str {
        self.0.as_deref().unwrap_or("-")
    }
}

/// The API on a running controller. Every route is under `/api/v1`; all
/// but `/api/v1/health` need a token from `auth`.
pub fn router(handle: ControllerHandle, auth: ApiTokens) -> Router {
    router_with_store(handle, auth, None)
}

/// [`router`], with the event history read from `store`.
pub fn router_with_store(
    handle: ControllerHandle,
    auth: ApiTokens,
    store: Option<ApiStore>,
) -> Router {
    let metrics = Arc::new(Metrics::new());
    metrics.follow(handle.events());
    let state = AppState {
        handle,
        tokens: auth,
        store,
        metrics,
    };
    let protected = Router::new()
        .route("/api/v1/agents", get(list_agents))
        .route("/api/v1/agents/{agent}", get(get_agent))
        .route(
            "/api/v1/agents/{agent}/radios/{radio}/channel",
            post(set_channel),
        )
        .route("/api/v1/clients", get(list_clients))
        .route("/api/v1/clients/{mac}", get(get_client))
        .route("/api/v1/clients/{mac}/handoff", post(handoff))
        .route("/api/v1/clients/{mac}/disconnect", post(disconnect))
        .route("/api/v1/apps", get(list_apps))
        .route("/api/v1/apps/{name}/enable", post(enable_app))
        .route("/api/v1/apps/{name}/disable", post(disable_app))
        .route("/api/v1/apps/{name}/config", put(configure_app))
        .route("/api/v1/events", get(list_events))
        .route("/api/v1/store", get(store_status))
        .route("/api/v1/stream", get(stream))
        .route("/metrics", get(prometheus))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route("/api/v1/health", get(health))
        .merge(protected)
        .fallback(|| async { error::status_error(StatusCode::NOT_FOUND, "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            error::status_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "this endpoint does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then lets
/// running requests finish for at most [`SHUTDOWN_GRACE`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "REST API listening");
    }
    let server = std::future::IntoFuture::into_future(
        axum::serve(listener, router).with_graceful_shutdown(shutdown.clone().cancelled_owned()),
    );
    let deadline = async {
        shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = server => result,
        () = deadline => {
            tracing::warn!("REST API: requests still running after the shutdown grace period; dropped");
            Ok(())
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(request: &Request) -> Option<String> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let presented = bearer(&request);
    let tokens = state.tokens.clone();
    // The file's stat (and read, when it changed) off the async threads.
    let verdict = tokio::task::spawn_blocking(move || tokens.check(presented.as_deref())).await;
    match verdict {
        Ok(Verdict::Accepted(name)) => {
            request.extensions_mut().insert(Caller(name));
            next.run(request).await
        }
        Ok(Verdict::Missing) => ApiError::missing_token().into_response(),
        Ok(Verdict::Invalid) => {
            tracing::warn!(path = %request.uri().path(), "REST API: invalid token");
            ApiError::invalid_token().into_response()
        }
        Err(_) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the token check failed")
            .into_response(),
    }
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

fn path<T>(extracted: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    extracted
        .map(|Path(value)| value)
        .map_err(|e| ApiError::bad_request(e.body_text()))
}

fn body<T>(extracted: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    extracted.map(|Json(value)| value).map_err(ApiError::from)
}

fn parse_mac(text: &str) -> Result<MacAddr, ApiError> {
    text.parse::<MacAddr>()
        .map_err(|e| ApiError::bad_request(format!("bad MAC address: {e}")))
}

async fn list_agents(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let clock = state.handle.clone();
    let agents = state
        .handle
        .inspect(move |core| {
            let now = clock.now();
            core.agents()
                .values()
                .map(|a| views::agent(core, a, now))
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(Json(json!({ "agents": agents })))
}

async fn get_agent(
    State(state): State<AppState>,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<views::AgentView>, ApiError> {
    let name = path(name)?;
    let clock = state.handle.clone();
    let wanted = name.clone();
    let agent = state
        .handle
        .inspect(move |core| {
            let now = clock.now();
            core.agents()
                .get(&wanted)
                .map(|a| views::agent(core, a, now))
        })
        .await?;
    agent
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("unknown agent {name}")))
}

async fn list_clients(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let clock = state.handle.clone();
    let clients = state
        .handle
        .inspect(move |core| {
            let now = clock.now();
            core.clients()
                .values()
                .map(|c| views::client(core, c, now))
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(Json(json!({ "clients": clients })))
}

async fn get_client(
    State(state): State<AppState>,
    mac: Result<Path<String>, PathRejection>,
) -> Result<Json<views::ClientView>, ApiError> {
    let mac = parse_mac(&path(mac)?)?;
    let clock = state.handle.clone();
    let client = state
        .handle
        .inspect(move |core| {
            let now = clock.now();
            core.client(&mac).map(|c| views::client(core, c, now))
        })
        .await?;
    client
        .map(Json)
        .ok_or_else(|| ApiError::from(CommandError::UnknownClient(mac)))
}

/// The body of a handoff.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HandoffBody {
    agent: String,
    #[serde(default)]
    radio: Option<RadioIndex>,
    #[serde(default)]
    cause: Option<String>,
}

async fn handoff(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    mac: Result<Path<String>, PathRejection>,
    request: Result<Json<HandoffBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let client = parse_mac(&path(mac)?)?;
    let request = body(request)?;
    if request.agent.is_empty() {
        return Err(ApiError::bad_request(
            "invalid request body: `agent` is empty",
        ));
    }
    let cause = request.cause.unwrap_or_else(|| "api".to_owned());
    if cause.len() > MAX_CAUSE {
        return Err(ApiError::bad_request(format!(
            "invalid request body: `cause` is longer than {MAX_CAUSE} bytes"
        )));
    }
    tracing::info!(%client, to = %request.agent, radio = ?request.radio, %cause, token = caller.name(), "REST API: handoff");
    let command = Command::Handoff {
        client,
        to_agent: request.agent,
        to_radio: request.radio,
        cause,
    };
    Ok(Json(ok_body(run_command(&state.handle, command).await??)))
}

async fn disconnect(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    mac: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let client = parse_mac(&path(mac)?)?;
    tracing::info!(%client, token = caller.name(), "REST API: disconnect");
    let command = Command::Disconnect { client };
    Ok(Json(ok_body(run_command(&state.handle, command).await??)))
}

/// The body of a channel change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelBody {
    channel: u64,
}

async fn set_channel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Result<Path<(String, String)>, PathRejection>,
    request: Result<Json<ChannelBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let (agent, radio) = path(params)?;
    let radio: RadioIndex = radio.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "bad radio index {:?}: expected a number",
            radio.chars().take(32).collect::<String>()
        ))
    })?;
    let requested = body(request)?.channel;
    let channel = u8::try_from(requested)
        .ok()
        .filter(|c| *c != 0)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("channel {requested} does not exist"),
            )
        })?;
    tracing::info!(%agent, radio, channel, token = caller.name(), "REST API: set channel");
    let command = Command::SetChannel {
        agent: agent.clone(),
        radio,
        channel,
    };
    let mut answer = ok_body(run_command(&state.handle, command).await??);
    if let Value::Object(fields) = &mut answer {
        fields.insert("agent".into(), agent.into());
        fields.insert("radio".into(), radio.into());
        fields.insert("channel".into(), channel.into());
    }
    Ok(Json(answer))
}

async fn list_apps(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let apps = state.handle.inspect(|core| core.apps()).await?;
    let apps: Vec<Value> = apps
        .into_iter()
        .map(|a| {
            json!({
                "name": a.name, "about": a.about, "enabled": a.enabled, "config": a.config,
                "calls": a.counters.calls, "requests": a.counters.requests,
                "errors": a.counters.errors, "panics": a.counters.panics,
                "restarts": a.counters.restarts, "last_error": a.last_error,
            })
        })
        .collect();
    Ok(Json(json!({ "apps": apps })))
}

/// The body of an enable: optionally a new configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnableBody {
    #[serde(default)]
    config: Option<Value>,
}

async fn enable_app(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    name: Result<Path<String>, PathRejection>,
    request: Option<Json<EnableBody>>,
) -> Result<Json<Value>, ApiError> {
    let name = path(name)?;
    let config = request.and_then(|Json(b)| b.config);
    tracing::info!(app = %name, token = caller.name(), "REST API: enable app");
    let command = Command::EnableApp { name, config };
    Ok(Json(ok_body(run_command(&state.handle, command).await??)))
}

async fn disable_app(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let name = path(name)?;
    tracing::info!(app = %name, token = caller.name(), "REST API: disable app");
    let command = Command::DisableApp { name };
    Ok(Json(ok_body(run_command(&state.handle, command).await??)))
}

async fn configure_app(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    name: Result<Path<String>, PathRejection>,
    request: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let name = path(name)?;
    let config = body(request)?;
    tracing::info!(app = %name, token = caller.name(), "REST API: configure app");
    let command = Command::ConfigureApp { name, config };
    Ok(Json(ok_body(run_command(&state.handle, command).await??)))
}

/// The event history's query: every field optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventQuery {
    client: Option<String>,
    agent: Option<String>,
    kind: Option<String>,
    app: Option<String>,
    /// Unix µs, inclusive.
    since: Option<u64>,
    /// Unix µs, exclusive.
    until: Option<u64>,
    /// The next page: events with an id below this.
    before: Option<i64>,
    limit: Option<u32>,
}

async fn list_events(
    State(state): State<AppState>,
    query: Result<axum::extract::Query<EventQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let query = query
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(e.body_text()))?;
    let Some(store) = state.store.as_ref().map(|s| Arc::clone(&s.storage)) else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this controller keeps no event history (no store)",
        ));
    };
    let filter = EventFilter {
        client: query.client.as_deref().map(parse_mac).transpose()?,
        agent: query.agent,
        kind: query.kind,
        app: query.app,
        since_unix_us: query.since,
        until_unix_us: query.until,
        before_id: query.before,
        limit: query.limit.unwrap_or(EventFilter::DEFAULT_LIMIT),
    };
    let events = store.events(&filter).await.map_err(|e| {
        tracing::warn!(error = %e, "REST API: event history query failed");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
    })?;
    let next = (events.len() == filter.effective_limit() as usize)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    Ok(Json(json!({ "events": events, "next_before": next })))
}

/// Prometheus metrics, text exposition format.
async fn prometheus(State(state): State<AppState>) -> Result<Response, ApiError> {
    let recorder = state.store.as_ref().map(|s| &s.recorder);
    let text = state.metrics.scrape(&state.handle, recorder).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// The live stream's query: which kinds, which client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamQuery {
    /// Event kinds, comma-separated; every kind when absent.
    kind: Option<String>,
    /// One client's events only.
    client: Option<String>,
}

/// The controller's events as they happen, as server-sent events: each
/// is `event: <kind>` and `data: <the event as JSON>`
/// ([`crate::core::ControllerEvent::to_json`]); a subscriber that fell
/// behind gets `event: lagged` with `{"missed": n}`; a comment every 15 s
/// keeps proxies from closing an idle stream.
async fn stream(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    query: Result<axum::extract::Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl futures::Stream<Item = Result<SseEvent, std::convert::Infallible>>>, ApiError>
{
    let query = query
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(e.body_text()))?;
    let kinds: Option<Vec<String>> = query.kind.map(|k| {
        k.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    });
    let client = query.client.as_deref().map(parse_mac).transpose()?;
    tracing::info!(
        token = caller.name(),
        ?kinds,
        ?client,
        "REST API: event stream opened"
    );
    let events = state.handle.events();
    let stream = futures::stream::unfold(events, move |mut events| {
        let kinds = kinds.clone();
        async move {
            loop {
                match events.recv().await {
                    Ok(event) => {
                        let kind = event.kind();
                        if kinds.as_ref().is_some_and(|k| !k.iter().any(|w| w == kind))
                            || client.is_some_and(|c| event.client() != Some(c))
                        {
                            continue;
                        }
                        let sse = SseEvent::default()
                            .event(kind)
                            .data(event.to_json().to_string());
                        return Some((Ok(sse), events));
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        let sse = SseEvent::default()
                            .event("lagged")
                            .data(json!({ "missed": missed }).to_string());
                        return Some((Ok(sse), events));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The store's backend and its writer's counters: what was written, what
/// failed and is being retried, what did not fit in the queue.
async fn store_status(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let Some(store) = &state.store else {
        return Ok(Json(json!({ "backend": null })));
    };
    let stats = store.recorder.stats();
    Ok(Json(json!({
        "backend": store.storage.backend(),
        "queued": stats.queued,
        "written": stats.written,
        "batches": stats.batches,
        "failed_attempts": stats.failed_attempts,
        "overflowed": stats.overflowed,
        "failing": stats.failing,
        "last_error": stats.last_error,
    })))
}

/// Runs a command and waits for its result; 503 if the controller stops
/// meanwhile (checked every second: a stopped core publishes no result),
/// 504 past [`COMMAND_DEADLINE`].
async fn run_command(
    handle: &ControllerHandle,
    command: Command,
) -> Result<Result<CommandOk, CommandError>, ApiError> {
    let result = handle.command(command);
    tokio::pin!(result);
    let deadline = tokio::time::sleep(COMMAND_DEADLINE);
    tokio::pin!(deadline);
    let mut probe = tokio::time::interval(Duration::from_secs(1));
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    probe.reset();
    loop {
        tokio::select! {
            result = &mut result => return Ok(result?),
            _ = probe.tick() => {
                if handle.inspect(|_| ()).await.is_err() {
                    return Err(ApiError::stopping());
                }
            }
            () = &mut deadline => {
                return Err(ApiError::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    format!("no result from the controller within {} s", COMMAND_DEADLINE.as_secs()),
                ));
            }
        }
    }
}

/// The body of a successful command (every variant, explicitly).
fn ok_body(ok: CommandOk) -> Value {
    match ok {
        CommandOk::HandoffCompleted { handoff, durations } => json!({
            "handoff": handoff.0,
            "durations_us": views::DurationsView::from(&durations),
        }),
        CommandOk::AlreadyServing => json!({ "already_serving": true }),
        CommandOk::ChannelSet => json!({ "channel_set": true }),
        CommandOk::Disconnected => json!({ "disconnected": true }),
        CommandOk::Subscribed { subscription } => json!({ "subscription": subscription }),
        CommandOk::Unsubscribed => json!({ "unsubscribed": true }),
        CommandOk::AppChanged => json!({ "app_changed": true }),
    }
}
