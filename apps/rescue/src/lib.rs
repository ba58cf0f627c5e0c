//! **rescue**: when a client's signal at the access point serving it falls
//! below a threshold, move it to the access point that hears it best, if
//! that one is better by a margin.
//!
//! The example app of the app guide (`odin-app`'s crate documentation):
//! small on purpose. It shows a subscription evaluated at the agents, a
//! decision from the signals other agents report, a handoff with its
//! reason, and what to do with a refused or failed action.
//! The mobility manager does the same job with smoothing and dwell times.
//!
//! Configuration (`[apps.rescue]` in the controller's configuration file;
//! every key optional):
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `threshold_dbm` | -70 | a serving signal below this starts a rescue |
//! | `hysteresis_db` | 3 | the agent reports again only once the signal was back above threshold + this |
//! | `margin_db` | 6 | the new access point must hear the client at least this much better |
//! | `max_age_ms` | 3000 | signal reports older than this do not count |
//! | `min_interval_ms` | 1000 | at most one report per client and radio per this long |

use std::time::Duration;

use odin_app::{
    parse_config, App, AppError, AppKind, Context, Event, Filter, MacAddr, RadioRef, SubscriptionId,
};
use serde::Deserialize;

/// The app's settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// A serving signal below this (dBm) starts a rescue.
    pub threshold_dbm: f64,
    /// Re-arm margin of the subscription (dB).
    pub hysteresis_db: f64,
    /// How much better the new access point must hear the client (dB).
    pub margin_db: i16,
    /// How old a signal report may be to count (ms).
    pub max_age_ms: u64,
    /// At most one report per client and radio per this long (ms).
    pub min_interval_ms: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            threshold_dbm: -70.0,
            hysteresis_db: 3.0,
            margin_db: 6,
            max_age_ms: 3000,
            min_interval_ms: 1000,
        }
    }
}

/// The app.
#[derive(Debug)]
pub struct Rescue {
    config: Config,
    weak: Option<SubscriptionId>,
}

/// How the controller makes it.
pub const KIND: AppKind = AppKind {
    name: "rescue",
    about:
        "moves a client whose signal at its access point grows weak to the one that hears it best",
    create: |config| Ok(Box::new(Rescue::new(parse_config(config)?))),
};

impl Rescue {
    /// The app with these settings.
    pub fn new(config: Config) -> Rescue {
        Rescue { config, weak: None }
    }

    /// The client's weak signal `value` was measured at `at`: move it if
    /// `at` serves it and another agent hears it better by the margin.
    fn rescue(
        &self,
        ctx: &mut Context<'_>,
        client: MacAddr,
        at: &RadioRef,
        value: f64,
    ) -> Result<(), AppError> {
        let Some(info) = ctx.client(client) else {
            return Ok(());
        };
        if info.serving_agent() != Some(at.agent.as_str()) {
            // Another agent hears it weakly: nothing to rescue.
            return Ok(());
        }
        let now = ctx.now();
        let max_age = Duration::from_millis(self.config.max_age_ms);
        let best = info
            .heard
            .iter()
            .filter(|h| h.at.agent != at.agent && now.saturating_since(h.when) <= max_age)
            .max_by_key(|h| h.signal_dbm);
        let Some(best) = best else {
            ctx.log(format_args!(
                "{client} is weak at {at} ({value} dBm) and no other agent hears it"
            ));
            return Ok(());
        };
        let serving = value as i16;
        if i16::from(best.signal_dbm) < serving + self.config.margin_db {
            return Ok(());
        }
        let reason = format!(
            "signal {serving} dBm at {} below {} dBm; {} hears {} dBm",
            at.agent, self.config.threshold_dbm, best.at.agent, best.signal_dbm
        );
        match ctx.handoff(client, &best.at.agent, reason.clone()) {
            Ok(_) => {
                ctx.log(format_args!("moving {client}: {reason}"));
                Ok(())
            }
            // Someone else is moving it, or it is not movable right now:
            // the next report will tell.
            Err(AppError::ClientBusy { .. } | AppError::NoLvap(_) | AppError::AgentDown(_)) => {
                Ok(())
            }
            Err(other) => Err(other),
        }
    }
}

impl App for Rescue {
    fn start(&mut self, ctx: &mut Context<'_>) -> Result<(), AppError> {
        let filter = Filter::signal_below(self.config.threshold_dbm)
            .hysteresis(self.config.hysteresis_db)
            .min_interval(Duration::from_millis(self.config.min_interval_ms));
        self.weak = Some(ctx.subscribe(filter)?);
        Ok(())
    }

    fn on_event(&mut self, ctx: &mut Context<'_>, event: &Event) -> Result<(), AppError> {
        match event {
            Event::Matched {
                subscription,
                client,
                at,
                value,
            } if Some(*subscription) == self.weak => self.rescue(ctx, *client, at, *value),
            Event::ActionDone {
                action,
                result: Err(e),
            } => {
                ctx.warn(format_args!("move {} failed: {e}", action.0));
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use odin_app::testing::{Harness, TestNetwork};
    use odin_app::{Instant, Request};

    use super::*;

    const CLIENT: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 1]);

    fn network() -> TestNetwork {
        let mut net = TestNetwork::default();
        net.add_agent("ap1", 1)
            .add_agent("ap2", 1)
            .add_client(CLIENT, "ap1");
        net.now = Instant::from_secs(10);
        net
    }

    fn started(net: &TestNetwork) -> (Harness<Rescue>, SubscriptionId) {
        let mut h = Harness::new("rescue", Rescue::new(Config::default()));
        let requests = h.start(net).expect("starts");
        let [Request::Subscribe {
            subscription,
            filter,
        }] = requests.as_slice()
        else {
            panic!("one subscription expected: {requests:?}");
        };
        assert_eq!(
            filter,
            &Filter::signal_below(-70.0)
                .hysteresis(3.0)
                .min_interval(Duration::from_secs(1))
        );
        (h, *subscription)
    }

    fn weak_at(subscription: SubscriptionId, agent: &str, value: f64) -> Event {
        Event::Matched {
            subscription,
            client: CLIENT,
            at: RadioRef::new(agent, 0),
            value,
        }
    }

    #[test]
    fn a_weak_client_moves_to_the_agent_that_hears_it_best() {
        let mut net = network();
        net.hear(CLIENT, "ap1", -74).hear(CLIENT, "ap2", -60);
        let (mut h, sub) = started(&net);
        let requests = h.event(&net, &weak_at(sub, "ap1", -74.0)).expect("handled");
        assert_eq!(
            requests,
            vec![Request::Handoff {
                action: odin_app::ActionId(2),
                client: CLIENT,
                to: "ap2".into(),
                radio: None,
                reason: "signal -74 dBm at ap1 below -70 dBm; ap2 hears -60 dBm".into(),
            }]
        );
    }

    #[test]
    fn no_move_without_the_margin_a_fresh_report_or_when_not_serving() {
        let mut net = network();
        net.hear(CLIENT, "ap2", -70);
        let (mut h, sub) = started(&net);
        // ap2 is only 4 dB better.
        assert_eq!(h.event(&net, &weak_at(sub, "ap1", -74.0)), Ok(vec![]));
        // ap2's report is too old.
        net.hear(CLIENT, "ap2", -50);
        net.now = net.now + Duration::from_millis(3001);
        assert_eq!(h.event(&net, &weak_at(sub, "ap1", -74.0)), Ok(vec![]));
        // The weak report comes from ap2, which does not serve the client.
        net.hear(CLIENT, "ap1", -50);
        assert_eq!(h.event(&net, &weak_at(sub, "ap2", -80.0)), Ok(vec![]));
    }

    #[test]
    fn a_client_another_app_moves_is_left_alone() {
        let mut net = network();
        net.hear(CLIENT, "ap2", -50);
        net.moving.insert(CLIENT, "balancer".into());
        let (mut h, sub) = started(&net);
        assert_eq!(h.event(&net, &weak_at(sub, "ap1", -80.0)), Ok(vec![]));
    }

    #[test]
    fn the_configuration_is_checked() {
        let create = KIND.create;
        assert!(create(&serde_json::Value::Null).is_ok());
        assert!(create(&serde_json::json!({ "threshold_dbm": -65.0, "margin_db": 3 })).is_ok());
        let Err(AppError::Config(why)) = create(&serde_json::json!({ "treshold_dbm": -65.0 }))
        else {
            panic!("a typo must be refused");
        };
        assert!(why.contains("treshold_dbm"), "{why}");
    }
}
