//! The app runtime in the core, with exact inputs and times: events in,
//! requests out, attribution, isolation of failing apps, timers,
//! subscriptions routed to their app, placement by an app.

use std::cell::RefCell;
use std::time::Duration;

use odin_app::{parse_config, App, AppError, AppKind, Context, Event, Filter, RadioRef};
use odin_proto::msg::{AgentMsg, ClientEvent, ControllerMsg, Outcome, Relation, Statistic};
use serde::Deserialize;

use super::*;

thread_local! {
    /// What the test apps heard, by app (the core runs on the test's
    /// thread).
    static HEARD: RefCell<Vec<(String, Event)>> = const { RefCell::new(Vec::new()) };
}

fn heard_by(app: &str) -> Vec<Event> {
    HEARD.with(|h| {
        h.borrow()
            .iter()
            .filter(|(a, _)| a == app)
            .map(|(_, e)| e.clone())
            .collect()
    })
}

/// A scriptable app: what it does is in its configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Script {
    /// Its name (to record what it hears).
    name: String,
    /// Move every client that joins to this agent.
    move_joined_to: Option<String>,
    /// Subscribe to signal below this at start.
    subscribe_below: Option<f64>,
    /// Panic on every event.
    panic: bool,
    /// Subscribe, then return an error, on every join.
    fail_after_subscribing: bool,
    /// Set a timer of this many ms at start.
    timer_ms: Option<u64>,
    /// Place new clients on this agent first.
    place_on: Option<String>,
}

impl App for Script {
    fn start(&mut self, ctx: &mut Context<'_>) -> Result<(), AppError> {
        if let Some(threshold) = self.subscribe_below {
            ctx.subscribe(Filter::signal_below(threshold).min_interval(Duration::from_secs(1)))?;
        }
        if let Some(ms) = self.timer_ms {
            ctx.set_timer(Duration::from_millis(ms));
        }
        Ok(())
    }

    fn on_event(&mut self, ctx: &mut Context<'_>, event: &Event) -> Result<(), AppError> {
        HEARD.with(|h| h.borrow_mut().push((self.name.clone(), event.clone())));
        if self.panic {
            panic!("scripted panic");
        }
        if let Event::ClientJoined { client, .. } = event {
            if self.fail_after_subscribing {
                ctx.subscribe(Filter::signal_above(-20.0))?;
                return Err(AppError::other("scripted failure"));
            }
            if let Some(to) = &self.move_joined_to {
                ctx.handoff(*client, to, "scripted move")?;
            }
        }
        Ok(())
    }

    fn place(
        &mut self,
        _net: &dyn odin_app::Network,
        _client: MacAddr,
        candidates: &[Candidate],
    ) -> Option<Vec<RadioRef>> {
        let agent = self.place_on.as_ref()?;
        let mut order: Vec<RadioRef> = candidates.iter().map(|c| c.at.clone()).collect();
        order.sort_by_key(|at| &at.agent != agent);
        Some(order)
    }
}

fn kind(name: &'static str) -> AppKind {
    AppKind {
        name,
        about: "a scripted test app",
        create: |config| {
            let script: Script = parse_config(config)?;
            Ok(Box::new(script))
        },
    }
}

fn enable(h: &mut H, name: &str, config: serde_json::Value) -> Vec<Output> {
    let mut config = config;
    config["name"] = name.into();
    let (id, out) = h.command(Command::EnableApp {
        name: name.into(),
        config: Some(config),
    });
    assert_eq!(result_of(&out, id), Some(Ok(CommandOk::AppChanged)));
    out
}

/// Two agents, each with one radio on channel 6.
fn two_agents() -> (H, SessionId, SessionId) {
    HEARD.with(|h| h.borrow_mut().clear());
    let mut h = H::new();
    h.c.register_app(kind("one"));
    h.c.register_app(kind("two"));
    let a = h.up(A, vec![radio(0, 6, 8)]);
    let b = h.up(B, vec![radio(0, 6, 8)]);
    (h, a, b)
}

fn joined(bssid: MacAddr, client: MacAddr) -> AgentMsg {
    AgentMsg::Client {
        bssid,
        client,
        event: ClientEvent::Associated {
            reassociation: false,
        },
        station: None,
    }
}

#[test]
fn an_unknown_app_or_a_refused_configuration_changes_nothing() {
    let (mut h, _, _) = two_agents();
    let (id, out) = h.command(Command::EnableApp {
        name: "nope".into(),
        config: None,
    });
    assert_eq!(
        result_of(&out, id),
        Some(Err(CommandError::UnknownApp("nope".into())))
    );
    let (id, out) = h.command(Command::EnableApp {
        name: "one".into(),
        config: Some(serde_json::json!({ "no_such_field": 1 })),
    });
    assert!(matches!(
        result_of(&out, id),
        Some(Err(CommandError::AppConfig(why))) if why.contains("no_such_field")
    ));
    assert!(h.c.apps().iter().all(|a| !a.enabled));
}

#[test]
fn an_apps_handoff_is_attributed_and_its_result_comes_back_to_it_alone() {
    let (mut h, a, b) = two_agents();
    enable(&mut h, "one", serde_json::json!({ "move_joined_to": B }));
    enable(&mut h, "two", serde_json::json!({}));
    let bssid = h.place(a, 0, mac(1));
    h.heard(b, 0, mac(1), -60);
    h.at(ms(100));
    let st = station(mac(1), bssid);
    h.msg(a, authorized(bssid, mac(1), st.clone()));
    let out = h.msg(a, joined(bssid, mac(1)));
    // The app asked at once: the export went to the source, and the
    // handoff is the app's.
    let started = events(&out)
        .into_iter()
        .find_map(|e| match e {
            ControllerEvent::HandoffStarted { by, cause, .. } => Some((by, cause)),
            _ => None,
        })
        .expect("a handoff started");
    assert_eq!(started, (Origin::App("one".into()), "scripted move".into()));
    let (s, export) = only_send(&out);
    assert_eq!(s, a);
    assert!(matches!(export, ControllerMsg::ExportLvap { .. }));
    // Another app's handoff of that client is refused while it runs.
    let mut requests = Vec::new();
    let mut holdings = odin_app::Holdings::default();
    let mut ctx = Context::new("two", &h.c, &mut holdings, &mut requests);
    assert_eq!(
        ctx.handoff(mac(1), A, "me too"),
        Err(AppError::ClientBusy {
            client: mac(1),
            by: "one".into()
        })
    );
    // Through the steps.
    h.at(ms(102));
    let out = h.reply(
        a,
        export.id().unwrap(),
        Outcome::Station {
            station: st.clone(),
        },
    );
    let add = only_send(&out).1.id().unwrap();
    h.at(ms(105));
    let out = h.done(b, add);
    let sent = sends(&out);
    let (remove, authorize) = (sent[0].1.id().unwrap(), sent[1].1.id().unwrap());
    h.at(ms(110));
    h.done(a, remove);
    h.done(b, authorize);
    assert_eq!(h.host(mac(1)).map(|x| x.0), Some(B.to_string()));
    let one = heard_by("one");
    assert!(one
        .iter()
        .any(|e| matches!(e, Event::ActionDone { result: Ok(()), .. })));
    assert!(one.iter().any(|e| matches!(e,
        Event::LvapMoved { by, reason, .. } if by == "one" && reason == "scripted move")));
    let two = heard_by("two");
    assert!(two.iter().any(|e| matches!(e, Event::LvapMoved { .. })));
    assert!(
        two.iter().all(|e| !matches!(e, Event::ActionDone { .. })),
        "{two:#?}"
    );
}

#[test]
fn subscriptions_are_installed_at_every_agent_and_matches_go_to_their_app() {
    let (mut h, a, b) = two_agents();
    let out = enable(
        &mut h,
        "one",
        serde_json::json!({ "subscribe_below": -70.0 }),
    );
    let installs: Vec<_> = sends(&out)
        .into_iter()
        .filter_map(|(s, m)| match m {
            ControllerMsg::Subscribe { subscription, .. } => Some((s, subscription)),
            _ => None,
        })
        .collect();
    assert_eq!(installs.len(), 2);
    assert!(installs
        .iter()
        .all(|(_, sub)| sub.statistic == Statistic::SignalDbm
            && sub.relation == Relation::Below
            && sub.threshold == -70.0
            && sub.min_interval_ms == 1000));
    let core_id = installs[0].1.id;
    enable(&mut h, "two", serde_json::json!({}));
    h.msg(
        b,
        AgentMsg::Matched {
            subscription: core_id,
            client: mac(7),
            radio: 0,
            value: -75.0,
        },
    );
    let matched: Vec<Event> = heard_by("one")
        .into_iter()
        .filter(|e| matches!(e, Event::Matched { .. }))
        .collect();
    assert_eq!(
        matched,
        vec![Event::Matched {
            subscription: odin_app::SubscriptionId(1),
            client: mac(7),
            at: RadioRef::new(B, 0),
            value: -75.0,
        }]
    );
    assert!(heard_by("two")
        .iter()
        .all(|e| !matches!(e, Event::Matched { .. })));
    // Disabling the app removes its subscription at the agents.
    let (_, out) = h.command(Command::DisableApp { name: "one".into() });
    let removals = sends(&out)
        .into_iter()
        .filter(|(_, m)| matches!(m, ControllerMsg::Unsubscribe { subscription, .. } if *subscription == core_id))
        .count();
    assert_eq!(removals, 2);
    assert!(h.c.subscriptions().is_empty());
    let _ = a;
}

#[test]
fn a_failing_handler_has_its_requests_dropped_and_is_reported() {
    let (mut h, a, _) = two_agents();
    enable(
        &mut h,
        "one",
        serde_json::json!({ "fail_after_subscribing": true }),
    );
    let bssid = h.place(a, 0, mac(1));
    let out = h.msg(a, joined(bssid, mac(1)));
    assert!(
        sends(&out).is_empty(),
        "the subscription of a failed call is not installed"
    );
    assert!(events(&out).contains(&ControllerEvent::AppFailed {
        app: "one".into(),
        error: "scripted failure".into(),
        outcome: AppOutcome::Continued,
    }));
    let status = &h.c.apps()[0];
    assert!(status.enabled);
    assert_eq!(status.counters.errors, 1);
    assert!(h.c.subscriptions().is_empty());
}

#[test]
fn a_panicking_app_is_made_again_then_disabled_and_the_others_go_on() {
    let (mut h, a, _) = two_agents();
    enable(&mut h, "one", serde_json::json!({ "panic": true }));
    enable(&mut h, "two", serde_json::json!({}));
    let outcomes: Vec<AppOutcome> = (1..=3u16)
        .flat_map(|n| {
            h.at(ms(u64::from(n) * 1000));
            let out = h.heard(a, 0, mac(n), -50);
            events(&out)
        })
        .filter_map(|e| match e {
            ControllerEvent::AppFailed { app, outcome, .. } if app == "one" => Some(outcome),
            _ => None,
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            AppOutcome::Restarted,
            AppOutcome::Restarted,
            AppOutcome::Disabled
        ]
    );
    let status = h.c.apps();
    assert!(!status[0].enabled);
    assert_eq!(status[0].counters.panics, 3);
    assert_eq!(status[0].counters.restarts, 2);
    // The other app heard all three clients, and the controller placed
    // them.
    let heard = heard_by("two")
        .iter()
        .filter(|e| matches!(e, Event::ClientHeard { .. }))
        .count();
    assert_eq!(heard, 3);
    h.at(ms(3100));
    h.tick();
    assert!(h.host(mac(3)).is_some());
}

#[test]
fn timers_fire_at_their_time_and_only_for_their_app() {
    let (mut h, _, _) = two_agents();
    h.at(ms(10));
    enable(&mut h, "one", serde_json::json!({ "timer_ms": 250 }));
    enable(&mut h, "two", serde_json::json!({}));
    assert!(h.c.poll_at().is_some_and(|t| t <= ms(260)));
    h.at(ms(259));
    h.tick();
    assert!(heard_by("one").is_empty());
    h.at(ms(260));
    h.tick();
    assert_eq!(
        heard_by("one"),
        vec![Event::Timer {
            timer: odin_app::TimerId(1)
        }]
    );
    assert!(heard_by("two").is_empty());
}

#[test]
fn an_app_can_decide_who_serves_a_new_client() {
    let (mut h, a, b) = two_agents();
    enable(&mut h, "one", serde_json::json!({ "place_on": B }));
    // A hears the client better; the app puts it on B.
    h.heard(a, 0, mac(1), -40);
    h.heard(b, 0, mac(1), -70);
    h.at(ms(50));
    let out = h.tick();
    let (s, msg) = only_send(&out);
    assert_eq!(s, b);
    assert!(matches!(msg, ControllerMsg::AddLvap { .. }));
}
