//! Driving an app in a unit test, without a controller: a [`TestNetwork`]
//! the test fills in, and a [`Harness`] that calls the app the way the
//! controller does (requests kept only when the handler returns `Ok`) and
//! hands back what it asked for.
//!
//! For the real thing (agents, clients and the air), test on the
//! in-process network of `odin-testbed`.

use std::collections::BTreeMap;

use odin_proto::msg::{Band, RadioIndex};
use odin_proto::MacAddr;

use crate::app::App;
use crate::context::{Context, Holdings, Network, Request};
use crate::error::AppError;
use crate::event::Event;
use crate::types::{
    AgentInfo, Candidate, ClientInfo, Heard, Instant, LvapInfo, LvapState, RadioInfo, RadioRef,
};

/// A network held in plain maps.
#[derive(Debug, Clone, Default)]
pub struct TestNetwork {
    /// The clock.
    pub now: Instant,
    /// Agents by name.
    pub agents: BTreeMap<String, AgentInfo>,
    /// Clients by address.
    pub clients: BTreeMap<MacAddr, ClientInfo>,
    /// Clients being moved, and by whom.
    pub moving: BTreeMap<MacAddr, String>,
}

impl TestNetwork {
    /// An up agent with one 2.4 GHz radio (index 0) on `channel`.
    pub fn add_agent(&mut self, name: &str, channel: u8) -> &mut TestNetwork {
        let radio = RadioInfo {
            at: RadioRef::new(name, 0),
            band: Band::Ghz2,
            channel,
            channels: (1..=13).collect(),
            max_lvaps: 64,
            load: 0,
            utilization: None,
        };
        self.agents.insert(
            name.to_string(),
            AgentInfo {
                name: name.to_string(),
                up: true,
                radios: vec![radio],
            },
        );
        self
    }

    /// A client served by radio 0 of `agent` (active LVAP, associated).
    pub fn add_client(&mut self, mac: MacAddr, agent: &str) -> &mut TestNetwork {
        self.clients.insert(
            mac,
            ClientInfo {
                mac,
                bssid: None,
                lvap: Some(LvapInfo {
                    at: RadioRef::new(agent, 0),
                    state: LvapState::Active,
                }),
                associated: true,
                heard: Vec::new(),
                stats: Vec::new(),
            },
        );
        self
    }

    /// Radio 0 of `agent` hears `client` at `signal_dbm`, now.
    pub fn hear(&mut self, client: MacAddr, agent: &str, signal_dbm: i8) -> &mut TestNetwork {
        let now = self.now;
        if let Some(c) = self.clients.get_mut(&client) {
            let at = RadioRef::new(agent, 0);
            c.heard.retain(|h| h.at != at);
            c.heard.push(Heard {
                at,
                signal_dbm,
                when: now,
            });
            c.heard.sort_by_key(|h| std::cmp::Reverse(h.signal_dbm));
        }
        self
    }
}

impl Network for TestNetwork {
    fn now(&self) -> Instant {
        self.now
    }

    fn agents(&self) -> Vec<AgentInfo> {
        self.agents.values().cloned().collect()
    }

    fn agent(&self, name: &str) -> Option<AgentInfo> {
        self.agents.get(name).cloned()
    }

    fn clients(&self) -> Vec<MacAddr> {
        self.clients.keys().copied().collect()
    }

    fn client(&self, mac: MacAddr) -> Option<ClientInfo> {
        self.clients.get(&mac).cloned()
    }

    fn moving(&self, client: MacAddr) -> Option<String> {
        self.moving.get(&client).cloned()
    }
}

/// Calls one app as the controller would.
pub struct Harness<A> {
    /// The app.
    pub app: A,
    /// Its name.
    pub name: String,
    /// What it holds.
    pub holdings: Holdings,
}

impl<A> std::fmt::Debug for Harness<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("name", &self.name)
            .field("holdings", &self.holdings)
            .finish_non_exhaustive()
    }
}

impl<A: App> Harness<A> {
    /// A harness for `app`, named `name`.
    pub fn new(name: &str, app: A) -> Harness<A> {
        Harness {
            app,
            name: name.to_string(),
            holdings: Holdings::default(),
        }
    }

    /// Starts the app; returns its requests.
    pub fn start(&mut self, net: &TestNetwork) -> Result<Vec<Request>, AppError> {
        self.call(net, |app, ctx| app.start(ctx))
    }

    /// Gives the app one event; returns its requests.
    pub fn event(&mut self, net: &TestNetwork, event: &Event) -> Result<Vec<Request>, AppError> {
        self.call(net, |app, ctx| app.on_event(ctx, event))
    }

    /// Asks the app where a new client should go.
    pub fn place(
        &mut self,
        net: &TestNetwork,
        client: MacAddr,
        candidates: &[Candidate],
    ) -> Option<Vec<RadioRef>> {
        self.app.place(net, client, candidates)
    }

    fn call(
        &mut self,
        net: &TestNetwork,
        f: impl FnOnce(&mut A, &mut Context<'_>) -> Result<(), AppError>,
    ) -> Result<Vec<Request>, AppError> {
        let before = self.holdings.clone();
        let mut requests = Vec::new();
        let mut ctx = Context::new(&self.name, net, &mut self.holdings, &mut requests);
        match f(&mut self.app, &mut ctx) {
            Ok(()) => Ok(requests),
            Err(e) => {
                self.holdings = before;
                Err(e)
            }
        }
    }
}

/// `radio` of `agent`, for tests.
pub fn radio(agent: &str, radio: RadioIndex) -> RadioRef {
    RadioRef::new(agent, radio)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_of_one_radio() {
        let (a, b, c) = (
            MacAddr([2, 0, 0, 0, 0, 1]),
            MacAddr([2, 0, 0, 0, 0, 2]),
            MacAddr([2, 0, 0, 0, 0, 3]),
        );
        let mut net = TestNetwork::default();
        net.add_agent("ap1", 1)
            .add_agent("ap2", 6)
            .add_client(a, "ap1")
            .add_client(b, "ap2")
            .add_client(c, "ap1");
        assert_eq!(net.clients_on(&radio("ap1", 0)), vec![a, c]);
        assert_eq!(net.clients_on(&radio("ap2", 0)), vec![b]);
        assert!(net.clients_on(&radio("ap3", 0)).is_empty());
    }
}
