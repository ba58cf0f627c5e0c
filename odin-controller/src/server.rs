//! The controller's network side: accepts agents on TCP, authenticates
//! them (HMAC challenge-response, see `odin_proto::auth`), and runs the
//! sans-IO [`Controller`] in one task that owns it.
//!
//! Tasks: one accept loop; one task per connection (handshake, then
//! frames both ways); one core task. They talk over channels only; the
//! core is never shared, so no lock is ever held across an await.
//!
//! A peer that stops reading cannot stall the controller: each session has
//! a bounded outbound queue, and a session whose queue is full, or whose
//! socket does not accept a frame within `write_timeout`, is closed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use odin_proto::auth::{self, Nonce, Role};
use odin_proto::codec::Codec;
use odin_proto::msg::{AgentMsg, ControllerMsg, PROTOCOL_VERSION};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::core::{
    Command, CommandError, CommandId, CommandOk, Controller, ControllerEvent, Input, Instant,
    Output, SessionId,
};
use crate::persist::Projector;

/// How the server treats connections.
#[derive(Clone)]
pub struct ServerConfig {
    /// The secret agents must prove they hold.
    pub secret: Vec<u8>,
    /// How long an agent has to authenticate.
    pub handshake_timeout: Duration,
    /// Messages queued for one agent before it counts as not reading.
    pub outbound_queue: usize,
    /// How long writing one frame to an agent may take.
    pub write_timeout: Duration,
    /// The kernel's send buffer per agent socket, in bytes: bounded, so
    /// that thousands of agents cannot pin gigabytes in socket buffers and
    /// an agent that stops reading is noticed within `outbound_queue`
    /// messages plus this much.
    pub send_buffer: usize,
    /// TLS around every connection, when set (see `odin_proto::tls`).
    pub tls: Option<odin_proto::tls::TlsAcceptor>,
}

impl core::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("secret", &"<redacted>")
            .field("handshake_timeout", &self.handshake_timeout)
            .field("outbound_queue", &self.outbound_queue)
            .field("write_timeout", &self.write_timeout)
            .field("send_buffer", &self.send_buffer)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl ServerConfig {
    /// Defaults: 5 s to authenticate, 4096 queued messages, 5 s per write,
    /// 256 KiB of socket send buffer.
    pub fn new(secret: &[u8]) -> ServerConfig {
        ServerConfig {
            secret: secret.to_vec(),
            handshake_timeout: Duration::from_secs(5),
            outbound_queue: 4096,
            write_timeout: Duration::from_secs(5),
            send_buffer: 256 * 1024,
            tls: None,
        }
    }
}

type Inspector = Box<dyn FnOnce(&Controller) + Send>;

enum Request {
    Opened {
        session: SessionId,
        agent: String,
        outbound: mpsc::Sender<ControllerMsg>,
        kill: CancellationToken,
    },
    Msg {
        session: SessionId,
        msg: AgentMsg,
    },
    Closed {
        session: SessionId,
    },
    Command {
        command: Command,
        reply: oneshot::Sender<CommandId>,
    },
    Inspect(Inspector),
}

/// The server is gone (shut down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerGone;

impl core::fmt::Display for ServerGone {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the controller has shut down")
    }
}

impl std::error::Error for ServerGone {}

/// A cheap-to-clone handle on a running controller.
#[derive(Clone, Debug)]
pub struct ControllerHandle {
    requests: mpsc::Sender<Request>,
    events: broadcast::Sender<ControllerEvent>,
    addr: SocketAddr,
    /// The origin of the core's clock.
    start: tokio::time::Instant,
}

impl core::fmt::Debug for Request {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Request::Opened { .. } => "Opened",
            Request::Msg { .. } => "Msg",
            Request::Closed { .. } => "Closed",
            Request::Command { .. } => "Command",
            Request::Inspect(_) => "Inspect",
        })
    }
}

impl ControllerHandle {
    /// The address agents connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The core's clock now: the time base of every [`Instant`] in its
    /// state (when an agent was last heard, a signal reported, ...).
    pub fn now(&self) -> Instant {
        Instant::from_micros(self.start.elapsed().as_micros() as u64)
    }

    /// Every event from now on.
    pub fn events(&self) -> broadcast::Receiver<ControllerEvent> {
        self.events.subscribe()
    }

    /// Runs a command and waits for its result.
    pub async fn command(
        &self,
        command: Command,
    ) -> Result<Result<CommandOk, CommandError>, ServerGone> {
        let mut events = self.events.subscribe();
        let (reply, id) = oneshot::channel();
        self.requests
            .send(Request::Command { command, reply })
            .await
            .map_err(|_| ServerGone)?;
        let id = id.await.map_err(|_| ServerGone)?;
        loop {
            match events.recv().await {
                Ok(ControllerEvent::CommandResult { id: done, result }) if done == id => {
                    return Ok(result)
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(
                        missed = n,
                        "event receiver lagged while waiting for a command result"
                    );
                }
                Err(broadcast::error::RecvError::Closed) => return Err(ServerGone),
            }
        }
    }

    /// Reads the controller's state.
    pub async fn inspect<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Controller) -> T + Send + 'static,
    ) -> Result<T, ServerGone> {
        let (tx, rx) = oneshot::channel();
        let inspector: Inspector = Box::new(move |core| {
            let _ = tx.send(f(core));
        });
        self.requests
            .send(Request::Inspect(inspector))
            .await
            .map_err(|_| ServerGone)?;
        rx.await.map_err(|_| ServerGone)
    }
}

/// Starts a controller on an already-bound listener (tests bind port 0).
/// Everything stops when `shutdown` is cancelled; `tasks` tracks the
/// spawned tasks so that the caller can wait for them.
pub fn spawn(
    listener: TcpListener,
    core: Controller,
    config: ServerConfig,
    shutdown: CancellationToken,
    tasks: &TaskTracker,
) -> std::io::Result<ControllerHandle> {
    spawn_with_store(listener, core, config, None, shutdown, tasks)
}

/// [`spawn`], recording what every event changes through `projector`
/// (see [`crate::persist`]).
pub fn spawn_with_store(
    listener: TcpListener,
    core: Controller,
    config: ServerConfig,
    projector: Option<Projector>,
    shutdown: CancellationToken,
    tasks: &TaskTracker,
) -> std::io::Result<ControllerHandle> {
    let addr = listener.local_addr()?;
    let (requests, rx) = mpsc::channel::<Request>(8192);
    let (events, _) = broadcast::channel(65536);
    let start = tokio::time::Instant::now();
    let mut core = core;
    // The switch moments of migrations are wall-clock times (agents act
    // on them by their own synchronized clocks).
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    core.set_clock_origin(u64::try_from(unix.as_micros()).unwrap_or(0));
    tasks.spawn(core_task(
        core,
        rx,
        events.clone(),
        projector,
        start,
        shutdown.clone(),
    ));
    let config = Arc::new(config);
    let accept_tasks = tasks.clone();
    let accept_requests = requests.clone();
    tasks.spawn(async move {
        let ids = AtomicU64::new(1);
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => return,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let session = SessionId(ids.fetch_add(1, Ordering::Relaxed));
                    accept_tasks.spawn(connection(
                        stream,
                        peer,
                        session,
                        Arc::clone(&config),
                        accept_requests.clone(),
                        shutdown.clone(),
                    ));
                }
                Err(error) => {
                    // Out of file descriptors, say: back off a little.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    });
    tracing::info!(%addr, "controller listening");
    Ok(ControllerHandle {
        requests,
        events,
        addr,
        start,
    })
}

struct Session {
    outbound: mpsc::Sender<ControllerMsg>,
    kill: CancellationToken,
}

async fn core_task(
    mut core: Controller,
    mut requests: mpsc::Receiver<Request>,
    events: broadcast::Sender<ControllerEvent>,
    mut projector: Option<Projector>,
    start: tokio::time::Instant,
    shutdown: CancellationToken,
) {
    let now = || Instant::from_micros(start.elapsed().as_micros() as u64);
    let origin_us = core.config().clock_origin_unix_us.unwrap_or(0);
    let mut sessions: HashMap<SessionId, Session> = HashMap::new();
    let mut out = Vec::new();
    loop {
        let deadline = core
            .poll_at()
            .map(|t| start + Duration::from_micros(t.micros()));
        tokio::select! {
            // Shutdown first: a controller that is stopping takes no more
            // inputs (the sessions it is closing would otherwise look like
            // agents going down, and their clients would be moved).
            biased;
            () = shutdown.cancelled() => break,
            request = requests.recv() => {
                let Some(request) = request else { break };
                match request {
                    Request::Opened { session, agent, outbound, kill } => {
                        sessions.insert(session, Session { outbound, kill });
                        core.handle(Input::AgentUp { session, agent }, now(), &mut out);
                    }
                    Request::Msg { session, msg } => core.handle(Input::Msg { session, msg }, now(), &mut out),
                    Request::Closed { session } => {
                        if sessions.remove(&session).is_some() {
                            core.handle(Input::AgentDown { session }, now(), &mut out);
                        }
                    }
                    Request::Command { command, reply } => {
                        let id = core.command(command, now(), &mut out);
                        let _ = reply.send(id);
                    }
                    Request::Inspect(f) => f(&core),
                }
            }
            () = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => core.handle(Input::Tick, now(), &mut out),
        }
        for output in out.drain(..) {
            match output {
                Output::Send { session, msg } => {
                    let Some(s) = sessions.get(&session) else {
                        continue;
                    };
                    if s.outbound.try_send(msg).is_err() {
                        tracing::warn!(
                            session = session.0,
                            "agent is not reading: closing its session"
                        );
                        s.kill.cancel();
                    }
                }
                Output::Close { session, reason } => {
                    if let Some(s) = sessions.get(&session) {
                        tracing::info!(session = session.0, %reason, "closing session");
                        s.kill.cancel();
                    }
                }
                Output::Event(event) => {
                    if let Some(p) = projector.as_mut() {
                        p.event(&event, &core, origin_us + now().micros());
                    }
                    let _ = events.send(event);
                }
            }
        }
    }
    for session in sessions.values() {
        session.kill.cancel();
    }
    // What the last events changed is written before the task ends, so
    // that whoever waits for the controller's tasks finds it stored.
    if let Some(projector) = projector {
        match tokio::time::timeout(Duration::from_secs(5), projector.recorder().flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "store: the last events may not be stored"),
            Err(_) => tracing::warn!("store: the last events were not written within 5 s"),
        }
    }
}

/// A byte stream a session runs on: plain TCP or TLS over it.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type ControllerFramed = Framed<Box<dyn Io>, Codec<AgentMsg, ControllerMsg>>;

/// Why an agent was refused at the handshake.
#[derive(Debug)]
enum Refusal {
    Timeout,
    Closed,
    NotAuth(String),
    BadIdentity,
    WrongSecret(String),
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Refusal::Timeout => f.write_str("did not authenticate in time"),
            Refusal::Closed => f.write_str("closed the connection during the handshake"),
            Refusal::NotAuth(what) => write!(f, "sent {what} instead of authenticating"),
            Refusal::BadIdentity => f.write_str("sent an unusable agent name or nonce"),
            Refusal::WrongSecret(agent) => {
                write!(f, "agent {agent:?} does not hold the shared secret")
            }
        }
    }
}

/// An agent name: 1-64 printable ASCII characters without spaces.
fn valid_agent_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_graphic())
}

async fn handshake(
    framed: &mut ControllerFramed,
    config: &ServerConfig,
) -> Result<String, Refusal> {
    let controller_nonce = Nonce::random();
    let challenge = ControllerMsg::Challenge {
        version: PROTOCOL_VERSION,
        nonce: controller_nonce.to_hex(),
    };
    framed.send(challenge).await.map_err(|_| Refusal::Closed)?;
    let answer = tokio::time::timeout(config.handshake_timeout, framed.next())
        .await
        .map_err(|_| Refusal::Timeout)?;
    let (agent, nonce, proof) = match answer {
        None => return Err(Refusal::Closed),
        Some(Err(e) | Ok(Err(e))) => return Err(Refusal::NotAuth(e.to_string())),
        Some(Ok(Ok(AgentMsg::Auth {
            agent,
            nonce,
            proof,
        }))) => (agent, nonce, proof),
        Some(Ok(Ok(other))) => {
            return Err(Refusal::NotAuth(format!(
                "a {} message",
                crate::core::message_kind(&other)
            )))
        }
    };
    let agent_nonce = Nonce::from_hex(&nonce).ok_or(Refusal::BadIdentity)?;
    if !valid_agent_name(&agent) {
        return Err(Refusal::BadIdentity);
    }
    if !auth::verify(
        &config.secret,
        Role::Agent,
        &controller_nonce,
        &agent_nonce,
        &agent,
        &proof,
    ) {
        return Err(Refusal::WrongSecret(agent));
    }
    let proof = auth::prove(
        &config.secret,
        Role::Controller,
        &controller_nonce,
        &agent_nonce,
        &agent,
    );
    framed
        .send(ControllerMsg::Welcome { proof })
        .await
        .map_err(|_| Refusal::Closed)?;
    Ok(agent)
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    session: SessionId,
    config: Arc<ServerConfig>,
    requests: mpsc::Sender<Request>,
    shutdown: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    if let Err(error) = socket2::SockRef::from(&stream).set_send_buffer_size(config.send_buffer) {
        tracing::warn!(%peer, %error, "cannot bound the socket's send buffer");
    }
    let io: Box<dyn Io> = match &config.tls {
        None => Box::new(stream),
        Some(acceptor) => {
            match tokio::time::timeout(config.handshake_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => Box::new(tls),
                Ok(Err(error)) => {
                    tracing::warn!(%peer, %error, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::warn!(%peer, "TLS handshake timed out");
                    return;
                }
            }
        }
    };
    let mut framed = Framed::new(io, Codec::<AgentMsg, ControllerMsg>::default());
    let agent = match handshake(&mut framed, &config).await {
        Ok(agent) => agent,
        Err(refusal) => {
            tracing::warn!(%peer, %refusal, "agent refused");
            let message = format!("authentication failed: {refusal}");
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                framed.send(ControllerMsg::Error { id: None, message }),
            )
            .await;
            return;
        }
    };
    tracing::info!(%peer, %agent, session = session.0, "agent authenticated");
    let (outbound, mut queue) = mpsc::channel(config.outbound_queue.max(1));
    let kill = CancellationToken::new();
    let opened = Request::Opened {
        session,
        agent: agent.clone(),
        outbound,
        kill: kill.clone(),
    };
    if requests.send(opened).await.is_err() {
        return;
    }
    let reason = loop {
        tokio::select! {
            () = shutdown.cancelled() => break "shutdown".to_string(),
            () = kill.cancelled() => break "closed by the controller".to_string(),
            msg = queue.recv() => {
                let Some(msg) = msg else { break "controller gone".to_string() };
                match tokio::time::timeout(config.write_timeout, framed.send(msg)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => break format!("send failed: {e}"),
                    Err(_) => break "agent is not reading (write timed out)".to_string(),
                }
            }
            incoming = framed.next() => match incoming {
                None => break "closed by the agent".to_string(),
                Some(Ok(Ok(msg))) => {
                    if requests.send(Request::Msg { session, msg }).await.is_err() {
                        break "controller gone".to_string();
                    }
                }
                Some(Err(e)) => break e.to_string(),
                Some(Ok(Err(e))) => {
                    tracing::warn!(%agent, error = %e, "message refused");
                    let reply = ControllerMsg::Error { id: e.id(), message: e.to_string() };
                    let sent = tokio::time::timeout(config.write_timeout, framed.send(reply)).await;
                    if !matches!(sent, Ok(Ok(()))) {
                        break "agent is not reading".to_string();
                    }
                }
            }
        }
    };
    tracing::info!(%peer, %agent, session = session.0, %reason, "session ended");
    let _ = requests.send(Request::Closed { session }).await;
}
