//! The REST API on real sockets: the controller (`server::spawn` on port
//! 0), the API router on another port-0 listener, fake agents speaking
//! the real protocol, and a minimal HTTP/1.1 client.
//!
//! Every JSON answer any test gets is checked against the OpenAPI
//! document: its status must be one the document gives the operation, and
//! its body must fit the documented schema (no missing required field, no
//! undocumented one, every value of the documented type).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use odin_controller::core::{Controller, ControllerConfig, LvapState};
use odin_controller::rest::{self, tokens, ApiStore, ApiTokens};
use odin_controller::server::{self, ControllerHandle, ServerConfig};
use odin_controller::store::{self, EventRecord, Recorder, RecorderConfig, StoreOp};
use odin_proto::auth::{self, Nonce, Role};
use odin_proto::codec::Codec;
use odin_proto::msg::{
    AgentMsg, Band, ClientEvent, ClientStats, ControllerMsg, DropCount, Outcome, RadioInfo,
    RadioStats, PROTOCOL_VERSION,
};
use odin_proto::{MacAddr, StationState};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const SECRET: &[u8] = b"correct horse battery staple";
const TOKEN: &str = "odin_test_token";
const CLIENT: MacAddr = MacAddr([0x02, 0, 0, 0, 0x01, 0x00]);

// ---------------------------------------------------------------------
// The controller and the API.

struct Net {
    handle: ControllerHandle,
    api: SocketAddr,
    /// Stops the controller (the API keeps serving, answering 503).
    controller_stop: CancellationToken,
    api_stop: CancellationToken,
    _tasks: TaskTracker,
}

impl Drop for Net {
    fn drop(&mut self) {
        self.controller_stop.cancel();
        self.api_stop.cancel();
    }
}

async fn start_with(config: ControllerConfig, tokens: ApiTokens) -> Net {
    start_with_store(config, tokens, None).await
}

/// The controller (with the built-in apps registered, none enabled) and
/// its API, reading the event history from `store` if any.
async fn start_with_store(
    config: ControllerConfig,
    tokens: ApiTokens,
    store: Option<ApiStore>,
) -> Net {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let controller_stop = CancellationToken::new();
    let api_stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    let mut core = Controller::new(config);
    for kind in odin_controller::apps::builtin() {
        core.register_app(kind);
    }
    let handle = server::spawn(
        listener,
        core,
        ServerConfig::new(SECRET),
        controller_stop.clone(),
        &tasks,
    )
    .unwrap();
    let api_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = api_listener.local_addr().unwrap();
    let router = rest::router_with_store(handle.clone(), tokens, store);
    tasks.spawn(rest::serve(api_listener, router, api_stop.clone()));
    Net {
        handle,
        api,
        controller_stop,
        api_stop,
        _tasks: tasks,
    }
}

async fn start() -> Net {
    start_with(ControllerConfig::default(), ApiTokens::from_tokens([TOKEN])).await
}

// ---------------------------------------------------------------------
// A minimal HTTP/1.1 client: one request per connection.

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_else(|| {
            panic!("no error message in {} {}", self.status, self.body);
        })
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&body[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        body = &body[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || method == "POST" {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw))
        .await
        .expect("no HTTP answer in 20 s")
        .unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut payload = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        payload = dechunk(&payload);
    }
    let reply_type = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert_eq!(
        reply_type,
        "application/json",
        "every answer is JSON ({status}: {:?})",
        String::from_utf8_lossy(&payload)
    );
    let body = serde_json::from_slice(&payload).unwrap();
    check_documented(method, path, status, &body);
    Reply {
        status,
        headers,
        body,
    }
}

/// Sends a request and reads only the answer's head (status line and
/// headers): for answers that do not end (the event stream) or are not
/// JSON. Returns the status and the head's text.
async fn head(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or("");
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    while !raw.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte))
            .await
            .expect("an answer's head within 10 s")
            .unwrap();
        assert!(n > 0, "the connection closed before the head ended");
        raw.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    (status, text)
}

const AUTH: (&str, &str) = ("Authorization", "Bearer odin_test_token");
const JSON: (&str, &str) = ("Content-Type", "application/json");

async fn get(net: &Net, path: &str) -> Reply {
    http(net.api, "GET", path, &[AUTH], None).await
}

async fn post(net: &Net, path: &str, body: Value) -> Reply {
    http(
        net.api,
        "POST",
        path,
        &[AUTH, JSON],
        Some(&body.to_string()),
    )
    .await
}

// ---------------------------------------------------------------------
// The OpenAPI document, and answers checked against it.

/// The document the library generates (a test checks the served one is
/// the same).
static DOC: LazyLock<Value> =
    LazyLock::new(|| serde_json::to_value(rest::openapi::document()).unwrap());

/// The document's operations: (method in upper case, path template).
fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            found.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    found
}

/// The document's path template that a request's path matches
/// (`/api/v1/clients/{mac}` for `/api/v1/clients/02:00:00:00:01:00?x`),
/// the one with the most literal segments if several do.
fn template_of(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap();
    let segments: Vec<&str> = path.split('/').collect();
    DOC["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            let mut literal = 0;
            let fits = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(t, s)| {
                    if t.starts_with('{') && t.ends_with('}') {
                        !s.is_empty()
                    } else {
                        literal += 1;
                        t == s
                    }
                });
            fits.then_some((literal, template))
        })
        .max()
        .map(|(_, template)| template.clone())
}

/// A path template with each parameter replaced by the example the
/// document gives it.
fn concrete(method: &str, template: &str) -> String {
    let operation = &DOC["paths"][template][method.to_ascii_lowercase()];
    template
        .split('/')
        .map(
            |part| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                None => part.to_owned(),
                Some(name) => {
                    let parameter = operation["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|p| p["name"] == name && p["in"] == "path")
                        .unwrap_or_else(|| panic!("{method} {template}: {name} is not documented"));
                    assert_eq!(parameter["required"], true, "{method} {template}: {name}");
                    match &parameter["example"] {
                        Value::String(text) => text.clone(),
                        Value::Number(n) => n.to_string(),
                        other => panic!("{method} {template}: {name} has no example ({other})"),
                    }
                }
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Checks a JSON answer against the document: the status is one the
/// operation documents, and the body fits its schema. Requests to no
/// endpoint, or with a method the endpoint does not take (the router's
/// JSON 404 and 405), are no operation and are not checked.
fn check_documented(method: &str, path: &str, status: u16, body: &Value) {
    let Some(template) = template_of(path) else {
        return;
    };
    let Some(operation) = DOC["paths"][&template].get(method.to_ascii_lowercase()) else {
        return;
    };
    let response = operation["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| {
            panic!("{method} {template}: status {status} is not documented (body {body})")
        });
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {template}: no JSON body documented for {status} (body {body})"
    );
    if let Err(why) = fits(body, schema, "body") {
        panic!("{method} {template} {status}: {why}\n{body}");
    }
}

/// A `$ref` to a component followed to its schema.
fn resolve(schema: &Value) -> &Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("a $ref outside the components: {reference}"));
            let target = &DOC["components"]["schemas"][name];
            assert!(target.is_object(), "a $ref to nothing: {reference}");
            resolve(target)
        }
        None => schema,
    }
}

/// The JSON type of a value, as a schema names it.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether `value` fits `schema` (the subset of JSON Schema the document
/// uses: `$ref`, `oneOf`, `allOf`, `type`, `enum`, `minimum`,
/// `properties`, `required`, `additionalProperties`, `items`). An object
/// with a field its schema does not list does not fit.
fn fits(value: &Value, schema: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(schema);
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            fits(value, part, at)?;
        }
    }
    if let Some(choices) = schema["oneOf"].as_array() {
        let matching = choices
            .iter()
            .filter(|c| fits(value, c, at).is_ok())
            .count();
        if matching != 1 {
            return Err(format!(
                "{at}: {value} fits {matching} of the oneOf {choices:?}"
            ));
        }
    }
    if let Some(choices) = schema["enum"].as_array() {
        if !choices.contains(value) {
            return Err(format!("{at}: {value} is none of {choices:?}"));
        }
    }
    let actual = json_type(value);
    let allowed: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let integer_as_number = actual == "integer" && allowed.contains(&"number");
    if !allowed.is_empty() && !allowed.contains(&actual) && !integer_as_number {
        return Err(format!("{at}: {value} is {actual}, not {allowed:?}"));
    }
    if let (Some(minimum), Some(number)) = (schema["minimum"].as_f64(), value.as_f64()) {
        if number < minimum {
            return Err(format!("{at}: {value} is below {minimum}"));
        }
    }
    match value {
        Value::Object(fields) => {
            if let Some(properties) = schema["properties"].as_object() {
                for required in schema["required"].as_array().into_iter().flatten() {
                    let name = required.as_str().unwrap();
                    if !fields.contains_key(name) {
                        return Err(format!("{at}: no `{name}`"));
                    }
                }
                for (name, field) in fields {
                    match properties.get(name) {
                        Some(s) => fits(field, s, &format!("{at}.{name}"))?,
                        None if schema["additionalProperties"] == true => {}
                        None => return Err(format!("{at}: `{name}` is not documented")),
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    fits(v, item, &format!("{at}[{i}]"))?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[test]
fn the_schema_check_refuses_what_does_not_fit() {
    let agent = json!({"$ref": "#/components/schemas/AgentView"});
    let good = json!({"name": "ap1", "up": true, "connected": true, "software": "x",
        "last_heard_ms_ago": null, "last_down": null, "frames_dropped": {}, "radios": [{
            "index": 0, "name": "phy0", "address": "02:00:00:01:00:00", "band": "ghz2",
            "channel": 1, "channels": [1], "ht": true, "vht": false, "max_lvaps": 4,
            "lvaps": [], "load": 0, "utilization": 0.5, "stats_age_ms": null}]});
    assert_eq!(fits(&good, &agent, "body"), Ok(()));
    let mut extra = good.clone();
    extra["surprise"] = json!(1);
    assert!(fits(&extra, &agent, "body")
        .unwrap_err()
        .contains("`surprise` is not documented"));
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("up");
    assert!(fits(&missing, &agent, "body")
        .unwrap_err()
        .contains("no `up`"));
    let mut wrong = good.clone();
    wrong["radios"][0]["band"] = json!("ghz7");
    assert!(fits(&wrong, &agent, "body").is_err());
    wrong = good.clone();
    wrong["radios"][0]["channel"] = json!(-1);
    assert!(fits(&wrong, &agent, "body").unwrap_err().contains("below"));
    wrong = good;
    wrong["last_down"] = json!(3);
    assert!(fits(&wrong, &agent, "body").unwrap_err().contains("not"));
    // Both shapes of a handoff's answer fit, and nothing else does.
    let answer = json!({"$ref": "#/components/schemas/HandoffAnswer"});
    assert_eq!(
        fits(&json!({"already_serving": true}), &answer, "body"),
        Ok(())
    );
    assert!(fits(&json!({"already": true}), &answer, "body").is_err());
    assert_eq!(
        template_of("/api/v1/clients/x/handoff?y").as_deref(),
        Some("/api/v1/clients/{mac}/handoff")
    );
    assert_eq!(template_of("/api/v1/nothing"), None);
}

// ---------------------------------------------------------------------
// Fake agents: the real handshake and hello, then scripted answers.

#[derive(Debug, Clone, Default)]
struct Script {
    /// Wait this long before answering each handoff step.
    step_delay: Duration,
    /// Never answer `AddLvap` carrying a station (a migration's step 2).
    silent_import: bool,
    /// Answer `SetChannel` to this channel with `Failed`.
    fail_channel: Option<u8>,
    /// Never answer `SetChannel` to this channel.
    silent_channel: Option<u8>,
}

struct FakeAgent {
    outbound: mpsc::UnboundedSender<AgentMsg>,
    seen: Arc<Mutex<Vec<ControllerMsg>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeAgent {
    fn send(&self, msg: AgentMsg) {
        self.outbound.send(msg).unwrap();
    }

    fn seen(&self) -> Vec<ControllerMsg> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn radio(agent: u8, index: u32, channel: u8, max_lvaps: u32) -> RadioInfo {
    RadioInfo {
        index,
        name: format!("phy{index}"),
        addr: MacAddr([0x02, 0, 0, agent, 0, index as u8]),
        band: Band::Ghz2,
        channel,
        channels: vec![1, 6, 11],
        ht: true,
        vht: false,
        max_lvaps,
    }
}

type AgentSide = Framed<TcpStream, Codec<ControllerMsg, AgentMsg>>;

async fn next(framed: &mut AgentSide) -> ControllerMsg {
    match tokio::time::timeout(Duration::from_secs(5), framed.next()).await {
        Ok(Some(Ok(Ok(msg)))) => msg,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// What the fake agent answers to a command (`None`: nothing).
fn answer(
    msg: &ControllerMsg,
    lvaps: &mut HashMap<MacAddr, MacAddr>,
    script: &Script,
) -> Option<(AgentMsg, Duration)> {
    let done = |id| AgentMsg::Result {
        id,
        outcome: Outcome::Done,
    };
    let step = script.step_delay;
    match msg {
        ControllerMsg::AddLvap { id, lvap, station } => {
            lvaps.insert(lvap.bssid, lvap.client);
            if station.is_some() {
                (!script.silent_import).then(|| (done(*id), step))
            } else {
                Some((done(*id), Duration::ZERO))
            }
        }
        ControllerMsg::ExportLvap { id, bssid } => {
            let client = lvaps.get(bssid).copied().unwrap_or(CLIENT);
            let station = StationState {
                aid: 1,
                ..StationState::unassociated(client, *bssid)
            };
            let outcome = Outcome::Station { station };
            Some((AgentMsg::Result { id: *id, outcome }, step))
        }
        ControllerMsg::RemoveLvap { id, bssid, .. } => {
            lvaps.remove(bssid);
            Some((done(*id), step))
        }
        ControllerMsg::AuthorizeLvap { id, .. } => Some((done(*id), step)),
        ControllerMsg::SetChannel { id, channel, .. } => {
            if script.silent_channel == Some(*channel) {
                None
            } else if script.fail_channel == Some(*channel) {
                let outcome = Outcome::Failed {
                    reason: format!("channel {channel} is busy"),
                };
                Some((AgentMsg::Result { id: *id, outcome }, Duration::ZERO))
            } else {
                Some((done(*id), Duration::ZERO))
            }
        }
        ControllerMsg::Subscribe { id, .. } | ControllerMsg::Unsubscribe { id, .. } => {
            Some((done(*id), Duration::ZERO))
        }
        ControllerMsg::Challenge { .. }
        | ControllerMsg::Welcome { .. }
        | ControllerMsg::Network { .. }
        | ControllerMsg::Error { .. } => None,
    }
}

/// Connects, authenticates, says hello with `radios`, and answers the
/// controller's commands as `script` says.
async fn fake_agent(
    handle: &ControllerHandle,
    name: &str,
    radios: Vec<RadioInfo>,
    script: Script,
) -> FakeAgent {
    let stream = TcpStream::connect(handle.local_addr()).await.unwrap();
    let mut framed: AgentSide = Framed::new(stream, Codec::default());
    let ControllerMsg::Challenge { nonce, .. } = next(&mut framed).await else {
        panic!("no challenge")
    };
    let (nc, na) = (Nonce::from_hex(&nonce).unwrap(), Nonce::random());
    framed
        .send(AgentMsg::Auth {
            agent: name.into(),
            nonce: na.to_hex(),
            proof: auth::prove(SECRET, Role::Agent, &nc, &na, name),
        })
        .await
        .unwrap();
    assert!(matches!(
        next(&mut framed).await,
        ControllerMsg::Welcome { .. }
    ));
    framed
        .send(AgentMsg::Hello {
            version: PROTOCOL_VERSION,
            software: format!("fake-agent {name}"),
            radios,
            lvaps: vec![],
        })
        .await
        .unwrap();
    assert!(matches!(
        next(&mut framed).await,
        ControllerMsg::Network { .. }
    ));
    let (outbound, mut rx) = mpsc::unbounded_channel::<AgentMsg>();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let task = tokio::spawn(async move {
        let mut lvaps = HashMap::new();
        loop {
            tokio::select! {
                incoming = framed.next() => {
                    let Some(Ok(Ok(msg))) = incoming else { return };
                    log.lock().unwrap().push(msg.clone());
                    if let Some((reply, delay)) = answer(&msg, &mut lvaps, &script) {
                        tokio::time::sleep(delay).await;
                        if framed.send(reply).await.is_err() {
                            return;
                        }
                    }
                }
                out = rx.recv() => {
                    let Some(msg) = out else { return };
                    if framed.send(msg).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    FakeAgent {
        outbound,
        seen,
        task,
    }
}

/// Polls the controller until `check` holds (or fails after 5 s).
async fn wait_for(
    handle: &ControllerHandle,
    what: &str,
    check: impl Fn(&Controller) -> bool + Clone + Send + 'static,
) {
    for _ in 0..500 {
        let check = check.clone();
        if handle.inspect(move |core| check(core)).await.unwrap() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

fn lvap_of(core: &Controller, client: MacAddr) -> Option<(String, LvapState)> {
    core.client(&client)
        .and_then(|c| c.lvap.as_ref())
        .map(|l| (l.at.agent.clone(), l.state))
}

/// Two agents with the same script: `ap1` (one radio, channel 1) and
/// `ap2` (radio 0 on channel 6, radio 1 with no room); `CLIENT` heard by
/// both, placed on `ap1`, associated and authorized there, with
/// statistics.
async fn two_agents(net: &Net, script: Script) -> (FakeAgent, FakeAgent) {
    let ap1 = fake_agent(&net.handle, "ap1", vec![radio(1, 0, 1, 4)], script.clone()).await;
    let ap2 = fake_agent(
        &net.handle,
        "ap2",
        vec![radio(2, 0, 6, 4), radio(2, 1, 11, 0)],
        script,
    )
    .await;
    for (agent, signal_dbm) in [(&ap1, -40), (&ap2, -60)] {
        agent.send(AgentMsg::ClientHeard {
            radio: 0,
            client: CLIENT,
            signal_dbm,
            ssid: vec![],
        });
    }
    wait_for(&net.handle, "the client placed on ap1", |core| {
        lvap_of(core, CLIENT) == Some(("ap1".into(), LvapState::Active))
    })
    .await;
    let bssid = net
        .handle
        .inspect(|core| core.client(&CLIENT).unwrap().bssid.unwrap())
        .await
        .unwrap();
    ap1.send(AgentMsg::Client {
        bssid,
        client: CLIENT,
        event: ClientEvent::Authorized,
        station: Some(StationState {
            aid: 1,
            ..StationState::unassociated(CLIENT, bssid)
        }),
    });
    ap1.send(AgentMsg::Stats {
        clients: vec![ClientStats {
            client: CLIENT,
            radio: 0,
            signal_dbm: Some(-41),
            served: true,
            rx_bytes: 1234,
            tx_bytes: 5678,
            inactive_ms: 20,
            tx_rate_kbps: Some(72_200),
            rx_rate_kbps: Some(6_000),
        }],
        radios: vec![RadioStats {
            radio: 0,
            channel: 1,
            lvaps: 1,
            utilization: Some(0.25),
        }],
        drops: vec![DropCount {
            cause: "no_lvap".into(),
            frames: 4,
        }],
    });
    wait_for(&net.handle, "the client's station and stats", |core| {
        core.client(&CLIENT)
            .is_some_and(|c| c.station.is_some() && !c.stats.is_empty())
    })
    .await;
    (ap1, ap2)
}

/// `value` without the fields that are ages (they grow between requests).
fn without_ages(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "age_ms" | "stats_age_ms" | "last_heard_ms_ago" | "elapsed_ms"
                    )
                })
                .map(|(k, v)| (k.clone(), without_ages(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_ages).collect()),
        other => other.clone(),
    }
}

fn temp_path(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("odin-rest-{}-{tag}-{n}", std::process::id()))
}

// ---------------------------------------------------------------------
// The tests.

#[tokio::test]
async fn health_is_open_and_everything_else_needs_a_valid_token() {
    let net = start().await;
    let health = http(net.api, "GET", "/api/v1/health", &[], None).await;
    assert_eq!(
        (health.status, health.body.clone()),
        (200, json!({"status": "ok"}))
    );

    // Every documented operation but health, its path parameters filled in
    // with the document's examples.
    let protected: Vec<(String, String)> = documented_operations(&DOC)
        .into_iter()
        .filter(|(_, template)| template != "/api/v1/health")
        .map(|(method, template)| {
            let path = concrete(&method, &template);
            (method, path)
        })
        .collect();
    assert_eq!(protected.len(), rest::endpoints().len() - 1);
    for (method, path) in &protected {
        let (method, path) = (method.as_str(), path.as_str());
        // No token.
        let r = http(net.api, method, path, &[JSON], Some("{}")).await;
        assert_eq!(r.status, 401, "{method} {path}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"odin\""));
        assert!(r.error().contains("missing API token"), "{}", r.error());
        // A wrong token.
        let wrong = [("Authorization", "Bearer odin_not_it"), JSON];
        let r = http(net.api, method, path, &wrong, Some("{}")).await;
        assert_eq!(r.status, 401, "{method} {path}");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Bearer realm=\"odin\", error=\"invalid_token\"")
        );
        assert_eq!(r.error(), "invalid API token");
    }
    // Another scheme, or an empty bearer token, is no token.
    for value in ["Basic b2RpbjpvZGlu", "Bearer ", "odin_test_token"] {
        let r = http(
            net.api,
            "GET",
            "/api/v1/agents",
            &[("Authorization", value)],
            None,
        )
        .await;
        assert_eq!(r.status, 401, "{value}");
        assert!(r.error().contains("missing"), "{value}: {}", r.error());
    }
    // The right one, with the scheme in any case.
    let r = get(&net, "/api/v1/agents").await;
    assert_eq!((r.status, r.body), (200, json!({"agents": []})));
    let lower = [("authorization", "bearer odin_test_token")];
    let r = http(net.api, "GET", "/api/v1/clients", &lower, None).await;
    assert_eq!((r.status, r.body), (200, json!({"clients": []})));
    // Unknown endpoints and methods: JSON too.
    let r = get(&net, "/api/v1/nothing").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error(), "no such endpoint");
    let r = http(net.api, "DELETE", "/api/v1/clients", &[AUTH], None).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn without_authentication_every_request_is_served() {
    let net = start_with(ControllerConfig::default(), ApiTokens::insecure_no_auth()).await;
    let r = http(net.api, "GET", "/api/v1/agents", &[], None).await;
    assert_eq!((r.status, r.body), (200, json!({"agents": []})));
}

#[tokio::test]
async fn tokens_come_from_the_file_and_a_revocation_takes_effect_at_once() {
    let path = temp_path("tokens");
    let dashboard = tokens::create_token(&path, Some("dashboard")).unwrap();
    let ci = tokens::create_token(&path, None).unwrap();
    assert_eq!(ci.name, "token-1");
    assert!(dashboard.token.starts_with("odin_") && dashboard.token.len() == 69);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(&dashboard.token) && !text.contains(&ci.token));
    assert_eq!(text.lines().filter(|l| l.starts_with("sha256:")).count(), 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(matches!(
        tokens::create_token(&path, Some("dashboard")),
        Err(tokens::TokenFileError::NameTaken(_))
    ));
    assert!(matches!(
        tokens::create_token(&path, Some("two words")),
        Err(tokens::TokenFileError::BadName(_))
    ));

    let net = start_with(
        ControllerConfig::default(),
        ApiTokens::from_file(&path).unwrap(),
    )
    .await;
    let as_user = |token: &str| format!("Bearer {token}");
    for token in [&dashboard.token, &ci.token] {
        let auth = as_user(token);
        let r = http(
            net.api,
            "GET",
            "/api/v1/agents",
            &[("Authorization", &auth)],
            None,
        )
        .await;
        assert_eq!(r.status, 200);
    }
    tokens::revoke_token(&path, "dashboard").unwrap();
    let auth = as_user(&dashboard.token);
    let r = http(
        net.api,
        "GET",
        "/api/v1/agents",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    let auth = as_user(&ci.token);
    let r = http(
        net.api,
        "GET",
        "/api/v1/agents",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let names: Vec<_> = tokens::read_tokens(&path)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, [Some("token-1".to_string())]);
    assert!(matches!(
        tokens::revoke_token(&path, "dashboard"),
        Err(tokens::TokenFileError::NoSuchName(_))
    ));

    // A file broken while the controller runs refuses everyone.
    std::fs::write(&path, "this is not a token line\n").unwrap();
    let r = http(
        net.api,
        "GET",
        "/api/v1/agents",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    // A malformed file is refused at start.
    let e = ApiTokens::from_file(&path).unwrap_err().to_string();
    assert!(e.contains("line 1"), "{e}");
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn agents_and_clients_are_reported() {
    let net = start().await;
    let (_ap1, _ap2) = two_agents(&net, Script::default()).await;

    let r = get(&net, "/api/v1/agents").await;
    assert_eq!(r.status, 200);
    let agents = r.body["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 2);
    let ap1 = &agents[0];
    assert_eq!(ap1["name"], "ap1");
    assert_eq!(ap1["up"], true);
    assert_eq!(ap1["connected"], true);
    assert_eq!(ap1["software"], "fake-agent ap1");
    assert_eq!(ap1["last_down"], Value::Null);
    assert_eq!(ap1["frames_dropped"], json!({"no_lvap": 4}));
    assert!(ap1["last_heard_ms_ago"].as_u64().unwrap() < 5000);
    let r0 = &ap1["radios"][0];
    assert_eq!(r0["index"], 0);
    assert_eq!(r0["name"], "phy0");
    assert_eq!(r0["address"], "02:00:00:01:00:00");
    assert_eq!(r0["band"], "ghz2");
    assert_eq!(r0["channel"], 1);
    assert_eq!(r0["channels"], json!([1, 6, 11]));
    assert_eq!(
        (r0["ht"].clone(), r0["vht"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(r0["max_lvaps"], 4);
    assert_eq!(r0["lvaps"], json!(["02:00:00:00:01:00"]));
    assert_eq!(r0["load"], 1);
    assert_eq!(r0["utilization"], 0.25);
    assert!(r0["stats_age_ms"].as_u64().unwrap() < 5000);
    let ap2 = &agents[1];
    assert_eq!(ap2["radios"].as_array().unwrap().len(), 2);
    assert_eq!(ap2["radios"][0]["lvaps"], json!([]));
    assert_eq!(ap2["radios"][0]["utilization"], Value::Null);
    assert_eq!(ap2["radios"][0]["stats_age_ms"], Value::Null);

    let one = get(&net, "/api/v1/agents/ap2").await;
    assert_eq!(one.status, 200);
    assert_eq!(without_ages(&one.body), without_ages(ap2));
    let r = get(&net, "/api/v1/agents/ap9").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error(), "unknown agent ap9");

    let r = get(&net, "/api/v1/clients").await;
    assert_eq!(r.status, 200);
    let clients = r.body["clients"].as_array().unwrap();
    assert_eq!(clients.len(), 1);
    let c = &clients[0];
    assert_eq!(c["mac"], "02:00:00:00:01:00");
    assert!(c["bssid"].as_str().unwrap().starts_with("06:0d:1e:"));
    assert_eq!(c["associated"], true);
    assert_eq!(c["aid"], 1);
    assert_eq!(
        c["lvap"],
        json!({"agent": "ap1", "radio": 0, "state": "active", "handoff": null})
    );
    let signals = c["signals"].as_array().unwrap();
    assert_eq!(signals.len(), 2);
    assert_eq!(
        (signals[0]["agent"].clone(), signals[0]["radio"].clone()),
        (json!("ap1"), json!(0))
    );
    // The statistics' signal (-41, heard 20 ms before they came) is newer
    // than the probe's.
    assert_eq!(signals[0]["signal_dbm"], -41);
    assert_eq!(
        (
            signals[1]["agent"].clone(),
            signals[1]["signal_dbm"].clone()
        ),
        (json!("ap2"), json!(-60))
    );
    assert!(signals.iter().all(|s| s["age_ms"].as_u64().unwrap() < 5000));
    let stats = c["stats"].as_array().unwrap();
    assert_eq!(stats.len(), 1);
    let s = &stats[0];
    assert_eq!(
        (
            s["agent"].clone(),
            s["radio"].clone(),
            s["signal_dbm"].clone(),
            s["served"].clone(),
            s["rx_bytes"].clone(),
            s["tx_bytes"].clone(),
            s["inactive_ms"].clone()
        ),
        (
            json!("ap1"),
            json!(0),
            json!(-41),
            json!(true),
            json!(1234),
            json!(5678),
            json!(20)
        )
    );
    assert_eq!(
        (s["tx_rate_kbps"].clone(), s["rx_rate_kbps"].clone()),
        (json!(72_200), json!(6_000))
    );
    assert!(s["age_ms"].as_u64().unwrap() < 5000);

    // One client, by address in any accepted spelling.
    for spelling in [
        "02:00:00:00:01:00",
        "02-00-00-00-01-00",
        "02:00:00:00:01:00".to_uppercase().as_str(),
    ] {
        let r = get(&net, &format!("/api/v1/clients/{spelling}")).await;
        assert_eq!(r.status, 200, "{spelling}");
        assert_eq!(without_ages(&r.body), without_ages(c), "{spelling}");
    }
    for bad in [
        "02:00:00:00:01",
        "zz:00:00:00:01:00",
        "02:00:00:00:01:00:00",
        "client",
    ] {
        let r = get(&net, &format!("/api/v1/clients/{bad}")).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.error().starts_with("bad MAC address"), "{}", r.error());
    }
    let r = get(&net, "/api/v1/clients/02:00:00:00:09:09").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error(), "unknown client 02:00:00:00:09:09");
}

#[tokio::test]
async fn a_handoff_moves_the_client_and_reports_its_steps() {
    let net = start().await;
    let script = Script {
        step_delay: Duration::from_millis(2),
        ..Script::default()
    };
    let (ap1, ap2) = two_agents(&net, script).await;
    let handoff = "/api/v1/clients/02:00:00:00:01:00/handoff";

    // Bad requests first: nothing moves.
    let r = post(
        &net,
        "/api/v1/clients/02:00:00:00:01/handoff",
        json!({"agent": "ap2"}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.error().starts_with("bad MAC address"));
    for (body, what) in [
        ("{\"agent\": \"ap2\"", "malformed JSON"),
        ("[1, 2]", "invalid request body"),
        ("{}", "missing field `agent`"),
        ("{\"agent\": 2}", "invalid type"),
        ("{\"agent\": \"ap2\", \"radio\": -1}", "invalid value"),
        (
            "{\"agent\": \"ap2\", \"to\": \"ap3\"}",
            "unknown field `to`",
        ),
        ("{\"agent\": \"\"}", "`agent` is empty"),
        ("", "malformed JSON"),
    ] {
        let r = http(net.api, "POST", handoff, &[AUTH, JSON], Some(body)).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.error().contains(what), "{body}: {}", r.error());
    }
    let r = http(
        net.api,
        "POST",
        handoff,
        &[AUTH],
        Some("{\"agent\": \"ap2\"}"),
    )
    .await;
    assert_eq!(r.status, 415);
    let r = post(
        &net,
        "/api/v1/clients/02:00:00:00:09:09/handoff",
        json!({"agent": "ap2"}),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error(), "unknown client 02:00:00:00:09:09");
    let r = post(&net, handoff, json!({"agent": "ap9"})).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error(), "unknown agent ap9");
    let r = post(&net, handoff, json!({"agent": "ap2", "radio": 7})).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error(), "unknown radio ap2/7");
    let r = post(&net, handoff, json!({"agent": "ap2", "radio": 1})).await;
    assert_eq!(r.status, 409);
    assert!(r.error().contains("no room"), "{}", r.error());
    let r = post(&net, handoff, json!({"agent": "ap1"})).await;
    assert_eq!((r.status, r.body), (200, json!({"already_serving": true})));
    assert!(ap1
        .seen()
        .iter()
        .all(|m| !matches!(m, ControllerMsg::ExportLvap { .. })));

    // The handoff.
    let r = post(&net, handoff, json!({"agent": "ap2", "cause": "test"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["handoff"].as_u64().unwrap() >= 1);
    let d = &r.body["durations_us"];
    let steps: Vec<u64> = ["export", "add", "remove", "authorize"]
        .iter()
        .map(|s| d[s].as_u64().unwrap_or_else(|| panic!("no {s} in {d}")))
        .collect();
    assert!(steps.iter().all(|us| *us >= 2000), "{d}");
    // Steps 3 and 4 (the switch) run together.
    assert!(
        d["total"].as_u64().unwrap() >= steps[0] + steps[1] + steps[2].max(steps[3]),
        "{d}"
    );
    assert!(d["switch_lead"].as_u64().unwrap() >= 5000, "{d}");
    assert_eq!(d.as_object().unwrap().len(), 6);

    // The agents saw the four steps in order.
    let kinds = |agent: &FakeAgent| -> Vec<&'static str> {
        agent
            .seen()
            .iter()
            .filter_map(|m| match m {
                ControllerMsg::ExportLvap { .. } => Some("export"),
                ControllerMsg::AddLvap {
                    station: Some(_), ..
                } => Some("import"),
                ControllerMsg::AddLvap { station: None, .. } => Some("add"),
                ControllerMsg::RemoveLvap {
                    deauthenticate: false,
                    ..
                } => Some("remove silently"),
                ControllerMsg::RemoveLvap { .. } => Some("remove"),
                ControllerMsg::AuthorizeLvap { .. } => Some("authorize"),
                _ => None,
            })
            .collect()
    };
    assert_eq!(kinds(&ap1), ["add", "export", "remove silently"]);
    assert_eq!(kinds(&ap2), ["import", "authorize"]);

    let r = get(&net, "/api/v1/clients/02:00:00:00:01:00").await;
    assert_eq!(
        r.body["lvap"],
        json!({"agent": "ap2", "radio": 0, "state": "active", "handoff": null})
    );
    let r = get(&net, "/api/v1/agents").await;
    assert_eq!(r.body["agents"][0]["radios"][0]["lvaps"], json!([]));
    assert_eq!(
        r.body["agents"][1]["radios"][0]["lvaps"],
        json!(["02:00:00:00:01:00"])
    );

    // Again to the agent that serves it now; to another radio of it.
    let r = post(&net, handoff, json!({"agent": "ap2"})).await;
    assert_eq!((r.status, r.body), (200, json!({"already_serving": true})));
    let r = post(&net, handoff, json!({"agent": "ap2", "radio": 0})).await;
    assert_eq!((r.status, r.body), (200, json!({"already_serving": true})));
    let r = post(&net, handoff, json!({"agent": "ap2", "radio": 1})).await;
    assert_eq!(r.status, 409);
    assert!(r.error().contains("radios of one agent"), "{}", r.error());

    // A target that went away.
    let ap3 = fake_agent(
        &net.handle,
        "ap3",
        vec![radio(3, 0, 1, 4)],
        Script::default(),
    )
    .await;
    drop(ap3);
    wait_for(&net.handle, "ap3 down", |core| {
        core.agents().contains_key("ap3") && !core.is_up("ap3")
    })
    .await;
    let r = post(&net, handoff, json!({"agent": "ap3"})).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.error(), "agent ap3 is down");
    let r = get(&net, "/api/v1/agents/ap3").await;
    assert_eq!(
        (r.body["up"].clone(), r.body["connected"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(r.body["last_down"], "connection closed");
}

#[tokio::test]
async fn a_running_handoff_is_a_conflict_and_a_stopping_controller_a_503() {
    // The target never acknowledges the import; the step would time out
    // only after a minute.
    let config = ControllerConfig {
        step_timeout: Duration::from_secs(60),
        ..ControllerConfig::default()
    };
    let net = start_with(config, ApiTokens::from_tokens([TOKEN])).await;
    let script = Script {
        silent_import: true,
        ..Script::default()
    };
    let (_ap1, _ap2) = two_agents(&net, script).await;
    let api = net.api;
    let running = tokio::spawn(async move {
        let body = json!({"agent": "ap2"}).to_string();
        http(
            api,
            "POST",
            "/api/v1/clients/02:00:00:00:01:00/handoff",
            &[AUTH, JSON],
            Some(&body),
        )
        .await
    });
    wait_for(&net.handle, "the handoff at step 2", |core| {
        core.handoffs()
            .values()
            .any(|h| h.phase == odin_controller::core::handoff::Phase::AddAtTarget)
    })
    .await;

    let r = get(&net, "/api/v1/clients/02:00:00:00:01:00").await;
    let lvap = &r.body["lvap"];
    assert_eq!(
        (lvap["agent"].clone(), lvap["state"].clone()),
        (json!("ap1"), json!("migrating"))
    );
    let h = &lvap["handoff"];
    assert_eq!(h["from"], json!({"agent": "ap1", "radio": 0}));
    assert_eq!(h["to"], json!({"agent": "ap2", "radio": 0}));
    assert_eq!(
        (h["phase"].clone(), h["cause"].clone()),
        (json!("add"), json!("api"))
    );
    let id = h["id"].as_u64().unwrap();

    let r = post(
        &net,
        "/api/v1/clients/02:00:00:00:01:00/handoff",
        json!({"agent": "ap2"}),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["handoff"], id);
    assert!(r.error().contains("handoff"), "{}", r.error());
    let r = post(
        &net,
        "/api/v1/clients/02:00:00:00:01:00/disconnect",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["handoff"], id);

    // The controller stops: the waiting request and every later one get
    // 503 (the API itself keeps serving until its own shutdown).
    net.controller_stop.cancel();
    let r = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the waiting handoff request was answered")
        .unwrap();
    assert_eq!(r.status, 503);
    assert_eq!(r.error(), "the controller is stopping");
    for path in [
        "/api/v1/agents",
        "/api/v1/clients",
        "/api/v1/clients/02:00:00:00:01:00",
    ] {
        let r = get(&net, path).await;
        assert_eq!(r.status, 503, "{path}");
    }
    let r = post(
        &net,
        "/api/v1/clients/02:00:00:00:01:00/disconnect",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 503);
    let r = http(net.api, "GET", "/api/v1/health", &[], None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn a_disconnect_removes_the_lvap_and_deauthenticates() {
    let net = start().await;
    let (ap1, _ap2) = two_agents(&net, Script::default()).await;
    let path = "/api/v1/clients/02:00:00:00:01:00/disconnect";
    let r = http(net.api, "POST", path, &[AUTH], None).await;
    assert_eq!((r.status, r.body), (200, json!({"disconnected": true})));
    assert!(ap1.seen().iter().any(|m| matches!(
        m,
        ControllerMsg::RemoveLvap {
            deauthenticate: true,
            ..
        }
    )));
    let r = get(&net, "/api/v1/clients/02:00:00:00:01:00").await;
    assert_eq!(
        (r.body["lvap"].clone(), r.body["associated"].clone()),
        (Value::Null, json!(false))
    );
    // Nothing left to disconnect; unknown; malformed.
    let r = http(net.api, "POST", path, &[AUTH], None).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.error(), "client 02:00:00:00:01:00 has no LVAP");
    let r = http(
        net.api,
        "POST",
        "/api/v1/clients/02:00:00:00:09:09/disconnect",
        &[AUTH],
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = http(
        net.api,
        "POST",
        "/api/v1/clients/nope/disconnect",
        &[AUTH],
        None,
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn channel_changes_and_every_way_they_fail() {
    let config = ControllerConfig {
        step_timeout: Duration::from_millis(200),
        ..ControllerConfig::default()
    };
    let net = start_with(config, ApiTokens::from_tokens([TOKEN])).await;
    let script = Script {
        fail_channel: Some(11),
        silent_channel: Some(1),
        ..Script::default()
    };
    let ap = fake_agent(&net.handle, "ap1", vec![radio(1, 0, 1, 4)], script).await;
    let channel = "/api/v1/agents/ap1/radios/0/channel";

    let r = post(&net, channel, json!({"channel": 6})).await;
    assert_eq!(
        (r.status, r.body),
        (
            200,
            json!({"channel_set": true, "agent": "ap1", "radio": 0, "channel": 6})
        )
    );
    assert!(ap.seen().iter().any(|m| matches!(
        m,
        ControllerMsg::SetChannel {
            radio: 0,
            channel: 6,
            ..
        }
    )));
    let r = get(&net, "/api/v1/agents/ap1").await;
    assert_eq!(r.body["radios"][0]["channel"], 6);

    for (body, status, what) in [
        (
            json!({"channel": 13}),
            422,
            "the radio cannot use channel 13",
        ),
        (json!({"channel": 300}), 422, "channel 300 does not exist"),
        (json!({"channel": 0}), 422, "channel 0 does not exist"),
        (json!({"channel": "six"}), 400, "invalid type"),
        (json!({"chanel": 6}), 400, "unknown field"),
        (
            json!({"channel": 11}),
            502,
            "the agent failed: channel 11 is busy",
        ),
        (
            json!({"channel": 1}),
            504,
            "the agent did not answer in time",
        ),
    ] {
        let r = post(&net, channel, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(r.error().contains(what), "{body}: {}", r.error());
    }
    for (path, status, what) in [
        (
            "/api/v1/agents/ap1/radios/x/channel",
            400,
            "bad radio index",
        ),
        (
            "/api/v1/agents/ap1/radios/-1/channel",
            400,
            "bad radio index",
        ),
        (
            "/api/v1/agents/ap1/radios/9/channel",
            404,
            "unknown radio ap1/9",
        ),
        (
            "/api/v1/agents/ap9/radios/0/channel",
            404,
            "unknown agent ap9",
        ),
    ] {
        let r = post(&net, path, json!({"channel": 6})).await;
        assert_eq!(r.status, status, "{path}");
        assert!(r.error().contains(what), "{path}: {}", r.error());
    }
    let r = get(&net, "/api/v1/agents/ap1").await;
    assert_eq!(r.body["radios"][0]["channel"], 6);
}

/// Opens the event stream; returns the connection after the response
/// head (checked: 200, `text/event-stream`).
async fn open_stream(net: &Net, query: &str, token: &str) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(net.api).await.unwrap();
    let request = format!(
        "GET /api/v1/stream{query} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte))
            .await
            .expect("a response head")
            .unwrap();
        if n == 0 {
            break;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    if !head.starts_with("HTTP/1.1 200") {
        return Err(head);
    }
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    Ok(stream)
}

/// Reads the stream until `count` events (`event:` and `data:` pairs)
/// came; returns (kind, data).
async fn read_events(stream: &mut TcpStream, count: usize) -> Vec<(String, Value)> {
    let mut text = String::new();
    let mut events = Vec::new();
    while events.len() < count {
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("events within 10 s")
            .unwrap();
        assert!(n > 0, "the stream ended");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        events = text
            .lines()
            .collect::<Vec<_>>()
            .windows(2)
            .filter_map(|w| {
                let kind = w[0].strip_prefix("event: ")?;
                let data = w[1].strip_prefix("data: ")?;
                Some((kind.to_owned(), serde_json::from_str(data).ok()?))
            })
            .collect();
    }
    events
}

#[tokio::test]
async fn the_event_stream_carries_events_live_filtered_by_kind_and_client() {
    let net = start().await;
    let refused = open_stream(&net, "", "wrong").await.unwrap_err();
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    let refused = open_stream(&net, "?client=nonsense", TOKEN)
        .await
        .unwrap_err();
    assert!(refused.starts_with("HTTP/1.1 400"), "{refused}");
    let mut all = open_stream(&net, "", TOKEN).await.unwrap();
    let mut handoffs = open_stream(
        &net,
        "?kind=handoff_started,handoff_completed&client=02:00:00:00:01:00",
        TOKEN,
    )
    .await
    .unwrap();
    let (ap1, ap2) = two_agents(&net, Script::default()).await;
    let first = read_events(&mut all, 1).await;
    assert_eq!(first[0].0, "agent_up");
    assert_eq!(first[0].1["kind"], "agent_up");
    assert_eq!(first[0].1["agent"], "ap1");
    assert!(first[0].1["detail"]["text"]
        .as_str()
        .unwrap()
        .starts_with("agent ap1 up"));
    let r = post(
        &net,
        "/api/v1/clients/02:00:00:00:01:00/handoff",
        json!({"agent": "ap2", "cause": "stream test"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let moves = read_events(&mut handoffs, 2).await;
    let kinds: Vec<&str> = moves.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["handoff_started", "handoff_completed"]);
    let done = &moves[1].1;
    assert_eq!(done["client"], "02:00:00:00:01:00");
    assert_eq!(done["agent"], "ap2");
    assert_eq!(done["detail"]["cause"], "stream test");
    assert_eq!(done["detail"]["by"], "api");
    assert!(done["detail"]["durations_us"]["total"].is_u64());

    // The same handoff in the Prometheus metrics (which need the token).
    let metrics = text_get(&net, "/metrics", "wrong").await;
    assert!(metrics.starts_with("HTTP/1.1 401"), "{metrics}");
    // The handoff counter follows the events in a task of its own.
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = text_get(&net, "/metrics", TOKEN).await;
        if metrics.contains("odin_handoff_duration_seconds_count 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for line in [
        "odin_agents_up 2",
        "odin_clients 1",
        "odin_lvaps{state=\"active\"} 1",
        "odin_handoffs_total{result=\"completed\",by=\"api\"} 1",
        "odin_handoff_duration_seconds_count 1",
        "odin_agent_messages_total{kind=\"hello\"} 2",
        "odin_protocol_errors_total 0",
        "odin_frames_dropped_total{agent=\"ap1\",cause=\"no_lvap\"} 4",
        "# EOF",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line:?} in\n{metrics}"
        );
    }
    drop((ap1, ap2));
}

/// A GET whose answer is text: the whole response, head and body.
async fn text_get(net: &Net, path: &str, token: &str) -> String {
    let mut stream = TcpStream::connect(net.api).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("an answer")
        .unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    // The body may come chunked: keep the lines that are not chunk sizes.
    raw.lines()
        .filter(|l| !l.chars().all(|c| c.is_ascii_hexdigit()) || l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------
// The OpenAPI document, and bad input at every endpoint.

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_served_endpoints() {
    let net = start().await;
    let r = get(&net, "/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    let doc = r.body;
    assert_eq!(doc, *DOC, "the served document is the generated one");
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3."), "OpenAPI {version}");
    assert_eq!(doc["info"]["title"], "Odin controller REST API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["info"]["description"]
        .as_str()
        .unwrap()
        .contains("bearer token"));
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&bearer["type"], &bearer["scheme"]),
        (&json!("http"), &json!("bearer"))
    );

    // Exactly the endpoints the router is built from, each wanting a token
    // as the router does.
    let served: BTreeSet<(String, String)> = rest::endpoints()
        .iter()
        .map(|e| (e.method.to_string(), e.path.to_owned()))
        .collect();
    assert_eq!(documented_operations(&doc), served);
    for endpoint in rest::endpoints() {
        let method = endpoint.method.as_str().to_ascii_lowercase();
        let operation = &doc["paths"][endpoint.path][&method];
        let secured = operation["security"] == json!([{"bearer": []}]);
        assert_eq!(secured, endpoint.needs_token, "{method} {}", endpoint.path);
    }

    // Every operation: a summary, its own id, a 200, its path parameters
    // (with examples), every error answer a JSON `ErrorBody`.
    let mut ids = BTreeSet::new();
    for (method, template) in documented_operations(&doc) {
        let operation = &doc["paths"][&template][method.to_ascii_lowercase()];
        let what = format!("{method} {template}");
        assert!(
            operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{what}: no summary"
        );
        let id = operation["operationId"].as_str().unwrap().to_owned();
        assert!(ids.insert(id), "{what}: its operationId is taken");
        assert!(operation["responses"]["200"].is_object(), "{what}: no 200");
        concrete(&method, &template);
        for (status, response) in operation["responses"].as_object().unwrap() {
            assert!(response["description"].is_string(), "{what} {status}");
            if status.as_str() >= "400" {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{what} {status}"
                );
            }
        }
    }
    // Every reference leads somewhere.
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(fields) => {
                if let Some(Value::String(r)) = fields.get("$ref") {
                    out.push(r);
                }
                fields.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50, "{}", all.len());
    for reference in all {
        resolve(&json!({ "$ref": reference }));
    }

    // The live router serves each documented operation (any answer but
    // 405) at a path that exists (another method there: 405).
    for (method, template) in documented_operations(&doc) {
        let path = concrete(&method, &template);
        let body = matches!(method.as_str(), "POST" | "PUT").then_some("{}");
        let (status, head_text) = head(net.api, &method, &path, &[AUTH, JSON], body).await;
        assert_ne!(status, 405, "{method} {path}: {head_text}");
        assert_ne!(status, 401, "{method} {path}: {head_text}");
        let r = http(net.api, "DELETE", &path, &[AUTH], None).await;
        assert_eq!(r.status, 405, "DELETE {path}");
        assert_eq!(r.error(), "this endpoint does not take that method");
    }

    // The answers that are not JSON have the documented media types.
    for (path, media) in [
        ("/api/v1/stream", "text/event-stream"),
        ("/metrics", "application/openmetrics-text"),
    ] {
        let content = &doc["paths"][path]["get"]["responses"]["200"]["content"];
        assert!(content[media]["schema"].is_object(), "{path}: {content}");
        let (status, head_text) = head(net.api, "GET", path, &[AUTH], None).await;
        assert_eq!(status, 200, "{head_text}");
        assert!(
            head_text
                .to_ascii_lowercase()
                .contains(&format!("content-type: {media}")),
            "{path}: {head_text}"
        );
    }
}

/// A bad request: the endpoint it is for (method, path template), then
/// the request's method, path, content type and body, the status it gets
/// and what its error says.
type BadInput<'a> = (
    (&'a str, &'a str),
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    u16,
    &'a str,
);

#[tokio::test]
async fn every_endpoint_refuses_bad_input_with_its_status_and_a_clear_message() {
    let net = start().await;
    const NOT_THAT_METHOD: &str = "this endpoint does not take that method";
    let json = Some("application/json");
    let channel = "/api/v1/agents/{agent}/radios/{radio}/channel";
    let handoff = "/api/v1/clients/{mac}/handoff";
    let enable = "/api/v1/apps/{name}/enable";
    let config = "/api/v1/apps/{name}/config";
    let too_big = json!({"agent": "a".repeat(rest::MAX_BODY)}).to_string();
    let long_cause = json!({"agent": "ap2", "cause": "c".repeat(257)}).to_string();
    #[rustfmt::skip]
    let cases: Vec<BadInput<'_>> = vec![
        (("GET", "/api/v1/health"), "POST", "/api/v1/health", None, None, 405, NOT_THAT_METHOD),
        (("GET", "/api/v1/openapi.json"), "PUT", "/api/v1/openapi.json", json, Some("{}"), 405, NOT_THAT_METHOD),
        (("GET", "/api/v1/agents"), "DELETE", "/api/v1/agents", None, None, 405, NOT_THAT_METHOD),
        (("GET", "/api/v1/agents/{agent}"), "GET", "/api/v1/agents/%FF", None, None, 400, "UTF-8"),
        (("GET", "/api/v1/agents/{agent}"), "GET", "/api/v1/agents/nope", None, None, 404, "unknown agent nope"),
        (("POST", channel), "POST", "/api/v1/agents/ap1/radios/0/channel", json, Some("{\"channel\": 6"), 400, "malformed JSON body"),
        (("POST", channel), "POST", "/api/v1/agents/ap1/radios/0/channel", json, Some("{}"), 400, "missing field `channel`"),
        (("POST", channel), "POST", "/api/v1/agents/ap1/radios/0/channel", json, Some("{\"channel\": 6.5}"), 400, "invalid type: floating point"),
        (("POST", channel), "POST", "/api/v1/agents/ap1/radios/0/channel", None, Some("{\"channel\": 6}"), 415, "Content-Type: application/json"),
        (("POST", channel), "POST", "/api/v1/agents/ap1/radios/zero/channel", json, Some("{\"channel\": 6}"), 400, "bad radio index \"zero\""),
        (("POST", channel), "POST", "/api/v1/agents/nope/radios/0/channel", json, Some("{\"channel\": 6}"), 404, "unknown agent nope"),
        (("GET", "/api/v1/clients"), "PATCH", "/api/v1/clients", None, None, 405, NOT_THAT_METHOD),
        (("GET", "/api/v1/clients/{mac}"), "GET", "/api/v1/clients/02:00:00:00:01:0g", None, None, 400, "bad MAC address"),
        (("POST", handoff), "POST", "/api/v1/clients/02:00:00:00:01:00/handoff", json, Some(&too_big), 413, "length limit exceeded"),
        (("POST", handoff), "POST", "/api/v1/clients/02:00:00:00:01:00/handoff", json, Some("{\"agent\": \"ap2\", \"radio\": \"one\"}"), 400, "invalid type: string \"one\""),
        (("POST", handoff), "POST", "/api/v1/clients/02:00:00:00:01:00/handoff", json, Some(&long_cause), 400, "`cause` is longer than 256 bytes"),
        (("POST", handoff), "POST", "/api/v1/clients/02:00:00:00:01:00/handoff", json, Some("{\"agent\": \"ap2\"}"), 404, "unknown client 02:00:00:00:01:00"),
        (("POST", "/api/v1/clients/{mac}/disconnect"), "POST", "/api/v1/clients/02-00-00-00-01/disconnect", None, None, 400, "bad MAC address"),
        (("POST", "/api/v1/clients/{mac}/disconnect"), "POST", "/api/v1/clients/02:00:00:00:01:00/disconnect", None, None, 404, "unknown client 02:00:00:00:01:00"),
        (("GET", "/api/v1/apps"), "POST", "/api/v1/apps", json, Some("{}"), 405, NOT_THAT_METHOD),
        (("POST", enable), "POST", "/api/v1/apps/nope/enable", None, None, 404, "unknown app nope"),
        (("POST", enable), "POST", "/api/v1/apps/rescue/enable", json, Some("{\"config\": "), 400, "malformed JSON body"),
        (("POST", enable), "POST", "/api/v1/apps/rescue/enable", json, Some("{\"confg\": {}}"), 400, "unknown field `confg`"),
        (("POST", enable), "POST", "/api/v1/apps/rescue/enable", Some("text/plain"), Some("{}"), 415, "Content-Type: application/json"),
        (("POST", enable), "POST", "/api/v1/apps/rescue/enable", json, Some("{\"config\": {\"threshold_dbm\": \"low\"}}"), 422, "the app refused its configuration"),
        (("POST", "/api/v1/apps/{name}/disable"), "POST", "/api/v1/apps/nope/disable", None, None, 404, "unknown app nope"),
        (("PUT", config), "PUT", "/api/v1/apps/nope/config", json, Some("{}"), 404, "unknown app nope"),
        (("PUT", config), "PUT", "/api/v1/apps/rescue/config", json, Some("[1, 2"), 400, "malformed JSON body"),
        (("PUT", config), "PUT", "/api/v1/apps/rescue/config", json, Some("{\"margin\": 3}"), 422, "unknown field `margin`"),
        (("PUT", config), "PUT", "/api/v1/apps/rescue/config", None, Some("{}"), 415, "Content-Type: application/json"),
        (("GET", "/api/v1/events"), "GET", "/api/v1/events?limit=many", None, None, 400, "limit"),
        (("GET", "/api/v1/events"), "GET", "/api/v1/events?since=-1", None, None, 400, "since"),
        (("GET", "/api/v1/events"), "GET", "/api/v1/events?colour=red", None, None, 400, "unknown field `colour`"),
        (("GET", "/api/v1/events"), "GET", "/api/v1/events?kind=client_joined", None, None, 503, "keeps no event history (no store)"),
        (("GET", "/api/v1/stream"), "GET", "/api/v1/stream?client=nope", None, None, 400, "bad MAC address"),
        (("GET", "/api/v1/stream"), "GET", "/api/v1/stream?kinds=agent_up", None, None, 400, "unknown field `kinds`"),
        (("GET", "/api/v1/store"), "DELETE", "/api/v1/store", None, None, 405, NOT_THAT_METHOD),
        (("GET", "/metrics"), "POST", "/metrics", json, Some("{}"), 405, NOT_THAT_METHOD),
    ];
    let mut covered = BTreeSet::new();
    for ((endpoint_method, template), method, path, content_type, body, status, says) in cases {
        let headers: Vec<(&str, &str)> = std::iter::once(AUTH)
            .chain(content_type.map(|t| ("Content-Type", t)))
            .collect();
        let r = http(net.api, method, path, &headers, body).await;
        let shown: String = body.unwrap_or("").chars().take(60).collect();
        assert_eq!(r.status, status, "{method} {path} {shown}: {}", r.body);
        assert!(
            r.error().contains(says),
            "{method} {path} {shown}: {:?} does not say {says:?}",
            r.error()
        );
        assert_eq!(template_of(path).as_deref(), Some(template), "{path}");
        covered.insert((endpoint_method.to_owned(), template.to_owned()));
    }
    assert_eq!(
        covered,
        documented_operations(&DOC),
        "every endpoint gets bad input"
    );
    // Nothing was changed by any of it.
    let r = get(&net, "/api/v1/apps").await;
    assert_eq!(
        (
            r.body["apps"][0]["name"].clone(),
            r.body["apps"][0]["enabled"].clone()
        ),
        (json!("rescue"), json!(false))
    );
    let r = get(&net, "/api/v1/store").await;
    assert_eq!((r.status, r.body), (200, json!({"backend": null})));
}

#[tokio::test]
async fn the_event_history_and_the_store_status_come_from_the_store() {
    let storage = store::open("sqlite::memory:").await.unwrap();
    let recorder = Recorder::spawn(Arc::clone(&storage), RecorderConfig::default());
    for i in 0..5u64 {
        recorder.record(StoreOp::AppendEvent(EventRecord {
            at_unix_us: 1_000 + i,
            kind: if i % 2 == 0 {
                "client_joined"
            } else {
                "handoff_completed"
            }
            .to_owned(),
            client: Some(CLIENT),
            agent: Some("ap1".to_owned()),
            app: None,
            detail: json!({"text": format!("event {i}")}),
        }));
    }
    recorder.flush().await.unwrap();
    let net = start_with_store(
        ControllerConfig::default(),
        ApiTokens::from_tokens([TOKEN]),
        Some(ApiStore { storage, recorder }),
    )
    .await;

    let r = get(&net, "/api/v1/events").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let events = r.body["events"].as_array().unwrap();
    let texts: Vec<&str> = events
        .iter()
        .map(|e| e["detail"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["event 4", "event 3", "event 2", "event 1", "event 0"]
    );
    assert_eq!(r.body["next_before"], Value::Null);
    let first = &events[0];
    assert_eq!(
        (
            &first["kind"],
            &first["client"],
            &first["agent"],
            &first["app"],
            &first["at_unix_us"]
        ),
        (
            &json!("client_joined"),
            &json!("02:00:00:00:01:00"),
            &json!("ap1"),
            &Value::Null,
            &json!(1004)
        )
    );

    // Pages.
    let r = get(&net, "/api/v1/events?limit=2").await;
    assert_eq!(r.body["events"].as_array().unwrap().len(), 2);
    let before = r.body["next_before"].as_i64().unwrap();
    assert_eq!(before, r.body["events"][1]["id"].as_i64().unwrap());
    let r = get(&net, &format!("/api/v1/events?limit=2&before={before}")).await;
    let texts: Vec<&str> = r.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["event 2", "event 1"]);

    // Filters.
    for (query, count) in [
        ("kind=handoff_completed", 2),
        ("client=02-00-00-00-01-00", 5),
        ("client=02:00:00:00:09:09", 0),
        ("agent=ap2", 0),
        ("since=1003", 2),
        ("until=1001", 1),
        ("since=1001&until=1003&kind=client_joined", 1),
    ] {
        let r = get(&net, &format!("/api/v1/events?{query}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        assert_eq!(r.body["events"].as_array().unwrap().len(), count, "{query}");
    }
    // Bad input, with a store behind it.
    let r = get(&net, "/api/v1/events?client=nope").await;
    assert_eq!(r.status, 400);
    assert!(r.error().starts_with("bad MAC address"), "{}", r.error());
    let r = get(&net, "/api/v1/events?before=first").await;
    assert_eq!(r.status, 400);
    assert!(r.error().contains("before"), "{}", r.error());

    let r = get(&net, "/api/v1/store").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["backend"], "sqlite");
    assert_eq!(r.body["written"], 5);
    assert_eq!(
        (
            &r.body["failed_attempts"],
            &r.body["overflowed"],
            &r.body["failing"],
            &r.body["last_error"]
        ),
        (&json!(0), &json!(0), &json!(false), &Value::Null)
    );
}
