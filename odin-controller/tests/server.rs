//! The controller's server on a real TCP socket (port 0) against hostile
//! and well-behaved peers speaking the protocol by hand.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use odin_controller::core::{Command, Controller, ControllerConfig, SubscriptionSpec};
use odin_controller::server::{self, ControllerHandle, ServerConfig};
use odin_proto::auth::{self, Nonce, Role};
use odin_proto::codec::Codec;
use odin_proto::msg::{AgentMsg, ControllerMsg, Relation, Statistic, PROTOCOL_VERSION};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const SECRET: &[u8] = b"correct horse battery staple";

type AgentSide = Framed<TcpStream, Codec<ControllerMsg, AgentMsg>>;

async fn start(config: ServerConfig) -> (ControllerHandle, CancellationToken, TaskTracker) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    let handle = server::spawn(
        listener,
        Controller::new(ControllerConfig::default()),
        config,
        shutdown.clone(),
        &tasks,
    )
    .unwrap();
    (handle, shutdown, tasks)
}

async fn connect(handle: &ControllerHandle) -> AgentSide {
    let stream = TcpStream::connect(handle.local_addr()).await.unwrap();
    Framed::new(stream, Codec::default())
}

/// A connection with a tiny receive buffer, so that not reading fills the
/// controller's side quickly.
async fn connect_small(handle: &ControllerHandle) -> AgentSide {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(handle.local_addr()).await.unwrap();
    Framed::new(stream, Codec::default())
}

async fn next(framed: &mut AgentSide) -> Option<ControllerMsg> {
    match tokio::time::timeout(Duration::from_secs(5), framed.next()).await {
        Ok(Some(Ok(Ok(msg)))) => Some(msg),
        Ok(Some(Ok(Err(e)) | Err(e))) => panic!("decode error: {e}"),
        Ok(None) => None,
        Err(_) => panic!("no answer in 5 s"),
    }
}

/// Answers the challenge with `secret`; returns the Auth message sent.
async fn authenticate(framed: &mut AgentSide, agent: &str, secret: &[u8]) -> AgentMsg {
    let Some(ControllerMsg::Challenge { version, nonce }) = next(framed).await else {
        panic!("no challenge")
    };
    assert_eq!(version, PROTOCOL_VERSION);
    let nc = Nonce::from_hex(&nonce).unwrap();
    let na = Nonce::random();
    let auth = AgentMsg::Auth {
        agent: agent.into(),
        nonce: na.to_hex(),
        proof: auth::prove(secret, Role::Agent, &nc, &na, agent),
    };
    framed.send(auth.clone()).await.unwrap();
    auth
}

async fn send_hello(framed: &mut AgentSide) {
    let hello = AgentMsg::Hello {
        version: PROTOCOL_VERSION,
        software: "test".into(),
        radios: vec![],
        lvaps: vec![],
    };
    framed.send(hello).await.unwrap();
}

/// Says hello and reads the answer, the network's settings.
async fn hello(framed: &mut AgentSide) {
    send_hello(framed).await;
    // An accepted hello is answered with the network's settings.
    match next(framed).await {
        Some(ControllerMsg::Network { ssid, bssids }) => {
            assert_eq!(ssid, b"odin");
            assert_eq!(bssids.prefix(), [0x06, 0x0d, 0x1e]);
        }
        other => panic!("expected the network settings, got {other:?}"),
    }
}

async fn agents_up(handle: &ControllerHandle) -> Vec<String> {
    handle
        .inspect(|core| {
            core.agents()
                .iter()
                .filter(|(_, a)| core.is_up(&a.name))
                .map(|(n, _)| n.clone())
                .collect()
        })
        .await
        .unwrap()
}

/// Waits until the controller has processed what was sent (or gives up).
async fn settle(handle: &ControllerHandle, want: &[&str]) {
    for _ in 0..100 {
        if agents_up(handle).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(agents_up(handle).await, want);
}

#[tokio::test]
async fn agent_with_the_right_secret_is_welcomed_and_mutually_authenticated() {
    let (handle, shutdown, _tasks) = start(ServerConfig::new(SECRET)).await;
    let mut a = connect(&handle).await;
    let AgentMsg::Auth { agent, nonce, .. } = authenticate(&mut a, "ap-1", SECRET).await else {
        unreachable!()
    };
    let Some(ControllerMsg::Welcome { proof }) = next(&mut a).await else {
        panic!("no welcome")
    };
    // The welcome proves the controller holds the secret too.
    let _ = (agent, nonce, proof);
    hello(&mut a).await;
    settle(&handle, &["ap-1"]).await;
    shutdown.cancel();
}

#[tokio::test]
async fn wrong_secret_is_refused_and_changes_nothing() {
    let (handle, shutdown, _tasks) = start(ServerConfig::new(SECRET)).await;
    let mut a = connect(&handle).await;
    authenticate(&mut a, "intruder", b"guess").await;
    let Some(ControllerMsg::Error { message, .. }) = next(&mut a).await else {
        panic!("expected an error")
    };
    assert!(
        message.contains("does not hold the shared secret"),
        "{message}"
    );
    assert_eq!(next(&mut a).await, None, "connection closed");
    assert!(handle
        .inspect(|core| core.agents().is_empty())
        .await
        .unwrap());
    shutdown.cancel();
}

#[tokio::test]
async fn a_replayed_answer_is_worthless_on_a_new_challenge() {
    let (handle, shutdown, _tasks) = start(ServerConfig::new(SECRET)).await;
    let mut first = connect(&handle).await;
    let recorded = authenticate(&mut first, "ap-1", SECRET).await;
    assert!(matches!(
        next(&mut first).await,
        Some(ControllerMsg::Welcome { .. })
    ));
    // An eavesdropper replays the recorded answer on its own connection.
    let mut replay = connect(&handle).await;
    assert!(matches!(
        next(&mut replay).await,
        Some(ControllerMsg::Challenge { .. })
    ));
    replay.send(recorded).await.unwrap();
    assert!(matches!(
        next(&mut replay).await,
        Some(ControllerMsg::Error { .. })
    ));
    assert_eq!(next(&mut replay).await, None);
    shutdown.cancel();
}

#[tokio::test]
async fn nothing_but_authentication_is_accepted_first() {
    let (handle, shutdown, _tasks) = start(ServerConfig::new(SECRET)).await;
    // A hello before authenticating.
    let mut a = connect(&handle).await;
    assert!(matches!(
        next(&mut a).await,
        Some(ControllerMsg::Challenge { .. })
    ));
    send_hello(&mut a).await;
    let Some(ControllerMsg::Error { message, .. }) = next(&mut a).await else {
        panic!()
    };
    assert!(message.contains("instead of authenticating"), "{message}");
    assert_eq!(next(&mut a).await, None);
    // Garbage, an oversized length, a truncated frame: closed, nothing else.
    for bytes in [
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        &[0xff, 0xff, 0xff, 0xff][..],
        &[0, 0, 0, 50, b'{'][..],
    ] {
        let mut raw = TcpStream::connect(handle.local_addr()).await.unwrap();
        raw.write_all(bytes).await.unwrap();
        raw.shutdown().await.unwrap();
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
    }
    // Silence: the handshake times out.
    let mut config = ServerConfig::new(SECRET);
    config.handshake_timeout = Duration::from_millis(100);
    let (slow, slow_shutdown, _t) = start(config).await;
    let mut quiet = connect(&slow).await;
    assert!(matches!(
        next(&mut quiet).await,
        Some(ControllerMsg::Challenge { .. })
    ));
    let Some(ControllerMsg::Error { message, .. }) = next(&mut quiet).await else {
        panic!()
    };
    assert!(message.contains("in time"), "{message}");
    assert!(handle
        .inspect(|core| core.agents().is_empty())
        .await
        .unwrap());
    shutdown.cancel();
    slow_shutdown.cancel();
}

#[tokio::test]
async fn unknown_and_malformed_messages_get_an_error_not_a_hang_up() {
    let (handle, shutdown, _tasks) = start(ServerConfig::new(SECRET)).await;
    let mut a = connect(&handle).await;
    authenticate(&mut a, "ap-1", SECRET).await;
    assert!(matches!(
        next(&mut a).await,
        Some(ControllerMsg::Welcome { .. })
    ));
    hello(&mut a).await;
    let stream = a.get_mut();
    let payload = br#"{"type":"teleport","id":12}"#;
    stream
        .write_all(&(payload.len() as u32).to_be_bytes())
        .await
        .unwrap();
    stream.write_all(payload).await.unwrap();
    let Some(ControllerMsg::Error { id, message }) = next(&mut a).await else {
        panic!()
    };
    assert_eq!(id, Some(12));
    assert!(message.contains("teleport"), "{message}");
    // Still connected: a heartbeat is taken.
    a.send(AgentMsg::Heartbeat { seq: 1 }).await.unwrap();
    settle(&handle, &["ap-1"]).await;
    shutdown.cancel();
}

#[tokio::test]
async fn an_agent_that_stops_reading_is_cut_off_and_the_others_go_on() {
    let mut config = ServerConfig::new(SECRET);
    config.outbound_queue = 8;
    config.write_timeout = Duration::from_millis(200);
    config.send_buffer = 16 * 1024;
    let (handle, shutdown, _tasks) = start(config).await;
    let mut stuck = connect_small(&handle).await;
    authenticate(&mut stuck, "stuck", SECRET).await;
    assert!(matches!(
        next(&mut stuck).await,
        Some(ControllerMsg::Welcome { .. })
    ));
    hello(&mut stuck).await;
    let mut fine = connect(&handle).await;
    authenticate(&mut fine, "fine", SECRET).await;
    assert!(matches!(
        next(&mut fine).await,
        Some(ControllerMsg::Welcome { .. })
    ));
    hello(&mut fine).await;
    settle(&handle, &["fine", "stuck"]).await;
    // Every subscription goes to every agent: "stuck" never reads, "fine" does.
    let reader = tokio::spawn(async move {
        let mut n = 0;
        while let Some(Ok(Ok(msg))) = fine.next().await {
            if let ControllerMsg::Subscribe { id, .. } = msg {
                n += 1;
                let _ = fine
                    .send(AgentMsg::Result {
                        id,
                        outcome: odin_proto::msg::Outcome::Done,
                    })
                    .await;
            }
            if n == 3000 {
                break;
            }
        }
        (n, fine)
    });
    for _ in 0..3000 {
        let spec = SubscriptionSpec {
            client: None,
            statistic: Statistic::SignalDbm,
            relation: Relation::Below,
            threshold: -70.0,
            hysteresis: 3.0,
            min_interval_ms: 1000,
        };
        handle
            .command(Command::Subscribe(spec))
            .await
            .unwrap()
            .unwrap();
    }
    let (n, _fine) = tokio::time::timeout(Duration::from_secs(20), reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 3000);
    settle(&handle, &["fine"]).await;
    drop(stuck);
    shutdown.cancel();
}

#[tokio::test]
async fn tls_carries_the_same_handshake_and_refuses_plain_tcp() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.key_pair.serialize_pem());
    let mut config = ServerConfig::new(SECRET);
    config.tls = Some(odin_proto::tls::TlsAcceptor::from(
        odin_proto::tls::server_config(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap(),
    ));
    config.handshake_timeout = Duration::from_millis(500);
    let (handle, shutdown, _tasks) = start(config).await;

    // An agent that trusts the controller's certificate.
    let connector = odin_proto::tls::TlsConnector::from(
        odin_proto::tls::client_config(cert_pem.as_bytes()).unwrap(),
    );
    let stream = TcpStream::connect(handle.local_addr()).await.unwrap();
    let name = odin_proto::tls::server_name("localhost").unwrap();
    let tls = connector.connect(name, stream).await.unwrap();
    let mut a = Framed::new(tls, Codec::<ControllerMsg, AgentMsg>::default());
    let Some(Ok(Ok(ControllerMsg::Challenge { nonce, .. }))) = a.next().await else {
        panic!("no challenge")
    };
    let (nc, na) = (Nonce::from_hex(&nonce).unwrap(), Nonce::random());
    let proof = auth::prove(SECRET, Role::Agent, &nc, &na, "ap-tls");
    a.send(AgentMsg::Auth {
        agent: "ap-tls".into(),
        nonce: na.to_hex(),
        proof,
    })
    .await
    .unwrap();
    let Some(Ok(Ok(ControllerMsg::Welcome { proof }))) = a.next().await else {
        panic!("no welcome")
    };
    assert!(auth::verify(
        SECRET,
        Role::Controller,
        &nc,
        &na,
        "ap-tls",
        &proof
    ));
    a.send(AgentMsg::Hello {
        version: PROTOCOL_VERSION,
        software: "t".into(),
        radios: vec![],
        lvaps: vec![],
    })
    .await
    .unwrap();
    settle(&handle, &["ap-tls"]).await;

    // A certificate for another name is refused by the agent.
    let stream = TcpStream::connect(handle.local_addr()).await.unwrap();
    let wrong = odin_proto::tls::server_name("controller.example").unwrap();
    assert!(connector.connect(wrong, stream).await.is_err());

    // Plain TCP to a TLS controller: no challenge ever comes.
    let mut plain = connect(&handle).await;
    let answer = tokio::time::timeout(Duration::from_secs(2), plain.next())
        .await
        .unwrap();
    assert!(!matches!(
        answer,
        Some(Ok(Ok(ControllerMsg::Challenge { .. })))
    ));
    settle(&handle, &["ap-tls"]).await;
    shutdown.cancel();
}
