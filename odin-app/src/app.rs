//! The trait an app implements, and how the controller makes one.

use std::fmt;

use odin_proto::MacAddr;
use serde::de::DeserializeOwned;

use crate::context::{Context, Network};
use crate::error::AppError;
use crate::event::Event;
use crate::types::{Candidate, RadioRef};

/// A controller app.
///
/// The controller calls an app from its own task, one call at a time, with
/// the network as it is at that moment: a handler must return quickly (no
/// blocking, no sleeping; use [`Context::set_timer`] to come back later).
///
/// A handler's requests (handoffs, channel changes, subscriptions,
/// timers) take effect when it returns `Ok`. When it returns `Err` or
/// panics, its requests are dropped and the failure is reported (with the
/// app's name) in the controller's events and metrics; the controller and
/// the other apps go on. An app that panics is re-created from its
/// configuration and started again; one that panics three times within a
/// minute is disabled.
pub trait App: Send {
    /// Called once, when the app is enabled (at the controller's start,
    /// or at run time).
    fn start(&mut self, ctx: &mut Context<'_>) -> Result<(), AppError> {
        let _ = ctx;
        Ok(())
    }

    /// Called for every event: the network's events, and the app's own
    /// subscriptions' matches, timers and action results.
    fn on_event(&mut self, ctx: &mut Context<'_>, event: &Event) -> Result<(), AppError>;

    /// Who should serve a new client: the radios to try, best first, among
    /// `candidates` (radios of up agents with room that heard the client).
    /// `None` leaves the decision to the next app, and finally to the
    /// controller's default (the strongest signal). Radios not among the
    /// candidates are ignored.
    fn place(
        &mut self,
        net: &dyn Network,
        client: MacAddr,
        candidates: &[Candidate],
    ) -> Option<Vec<RadioRef>> {
        let _ = (net, client, candidates);
        None
    }

    /// Called when the app is disabled or reconfigured. Its
    /// subscriptions and timers are removed by the controller afterwards.
    fn stop(&mut self, net: &dyn Network) {
        let _ = net;
    }
}

/// How the controller makes an app: its name (as used in the
/// configuration file and the API), a one-line description, and a
/// constructor from its configuration.
#[derive(Clone, Copy)]
pub struct AppKind {
    /// The name.
    pub name: &'static str,
    /// What it does, in one line.
    pub about: &'static str,
    /// Makes the app from its configuration (the TOML table of the
    /// configuration file, or the JSON given to the API; `null` when
    /// there is none).
    pub create: fn(&serde_json::Value) -> Result<Box<dyn App>, AppError>,
}

impl fmt::Debug for AppKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppKind")
            .field("name", &self.name)
            .field("about", &self.about)
            .finish_non_exhaustive()
    }
}

/// Reads an app's configuration into its own type: `null` counts as an
/// empty table, so that `#[serde(default)]` fields take their defaults;
/// an unusable one is [`AppError::Config`] with serde's message (use
/// `#[serde(deny_unknown_fields)]` to have typos refused).
pub fn parse_config<T: DeserializeOwned>(config: &serde_json::Value) -> Result<T, AppError> {
    let value = match config {
        serde_json::Value::Null => serde_json::Value::Object(serde_json::Map::new()),
        other => other.clone(),
    };
    serde_json::from_value(value).map_err(|e| AppError::Config(e.to_string()))
}
