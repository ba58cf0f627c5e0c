//! What the controller remembers, and how it starts from it.
//!
//! # Writing
//!
//! The core task hands every event, with the core as it is after the
//! input, to a [`Projector`]: it turns the event into [`StoreOp`]s (the
//! current state of agents, radios, clients, LVAPs and apps, and one line
//! of event history) and gives them to the [`Recorder`], which never
//! blocks: the frame path does not wait on the database.
//!
//! # Reading, at start
//!
//! [`restore`] loads the store into a fresh core before any agent
//! connects: every client with its BSSID (kept for good, so that a client
//! keeps its BSSID across restarts) and its last station state, every
//! agent and its radios (known, down until they connect). The LVAP rows
//! are *not* loaded as the truth: the store is written asynchronously, so
//! after a SIGKILL it may be a step behind (a migration that completed
//! just before). The agents' hellos are the truth about where LVAPs are;
//! the reconciliation adopts what they report (see
//! [`crate::core::agents`]). The LVAP rows serve the history, the API and
//! the check that a restart lost nothing.
//!
//! Apps: the configuration file says which apps run and how; a change made
//! at run time (API, dashboard) is stored with the file's section it
//! replaced, and wins at the next start as long as that section is
//! unchanged (an administrator who edits the file gets the file).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::core::{Controller, ControllerEvent};
use crate::store::{EventRecord, Recorder, Snapshot, StoreOp};

/// Turns events into store writes.
#[derive(Debug)]
pub struct Projector {
    recorder: Recorder,
    /// The configuration file's section of each app, to store beside the
    /// app's state (see the module documentation).
    app_files: BTreeMap<String, Value>,
}

/// The event kinds kept in the history: what a person asks about later.
/// Heard reports, step acknowledgements, subscription matches and command
/// results are many and are summed up by the kept ones.
fn kept_in_history(event: &ControllerEvent) -> bool {
    !matches!(
        event,
        ControllerEvent::ClientHeard { .. }
            | ControllerEvent::HandoffStepDone { .. }
            | ControllerEvent::SubscriptionMatched { .. }
            | ControllerEvent::CommandResult { .. }
    )
}

impl Projector {
    /// A projector writing through `recorder`.
    pub fn new(recorder: Recorder) -> Projector {
        Projector {
            recorder,
            app_files: BTreeMap::new(),
        }
    }

    /// Records, with every later change of `app`, the configuration
    /// file's section it came from.
    pub fn app_file_section(&mut self, app: &str, section: Value) {
        self.app_files.insert(app.to_string(), section);
    }

    /// The recorder.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Records what `event` changed; `core` is the controller after the
    /// input that caused it, `at_unix_us` the event's time.
    pub fn event(&mut self, event: &ControllerEvent, core: &Controller, at_unix_us: u64) {
        let mut ops = Vec::new();
        let client_op = |mac| {
            core.client(&mac).map(|c| StoreOp::UpsertClient {
                mac,
                bssid: c.bssid,
                station: c.station.clone(),
                at_unix_us,
            })
        };
        // Where the registry has the client's LVAP now.
        let lvap_op = |mac| {
            let c = core.client(&mac)?;
            let (lvap, bssid) = (c.lvap.as_ref()?, c.bssid?);
            Some(StoreOp::UpsertLvap {
                client: mac,
                bssid,
                agent: lvap.at.agent.clone(),
                radio: lvap.at.radio,
                at_unix_us,
            })
        };
        match event {
            ControllerEvent::AgentUp {
                agent,
                software,
                radios,
            } => {
                ops.push(StoreOp::UpsertAgent {
                    name: agent.clone(),
                    software: software.clone(),
                    up: true,
                    at_unix_us,
                });
                ops.extend(radios.iter().map(|r| StoreOp::UpsertRadio {
                    agent: agent.clone(),
                    index: r.index,
                    info: r.clone(),
                }));
            }
            ControllerEvent::AgentDown { agent, .. } => {
                ops.push(StoreOp::UpsertAgent {
                    name: agent.clone(),
                    software: core
                        .agents()
                        .get(agent)
                        .map(|a| a.software.clone())
                        .unwrap_or_default(),
                    up: false,
                    at_unix_us,
                });
            }
            ControllerEvent::LvapPlaced { client, .. }
            | ControllerEvent::LvapAdopted { client, .. }
            | ControllerEvent::HandoffCompleted { client, .. }
            | ControllerEvent::HandoffFailed { client, .. } => {
                ops.extend(client_op(*client));
                ops.extend(lvap_op(*client));
            }
            ControllerEvent::LvapRemoved { client, .. }
            | ControllerEvent::LvapOrphaned { client, .. } => {
                ops.extend(client_op(*client));
                ops.push(StoreOp::DeleteLvap {
                    client: *client,
                    at_unix_us,
                });
            }
            ControllerEvent::ClientAuthorized { client, .. }
            | ControllerEvent::ClientLeft { client, .. } => {
                ops.extend(client_op(*client));
            }
            ControllerEvent::ChannelChanged { at, .. } => {
                if let Some(radio) = core
                    .agents()
                    .get(&at.agent)
                    .and_then(|a| a.radios.get(&at.radio))
                {
                    ops.push(StoreOp::UpsertRadio {
                        agent: at.agent.clone(),
                        index: at.radio,
                        info: radio.info.clone(),
                    });
                }
            }
            ControllerEvent::AppChanged {
                name,
                enabled,
                config,
            } => {
                let file = self.app_files.get(name).cloned().unwrap_or(Value::Null);
                ops.push(StoreOp::SetApp {
                    name: name.clone(),
                    enabled: *enabled,
                    config: json!({ "config": config, "file": file }),
                    at_unix_us,
                });
            }
            _ => {}
        }
        if kept_in_history(event) {
            ops.push(StoreOp::AppendEvent(EventRecord {
                at_unix_us,
                kind: event.kind().to_string(),
                client: event.client(),
                agent: event.agent().map(str::to_string),
                app: event.app().map(str::to_string),
                detail: event.detail(),
            }));
        }
        for op in ops {
            self.recorder.record(op);
        }
    }
}

/// What [`restore`] loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    /// Agents (down until they connect).
    pub agents: usize,
    /// Clients, with their BSSIDs.
    pub clients: usize,
    /// Client rows refused (a BSSID another client holds).
    pub refused: usize,
    /// LVAP rows (not loaded: the agents' hellos say where LVAPs are).
    pub lvaps: usize,
}

/// Loads a snapshot into a fresh core (see the module documentation).
pub fn restore(core: &mut Controller, snapshot: &Snapshot) -> Restored {
    let mut restored = Restored {
        lvaps: snapshot.lvaps.len(),
        ..Restored::default()
    };
    for agent in &snapshot.agents {
        let radios = snapshot
            .radios
            .iter()
            .filter(|r| r.agent == agent.name)
            .map(|r| r.info.clone())
            .collect();
        core.restore_agent(&agent.name, &agent.software, radios);
        restored.agents += 1;
    }
    for client in &snapshot.clients {
        if core.restore_client(client.mac, client.bssid, client.station.clone()) {
            restored.clients += 1;
        } else {
            restored.refused += 1;
        }
    }
    restored
}

/// An app's state as the configuration file gives it and as the store
/// remembers it: what to start with.
#[derive(Debug, Clone, PartialEq)]
pub struct AppStart {
    /// Enabled.
    pub enabled: bool,
    /// Its configuration.
    pub config: Value,
    /// Where that came from: `"file"` or `"store"`.
    pub source: &'static str,
}

/// Decides how an app starts from its section of the configuration file
/// (`enabled`, default true, and the app's own keys): the stored state
/// when the section is the one it was stored with, else the section.
pub fn app_start(name: &str, file_section: &Value, snapshot: &Snapshot) -> AppStart {
    let stored = snapshot.apps.iter().find(|a| a.name == name);
    match stored {
        Some(row) if row.config.get("file") == Some(file_section) => AppStart {
            enabled: row.enabled,
            config: row.config.get("config").cloned().unwrap_or(Value::Null),
            source: "store",
        },
        _ => {
            let mut config = file_section.clone();
            let enabled = match config.as_object_mut().and_then(|t| t.remove("enabled")) {
                Some(Value::Bool(b)) => b,
                _ => true,
            };
            AppStart {
                enabled,
                config,
                source: "file",
            }
        }
    }
}
