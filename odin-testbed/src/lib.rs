//! An Odin network in one process: the real controller server and real
//! agents (their cores, event loops and authenticated links over TCP on
//! loopback), on the simulated radio medium of `odin_agent::sim`, with
//! simulated client stations. The integration suite and the run command
//! build on it; so will the load benchmarks.

use std::collections::BTreeMap;
use std::time::Duration;

use odin_agent::agent::{AgentConfig, AgentCore};
use odin_agent::link::LinkConfig;
use odin_agent::lvap::BssConfig;
use odin_agent::radio::Radio;
use odin_agent::sim::{
    ClientConfig, ClientHandle, Medium, MediumConfig, Position, RadioId, SimRadioConfig,
};
use odin_controller::core::{Controller, ControllerConfig};
use odin_controller::rest::ApiStore;
use odin_controller::server::{self, ControllerHandle, ServerConfig};
use odin_controller::{persist, store};
use odin_wire::MacAddr;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What the testbed is made of.
#[derive(Debug, Clone)]
pub struct TestbedConfig {
    /// The shared secret of controller and agents.
    pub secret: Vec<u8>,
    /// The network's SSID.
    pub ssid: Vec<u8>,
    /// The channel every radio starts on (unless `agent_channels` says
    /// otherwise) and the clients scan.
    pub channel: u8,
    /// Per agent, by position, the channel its radio starts on; agents
    /// past its end start on `channel`.
    pub agent_channels: Vec<u8>,
    /// Agents (one radio each), by position.
    pub agents: Vec<Position>,
    /// Clients, by position.
    pub clients: Vec<Position>,
    /// How often agents send heartbeats.
    pub heartbeat: Duration,
    /// The controller's settings.
    pub controller: ControllerConfig,
    /// The medium's settings.
    pub medium: MediumConfig,
    /// The clients' settings.
    pub client: ClientConfig,
    /// Run the links over TLS, with a self-signed certificate for
    /// "localhost" made at start.
    pub tls: bool,
    /// The controller's store (`sqlite://...`, `postgres://...`); none:
    /// it keeps nothing (a restarted controller starts empty).
    pub database: Option<String>,
}

impl TestbedConfig {
    /// `agents` access points 30 m apart on a line and `clients` clients
    /// spread along it, 5 m off; every client hears every access point.
    pub fn line(agents: usize, clients: usize) -> TestbedConfig {
        let span = 30.0 * agents.saturating_sub(1) as f64;
        TestbedConfig {
            secret: b"odin testbed secret".to_vec(),
            ssid: b"odin".to_vec(),
            channel: 6,
            agent_channels: Vec::new(),
            agents: (0..agents)
                .map(|i| Position::new(30.0 * i as f64, 0.0))
                .collect(),
            clients: (0..clients)
                .map(|i| {
                    Position::new(
                        span * i as f64 / clients.max(2).saturating_sub(1) as f64,
                        5.0,
                    )
                })
                .collect(),
            heartbeat: Duration::from_millis(200),
            controller: ControllerConfig {
                heartbeat_timeout: Duration::from_secs(1),
                // The agents share one clock here, but their radios' holds
                // end on the runtime's timer, in any order within its
                // millisecond (and later on a loaded machine): the target
                // 10 ms later, so that the medium can check that no two
                // radios ever serve a client at once.
                switch_target_delay: Duration::from_millis(10),
                ..ControllerConfig::default()
            },
            medium: MediumConfig::default(),
            client: ClientConfig::default(),
            tls: false,
            database: None,
        }
    }
}

async fn start_controller(
    listener: TcpListener,
    config: &TestbedConfig,
    tls: Option<&(String, String)>,
    stop: CancellationToken,
    tasks: &TaskTracker,
) -> Result<(ControllerHandle, Option<ApiStore>), StartError> {
    let mut controller_config = config.controller.clone();
    controller_config.ssid = config.ssid.clone();
    let mut core = Controller::new(controller_config);
    for kind in odin_controller::apps::builtin() {
        core.register_app(kind);
    }
    let mut api_store = None;
    let projector = match &config.database {
        None => None,
        Some(url) => {
            let storage = store::open(url)
                .await
                .map_err(|e| StartError(format!("store: {e}")))?;
            let snapshot = storage
                .load()
                .await
                .map_err(|e| StartError(format!("store: {e}")))?;
            persist::restore(&mut core, &snapshot);
            let recorder =
                store::Recorder::spawn(storage.clone(), store::RecorderConfig::default());
            api_store = Some(ApiStore {
                storage,
                recorder: recorder.clone(),
            });
            Some(persist::Projector::new(recorder))
        }
    };
    let mut server_config = ServerConfig::new(&config.secret);
    if let Some((cert, key)) = tls {
        let tls = odin_proto::tls::server_config(cert.as_bytes(), key.as_bytes())
            .map_err(|e| StartError(format!("TLS: {e}")))?;
        server_config.tls = Some(odin_proto::tls::TlsAcceptor::from(tls));
    }
    let handle = server::spawn_with_store(listener, core, server_config, projector, stop, tasks)
        .map_err(|e| StartError(format!("controller: {e}")))?;
    Ok((handle, api_store))
}

/// A self-signed certificate for "localhost": (certificate PEM, key PEM).
fn self_signed() -> Result<(String, String), StartError> {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .map_err(|e| StartError(format!("certificate: {e}")))?;
    Ok((cert.cert.pem(), cert.key_pair.serialize_pem()))
}

/// One running agent.
#[derive(Debug)]
pub struct AgentHandle {
    /// Its name (`ap-1`, ...).
    pub name: String,
    /// Its radio in the medium.
    pub radio: RadioId,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl AgentHandle {
    /// Stops the agent as a power cut would: its event loop ends and its
    /// radio goes off the air.
    pub async fn kill(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// A running testbed.
#[derive(Debug)]
pub struct Testbed {
    /// The medium.
    pub medium: Medium,
    /// The controller.
    pub controller: ControllerHandle,
    /// The controller's store as the REST API reads it (with
    /// [`TestbedConfig::database`]).
    pub store: Option<ApiStore>,
    /// The agents, in order.
    pub agents: Vec<AgentHandle>,
    /// The clients, in order.
    pub clients: Vec<ClientHandle>,
    config: TestbedConfig,
    /// The controller's certificate (PEM), when the links use TLS.
    ca_pem: Option<String>,
    /// Stops the controller alone.
    controller_stop: CancellationToken,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

/// The MAC address of client `i`.
pub fn client_mac(i: usize) -> MacAddr {
    MacAddr([0x02, 0xc1, 0, 0, (i >> 8) as u8, i as u8])
}

/// The radio address of agent `i`.
pub fn radio_mac(i: usize) -> MacAddr {
    MacAddr([0x02, 0xa9, 0, 0, (i >> 8) as u8, i as u8])
}

/// Why a testbed could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

impl Testbed {
    /// Starts the medium, the controller on 127.0.0.1 (a free port), the
    /// agents and the clients.
    pub async fn start(config: TestbedConfig) -> Result<Testbed, StartError> {
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let medium = Medium::new(config.medium.clone());
        tasks.spawn(medium.run());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| StartError(format!("bind: {e}")))?;
        let mut controller_config = config.controller.clone();
        controller_config.ssid = config.ssid.clone();
        let ca_pem = if config.tls {
            Some(self_signed()?)
        } else {
            None
        };
        let controller_stop = shutdown.child_token();
        let (controller, store) = start_controller(
            listener,
            &config,
            ca_pem.as_ref(),
            controller_stop.clone(),
            &tasks,
        )
        .await?;
        let ca_pem = ca_pem.map(|(cert, _)| cert);
        let mut testbed = Testbed {
            medium,
            controller,
            store,
            agents: Vec::new(),
            clients: Vec::new(),
            config,
            ca_pem,
            controller_stop,
            shutdown,
            tasks,
        };
        for i in 0..testbed.config.agents.len() {
            let secret = testbed.config.secret.clone();
            let agent = testbed.start_agent(i, &secret);
            testbed.agents.push(agent);
        }
        // Clients come once every agent is up, so that placement hears
        // each client from every agent.
        let names: Vec<String> = testbed.agents.iter().map(|a| a.name.clone()).collect();
        let mut waited = Duration::ZERO;
        while testbed.agents_up().await != names {
            if waited > Duration::from_secs(10) {
                return Err(StartError("agents did not come up within 10 s".into()));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            waited += Duration::from_millis(10);
        }
        for (i, position) in testbed.config.clients.clone().into_iter().enumerate() {
            let client = testbed
                .medium
                .add_client(
                    client_mac(i),
                    &testbed.config.ssid,
                    testbed.config.channel,
                    position,
                    testbed.config.client.clone(),
                )
                .map_err(|e| StartError(format!("client {i}: {e}")))?;
            testbed.clients.push(client);
        }
        Ok(testbed)
    }

    /// Starts agent number `i` (at `config.agents[i]`) with `secret`; a
    /// wrong secret makes an intruder.
    pub fn start_agent(&self, i: usize, secret: &[u8]) -> AgentHandle {
        let name = format!("ap-{}", i + 1);
        let position = self
            .config
            .agents
            .get(i)
            .copied()
            .unwrap_or(Position::new(0.0, 0.0));
        let channel = self
            .config
            .agent_channels
            .get(i)
            .copied()
            .unwrap_or(self.config.channel);
        let mut radio_config =
            SimRadioConfig::new(&format!("{name}-phy0"), radio_mac(i), channel, position);
        radio_config.channels = vec![1, 6, 11];
        let radio = self.medium.add_radio(radio_config);
        let id = radio.id();
        let mut agent_config = AgentConfig::new(&name);
        agent_config.heartbeat_interval = self.config.heartbeat;
        let core = AgentCore::new(
            agent_config,
            vec![radio.info()],
            vec![BssConfig::new(b"", channel)],
        );
        let tls = self.ca_pem.as_ref().and_then(|pem| {
            let config = odin_proto::tls::client_config(pem.as_bytes()).ok()?;
            let name = odin_proto::tls::server_name("localhost").ok()?;
            Some((odin_proto::tls::TlsConnector::from(config), name))
        });
        let link = LinkConfig {
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_secs(1),
            tls,
            ..LinkConfig::new(&self.controller.local_addr().to_string(), secret, &name)
        };
        let stop = self.shutdown.child_token();
        let task = tokio::spawn(odin_agent::runtime::run(
            core,
            vec![radio],
            link,
            stop.clone(),
        ));
        AgentHandle {
            name,
            radio: id,
            stop,
            task,
        }
    }

    /// Stops the controller, leaves it down for `outage`, and starts a new
    /// one, with an empty registry, on the same address (plain TCP).
    pub async fn restart_controller(&mut self, outage: Duration) -> Result<(), StartError> {
        let addr = self.controller.local_addr();
        self.controller_stop.cancel();
        tokio::time::sleep(outage).await;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| StartError(format!("bind {addr}: {e}")))?;
        self.controller_stop = self.shutdown.child_token();
        (self.controller, self.store) = start_controller(
            listener,
            &self.config,
            None,
            self.controller_stop.clone(),
            &self.tasks,
        )
        .await?;
        Ok(())
    }

    /// Every client connected through the BSSID the controller gave it, and
    /// served (authorized) by exactly the radio of the agent it placed it on.
    pub async fn all_served(
        &self,
        exclude: &[String],
    ) -> Result<BTreeMap<MacAddr, String>, String> {
        let mut placements = BTreeMap::new();
        for client in &self.clients {
            let mac = client.mac();
            let Some((agent, bssid)) = self.placement(mac).await else {
                return Err(format!("{mac} not placed"));
            };
            if exclude.contains(&agent) {
                return Err(format!("{mac} still on {agent}"));
            }
            if !client.is_connected() || client.bssid() != Some(bssid) {
                return Err(format!(
                    "{mac} not connected to {bssid} (on {:?})",
                    client.bssid()
                ));
            }
            let index = self
                .agents
                .iter()
                .position(|a| a.name == agent)
                .ok_or(format!("{agent} unknown"))?;
            let serving = self.medium.serving_radios(mac);
            if serving != vec![self.agents[index].radio] {
                return Err(format!("{mac} served by {serving:?}, expected {agent}"));
            }
            // The wired side sends its frames to the serving agent (its last
            // layer-2 update came from there).
            let wired = self.medium.wired_location(mac);
            if wired != Some(self.agents[index].radio) {
                return Err(format!(
                    "{mac}: the wired side sends to {wired:?}, not {agent}"
                ));
            }
            placements.insert(mac, agent);
        }
        Ok(placements)
    }

    /// [`Testbed::all_served`], each client by the agent `expected` names
    /// (and no other client); `Err` says how it differs.
    pub async fn served_as(&self, expected: &BTreeMap<MacAddr, String>) -> Result<(), String> {
        let now = self.all_served(&[]).await?;
        if &now == expected {
            Ok(())
        } else {
            Err(format!("{now:?}"))
        }
    }

    /// The agents the controller has up, by name.
    pub async fn agents_up(&self) -> Vec<String> {
        self.controller
            .inspect(|core| {
                core.agents()
                    .values()
                    .filter(|a| a.up)
                    .map(|a| a.name.clone())
                    .collect()
            })
            .await
            .unwrap_or_default()
    }

    /// Agent `i`'s name.
    pub fn agent_name(&self, i: usize) -> String {
        format!("ap-{}", i + 1)
    }

    /// Which agent the controller says serves `client`, and its LVAP
    /// BSSID, if placed.
    pub async fn placement(&self, client: MacAddr) -> Option<(String, MacAddr)> {
        self.controller
            .inspect(move |core| {
                let c = core.client(&client)?;
                Some((c.lvap.as_ref()?.at.agent.clone(), c.bssid?))
            })
            .await
            .ok()
            .flatten()
    }

    /// Stops everything.
    pub async fn stop(self) {
        let Testbed {
            medium,
            controller,
            agents,
            clients,
            shutdown,
            tasks,
            ..
        } = self;
        shutdown.cancel();
        for agent in agents {
            agent.kill().await;
        }
        // The medium's task ends once the last handle on it is gone.
        drop((medium, clients, controller));
        tasks.close();
        tasks.wait().await;
    }
}

/// Polls `check` every 20 ms until it holds; panics with `what` and the
/// last reason when `limit` passes (for tests).
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let start = tokio::time::Instant::now();
    loop {
        match check().await {
            Ok(()) => return,
            Err(why) if start.elapsed() > limit => panic!("{what}: not after {limit:?}: {why}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}
