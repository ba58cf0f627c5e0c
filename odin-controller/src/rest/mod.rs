//! The controller's REST API, version 1: what the controller knows of
//! agents, radios and clients, and the orders an operator, a test script
//! or the dashboard gives it (move a client, disconnect it, change a
//! radio's channel).
//!
//! [`router`] builds the [`axum::Router`] on a [`ControllerHandle`] from
//! the list of [`endpoints`]; [`serve`] runs it on a bound listener until a
//! shutdown token is cancelled. The API describes itself: its OpenAPI
//! document, generated from the handlers and the types they answer with
//! ([`openapi`]), is served at `GET /api/v1/openapi.json`. The daemon
//! serves the API with `--api-listen HOST:PORT` and `--api-tokens PATH`:
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
//! ## `GET /api/v1/openapi.json`
//!
//! The OpenAPI 3.1 document of this API: every endpoint below with its
//! parameters, request body, answers and errors (each with its status),
//! the shapes of all bodies, and the bearer scheme. It is generated from
//! the code ([`openapi`]), so it cannot fall behind it; a test checks that
//! it documents exactly the endpoints the router serves. It wants a token
//! like every endpoint but health.
//!
//! ```text
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/openapi.json
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
//!              "rx_bytes": 48213, "tx_bytes": 90211, "inactive_ms": 40,
//!              "tx_rate_kbps": 54000, "rx_rate_kbps": 18000, "age_ms": 700}]
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
//! statistics of the client (`tx_rate_kbps`, `rx_rate_kbps`: the bit rate
//! of the last frame sent to and received from it, where the serving
//! agent's driver reports them; `null` otherwise).
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
//! `client`, `agent`, `kind` (`handoff_completed`, `client_joined`, ...;
//! several separated by commas),
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
//! ## The dashboard
//!
//! With `--web-root DIR` (`ODIN_WEB_ROOT`, `web_root`), the API's
//! address also serves the web dashboard, the build of `web/`
//! (`web/dist`), at `/`: [`with_dashboard`] (the files need no token;
//! unknown paths outside `/api` get `index.html`, unknown ones under
//! `/api` the JSON 404). The page asks for a token, keeps it in the
//! browser's localStorage and sends it as `Authorization: Bearer` with
//! every call, the event stream included.
//!
//! ```text
//! odin-controller ... --api-listen 127.0.0.1:8080 --api-tokens /etc/odin/api-tokens \
//!     --web-root /usr/share/odin/web          (then open http://127.0.0.1:8080/)
//! ```
//!
//! ## `GET /api/v1/store`
//!
//! The store's backend and its writer's counters: `written`, `batches`,
//! `queued`, `failed_attempts` (retried), `overflowed` (not stored: the
//! queue was full), `failing`, `last_error`.

pub mod dashboard;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod tokens;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::{Extension, Json, Router};
use odin_proto::msg::RadioIndex;
use odin_proto::MacAddr;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::core::{Command, CommandError, CommandOk};
use crate::server::ControllerHandle;
use crate::store::{EventFilter, Recorder, Storage};

pub use dashboard::with_dashboard;
pub use error::{ApiError, ErrorBody};
pub use metrics::Metrics;
pub use tokens::{ApiTokens, Verdict};

/// The largest request body taken.
pub const MAX_BODY: usize = 64 * 1024;

/// How long a command may take before the API gives up waiting (the
/// controller bounds every step far below this; it is a safety net).
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(60);

/// How long [`serve`] lets running requests finish after shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How a client's address in a path is described.
const MAC_PARAM: &str =
    "The client's MAC address: `aa:bb:cc:dd:ee:ff` (`aa-bb-cc-dd-ee-ff` and upper case accepted)";

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

/// One endpoint the API serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Its method.
    pub method: Method,
    /// Its path, a parameter written `{name}` (as OpenAPI writes it).
    pub path: &'static str,
    /// Whether it wants a bearer token (every endpoint but health).
    pub needs_token: bool,
}

/// An [`Endpoint`] and its handler: `endpoint!(GET "/path", token, handler)`
/// (or `open` for one without a token).
macro_rules! endpoint {
    ($method:ident $path:literal, $auth:ident, $handler:expr) => {
        (
            Endpoint {
                method: Method::$method,
                path: $path,
                needs_token: endpoint!(@$auth),
            },
            axum::routing::on(MethodFilter::$method, $handler),
        )
    };
    (@token) => {
        true
    };
    (@open) => {
        false
    };
}

/// Every endpoint and its handler: the one list [`router`] is built from.
/// An endpoint added here and not to [`openapi::ApiDoc`] fails the tests.
fn routes() -> Vec<(Endpoint, MethodRouter<AppState>)> {
    vec![
        endpoint!(GET "/api/v1/health", open, health),
        endpoint!(GET "/api/v1/openapi.json", token, openapi::openapi_json),
        endpoint!(GET "/api/v1/agents", token, list_agents),
        endpoint!(GET "/api/v1/agents/{agent}", token, get_agent),
        endpoint!(POST "/api/v1/agents/{agent}/radios/{radio}/channel", token, set_channel),
        endpoint!(GET "/api/v1/clients", token, list_clients),
        endpoint!(GET "/api/v1/clients/{mac}", token, get_client),
        endpoint!(POST "/api/v1/clients/{mac}/handoff", token, handoff),
        endpoint!(POST "/api/v1/clients/{mac}/disconnect", token, disconnect),
        endpoint!(GET "/api/v1/apps", token, list_apps),
        endpoint!(POST "/api/v1/apps/{name}/enable", token, enable_app),
        endpoint!(POST "/api/v1/apps/{name}/disable", token, disable_app),
        endpoint!(PUT "/api/v1/apps/{name}/config", token, configure_app),
        endpoint!(GET "/api/v1/events", token, list_events),
        endpoint!(GET "/api/v1/stream", token, stream),
        endpoint!(GET "/api/v1/store", token, store_status),
        endpoint!(GET "/metrics", token, prometheus),
    ]
}

/// Every endpoint [`router`] serves (and nothing else: the router is built
/// from this list).
pub fn endpoints() -> Vec<Endpoint> {
    routes().into_iter().map(|(endpoint, _)| endpoint).collect()
}

/// The API on a running controller. Every route but `/metrics` is under
/// `/api/v1` (see [`endpoints`]); all but `/api/v1/health` need a token
/// from `auth`.
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
    let mut open = Router::new();
    let mut protected = Router::new();
    for (endpoint, handler) in routes() {
        if endpoint.needs_token {
            protected = protected.route(endpoint.path, handler);
        } else {
            open = open.route(endpoint.path, handler);
        }
    }
    let protected =
        protected.route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    open.merge(protected)
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

/// Whether the API serves (no token needed).
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "system",
    responses((status = 200, description = "The API serves", body = views::Health)),
)]
async fn health() -> Json<views::Health> {
    Json(views::Health {
        status: "ok".to_owned(),
    })
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

/// Every agent the controller has seen.
#[utoipa::path(
    get,
    path = "/api/v1/agents",
    tag = "agents",
    responses(
        (status = 200, description = "The agents, by name", body = views::AgentList),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
async fn list_agents(State(state): State<AppState>) -> Result<Json<views::AgentList>, ApiError> {
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
    Ok(Json(views::AgentList { agents }))
}

/// One agent.
#[utoipa::path(
    get,
    path = "/api/v1/agents/{agent}",
    tag = "agents",
    params(("agent" = String, Path, description = "The agent's name", example = "ap1")),
    responses(
        (status = 200, description = "The agent", body = views::AgentView),
        (status = 400, description = "The name is not valid UTF-8", body = ErrorBody),
        (status = 404, description = "Unknown agent", body = ErrorBody),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
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

/// Every client the controller has heard of.
#[utoipa::path(
    get,
    path = "/api/v1/clients",
    tag = "clients",
    responses(
        (status = 200, description = "The clients, by address", body = views::ClientList),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
async fn list_clients(State(state): State<AppState>) -> Result<Json<views::ClientList>, ApiError> {
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
    Ok(Json(views::ClientList { clients }))
}

/// One client.
#[utoipa::path(
    get,
    path = "/api/v1/clients/{mac}",
    tag = "clients",
    params(("mac" = String, Path, description = MAC_PARAM, example = "02:00:00:00:01:00")),
    responses(
        (status = 200, description = "The client", body = views::ClientView),
        (status = 400, description = "A malformed MAC address", body = ErrorBody),
        (status = 404, description = "Unknown client", body = ErrorBody),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
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
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct HandoffBody {
    /// The agent to move the client to.
    #[schema(example = "ap2")]
    agent: String,
    /// Its radio; by default the one that heard the client best and has
    /// room.
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    radio: Option<RadioIndex>,
    /// Why, for the logs and events (at most 256 bytes; default `api`).
    #[serde(default)]
    cause: Option<String>,
}

/// Moves a client's LVAP to another agent.
///
/// Answers when the handoff is over, with how long each step took. An HTTP
/// client that hangs up does not stop a handoff that started.
#[utoipa::path(
    post,
    path = "/api/v1/clients/{mac}/handoff",
    tag = "clients",
    params(("mac" = String, Path, description = MAC_PARAM, example = "02:00:00:00:01:00")),
    request_body = HandoffBody,
    responses(
        (status = 200, description = "The handoff's id and step durations, or `already_serving`", body = views::HandoffAnswer),
        (status = 400, description = "A malformed MAC address, or a body that is not valid JSON, lacks `agent`, has a field of the wrong type or an unknown one, an empty `agent` or a `cause` too long", body = ErrorBody),
        (status = 404, description = "Unknown client, agent or radio", body = ErrorBody),
        (status = 409, description = "A handoff (`handoff`: its id) or placement of the client in progress, no LVAP, the target down, another radio of the serving agent, no room on the target radio", body = ErrorBody),
        (status = 413, description = "A body over 64 KiB", body = ErrorBody),
        (status = 415, description = "A body without `Content-Type: application/json`", body = ErrorBody),
        (status = 502, description = "The handoff failed and was rolled back (`handoff`, `step`, `reason`, `rollback`)", body = ErrorBody),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
        (status = 504, description = "No result from the controller within 60 s", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
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

/// Disconnects a client.
///
/// Removes its LVAP, deauthenticating the client; its BSSID stays reserved
/// for it, and it is placed again when it comes back.
#[utoipa::path(
    post,
    path = "/api/v1/clients/{mac}/disconnect",
    tag = "clients",
    params(("mac" = String, Path, description = MAC_PARAM, example = "02:00:00:00:01:00")),
    responses(
        (status = 200, description = "The client was disconnected", body = views::Disconnected),
        (status = 400, description = "A malformed MAC address", body = ErrorBody),
        (status = 404, description = "Unknown client", body = ErrorBody),
        (status = 409, description = "No LVAP, or one being placed or moved (`handoff`: the handoff's id)", body = ErrorBody),
        (status = 502, description = "The agent failed", body = ErrorBody),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
        (status = 504, description = "The agent did not answer in time", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
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
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChannelBody {
    /// The channel number.
    #[schema(example = 11)]
    channel: u64,
}

/// Moves a radio to another channel.
///
/// Answers once the agent did it.
#[utoipa::path(
    post,
    path = "/api/v1/agents/{agent}/radios/{radio}/channel",
    tag = "agents",
    params(
        ("agent" = String, Path, description = "The agent's name", example = "ap1"),
        ("radio" = u32, Path, description = "The radio's index within the agent", example = 0),
    ),
    request_body = ChannelBody,
    responses(
        (status = 200, description = "The radio is on the channel", body = views::ChannelSet),
        (status = 400, description = "A radio index that is not a number, or a body that is not valid JSON, lacks `channel`, has it of the wrong type or has an unknown field", body = ErrorBody),
        (status = 404, description = "Unknown agent or radio", body = ErrorBody),
        (status = 409, description = "The agent is down", body = ErrorBody),
        (status = 413, description = "A body over 64 KiB", body = ErrorBody),
        (status = 415, description = "A body without `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "A channel the radio cannot use, or that does not exist", body = ErrorBody),
        (status = 502, description = "The agent failed", body = ErrorBody),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
        (status = 504, description = "The agent did not answer in time", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
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

/// The apps this controller has, their configurations and counters.
#[utoipa::path(
    get,
    path = "/api/v1/apps",
    tag = "apps",
    responses(
        (status = 200, description = "The apps, by name", body = views::AppList),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
async fn list_apps(State(state): State<AppState>) -> Result<Json<views::AppList>, ApiError> {
    let apps = state.handle.inspect(|core| core.apps()).await?;
    let apps = apps
        .into_iter()
        .map(|a| views::AppView {
            name: a.name,
            about: a.about,
            enabled: a.enabled,
            config: a.config,
            calls: a.counters.calls,
            requests: a.counters.requests,
            errors: a.counters.errors,
            panics: a.counters.panics,
            restarts: a.counters.restarts,
            last_error: a.last_error,
        })
        .collect();
    Ok(Json(views::AppList { apps }))
}

/// The body of an enable: optionally a new configuration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EnableBody {
    /// The app's new configuration; by default it keeps the one it has.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    config: Option<Value>,
}

/// Enables an app, optionally with a new configuration.
#[utoipa::path(
    post,
    path = "/api/v1/apps/{name}/enable",
    tag = "apps",
    params(("name" = String, Path, description = "The app's name", example = "rescue")),
    request_body(content = Option<EnableBody>, description = "Optional: without a body (or with `null`) the app keeps its configuration"),
    responses(
        (status = 200, description = "The app is enabled", body = views::AppChanged),
        (status = 400, description = "A body that is not valid JSON, or has an unknown field", body = ErrorBody),
        (status = 404, description = "Unknown app", body = ErrorBody),
        (status = 413, description = "A body over 64 KiB", body = ErrorBody),
        (status = 415, description = "A body sent with a `Content-Type` other than `application/json`", body = ErrorBody),
        (status = 422, description = "A configuration the app refuses (with its reason)", body = ErrorBody),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
        (status = 504, description = "No result from the controller within 60 s", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
async fn enable_app(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    name: Result<Path<String>, PathRejection>,
    request: Result<Option<Json<Option<EnableBody>>>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let name = path(name)?;
    let config = request?.and_then(|Json(b)| b).and_then(|b| b.config);
    tracing::info!(app = %name, token = caller.name(), "REST API: enable app");
    let command = Command::EnableApp { name, config };
    Ok(Json(ok_body(run_command(&state.handle, command).await??)))
}

/// Disables an app.
#[utoipa::path(
    post,
    path = "/api/v1/apps/{name}/disable",
    tag = "apps",
    params(("name" = String, Path, description = "The app's name", example = "rescue")),
    responses(
        (status = 200, description = "The app is disabled", body = views::AppChanged),
        (status = 400, description = "The name is not valid UTF-8", body = ErrorBody),
        (status = 404, description = "Unknown app", body = ErrorBody),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
        (status = 504, description = "No result from the controller within 60 s", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
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

/// Gives an app a new configuration.
///
/// The body is the configuration; a running app is made again with it.
#[utoipa::path(
    put,
    path = "/api/v1/apps/{name}/config",
    tag = "apps",
    params(("name" = String, Path, description = "The app's name", example = "rescue")),
    request_body(content = Object, description = "The app's configuration: each app has its own fields", example = json!({"threshold_dbm": -72.0})),
    responses(
        (status = 200, description = "The app has the configuration", body = views::AppChanged),
        (status = 400, description = "A body that is not valid JSON", body = ErrorBody),
        (status = 404, description = "Unknown app", body = ErrorBody),
        (status = 413, description = "A body over 64 KiB", body = ErrorBody),
        (status = 415, description = "A body without `Content-Type: application/json`", body = ErrorBody),
        (status = 422, description = "A configuration the app refuses (with its reason)", body = ErrorBody),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
        (status = 504, description = "No result from the controller within 60 s", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
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
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventQuery {
    /// Only the events of this client (a MAC address).
    #[param(example = "02:00:00:00:01:00")]
    client: Option<String>,
    /// Only the events of this agent.
    agent: Option<String>,
    /// Only the events of this kind (`handoff_completed`, `client_joined`,
    /// ...), or of these kinds, separated by commas.
    kind: Option<String>,
    /// Only the events of this app.
    app: Option<String>,
    /// Only events at or after this time, Unix microseconds.
    since: Option<u64>,
    /// Only events before this time, Unix microseconds.
    until: Option<u64>,
    /// The next page: events with an id below this (a page's
    /// `next_before`).
    before: Option<i64>,
    /// At most this many events (taken as 1 to 1000; default 100).
    limit: Option<u32>,
}

/// The event history from the store, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(EventQuery),
    responses(
        (status = 200, description = "A page of events", body = views::EventPage),
        (status = 400, description = "A malformed MAC address, a parameter of the wrong type, or an unknown parameter", body = ErrorBody),
        (status = 503, description = "This controller keeps no event history (no store), or the store failed", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
async fn list_events(
    State(state): State<AppState>,
    query: Result<axum::extract::Query<EventQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<views::EventPage>, ApiError> {
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
    Ok(Json(views::EventPage {
        events: events.into_iter().map(views::EventView::from).collect(),
        next_before: next,
    }))
}

/// Prometheus metrics, in the OpenMetrics text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "system",
    responses(
        (status = 200, description = "The metrics: agents, clients, LVAPs, messages, errors, handoffs, apps, the store's writer", content_type = "application/openmetrics-text", body = String),
        (status = 503, description = "The controller is stopping", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
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
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StreamQuery {
    /// Event kinds, comma-separated; every kind when absent.
    #[param(example = "handoff_started,handoff_completed")]
    kind: Option<String>,
    /// One client's events only (a MAC address).
    #[param(example = "02:00:00:00:01:00")]
    client: Option<String>,
}

/// The controller's events as they happen, as server-sent events.
///
/// Each is `event: <kind>` and `data: <the event as JSON>` (the same shape
/// as the history's, made by `ControllerEvent::to_json`); a subscriber
/// that fell behind gets `event: lagged` with `{"missed": n}`; a comment
/// every 15 s keeps proxies from closing an idle stream.
#[utoipa::path(
    get,
    path = "/api/v1/stream",
    tag = "events",
    params(StreamQuery),
    responses(
        (status = 200, description = "Server-sent events: `event: <kind>` and `data: {\"kind\", \"client\", \"agent\", \"app\", \"detail\"}` per event; `event: lagged` with `data: {\"missed\": n}` when the reader fell behind", content_type = "text/event-stream", body = String),
        (status = 400, description = "A malformed MAC address, or an unknown parameter", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
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

/// The store's backend and its writer's counters.
///
/// What was written, what failed and is being retried, what did not fit
/// in the queue.
#[utoipa::path(
    get,
    path = "/api/v1/store",
    tag = "events",
    responses((status = 200, description = "The store's backend (`null` without a store) and its writer's counters", body = views::StoreStatus)),
    security(("bearer" = [])),
)]
async fn store_status(State(state): State<AppState>) -> Json<views::StoreStatus> {
    let Some(store) = &state.store else {
        return Json(views::StoreStatus::default());
    };
    let stats = store.recorder.stats();
    Json(views::StoreStatus {
        backend: Some(store.storage.backend().to_owned()),
        queued: Some(stats.queued),
        written: Some(stats.written),
        batches: Some(stats.batches),
        failed_attempts: Some(stats.failed_attempts),
        overflowed: Some(stats.overflowed),
        failing: Some(stats.failing),
        last_error: Some(stats.last_error),
    })
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
