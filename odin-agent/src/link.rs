//! The agent's link to the controller: dial, prove the shared secret,
//! check the controller's proof, then carry messages both ways; on any
//! failure, reconnect with exponential backoff. The agent's core goes on
//! serving its clients meanwhile.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use odin_proto::auth::{self, Nonce, Role};
use odin_proto::codec::Codec;
use odin_proto::msg::{AgentMsg, ControllerMsg, PROTOCOL_VERSION};
use odin_proto::tls::TlsConnector;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

/// How the agent reaches its controller.
#[derive(Clone)]
pub struct LinkConfig {
    /// `host:port` of the controller.
    pub controller: String,
    /// The shared secret.
    pub secret: Vec<u8>,
    /// The agent's identity.
    pub agent: String,
    /// First reconnection delay; doubles up to `backoff_max`.
    pub backoff_min: Duration,
    /// Longest reconnection delay.
    pub backoff_max: Duration,
    /// How long the handshake may take.
    pub handshake_timeout: Duration,
    /// TLS, when set: the connector (trusting the controller's CA) and the
    /// name its certificate must carry.
    pub tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl core::fmt::Debug for LinkConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LinkConfig")
            .field("controller", &self.controller)
            .field("secret", &"<redacted>")
            .field("agent", &self.agent)
            .field(
                "tls",
                &self
                    .tls
                    .as_ref()
                    .map(|(_, name)| name.to_str().into_owned()),
            )
            .finish_non_exhaustive()
    }
}

impl LinkConfig {
    /// Defaults: backoff 200 ms to 10 s, handshake within 5 s.
    pub fn new(controller: &str, secret: &[u8], agent: &str) -> LinkConfig {
        LinkConfig {
            controller: controller.to_string(),
            secret: secret.to_vec(),
            agent: agent.to_string(),
            backoff_min: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(5),
            tls: None,
        }
    }
}

/// What the link tells the agent's event loop.
#[derive(Debug)]
pub enum LinkEvent {
    /// Authenticated; messages for the controller go into this sender.
    Up(mpsc::Sender<AgentMsg>),
    /// A message from the controller.
    Msg(ControllerMsg),
    /// The connection ended.
    Down(String),
}

/// Why a handshake failed.
#[derive(Debug)]
pub enum HandshakeError {
    /// The connection failed or closed.
    Io(String),
    /// The controller did not answer in time.
    Timeout,
    /// The controller said something else than the protocol requires.
    Protocol(String),
    /// The controller speaks another protocol version.
    Version(u16),
    /// The controller's proof is wrong: it does not know the secret.
    BadProof,
}

impl core::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HandshakeError::Io(e) => write!(f, "connection failed: {e}"),
            HandshakeError::Timeout => f.write_str("the controller did not answer in time"),
            HandshakeError::Protocol(e) => write!(f, "protocol error: {e}"),
            HandshakeError::Version(v) => {
                write!(
                    f,
                    "controller speaks protocol version {v}, this agent {PROTOCOL_VERSION}"
                )
            }
            HandshakeError::BadProof => {
                f.write_str("the controller's proof is wrong: it does not hold our shared secret")
            }
        }
    }
}

impl std::error::Error for HandshakeError {}

type AgentFramed<S> = Framed<S, Codec<ControllerMsg, AgentMsg>>;

/// A byte stream the link runs on: plain TCP or TLS over it.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Dials the controller, with TLS when configured.
async fn dial(config: &LinkConfig) -> Result<Box<dyn Io>, HandshakeError> {
    let stream = TcpStream::connect(&config.controller)
        .await
        .map_err(|e| HandshakeError::Io(e.to_string()))?;
    let _ = stream.set_nodelay(true);
    match &config.tls {
        None => Ok(Box::new(stream)),
        Some((connector, name)) => {
            let tls = tokio::time::timeout(
                config.handshake_timeout,
                connector.connect(name.clone(), stream),
            )
            .await
            .map_err(|_| HandshakeError::Timeout)?
            .map_err(|e| HandshakeError::Protocol(format!("TLS: {e}")))?;
            Ok(Box::new(tls))
        }
    }
}

async fn next_msg<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut AgentFramed<S>,
) -> Result<ControllerMsg, HandshakeError> {
    match framed.next().await {
        Some(Ok(Ok(msg))) => Ok(msg),
        Some(Ok(Err(e)) | Err(e)) => Err(HandshakeError::Protocol(e.to_string())),
        None => Err(HandshakeError::Io("closed by the controller".into())),
    }
}

/// The agent's side of the handshake on an open stream.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    framed: &mut AgentFramed<S>,
    config: &LinkConfig,
) -> Result<(), HandshakeError> {
    let steps = async {
        let ControllerMsg::Challenge { version, nonce } = next_msg(framed).await? else {
            return Err(HandshakeError::Protocol("expected a challenge".into()));
        };
        if version != PROTOCOL_VERSION {
            return Err(HandshakeError::Version(version));
        }
        let controller_nonce =
            Nonce::from_hex(&nonce).ok_or_else(|| HandshakeError::Protocol("bad nonce".into()))?;
        let agent_nonce = Nonce::random();
        let proof = auth::prove(
            &config.secret,
            Role::Agent,
            &controller_nonce,
            &agent_nonce,
            &config.agent,
        );
        framed
            .send(AgentMsg::Auth {
                agent: config.agent.clone(),
                nonce: agent_nonce.to_hex(),
                proof,
            })
            .await
            .map_err(|e| HandshakeError::Io(e.to_string()))?;
        let ControllerMsg::Welcome { proof } = next_msg(framed).await? else {
            return Err(HandshakeError::Protocol(
                "expected a welcome (wrong secret?)".into(),
            ));
        };
        if !auth::verify(
            &config.secret,
            Role::Controller,
            &controller_nonce,
            &agent_nonce,
            &config.agent,
            &proof,
        ) {
            return Err(HandshakeError::BadProof);
        }
        Ok(())
    };
    tokio::time::timeout(config.handshake_timeout, steps)
        .await
        .unwrap_or(Err(HandshakeError::Timeout))
}

/// Runs the link until `shutdown`: connects, authenticates, forwards, and
/// reconnects with backoff.
pub async fn run(config: LinkConfig, events: mpsc::Sender<LinkEvent>, shutdown: CancellationToken) {
    let mut backoff = config.backoff_min;
    loop {
        let attempt = async {
            let io = dial(&config).await?;
            let mut framed = Framed::new(io, Codec::<ControllerMsg, AgentMsg>::default());
            handshake(&mut framed, &config).await?;
            Ok::<_, HandshakeError>(framed)
        };
        let framed = tokio::select! {
            () = shutdown.cancelled() => return,
            result = attempt => result,
        };
        match framed {
            Ok(framed) => {
                tracing::info!(controller = %config.controller, "connected and authenticated");
                backoff = config.backoff_min;
                let reason = session(framed, &events, &shutdown).await;
                if shutdown.is_cancelled() {
                    return;
                }
                tracing::warn!(controller = %config.controller, %reason, "link down");
                if events.send(LinkEvent::Down(reason)).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(controller = %config.controller, %error, retry_in = ?backoff, "cannot reach the controller");
            }
        }
        // Jitter of up to a quarter, so that many agents do not reconnect in step.
        let jitter = backoff.mul_f64(rand::random::<f64>() * 0.25);
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(backoff + jitter) => {}
        }
        backoff = (backoff * 2).min(config.backoff_max);
    }
}

/// Carries messages until the connection ends; returns why it ended.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    mut framed: AgentFramed<S>,
    events: &mpsc::Sender<LinkEvent>,
    shutdown: &CancellationToken,
) -> String {
    let (tx, mut rx) = mpsc::channel::<AgentMsg>(4096);
    if events.send(LinkEvent::Up(tx)).await.is_err() {
        return "agent stopped".into();
    }
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return "shutdown".into(),
            outgoing = rx.recv() => {
                let Some(msg) = outgoing else { return "agent stopped".into() };
                if let Err(e) = framed.send(msg).await {
                    return format!("send failed: {e}");
                }
            }
            incoming = framed.next() => match incoming {
                None => return "closed by the controller".into(),
                Some(Ok(Ok(msg))) => {
                    if events.send(LinkEvent::Msg(msg)).await.is_err() {
                        return "agent stopped".into();
                    }
                }
                Some(Err(e)) => return e.to_string(),
                Some(Ok(Err(e))) => {
                    tracing::warn!(error = %e, "message from the controller refused");
                    let reply = AgentMsg::Error { id: e.id(), message: e.to_string() };
                    if let Err(e) = framed.send(reply).await {
                        return format!("send failed: {e}");
                    }
                }
            }
        }
    }
}
