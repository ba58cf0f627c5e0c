//! What an app reads the network through and acts through.

use std::collections::BTreeSet;
use std::time::Duration;

use odin_proto::msg::RadioIndex;
use odin_proto::MacAddr;

use crate::error::AppError;
use crate::types::{
    ActionId, AgentInfo, ClientInfo, Filter, Instant, LvapState, RadioRef, SubscriptionId, TimerId,
};

/// The network as the controller knows it, read-only. The controller
/// implements it over its registry; [`crate::testing::TestNetwork`] is a
/// plain one for tests.
pub trait Network {
    /// The controller's clock (the time base of every [`Instant`] here).
    fn now(&self) -> Instant;
    /// Every agent the controller has seen, up or not, by name.
    fn agents(&self) -> Vec<AgentInfo>;
    /// One agent.
    fn agent(&self, name: &str) -> Option<AgentInfo>;
    /// Every client's address.
    fn clients(&self) -> Vec<MacAddr>;
    /// One client.
    fn client(&self, mac: MacAddr) -> Option<ClientInfo>;
    /// The clients whose LVAP one radio hosts (or is being placed on).
    /// The controller answers from an index; this default walks every
    /// client.
    fn clients_on(&self, at: &RadioRef) -> Vec<MacAddr> {
        self.clients()
            .into_iter()
            .filter(|mac| {
                self.client(*mac)
                    .and_then(|c| c.lvap)
                    .is_some_and(|l| l.at == *at)
            })
            .collect()
    }
    /// Who is moving the client right now (an app's name, `"api"`,
    /// `"controller"`), if anyone.
    fn moving(&self, client: MacAddr) -> Option<String>;
}

/// Something an app asked for, carried out by the controller once the
/// handler returned `Ok`.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Move a client's LVAP.
    Handoff {
        /// Its id.
        action: ActionId,
        /// The client.
        client: MacAddr,
        /// The target agent.
        to: String,
        /// The target radio; `None`: the one that hears the client best.
        radio: Option<RadioIndex>,
        /// Why, for the record.
        reason: String,
    },
    /// Move a radio (and its LVAPs) to another channel.
    SetChannel {
        /// Its id.
        action: ActionId,
        /// The radio.
        at: RadioRef,
        /// The channel.
        channel: u8,
        /// Why, for the record.
        reason: String,
    },
    /// Install a subscription on every agent.
    Subscribe {
        /// Its id.
        subscription: SubscriptionId,
        /// What to watch.
        filter: Filter,
    },
    /// Remove a subscription.
    Unsubscribe {
        /// Its id.
        subscription: SubscriptionId,
    },
    /// Fire a timer at a time.
    SetTimer {
        /// Its id.
        timer: TimerId,
        /// When.
        at: Instant,
    },
    /// Cancel a timer.
    CancelTimer {
        /// Its id.
        timer: TimerId,
    },
}

/// What an app holds: its subscriptions and timers, and its id counter.
/// The controller keeps one per app and hands it to every [`Context`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    /// The last id handed out (actions, subscriptions and timers share
    /// the counter).
    pub last_id: u64,
    /// Installed subscriptions.
    pub subscriptions: BTreeSet<SubscriptionId>,
    /// Timers that have not fired.
    pub timers: BTreeSet<TimerId>,
}

impl Holdings {
    fn next(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }
}

/// An app's handle on the controller during one call: reads the network,
/// and queues requests that take effect when the call returns `Ok`.
pub struct Context<'a> {
    app: &'a str,
    net: &'a dyn Network,
    holdings: &'a mut Holdings,
    requests: &'a mut Vec<Request>,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("app", &self.app)
            .field("holdings", &self.holdings)
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

impl<'a> Context<'a> {
    /// A context for app `app` (the controller makes them; tests use
    /// [`crate::testing::Harness`]).
    pub fn new(
        app: &'a str,
        net: &'a dyn Network,
        holdings: &'a mut Holdings,
        requests: &'a mut Vec<Request>,
    ) -> Context<'a> {
        Context {
            app,
            net,
            holdings,
            requests,
        }
    }

    /// This app's name.
    pub fn app(&self) -> &str {
        self.app
    }

    /// The network.
    pub fn network(&self) -> &dyn Network {
        self.net
    }

    /// The controller's clock.
    pub fn now(&self) -> Instant {
        self.net.now()
    }

    /// Every agent, by name.
    pub fn agents(&self) -> Vec<AgentInfo> {
        self.net.agents()
    }

    /// One agent.
    pub fn agent(&self, name: &str) -> Option<AgentInfo> {
        self.net.agent(name)
    }

    /// Every client's address.
    pub fn clients(&self) -> Vec<MacAddr> {
        self.net.clients()
    }

    /// One client, with its LVAP, signals and statistics.
    pub fn client(&self, mac: MacAddr) -> Option<ClientInfo> {
        self.net.client(mac)
    }

    /// The clients whose LVAP `at` hosts (or is being placed on): cheaper
    /// than reading every client when an app looks at one radio.
    pub fn clients_on(&self, at: &RadioRef) -> Vec<MacAddr> {
        self.net.clients_on(at)
    }

    /// Asks for `client`'s LVAP to move to `agent` (its radio that hears
    /// the client best). The result comes as [`crate::Event::ActionDone`];
    /// the move itself as [`crate::Event::LvapMoved`], recorded with this
    /// app's name and `reason`.
    pub fn handoff(
        &mut self,
        client: MacAddr,
        agent: &str,
        reason: impl Into<String>,
    ) -> Result<ActionId, AppError> {
        self.handoff_to(client, agent, None, reason)
    }

    /// [`Context::handoff`] to one radio of the agent.
    pub fn handoff_to(
        &mut self,
        client: MacAddr,
        agent: &str,
        radio: Option<RadioIndex>,
        reason: impl Into<String>,
    ) -> Result<ActionId, AppError> {
        let info = self
            .net
            .client(client)
            .ok_or(AppError::UnknownClient(client))?;
        if let Some(by) = self.net.moving(client) {
            return Err(AppError::ClientBusy { client, by });
        }
        let queued = self
            .requests
            .iter()
            .any(|r| matches!(r, Request::Handoff { client: c, .. } if *c == client));
        if queued {
            return Err(AppError::ClientBusy {
                client,
                by: self.app.to_string(),
            });
        }
        let lvap = info.lvap.as_ref().ok_or(AppError::NoLvap(client))?;
        if lvap.state != LvapState::Active {
            return Err(AppError::NoLvap(client));
        }
        let target = self
            .net
            .agent(agent)
            .ok_or_else(|| AppError::UnknownAgent(agent.to_string()))?;
        if !target.up {
            return Err(AppError::AgentDown(agent.to_string()));
        }
        if let Some(radio) = radio {
            if !target.radios.iter().any(|r| r.at.radio == radio) {
                return Err(AppError::UnknownRadio(RadioRef::new(agent, radio)));
            }
        }
        if lvap.at.agent == agent && radio.is_none_or(|r| r == lvap.at.radio) {
            return Err(AppError::AlreadyThere);
        }
        let action = ActionId(self.holdings.next());
        self.requests.push(Request::Handoff {
            action,
            client,
            to: agent.to_string(),
            radio,
            reason: reason.into(),
        });
        Ok(action)
    }

    /// Asks for a radio to move to `channel`; its LVAPs follow (their
    /// clients are told with channel switch announcements).
    pub fn set_channel(
        &mut self,
        at: &RadioRef,
        channel: u8,
        reason: impl Into<String>,
    ) -> Result<ActionId, AppError> {
        let agent = self
            .net
            .agent(&at.agent)
            .ok_or_else(|| AppError::UnknownAgent(at.agent.clone()))?;
        if !agent.up {
            return Err(AppError::AgentDown(at.agent.clone()));
        }
        let radio = agent
            .radios
            .iter()
            .find(|r| r.at.radio == at.radio)
            .ok_or_else(|| AppError::UnknownRadio(at.clone()))?;
        if !radio.channels.contains(&channel) {
            return Err(AppError::InvalidChannel(channel));
        }
        let action = ActionId(self.holdings.next());
        self.requests.push(Request::SetChannel {
            action,
            at: at.clone(),
            channel,
            reason: reason.into(),
        });
        Ok(action)
    }

    /// Installs a subscription on every agent (now and as they come up);
    /// its matches come as [`crate::Event::Matched`].
    pub fn subscribe(&mut self, filter: Filter) -> Result<SubscriptionId, AppError> {
        filter.validate()?;
        let subscription = SubscriptionId(self.holdings.next());
        self.holdings.subscriptions.insert(subscription);
        self.requests.push(Request::Subscribe {
            subscription,
            filter,
        });
        Ok(subscription)
    }

    /// Removes one of this app's subscriptions.
    pub fn unsubscribe(&mut self, subscription: SubscriptionId) -> Result<(), AppError> {
        if !self.holdings.subscriptions.remove(&subscription) {
            return Err(AppError::UnknownSubscription(subscription));
        }
        self.requests.push(Request::Unsubscribe { subscription });
        Ok(())
    }

    /// A timer that fires once, `after` from now, as
    /// [`crate::Event::Timer`].
    pub fn set_timer(&mut self, after: Duration) -> TimerId {
        let timer = TimerId(self.holdings.next());
        self.holdings.timers.insert(timer);
        let at = self.net.now() + after;
        self.requests.push(Request::SetTimer { timer, at });
        timer
    }

    /// Cancels a timer that has not fired.
    pub fn cancel_timer(&mut self, timer: TimerId) -> Result<(), AppError> {
        if !self.holdings.timers.remove(&timer) {
            return Err(AppError::UnknownTimer(timer));
        }
        self.requests.push(Request::CancelTimer { timer });
        Ok(())
    }

    /// Logs a line, attributed to this app.
    pub fn log(&self, message: impl std::fmt::Display) {
        tracing::info!(app = self.app, "{message}");
    }

    /// Logs a warning, attributed to this app.
    pub fn warn(&self, message: impl std::fmt::Display) {
        tracing::warn!(app = self.app, "{message}");
    }
}
